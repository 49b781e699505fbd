// Cline hook payload schemas (zod), the authority on what a valid payload is. Loaded only when the
// hand-written fast check in ./cline.ts cannot vouch for a payload; errors name the field path.
// Fields: the payload `cline` 3.0.65 builds for hook files (@cline/core dist: r0(), tool_call /
// tool_result dispatch; recorded end to end in test/e2e/cline.test.ts); every tool parameter value
// is a string.
import * as z from "zod/mini";
import { checkSchema as check } from "./schema-check.js";

const s = z.string();
const base = {
  hookName: s,
  taskId: z.optional(s),
  workspaceRoots: z.optional(z.array(s)),
};
const tool = { toolName: s.check(z.minLength(1)), parameters: z.record(s, s) };
export const toolCall = z.looseObject({ ...base, preToolUse: z.looseObject(tool) });
export const toolResult = z.looseObject({
  ...base,
  postToolUse: z.looseObject({ ...tool, result: z.optional(s) }),
});
const hookName = z.looseObject({ hookName: z.optional(s) });

const HANDLED: Record<string, z.ZodMiniType> = { tool_call: toolCall, tool_result: toolResult };

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export function validateClinePayload(payload: unknown): void {
  check(hookName, payload);
  const schema = HANDLED[String((payload as { hookName?: string }).hookName)];
  if (schema) check(schema, payload);
}
