// "once" approvals: a human approved a secret for one agent session. `hookpack exec` records one
// after a successful redeem of an "ask" grant; the hook's rewrite rule asks whether a name is
// already approved for the session (hooks/secret-ref-host.ts); `hookpack revoke` forgets a name.
// The file holds names and hashed session keys only, in the grants directory.
import type * as Crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GRANTS_DIR } from "../core/files.js";
import { ensurePrivateDir, writeFileAtomic } from "../core/fs-safe.js";

// node:crypto is loaded on first use: the hook bundle holds this module, and a plain allow never
// needs it.
const crypto = (): typeof Crypto => process.getBuiltinModule("node:crypto");

const APPROVALS_FILE = "approvals.json";
/** How long a session approval is kept after it was last given. */
const APPROVAL_TTL_MS = 7 * 24 * 60 * 60 * 1000;

type Approvals = Record<string, { names: string[]; at: string }>;
const sessionKey = (agent: string, session: string) =>
  crypto().createHash("sha256").update(`${agent}\u0000${session}`).digest("hex").slice(0, 32);
const approvalsPath = (home: string) => join(home, GRANTS_DIR, APPROVALS_FILE);

function readApprovals(home: string): Approvals {
  try {
    return JSON.parse(readFileSync(approvalsPath(home), "utf8")) as Approvals;
  } catch {
    return {};
  }
}

export function isApprovedForSession(
  home: string,
  agent: string,
  session: string,
  name: string,
): boolean {
  return readApprovals(home)[sessionKey(agent, session)]?.names.includes(name) ?? false;
}

/** Records that the human approved these names for this session (after a successful redeem). */
export function recordSessionApproval(
  home: string,
  agent: string,
  session: string,
  names: readonly string[],
  now = Date.now(),
): void {
  const all = readApprovals(home);
  const key = sessionKey(agent, session);
  const cutoff = now - APPROVAL_TTL_MS;
  for (const [k, v] of Object.entries(all)) if (Date.parse(v.at) < cutoff) delete all[k];
  all[key] = {
    names: [...new Set([...(all[key]?.names ?? []), ...names])].sort(),
    at: new Date(now).toISOString(),
  };
  ensurePrivateDir(join(home, GRANTS_DIR));
  writeFileAtomic(approvalsPath(home), `${JSON.stringify(all)}\n`, 0o600);
}

/** Forgets session approvals for a revoked name. */
export function revokeApprovalsFor(home: string, name: string): void {
  const all = readApprovals(home);
  let changed = false;
  for (const v of Object.values(all)) {
    if (v.names.includes(name)) {
      v.names = v.names.filter((n) => n !== name);
      changed = true;
    }
  }
  if (changed) writeFileAtomic(approvalsPath(home), `${JSON.stringify(all)}\n`, 0o600);
}
