// Leases: every credential minted for a capability ($cap:NAME) is a lease, recorded value-free in
// $HOOKPACK_HOME/leases/<id>.json (0600) from the moment it exists until it is revoked. The
// record names the provider, capability, scope, TTL, the grant, agent, session and tool call, the
// process that owns it (the `hookpack exec` that minted it) and a value-free handle the provider
// needs to revoke it (a Vault lease id). The exec revokes its leases when the command exits; a
// lease whose owner died (SIGKILL, a crash, a reboot) is an orphan, revoked by the next hookpack
// process that sweeps (`hookpack exec`, `hookpack leases`, `hookpack revoke --leases`, the broker
// at start). Every issue, end and refusal is an audit entry. Values never appear here.
import type * as Crypto from "node:crypto";
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { HookpackError } from "../core/errors.js";
import { LEASES_DIR } from "../core/files.js";
import type { CapabilityPolicy, CapabilityProvider } from "../rules/policy.js";
import { tryRecordAudit, type AuditEvent } from "./audit.js";
import { ensurePrivateDir, writeFileAtomic } from "../core/fs-safe.js";
import type {
  TtlOnlyError,
  Lease,
  LeaseProvider,
  Minted,
  ProviderContext,
  Verification,
} from "./lease-provider.js";

const crypto = (): typeof Crypto => process.getBuiltinModule("node:crypto");

export const LEASE_ID_RE = /^l_[a-z2-7]{20}$/;
const LEASE_FILE_RE = /^l_[a-z2-7]{20}\.json$/;
/** Tombstones of ended leases are kept this long (to name a refused reuse), then removed. */
const TOMBSTONE_TTL_MS = 24 * 60 * 60 * 1000;

/** How a lease ended (audit `outcome`). */
export type LeaseOutcome =
  /** The brokered command exited (normally or by a signal) and the exec revoked it. */
  | "revoked_at_exit"
  /** Its TTL passed first; hookpack revoked it then (or found it expired), and nothing reused it through hookpack. */
  | "expired_without_reuse"
  /** Its exec died without revoking it; the next hookpack process revoked it. */
  | "revoked_after_crash"
  /** `hookpack revoke --leases`. */
  | "revoked_by_drill"
  /** A standing secret (Vault KV): nothing to revoke at the source; hookpack forgot it. */
  | "released_not_revocable"
  /** The source cannot end it early (AWS STS without iam:PutRolePolicy): it lives until its TTL. */
  | "expires_at_ttl_only";

const KEY_FILE = ".key";

function sealKey(home: string, create: boolean): Buffer | undefined {
  const path = join(leasesDir(home), KEY_FILE);
  try {
    const k = readFileSync(path);
    if (k.length === 32) return k;
  } catch {
    // created below
  }
  if (!create) return undefined;
  ensurePrivateDir(home);
  ensurePrivateDir(leasesDir(home));
  const k = crypto().randomBytes(32);
  writeFileAtomic(path, k, 0o600);
  return k;
}

function seal(home: string, id: string, data: Record<string, string>): string {
  const key = sealKey(home, true)!;
  const iv = crypto().randomBytes(12);
  const c = crypto().createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(id));
  const body = Buffer.concat([c.update(JSON.stringify(data), "utf8"), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]).toString("base64");
}

function unseal(home: string, lease: Lease): Record<string, string> | undefined {
  if (!lease.sealed) return undefined;
  const key = sealKey(home, false);
  if (!key) return undefined;
  try {
    const raw = Buffer.from(lease.sealed, "base64");
    const d = crypto().createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    d.setAAD(Buffer.from(lease.id));
    d.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(
      Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8"),
    ) as Record<string, string>;
  } catch {
    return undefined;
  }
}

async function providerFor(kind: CapabilityProvider["kind"]): Promise<LeaseProvider> {
  switch (kind) {
    case "vault":
      return (await import("./providers/vault.js")).vaultProvider;
    case "github":
      return (await import("./providers/github-app.js")).githubAppProvider;
    case "oauth":
      return (await import("./providers/oauth-exchange.js")).oauthExchangeProvider;
    case "sts":
      return (await import("./providers/aws-sts.js")).stsProvider;
  }
}

export const leasesDir = (home: string): string => join(home, LEASES_DIR);
const leaseFile = (home: string, id: string) => join(leasesDir(home), `${id}.json`);
const tombFile = (home: string, id: string) => join(leasesDir(home), `${id}.done`);

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
function newLeaseId(): string {
  const bytes = crypto().randomBytes(13);
  let out = "";
  for (let i = 0; i < 20; i++) out += B32[bytes[Math.floor((i * 5) / 8)]! % 32];
  return `l_${out}`;
}

