// End to end, the persistent relay: `hookpack install --agent claude-code --relay` writes
// env.ANTHROPIC_BASE_URL into the user's ~/.claude/settings.json, pointing at the relay the broker
// process serves (`hookpack broker start`); hookpack's tool hooks are then uninstalled. The REAL
// Claude Code client, started directly (no `hookpack run`, no base URL in its environment), prints a
// managed value and a detected token with a tool: the relay replaces both before the request
// leaves, so the fake Anthropic server (behind a local TLS front) never sees either. With the relay
// stopped, the same run fails closed: the client's requests meet a closed port, nothing reaches the
// server, and `doctor` says the relay is down. `uninstall --relay` takes the setting out again.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectNoRequestCarries, useE2e } from "./harness.js";
import { baseEnv, describeRun, HOOKPACK_CJS, run, type Sandbox } from "./helpers.js";
import {
  CLAUDE_RUN_ARGS,
  claudeEnv,
  claudeRelayScene,
  claudeToolOutputs,
  expectReplacedOutput,
} from "./relay-harness.js";

const TEST_TIMEOUT = 240_000;
const e2e = useE2e("claude-code");

const hookpack = (sb: Sandbox, args: string[]) =>
  run(process.execPath, [HOOKPACK_CJS, ...args], {
    cwd: sb.project,
    env: {
      ...baseEnv(sb),
      HOOKPACK_HOME: sb.hookpackHome,
      HOOKPACK_KEY_BACKEND: "file",
      CI: "true",
    },
    timeoutMs: 60_000,
  });

const relayCheck = (doctorJson: string) =>
  (
    JSON.parse(doctorJson) as { checks: Array<{ id: string; status: string; message: string }> }
  ).checks.find((c) => c.id === "relay");

describe("e2e: real Claude Code + hookpack's persistent relay (install --relay, broker start; no tool hooks)", () => {
  it(
    "a managed value and a token printed by a tool never reach the server; with the relay down the client fails closed and doctor says so",
    async () => {
      const { sb, fake, front, ca, forbid } = await claudeRelayScene(e2e);
      e2e.defer(async () => void (await hookpack(sb, ["broker", "stop"])));

      const install = await hookpack(sb, [
        "install",
        "--agent",
        "claude-code",
        "--scope",
        "project",
        "--relay",
        "--relay-upstream",
        front.url,
        "--relay-ca",
        ca,
      ]);
      expect(install.code, describeRun(install)).toBe(0);
      const userSettings = join(sb.home, ".claude", "settings.json");
      const base = (
        JSON.parse(readFileSync(userSettings, "utf8")) as { env: { ANTHROPIC_BASE_URL: string } }
      ).env.ANTHROPIC_BASE_URL;
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/claude-code$/);
      // The tool hooks go; the relay setting (per user) stays.
      const un = await hookpack(sb, ["uninstall", "--agent", "claude-code", "--scope", "project"]);
      expect(un.code, describeRun(un)).toBe(0);
      expect(readFileSync(userSettings, "utf8")).toContain(base);
      for (const f of ["settings.json", "settings.local.json"]) {
        const p = join(sb.project, ".claude", f);
        expect(existsSync(p) && readFileSync(p, "utf8").includes("hookpack"), f).toBe(false);
      }

      const start = await hookpack(sb, ["broker", "start"]);
      expect(start.code, describeRun(start)).toBe(0);
      expect(start.stdout).toContain("model-request relay on 127.0.0.1:");
      const doctorUp = await hookpack(sb, ["doctor", "--json"]);
      expect(relayCheck(doctorUp.stdout)?.status, doctorUp.stdout).toBe("ok");

      const env = claudeEnv(sb);
      const claude = CLAUDE_RUN_ARGS;
      const r = await run(e2e.client.bin, claude, { cwd: sb.project, env, timeoutMs: 120_000 });
      console.log(
        `[e2e] claude ${e2e.client.version} persistent relay: ${r.ms} ms, ${fake.requests().length} requests`,
      );
      expect(r.code, describeRun(r, forbid)).toBe(0);
      expect(fake.requests().length).toBeGreaterThan(0);
      expectNoRequestCarries(fake.requests(), forbid, "secret");
      expectReplacedOutput(claudeToolOutputs(fake), () => describeRun(r, forbid));

      // The relay down: the client cannot reach its model, and nothing goes out directly.
      const stop = await hookpack(sb, ["broker", "stop"]);
      expect(stop.code).toBe(0);
      const seen = fake.requests().length;
      const down = await run(e2e.client.bin, claude, {
        cwd: sb.project,
        env: { ...env, API_TIMEOUT_MS: "5000", CLAUDE_CODE_MAX_RETRIES: "0" },
        // Claude retries a refused connection for a long while: 20 s without an answer is the point.
        timeoutMs: 20_000,
      });
      console.log(`[e2e] relay down: exit ${down.code} signal ${down.signal} after ${down.ms} ms`);
      expect(down.code, describeRun(down, forbid)).not.toBe(0);
      expect(fake.requests().length).toBe(seen);
      const doctorDown = await hookpack(sb, ["doctor", "--json"]);
      expect(relayCheck(doctorDown.stdout)?.status).toBe("fail");
      expect(relayCheck(doctorDown.stdout)?.message).toContain("is not running");

      // uninstall --relay takes out exactly the setting install wrote (the file was hookpack's).
      const unRelay = await hookpack(sb, ["uninstall", "--agent", "claude-code", "--relay"]);
      expect(unRelay.code, describeRun(unRelay)).toBe(0);
      expect(existsSync(userSettings)).toBe(false);
      expect(existsSync(join(sb.hookpackHome, "relay.json"))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
