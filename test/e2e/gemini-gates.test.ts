// End to end, issue 14 (class 8): the REAL Gemini CLI 0.61 runs git with an empty core.hooksPath on
// its own, so git's pre-push hook never runs under it. With hookpack installed, the agent's own
// `git push` of a commit holding a stored value must still be stopped — by the pre-tool hook's gate,
// before the push runs — and nothing reaches the remote. Fake Gemini API server on loopback; a bare
// remote in the sandbox.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeGemini, type Logged } from "./fake-models.js";
import { afterCalls, defineAgent, storeSecret, type ToolCall } from "./harness.js";
import { baseEnv, run } from "./helpers.js";

const TEST_TIMEOUT = 120_000;
const USER_SETTINGS = {
  security: { auth: { selectedType: "gemini-api-key" } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
};

function toolOutputs(r: Logged): string[] {
  const out: string[] = [];
  for (const c of (r.body as { contents?: unknown[] } | null)?.contents ?? []) {
    for (const p of (c as { parts?: unknown[] }).parts ?? []) {
      const response = (p as { functionResponse?: { response?: unknown } }).functionResponse
        ?.response;
      if (response !== undefined) out.push(JSON.stringify(response));
    }
  }
  return out;
}

const gemini = defineAgent({
  name: "gemini",
  startFake: startFakeGemini,
  env: (_sb, fake) => ({
    GOOGLE_GEMINI_BASE_URL: fake.url,
    GEMINI_API_KEY: "dummy",
    GEMINI_CLI_TRUST_WORKSPACE: "true",
  }),
  configure: ({ sb }) => {
    mkdirSync(join(sb.home, ".gemini"), { recursive: true });
    writeFileSync(join(sb.home, ".gemini", "settings.json"), JSON.stringify(USER_SETTINGS));
  },
  run: ({ client, sb, env }) =>
    run(
      process.execPath,
      [client.bin, "-p", "run the step", "--output-format", "json", "--approval-mode", "yolo"],
      { cwd: sb.project, env, timeoutMs: 90_000 },
    ),
  toolOutputs,
});

const shell = (command: string): ToolCall => ({
  name: "run_shell_command",
  args: { command, description: "push" },
});

describe("e2e: real Gemini CLI + hookpack: the agent's own push meets the gate", () => {
  for (const [label, content] of [
    ["the value as is", (v: string) => `DEPLOY_KEY=${v}\n`],
    ["the value reversed", (v: string) => `const k = "${v.split("").reverse().join("")}";\n`],
  ] as const) {
    it(
      `a commit holding ${label} is not pushed (git push and git push --no-verify)`,
      async () => {
        const value = `gk${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
        let remote = "";
        const s = await gemini.scenario(
          [
            { text: "Pushing.", call: shell("git push origin HEAD:refs/heads/main") },
            { text: "Again.", call: shell("git push --no-verify origin HEAD:refs/heads/main") },
            { text: "Done." },
          ],
          {
            hooks: true,
            forbid: [value],
            setup: (sb) => {
              storeSecret(sb, "DEPLOY_KEY", value);
              remote = join(sb.root, "remote.git");
              const git = (...args: string[]) => {
                const r = spawnSync("git", args, {
                  cwd: sb.project,
                  env: {
                    ...baseEnv(sb),
                    GIT_AUTHOR_NAME: "t",
                    GIT_AUTHOR_EMAIL: "t@example.invalid",
                    GIT_COMMITTER_NAME: "t",
                    GIT_COMMITTER_EMAIL: "t@example.invalid",
                  },
                  encoding: "utf8",
                });
                expect(r.status, r.stderr).toBe(0);
              };
              git("init", "-q", "--bare", remote);
              git("remote", "add", "origin", remote);
              writeFileSync(join(sb.project, "deploy.js"), content(value));
              git("add", "deploy.js");
              git("commit", "-qm", "deploy config");
            },
          },
        );
        expect(s.run.code, s.diag()).toBe(0);
        const { outputs } = afterCalls(gemini, s, 2);
        for (const o of outputs) expect(o, s.diag()).toMatch(/hookpack blocked this git push/);
        // Nothing reached the remote.
        const refs = spawnSync("git", ["for-each-ref"], { cwd: remote, encoding: "utf8" });
        expect(refs.stdout.trim()).toBe("");
        expect(readFileSync(join(s.sb.project, "deploy.js"), "utf8")).toContain(
          label.includes("reversed") ? value.split("").reverse().join("") : value,
        );
      },
      TEST_TIMEOUT,
    );
  }
});
