// A fake HashiCorp Vault / OpenBao for the capability tests: exactly the HTTP endpoints hookpack's
// Vault provider calls, with the request and response shapes of Vault's API docs
// (developer.hashicorp.com/vault/api-docs, Vault 1.x: auth/approle, auth/jwt, auth/token,
// secret/kv/kv-v2, secret/databases, system/leases). Its database engine drives a REAL
// PostgreSQL: minting creates a role with `VALID UNTIL`, revoking terminates the role's sessions
// and drops it, the way Vault's PostgreSQL plugin does. Loopback only. No Vault server runs here.
import {
  createPublicKey,
  createVerify,
  randomBytes,
  randomUUID,
  type KeyObject,
} from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Postgres } from "./postgres.js";

export interface DbRole {
  /** SQL run after CREATE ROLE, with {{name}} replaced (e.g. GRANT pg_read_all_data TO "{{name}}"). */
  grants: string[];
  defaultTtlSeconds: number;
}

export interface FakeVaultOptions {
  postgres?: Postgres;
  /** The namespace every request must name (X-Vault-Namespace); undefined: no namespaces. */
  namespace?: string;
  rootToken: string;
  approle?: { roleId: string; secretId: string };
  /** JWT auth: RS256 public key (PEM) and the role name; `bound_audiences` checked when set. */
  jwt?: { role: string; publicKeyPem: string; audience?: string };
  kv?: Record<string, Record<string, string>>;
  dbRoles?: Record<string, DbRole>;
}

interface Token {
  token: string;
  revoked: boolean;
  via: "root" | "approle" | "jwt";
}

export interface DbLease {
  leaseId: string;
  username: string;
  /** Kept so a test can try the credential after its lease ended (a real server keeps no copy). */
  password: string;
  issued: number;
  expires: number;
  revoked: boolean;
}

export interface FakeVault {
  address: string;
  requests: Array<{ method: string; path: string; namespace?: string; body: string }>;
  leases: Map<string, DbLease>;
  tokens: Map<string, Token>;
  /** Make the next mint fail with HTTP 500 (the engine is down). */
  failMint: boolean;
  /** Make revocations fail with HTTP 500 until cleared. */
  failRevoke: boolean;
  close(): Promise<void>;
}

const b64url = (s: string) => Buffer.from(s, "base64url");

function verifyJwt(jwt: string, key: KeyObject, audience?: string): string | undefined {
  const parts = jwt.split(".");
  if (parts.length !== 3) return "malformed jwt";
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(b64url(h).toString("utf8")) as { alg?: string };
  if (header.alg !== "RS256") return "unsupported alg";
  const ok = createVerify("RSA-SHA256").update(`${h}.${p}`).verify(key, b64url(s));
  if (!ok) return "invalid signature";
  const claims = JSON.parse(b64url(p).toString("utf8")) as {
    exp?: number;
    aud?: string | string[];
  };
  if (!claims.exp || claims.exp * 1000 < Date.now()) return "token is expired";
  if (audience && !(Array.isArray(claims.aud) ? claims.aud : [claims.aud]).includes(audience))
    return "invalid audience";
  return undefined;
}

