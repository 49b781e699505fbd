// Codex CLI adapter. Checked against @openai/codex 0.169.0 (embedded hook schemas, and the real
// client driven end to end in test/e2e/codex.test.ts). Hook docs: https://developers.openai.com/codex/hooks
//
// A PreToolUse payload, as 0.169.0 sends it on stdin (recorded from the real client):
//   {"session_id":"01a2…","turn_id":"01a2…","transcript_path":"/home/u/.codex/sessions/2026/11/22/rollout-….jsonl",
//    "cwd":"/home/u/app","hook_event_name":"PreToolUse","model":"gpt-5.x","permission_mode":"bypassPermissions",
//    "tool_name":"Bash","tool_input":{"command":"cat notes.txt"},"tool_use_id":"call_…"}
// PostToolUse adds "tool_response": for Bash, the output as ONE plain string.
//
// What the client does with our answers (each checked end to end):
// - PreToolUse `permissionDecision:"deny"` + reason: the command does not run; the model reads
//   "Command blocked by PreToolUse hook: <reason>…".
// - PreToolUse `updatedInput` is applied only together with `permissionDecision:"allow"`; `allow`
//   without `updatedInput` and `ask` are rejected as unsupported (the call then runs unchecked).
// - PostToolUse `decision:"block"` + reason: the model reads the reason INSTEAD of the output.
//   There is no way to replace the output in its own shape, so a redacted copy travels as the reason.
// - Exit 2 + stderr blocks like a deny; other exit codes are non-blocking failures.
// - Hooks run only after the user trusts them (`/hooks` in the TUI); untrusted hooks are skipped
//   silently. `codex exec --dangerously-bypass-hook-trust` runs them without review.
import type { EventKind, Session, ToolCall, ToolKind } from "../hooks/event.js";
import type { Adapter, Parsed } from "./adapter.js";
import {
  answerOrNothing,
  exitCodeFailure,
  exitMeaning,
  isPlainObject,
  localIsProject,
  neutralToolCall,
  optString,
  own,
  parsedEvents,
  textOf,
  validated,
} from "./common.js";
import {
  afterToolOrLifecycle,
  classifyByEventName,
  claudeShapedProbe,
  claudeShapedRefusal,
  fastPromptSubmit,
  fastSessionEnd,
  fastSessionFields,
  namedEvent,
  preToolUseAnswer,
  preToolUseDeny,
  promptSubmitEvent,
  sessionEndEvent,
  warningsOf,
} from "./claude-shaped.js";

const KINDS: Record<string, ToolKind> = { Bash: "shell", apply_patch: "write-file" };

type ToolPayload = {
  session_id: string;
  cwd: string;
  transcript_path?: string | null;
  hook_event_name: string;
  tool_name: string;
  tool_input: Record<string, unknown>;
  tool_use_id?: string;
  tool_response?: unknown;
};

// ---- fast check: may only say true for payloads ./codex-schemas.ts accepts (property-tested) ----
const FAST_INPUTS: Record<string, (input: Record<string, unknown>) => boolean> = {
  Bash: (i) => typeof i.command === "string",
  apply_patch: (i) => typeof i.command === "string",
};

export function fastValidateCodex(payload: unknown): boolean {
  if (!namedEvent(payload)) return false;
  const name = payload.hook_event_name;
  const p = payload;
  if (name === "SessionEnd") return fastSessionEnd(p);
  if (name === "UserPromptSubmit") return fastPromptSubmit(p);
  if (name === "SessionStart") return fastSessionEnd(p);
  if (name !== "PreToolUse" && name !== "PostToolUse") return true;
  return (
    fastSessionFields(p) &&
    optString(p.turn_id) &&
    optString(p.model) &&
    optString(p.permission_mode) &&
    typeof p.tool_name === "string" &&
    p.tool_name.length > 0 &&
    isPlainObject(p.tool_input) &&
    optString(p.tool_use_id) &&
    (name === "PreToolUse" || "tool_response" in p) &&
    (FAST_INPUTS[p.tool_name]?.(p.tool_input) ?? true)
  );
}

function session(p: ToolPayload): Session {
  return { id: p.session_id, cwd: p.cwd, transcriptPath: p.transcript_path ?? undefined };
}

function toolCall(name: string, input: Record<string, unknown>, id: string | undefined): ToolCall {
  const kind = own(KINDS, name) ?? (name.startsWith("mcp__") ? "mcp" : "other");
  const call = neutralToolCall(kind, name, input, id);
  if (kind === "shell" && typeof input.command === "string") call.command = input.command;
  return call;
}

const SCHEMAS = async () => (await import("./codex-schemas.js")).validateCodexPayload;
const parsed = parsedEvents("codex");

