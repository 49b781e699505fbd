// GitHub Copilot CLI hook payload schemas (zod), the authority on what a valid payload is. Loaded
// only when the hand-written fast check in ./copilot.ts cannot vouch for a payload; errors name
// the field path. Fields: the camelCase payloads of @github/copilot 1.0.102 (recorded from the real
// client in test/e2e/copilot.test.ts) and the tool argument schemas in its bundle.
import * as z from "zod/mini";
import { PayloadError } from "./adapter.js";
import { checkSchema as check } from "./schema-check.js";

const s = z.string();
export const toolPayload = z.looseObject({
  sessionId: s,
  timestamp: z.optional(z.union([z.number(), s])),
  cwd: s,
  toolName: s.check(z.minLength(1)),
  // Older docs show the arguments as a JSON text; ./copilot.ts decodes it.
  toolArgs: z.union([z.record(s, z.unknown()), s]),
  toolResult: z.optional(z.looseObject({ textResultForLlm: z.optional(s) })),
  // postToolUseFailure: the failure message.
  error: z.optional(s),
});
const anyObject = z.record(s, z.unknown());

/** Per-tool input fields we rely on. Extra fields pass through untouched. */
export const TOOL_INPUTS: Record<string, z.ZodMiniType> = {
  bash: z.looseObject({ command: s, async: z.optional(z.boolean()) }),
  powershell: z.looseObject({ command: s }),
  view: z.looseObject({ path: s }),
  create: z.looseObject({ path: s, file_text: z.optional(s) }),
  edit: z.looseObject({ path: s, old_str: z.optional(s), new_str: z.optional(s) }),
};

/** Tools whose arguments are one raw text, not JSON (their `toolArgs` is that text). */
export const FREEFORM_TOOLS: ReadonlySet<string> = new Set(["apply_patch"]);

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export function validateCopilotPayload(payload: unknown): void {
  check(anyObject, payload);
  const p = payload as Record<string, unknown>;
  if (!("toolName" in p || "toolArgs" in p || "toolResult" in p)) return;
  check(toolPayload, payload);
  let args = p.toolArgs;
  // A freeform tool (apply_patch, 1.0.102) sends its raw text as toolArgs.
  if (typeof args === "string" && FREEFORM_TOOLS.has(p.toolName as string)) return;
  if (typeof args === "string") {
    try {
      args = JSON.parse(args) as unknown;
    } catch {
      throw new PayloadError(
        "toolArgs",
        "expected an object or a JSON object text, got text that is not JSON",
      );
    }
    check(anyObject, args, "toolArgs");
  }
  const shape = TOOL_INPUTS[p.toolName as string];
  if (shape) check(shape, args, "toolArgs");
}
