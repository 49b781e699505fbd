// The one door to the audit log: append-only JSON lines under HOOKPACK_HOME, mode 0600.
// Entries carry names, counts and masked summaries, never a value. (The HMAC chain and
// `hookpack audit verify` come later; they will replace appendAudit's body, not its callers.)
import { appendFileSync, closeSync, fsyncSync, openSync } from "node:fs";
import { join } from "node:path";
import { ensurePrivateDir } from "./fs-safe.js";

export const AUDIT_FILE = "audit.jsonl";

export interface ExecAuditEntry {
  kind: "exec";
  ts: string;
  /** Who, when known: the agent and session that asked (from the grant or the environment). */
  agent?: string;
  session?: string;
  grant?: string;
  user?: string;
  cwd: string;
  secrets: string[];
  /** The command line, shell-quoted, managed values masked, truncated. */
  command: string;
  exitCode: number;
  signal?: string;
  durationMs: number;
  redactions: number;
  redactedNames: string[];
  /** Set when the exec was refused before the child started. */
  refused?: string;
}

export type AuditEntry = ExecAuditEntry;

export function auditPath(home: string): string {
  return join(home, AUDIT_FILE);
}

/** Appends one entry as one write (O_APPEND), then fsyncs. */
export function appendAudit(home: string, entry: AuditEntry): void {
  ensurePrivateDir(home);
  const path = auditPath(home);
  appendFileSync(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** POSIX-shell quoting for display. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandSummary(argv: readonly string[], mask: (s: string) => string, max = 300): string {
  const s = mask(argv.map(shellQuote).join(" "));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