export async function startFakeVault(options: FakeVaultOptions): Promise<FakeVault> {
  const tokens = new Map<string, Token>([
    [options.rootToken, { token: options.rootToken, revoked: false, via: "root" }],
  ]);
  const leases = new Map<string, DbLease>();
  const requests: FakeVault["requests"] = [];
  const jwtKey = options.jwt ? createPublicKey(options.jwt.publicKeyPem) : undefined;
  const state = { failMint: false, failRevoke: false };

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const errors = (res: ServerResponse, status: number, ...messages: string[]) =>
    send(res, status, { errors: messages });
  const newToken = (via: Token["via"]) => {
    const token = `hvs.${randomBytes(18).toString("base64url")}`;
    tokens.set(token, { token, revoked: false, via });
    return {
      auth: {
        client_token: token,
        accessor: randomUUID(),
        policies: ["default", "hookpack"],
        lease_duration: 3600,
        renewable: true,
      },
    };
  };
  const revokeDb = (lease: DbLease) => {
    if (lease.revoked) return;
    // What Vault's PostgreSQL plugin does on revocation: end the sessions, then drop the role.
    options.postgres!.sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${lease.username}'; DROP ROLE IF EXISTS "${lease.username}";`,
    );
    lease.revoked = true;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://vault");
      const path = url.pathname.replace(/^\/v1\//, "");
      const namespace = req.headers["x-vault-namespace"] as string | undefined;
      requests.push({ method: req.method ?? "", path, namespace, body: raw });
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return errors(res, 400, "failed to parse JSON input");
      }
      if (!url.pathname.startsWith("/v1/")) return errors(res, 404);
      if ((options.namespace ?? undefined) !== (namespace || undefined))
        return errors(res, 403, "permission denied"); // wrong or missing namespace: nothing there
      try {
        // --- auth ---
        if (req.method === "POST" && path === "auth/approle/login") {
          if (
            !options.approle ||
            body.role_id !== options.approle.roleId ||
            body.secret_id !== options.approle.secretId
          )
            return errors(res, 400, "invalid role or secret ID");
          return send(res, 200, newToken("approle"));
        }
        if (req.method === "POST" && path === "auth/jwt/login") {
          if (!options.jwt || !jwtKey || body.role !== options.jwt.role)
            return errors(res, 400, `role "${String(body.role)}" could not be found`);
          const why = verifyJwt(String(body.jwt ?? ""), jwtKey, options.jwt.audience);
          if (why) return errors(res, 400, `error validating token: ${why}`);
          return send(res, 200, newToken("jwt"));
        }
        const token = tokens.get(String(req.headers["x-vault-token"] ?? ""));
        if (!token || token.revoked) return errors(res, 403, "permission denied");
        if (req.method === "POST" && path === "auth/token/revoke-self") {
          token.revoked = true;
          return send(res, 204);
        }
        // --- system/leases ---
        if ((req.method === "PUT" || req.method === "POST") && path === "sys/leases/revoke") {
          if (state.failRevoke)
            return errors(
              res,
              500,
              "1 error occurred:\n\t* failed to revoke lease: connection refused",
            );
          const lease = leases.get(String(body.lease_id ?? ""));
          if (lease) revokeDb(lease);
          return send(res, 204);
        }
        if ((req.method === "PUT" || req.method === "POST") && path === "sys/leases/lookup") {
          const lease = leases.get(String(body.lease_id ?? ""));
          if (!lease || lease.revoked || lease.expires <= Date.now())
            return errors(res, 400, "invalid lease");
          return send(res, 200, {
            data: {
              id: lease.leaseId,
              issue_time: new Date(lease.issued).toISOString(),
              expire_time: new Date(lease.expires).toISOString(),
              last_renewal_time: null,
              renewable: true,
              ttl: Math.round((lease.expires - Date.now()) / 1000),
            },
          });
        }
        // --- database secrets engine: GET database/creds/:name ---
        const creds = /^database\/creds\/([A-Za-z0-9_-]+)$/.exec(path);
        if (req.method === "GET" && creds) {
          const role = options.dbRoles?.[creds[1]!];
          if (!role || !options.postgres) return errors(res, 400, `unknown role: ${creds[1]}`);
          if (state.failMint)
            return errors(res, 500, "1 error occurred:\n\t* failed to connect to the database");
          const suffix = randomBytes(6).toString("hex");
          const username = `v-hp-${creds[1]}-${suffix}`;
          const password = `A1a-${randomBytes(15).toString("base64url")}`;
          const now = Date.now();
          const expires = now + role.defaultTtlSeconds * 1000;
          const validUntil = new Date(expires).toISOString();
          options.postgres.sql(
            `CREATE ROLE "${username}" WITH LOGIN PASSWORD '${password}' VALID UNTIL '${validUntil}'; ${role.grants.map((g) => g.replaceAll("{{name}}", username)).join("; ")};`,
          );
          const leaseId = `database/creds/${creds[1]}/${randomBytes(12).toString("base64url")}`;
          leases.set(leaseId, {
            leaseId,
            username,
            password,
            issued: now,
            expires,
            revoked: false,
          });
          return send(res, 200, {
            request_id: randomUUID(),
            lease_id: leaseId,
            renewable: true,
            lease_duration: role.defaultTtlSeconds,
            data: { username, password },
            wrap_info: null,
            warnings: null,
            auth: null,
          });
        }
        // --- KV v2: GET <mount>/data/<path> ---
        const kv = /^([A-Za-z0-9_-]+)\/data\/(.+)$/.exec(path);
        if (req.method === "GET" && kv) {
          const data = options.kv?.[`${kv[1]}/${kv[2]}`];
          if (!data) return errors(res, 404);
          return send(res, 200, {
            request_id: randomUUID(),
            lease_id: "",
            renewable: false,
            lease_duration: 0,
            data: {
              data,
              metadata: {
                created_time: new Date().toISOString(),
                deletion_time: "",
                destroyed: false,
                version: 1,
              },
            },
            wrap_info: null,
            warnings: null,
            auth: null,
          });
        }
        return errors(res, 404);
      } catch (error) {
        return errors(res, 500, (error as Error).message);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const fake: FakeVault = {
    address: `http://127.0.0.1:${port}`,
    requests,
    leases,
    tokens,
    get failMint() {
      return state.failMint;
    },
    set failMint(v: boolean) {
      state.failMint = v;
    },
    get failRevoke() {
      return state.failRevoke;
    },
    set failRevoke(v: boolean) {
      state.failRevoke = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return fake;
}
