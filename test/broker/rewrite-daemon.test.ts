// Issue 21: a `$secret:` shell call is decided by the running broker in one request (broker/
// client.ts rewriteVia → broker/rewrite-service.ts) and, with no broker running, in the hook itself
// (which then starts one to mint). Both must decide the same: each case runs the REAL hook once with
// no broker (in-process) and once against the warm broker it left, and the answers must match up
// to the random parts (grant ids, keys, placeholders, expiry). The broker counts the calls it
// decided (`broker status --json` rewritesDecided), so neither side can pass unnoticed.
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { approvePolicy } from "../../broker/policy-approval.js";
import { recordSessionApproval } from "../../broker/session-approvals.js";
import {
  assertBuilt,
  bash,
  fakeSecret,
  preToolUse,
  project,
  run,
  sandbox,
  setSecret,
  type HookAnswer,
  type Sandbox,
} from "./helpers.js";

const POLICY = {
  version: 1,
  defaults: { approval: "auto" },
  secrets: {
    T: { commands: ["printf", "bash"] },
    A: { commands: ["printf"], approval: "ask" },
    O: { commands: ["printf"], approval: "once" },
  },
};

let sb: Sandbox;
beforeAll(() => assertBuilt());
afterEach(() => {
  run(sb, ["broker", "stop"]);
  sb.cleanup();
});

const decided = (): number => {
  const s = JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as {
    rewritesDecided?: number;
  };
  return s.rewritesDecided ?? 0;
};
const norm = (a: HookAnswer) =>
  JSON.stringify({ d: a.decision, c: a.command, r: a.reason, s: a.status })
    .replace(/g_[a-z2-7]{26}/g, "g_ID")
    .replace(/--grant-key [a-z2-7]+/g, "--grant-key KEY")
    .replace(/HPK[a-z2-7]{16,}_/g, "HPK_")
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "DATE");

/** The same call decided in-process (no broker running) and by the warm broker: equal answers. */
function both(
  dir: string,
  command: string,
  session = "s1",
): { cold: HookAnswer; warm: HookAnswer } {
  run(sb, ["broker", "stop"]);
  const before = decided();
  const cold = preToolUse(sb, dir, command, { session });
  expect(decided()).toBe(before); // no broker answered: the hook decided
  const started = run(sb, ["broker", "start"]);
  expect(started.status).toBe(0);
  const warm = preToolUse(sb, dir, command, { session });
  expect(decided()).toBe(before + 1); // the broker decided
  expect(norm(warm)).toBe(norm(cold));
  return { cold, warm };
}

describe("issue 21: the warm broker decides a `$secret:` call exactly as the hook does", () => {
  it("allowed, asked, refused, unknown, unsafe and comment-only calls; the warm grant runs", () => {
    sb = sandbox();
    const value = fakeSecret();
    for (const n of ["T", "A", "O"]) setSecret(sb, n, value);
    const dir = project(sb, POLICY);
    // One-process delivery (bash counts; a pipe after the receiving program sees masked output).
    const ok = both(dir, `T=$secret:T bash -c 'printf %s "$T" | wc -c'`);
    expect(ok.warm.command).toMatch(/exec --grant g_[a-z2-7]{26} --grant-key /);
    expect(bash(sb, ok.warm.command!, dir).stdout.trim()).toBe(String(value.length));
    expect(both(dir, "printf %s $secret:A").warm.decision).toBe("ask");
    expect(both(dir, "ls $secret:T").warm.reason).toMatch(/does not allow this use of \$secret:T/);
    expect(both(dir, "printf %s $secret:NOPE").warm.reason).toMatch(/not in the hookpack store/);
    expect(both(dir, 'eval "printf %s $secret:T"').warm.decision).toBe("deny");
    const comment = both(dir, "true # $secret:T");
    expect(comment.warm.command).toBeUndefined();
    expect(comment.warm.decision).toBeUndefined();
    for (const a of [ok.warm, ok.cold]) expect(a.raw).not.toContain(value);
  });

  it("once: asks until the session approved the name, then auto, in both paths", () => {
    sb = sandbox();
    setSecret(sb, "O", fakeSecret());
    const dir = project(sb, POLICY);
    expect(both(dir, "printf %s $secret:O", "sess-once").warm.decision).toBe("ask");
    recordSessionApproval(sb.hookpackHome, "claude-code", "sess-once", ["O"]);
    const after = both(dir, "printf %s $secret:O", "sess-once");
    expect(after.warm.decision).toBeUndefined();
    expect(after.warm.command).toMatch(/exec --grant g_/);
    // Another session of the same agent is not approved.
    expect(both(dir, "printf %s $secret:O", "sess-other").warm.decision).toBe("ask");
  });

  it("an unapproved change keeps the approved policy in force (with the pending note); an approved invalid file is named, not echoed", () => {
    sb = sandbox();
    setSecret(sb, "T", fakeSecret());
    const dir = project(sb, POLICY);
    // The agent loosens the policy: not approved, so `env` stays refused.
    writeFileSync(
      join(dir, "hookpack.json"),
      JSON.stringify({ version: 1, defaults: { approval: "auto" }, secrets: { T: {} } }),
    );
    const loosened = both(dir, "ls $secret:T");
    expect(loosened.warm.decision).toBe("deny");
    expect(loosened.warm.reason).toMatch(/as the user last approved it/);
    expect(loosened.warm.reason).toMatch(/hookpack policy approve/);
    expect(both(dir, "printf %s $secret:T").warm.command).toMatch(/exec --grant g_/);
    // A file approved while invalid: POLICY_INVALID, its text never quoted.
    writeFileSync(join(dir, "hookpack.json"), '{"version": 1, "secrets": "SHOULD-NOT-ECHO"}');
    approvePolicy(sb.hookpackHome, dir);
    const invalid = both(dir, "printf %s $secret:T");
    expect(invalid.warm.decision).toBe("deny");
    expect(invalid.warm.reason).toMatch(/is not valid/);
    expect(invalid.warm.raw).not.toContain("SHOULD-NOT-ECHO");
  });

  it("the agent's own deny and ask rules apply in both paths", () => {
    sb = sandbox();
    setSecret(sb, "T", fakeSecret());
    const dir = project(sb, POLICY);
    mkdirSync(join(dir, ".claude"), { recursive: true });
    writeFileSync(
      join(dir, ".claude", "settings.json"),
      JSON.stringify({ permissions: { deny: ["Bash(bash:*)"], ask: ["Bash(printf:*)"] } }),
    );
    const denied = both(dir, `T=$secret:T bash -c 'printf %s "$T" | wc -c'`);
    expect(denied.warm.decision).toBe("deny");
    expect(denied.warm.reason).toMatch(/Bash\(bash:\*\)/);
    expect(both(dir, "printf %s $secret:T").warm.decision).toBe("ask");
  });
});
