// Grants: short-lived, single-use permissions minted by the pre-tool hook for one tool call and
// checked by `hookpack exec --grant`. One JSON file per grant under $HOOKPACK_HOME/grants/
// (0600, written atomically). A grant is bound to the secret names, the sha256 of the exact argv
// the broker will run, the agent session and tool-call id, and an expiry. Redeeming renames the
// file (atomic: exactly one process wins), checks it, and leaves a small tombstone so a reuse is
// reported as a reuse. Values never appear here.
import type * as Crypto from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { HookpackError } from "../installer/errors.js";
import { ensurePrivateDir, writeFileAtomic } from "./fs-safe.js";
import type { CapabilityPolicy, Policy } from "../rules/policy.js";

/** rules/policy.ts POLICY_FILE; the policy module itself is loaded only when a call needs it. */
const POLICY_FILE = "hookpack.json";
import type { OfferedCall, SecretRefHost } from "../rules/rewrite-secret-refs.js";
import type { SelfInvocation } from "../rules/secret-refs.js";
import type { ProviderSpec } from "./providers.js";

// node:crypto (with the stream internals it pulls in) is loaded on first use: this module is in the
// hook bundle, and a plain allow never needs it.
const crypto = (): typeof Crypto => process.getBuiltinModule("node:crypto");

export const GRANTS_DIR = "grants";
export const GRANT_ID_RE = /^g_[a-z2-7]{26}$/;
const GRANT_FILE_RE = /^g_[a-z2-7]{26}\.json$/;
/** Tombstones of used, expired or revoked grants are kept this long, then cleaned up. */
export const TOMBSTONE_TTL_MS = 24 * 60 * 60 * 1000;

export interface Grant {
  version: 1;
  id: string;
  names: string[];
  /** sha256 hex of JSON.stringify(argv) of the command after `--`. */
  commandSha256: string;
  agent: string;
  session: string;
  toolCallId: string | undefined;
  cwd: string;
  createdAt: string;
  expiresAt: string;
  /** "once": a successful exec records the approval for this session. */
  approval: "auto" | "ask" | "once";
  /** Providers from the project policy, for names the store does not know. */
  providers?: Record<string, ProviderSpec>;
  /**
   * Delivery binding (one program per grant): sha256 hex of the key the rewritten command carries
   * (the key itself is never stored), the placeholders the broker swaps for values (placeholder →
   * name), the environment variables that carry one (sha256 of their exact texts) and whether the
   * program's stdin carries one. A grant with a key is redeemable only with that key.
   */
  keySha256?: string;
  placeholders?: Record<string, string>;
  envSha256?: string;
  envNames?: string[];
  stdin?: boolean;
  /** sha256 hex of the whole rewritten tool call (an agent that cannot rewrite input runs it as offered). */
  callSha256?: string;
  /** Capabilities to mint at exec time ($cap:NAME): their value-free policy, copied at grant time. */
  capabilities?: CapabilityPolicy[];
}

interface Tombstone {
  id: string;
  state: "used" | "revoked" | "expired" | "refused";
  at: string;
  names: string[];
  session: string;
}

export const grantsDir = (home: string): string => join(home, GRANTS_DIR);
const grantFile = (home: string, id: string) => join(grantsDir(home), `${id}.json`);
const tombFile = (home: string, id: string) => join(grantsDir(home), `${id}.done`);

export function hashArgv(argv: readonly string[]): string {
  return crypto().createHash("sha256").update(JSON.stringify(argv)).digest("hex");
}

export const sha256Hex = (text: string): string => crypto().createHash("sha256").update(text).digest("hex");

/** The env binding: variable names in order with their exact texts. */
export function hashEnv(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): string {
  return sha256Hex(JSON.stringify([...names].sort().map((n) => [n, env[n] ?? null])));
}

/** A random key for a rewritten call: 26 base32 characters (130 bits). */
export function newGrantKey(): string {
  return newId().slice(2);
}

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
function newId(): string {
  const bytes = crypto().randomBytes(16);
  let bits = 0;
  let acc = 0;
  let out = "";
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return `g_${out.slice(0, 26)}`;
}

export interface MintRequest {
  names: string[];
  argv: readonly string[];
  agent: string;
  session: string;
  toolCallId: string | undefined;
  cwd: string;
  ttlMs: number;
  approval: Grant["approval"];
  providers?: Record<string, ProviderSpec>;
  /** Delivery binding (see Grant). */
  key?: string;
  placeholders?: Record<string, string>;
  env?: Record<string, string>;
  stdin?: boolean;
  callSha256?: string;
  capabilities?: CapabilityPolicy[];
  now?: number;
}

