// The one way a suite calls the real hook process as an agent does: a Claude Code payload for a tool
// call (Bash, Read, Write, …) in a sandbox's project, `hookpack hook <agent>` (dist/hookpack.cjs)
// run on it with the sandbox's own HOME/HOOKPACK_HOME, and its answer read back (decision, reason,
// updated input or output). The sandbox stays the caller's (helpers/run.ts `sandbox()` or
// helpers/sandbox.ts `makeSandbox()`, one per file or per test as before): this module keeps none.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { BIN, runCommand, type RunResult } from "./run.js";

/** What the hook helpers need of a sandbox (both helpers/run.ts and helpers/sandbox.ts fit). */
export interface HookBox {
  root: string;
  project: string;
  env: Record<string, string>;
}

/**
 * A Claude Code hook payload in the order Claude Code sends it, for `box`'s project: session "s",
 * a transcript under the sandbox root, permission mode "default", PreToolUse. `fields` replace or
 * add fields; a field given as `undefined` is left out of the JSON.
 */
export function claudePayload(
  box: Pick<HookBox, "root" | "project">,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  return {
    session_id: "s",
    transcript_path: join(box.root, "t.jsonl"),
    cwd: box.project,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    ...fields,
  };
}

/** Fields for claudePayload that leave out the optional transcript and permission mode. */
export const MINIMAL = { transcript_path: undefined, permission_mode: undefined } as const;

/** A PreToolUse call of Claude Code's Bash tool running `command` (`fields` as in claudePayload). */
export const bashCall = (
  box: Pick<HookBox, "root" | "project">,
  command: string,
  fields: Record<string, unknown> = {},
) => claudePayload(box, { tool_name: "Bash", tool_input: { command }, ...fields });

/** A PostToolUse call of Claude Code's Bash tool `command` that printed `stdout`. */
export const bashOutput = (
  box: Pick<HookBox, "root" | "project">,
  command: string,
  stdout: string,
  fields: Record<string, unknown> = {},
) =>
  claudePayload(box, {
    hook_event_name: "PostToolUse",
    tool_name: "Bash",
    tool_input: { command },
    tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
    ...fields,
  });

export interface HookRunOptions {
  /** The agent adapter (`hookpack hook <agent>`); default claude-code. */
  agent?: string;
  /** Added to (or, `undefined`, removed from) the sandbox's environment. */
  env?: Record<string, string | undefined>;
  /** Default: the sandbox's project. */
  cwd?: string;
  timeoutMs?: number;
  /** Another build's hookpack.cjs (e.g. main's, for a before count); default dist/. */
  bin?: string;
}

/** Runs the real hook on `payload` (an object is JSON-encoded, a string is sent as it is). */
export function runHook(
  box: HookBox,
  payload: Record<string, unknown> | string,
  options: HookRunOptions = {},
): Promise<RunResult> {
  return runCommand(
    process.execPath,
    [options.bin ?? BIN, "hook", options.agent ?? "claude-code"],
    {
      input: typeof payload === "string" ? payload : JSON.stringify(payload),
      env: { ...box.env, ...options.env },
      cwd: options.cwd ?? box.project,
      timeoutMs: options.timeoutMs,
    },
  );
}

/** The `hookSpecificOutput` of a Claude Code answer (what the agent acts on). */
export interface HookOutput {
  hookEventName?: string;
  permissionDecision?: "allow" | "deny" | "ask" | (string & {});
  permissionDecisionReason?: string;
  updatedInput?: Record<string, unknown> & { command?: string };
  updatedToolOutput?: unknown;
  additionalContext?: string;
}

/** The hook's answer parsed from stdout; undefined when it printed nothing (throws on non-JSON). */
export function hookOutput(r: Pick<RunResult, "stdout">): HookOutput | undefined {
  return r.stdout
    ? (JSON.parse(r.stdout) as { hookSpecificOutput?: HookOutput }).hookSpecificOutput
    : undefined;
}

/**
 * One PreToolUse call of `tool` with `toolInput` through the real hook (claudePayload + runHook):
 * the run and the answer it gave (undefined when the hook printed nothing).
 */
export async function preToolUse(
  box: HookBox,
  tool: string,
  toolInput: Record<string, unknown>,
  fields: Record<string, unknown> = {},
  options: HookRunOptions = {},
): Promise<{ r: RunResult; decision: HookOutput | undefined }> {
  const payload = claudePayload(box, { tool_name: tool, tool_input: toolInput, ...fields });
  const r = await runHook(box, payload, options);
  return { r, decision: hookOutput(r) };
}

/**
 * What the model reads after a PostToolUse call whose output was `stdout`: the output the hook put
 * in its place (JSON-encoded) or, when it answered nothing or kept it, `stdout`; plus the stderr.
 */
export function modelSees(r: RunResult, stdout: string): string {
  if (!r.stdout.trim()) return stdout + r.stderr;
  return JSON.stringify(hookOutput(r)?.updatedToolOutput ?? stdout) + r.stderr;
}

