// Spawns the built `hookpack` executable as an agent would, with an isolated HOME/HOOKPACK_HOME.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "..", "..");
export const BIN = join(REPO, "dist", "hookpack.cjs");

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

export function runCommand(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
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
      resolvePromise({ exitCode: code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
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

/** A temp root with its own HOME, HOOKPACK_HOME, git config and a project dir. */
export function sandbox(): Sandbox {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "hookpack-test-")));
  const home = join(root, "home");
  const hookpackHome = join(root, "hookpack-home");
  const project = join(root, "project");
  for (const dir of [home, project]) mkdirSync(dir, { recursive: true });
  return {
    root,
    home,
    hookpackHome,
    project,
    env: {
      HOME: home,
      HOOKPACK_HOME: hookpackHome,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: join(home, ".gitconfig"),
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.invalid",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.invalid",
      NO_COLOR: "1",
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
