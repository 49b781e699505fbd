// Issue 14, gate gaps left after the first gate suite (gates.attack.test.ts): pushes that name the
// repository somewhere other than the working directory, and pushes by another program. The agent
// stands in a CLEAN repository and pushes a DIRTY one (a commit holding a managed value) through
// `--git-dir`, `--work-tree`, `-C`, GIT_DIR in the environment (prefix, env, export), a bare repo,
// an alias set with `-c`, an empty core.hooksPath, and `gh pr create` (which pushes the current
// branch before it opens the pull request). Real git repositories with bare remotes in temp dirs,
// the real hook process; gh need not be installed: the gate decides before anything runs.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushedRepo } from "../helpers/git-sandbox.js";
import { bashCall, hookOutput, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const value = `gr${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}W`;
let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    env: env(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

function repo(name: string, secret: boolean): string {
  const dir = pushedRepo(sb.root, name, git);
  if (secret) {
    writeFileSync(join(dir, "deploy.sh"), `deploy --key ${value}\n`);
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "deploy script");
  }
  return dir;
}

let clean: string;
let dirty: string;
let bare: string;
beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  clean = repo("clean", false);
  dirty = repo("dirty", true);
  // A bare clone of the dirty repo holding the commit, with a remote that lacks it.
  bare = join(sb.root, "mirror.git");
  git(sb.root, "clone", "-q", "--bare", dirty, bare);
  git(bare, "remote", "set-url", "origin", join(sb.root, "dirty-remote.git"));
}, 60_000);
afterAll(() => sb?.cleanup());

async function pre(cwd: string, command: string) {
  const r = await runHook(
    sb,
    bashCall(sb, command, {
      session_id: "s-r",
      transcript_path: join(sb.root, "c.jsonl"),
      cwd,
      tool_use_id: "toolu_r",
    }),
    { env: env(), cwd },
  );
  const denied = hookOutput(r)?.permissionDecision === "deny";
  return { denied, text: r.stdout + r.stderr };
}

const ATTACKS = () => [
  `git --git-dir=${dirty}/.git push origin main`,
  `git --git-dir ${dirty}/.git --work-tree ${dirty} push`,
  `git --git-dir=../dirty/.git push origin main`,
  `git -C ${dirty} push`,
  `git -C .. -C dirty push --no-verify`,
  `git -C ${dirty} -c core.hooksPath= push origin main`,
  `git -C ${dirty} -c alias.x=push x`,
  `git -C ${dirty} -c 'alias.ship=!git push' ship`,
  `GIT_DIR=${dirty}/.git git push origin main`,
  `env GIT_DIR=${dirty}/.git GIT_WORK_TREE=${dirty} git push`,
  `export GIT_DIR=${dirty}/.git; git push origin main`,
  `D=${dirty}; git -C "$D" push`,
  `git --git-dir=${bare} push origin main`,
  `GIT_DIR=${bare} git push origin main`,
  `cd ${dirty} && gh pr create --fill`,
  `gh pr create --title t --body b`,
  `bash -c 'cd ${dirty} && gh pr create --fill'`,
  `gh pr create -R owner/repo --fill`,
];

describe("attack: pushing another repository, or pushing through gh, from a clean working directory", () => {
  const t = tally("gates/push elsewhere");
  for (const [i, command] of ATTACKS().entries()) {
    it(`#${i + 1}`, async () => {
      // Rendered here: the paths are only known after beforeAll.
      const cmd = ATTACKS()[i]!;
      const cwd = cmd.startsWith("gh pr create") ? dirty : clean;
      const { denied, text } = await pre(cwd, cmd);
      const leaked = text.includes(value);
      t.attempt(denied && !leaked);
      expect(denied, `${cmd}\n${text}`).toBe(true);
      expect(leaked).toBe(false);
      void command;
    }, 60_000);
  }

  it("controls: the same forms on a clean repository are not held up", async () => {
    for (const cmd of [
      `git --git-dir=${clean}/.git push origin main`,
      `git -C ${clean} push`,
      `GIT_DIR=${clean}/.git git push origin main`,
      "gh pr create --fill",
      "gh pr list",
      "gh pr view 1",
    ]) {
      const { denied, text } = await pre(clean, cmd);
      expect(denied, `${cmd}\n${text}`).toBe(false);
    }
  }, 120_000);
});
