// GitHub App installation tokens as a capability provider (GitHub REST API, version 2022-11-28):
//   mint    an App JWT (RS256, iss = App id, iat 60 s in the past, exp 9 min ahead) signed with the
//           App's private key, then POST /app/installations/{id}/access_tokens with
//           {repositories, permissions}: the token is narrowed to the current repository (or the
//           listed ones) and the permissions the capability names. GitHub can only narrow, never
//           widen; hookpack also refuses a reply wider than it asked for.
//   revoke  DELETE /installation/token with the token itself (204).
//   verify  GET /installation/repositories with the token: 401 means it is gone.
// The token is needed to revoke it, so the lease keeps it sealed (broker/leases.ts). Installation
// tokens live one hour at GitHub and cannot be shortened; hookpack revokes at exit.
// Tested against a contract fake (test/helpers/fake-github.ts): no GitHub-compatible server runs here.
import { spawnSync } from "node:child_process";
import { createSign } from "node:crypto";
import { HookpackError } from "../../core/errors.js";
import type { GithubAppProvider } from "../../rules/policy.js";
import { resolveSource, type LeaseProvider } from "../lease-provider.js";

const TIMEOUT_MS = 10_000;

const failed = (
  what: string,
  hint = "check the App id, installation id and private key in hookpack.json, and that the installation covers this repository.",
) => new HookpackError("LEASE_MINT_FAILED", `hookpack: GitHub ${what}.`, hint);

function appJwt(appId: string, pem: string): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const head = `${enc({ alg: "RS256", typ: "JWT" })}.${enc({ iat: now - 60, exp: now + 540, iss: appId })}`;
  let sig: string;
  try {
    sig = createSign("RSA-SHA256").update(head).sign(pem).toString("base64url");
  } catch {
    throw failed(
      "App private key cannot sign (not an RSA private key in PEM form)",
      "store the App's .pem with `hookpack secret set NAME < app.pem`.",
    );
  }
  return `${head}.${sig}`;
}

/** The current repository's name from `git remote get-url origin` (github.com or an Enterprise host). */
function currentRepository(cwd: string): string | undefined {
  const r = spawnSync("git", ["-C", cwd, "remote", "get-url", "origin"], {
    encoding: "utf8",
    timeout: 5000,
  });
  if (r.status !== 0) return undefined;
  const m = /[:/]([^/:\s]+)\/([^/\s]+?)(\.git)?\/?$/.exec(r.stdout.trim());
  return m?.[2];
}

async function call(
  spec: GithubAppProvider,
  method: string,
  path: string,
  auth: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  let res: Response;
  try {
    res = await fetch(`${spec.api}${path}`, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: auth,
        "x-github-api-version": "2022-11-28",
        "user-agent": "hookpack",
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    throw failed(
      `API at ${spec.api} is not reachable (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name})`,
      'check the network or the "api" address in hookpack.json.',
    );
  }
  const text = await res.text();
  try {
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
  } catch {
    return { status: res.status, body: undefined };
  }
}

const message = (b: Record<string, unknown> | undefined) =>
  typeof b?.message === "string" ? `: ${b.message.slice(0, 200)}` : "";

const mint: LeaseProvider["mint"] = async (cap, _grant, ctx) => {
  const spec = cap.provider as GithubAppProvider;
  const repositories =
    spec.repositories ?? [currentRepository(ctx.cwd)].filter((r): r is string => !!r);
  if (repositories.length === 0)
    throw failed(
      "token cannot be narrowed: this directory has no git remote `origin` naming a repository",
      'set "repositories" in the capability, or run from the repository.',
    );
  const pem = await resolveSource(spec.privateKey, "the GitHub App private key", ctx);
  const reply = await call(
    spec,
    "POST",
    `/app/installations/${spec.installationId}/access_tokens`,
    `Bearer ${appJwt(spec.appId, pem)}`,
    { repositories, permissions: spec.permissions },
  );
  const token = reply.body?.token;
  if (reply.status !== 201 || typeof token !== "string" || !token)
    throw failed(
      `refused an installation token for ${repositories.join(", ")} (HTTP ${reply.status}${message(reply.body)})`,
    );
  const granted = (reply.body?.permissions ?? {}) as Record<string, string>;
  const repos = ((reply.body?.repositories ?? []) as Array<{ name?: string }>).map(
    (r) => r.name ?? "",
  );
  const wider = Object.entries(granted).filter(
    ([k, v]) => !(k in spec.permissions) || (spec.permissions[k] === "read" && v !== "read"),
  );
  if (wider.length > 0 || repos.some((r) => !repositories.includes(r))) {
    await call(spec, "DELETE", "/installation/token", `Bearer ${token}`).catch(() => undefined);
    throw failed(
      `returned a token wider than asked for (${[...wider.map(([k, v]) => `${k}:${v}`), ...repos.filter((r) => !repositories.includes(r))].join(", ")}); it was revoked`,
    );
  }
  return {
    fields: { token, expires_at: String(reply.body?.expires_at ?? "") },
    handle: {
      repositories: repositories.join(","),
      permissions: Object.entries(granted)
        .map(([k, v]) => `${k}:${v}`)
        .join(","),
    },
    secretHandle: { token },
    public: ["expires_at"],
    ...(typeof reply.body?.expires_at === "string" ? { expiresAt: reply.body.expires_at } : {}),
    revocable: true,
  };
};

const revoke: LeaseProvider["revoke"] = async (lease, _ctx, secret) => {
  if (!secret?.token) throw new Error("the token to revoke is not available");
  const reply = await call(
    lease.spec as GithubAppProvider,
    "DELETE",
    "/installation/token",
    `Bearer ${secret.token}`,
  );
  // 401: already revoked or expired, which is what we want.
  if (reply.status !== 204 && reply.status !== 401)
    throw new Error(
      `GitHub refused to revoke the installation token (HTTP ${reply.status}${message(reply.body)})`,
    );
};

const verify: LeaseProvider["verify"] = async (lease, _ctx, secret) => {
  if (!secret?.token) return "unknown";
  const reply = await call(
    lease.spec as GithubAppProvider,
    "GET",
    "/installation/repositories",
    `Bearer ${secret.token}`,
  );
  if (reply.status === 401) return "revoked";
  return reply.status === 200 ? "active" : "unknown";
};

export const githubAppProvider: LeaseProvider = { mint, revoke, verify };
