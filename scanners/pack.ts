// What a package publishes, audited in memory: a directory is packed the way npm packs it, a
// tarball is read as is, a `<name>@<version>` spec is fetched with `npm pack <spec>`. The tarball is
// listed by our own reader (ustar prefix, PAX, GNU long names; capped; never extracted) and every
// entry is checked: agent state and credential files by name (the state catalog), secrets by
// content, and entries npm itself never produces (links, absolute or `..` paths, duplicates).
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { decodeWideText } from "../core/text-decode.js";
import { hookpackFileByContent, matchStatePath } from "../rules/state-catalog.js";
import {
  EMPTY_ALLOW_LIST,
  mayHoldSecret,
  maskedLine,
  scanText,
  warmUpPrefilter,
  type ContentScanOptions,
} from "./content.js";
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_ENTRIES,
  readTar,
  TarError,
  type TarEntry,
  type TarLimits,
} from "./tar.js";

export type PackSource =
  { kind: "dir"; dir: string } | { kind: "file"; file: string } | { kind: "spec"; spec: string };

export class PackError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = "PackError";
    this.code = code;
    this.hint = hint;
  }
}

const SPEC = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:@[^\s/\\]+)?$/i;

/** DIR, FILE.tgz, or <name>@<version>: an existing path wins over a spec. */
export function resolvePackSource(arg: string | undefined, cwd: string): PackSource {
  const target = arg ?? ".";
  const path = resolve(cwd, target);
  if (existsSync(path))
    return statSync(path).isDirectory() ? { kind: "dir", dir: path } : { kind: "file", file: path };
  if (
    /\.(tgz|tar|tar\.gz)$/i.test(target) ||
    (target.includes("/") && !target.startsWith("@")) ||
    isAbsolute(target)
  ) {
    throw new PackError(
      "PACK_TARGET_MISSING",
      `hookpack: ${path} does not exist.`,
      "Pass a package directory, a .tgz file, or <name>@<version>.",
    );
  }
  if (!SPEC.test(target))
    throw new PackError(
      "PACK_TARGET_INVALID",
      `hookpack: "${target}" is neither a path nor a package spec.`,
      "Pass a package directory, a .tgz file, or <name>@<version>.",
    );
  return { kind: "spec", spec: target };
}

export interface NpmPackInfo {
  name: string;
  version: string;
  filename: string;
  files: Array<{ path: string; size?: number; mode?: number }>;
}

/** Parses `npm pack --json`: an array in npm ≤ 11, an object keyed by package name in npm 12. */
export function parseNpmPackJson(stdout: string): NpmPackInfo[] {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    // Lifecycle output before the JSON (when scripts ran in the foreground): take the last document.
    const at = Math.max(stdout.lastIndexOf("\n["), stdout.lastIndexOf("\n{"));
    try {
      data = JSON.parse(at === -1 ? stdout : stdout.slice(at + 1));
    } catch {
      throw new PackError(
        "NPM_PACK_OUTPUT",
        "hookpack: `npm pack --json` printed something that is not JSON.",
        "Run `npm pack --json` in that directory to see what it prints.",
      );
    }
  }
  const error = (data as { error?: { summary?: string; detail?: string } } | null)?.error;
  if (error)
    throw new PackError(
      "NPM_PACK_FAILED",
      `hookpack: npm pack failed: ${error.summary ?? "unknown error"}`,
      error.detail?.split("\n")[0],
    );
  const list = Array.isArray(data)
    ? data
    : data && typeof data === "object"
      ? Object.values(data as Record<string, unknown>)
      : [];
  const out: NpmPackInfo[] = [];
  for (const item of list) {
    const i = item as Partial<NpmPackInfo> | null;
    if (i && typeof i.filename === "string")
      out.push({
        name: i.name ?? "",
        version: i.version ?? "",
        filename: i.filename,
        files: Array.isArray(i.files) ? i.files : [],
      });
  }
  if (out.length === 0)
    throw new PackError(
      "NPM_PACK_OUTPUT",
      "hookpack: `npm pack --json` reported no tarball.",
      "Run `npm pack --json` in that directory to see what it prints.",
    );
  return out;
}

