// HashiCorp Vault / OpenBao as a capability provider, over Vault's HTTP API (followed: the API
// docs at developer.hashicorp.com/vault/api-docs, Vault 1.x; OpenBao keeps the same paths):
//   login   POST /v1/auth/<approle>/login {role_id, secret_id} · POST /v1/auth/<jwt>/login {role, jwt}
//           → auth.client_token; or a token read from a source. Logins are revoked afterwards with
//           POST /v1/auth/token/revoke-self.
//   mint    GET /v1/<mount>/creds/<role> (any dynamic engine) → {lease_id, lease_duration, data}
//           GET /v1/<kv-mount>/data/<path>[?version=N] (KV v2) → {data: {data, metadata}}
//   revoke  PUT /v1/sys/leases/revoke {lease_id} → 204
//   verify  PUT /v1/sys/leases/lookup {lease_id} → 200 (still active) or 400 "invalid lease" (gone)
// Namespaces (Vault Enterprise, OpenBao) go in the X-Vault-Namespace header.
// Tested against an API fake (test/helpers/fake-vault.ts) whose database engine drives a real
// PostgreSQL; no Vault or OpenBao server runs on the project's machines.
import { HookpackError } from "../../core/errors.js";
import type { VaultProvider as CapabilityProvider } from "../../rules/policy.js";
import {
  resolveSource,
  type LeaseProvider,
  type Minted,
  type ProviderContext,
} from "../lease-provider.js";

const TIMEOUT_MS = 10_000;

interface VaultReply {
  status: number;
  body: Record<string, unknown> | undefined;
}

function failed(
  what: string,
  hint = "check the Vault address, namespace and hookpack's login in hookpack.json, and that the login's policy allows this path.",
): HookpackError {
  return new HookpackError("LEASE_MINT_FAILED", `hookpack: Vault ${what}.`, hint);
}

/** Vault's own error list, shortened (Vault's errors name paths and reasons, never secret values). */
function errorsOf(reply: VaultReply): string {
  const errors = (reply.body?.errors as unknown[] | undefined)?.map(String).join("; ") ?? "";
  return errors ? `: ${errors.slice(0, 200)}` : "";
}

