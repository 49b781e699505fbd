// `hookpack check-pack [DIR | FILE.tgz | <name>@<version>]`: audit what a package publishes.
import { managedValueMatcher } from "../../scanners/managed.js";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { tryRecordAudit } from "../../broker/audit.js";
import { loadAllowList } from "../allow-file.js";
import { HookpackError } from "../../core/errors.js";
import { ALLOW_FILE } from "../../scanners/content.js";
import {
  dirEntries,
  gitOnlyIgnored,
  npmPack,
  PackError,
  resolvePackSource,
  scanEntries,
  scanTarball,
  type PackFinding,
  type PackScanResult,
} from "../../scanners/pack.js";
import { packFilesInProcess } from "../../scanners/pack-list.js";
import { toGithub, toSarif, type ReportItem } from "../../scanners/report.js";
import { TarError } from "../../scanners/tar.js";
import { hookpackHome, VERSION } from "../context.js";
import type { Command, Io } from "../io.js";

const FORMATS = ["text", "json", "sarif", "github"] as const;
type Format = (typeof FORMATS)[number];

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 2 : 1)} MB`;

export { loadAllowList };

function where(f: PackFinding): string {
  return f.line !== undefined ? `${f.path}:${f.line}:${f.column ?? 1}` : f.path;
}

function textReport(
  label: string,
  result: PackScanResult,
  findings: PackFinding[],
  kind: "dir" | "file" | "spec",
  strict: boolean,
): string {
  const lines: string[] = [];
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.length - errors;
  lines.push(
    `hookpack: check-pack ${label}: ${result.files} files, ${mb(result.bytes)}; ${result.entries} archive entries.`,
  );
  for (const f of findings) {
    lines.push(
      `hookpack: ${f.severity === "error" ? "error  " : "warning"} ${where(f)}  ${f.message} [${f.ruleId}]${f.fingerprint ? ` ${f.fingerprint}` : ""}`,
    );
    if (f.preview) lines.push(`hookpack:           ${f.preview}`);
  }
  if (findings.length === 0) {
    lines.push("hookpack: no agent state, credential files, secrets or unusual entries found.");
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    `hookpack: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}${errors > 0 || (strict && warnings > 0) ? " (check failed)" : ""}.`,
  );
  if (kind === "spec") {
    lines.push(
      'hookpack: this version is already published: revoke every credential it holds now, then publish a fixed version and deprecate this one (`npm deprecate <name>@<version> "…"`).',
    );
  } else if (errors > 0) {
    lines.push(
      'hookpack: fix: keep these files out of the package (package.json "files", or negations such as "!**/.claude/**" and "!**/.env*"; or .npmignore), move secrets out of the code, and revoke any secret that was ever published.',
    );
  }
  lines.push(
    `hookpack: a false positive? add its fingerprint (or path:<glob>) to ${ALLOW_FILE}; never the value.`,
  );
  return `${lines.join("\n")}\n`;
}

/** The pack-time lifecycle scripts a package declares (npm pack runs them unless told not to). */
function lifecycleScripts(dir: string): string[] {
  try {
    const scripts =
      (
        JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
          scripts?: Record<string, unknown>;
        }
      ).scripts ?? {};
    return ["prepack", "prepare", "postpack"].filter((k) => typeof scripts[k] === "string");
  } catch {
    return [];
  }
}

export const checkPack: Command = {
  name: "check-pack",
  options: [
    ["DIR | FILE.tgz | name@version", "what to check (default: the current directory)"],
    ["--format text|json|sarif|github", "output format"],
    ["--run-scripts", "let npm pack run the package's prepack/prepare/postpack (off by default)"],
    ["--allow-file FILE", "fingerprints and path:<glob> lines to ignore (default .hookpack-allow)"],
    ["--no-inline-allow", "ignore gitleaks:allow / secretlint-disable comments (for CI)"],
    ["--max-bytes N", "refuse an archive larger than N bytes unpacked"],
    ["--strict", "warnings fail the check too"],
    ["--registry URL", "where name@version is fetched from"],
  ],
  example: "hookpack check-pack . --format sarif > hookpack.sarif",
  summary:
    "audit what a package publishes: agent state, credential files, secrets, unusual entries",
  usage:
    "hookpack check-pack [DIR | FILE.tgz | <name>@<version>] [--format text|json|sarif|github] [--registry <url>] [--strict] [--run-scripts] [--allow-file FILE] [--no-inline-allow] [--max-bytes N]",
  async run(args, io: Io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        format: { type: "string", default: "text" },
        registry: { type: "string" },
        // The default: a checkout under review may be hostile, and npm pack would run its
        // prepack/prepare/postpack scripts. --run-scripts opts in; --ignore-scripts stays accepted.
        "ignore-scripts": { type: "boolean", default: false },
        "run-scripts": { type: "boolean", default: false },
        "allow-file": { type: "string" },
        "no-inline-allow": { type: "boolean", default: false },
        strict: { type: "boolean", default: false },
        "max-bytes": { type: "string" },
      },
      strict: true,
      allowPositionals: true,
    });
    const format = values.format as Format;
    if (!(FORMATS as readonly string[]).includes(format))
      throw new HookpackError(
        "USAGE",
        `hookpack: unknown format "${values.format}"; expected one of: ${FORMATS.join(", ")}.`,
      );
    if (positionals.length > 1)
      throw new HookpackError(
        "USAGE",
        `hookpack: check-pack takes one target, got ${positionals.length}.`,
      );
    const maxBytes = values["max-bytes"] === undefined ? undefined : Number(values["max-bytes"]);
    if (maxBytes !== undefined && !(maxBytes > 0))
      throw new HookpackError("USAGE", "hookpack: --max-bytes takes a positive number of bytes.");

    let source;
    try {
      source = resolvePackSource(positionals[0], io.cwd);
    } catch (error) {
      if (error instanceof PackError)
        throw new HookpackError(error.code, error.message, error.hint);
      throw error;
    }
    const allowPath = values["allow-file"]
      ? join(io.cwd, values["allow-file"])
      : join(source.kind === "dir" ? source.dir : io.cwd, ALLOW_FILE);
    const allow = loadAllowList(allowPath);

    if (values["run-scripts"] && values["ignore-scripts"])
      throw new HookpackError(
        "USAGE",
        "hookpack: --run-scripts and --ignore-scripts contradict each other.",
        "scripts are not run by default; pass --run-scripts to run them.",
      );
    let tarball: Buffer | undefined;
    let dirFiles: string[] | undefined;
    let label: string;
    let skippedScripts: string[] = [];
    try {
      // A directory, scripts not run: npm's file list computed in process (npm's own walker, no
      // `npm pack` process, no tarball built and read back: `npm pack` was 88 % of check-pack DIR).
      const inProcess =
        source.kind === "dir" && !values["run-scripts"]
          ? await packFilesInProcess(source.dir)
          : undefined;
      if (source.kind === "file") {
        tarball = readFileSync(source.file);
        label = relative(io.cwd, source.file) || source.file;
      } else if (source.kind === "dir" && inProcess) {
        dirFiles = inProcess.files;
        skippedScripts = lifecycleScripts(source.dir);
        label = `${inProcess.name}@${inProcess.version} (packed from ${relative(io.cwd, source.dir) || "."})`;
      } else {
        const packed = await npmPack(
          source.kind === "dir" ? { dir: source.dir } : { spec: source.spec, cwd: io.cwd },
          { env: io.env, registry: values.registry, ignoreScripts: !values["run-scripts"] },
        );
        if (source.kind === "dir" && !values["run-scripts"])
          skippedScripts = lifecycleScripts(source.dir);
        tarball = packed.tarball!;
        label = `${packed.info.name}@${packed.info.version}${source.kind === "dir" ? ` (packed from ${relative(io.cwd, source.dir) || "."})` : " (published tarball)"}`;
      }
    } catch (error) {
      if (error instanceof PackError)
        throw new HookpackError(error.code, error.message, error.hint);
      throw error;
    }

    let result: PackScanResult;
    try {
      const extraMatcher = managedValueMatcher(hookpackHome(io));
      const scanOptions = {
        allow,
        inlineAllow: !values["no-inline-allow"],
        limits: maxBytes ? { maxBytes } : undefined,
        extraMatcher,
      };
      result =
        dirFiles && source.kind === "dir"
          ? await scanEntries(dirEntries(source.dir, dirFiles, scanOptions.limits), scanOptions)
          : await scanTarball(tarball!, scanOptions);
    } catch (error) {
      if (error instanceof TarError) {
        throw new HookpackError(
          error.code,
          `hookpack: ${label} could not be read: ${error.message}; nothing in it was checked.`,
          "A tarball that npm produced never trips these limits; treat this archive as hostile.",
          1,
        );
      }
      throw error;
    }
    const findings = [...result.findings];
    if (source.kind === "dir")
      findings.push(
        ...(await gitOnlyIgnored(source.dir, result.paths, io.env)).filter(
          (g) => !findings.some((f) => f.path === g.path && f.severity === "error"),
        ),
      );
    // Errors first, then warnings; archive order within each (a stable sort).
    findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
    const failed = findings.some((f) => f.severity === "error" || values.strict);
    if (failed) {
      const audit = {
        target: label,
        cwd: io.cwd,
        agent: io.env.HOOKPACK_AGENT || undefined,
        findings: findings.length,
        rules: [...new Set(findings.map((f) => f.ruleId))],
        fingerprints: [
          ...new Set(findings.map((f) => f.fingerprint).filter((x): x is string => !!x)),
        ].slice(0, 50),
      };
      // A published version is past blocking: what it holds is exposed.
      tryRecordAudit(
        hookpackHome(io),
        source.kind === "spec"
          ? {
              kind: "exposure-found",
              where: `published package ${label}`,
              rule: audit.rules.join(","),
              cwd: io.cwd,
            }
          : { kind: "pack-blocked", ...audit },
        (m) => io.err(`${m}\n`),
      );
    }

    const items: ReportItem[] = findings.map((f) => ({
      ruleId: f.ruleId,
      level: f.severity,
      message: `${f.message}${f.preview ? `: ${f.preview}` : ""}`,
      path: f.path,
      line: f.line,
      column: f.column,
      fingerprint: f.fingerprint,
    }));
    if (format === "json") {
      io.out(
        `${JSON.stringify({ version: 1, target: label, source: source.kind, files: result.files, entries: result.entries, bytes: result.bytes, findings, failed }, null, 2)}\n`,
      );
    } else if (format === "sarif") {
      io.out(
        toSarif(items, VERSION, "check-pack", source.kind === "dir" ? { root: source.dir } : {}),
      );
    } else if (format === "github") {
      io.out(toGithub(items, "hookpack check-pack"));
      const errors = findings.filter((f) => f.severity === "error").length;
      const warnings = findings.length - errors;
      io.err(
        `hookpack: check-pack ${label}: ${result.files} files, ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}.\n`,
      );
    } else {
      io.out(textReport(label, result, findings, source.kind, values.strict ?? false));
    }
    if (skippedScripts.length > 0) {
      io.err(
        `hookpack: the package's ${skippedScripts.join(", ")} script${skippedScripts.length > 1 ? "s were" : " was"} not run (a checkout may be untrusted); if ${skippedScripts.length > 1 ? "they build" : "it builds"} files, build first or pass --run-scripts.\n`,
      );
    }
    return failed ? 1 : 0;
  },
};
