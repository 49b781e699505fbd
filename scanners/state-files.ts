// `hookpack scan --state`: every agent state file of the catalog (rules/state-catalog.ts
// STATE_LOCATIONS) under the project, the home directory and the temp dir, scanned for managed
// values (through the hook cache: no plaintext) and secretlint findings; with `fix`, rewritten as
// the catalog allows. Findings carry fingerprints and masked entries, never values.
import { fingerprintOf } from "./content.js";
import type { ReportItem } from "./report.js";
import type { ManagedSecrets } from "../rules/rule.js";
import type { SecretScanner } from "../rules/secretlint.js";
import { describeFinding, suggestName, type Finding } from "../rules/secretlint.js";
import {
  STATE_LOCATIONS,
  stateGlob,
  type StateLocation,
  type StateRoot,
} from "../rules/state-catalog.js";
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import {
  cleanStateFile,
  decodeWideText,
  fixStateText,
  makeFinder,
  MAX_STATE_FILE_BYTES,
  type CleanOutcome,
  POOLED_READ_MAX,
  readFdPooled,
} from "../rules/state-clean.js";
import type { Finder, FixAction } from "../rules/state-fix.js";

export interface StateScanOptions {
  roots: Record<StateRoot, string | undefined>;
  uid: number | undefined;
  fix: boolean;
  scanner: SecretScanner;
  managed: ManagedSecrets | undefined;
  /** Extra files to scan as plain text (report only). */
  extra?: readonly string[];
}

export interface StateFileFinding {
  path: string;
  location: string;
  agent: string;
  line: number;
  column: number;
  ruleId: string;
  /** "GITHUB_TOKEN (managed)" or "GitHub token": never the value. */
  label: string;
  secret?: string;
  fingerprint: string;
  action: FixAction;
  /** What happened: "fixed", "reported" (not rewritable or no --fix), "failed". */
  status: "fixed" | "reported" | "failed";
  /** The catalog lets --fix rewrite this file. */
  rewritable: boolean;
  entry?: string;
}

export interface StateScanResult {
  files: number;
  findings: StateFileFinding[];
  fixedFiles: string[];
  problems: Array<{ path: string; message: string }>;
  skipped: Array<{ path: string; why: string }>;
}

/** Candidate files per catalog entry; a file claimed by an earlier entry is not listed again. */
export async function listStateFiles(
  roots: StateScanOptions["roots"],
  uid: number | undefined,
): Promise<Array<{ path: string; location: StateLocation | undefined }>> {
  const seen = new Set<string>();
  const out: Array<{ path: string; location: StateLocation | undefined }> = [];
  // Loaded only when a root is given (`scan --state`): `scan PATH` lists with scanners/tree-files.ts,
  // and fast-glob's load was ~20 ms of every scan's start.
  if (!Object.values(roots).some(Boolean)) return out;
  const { default: fg } = await import("fast-glob");
  for (const location of STATE_LOCATIONS) {
    const root = roots[location.root];
    if (!root) continue;
    const paths = await fg(stateGlob(location, uid), {
      cwd: root,
      dot: true,
      onlyFiles: true,
      absolute: true,
      followSymbolicLinks: false,
      suppressErrors: true,
      deep: 8,
    });
    for (const path of paths.sort()) {
      if (seen.has(path)) continue;
      seen.add(path);
      out.push({ path, location });
    }
  }
  return out;
}

function label(f: { ruleId: string; managed?: string; messageId?: string }): string {
  if (f.managed) return `${f.managed} (managed secret)`;
  return describeFinding({ ruleId: f.ruleId, messageId: f.messageId ?? "" } as Finding);
}

/**
 * makeFinder's finder, plus (when the scanner can answer for many texts at once) `mayFindEach`:
 * a JSON file's strings go through one automaton pass, and only those that could hold a finding
 * are found one by one (a call and a promise per string was ~150 ms per MB of JSON). A string is
 * skipped only when the scanner says it finds nothing there AND the managed matcher finds nothing
 * in it: exactly the strings whose find() is empty.
 */
export function batchFinder(
  scanner: SecretScanner,
  managed: ManagedSecrets | undefined,
  filePath: string,
): Finder {
  const find = makeFinder(scanner, managed, filePath);
  const each = scanner.mayContainSecretEach?.bind(scanner);
  if (each)
    find.mayFindEach = async (texts) => {
      const may = await each(texts);
      if (managed)
        for (let i = 0; i < texts.length; i++)
          if (!may[i] && managed.find(texts[i]!).length > 0) may[i] = true;
      return may;
    };
  return find;
}

/**
 * A file `scan PATH` names (no catalog entry, never rewritten), as cleanStateFile(path, undefined,
 * find, false) reads it, with one system call less per file: opened first (non-blocking, so a FIFO
 * swapped in is not waited on) and sized with fstat, instead of stat by path and then open; read
 * into one reused buffer. Anything but a readable regular file of at most POOLED_READ_MAX bytes
 * that is not an SQLite file (an open that fails, a directory, a device, a large file) is handed to
 * cleanStateFile unchanged, which stats it and answers as before. The text is decoded before
 * anything is awaited (the buffer is reused by the next file).
 */
