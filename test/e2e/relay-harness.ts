// What the relay end-to-end tests share. For the clients on fake-models.ts (Codex, Gemini CLI): a
// client run through `hookpack run --relay` against a local TLS front, the persistent relay
// (`install --relay` then `broker start`), and the three tests (the relay replaces a managed value
// and a token printed by a tool; the negative control without it; the persistent relay). Each test
// file keeps only what is its client's own: how it is started, its config, its tool call. For
// Claude Code (claude-code-relay*.test.ts): the scene (a stored value and a token in deploy.txt,
// the fake Anthropic server scripted to cat it, behind a TLS front), the client's environment and
// arguments, and the check of the tool output the server was sent back.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAnthropic } from "./fake-anthropic.js";
import { startTlsFront } from "./fake-models.js";
import {
  CLAUDE_ARGS,
  expectNoRequestCarries,
  forbiddenForms,
  randomValue,
  storeSecret,
  type Agent,
  type E2e,
  type ToolCall,
} from "./harness.js";
import {
  baseEnv,
  describeRun,
  fakeGithubToken,
  HOOKPACK_CJS,
  run,
  toolResults,
  toolResultText,
  type Sandbox,
} from "./helpers.js";

const TEST_TIMEOUT = 180_000;

export type RelayOptions = { relay: boolean; persistent?: boolean };
type RelayAgent = Agent<object, RelayOptions>;

/** The fake server behind a local TLS front; its CA in `<root>/ca.pem`. The upstream is `front.url + path`. */
async function tlsFront(agent: RelayAgent, sb: Sandbox, fakeUrl: string, path: string) {
  const front = await startTlsFront(fakeUrl);
  agent.e2e.defer(() => front.close());
  const ca = join(sb.root, "ca.pem");
  writeFileSync(ca, front.cert);
  return { upstream: `${front.url}${path}`, ca };
}

/** `hookpack run --relay --upstream <TLS front><path> --upstream-ca <its CA> -- <command…>`. */
export async function runThroughRelay(
  agent: RelayAgent,
  c: { sb: Sandbox; env: Record<string, string>; fakeUrl: string; path: string },
  command: string[],
) {
  const { upstream, ca } = await tlsFront(agent, c.sb, c.fakeUrl, c.path);
  const args = ["run", "--relay", "--upstream", upstream, "--upstream-ca", ca, "--", ...command];
  return run(process.execPath, [HOOKPACK_CJS, ...args], {
    cwd: c.sb.project,
    env: c.env,
    timeoutMs: 120_000,
  });
}

/**
 * `install --agent <name> --scope project --relay` (its hooks then uninstalled, the relay setting
 * kept) and `broker start`: the client then runs on its own config, pointed at the broker's relay.
 */
export async function persistentRelay(
  agent: RelayAgent,
  c: { sb: Sandbox; env: Record<string, string>; fakeUrl: string; path: string },
) {
  const { upstream, ca } = await tlsFront(agent, c.sb, c.fakeUrl, c.path);
  const cli = (args: string[]) =>
    run(process.execPath, [HOOKPACK_CJS, ...args], {
      cwd: c.sb.project,
      env: { ...c.env, CI: "true" },
      timeoutMs: 60_000,
    });
  agent.e2e.defer(async () => void (await cli(["broker", "stop"])));
  const project = ["--agent", agent.name, "--scope", "project"];
  for (const args of [
    ["install", ...project, "--relay", "--relay-upstream", upstream, "--relay-ca", ca],
    ["uninstall", ...project],
    ["broker", "start"],
  ]) {
    const r = await cli(args);
    expect(r.code, `hookpack ${args.join(" ")}:\n${describeRun(r)}`).toBe(0);
  }
}

/** A managed value, stored as DEPLOY_KEY, and a token, both in the project's deploy.txt. */
function secretsOnDisk() {
  const value = randomValue();
  const token = fakeGithubToken();
  const forbid = [...forbiddenForms(value), token];
  return { value, token, forbid, files: { "deploy.txt": `key=${value}\ntoken=${token}\n` } };
}

/** The tool call prints a managed value and a token; hookpack's tool hooks are not installed. */
async function scenario(agent: RelayAgent, call: ToolCall, relay: boolean, persistent = false) {
  const { value, token, forbid, files } = secretsOnDisk();
  const s = await agent.scenario([{ text: "Reading.", call }, { text: "Done." }], {
    hooks: false,
    relay,
    persistent,
    forbid,
    files,
    setup: (sb) => storeSecret(sb, "DEPLOY_KEY", value),
  });
  return { ...s, value, token, forbid };
}

