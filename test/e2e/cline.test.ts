// End to end: the REAL Cline CLI (the native Bun binary from @cline/cli-linux-<arch>, the platform
// package of `cline` on the npm registry, installed by scripts/setup-e2e.mjs) against a scripted
// fake OpenAI Chat Completions server on loopback, in a temp git repo with hookpack installed by its
// own CLI (.clinerules/hooks/PreToolUse.sh and PostToolUse.sh). The fake server sees exactly what
// the model would see, so "the secret never reaches the model" is an assertion over its request log.
//
// Recipe (checked with strace: no connection but the loopback one to the fake server):
// - `cline auth -p openai-compatible -b URL/v1 -k KEY -m MODEL` selects the fake server (it writes
//   $HOME/.cline/data/settings/providers.json; no login, no network);
// - $HOME/.cline/data/settings/global-settings.json `telemetryOptOut: true`: without it the CLI
//   looks up otel.cline.bot (OpenTelemetry export) on every run;
// - CLINE_SESSION_BACKEND_MODE=local: without it the first run starts a detached "hub" daemon
//   (`cline --cline-hub-daemon … --port N`) that outlives the run; CLINE_NO_AUTO_UPDATE=1;
// - `cline --json "prompt"` runs one task in act mode with auto-approve, no TTY, stdin closed.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAIChat, type FakeServer, type Logged, type Step } from "./fake-models.js";
import { baseEnv, describeRun, e2eClient, fakeGithubToken, HOOKPACK_CJS, installHookpack, makeSandbox, requireBuild, run, type ClientInfo, type RunResult, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 120_000;
const KEEP = process.env.HOOKPACK_E2E_KEEP === "1";
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "3.0.65";

let client: ClientInfo;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  requireBuild();
  client = e2eClient("cline");
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Scenario {
  sb: Sandbox;
  fake: FakeServer;
  run: RunResult;
  /** The --json event lines. */
  events: Array<Record<string, unknown>>;
  /** Cline's own log ($HOME/.cline/data/logs/cline.log), where a cancelled task's reason ends up. */
  log: () => string;
  diag: () => string;
}

async function scenario(
  script: Step[] | ((sb: Sandbox) => Step[]),
  opts: { hooks: boolean; forbid?: string[]; files?: Record<string, string>; setup?: (sb: Sandbox) => void; env?: Record<string, string> },
): Promise<Scenario> {
  const sb = makeSandbox("hookpack-e2e-cline-");
  if (!KEEP) cleanups.push(() => sb.cleanup());
  else console.log(`[e2e] keeping ${sb.root}`);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(sb.project, name), text);
  const steps = typeof script === "function" ? script(sb) : script;
  const fake = await startFakeOpenAIChat({ steps, forbid: opts.forbid });
  cleanups.push(() => fake.close());
  const settings = join(sb.home, ".cline", "data", "settings");
  mkdirSync(settings, { recursive: true });
  writeFileSync(join(settings, "global-settings.json"), `${JSON.stringify({ telemetryOptOut: true, autoUpdateEnabled: false }, null, 2)}\n`);
  const env = { ...baseEnv(sb), HOOKPACK_HOME: sb.hookpackHome, CLINE_SESSION_BACKEND_MODE: "local", CLINE_NO_AUTO_UPDATE: "1", ...opts.env };
  // The provider, configured the way a user would (writes $HOME/.cline/data/settings/providers.json).
  const auth = await run(client.bin, ["auth", "-p", "openai-compatible", "-k", "dummy", "-m", "gpt-fake", "-b", `${fake.url}/v1`], { cwd: sb.project, env, timeoutMs: 60_000 });
  expect(auth.code, `cline auth failed:\n${describeRun(auth)}`).toBe(0);
  if (opts.hooks) {
    const r = await installHookpack(sb, "cline");
    expect(r.code, `hookpack install failed:\n${describeRun(r)}`).toBe(0);
    for (const f of ["PreToolUse.sh", "PostToolUse.sh"]) expect(existsSync(join(sb.project, ".clinerules", "hooks", f)), f).toBe(true);
  }
  opts.setup?.(sb);
  const result = await run(client.bin, ["--json", "-P", "openai-compatible", "-m", "gpt-fake", "run the step"], { cwd: sb.project, env, timeoutMs: 90_000 });
  if (KEEP) writeFileSync(join(sb.root, "requests.json"), JSON.stringify(fake.requests(), null, 2));
  const events: Array<Record<string, unknown>> = [];
  for (const line of result.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not an event line */
    }
  }
  const logFile = join(sb.home, ".cline", "data", "logs", "cline.log");
  const mask = opts.forbid ?? [];
  return { sb, fake, run: result, events, log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""), diag: () => describeRun(result, mask) };
}

