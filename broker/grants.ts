// Grants: short-lived, single-use permissions minted by the pre-tool hook for one tool call and
// redeemed by `hookpack exec --grant`. They live only in the memory of the per-user broker process
// (broker/daemon.ts): nothing on disk for an agent to copy, list or forge. A grant is bound to the
// secret names, the sha256 of the exact argv the broker will run, the agent session and tool-call
// id, the approval and an expiry. Redeeming takes it out of the table (exactly one redeemer wins)
// and leaves a tombstone so a reuse is reported as a reuse. A rewritten call's grants are also
// bound to a random key that only the rewritten command carries (the table keeps its sha256): the
// agent never sees the key, so it cannot redeem a pending \`ask\` grant nor rebuild one from the
// grant id. Values never appear here. The
// GrantTable below is pure; the hook reaches it through broker/client.ts.
import type * as Crypto from "node:crypto";
import { join } from "node:path";
import { HookpackError } from "../core/errors.js";
import type { CapabilityPolicy } from "../rules/policy.js";
import type { OfferedCall } from "../rules/rewrite-secret-refs.js";
import type { ProviderSpec } from "./providers.js";
import type { InjectSpec } from "../rules/inject.js";

// node:crypto (with the stream internals it pulls in) is loaded on first use: this module is in the
// hook bundle, and a plain allow never needs it.
const crypto = (): typeof Crypto => process.getBuiltinModule("node:crypto");

export const GRANTS_DIR = "grants";
export const GRANT_ID_RE = /^g_[a-z2-7]{26}$/;
/** Tombstones of used, expired or revoked grants are kept this long, then forgotten. */
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
  /** Names whose value the broker's proxy injects into outbound HTTPS requests (policy `inject`). */
  inject?: Record<string, InjectSpec>;
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
  /** sha256 hex of the whole rewritten tool call, grant ids blanked (an agent that cannot rewrite input runs it as offered). */
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

export function hashArgv(argv: readonly string[]): string {
  return crypto().createHash("sha256").update(JSON.stringify(argv)).digest("hex");
}

export const sha256Hex = (text: string): string =>
  crypto().createHash("sha256").update(text).digest("hex");

/** The env binding: the bound variables (sorted) with their exact texts; an absent one counts as null. */
export function hashEnv(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): string {
  return sha256Hex(JSON.stringify([...names].sort().map((n) => [n, env[n] ?? null])));
}

/** A placeholder a rewritten call carries (rules/secret-refs.ts placeholderFor): what `hookpack exec` sends of its environment. */
export const PLACEHOLDER_RE = /HPK[a-z2-7]{16,}_\d+_/;

/** A random key for a rewritten call: 26 base32 characters (130 bits). */
export function newGrantKey(): string {
  return newId().slice(2);
}

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
function newId(): string {
  // 130 bits, no bias: 26 characters of 5 bits each from a bit stream.
  const bytes = crypto().randomBytes(17);
  let bits = 0;
  let acc = 0;
  let out = "";
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `g_${out}`;
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
  inject?: Record<string, InjectSpec>;
  /** Delivery binding (see Grant); the key is hashed on mint and never kept. */
  key?: string;
  placeholders?: Record<string, string>;
  env?: Record<string, string>;
  stdin?: boolean;
  callSha256?: string;
  capabilities?: CapabilityPolicy[];
  /**
   * Minted for an early rewrite request (issue 21: sent by the hook's entry before hook.cjs
   * loads): held, not redeemable, until the hook confirms on the same connection (arm); dropped
   * when it does not (drop). See hooks/rewrite-early.ts.
   */
  held?: boolean;
  now?: number;
}

export interface RedeemRequest {
  id: string;
  argv: readonly string[];
  /** The names given with --secret (must equal the grant's); ignored for a grant with placeholders. */
  names: readonly string[];
  /** The variable each name goes to (--secret NAME=ENVVAR): the hook always writes HOOKPACK_SECRET_<NAME>. */
  envVars?: Readonly<Record<string, string>>;
  /** --grant-key: required by a grant minted with a key. */
  key?: string;
  /** The redeemer's variables that hold a placeholder: the grant's envNames must hold exactly the texts it was minted for. */
  env?: Readonly<Record<string, string | undefined>>;
  /** --stdin-refs was given. */
  stdin?: boolean;
  now?: number;
}

