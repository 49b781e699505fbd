// End to end, the last guard: the REAL Claude Code client started by `hookpack run --relay`, with
// hookpack's tool hooks NOT installed. A command prints a managed value and a detected token; the
// relay replaces them in the next model request before it leaves, so the fake Anthropic server
// (behind a local TLS front whose CA is passed with --upstream-ca) never sees either.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTlsFront } from "./fake-models.js";
import { startFakeAnthropic } from "./fake-anthropic.js";
import {
  CLAUDE_ARGS,
  expectNoRequestCarries,
  forbiddenForms,
  randomValue,
  storeSecret,
  useE2e,
} from "./harness.js";
import {
  baseEnv,
  describeRun,
  fakeGithubToken,
  HOOKPACK_CJS,
  run,
  toolResults,
  toolResultText,
} from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");

async function scenario(withRelay: boolean) {
  const sb = e2e.sandbox();
  const value = randomValue();
  const token = fakeGithubToken();
  storeSecret(sb, "DEPLOY_KEY", value);
  writeFileSync(join(sb.project, "deploy.txt"), `key=${value}\ntoken=${token}\n`);
  const forbid = [...forbiddenForms(value), token];
  const fake = await startFakeAnthropic({
    steps: [
      {
        text: "Reading.",
        tool_use: { name: "Bash", input: { command: "cat deploy.txt", description: "read" } },
      },
      { text: "Done." },
    ],
    forbid,
  });
  e2e.defer(() => fake.close());
  const front = await startTlsFront(fake.url);
  e2e.defer(() => front.close());
  writeFileSync(join(sb.root, "ca.pem"), front.cert);
  const env: Record<string, string> = {
    ...baseEnv(sb),
    ANTHROPIC_API_KEY: ["sk", "ant", "e2e", "dummy"].join("-"),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_AUTOUPDATER: "1",
    HOOKPACK_HOME: sb.hookpackHome,
    HOOKPACK_KEY_BACKEND: "file",
  };
  const claude = [
    e2e.client.bin,
    "-p",
    "run the step",
    "--output-format",
    "stream-json",
    "--verbose",
    "--no-session-persistence",
    ...CLAUDE_ARGS,
  ];
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
          join(sb.root, "ca.pem"),
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
      const outputs = fake
        .requests()
        .flatMap((q) => toolResults(q.body))
        .map(toolResultText);
      const out = outputs.find((t) => t.includes("key="));
      expect(out, diag()).toBeDefined();
      expect(out).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(out).toContain("token=[REDACTED:github-pat]");
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
