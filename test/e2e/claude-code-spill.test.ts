// End to end, issue 21: a redacted output too long for Claude Code's hook response is no longer
// cut. The REAL Claude Code client against the fake model server, hookpack installed by its own
// CLI, one managed secret in the store. A Bash command prints more than the hook response can
// carry (but less than the 30,000 chars over which Claude persists output itself, so the hook
// gets it whole): the model's next request must hold the pointer (`saved to: <path>`), reading
// that file must give the redacted text (every line, the value as its label), and no request may
// carry the value in any form.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  claudeScenario,
  expectClaudeRunClean,
  forbiddenForms,
  mainRequests,
  storeSecret,
  useE2e,
} from "./harness.js";
import { toolResults, toolResultText } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");

describe("Claude Code: a long redacted output is spilled, not cut", () => {
  it(
    "25,000 chars of output with the value at the middle and the end: the model is pointed at the file, and Reading it gives the whole redacted output",
    async () => {
      const value = `dk${randomBytes(20).toString("hex")}`;
      const forbid = forbiddenForms(value);
      // 500 numbered lines of 50 chars; the value in line 250 and after the last line.
      const script =
        'for i in $(seq 1 500); do printf "line %04d %s\\n" "$i" "................................"; if [ "$i" = 250 ]; then echo "mid=$DEPLOY_ENV"; fi; done; echo "tail=$DEPLOY_ENV"';
      const s = await claudeScenario(e2e, {
        hooks: true,
        setup: (sb) => storeSecret(sb, "DEPLOY_KEY", value),
        steps: [
          {
            text: "Long output.",
            tool_use: { name: "Bash", input: { command: script, description: "print a long log" } },
          },
          {
            text: "Reading the whole output.",
            tool_use: {
              name: "Read",
              input: { file_path: "/nonexistent" },
              input_from_result: { file_path: "saved to: (\\S+)" },
            },
          },
          { text: "Done." },
        ],
        forbid,
        env: { HOOKPACK_KEY_BACKEND: "file", DEPLOY_ENV: value },
      });
      console.log(
        `[e2e] claude ${e2e.client.version}: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
      );
      expectClaudeRunClean(s, forbid);
      const mains = mainRequests(s.fake);
      expect(mains.length, s.diag()).toBeGreaterThanOrEqual(3);
      // The request after the Bash call: its tool_result is the preview plus the pointer.
      const bash = toolResults(mains[1]?.body).map(toolResultText)[0] ?? "";
      const saved = /saved to: (\S+)/.exec(bash);
      expect(saved, `${s.diag()}\n${bash.slice(-600)}`).not.toBeNull();
      // Claude Code's own tool-results directory for the session, where it persists long outputs itself.
      expect(saved![1]!, saved![1]).toMatch(/\/tool-results\/hookpack-[^/]+\.txt$/);
      expect(bash).toContain("line 0001");
      expect(bash).not.toContain("chars cut to fit");
      // The request after the Read: the whole redacted output, through the hook again.
      const read = toolResults(mains.at(-1)?.body).map(toolResultText).at(-1) ?? "";
      expect(read, s.diag()).toContain("line 0500");
      expect(read).toContain("mid=[REDACTED:DEPLOY_KEY]");
      expect(read).toContain("tail=[REDACTED:DEPLOY_KEY]");
    },
    TEST_TIMEOUT,
  );
});
