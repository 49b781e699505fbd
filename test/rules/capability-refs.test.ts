// `$cap:NAME` requests, the pure part: where a request may stand, what it refuses, and the rewrite:
// the broker in front of exactly the requested program, with the argv its grant binds (the real
// hook and exec processes are exercised in test/security/cap-delivery.attack.test.ts).
import { describe, expect, it } from "vitest";
import {
  analyzeCapabilities,
  capabilityCommand,
  describeCapabilities,
} from "../../rules/capability-refs.js";
import { brokerPrefix } from "../../rules/secret-refs.js";
import { parsePolicy, type Policy } from "../../rules/policy.js";

const policy = (): Promise<Policy> =>
  parsePolicy(
    JSON.stringify({
      version: 1,
      secrets: {},
      capabilities: {
        "read-db": {
          provider: {
            vault: {
              address: "http://127.0.0.1:8200",
              auth: { token: { env: "VAULT_TOKEN" } },
              path: "database/creds/ro",
            },
          },
          commands: ["printenv", "psql"],
          env: { PGUSER: "username", PGPASSWORD: "password", PGHOST: { value: "db" } },
          ttl: "90s",
        },
        "read-repo": {
          provider: {
            github: {
              appId: 1,
              installationId: 2,
              privateKey: { secret: "K" },
              permissions: { contents: "read" },
            },
          },
          commands: ["printenv"],
          env: { GH_TOKEN: "token" },
        },
      },
    }),
    "/p/hookpack.json",
  );

const self = { node: "/usr/bin/node", script: "/opt/hookpack/dist/hookpack.cjs" };
const rewrite = (a: Extract<ReturnType<typeof analyzeCapabilities>, { ok: true }>) =>
  capabilityCommand(
    a,
    a.deliveries.map((d, i) =>
      brokerPrefix(self, `g_${String(i).repeat(26)}`, "k".repeat(26), false, d.capabilities),
    ),
  );