/** Writes a new grant and returns it; also sweeps expired grants and old tombstones. */
export function mintGrant(home: string, req: MintRequest): Grant {
  const now = req.now ?? Date.now();
  const grant: Grant = {
    version: 1,
    id: newId(),
    names: [...new Set(req.names)].sort(),
    commandSha256: hashArgv(req.argv),
    agent: req.agent,
    session: req.session,
    toolCallId: req.toolCallId,
    cwd: req.cwd,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + req.ttlMs).toISOString(),
    approval: req.approval,
    ...(req.providers && Object.keys(req.providers).length > 0 ? { providers: req.providers } : {}),
    ...(req.key !== undefined ? { keySha256: sha256Hex(req.key) } : {}),
    ...(req.placeholders ? { placeholders: req.placeholders } : {}),
    ...(req.env ? { envNames: Object.keys(req.env).sort(), envSha256: hashEnv(req.env, Object.keys(req.env)) } : {}),
    ...(req.stdin ? { stdin: true } : {}),
    ...(req.callSha256 ? { callSha256: req.callSha256 } : {}),
    ...(req.capabilities && req.capabilities.length > 0 ? { capabilities: req.capabilities } : {}),
  };
  ensurePrivateDir(home);
  ensurePrivateDir(grantsDir(home));
  writeFileAtomic(grantFile(home, grant.id), `${JSON.stringify(grant)}\n`, 0o600);
  sweepGrants(home, now);
  return grant;
}

function tombstone(home: string, id: string, t: Omit<Tombstone, "id" | "at">, now: number): void {
  try {
    writeFileAtomic(tombFile(home, id), `${JSON.stringify({ id, at: new Date(now).toISOString(), ...t })}\n`, 0o600);
  } catch {
    // A missing tombstone only turns a later "already used" into "unknown".
  }
}

export interface RedeemRequest {
  id: string;
  argv: readonly string[];
  /** The names given with --secret (must equal the grant's); ignored for a grant with placeholders. */
  names: readonly string[];
  /** --grant-key: required by a grant minted with a key. */
  key?: string;
  /** The broker's environment: the grant's envNames must hold exactly the texts it was minted for. */
  env?: Readonly<Record<string, string | undefined>>;
  /** --stdin-refs was given. */
  stdin?: boolean;
  now?: number;
}

function refused(code: string, message: string, hint: string): HookpackError {
  return new HookpackError(code, `hookpack: ${message} The command was not started.`, hint);
}

const RETRY = "ask the agent to run its original command again (with the $secret: reference); the hook mints a fresh grant for each tool call.";

/**
 * Takes the grant for this exec: exactly once, unexpired, for exactly this command and these
 * names. Throws a HookpackError (code GRANT_*) otherwise; the grant is burnt either way.
 */
export function redeemGrant(home: string, req: RedeemRequest): Grant {
  const now = req.now ?? Date.now();
  if (!GRANT_ID_RE.test(req.id)) throw refused("GRANT_INVALID", `"${req.id.slice(0, 40)}" is not a grant id.`, RETRY);
  const file = grantFile(home, req.id);
  const claimed = `${file}.${process.pid}.${crypto().randomBytes(3).toString("hex")}.claim`;
  try {
    renameSync(file, claimed);
  } catch {
    let tomb: Tombstone | undefined;
    try {
      tomb = JSON.parse(readFileSync(tombFile(home, req.id), "utf8")) as Tombstone;
    } catch {
      tomb = undefined;
    }
    if (tomb?.state === "used" || tomb?.state === "refused") throw refused("GRANT_USED", `grant ${req.id} was already used (${tomb.at}); a grant is good for one run.`, RETRY);
    if (tomb?.state === "revoked") throw refused("GRANT_REVOKED", `grant ${req.id} was revoked (${tomb.at}).`, "the secret was revoked with `hookpack revoke`; store a new value before using it again.");
    if (tomb?.state === "expired") throw refused("GRANT_EXPIRED", `grant ${req.id} expired.`, RETRY);
    throw refused("GRANT_UNKNOWN", `grant ${req.id} is unknown (no such grant in ${grantsDir(home)}).`, RETRY);
  }
  let grant: Grant;
  try {
    grant = JSON.parse(readFileSync(claimed, "utf8")) as Grant;
  } catch {
    safeUnlink(claimed);
    throw refused("GRANT_UNKNOWN", `grant ${req.id} is unreadable.`, RETRY);
  }
  safeUnlink(claimed);
  const base = { names: grant.names, session: grant.session };
  if (Date.parse(grant.expiresAt) <= now) {
    tombstone(home, req.id, { ...base, state: "expired" }, now);
    throw refused("GRANT_EXPIRED", `grant ${req.id} expired at ${grant.expiresAt}.`, RETRY);
  }
  const names = grant.placeholders ? grant.names : [...new Set(req.names)].sort();
  if (grant.keySha256 !== undefined && (req.key === undefined || !sameHex(grant.keySha256, sha256Hex(req.key)))) {
    tombstone(home, req.id, { ...base, state: "refused" }, now);
    throw refused("GRANT_MISMATCH", `grant ${req.id} was presented without its key; only the call hookpack rewrote may redeem it, and it has been revoked.`, RETRY);
  }
  const envOk = grant.envNames === undefined || (req.env !== undefined && grant.envSha256 === hashEnv(req.env, grant.envNames));
  if (grant.commandSha256 !== hashArgv(req.argv) || names.join(",") !== grant.names.join(",") || !envOk || (req.stdin === true) !== (grant.stdin === true)) {
    tombstone(home, req.id, { ...base, state: "refused" }, now);
    throw refused("GRANT_MISMATCH", `grant ${req.id} was issued for a different command or different secrets; it has been revoked.`, RETRY);
  }
  tombstone(home, req.id, { ...base, state: "used" }, now);
  return grant;
}