async function scanPlainFile(path: string, find: Finder): Promise<CleanOutcome> {
  const format = /\.jsonl$/i.test(path) ? "jsonl" : /\.json$/i.test(path) ? "json" : "text";
  if (/\.(sqlite3?|db)$/i.test(path)) return cleanStateFile(path, undefined, find, false);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return cleanStateFile(path, undefined, find, false);
  }
  let buf: Buffer | undefined;
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size <= POOLED_READ_MAX && st.size <= MAX_STATE_FILE_BYTES) {
      buf = readFdPooled(fd);
    }
  } finally {
    closeSync(fd);
  }
  if (buf === undefined) return cleanStateFile(path, undefined, find, false);
  const base: CleanOutcome = {
    path,
    location: undefined,
    format,
    mode: "redact",
    findings: [],
    text: "",
    changed: false,
    written: false,
  };
  if (buf.subarray(0, 8192).includes(0)) {
    // UTF-16/32 text: decoded, and as its bytes are (state-clean.ts cleanStateFile).
    const wide = decodeWideText(buf);
    if (wide === undefined) return { ...base, skipped: "binary" };
    const asBytes = buf.toString("utf8");
    const decoded = await fixStateText(wide, format, "report", find);
    const raw = await fixStateText(asBytes, "text", "report", find);
    return { ...base, ...decoded, findings: [...decoded.findings, ...raw.findings], text: "" };
  }
  const result = await fixStateText(buf.toString("utf8"), format, "report", find);
  return { ...base, ...result, text: "" };
}

export async function scanStateFiles(options: StateScanOptions): Promise<StateScanResult> {
  const files = await listStateFiles(options.roots, options.uid);
  // A Set, not files.some(): the working tree of a large repository is tens of thousands of paths.
  const listed = new Set(files.map((f) => f.path));
  for (const path of options.extra ?? []) {
    if (listed.has(path)) continue;
    listed.add(path);
    files.push({ path, location: undefined });
  }
  const result: StateScanResult = {
    files: 0,
    findings: [],
    fixedFiles: [],
    problems: [],
    skipped: [],
  };
  for (const { path, location } of files) {
    const fix = options.fix && location !== undefined;
    const find = batchFinder(options.scanner, options.managed, path);
    const r: CleanOutcome =
      location === undefined
        ? await scanPlainFile(path, find)
        : await cleanStateFile(path, location, find, fix);
    if (r.skipped) {
      if (r.skipped !== "missing" && r.skipped !== "not a file")
        result.skipped.push({ path, why: r.skipped });
      continue;
    }
    result.files++;
    if (r.error) result.problems.push({ path, message: r.error });
    if (r.written) result.fixedFiles.push(path);
    const names = new Set<string>();
    for (const f of r.findings) {
      if (f.managed) names.add(f.managed);
      result.findings.push({
        path,
        location: location?.id ?? "path",
        agent: location?.agent ?? "-",
        line: f.line,
        column: f.column,
        ruleId: f.ruleId,
        label: label(f),
        ...(f.managed ? { secret: f.managed } : {}),
        fingerprint: fingerprintOf(f.value),
        action: f.action,
        status: r.written ? "fixed" : r.error ? "failed" : "reported",
        rewritable: location !== undefined && location.rewrite !== "report",
        ...(f.entry ? { entry: f.entry } : {}),
      });
    }
    if (names.size > 0) options.managed?.exposed([...names], `state-file:${path}`);
  }
  return result;
}

const ACTION_TEXT: Record<FixAction, string> = {
  reference: "replaced by its $secret: reference",
  "removed-entry": "allow-list entry removed",
  redacted: "value redacted",
  reported: "reported only",
};

/** A finding as text, e.g. "GitHub token in Claude Code state (claude-settings-local): allow-list entry removed". */
export function describeStateFinding(f: StateFileFinding, fix: boolean): string {
  const did =
    f.status === "fixed"
      ? ACTION_TEXT[f.action]
      : f.status === "failed"
        ? "NOT fixed (see the problems below)"
        : !f.rewritable
          ? "reported only: hookpack never rewrites this file; remove the value by hand"
          : fix
            ? "not fixed"
            : "not fixed yet (`hookpack scan --state --fix` cleans it)";
  const hint = f.secret
    ? ""
    : ` (suggested name: ${suggestName({ ruleId: f.ruleId, messageId: "" } as Finding)})`;
  // A file given to `scan` (or the working tree) is not agent state: say what it is.
  if (f.agent === "-")
    return `${f.label}${hint} in this file: ${f.status === "reported" && !f.rewritable ? "remove it by hand (a $secret: reference for a command, `hookpack secret import` for a .env file)" : did}`;
  return `${f.label}${hint} in ${f.agent} state [${f.location}]: ${did}${f.entry ? `; entry: ${f.entry}` : ""}`;
}

export function stateReportItems(result: StateScanResult, fix: boolean): ReportItem[] {
  return result.findings.map((f) => ({
    ruleId: f.ruleId === "managed-value" ? "managed-value" : `secretlint/${f.ruleId}`,
    level: f.status === "fixed" ? "warning" : "error",
    message: describeStateFinding(f, fix),
    path: f.path,
    line: f.line,
    column: f.column,
    fingerprint: f.fingerprint,
  }));
}
