// The installer tests' project: a fresh sandbox (own HOME, HOOKPACK_HOME) with `git init` per test,
// and `hookpack` run in it without the git hook and ignore-file parts (tested in hygiene.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

export function useGitProject(): {
  box: () => Sandbox;
  cli: (args: string[]) => ReturnType<typeof hookpack>;
} {
  let current: Sandbox | undefined;
  beforeEach(() => {
    current = sandbox();
    execFileSync("git", ["init", "-q", "-b", "main"], {
      cwd: current.project,
      env: { ...process.env, ...current.env },
    });
  });
  afterEach(() => current?.cleanup());
  const box = () => {
    if (!current) throw new Error("useGitProject: no project outside a test");
    return current;
  };
  return {
    box,
    cli: (args) =>
      hookpack([...args, "--no-git-hook", "--no-ignore-files"], {
        cwd: box().project,
        env: box().env,
      }),
  };
}

/** Every file under `dir` with its bytes, and every directory (the .git folder excluded). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.name === ".git") continue;
      if (e.isDirectory()) {
        out[`${relative(dir, p)}/`] = "";
        walk(p);
      } else out[relative(dir, p)] = readFileSync(p, "latin1");
    }
  };
  walk(dir);
  return out;
}

/** Every file under `dir` with its mode and bytes, git hooks and config included (not .git's object store). */
export function snapshotWithModes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = p.slice(dir.length + 1);
      if (/^\.git\/(objects|logs|refs|index|ORIG_HEAD|FETCH_HEAD|COMMIT_EDITMSG)/.test(rel))
        continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[rel] = `${(st.mode & 0o777).toString(8)} ${readFileSync(p).toString("base64")}`;
    }
  };
  walk(dir);
  return out;
}
