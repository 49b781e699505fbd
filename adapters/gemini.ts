// Gemini CLI adapter. Checked against @google/gemini-cli 0.61.0 (hooks/hookRunner.js,
// core/coreToolHookTriggers.js, and the real client driven end to end in test/e2e/gemini.test.ts).
// Hook docs: https://github.com/google-gemini/gemini-cli/blob/main/docs/hooks/reference.md
//
// A BeforeTool payload, as 0.61.0 sends it on stdin (recorded from the real client):
//   {"session_id":"7804…","transcript_path":"/home/u/.gemini/tmp/app/chats/session-….jsonl","cwd":"/home/u/app",
//    "hook_event_name":"BeforeTool","timestamp":"2026-11-22T23:23:07.810Z","tool_name":"read_file",
//    "tool_input":{"file_path":"notes.txt"}}
// AfterTool adds "tool_response": {"llmContent": <string | parts>, "returnDisplay": …, "error"?: …}.
// MCP tools add "mcp_context" {server_name, tool_name, …}.
//
// What the client does with our answers (each checked end to end):
// - BeforeTool `decision:"deny"` + reason: the tool does not run; the model reads the reason as
//   the call's error ("Tool execution blocked: <reason>").
// - BeforeTool `hookSpecificOutput.tool_input` is MERGED into the arguments (Object.assign), then
//   validated; the model is told which keys a hook changed, not their values.
// - AfterTool `decision:"deny"` + reason: the model reads the reason INSTEAD of the output (as an
//   error). There is no replacement in the output's own shape, so a redacted copy travels as the reason.
// - Plain text on stderr with exit code >= 2 denies; exit 1 lets the call through with a warning.
// - Timeouts are in milliseconds.
import { closeSync, openSync, readdirSync, readSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
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
  answeredRefusal,
  answerOrNothing,
  exitCodeFailure,
  exitMeaning,
  isPlainObject,
  jsonResponse,
  localIsProject,
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
  fastPromptSubmit,
  fastSessionEnd,
  namedEvent,
  promptSubmitEvent,
  sessionEndEvent,
  warningsOf,
} from "./claude-shaped.js";

const KINDS: Record<string, ToolKind> = { ...GEMINI_FAMILY_TOOLS, google_web_search: "fetch" };

type ToolPayload = GeminiFamilyToolPayload & {
  tool_response?: Record<string, unknown>;
  mcp_context?: unknown;
};

// ---- fast check: may only say true for payloads ./gemini-schemas.ts accepts (property-tested) ----
const FAST_INPUTS = fastInputsWith("replace");

export function fastValidateGemini(payload: unknown): boolean {
  if (!namedEvent(payload)) return false;
  const name = payload.hook_event_name;
  if (name === "BeforeAgent") return fastPromptSubmit(payload) && payload.transcript_path !== null;
  if (name === "SessionEnd") return fastSessionEnd(payload);
  if (name === "SessionStart")
    return (
      typeof payload.session_id === "string" &&
      typeof payload.cwd === "string" &&
      optString(payload.transcript_path)
    );
  if (name !== "BeforeTool" && name !== "AfterTool") return true;
  const p = payload;
  return (
    fastGeminiFamilyTool(p, FAST_INPUTS) &&
    (name === "BeforeTool" || isPlainObject(p.tool_response))
  );
}

/**
 * The chat files of one session, found by its id: `session-<time>-<first 8 of id>.jsonl` (and the
 * older `.json`) in ~/.gemini/tmp/<project>/chats/ ($GEMINI_CLI_HOME moves ~), plus a subagent's
 * `<id>.jsonl`; a file counts only when its own `sessionId` is this id. The id never becomes a path.
 */
