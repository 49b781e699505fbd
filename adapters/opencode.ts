// OpenCode adapter. Checked against `opencode-ai` 1.18.33, end to end with the real client
// (test/e2e/opencode.test.ts): `tool.execute.before` runs the tool with the SAME args object it
// handed the plugin, `tool.execute.after` returns the result object it handed the plugin, and an
// Error thrown from `tool.execute.before` fails the call with its message as the model's tool result.
// OpenCode also builds the model's history from that args object, so the model reads back the
// rewritten (value-free) brokered command rather than the `$secret:` reference it wrote.
//
// OpenCode has no command hooks: hookpack installs a small plugin (./opencode-plugin.ts) that
// sends each tool call to `hookpack hook opencode` in this adapter's own wire format:
//   {"hook":"tool.execute.before","tool":"bash","sessionID":"ses_…","callID":"call_…","cwd":"/home/u/app",
//    "args":{"command":"ls","description":"list"}}
//   {"hook":"tool.execute.after", …, "args":{…},"output":{"output":"<what the model reads>","metadata":{…}}}
// and applies the answer in place:
//   {"block": reason}          → the plugin throws: the tool does not run, the model reads the error
//   {"args": {command: …}}     → merged into output.args (input rewrite)
//   {"output": {output, metadata}} → merged into the result (output replacement, same shape)
// Exit 2 + stderr blocks; other failures let the call through.
import { readdirSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { EventKind, ToolCall, ToolKind } from "../hooks/event.js";
import type { Adapter, Parsed } from "./adapter.js";
import {
  classifyBy,
  EMPTY_RESPONSE,
  exitCodeFailure,
  exitMeaning,
  isPlainObject,
  jsonResponse,
  neutralToolCall,
  parsedEvents,
  probeRefusal,
  validated,
} from "./common.js";
import { opencodePlugin } from "./opencode-plugin.js";

const KINDS: Record<string, ToolKind> = {
  bash: "shell",
  read: "read-file",
  write: "write-file",
  edit: "write-file",
  patch: "write-file",
  multiedit: "write-file",
  grep: "search",
  glob: "search",
  list: "search",
  webfetch: "fetch",
};

/** Input leaves that describe content already on disk, not content the agent is adding. */
const EXISTING_CONTENT = /(^|\.)oldString$/;

const HOOKS: Record<string, EventKind> = {
  "tool.execute.before": "before-tool",
  "tool.execute.after": "after-tool",
  // The plugin's `event` hook, for OpenCode's session.idle bus event: the turn is over (in
  // `opencode run`, the session is). OpenCode awaits the handler before it goes on (checked, 1.18.33).
  "session.idle": "session-end",
};

type Payload = {
  hook?: string;
  tool: string;
  sessionID?: string;
  callID?: string;
  cwd: string;
  args: Record<string, unknown>;
  output?: Record<string, unknown>;
};

// ---- fast check: may only say true for payloads ./opencode-schemas.ts accepts (property-tested) ----
const optString = (v: unknown) => v === undefined || typeof v === "string";
const FAST_INPUTS: Record<string, (i: Record<string, unknown>) => boolean> = {
  bash: (i) => typeof i.command === "string",
  read: (i) => typeof i.filePath === "string",
  write: (i) => typeof i.filePath === "string" && typeof i.content === "string",
  edit: (i) => typeof i.filePath === "string" && optString(i.oldString) && optString(i.newString),
};

export function fastValidateOpencode(payload: unknown): boolean {
  if (!isPlainObject(payload)) return false;
  const p = payload;
  if (p.hook === undefined) return true;
  if (typeof p.hook !== "string") return false;
  if (!(p.hook in HOOKS)) return true;
  if (p.hook === "session.idle")
    return typeof p.sessionID === "string" && typeof p.cwd === "string";
  return (
    typeof p.tool === "string" &&
    p.tool.length > 0 &&
    optString(p.sessionID) &&
    optString(p.callID) &&
    typeof p.cwd === "string" &&
    isPlainObject(p.args) &&
    (p.hook === "tool.execute.before" || (isPlainObject(p.output) && optString(p.output.output))) &&
    (FAST_INPUTS[p.tool]?.(p.args) ?? true)
  );
}

/**
 * OpenCode's session databases: `opencode.db` (or `opencode-<channel>.db`) in its data dir
 * ($XDG_DATA_HOME/opencode, default ~/.local/share/opencode), and $OPENCODE_DB when set (an
 * absolute path, or a name in the data dir). Every session of the user lives there, and a tool's
 * output is stored raw while it streams (rules/state-catalog.ts, opencode-db).
 */
export function opencodeDatabases(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  const data = join(
    env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME)
      ? env.XDG_DATA_HOME
      : join(home, ".local", "share"),
    "opencode",
  );
  const out: string[] = [];
  const named = env.OPENCODE_DB;
  if (named && named !== ":memory:") out.push(isAbsolute(named) ? named : join(data, named));
  let names: string[] = [];
  try {
    names = readdirSync(data);
  } catch {
    /* no data dir yet */
  }
  for (const n of names.sort())
    if (/^opencode(-[A-Za-z0-9._-]+)?\.db$/.test(n)) out.push(join(data, n));
  return [...new Set(out)];
}

