// Qwen Code hook payload schemas (zod), the authority on what a valid payload is. Loaded only when
// the hand-written fast check in ./qwen.ts cannot vouch for a payload; errors name the field path.
// Fields: @qwen-code/qwen-code 0.24.4, recorded from the real client (test/e2e/qwen.test.ts).
import * as z from "zod/mini";
import {
  GEMINI_FAMILY_BASE,
  geminiFamilyToolInputs,
  TOOL_FIELDS,
} from "./gemini-family-schemas.js";
import { claudeWireValidator } from "./schema-check.js";

const s = z.string();
const base = {
  ...GEMINI_FAMILY_BASE,
  permission_mode: z.optional(s),
  ...TOOL_FIELDS,
  tool_use_id: z.optional(s),
};
export const preToolUse = z.looseObject(base);
export const postToolUse = z.looseObject({ ...base, tool_response: z.unknown() });
/** A failed call: the output text the model reads is in `error`. */
export const postToolUseFailure = z.looseObject({
  ...base,
  error: s,
  is_interrupt: z.optional(z.boolean()),
});
/** The start or end of a session (at the end, its chat log `transcript_path` is cleaned). */
export const sessionEnd = z.looseObject({
  session_id: s,
  cwd: s,
  transcript_path: z.optional(s),
  hook_event_name: s,
  reason: z.optional(s),
});
/** UserPromptSubmit: the model-bound prompt (a user query, or a continuation carrying tool results). */
export const userPromptSubmit = z.looseObject({
  session_id: s,
  cwd: s,
  transcript_path: z.optional(s),
  hook_event_name: s,
  prompt: s,
});

/** Per-tool input fields we rely on. Extra fields pass through untouched. */
export const TOOL_INPUTS = geminiFamilyToolInputs("edit");

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export const validateQwenPayload = claudeWireValidator(
  {
    preToolUse,
    postToolUse,
    postToolUseFailure,
    sessionStart: sessionEnd,
    sessionEnd,
    userPromptSubmit,
  },
  TOOL_INPUTS,
);
