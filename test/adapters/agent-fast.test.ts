// The Codex, Gemini and Copilot fast paths may only vouch for payloads their zod schemas accept: a
// shortcut, never a second opinion (the same property as claude-code-fast.test.ts).
import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fastValidateCodex } from "../../adapters/codex.js";
import { validateCodexPayload } from "../../adapters/codex-schemas.js";
import { fastValidateCline } from "../../adapters/cline.js";
import { validateClinePayload } from "../../adapters/cline-schemas.js";
import { fastValidateCopilot } from "../../adapters/copilot.js";
import { validateCopilotPayload } from "../../adapters/copilot-schemas.js";
import { fastValidateCursor } from "../../adapters/cursor.js";
import { validateCursorPayload } from "../../adapters/cursor-schemas.js";
import { fastValidateGemini } from "../../adapters/gemini.js";
import { fastValidateOpencode } from "../../adapters/opencode.js";
import { fastValidateQwen } from "../../adapters/qwen.js";
import { validateQwenPayload } from "../../adapters/qwen-schemas.js";
import { fastValidateWindsurf } from "../../adapters/windsurf.js";
import { validateWindsurfPayload } from "../../adapters/windsurf-schemas.js";
import { validateOpencodePayload } from "../../adapters/opencode-schemas.js";
import { validateGeminiPayload } from "../../adapters/gemini-schemas.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { loadFixtures } from "../helpers/fixtures.js";
import { REPO } from "../helpers/run.js";

type Spec = {
  fast: (p: unknown) => boolean;
  zod: (p: unknown) => void;
  tools: string[];
  events: unknown[];
  keys: string[];
  inputKeys: string[];
  /** Payload keys of the tool name, its input, and what tells the event apart. */
  names?: { tool: string; input: string; event: string };
};

const AGENTS: Record<string, Spec> = {
  codex: {
    fast: fastValidateCodex,
    zod: validateCodexPayload,
    tools: ["Bash", "apply_patch", "mcp__x__y", "Other", ""],
    events: ["PreToolUse", "PostToolUse", "SessionStart", "Stop"],
    keys: [
      "session_id",
      "turn_id",
      "cwd",
      "transcript_path",
      "hook_event_name",
      "model",
      "permission_mode",
      "tool_name",
      "tool_input",
      "tool_use_id",
      "tool_response",
    ],
    inputKeys: ["command", "cmd", "title", "body"],
  },
  gemini: {
    fast: fastValidateGemini,
    zod: validateGeminiPayload,
    tools: [
      "run_shell_command",
      "read_file",
      "write_file",
      "replace",
      "read_many_files",
      "grep_search",
      "mcp_x_y",
      "",
    ],
    events: ["BeforeTool", "AfterTool", "SessionStart", "BeforeModel"],
    keys: [
      "session_id",
      "cwd",
      "transcript_path",
      "hook_event_name",
      "timestamp",
      "tool_name",
      "tool_input",
      "tool_response",
      "mcp_context",
    ],
    inputKeys: [
      "command",
      "is_background",
      "file_path",
      "content",
      "old_string",
      "new_string",
      "description",
    ],
  },
  copilot: {
    fast: fastValidateCopilot,
    zod: validateCopilotPayload,
    tools: ["bash", "powershell", "view", "create", "edit", "grep", "web_fetch", "mcp-tool", ""],
    // Copilot payloads carry no event name: a toolResult makes a postToolUse.
    events: [
      { resultType: "success", textResultForLlm: "x" },
      { textResultForLlm: 3 },
      "x",
      null,
      {},
    ],
    keys: ["sessionId", "timestamp", "cwd", "toolName", "toolArgs", "toolResult", "source"],
    inputKeys: [
      "command",
      "async",
      "description",
      "path",
      "file_text",
      "old_str",
      "new_str",
      "output_mode",
    ],
    names: { tool: "toolName", input: "toolArgs", event: "toolResult" },
  },
  cline: {
    fast: fastValidateCline,
    zod: validateClinePayload,
    // Tool name and input sit one level down (preToolUse / postToolUse): mutated whole here.
    tools: ["x"],
    events: ["tool_call", "tool_result", "agent_start", 3, null, undefined],
    keys: [
      "hookName",
      "taskId",
      "workspaceRoots",
      "sessionContext",
      "preToolUse",
      "postToolUse",
      "clineVersion",
    ],
    inputKeys: ["toolName", "parameters", "result", "success"],
    names: { tool: "toolNameUnused", input: "preToolUse", event: "hookName" },
  },
  opencode: {
    fast: fastValidateOpencode,
    zod: validateOpencodePayload,
    tools: ["bash", "read", "write", "edit", "grep", "webfetch", "github_create_issue", ""],
    events: ["tool.execute.before", "tool.execute.after", "chat.message", 3, undefined],
    keys: ["hook", "tool", "sessionID", "callID", "cwd", "args", "output"],
    inputKeys: ["command", "description", "filePath", "content", "oldString", "newString", "url"],
    names: { tool: "tool", input: "args", event: "hook" },
  },
  cursor: {
    fast: fastValidateCursor,
    zod: validateCursorPayload,
    tools: ["Shell", "Read", "Write", "Grep", "MCP:x", ""],
    events: ["preToolUse", "postToolUse", "beforeShellExecution", "stop"],
    keys: [
      "conversation_id",
      "session_id",
      "cwd",
      "transcript_path",
      "workspace_roots",
      "hook_event_name",
      "tool_name",
      "tool_input",
      "tool_use_id",
      "tool_output",
    ],
    inputKeys: ["command", "file_path", "contents", "path"],
  },
  windsurf: {
    fast: fastValidateWindsurf,
    zod: validateWindsurfPayload,
    tools: ["x"],
    events: [
      "pre_run_command",
      "pre_read_code",
      "pre_write_code",
      "pre_mcp_tool_use",
      "post_run_command",
      3,
    ],
    keys: ["agent_action_name", "trajectory_id", "execution_id", "timestamp", "tool_info"],
    inputKeys: ["command_line", "cwd", "file_path", "edits", "mcp_tool_name"],
    names: { tool: "unusedToolName", input: "tool_info", event: "agent_action_name" },
  },
  qwen: {
    fast: fastValidateQwen,
    zod: validateQwenPayload,
    tools: ["run_shell_command", "read_file", "write_file", "edit", "grep_search", "mcp__x__y", ""],
    events: [
      "PreToolUse",
      "PostToolUse",
      "PostToolUseFailure",
      "SessionStart",
      "PermissionRequest",
    ],
    keys: [
      "session_id",
      "cwd",
      "transcript_path",
      "hook_event_name",
      "timestamp",
      "permission_mode",
      "tool_name",
      "tool_input",
      "tool_use_id",
      "tool_response",
      "error",
      "is_interrupt",
    ],
    inputKeys: ["command", "is_background", "file_path", "content", "old_string", "new_string"],
  },
};

