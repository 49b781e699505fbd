// What Gemini CLI and its fork Qwen Code share: the built-in tools' names and the input fields
// hookpack relies on (checked against @google/gemini-cli 0.61.0 and @qwen-code/qwen-code 0.24.4).
// Each adapter adds the tools only it has; the hook payloads and answers differ and stay there.
import type { ToolKind } from "../hooks/event.js";

export const GEMINI_FAMILY_TOOLS: Record<string, ToolKind> = {
  run_shell_command: "shell",
  read_file: "read-file",
  read_many_files: "read-file",
  write_file: "write-file",
  replace: "write-file",
  grep_search: "search",
  glob: "search",
  list_directory: "search",
  web_fetch: "fetch",
};

const optString = (v: unknown) => v === undefined || typeof v === "string";

/** Fast checks of the shared tools' inputs: may only say true where the zod TOOL_INPUTS accept. */
export const GEMINI_FAMILY_FAST_INPUTS: Record<string, (i: Record<string, unknown>) => boolean> = {
  run_shell_command: (i) =>
    typeof i.command === "string" &&
    (i.is_background === undefined || typeof i.is_background === "boolean"),
  read_file: (i) => typeof i.file_path === "string",
  write_file: (i) => typeof i.file_path === "string" && typeof i.content === "string",
};

/** An edit tool's input (Gemini `replace`, Qwen `edit`): a path, and optional old and new text. */
export const fastEditInput = (i: Record<string, unknown>) =>
  typeof i.file_path === "string" && optString(i.old_string) && optString(i.new_string);

/** Input leaves that describe content already on disk, not content the agent is adding. */
export const EXISTING_CONTENT = /(^|\.)old_string$/;

/** The tool payload fields both clients send (each adds its own). */
export interface GeminiFamilyToolPayload {
  session_id: string;
  cwd: string;
  transcript_path?: string;
  hook_event_name: string;
  tool_name: string;
  tool_input: Record<string, unknown>;
}
