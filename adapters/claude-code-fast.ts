// A hand-written check that vouches for the common, well-formed Claude Code payload without
// loading zod. It may only say "valid" for payloads the zod schemas in ./claude-code-schemas.ts
// accept (test/adapters/claude-code-fast.test.ts checks this over the fixtures and thousands of
// random mutations); when in doubt it says false and zod decides, with its field-path errors.

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === "string";
const optString: Check = (v) => v === undefined || typeof v === "string";
const optBoolean: Check = (v) => v === undefined || typeof v === "boolean";
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function fields(shape: Record<string, Check>): Check {
  return (v) => isObject(v) && Object.entries(shape).every(([key, check]) => check(v[key]));
}

const edit = fields({ old_string: isString, new_string: isString });
const TOOL_INPUTS: Record<string, Check> = {
  Bash: fields({ command: isString, run_in_background: optBoolean }),
  Read: fields({ file_path: isString }),
  Write: fields({ file_path: isString, content: isString }),
  Edit: fields({ file_path: isString, old_string: isString, new_string: isString }),
  MultiEdit: fields({ file_path: isString, edits: (v) => Array.isArray(v) && v.every(edit) }),
  NotebookEdit: fields({ notebook_path: isString }),
  Grep: fields({ pattern: isString, path: optString }),
  Glob: fields({ pattern: isString, path: optString }),
  WebFetch: fields({ url: isString }),
  WebSearch: fields({ query: isString }),
};

const base = fields({
  session_id: isString,
  cwd: isString,
  transcript_path: optString,
  hook_event_name: isString,
  permission_mode: optString,
});
const tool = (v: Record<string, unknown>) =>
  typeof v.tool_name === "string" &&
  v.tool_name.length > 0 &&
  isObject(v.tool_input) &&
  Object.getPrototypeOf(v.tool_input) === Object.prototype &&
  optString(v.tool_use_id) &&
  (TOOL_INPUTS[v.tool_name]?.(v.tool_input) ?? true);

export function fastValidate(payload: unknown): boolean {
  if (!isObject(payload) || typeof payload.hook_event_name !== "string") return false;
  switch (payload.hook_event_name) {
    case "PreToolUse":
      return base(payload) && tool(payload);
    case "PostToolUse":
      // zod requires the key even though its value may be anything.
      return base(payload) && tool(payload) && "tool_response" in payload;
    case "UserPromptSubmit":
      return base(payload) && typeof payload.prompt === "string";
    case "PostToolUseFailure":
      return (
        base(payload) &&
        tool(payload) &&
        typeof payload.error === "string" &&
        optBoolean(payload.is_interrupt)
      );
    case "SessionStart":
    case "SessionEnd":
    case "Stop":
      return base(payload) && optString(payload.source) && optString(payload.reason);
    default:
      return true;
  }
}
