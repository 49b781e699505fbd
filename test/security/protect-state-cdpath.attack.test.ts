// sec-gaps5: CDPATH inherited from the environment. With CDPATH set in the agent's environment
// (which its shells and the hook share), `cd NAME` goes to ENTRY/NAME, not ./NAME: `cd hookpack-home
// && rm -rf .` from the project removes hookpack's home beside it. protect-hookpack-state resolved
// `cd` targets from the session's cwd only (CDPATH in the command text itself made them unknown).
// Every attempt goes through the real hook process (`hookpack hook claude-code`, dist/), with
// CDPATH in the hook's environment as the agent's shell would have it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preToolUse } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let sb: Sandbox; // home = $ROOT/hookpack-home, project = $ROOT/project

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: `v${Math.random().toString(36).slice(2)}`,
    env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file" },
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  writeFileSync(join(sb.hookpackHome, "audit.log"), "{}\n", { flag: "a" });
  mkdirSync(join(sb.project, "src"), { recursive: true });
  mkdirSync(join(sb.project, "build"), { recursive: true });
  writeFileSync(join(sb.project, "src", "a.txt"), "a\n");
});
afterAll(() => sb?.cleanup());

const preBash = (command: string, cdpath: string | undefined) =>
  preToolUse(
    sb,
    "Bash",
    { command },
    { session_id: "s-cdpath", tool_use_id: "toolu_cdp" },
    { env: { HOOKPACK_KEY_BACKEND: "file", ...(cdpath === undefined ? {} : { CDPATH: cdpath }) } },
  );

const ATTACKS = [
  "cd hookpack-home && rm -rf .",
  "cd hookpack-home && rm -rf *",
  "cd hookpack-home; rm -f audit.log",
  "cd hookpack-home && truncate -s0 audit.log",
  "cd hookpack-home && find . -delete",
  "cd -P hookpack-home && rm -rf ./*",
  "pushd hookpack-home && rm -rf . ; popd",
  "cd hookpack-home && echo x > audit.log",
];

describe("attack: CDPATH from the environment sends a cd into hookpack's home", () => {
  for (const [label, value] of [
    ["CDPATH=$ROOT", () => sb.root],
    ["CDPATH=.:$ROOT", () => `.:${sb.root}`],
    ["CDPATH=..", () => ".."],
  ] as const) {
    const t = tally(`protect-state-cdpath/${label}`);
    for (const command of ATTACKS) {
      it(`${label}: ${command}`, async () => {
        const { r, decision } = await preBash(command, value());
        const stopped =
          decision?.permissionDecision === "deny" || decision?.permissionDecision === "ask";
        t.attempt(stopped);
        expect(stopped, `${command}\n${r.stdout}${r.stderr}`).toBe(true);
      });
    }
  }
});

describe("no false alarms: cd with CDPATH set", () => {
  for (const command of [
    "cd src && ls",
    "cd src && rm -f a.txt.bak",
    "cd build && rm -rf *",
    "cd build && rm -rf .",
    "cd src && cat a.txt",
  ])
    it(`allowed: ${command}`, async () => {
      const { r, decision } = await preBash(command, sb.root);
      expect(decision?.permissionDecision, `${command}\n${r.stdout}${r.stderr}`).toBeUndefined();
      expect(r.exitCode, r.stderr).toBe(0);
    });
});
