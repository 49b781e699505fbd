// Cursor runs Claude Code's hooks as well as its own: through the real built hook, hookpack's
// Claude Code hook steps aside under Cursor only when hookpack's Cursor hooks are installed, so
// each call is checked exactly once and never silently not at all.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox } from "../helpers/run.js";

const tokens = fakeTokens(7);
const box = sandbox();
afterAll(() => box.cleanup());

const claudePayload = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    session_id: "s",
    cwd: box.project,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: `echo ${tokens.github}` },
    ...extra,
  });
const claude = (input: string, env: Record<string, string> = {}) =>
  hookpack(["hook", "claude-code"], { input, env: { ...box.env, ...env }, cwd: box.project });

describe("Claude Code hook under Cursor", () => {
  it("outside Cursor it checks the call", async () => {
    const r = await claude(claudePayload());
    expect(r.stdout).toContain('"permissionDecision":"deny"');
  });

  it("under Cursor WITHOUT hookpack's Cursor hooks it still checks the call (never silently unprotected)", async () => {
    const r = await claude(claudePayload(), { CURSOR_VERSION: "2.4.0" });
    expect(r.stdout).toContain('"permissionDecision":"deny"');
  });

  it("under Cursor WITH hookpack's Cursor hooks it steps aside (env or payload marker): Cursor's own hook checks the call", async () => {
    mkdirSync(join(box.project, ".cursor"), { recursive: true });
    writeFileSync(
      join(box.project, ".cursor", "hooks.json"),
      `${JSON.stringify({ version: 1, hooks: { preToolUse: [{ command: '"/usr/bin/node" "/x/runtime/0.1.0/hookpack.cjs" hook cursor', timeout: 30 }] } }, null, 2)}\n`,
    );
    const byEnv = await claude(claudePayload(), { CURSOR_VERSION: "2.4.0" });
    expect(byEnv.exitCode).toBe(0);
    expect(byEnv.stdout).toBe("");
    const byPayload = await claude(claudePayload({ cursor_version: "2.4.0" }));
    expect(byPayload.stdout).toBe("");
    // And the Cursor hook itself blocks the same call.
    const own = await hookpack(["hook", "cursor"], {
      input: JSON.stringify({
        hook_event_name: "preToolUse",
        cwd: box.project,
        tool_name: "Shell",
        tool_input: { command: `echo ${tokens.github}` },
      }),
      env: box.env,
      cwd: box.project,
    });
    expect(JSON.parse(own.stdout)).toMatchObject({ permission: "deny" });
  });
});
