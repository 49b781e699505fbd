// GitHub Copilot CLI adapter. Checked against @github/copilot 1.0.102: payloads recorded from the
// real client (test/e2e/copilot.test.ts drives it offline through its BYOK provider settings),
// tool argument shapes read in the shipped bundle, and the hooks reference
// (github/docs content/copilot/reference/copilot-cli-reference/cli-hooks-reference.md).
//
// hookpack registers the camelCase events (`preToolUse`, `postToolUse`) in a file of its own,
// `.github/hooks/hookpack.json`; camelCase events get camelCase payloads. A preToolUse payload, as
// 1.0.102 sends it on stdin (recorded):
//   {"sessionId":"da29…","timestamp":1795391165643,"cwd":"/home/u/app","toolName":"bash",
//    "toolArgs":{"command":"cat notes.txt","description":"read"}}
// postToolUse adds "toolResult": {"resultType":"success","textResultForLlm":"hello\n<shellId: 0 completed with exit code 0>"}.
// Neither carries the event's name: a payload with `toolResult` is a postToolUse. A failed call fires
// postToolUseFailure instead, with the failure message in "error" (no toolResult); a session's
// start fires sessionStart {timestamp, cwd, source, initialPrompt?} (github/docs, copilot-sdk). Older docs show
// `toolArgs` as a JSON string; it is decoded when it is one.
//
// What the client does with our answers:
// - preToolUse `permissionDecision:"deny"` + `permissionDecisionReason`: the tool does not run; the
//   model reads the reason. `"ask"` asks the user. (e2e)
// - preToolUse `modifiedArgs` replaces the arguments (since 1.0.24). (e2e)
// - Exit 2 on preToolUse denies (since 1.0.70).
// - postToolUse: command hooks CANNOT replace or withhold the output (`modifiedResult` is for SDK
//   callbacks only); they can only add `additionalContext`. So an output that needed redaction
//   reaches the model: hookpack says so in `additionalContext` (do not repeat it, have it rotated)
//   and records the exposure. (Copilot masks some well-known token formats in shell output itself,
//   e.g. a GitHub token became "******" in e2e; a managed secret's value is not masked.) Protection for Copilot is at
//   input time: literal secrets in input are denied, `$secret:` references run brokered (the
//   broker masks its child's output), and reads of secret files (`view`, `cat`, `grep`…) are
//   denied before they run.
import type { EventKind, Session, ToolCall, ToolKind } from "../hooks/event.js";
import { PayloadError, type Adapter, type Parsed } from "./adapter.js";
import {
  answeredRefusal,
  answerOrNothing,
  contextBeside,
  EMPTY_RESPONSE,
  isPlainObject,
  jsonResponse,
  localIsProject,
  neutralToolCall,
  own,
  parsedEvents,
  probeRefusal,
  textOf,
  validated,
  warningText,
} from "./common.js";

const KINDS: Record<string, ToolKind> = {
  bash: "shell",
  powershell: "shell",
  view: "read-file",
  create: "write-file",
  edit: "write-file",
  apply_patch: "write-file",
  grep: "search",
  rg: "search",
  glob: "search",
  web_fetch: "fetch",
};

/** Input leaves that describe content already on disk, not content the agent is adding. */
const EXISTING_CONTENT = /(^|\.)old_str$/;

type ToolPayload = {
  sessionId: string;
  cwd: string;
  toolName: string;
  toolArgs: Record<string, unknown> | string;
  toolResult?: Record<string, unknown>;
  /** postToolUseFailure: the failure message the CLI extracted from the tool's result. */
  error?: string;
};

// ---- fast check: may only say true for payloads ./copilot-schemas.ts accepts (property-tested) ----
const optString = (v: unknown) => v === undefined || typeof v === "string";
const FAST_INPUTS: Record<string, (i: Record<string, unknown>) => boolean> = {
  bash: (i) =>
    typeof i.command === "string" && (i.async === undefined || typeof i.async === "boolean"),
  powershell: (i) => typeof i.command === "string",
  view: (i) => typeof i.path === "string",
  create: (i) => typeof i.path === "string" && optString(i.file_text),
  edit: (i) => typeof i.path === "string" && optString(i.old_str) && optString(i.new_str),
};

