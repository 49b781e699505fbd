// Small pieces several adapters share. No agent's wire format lives here.
import type {
  AgentId,
  Decision,
  EventKind,
  HookEvent,
  HookResponse,
  Session,
  ToolCall,
  ToolKind,
} from "../hooks/event.js";
import type { HookRegistration, Parsed, Probe, ProbeAnswer } from "./adapter.js";
import { forEachString } from "../core/json-walk.js";

export const jsonResponse = (value: unknown): HookResponse => ({
  exitCode: 0,
  stdout: `${JSON.stringify(value)}\n`,
  stderr: "",
});
export const EMPTY_RESPONSE: HookResponse = { exitCode: 0, stdout: "", stderr: "" };

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  Object.getPrototypeOf(v) === Object.prototype;

/** A neutral tool call: every string leaf of the input is a field, except those `skip` matches. */
export function neutralToolCall(
  kind: ToolKind,
  name: string,
  input: Record<string, unknown>,
  id: string | undefined,
  skip?: RegExp,
): ToolCall {
  const fields: Array<{ path: string; value: string }> = [];
  forEachString(input, (value, path) => {
    if (!skip?.test(path)) fields.push({ path, value });
  });
  return { kind, name, id, fields };
}

/**
 * Validation at the edge: the adapter's fast check, else its zod schemas, loaded only then (they
 * throw a PayloadError naming the field). `schemas` is the lazy import of the validator.
 */
export async function validated<P>(
  payload: unknown,
  fast: (payload: unknown) => boolean,
  schemas: () => Promise<(payload: unknown) => void>,
): Promise<P> {
  if (!fast(payload)) (await schemas())(payload);
  return payload as P;
}

/** A parsed before-tool event. */
export const beforeTool = (agent: AgentId, session: Session, tool: ToolCall): Parsed => ({
  kind: "event",
  event: { kind: "before-tool", agent, session, tool },
});

/** A parsed after-tool event; `more` marks a failed call or carries a spill. */
export function afterTool(
  agent: AgentId,
  session: Session,
  tool: ToolCall,
  output: unknown,
  more?: Pick<Extract<HookEvent, { kind: "after-tool" }>, "failed" | "spill">,
): Parsed {
  return { kind: "event", event: { kind: "after-tool", agent, session, tool, output, ...more } };
}

/** A parsed prompt-submit event. */
export const promptSubmit = (agent: AgentId, session: Session, prompt: string): Parsed => ({
  kind: "event",
  event: { kind: "prompt-submit", agent, session, prompt },
});

/** A proceed decision's warnings as one text, or undefined. */
export const warningText = (decision: Decision): string | undefined =>
  decision.kind === "proceed" && decision.warnings.length > 0
    ? decision.warnings.join("\n")
    : undefined;

/**
 * After a tool, for agents whose answer can only add text beside the output the model already has
 * (the pipeline turned a redaction into a deny, OUTPUT_WITHHELD): what was found, and the agent's
 * notice telling the model what to do.
 */
export function exposedText(
  decision: Extract<Decision, { kind: "deny" }>,
  tool: string,
  notice: string,
): string {
  const lead = decision.codes.includes("OUTPUT_WITHHELD")
    ? `hookpack found secret(s) in this ${tool} output.`
    : decision.reason;
  return `${lead}\n${notice}`;
}

/** A parsed session-start event. */
export const sessionStart = (agent: AgentId, session: Session): Parsed => ({
  kind: "event",
  event: { kind: "session-start", agent, session },
});

/** Input leaves that describe content already on disk (an edit's `old_string`), not content the agent is adding. */
export const OLD_STRING = /(^|\.)old_string$/;

/** Joins the text a model reads from an output: a string as is, text parts joined, else JSON. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value))
    return value
      .map((part) =>
        typeof part === "string"
          ? part
          : typeof (part as { text?: unknown })?.text === "string"
            ? (part as { text: string }).text
            : JSON.stringify(part),
      )
      .join("\n");
  return value === undefined ? "" : JSON.stringify(value);
}

/**
 * A Claude-shaped SessionEnd (`session_id`, `cwd`, `transcript_path`, `reason`; Codex, Qwen Code):
 * the session's own log is what the session-end cleaner rewrites. The fast check says true only for
 * what the agents' SessionEnd schemas accept.
 */
export function fastSessionEnd(p: Record<string, unknown>): boolean {
  return fastSessionFields(p) && optString(p.reason);
}

