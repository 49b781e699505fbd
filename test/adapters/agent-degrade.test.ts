// Codex CLI and Gemini CLI through the pipeline in process, with injected rules: how each renders
// a rewrite, an ask and a redaction it cannot express in the output's own shape.
import { describe, expect, it } from "vitest";
import type { Adapter } from "../../adapters/adapter.js";
import { cline } from "../../adapters/cline.js";
import { codex } from "../../adapters/codex.js";
import { copilot } from "../../adapters/copilot.js";
import { cursor } from "../../adapters/cursor.js";
import { gemini } from "../../adapters/gemini.js";
import { opencode } from "../../adapters/opencode.js";
import { qwen } from "../../adapters/qwen.js";
import { windsurf } from "../../adapters/windsurf.js";
import type { HookEvent, Verdict } from "../../hooks/event.js";
import { runPipeline } from "../../hooks/pipeline.js";
import type { Rule } from "../../rules/rule.js";
import { secretScanner } from "../../rules/secretlint.js";

const fixed = (
  verdict: Verdict,
  on: HookEvent["kind"][] = ["before-tool", "after-tool"],
): Rule => ({ id: "fixed", summary: "", on, check: () => verdict });
const run = (payload: unknown, rules: Rule[], adapter: Adapter) =>
  runPipeline({ raw: JSON.stringify(payload) }, { adapter, rules, scanner: secretScanner });
const out = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

const codexBase = {
  session_id: "s",
  turn_id: "t",
  transcript_path: null,
  cwd: "/p",
  model: "m",
  permission_mode: "default",
  tool_name: "Bash",
  tool_use_id: "c",
};
const codexPre = { ...codexBase, hook_event_name: "PreToolUse", tool_input: { command: "deploy" } };
const codexPost = {
  ...codexBase,
  hook_event_name: "PostToolUse",
  tool_input: { command: "deploy" },
  tool_response: "one\ntwo\n",
};
const geminiBase = {
  session_id: "s",
  cwd: "/p",
  transcript_path: "/p/t.jsonl",
  timestamp: "2026-11-22T00:00:00Z",
};
const geminiPre = {
  ...geminiBase,
  hook_event_name: "BeforeTool",
  tool_name: "run_shell_command",
  tool_input: { command: "deploy", description: "d" },
};
const geminiPost = {
  ...geminiBase,
  hook_event_name: "AfterTool",
  tool_name: "read_file",
  tool_input: { file_path: "a" },
  tool_response: { llmContent: "one\ntwo\n", returnDisplay: "" },
};

const rewrite = fixed({
  kind: "rewrite",
  patch: { command: "hookpack exec -- deploy" },
  reason: "brokered",
});
const ask = fixed({ kind: "ask", code: "APPROVE", reason: "needs a human." });
const redact = (output: unknown) =>
  fixed(
    { kind: "redact", output, reason: "hookpack redacted 1 secret(s) from the output.", count: 1 },
    ["after-tool"],
  );

describe("codex rendering", () => {
  it("a rewrite is updatedInput with permissionDecision allow (Codex ignores updatedInput without it)", async () => {
    const r = await run(codexPre, [rewrite], codex);
    expect(out(r.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "allow",
        updatedInput: { command: "hookpack exec -- deploy" },
      },
    });
  });

  it("an ask becomes an explained deny: Codex hooks cannot ask", async () => {
    const r = await run(codexPre, [ask], codex);
    const specific = out(r.stdout).hookSpecificOutput as Record<string, unknown>;
    expect(specific.permissionDecision).toBe("deny");
    expect(String(specific.permissionDecisionReason)).toMatch(
      /needs a human\. Codex CLI hooks cannot ask the user/,
    );
  });

  it("a redaction becomes decision:block whose reason is the notice plus the redacted output", async () => {
    const r = await run(codexPost, [redact("one\n[REDACTED:x]\n")], codex);
    expect(out(r.stdout)).toEqual({
      decision: "block",
      reason: "[hookpack redacted 1 secret(s) from the output.]\none\n[REDACTED:x]\n",
    });
  });
});

