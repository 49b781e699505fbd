// Cursor adapter (IDE and `cursor-agent` CLI). Not on npm: every wire fact here is THIRD-PARTY
// (the reference's Cursor section: a static read of CLI bundle 2026.09.18-9a7762b by another
// adapter author, corroborated by other third-party references; cursor.com/docs/hooks was not
// read). Nothing here was checked against a running Cursor; fixtures follow those shapes.
//
// hookpack registers `preToolUse` (the one event that can rewrite input) and `postToolUse` in
// .cursor/hooks.json. A preToolUse payload:
//   {"conversation_id":"…","generation_id":"…","model":"…","hook_event_name":"preToolUse",
//    "cursor_version":"2.x","workspace_roots":["/home/u/app"],"user_email":"…","transcript_path":"…",
//    "tool_name":"Shell","tool_input":{"command":"ls"},"tool_use_id":"…","cwd":"/home/u/app"}
// postToolUse adds "tool_output" (for Shell a JSON TEXT {"output":…,"exitCode":…}); it fires only
// for successful calls. A failed one fires postToolUseFailure with "error_message" instead; hookpack
// registers it too (issue 14): its output cannot be replaced either, so the model is warned and the
// exposure recorded.
//
// What Cursor does with our answers [3p]:
// - preToolUse `{"permission":"deny","user_message":…,"agent_message":…}` blocks; `"ask"` asks;
//   `"allow"` auto-approves; `updated_input` (preToolUse only) replaces the input.
// - postToolUse honors `additional_context`; `updated_mcp_tool_output` for MCP tools only. Shell
//   and read output cannot be replaced, so a redaction is said out loud (additional_context) and
//   protection is at input time.
// - Exit 2 denies; other failures fail open. Invalid JSON on preToolUse BLOCKS: print one object or nothing.
// Cursor also runs Claude Code's hooks from .claude/settings*.json: ./host.ts keeps the Claude
// Code hook from running a second time when this one is installed.
import type { EventKind, ToolCall, ToolKind } from "../hooks/event.js";
import { PayloadError, type Adapter, type Parsed } from "./adapter.js";
import {
  answeredRefusal,
  answerOrNothing,
  classifyBy,
  contextBeside,
  CONTINUE_FALSE,
  EMPTY_RESPONSE,
  exitCodeFailure,
  exitMeaning,
  isPlainObject,
  jsonResponse,
  localIsProject,
  neutralToolCall,
  OLD_STRING,
  own,
  parsedEvents,
  probeRefusal,
  textOf,
  validated,
  warningText,
} from "./common.js";

const KINDS: Record<string, ToolKind> = {
  Shell: "shell",
  Read: "read-file",
  Write: "write-file",
  Edit: "write-file",
  Grep: "search",
  Glob: "search",
};

type Payload = {
  hook_event_name: string;
  conversation_id?: string;
  session_id?: string;
  cwd?: string;
  workspace_roots?: string[];
  transcript_path?: string | null;
  tool_name: string;
  tool_input: Record<string, unknown>;
  tool_use_id?: string;
  tool_output?: unknown;
  error_message?: string;
};

const HANDLED: Record<string, EventKind> = {
  preToolUse: "before-tool",
  postToolUse: "after-tool",
  postToolUseFailure: "after-tool",
};

// ---- fast check: may only say true for payloads ./cursor-schemas.ts accepts (property-tested) ----
const optString = (v: unknown) => v === undefined || typeof v === "string";

/** sessionStart: the common fields only (session_id, conversation_id, workspace_roots, …). */
const fastSession = (p: Record<string, unknown>) =>
  optString(p.conversation_id) &&
  optString(p.session_id) &&
  optString(p.cwd) &&
  (p.transcript_path === null || optString(p.transcript_path)) &&
  (p.workspace_roots === undefined ||
    (Array.isArray(p.workspace_roots) && p.workspace_roots.every((r) => typeof r === "string")));