const optString = (v: unknown) => v === undefined || typeof v === "string";

/** The session fields of a Claude-shaped payload: `session_id`, `cwd`, `transcript_path` (may be null). */
export const fastSessionFields = (p: Record<string, unknown>): boolean =>
  typeof p.session_id === "string" &&
  typeof p.cwd === "string" &&
  (p.transcript_path === null || optString(p.transcript_path));

export function sessionEndEvent(
  agent: AgentId,
  p: { session_id: string; cwd: string; transcript_path?: string | null; reason?: string },
): Parsed {
  const transcript = p.transcript_path ?? undefined;
  const session: Session = { id: p.session_id, cwd: p.cwd, transcriptPath: transcript };
  return {
    kind: "event",
    event: {
      kind: "session-end",
      agent,
      session,
      reason: p.reason,
      state: { files: transcript ? [transcript] : [], dirs: [] },
    },
  };
}

/**
 * A Claude-shaped prompt-submit payload (`session_id`, `cwd`, `transcript_path`, `prompt`; Codex
 * UserPromptSubmit, Qwen Code UserPromptSubmit, Gemini BeforeAgent). The fast check says true only
 * for what the agents' schemas for that event accept.
 */
export function fastPromptSubmit(p: Record<string, unknown>): boolean {
  return fastSessionFields(p) && typeof p.prompt === "string";
}

export function promptSubmitEvent(
  agent: AgentId,
  p: { session_id: string; cwd: string; transcript_path?: string | null; prompt: string },
): Parsed {
  const session: Session = {
    id: p.session_id,
    cwd: p.cwd,
    transcriptPath: p.transcript_path ?? undefined,
  };
  return promptSubmit(agent, session, p.prompt);
}

/**
 * The usual reading of a hook's answer to doctor's harmless probe: exit 0, and stdout empty or one
 * JSON object that `blocks` (the agent's own reading) does not call a refusal. `exit` words what the
 * agent does with a non-zero exit code.
 */
export function probeRefusal(
  answer: ProbeAnswer,
  exit: (code: number) => string,
  blocks: (answer: Record<string, unknown>) => string | undefined,
): string | undefined {
  if (answer.exitCode !== 0) return exit(answer.exitCode);
  const text = answer.stdout.trim();
  if (text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "it printed something that is not JSON on stdout (the agent would reject the answer)";
  }
  if (!isPlainObject(value))
    return "it printed JSON that is not an object on stdout (the agent would reject the answer)";
  return blocks(value);
}

/** A Claude-shaped answer's refusal: `permissionDecision` deny/ask, `decision: "block"`, or `continue: false`. */
export function claudeShapedRefusal(answer: Record<string, unknown>): string | undefined {
  const decision = (answer.hookSpecificOutput as { permissionDecision?: unknown } | undefined)
    ?.permissionDecision;
  if (decision === "deny" || decision === "ask")
    return `it answered permissionDecision "${decision}" to a harmless \`true\` command`;
  if (answer.decision === "block" || answer.decision === "deny")
    return `it answered decision "${String(answer.decision)}" to a harmless \`true\` command`;
  if (answer.continue === false) return "it answered continue:false to a harmless `true` command";
  return undefined;
}

// ---- the Claude-shaped wire (`hook_event_name`, `tool_name`/`tool_input`, `hookSpecificOutput`):
// Claude Code, Codex CLI, Qwen Code, and Gemini CLI's lifecycle answers ----

/** `classify` for payloads that name their event in `hook_event_name`. */
export function classifyByEventName(
  kinds: Record<string, EventKind>,
): (payload: unknown) => EventKind | "unknown" {
  return (payload) => {
    const name = (payload as { hook_event_name?: unknown } | null)?.hook_event_name;
    return (typeof name === "string" && kinds[name]) || "unknown";
  };
}

/** Exit 2 with the message on stderr to fail closed (it blocks), exit 1 to fail open (a non-blocking hook error). */
export function exitCodeFailure(mode: "closed" | "open", message: string): HookResponse {
  return { exitCode: mode === "closed" ? 2 : 1, stdout: "", stderr: `${message}\n` };
}

/** SessionStart's names-only notice: the user reads systemMessage, the model the same text as context. */
export function sessionStartNotice(decision: Decision): HookResponse | undefined {
  if (decision.kind !== "proceed" || decision.warnings.length === 0) return undefined;
  const text = decision.warnings.join("\n");
  return jsonResponse({
    systemMessage: text,
    hookSpecificOutput: { hookEventName: "SessionStart", additionalContext: text },
  });
}