/** The audit entry for a lease that ended (or failed to), naming its capability, never a value. */
function endedEntry(
  lease: Lease,
  outcome: LeaseOutcome | "revoke_failed",
  extra: { error?: string; verified?: Verification },
): AuditEvent {
  return {
    kind: "lease-ended",
    agent: lease.agent,
    session: lease.session,
    cwd: lease.cwd,
    lease: lease.id,
    capability: lease.capability,
    provider: lease.provider,
    grant: lease.grant,
    outcome,
    ...extra,
    heldMs: Date.now() - Date.parse(lease.issuedAt),
  };
}

/** The start time of a process (Linux /proc), so a reused pid is not taken for the owner. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function ownerAlive(owner: Lease["owner"]): boolean {
  if (owner.host !== hostname()) return true; // another machine's lease (a shared home): not ours to judge
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = processStart(owner.pid);
  return owner.start === undefined || start === undefined || start === owner.start;
}

function audit(home: string, event: AuditEvent, note?: (text: string) => void): void {
  tryRecordAudit(home, event, (message) =>
    note?.(`hookpack: could not write the audit log in ${home}: ${message}.\n`),
  );
}

/**
 * Lease records are authenticated: each carries `mac`, an HMAC-SHA256 of the rest of the record
 * under a key derived from the leases key (leases/.key, 0600, beside the sealed revoke data). A
 * record that was edited, written by hand, or left without its key is not acted on with what it
 * says — a sweep or the drill would otherwise send hookpack's provider login to the address a
 * forged `spec` names, or revoke whatever `handle` it names — and is reported instead (fail
 * closed: revoke_failed, an audit entry, listed by `hookpack leases`). The key stops an edit made
 * without reading it (a text check slipped, a tool that writes but cannot read hookpack's
 * directory); an agent that can read $HOOKPACK_HOME can read the key too (see the README's threat
 * model: an OS sandbox is the boundary).
 */
function macKey(home: string, create: boolean): Buffer | undefined {
  const key = sealKey(home, create);
  return key && crypto().createHmac("sha256", key).update("hookpack lease record v1").digest();
}

