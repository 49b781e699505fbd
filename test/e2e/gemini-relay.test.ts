// End to end, the last guard for Gemini: the REAL Gemini CLI started by `hookpack run --relay`
// (`node gemini.js`: hookpack recognises the agent by the script's name), with hookpack's tool
// hooks NOT installed. A command prints a managed value and a detected token; the relay
// (GOOGLE_GEMINI_BASE_URL, which the 0.61 bundle reads for the gemini-api-key auth type) replaces
// both in the next model request before it leaves, so the fake Gemini API server (behind a local
// TLS front whose CA is passed with --upstream-ca) never sees either. The negative control runs the
// same without the relay and sees both.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeGemini, type Logged } from "./fake-models.js";
import { defineAgent, type Agent } from "./harness.js";
import { run } from "./helpers.js";
import {
  persistentRelay,
  relayTests,
  runThroughRelay,
  type RelayOptions,
} from "./relay-harness.js";

const USER_SETTINGS = {
  security: { auth: { selectedType: "gemini-api-key" } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
};

const gemini: Agent<object, RelayOptions> = defineAgent<object, RelayOptions>({
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
    const relay = { sb, env, fakeUrl: fake.url, path: "" };
    if (opts.persistent) {
      await persistentRelay(gemini, relay);
      return run(process.execPath, args, { cwd: sb.project, env, timeoutMs: 120_000 });
    }
    if (!opts.relay)
      return run(process.execPath, args, {
        cwd: sb.project,
        env: { ...env, GOOGLE_GEMINI_BASE_URL: fake.url },
        timeoutMs: 120_000,
      });
    return runThroughRelay(gemini, relay, [process.execPath, ...args]);
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

relayTests(gemini, {
  displayName: "Gemini CLI",
  call: { name: "run_shell_command", args: { command: "cat deploy.txt" } },
  notice: "GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:",
});