async function call(
  spec: CapabilityProvider,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<VaultReply> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (token) headers["x-vault-token"] = token;
  if (spec.namespace) headers["x-vault-namespace"] = spec.namespace;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`${spec.address}/v1/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw failed(
      `at ${spec.address} is not reachable (${cause})`,
      "start Vault or fix the address in hookpack.json; hookpack does not run the command without the credential.",
    );
  }
  const text = await res.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed };
}

interface Session {
  token: string;
  /** A login hookpack made (AppRole, JWT): revoked when hookpack is done with it. */
  ownLogin: boolean;
}

const tokens = new Map<string, Promise<string>>();

async function login(spec: CapabilityProvider, ctx: ProviderContext): Promise<Session> {
  const auth = spec.auth;
  if ("token" in auth) {
    // Read once per process (mint, revoke and verify of one call would open the store three times).
    const key = JSON.stringify(auth.token);
    let token = tokens.get(key);
    if (!token) {
      token = resolveSource(auth.token, "the Vault token", ctx);
      tokens.set(key, token);
      token.catch(() => tokens.delete(key));
    }
    return { token: await token, ownLogin: false };
  }
  let reply: VaultReply;
  let method: string;
  if ("approle" in auth) {
    method = "AppRole";
    const secretId = await resolveSource(auth.approle.secretId, "the Vault AppRole secret_id", ctx);
    reply = await call(spec, "POST", `auth/${auth.approle.mount ?? "approle"}/login`, undefined, {
      role_id: auth.approle.roleId,
      secret_id: secretId,
    });
  } else {
    method = "JWT";
    const jwt = await resolveSource(auth.jwt.token, "the JWT for Vault's JWT login", ctx);
    reply = await call(spec, "POST", `auth/${auth.jwt.mount ?? "jwt"}/login`, undefined, {
      role: auth.jwt.role,
      jwt,
    });
  }
  const token = (reply.body?.auth as { client_token?: unknown } | undefined)?.client_token;
  if (reply.status !== 200 || typeof token !== "string" || !token)
    throw failed(`${method} login was refused (HTTP ${reply.status}${errorsOf(reply)})`);
  return { token, ownLogin: true };
}

async function logout(spec: CapabilityProvider, session: Session): Promise<void> {
  if (!session.ownLogin) return;
  await call(spec, "POST", "auth/token/revoke-self", session.token).catch(() => undefined);
}

function strings(data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((data as Record<string, unknown>) ?? {})) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

const mint: LeaseProvider["mint"] = async (cap, _grant, ctx): Promise<Minted> => {
  const spec = cap.provider as CapabilityProvider;
  const session = await login(spec, ctx);
  try {
    if (spec.kv) {
      const path = `${spec.kv.mount}/data/${spec.kv.path}${spec.kv.version ? `?version=${spec.kv.version}` : ""}`;
      const reply = await call(spec, "GET", path, session.token);
      if (reply.status !== 200)
        throw failed(
          `refused the KV v2 read of ${spec.kv.mount}/${spec.kv.path} (HTTP ${reply.status}${errorsOf(reply)})`,
        );
      const data = (reply.body?.data as { data?: unknown } | undefined)?.data;
      if (!data || typeof data !== "object")
        throw failed(
          `returned no data for ${spec.kv.mount}/${spec.kv.path} (deleted or destroyed version?)`,
        );
      return {
        fields: strings(data),
        handle: { path: `${spec.kv.mount}/${spec.kv.path}` },
        revocable: false,
      };
    }
    const reply = await call(spec, "GET", spec.path!, session.token);
    if (reply.status !== 200)
      throw failed(`refused to mint ${spec.path} (HTTP ${reply.status}${errorsOf(reply)})`);
    const leaseId = reply.body?.lease_id;
    if (typeof leaseId !== "string" || !leaseId) {
      throw failed(
        `returned no lease for ${spec.path}: it is not a dynamic secret`,
        'use "kv" for a KV secret, or point "path" at a dynamic engine (database/creds/<role>, aws/creds/<role>, …).',
      );
    }
    const duration = Number(reply.body?.lease_duration ?? 0);
    return {
      fields: strings(reply.body?.data),
      handle: { leaseId },
      ...(duration > 0 ? { expiresAt: new Date(Date.now() + duration * 1000).toISOString() } : {}),
      revocable: true,
    };
  } finally {
    // A dynamic secret outlives the login that minted it only until Vault revokes the login's
    // children: revoking our own login here would revoke the lease too early. Keep the login for
    // KV reads only as long as the read.
    if (spec.kv) await logout(spec, session);
  }
};

const revoke: LeaseProvider["revoke"] = async (lease, ctx) => {
  const spec = lease.spec as CapabilityProvider;
  const session = await login(spec, ctx);
  try {
    const reply = await call(spec, "PUT", "sys/leases/revoke", session.token, {
      lease_id: lease.handle.leaseId,
    });
    if (reply.status !== 204 && reply.status !== 200)
      throw new Error(
        `Vault refused to revoke lease ${lease.handle.leaseId} (HTTP ${reply.status}${errorsOf(reply)})`,
      );
  } finally {
    await logout(spec, session);
  }
};

const verify: LeaseProvider["verify"] = async (lease, ctx) => {
  const spec = lease.spec as CapabilityProvider;
  const session = await login(spec, ctx);
  try {
    const reply = await call(spec, "PUT", "sys/leases/lookup", session.token, {
      lease_id: lease.handle.leaseId,
    });
    if (reply.status === 200) return "active";
    if (reply.status === 400 && /invalid lease/i.test(errorsOf(reply))) return "revoked";
    return "unknown";
  } finally {
    await logout(spec, session);
  }
};

export const vaultProvider: LeaseProvider = { mint, revoke, verify };