/** A payload about a tool call (the only kind hookpack registers for). */
const isToolPayload = (p: Record<string, unknown>) =>
  "toolName" in p || "toolArgs" in p || "toolResult" in p;

export function fastValidateCopilot(payload: unknown): boolean {
  if (!isPlainObject(payload)) return false;
  const p = payload;
  if (!isToolPayload(p)) return true;
  return (
    typeof p.sessionId === "string" &&
    typeof p.cwd === "string" &&
    (p.timestamp === undefined ||
      typeof p.timestamp === "number" ||
      typeof p.timestamp === "string") &&
    typeof p.toolName === "string" &&
    p.toolName.length > 0 &&
    (p.toolResult === undefined ||
      (isPlainObject(p.toolResult) && optString(p.toolResult.textResultForLlm))) &&
    optString(p.error) &&
    fastArgs(p.toolName, p.toolArgs)
  );
}

function fastArgs(tool: string, args: unknown): boolean {
  if (typeof args === "string" && FREEFORM.has(tool)) return true;
  let decoded = args;
  if (typeof args === "string") {
    try {
      decoded = JSON.parse(args) as unknown;
    } catch {
      return false;
    }
  }
  return isPlainObject(decoded) && (FAST_INPUTS[tool]?.(decoded) ?? true);
}

/**
 * Tools whose arguments are one raw text (a "custom" freeform tool): 1.0.102 sends apply_patch's
 * patch itself as `toolArgs` (recorded end to end), not JSON. Its input is then `{input: text}`.
 * Kept in step with FREEFORM_TOOLS in ./copilot-schemas.ts (not imported: that file loads zod).
 */
const FREEFORM = new Set(["apply_patch"]);

function argsOf(p: ToolPayload): Record<string, unknown> {
  if (typeof p.toolArgs !== "string") return p.toolArgs;
  if (FREEFORM.has(p.toolName)) {
    try {
      const decoded: unknown = JSON.parse(p.toolArgs);
      if (isPlainObject(decoded)) return decoded;
    } catch {
      /* the raw patch text */
    }
    return { input: p.toolArgs };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(p.toolArgs);
  } catch {
    throw new PayloadError(
      "toolArgs",
      "expected an object or a JSON object text, got text that is not JSON",
    );
  }
  if (!isPlainObject(decoded))
    throw new PayloadError("toolArgs", "expected an object or a JSON object text");
  return decoded;
}

function toolCall(name: string, input: Record<string, unknown>): ToolCall {
  const kind: ToolKind = own(KINDS, name) ?? "other";
  const call = neutralToolCall(kind, name, input, undefined, EXISTING_CONTENT);
  const str = (key: string) =>
    typeof input[key] === "string" ? (input[key] as string) : undefined;
  if (kind === "shell") {
    call.command = str("command");
    call.background = input.async === true;
  }
  const paths = input.paths;
  const path =
    str("path") ??
    (kind === "search"
      ? typeof paths === "string"
        ? paths
        : Array.isArray(paths) && typeof paths[0] === "string"
          ? paths[0]
          : undefined
      : undefined);
  if (path !== undefined) call.path = path;
  if (kind === "fetch" && str("url") !== undefined) call.url = str("url");
  // grep answers with matching lines unless asked for file names or counts only.
  if (kind === "search" && name !== "glob")
    call.showsContent = input.output_mode !== "files_with_matches" && input.output_mode !== "count";
  return call;
}

const SCHEMAS = async () => (await import("./copilot-schemas.js")).validateCopilotPayload;
const parsed = parsedEvents("copilot");