describe("gemini rendering", () => {
  it("a rewrite sends only the changed key, which the client merges into the arguments (no decision: Gemini's own policy decides, issue 14)", async () => {
    const r = await run(geminiPre, [rewrite], gemini);
    expect(out(r.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: "BeforeTool",
        tool_input: { command: "hookpack exec -- deploy" },
      },
    });
  });

  it("an ask is passed on: Gemini can ask", async () => {
    const r = await run(geminiPre, [ask], gemini);
    expect(out(r.stdout)).toEqual({ decision: "ask", reason: "needs a human." });
  });

  it("a redaction becomes decision:deny whose reason is the notice plus the redacted llmContent", async () => {
    const r = await run(
      geminiPost,
      [redact({ llmContent: "one\n[REDACTED:x]\n", returnDisplay: "" })],
      gemini,
    );
    expect(out(r.stdout)).toEqual({
      decision: "deny",
      reason: "[hookpack redacted 1 secret(s) from the output.]\none\n[REDACTED:x]\n",
    });
  });
});

const copilotBase = { sessionId: "s", timestamp: 1795391165643, cwd: "/p", toolName: "bash" };
const copilotPre = {
  ...copilotBase,
  toolArgs: { command: "deploy", description: "d", async: false },
};
const copilotPost = {
  ...copilotPre,
  toolResult: { resultType: "success", textResultForLlm: "one\ntwo\n" },
};

describe("copilot rendering", () => {
  it("a rewrite is modifiedArgs carrying every argument, with permissionDecision allow (Copilot would ask about the broker's path; README)", async () => {
    const r = await run(copilotPre, [rewrite], copilot);
    expect(out(r.stdout)).toEqual({
      permissionDecision: "allow",
      permissionDecisionReason: "brokered",
      modifiedArgs: { command: "hookpack exec -- deploy", description: "d", async: false },
    });
  });

  it("a rewrite of arguments sent as JSON text answers with an object", async () => {
    const r = await run(
      { ...copilotBase, toolArgs: JSON.stringify({ command: "deploy" }) },
      [rewrite],
      copilot,
    );
    expect(out(r.stdout).modifiedArgs).toEqual({ command: "hookpack exec -- deploy" });
  });

  it("an ask is passed on: Copilot can ask", async () => {
    const r = await run(copilotPre, [ask], copilot);
    expect(out(r.stdout)).toEqual({
      permissionDecision: "ask",
      permissionDecisionReason: "needs a human.",
    });
  });

  it("a redaction it cannot deliver is said out loud: additionalContext tells the model the output reached it unredacted", async () => {
    const r = await run(
      copilotPost,
      [redact({ resultType: "success", textResultForLlm: "one\n[REDACTED:x]\n" })],
      copilot,
    );
    const body = out(r.stdout);
    expect(Object.keys(body)).toEqual(["additionalContext"]);
    expect(String(body.additionalContext)).toMatch(
      /^hookpack found secret\(s\) in this bash output\.\nGitHub Copilot CLI does not let a command hook replace or withhold/,
    );
    // Nothing pretends the redacted copy was delivered.
    expect(String(body.additionalContext)).not.toContain("[REDACTED:x]");
  });

  it("declares what it cannot do", () => {
    expect(copilot.capabilities).toEqual({
      rewriteInput: true,
      replaceOutput: false,
      hooksReads: true,
    });
  });
});

const clineBase = {
  clineVersion: "3.0.65",
  timestamp: "2026-11-22T00:00:00Z",
  taskId: "t",
  sessionContext: { rootSessionId: "t" },
  workspaceRoots: ["/p"],
  userId: "u",
};
const clinePre = {
  ...clineBase,
  hookName: "tool_call",
  preToolUse: {
    toolName: "run_commands",
    parameters: { commands: JSON.stringify(["deploy"]), timeout: "30" },
  },
};
const clinePost = {
  ...clineBase,
  hookName: "tool_result",
  postToolUse: {
    toolName: "run_commands",
    parameters: { commands: JSON.stringify(["deploy"]) },
    result: "one\ntwo\n",
    success: true,
  },
};

