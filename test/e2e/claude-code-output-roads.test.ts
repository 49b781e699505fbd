// End to end, issue 14 (output roads): the REAL Claude Code client against the fake model server,
// hookpack installed by its own CLI. A command that reads a secret-bearing file with an interpreter
// and then fails must not put the value in any request to the fake server: the read guard stops it
// before it runs (a failed call's output cannot be replaced afterwards). And where a value does
// reach a failed call's output by a road the guard cannot see (an environment variable), the client
// fires PostToolUseFailure: hookpack warns the model next to it and records the exposure.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ScriptStep } from "./fake-anthropic.js";
import {
  claudeScenario,
  expectClaudeRunClean,
  mainRequests,
  storeSecret,
  useE2e,
} from "./harness.js";
import { toolResults, toolResultText } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");
const bash = (command: string): ScriptStep["tool_use"] => ({
  name: "Bash",
  input: { command, description: "step" },
});
const forms = (v: string) => [
  v,
  Buffer.from(v).toString("base64"),
  Buffer.from(v).toString("hex"),
  v.slice(0, 12),
  v.slice(-12),
];

describe("e2e: real Claude Code + hookpack: failed calls", () => {
  for (const command of [
    "python3 -c \"print(open('.env').read())\"; exit 3",
    "node -e \"console.log(require('fs').readFileSync('.e'+'nv','utf8')); process.exit(2)\"",
    "cp .env /tmp/hp-e2e-copy-$$ && cat /tmp/hp-e2e-copy-$$; false",
    "F=.env; awk '{print}' \"$F\" && exit 1",
  ]) {
    it(
      `an interpreter/unknown program reading .env, then failing: no value, no fragment in any request (${command})`,
      async () => {
        const value = `dk${randomBytes(20).toString("hex")}`;
        const s = await claudeScenario(e2e, {
          hooks: true,
          setup: (sb) => {
            storeSecret(sb, "DEPLOY_KEY", value);
            writeFileSync(join(sb.project, ".env"), `APP=demo\nDEPLOY_KEY=${value}\n`);
          },
          steps: [{ text: "Reading it.", tool_use: bash(command) }, { text: "Done." }],
          forbid: forms(value),
          env: { HOOKPACK_KEY_BACKEND: "file" },
        });
        expectClaudeRunClean(s, forms(value));
        const last = mainRequests(s.fake).at(-1);
        const [result] = toolResults(last?.body);
        expect(result?.is_error, s.diag()).toBe(true);
        expect(toolResultText(result!)).toMatch(
          /hookpack blocked this Bash call before it read anything/,
        );
        expect(toolResultText(result!)).toContain("DEPLOY_KEY");
      },
      TEST_TIMEOUT,
    );
  }

  it(
    "limit: a value that reaches a FAILED command's output by a road the guard cannot see (an env var) is reported to the model as exposed and recorded in the audit log",
    async () => {
      const value = `dk${randomBytes(20).toString("hex")}`;
      const s = await claudeScenario(e2e, {
        hooks: true,
        setup: (sb) => storeSecret(sb, "DEPLOY_KEY", value),
        steps: [
          { text: "Checking.", tool_use: bash('echo "key=$DEPLOY_ENV"; exit 4') },
          { text: "Done." },
        ],
        env: { HOOKPACK_KEY_BACKEND: "file", DEPLOY_ENV: value },
      });
      expect(s.run.code, s.diag()).toBe(0);
      const last = mainRequests(s.fake).at(-1);
      const text = JSON.stringify(last?.body ?? "");
      // Claude Code gives a hook no way to replace a failed call's output: the warning travels with it.
      expect(text, s.diag()).toMatch(/does not let a hook replace the output of a failed call/);
      const auditFile = join(s.sb.hookpackHome, "audit", "audit.jsonl");
      expect(existsSync(auditFile)).toBe(true);
      const entries = readFileSync(auditFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(entries.some((e) => e.kind === "exposure-found" && e.secret === "DEPLOY_KEY")).toBe(
        true,
      );
      expect(readFileSync(auditFile, "utf8").includes(value)).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
