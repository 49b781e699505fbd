// Claude Code hook payload schemas (zod), the authority on what a valid payload is. Loaded only
// when the hand-written fast check in ./claude-code-fast.ts cannot vouch for a payload, so that
// the usual hook call never pays for loading zod; errors name the field path.
import * as z from "zod/mini";
import { claudeWireValidator } from "./schema-check.js";

const base = {
  session_id: z.string(),
  transcript_path: z.optional(z.string()),
  cwd: z.string(),
  hook_event_name: z.string(),
  permission_mode: z.optional(z.string()),
};
const toolInput = z.record(z.string(), z.unknown());
const toolFields = {
  ...base,
  tool_name: z.string().check(z.minLength(1)),
  tool_input: toolInput,
  tool_use_id: z.optional(z.string()),
};
export const preToolUse = z.looseObject(toolFields);
export const postToolUse = z.looseObject({ ...toolFields, tool_response: z.unknown() });
/** A call that failed (for Bash: a non-zero exit): the output text is in `error`. */
export const postToolUseFailure = z.looseObject({
  ...toolFields,
  error: z.string(),
  is_interrupt: z.optional(z.boolean()),
});
export const sessionEvent = z.looseObject({
  ...base,
  source: z.optional(z.string()),
  reason: z.optional(z.string()),
});
export const userPromptSubmit = z.looseObject({ ...base, prompt: z.string() });
export const eventName = z.looseObject({ hook_event_name: z.string() });

// Per-tool input fields we rely on. Extra fields pass through untouched.
const s = z.string();
export const TOOL_INPUTS: Record<string, z.ZodMiniType> = {
  Bash: z.looseObject({ command: s, run_in_background: z.optional(z.boolean()) }),
  Read: z.looseObject({ file_path: s }),
  Write: z.looseObject({ file_path: s, content: s }),
  Edit: z.looseObject({ file_path: s, old_string: s, new_string: s }),
  MultiEdit: z.looseObject({
    file_path: s,
    edits: z.array(z.looseObject({ old_string: s, new_string: s })),
  }),
  NotebookEdit: z.looseObject({ notebook_path: s }),
  Grep: z.looseObject({ pattern: s, path: z.optional(s) }),
  Glob: z.looseObject({ pattern: s, path: z.optional(s) }),
  WebFetch: z.looseObject({ url: s }),
  WebSearch: z.looseObject({ query: s }),
};

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export const validateClaudePayload = claudeWireValidator(
  {
    preToolUse,
    postToolUse,
    postToolUseFailure,
    sessionStart: sessionEvent,
    sessionEnd: sessionEvent,
    stop: sessionEvent,
    userPromptSubmit,
  },
  TOOL_INPUTS,
);
