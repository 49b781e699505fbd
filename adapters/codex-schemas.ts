// Codex CLI hook payload schemas (zod), the authority on what a valid payload is. Loaded only when
// the hand-written fast check in ./codex.ts cannot vouch for a payload; errors name the field path.
// Field list: the JSON schemas embedded in @openai/codex 0.169.0 (pre-tool-use.command.input,
// post-tool-use.command.input); hookpack requires only the fields it uses.
import * as z from "zod/mini";
import { claudeWireValidator, sessionFields } from "./schema-check.js";

const s = z.string();
const base = {
  session_id: s,
  turn_id: z.optional(s),
  transcript_path: z.optional(z.nullable(s)),
  cwd: s,
  hook_event_name: s,
  model: z.optional(s),
  permission_mode: z.optional(s),
  tool_name: s.check(z.minLength(1)),
  tool_input: z.record(s, z.unknown()),
  tool_use_id: z.optional(s),
};
export const preToolUse = z.looseObject(base);
export const postToolUse = z.looseObject({ ...base, tool_response: z.unknown() });
/** SessionEnd (fired by 0.169.0 in `codex exec` too): the rollout (`transcript_path`) is cleaned. */
export const sessionEnd = z.looseObject({ ...sessionFields(), reason: z.optional(s) });
/** UserPromptSubmit (user-prompt-submit.command.input): the prompt before the model sees it. */
export const userPromptSubmit = z.looseObject({ ...sessionFields(), prompt: s });
/** SessionStart (session-start.command.input). */
export const sessionStart = z.looseObject({ ...sessionFields(), source: z.optional(s) });

/** Per-tool input fields we rely on. Extra fields pass through untouched. */
export const TOOL_INPUTS: Record<string, z.ZodMiniType> = {
  Bash: z.looseObject({ command: s }),
  apply_patch: z.looseObject({ command: s }),
};

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export const validateCodexPayload = claudeWireValidator(
  { preToolUse, postToolUse, sessionStart, sessionEnd, userPromptSubmit },
  TOOL_INPUTS,
);