/**
 * The PreToolUse command `hookpack install --agent claude-code` wrote into `project`'s Claude Code
 * settings (settings.local.json, else settings.json): what Claude Code runs through `sh -c`.
 */
export function installedPreToolUseCommand(project: string): string {
  const settings = ["settings.local.json", "settings.json"]
    .map((f) => join(project, ".claude", f))
    .find(existsSync)!;
  return (
    JSON.parse(readFileSync(settings, "utf8")) as {
      hooks: { PreToolUse: Array<{ hooks: Array<{ command: string }> }> };
    }
  ).hooks.PreToolUse[0]!.hooks[0]!.command;
}

/**
 * Writes `raw` to a hook's stdin in `chunks` pieces `delayMs` apart (an agent that writes slowly),
 * then ends it; `closeAfter` sends only that many bytes first (a writer that died).
 */
export function trickle(
  stdin: Writable,
  raw: string,
  o: { chunks?: number; delayMs?: number; closeAfter?: number } = {},
): void {
  const bytes = Buffer.from(raw);
  const data = o.closeAfter === undefined ? bytes : bytes.subarray(0, o.closeAfter);
  const size = Math.ceil(data.length / Math.max(1, o.chunks ?? 1));
  let i = 0;
  const next = () => {
    if (i >= data.length) return void stdin.end();
    stdin.write(data.subarray(i, i + size));
    i += size;
    setTimeout(next, o.delayMs ?? 0);
  };
  next();
}

/** What a streamed run (runStreamed) gave back. */
export interface StreamedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StreamedRunOptions {
  cwd: string;
  /** The whole environment of the process (nothing is added). */
  env: Record<string, string | undefined>;
  /** As trickle: `chunks` pieces `delayMs` apart; `closeAfter` sends only that many bytes. */
  chunks?: number;
  delayMs?: number;
  closeAfter?: number;
  /** Stdin is this file (opened read-only), not a pipe: `raw` is then not sent. */
  stdinFile?: string;
}

/**
 * Runs `cmd args` (the hook, `node dist/hookpack.cjs hook …`, or the installed command through
 * `sh -c`) with stdin as an agent gives it: a pipe `raw` is trickled into (see trickle), or a
 * file; resolves with its exit code and outputs.
 */
export function runStreamed(
  cmd: string,
  args: string[],
  raw: string,
  o: StreamedRunOptions,
): Promise<StreamedRun> {
  return new Promise((resolve, reject) => {
    const stdinFd = o.stdinFile === undefined ? undefined : openSync(o.stdinFile, "r");
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: o.env as NodeJS.ProcessEnv,
      stdio: [stdinFd ?? "pipe", "pipe", "pipe"],
    });
    if (stdinFd !== undefined) closeSync(stdinFd);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (!child.stdin) return;
    child.stdin.on("error", () => {});
    trickle(child.stdin, raw, o);
  });
}

/**
 * What Claude Code makes of a PreToolUse answer: "blocked" (exit 2), `exit N` (another failure),
 * "allow" (exit 0, nothing written), "allow+stderr" (exit 0, only stderr written), "rewrite" (an
 * updated input), the permission decision, or "allow+output" (JSON with neither). Throws on a
 * stdout that is not JSON.
 */
export function answerKind(a: StreamedRun): string {
  if (a.code === 2) return "blocked";
  if (a.code !== 0) return `exit ${a.code}`;
  if (a.stdout.trim() === "") return a.stderr === "" ? "allow" : "allow+stderr";
  const h = (
    JSON.parse(a.stdout) as {
      hookSpecificOutput?: { permissionDecision?: string; updatedInput?: unknown };
    }
  ).hookSpecificOutput;
  if (h?.updatedInput !== undefined) return "rewrite";
  return h?.permissionDecision ?? "allow+output";
}

/**
 * One Claude Code call by either route: `dist` runs `node dist/hookpack.cjs hook claude-code`,
 * `installed` the command the installer wrote into the settings (through `sh -c`). Stdin is a
 * pipe `raw` is trickled into, or (`stdinFile`) a file under the sandbox root holding `raw`.
 */
export function runHookRoute(
  box: Pick<HookBox, "root" | "project">,
  raw: string,
  route: "dist" | "installed",
  o: {
    env: Record<string, string | undefined>;
    installed: string;
    chunks?: number;
    delayMs?: number;
    stdinFile?: boolean;
  },
): Promise<StreamedRun> {
  let stdinFile: string | undefined;
  if (o.stdinFile) {
    stdinFile = join(box.root, `payload-${process.hrtime.bigint()}.json`);
    writeFileSync(stdinFile, raw);
  }
  const [cmd, args] =
    route === "dist"
      ? [process.execPath, [BIN, "hook", "claude-code"]]
      : ["sh", ["-c", o.installed]];
  return runStreamed(cmd, args, raw, {
    cwd: box.project,
    env: o.env,
    chunks: o.chunks,
    delayMs: o.delayMs,
    stdinFile,
  });
}
