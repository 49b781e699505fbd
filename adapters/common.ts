// Small pieces every adapter shares: responses, edge validation, the parsed events, probe
// readings. No agent's wire format lives here (the Claude-shaped one is in ./claude-shaped.ts).
import type { Scope } from "./adapter.js";
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
import type { Parsed, ProbeAnswer } from "./adapter.js";
import { forEachString } from "../core/json-walk.js";

export const jsonResponse = (value: unknown): HookResponse => ({
  exitCode: 0,
  stdout: `${JSON.stringify(value)}\n`,
  stderr: "",
});

export const EMPTY_RESPONSE: HookResponse = { exitCode: 0, stdout: "", stderr: "" };

/** A payload field that may be missing or a string. */
export const optString = (v: unknown): boolean => v === undefined || typeof v === "string";

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
 * The config files of an agent without an untracked local layer: "local" uses the project file;
 * the user's file is the same path under HOME unless named.
 */
export const localIsProject = (project: string, user = project): Record<Scope, string> => ({
  project,
  local: project,
  user,
});

/** The string at `key` of a tool input, or undefined. */
export const inputString = (input: Record<string, unknown>, key: string): string | undefined =>
  typeof input[key] === "string" ? (input[key] as string) : undefined;

/**
 * The neutral call for a tool of Claude's wire or Gemini CLI's family, whose inputs name a shell
 * command `command` and a fetched URL `url`: the command and its background flag (the input's
 * `backgroundKey`), the `path` the adapter found, and the URL. Old strings of an edit are not scanned.
 */
export function wireToolCall(
  kind: ToolKind,
  name: string,
  input: Record<string, unknown>,
  id: string | undefined,
  backgroundKey: string,
  path: string | undefined,
): ToolCall {
  const call = neutralToolCall(kind, name, input, id, OLD_STRING);
  if (kind === "shell") {
    call.command = inputString(input, "command");
    call.background = input[backgroundKey] === true;
  }
  if (path !== undefined) call.path = path;
  const url = inputString(input, "url");
  if (kind === "fetch" && url !== undefined) call.url = url;
  return call;
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

type AfterTool = Extract<HookEvent, { kind: "after-tool" }>;

/** The parsed events of one agent: a tool call before and after it runs, a session start, a prompt. */
export function parsedEvents(agent: AgentId) {
  return {
    beforeTool: (session: Session, tool: ToolCall): Parsed => ({
      kind: "event",
      event: { kind: "before-tool", agent, session, tool },
    }),
    /** `more` marks a failed call or carries a spill. */
    afterTool: (
      session: Session,
      tool: ToolCall,
      output: unknown,
      more?: Pick<AfterTool, "failed" | "spill">,
    ): Parsed => ({
      kind: "event",
      event: { kind: "after-tool", agent, session, tool, output, ...more },
    }),
    sessionStart: (session: Session): Parsed => ({
      kind: "event",
      event: { kind: "session-start", agent, session },
    }),
    promptSubmit: (session: Session, prompt: string): Parsed => ({
      kind: "event",
      event: { kind: "prompt-submit", agent, session, prompt },
    }),
  };
}

/**
 * `table[key]` only when `key` is the table's own: a name such as `constructor` or `toString`
 * must read as absent, not as an inherited function.
 */
export function own<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** `classify` for payloads that name their event in the string field `field`, looked up in `kinds`. */
export function classifyBy(
  field: string,
  kinds: Record<string, EventKind>,
): (payload: unknown) => EventKind | "unknown" {
  return (payload) => {
    const name = (payload as Record<string, unknown> | null)?.[field];
    return (typeof name === "string" && own(kinds, name)) || "unknown";
  };
}

/** A proceed decision's warnings as one text, or undefined. */
export const warningText = (decision: Decision): string | undefined =>
  decision.kind === "proceed" && decision.warnings.length > 0
    ? decision.warnings.join("\n")
    : undefined;

/**
 * After a tool, for agents whose answer can only add context (in `field`) beside the output the
 * model already has: for a deny (the pipeline turned a redaction into one, OUTPUT_WITHHELD) what
 * was found and the agent's `notice` telling the model what to do; else the warnings, or nothing.
 */
export function contextBeside(
  field: string,
  decision: Decision,
  tool: string,
  notice: string,
): HookResponse {
  if (decision.kind === "deny") {
    const lead = decision.codes.includes("OUTPUT_WITHHELD")
      ? `hookpack found secret(s) in this ${tool} output.`
      : decision.reason;
    return jsonResponse({ [field]: `${lead}\n${notice}` });
  }
  const warnings = warningText(decision);
  return warnings ? jsonResponse({ [field]: warnings }) : EMPTY_RESPONSE;
}

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

/** Exit 2 with the message on stderr to fail closed (it blocks), exit 1 to fail open (a non-blocking hook error). */
export function exitCodeFailure(mode: "closed" | "open", message: string): HookResponse {
  return { exitCode: mode === "closed" ? 2 : 1, stdout: "", stderr: `${message}\n` };
}

/** Words for what the agent does with a hook's exit code: `code` means `effect`, any other `otherwise`. */
export const exitMeaning =
  (code: number, effect: string, otherwise: string) =>
  (exit: number): string =>
    exit === code ? `exit ${code}: ${effect}` : `exit ${exit}: ${otherwise}`;

/** A probe answer's refusal by one field: its value is one of `refusing`. */
export function answeredRefusal(
  field: string,
  value: unknown,
  refusing: readonly string[],
): string | undefined {
  return typeof value === "string" && refusing.includes(value)
    ? `it answered ${field} "${value}" to a harmless \`true\` command`
    : undefined;
}

/** The refusal words for `continue: false`. */
export const CONTINUE_FALSE = "it answered continue:false to a harmless `true` command";

/** One JSON answer, or no output at all when it has nothing in it. */
export const answerOrNothing = (out: Record<string, unknown>): HookResponse =>
  Object.keys(out).length > 0 ? jsonResponse(out) : EMPTY_RESPONSE;
