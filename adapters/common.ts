// Small pieces several adapters share. No agent's wire format lives here.
import type { AgentId, HookResponse, Session, ToolCall, ToolKind } from "../hooks/event.js";
import type { Parsed, ProbeAnswer } from "./adapter.js";
import { forEachString } from "../hooks/json-walk.js";

export const jsonResponse = (value: unknown): HookResponse => ({ exitCode: 0, stdout: `${JSON.stringify(value)}\n`, stderr: "" });
export const EMPTY_RESPONSE: HookResponse = { exitCode: 0, stdout: "", stderr: "" };

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** A neutral tool call: every string leaf of the input is a field, except those `skip` matches. */
export function neutralToolCall(kind: ToolKind, name: string, input: Record<string, unknown>, id: string | undefined, skip?: RegExp): ToolCall {
  const fields: Array<{ path: string; value: string }> = [];
  forEachString(input, (value, path) => {
    if (!skip?.test(path)) fields.push({ path, value });
  });
  return { kind, name, id, fields };
}

/** Joins the text a model reads from an output: a string as is, text parts joined, else JSON. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((part) => (typeof part === "string" ? part : typeof (part as { text?: unknown })?.text === "string" ? (part as { text: string }).text : JSON.stringify(part))).join("\n");
  return value === undefined ? "" : JSON.stringify(value);
}

/**
 * A Claude-shaped SessionEnd (`session_id`, `cwd`, `transcript_path`, `reason`; Codex, Qwen Code):
 * the session's own log is what the session-end cleaner rewrites. The fast check says true only for
 * what the agents' SessionEnd schemas accept.
 */
export function fastSessionEnd(p: Record<string, unknown>): boolean {
  const optString = (v: unknown) => v === undefined || typeof v === "string";
  return typeof p.session_id === "string" && typeof p.cwd === "string" && (p.transcript_path === null || optString(p.transcript_path)) && optString(p.reason);
}

export function sessionEndEvent(agent: AgentId, p: { session_id: string; cwd: string; transcript_path?: string | null; reason?: string }): Parsed {
  const transcript = p.transcript_path ?? undefined;
  const session: Session = { id: p.session_id, cwd: p.cwd, transcriptPath: transcript };
  return { kind: "event", event: { kind: "session-end", agent, session, reason: p.reason, state: { files: transcript ? [transcript] : [], dirs: [] } } };
}

/**
 * A Claude-shaped prompt-submit payload (`session_id`, `cwd`, `transcript_path`, `prompt`; Codex
 * UserPromptSubmit, Qwen Code UserPromptSubmit, Gemini BeforeAgent). The fast check says true only
 * for what the agents' schemas for that event accept.
 */
export function fastPromptSubmit(p: Record<string, unknown>): boolean {
  const optString = (v: unknown) => v === undefined || typeof v === "string";
  return typeof p.session_id === "string" && typeof p.cwd === "string" && (p.transcript_path === null || optString(p.transcript_path)) && typeof p.prompt === "string";
}

export function promptSubmitEvent(agent: AgentId, p: { session_id: string; cwd: string; transcript_path?: string | null; prompt: string }): Parsed {
  const session: Session = { id: p.session_id, cwd: p.cwd, transcriptPath: p.transcript_path ?? undefined };
  return { kind: "event", event: { kind: "prompt-submit", agent, session, prompt: p.prompt } };
}

/**
 * The usual reading of a hook's answer to doctor's harmless probe: exit 0, and stdout empty or one
 * JSON object that `blocks` (the agent's own reading) does not call a refusal. `exit` words what the
 * agent does with a non-zero exit code.
 */
export function probeRefusal(answer: ProbeAnswer, exit: (code: number) => string, blocks: (answer: Record<string, unknown>) => string | undefined): string | undefined {
  if (answer.exitCode !== 0) return exit(answer.exitCode);
  const text = answer.stdout.trim();
  if (text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "it printed something that is not JSON on stdout (the agent would reject the answer)";
  }
  if (!isPlainObject(value)) return "it printed JSON that is not an object on stdout (the agent would reject the answer)";
  return blocks(value);
}

/** A Claude-shaped answer's refusal: `permissionDecision` deny/ask, `decision: "block"`, or `continue: false`. */
export function claudeShapedRefusal(answer: Record<string, unknown>): string | undefined {
  const decision = (answer.hookSpecificOutput as { permissionDecision?: unknown } | undefined)?.permissionDecision;
  if (decision === "deny" || decision === "ask") return `it answered permissionDecision "${decision}" to a harmless \`true\` command`;
  if (answer.decision === "block" || answer.decision === "deny") return `it answered decision "${String(answer.decision)}" to a harmless \`true\` command`;
  if (answer.continue === false) return "it answered continue:false to a harmless `true` command";
  return undefined;
}
