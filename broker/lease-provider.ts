// What a lease provider module (broker/providers/<name>.ts) implements and may use: the lease
// record, the minted credential, and resolveSource for its own authentication value. A module of
// its own so that broker/leases.ts (which loads the providers lazily) and the providers do not
// import each other.
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { HookpackError } from "../core/errors.js";
import type { CapabilityPolicy, CapabilityProvider, CredentialSource } from "../rules/policy.js";
import type { KeyContext } from "./keys.js";

export interface Lease {
  version: 1;
  id: string;
  provider: CapabilityProvider["kind"];
  capability: string;
  scope: string;
  ttlMs: number;
  issuedAt: string;
  expiresAt: string;
  grant: string;
  agent: string | undefined;
  session: string | undefined;
  toolCallId: string | undefined;
  cwd: string;
  /** The command summary (masked). */
  command: string;
  owner: { pid: number; start: string | undefined; host: string };
  /** The capability's provider config (value-free), to revoke after a crash. */
  spec: CapabilityProvider;
  /** Provider data needed to revoke and verify (value-free: a Vault lease id, a role name). */
  handle: Record<string, string>;
  /**
   * What a provider can revoke only with the credential itself (a GitHub installation token, an
   * OAuth access token), sealed with AES-256-GCM under $HOOKPACK_HOME/leases/.key (0600), so a
   * crash-orphan can still be revoked. Never shown, never in the audit log.
   */
  sealed?: string;
  revocable: boolean;
  /** The last failed revoke, for `hookpack leases` (no value). */
  lastError?: string;
  /** The source cannot revoke it (TtlOnlyError): it stays listed until it expires, not retried. */
  ttlOnly?: boolean;
}

/** What a provider returns from mint: the credential's parts and how to end it. */
export interface Minted {
  fields: Record<string, string>;
  handle: Record<string, string>;
  /** Secret revoke data (sealed into the lease record, handed back to revoke/verify). */
  secretHandle?: Record<string, string>;
  /** Fields that are not secret (a token type, a scope, an expiry): delivered, not masked. */
  public?: string[];
  /** When the source ends it on its own (the provider's lease), if it says. */
  expiresAt?: string;
  revocable: boolean;
}

export type Verification = "revoked" | "active" | "unknown";

/**
 * Thrown by revoke when the source cannot end this credential early at all (AWS STS without
 * iam:PutRolePolicy): the lease ends "expires_at_ttl_only", loudly, never claimed revoked.
 */
export class TtlOnlyError extends Error {
  readonly ttlOnly = true;
  /** When the credential really ends at the source, if later than the lease's own TTL. */
  readonly until: string | undefined;
  constructor(message: string, until?: string) {
    super(message);
    this.until = until;
  }
}

export interface ProviderContext extends KeyContext {
  cwd: string;
}

/** Every provider module (broker/providers/<name>.ts) has this shape. */
export interface LeaseProvider {
  mint(
    capability: CapabilityPolicy,
    grant: { id: string; ttlMs: number; agent?: string },
    ctx: ProviderContext,
  ): Promise<Minted>;
  revoke(
    lease: Lease,
    ctx: ProviderContext,
    secret: Record<string, string> | undefined,
  ): Promise<void>;
  verify(
    lease: Lease,
    ctx: ProviderContext,
    secret: Record<string, string> | undefined,
  ): Promise<Verification>;
}

/** Reads an authentication value for a provider: the hookpack store, the broker's env, or a file. */
export async function resolveSource(
  source: CredentialSource,
  what: string,
  ctx: ProviderContext,
): Promise<string> {
  const fail = (why: string, hint: string) =>
    new HookpackError("LEASE_MINT_FAILED", `hookpack: cannot read ${what}: ${why}.`, hint);
  if ("env" in source) {
    const v = ctx.env[source.env];
    if (!v)
      throw fail(
        `environment variable ${source.env} is not set`,
        `export ${source.env} where hookpack runs, or keep it in the store: \`hookpack secret set NAME\` and {"secret": "NAME"} in hookpack.json.`,
      );
    return v.trim();
  }
  if ("file" in source) {
    const path = isAbsolute(source.file) ? source.file : join(ctx.cwd, source.file);
    try {
      const v = readFileSync(path, "utf8").trim();
      if (!v) throw new Error("empty");
      return v;
    } catch (error) {
      throw fail(
        `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        "check the file named in hookpack.json.",
      );
    }
  }
  const { openStore } = await import("./store.js");
  const store = await openStore(ctx);
  if (!store?.meta(source.secret))
    throw fail(
      `secret ${source.secret} is not in the hookpack store`,
      `run \`hookpack secret set ${source.secret}\`.`,
    );
  if (store.meta(source.secret)!.revoked)
    throw fail(
      `secret ${source.secret} was revoked`,
      `store a new value with \`hookpack secret set ${source.secret}\`.`,
    );
  const { resolveValue } = await import("./providers.js");
  return resolveValue(source.secret, store.meta(source.secret)!.provider, { ...ctx, store });
}
