// The zod side of ./gemini-family.ts: the payload fields and tool inputs Gemini CLI and Qwen Code
// share. Imported only by the lazily loaded schema bundles.
import * as z from "zod/mini";

const s = z.string();

/** The leading base fields of a tool payload, in the clients' order (errors name the first bad one). */
export const GEMINI_FAMILY_BASE = {
  session_id: s,
  transcript_path: z.optional(s),
  cwd: s,
  hook_event_name: s,
  timestamp: z.optional(s),
};

/** The tool call itself. */
export const TOOL_FIELDS = {
  tool_name: s.check(z.minLength(1)),
  tool_input: z.record(s, z.unknown()),
};

/** Per-tool input fields we rely on (the shared tools). Extra fields pass through untouched. */
export const GEMINI_FAMILY_TOOL_INPUTS: Record<string, z.ZodMiniType> = {
  run_shell_command: z.looseObject({ command: s, is_background: z.optional(z.boolean()) }),
  read_file: z.looseObject({ file_path: s }),
  write_file: z.looseObject({ file_path: s, content: s }),
};

/** An edit tool's input (Gemini `replace`, Qwen `edit`). */
export const editInput = z.looseObject({
  file_path: s,
  old_string: z.optional(s),
  new_string: z.optional(s),
});

/** Per-tool input fields a client of the family relies on; the clients differ in their edit tool's name. */
export const geminiFamilyToolInputs = (editTool: string): Record<string, z.ZodMiniType> => ({
  ...GEMINI_FAMILY_TOOL_INPUTS,
  [editTool]: editInput,
});