/**
 * Is grant `id` still pending (not redeemed, revoked or expired) and minted for exactly these
 * names and this argv, in this agent session? Reads only; `hookpack exec` still redeems it.
 */
export function isPendingGrantFor(home: string, call: Extract<OfferedCall, { id: string }>, now = Date.now()): boolean {
  if (!GRANT_ID_RE.test(call.id)) return false;
  let grant: Grant;
  try {
    grant = JSON.parse(readFileSync(grantFile(home, call.id), "utf8")) as Grant;
  } catch {
    return false;
  }
  return (
    Date.parse(grant.expiresAt) > now &&
    grant.agent === call.agent &&
    grant.session === call.session &&
    grant.commandSha256 === hashArgv(call.argv) &&
    [...new Set(call.names)].sort().join(",") === grant.names.join(",")
  );
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && crypto().timingSafeEqual(x, y);
}

/** Is there a pending grant, in this agent session, for exactly this rewritten call text? Reads only. */
export function isPendingCall(home: string, text: string, agent: string, session: string, now = Date.now()): boolean {
  const want = sha256Hex(text);
  for (const entry of listDir(home)) {
    if (!GRANT_FILE_RE.test(entry)) continue;
    try {
      const grant = JSON.parse(readFileSync(join(grantsDir(home), entry), "utf8")) as Grant;
      if (grant.callSha256 === want && grant.agent === agent && grant.session === session && Date.parse(grant.expiresAt) > now) return true;
    } catch {
      // raced with a redeemer
    }
  }
  return false;
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

function listDir(home: string): string[] {
  try {
    return readdirSync(grantsDir(home));
  } catch {
    return [];
  }
}

/** Revokes every outstanding grant that carries `name`; returns how many. (Used by `hookpack revoke`.) */
export function revokeGrantsFor(home: string, name: string, now = Date.now()): number {
  let count = 0;
  for (const entry of listDir(home)) {
    if (!GRANT_FILE_RE.test(entry)) continue;
    const path = join(grantsDir(home), entry);
    let grant: Grant;
    try {
      grant = JSON.parse(readFileSync(path, "utf8")) as Grant;
    } catch {
      continue;
    }
    if (!grant.names.includes(name)) continue;
    const claimed = `${path}.${process.pid}.revoke.claim`;
    try {
      renameSync(path, claimed);
    } catch {
      continue; // redeemed or revoked concurrently
    }
    tombstone(home, grant.id, { state: "revoked", names: grant.names, session: grant.session }, now);
    safeUnlink(claimed);
    count++;
  }
  revokeApprovalsFor(home, name);
  return count;
}

/** Expired grants become tombstones; tombstones and stray claims older than a day are removed. */
export function sweepGrants(home: string, now = Date.now()): void {
  for (const entry of listDir(home)) {
    const path = join(grantsDir(home), entry);
    try {
      if (GRANT_FILE_RE.test(entry)) {
        const grant = JSON.parse(readFileSync(path, "utf8")) as Grant;
        if (Date.parse(grant.expiresAt) <= now) {
          tombstone(home, grant.id, { state: "expired", names: grant.names, session: grant.session }, now);
          safeUnlink(path);
        }
      } else if (entry.endsWith(".done") || entry.endsWith(".claim") || entry.endsWith(".tmp")) {
        if (now - statSync(path).mtimeMs > TOMBSTONE_TTL_MS) safeUnlink(path);
      }
    } catch {
      // raced with a redeemer or a half-written file: next sweep
    }
  }
}

// ----- "once" approvals: a human approved a secret for one agent session ----------------------

const APPROVALS_FILE = "approvals.json";
type Approvals = Record<string, { names: string[]; at: string }>;
const sessionKey = (agent: string, session: string) => crypto().createHash("sha256").update(`${agent}\u0000${session}`).digest("hex").slice(0, 32);

function readApprovals(home: string): Approvals {
  try {
    return JSON.parse(readFileSync(join(grantsDir(home), APPROVALS_FILE), "utf8")) as Approvals;
  } catch {
    return {};
  }
}

export function isApprovedForSession(home: string, agent: string, session: string, name: string): boolean {
  return readApprovals(home)[sessionKey(agent, session)]?.names.includes(name) ?? false;
}

/** Records that the human approved these names for this session (after a successful redeem). */
export function recordSessionApproval(home: string, agent: string, session: string, names: readonly string[], now = Date.now()): void {
  const all = readApprovals(home);
  const key = sessionKey(agent, session);
  const cutoff = now - 7 * TOMBSTONE_TTL_MS;
  for (const [k, v] of Object.entries(all)) if (Date.parse(v.at) < cutoff) delete all[k];
  all[key] = { names: [...new Set([...(all[key]?.names ?? []), ...names])].sort(), at: new Date(now).toISOString() };
  ensurePrivateDir(grantsDir(home));
  writeFileAtomic(join(grantsDir(home), APPROVALS_FILE), `${JSON.stringify(all)}\n`, 0o600);
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
  if (changed) writeFileAtomic(join(grantsDir(home), APPROVALS_FILE), `${JSON.stringify(all)}\n`, 0o600);
}

// ----- the hook's capability for rules/rewrite-secret-refs.ts ---------------------------------

/** The nearest hookpack.json from `cwd` up to the project root (a directory holding .git). */
export function findPolicyFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (let i = 0; i < 64; i++) {
    const candidate = join(dir, POLICY_FILE);
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, ".git"))) return undefined;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/** Names in the store file (broker/store.ts STORE_FILE; not imported to keep the hook bundle small), read without the key (names are not secret; values stay encrypted). */
function storedNames(home: string): string[] | undefined {
  try {
    const data = JSON.parse(readFileSync(join(home, "store.json"), "utf8")) as { entries?: Record<string, unknown> };
    return Object.keys(data.entries ?? {}).sort();
  } catch {
    return undefined;
  }
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOOKPACK_HOME ? resolve(env.HOOKPACK_HOME) : join(env.HOME ?? homedir(), ".hookpack");
}