async function parse(payload: unknown): Promise<Parsed> {
  const p = await validated<ToolPayload>(payload, fastValidateCopilot, SCHEMAS);
  if (!isToolPayload(p as unknown as Record<string, unknown>)) {
    // userPromptSubmitted: {sessionId?, timestamp, cwd, prompt}, before the model sees the prompt.
    const q = payload as { sessionId?: unknown; cwd?: unknown; prompt?: unknown; source?: unknown };
    if (q.prompt === undefined && isSessionStart(payload)) {
      // sessionStart: {sessionId?, timestamp, cwd, source: "startup"|"resume"|"new", initialPrompt?}.
      if (typeof q.cwd !== "string") throw new PayloadError("cwd", "expected a string");
      const id = typeof q.sessionId === "string" ? q.sessionId : "";
      return parsed.sessionStart({ id, cwd: q.cwd, transcriptPath: undefined });
    }
    if (q.prompt === undefined)
      return { kind: "ignored", eventName: "a Copilot event without a tool call or a prompt" };
    if (typeof q.prompt !== "string") throw new PayloadError("prompt", "expected a string");
    if (typeof q.cwd !== "string") throw new PayloadError("cwd", "expected a string");
    const session: Session = {
      id: typeof q.sessionId === "string" ? q.sessionId : "",
      cwd: q.cwd,
      transcriptPath: undefined,
    };
    return parsed.promptSubmit(session, q.prompt);
  }
  const session: Session = { id: p.sessionId, cwd: p.cwd, transcriptPath: undefined };
  const tool = toolCall(p.toolName, argsOf(p));
  if (p.toolResult !== undefined) return parsed.afterTool(session, tool, p.toolResult);
  // postToolUseFailure (a failed call; postToolUse fires only for successes): what the model reads
  // is the failure message in `error`. Like postToolUse, the answer can only add context.
  if (typeof p.error === "string")
    return parsed.afterTool(session, tool, { error: p.error }, { failed: true });
  return parsed.beforeTool(session, tool);
}

/** The text the model reads from a postToolUse `toolResult`. */
function outputText(output: unknown): string {
  const o = output as { textResultForLlm?: unknown; error?: unknown } | null;
  return textOf(o?.textResultForLlm ?? o?.error ?? output);
}

/** What the model is told when an output held secrets hookpack could not take out. */
export const EXPOSED_NOTICE =
  "GitHub Copilot CLI does not let a command hook replace or withhold a tool's output, so this output may have reached you unredacted. Do not repeat, store, or send the secret value anywhere; tell the user which secret was exposed so they can rotate it. To read secrets safely, refer to them as $secret:NAME in commands instead of printing them.";

const render: Adapter["render"] = (decision, event, payload) => {
  const warnings = warningText(decision);
  if (event.kind === "before-tool") {
    if (decision.kind === "deny")
      return jsonResponse({
        permissionDecision: "deny",
        permissionDecisionReason: decision.reason,
      });
    const out: Record<string, unknown> = {};
    // Copilot CLI judges the rewritten call by its own path rules, and the broker lives outside
    // the project (the runtime under HOOKPACK_HOME): without "allow" it asks (denied headless).
    // So a rewrite keeps "allow" here, like Codex; README says this agent's decision is upgraded.
    const permission =
      decision.patch?.command !== undefined && decision.permission === "default"
        ? "allow"
        : decision.permission;
    if (permission !== "default") out.permissionDecision = permission;
    if (decision.reason && permission !== "default") out.permissionDecisionReason = decision.reason;
    if (decision.patch?.command !== undefined) {
      // modifiedArgs replaces the arguments: send them all.
      let args: Record<string, unknown> = {};
      try {
        args = argsOf(payload as ToolPayload);
      } catch {
        // parse() already rejected such a payload.
      }
      out.modifiedArgs = { ...args, command: decision.patch.command };
    }
    if (warnings) out.additionalContext = warnings;
    return answerOrNothing(out);
  }
  if (event.kind === "after-tool") {
    // The output cannot be replaced (see above): the pipeline turned a redaction into a deny, and
    // the honest answer is a warning next to the output the model already has.
    return contextBeside("additionalContext", decision, event.tool.name, EXPOSED_NOTICE);
  }
  if (event.kind === "session-start" && warnings) {
    // The model gets the names-only notice as context (github/copilot-cli#2142: 1.0.8 ignored it).
    return jsonResponse({ additionalContext: warnings });
  }
  if (event.kind === "prompt-submit" && decision.kind === "deny") {
    // Command hooks cannot block a prompt; `modifiedPrompt` replaces it where the client honours it
    // (documented for SDK hooks), so the model reads hookpack's notice instead of the value.
    return jsonResponse({
      modifiedPrompt: `[hookpack withheld the user's prompt because it held a secret. Tell the user exactly this:]\n${decision.reason}`,
    });
  }
  return EMPTY_RESPONSE;
};