const main = (fake: FakeServer) => fake.requests().filter((r) => r.kind === "main");
type Message = { role?: string; content?: unknown; tool_calls?: Array<{ function?: { arguments?: string } }> };
const messages = (r: Logged): Message[] => ((r.body as { messages?: Message[] } | null)?.messages ?? []).filter((m) => m && typeof m === "object");
/** The `role: "tool"` messages of a Chat Completions request: what the model read from each call. */
const toolOutputs = (r: Logged): string[] => messages(r).flatMap((m) => (m.role === "tool" ? [typeof m.content === "string" ? m.content : JSON.stringify(m.content)] : []));
/** The hook context Cline adds after a tool result (a user message), e.g. hookpack's PostToolUse warning. */
const hookContexts = (r: Logged): string[] => messages(r).flatMap((m) => (m.role === "user" && typeof m.content === "string" && m.content.startsWith("<hook_context") ? [m.content] : []));
const runResult = (events: Array<Record<string, unknown>>) => events.find((e) => e.type === "run_result");

function expectNoLeak(fake: FakeServer): void {
  for (const r of fake.requests()) expect(r.leaksOutsideOwnToolCall, `request #${r.seq} ${r.path} (${r.kind}) carries the secret`).toEqual([]);
}

describe("e2e: real Cline CLI + hookpack (cline adapter)", () => {
  it("runs the pinned client version", () => {
    expect(client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the task stops, the token reaches no request",
    async () => {
      const token = fakeGithubToken();
      const marker = "ran-marker";
      const { sb, fake, run: r, events, log, diag } = await scenario([{ text: "Checking.", call: { name: "run_commands", args: { commands: [`touch ${marker} && echo ${token}`] } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
      });
      console.log(`[e2e] cline ${client.version} literal-token scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      // Cline 3.0.65 exits 0 on a cancelled task.
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.project, marker)), `the command ran\n${diag()}`).toBe(false);
      // `cancel` stops the task: the model gets no further request, so it is NOT told why (Cline's
      // file hooks cannot skip one call and let the model continue).
      expect(main(fake).map((q) => q.step), diag()).toEqual([0]);
      expect(runResult(events)?.finishReason, diag()).toBe("aborted");
      // The reason is only in Cline's own log; the CLI prints "aborted by another client".
      expect(log()).toContain("hookpack blocked this run_commands call: its input contains a GitHub token");
      expect(r.stdout).not.toContain("hookpack blocked");
      expect(log().includes(token), "Cline's log carries the token").toBe(false);
      expectNoLeak(fake);
      for (const q of fake.requests()) expect(q.leaks, `request #${q.seq}`).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent with read_files, does not reach the model (the read is cancelled)",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, events, log, diag } = await scenario((sb) => [{ text: "Reading.", call: { name: "read_files", args: { files: [{ path: join(sb.project, "config.env") }] } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "config.env": `HOST=example.test\nGH_TOKEN=${token}\n` },
      });
      console.log(`[e2e] cline ${client.version} read_files scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      expect(main(fake).map((q) => q.step), diag()).toEqual([0]);
      expect(runResult(events)?.finishReason, diag()).toBe("aborted");
      expect(log()).toContain("hookpack blocked this read_files call before it read anything: config.env holds a GitHub token");
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same read_files call leaks and the leak check fires",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario((sb) => [{ text: "Reading.", call: { name: "read_files", args: { files: [{ path: join(sb.project, "config.env") }] } } }, { text: "Done." }], {
        hooks: false,
        forbid: [token],
        files: { "config.env": `HOST=example.test\nGH_TOKEN=${token}\n` },
      });
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      expect(toolOutputs(second!).join("\n")).toContain("HOST=example.test");
      expect(second!.leaksOutsideOwnToolCall).toEqual([token]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { fake, run: r, events, diag } = await scenario([{ text: "Hello.", call: { name: "run_commands", args: { commands: ["echo hello-e2e"] } } }, { text: "Done." }], { hooks: true });
      console.log(`[e2e] cline ${client.version} allow path: ${r.ms} ms`);
      expect(r.code, diag()).toBe(0);
      expect(runResult(events)?.finishReason, diag()).toBe("completed");
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toContain("hello-e2e");
      expect(outputs[0]).not.toContain("hookpack");
      expect(hookContexts(second!)).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time: Cline cannot replace the output, so the model sees it, followed by hookpack's warning",
    async () => {
      const token = fakeGithubToken();
      // The script holds the token in two halves, so nothing before the run can see it.
      const script = `printf 'HOST=example.test\\nGH_TOKEN=%s%s\\n' '${token.slice(0, 10)}' '${token.slice(10)}'\n`;
      const { fake, run: r, diag } = await scenario([{ text: "Running.", call: { name: "run_commands", args: { commands: ["sh show.sh"] } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "show.sh": script },
      });
      console.log(`[e2e] cline ${client.version} run-time output scenario: ${r.ms} ms`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      // The documented limitation (README, Cline row): the output reaches the model unredacted ...
      expect(toolOutputs(second!).join("\n")).toContain(`GH_TOKEN=${token}`);
      expect(second!.leaksOutsideOwnToolCall).toEqual([token]);
      // ... and hookpack's PostToolUse context tells the model not to repeat it.
      const contexts = hookContexts(second!);
      expect(contexts, diag()).toHaveLength(1);
      expect(contexts[0]).toContain('source="PostToolUse"');
      expect(contexts[0]).toContain("hookpack found secret(s) in this run_commands output.");
      expect(contexts[0]).toContain("reached you unredacted. Do not repeat");
    },
    TEST_TIMEOUT,
  );

  const policy = { version: 1, secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf", "echo"], approval: "auto" } } };
  function storeSecret(box: Sandbox, value: string): void {
    writeFileSync(join(box.project, "hookpack.json"), `${JSON.stringify(policy, null, 2)}\n`);
    const set = spawnSync(process.execPath, [HOOKPACK_CJS, "secret", "set", "DEPLOY_KEY"], { input: value, encoding: "utf8", env: { PATH: process.env.PATH, HOME: box.home, HOOKPACK_HOME: box.hookpackHome, HOOKPACK_KEY_BACKEND: "file" } });
    expect(set.status, set.stderr).toBe(0);
  }

  it(
    "brokers a $secret: reference (overrideInput): the command runs with the value, its echo comes back masked by the broker; no request carries the value",
    async () => {
      const value = `Vv${randomBytes(18).toString("hex")}`;
      const forbid = [value, Buffer.from(value).toString("base64"), Buffer.from(value).toString("hex")];
      const { fake, run: r, diag } = await scenario(
        [
          { text: "Hashing.", call: { name: "run_commands", args: { commands: ['printf %s "$secret:DEPLOY_KEY" | sha256sum'] } } },
          { text: "Printing.", call: { name: "run_commands", args: { commands: ["echo key=$secret:DEPLOY_KEY"] } } },
          { text: "Done." },
        ],
        { hooks: true, forbid, env: { HOOKPACK_KEY_BACKEND: "file" }, setup: (box) => storeSecret(box, value) },
      );
      console.log(`[e2e] cline ${client.version} $secret: scenario: ${r.ms} ms`);
      expect(r.code, diag()).toBe(0);
      for (const q of fake.requests()) {
        const hits = forbid.filter((f) => q.rawBody.includes(f));
        expect(hits, `request #${q.seq} carries the value`).toEqual([]);
      }
      const last = main(fake).at(-1)!;
      expect(last.step, diag()).toBe(2);
      const outputs = toolOutputs(last);
      expect(outputs).toHaveLength(2);
      expect(outputs[0], diag()).toContain(createHash("sha256").update(value).digest("hex"));
      expect(outputs[1]).toContain("key=[REDACTED:DEPLOY_KEY]");
      // The rewrite ran (Cline reports the command it ran as the result's `query`) ...
      expect(outputs[0]).toMatch(/hookpack\.cjs' exec --grant \S+ --secret DEPLOY_KEY=HOOKPACK_SECRET_DEPLOY_KEY/);
      // ... while the history keeps the model's own call.
      const args = messages(last).flatMap((m) => (m.role === "assistant" ? (m.tool_calls ?? []).map((c) => c.function?.arguments ?? "") : []));
      expect(args.map((a) => JSON.parse(a) as unknown)).toEqual([{ commands: ['printf %s "$secret:DEPLOY_KEY" | sha256sum'] }, { commands: ["echo key=$secret:DEPLOY_KEY"] }]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a $secret: reference the policy denies is cancelled before it runs",
    async () => {
      const value = `Vv${randomBytes(18).toString("hex")}`;
      const { sb, fake, run: r, events, log, diag } = await scenario(
        [{ text: "Uploading.", call: { name: "run_commands", args: { commands: ['touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/'] } } }, { text: "Done." }],
        { hooks: true, forbid: [value], env: { HOOKPACK_KEY_BACKEND: "file" }, setup: (box) => storeSecret(box, value) },
      );
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.project, "sent")), `the command ran\n${diag()}`).toBe(false);
      expect(main(fake).map((q) => q.step), diag()).toEqual([0]);
      expect(runResult(events)?.finishReason, diag()).toBe("aborted");
      expect(log()).toContain("does not allow this use of $secret:DEPLOY_KEY: `curl` is not among its allowed commands");
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );
});