async function parse(payload: unknown): Promise<Parsed> {
  const p = await validated<ToolPayload>(payload, fastValidateCodex, SCHEMAS);
  const tool = () => toolCall(p.tool_name, p.tool_input, p.tool_use_id);
  switch (p.hook_event_name) {
    case "PreToolUse":
      return parsed.beforeTool(session(p), tool());
    case "PostToolUse":
      return parsed.afterTool(session(p), tool(), p.tool_response);
    case "SessionEnd":
      // The rollout (~/.codex/sessions/…/rollout-….jsonl) keeps every command's raw output, even
      // what the model got redacted; Codex writes nothing to it after SessionEnd (checked, 0.169.0).
      return sessionEndEvent("codex", p);
    case "SessionStart":
      return parsed.sessionStart(session(p));
    case "UserPromptSubmit":
      // The prompt before the model sees it; `decision:"block"` stops the turn (checked end to end).
      return promptSubmitEvent(
        "codex",
        payload as {
          session_id: string;
          cwd: string;
          transcript_path?: string | null;
          prompt: string;
        },
      );
    default:
      return { kind: "ignored", eventName: p.hook_event_name };
  }
}

const KIND_OF_EVENT: Record<string, EventKind> = {
  PreToolUse: "before-tool",
  PostToolUse: "after-tool",
  SessionEnd: "session-end",
  UserPromptSubmit: "prompt-submit",
  SessionStart: "session-start",
};

const render: Adapter["render"] = (decision, event, payload) => {
  const input = (payload as { tool_input?: Record<string, unknown> }).tool_input ?? {};
  const warnings = warningsOf(decision);
  if (event.kind === "before-tool") {
    if (decision.kind === "deny") return preToolUseDeny(decision.reason);
    // Codex applies updatedInput only with "allow", and rejects "allow" without updatedInput.
    if (decision.patch?.command !== undefined)
      return preToolUseAnswer(warnings, {
        permissionDecision: "allow",
        updatedInput: { ...input, command: decision.patch.command },
      });
    return answerOrNothing(warnings);
  }
  // `block` withholds the output: the model reads the reason in its place; a blocked prompt's
  // `decision:"block"` stops the turn (checked end to end).
  return afterToolOrLifecycle(decision, event, "block", textOf);
};

export const codex: Adapter = {
  id: "codex",
  displayName: "Codex CLI",
  checkedAgainst: "0.169.0",
  // No read tool (reads go through the shell); no ask from a hook.
  capabilities: {
    rewriteInput: true,
    replaceOutput: false,
    replaceOutputAsText: true,
    hooksReads: false,
    askUser: false,
  },
  parse,
  classify: classifyByEventName(KIND_OF_EVENT),
  render,
  // Exit 2 with stderr blocks (PreToolUse) or withholds the output (PostToolUse); other codes
  // are non-blocking failures.
  renderFailure: exitCodeFailure,
  outputText: textOf,
  probe: claudeShapedProbe(
    "PreToolUse",
    "Bash",
    {
      turn_id: "hookpack-doctor",
      transcript_path: null,
      model: "hookpack-doctor",
      permission_mode: "default",
      tool_use_id: "call_hookpack_doctor",
    },
    exitMeaning(
      2,
      "Codex blocks the call",
      "Codex marks the hook failed and runs the call unchecked",
    ),
    (json) => {
      const specific = json.hookSpecificOutput as
        { permissionDecision?: unknown; updatedInput?: unknown } | undefined;
      // Codex rejects `allow` without updatedInput (and `ask`) as unsupported: the hook counts as failed.
      if (specific?.permissionDecision === "allow" && specific.updatedInput === undefined)
        return 'it answered permissionDecision "allow" without updatedInput, which Codex rejects as unsupported';
      return claudeShapedRefusal(json);
    },
  ),
  config: {
    // Codex reads Claude-shaped hooks.json next to each config layer. It has no untracked local
    // layer: "local" uses the project file.
    format: "claude-settings-json",
    files: localIsProject(".codex/hooks.json"),
    // …or inline `[[hooks.<event>]]` tables in config.toml of the same layer, when the user keeps them there.
    inlineToml: {
      files: localIsProject(".codex/config.toml"),
    },
    projectDirVariable: undefined,
    contextFiles: {
      project: ["AGENTS.md", "AGENTS.override.md"],
      user: [".codex/AGENTS.md", ".codex/AGENTS.override.md"],
    },
    registrations: [
      { event: "PreToolUse", matcher: "*", timeout: 30 },
      { event: "PostToolUse", matcher: "*", timeout: 30 },
      { event: "SessionEnd", matcher: undefined, timeout: 30 },
      { event: "UserPromptSubmit", matcher: undefined, timeout: 30 },
      { event: "SessionStart", matcher: undefined, timeout: 30 },
    ],
    notes: [
      "Codex CLI runs no hook until you trust it, and says nothing: start `codex` in this project, type `/hooks`, and trust the five hookpack entries (PreToolUse, PostToolUse, SessionEnd, UserPromptSubmit, SessionStart). Project hooks (.codex/hooks.json) also need the project itself trusted. Do it again after every hookpack upgrade (the command changes). Until then Codex sessions are NOT protected.",
      "Codex has no read tool: file reads go through the shell, so hookpack checks them as commands and redacts their output.",
    ],
  },
};
