// Claude Code adapter. Checked against @anthropic-ai/claude-code 2.1.330 (shipped code) and
// driven end to end in test/e2e. Hook docs: https://code.claude.com/docs/en/hooks
//
// A PreToolUse payload, as the client sends it on stdin:
//   {"session_id":"4f1c…","transcript_path":"/home/u/.claude/projects/-home-u-app/4f1c….jsonl",
//    "cwd":"/home/u/app","permission_mode":"default","hook_event_name":"PreToolUse",
//    "tool_name":"Bash","tool_input":{"command":"ls","description":"list"},"tool_use_id":"toolu_01…"}
// PostToolUse adds "tool_response" (the tool's structured output) and "duration_ms".
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { EventKind, HookEvent, Session, ToolCall, ToolKind } from "../hooks/event.js";
import { firstOfEach, forEachString, mapStrings, pathKey } from "../core/json-walk.js";
import type { Adapter, Parsed } from "./adapter.js";
import { fastValidate } from "./claude-code-fast.js";
import { claudePermissionRules } from "./claude-code-permissions.js";
import {
  EMPTY_RESPONSE,
  exitCodeFailure,
  exitMeaning,
  inputString,
  jsonResponse,
  own,
  parsedEvents,
  validated,
  wireToolCall,
} from "./common.js";
import {
  classifyByEventName,
  CLAUDE_REGISTRATIONS,
  claudeShapedProbe,
  preToolUseDeny,
  sessionStartNotice,
} from "./claude-shaped.js";

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

/** Claude drops an over-long updatedToolOutput and shows the raw result instead; stay well under. */
export const MAX_UPDATED_OUTPUT_CHARS = 15_000;

function session(p: {
  session_id: string;
  cwd: string;
  transcript_path?: string | undefined;
}): Session {
  return { id: p.session_id, cwd: p.cwd, transcriptPath: p.transcript_path };
}

function toolCall(name: string, input: Record<string, unknown>, id: string | undefined): ToolCall {
  const kind: ToolKind = own(KINDS, name) ?? (name.startsWith("mcp__") ? "mcp" : "other");
  const str = (key: string) => inputString(input, key);
  const path =
    str("file_path") ?? str("notebook_path") ?? (kind === "search" ? str("path") : undefined);
  const call = wireToolCall(kind, name, input, id, "run_in_background", path);
  if (name === "Grep") call.showsContent = input.output_mode === "content";
  return call;
}

/** Where Claude Code keeps a Bash output longer than its inline limit (30,000 chars by default). */
function spillOf(response: unknown): string[] | undefined {
  const path = (response as { persistedOutputPath?: unknown } | null)?.persistedOutputPath;
  return typeof path === "string" && path !== "" ? [path] : undefined;
}

/**
 * A session's own files (Claude Code 2.1.x layout, checked in test/e2e):
 *   transcript        ~/.claude/projects/<slug>/<session>.jsonl
 *   tool results      ~/.claude/projects/<slug>/<session>/tool-results/*.txt   (outputs > 30,000 chars)
 *   subagents         ~/.claude/projects/<slug>/<session>/subagents/*.jsonl
 *   background tasks  $TMPDIR/claude-<uid>/<slug>/<session>/tasks/<id>.output
 * plus the project's "don't ask again" list, .claude/settings.local.json.
 */
function sessionState(p: { session_id: string; cwd: string; transcript_path?: string }): {
  files: string[];
  dirs: string[];
} {
  const files = [join(p.cwd, ".claude", "settings.local.json")];
  const dirs: string[] = [];
  const slugs = new Set([p.cwd.replace(/[^a-zA-Z0-9]/g, "-")]);
  if (p.transcript_path) {
    files.unshift(p.transcript_path);
    dirs.push(join(dirname(p.transcript_path), p.session_id));
    slugs.add(basename(dirname(p.transcript_path)));
  }
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid !== undefined && /^[\w-]+$/.test(p.session_id))
    for (const slug of slugs)
      dirs.push(join(tmpdir(), `claude-${uid}`, slug, p.session_id, "tasks"));
  return { files, dirs };
}

