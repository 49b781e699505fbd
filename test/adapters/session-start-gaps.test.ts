// The adapter gaps of issues 14 and 16, through the real hook process (dist/hookpack.cjs hook
// <agent>): the session-start event of Qwen Code, GitHub Copilot CLI and Cursor names inherited
// variables that hold secrets (never their values), and Copilot's postToolUseFailure (a failed
// call's output) is checked like postToolUse instead of being taken for a preToolUse.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADAPTERS } from "../../adapters/index.js";
import { assertBuilt } from "../broker/helpers.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

let sb: Sandbox | undefined;
beforeAll(assertBuilt);
afterEach(() => sb?.cleanup());

const token = fakeTokens(7).github;

type Case = {
  payload: (cwd: string) => unknown;
  context: (answer: Record<string, unknown>) => unknown;
  event: string;
};
const SESSION_START: Record<"qwen" | "copilot" | "cursor", Case> = {
  qwen: {
    event: "SessionStart",
    payload: (cwd) => ({
      session_id: "qw3n-start",
      transcript_path: `${cwd}/.qwen-chat.jsonl`,
      cwd,
      timestamp: "2026-11-22T23:30:00.000Z",
      permission_mode: "default",
      hook_event_name: "SessionStart",
      source: "startup",
    }),
    context: (a) =>
      (a.hookSpecificOutput as { additionalContext?: unknown } | undefined)?.additionalContext,
  },
  copilot: {
    event: "sessionStart",
    payload: (cwd) => ({
      sessionId: "c0p1l0t-start",
      timestamp: 1795391165643,
      cwd,
      source: "new",
    }),
    context: (a) => a.additionalContext,
  },
  cursor: {
    event: "sessionStart",
    payload: (cwd) => ({
      conversation_id: "curs0r-start",
      session_id: "curs0r-start",
      hook_event_name: "sessionStart",
      cursor_version: "2.x",
      workspace_roots: [cwd],
      is_background_agent: false,
    }),
    context: (a) => a.additional_context,
  },
};

describe.each(Object.keys(SESSION_START) as Array<keyof typeof SESSION_START>)(
  "%s session start",
  (agent) => {
    const c = SESSION_START[agent];

    it("is registered by install", () => {
      expect(ADAPTERS[agent].config.registrations.map((r) => r.event)).toContain(c.event);
    });

    it("names an inherited variable that holds a secret, never its value; says nothing without one", async () => {
      sb = sandbox();
      const input = JSON.stringify(c.payload(sb.project));
      const withSecret = await hookpack(["hook", agent], {
        cwd: sb.project,
        env: { ...sb.env, GITHUB_TOKEN: token },
        input,
      });
      expect(withSecret.exitCode, withSecret.stderr).toBe(0);
      expect(withSecret.stdout + withSecret.stderr).not.toContain(token);
      const answer = JSON.parse(withSecret.stdout) as Record<string, unknown>;
      expect(String(c.context(answer))).toContain("GITHUB_TOKEN");

      const clean = await hookpack(["hook", agent], { cwd: sb.project, env: sb.env, input });
      expect(clean.exitCode, clean.stderr).toBe(0);
      expect(clean.stdout).toBe("");
    });

    it("a malformed session start fails open, naming the field", async () => {
      sb = sandbox();
      const bad: Record<string, unknown> = {
        ...(c.payload(sb.project) as Record<string, unknown>),
        cwd: 42,
      };
      if (agent === "cursor") bad.workspace_roots = "nope";
      const r = await hookpack(["hook", agent], {
        cwd: sb.project,
        env: sb.env,
        input: JSON.stringify(bad),
      });
      expect(r.stderr).toMatch(/hookpack:/);
      expect(r.exitCode).not.toBe(2);
    });
  },
);

describe("copilot postToolUseFailure", () => {
  const failure = (cwd: string, error: string) => ({
    sessionId: "c0p1l0t-fail",
    timestamp: 1795391165643,
    cwd,
    toolName: "bash",
    toolArgs: { command: "cat creds.txt; exit 3", description: "read" },
    error,
  });

  it("is registered by install", () => {
    expect(ADAPTERS.copilot.config.registrations.map((r) => r.event)).toContain(
      "postToolUseFailure",
    );
  });

  it("a failed call's output holding a token: the model is warned (additionalContext), the value never echoed", async () => {
    sb = sandbox();
    const r = await hookpack(["hook", "copilot"], {
      cwd: sb.project,
      env: sb.env,
      input: JSON.stringify(
        failure(sb.project, `token=${token}\n<shellId: 0 completed with exit code 3>`),
      ),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(token);
    const answer = JSON.parse(r.stdout) as {
      additionalContext?: string;
      permissionDecision?: string;
      modifiedArgs?: unknown;
    };
    // Read as an after-tool event, not as a preToolUse of the same call.
    expect(answer.permissionDecision).toBeUndefined();
    expect(answer.modifiedArgs).toBeUndefined();
    expect(answer.additionalContext).toMatch(/rotate/);
  });

  it("a clean failed call: nothing to say", async () => {
    sb = sandbox();
    const r = await hookpack(["hook", "copilot"], {
      cwd: sb.project,
      env: sb.env,
      input: JSON.stringify(
        failure(
          sb.project,
          "cat: creds.txt: No such file or directory\n<shellId: 0 completed with exit code 1>",
        ),
      ),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
  });
});
