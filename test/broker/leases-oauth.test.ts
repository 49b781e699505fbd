// OAuth 2.0 token exchange (RFC 8693) + revocation (RFC 7009) as a capability, through the real
// hook and `hookpack exec`, against a REAL authorization server (oidc-provider, loopback) and a
// resource server that honours a token only while introspection says it is active.
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOAuth, type OAuthWorld } from "../helpers/oauth-server.js";
import { assertBuilt, waitFor } from "./helpers.js";
import { leaseEntries, projectWith, readAudit, type Project } from "./lease-fixture.js";

let as: OAuthWorld;
let bin: string;
let p: Project | undefined;
beforeAll(async () => {
  assertBuilt();
  as = await startOAuth();
  // `apicall PATH`: a client that reads its bearer token from API_TOKEN.
  bin = mkdtempSync(join(tmpdir(), "hookpack-oauthbin-"));
  writeFileSync(
    join(bin, "apicall"),
    `#!/bin/sh\nexec curl -sS -w ' %{http_code}\\n' -H "Authorization: Bearer $API_TOKEN" "$API_URL$1"\n`,
  );
  chmodSync(join(bin, "apicall"), 0o755);
  // `apicall-slow PATH`: the same call, then a wait, so the exec can be killed while it runs.
  writeFileSync(join(bin, "apicall-slow"), `#!/bin/sh\napicall "$1"\nsleep 30\n`);
  chmodSync(join(bin, "apicall-slow"), 0o755);
}, 60_000);
afterAll(async () => {
  await as?.close();
  rmSync(bin, { recursive: true, force: true });
});
afterEach(() => {
  p?.sb.cleanup();
  p = undefined;
});

async function apiProject(scope = "repo:read"): Promise<{ q: Project; user: string }> {
  const user = await as.userToken();
  const q = projectWith(
    {
      "read-api": {
        provider: {
          oauth: {
            tokenEndpoint: as.token,
            revocationEndpoint: as.revocation,
            introspectionEndpoint: as.introspection,
            clientId: as.broker.id,
            clientSecret: { secret: "OAUTH_CLIENT_SECRET" },
            subjectToken: { secret: "USER_TOKEN" },
            scope,
          },
        },
        scope: "read the API",
        ttl: "2m",
        commands: ["apicall", "apicall-slow"],
        approval: "auto",
        env: { API_TOKEN: "access_token", API_URL: { value: as.api } },
      },
    },
    {
      secrets: { OAUTH_CLIENT_SECRET: as.broker.secret, USER_TOKEN: user },
      env: { PATH: `${bin}:${process.env.PATH}` },
    },
  );
  return { q, user };
}

describe("OAuth 2.0 token exchange capability (real authorization server)", () => {
  it("exchanges the user's token for a down-scoped one per call, which works during the call and is revoked (inactive) after it", async () => {
    const { q, user } = await apiProject();
    p = q;
    const before = as.exchanges;
    const h = p.hook(`$cap:read-api apicall /things`);
    expect(h.decision, h.reason).toBe("rewrite");
    const ran = await p.bash(h.command!);
    expect(ran.stderr).toBe("");
    expect(as.exchanges).toBe(before + 1);
    // The resource server saw an active token with the narrowed scope only.
    expect(ran.stdout).toBe('{"ok":true,"scope":"repo:read"} 200\n');
    const ended = leaseEntries(p.sb).filter((e) => e.kind === "lease-ended");
    expect(ended).toMatchObject([
      { outcome: "revoked_at_exit", verified: "revoked", provider: "oauth" },
    ]);
    // The exchanged token, replayed after the call: refused by the resource server.
    const exchanged = as.seen.at(-1)!;
    expect(exchanged).not.toBe(user);
    const replay = await fetch(`${as.api}/things`, {
      headers: { authorization: `Bearer ${exchanged}` },
    });
    expect(replay.status).toBe(401);
    expect(ran.stdout.includes(exchanged)).toBe(false);
    // The user's own token is untouched (still active, both scopes): only the exchanged one died.
    expect(await as.introspect(user)).toMatchObject({
      active: true,
      scope: "repo:read repo:write",
    });
    expect(JSON.stringify(readAudit(p.sb)).includes(user)).toBe(false);
  });

  it("asking for a wider scope than the user's token fails closed (invalid_scope); nothing runs", async () => {
    const { q } = await apiProject("repo:read repo:admin");
    p = q;
    const ran = await p.bash(p.hook(`$cap:read-api apicall /things`).command!);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toMatch(
      /the authorization server refused the token exchange for scope "repo:read repo:admin" \(HTTP 400: invalid_scope/,
    );
    expect(leaseEntries(p.sb)).toMatchObject([{ kind: "lease-refused", outcome: "mint_failed" }]);
  });

  it("crash orphan: the drill revokes the exchanged token a SIGKILLed exec left behind; replayed, the resource server refuses it", async () => {
    const { q } = await apiProject();
    p = q;
    const h = p.hook(`$cap:read-api apicall-slow /things`);
    const bg = p.bashAsync(h.command!);
    await waitFor(() => {
      try {
        return readdirSync(join(p!.sb.hookpackHome, "leases")).some((f) => f.endsWith(".json"));
      } catch {
        return false;
      }
    }, 15_000);
    bg.child.kill("SIGKILL"); // bash exec'd into hookpack exec: this is the exec
    await bg.done;
    const sweep = await p.cli(["revoke", "--leases", "--json"]);
    expect(sweep.status, sweep.stderr).toBe(0);
    const out = JSON.parse(sweep.stdout) as { revoked: Array<Record<string, unknown>> };
    expect(out.revoked).toMatchObject([
      {
        capability: "read-api",
        outcome: "revoked_by_drill",
        verified: "revoked",
        provider: "oauth",
      },
    ]);
    const replay = await fetch(`${as.api}/things`, {
      headers: { authorization: `Bearer ${as.seen.at(-1)!}` },
    });
    expect(replay.status).toBe(401);
  }, 60_000);
});
