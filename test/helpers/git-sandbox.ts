// Real git repositories in temp dirs for the pre-push, check-pack and installer tests, on the one
// sandbox (helpers/sandbox.ts: a temp HOME, HOOKPACK_HOME, global git config file and TMPDIR, so
// the developer's own config never leaks in); a local bare remote for real `git push` runs.
// Token-shaped strings are built at run time (helpers/fake-secrets.ts).
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { HOOKPACK_CJS, makeSandbox as makeBaseSandbox, REPO_ROOT } from "./sandbox.js";

export { REPO_ROOT };
export const HOOKPACK = HOOKPACK_CJS;
export { fakeGithubToken, fakeNpmToken } from "./fake-secrets.js";

export interface Sandbox {
  root: string;
  home: string;
  hookpackHome: string;
  env: NodeJS.ProcessEnv;
  /** Runs a command; throws with its output when it fails and `ok` is not false. */
  run(
    cmd: string,
    args: string[],
    options?: { cwd?: string; input?: string; ok?: boolean; env?: NodeJS.ProcessEnv },
  ): SpawnSyncReturns<string>;
  git(cwd: string, ...args: string[]): string;
  hookpack(cwd: string, args: string[], input?: string): SpawnSyncReturns<string>;
  /** `git init` a repo with a bare remote "origin"; returns its path. */
  repo(name?: string): { dir: string; remote: string };
  write(path: string, content: string | Buffer, mode?: number): void;
  read(path: string): string;
  cleanup(): void;
}

export function makeSandbox(prefix = "hookpack-test-"): Sandbox {
  const base = makeBaseSandbox({ prefix });
  const { root, home, hookpackHome } = base;
  mkdirSync(hookpackHome, { recursive: true });
  const env: NodeJS.ProcessEnv = base.env;
  const run: Sandbox["run"] = (cmd, args, options = {}) => {
    const r = spawnSync(cmd, args, {
      cwd: options.cwd ?? root,
      env: { ...env, ...options.env },
      input: options.input ?? "",
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    if (options.ok !== false && r.status !== 0)
      throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const sandbox: Sandbox = {
    root,
    home,
    hookpackHome,
    env,
    run,
    git: (cwd, ...args) => run("git", args, { cwd }).stdout.trim(),
    hookpack: (cwd, args, input) =>
      run(process.execPath, [HOOKPACK, ...args], { cwd, input, ok: false }),
    repo(name = "proj") {
      const dir = join(root, name);
      const remote = join(root, `${name}-remote.git`);
      run("git", ["init", "-q", "--bare", remote]);
      run("git", ["init", "-q", dir]);
      run("git", ["remote", "add", "origin", remote], { cwd: dir });
      return { dir, remote };
    },
    write(path, content, mode) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      if (mode !== undefined) chmodSync(path, mode);
    },
    read: (path) => readFileSync(path, "utf8"),
    cleanup: base.cleanup,
  };
  return sandbox;
}

/** Commits every given file (paths relative to the repo) with one message; returns the sha. */
export function commitFiles(
  s: Sandbox,
  dir: string,
  files: Record<string, string>,
  message: string,
): string {
  for (const [path, content] of Object.entries(files)) s.write(join(dir, path), content);
  s.git(dir, "add", "-f", "--", ...Object.keys(files));
  s.git(dir, "commit", "-q", "-m", message);
  return s.git(dir, "rev-parse", "HEAD");
}

/**
 * A repo `root/name` with a bare remote `root/name-remote.git`, one clean commit pushed and its
 * branch tracking origin/main; `git` runs git in a directory with the caller's environment.
 */
export function pushedRepo(
  root: string,
  name: string,
  git: (cwd: string, ...args: string[]) => unknown,
): string {
  const dir = join(root, name);
  const remote = join(root, `${name}-remote.git`);
  mkdirSync(dir, { recursive: true });
  git(root, "init", "-q", "--bare", remote);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "remote", "add", "origin", remote);
  writeFileSync(join(dir, "README.md"), "# demo\n");
  git(dir, "add", ".");
  git(dir, "commit", "-qm", "init");
  git(dir, "push", "-q", "origin", "main");
  git(dir, "branch", "-q", "--set-upstream-to=origin/main");
  return dir;
}
