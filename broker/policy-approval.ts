// The policy in force is the repository root's `hookpack.json` as the user last APPROVED it.
// An agent can change the file (any tool, any shell command); a change takes effect only after the
// user approves it in their own terminal (`hookpack policy approve`, which shows the diff and
// needs a terminal to answer), or by running `hookpack install` there. Until then the approved
// snapshot applies; with none on record, the built-in default does (every use asks a human).
// The approvals live under $HOOKPACK_HOME (policy-approvals.json: per repository root, the sha256
// and the approved text). No value is ever stored here: the policy file is value-free by design.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ensurePrivateDir, writeFileAtomic } from "../core/fs-safe.js";

export const POLICY_APPROVALS_FILE = "policy-approvals.json";
const POLICY_FILE = "hookpack.json";

interface ApprovalRecord {
  sha256: string;
  approvedAt: string;
  text: string;
}
type Approvals = Record<string, ApprovalRecord>;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The repository root of `cwd` (the nearest directory holding .git), else `cwd`; symlinks resolved. */
export function policyRoot(cwd: string): string {
  let dir = resolve(cwd);
  try {
    dir = realpathSync(dir);
  } catch {
    // a directory that does not exist has no policy
  }
  for (let d = dir, i = 0; i < 64; i++) {
    if (existsSync(join(d, ".git"))) return d;
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  return dir;
}

export const policyPathFor = (cwd: string): string => join(policyRoot(cwd), POLICY_FILE);

function read(home: string): Approvals {
  try {
    return JSON.parse(readFileSync(join(home, POLICY_APPROVALS_FILE), "utf8")) as Approvals;
  } catch {
    return {};
  }
}

export type PolicyState =
  | { state: "none"; path: string }
  | { state: "approved"; path: string; text: string }
  /**
   * The file differs from what the user approved: `text` is the approved snapshot (undefined when
   * none). `removed`: the file is gone or cannot be read (deleted, moved, chmod 000, a directory, a
   * dangling symlink) while an approval is on record, so the approved snapshot stays in force.
   */
  | { state: "pending"; path: string; text: string | undefined; removed?: boolean };

/** The text of a policy file; undefined when it is missing or cannot be read as a file. */
function readPolicyText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The directory whose approval governs `cwd`: its repository root when that root has an approval
 * on record; else the nearest directory above `cwd` (itself included) that has one. An agent cannot
 * leave the approved policy by moving `.git` away (the root becomes a subdirectory) or by running
 * `git init` below the approved root (a new root with nothing on record): the enclosing approval
 * still applies until the user approves something for the new root.
 */
function governingRoot(approvals: Approvals, cwd: string, root: string): string | undefined {
  if (approvals[root]) return root;
  let dir = resolve(cwd);
  try {
    dir = realpathSync(dir);
  } catch {
    // a directory that does not exist: judged by its path
  }
  for (let i = 0; i < 64; i++) {
    if (approvals[dir]) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * What applies for `cwd`: the approved text, never an unapproved one. Weakening the policy from the
 * agent's side takes no effect: a changed, emptied (`{}`), invalid or truncated file is pending and
 * the approved snapshot applies (as before); a file that is gone or unreadable while an approval is
 * on record is pending too (`removed`), and the approved snapshot still applies until the user
 * approves the removal in their terminal (`hookpack policy approve`). Only a root with no approval
 * anywhere above it has no policy (the built-in default: every use asks).
 */
export function policyInForce(home: string, cwd: string): PolicyState {
  const root = policyRoot(cwd);
  const path = join(root, POLICY_FILE);
  const current = readPolicyText(path);
  const approvals = read(home);
  const governing = governingRoot(approvals, cwd, root);
  const record = governing === undefined ? undefined : approvals[governing];
  if (!record || governing === undefined) {
    if (current === undefined) return { state: "none", path };
    return { state: "pending", path, text: undefined };
  }
  if (governing !== root) {
    // An approval above this root governs it: this root's own file (if any) waits for approval,
    // and the enclosing one is judged as it stands.
    if (current !== undefined) return { state: "pending", path, text: record.text };
    const above = join(governing, POLICY_FILE);
    return judged(above, readPolicyText(above), record);
  }
  return judged(path, current, record);
}

function judged(path: string, current: string | undefined, record: ApprovalRecord): PolicyState {
  if (current === undefined) return { state: "pending", path, text: record.text, removed: true };
  if (record.sha256 === sha256(current)) return { state: "approved", path, text: current };
  return { state: "pending", path, text: record.text };
}

/**
 * The user approves, in their terminal, that the policy file for `cwd` is gone: its approval record
 * is dropped, so the built-in default applies. Only `hookpack policy approve` calls this.
 */
export function approvePolicyRemoval(home: string, cwd: string): boolean {
  const all = read(home);
  const governing = governingRoot(all, cwd, policyRoot(cwd));
  if (governing === undefined || readPolicyText(join(governing, POLICY_FILE)) !== undefined)
    return false;
  delete all[governing];
  ensurePrivateDir(home);
  writeFileAtomic(join(home, POLICY_APPROVALS_FILE), `${JSON.stringify(all, null, 2)}\n`, 0o600);
  return true;
}

/** Records the current file as approved for its repository root. */
export function approvePolicy(
  home: string,
  cwd: string,
  now = Date.now(),
): { path: string; sha256: string } | undefined {
  const root = policyRoot(cwd);
  const path = join(root, POLICY_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const all = read(home);
  all[root] = { sha256: sha256(text), approvedAt: new Date(now).toISOString(), text };
  ensurePrivateDir(home);
  writeFileAtomic(join(home, POLICY_APPROVALS_FILE), `${JSON.stringify(all, null, 2)}\n`, 0o600);
  return { path, sha256: sha256(text) };
}

/** The approved snapshot for `cwd`'s root (for the diff `hookpack policy approve` shows). */
export function approvedText(home: string, cwd: string): string | undefined {
  const all = read(home);
  const governing = governingRoot(all, cwd, policyRoot(cwd));
  return governing === undefined ? undefined : all[governing]?.text;
}

/** A plain line diff (`-` approved, `+` current), enough for a human to see what changed. */
export function lineDiff(before: string, after: string): string {
  const a = before.split("\n");
  const b = after.split("\n");
  // Longest common subsequence, small files only (policies are a few hundred lines at most).
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] =
        a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) out.push(`+ ${b[j++]}`);
    else out.push(`- ${a[i++]}`);
  }
  return out.join("\n");
}

/**
 * The parsed policy in force for `cwd`: NO_POLICY when there is no file; the approved text when
 * the file is approved; while a change waits for approval, the approved snapshot (or the built-in
 * default when none) with `pending` naming the file. One reading for the hook and the broker
 * (hooks/secret-ref-host.ts, broker/rewrite-service.ts); `parse` throws PolicyError.
 */
export async function loadPolicyInForce(
  home: string,
  cwd: string,
  lib: {
    NO_POLICY: import("../rules/policy.js").Policy;
    parsePolicy: (text: string, path: string) => Promise<import("../rules/policy.js").Policy>;
  },
): Promise<import("../rules/policy.js").Policy> {
  const state = policyInForce(home, cwd);
  if (state.state === "none") return lib.NO_POLICY;
  if (state.state === "approved") return lib.parsePolicy(state.text, state.path);
  if (state.text === undefined) return { ...lib.NO_POLICY, pending: state.path };
  return { ...(await lib.parsePolicy(state.text, state.path)), pending: state.path };
}