/** A sessionStart payload: no tool call, no prompt, and how the session began (`source`). */
function isSessionStart(payload: unknown): boolean {
  return (
    isPlainObject(payload) &&
    !isToolPayload(payload) &&
    !("prompt" in payload) &&
    typeof payload.source === "string" &&
    !("reason" in payload)
  );
}

const KIND_OF: (payload: unknown) => EventKind | "unknown" = (payload) => {
  if (isPlainObject(payload) && !isToolPayload(payload) && "prompt" in payload)
    return "prompt-submit";
  if (isSessionStart(payload)) return "session-start";
  if (!isPlainObject(payload) || !isToolPayload(payload)) return "unknown";
  return "toolResult" in payload || "error" in payload ? "after-tool" : "before-tool";
};

export const copilot: Adapter = {
  id: "copilot",
  displayName: "GitHub Copilot CLI",
  checkedAgainst: "1.0.102",
  capabilities: { rewriteInput: true, replaceOutput: false, hooksReads: true },
  parse,
  classify: KIND_OF,
  render,
  renderFailure(mode, message) {
    // Exit 2 denies. So does ANY other non-zero exit on preToolUse ("Denied by preToolUse hook …
    // (hook errored)", seen with 1.0.102 in e2e, although the docs say failures are skipped): a
    // failure that should let the call through must exit 0. Copilot does not show that stderr.
    return { exitCode: mode === "closed" ? 2 : 0, stdout: "", stderr: `${message}\n` };
  },
  outputText,
  probe: {
    harmless: (cwd) => ({
      sessionId: "hookpack-doctor",
      timestamp: 0,
      cwd,
      toolName: "bash",
      toolArgs: { command: "true", description: "hookpack doctor: harmless probe" },
    }),
    malformed: (cwd) => ({ sessionId: "hookpack-doctor", timestamp: 0, cwd, toolName: "bash" }),
    // Any non-zero exit on preToolUse denies (1.0.102, e2e).
    refusal: (answer) =>
      probeRefusal(
        answer,
        (code) => `exit ${code}: GitHub Copilot CLI denies the call`,
        (json) => answeredRefusal("permissionDecision", json.permissionDecision, ["deny", "ask"]),
      ),
  },
  config: {
    // A hooks file of hookpack's own in the folder Copilot reads every *.json of. Copilot has no
    // untracked local hooks folder: "local" uses the project file.
    format: "flat-hooks-json",
    version: 1,
    entry: (reg, command) => ({ type: "command", bash: command, timeoutSec: reg.timeout }),
    files: localIsProject(".github/hooks/hookpack.json", ".copilot/hooks/hookpack.json"),
    projectDirVariable: "COPILOT_PROJECT_DIR",
    contextFiles: {
      project: [".github/copilot-instructions.md", "AGENTS.md", "CLAUDE.md", "GEMINI.md"],
      user: [".copilot/copilot-instructions.md"],
    },
    registrations: [
      { event: "preToolUse", matcher: undefined, timeout: 30 },
      { event: "postToolUse", matcher: undefined, timeout: 30 },
      { event: "postToolUseFailure", matcher: undefined, timeout: 30 },
      { event: "userPromptSubmitted", matcher: undefined, timeout: 30 },
      { event: "sessionStart", matcher: undefined, timeout: 30 },
    ],
    notes: [
      "GitHub Copilot CLI loads repository hooks (.github/hooks/) only in a folder you trusted; in prompt mode (`copilot -p`) only when the folder is trusted or GITHUB_COPILOT_PROMPT_MODE_REPO_HOOKS=true is set. Until then Copilot sessions are NOT protected.",
      "GitHub Copilot CLI cannot replace a tool's output from a hook: hookpack blocks secret reads and literal secrets before a tool runs and brokers $secret: references, but a command that prints a secret some other way (env, a script) shows it to the model; hookpack then warns the model and records the exposure.",
    ],
  },
};
