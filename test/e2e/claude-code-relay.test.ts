// End to end, the last guard: the REAL Claude Code client started by `hookpack run --relay`, with
// hookpack's tool hooks NOT installed. A command prints a managed value and a detected token; the
// relay replaces them in the next model request before it leaves, so the fake Anthropic server
// (behind a local TLS front whose CA is passed with --upstream-ca) never sees either.
import { describe, expect, it } from "vitest";
import { expectNoRequestCarries, useE2e } from "./harness.js";
import { describeRun, HOOKPACK_CJS, run } from "./helpers.js";
import {
  CLAUDE_RUN_ARGS,
  claudeEnv,
  claudeRelayScene,
  claudeToolOutputs,
  expectReplacedOutput,
} from "./relay-harness.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");

async function scenario(withRelay: boolean) {
  const { sb, fake, front, ca, value, token, forbid } = await claudeRelayScene(e2e);
  const env = { ...claudeEnv(sb), HOOKPACK_KEY_BACKEND: "file" };
  const claude = [e2e.client.bin, ...CLAUDE_RUN_ARGS];
  const r = withRelay
    ? await run(
        process.execPath,
        [
          HOOKPACK_CJS,
          "run",
          "--relay",
          "--upstream",
          front.url,
          "--upstream-ca",
          ca,
          "--",
          ...claude,
        ],
        { cwd: sb.project, env, timeoutMs: 120_000 },
      )
    : await run(claude[0]!, claude.slice(1), {
        cwd: sb.project,
        env: { ...env, ANTHROPIC_BASE_URL: fake.url },
        timeoutMs: 120_000,
      });
  return { sb, fake, r, value, token, forbid, diag: () => describeRun(r, forbid) };
}

describe("e2e: real Claude Code client + hookpack's model-request relay (no tool hooks installed)", () => {
  it(
    "a managed value and a token printed by a tool never reach the server: the relay replaces them in the request",
    async () => {
      const { fake, r, forbid, diag } = await scenario(true);
      console.log(
        `[e2e] claude ${e2e.client.version} relay scenario: ${r.ms} ms, ${fake.requests().length} requests`,
      );
      expect(r.code, diag()).toBe(0);
      expect(r.stderr).toContain("go through hookpack's relay");
      expectNoRequestCarries(fake.requests(), forbid, "secret");
      expectReplacedOutput(claudeToolOutputs(fake), diag);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: the same run without the relay sends both to the server",
    async () => {
      const { fake, value, token, diag } = await scenario(false);
      const leaked = fake.requests().flatMap((q) => q.leaks);
      expect(leaked, diag()).toContain(value);
      expect(leaked).toContain(token);
    },
    TEST_TIMEOUT,
  );
});
