// What every agent adapter provides. An adapter is the only place an agent's wire format, tool
// names or config layout appear; it makes no policy decisions.
import type { AgentId, Decision, EventKind, HookEvent, HookResponse } from "../hooks/event.js";
import type { PermissionRules } from "../core/permission-rules.js";

/** A payload field that is missing or has the wrong type. `path` is dotted: "tool_input.command". */
export class PayloadError extends Error {
  readonly path: string;
  constructor(path: string, expectation: string) {
    super(`${path || "payload"}: ${expectation}`);
    this.name = "PayloadError";
    this.path = path;
  }
}

/** By name, not instanceof: lazily loaded bundles (the zod schemas) carry their own copy of the class. */
export function isPayloadError(error: unknown): error is PayloadError {
  return (
    error instanceof Error &&
    error.name === "PayloadError" &&
    typeof (error as { path?: unknown }).path === "string"
  );
}

/** What the agent can do with a hook's answer; each entry is proven by a fixture test. */
export interface Capabilities {
  /** The before-tool hook can replace the tool's input. */
  rewriteInput: boolean;
  /** The after-tool hook can replace the output the model sees. */
  replaceOutput: boolean;
  /** The before-tool hook sees file reads (a read tool, not only shell). */
  hooksReads: boolean;
  /**
   * Without `replaceOutput`: the after-tool hook can still withhold the output and show the model
   * a text of hookpack's choosing in its place (Gemini's AfterTool deny reason, Codex's PostToolUse
   * block reason), so a redacted copy reaches the model as that text. Needs `Adapter.outputText`.
   */
  replaceOutputAsText?: boolean;
  /** The before-tool hook can make the agent ask the user (default true). */
  askUser?: boolean;
  /**
   * The failure event (a call that failed: Claude's PostToolUseFailure) can replace or withhold what
   * the model reads (default false: it can only add a warning, so exposures are recorded).
   */
  replaceFailedOutput?: boolean;
}

export type Scope = "project" | "local" | "user";

/** One hook registration, in neutral terms; the installer turns it into the agent's config. */
export interface HookRegistration {
  /** The agent's own event name ("PreToolUse"). */
  event: string;
  /** Tool matcher, or undefined for events that take none. */
  matcher: string | undefined;
  /** Timeout in the agent's own unit. */
  timeout: number;
  /** A display name for the hook entry, for agents that show or fingerprint one (Gemini CLI). */
  name?: string;
}

export interface ConfigLayout {
  /**
   * "claude-settings-json": `hooks.<event>` holds `{matcher, hooks:[{type, command, timeout}]}` groups.
   * "flat-hooks-json": `hooks.<event>` holds one entry per hook, built by `entry` (Copilot CLI,
   * Cursor, Windsurf), with an optional top-level `version`.
   * "hook-files": one executable file per registration in the directory `files[scope]`, built by
   * `hookFile` (Cline).
   * "inline-toml": `[[hooks.<event>]]` tables with `[[hooks.<event>.hooks]]` handlers in a TOML
   * config (Codex `config.toml`); only ever an `inlineToml` alternative, never a primary format.
   */
  format: "claude-settings-json" | "flat-hooks-json" | "hook-files" | "inline-toml";
  /** flat-hooks-json: the hook entry for one registration. */
  entry?(registration: HookRegistration, command: string): Record<string, unknown>;
  /** flat-hooks-json: the top-level `version` the file must carry, if any. */
  version?: number;
  /** hook-files: the file (name inside the hooks directory, full text) for one registration. */
  hookFile?(registration: HookRegistration, command: string): { name: string; text: string };
  /**
   * A TOML config that can hold the same hooks inline (Codex `config.toml`). The installer writes
   * there instead of `files` when that file already keeps hooks inline, and always cleans both.
   */
  inlineToml?: { files: Record<Scope, string> };
  /**
   * The agent's own ignore file in the project root (gitignore syntax), which keeps files from its
   * file tools: install adds a block of credential-file patterns.
   */
  ignoreFile?: string;
  /** Settings file per scope; project and local are relative to the project root, user to HOME. */
  files: Record<Scope, string>;
  /** How a hook command refers to the project root at run time, if the agent offers one. */
  projectDirVariable: string | undefined;
  registrations: readonly HookRegistration[];
  /**
   * Instruction and memory files the agent loads into the model's context: `project` names are
   * looked up in the session's directory and each parent up to the repository root, `user` paths
   * are relative to HOME. A secret in one of them reaches the model with every prompt.
   */
  contextFiles?: { project: readonly string[]; user: readonly string[] };
  /** What the user must still do after install for the hooks to run (a trust step), one line each. */
  notes?: readonly string[];
}

/**
 * `hookpack doctor`'s probe of a registered hook command, in the agent's own wire format: a
 * harmless call the hook must let through silently, and the same event with a required field
 * missing, which hookpack's hook for this agent rejects by name (so a hook that answers the
 * harmless call but does not read this agent's payloads is found out too).
 */
export interface Probe {
  /** The harmless tool call (`true` in the shell), as the agent sends it from `cwd`. */
  harmless(cwd: string): unknown;
  /** The same event with its tool input missing. */
  malformed(cwd: string): unknown;
  /** What the agent would do other than run the harmless call as asked, read from the answer; undefined when it runs it. */
  refusal(answer: ProbeAnswer): string | undefined;
}

/** What a hook command answered: its exit code (any), stdout and stderr. */
export interface ProbeAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A parsed payload: the neutral event, or `ignored` for an event hookpack does not handle. */
export type Parsed = { kind: "event"; event: HookEvent } | { kind: "ignored"; eventName: string };

/**
 * What rendering may need from the hook's edge, handed in by the pipeline (hooks/pipeline.ts):
 * adapters write no files themselves. Absent (a unit test rendering directly), an output too long
 * for the response is cut or withheld instead of spilled.
 */
export interface RenderEdge {
  /**
   * Fits `output` into `limit` chars of JSON by writing the redacted whole of its longest strings
   * to a private file the model is pointed at (hooks/spill.ts `fitWithSpill`, whose contract this
   * is); undefined when nothing could be written.
   */
  spill?: (
    output: unknown,
    limit: number,
    hint: { session?: string; id?: string },
    withhold: (output: unknown, notice: string) => unknown,
    preferred?: readonly string[],
  ) => unknown;
}

export interface Adapter {
  id: AgentId;
  displayName: string;
  /** Agent version the wire format was checked against. */
  checkedAgainst: string;
  capabilities: Capabilities;
  /** Validates at the edge; throws PayloadError naming the field path. */
  parse(payload: unknown): Parsed | Promise<Parsed>;
  /** Which kind of event a payload claims to be, even when it fails validation. */
  classify(payload: unknown): EventKind | "unknown";
  /** Renders a decision; `payload` is the original, for fields echoed back in full. */
  render(decision: Decision, event: HookEvent, payload: unknown, edge?: RenderEdge): HookResponse;
  /** The response for a failure hookpack could not turn into a decision (no event). */
  renderFailure(mode: "closed" | "open", message: string): HookResponse;
  /**
   * The agent's own deny/ask rules for its shell tool, which it matches against the command it runs
   * (so, after a rewrite, against the brokered command): hookpack applies them to the original.
   */
  permissionRules?(cwd: string, env: NodeJS.ProcessEnv): PermissionRules;
  /** The text the model would read from a tool output (for `replaceOutputAsText`). */
  outputText?(output: unknown): string;
  config: ConfigLayout;
  /** How `hookpack doctor` checks that a registered hook command answers this agent. */
  probe: Probe;
}
