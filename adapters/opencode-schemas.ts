// OpenCode plugin payload schemas (zod), the authority on what a valid payload is. The payload is
// hookpack's own (its plugin builds it from OpenCode's tool.execute.before/after arguments, see
// ./opencode-plugin.ts); tool argument names from opencode-ai 1.18.33.
import * as z from "zod/mini";
import { checkSchema as check } from "./schema-check.js";

const s = z.string();
const base = {
  hook: s,
  tool: s.check(z.minLength(1)),
  sessionID: z.optional(s),
  callID: z.optional(s),
  cwd: s,
  args: z.record(s, z.unknown()),
};
export const before = z.looseObject(base);
export const after = z.looseObject({ ...base, output: z.looseObject({ output: z.optional(s) }) });
const hook = z.looseObject({ hook: z.optional(s) });

/** Per-tool input fields we rely on. Extra fields pass through untouched. */
export const TOOL_INPUTS: Record<string, z.ZodMiniType> = {
  bash: z.looseObject({ command: s }),
  read: z.looseObject({ filePath: s }),
  write: z.looseObject({ filePath: s, content: s }),
  edit: z.looseObject({ filePath: s, oldString: z.optional(s), newString: z.optional(s) }),
};

export const idle = z.looseObject({ hook: s, sessionID: s, cwd: s });

const HANDLED: Record<string, z.ZodMiniType> = {
  "tool.execute.before": before,
  "tool.execute.after": after,
  "session.idle": idle,
};

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export function validateOpencodePayload(payload: unknown): void {
  check(hook, payload);
  const schema = HANDLED[String((payload as { hook?: string }).hook)];
  if (!schema) return;
  check(schema, payload);
  if (schema === idle) return;
  const p = payload as { tool: string; args: unknown };
  const shape = TOOL_INPUTS[p.tool];
  if (shape) check(shape, p.args, "args");
}
