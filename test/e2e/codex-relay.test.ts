// End to end, the last guard for Codex: the REAL Codex CLI started by `hookpack run --relay`, with
// hookpack's tool hooks NOT installed. A command prints a managed value and a detected token; the
// relay replaces both in the next model request before it leaves, so the fake OpenAI Responses
// server (behind a local TLS front whose CA is passed with --upstream-ca) never sees either. The
// negative control runs the same without the relay and sees both.
//
// Codex 0.169 ignores OPENAI_BASE_URL (with it set and no route to api.openai.com it retries
// "waiting for network" without end: the hang of the first attempt); its built-in provider takes
// the `openai_base_url` config key, which `hookpack run --relay` sets for the run with `-c`. The
// provider tries the Responses API over a WebSocket first; the relay refuses the upgrade (it cannot
// check frames) and Codex falls back to HTTPS.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeOpenAI, startTlsFront, type Logged } from "./fake-models.js";
import {
  defineAgent,
  expectNoRequestCarries,
  forbiddenForms,
  randomValue,
  storeSecret,
} from "./harness.js";
import { describeRun, fakeGithubToken, HOOKPACK_CJS, run, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const codexHome = (sb: Sandbox) => join(sb.home, ".codex");

const CONFIG = [
  'model = "gpt-fake"',
  'approval_policy = "never"',
  'sandbox_mode = "danger-full-access"',
  "check_for_update_on_startup = false",
  "[analytics]",
  "enabled = false",
  "[feedback]",
  "enabled = false",
  "",
].join("\n");

const codex = defineAgent<object, { relay: boolean; persistent?: boolean }>({
  name: "codex",
  startFake: startFakeOpenAI,
  env: (sb) => ({
    CODEX_HOME: codexHome(sb),
    OPENAI_API_KEY: "dummy",
    HOOKPACK_KEY_BACKEND: "file",
  }),
  configure: ({ sb }) => {
    mkdirSync(codexHome(sb), { recursive: true });
    writeFileSync(join(codexHome(sb), "config.toml"), CONFIG);
  },
  run: async ({ client, sb, fake, env, opts }) => {
    const args = [
      "exec",
      "--skip-git-repo-check",
      "--json",
      "--disable",
      "apps",
      "--disable",
      "plugins",
      "--disable",
      "remote_plugin",
      "run the step",
    ];
    if (opts.persistent) {
      await persistentRelay(sb, env, fake.url);
      return run(client.bin, args, { cwd: sb.project, env, timeoutMs: 120_000 });
    }
    if (!opts.relay)
      return run(client.bin, ["-c", `openai_base_url="${fake.url}/v1"`, ...args], {
        cwd: sb.project,
        env,
        timeoutMs: 120_000,
      });
    const front = await startTlsFront(fake.url);
    codex.e2e.defer(() => front.close());
    writeFileSync(join(sb.root, "ca.pem"), front.cert);
    return run(
      process.execPath,
      [
        HOOKPACK_CJS,
        "run",
        "--relay",
        "--upstream",
        `${front.url}/v1`,
        "--upstream-ca",
        join(sb.root, "ca.pem"),
        "--",
        client.bin,
        ...args,
      ],
      { cwd: sb.project, env, timeoutMs: 120_000 },
    );
  },
  toolOutputs: (r: Logged) =>
    ((r.body as { input?: unknown[] } | null)?.input ?? []).flatMap((i) => {
      const item = i as { type?: string; output?: unknown };
      return item.type === "function_call_output"
        ? [typeof item.output === "string" ? item.output : JSON.stringify(item.output)]
        : [];
    }),
});

/**
 * `install --agent codex --scope project --relay` (its hooks then uninstalled, the relay setting
 * kept) and `broker start`: the client then runs on its own config, pointed at the broker's relay.
 */
async function persistentRelay(sb: Sandbox, env: Record<string, string>, fakeUrl: string) {
  const front = await startTlsFront(fakeUrl);
  codex.e2e.defer(() => front.close());
  writeFileSync(join(sb.root, "ca.pem"), front.cert);
  const cli = (args: string[]) =>
    run(process.execPath, [HOOKPACK_CJS, ...args], {
      cwd: sb.project,
      env: { ...env, CI: "true" },
      timeoutMs: 60_000,
    });
  codex.e2e.defer(async () => void (await cli(["broker", "stop"])));
  for (const args of [
    [
      "install",
      "--agent",
      "codex",
      "--scope",
      "project",
      "--relay",
      "--relay-upstream",
      `${front.url}/v1`,
      "--relay-ca",
      join(sb.root, "ca.pem"),
    ],
    ["uninstall", "--agent", "codex", "--scope", "project"],
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
  const s = await codex.scenario(
    [
      { text: "Reading.", call: { name: "exec_command", args: { cmd: "cat deploy.txt" } } },
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

describe("e2e: real Codex CLI + hookpack's model-request relay (no tool hooks installed)", () => {
  it(
    "a managed value and a token printed by a tool never reach the server: the relay replaces them in the request",
    async () => {
      const s = await scenario(true);
      console.log(
        `[e2e] codex ${codex.client.version} relay scenario: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
      );
      expect(s.run.code, s.diag()).toBe(0);
      expect(s.run.stderr).toContain("go through hookpack's relay");
      expectNoRequestCarries(s.fake.requests(), s.forbid, "secret");
      const outputs = s.fake.requests().flatMap((q) => codex.toolOutputs(q));
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
        `[e2e] codex ${codex.client.version} persistent relay: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
      );
      expect(s.run.code, s.diag()).toBe(0);
      expect(s.fake.requests().length, s.diag()).toBeGreaterThan(0);
      expectNoRequestCarries(s.fake.requests(), s.forbid, "secret");
      const out = s.fake
        .requests()
        .flatMap((q) => codex.toolOutputs(q))
        .find((t) => t.includes("key="));
      expect(out, s.diag()).toBeDefined();
      expect(out).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(out).toContain("token=[REDACTED:github-pat]");
    },
    TEST_TIMEOUT,
  );
});
