// Cline CLI/SDK adapter. Checked against `cline` 3.0.65: read in the @cline/core and @cline/agents
// dist code, then driven end to end (test/e2e/cline.test.ts: the real CLI against a fake OpenAI
// Chat Completions server; fixtures `*.recorded-*` are payloads it sent).
//
// Hooks are executable FILES named after the event in `.clinerules/hooks/` (project) or
// `~/.cline/hooks/` (user); a `.sh` file runs with the payload on stdin. A PreToolUse payload
// (hookName "tool_call"), as recorded:
//   {"clineVersion":"","timestamp":"2026-…","taskId":"conv_…","sessionContext":{"rootSessionId":"…"},
//    "workspaceRoots":["/home/u/app"],"workspaceInfo":{…},"userId":"unknown","agent_id":"agent_…",
//    "parent_agent_id":null,"hookName":"tool_call","iteration":1,
//    "tool_call":{"id":"call_…","name":"run_commands","input":{"commands":["ls -la"]}},
//    "preToolUse":{"toolName":"run_commands","parameters":{"commands":"[\"ls -la\"]"}}}
// Every `parameters` value is a STRING: non-strings are JSON-encoded by the client (`tool_call.input`
// holds the same input undecoded; `clineVersion` is empty unless CLINE_VERSION is set). PostToolUse
// (hookName "tool_result") carries "postToolUse": {toolName, parameters, result, success,
// executionTimeMs}; for run_commands `result` is the JSON text of [{query, result, success}], where
// `query` is the command that actually ran (the rewritten one after an overrideInput).
//
// What the client does with our answers (read in the code, and seen end to end):
// - `overrideInput` (PreToolUse only) replaces the tool's input object: a rewritten run_commands
//   runs; the history sent to the model keeps the model's own call.
// - `{"cancel":true,"errorMessage":…}` throws out of the agent loop: the tool does NOT run and the
//   task stops. Neither the model nor the CLI user sees the message: the model gets no further
//   request, `cline` prints "[abort] aborted by another client" and exits 0, and the message is only
//   in ~/.cline/data/logs/cline.log. File hooks have no way to skip one call and let the model go on
//   (the agent loop's `skip` is not reachable from a hook file).
// - `contextModification` is sent to the model after the tool result as
//   `<hook_context source="PostToolUse" …>` (a user message).
// - Exit codes are ignored; a timeout or stdout that is not JSON is logged and the call proceeds,
//   so a fail-closed answer must be the cancel JSON on stdout.
// - PostToolUse honors only cancel and context: the output cannot be replaced or withheld.
import type { EventKind, ToolCall, ToolKind } from "../hooks/event.js";
import { PayloadError, type Adapter, type Parsed } from "./adapter.js";
import {
  answerOrNothing,
  classifyBy,
  contextBeside,
  EMPTY_RESPONSE,
  isPlainObject,
  jsonResponse,
  neutralToolCall,
  parsedEvents,
  probeRefusal,
  validated,
  warningText,
} from "./common.js";

const KINDS: Record<string, ToolKind> = {
  run_commands: "shell",
  execute_command: "shell",
  read_files: "read-file",
  read_file: "read-file",
  editor: "write-file",
  apply_patch: "write-file",
  write_to_file: "write-file",
  replace_in_file: "write-file",
  search_codebase: "search",
  search_files: "search",
  fetch_web_content: "fetch",
  web_fetch: "fetch",
};

/** Input leaves that describe content already on disk, not content the agent is adding. */
const EXISTING_CONTENT = /(^|\.)old_str(ing)?$/;

type Payload = {
  hookName: string;
  taskId?: string;
  sessionContext?: { rootSessionId?: string };
  workspaceRoots?: string[];
  preToolUse?: { toolName: string; parameters: Record<string, string> };
  postToolUse?: {
    toolName: string;
    parameters: Record<string, string>;
    result?: string;
    success?: boolean;
  };
  userPromptSubmit?: { prompt?: unknown };
};

// ---- fast check: may only say true for payloads ./cline-schemas.ts accepts (property-tested) ----
const isStringRecord = (v: unknown): v is Record<string, string> =>
  isPlainObject(v) && Object.values(v).every((x) => typeof x === "string");

