// End to end, the prompt road: the REAL Claude Code client started with a prompt that holds a
// token (or a managed value) the user pasted. hookpack's UserPromptSubmit hook blocks it: no
// request to the fake Anthropic server (messages, token counting, side requests) carries it, the
// user is told in words what was found and how to store it, and the exposure is in the audit log.
import { describe, expect, it } from "vitest";
import {
  auditRecords,
  claudeScenario,
  expectNoRequestCarries,
  expectPromptNeverSent,
  forbiddenForms,
  promptWithToken,
  randomValue,
  storeSecret,
  useE2e,
} from "./harness.js";
import { describeRun, fakeGithubToken } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");

describe("e2e: real Claude Code client + hookpack: the prompt guard", () => {
  it(
    "a GitHub token pasted into the prompt never reaches the server; the user is told how to store it; the exposure is recorded",
    async () => {
      const token = fakeGithubToken();
      const s = await claudeScenario(e2e, {
        hooks: true,
        steps: [{ text: "Done." }],
        forbid: [token],
        prompt: promptWithToken(token),
      });
      console.log(
        `[e2e] claude ${e2e.client.version} prompt-token scenario: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
      );
      expectNoRequestCarries(s.fake.requests(), [token], "pasted token");
      // The model was never asked: no part of the prompt reached the server.
      expectPromptNeverSent(s.fake.requests());
      // Nothing the client prints carries it either (the block message omits the original prompt).
      expect(s.run.stdout.includes(token), "stdout carries the token").toBe(false);
      // The user reads what was found and how to store it.
      const out = s.run.stdout + s.run.stderr;
      expect(out, s.diag()).toContain("hookpack held back this prompt");
      expect(out).toContain("GitHub personal access token (classic)");
      expect(out).toContain("hookpack secret set GITHUB_TOKEN");
      expect(out).toContain("$secret:GITHUB_TOKEN");
      // The exposure is on record (no value in it).
      const entries = auditRecords(s.sb);
      expect(
        entries.some((e) => e.kind === "exposure-found" && e.where === "claude-code prompt"),
        JSON.stringify(entries),
      ).toBe(true);
      expect(JSON.stringify(entries).includes(token)).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    "a managed value pasted base64-encoded never reaches the server and is recorded by name",
    async () => {
      const value = randomValue();
      const forbid = forbiddenForms(value);
      const s = await claudeScenario(e2e, {
        hooks: true,
        steps: [{ text: "Done." }],
        forbid,
        prompt: `Use the key ${Buffer.from(value).toString("base64")} for the upload.`,
        env: { HOOKPACK_KEY_BACKEND: "file" },
        setup: (sb) => storeSecret(sb, "DEPLOY_KEY", value),
      });
      expectNoRequestCarries(s.fake.requests(), forbid, "form of the value");
      const out = s.run.stdout + s.run.stderr;
      expect(out, describeRun(s.run, forbid)).toContain("DEPLOY_KEY");
      expect(out).toContain("$secret:DEPLOY_KEY");
      const entries = auditRecords(s.sb);
      expect(
        entries.some((e) => e.kind === "exposure-found" && e.secret === "DEPLOY_KEY"),
        JSON.stringify(entries),
      ).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless prompt goes through with the hook installed (the allow path)",
    async () => {
      const s = await claudeScenario(e2e, {
        hooks: true,
        steps: [{ text: "All good." }],
        prompt: "say hello",
      });
      expect(s.run.code, s.diag()).toBe(0);
      const main = s.fake.requests().filter((r) => r.kind === "main" || r.kind === "side");
      expect(main.length, s.diag()).toBeGreaterThan(0);
      expect(JSON.stringify(main.map((r) => r.body))).toContain("say hello");
      expect(s.run.stdout).toContain("All good.");
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the pasted token reaches the server",
    async () => {
      const token = fakeGithubToken();
      const s = await claudeScenario(e2e, {
        hooks: false,
        steps: [{ text: "Done." }],
        forbid: [token],
        prompt: promptWithToken(token),
      });
      expect(
        s.fake.requests().some((r) => r.leaks.includes(token)),
        s.diag(),
      ).toBe(true);
    },
    TEST_TIMEOUT,
  );
});
