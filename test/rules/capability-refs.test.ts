// `$cap:NAME` requests, the pure part: where a request may stand, what the brokered script looks
// like, and that the script, run by bash with values on fd 3, gives each value to exactly the
// requested program (checked with bash itself, not by reading the text).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapabilities, describeCapabilities } from "../../rules/capability-refs.js";
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

/** Runs the brokered script the way `hookpack exec` does: values NUL-separated on fd 3. */
function runInner(
  inner: string,
  values: string[],
): { stdout: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "hookpack-cap-"));
  const file = join(dir, "fd3");
  writeFileSync(file, values.map((v) => `${v}\u0000`).join(""));
  try {
    const r = spawnSync("bash", ["-c", 'exec 3<"$0"; exec bash -c "$1"', file, inner], {
      env: { PATH: process.env.PATH, HOME: dir },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("capability requests ($cap:NAME)", () => {
  it("delivers each capability's variables to exactly the program it stands in front of, in pipelines, lists, subshells and $(…)", async () => {
    const p = await policy();
    const cases: Array<[string, string]> = [
      [`$cap:read-db printenv PGUSER PGPASSWORD PGHOST`, "u1\np'w\"$1\ndb\n"],
      [`$cap:read-db printenv PGUSER | tr a-z A-Z; printenv PGUSER || echo none`, "U1\nnone\n"],
      [`( $cap:read-db printenv PGHOST ) && echo "[$PGPASSWORD]"`, "db\n[]\n"],
      [`echo "got $( $cap:read-db printenv PGUSER )"`, "got u1\n"],
      [
        `$cap:read-db printenv PGUSER 2>/dev/null; $cap:read-repo printenv GH_TOKEN`,
        "u1\ngh-tok\n",
      ],
      [`for i in 1 2; do $cap:read-db printenv PGUSER; done`, "u1\nu1\n"],
    ];
    for (const [command, want] of cases) {
      const a = analyzeCapabilities(command, p);
      expect(a.ok, `${command}: ${a.ok ? "" : a.reason}`).toBe(true);
      if (!a.ok) continue;
      expect(a.inner).not.toContain("$cap:");
      const values = a.capabilities.flatMap((c) =>
        c === "read-db" ? ["u1", `p'w"$1`, "db"] : ["gh-tok"],
      );
      const r = runInner(a.inner, values);
      expect(r.stderr, command).toBe("");
      expect(r.stdout, command).toBe(want);
    }
  });

  it("refuses a script when the values are missing (the broker did not deliver them): nothing runs", async () => {
    const a = analyzeCapabilities(`$cap:read-db printenv PGUSER; echo ran`, await policy());
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    const r = spawnSync("bash", ["-c", a.inner], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: tmpdir() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(r.status).toBe(125);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /\nhookpack: the broker did not deliver the capability values; nothing was run\.\n$/,
    );
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
