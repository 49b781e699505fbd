// Qwen Code adapter. Checked against @qwen-code/qwen-code 0.24.4, run end to end (real client on
// Node 22 against a fake model server, test/e2e/qwen.test.ts); fixtures are recorded payloads.
//
// Claude-shaped hooks in .qwen/settings.json. A PreToolUse payload (recorded):
//   {"session_id":"…","transcript_path":"~/.qwen/projects/<cwd-slug>/chats/<session>.jsonl",
//    "cwd":"/home/u/app","hook_event_name":"PreToolUse","timestamp":"…","permission_mode":"yolo",
//    "prompt_id":"<session>########0","tool_name":"run_shell_command","tool_input":{"command":"ls"},
//    "tool_use_id":"toolu_…","tool_call_id":"call_…"}
// PostToolUse adds "tool_response" ({llmContent, returnDisplay}) and "duration_ms". A call that
// failed (for the shell: a non-zero exit) fires PostToolUseFailure instead, with the whole output
// text in "error" and "is_interrupt".
//
// What the client does with our answers [code, and e2e]:
// - PreToolUse `hookSpecificOutput.permissionDecision` deny/ask (+ reason); exit 2 blocks.
// - PreToolUse `updatedInput` is NOT read: no input rewrite, so a `$secret:` rewrite becomes a deny
//   naming the brokered command to run instead (the pipeline's REWRITE_UNSUPPORTED).
// - PostToolUse `continue:false` + `stopReason`: the call's result becomes an error carrying the
//   stopReason text, so a redacted copy travels as that text (replaceOutputAsText).
// - PostToolUseFailure reads only `hookSpecificOutput.additionalContext`, appended to the error
//   the model reads: a failed call's output cannot be replaced or withheld, so the model is warned.
import type { EventKind, Session, ToolCall, ToolKind } from "../hooks/event.js";
import type { Adapter, Parsed } from "./adapter.js";
import {
  fastGeminiFamilyTool,
  fastInputsWith,
  geminiFamilyToolCall,
  GEMINI_FAMILY_TOOLS,
  type GeminiFamilyToolPayload,
} from "./gemini-family.js";
import {
  answerOrNothing,
  EMPTY_RESPONSE,
  exitCodeFailure,
  exitMeaning,
  jsonResponse,
  localIsProject,
  optString,
  own,
  parsedEvents,
  textOf,
  validated,
} from "./common.js";
import {
  classifyByEventName,
  CLAUDE_REGISTRATIONS,
  claudeShapedProbe,
  fastPromptSubmit,
  fastSessionEnd,
  lifecycleAnswer,
  namedEvent,
  preToolUseAnswer,
  preToolUseDeny,
  promptSubmitEvent,
  sessionEndEvent,
  warningsOf,
} from "./claude-shaped.js";

const KINDS: Record<string, ToolKind> = {
  ...GEMINI_FAMILY_TOOLS,
  edit: "write-file",
  search_file_content: "search",
};

type ToolPayload = GeminiFamilyToolPayload & {
  tool_use_id?: string;
  tool_response?: unknown;
  error?: string;
};

const HANDLED: Record<string, EventKind> = {
  PreToolUse: "before-tool",
  PostToolUse: "after-tool",
  PostToolUseFailure: "after-tool",
  SessionStart: "session-start",
  SessionEnd: "session-end",
  UserPromptSubmit: "prompt-submit",
};

// ---- fast check: may only say true for payloads ./qwen-schemas.ts accepts (property-tested) ----
const FAST_INPUTS = fastInputsWith("edit");

export function fastValidateQwen(payload: unknown): boolean {
  if (!namedEvent(payload)) return false;
  const name = payload.hook_event_name;
  if (!(name in HANDLED)) return true;
  const p = payload;
  if (name === "SessionEnd" || name === "SessionStart")
    return fastSessionEnd(p) && p.transcript_path !== null;
  if (name === "UserPromptSubmit") return fastPromptSubmit(p) && p.transcript_path !== null;
  return (
    fastGeminiFamilyTool(p, FAST_INPUTS) &&
    optString(p.permission_mode) &&
    optString(p.tool_use_id) &&
    (name === "PreToolUse" ||
      (name === "PostToolUse"
        ? "tool_response" in p
        : typeof p.error === "string" &&
          (p.is_interrupt === undefined || typeof p.is_interrupt === "boolean")))
  );
}

function toolCall(p: ToolPayload): ToolCall {
  const kind: ToolKind =
    own(KINDS, p.tool_name) ?? (p.tool_name.startsWith("mcp__") ? "mcp" : "other");
  const showsContent = ["grep_search", "search_file_content"];
  return geminiFamilyToolCall(kind, p, p.tool_use_id, ["path", "dir_path"], showsContent);
}

const SCHEMAS = async () => (await import("./qwen-schemas.js")).validateQwenPayload;
const parsed = parsedEvents("qwen");

