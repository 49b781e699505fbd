// zod validation with hookpack's error shape: a PayloadError naming the first bad field's path.
// Imported only by the lazily loaded schema bundles, never by the hot path.
import * as z from "zod/mini";
import { PayloadError } from "./adapter.js";

export function checkSchema(schema: z.ZodMiniType, value: unknown, prefix = ""): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  const issue = result.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join(".");
  let got: unknown = value;
  for (const key of issue?.path ?? [])
    got =
      got !== null && typeof got === "object"
        ? (got as Record<PropertyKey, unknown>)[key]
        : undefined;
  const gotType =
    got === undefined
      ? "nothing"
      : got === null
        ? "null"
        : Array.isArray(got)
          ? "an array"
          : typeof got;
  const expectation =
    issue?.code === "invalid_type"
      ? `expected ${issue.expected}, got ${gotType}`
      : issue?.code === "too_small"
        ? "expected a non-empty string"
        : (issue?.message ?? "invalid");
  throw new PayloadError(path, expectation);
}

const eventName = z.looseObject({ hook_event_name: z.string() });

/**
 * The fields a Claude-shaped lifecycle payload starts with, in this order (zod reports the first bad
 * one): `transcript` is what `transcript_path` may be (default: missing, null or a string).
 */
export const sessionFields = (transcript: z.ZodMiniType = z.optional(z.nullable(z.string()))) => ({
  session_id: z.string(),
  transcript_path: transcript,
  cwd: z.string(),
  hook_event_name: z.string(),
});

/**
 * Validates a payload that names its event in `hook_event_name` (Codex, Gemini CLI, Qwen Code):
 * the event's schema, then, for the events in `toolEvents`, the tool's own input shape. Throws
 * PayloadError naming the first bad field; returns quietly for a valid or unhandled event.
 */
export function checkByEventName(
  payload: unknown,
  handled: Record<string, z.ZodMiniType>,
  toolEvents: ReadonlySet<z.ZodMiniType>,
  toolInputs: Record<string, z.ZodMiniType>,
): void {
  checkSchema(eventName, payload);
  const schema = handled[(payload as { hook_event_name: string }).hook_event_name];
  if (!schema) return;
  checkSchema(schema, payload);
  if (!toolEvents.has(schema)) return;
  const p = payload as { tool_name: string; tool_input: unknown };
  const shape = toolInputs[p.tool_name];
  if (shape) checkSchema(shape, p.tool_input, "tool_input");
}

/**
 * The validator of an agent whose payloads name their event in `hook_event_name`: `handled` maps
 * each handled event to its schema; for the events in `toolEvents` the tool's input is checked too
 * (`toolInputs`, by tool name). It throws PayloadError naming the first bad field and returns
 * quietly for a valid or unhandled event.
 */
export function eventNameValidator(
  handled: Record<string, z.ZodMiniType>,
  toolEvents: readonly z.ZodMiniType[],
  toolInputs: Record<string, z.ZodMiniType>,
): (payload: unknown) => void {
  const tools: ReadonlySet<z.ZodMiniType> = new Set(toolEvents);
  return (payload) => checkByEventName(payload, handled, tools, toolInputs);
}

/** The schemas of the events an agent on Claude's wire sends, by their role (the wire names them). */
export interface ClaudeWireSchemas {
  preToolUse: z.ZodMiniType;
  postToolUse: z.ZodMiniType;
  postToolUseFailure?: z.ZodMiniType;
  sessionStart?: z.ZodMiniType;
  sessionEnd?: z.ZodMiniType;
  stop?: z.ZodMiniType;
  userPromptSubmit?: z.ZodMiniType;
}

/** Claude's wire names for those roles; the tool events are the ones whose input is checked too. */
const CLAUDE_WIRE_EVENTS: ReadonlyArray<[keyof ClaudeWireSchemas, string, boolean]> = [
  ["preToolUse", "PreToolUse", true],
  ["postToolUse", "PostToolUse", true],
  ["postToolUseFailure", "PostToolUseFailure", true],
  ["sessionStart", "SessionStart", false],
  ["sessionEnd", "SessionEnd", false],
  ["stop", "Stop", false],
  ["userPromptSubmit", "UserPromptSubmit", false],
];

/** The validator of an agent on Claude's wire (Claude Code, Codex CLI, Qwen Code): its events by Claude's names. */
export function claudeWireValidator(
  schemas: ClaudeWireSchemas,
  toolInputs: Record<string, z.ZodMiniType>,
): (payload: unknown) => void {
  const handled: Record<string, z.ZodMiniType> = {};
  const tools: z.ZodMiniType[] = [];
  for (const [role, name, tool] of CLAUDE_WIRE_EVENTS) {
    const schema = schemas[role];
    if (!schema) continue;
    handled[name] = schema;
    if (tool) tools.push(schema);
  }
  return eventNameValidator(handled, tools, toolInputs);
}
