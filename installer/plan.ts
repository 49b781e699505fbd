// Installs are planned first and applied second. A plan is data: what each file holds before and
// after. Applying writes only what differs, atomically, and nothing at all under --dry-run.
import { readFileSync, rmSync, rmdirSync, readdirSync, statSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { HookpackError } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs-safe.js";

export interface FileChange {
  path: string;
  /** Current content, or null when the file does not exist. */
  before: string | null;
  /** Desired content, or null to remove the file. */
  after: string | null;
  mode?: number;
  /** One line for the user: "add hookpack hooks to .claude/settings.json". */
  summary: string;
  /** Directories (deepest first) to remove if this change leaves them empty. */
  pruneDirs?: string[];
}

export type Plan = FileChange[];

export function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file, so this file cannot exist (writing it is refused with the path).
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === "EACCES" || code === "EPERM")
      throw new HookpackError(
        "NOT_READABLE",
        `hookpack: cannot read ${path}: permission denied; nothing was changed.`,
        `make it readable by you, then run the command again.`,
      );
    if (code === "EISDIR")
      throw new HookpackError(
        "NOT_A_FILE",
        `hookpack: ${path} is a directory where a file belongs; nothing was changed.`,
        "move it aside, then run the command again.",
      );
    throw error;
  }
}

export const pending = (plan: Plan): Plan => plan.filter((c) => c.before !== c.after);

/** The mode of an existing file (permission bits), or undefined. */
function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/**
 * Refuses, before anything is written, a file the user made read-only (even for root: the mode is
 * the user's word); a failed write names the path and the fix instead of a stack.
 */
function preflight(changes: Plan): void {
  for (const change of changes) {
    let dir = dirname(change.path);
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    if (!statSync(dir).isDirectory()) {
      throw new HookpackError(
        "NOT_WRITABLE",
        `hookpack: cannot write ${change.path}: ${dir} is a file, not a directory; nothing was changed.`,
        `move ${dir} aside (or choose another --scope), then run the command again.`,
      );
    }
    const mode = modeOf(change.path);
    if (mode !== undefined && (mode & 0o222) === 0) {
      throw new HookpackError(
        "READ_ONLY",
        `hookpack: ${change.path} is read-only (mode ${mode.toString(8).padStart(4, "0")}); nothing was changed.`,
        `make it writable (chmod u+w ${change.path}) and run the command again, or choose another --scope.`,
      );
    }
  }
}

function notWritable(path: string, error: NodeJS.ErrnoException): HookpackError {
  const why = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOTDIR: "a parent of it is a file, not a directory",
    EEXIST: "a parent of it is a file, not a directory",
    ENOSPC: "no space left on the device",
  }[error.code ?? ""];
  return new HookpackError(
    "NOT_WRITABLE",
    `hookpack: cannot write ${path}: ${why ?? error.code ?? error.message}; files before it in the plan may already be written (run the command again once fixed).`,
    `make ${dirname(path)} writable by you (or move the file in the way), then run the command again.`,
  );
}

/** Writes every change whose content differs; returns the changes made. Existing files keep their mode. */
export function applyPlan(plan: Plan): Plan {
  const changes = pending(plan);
  preflight(changes);
  for (const change of changes) {
    try {
      applyOne(change);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code && ["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST", "ENOSPC"].includes(code))
        throw notWritable(change.path, error as NodeJS.ErrnoException);
      throw error;
    }
  }
  return changes;
}

function applyOne(change: FileChange): void {
  if (change.after === null) {
    rmSync(change.path, { force: true });
    for (const dir of change.pruneDirs ?? []) {
      if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    }
    return;
  }
  // A 0600 settings file stays 0600 (and so through uninstall); a new file gets 0644 less umask.
  const mode = change.mode ?? modeOf(change.path);
  writeFileAtomic(change.path, change.after, mode ?? 0o644, {
    dir: "plain",
    exactMode: mode !== undefined,
  });
}

// ---- --dry-run: the diff of each file a plan would change ------------------------------------------