describe("cline rendering", () => {
  it("a rewrite is overrideInput: the decoded input with the one rewritten command in place of the list", async () => {
    const r = await run(clinePre, [rewrite], cline);
    expect(out(r.stdout)).toEqual({
      overrideInput: { commands: ["hookpack exec -- deploy"], timeout: "30" },
    });
  });

  it("several commands are checked as one script", async () => {
    const parsed = await cline.parse({
      ...clinePre,
      preToolUse: {
        toolName: "run_commands",
        parameters: {
          commands: JSON.stringify(["cd app", { command: "ls", args: ["-la", "my dir"] }]),
        },
      },
    });
    expect(
      parsed.kind === "event" && parsed.event.kind === "before-tool" && parsed.event.tool.command,
    ).toBe('cd app\nls -la "my dir"');
  });

  it("a read of several files is checked as the equivalent cat, file by file", async () => {
    const files = JSON.stringify([{ path: "/p/a.txt" }, { path: "/p/it's.env" }]);
    const parsed = await cline.parse({
      ...clinePre,
      preToolUse: { toolName: "read_files", parameters: { files } },
    });
    expect(
      parsed.kind === "event" && parsed.event.kind === "before-tool" && parsed.event.tool,
    ).toMatchObject({ kind: "shell", command: "cat -- '/p/a.txt' '/p/it'\\''s.env'" });
  });

  it("a deny is cancel + errorMessage (the task stops before the tool runs)", async () => {
    const r = await run(clinePre, [fixed({ kind: "deny", code: "X", reason: "no." })], cline);
    expect(out(r.stdout)).toEqual({ cancel: true, errorMessage: "no." });
  });

  it("an ask becomes an explained deny: Cline hooks cannot ask", async () => {
    const r = await run(clinePre, [ask], cline);
    expect(out(r.stdout).cancel).toBe(true);
    expect(String(out(r.stdout).errorMessage)).toMatch(
      /needs a human\. Cline hooks cannot ask the user/,
    );
  });

  it("a redaction it cannot deliver is said out loud in contextModification", async () => {
    const r = await run(clinePost, [redact("one\n[REDACTED:x]\n")], cline);
    const body = out(r.stdout);
    expect(Object.keys(body)).toEqual(["contextModification"]);
    expect(String(body.contextModification)).toMatch(
      /^hookpack found secret\(s\) in this run_commands output\.\nCline does not let a hook replace or withhold/,
    );
  });

  it("declares what it cannot do", () => {
    expect(cline.capabilities).toEqual({
      rewriteInput: true,
      replaceOutput: false,
      hooksReads: true,
      askUser: false,
    });
  });
});

const opencodePre = {
  hook: "tool.execute.before",
  tool: "bash",
  sessionID: "s",
  callID: "c",
  cwd: "/p",
  args: { command: "deploy", description: "d" },
};
const opencodePost = {
  ...opencodePre,
  hook: "tool.execute.after",
  output: { output: "one\ntwo\n", metadata: { output: "one\ntwo\n", exit: 0 } },
};

describe("opencode rendering", () => {
  it("a rewrite is the changed argument, which the plugin merges into output.args in place", async () => {
    const r = await run(opencodePre, [rewrite], opencode);
    expect(out(r.stdout)).toEqual({ args: { command: "hookpack exec -- deploy" } });
  });

  it("an ask becomes an explained block: the plugin cannot ask", async () => {
    const r = await run(opencodePre, [ask], opencode);
    expect(String(out(r.stdout).block)).toMatch(
      /needs a human\. OpenCode hooks cannot ask the user/,
    );
  });

  it("a redaction replaces the result in its own shape (output and metadata)", async () => {
    const redacted = {
      output: "one\n[REDACTED:x]\n",
      metadata: { output: "one\n[REDACTED:x]\n", exit: 0 },
    };
    const r = await run(opencodePost, [redact(redacted)], opencode);
    expect(out(r.stdout)).toEqual({ output: redacted });
  });

  it("declares what it can do", () => {
    expect(opencode.capabilities).toEqual({
      rewriteInput: true,
      replaceOutput: true,
      hooksReads: true,
      askUser: false,
    });
  });
});