/** How the rewritten command calls hookpack: the same node and bundle that run this hook. */
export function selfInvocation(): SelfInvocation {
  const argv1 = process.argv[1];
  const script = argv1 && /hookpack\.c?js$/.test(argv1) ? resolve(argv1) : join(typeof __dirname === "string" ? __dirname : dirname(argv1 ?? "."), "hookpack.cjs");
  return { node: process.execPath, script };
}

export function createSecretRefHost(env: NodeJS.ProcessEnv): SecretRefHost {
  const home = homeOf(env);
  return {
    home,
    userHome: env.HOME ?? homedir(),
    self: selfInvocation(),
    async loadPolicy(cwd): Promise<Policy> {
      // The repository root's hookpack.json as the user last approved it (a nearer file, or an
      // unapproved change, never applies): broker/policy-approval.ts.
      const [{ NO_POLICY, parsePolicy }, { policyInForce }] = await Promise.all([import("../rules/policy.js"), import("./policy-approval.js")]);
      const state = policyInForce(home, cwd);
      if (state.state === "none") return NO_POLICY;
      if (state.state === "approved") return parsePolicy(state.text, state.path);
      if (state.text === undefined) return { ...NO_POLICY, pending: state.path };
      return { ...(await parsePolicy(state.text, state.path)), pending: state.path };
    },
    storedNames: () => storedNames(home),
    approvedForSession: (agent, session, name) => isApprovedForSession(home, agent, session, name),
    mintGrant: (req) => {
      const g = mintGrant(home, req);
      return { id: g.id, expiresAt: g.expiresAt };
    },
    isOffered: (call) => ("text" in call ? call.ids.length > 0 && isPendingCall(home, call.text, call.agent, call.session) : isPendingGrantFor(home, call)),
  };
}
