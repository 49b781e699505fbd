// Spawns the built `hookpack` executable as an agent would, with an isolated HOME/HOOKPACK_HOME.
import { spawn } from "node:child_process";
import { HOOKPACK_CJS, makeSandbox, REPO_ROOT } from "./sandbox.js";

export const REPO = REPO_ROOT;
export const BIN = HOOKPACK_CJS;

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Leave stdin open (for timeout tests). */
  keepStdinOpen?: boolean;
  timeoutMs?: number;
}

export function runCommand(
  cmd: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, ...options.env } as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    child.stdin.on("error", () => {});
    if (options.input !== undefined) child.stdin.write(options.input);
    if (!options.keepStdinOpen) child.stdin.end();
  });
}

/** Runs `hookpack <args>` from dist/ in `env`'s isolated home. */
export function hookpack(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand(process.execPath, [BIN, ...args], options);
}

export interface Sandbox {
  root: string;
  home: string;
  hookpackHome: string;
  project: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** A temp root with its own HOME, HOOKPACK_HOME, git config and a project dir (helpers/sandbox.ts). */
export function sandbox(): Sandbox {
  const { root, home, hookpackHome, project, env, cleanup } = makeSandbox();
  return { root, home, hookpackHome, project, env, cleanup };
}
