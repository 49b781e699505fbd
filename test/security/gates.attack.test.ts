// Issue 14, class 8: transformed values pass the gates, and the gates can be switched off. Real git
// repositories (a bare remote in a temp dir) and real `npm pack`, a real store with a managed value,
// the real hook process. The agent tries: a value reversed, base64'd, hex'd, split into string
// pieces; pushes with --no-verify, an empty core.hooksPath (what Gemini CLI 0.61 does on its own),
// through bash -c, env, a variable, an alias; publishes with --ignore-scripts. Each must be stopped
// before it runs, and the pre-push hook and check-pack must find the transformed value too.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushedRepo } from "../helpers/git-sandbox.js";
import { bashCall, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const value = `gv${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}Q`;
const forms: Record<string, string> = {
  reversed: value.split("").reverse().join(""),
  base64: Buffer.from(value).toString("base64"),
  hex: Buffer.from(value).toString("hex"),
  url: encodeURIComponent(`${value}/`).slice(0, -3),
  split: `'${value.slice(0, 9)}' + '${value.slice(9)}'`,
  "split and reversed": `"${value.split("").reverse().join("").slice(0, 7)}" "${value.split("").reverse().join("").slice(7)}"`,
};

let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    env: env(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

/** A repo with a bare remote, one clean commit pushed; returns its path. */
const repo = (name: string): string => pushedRepo(sb.root, name, git);

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

async function pre(agent: "claude-code" | "gemini", cwd: string, command: string) {
  const payload =
    agent === "gemini"
      ? {
          session_id: "s-g",
          transcript_path: join(sb.root, "g.jsonl"),
          cwd,
          hook_event_name: "BeforeTool",
          timestamp: new Date().toISOString(),
          tool_name: "run_shell_command",
          tool_input: { command, description: "push" },
        }
      : bashCall(sb, command, {
          session_id: "s-c",
          transcript_path: join(sb.root, "c.jsonl"),
          cwd,
          tool_use_id: "toolu_g",
        });
  const r = await runHook(sb, payload, { agent, env: env(), cwd });
  const out = r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
  const denied =
    agent === "gemini"
      ? out.decision === "deny" || r.exitCode === 2
      : (out.hookSpecificOutput as { permissionDecision?: string } | undefined)
          ?.permissionDecision === "deny";
  return { r, denied, text: r.stdout + r.stderr };
}

const PUSHES = [
  "git push",
  "git push origin main",
  "git push --no-verify",
  "git -c core.hooksPath= push",
  "git -c core.hooksPath=/dev/null push --no-verify origin HEAD:main",
  "git -C . push origin main --force",
  "bash -c 'git push --no-verify'",
  "env GIT_DIR=.git git push",
  "G=git; $G push",
  "git pu''sh",
  "git $'\\x70ush' origin main",
  "git config alias.ship push && git ship",
  "git -c alias.p=push p",
  "cd . && git push --all",
  "git push origin 'refs/heads/*:refs/heads/*'",
];

describe("attack: pushing a managed value in a transformed form (hook gate + pre-push)", () => {
  for (const [form, text] of Object.entries(forms)) {
    describe(form, () => {
      let dir: string;
      beforeAll(() => {
        dir = repo(`push-${form.replace(/\W+/g, "-")}`);
        writeFileSync(
          join(dir, "deploy.js"),
          `const key = ${form.startsWith("split") ? text : JSON.stringify(text)};\n`,
        );
        git(dir, "add", ".");
        git(dir, "commit", "-qm", "add deploy config");
      });
      const t = tally(`gates/push ${form}`);
      const commands = form === "reversed" ? PUSHES : PUSHES.slice(0, 4);
      for (const command of commands) {
        it(`hook gate (Claude Code): ${command}`, async () => {
          const { denied, text: out } = await pre("claude-code", dir, command);
          const leaked = out.includes(value) || out.includes(text);
          t.attempt(denied && !leaked);
          expect(denied, out).toBe(true);
          expect(leaked).toBe(false);
        });
      }
      it("the git pre-push hook finds it too", async () => {
        const head = git(dir, "rev-parse", "HEAD").trim();
        const r = await hookpack(["pre-push", "origin", "x"], {
          input: `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n`,
          env: env(),
          cwd: dir,
        });
        t.attempt(r.exitCode === 1 && !(r.stdout + r.stderr).includes(value));
        expect(r.exitCode, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/DEPLOY_KEY/);
      });
    });
  }

  it("Gemini CLI (runs git with an empty core.hooksPath itself): its BeforeTool push meets the gate", async () => {
    const t = tally("gates/push gemini");
    const dir = repo("push-gemini");
    writeFileSync(join(dir, "k.txt"), `${value}\n`);
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "k");
    for (const command of ["git push", "git -c core.hooksPath= push origin main"]) {
      const { denied, text } = await pre("gemini", dir, command);
      t.attempt(denied && !text.includes(value));
      expect(denied, text).toBe(true);
    }
  });

  it("a clean push is not held up", async () => {
    const dir = repo("push-clean");
    writeFileSync(join(dir, "ok.txt"), "nothing secret\n");
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "ok");
    for (const command of ["git push", "git push --no-verify origin main", "git status"]) {
      const { denied, text } = await pre("claude-code", dir, command);
      expect(denied, text).toBe(false);
    }
  });
});

describe("attack: publishing a managed value (hook gate + check-pack, real npm pack)", () => {
  const t = tally("gates/publish");
  let pkg: string;
  beforeAll(() => {
    pkg = join(sb.root, "pkg");
    mkdirSync(join(pkg, "lib"), { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({ name: "hp-gate-demo", version: "1.0.0", files: ["lib"] }),
    );
    writeFileSync(
      join(pkg, "lib", "index.js"),
      `module.exports = { k: ${JSON.stringify(forms.reversed)} };\n`,
    );
  });
  for (const command of [
    "npm publish",
    "npm publish --ignore-scripts",
    "npm pack",
    "npm pack --ignore-scripts --dry-run",
    "bash -c 'npm publish --ignore-scripts'",
    "npm publish .",
  ]) {
    it(`hook gate: ${command}`, async () => {
      const { denied, text } = await pre("claude-code", pkg, command);
      t.attempt(denied && !text.includes(value) && !text.includes(forms.reversed!));
      expect(denied, text).toBe(true);
      expect(text.includes(forms.reversed!)).toBe(false);
    }, 60_000);
  }
  it("check-pack finds the reversed value too", async () => {
    const r = await hookpack(["check-pack", pkg], { env: env(), cwd: pkg });
    t.attempt(r.exitCode !== 0 && !(r.stdout + r.stderr).includes(value));
    expect(r.exitCode, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/DEPLOY_KEY/);
  }, 60_000);
  it("a clean package is not held up", async () => {
    const clean = join(sb.root, "pkg-clean");
    mkdirSync(clean, { recursive: true });
    writeFileSync(
      join(clean, "package.json"),
      JSON.stringify({ name: "hp-gate-clean", version: "1.0.0" }),
    );
    writeFileSync(join(clean, "index.js"), "module.exports = 1;\n");
    const { denied, text } = await pre("claude-code", clean, "npm pack --dry-run");
    expect(denied, text).toBe(false);
  }, 60_000);
});
