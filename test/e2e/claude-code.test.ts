// End to end: the REAL Claude Code client (native binary from the npm registry, installed by
// scripts/setup-e2e.mjs) against a scripted fake Anthropic server on loopback, in a temp git repo
// with hookpack installed by its own CLI. The fake server sees exactly what the model would see,
// so "the secret never reaches the model" is an assertion over its request log.
// Recipe: /work/shared/reference/e2e-real-clients.md §1–4.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claudeScenario, requestAtStep, useE2e } from "./harness.js";
import {
  describeRun,
  fakeGithubToken,
  toolResults,
  toolResultText,
  type ClaudeRun,
} from "./helpers.js";

const TEST_TIMEOUT = 180_000;
// HOOKPACK_E2E_KEEP=1 keeps each sandbox and writes requests.json / claude-stdout.jsonl into it.
const e2e = useE2e("claude-code");

/** stream-json events emitted for hooks (hook_started / hook_response). */
function hookEvents(run: ClaudeRun): Array<Record<string, unknown>> {
  return run.events.filter(
    (e) => e.type === "system" && typeof e.subtype === "string" && e.subtype.startsWith("hook_"),
  );
}

/** The scenario from the issue: the model asks to run a Bash command that carries a literal token. */
async function runSecretScenario(withHooks: boolean) {
  const token = fakeGithubToken();
  const command = (marker: string) => `touch '${marker}' && echo ${token}`;
  const s = await claudeScenario(e2e, {
    hooks: withHooks,
    steps: (sb) => [
      {
        text: "Let me check the token.",
        tool_use: {
          name: "Bash",
          input: {
            command: command(join(sb.root, "ran-marker")),
            description: "check the GitHub token",
          },
        },
      },
      { text: "Done." },
    ],
    forbid: [token],
  });
  return { ...s, token, marker: join(s.sb.root, "ran-marker") };
}

describe(`e2e: real Claude Code client + hookpack (claude-code adapter)`, () => {
  it(
    "denies a Bash call carrying a literal GitHub token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const { token, fake, run, marker, diag } = await runSecretScenario(true);
      console.log(
        `[e2e] claude ${e2e.client.version} hooked secret scenario: ${run.ms} ms, ${fake.requests().length} requests`,
      );
      expect(run.code, diag()).toBe(0);

      // (a) the command never ran.
      expect(existsSync(marker), `the command ran (marker exists)\n${diag()}`).toBe(false);

      // (b) the model got an error tool_result that says hookpack blocked it and how to reference the secret.
      const second = requestAtStep(fake, 1, diag());
      const results = toolResults(second.body).filter((b) => b.tool_use_id === "toolu_e2efake_0_0");
      expect(results, diag()).toHaveLength(1);
      const result = results[0]!;
      const text = toolResultText(result);
      expect(
        result.is_error,
        `tool_result is not an error: ${text.split(token).join("<FAKE-TOKEN>")}`,
      ).toBe(true);
      expect(text).toMatch(/hookpack/i);
      expect(text).toContain("$secret:");

      // (c) the token is nowhere the model can see, except in the fake model's own tool_use input.
      // The check is live: the raw body of the second request does carry the token (in that tool_use).
      expect(second.leaks).toEqual([token]);
      for (const r of fake.requests()) {
        expect(
          r.leaksOutsideOwnToolUse,
          `request #${r.seq} ${r.method} ${r.path} (${r.kind}) leaks the token`,
        ).toEqual([]);
        for (const b of toolResults(r.body))
          expect(
            toolResultText(b).includes(token),
            `tool_result in request #${r.seq} carries the token`,
          ).toBe(false);
      }
      // ...and hookpack's own hook output (as reported by the client) never carries it either.
      const hooks = hookEvents(run);
      expect(hooks.length, `no hook events: were the hooks registered?\n${diag()}`).toBeGreaterThan(
        0,
      );
      for (const e of hooks)
        expect(
          JSON.stringify(e).includes(token),
          `hook event ${String(e.subtype)} carries the token`,
        ).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same scenario runs the command and the leak check fires",
    async () => {
      const { token, fake, run, marker, diag } = await runSecretScenario(false);
      console.log(
        `[e2e] claude ${e2e.client.version} unhooked control: ${run.ms} ms, ${fake.requests().length} requests`,
      );
      expect(run.code, diag()).toBe(0);
      expect(existsSync(marker), `the command did not run without hooks\n${diag()}`).toBe(true);
      const second = requestAtStep(fake, 1, diag());
      expect(second.leaksOutsideOwnToolUse).toEqual([token]);
      const leaked = toolResults(second.body).some(
        (b) => b.is_error !== true && toolResultText(b).includes(token),
      );
      expect(leaked, "the unhooked tool_result should carry the echoed token").toBe(true);
      expect(hookEvents(run)).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "allow path: a harmless Bash call runs with hooks installed and its output reaches the model",
    async () => {
      const { fake, run } = await claudeScenario(e2e, {
        hooks: true,
        steps: [
          {
            text: "Saying hello.",
            tool_use: {
              name: "Bash",
              input: { command: "echo hello-e2e", description: "say hello" },
            },
          },
          { text: "Done." },
        ],
      });
      console.log(
        `[e2e] claude ${e2e.client.version} hooked allow path: ${run.ms} ms, ${fake.requests().length} requests`,
      );
      expect(run.code, describeRun(run)).toBe(0);

      const second = requestAtStep(fake, 1, describeRun(run));
      const results = toolResults(second.body).filter((b) => b.tool_use_id === "toolu_e2efake_0_0");
      expect(results).toHaveLength(1);
      expect(results[0]!.is_error ?? false, toolResultText(results[0]!)).toBe(false);
      expect(toolResultText(results[0]!)).toContain("hello-e2e");

      // The hooks really ran around the call (so this is the allow path, not an unhooked run).
      const hooks = hookEvents(run);
      const names = hooks.map((e) => String(e.hook_event ?? e.hook_name ?? ""));
      expect(
        names.some((n) => n.includes("PreToolUse")),
        `no PreToolUse hook event\n${describeRun(run)}`,
      ).toBe(true);
      expect(
        names.some((n) => n.includes("PostToolUse")),
        `no PostToolUse hook event\n${describeRun(run)}`,
      ).toBe(true);

      const final = run.events.find((e) => e.type === "result");
      expect(final?.is_error, describeRun(run)).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
