// A `$secret:` call through the REAL installed command (`hookpack install --agent claude-code`): the
// rewritten command runs `node <HOOKPACK_HOME>/runtime/…/hookpack.cjs exec --grant … -- <program>`,
// so hookpack's own prefix names a file under hookpack's home and starts with an interpreter. The
// rules that run after the rewrite (protect-hookpack-state's interpreter and `cd` checks, the read
// guard) must judge the agent's part of the command, not that prefix: a pipe or a here-string
// after a rewrite was denied as "interpreter code reaching hookpack's home" (found by the e2e runs
// of Codex, Gemini, Copilot and OpenCode). And the agent writing the same prefix itself in front of
// a command that deletes hookpack's home is still stopped: only the prefix is taken out, what
// follows it is checked.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvePolicy } from "../../broker/policy-approval.js";
import { fakeGithubToken } from "../helpers/fake-secrets.js";
import { installedPreToolUseCommand } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let sb: Sandbox;
let command: string;
const value = fakeGithubToken();
/** Failure messages never print the value (only that it was there). */
const masked = (text: string) => text.replaceAll(value, "<VALUE>");
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });

beforeAll(async () => {
  sb = sandbox();
  spawnSync("git", ["init", "-q"], { cwd: sb.project });
  mkdirSync(join(sb.project, "sub"));
  const r = await hookpack(
    ["install", "--agent", "claude-code", "--no-git-hook", "--no-ignore-files"],
    { env: env(), cwd: sb.project },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    env: env(),
    cwd: sb.project,
    input: value,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  writeFileSync(
    join(sb.project, "hookpack.json"),
    `${JSON.stringify({
      version: 1,
      secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf", "echo", "sha256sum"] } },
    })}\n`,
  );
  approvePolicy(sb.hookpackHome, sb.project);
  command = installedPreToolUseCommand(sb.project);
}, 60_000);
afterAll(() => sb?.cleanup());

/** One PreToolUse Bash call through the installed command, as Claude Code makes it. */
function call(cmd: string): { decision: string; rewritten?: string; out: string } {
  const payload = JSON.stringify({
    session_id: "s",
    transcript_path: join(sb.root, "t.jsonl"),
    cwd: sb.project,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: cmd },
    tool_use_id: `toolu_${Math.random().toString(36).slice(2)}`,
  });
  const r = spawnSync("sh", ["-c", command], {
    cwd: sb.project,
    env: env(),
    input: payload,
    encoding: "utf8",
  });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status === 2) return { decision: "blocked", out };
  if (r.status !== 0) return { decision: `exit ${r.status}`, out };
  if (r.stdout.trim() === "") return { decision: "allow", out };
  const h = (
    JSON.parse(r.stdout) as {
      hookSpecificOutput?: { permissionDecision?: string; updatedInput?: { command?: string } };
    }
  ).hookSpecificOutput;
  if (h?.updatedInput?.command !== undefined)
    return { decision: "rewrite", rewritten: h.updatedInput.command, out };
  return { decision: h?.permissionDecision ?? "allow", out };
}

describe("a $secret: call through the installed command", () => {
  it("is rewritten whatever the shell around it (pipe, here-string, cd, subshell), and runs", () => {
    const t = tally("rewrite-installed/shapes");
    for (const cmd of [
      'printf %s "$secret:DEPLOY_KEY" | sha256sum',
      'sha256sum <<< "$secret:DEPLOY_KEY"',
      'cd sub && printf %s "$secret:DEPLOY_KEY" | sha256sum',
      '(cd sub; echo "$secret:DEPLOY_KEY") | sha256sum',
      'echo "$secret:DEPLOY_KEY" > /dev/null && echo done',
    ]) {
      const a = call(cmd);
      const ok =
        a.decision === "rewrite" &&
        a.rewritten!.includes(join(sb.hookpackHome, "runtime")) &&
        !a.out.includes(value);
      t.attempt(ok);
      expect(a.decision, `${cmd}\n${masked(a.out)}`).toBe("rewrite");
      expect(a.out.includes(value), "the value in the hook's answer").toBe(false);
      // The rewritten command runs: the value reaches sha256sum, the output holds no value.
      const ran = spawnSync("bash", ["-c", a.rewritten!], {
        cwd: sb.project,
        env: env(),
        encoding: "utf8",
      });
      expect(ran.status, masked(ran.stderr)).toBe(0);
      expect(`${ran.stdout}${ran.stderr}`.includes(value), "the value in the output").toBe(false);
    }
  });

  it("the agent writing hookpack's prefix itself in front of an attack on the home is still stopped", () => {
    const t = tally("rewrite-installed/forged prefix");
    const first = call('printf %s "$secret:DEPLOY_KEY" | sha256sum');
    expect(first.decision).toBe("rewrite");
    // The prefix exactly as hookpack wrote it (grant id and key included).
    const prefix = /^(.*? -- )/.exec(first.rewritten!)?.[1];
    expect(prefix).toBeDefined();
    for (const tail of [
      `python3 -c "import shutil; shutil.rmtree('${sb.hookpackHome}')"`,
      `node -e "require('fs').rmSync('${sb.hookpackHome}', {recursive: true})"`,
      `rm -rf ${sb.hookpackHome}`,
      `cat ${join(sb.hookpackHome, "store.key")}`,
    ]) {
      const a = call(`${prefix}${tail}`);
      const stopped = a.decision === "deny" || a.decision === "ask" || a.decision === "blocked";
      t.attempt(stopped);
      expect(stopped, `${tail}: ${a.decision}\n${masked(a.out)}`).toBe(true);
    }
    expect(existsSync(sb.hookpackHome)).toBe(true);
  });
});