function toolCall(p: Payload): ToolCall {
  const input = p.args;
  const kind: ToolKind = KINDS[p.tool] ?? "other";
  const call = neutralToolCall(kind, p.tool, input, p.callID, EXISTING_CONTENT);
  const str = (key: string) =>
    typeof input[key] === "string" ? (input[key] as string) : undefined;
  if (kind === "shell") call.command = str("command");
  const path = str("filePath") ?? (kind === "search" ? str("path") : undefined);
  if (path !== undefined) call.path = path;
  if (kind === "fetch") call.url = str("url");
  if (p.tool === "grep") call.showsContent = true;
  return call;
}

const SCHEMAS = async () => (await import("./opencode-schemas.js")).validateOpencodePayload;
const parsed = parsedEvents("opencode");

async function parse(payload: unknown): Promise<Parsed> {
  const p = await validated<Payload>(payload, fastValidateOpencode, SCHEMAS);
  const kind = p.hook === undefined ? undefined : HOOKS[p.hook];
  if (!kind) return { kind: "ignored", eventName: p.hook ?? "a payload without hook" };
  const session = { id: p.sessionID ?? "", cwd: p.cwd, transcriptPath: undefined };
  if (kind === "session-end")
    return {
      kind: "event",
      event: {
        kind,
        agent: "opencode",
        session,
        reason: "idle",
        state: { files: opencodeDatabases(), dirs: [] },
      },
    };
  if (kind === "before-tool") return parsed.beforeTool(session, toolCall(p));
  return parsed.afterTool(session, toolCall(p), p.output);
}

const render: Adapter["render"] = (decision, event) => {
  if (event.kind === "before-tool") {
    if (decision.kind === "deny") return jsonResponse({ block: decision.reason });
    if (decision.patch?.command !== undefined)
      return jsonResponse({ args: { command: decision.patch.command } });
    return EMPTY_RESPONSE;
  }
  if (event.kind === "after-tool") {
    // The tool already ran: withholding means replacing what the model reads with the reason.
    if (decision.kind === "deny")
      return jsonResponse({ output: { output: `[${decision.reason}]` } });
    if (decision.hasOutput && isPlainObject(decision.output))
      return jsonResponse({ output: decision.output });
  }
  return EMPTY_RESPONSE;
};

export const opencode: Adapter = {
  id: "opencode",
  displayName: "OpenCode",
  checkedAgainst: "1.18.33",
  // The plugin has no way to ask the user (OpenCode's own permission prompts are separate).
  capabilities: { rewriteInput: true, replaceOutput: true, hooksReads: true, askUser: false },
  parse,
  classify: classifyBy("hook", HOOKS),
  render,
  // The plugin throws on exit 2 (blocks) and ignores any other failure.
  renderFailure: exitCodeFailure,
  probe: {
    harmless: (cwd) => ({
      hook: "tool.execute.before",
      tool: "bash",
      sessionID: "hookpack-doctor",
      callID: "hookpack-doctor",
      cwd,
      args: { command: "true", description: "hookpack doctor: harmless probe" },
    }),
    malformed: (cwd) => ({
      hook: "tool.execute.before",
      tool: "bash",
      sessionID: "hookpack-doctor",
      cwd,
    }),
    // The plugin throws on exit 2 (the tool does not run) and ignores other failures.
    refusal: (answer) =>
      probeRefusal(
        answer,
        exitMeaning(
          2,
          "the OpenCode plugin blocks the call",
          "the OpenCode plugin ignores it and runs the call unchecked",
        ),
        (json) =>
          typeof json.block === "string"
            ? "it answered block to a harmless `true` command"
            : undefined,
      ),
  },
  config: {
    // One plugin file of hookpack's own; OpenCode loads every *.js in its plugins folders.
    format: "hook-files",
    hookFile: (_reg, command) => ({ name: "hookpack.js", text: opencodePlugin(command) }),
    files: {
      project: ".opencode/plugins",
      local: ".opencode/plugins",
      user: ".config/opencode/plugins",
    },
    projectDirVariable: undefined,
    registrations: [{ event: "plugin", matcher: undefined, timeout: 30 }],
    notes: [
      "OpenCode loads hookpack as a plugin (.opencode/plugins/hookpack.js) at its next start; a session already running is not protected until restarted.",
    ],
  },
};
