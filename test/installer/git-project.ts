// The installer tests' project: a fresh sandbox (own HOME, HOOKPACK_HOME) with `git init` per test,
// and `hookpack` run in it without the git hook and ignore-file parts (tested in hygiene.test.ts).
import { execFileSync } from "node:child_process";
import { afterEach, beforeEach } from "vitest";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

export function useGitProject(): { box: () => Sandbox; cli: (args: string[]) => ReturnType<typeof hookpack> } {
  let current: Sandbox | undefined;
  beforeEach(() => {
    current = sandbox();
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: current.project, env: { ...process.env, ...current.env } });
  });
  afterEach(() => current?.cleanup());
  const box = () => {
    if (!current) throw new Error("useGitProject: no project outside a test");
    return current;
  };
  return { box, cli: (args) => hookpack([...args, "--no-git-hook", "--no-ignore-files"], { cwd: box().project, env: box().env }) };
}
