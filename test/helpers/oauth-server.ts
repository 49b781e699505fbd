// A REAL OAuth 2.0 authorization server for the token-exchange capability tests: `oidc-provider`
// (panva, OpenID Certified; pinned devDependency) on loopback, with client_credentials,
// introspection (RFC 7662) and revocation (RFC 7009) switched on, plus a token-exchange grant
// (RFC 8693) registered through its documented `registerGrantType` extension point: the subject
// token must be an active access token, the requested scope may only narrow it, and the issued
// token lives at most 120 s. Also a tiny resource server that accepts a bearer token only while
// the authorization server's introspection says it is active.
import { createServer, type Server } from "node:http";
import Provider from "oidc-provider";

const TE = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT = "urn:ietf:params:oauth:token-type:access_token";

export interface OAuthWorld {
  issuer: string;
  token: string;
  revocation: string;
  introspection: string;
  api: string;
  broker: { id: string; secret: string };
  /** A user token (client_credentials, scope "repo:read repo:write", 600 s): the subject to exchange. */
  userToken(): Promise<string>;
  /** Introspection as the resource server. */
  introspect(token: string): Promise<{ active: boolean; scope?: string }>;
  exchanges: number;
  /** Bearer tokens the resource server was shown (so a test can replay one). */
  seen: string[];
  close(): Promise<void>;
}

const listen = (s: Server) =>
  new Promise<number>((r) =>
    s.listen(0, "127.0.0.1", () => r((s.address() as { port: number }).port)),
  );

export async function startOAuth(): Promise<OAuthWorld> {
  const holder = createServer();
  const port = await listen(holder);
  await new Promise<void>((r) => holder.close(() => r()));
  const issuer = `http://127.0.0.1:${port}`;
  const broker = {
    id: "hookpack-broker",
    secret: `bs-${Math.random().toString(36).slice(2)}${Date.now()}`,
  };
  const api = {
    id: "resource-api",
    secret: `as-${Math.random().toString(36).slice(2)}${Date.now()}`,
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: broker.id,
        client_secret: broker.secret,
        grant_types: ["client_credentials", TE],
        response_types: [],
        redirect_uris: [],
        scope: "repo:read repo:write",
      },
      {
        client_id: api.id,
        client_secret: api.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: ["repo:read", "repo:write"],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      devInteractions: { enabled: false },
    },
    ttl: { ClientCredentials: 600 },
  });
  const state = { exchanges: 0 };
  provider.registerGrantType(
    TE,
    async (ctx) => {
      const p = ctx.oidc.params as Record<string, string | undefined>;
      const subject = await provider.ClientCredentials.find(String(p.subject_token ?? ""));
      if (p.subject_token_type !== AT || !subject || subject.isExpired) {
        ctx.status = 400;
        ctx.body = {
          error: "invalid_grant",
          error_description: "subject token is not an active access token",
        };
        return;
      }
      const want = String(p.scope ?? "")
        .split(" ")
        .filter(Boolean);
      const have = new Set(String(subject.scope ?? "").split(" "));
      if (want.some((s) => !have.has(s))) {
        ctx.status = 400;
        ctx.body = { error: "invalid_scope", error_description: "cannot widen scope" };
        return;
      }
      const tok = new provider.ClientCredentials({
        client: ctx.oidc.client!,
        scope: want.join(" ") || String(subject.scope),
      });
      tok.expiresIn = Math.min(120, subject.remainingTTL);
      state.exchanges++;
      ctx.body = {
        access_token: await tok.save(),
        issued_token_type: AT,
        token_type: "Bearer",
        expires_in: tok.expiresIn,
        scope: tok.scope,
      };
    },
    [
      "subject_token",
      "subject_token_type",
      "actor_token",
      "actor_token_type",
      "audience",
      "resource",
      "scope",
      "requested_token_type",
    ],
  );
  const server = createServer(provider.callback());
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  const basic = (c: { id: string; secret: string }) =>
    `Basic ${Buffer.from(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`).toString("base64")}`;
  const form = async (
    url: string,
    c: { id: string; secret: string },
    body: Record<string, string>,
  ) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: basic(c), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body).toString(),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const introspect = async (token: string) =>
    (await form(`${issuer}/token/introspection`, api, { token })) as {
      active: boolean;
      scope?: string;
    };
  // The resource server: 200 with the token's scope while it is active, 401 otherwise.
  const seen: string[] = [];
  const resource = createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
    seen.push(token);
    void introspect(token).then((r) => {
      res.writeHead(r.active ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(r.active ? { ok: true, scope: r.scope } : { error: "invalid_token" }));
    });
  });
  const apiPort = await listen(resource);
  return {
    issuer,
    token: `${issuer}/token`,
    revocation: `${issuer}/token/revocation`,
    introspection: `${issuer}/token/introspection`,
    api: `http://127.0.0.1:${apiPort}`,
    broker,
    async userToken() {
      const r = await form(`${issuer}/token`, broker, {
        grant_type: "client_credentials",
        scope: "repo:read repo:write",
      });
      return String(r.access_token);
    },
    introspect,
    seen,
    get exchanges() {
      return state.exchanges;
    },
    close: async () => {
      for (const s of [server, resource]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
