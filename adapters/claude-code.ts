// Claude Code adapter. Checked against @anthropic-ai/claude-code 2.1.330 (shipped code) and
// driven end to end in test/e2e. Hook docs: https://code.claude.com/docs/en/hooks
//
// A PreToolUse payload, as the client sends it on stdin:
//   {"session_id":"4f1c…","transcript_path":"/home/u/.claude/projects/-home-u-app/4f1c….jsonl",
//    "cwd":"/home/u/app","permission_mode":"default","hook_event_name":"PreToolUse",
//    "tool_name":"Bash","tool_input":{"command":"ls","description":"list"},"tool_use_id":"toolu_01…"}
// PostToolUse adds "tool_response" (the tool's structured output) and "duration_ms".
import * as z from "zod/mini";
import type { Decision, EventKind, HookEvent, HookResponse, Session, ToolCall, ToolKind } from "../hooks/event.js";
import { forEachString, mapStrings } from "../hooks/json-walk.js";
import { PayloadError, type Adapter, type Parsed } from "./adapter.js";

const base = {
  session_id: z.string(),
  transcript_path: z.optional(z.string()),
  cwd: z.string(),
  hook_event_name: z.string(),
  permission_mode: z.optional(z.string()),
};
const toolInput = z.record(z.string(), z.unknown());
const preToolUse = z.looseObject({
  ...base,
  tool_name: z.string().check(z.minLength(1)),
  tool_input: toolInput,
  tool_use_id: z.optional(z.string()),
});
const postToolUse = z.looseObject({
  ...base,
  tool_name: z.string().check(z.minLength(1)),
  tool_input: toolInput,
  tool_use_id: z.optional(z.string()),
  tool_response: z.unknown(),
});
const sessionEvent = z.looseObject({ ...base, source: z.optional(z.string()), reason: z.optional(z.string()) });
const eventName = z.looseObject({ hook_event_name: z.string() });

// Per-tool input fields we rely on. Extra fields pass through untouched.
const s = z.string();
const TOOL_INPUTS: Record<string, z.ZodMiniType> = {
  Bash: z.looseObject({ command: s, run_in_background: z.optional(z.boolean()) }),
  Read: z.looseObject({ file_path: s }),
  Write: z.looseObject({ file_path: s, content: s }),
  Edit: z.looseObject({ file_path: s, old_string: s, new_string: s }),
  MultiEdit: z.looseObject({ file_path: s, edits: z.array(z.looseObject({ old_string: s, new_string: s })) }),
  NotebookEdit: z.looseObject({ notebook_path: s }),
  Grep: z.looseObject({ pattern: s, path: z.optional(s) }),
  Glob: z.looseObject({ pattern: s, path: z.optional(s) }),
  WebFetch: z.looseObject({ url: s }),
  WebSearch: z.looseObject({ query: s }),
};

const KINDS: Record<string, ToolKind> = {
  Bash: "shell",
  Read: "read-file",
  Write: "write-file",
  Edit: "write-file",
  MultiEdit: "write-file",
  NotebookEdit: "write-file",
  Grep: "search",
  Glob: "search",
  WebFetch: "fetch",
  WebSearch: "fetch",
};

/** Input leaves that describe content already on disk, not content the agent is adding. */
const EXISTING_CONTENT = /(^|\.)old_string$/;

/** Claude drops an over-long updatedToolOutput and shows the raw result instead; stay well under. */
export const MAX_UPDATED_OUTPUT_CHARS = 15_000;

function check<T>(schema: z.ZodMiniType<T>, value: unknown, prefix = ""): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join(".");
  throw new PayloadError(path, describeIssue(issue, value, issue?.path ?? []));
}

function describeIssue(issue: z.core.$ZodIssue | undefined, root: unknown, path: PropertyKey[]): string {
  if (!issue) return "invalid";
  let got: unknown = root;
  for (const key of path) got = got !== null && typeof got === "object" ? (got as Record<PropertyKey, unknown>)[key] : undefined;
  const gotType = got === undefined ? "nothing" : got === null ? "null" : Array.isArray(got) ? "an array" : typeof got;
  if (issue.code === "invalid_type") return `expected ${issue.expected}, got ${gotType}`;
  if (issue.code === "too_small") return "expected a non-empty string";
  return issue.message;
}