type Base = { session_id: string; cwd: string; transcript_path?: string; hook_event_name: string };
type ToolPayload = Base & {
  tool_name: string;
  tool_input: Record<string, unknown>;
  tool_use_id?: string;
  tool_response?: unknown;
  error?: string;
};

const SCHEMAS = async () => (await import("./claude-code-schemas.js")).validateClaudePayload;
const parsed = parsedEvents("claude-code");

/**
 * Validates with zod at the edge. A hand-written check that accepts only payloads the zod schemas
 * accept (proven over the fixtures and random mutations in test/adapters) answers the common case
 * without loading zod, which would cost more than the rest of the hook together.
 */
export async function parseClaudePayload(payload: unknown): Promise<Parsed> {
  const p = await validated<ToolPayload & { reason?: string }>(payload, fastValidate, SCHEMAS);
  const name = p.hook_event_name;
  const tool = () => toolCall(p.tool_name, p.tool_input, p.tool_use_id);
  switch (name) {
    case "PreToolUse":
      return parsed.beforeTool(session(p), tool());
    case "PostToolUse":
      return parsed.afterTool(session(p), tool(), p.tool_response, {
        spill: spillOf(p.tool_response),
      });
    case "PostToolUseFailure":
      // A failed call (for Bash, a non-zero exit): the model reads `error`, which holds the
      // command's output. The answer can only add context, never replace it.
      return parsed.afterTool(session(p), tool(), { error: p.error }, { failed: true });
    case "SessionStart":
      return parsed.sessionStart(session(p));
    case "UserPromptSubmit":
      return {
        kind: "event",
        event: {
          kind: "prompt-submit",
          agent: "claude-code",
          session: session(p),
          prompt: (payload as { prompt: string }).prompt,
        },
      };
    case "SessionEnd":
    case "Stop":
      return {
        kind: "event",
        event: {
          kind: "session-end",
          agent: "claude-code",
          session: session(p),
          reason: name === "Stop" ? "stop" : p.reason,
          state: sessionState(p),
        },
      };
    default:
      return { kind: "ignored", eventName: name };
  }
}

const KIND_OF_EVENT: Record<string, EventKind> = {
  PreToolUse: "before-tool",
  PostToolUse: "after-tool",
  PostToolUseFailure: "after-tool",
  SessionStart: "session-start",
  SessionEnd: "session-end",
  Stop: "session-end",
  UserPromptSubmit: "prompt-submit",
};

const WIRE_EVENT: Record<HookEvent["kind"], string> = {
  "before-tool": "PreToolUse",
  "after-tool": "PostToolUse",
  "session-start": "SessionStart",
  "session-end": "SessionEnd",
  "prompt-submit": "UserPromptSubmit",
};

/** Cuts the longest strings of an output until it fits Claude's limit, with a visible notice. */
export function fitOutput(output: unknown, limit = MAX_UPDATED_OUTPUT_CHARS): unknown {
  let current = output;
  for (let round = 0; round < 64; round++) {
    const size = JSON.stringify(current).length;
    if (size <= limit) return current;
    let longestPath: string | undefined;
    let longestLength = 0;
    forEachString(current, (text, _path, keys) => {
      if (text.length > longestLength) [longestPath, longestLength] = [pathKey(keys), text.length];
    });
    if (longestPath === undefined) break;
    const keep = Math.max(0, longestLength - (size - limit) - 128);
    current = mapStrings(current, (text, _path, keys) =>
      pathKey(keys) === longestPath
        ? `${text.slice(0, keep)}\n[hookpack: ${text.length - keep} chars cut to fit the hook response limit]`
        : text,
    );
  }
  return current;
}

/**
 * An over-long updatedToolOutput is dropped and the RAW output shown instead, so a redacted output
 * that cannot be cut to fit (thousands of short strings: Grep file lists) is withheld, in shape:
 * arrays keep one element, the first content string says why.
 */