export interface NpmOptions {
  env?: NodeJS.ProcessEnv;
  registry?: string;
  /** Skip lifecycle scripts (faster, but the file list may differ from a real publish). */
  ignoreScripts?: boolean;
  /** Only list (npm pack --dry-run); no tarball is read. */
  dryRun?: boolean;
}

function runNpm(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv | undefined,
): Promise<{ stdout: string; stderr: string; status: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.platform === "win32" ? "npm.cmd" : "npm", args, {
      cwd,
      env: env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (error) =>
      fail(
        new PackError(
          "NPM_NOT_FOUND",
          `hookpack: could not run npm (${error.message}).`,
          "Install npm, or pass a .tgz file instead.",
        ),
      ),
    );
    child.on("close", (status) => done({ stdout, stderr, status: status ?? 1 }));
  });
}

/** Runs `npm pack` (of a directory or a spec) into a temp dir; returns the tarball bytes. */
export async function npmPack(
  source: { dir: string } | { spec: string; cwd: string },
  options: NpmOptions = {},
): Promise<{ info: NpmPackInfo; tarball: Buffer | undefined }> {
  const dest = mkdtempSync(join(tmpdir(), "hookpack-pack-"));
  try {
    const args = ["pack", "--json", "--foreground-scripts=false", "--pack-destination", dest];
    if ("spec" in source) args.splice(1, 0, source.spec);
    if (options.registry) args.push("--registry", options.registry);
    if (options.ignoreScripts) args.push("--ignore-scripts");
    if (options.dryRun) args.push("--dry-run");
    const cwd = "spec" in source ? source.cwd : source.dir;
    const r = await runNpm(args, cwd, options.env);
    if (r.status !== 0) {
      let reason = r.stderr
        .split("\n")
        .filter((l) => /npm (error|ERR!)/.test(l))
        .slice(0, 4)
        .join(" ")
        .replace(/npm (error|ERR!)\s*/g, "")
        .trim();
      try {
        parseNpmPackJson(r.stdout);
      } catch (error) {
        if (error instanceof PackError && error.code === "NPM_PACK_FAILED")
          reason = error.message.replace(/^hookpack: npm pack failed: /, "");
      }
      const what = "spec" in source ? `fetching ${source.spec}` : `packing ${source.dir}`;
      throw new PackError(
        "NPM_PACK_FAILED",
        `hookpack: npm pack failed while ${what}: ${reason || `exit ${r.status}`}.`,
        "spec" in source
          ? "Check the name, the version and --registry; npm pack <spec> needs the registry."
          : "Run `npm pack --dry-run` there to see the error.",
      );
    }
    const info = parseNpmPackJson(r.stdout)[0]!;
    const tarball = options.dryRun ? undefined : readFileSync(join(dest, info.filename));
    return { info, tarball };
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}

export type PackFindingKind =
  | "agent-state"
  | "agent-config"
  | "secret-file"
  | "secret"
  | "unusual-entry"
  | "git-only-ignore"
  | "not-scanned";

export interface PackFinding {
  kind: PackFindingKind;
  severity: "error" | "warning";
  /** Path inside the package (first component dropped), or the raw name for unusual entries. */
  path: string;
  ruleId: string;
  message: string;
  line?: number;
  column?: number;
  fingerprint?: string;
  preview?: string;
}

export interface PackScanOptions extends ContentScanOptions {
  limits?: TarLimits;
  /** Largest single file whose content is scanned (default 16 MiB). */
  maxFileBytes?: number;
}

export interface PackScanResult {
  entries: number;
  files: number;
  /** Bytes of file content in the archive. */
  bytes: number;
  /** Bytes actually passed to the prefilter. */
  scannedBytes: number;
  findings: PackFinding[];
  /** Package-relative paths of regular files, in archive order. */
  paths: string[];
}

const UNUSUAL: Record<string, string> = {
  symlink: "a symbolic link (npm never packs links; yarn 4 does, with absolute targets)",
  hardlink: "a hard link (npm never packs links)",
  other: "a device, FIFO or other special entry",
};

/** Drops the first path component (npm strips `package/`, whatever it is called). */
export function packagePath(name: string): string {
  const clean = name.replace(/\\/g, "/").replace(/^\.\//, "");
  const slash = clean.indexOf("/");
  return slash === -1 ? clean : clean.slice(slash + 1);
}

function unusualReasons(e: TarEntry): string[] {
  const reasons: string[] = [];
  if (UNUSUAL[e.type])
    reasons.push(`${UNUSUAL[e.type]}${e.linkname ? ` pointing at ${e.linkname}` : ""}`);
  if (e.name.startsWith("/") || /^[A-Za-z]:/.test(e.name)) reasons.push("an absolute path");
  if (e.name.split(/[\\/]/).includes(".."))
    reasons.push("a path with `..` that escapes the package");
  if (e.name.includes("\\")) reasons.push("a path with backslashes (a traversal on Windows)");
  return reasons;
}

/** Audits a tarball held in memory. */
export async function scanTarball(
  data: Buffer,
  options: PackScanOptions = {},
): Promise<PackScanResult> {
  return scanEntries(readTar(data, options.limits), options);
}

/**
 * The entries `npm pack` would write for `files` (package-relative paths from npm's own file list,
 * scanners/pack-list.ts), read from `dir` without packing: what check-pack DIR audits. A listed
 * path that is no longer a regular file is left out (npm never packs links).
 */
export function dirEntries(
  dir: string,
  files: readonly string[],
  limits: TarLimits = {},
): TarEntry[] {
  // The same limits a tarball gets (--max-bytes), checked on sizes before anything is read.
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (files.length > maxEntries)
    throw new TarError(
      "TAR_TOO_MANY_ENTRIES",
      `npm would pack ${files.length} files, more than the ${maxEntries}-entry limit`,
    );
  const out: TarEntry[] = [];
  let total = 0;
  for (const path of files) {
    const abs = join(dir, path);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    total += st.size;
    if (total > maxBytes)
      throw new TarError(
        "TAR_TOO_LARGE",
        `the files npm would pack add up to more than the ${maxBytes}-byte limit (raise --max-bytes)`,
      );
    out.push({
      name: `package/${path}`,
      type: "file",
      typeflag: "0",
      size: st.size,
      mode: st.mode & 0o777,
      linkname: "",
      body: readFileSync(abs),
    });
  }
  return out;
}

/** Audits the entries of a package (a tarball's, or a directory's as npm would pack it). */
export async function scanEntries(
  entries: readonly TarEntry[],
  options: PackScanOptions = {},
): Promise<PackScanResult> {
  warmUpPrefilter();
  const allow = options.allow ?? EMPTY_ALLOW_LIST;
  const maxFile = options.maxFileBytes ?? 16 * 1024 * 1024;
  const findings: PackFinding[] = [];
  const seen = new Map<string, string>();
  const paths: string[] = [];
  let files = 0;
  let bytes = 0;
  let scannedBytes = 0;
  for (const e of entries) {
    const path = packagePath(e.name);
    for (const reason of unusualReasons(e)) {
      findings.push({
        kind: "unusual-entry",
        severity: "error",
        path: e.name,
        ruleId: "unusual-entry",
        message: `the archive holds ${reason}`,
      });
    }
    if (e.type === "directory") continue;
    const key = path.toLowerCase();
    const previous = seen.get(key);
    if (previous !== undefined) {
      findings.push({
        kind: "unusual-entry",
        severity: "error",
        path: e.name,
        ruleId: "duplicate-entry",
        message:
          previous === path
            ? "the archive holds this path twice (extraction keeps the last copy)"
            : `the archive holds this path twice, differing only in case from ${previous}`,
      });
    }
    seen.set(key, path);
    if (e.type !== "file" || !e.body) continue;
    files++;
    bytes += e.size;
    paths.push(path);
    const entry = allow.allowsPath(path) ? undefined : matchStatePath(path, (s) => s.npm);
    if (entry) {
      const what =
        entry.kind === "agent-state"
          ? `${entry.owner} state`
          : entry.kind === "agent-config"
            ? `${entry.owner} configuration`
            : "a credential file";
      findings.push({
        kind: entry.kind,
        severity: entry.severity,
        path,
        ruleId: entry.id,
        message: `${what} is in the package: ${entry.why}`,
      });
    }
    if (e.size > maxFile) {
      findings.push({
        kind: "not-scanned",
        severity: "warning",
        path,
        ruleId: "too-large",
        message: `${e.size} bytes is over the ${maxFile}-byte content limit; its content was not scanned`,
      });
      continue;
    }
    // A NUL in the first 8 KB: binary, unless it is UTF-16/32 text (core/text-decode.ts).
    const wide = e.body.subarray(0, 8000).includes(0);
    const text = wide ? decodeWideText(e.body) : e.body.toString("utf8");
    if (text === undefined) continue; // binary
    scannedBytes += e.size;
    const own = entry || allow.allowsPath(path) ? undefined : hookpackFileByContent(text);
    if (own)
      findings.push({
        kind: own.kind,
        severity: own.severity,
        path,
        ruleId: own.id,
        message: `a credential file is in the package: ${own.why}`,
      });
    // UTF-16 text is read decoded and as its bytes are (ASCII hidden among UTF-16 is read too); a
    // line of the raw view is not shown (it may hold a decoded value, a NUL between its characters).
    const views = wide ? [text, e.body.toString("utf8")] : [text];
    for (const [v, view] of views.entries()) {
      if (!mayHoldSecret(view, options)) continue;
      const hits = await scanText(view, path, options);
      for (const h of hits) {
        findings.push({
          kind: "secret",
          severity: h.confidence === "weak" ? "warning" : "error",
          path,
          ruleId: h.ruleId,
          message: `${h.label} in a published file`,
          line: h.line,
          column: h.column,
          fingerprint: h.fingerprint,
          preview:
            v === 0 ? maskedLine(view, h.line, hits) : "(a line of a UTF-16 file's raw bytes)",
        });
      }
    }
  }
  return { entries: entries.length, files, bytes, scannedBytes, findings, paths };
}

/**
 * Packed files that git ignores only through a file npm never reads (the global excludes file or
 * .git/info/exclude): the mechanism behind the 2026 `.claude/settings.local.json` leaks.
 */
export async function gitOnlyIgnored(
  dir: string,
  paths: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<PackFinding[]> {
  if (paths.length === 0) return [];
  const out = await new Promise<string>((done) => {
    const child = spawn("git", ["check-ignore", "-v", "-z", "--stdin"], {
      cwd: dir,
      env: env ?? process.env,
      stdio: ["pipe", "pipe", "ignore"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.on("error", () => done(""));
    child.on("close", () => done(stdout));
    child.stdin.on("error", () => {});
    child.stdin.end(`${paths.join("\0")}\0`);
  });
  const fields = out.split("\0");
  const findings: PackFinding[] = [];
  for (let i = 0; i + 3 < fields.length; i += 4) {
    const [source, , pattern, path] = fields.slice(i, i + 4) as [string, string, string, string];
    if (!source) continue;
    const inRepoIgnoreFile = !isAbsolute(source) && /(^|\/)\.gitignore$/.test(source);
    if (inRepoIgnoreFile) continue;
    findings.push({
      kind: "git-only-ignore",
      severity: "warning",
      path,
      ruleId: "git-only-ignore",
      message: `git ignores it only through ${source} (\`${pattern}\`), which npm never reads, so it ships; add it to the package's .gitignore/.npmignore or to package.json "files" negations`,
    });
  }
  return findings;
}