function session(p: { session_id: string; cwd: string; transcript_path?: string | undefined }): Session {
  return { id: p.session_id, cwd: p.cwd, transcriptPath: p.transcript_path };
}

function toolCall(name: string, input: Record<string, unknown>, id: string | undefined): ToolCall {
  const shape = TOOL_INPUTS[name];
  if (shape) check(shape, input, "tool_input");
  const fields: Array<{ path: string; value: string }> = [];
  forEachString(input, (value, path) => {
    if (!EXISTING_CONTENT.test(path)) fields.push({ path, value });
  });
  const kind: ToolKind = KINDS[name] ?? (name.startsWith("mcp__") ? "mcp" : "other");
  const str = (key: string) => (typeof input[key] === "string" ? (input[key] as string) : undefined);
  const call: ToolCall = { kind, name, id, fields };
  if (kind === "shell") {
    call.command = str("command");
    call.background = input.run_in_background === true;
  }
  const path = str("file_path") ?? str("notebook_path") ?? (kind === "search" ? str("path") : undefined);
  if (path !== undefined) call.path = path;
  if (kind === "fetch" && str("url") !== undefined) call.url = str("url");
  return call;
}

export function parseClaudePayload(payload: unknown): Parsed {
  const { hook_event_name: name } = check(eventName, payload);
  switch (name) {
    case "PreToolUse": {
      const p = check(preToolUse, payload);
      const tool = toolCall(p.tool_name, p.tool_input, p.tool_use_id);
      return { kind: "event", event: { kind: "before-tool", agent: "claude-code", session: session(p), tool } };
    }
    case "PostToolUse": {
      const p = check(postToolUse, payload);
      const tool = toolCall(p.tool_name, p.tool_input, p.tool_use_id);
      const event: HookEvent = { kind: "after-tool", agent: "claude-code", session: session(p), tool, output: p.tool_response };
      return { kind: "event", event };
    }
    case "SessionStart": {
      const p = check(sessionEvent, payload);
      return { kind: "event", event: { kind: "session-start", agent: "claude-code", session: session(p) } };
    }
    case "SessionEnd":
    case "Stop": {
      const p = check(sessionEvent, payload);
      const reason = name === "Stop" ? "stop" : p.reason;
      return { kind: "event", event: { kind: "session-end", agent: "claude-code", session: session(p), reason } };
    }
    default:
      return { kind: "ignored", eventName: name };
  }
}

const KIND_OF_EVENT: Record<string, EventKind> = {
  PreToolUse: "before-tool",
  PostToolUse: "after-tool",
  SessionStart: "session-start",
  SessionEnd: "session-end",
  Stop: "session-end",
};

const WIRE_EVENT: Record<HookEvent["kind"], string> = {
  "before-tool": "PreToolUse",
  "after-tool": "PostToolUse",
  "session-start": "SessionStart",
  "session-end": "SessionEnd",
};

const json = (value: unknown): HookResponse => ({ exitCode: 0, stdout: `${JSON.stringify(value)}\n`, stderr: "" });
const EMPTY: HookResponse = { exitCode: 0, stdout: "", stderr: "" };

/** Cuts the longest strings of an output until it fits Claude's limit, with a visible notice. */
export function fitOutput(output: unknown, limit = MAX_UPDATED_OUTPUT_CHARS): unknown {
  let current = output;
  for (let round = 0; round < 64; round++) {
    const size = JSON.stringify(current).length;
    if (size <= limit) return current;
    let longestPath: string | undefined;
    let longestLength = 0;
    forEachString(current, (text, path) => {
      if (text.length > longestLength) [longestPath, longestLength] = [path, text.length];
    });
    if (longestPath === undefined) break;
    const keep = Math.max(0, longestLength - (size - limit) - 128);
    current = mapStrings(current, (text, path) =>
      path === longestPath ? `${text.slice(0, keep)}\n[hookpack: ${text.length - keep} chars cut to fit the hook response limit]` : text,
    );
  }
  return current;
}

