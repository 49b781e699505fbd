// Installs are planned first and applied second. A plan is data: what each file holds before and
// after. Applying writes only what differs, atomically, and nothing at all under --dry-run.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, readdirSync, statSync, writeFileSync, existsSync } from "node:fs";
import { dirname } from "node:path";

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
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function existingMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

export const pending = (plan: Plan): Plan => plan.filter((c) => c.before !== c.after);

/** Writes every change whose content differs; returns the changes made. */
export function applyPlan(plan: Plan): Plan {
  const changes = pending(plan);
  for (const change of changes) {
    if (change.after === null) {
      rmSync(change.path, { force: true });
      for (const dir of change.pruneDirs ?? []) {
        if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
      }
      continue;
    }
    mkdirSync(dirname(change.path), { recursive: true });
    const temp = `${change.path}.hookpack-${process.pid}.tmp`;
    // A file the user already has keeps its mode (a 0600 settings file stays 0600).
    const mode = change.mode ?? existingMode(change.path);
    writeFileSync(temp, change.after, { mode: mode ?? 0o644 });
    if (mode !== undefined) chmodSync(temp, mode);
    renameSync(temp, change.path);
  }
  return changes;
}