for (const [agent, a] of Object.entries(AGENTS)) {
  const payloads = loadFixtures(join(REPO, "test", "fixtures", "payloads", agent), fakeTokens(3))
    .filter((f) => /^(allow|deny|redact)\./.test(f.name))
    .map((f) => JSON.parse(f.input) as Record<string, unknown>);
  const zodAccepts = (payload: unknown) => {
    try {
      a.zod(payload);
      return true;
    } catch {
      return false;
    }
  };
  type Mutation = (p: Record<string, unknown>) => Record<string, unknown>;
  const n = a.names ?? { tool: "tool_name", input: "tool_input", event: "hook_event_name" };
  const inputOf = (p: Record<string, unknown>) =>
    typeof p[n.input] === "object" && p[n.input] !== null && !Array.isArray(p[n.input])
      ? { ...(p[n.input] as Record<string, unknown>) }
      : {};
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.constantFrom(...a.keys).map(
      (k): Mutation =>
        (p) =>
          Object.fromEntries(Object.entries(p).filter(([key]) => key !== k)),
    ),
    fc
      .tuple(fc.constantFrom(...a.keys), fc.jsonValue({ maxDepth: 2 }))
      .map(([k, v]): Mutation => (p) => ({ ...p, [k]: v })),
    fc.constantFrom(...a.tools).map((t): Mutation => (p) => ({ ...p, [n.tool]: t })),
    fc.constantFrom(...a.events).map((e): Mutation => (p) => ({ ...p, [n.event]: e })),
    fc
      .tuple(fc.constantFrom(...a.inputKeys), fc.jsonValue({ maxDepth: 2 }))
      .map(([k, v]): Mutation => (p) => ({ ...p, [n.input]: { ...inputOf(p), [k]: v } })),
    fc.constantFrom(...a.inputKeys).map((k): Mutation => (p) => {
      const input = inputOf(p);
      delete input[k];
      return { ...p, [n.input]: input };
    }),
  );

  describe(`${agent} fast validation`, () => {
    it("vouches for every valid fixture (so the usual call never loads zod)", () => {
      expect(payloads.length).toBeGreaterThan(5);
      for (const p of payloads) {
        expect(zodAccepts(p)).toBe(true);
        expect(a.fast(p)).toBe(true);
      }
    });

    it("never vouches for a payload zod rejects (random mutations of real payloads)", () => {
      let rejectedByZod = 0;
      fc.assert(
        fc.property(
          fc.constantFrom(...payloads),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          (payload, mutations) => {
            const mutated = mutations.reduce((p, m) => m(p), payload);
            const accepted = zodAccepts(mutated);
            if (!accepted) rejectedByZod++;
            if (a.fast(mutated)) expect(accepted, JSON.stringify(mutated).slice(0, 400)).toBe(true);
          },
        ),
        { numRuns: 5000, seed: 20261122 },
      );
      expect(rejectedByZod).toBeGreaterThan(1000);
    });
  });
}