export function fastValidateCursor(payload: unknown): boolean {
  if (!isPlainObject(payload) || typeof payload.hook_event_name !== "string") return false;
  const p = payload;
  if (p.hook_event_name === "sessionStart") return fastSession(p);
  if (!(payload.hook_event_name in HANDLED)) return true;
  return (
    optString(p.conversation_id) &&
    optString(p.session_id) &&
    optString(p.cwd) &&
    (p.transcript_path === null || optString(p.transcript_path)) &&
    (p.workspace_roots === undefined ||
      (Array.isArray(p.workspace_roots) &&
        p.workspace_roots.every((r) => typeof r === "string"))) &&
    typeof p.tool_name === "string" &&
    p.tool_name.length > 0 &&
    isPlainObject(p.tool_input) &&
    optString(p.tool_use_id) &&
    (p.tool_name !== "Shell" || typeof p.tool_input.command === "string")
  );
}

function toolCall(p: Payload): ToolCall {
  const input = p.tool_input;
  const kind: ToolKind =
    own(KINDS, p.tool_name) ?? (p.tool_name.startsWith("MCP:") ? "mcp" : "other");
  const call = neutralToolCall(kind, p.tool_name, input, p.tool_use_id, OLD_STRING);
  const str = (key: string) =>
    typeof input[key] === "string" ? (input[key] as string) : undefined;
  if (kind === "shell") call.command = str("command");
  const path = str("file_path") ?? str("path") ?? str("target_file");
  if (path !== undefined && kind !== "shell") call.path = path;
  if (kind === "search") call.showsContent = true;
  return call;
}

const SCHEMAS = async () => (await import("./cursor-schemas.js")).validateCursorPayload;
const parsed = parsedEvents("cursor");

async function parse(payload: unknown): Promise<Parsed> {
  const p = await validated<Payload>(payload, fastValidateCursor, SCHEMAS);
  if (p.hook_event_name === "beforeSubmitPrompt") {
    // {conversation_id, prompt, attachments, …}: the prompt before the model sees it.
    const q = payload as { prompt?: unknown };
    if (typeof q.prompt !== "string") throw new PayloadError("prompt", "expected a string");
    const session = {
      id: p.conversation_id ?? p.session_id ?? "",
      cwd:
        typeof p.cwd === "string"
          ? p.cwd
          : Array.isArray(p.workspace_roots) && typeof p.workspace_roots[0] === "string"
            ? p.workspace_roots[0]
            : "",
      transcriptPath: undefined,
    };
    return parsed.promptSubmit(session, q.prompt);
  }
  const session = {
    id: p.conversation_id ?? p.session_id ?? "",
    cwd: p.cwd ?? p.workspace_roots?.[0] ?? "",
    transcriptPath: p.transcript_path ?? undefined,
  };
  // sessionStart: inherited variables and instruction files that hold secrets are named.
  if (p.hook_event_name === "sessionStart") return parsed.sessionStart(session);
  const kind = HANDLED[p.hook_event_name];
  if (!kind) return { kind: "ignored", eventName: p.hook_event_name };
  if (kind === "before-tool") return parsed.beforeTool(session, toolCall(p));
  if (p.hook_event_name === "postToolUseFailure") {
    const output = { error_message: p.error_message ?? "" };
    return parsed.afterTool(session, toolCall(p), output, { failed: true });
  }
  return parsed.afterTool(session, toolCall(p), p.tool_output);
}

/** What the model is told when an output held secrets hookpack could not take out. */
export const CURSOR_EXPOSED_NOTICE =
  "Cursor does not let a hook replace or withhold this tool's output, so it reached you unredacted. Do not repeat, store, or send the secret value anywhere; tell the user which secret was exposed so they can rotate it. To use secrets safely, refer to them as $secret:NAME in commands instead of printing them.";