/** The tool output the model was sent back (`outputs`, all of them as text), with both replaced. */
export function expectReplacedOutput(outputs: string[], diag: () => string) {
  const out = outputs.find((t) => t.includes("key="));
  expect(out, diag()).toBeDefined();
  expect(out).toContain("key=[REDACTED:DEPLOY_KEY]");
  expect(out).toContain("token=[REDACTED:github-pat]");
}

const outputsOf = (
  agent: RelayAgent,
  s: { fake: { requests(): Parameters<RelayAgent["toolOutputs"]>[0][] } },
) => s.fake.requests().flatMap((q) => agent.toolOutputs(q));

/**
 * Claude Code's relay scene: a sandbox with DEPLOY_KEY stored and deploy.txt holding it and a
 * token, the fake Anthropic server scripted to `cat deploy.txt`, behind a TLS front (its CA in
 * `<root>/ca.pem`).
 */
export async function claudeRelayScene(e2e: E2e) {
  const sb = e2e.sandbox();
  const { value, token, forbid, files } = secretsOnDisk();
  storeSecret(sb, "DEPLOY_KEY", value);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(sb.project, name), text);
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
  const ca = join(sb.root, "ca.pem");
  writeFileSync(ca, front.cert);
  return { sb, value, token, forbid, fake, front, ca };
}

/** The Claude Code client's environment for a headless run against a fake server. */
export const claudeEnv = (sb: Sandbox): Record<string, string> => ({
  ...baseEnv(sb),
  ANTHROPIC_API_KEY: ["sk", "ant", "e2e", "dummy"].join("-"),
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  DISABLE_TELEMETRY: "1",
  DISABLE_ERROR_REPORTING: "1",
  DISABLE_AUTOUPDATER: "1",
  HOOKPACK_HOME: sb.hookpackHome,
});

/** Claude Code's arguments for one headless run on "run the step". */
export const CLAUDE_RUN_ARGS = [
  "-p",
  "run the step",
  "--output-format",
  "stream-json",
  "--verbose",
  "--no-session-persistence",
  ...CLAUDE_ARGS,
];

/** The tool results the fake Anthropic server was sent, as text. */
export const claudeToolOutputs = (fake: { requests(): Array<{ body: unknown }> }): string[] =>
  fake
    .requests()
    .flatMap((q) => toolResults(q.body))
    .map(toolResultText);

/**
 * The relay tests of one client: `call` is its shell tool reading deploy.txt, `notice` what
 * `hookpack run --relay` says on stderr when it points this client at the relay.
 */
export function relayTests(
  agent: RelayAgent,
  spec: { displayName: string; call: ToolCall; notice: string },
) {
  describe(`e2e: real ${spec.displayName} + hookpack's model-request relay (no tool hooks installed)`, () => {
    it(
      "a managed value and a token printed by a tool never reach the server: the relay replaces them in the request",
      async () => {
        const s = await scenario(agent, spec.call, true);
        console.log(
          `[e2e] ${agent.name} ${agent.client.version} relay scenario: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
        );
        expect(s.run.code, s.diag()).toBe(0);
        expect(s.run.stderr).toContain(spec.notice);
        expectNoRequestCarries(s.fake.requests(), s.forbid, "secret");
        expectReplacedOutput(outputsOf(agent, s), s.diag);
        expect(s.run.stderr).toMatch(/the relay replaced [1-9]\d* secret\(s\)/);
      },
      TEST_TIMEOUT,
    );

    it(
      "negative control: the same run without the relay sends both to the server",
      async () => {
        const s = await scenario(agent, spec.call, false);
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
        const s = await scenario(agent, spec.call, true, true);
        console.log(
          `[e2e] ${agent.name} ${agent.client.version} persistent relay: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
        );
        expect(s.run.code, s.diag()).toBe(0);
        expect(s.fake.requests().length, s.diag()).toBeGreaterThan(0);
        expectNoRequestCarries(s.fake.requests(), s.forbid, "secret");
        expectReplacedOutput(outputsOf(agent, s), s.diag);
      },
      TEST_TIMEOUT,
    );
  });
}