export function fitOrWithhold(
  output: unknown,
  reason: string | undefined,
  limit = MAX_UPDATED_OUTPUT_CHARS,
): unknown {
  const fitted = fitOutput(output, limit);
  if (JSON.stringify(fitted).length <= limit) return fitted;
  return withholdOutput(
    firstOfEach(output),
    `[hookpack: ${reason ?? "this output held secrets"} The redacted output was too long to pass on, so it was withheld. Narrow the command or read less at once.]`,
  );
}

/** Fields of Claude's tool outputs that carry content; everything else (type tags, paths) is kept. */
const CONTENT_KEYS = /(^|\.)(stdout|stderr|content|output|result|text|filenames|matches|\d+)$/;

/** Keys of MCP content blocks (the shape Claude Code gives an MCP tool's output); kept when withheld. */
const MCP_BLOCK_KEYS = new Set(["type", "text", "content", "isError", "mimeType", "annotations"]);
/** Deeper than any tool output Claude Code makes; a subtree below it is withheld as one string. */
const WITHHOLD_DEPTH = 64;

/**
 * Same shape as the tool's output, with every content string replaced by `notice`.
 *
 * With `foreignKeys` (an MCP server's output, whose keys the server, and so whatever fed it, chose),
 * a key outside the content-block shape is replaced by its position (`withheld_1`, …) and every
 * string but a block's `type` is emptied: a value used as a key, or held under a key such as
 * `token`, is not in the answer. A built-in tool's keys and non-content fields are Claude Code's
 * own and kept, since its output must keep its schema to be accepted. Nesting beyond
 * WITHHOLD_DEPTH becomes one string, so an output nested thousands deep is withheld, not crashed on.
 */