const render: Adapter["render"] = (decision, event, payload) => {
  const warnings = warningText(decision);
  if (event.kind === "before-tool") {
    if (decision.kind === "deny")
      return jsonResponse({
        permission: "deny",
        user_message: decision.reason,
        agent_message: decision.reason,
      });
    const out: Record<string, unknown> = {};
    if (decision.permission !== "default") out.permission = decision.permission;
    if (decision.reason && decision.permission !== "default") out.agent_message = decision.reason;
    if (decision.patch?.command !== undefined)
      out.updated_input = { ...(payload as Payload).tool_input, command: decision.patch.command };
    return answerOrNothing(out);
  }
  if (event.kind === "after-tool")
    return contextBeside("additional_context", decision, event.tool.name, CURSOR_EXPOSED_NOTICE);
  // sessionStart: additional_context (at most 10,000 characters) reaches the model.
  if (event.kind === "session-start" && warnings)
    return jsonResponse({ additional_context: warnings.slice(0, 10_000) });
  // beforeSubmitPrompt: `continue:false` stops the prompt; user_message is shown to the user.
  if (event.kind === "prompt-submit" && decision.kind === "deny")
    return jsonResponse({ continue: false, user_message: decision.reason });
  return EMPTY_RESPONSE;
};

export const cursor: Adapter = {
  id: "cursor",
  displayName: "Cursor",
  checkedAgainst: "CLI 2026.09.18 (third-party reading, unverified)",
  capabilities: { rewriteInput: true, replaceOutput: false, hooksReads: true },
  parse,
  classify: classifyBy("hook_event_name", {
    ...HANDLED,
    beforeSubmitPrompt: "prompt-submit",
    sessionStart: "session-start",
  }),
  render,
  // Exit 2 denies; other codes fail open.
  renderFailure: exitCodeFailure,
  outputText: textOf,
  probe: {
    harmless: (cwd) => ({
      conversation_id: "hookpack-doctor",
      generation_id: "hookpack-doctor",
      hook_event_name: "preToolUse",
      workspace_roots: [cwd],
      tool_name: "Shell",
      tool_input: { command: "true" },
      tool_use_id: "hookpack-doctor",
      cwd,
    }),
    malformed: (cwd) => ({
      conversation_id: "hookpack-doctor",
      hook_event_name: "preToolUse",
      workspace_roots: [cwd],
      tool_name: "Shell",
      cwd,
    }),
    refusal: (answer) =>
      probeRefusal(
        answer,
        exitMeaning(
          2,
          "Cursor denies the call",
          "Cursor logs a hook error and runs the call unchecked",
        ),
        (json) =>
          answeredRefusal("permission", json.permission, ["deny", "ask"]) ??
          (json.continue === false ? CONTINUE_FALSE : undefined),
      ),
  },
  config: {
    ignoreFile: ".cursorignore",
    format: "flat-hooks-json",
    version: 1,
    entry: (reg, command) => ({ command, timeout: reg.timeout }),
    // Cursor has no untracked local hooks file: "local" uses the project file.
    files: localIsProject(".cursor/hooks.json"),
    projectDirVariable: "CURSOR_PROJECT_DIR",
    contextFiles: { project: [".cursorrules", "AGENTS.md"], user: [] },
    registrations: [
      { event: "preToolUse", matcher: undefined, timeout: 30 },
      { event: "postToolUse", matcher: undefined, timeout: 30 },
      { event: "postToolUseFailure", matcher: undefined, timeout: 30 },
      { event: "beforeSubmitPrompt", matcher: undefined, timeout: 30 },
      { event: "sessionStart", matcher: undefined, timeout: 30 },
    ],
    notes: [
      "Cursor loads project hooks only in a trusted workspace (`cursor-agent --trust`). Cursor cannot replace shell or read output from a hook: hookpack blocks secret reads and literal secrets before a tool runs and brokers $secret: references; a command that prints a secret some other way shows it to the model, and hookpack warns it. Cursor's hook protocol was checked only against third-party readings.",
      "Cursor also runs Claude Code's hooks (.claude/settings*.json); with this install present, hookpack's Claude Code hook steps aside under Cursor so each call is checked once.",
    ],
  },
};
