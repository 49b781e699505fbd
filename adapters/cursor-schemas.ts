// Cursor hook payload schemas (zod), the authority on what a valid payload is. Loaded only when the
// hand-written fast check in ./cursor.ts cannot vouch for a payload. Fields: the third-party
// reading of Cursor CLI 2026.09.18 in the reference (unverified against a running client).
import * as z from "zod/mini";
import { checkSchema as check } from "./schema-check.js";

const s = z.string();
/** The fields every Cursor hook payload carries (all but the event's name optional). */
const COMMON = {
  hook_event_name: s,
  conversation_id: z.optional(s),
  session_id: z.optional(s),
  cwd: z.optional(s),
  transcript_path: z.optional(z.nullable(s)),
  workspace_roots: z.optional(z.array(s)),
};
export const toolPayload = z.looseObject({
  ...COMMON,
  tool_name: s.check(z.minLength(1)),
  tool_input: z.record(s, z.unknown()),
  tool_use_id: z.optional(s),
});
const eventName = z.looseObject({ hook_event_name: s });
/** sessionStart: the common fields only. */
export const sessionPayload = z.looseObject(COMMON);
const shell = z.looseObject({ command: s });

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export function validateCursorPayload(payload: unknown): void {
  check(eventName, payload);
  const name = (payload as { hook_event_name: string }).hook_event_name;
  if (name === "sessionStart") {
    check(sessionPayload, payload);
    return;
  }
  if (name !== "preToolUse" && name !== "postToolUse" && name !== "postToolUseFailure") return;
  check(toolPayload, payload);
  const p = payload as { tool_name: string; tool_input: unknown };
  if (p.tool_name === "Shell") check(shell, p.tool_input, "tool_input");
}
