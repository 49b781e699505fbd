// GitHub App installation tokens as capabilities, through the real hook and `hookpack exec`,
// against the contract fake (test/helpers/fake-github.ts) that checks the App JWT's RS256
// signature, enforces narrowing and refuses a revoked token.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeGithub, type FakeGithub } from "../helpers/fake-github.js";
import { assertBuilt, waitFor } from "./helpers.js";
import { leaseEntries, projectWith, readAudit, type Project } from "./lease-fixture.js";

const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
let gh: FakeGithub;
let bin: string;
let p: Project | undefined;

beforeAll(async () => {
  assertBuilt();
  gh = await startFakeGithub({
    appId: "123456",
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    installationId: 77,
    owner: "acme",
    repositories: ["app", "infra"],
    permissions: { contents: "write", pull_requests: "write", metadata: "read" },
  });
  // `ghapi PATH`: a stand-in for `gh api` (reads GH_TOKEN from its environment).
  bin = mkdtempSync(join(tmpdir(), "hookpack-ghbin-"));
  writeFileSync(
    join(bin, "ghapi"),
    `#!/bin/sh\nexec curl -sS -w ' %{http_code}\\n' -H "Authorization: Bearer $GH_TOKEN" "$GITHUB_API_URL$1"\n`,
  );
  chmodSync(join(bin, "ghapi"), 0o755);
  // `ghapi-slow PATH`: the same call, then a wait, so the exec can be killed while it runs.
  writeFileSync(join(bin, "ghapi-slow"), `#!/bin/sh\nghapi "$1"\nsleep 30\n`);
  chmodSync(join(bin, "ghapi-slow"), 0o755);
});
afterAll(async () => {
  await gh?.close();
  rmSync(bin, { recursive: true, force: true });
});
afterEach(() => {
  p?.sb.cleanup();
  p = undefined;
});

function repoProject(cap: Record<string, unknown> = {}, key = PEM): Project {
  return projectWith(
    {
      "read-repo": {
        provider: {
          github: {
            api: gh.api,
            appId: 123456,
            installationId: 77,
            privateKey: { secret: "GH_APP_KEY" },
            permissions: { contents: "read" },
          },
        },
        scope: "read this repository's contents",
        ttl: "10m",
        commands: ["ghapi", "ghapi-slow"],
        approval: "auto",
        env: { GH_TOKEN: "token", GITHUB_API_URL: { value: gh.api } },
        ...cap,
      },
    },
    {
      secrets: { GH_APP_KEY: key },
      env: { PATH: `${bin}:${process.env.PATH}` },
      gitInit: (proj) => {
        spawnSync("git", ["init", "-q", proj]);
        spawnSync("git", [
          "-C",
          proj,
          "remote",
          "add",
          "origin",
          "https://github.com/acme/app.git",
        ]);
      },
    },
  );
}

const openLeases = (q: Project) =>
  readdirSync(join(q.sb.hookpackHome, "leases")).filter((f) => f.endsWith(".json"));

describe("GitHub App installation tokens", () => {
  it("mints a token narrowed to this repository and the named permissions; it works for this repo only and is dead after the call", async () => {
    p = repoProject();
    const h = p.hook(
      `$cap:read-repo ghapi /repos/acme/app; $cap:read-repo ghapi /repos/acme/infra`,
    );
    expect(h.decision, h.reason).toBe("rewrite");
    const before = gh.issued.length;
    const ran = await p.bash(h.command!);
    expect(ran.stderr).toBe("");
    // One program, one grant, one token (each `$cap:` request is delivered to its own program).
    expect(gh.issued.length).toBe(before + 2);
    const tokens = gh.issued.slice(-2);
    for (const t of tokens) {
      expect(t.repositories).toEqual(["app"]);
      expect(t.permissions).toEqual({ contents: "read" });
    }
    expect(ran.stdout).toMatch(/"full_name":"acme\/app".* 200\n/);
    expect(ran.stdout).toMatch(/Not Found.* 404\n/); // infra is outside the narrowed token
    // Revoked at exit, and refused if used again.
    for (const t of tokens) {
      expect(t.revoked).toBe(true);
      const reuse = await fetch(`${gh.api}/repos/acme/app`, {
        headers: { authorization: `Bearer ${t.token}` },
      });
      expect(reuse.status).toBe(401);
    }
    const ended = leaseEntries(p.sb).filter((e) => e.kind === "lease-ended");
    expect(ended).toMatchObject([
      { outcome: "revoked_at_exit", verified: "revoked", provider: "github" },
      { outcome: "revoked_at_exit", verified: "revoked", provider: "github" },
    ]);
    // The token is nowhere hookpack wrote.
    const all = JSON.stringify(readAudit(p.sb)) + ran.stdout + h.raw;
    for (const t of tokens) expect(all.includes(t.token)).toBe(false);
    expect(readdirSync(join(p.sb.hookpackHome, "leases")).some((f) => f.endsWith(".json"))).toBe(
      false,
    );
  });

  it("a capability that asks for more than the installation has fails closed; a forged App key fails closed", async () => {
    p = repoProject({
      provider: {
        github: {
          api: gh.api,
          appId: 123456,
          installationId: 77,
          privateKey: { secret: "GH_APP_KEY" },
          permissions: { administration: "write" },
        },
      },
    });
    let ran = await p.bash(p.hook(`$cap:read-repo ghapi /repos/acme/app`).command!);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toMatch(
      /GitHub refused an installation token for app \(HTTP 422: The permissions requested are not granted/,
    );
    p.sb.cleanup();
    const forged = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    p = repoProject({}, forged);
    ran = await p.bash(p.hook(`$cap:read-repo ghapi /repos/acme/app`).command!);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toMatch(/HTTP 401: A JSON web token could not be decoded/);
    expect(leaseEntries(p.sb)).toMatchObject([{ kind: "lease-refused", outcome: "mint_failed" }]);
  });

  it("crash orphan: a SIGKILLed exec's token is revoked by the next hookpack process (the token is kept sealed for that)", async () => {
    p = repoProject();
    const h = p.hook(`$cap:read-repo ghapi-slow /repos/acme/app`);
    const bg = p.bashAsync(h.command!);
    await waitFor(() => {
      try {
        return openLeases(p!).length === 1;
      } catch {
        return false;
      }
    }, 15_000);
    const t = gh.issued.at(-1)!;
    bg.child.kill("SIGKILL"); // bash exec'd into hookpack exec: this is the exec
    await bg.done;
    expect(t.revoked).toBe(false);
    const sweep = await p.cli(["leases", "--json"]);
    const out = JSON.parse(sweep.stdout) as { swept: Array<Record<string, unknown>> };
    expect(out.swept).toMatchObject([
      { outcome: "revoked_after_crash", verified: "revoked", provider: "github" },
    ]);
    expect(t.revoked).toBe(true);
    expect(sweep.stdout.includes(t.token)).toBe(false);
  }, 60_000);
});
