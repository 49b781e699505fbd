// Windsurf hook payload schemas (zod), the authority on what a valid payload is. Loaded only when
// the hand-written fast check in ./windsurf.ts cannot vouch for a payload. Fields: Windsurf's hooks
// docs and third-party type references (unverified against a running client).
import * as z from "zod/mini";
import { checkSchema as check } from "./schema-check.js";

const s = z.string();
export const prePayload = z.looseObject({
  agent_action_name: s,
  trajectory_id: z.optional(s),
  execution_id: z.optional(s),
  tool_info: z.record(s, z.unknown()),
});
const actionName = z.looseObject({ agent_action_name: z.optional(s) });

export const TOOL_INFO: Record<string, z.ZodMiniType> = {
  pre_run_command: z.looseObject({ command_line: s, cwd: z.optional(s) }),
  pre_read_code: z.looseObject({ file_path: s }),
  pre_write_code: z.looseObject({ file_path: s }),
};

const HANDLED = new Set(["pre_run_command", "pre_read_code", "pre_write_code", "pre_mcp_tool_use"]);

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export function validateWindsurfPayload(payload: unknown): void {
  check(actionName, payload);
  const name = (payload as { agent_action_name?: string }).agent_action_name;
  if (name === undefined || !HANDLED.has(name)) return;
  check(prePayload, payload);
  const shape = TOOL_INFO[name];
  if (shape) check(shape, (payload as { tool_info: unknown }).tool_info, "tool_info");
}