/** rules/secret-refs.ts ENV_PREFIX: the variables the hook's rewritten commands read. */
const ENV_PREFIX = "HOOKPACK_SECRET_";

function refused(code: string, message: string, hint: string): HookpackError {
  return new HookpackError(code, `hookpack: ${message} The command was not started.`, hint);
}

const RETRY =
  "ask the agent to run its original command again (with the $secret: reference); the hook mints a fresh grant for each tool call.";

/** How often minting sweeps expired grants (GrantTable.mint). */
const SWEEP_EVERY_MS = 1000;

/** The broker's grants: in memory only, single use. */
export class GrantTable {
  private readonly live = new Map<string, Grant>();
  private readonly done = new Map<string, Tombstone>();
  /** Grants of an early rewrite not confirmed yet: in no other map, redeemable by nobody. */
  private readonly held = new Map<string, Grant>();
  /** Redeems waiting for a held grant to be armed or dropped (settled). */
  private readonly waiting = new Map<string, (() => void)[]>();

  /** When mint sweeps next (see mint). */
  private sweepAt = -Infinity;
  private sweptAt = -Infinity;

  mint(req: MintRequest): Grant {
    const now = req.now ?? Date.now();
    // The sweep walks every grant (~0.27 ms of the broker's CPU per mint with 2,000 held): at most
    // once a second from here. It is housekeeping only: redeem, isPendingFor and pending check each
    // grant's expiry themselves, so an expired grant not swept yet is still refused as expired.
    if (now >= this.sweepAt || now < this.sweptAt) this.sweep(now);
    const names = [...new Set(req.names)].sort();
    const inject = req.inject
      ? Object.fromEntries(Object.entries(req.inject).filter(([n]) => names.includes(n)))
      : {};
    const grant: Grant = {
      version: 1,
      id: newId(),
      names,
      commandSha256: hashArgv(req.argv),
      agent: req.agent,
      session: req.session,
      toolCallId: req.toolCallId,
      cwd: req.cwd,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + Math.min(req.ttlMs, TOMBSTONE_TTL_MS)).toISOString(),
      approval: req.approval,
      ...(req.providers && Object.keys(req.providers).length > 0
        ? { providers: req.providers }
        : {}),
      ...(Object.keys(inject).length > 0 ? { inject } : {}),
      ...(typeof req.key === "string" && req.key.length > 0
        ? { keySha256: sha256Hex(req.key) }
        : {}),
      ...(req.placeholders && typeof req.placeholders === "object"
        ? { placeholders: { ...req.placeholders } }
        : {}),
      ...(req.env && typeof req.env === "object"
        ? {
            envNames: Object.keys(req.env).sort(),
            envSha256: hashEnv(req.env, Object.keys(req.env)),
          }
        : {}),
      ...(req.stdin === true ? { stdin: true } : {}),
      ...(typeof req.callSha256 === "string" ? { callSha256: req.callSha256 } : {}),
      ...(req.capabilities && req.capabilities.length > 0
        ? { capabilities: req.capabilities }
        : {}),
    };
    if (req.held === true) this.held.set(grant.id, grant);
    else this.live.set(grant.id, grant);
    return grant;
  }

  /** The early rewrite's hook confirmed: its held grants become redeemable. */
  arm(ids: readonly string[]): void {
    for (const id of ids) {
      const g = this.held.get(id);
      if (!g) continue;
      this.held.delete(id);
      this.live.set(id, g);
      this.wake(id);
    }
  }

  /** The early rewrite's hook never confirmed (it denied, decided otherwise, or went away): revoked. */
  drop(ids: readonly string[], now = Date.now()): void {
    for (const id of ids) {
      const g = this.held.get(id);
      if (!g) continue;
      this.held.delete(id);
      this.done.set(id, {
        id,
        state: "revoked",
        at: new Date(now).toISOString(),
        names: g.names,
        session: g.session,
      });
      this.wake(id);
    }
  }

  private wake(id: string): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    for (const f of w ?? []) f();
  }

  /**
   * Resolves once `id` is not held (armed, dropped, or never held), or after `ms`: a redeem racing
   * the hook's confirmation waits for it instead of failing a call hookpack did rewrite. A grant
   * still held then is refused by redeem like any unknown one.
   */
  settled(id: unknown, ms: number): Promise<void> {
    if (typeof id !== "string" || !this.held.has(id)) return Promise.resolve();
    return new Promise((res) => {
      const t = setTimeout(res, ms);
      const list = this.waiting.get(id) ?? [];
      list.push(() => {
        clearTimeout(t);
        res();
      });
      this.waiting.set(id, list);
    });
  }

  private bury(grant: Grant, state: Tombstone["state"], now: number): void {
    this.live.delete(grant.id);
    this.done.set(grant.id, {
      id: grant.id,
      state,
      at: new Date(now).toISOString(),
      names: grant.names,
      session: grant.session,
    });
  }

  /**
   * Takes the grant for this exec: exactly once, unexpired, for exactly this command and these
   * names. Throws a HookpackError (code GRANT_*) otherwise; the grant is burnt either way.
   */
  redeem(req: RedeemRequest): Grant {
    const now = req.now ?? Date.now();
    if (typeof req.id !== "string" || !GRANT_ID_RE.test(req.id))
      throw refused("GRANT_INVALID", `"${String(req.id).slice(0, 40)}" is not a grant id.`, RETRY);
    const grant = this.live.get(req.id);
    if (!grant) {
      // An early rewrite's grant its hook has not confirmed: not redeemable, and burnt (whoever
      // presents it before the confirmation did not get it from the hook's answer).
      const early = this.held.get(req.id);
      if (early) {
        this.held.delete(req.id);
        this.done.set(req.id, {
          id: req.id,
          state: "refused",
          at: new Date(now).toISOString(),
          names: early.names,
          session: early.session,
        });
        this.wake(req.id);
        throw refused(
          "GRANT_UNCONFIRMED",
          `grant ${req.id} was not confirmed by the hook that asked for it; it has been revoked.`,
          RETRY,
        );
      }
      const tomb = this.done.get(req.id);
      if (tomb?.state === "used" || tomb?.state === "refused")
        throw refused(
          "GRANT_USED",
          `grant ${req.id} was already used (${tomb.at}); a grant is good for one run.`,
          RETRY,
        );
      if (tomb?.state === "revoked")
        throw refused(
          "GRANT_REVOKED",
          `grant ${req.id} was revoked (${tomb.at}).`,
          "the secret was revoked with `hookpack revoke`; store a new value before using it again.",
        );
      if (tomb?.state === "expired")
        throw refused("GRANT_EXPIRED", `grant ${req.id} expired.`, RETRY);
      throw refused(
        "GRANT_UNKNOWN",
        `grant ${req.id} is unknown to the hookpack broker (never issued, or issued before the broker restarted).`,
        RETRY,
      );
    }
    if (Date.parse(grant.expiresAt) <= now) {
      this.bury(grant, "expired", now);
      throw refused("GRANT_EXPIRED", `grant ${req.id} expired at ${grant.expiresAt}.`, RETRY);
    }
    // A rewritten call's grant: only the holder of the key the rewritten command carries redeems it
    // (the agent saw neither; a pending `ask` grant is not the agent's to take).
    if (
      grant.keySha256 !== undefined &&
      (typeof req.key !== "string" || !sameHex(grant.keySha256, sha256Hex(req.key)))
    ) {
      this.bury(grant, "refused", now);
      throw refused(
        "GRANT_MISMATCH",
        `grant ${req.id} was presented without its key; only the call hookpack rewrote may redeem it, and it has been revoked.`,
        RETRY,
      );
    }
    const names = grant.placeholders
      ? grant.names
      : [...new Set(Array.isArray(req.names) ? req.names : [])].sort();
    const envVarsOk =
      req.envVars === undefined ||
      Object.entries(req.envVars).every(([n, v]) => v === `${ENV_PREFIX}${n}`);
    // The variables that carry a placeholder are exactly the bound ones, with exactly their texts
    // (a placeholder moved into BASH_ENV, LD_PRELOAD or PATH is another call).
    const envGiven = req.env !== undefined && req.env !== null && typeof req.env === "object";
    const carrying = envGiven ? Object.keys(req.env!).sort().join(",") : undefined;
    const envOk =
      grant.keySha256 === undefined
        ? grant.envNames === undefined ||
          (envGiven && grant.envSha256 === hashEnv(req.env!, grant.envNames))
        : envGiven &&
          carrying === (grant.envNames ?? []).join(",") &&
          (grant.envNames === undefined || grant.envSha256 === hashEnv(req.env!, grant.envNames));
    const stdinOk = (req.stdin === true) === (grant.stdin === true);
    const keyless = grant.keySha256 === undefined && grant.placeholders !== undefined;
    if (
      !Array.isArray(req.argv) ||
      grant.commandSha256 !== hashArgv(req.argv) ||
      names.join(",") !== grant.names.join(",") ||
      !envVarsOk ||
      !envOk ||
      !stdinOk ||
      keyless
    ) {
      this.bury(grant, "refused", now);
      throw refused(
        "GRANT_MISMATCH",
        `grant ${req.id} was issued for a different command or different secrets; it has been revoked.`,
        RETRY,
      );
    }
    this.bury(grant, "used", now);
    return grant;
  }

  /**
   * Is this offered call (a rewritten call, `$secret:` or `$cap:`, its text with grant ids blanked)
   * still pending in this agent session? Every id it carries is a live grant minted for exactly
   * that text.
   */
  isPendingFor(call: OfferedCall, now = Date.now()): boolean {
    if (!call || typeof call !== "object") return false;
    if (typeof call.text !== "string" || !Array.isArray(call.ids) || call.ids.length === 0)
      return false;
    const want = sha256Hex(call.text);
    return call.ids.every((id) => {
      const g = typeof id === "string" ? this.live.get(id) : undefined;
      return (
        g !== undefined &&
        g.callSha256 === want &&
        g.agent === call.agent &&
        g.session === call.session &&
        Date.parse(g.expiresAt) > now
      );
    });
  }

  /** Revokes every outstanding grant that carries `name`; returns how many. */
  revokeFor(name: string, now = Date.now()): number {
    let count = 0;
    for (const grant of [...this.live.values()]) {
      if (!grant.names.includes(name)) continue;
      this.bury(grant, "revoked", now);
      count++;
    }
    return count;
  }

  /** Expired grants become tombstones; tombstones older than a day are forgotten. */
  sweep(now = Date.now()): void {
    this.sweptAt = now;
    this.sweepAt = now + SWEEP_EVERY_MS;
    for (const grant of [...this.live.values()])
      if (Date.parse(grant.expiresAt) <= now) this.bury(grant, "expired", now);
    for (const [id, t] of this.done)
      if (now - Date.parse(t.at) > TOMBSTONE_TTL_MS) this.done.delete(id);
  }

  /** Grants of early rewrites awaiting their hook's confirmation (`broker status --json`: grantsHeld). */
  heldCount(): number {
    return this.held.size;
  }

  /** Unexpired grants not yet redeemed. */
  pending(now = Date.now()): number {
    let n = 0;
    for (const g of this.live.values()) if (Date.parse(g.expiresAt) > now) n++;
    return n;
  }
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && crypto().timingSafeEqual(x, y);
}

// "once" approvals moved to broker/session-approvals.ts; re-exported for broker/exec.ts until it
// imports them from there. The hook's capability for rules/rewrite-secret-refs.ts is
// hooks/secret-ref-host.ts.
export {
  isApprovedForSession,
  recordSessionApproval,
  revokeApprovalsFor,
} from "./session-approvals.js";