const cursorPre = {
  hook_event_name: "preToolUse",
  conversation_id: "c",
  cwd: "/p",
  tool_name: "Shell",
  tool_input: { command: "deploy", timeout: 5 },
  tool_use_id: "t",
};

describe("cursor rendering", () => {
  it("a rewrite is updated_input carrying every field, without a permission decision (Cursor's own rules decide, issue 14)", async () => {
    const r = await run(cursorPre, [rewrite], cursor);
    expect(out(r.stdout)).toEqual({
      updated_input: { command: "hookpack exec -- deploy", timeout: 5 },
    });
  });

  it("an ask is passed on: Cursor can ask", async () => {
    const r = await run(cursorPre, [ask], cursor);
    expect(out(r.stdout)).toEqual({ permission: "ask", agent_message: "needs a human." });
  });

  it("declares what it cannot do", () => {
    expect(cursor.capabilities).toEqual({
      rewriteInput: true,
      replaceOutput: false,
      hooksReads: true,
    });
  });
});

const windsurfPre = {
  agent_action_name: "pre_run_command",
  trajectory_id: "t",
  execution_id: "e",
  tool_info: { command_line: "deploy", cwd: "/p" },
};

describe("windsurf rendering (block only, by exit 2)", () => {
  it("a rewrite it cannot apply becomes a block that names the command to run instead", async () => {
    const r = await run(windsurfPre, [rewrite], windsurf);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "hookpack cannot rewrite tool input for Windsurf. Run this instead: hookpack exec -- deploy\n",
    );
  });

  it("an ask becomes an explained block", async () => {
    const r = await run(windsurfPre, [ask], windsurf);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/needs a human\. Windsurf hooks cannot ask the user/);
  });

  it("an allow is exit 0 and nothing else", async () => {
    const r = await run(windsurfPre, [], windsurf);
    expect(r).toEqual({ exitCode: 0, stdout: "", stderr: "" });
  });

  it("declares what it cannot do", () => {
    expect(windsurf.capabilities).toEqual({
      rewriteInput: false,
      replaceOutput: false,
      hooksReads: true,
      askUser: false,
    });
  });
});

const qwenBase = {
  session_id: "s",
  cwd: "/p",
  transcript_path: "/p/t.json",
  timestamp: "2026-11-22T00:00:00Z",
  tool_name: "run_shell_command",
};
const qwenPre = { ...qwenBase, hook_event_name: "PreToolUse", tool_input: { command: "deploy" } };
const qwenPost = {
  ...qwenBase,
  hook_event_name: "PostToolUse",
  tool_input: { command: "deploy" },
  tool_response: { llmContent: "one\ntwo\n", returnDisplay: "" },
};

describe("qwen rendering", () => {
  it("a rewrite it cannot apply (updatedInput is not read in PreToolUse) becomes a deny naming the command to run instead", async () => {
    const r = await run(qwenPre, [rewrite], qwen);
    const specific = out(r.stdout).hookSpecificOutput as Record<string, unknown>;
    expect(specific.permissionDecision).toBe("deny");
    expect(specific.permissionDecisionReason).toBe(
      "hookpack cannot rewrite tool input for Qwen Code. Run this instead: hookpack exec -- deploy",
    );
  });

  it("an ask is passed on", async () => {
    const r = await run(qwenPre, [ask], qwen);
    expect(out(r.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "ask",
        permissionDecisionReason: "needs a human.",
      },
    });
  });

  it("a redaction becomes continue:false whose stopReason is the notice plus the redacted llmContent", async () => {
    const r = await run(
      qwenPost,
      [redact({ llmContent: "one\n[REDACTED:x]\n", returnDisplay: "" })],
      qwen,
    );
    expect(out(r.stdout)).toEqual({
      continue: false,
      stopReason: "[hookpack redacted 1 secret(s) from the output.]\none\n[REDACTED:x]\n",
    });
  });
});
