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
import { startFakeOpenAI, type Logged } from "./fake-models.js";
import { defineAgent, type Agent } from "./harness.js";
import { run, type Sandbox } from "./helpers.js";
import {
  persistentRelay,
  relayTests,
  runThroughRelay,
  type RelayOptions,
} from "./relay-harness.js";
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

const codex: Agent<object, RelayOptions> = defineAgent<object, RelayOptions>({
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
    const relay = { sb, env, fakeUrl: fake.url, path: "/v1" };
    if (opts.persistent) {
      await persistentRelay(codex, relay);
      return run(client.bin, args, { cwd: sb.project, env, timeoutMs: 120_000 });
    }
    if (!opts.relay)
      return run(client.bin, ["-c", `openai_base_url="${fake.url}/v1"`, ...args], {
        cwd: sb.project,
        env,
        timeoutMs: 120_000,
      });
    return runThroughRelay(codex, relay, [client.bin, ...args]);
  },
  toolOutputs: (r: Logged) =>
    ((r.body as { input?: unknown[] } | null)?.input ?? []).flatMap((i) => {
      const item = i as { type?: string; output?: unknown };
      return item.type === "function_call_output"
        ? [typeof item.output === "string" ? item.output : JSON.stringify(item.output)]
        : [];
    }),
});

relayTests(codex, {
  displayName: "Codex CLI",
  call: { name: "exec_command", args: { cmd: "cat deploy.txt" } },
  notice: "go through hookpack's relay",
});
