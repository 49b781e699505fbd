// Copilot CLI 1.0.102 sends a freeform tool's arguments (apply_patch) as the raw patch text in
// `toolArgs`, not JSON (recorded end to end, test/e2e/copilot.test.ts). hookpack used to refuse
// such a payload as malformed (exit 1: the call ran unchecked, its failure went unflagged). The
// attacker's side, through the real hook process (`hookpack hook copilot`): a patch that adds a
// detected token or creates a file holding one (denied before it runs), a failed patch whose error quotes a value (flagged on postToolUseFailure, no value
// echoed), a successful one whose result does (flagged on postToolUse), and raw text for a
// non-freeform tool (still refused with a clear error).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHook } from "../helpers/hook-run.js";
import { assertBuilt } from "../broker/helpers.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const value = `Ff${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}Z`;
const t = fakeTokens(77);
let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });

beforeAll(async () => {
  assertBuilt();
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

const call = (toolArgs: unknown, extra: Record<string, unknown> = {}) =>
  runHook(
    sb,
    JSON.stringify({
      sessionId: "s-ff",
      timestamp: 1796539462462,
      cwd: sb.project,
      toolName: "apply_patch",
      toolArgs,
      ...extra,
    }),
    { agent: "copilot", env: env() },
  );
const patch = (body: string) => `*** Begin Patch\n${body}\n*** End Patch\n`;

describe("attack: Copilot's apply_patch with raw-text toolArgs (freeform tool)", () => {
  // hookpack's write rules judge a patch like any write (a managed value the agent already holds
  // may be written; a detected token may not): the same answer as for Claude Code's Write.
  for (const [label, body, secret] of [
    ["adds a detected token", `*** Update File: notes.txt\n@@\n-hello\n+GH=${t.github}`, t.github],
    ["creates a file holding a detected token", `*** Add File: leak.txt\n+${t.npm}`, t.npm],
  ] as const)
    it(`preToolUse: a patch that ${label} is denied before it runs, naming no value`, async () => {
      const f = tally("copilot/freeform pre");
      const r = await call(patch(body));
      const out = r.stdout + r.stderr;
      const answer = r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
      const denied = answer.permissionDecision === "deny" || r.exitCode === 2;
      f.attempt(denied && !out.includes(secret));
      expect(out.includes(secret)).toBe(false);
      expect(denied, out).toBe(true);
    });

  it("preToolUse: a harmless patch is let through unchanged", async () => {
    const r = await call(patch("*** Update File: notes.txt\n@@\n-hello\n+hi"));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("");
  });

  it("postToolUseFailure: a failed patch whose error quotes the value is flagged (rotate), naming no value", async () => {
    const f = tally("copilot/freeform post");
    const r = await call(patch(`*** Update File: notes.txt\n@@\n-key=${value}\n+key=rotated`), {
      error: `Failed to apply patch: Error: Failed to find expected lines in ${sb.project}/notes.txt:\nkey=${value}`,
    });
    const out = r.stdout + r.stderr;
    const answer = r.stdout.trim() ? (JSON.parse(r.stdout) as { additionalContext?: string }) : {};
    const ok =
      r.exitCode === 0 &&
      !out.includes(value) &&
      /failed apply_patch call/.test(answer.additionalContext ?? "") &&
      /rotate/.test(answer.additionalContext ?? "");
    f.attempt(ok);
    expect(ok, out).toBe(true);
  });

  it("postToolUse: a successful patch whose result quotes a token is flagged, naming no token", async () => {
    const f = tally("copilot/freeform post");
    const r = await call(patch("*** Update File: notes.txt\n@@\n-hello\n+hi"), {
      toolResult: { resultType: "success", textResultForLlm: `Done. Context: GH=${t.github}` },
    });
    const out = r.stdout + r.stderr;
    const ok = r.exitCode === 0 && !out.includes(t.github) && /rotate/.test(r.stdout);
    f.attempt(ok);
    expect(ok, out).toBe(true);
  });

  it("raw text as toolArgs of a tool that takes JSON (bash) is still refused as malformed, with a clear error", async () => {
    const f = tally("copilot/freeform pre");
    const r = await runHook(
      sb,
      JSON.stringify({
        sessionId: "s-ff",
        timestamp: 1,
        cwd: sb.project,
        toolName: "bash",
        toolArgs: "echo hi",
      }),
      { agent: "copilot", env: env() },
    );
    const ok = /^hookpack: the GitHub Copilot CLI hook payload is malformed: toolArgs/.test(
      r.stderr,
    );
    f.attempt(ok);
    expect(ok, r.stderr).toBe(true);
  });
});
