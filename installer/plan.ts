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
    if (code === "EACCES" || code === "EPERM") throw new HookpackError("NOT_READABLE", `hookpack: cannot read ${path}: permission denied; nothing was changed.`, `make it readable by you, then run the command again.`);
    if (code === "EISDIR") throw new HookpackError("NOT_A_FILE", `hookpack: ${path} is a directory where a file belongs; nothing was changed.`, "move it aside, then run the command again.");
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
      throw new HookpackError("NOT_WRITABLE", `hookpack: cannot write ${change.path}: ${dir} is a file, not a directory; nothing was changed.`, `move ${dir} aside (or choose another --scope), then run the command again.`);
    }
    const mode = modeOf(change.path);
    if (mode !== undefined && (mode & 0o222) === 0) {
      throw new HookpackError("READ_ONLY", `hookpack: ${change.path} is read-only (mode ${mode.toString(8).padStart(4, "0")}); nothing was changed.`, `make it writable (chmod u+w ${change.path}) and run the command again, or choose another --scope.`);
    }
  }
}

function notWritable(path: string, error: NodeJS.ErrnoException): HookpackError {
  const why = { EACCES: "permission denied", EPERM: "operation not permitted", EROFS: "read-only file system", ENOTDIR: "a parent of it is a file, not a directory", EEXIST: "a parent of it is a file, not a directory", ENOSPC: "no space left on the device" }[error.code ?? ""];
  return new HookpackError("NOT_WRITABLE", `hookpack: cannot write ${path}: ${why ?? error.code ?? error.message}; files before it in the plan may already be written (run the command again once fixed).`, `make ${dirname(path)} writable by you (or move the file in the way), then run the command again.`);
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
      if (code && ["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST", "ENOSPC"].includes(code)) throw notWritable(change.path, error as NodeJS.ErrnoException);
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
  writeFileAtomic(change.path, change.after, mode ?? 0o644, { dir: "plain", exactMode: mode !== undefined });
}