async function parse(payload: unknown): Promise<Parsed> {
  const p = await validated<ToolPayload>(payload, fastValidateQwen, SCHEMAS);
  const kind = HANDLED[p.hook_event_name];
  if (!kind) return { kind: "ignored", eventName: p.hook_event_name };
  const session: Session = { id: p.session_id, cwd: p.cwd, transcriptPath: p.transcript_path };
  // The session's chat log (~/.qwen/projects/<slug>/chats/<id>.jsonl) keeps blocked inputs and
  // failed calls' output as they were: it is cleaned when the session ends.
  // The start of a session: inherited variables and instruction files that hold secrets are named.
  if (kind === "session-start") return parsed.sessionStart(session);
  if (kind === "session-end")
    return sessionEndEvent(
      "qwen",
      payload as { session_id: string; cwd: string; transcript_path?: string; reason?: string },
    );
  // The model-bound text of this send (0.24.4: a user query, and also continuations that carry
  // tool results): held back when it carries a secret.
  if (kind === "prompt-submit")
    return promptSubmitEvent(
      "qwen",
      payload as { session_id: string; cwd: string; transcript_path?: string; prompt: string },
    );
  if (kind === "before-tool") return parsed.beforeTool(session, toolCall(p));
  // A failed call's output text is its `error` (what the model reads, followed by our context).
  if (p.hook_event_name === "PostToolUseFailure")
    return parsed.afterTool(session, toolCall(p), { llmContent: p.error }, { failed: true });
  return parsed.afterTool(session, toolCall(p), p.tool_response);
}

/** The text the model reads from a PostToolUse `tool_response` (llmContent when it has one). */
function outputText(output: unknown): string {
  const content = (output as { llmContent?: unknown } | null)?.llmContent;
  return textOf(content ?? output);
}

/** What the model is told next to a failed call's output that held secrets hookpack could not take out. */
export const EXPOSED_NOTICE =
  "Qwen Code does not let a hook replace or withhold the output of a failed call, so this output reached you unredacted. Do not repeat, store, or send the secret value anywhere; tell the user which secret was exposed so they can rotate it. To use secrets safely, refer to them as $secret:NAME in commands instead of printing them.";

const render: Adapter["render"] = (decision, event, payload) => {
  const warnings = warningsOf(decision);
  if (event.kind === "before-tool") {
    if (decision.kind === "deny") return preToolUseDeny(decision.reason);
    if (decision.permission === "ask")
      return preToolUseAnswer(warnings, {
        permissionDecision: "ask",
        permissionDecisionReason: decision.reason ?? "",
      });
    return answerOrNothing(warnings);
  }
  if (
    event.kind === "after-tool" &&
    (payload as { hook_event_name?: unknown } | null)?.hook_event_name === "PostToolUseFailure"
  ) {
    const context =
      decision.kind === "deny"
        ? `hookpack found secret(s) in this failed ${event.tool.name} call's output.\n${EXPOSED_NOTICE}`
        : warnings.systemMessage;
    return context
      ? jsonResponse({
          hookSpecificOutput: { hookEventName: "PostToolUseFailure", additionalContext: context },
        })
      : EMPTY_RESPONSE;
  }
  if (event.kind === "after-tool") {
    // continue:false turns the result into an error carrying stopReason: the model reads it instead.
    if (decision.kind === "deny")
      return jsonResponse({ continue: false, stopReason: decision.reason });
    return answerOrNothing(warnings);
  }
  return lifecycleAnswer(decision, event.kind, "block");
};

export const qwen: Adapter = {
  id: "qwen",
  displayName: "Qwen Code",
  checkedAgainst: "0.24.4 (run end to end on Node 22)",
  capabilities: {
    rewriteInput: false,
    replaceOutput: false,
    replaceOutputAsText: true,
    hooksReads: true,
  },
  parse,
  classify: classifyByEventName(HANDLED),
  render,
  // Exit 2 blocks; other codes are non-blocking.
  renderFailure: exitCodeFailure,
  outputText,
  probe: claudeShapedProbe(
    "PreToolUse",
    "run_shell_command",
    { permission_mode: "default", tool_use_id: "toolu_hookpack_doctor" },
    exitMeaning(
      2,
      "Qwen Code blocks the call",
      "Qwen Code logs a hook error and runs the call unchecked",
    ),
  ),
  config: {
    ignoreFile: ".qwenignore",
    format: "claude-settings-json",
    // Qwen has no untracked local settings file: "local" uses the project file.
    files: localIsProject(".qwen/settings.json"),
    projectDirVariable: "QWEN_PROJECT_DIR",
    contextFiles: { project: ["QWEN.md", "AGENTS.md"], user: [".qwen/QWEN.md"] },
    registrations: CLAUDE_REGISTRATIONS,
    notes: [
      "Qwen Code hooks cannot rewrite a tool's input: hookpack answers a $secret: reference by blocking it with the brokered command to run instead. The output of a failed call (a command that exits non-zero) cannot be replaced: hookpack can only warn the model. Qwen Code 0.24 needs Node >= 22 (older Node installs 0.15.x, whose hooks were not checked).",
    ],
  },
};
