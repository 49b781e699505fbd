// Qwen Code hook payload schemas (zod), the authority on what a valid payload is. Loaded only when
// the hand-written fast check in ./qwen.ts cannot vouch for a payload; errors name the field path.
// Fields: @qwen-code/qwen-code 0.24.4, recorded from the real client (test/e2e/qwen.test.ts).
import * as z from "zod/mini";
import { checkSchema as check } from "./schema-check.js";

const s = z.string();
const base = {
  session_id: s,
  transcript_path: z.optional(s),
  cwd: s,
  hook_event_name: s,
  timestamp: z.optional(s),
  permission_mode: z.optional(s),
  tool_name: s.check(z.minLength(1)),
  tool_input: z.record(s, z.unknown()),
  tool_use_id: z.optional(s),
};
export const preToolUse = z.looseObject(base);
export const postToolUse = z.looseObject({ ...base, tool_response: z.unknown() });
/** A failed call: the output text the model reads is in `error`. */
export const postToolUseFailure = z.looseObject({ ...base, error: s, is_interrupt: z.optional(z.boolean()) });
/** The start or end of a session (at the end, its chat log `transcript_path` is cleaned). */
export const sessionEnd = z.looseObject({ session_id: s, cwd: s, transcript_path: z.optional(s), hook_event_name: s, reason: z.optional(s) });
/** UserPromptSubmit: the model-bound prompt (a user query, or a continuation carrying tool results). */
export const userPromptSubmit = z.looseObject({ session_id: s, cwd: s, transcript_path: z.optional(s), hook_event_name: s, prompt: s });
const eventName = z.looseObject({ hook_event_name: s });

/** Per-tool input fields we rely on. Extra fields pass through untouched. */
export const TOOL_INPUTS: Record<string, z.ZodMiniType> = {
  run_shell_command: z.looseObject({ command: s, is_background: z.optional(z.boolean()) }),
  read_file: z.looseObject({ file_path: s }),
  write_file: z.looseObject({ file_path: s, content: s }),
  edit: z.looseObject({ file_path: s, old_string: z.optional(s), new_string: z.optional(s) }),
};

const HANDLED: Record<string, z.ZodMiniType> = {
  PreToolUse: preToolUse,
  PostToolUse: postToolUse,
  PostToolUseFailure: postToolUseFailure,
  SessionStart: sessionEnd,
  SessionEnd: sessionEnd,
  UserPromptSubmit: userPromptSubmit,
};

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export function validateQwenPayload(payload: unknown): void {
  check(eventName, payload);
  const schema = HANDLED[(payload as { hook_event_name: string }).hook_event_name];
  if (!schema) return;
  check(schema, payload);
  if (schema === sessionEnd || schema === userPromptSubmit) return;
  const p = payload as { tool_name: string; tool_input: unknown };
  const shape = TOOL_INPUTS[p.tool_name];
  if (shape) check(shape, p.tool_input, "tool_input");
}