/**
 * Doctor's probe for a Claude-shaped before-tool event: `fields` are the agent's own base fields,
 * `exit` words what the agent does with a non-zero exit, `refusal` reads a JSON answer.
 */
export function claudeShapedProbe(
  event: string,
  tool: string,
  fields: Record<string, unknown>,
  exit: (code: number) => string,
  refusal = claudeShapedRefusal,
): Probe {
  const base = (cwd: string) => ({
    session_id: "hookpack-doctor",
    cwd,
    hook_event_name: event,
    ...fields,
  });
  return {
    harmless: (cwd) => ({
      ...base(cwd),
      tool_name: tool,
      tool_input: { command: "true", description: "hookpack doctor: harmless probe" },
    }),
    malformed: (cwd) => ({ ...base(cwd), tool_name: tool }),
    refusal: (answer) => probeRefusal(answer, exit, refusal),
  };
}

/** Claude's hook events as registrations (Claude Code; Qwen Code uses the same names): tool events for every tool. */
export const CLAUDE_REGISTRATIONS: readonly HookRegistration[] = [
  { event: "PreToolUse", matcher: "*", timeout: 30 },
  { event: "PostToolUse", matcher: "*", timeout: 30 },
  { event: "PostToolUseFailure", matcher: "*", timeout: 30 },
  { event: "SessionEnd", matcher: undefined, timeout: 30 },
  { event: "UserPromptSubmit", matcher: undefined, timeout: 30 },
  { event: "SessionStart", matcher: undefined, timeout: 30 },
];

/** A proceed decision's warnings as Claude-shaped `systemMessage`, or nothing. */
export function warningsOf(decision: Decision): { systemMessage?: string } {
  return decision.kind === "proceed" && decision.warnings.length > 0
    ? { systemMessage: decision.warnings.join("\n") }
    : {};
}

/** A Claude-shaped PreToolUse answer: `top` fields, then `hookSpecificOutput` holding `specific`. */
export const preToolUseAnswer = (
  top: Record<string, unknown>,
  specific: Record<string, unknown>,
): HookResponse =>
  jsonResponse({ ...top, hookSpecificOutput: { hookEventName: "PreToolUse", ...specific } });

/** A Claude-shaped PreToolUse deny: the call does not run and the model reads the reason. */
export const preToolUseDeny = (reason: string): HookResponse =>
  preToolUseAnswer({}, { permissionDecision: "deny", permissionDecisionReason: reason });

/** One JSON answer, or no output at all when it has nothing in it. */
export const answerOrNothing = (out: Record<string, unknown>): HookResponse =>
  Object.keys(out).length > 0 ? jsonResponse(out) : EMPTY_RESPONSE;

/**
 * After a tool, for agents that withhold the output and show the model a reason in its place
 * (Codex `block`, Gemini CLI `deny`): the deny's reason, or the redacted output as that reason.
 */
export function outputAsReason(
  decision: Decision,
  word: "block" | "deny",
  text: (output: unknown) => string,
): HookResponse {
  if (decision.kind === "deny") return jsonResponse({ decision: word, reason: decision.reason });
  if (decision.hasOutput)
    return jsonResponse({ ...warningsOf(decision), decision: word, reason: text(decision.output) });
  return answerOrNothing(warningsOf(decision));
}

/** After a tool, `outputAsReason`; otherwise the lifecycle answer, with the same word (Codex `block`, Gemini CLI `deny`). */
export function afterToolOrLifecycle(
  decision: Decision,
  event: HookEvent,
  word: "block" | "deny",
  text: (output: unknown) => string,
): HookResponse {
  if (event.kind === "after-tool") return outputAsReason(decision, word, text);
  return lifecycleAnswer(decision, event.kind, word);
}

/** The Claude-shaped lifecycle answers: a prompt held back (`{decision, reason}`), a session start's notice. */
export function lifecycleAnswer(
  decision: Decision,
  kind: HookEvent["kind"],
  promptDeny: "block" | "deny",
): HookResponse {
  if (kind === "prompt-submit" && decision.kind === "deny")
    return jsonResponse({ decision: promptDeny, reason: decision.reason });
  if (kind === "session-start") return sessionStartNotice(decision) ?? EMPTY_RESPONSE;
  return EMPTY_RESPONSE;
}