function recordMac(key: Buffer, lease: Lease): string {
  const { mac: _mac, ...rest } = lease as Lease & { mac?: string };
  return crypto().createHmac("sha256", key).update(JSON.stringify(rest)).digest("hex");
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && crypto().timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Leases read from a record that does not verify: never revoked or verified with their contents. */
const unverified = new WeakSet<Lease>();

/** Why a lease record was not acted on (for `hookpack leases`, the audit log and the exec's note). */
export const UNVERIFIED_RECORD =
  "its record was changed outside hookpack (it does not verify), so hookpack did not contact the source it names; revoke the credential at its source by hand, then remove the record";

function writeLease(home: string, lease: Lease): void {
  ensurePrivateDir(home);
  ensurePrivateDir(leasesDir(home));
  const { mac: _mac, ...rest } = lease as Lease & { mac?: string };
  const record = { ...rest, mac: recordMac(macKey(home, true)!, rest as Lease) };
  writeFileAtomic(leaseFile(home, lease.id), `${JSON.stringify(record)}\n`, 0o600);
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/** Open leases on this machine, oldest first. */
export function listLeases(home: string): Lease[] {
  let entries: string[];
  try {
    entries = readdirSync(leasesDir(home));
  } catch {
    return [];
  }
  const out: Lease[] = [];
  const key = macKey(home, false);
  for (const e of entries) {
    if (!LEASE_FILE_RE.test(e)) continue;
    try {
      const lease = JSON.parse(readFileSync(join(leasesDir(home), e), "utf8")) as Lease & {
        mac?: unknown;
      };
      if (typeof lease !== "object" || lease === null) continue;
      const ok =
        key !== undefined &&
        typeof lease.mac === "string" &&
        `${lease.id}.json` === e &&
        sameHex(lease.mac, recordMac(key, lease));
      if (!ok) unverified.add(lease);
      out.push(lease);
    } catch {
      // half-written or removed concurrently
    }
  }
  return out.sort((a, b) => String(a.issuedAt).localeCompare(String(b.issuedAt)));
}

export interface MintContext extends ProviderContext {
  grant: { id: string; agent?: string; session?: string; toolCallId?: string };
  command: string;
  note?(text: string): void;
}

export interface MintedLease {
  lease: Lease;
  fields: Record<string, string>;
  /** Field names that are not secret (not masked). */
  public: string[];
}

/**
 * Mints one lease per capability, in order. All or nothing: when one provider cannot mint, the
 * ones already minted are revoked and the call fails closed (a HookpackError naming no value).
 */
export async function mintLeases(
  home: string,
  capabilities: readonly CapabilityPolicy[],
  ctx: MintContext,
): Promise<MintedLease[]> {
  const done: MintedLease[] = [];
  for (const cap of capabilities) {
    let minted: Minted;
    try {
      const provider = await providerFor(cap.provider.kind);
      minted = await provider.mint(
        cap,
        { id: ctx.grant.id, ttlMs: cap.ttlMs, agent: ctx.grant.agent },
        ctx,
      );
      const missing = cap.env
        .filter(
          (e): e is { var: string; field: string } =>
            "field" in e && minted.fields[e.field] === undefined,
        )
        .map((e) => e.field);
      if (missing.length > 0) {
        const orphan = leaseFrom(cap, minted, ctx);
        await provider.revoke(orphan, ctx, minted.secretHandle).catch(() => undefined);
        throw new HookpackError(
          "LEASE_MINT_FAILED",
          `hookpack: the credential minted for capability ${cap.name} has no field${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (it has: ${Object.keys(minted.fields).join(", ") || "none"}).`,
          "fix the capability's env mapping in hookpack.json.",
        );
      }
    } catch (error) {
      const reason =
        error instanceof HookpackError
          ? error.message.replace(/^hookpack: /, "")
          : `the ${cap.provider.kind} provider failed (${(error as Error).message})`;
      audit(
        home,
        {
          kind: "lease-refused",
          agent: ctx.grant.agent,
          session: ctx.grant.session,
          cwd: ctx.cwd,
          grant: ctx.grant.id,
          capabilities: capabilities.map((c) => c.name),
          code: "LEASE_MINT_FAILED",
          outcome: "mint_failed",
          reason: reason.slice(0, 400),
        },
        ctx.note,
      );
      for (const d of done)
        await endLease(home, d.lease, "revoked_at_exit", ctx).catch(() => undefined);
      throw new HookpackError(
        "LEASE_MINT_FAILED",
        `hookpack: capability ${cap.name} could not be minted: ${reason.replace(/\.$/, "")}. The command was not started (hookpack never falls back to a standing secret).`,
        error instanceof HookpackError && error.hint
          ? error.hint
          : `check that ${describeSpec(cap.provider)} is reachable and that hookpack's login there may mint this.`,
      );
    }
    const lease = leaseFrom(cap, minted, ctx);
    if (minted.secretHandle) lease.sealed = seal(home, lease.id, minted.secretHandle);
    writeLease(home, lease);
    audit(
      home,
      {
        kind: "lease-issued",
        agent: lease.agent,
        session: lease.session,
        cwd: lease.cwd,
        lease: lease.id,
        capability: cap.name,
        provider: lease.provider,
        scope: lease.scope,
        grant: lease.grant,
        toolCallId: lease.toolCallId,
        expires: lease.expiresAt,
        command: lease.command,
      },
      ctx.note,
    );
    done.push({ lease, fields: minted.fields, public: minted.public ?? [] });
  }
  return done;
}

function describeSpec(p: CapabilityProvider): string {
  return `${p.kind} at ${p.kind === "vault" ? p.address : p.kind === "github" ? p.api : p.kind === "sts" ? (p.endpoint ?? `sts.${p.region}.amazonaws.com`) : p.tokenEndpoint}`;
}

function leaseFrom(cap: CapabilityPolicy, minted: Minted, ctx: MintContext): Lease {
  const now = Date.now();
  const own = now + cap.ttlMs;
  const source = minted.expiresAt ? Date.parse(minted.expiresAt) : Infinity;
  return {
    version: 1,
    id: newLeaseId(),
    provider: cap.provider.kind,
    capability: cap.name,
    scope: cap.scope,
    ttlMs: cap.ttlMs,
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(Math.min(own, source)).toISOString(),
    grant: ctx.grant.id,
    agent: ctx.grant.agent,
    session: ctx.grant.session,
    toolCallId: ctx.grant.toolCallId,
    cwd: ctx.cwd,
    command: ctx.command,
    owner: { pid: process.pid, start: processStart(process.pid), host: hostname() },
    spec: cap.provider,
    handle: minted.handle,
    revocable: minted.revocable,
  };
}

export interface EndResult {
  lease: Lease;
  /** "already_ended": another hookpack process ended it first (nothing was done here). */
  outcome: LeaseOutcome | "revoke_failed" | "already_ended";
  verified?: Verification;
  error?: string;
}

/**
 * Revokes one lease at its source, checks that it is gone, records the audit entry and removes the
 * record. A failed revoke keeps the record (ownerless, so the next sweep retries) and says why.
 */
export async function endLease(
  home: string,
  lease: Lease,
  outcome: LeaseOutcome,
  ctx: ProviderContext & { note?(text: string): void },
): Promise<EndResult> {
  // Claimed by rename: exactly one process (the exec at exit, a sweep, the drill) ends a lease.
  if (unverified.has(lease)) {
    // Not contacted, not removed: listed until someone looks (fail closed, loudly).
    audit(home, endedEntry(lease, "revoke_failed", { error: UNVERIFIED_RECORD }), ctx.note);
    return { lease, outcome: "revoke_failed", error: UNVERIFIED_RECORD };
  }
  const claim = `${leaseFile(home, lease.id)}.${process.pid}.${crypto().randomBytes(3).toString("hex")}.claim`;
  try {
    renameSync(leaseFile(home, lease.id), claim);
  } catch {
    // Ended by another hookpack process (its tombstone, or its claim while it works) — or the
    // record was removed outside hookpack: then this process's own copy (the exec that minted it)
    // is revoked all the same, rather than left valid until its TTL.
    if (endedOrClaimed(home, lease.id)) return { lease, outcome: "already_ended" };
  }
  const provider = await providerFor(lease.provider);
  let verified: Verification | undefined;
  let final: LeaseOutcome = lease.revocable ? outcome : "released_not_revocable";
  // A lease its source could not revoke (expires_at_ttl_only) is over once its TTL has passed; before
  // that, an explicit end (the drill) tries the revoke again.
  const ttlOver = lease.ttlOnly === true && Date.parse(lease.expiresAt) <= Date.now();
  if (ttlOver) final = "expires_at_ttl_only";
  try {
    if (lease.revocable && !ttlOver) {
      const secret = unseal(home, lease);
      if (lease.sealed && !secret)
        throw new Error(
          `the sealed revoke data of lease ${lease.id} cannot be opened (${join(leasesDir(home), KEY_FILE)} missing or changed)`,
        );
      await provider.revoke(lease, ctx, secret);
      verified = await provider.verify(lease, ctx, secret).catch(() => "unknown" as const);
      if (verified === "active")
        throw new Error("the source still reports the lease as active after the revoke");
    }
  } catch (error) {
    const why = (
      error instanceof HookpackError
        ? error.message.replace(/^hookpack: /, "")
        : (error as Error).message
    ).slice(0, 300);
    // Duck-typed: the provider modules may be bundled apart from this one.
    const ttlOnly = (error as Partial<TtlOnlyError>).ttlOnly === true;
    if (!ttlOnly && Date.parse(lease.expiresAt) <= Date.now() && outcome !== "revoked_by_drill") {
      // The source's own TTL ends it; nothing more hookpack can do.
      final = "expired_without_reuse";
    } else {
      // The record stays listed. A lease its source cannot revoke (ttl-only) is loud and never
      // claimed revoked: not retried, listed until its TTL passes; any other is retried by the next
      // sweep or the drill. Callers print the reason (outcome revoke_failed).
      const until = ttlOnly ? (error as TtlOnlyError).until : undefined;
      const kept: Lease = {
        ...lease,
        owner: { pid: 0, start: undefined, host: hostname() },
        lastError: why,
        ...(ttlOnly ? { ttlOnly: true } : {}),
        ...(until && Date.parse(until) > Date.parse(lease.expiresAt) ? { expiresAt: until } : {}),
      };
      try {
        writeLease(home, kept);
        safeUnlink(claim);
      } catch {
        renameSync(claim, leaseFile(home, lease.id));
      }
      const said = ttlOnly ? "expires_at_ttl_only" : "revoke_failed";
      audit(home, endedEntry(lease, said, { error: why }), ctx.note);
      return { lease: kept, outcome: "revoke_failed", error: why };
    }
  }
  audit(home, endedEntry(lease, final, verified ? { verified } : {}), ctx.note);
  try {
    writeFileAtomic(
      tombFile(home, lease.id),
      `${JSON.stringify({ id: lease.id, grant: lease.grant, capability: lease.capability, outcome: final, at: new Date().toISOString() })}\n`,
      0o600,
    );
  } catch {
    // only the naming of a later reuse is lost
  }
  safeUnlink(claim);
  return { lease, outcome: final, verified };
}

/** Whether another hookpack process ended the lease (tombstone) or is ending it (a claim file). */
function endedOrClaimed(home: string, id: string): boolean {
  try {
    return readdirSync(leasesDir(home)).some(
      (e) => e === `${id}.done` || (e.startsWith(`${id}.json.`) && e.endsWith(".claim")),
    );
  } catch {
    return false;
  }
}

/**
 * Ends every lease whose owner is gone (crash-orphan) or whose TTL passed; old tombstones go.
 * Called by `hookpack exec` before it mints, by `hookpack leases` and by the broker at start.
 */
export async function sweepLeases(
  home: string,
  ctx: ProviderContext & { note?(text: string): void },
  now = Date.now(),
): Promise<EndResult[]> {
  const results: EndResult[] = [];
  for (const lease of listLeases(home)) {
    // A record that does not verify is reported at every sweep, whatever its dates and owner say.
    if (unverified.has(lease)) {
      results.push(await endLease(home, lease, "revoked_after_crash", ctx));
      continue;
    }
    const expired = Date.parse(lease.expiresAt) <= now;
    const orphan = lease.owner.pid === 0 || !ownerAlive(lease.owner);
    if (!expired && !orphan) continue;
    // Its source cannot revoke it (already said, loudly): nothing to retry until it expires.
    if (lease.ttlOnly && !expired) continue;
    results.push(
      await endLease(home, lease, expired ? "expired_without_reuse" : "revoked_after_crash", ctx),
    );
  }
  try {
    for (const e of readdirSync(leasesDir(home))) {
      if (!e.endsWith(".done") && !e.endsWith(".tmp") && !e.endsWith(".claim")) continue;
      const p = join(leasesDir(home), e);
      if (now - statSync(p).mtimeMs > TOMBSTONE_TTL_MS) safeUnlink(p);
    }
  } catch {
    // no leases directory yet
  }
  return results;
}

/**
 * The broker's sweep at start (issue 19): leases left by a process that died with them — an exec
 * killed mid-call, or a broker killed with the calls it served — are revoked at their source,
 * verified gone, and recorded (audit `lease-ended`, outcome `revoked_after_crash`), before the new
 * broker serves anything. Never throws; logs one line per lease (ids and outcomes, no values).
 */
export async function sweepAtBrokerStart(
  home: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<EndResult[]> {
  try {
    const results = (
      await sweepLeases(home, { home, env, cwd: home, note: (t) => log(t.trim()) })
    ).filter((r) => r.outcome !== "already_ended");
    for (const r of results)
      log(
        `lease ${r.lease.id} (${r.lease.capability}) of a process that died: ${r.outcome}${r.verified ? `, verified ${r.verified}` : ""}${r.error ? ` (${r.error})` : ""}`,
      );
    return results;
  } catch (error) {
    log(`could not sweep orphaned leases: ${(error as Error).message.split("\n")[0]}`);
    return [];
  }
}

/** The drill: revoke every open lease now, whoever owns it. */
export async function revokeAllLeases(
  home: string,
  ctx: ProviderContext & { note?(text: string): void },
): Promise<EndResult[]> {
  const results: EndResult[] = [];
  for (const lease of listLeases(home))
    results.push(await endLease(home, lease, "revoked_by_drill", ctx));
  return results;
}

/** Ended leases minted under grant `id` (from tombstones), to name them when the grant is replayed. */
export function endedLeasesOfGrant(
  home: string,
  grant: string,
): Array<{ id: string; capability: string; outcome: string }> {
  let entries: string[];
  try {
    entries = readdirSync(leasesDir(home));
  } catch {
    return [];
  }
  const out: Array<{ id: string; capability: string; outcome: string }> = [];
  for (const e of entries) {
    if (!e.endsWith(".done")) continue;
    try {
      const t = JSON.parse(readFileSync(join(leasesDir(home), e), "utf8")) as {
        id: string;
        grant: string;
        capability: string;
        outcome: string;
      };
      if (t.grant === grant) out.push({ id: t.id, capability: t.capability, outcome: t.outcome });
    } catch {
      // unreadable tombstone
    }
  }
  return out;
}

/** Records a refused reuse: a grant that minted leases was presented again. */
export function recordReuseRefused(
  home: string,
  grant: string,
  capabilities: readonly string[],
  code: string,
  ctx: { cwd: string; note?(text: string): void },
): void {
  const leases = endedLeasesOfGrant(home, grant.slice(0, 40));
  audit(
    home,
    {
      kind: "lease-refused",
      cwd: ctx.cwd,
      grant: grant.slice(0, 40),
      capabilities: [...capabilities],
      code,
      outcome: "reuse_refused",
      leases: leases.map((l) => l.id),
      reason:
        leases.length > 0
          ? `grant already used; its lease${leases.length > 1 ? "s" : ""} ${leases.map((l) => `${l.id} (${l.outcome})`).join(", ")} ended`
          : "grant not redeemable",
    },
    ctx.note,
  );
}