describe("capability requests ($cap:NAME)", () => {
  it("puts the broker in front of exactly the program each request stands before, in pipelines, lists, subshells and $(…); no bash -c, no shell variable", async () => {
    const p = await policy();
    const B = (caps: string, i = 0) =>
      `/usr/bin/node /opt/hookpack/dist/hookpack.cjs exec --grant g_${String(i).repeat(26)} --grant-key ${"k".repeat(26)}${caps} -- `;
    const cases: Array<[string, string, string[][]]> = [
      [
        `$cap:read-db printenv PGUSER PGPASSWORD PGHOST`,
        `${B(" --cap read-db")}printenv PGUSER PGPASSWORD PGHOST`,
        [["printenv", "PGUSER", "PGPASSWORD", "PGHOST"]],
      ],
      [
        `$cap:read-db printenv PGUSER | tr a-z A-Z; printenv PGUSER || echo none`,
        `${B(" --cap read-db")}printenv PGUSER | tr a-z A-Z; printenv PGUSER || echo none`,
        [["printenv", "PGUSER"]],
      ],
      [
        `( $cap:read-db printenv PGHOST ) && echo "[$PGPASSWORD]"`,
        `( ${B(" --cap read-db")}printenv PGHOST ) && echo "[$PGPASSWORD]"`,
        [["printenv", "PGHOST"]],
      ],
      [
        `echo "got $( $cap:read-db printenv PGUSER )"`,
        `echo "got $( ${B(" --cap read-db")}printenv PGUSER )"`,
        [["printenv", "PGUSER"]],
      ],
      [
        `$cap:read-db printenv PGUSER 2>/dev/null; $cap:read-repo printenv GH_TOKEN`,
        `${B(" --cap read-db")}printenv PGUSER 2>/dev/null; ${B(" --cap read-repo", 1)}printenv GH_TOKEN`,
        [
          ["printenv", "PGUSER"],
          ["printenv", "GH_TOKEN"],
        ],
      ],
      [
        `$cap:read-db $cap:read-repo printenv GH_TOKEN PGUSER`,
        `${B(" --cap read-db --cap read-repo")}printenv GH_TOKEN PGUSER`,
        [["printenv", "GH_TOKEN", "PGUSER"]],
      ],
      [
        `if $cap:read-db psql -tA -c 'select 1'; then echo ok; fi`,
        `if ${B(" --cap read-db")}psql -X -tA -c 'select 1'; then echo ok; fi`,
        [["psql", "-X", "-tA", "-c", "select 1"]],
      ],
    ];
    for (const [command, want, argvs] of cases) {
      const a = analyzeCapabilities(command, p);
      expect(a.ok, `${command}: ${a.ok ? "" : a.reason}`).toBe(true);
      if (!a.ok) continue;
      expect(rewrite(a), command).toBe(want);
      expect(a.deliveries.map((d) => d.argv)).toEqual(argvs);
      expect(rewrite(a)).not.toMatch(/bash -c|__hookpack|\$cap:/);
    }
  });

  it("refuses what a $secret: delivery refuses: background jobs, detaching programs, builtins, functions, constructs, run-time words", async () => {
    const p = await policy();
    for (const command of [
      `$cap:read-db printenv PGUSER &`,
      `$cap:read-db printenv PGUSER & wait`,
      `coproc $cap:read-db printenv PGUSER`,
      `f() { printenv PGUSER; }; $cap:read-db f`,
      `$cap:read-db export X`,
      `$cap:read-db printenv "$HOME"`,
      `$cap:read-db printenv $(echo PGUSER)`,
      `$cap:read-db printenv PG*`,
      `$cap:read-db printenv ~`,
      `$cap:read-db psql -c "$(cat q.sql)"`,
      `$cap:read-db setsid printenv`,
      `for x in $cap:read-db; do printenv; done`,
      `BASH_ENV=/tmp/x $cap:read-db psql -c 'select 1'`,
      `$cap:read-db LD_PRELOAD=/tmp/x.so psql -c 'select 1'`,
    ]) {
      const a = analyzeCapabilities(command, p);
      expect(a.ok, command).toBe(false);
    }
  });

  it("names what mints it, the scope and the TTL for the approval prompt", async () => {
    const p = await policy();
    expect(describeCapabilities(p, ["read-db", "read-repo"])).toBe(
      "$cap:read-db (vault database/creds/ro; scope: vault database/creds/ro; lease at most 2 min, revoked when the command exits), $cap:read-repo (GitHub App 1 installation token (contents:read; this repository); scope: GitHub App 1 installation token (contents:read; this repository); lease at most 5 min, revoked when the command exits)",
    );
  });

  it("rejects malformed capability sections with the schema's words", async () => {
    const bad = (cap: unknown) =>
      parsePolicy(
        JSON.stringify({ version: 1, secrets: {}, capabilities: { "read-db": cap } }),
        "/p/hookpack.json",
      );
    await expect(
      bad({
        provider: { vault: { address: "http://v", auth: { token: { env: "T" } }, path: "a/b" } },
        commands: [],
        env: { A: "x" },
      }),
    ).rejects.toThrow(/commands must NOT have fewer than 1 items/);
    await expect(
      bad({
        provider: { vault: { address: "http://v", auth: { token: { env: "T" } } } },
        commands: ["psql"],
        env: { A: "x" },
      }),
    ).rejects.toThrow(/does not match hookpack's policy schema/);
    await expect(
      bad({
        provider: { vault: { address: "http://v", auth: { token: "hvs.literal" }, path: "a/b" } },
        commands: ["psql"],
        env: { A: "x" },
      }),
    ).rejects.toThrow(/does not match/);
    await expect(
      parsePolicy(
        JSON.stringify({ version: 1, secrets: {}, capabilities: { "Read DB": {} } }),
        "/p/hookpack.json",
      ),
    ).rejects.toThrow(/property name must be valid|must match pattern/);
  });
});
