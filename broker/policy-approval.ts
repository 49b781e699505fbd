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
  /** The file differs from what the user approved: `text` is the approved snapshot (undefined when none). */
  | { state: "pending"; path: string; text: string | undefined };

/** What applies for `cwd`: the approved text, never an unapproved one. */
export function policyInForce(home: string, cwd: string): PolicyState {
  const root = policyRoot(cwd);
  const path = join(root, POLICY_FILE);
  let current: string | undefined;
  try {
    current = readFileSync(path, "utf8");
  } catch {
    current = undefined;
  }
  if (current === undefined) return { state: "none", path };
  const record = read(home)[root];
  if (record && record.sha256 === sha256(current))
    return { state: "approved", path, text: current };
  return { state: "pending", path, text: record?.text };
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
  return read(home)[policyRoot(cwd)]?.text;
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
