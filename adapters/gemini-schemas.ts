// Gemini CLI hook payload schemas (zod), the authority on what a valid payload is. Loaded only when
// the hand-written fast check in ./gemini.ts cannot vouch for a payload; errors name the field path.
// Fields: @google/gemini-cli 0.61.0 (hooks/types.js, core/coreToolHookTriggers.js), checked
// against payloads the real client sent in test/e2e/gemini.test.ts.
import * as z from "zod/mini";
import {
  GEMINI_FAMILY_BASE,
  geminiFamilyToolInputs,
  TOOL_FIELDS,
} from "./gemini-family-schemas.js";
import { eventNameValidator, sessionFields } from "./schema-check.js";

const s = z.string();
const base = { ...GEMINI_FAMILY_BASE, ...TOOL_FIELDS };
export const beforeTool = z.looseObject(base);
export const afterTool = z.looseObject({ ...base, tool_response: z.record(s, z.unknown()) });
/** BeforeAgent: the user's prompt before the model sees it. */
export const beforeAgent = z.looseObject({ ...sessionFields(z.optional(s)), prompt: s });
/** SessionStart: reported to, never blocked. */
export const sessionStart = z.looseObject(sessionFields(z.optional(s)));

/** SessionEnd: the chat file (`transcript_path`) and the background-process logs are cleaned. */
export const sessionEnd = z.looseObject({ ...sessionFields(), reason: z.optional(s) });

/** Per-tool input fields we rely on. Extra fields pass through untouched. */
export const TOOL_INPUTS = geminiFamilyToolInputs("replace");

/** Throws PayloadError naming the first bad field; returns quietly for a valid or unhandled event. */
export const validateGeminiPayload = eventNameValidator(
  {
    BeforeTool: beforeTool,
    AfterTool: afterTool,
    BeforeAgent: beforeAgent,
    SessionStart: sessionStart,
    SessionEnd: sessionEnd,
  },
  [beforeTool, afterTool],
  TOOL_INPUTS,
);
