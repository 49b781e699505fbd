// Windsurf (Cascade) adapter. Not on npm: wire facts from docs.windsurf.com's hooks page (excerpts)
// and third-party type references, as summarised in the reference; not checked against a running
// Windsurf. Fixtures follow those shapes.
//
// Windsurf hooks can only BLOCK, and only by exiting 2 from a pre-hook (the text is shown when
// the entry sets `show_output`). There is no documented way to rewrite input or to replace
// output, and post hooks are observational, so hookpack registers the pre-hooks only:
//   {"agent_action_name":"pre_run_command","trajectory_id":"…","execution_id":"…","timestamp":"…",
//    "tool_info":{"command_line":"ls","cwd":"/home/u/app"}}
//   pre_read_code / pre_write_code: tool_info.file_path (+ edits:[{old_string,new_string}] for writes)
//   pre_mcp_tool_use: tool_info {mcp_server_name, mcp_tool_name, mcp_tool_arguments} [3p]
// Degradation: a `$secret:` rewrite becomes a block whose reason is the brokered command to run
// instead (the pipeline's REWRITE_UNSUPPORTED); an ask becomes a block; output is not protected
// except by the broker's own masking of the commands it runs.
import type { EventKind, ToolCall, ToolKind } from "../hooks/event.js";
import type { Adapter, Parsed } from "./adapter.js";
import {
  EMPTY_RESPONSE,
  exitCodeFailure,
  isPlainObject,
  localIsProject,
  neutralToolCall,
  OLD_STRING,
  parsedEvents,
  validated,
} from "./common.js";

const KINDS: Record<string, ToolKind> = {
  pre_run_command: "shell",
  pre_read_code: "read-file",
  pre_write_code: "write-file",
  pre_mcp_tool_use: "mcp",
};

type Payload = {
  agent_action_name: string;
  trajectory_id?: string;
  execution_id?: string;
  tool_info: Record<string, unknown>;
};

// ---- fast check: may only say true for payloads ./windsurf-schemas.ts accepts (property-tested) ----
const FAST_INFO: Record<string, (i: Record<string, unknown>) => boolean> = {
  pre_run_command: (i) =>
    typeof i.command_line === "string" && (i.cwd === undefined || typeof i.cwd === "string"),
  pre_read_code: (i) => typeof i.file_path === "string",
  pre_write_code: (i) => typeof i.file_path === "string",
};

export function fastValidateWindsurf(payload: unknown): boolean {
  if (!isPlainObject(payload)) return false;
  // Not a Windsurf hook payload at all (e.g. doctor's probe): nothing to decide.
  if (payload.agent_action_name === undefined) return true;
  if (typeof payload.agent_action_name !== "string") return false;
  const name = payload.agent_action_name;
  if (!Object.hasOwn(KINDS, name)) return true;
  const p = payload;
  return (
    (p.trajectory_id === undefined || typeof p.trajectory_id === "string") &&
    (p.execution_id === undefined || typeof p.execution_id === "string") &&
    isPlainObject(p.tool_info) &&
    (FAST_INFO[name]?.(p.tool_info) ?? true)
  );
}

function toolCall(p: Payload): ToolCall {
  const info = p.tool_info;
  const kind = KINDS[p.agent_action_name]!;
  const name =
    kind === "mcp" && typeof info.mcp_tool_name === "string"
      ? info.mcp_tool_name
      : p.agent_action_name;
  const call = neutralToolCall(kind, name, info, p.execution_id, OLD_STRING);
  if (kind === "shell") call.command = info.command_line as string;
  if (typeof info.file_path === "string") call.path = info.file_path;
  return call;
}

const SCHEMAS = async () => (await import("./windsurf-schemas.js")).validateWindsurfPayload;
const parsed = parsedEvents("windsurf");

async function parse(payload: unknown): Promise<Parsed> {
  const p = await validated<Payload>(payload, fastValidateWindsurf, SCHEMAS);
  if (p.agent_action_name === undefined)
    return { kind: "ignored", eventName: "a payload without agent_action_name" };
  if (!Object.hasOwn(KINDS, p.agent_action_name))
    return { kind: "ignored", eventName: p.agent_action_name };
  const cwd = typeof p.tool_info.cwd === "string" ? p.tool_info.cwd : process.cwd();
  const session = { id: p.trajectory_id ?? "", cwd, transcriptPath: undefined };
  return parsed.beforeTool(session, toolCall(p));
}

const render: Adapter["render"] = (decision, event) => {
  // Exit 2 is the only answer Windsurf reads; the text is shown to Cascade and the user.
  if (event.kind === "before-tool" && decision.kind === "deny")
    return { exitCode: 2, stdout: "", stderr: `${decision.reason}\n` };
  return EMPTY_RESPONSE;
};

export const windsurf: Adapter = {
  id: "windsurf",
  displayName: "Windsurf",
  checkedAgainst: "docs.windsurf.com hooks (2026-11, unverified against a running client)",
  capabilities: { rewriteInput: false, replaceOutput: false, hooksReads: true, askUser: false },
  parse,
  classify(payload) {
    const name = (payload as { agent_action_name?: unknown } | null)?.agent_action_name;
    return typeof name === "string" && Object.hasOwn(KINDS, name)
      ? ("before-tool" as EventKind)
      : "unknown";
  },
  render,
  renderFailure: exitCodeFailure,
  probe: {
    harmless: (cwd) => ({
      agent_action_name: "pre_run_command",
      trajectory_id: "hookpack-doctor",
      execution_id: "hookpack-doctor",
      timestamp: "1970-01-01T00:00:00.000Z",
      tool_info: { command_line: "true", cwd },
    }),
    malformed: () => ({
      agent_action_name: "pre_run_command",
      trajectory_id: "hookpack-doctor",
      execution_id: "hookpack-doctor",
    }),
    // Windsurf reads only the exit code: 2 blocks.
    refusal: (answer) =>
      answer.exitCode === 0
        ? undefined
        : answer.exitCode === 2
          ? "exit 2: Windsurf blocks the command"
          : `exit ${answer.exitCode}: Windsurf runs the command unchecked`,
  },
  config: {
    format: "flat-hooks-json",
    entry: (_reg, command) => ({ command, show_output: true }),
    // Windsurf has no untracked local hooks file: "local" uses the workspace file.
    files: localIsProject(".windsurf/hooks.json", ".codeium/windsurf/hooks.json"),
    projectDirVariable: undefined,
    contextFiles: {
      project: [".windsurfrules"],
      user: [".codeium/windsurf/memories/global_rules.md"],
    },
    registrations: ["pre_run_command", "pre_read_code", "pre_write_code", "pre_mcp_tool_use"].map(
      (event) => ({ event, matcher: undefined, timeout: 30 }),
    ),
    notes: [
      "Windsurf hooks can only block (exit 2): hookpack blocks literal secrets and secret reads before they happen, and answers a $secret: reference by blocking it with the brokered command to run instead. Output is NOT checked (Windsurf's post hooks cannot change it). Windsurf's hook protocol was checked only against its docs.",
    ],
  },
};
