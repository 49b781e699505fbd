// `hookpack revoke` and `hookpack audit`, as real processes: the revoked mark, refusal until set
// again, the drill from the audit log, the rotation steps, and never a value in any output.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isRevoked } from "../../broker/store.js";
import {
  assertBuilt,
  brokerMint,
  fakeSecret,
  readAudit,
  run,
  sandbox,
  setSecret,
  type Sandbox,
} from "../broker/helpers.js";

let sb: Sandbox;
beforeAll(assertBuilt);
afterEach(() => sb?.cleanup());

describe("hookpack revoke", () => {
  it("marks the secret revoked, refuses every use until it is set again, and prints the drill", () => {
    sb = sandbox();
    const v = fakeSecret();
    setSecret(sb, "GITHUB_TOKEN", v);
    const proj = join(sb.dir, "app");
    mkdirSync(join(proj, ".git"), { recursive: true });
    for (let i = 0; i < 2; i++)
      expect(
        run(sb, ["exec", "--secret", "GITHUB_TOKEN", "--", "node", "-e", "0"], {
          cwd: proj,
          env: { HOOKPACK_AGENT: "claude-code" },
        }).status,
      ).toBe(0);

    const r = run(sb, ["revoke", "GITHUB_TOKEN"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "hookpack: revoked GITHUB_TOKEN: every $secret:GITHUB_TOKEN reference is now refused until it is set again.",
    );
    expect(r.stdout).toMatch(/projects: .*\/app \(2×/);
    expect(r.stdout).toContain("agents:   claude-code (2×)");
    expect(r.stdout).toContain("2× `node -e 0`");
    expect(r.stdout).toContain("https://github.com/settings/tokens");
    expect(r.stdout).toContain("`hookpack secret set GITHUB_TOKEN`");
    expect(
      r.stdout
        .split("\n")
        .filter(Boolean)
        .every((l) => l.startsWith("hookpack:")),
    ).toBe(true);
    expect(isRevoked(sb.hookpackHome, "GITHUB_TOKEN")).toMatch(/^\d{4}-/);

    const refused = run(sb, ["exec", "--secret", "GITHUB_TOKEN", "--", "node", "-e", "0"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("secret GITHUB_TOKEN was revoked by `hookpack revoke`");
    expect(refused.stderr).toContain("until it is set again");
    const kinds = readAudit(sb).map(
      (e) => `${String(e.kind)}${e.refused ? `:${String(e.refused)}` : ""}`,
    );
    expect(kinds).toEqual(["exec", "exec", "secret-revoked", "exec:SECRET_REVOKED"]);

    // Again: idempotent, says so.
    expect(run(sb, ["revoke", "GITHUB_TOKEN"]).stdout).toContain("was already revoked");

    setSecret(sb, "GITHUB_TOKEN", fakeSecret());
    expect(isRevoked(sb.hookpackHome, "GITHUB_TOKEN")).toBeUndefined();
    expect(run(sb, ["exec", "--secret", "GITHUB_TOKEN", "--", "node", "-e", "0"]).status).toBe(0);

    const all =
      run(sb, ["audit", "--limit", "0"]).stdout + run(sb, ["audit", "--json"]).stdout + r.stdout;
    expect(all).not.toContain(v);
    expect(run(sb, ["audit", "--verify"]).status).toBe(0);
  });

  it("--json is stable; provider-specific rotation; unknown names fail (1), bad names are a usage error", () => {
    sb = sandbox({ MY_NPM: "x" });
    const set = run(sb, ["secret", "set", "NPM_TOKEN", "--env", "MY_NPM", "--no-check"]);
    expect(set.status, set.stderr).toBe(0);
    const r = run(sb, ["revoke", "NPM_TOKEN", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & {
      rotation: { issuer: string; steps: string[] };
      usage: { entries: number };
    };
    expect(Object.keys(j)).toEqual([
      "version",
      "secret",
      "inStore",
      "revoked",
      "alreadyRevoked",
      "grants",
      "usage",
      "rotation",
      "integrity",
    ]);
    expect(j.rotation.issuer).toBe("npm");
    expect(j.rotation.steps[1]).toContain("update MY_NPM wherever it is set");
    expect(j.rotation.steps[1]).toContain("hookpack secret set NPM_TOKEN --env MY_NPM");

    // Issue 18 item 14: an unknown name is a failed check (1), not a usage error; a bad name still is (2).
    const unknown = run(sb, ["revoke", "NOPE"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("hookpack: NOPE is not in the secret store");
    expect(run(sb, ["revoke", "bad-name"]).status).toBe(2);
  });
});

describe("hookpack audit", () => {
  it("filters by secret, kind and time; --verify fails with the first bad entry", () => {
    sb = sandbox();
    setSecret(sb, "A_TOKEN", fakeSecret());
    setSecret(sb, "B_TOKEN", fakeSecret());
    run(sb, ["exec", "--secret", "A_TOKEN", "--", "node", "-e", "0"]);
    run(sb, ["exec", "--secret", "B_TOKEN", "--", "node", "-e", "0"]);
    run(sb, ["exec", "--secret", "MISSING", "--", "node", "-e", "0"]);
    const a = JSON.parse(run(sb, ["audit", "--json", "--secret", "A_TOKEN"]).stdout) as {
      entries: Array<{ secrets: string[] }>;
      total: number;
    };
    expect(a.total).toBe(3);
    expect(a.entries.map((e) => e.secrets)).toEqual([["A_TOKEN"]]);
    expect(run(sb, ["audit", "--since", "1h"]).stdout).toContain("3 entries, 3 matching");
    expect(run(sb, ["audit", "--since", "2999-01-01"]).stdout).toContain("no entries match");
    expect(run(sb, ["audit", "--since", "yesterday"]).status).toBe(2);
    expect(run(sb, ["audit", "--kind", "nonsense"]).status).toBe(2);
    const text = run(sb, ["audit"]).stdout;
    expect(text).toContain("refused (SECRET_UNKNOWN)");

    const log = join(sb.hookpackHome, "audit", "audit.jsonl");
    const lines = readFileSync(log, "utf8").split("\n");
    lines.splice(1, 1);
    writeFileSync(log, lines.join("\n"));
    const v = run(sb, ["audit", "--verify"]);
    expect(v.status).toBe(1);
    expect(v.stdout).toContain("the first at entry #2");
    expect(v.stdout).toContain("[removed] entry #2 was removed");
    const vj = JSON.parse(run(sb, ["audit", "--verify", "--json"]).stdout) as {
      ok: boolean;
      problems: Array<{ kind: string; seq: number }>;
    };
    expect(vj.ok).toBe(false);
    expect(vj.problems[0]).toMatchObject({ kind: "removed", seq: 2 });
    expect(run(sb, ["audit"]).stderr).toContain("fails verification");
  });

  it("invalidates outstanding grants: a grant minted before the revoke stays dead after the secret is set again", async () => {
    sb = sandbox();
    setSecret(sb, "DEPLOY_KEY", fakeSecret());
    const argv = ["node", "-e", "0"];
    const grant = await brokerMint(sb, {
      names: ["DEPLOY_KEY"],
      argv,
      agent: "claude-code",
      session: "s1",
      toolCallId: "t1",
      cwd: sb.dir,
      ttlMs: 60_000,
      approval: "auto",
    });
    await brokerMint(sb, {
      names: ["DEPLOY_KEY"],
      argv,
      agent: "claude-code",
      session: "s1",
      toolCallId: "t2",
      cwd: sb.dir,
      ttlMs: 60_000,
      approval: "auto",
    });
    const r = JSON.parse(run(sb, ["revoke", "DEPLOY_KEY", "--json"]).stdout) as {
      grants: { invalidated: number };
    };
    expect(r.grants.invalidated).toBe(2);
    setSecret(sb, "DEPLOY_KEY", fakeSecret());
    const reuse = run(sb, [
      "exec",
      "--grant",
      grant.id,
      "--secret",
      "DEPLOY_KEY=HOOKPACK_SECRET_DEPLOY_KEY",
      "--",
      ...argv,
    ]);
    expect(reuse.status).toBe(2);
    expect(reuse.stderr).toMatch(/revoked/);
  });
});