export function withholdOutput(output: unknown, notice: string, foreignKeys = false): unknown {
  let first = true;
  let renamed = 0;
  const content = (): string => {
    const out = first ? notice : "";
    first = false;
    return out;
  };
  const walk = (value: unknown, path: string, depth: number): unknown => {
    if (typeof value === "string") {
      if (path === "") return notice;
      if (foreignKeys) return /(^|\.)type$/.test(path) && value.length <= 32 ? value : content();
      return !CONTENT_KEYS.test(path) || value === "" ? value : content();
    }
    if (value === null || typeof value !== "object") return value;
    if (depth >= WITHHOLD_DEPTH) return content();
    if (Array.isArray(value))
      return value.map((item, i) => walk(item, path ? `${path}.${i}` : String(i), depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const name = !foreignKeys || MCP_BLOCK_KEYS.has(key) ? key : `withheld_${++renamed}`;
      // Defined, not assigned: a "__proto__" key stays a key instead of replacing the prototype.
      Object.defineProperty(out, name, {
        value: walk(item, path ? `${path}.${name}` : name, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return walk(output, "", 0);
}

/** What the model is told next to a failed call's output that held secrets hookpack could not take out. */
export const FAILED_OUTPUT_NOTICE =
  "Claude Code does not let a hook replace the output of a failed call, so that output reached you as it was. Do not repeat, store or send any secret value from it; tell the user which secret was exposed so they can rotate it. To use a secret, refer to it as $secret:NAME in a command instead of printing it.";

const render: Adapter["render"] = (decision, event, payload, edge) => {
  const hookEventName = WIRE_EVENT[event.kind];
  const input = (payload as { tool_input?: Record<string, unknown> }).tool_input ?? {};
  if (event.kind === "before-tool") {
    if (decision.kind === "deny") return preToolUseDeny(decision.reason);
    const out: Record<string, unknown> = {};
    const specific: Record<string, unknown> = { hookEventName };
    if (decision.permission !== "default") specific.permissionDecision = decision.permission;
    if (decision.reason && decision.permission !== "default")
      specific.permissionDecisionReason = decision.reason;
    if (decision.patch?.command !== undefined)
      specific.updatedInput = { ...input, command: decision.patch.command };
    if (Object.keys(specific).length > 1) out.hookSpecificOutput = specific;
    if (decision.warnings.length > 0) out.systemMessage = decision.warnings.join("\n");
    return Object.keys(out).length > 0 ? jsonResponse(out) : EMPTY_RESPONSE;
  }
  if (event.kind === "after-tool" && event.failed) {
    // PostToolUseFailure reads only additionalContext: the output already reached the model.
    const context =
      decision.kind === "deny"
        ? `${decision.reason}\n${FAILED_OUTPUT_NOTICE}`
        : decision.warnings.join("\n");
    return context
      ? jsonResponse({
          hookSpecificOutput: { hookEventName: "PostToolUseFailure", additionalContext: context },
        })
      : EMPTY_RESPONSE;
  }
  if (event.kind === "after-tool") {
    const out: Record<string, unknown> = {};
    if (decision.kind === "deny") {
      // PostToolUse cannot block (the tool already ran) and `decision: "block"` does not withhold
      // the output; replacing the output is the only way to keep it from the model. A payload with
      // no output to shape an answer from (one hookpack could not read) gets the blocking exit.
      if (event.output === undefined) return exitCodeFailure("closed", decision.reason);
      out.hookSpecificOutput = {
        hookEventName,
        updatedToolOutput: withholdOutput(event.output, decision.reason, event.tool.kind === "mcp"),
      };
      out.systemMessage = decision.reason;
      return jsonResponse(out);
    }
    if (decision.hasOutput) {
      // Too long for the response: the redacted whole goes to a private file the model is pointed at
      // (the edge's spill, hooks/spill.ts).
      const own =
        event.session.transcriptPath && /^[\w-]+$/.test(event.session.id)
          ? [join(dirname(event.session.transcriptPath), event.session.id, "tool-results")]
          : [];
      const spilled = edge?.spill?.(
        decision.output,
        MAX_UPDATED_OUTPUT_CHARS,
        { session: event.session.id, id: event.tool.id },
        withholdOutput,
        own,
      );
      out.hookSpecificOutput = {
        hookEventName,
        updatedToolOutput: spilled ?? fitOrWithhold(decision.output, decision.reason),
      };
    }
    if (decision.warnings.length > 0) out.systemMessage = decision.warnings.join("\n");
    return Object.keys(out).length > 0 ? jsonResponse(out) : EMPTY_RESPONSE;
  }
  if (event.kind === "session-start") {
    const notice = sessionStartNotice(decision);
    if (notice) return notice;
  }
  if (event.kind === "prompt-submit") {
    // `block` erases the prompt from the context; the reason is shown to the user only, and
    // suppressOriginalPrompt keeps the prompt (and the value in it) out of that message.
    if (decision.kind === "deny")
      return jsonResponse({
        decision: "block",
        reason: decision.reason,
        hookSpecificOutput: { hookEventName, suppressOriginalPrompt: true },
      });
  }
  if (decision.kind === "proceed" && decision.warnings.length > 0)
    return jsonResponse({ systemMessage: decision.warnings.join("\n") });
  return EMPTY_RESPONSE;
};

export const claudeCode: Adapter = {
  id: "claude-code",
  displayName: "Claude Code",
  checkedAgainst: "2.1.330",
  capabilities: { rewriteInput: true, replaceOutput: true, hooksReads: true },
  parse: parseClaudePayload,
  classify: classifyByEventName(KIND_OF_EVENT),
  render,
  // Exit 2 blocks a PreToolUse call and hands stderr to the model; any other non-zero code is a
  // non-blocking error the user sees while the call proceeds.
  renderFailure: exitCodeFailure,
  permissionRules: claudePermissionRules,
  probe: claudeShapedProbe(
    "PreToolUse",
    "Bash",
    { permission_mode: "default", tool_use_id: "toolu_hookpack_doctor" },
    exitMeaning(
      2,
      "Claude Code blocks the call",
      "Claude Code shows a hook error and runs the call unchecked",
    ),
  ),
  config: {
    format: "claude-settings-json",
    files: {
      project: ".claude/settings.json",
      local: ".claude/settings.local.json",
      user: ".claude/settings.json",
    },
    projectDirVariable: "CLAUDE_PROJECT_DIR",
    contextFiles: {
      project: ["CLAUDE.md", "CLAUDE.local.md", ".claude/CLAUDE.md"],
      user: [".claude/CLAUDE.md"],
    },
    registrations: CLAUDE_REGISTRATIONS,
  },
};
