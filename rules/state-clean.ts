// Reading, fixing and atomically rewriting one agent state file, and the SessionEnd rule that
// cleans the session's own files. The rewrite keeps the file's mode, writes no backup (a backup
// would still hold the value), and is abandoned when the agent changed the file meanwhile.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "../core/fs-safe.js";
import { decodeWideText } from "../core/text-decode.js";
import type { Verdict } from "../hooks/event.js";
import { findSecrets } from "./redact-tool-output.js";
import type { ManagedSecrets, Rule } from "./rule.js";
import type { SecretScanner } from "./secretlint.js";
import {
  matchStateLocation,
  STATE_LOCATIONS,
  stateFormatOf,
  type StateLocation,
} from "./state-catalog.js";
import { fixStateText, type Finder, type FixResult } from "./state-fix.js";
import { cleanSqliteFile } from "./state-sqlite.js";

// For scanners/state-files.ts (`scan PATH`'s reader): from this bundle, not a second copy in scan.cjs.
export { decodeWideText, fixStateText };

/** Files larger than this are reported, not read. */
export const MAX_STATE_FILE_BYTES = 64 * 1024 * 1024;

export interface CleanOutcome extends FixResult {
  path: string;
  location: StateLocation | undefined;
  format: "json" | "jsonl" | "text" | "strings" | "sqlite";
  mode: "allow-list" | "redact" | "report";
  written: boolean;
  skipped?: string;
}

/** Files up to this size are read into one buffer reused file after file. */
export const POOLED_READ_MAX = 4 * 1024 * 1024;
let pool: Buffer | undefined;

/**
 * The bytes of the open file `fd`, read to its end (whatever its size when opened), as readFileSync
 * gives them, in a buffer reused by the next call: a scan reads thousands of files, and a fresh
 * Buffer per file was tens of MB of short-lived memory for the GC. Valid until the next call:
 * callers decode it before they await anything. The caller closes `fd`.
 */