/** Fields of Claude's tool outputs that carry content; everything else (type tags, paths) is kept. */
const CONTENT_KEYS = /(^|\.)(stdout|stderr|content|output|result|text|filenames|matches|\d+)$/;

/** Same shape as the tool's output, with every content string replaced by `notice`. */
export function withholdOutput(output: unknown, notice: string): unknown {
  if (typeof output === "string") return notice;
  let first = true;
  return mapStrings(output, (text, path) => {
    if (!CONTENT_KEYS.test(path) || text === "") return text;
    const out = first ? notice : "";
    first = false;
    return out;
  });
}

function render(decision: Decision, event: HookEvent, payload: unknown): HookResponse {
  const hookEventName = WIRE_EVENT[event.kind];
  const input = (payload as { tool_input?: Record<string, unknown> }).tool_input ?? {};
  if (event.kind === "before-tool") {
    if (decision.kind === "deny") {
      return json({ hookSpecificOutput: { hookEventName, permissionDecision: "deny", permissionDecisionReason: decision.reason } });
    }
    const out: Record<string, unknown> = {};
    const specific: Record<string, unknown> = { hookEventName };
    if (decision.permission !== "default") specific.permissionDecision = decision.permission;
    if (decision.reason && decision.permission !== "default") specific.permissionDecisionReason = decision.reason;
    if (decision.patch?.command !== undefined) specific.updatedInput = { ...input, command: decision.patch.command };
    if (Object.keys(specific).length > 1) out.hookSpecificOutput = specific;
    if (decision.warnings.length > 0) out.systemMessage = decision.warnings.join("\n");
    return Object.keys(out).length > 0 ? json(out) : EMPTY;
  }
  if (event.kind === "after-tool") {
    const out: Record<string, unknown> = {};
    if (decision.kind === "deny") {
      // PostToolUse cannot block (the tool already ran) and `decision: "block"` does not withhold
      // the output; replacing the output is the only way to keep it from the model.
      out.hookSpecificOutput = { hookEventName, updatedToolOutput: withholdOutput(event.output, decision.reason) };
      out.systemMessage = decision.reason;
      return json(out);
    }
    if (decision.hasOutput) out.hookSpecificOutput = { hookEventName, updatedToolOutput: fitOutput(decision.output) };
    if (decision.warnings.length > 0) out.systemMessage = decision.warnings.join("\n");
    return Object.keys(out).length > 0 ? json(out) : EMPTY;
  }
  if (decision.kind === "proceed" && decision.warnings.length > 0) return json({ systemMessage: decision.warnings.join("\n") });
  return EMPTY;
}

export const claudeCode: Adapter = {
  id: "claude-code",
  displayName: "Claude Code",
  checkedAgainst: "2.1.330",
  capabilities: { rewriteInput: true, replaceOutput: true, hooksReads: true },
  parse: parseClaudePayload,
  classify(payload) {
    const name = (payload as { hook_event_name?: unknown } | null)?.hook_event_name;
    return (typeof name === "string" && KIND_OF_EVENT[name]) || "unknown";
  },
  render,
  renderFailure(mode, message) {
    // Exit 2 blocks a PreToolUse call and hands stderr to the model; any other non-zero code is a
    // non-blocking error the user sees while the call proceeds.
    return { exitCode: mode === "closed" ? 2 : 1, stdout: "", stderr: `${message}\n` };
  },
  config: {
    format: "claude-settings-json",
    files: { project: ".claude/settings.json", local: ".claude/settings.local.json", user: ".claude/settings.json" },
    projectDirVariable: "CLAUDE_PROJECT_DIR",
    registrations: [
      { event: "PreToolUse", matcher: "*", timeout: 30 },
      { event: "PostToolUse", matcher: "*", timeout: 30 },
      { event: "SessionEnd", matcher: undefined, timeout: 30 },
    ],
  },
};