/** Longest file (in lines) whose diff is computed; past it the change is described, not shown. */
const DIFF_MAX_LINES = 4000;
const CONTEXT = 2;

/** A unified diff (`--- a/…`, `+++ b/…`, `@@` hunks with 2 lines of context) of one change. */
export function unifiedDiff(change: FileChange, label: string): string {
  const a = change.before === null ? [] : splitLines(change.before);
  const b = change.after === null ? [] : splitLines(change.after);
  const head = `--- ${change.before === null ? "/dev/null" : `a/${label}`}\n+++ ${change.after === null ? "/dev/null" : `b/${label}`}\n`;
  if (a.length > DIFF_MAX_LINES || b.length > DIFF_MAX_LINES)
    return `${head}@@ (${a.length} → ${b.length} lines: too long to show) @@\n`;
  // Common prefix and suffix first (the usual edit touches one region), then an LCS on the middle.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (
    suf < a.length - pre &&
    suf < b.length - pre &&
    a[a.length - 1 - suf] === b[b.length - 1 - suf]
  )
    suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const ops: Array<[" " | "-" | "+", string]> = a.slice(0, pre).map((l) => [" ", l]);
  const n = am.length;
  const m = bm.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] =
        am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && am[i] === bm[j]) {
      ops.push([" ", am[i]!]);
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) ops.push(["+", bm[j++]!]);
    else ops.push(["-", am[i++]!]);
  }
  for (const l of a.slice(a.length - suf)) ops.push([" ", l]);
  // Hunks: changed lines with CONTEXT lines around them.
  const out: string[] = [];
  let k = 0;
  while (k < ops.length) {
    while (k < ops.length && ops[k]![0] === " ") k++;
    if (k >= ops.length) break;
    const start = Math.max(0, k - CONTEXT);
    let end = k;
    for (;;) {
      while (end < ops.length && ops[end]![0] !== " ") end++;
      let next = end;
      while (next < ops.length && ops[next]![0] === " ") next++;
      if (next < ops.length && next - end <= CONTEXT * 2) end = next;
      else break;
    }
    end = Math.min(ops.length, end + CONTEXT);
    // Line numbers of the hunk's first line in each file.
    let aLine = 1;
    let bLine = 1;
    for (let x = 0; x < start; x++) {
      if (ops[x]![0] !== "+") aLine++;
      if (ops[x]![0] !== "-") bLine++;
    }
    const slice = ops.slice(start, end);
    const aCount = slice.filter((o) => o[0] !== "+").length;
    const bCount = slice.filter((o) => o[0] !== "-").length;
    out.push(
      `@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`,
    );
    for (const [op, line] of slice) out.push(`${op}${line}`);
    k = end;
  }
  return `${head}${out.join("\n")}\n`;
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * `--dry-run`'s diffs: one unified diff per file the plan would change (the hook runtime's
 * bundles are listed, not shown). A file the user already has may hold secrets (an allow-list
 * with an inline token): every detected value in the diff is replaced by its label first.
 */
export async function planDiff(
  changes: Plan,
  root: string,
  label: (path: string) => string = (p) =>
    p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p,
): Promise<string> {
  // The runtime bundles and hookpack's own undo record are listed by the report, not diffed.
  const shown = changes.filter(
    (c) =>
      !c.summary.startsWith("copy the hook runtime") &&
      !c.path.endsWith("/installs.json") &&
      c.before !== c.after,
  );
  if (shown.length === 0) return "";
  const text = shown.map((c) => unifiedDiff(c, label(c.path))).join("");
  const { secretScanner, describeFinding } = await import("../rules/secretlint.js");
  const found = await secretScanner.scan(text, "dry-run.diff");
  let masked = "";
  let at = 0;
  for (const f of [...found].sort((x, y) => x.start - y.start)) {
    if (f.start < at) continue;
    masked += `${text.slice(at, f.start)}[REDACTED:${describeFinding(f)}]`;
    at = f.end;
  }
  return `hookpack: the changes, as a diff (nothing was written):\n${masked}${text.slice(at)}`;
}
