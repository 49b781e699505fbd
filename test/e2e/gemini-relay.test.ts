// End to end, the last guard for Gemini: the REAL Gemini CLI started by `hookpack run --relay`
// (`node gemini.js`: hookpack recognises the agent by the script's name), with hookpack's tool
// hooks NOT installed. A command prints a managed value and a detected token; the relay
// (GOOGLE_GEMINI_BASE_URL, which the 0.61 bundle reads for the gemini-api-key auth type) replaces
// both in the next model request before it leaves, so the fake Gemini API server (behind a local
// TLS front whose CA is passed with --upstream-ca) never sees either. The negative control runs the
// same without the relay and sees both.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeGemini, startTlsFront, type Logged } from "./fake-models.js";
import {
  defineAgent,
  expectNoRequestCarries,
  forbiddenForms,
  randomValue,
  storeSecret,
} from "./harness.js";
import { describeRun, fakeGithubToken, HOOKPACK_CJS, run, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 180_000;

const USER_SETTINGS = {
  security: { auth: { selectedType: "gemini-api-key" } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
};

const gemini = defineAgent<object, { relay: boolean; persistent?: boolean }>({
  name: "gemini",
  startFake: startFakeGemini,
  env: () => ({
    GEMINI_API_KEY: "dummy",
    GEMINI_CLI_TRUST_WORKSPACE: "true",
    HOOKPACK_KEY_BACKEND: "file",
  }),
  configure: ({ sb }) => {
    mkdirSync(join(sb.home, ".gemini"), { recursive: true });
    writeFileSync(join(sb.home, ".gemini", "settings.json"), JSON.stringify(USER_SETTINGS));
  },
  run: async ({ client, sb, fake, env, opts }) => {
    const args = [
      client.bin,
      "-p",
      "run the step",
      "--output-format",
      "json",
      "--approval-mode",
      "yolo",
    ];
    if (opts.persistent) {
      await persistentRelay(sb, env, fake.url);
      return run(process.execPath, args, { cwd: sb.project, env, timeoutMs: 120_000 });
    }
    if (!opts.relay)
      return run(process.execPath, args, {
        cwd: sb.project,
        env: { ...env, GOOGLE_GEMINI_BASE_URL: fake.url },
        timeoutMs: 120_000,
      });
    const front = await startTlsFront(fake.url);
    gemini.e2e.defer(() => front.close());
    writeFileSync(join(sb.root, "ca.pem"), front.cert);
    return run(
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
        process.execPath,
        ...args,
      ],
      { cwd: sb.project, env, timeoutMs: 120_000 },
    );
  },
  toolOutputs: (r: Logged) => {
    const out: string[] = [];
    for (const c of (r.body as { contents?: unknown[] } | null)?.contents ?? [])
      for (const p of (c as { parts?: unknown[] }).parts ?? []) {
        const response = (p as { functionResponse?: { response?: unknown } }).functionResponse
          ?.response;
        if (response !== undefined) out.push(JSON.stringify(response));
      }
    return out;
  },
});

/**
 * `install --agent gemini --scope project --relay` (its hooks then uninstalled, the relay setting
 * kept) and `broker start`: the client then runs on its own config, pointed at the broker's relay.
 */
async function persistentRelay(sb: Sandbox, env: Record<string, string>, fakeUrl: string) {
  const front = await startTlsFront(fakeUrl);
  gemini.e2e.defer(() => front.close());
  writeFileSync(join(sb.root, "ca.pem"), front.cert);
  const cli = (args: string[]) =>
    run(process.execPath, [HOOKPACK_CJS, ...args], {
      cwd: sb.project,
      env: { ...env, CI: "true" },
      timeoutMs: 60_000,
    });
  gemini.e2e.defer(async () => void (await cli(["broker", "stop"])));
  for (const args of [
    [
      "install",
      "--agent",
      "gemini",
      "--scope",
      "project",
      "--relay",
      "--relay-upstream",
      `${front.url}`,
      "--relay-ca",
      join(sb.root, "ca.pem"),
    ],
    ["uninstall", "--agent", "gemini", "--scope", "project"],
    ["broker", "start"],
  ]) {
    const r = await cli(args);
    expect(r.code, `hookpack ${args.join(" ")}:\n${describeRun(r)}`).toBe(0);
  }
}

async function scenario(relay: boolean, persistent = false) {
  const value = randomValue();
  const token = fakeGithubToken();
  const forbid = [...forbiddenForms(value), token];
  const s = await gemini.scenario(
    [
      {
        text: "Reading.",
        call: { name: "run_shell_command", args: { command: "cat deploy.txt" } },
      },
      { text: "Done." },
    ],
    {
      hooks: false,
      relay,
      persistent,
      forbid,
      files: { "deploy.txt": `key=${value}\ntoken=${token}\n` },
      setup: (sb) => storeSecret(sb, "DEPLOY_KEY", value),
    },
  );
  return { ...s, value, token, forbid };
}

describe("e2e: real Gemini CLI + hookpack's model-request relay (no tool hooks installed)", () => {
  it(
    "a managed value and a token printed by a tool never reach the server: the relay replaces them in the request",
    async () => {
      const s = await scenario(true);
      console.log(
        `[e2e] gemini ${gemini.client.version} relay scenario: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
      );
      expect(s.run.code, s.diag()).toBe(0);
      expect(s.run.stderr).toContain("GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:");
      expectNoRequestCarries(s.fake.requests(), s.forbid, "secret");
      const outputs = s.fake.requests().flatMap((q) => gemini.toolOutputs(q));
      const out = outputs.find((t) => t.includes("key="));
      expect(out, s.diag()).toBeDefined();
      expect(out).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(out).toContain("token=[REDACTED:github-pat]");
      expect(s.run.stderr).toMatch(/the relay replaced [1-9]\d* secret\(s\)/);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: the same run without the relay sends both to the server",
    async () => {
      const s = await scenario(false);
      expect(s.run.code, s.diag()).toBe(0);
      const leaked = s.fake.requests().flatMap((q) => q.leaks);
      expect(leaked, s.diag()).toContain(s.value);
      expect(leaked).toContain(s.token);
    },
    TEST_TIMEOUT,
  );

  it(
    "the persistent relay (install --relay, broker start): the client's own config points at it; value and token replaced",
    async () => {
      const s = await scenario(true, true);
      console.log(
        `[e2e] gemini ${gemini.client.version} persistent relay: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
      );
      expect(s.run.code, s.diag()).toBe(0);
      expect(s.fake.requests().length, s.diag()).toBeGreaterThan(0);
      expectNoRequestCarries(s.fake.requests(), s.forbid, "secret");
      const out = s.fake
        .requests()
        .flatMap((q) => gemini.toolOutputs(q))
        .find((t) => t.includes("key="));
      expect(out, s.diag()).toBeDefined();
      expect(out).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(out).toContain("token=[REDACTED:github-pat]");
    },
    TEST_TIMEOUT,
  );
});