export function readFdPooled(fd: number): Buffer {
  let buf = (pool ??= Buffer.allocUnsafe(POOLED_READ_MAX + 1));
  let got = 0;
  for (;;) {
    if (got === buf.length) {
      // Grown past the pool while being read: a buffer of its own, as readFileSync would.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, got);
      buf = bigger;
    }
    const n = readSync(fd, buf, got, buf.length - got, null);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** A file's bytes by path (readFdPooled when it is at most POOLED_READ_MAX bytes). */
function readPooled(path: string, size: number): Buffer {
  if (size > POOLED_READ_MAX) return readFileSync(path);
  const fd = openSync(path, "r");
  try {
    return readFdPooled(fd);
  } finally {
    closeSync(fd);
  }
}

export function makeFinder(
  scanner: SecretScanner,
  managed: ManagedSecrets | undefined,
  filePath: string,
): Finder {
  return (text) => findSecrets(text, filePath, scanner, managed);
}

/**
 * Scans one file; with `fix`, rewrites it when its catalog entry allows. `location` undefined means
 * "an agent's file known to the adapter but not listed": it is redacted as its extension says.
 */
export async function cleanStateFile(
  path: string,
  location: StateLocation | undefined,
  find: Finder,
  fix: boolean,
): Promise<CleanOutcome> {
  const format = location
    ? stateFormatOf(location, path)
    : /\.jsonl$/i.test(path)
      ? "jsonl"
      : /\.json$/i.test(path)
        ? "json"
        : /\.(sqlite3?|db)$/i.test(path)
          ? "sqlite"
          : "text";
  const mode = location?.rewrite ?? "redact";
  const base: CleanOutcome = {
    path,
    location,
    format,
    mode,
    findings: [],
    text: "",
    changed: false,
    written: false,
  };
  let st;
  try {
    st = statSync(path);
  } catch {
    return { ...base, skipped: "missing" };
  }
  if (!st.isFile()) return { ...base, skipped: "not a file" };
  if (st.size > MAX_STATE_FILE_BYTES)
    return { ...base, skipped: `larger than ${MAX_STATE_FILE_BYTES / 1024 / 1024} MB` };
  if (format === "sqlite") {
    // Through SQLite itself: the database stays valid, its -wal and free space are cleaned too.
    const r = await cleanSqliteFile(path, find, fix && mode !== "report");
    return { ...base, ...r, text: "" };
  }
  // (Decoded to strings below before anything is awaited: the buffer is reused by the next read.)
  const buf = readPooled(path, st.size);
  if (format === "strings") {
    // A binary store is never rewritten: its printable runs are scanned, one per line.
    const runs = buf.toString("latin1").replace(/[^\t\x20-\x7e]+/g, "\n");
    return { ...base, ...(await fixStateText(runs, "text", "report", find)), text: "" };
  }
  if (buf.subarray(0, 8192).includes(0)) {
    // UTF-16/32 text (core/text-decode.ts) is scanned and reported, never rewritten: decoded, and
    // as its bytes are (ASCII hidden among UTF-16 is read too).
    const wide = decodeWideText(buf);
    if (wide === undefined) return { ...base, skipped: "binary" };
    const asBytes = buf.toString("utf8");
    const decoded = await fixStateText(wide, format, "report", find);
    const raw = await fixStateText(asBytes, "text", "report", find);
    return { ...base, ...decoded, findings: [...decoded.findings, ...raw.findings], text: "" };
  }
  const text = buf.toString("utf8");
  const result = await fixStateText(text, format, fix ? mode : "report", find);
  const outcome: CleanOutcome = { ...base, ...result, text: "" };
  if (!fix || !result.changed) return outcome;
  // The agent may still be appending (a live transcript): only replace the version we read.
  const now = statSync(path);
  if (now.size !== st.size || now.mtimeMs !== st.mtimeMs)
    return {
      ...outcome,
      changed: false,
      error: "the file changed while it was being fixed; run the scan again",
    };
  try {
    // The temp file is removed when the write fails (core/fs-safe.ts).
    writeFileAtomic(path, result.text, st.mode & 0o777, { dir: "existing" });
  } catch (error) {
    return {
      ...outcome,
      changed: false,
      error: `could not rewrite it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    };
  }
  return { ...outcome, written: true };
}

/** Regular files under `dir`, up to `depth` levels, at most `limit`. */
export function filesUnder(dir: string, depth = 3, limit = 5000): string[] {
  const out: string[] = [];
  const walk = (d: string, level: number) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= limit) return;
      const p = join(d, e.name);
      if (e.isFile()) out.push(p);
      else if (e.isDirectory() && level < depth) walk(p, level + 1);
    }
  };
  walk(dir, 0);
  return out;
}

/**
 * Per-user files that hold the session's raw tool output besides its transcript (Codex's thread
 * history database, Gemini's background-process logs): the catalog entries whose `sessionAgent`
 * is this agent, as they exist now.
 */
export function agentSessionFiles(agent: string, home: string): string[] {
  const out: string[] = [];
  for (const loc of STATE_LOCATIONS) {
    if (loc.sessionAgent !== agent || loc.root !== "home") continue;
    // The globs are one directory and a `*` in the file name: no glob library on the hook's path.
    const dir = join(home, dirname(loc.glob));
    const re = new RegExp(
      `^${basename(loc.glob)
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*")}$`,
    );
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (re.test(n)) out.push(join(dir, n));
  }
  return out;
}

/** How long the SessionEnd clean-up may take before it stops (the agent waits for the hook). */
export const SESSION_CLEAN_BUDGET_MS = 8_000;

export const cleanSessionState: Rule = {
  id: "clean-session-state",
  summary:
    "At session end, remove secret values from the session's transcript, persisted tool results, background task outputs and the project's allow-list.",
  on: ["session-end"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "session-end" || !event.state) return { kind: "allow" };
    const started = Date.now();
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    const roots = { project: event.session.cwd, home: homedir(), tmp: tmpdir() };
    const files = [
      ...new Set([
        ...event.state.files,
        ...event.state.dirs.flatMap((d) => filesUnder(d)),
        ...agentSessionFiles(event.agent, roots.home),
      ]),
    ];
    let cleaned = 0;
    let fixedFiles = 0;
    const problems: string[] = [];
    const names = new Set<string>();
    let unfinished = 0;
    for (const [i, path] of files.entries()) {
      if (Date.now() - started > SESSION_CLEAN_BUDGET_MS) {
        unfinished = files.length - i;
        break;
      }
      const location = matchStateLocation(path, roots, uid);
      if (location?.rewrite === "report") continue;
      const r = await cleanStateFile(
        path,
        location,
        makeFinder(context.scanner, context.managed, path),
        true,
      );
      if (r.error) problems.push(`${path}: ${r.error}`);
      if (r.written) {
        fixedFiles++;
        cleaned += r.findings.length;
        for (const f of r.findings) if (f.managed) names.add(f.managed);
      }
      if (r.written || r.findings.length > 0)
        for (const f of r.findings) context.noteSecret(f.value, f.managed ?? f.ruleId);
    }
    if (names.size > 0)
      context.managed?.exposed([...names], `state-file:session ${event.session.id}`);
    const parts: string[] = [];
    if (cleaned > 0)
      parts.push(
        `hookpack removed ${cleaned} secret value(s) from ${fixedFiles} file(s) this session left behind${names.size > 0 ? `; ${[...names].join(", ")} reached the agent's records, consider rotating` : ""}.`,
      );
    if (problems.length > 0)
      parts.push(
        `hookpack could not clean: ${problems.slice(0, 3).join("; ")}. Run \`hookpack scan --state --fix\`.`,
      );
    if (unfinished > 0)
      parts.push(
        `hookpack stopped cleaning after ${SESSION_CLEAN_BUDGET_MS / 1000} s with ${unfinished} file(s) left; run \`hookpack scan --state --fix\`.`,
      );
    return parts.length > 0
      ? { kind: "warn", code: "SESSION_STATE_CLEANED", message: parts.join(" ") }
      : { kind: "allow" };
  },
};
