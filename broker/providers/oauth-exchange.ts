// OAuth 2.0 token exchange as a capability provider:
//   mint    RFC 8693: POST <token endpoint> grant_type=urn:ietf:params:oauth:grant-type:token-exchange
//           with the user's token as subject_token and the capability's (narrower) scope, audience
//           and resource; the client authenticates with HTTP Basic (client_secret_basic). A reply
//           with a scope wider than asked for is revoked and refused.
//   revoke  RFC 7009: POST <revocation endpoint> token=…&token_type_hint=access_token (200).
//   verify  RFC 7662: POST <introspection endpoint> token=… → {"active": false} means it is gone.
// The exchanged token is needed to revoke it, so the lease keeps it sealed (broker/leases.ts).
// Tested against a real authorization server (oidc-provider, test/helpers/oauth-server.ts).
import { HookpackError } from "../../core/errors.js";
import type { OAuthExchangeProvider } from "../../rules/policy.js";
import { resolveSource, type LeaseProvider, type ProviderContext } from "../lease-provider.js";

const TE = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT = "urn:ietf:params:oauth:token-type:access_token";
const TIMEOUT_MS = 10_000;

const failed = (
  what: string,
  hint = "check the endpoints, client and subject token named in hookpack.json.",
) => new HookpackError("LEASE_MINT_FAILED", `hookpack: the authorization server ${what}.`, hint);

async function post(
  spec: OAuthExchangeProvider,
  url: string,
  body: Record<string, string>,
  ctx: ProviderContext,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const secret = await resolveSource(
    spec.clientSecret,
    `the OAuth client secret of ${spec.clientId}`,
    ctx,
  );
  const basic = Buffer.from(
    `${encodeURIComponent(spec.clientId)}:${encodeURIComponent(secret)}`,
  ).toString("base64");
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams(body).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    throw failed(
      `at ${url} is not reachable (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name})`,
      "check the endpoint in hookpack.json and that the server runs.",
    );
  }
  const text = await res.text();
  try {
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    return { status: res.status, body: {} };
  }
}

const why = (b: Record<string, unknown>) =>
  typeof b.error === "string"
    ? `: ${b.error}${typeof b.error_description === "string" ? ` (${b.error_description.slice(0, 150)})` : ""}`
    : "";

const mint: LeaseProvider["mint"] = async (cap, _grant, ctx) => {
  const spec = cap.provider as OAuthExchangeProvider;
  const subject = await resolveSource(spec.subjectToken, "the subject token to exchange", ctx);
  const reply = await post(
    spec,
    spec.tokenEndpoint,
    {
      grant_type: TE,
      subject_token: subject,
      subject_token_type: AT,
      requested_token_type: AT,
      scope: spec.scope,
      ...(spec.audience ? { audience: spec.audience } : {}),
      ...(spec.resource ? { resource: spec.resource } : {}),
    },
    ctx,
  );
  const token = reply.body.access_token;
  if (reply.status !== 200 || typeof token !== "string" || !token)
    throw failed(
      `refused the token exchange for scope "${spec.scope}" (HTTP ${reply.status}${why(reply.body)})`,
    );
  const asked = new Set(spec.scope.split(" ").filter(Boolean));
  const got = String(reply.body.scope ?? spec.scope)
    .split(" ")
    .filter(Boolean);
  if (got.some((s) => !asked.has(s))) {
    await post(
      spec,
      spec.revocationEndpoint,
      { token, token_type_hint: "access_token" },
      ctx,
    ).catch(() => undefined);
    throw failed(`returned a wider scope than asked for (${got.join(" ")}); the token was revoked`);
  }
  const expiresIn = Number(reply.body.expires_in ?? 0);
  return {
    fields: {
      access_token: token,
      token_type: String(reply.body.token_type ?? "Bearer"),
      scope: got.join(" "),
    },
    handle: { scope: got.join(" ") },
    secretHandle: { token },
    public: ["token_type", "scope"],
    ...(expiresIn > 0 ? { expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() } : {}),
    revocable: true,
  };
};

const revoke: LeaseProvider["revoke"] = async (lease, ctx, secret) => {
  if (!secret?.token) throw new Error("the token to revoke is not available");
  const spec = lease.spec as OAuthExchangeProvider;
  const reply = await post(
    spec,
    spec.revocationEndpoint,
    { token: secret.token, token_type_hint: "access_token" },
    ctx,
  );
  if (reply.status !== 200)
    throw new Error(
      `the authorization server refused to revoke the token (HTTP ${reply.status}${why(reply.body)})`,
    );
};

const verify: LeaseProvider["verify"] = async (lease, ctx, secret) => {
  const spec = lease.spec as OAuthExchangeProvider;
  if (!secret?.token || !spec.introspectionEndpoint) return "unknown";
  const reply = await post(
    spec,
    spec.introspectionEndpoint,
    { token: secret.token, token_type_hint: "access_token" },
    ctx,
  );
  if (reply.status !== 200) return "unknown";
  return reply.body.active === false ? "revoked" : "active";
};

export const oauthExchangeProvider: LeaseProvider = { mint, revoke, verify };
