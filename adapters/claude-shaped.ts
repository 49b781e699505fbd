// The Claude-shaped wire, shared by the agents that speak it: payloads that name their event in
// `hook_event_name` and carry `session_id`, `cwd`, `transcript_path`, `tool_name`/`tool_input`;
// answers with `hookSpecificOutput`, `decision`/`reason` and `systemMessage` (Claude Code, Codex
// CLI, Qwen Code, and Gemini CLI's lifecycle events). Each adapter keeps only its real differences.
import type {
  AgentId,
  Decision,
  EventKind,
  HookEvent,
  HookResponse,
  Session,
} from "../hooks/event.js";
import type { HookRegistration, Parsed, Probe } from "./adapter.js";
import {
  answeredRefusal,
  answerOrNothing,
  classifyBy,
  CONTINUE_FALSE,
  EMPTY_RESPONSE,
  isPlainObject,
  jsonResponse,
  optString,
  parsedEvents,
  probeRefusal,
} from "./common.js";

/**
 * A Claude-shaped SessionEnd (`session_id`, `cwd`, `transcript_path`, `reason`; Codex, Qwen Code):
 * the session's own log is what the session-end cleaner rewrites. The fast check says true only for
 * what the agents' SessionEnd schemas accept.
 */
export function fastSessionEnd(p: Record<string, unknown>): boolean {
  return fastSessionFields(p) && optString(p.reason);
}

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
  return parsedEvents(agent).promptSubmit(session, p.prompt);
}

/** A Claude-shaped answer's refusal: `permissionDecision` deny/ask, `decision: "block"`, or `continue: false`. */
export function claudeShapedRefusal(answer: Record<string, unknown>): string | undefined {
  const specific = answer.hookSpecificOutput as { permissionDecision?: unknown } | undefined;
  return (
    answeredRefusal("permissionDecision", specific?.permissionDecision, ["deny", "ask"]) ??
    answeredRefusal("decision", answer.decision, ["block", "deny"]) ??
    (answer.continue === false ? CONTINUE_FALSE : undefined)
  );
}

/** A payload object that names its event in `hook_event_name` (what a fast check looks at first). */
export const namedEvent = (
  payload: unknown,
): payload is Record<string, unknown> & { hook_event_name: string } =>
  isPlainObject(payload) && typeof payload.hook_event_name === "string";

/** `classify` for payloads that name their event in `hook_event_name`. */
export const classifyByEventName = (kinds: Record<string, EventKind>) =>
  classifyBy("hook_event_name", kinds);

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
