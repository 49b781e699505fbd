// End to end, the roads no tool hook sees, with the REAL Claude Code client against the fake
// Anthropic server: a secret in an environment variable the agent inherited (printed by `env`),
// and a secret in CLAUDE.md (loaded into the model's context with every prompt).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claudeScenario, expectNoRequestCarries, randomValue, useE2e } from "./harness.js";
import { fakeGithubToken, toolResults, toolResultText } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");

describe("e2e: real Claude Code client + hookpack: the inherited environment and CLAUDE.md", () => {
  it(
    "a secret in an inherited variable (by name) and a token under an innocuous name, printed by `env`, reach the server redacted; the session start names them",
    async () => {
      const value = randomValue();
      const token = fakeGithubToken();
      const forbid = [value, Buffer.from(value).toString("base64"), token];
      const s = await claudeScenario(e2e, {
        hooks: true,
        steps: [
          {
            text: "Listing.",
            tool_use: {
              name: "Bash",
              input: {
                command: `env; printf '%s' "$MY_SERVICE_TOKEN" | base64`,
                description: "show env",
              },
            },
          },
          { text: "Done." },
        ],
        forbid,
        env: { MY_SERVICE_TOKEN: value, BUILD_LABEL: token },
      });
      expect(s.run.code, s.diag()).toBe(0);
      expectNoRequestCarries(s.fake.requests(), forbid, "inherited secret");
      const results = s.fake
        .requests()
        .flatMap((r) => toolResults(r.body))
        .map(toolResultText);
      const out = results.find((t) => t.includes("MY_SERVICE_TOKEN="));
      expect(out, s.diag()).toBeDefined();
      expect(out).toContain("MY_SERVICE_TOKEN=[REDACTED:MY_SERVICE_TOKEN]");
      expect(out).toMatch(/BUILD_LABEL=\[REDACTED:/);
      // The session start told the model (and the user) which variables hold secrets, names only.
      const bodies = s.fake
        .requests()
        .map((r) => r.rawBody)
        .join("\n");
      expect(bodies, s.diag()).toMatch(/inherited holds secrets in [^.]*MY_SERVICE_TOKEN/);
      expect(bodies).toMatch(/inherited holds secrets in [^.]*BUILD_LABEL/);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the inherited value printed by `env` reaches the server",
    async () => {
      const value = randomValue();
      const s = await claudeScenario(e2e, {
        hooks: false,
        steps: [
          {
            text: "Listing.",
            tool_use: { name: "Bash", input: { command: "env", description: "show env" } },
          },
          { text: "Done." },
        ],
        forbid: [value],
        env: { MY_SERVICE_TOKEN: value },
      });
      expect(
        s.fake.requests().some((r) => r.leaks.includes(value)),
        s.diag(),
      ).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "a token in CLAUDE.md is reported and never reaches the server (the prompt is held back until the file is cleaned)",
    async () => {
      const token = fakeGithubToken();
      const s = await claudeScenario(e2e, {
        hooks: true,
        steps: [{ text: "Done." }],
        forbid: [token],
        prompt: "say hello",
        setup: (sb) =>
          writeFileSync(
            join(sb.project, "CLAUDE.md"),
            `# Project notes\n\nDeploy token: ${token}\n`,
          ),
      });
      expectNoRequestCarries(s.fake.requests(), [token], "token from CLAUDE.md");
      const out = s.run.stdout + s.run.stderr;
      expect(out, s.diag()).toContain(
        "CLAUDE.md holds a GitHub personal access token (classic) (line 3)",
      );
      expect(out).toContain("hookpack scan --state --fix");
      expect(out.includes(token)).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the token in CLAUDE.md reaches the server",
    async () => {
      const token = fakeGithubToken();
      const s = await claudeScenario(e2e, {
        hooks: false,
        steps: [{ text: "Done." }],
        forbid: [token],
        prompt: "say hello",
        setup: (sb) =>
          writeFileSync(
            join(sb.project, "CLAUDE.md"),
            `# Project notes\n\nDeploy token: ${token}\n`,
          ),
      });
      expect(
        s.fake.requests().some((r) => r.leaks.includes(token)),
        s.diag(),
      ).toBe(true);
    },
    TEST_TIMEOUT,
  );
});