export function geminiChatsOf(sessionId: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!/^[A-Za-z0-9_-]{8,128}$/.test(sessionId)) return [];
  const tmp = join(env.GEMINI_CLI_HOME || env.HOME || homedir(), ".gemini", "tmp");
  const short = sessionId.slice(0, 8);
  const out: string[] = [];
  const list = (d: string) => {
    try {
      return readdirSync(d, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  for (const project of list(tmp)) {
    if (!project.isDirectory()) continue;
    const chats = join(tmp, project.name, "chats");
    for (const f of list(chats)) {
      if (!f.isFile()) continue;
      const named =
        (f.name.startsWith("session-") && /-([^-]+)\.jsonl?$/.exec(f.name)?.[1] === short) ||
        f.name === `${sessionId}.jsonl`;
      if (named && chatSessionId(join(chats, f.name)) === sessionId) out.push(join(chats, f.name));
    }
  }
  return out.sort();
}

/** The `sessionId` a chat file declares in its first record (read from its first 64 KB). */
function chatSessionId(path: string): string | undefined {
  let head = "";
  try {
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(64 * 1024);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const m = /^\s*\{\s*"sessionId"\s*:\s*"([^"\\]{1,128})"/.exec(head);
  return m?.[1];
}

function session(p: ToolPayload): Session {
  return { id: p.session_id, cwd: p.cwd, transcriptPath: p.transcript_path };
}

function toolCall(p: ToolPayload): ToolCall {
  const kind: ToolKind = p.mcp_context !== undefined ? "mcp" : (own(KINDS, p.tool_name) ?? "other");
  // grep_search answers with the matching lines themselves.
  return geminiFamilyToolCall(kind, p, undefined, ["dir_path", "path"], ["grep_search"]);
}

const SCHEMAS = async () => (await import("./gemini-schemas.js")).validateGeminiPayload;
const parsed = parsedEvents("gemini");

async function parse(payload: unknown): Promise<Parsed> {
  const p = await validated<ToolPayload>(payload, fastValidateGemini, SCHEMAS);
  switch (p.hook_event_name) {
    case "BeforeTool":
      return parsed.beforeTool(session(p), toolCall(p));
    case "AfterTool":
      return parsed.afterTool(session(p), toolCall(p), p.tool_response);
    case "SessionStart":
      return parsed.sessionStart(session(p));
    case "SessionEnd": {
      // The chat file (`transcript_path`) and the background-process logs are cleaned; the answer
      // blocks nothing (Gemini does not wait on a lifecycle hook's decision). 0.61 sends
      // `transcript_path: ""` when its chat recording service is gone (no chat started, or the disk
      // filled up mid-session): the chat is then found by the session id.
      const end = payload as {
        session_id: string;
        cwd: string;
        transcript_path?: string;
        reason?: string;
      };
      const ended = sessionEndEvent("gemini", end);
      if (!end.transcript_path && ended.kind === "event" && ended.event.kind === "session-end")
        ended.event.state = { files: geminiChatsOf(end.session_id), dirs: [] };
      return ended;
    }
    case "BeforeAgent":
      // The prompt before the model sees it. A blocking decision ends the turn without adding the
      // prompt to the chat history (0.61.0 client.js); `continue:false` WOULD add it, so it is not used.
      return promptSubmitEvent(
        "gemini",
        payload as { session_id: string; cwd: string; transcript_path?: string; prompt: string },
      );
    default:
      return { kind: "ignored", eventName: p.hook_event_name };
  }
}

const KIND_OF_EVENT: Record<string, EventKind> = {
  BeforeTool: "before-tool",
  AfterTool: "after-tool",
  BeforeAgent: "prompt-submit",
  SessionStart: "session-start",
  SessionEnd: "session-end",
};

/** The text the model reads from an AfterTool `tool_response`: its llmContent. */
function outputText(output: unknown): string {
  const content = (output as { llmContent?: unknown } | null)?.llmContent;
  return textOf(content ?? output);
}

const render: Adapter["render"] = (decision, event) => {
  const warnings = warningsOf(decision);
  if (event.kind === "before-tool") {
    if (decision.kind === "deny")
      return jsonResponse({ decision: "deny", reason: decision.reason });
    const out: Record<string, unknown> = { ...warnings };
    if (decision.permission !== "default") out.decision = decision.permission;
    if (decision.reason && decision.permission !== "default") out.reason = decision.reason;
    // Merged into the arguments by the client: send only the changed key.
    if (decision.patch?.command !== undefined)
      out.hookSpecificOutput = {
        hookEventName: "BeforeTool",
        tool_input: { command: decision.patch.command },
      };
    return answerOrNothing(out);
  }
  // `deny` replaces the result the model reads with the reason.
  return afterToolOrLifecycle(decision, event, "deny", outputText);
};

export const gemini: Adapter = {
  id: "gemini",
  displayName: "Gemini CLI",
  checkedAgainst: "0.61.0",
  capabilities: {
    rewriteInput: true,
    replaceOutput: false,
    replaceOutputAsText: true,
    hooksReads: true,
  },
  parse,
  classify: classifyByEventName(KIND_OF_EVENT),
  render,
  // Plain text with exit >= 2 is a deny whose reason is the text; exit 1 is "allow with a warning".
  renderFailure: exitCodeFailure,
  outputText,
  probe: claudeShapedProbe(
    "BeforeTool",
    "run_shell_command",
    { timestamp: "1970-01-01T00:00:00.000Z" },
    exitMeaning(
      1,
      "Gemini CLI shows a warning and runs the call unchecked",
      "Gemini CLI denies the call",
    ),
    (json) =>
      answeredRefusal("decision", json.decision, ["deny", "block", "ask"]) ??
      (json.continue === false
        ? "it answered continue:false, which stops Gemini CLI's agent loop"
        : undefined),
  ),
  config: {
    ignoreFile: ".geminiignore",
    // Gemini has no untracked local settings file: "local" uses the project file.
    format: "claude-settings-json",
    files: localIsProject(".gemini/settings.json"),
    projectDirVariable: "GEMINI_PROJECT_DIR",
    contextFiles: { project: ["GEMINI.md"], user: [".gemini/GEMINI.md"] },
    registrations: [
      { event: "BeforeTool", matcher: "*", timeout: 30_000, name: "hookpack" },
      { event: "AfterTool", matcher: "*", timeout: 30_000, name: "hookpack" },
      { event: "BeforeAgent", matcher: undefined, timeout: 30_000, name: "hookpack" },
      { event: "SessionStart", matcher: undefined, timeout: 30_000, name: "hookpack" },
      { event: "SessionEnd", matcher: undefined, timeout: 30_000, name: "hookpack" },
    ],
    notes: [
      "Gemini CLI fingerprints project hooks: it warns about the hookpack entries on the next start (and again whenever their command changes, e.g. after a hookpack upgrade); accept them. Sessions started with hooks disabled are not protected.",
    ],
  },
};
