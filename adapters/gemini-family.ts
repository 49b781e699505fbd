// What Gemini CLI and its fork Qwen Code share: the built-in tools' names and the input fields
// hookpack relies on (checked against @google/gemini-cli 0.61.0 and @qwen-code/qwen-code 0.24.4).
// Each adapter adds the tools only it has; the hook payloads and answers differ and stay there.
import type { ToolCall, ToolKind } from "../hooks/event.js";
import { inputString, isPlainObject, optString, wireToolCall } from "./common.js";

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

/** Fast checks of the shared tools' inputs: may only say true where the zod TOOL_INPUTS accept. */
export const GEMINI_FAMILY_FAST_INPUTS: Record<string, (i: Record<string, unknown>) => boolean> = {
  run_shell_command: (i) =>
    typeof i.command === "string" &&
    (i.is_background === undefined || typeof i.is_background === "boolean"),
  read_file: (i) => typeof i.file_path === "string",
  write_file: (i) => typeof i.file_path === "string" && typeof i.content === "string",
};

/** An edit tool's input (Gemini `replace`, Qwen `edit`): a path, and optional old and new text. */
const fastEditInput = (i: Record<string, unknown>) =>
  typeof i.file_path === "string" && optString(i.old_string) && optString(i.new_string);

/** The fast input checks of one client: the shared tools', and its edit tool named `edit`. */
export const fastInputsWith = (
  edit: string,
): Record<string, (i: Record<string, unknown>) => boolean> => ({
  ...GEMINI_FAMILY_FAST_INPUTS,
  [edit]: fastEditInput,
});

/**
 * The tool payload fields both clients send, checked fast (may only say true where both schemas
 * accept), with the shared and the client's own tool inputs in `inputs`.
 */
export function fastGeminiFamilyTool(
  p: Record<string, unknown>,
  inputs: Record<string, (i: Record<string, unknown>) => boolean>,
): boolean {
  return (
    typeof p.session_id === "string" &&
    typeof p.cwd === "string" &&
    optString(p.transcript_path) &&
    optString(p.timestamp) &&
    typeof p.tool_name === "string" &&
    p.tool_name.length > 0 &&
    isPlainObject(p.tool_input) &&
    (inputs[p.tool_name]?.(p.tool_input) ?? true)
  );
}

/**
 * The neutral call for one of either client's tools: the shell command and its background flag,
 * the path (`file_path`, or for a search tool the first of `searchPaths`, in the client's order),
 * the URL of a fetch, and whether the tool (one of `showsContent`) answers with file content.
 */
export function geminiFamilyToolCall(
  kind: ToolKind,
  p: { tool_name: string; tool_input: Record<string, unknown> },
  id: string | undefined,
  searchPaths: readonly [string, string],
  showsContent: readonly string[],
): ToolCall {
  const input = p.tool_input;
  const str = (key: string) => inputString(input, key);
  const path =
    str("file_path") ??
    (kind === "search" ? (str(searchPaths[0]) ?? str(searchPaths[1])) : undefined);
  const call = wireToolCall(kind, p.tool_name, input, id, "is_background", path);
  if (showsContent.includes(p.tool_name)) call.showsContent = true;
  return call;
}

/** The tool payload fields both clients send (each adds its own). */
export interface GeminiFamilyToolPayload {
  session_id: string;
  cwd: string;
  transcript_path?: string;
  hook_event_name: string;
  tool_name: string;
  tool_input: Record<string, unknown>;
}
