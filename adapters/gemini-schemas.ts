// Gemini CLI hook payload schemas (zod), the authority on what a valid payload is. Loaded only when
// the hand-written fast check in ./gemini.ts cannot vouch for a payload; errors name the field path.
// Fields: @google/gemini-cli 0.61.0 (hooks/types.js, core/coreToolHookTriggers.js), checked
// against payloads the real client sent in test/e2e/gemini.test.ts.
import * as z from "zod/mini";
import { checkSchema as check } from "./schema-check.js";

const s = z.string();
const base = {
  session_id: s,
  transcript_path: z.optional(s),
  cwd: s,
  hook_event_name: s,
  timestamp: z.optional(s),
  tool_name: s.check(z.minLength(1)),
  tool_input: z.record(s, z.unknown()),
};
export const beforeTool = z.looseObject(base);
export const afterTool = z.looseObject({ ...base, tool_response: z.record(s, z.unknown()) });
/** BeforeAgent: the user's prompt before the model sees it. */
export const beforeAgent = z.looseObject({ session_id: s, transcript_path: z.optional(s), cwd: s, hook_event_name: s, prompt: s });
/** SessionStart: reported to, never blocked. */
export const sessionStart = z.looseObject({ session_id: s, transcript_path: z.optional(s), cwd: s, hook_event_name: s });
const eventName = z.looseObject({ hook_event_name: s });

/** Per-tool input fields we rely on. Extra fields pass through untouched. */
export const TOOL_INPUTS: Record<string, z.ZodMiniType> = {
  run_shell_command: z.looseObject({ command: s, is_background: z.optional(z.boolean()) }),
  read_file: z.looseObject({ file_path: s }),
  write_file: z.looseObject({ file_path: s, content: s }),
  replace: z.looseObject({ file_path: s, old_string: z.optional(s), new_string: z.optional(s) }),
};

const HANDLED: Record<string, z.ZodMiniType> = { BeforeTool: beforeTool, AfterTool: afterTool, BeforeAgent: beforeAgent, SessionStart: sessionStart };

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export function validateGeminiPayload(payload: unknown): void {
  check(eventName, payload);
  const schema = HANDLED[(payload as { hook_event_name: string }).hook_event_name];
  if (!schema) return;
  check(schema, payload);
  if (schema === beforeAgent || schema === sessionStart) return;
  const p = payload as { tool_name: string; tool_input: unknown };
  const shape = TOOL_INPUTS[p.tool_name];
  if (shape) check(shape, p.tool_input, "tool_input");
}