export function fastValidateCline(payload: unknown): boolean {
  if (!isPlainObject(payload)) return false;
  const p = payload;
  // Not a Cline hook payload at all (e.g. doctor's probe): nothing to decide.
  if (p.hookName === undefined) return true;
  if (typeof p.hookName !== "string") return false;
  const part =
    p.hookName === "tool_call"
      ? p.preToolUse
      : p.hookName === "tool_result"
        ? p.postToolUse
        : undefined;
  if (p.hookName !== "tool_call" && p.hookName !== "tool_result") return true;
  return (
    (p.taskId === undefined || typeof p.taskId === "string") &&
    (p.workspaceRoots === undefined ||
      (Array.isArray(p.workspaceRoots) && p.workspaceRoots.every((r) => typeof r === "string"))) &&
    isPlainObject(part) &&
    typeof part.toolName === "string" &&
    part.toolName.length > 0 &&
    isStringRecord(part.parameters) &&
    (p.hookName === "tool_call" || part.result === undefined || typeof part.result === "string")
  );
}

/** The input as the tool received it: JSON-looking parameter strings decoded back. */
export function decodeParameters(parameters: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(parameters)) {
    let value: unknown = text;
    if (/^\s*[[{]/.test(text)) {
      try {
        value = JSON.parse(text) as unknown;
      } catch {
        // A plain string that happens to start with a bracket.
      }
    }
    out[key] = value;
  }
  return out;
}

/** run_commands' commands, as the shell will see them (string, or {command, args}). */
function commandsOf(input: Record<string, unknown>): string[] | undefined {
  const raw = input.commands ?? input.command ?? input.cmd;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: string[] = [];
  for (const item of list) {
    if (typeof item === "string") out.push(item);
    else if (isPlainObject(item) && typeof item.command === "string") {
      const args = Array.isArray(item.args)
        ? item.args.filter((a): a is string => typeof a === "string")
        : [];
      out.push(
        [item.command, ...args.map((a) => (/[\s"]/u.test(a) ? JSON.stringify(a) : a))].join(" "),
      );
    } else return undefined;
  }
  return out.length > 0 ? out : undefined;
}

function filesOf(input: Record<string, unknown>): string[] {
  const raw = input.files ?? input.paths ?? input.path ?? input.file_path;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list
    .map((f) =>
      typeof f === "string" ? f : isPlainObject(f) && typeof f.path === "string" ? f.path : "",
    )
    .filter((f) => f !== "");
}

const shellQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

function toolCall(name: string, input: Record<string, unknown>): ToolCall {
  let kind: ToolKind = KINDS[name] ?? "other";
  const reads = kind === "read-file" ? filesOf(input) : [];
  // Several files in one read: the neutral call has one path, so it is checked as the equivalent
  // shell read (`cat` of every file), which the read guard judges file by file.
  if (reads.length > 1) kind = "shell";
  const call = neutralToolCall(kind, name, input, undefined, EXISTING_CONTENT);
  if (kind === "shell") {
    // Several commands run one after another: checked (and, rewritten, run) as one script.
    call.command =
      reads.length > 1
        ? `cat -- ${reads.map(shellQuote).join(" ")}`
        : commandsOf(input)?.join("\n");
  }
  if (kind === "read-file" || kind === "write-file" || kind === "search") {
    const files = filesOf(input);
    if (files.length > 0) call.path = files[0];
  }
  if (kind === "search") call.showsContent = true;
  if (kind === "fetch" && typeof input.url === "string") call.url = input.url;
  return call;
}

const SCHEMAS = async () => (await import("./cline-schemas.js")).validateClinePayload;
const parsed = parsedEvents("cline");

async function parse(payload: unknown): Promise<Parsed> {
  const p = await validated<Payload>(payload, fastValidateCline, SCHEMAS);
  if (p.hookName === undefined) return { kind: "ignored", eventName: "a payload without hookName" };
  const session = {
    id: p.sessionContext?.rootSessionId ?? p.taskId ?? "",
    cwd: p.workspaceRoots?.[0] ?? "",
    transcriptPath: undefined,
  };
  if (p.hookName === "tool_call") {
    const part = p.preToolUse!;
    return parsed.beforeTool(session, toolCall(part.toolName, decodeParameters(part.parameters)));
  }
  if (p.hookName === "tool_result") {
    const part = p.postToolUse!;
    const tool = toolCall(part.toolName, decodeParameters(part.parameters));
    return parsed.afterTool(session, tool, part.result ?? "");
  }
  if (p.hookName === "prompt_submit") {
    // The UserPromptSubmit hook file: {…, hookName:"prompt_submit", userPromptSubmit:{prompt, attachments}}.
    // Cline 3.0.65 runs it detached, after the message was added: it cannot block (see notes).
    const prompt = p.userPromptSubmit?.prompt;
    if (typeof prompt !== "string")
      throw new PayloadError("userPromptSubmit.prompt", "expected a string");
    return parsed.promptSubmit(session, prompt);
  }
  return { kind: "ignored", eventName: p.hookName };
}

/** What the model is told when an output held secrets hookpack could not take out. */
export const CLINE_EXPOSED_NOTICE =
  "Cline does not let a hook replace or withhold a tool's output, so this output reached you unredacted. Do not repeat, store, or send the secret value anywhere; tell the user which secret was exposed so they can rotate it. To use secrets safely, refer to them as $secret:NAME in commands instead of printing them.";

const render: Adapter["render"] = (decision, event, payload) => {
  const warnings = warningText(decision);
  if (event.kind === "before-tool") {
    if (decision.kind === "deny")
      return jsonResponse({ cancel: true, errorMessage: decision.reason });
    if (decision.patch?.command !== undefined && KINDS[event.tool.name] !== "shell") {
      return jsonResponse({
        cancel: true,
        errorMessage:
          `hookpack cannot rewrite a ${event.tool.name} call for Cline. ${decision.reason ?? ""}`.trim(),
      });
    }
    const out: Record<string, unknown> = {};
    if (decision.patch?.command !== undefined) {
      const params = (payload as Payload).preToolUse?.parameters ?? {};
      const input = decodeParameters(params);
      // overrideInput replaces the input: keep every other field, one command in place of the list.
      const key = "commands" in input || !("command" in input) ? "commands" : "command";
      out.overrideInput =
        key === "commands"
          ? { ...input, commands: [decision.patch.command] }
          : { ...input, command: decision.patch.command };
    }
    if (warnings) out.contextModification = warnings;
    return answerOrNothing(out);
  }
  if (event.kind === "after-tool")
    return contextBeside("contextModification", decision, event.tool.name, CLINE_EXPOSED_NOTICE);
  if (event.kind === "prompt-submit" && decision.kind === "deny")
    return jsonResponse({ cancel: true, errorMessage: decision.reason });
  return EMPTY_RESPONSE;
};

const KIND_OF_HOOK: Record<string, EventKind> = {
  tool_call: "before-tool",
  tool_result: "after-tool",
  prompt_submit: "prompt-submit",
};

export const cline: Adapter = {
  id: "cline",
  displayName: "Cline",
  checkedAgainst: "3.0.65",
  // No ask from a hook (`review` is not documented); no output replacement.
  capabilities: { rewriteInput: true, replaceOutput: false, hooksReads: true, askUser: false },
  parse,
  classify: classifyBy("hookName", KIND_OF_HOOK),
  render,
  renderFailure(mode, message) {
    // Cline ignores exit codes; only a cancel on stdout blocks.
    if (mode === "closed")
      return {
        exitCode: 0,
        stdout: `${JSON.stringify({ cancel: true, errorMessage: message })}\n`,
        stderr: `${message}\n`,
      };
    return { exitCode: 1, stdout: "", stderr: `${message}\n` };
  },
  probe: {
    harmless: (cwd) => ({
      clineVersion: "",
      hookName: "tool_call",
      timestamp: "1970-01-01T00:00:00.000Z",
      taskId: "hookpack-doctor",
      workspaceRoots: [cwd],
      preToolUse: { toolName: "run_commands", parameters: { commands: '["true"]' } },
    }),
    malformed: (cwd) => ({
      clineVersion: "",
      hookName: "tool_call",
      timestamp: "1970-01-01T00:00:00.000Z",
      taskId: "hookpack-doctor",
      workspaceRoots: [cwd],
    }),
    // Cline ignores exit codes; a cancel on stdout stops the task.
    refusal: (answer) =>
      probeRefusal(
        answer,
        (code) => `exit ${code}: Cline ignores it and runs the call unchecked`,
        (json) =>
          json.cancel === true ? "it answered cancel:true, which stops Cline's task" : undefined,
      ),
  },
  config: {
    ignoreFile: ".clineignore",
    format: "hook-files",
    hookFile: (reg, command) => ({
      name: `${reg.event}.sh`,
      text: `#!/bin/sh\n# hookpack: Cline ${reg.event} hook. Remove it with \`hookpack uninstall --agent cline\`.\nexec ${command}\n`,
    }),
    // Directories of hook files; Cline has no untracked local hooks folder: "local" uses the project one.
    files: { project: ".clinerules/hooks", local: ".clinerules/hooks", user: ".cline/hooks" },
    projectDirVariable: undefined,
    contextFiles: { project: [".clinerules"], user: [] },
    registrations: [
      { event: "PreToolUse", matcher: undefined, timeout: 120 },
      { event: "PostToolUse", matcher: undefined, timeout: 120 },
      { event: "UserPromptSubmit", matcher: undefined, timeout: 30 },
    ],
    notes: [
      "Cline cannot replace a tool's output from a hook: hookpack blocks secret reads and literal secrets before a tool runs (Cline then stops the task with hookpack's reason) and brokers $secret: references, but a command that prints a secret some other way shows it to the model; hookpack then warns the model.",
    ],
  },
};
