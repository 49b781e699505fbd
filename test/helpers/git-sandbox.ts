// Real git repositories in temp dirs for the pre-push, check-pack and installer tests: a temp HOME,
// HOOKPACK_HOME, global git config file and TMPDIR per sandbox, so the developer's own config never
// leaks in; a local bare remote for real `git push` runs. Token-shaped strings are built at run time.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomInt } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const HOOKPACK = join(REPO_ROOT, "dist", "hookpack.cjs");

import { withGithubChecksum } from "./fake-secrets.js";

const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const random = (n: number) => Array.from({ length: n }, () => BASE62[randomInt(BASE62.length)]).join("");

/** A fresh fake GitHub token (valid CRC32 checksum), assembled from fragments so no token-shaped literal is committed. */
export const fakeGithubToken = () => withGithubChecksum(["gh", "p_"].join("") + random(30));
/** A fresh fake npm token (valid checksum). */
export const fakeNpmToken = () => withGithubChecksum(["np", "m_"].join("") + random(30));

export interface Sandbox {
  root: string;
  home: string;
  hookpackHome: string;
  env: NodeJS.ProcessEnv;
  /** Runs a command; throws with its output when it fails and `ok` is not false. */
  run(cmd: string, args: string[], options?: { cwd?: string; input?: string; ok?: boolean; env?: NodeJS.ProcessEnv }): SpawnSyncReturns<string>;
  git(cwd: string, ...args: string[]): string;
  hookpack(cwd: string, args: string[], input?: string): SpawnSyncReturns<string>;
  /** `git init` a repo with a bare remote "origin"; returns its path. */
  repo(name?: string): { dir: string; remote: string };
  write(path: string, content: string | Buffer, mode?: number): void;
  read(path: string): string;
  cleanup(): void;
}

export function makeSandbox(prefix = "hookpack-test-"): Sandbox {
  const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const home = join(root, "home");
  const hookpackHome = join(root, "hookpack-home");
  const tmp = join(root, "tmp");
  for (const d of [home, hookpackHome, tmp]) mkdirSync(d, { recursive: true });
  const gitconfig = join(home, ".gitconfig");
  writeFileSync(gitconfig, "[user]\n\tname = Hookpack Test\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    HOOKPACK_HOME: hookpackHome,
    TMPDIR: tmp,
    GIT_CONFIG_GLOBAL: gitconfig,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    NO_COLOR: "1",
    LANG: "C.UTF-8",
    npm_config_cache: join(root, "npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
  };
  const run: Sandbox["run"] = (cmd, args, options = {}) => {
    const r = spawnSync(cmd, args, { cwd: options.cwd ?? root, env: { ...env, ...options.env }, input: options.input ?? "", encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    if (options.ok !== false && r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const sandbox: Sandbox = {
    root,
    home,
    hookpackHome,
    env,
    run,
    git: (cwd, ...args) => run("git", args, { cwd }).stdout.trim(),
    hookpack: (cwd, args, input) => run(process.execPath, [HOOKPACK, ...args], { cwd, input, ok: false }),
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
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  return sandbox;
}

/** Commits every given file (paths relative to the repo) with one message; returns the sha. */
export function commitFiles(s: Sandbox, dir: string, files: Record<string, string>, message: string): string {
  for (const [path, content] of Object.entries(files)) s.write(join(dir, path), content);
  s.git(dir, "add", "-f", "--", ...Object.keys(files));
  s.git(dir, "commit", "-q", "-m", message);
  return s.git(dir, "rev-parse", "HEAD");
}
