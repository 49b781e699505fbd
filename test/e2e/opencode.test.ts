// End to end: the REAL OpenCode client (native Bun binary from `opencode-ai` on the npm registry,
// installed by scripts/setup-e2e.mjs), run headless (`opencode run --format json`) against a
// scripted fake OpenAI Chat Completions server on loopback (a custom provider with
// npm "@ai-sdk/openai-compatible", which the binary bundles), in a temp git repo with hookpack
// installed by its own CLI (.opencode/plugins/hookpack.js). The fake server sees exactly what the
// model would see, so "the secret never reaches the model" is an assertion over its request log.
//
// Offline, OpenCode 1.18.33 needs:
// - OPENCODE_DISABLE_MODELS_FETCH=1 (else it fetches models.dev at start and every 60 minutes);
// - OPENCODE_DISABLE_AUTOUPDATE=1 / "autoupdate": false, OPENCODE_DISABLE_SHARE=1 / "share": "disabled";
// - each config dir it finds (~/.config/opencode, <project>/.opencode) gets a background
//   `npm install @opencode-ai/plugin` (Arborist, against registry.npmjs.org) unless that dir has a
//   node_modules/ and a package-lock.json whose root lists every dependency of its package.json:
//   seedConfigDir() pre-seeds exactly that, and every scenario checks that no npm cache appeared.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAIChat, type FakeServer, type Logged, type Step } from "./fake-models.js";
import { baseEnv, describeRun, e2eClient, fakeGithubToken, HOOKPACK_CJS, installHookpack, makeSandbox, requireBuild, run, type ClientInfo, type RunResult, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const KEEP = process.env.HOOKPACK_E2E_KEEP === "1";
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "1.18.33";

let client: ClientInfo;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  requireBuild();
  client = e2eClient("opencode");
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The user config: one custom provider pointing at the fake server, nothing that phones home. */
function opencodeConfig(url: string): string {
  const config = {
    $schema: "https://opencode.ai/config.json",
    model: "fake/gpt-fake",
    small_model: "fake/gpt-fake",
    autoupdate: false,
    share: "disabled",
    provider: {
      fake: {
        npm: "@ai-sdk/openai-compatible",
        name: "Fake",
        options: { baseURL: `${url}/v1`, apiKey: "dummy" },
        models: { "gpt-fake": { name: "gpt-fake", tool_call: true } },
      },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Makes OpenCode's dependency check for a config dir pass, so it installs nothing from the registry. */
function seedConfigDir(dir: string): void {
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  const deps = { "@opencode-ai/plugin": "*" };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ dependencies: deps }, null, 2)}\n`);
  writeFileSync(join(dir, "package-lock.json"), `${JSON.stringify({ lockfileVersion: 3, packages: { "": { dependencies: deps } } }, null, 2)}\n`);
}

interface Scenario {
  sb: Sandbox;
  fake: FakeServer;
  run: RunResult;
  /** `opencode run --format json` events (one JSON object a line). */
  events: Array<Record<string, unknown>>;
  diag: () => string;
}

async function scenario(
  script: Step[] | ((sb: Sandbox) => Step[]),
  opts: { hooks: boolean; forbid?: string[]; files?: Record<string, string>; setup?: (sb: Sandbox) => void; env?: Record<string, string> },
): Promise<Scenario> {
  const sb = makeSandbox("hookpack-e2e-opencode-");
  if (!KEEP) cleanups.push(() => sb.cleanup());
  else console.log(`[e2e] keeping ${sb.root}`);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(sb.project, name), text);
  const steps = typeof script === "function" ? script(sb) : script;
  const fake = await startFakeOpenAIChat({ steps, forbid: opts.forbid });
  cleanups.push(() => fake.close());
  const xdg = { XDG_CONFIG_HOME: join(sb.home, ".config"), XDG_DATA_HOME: join(sb.home, ".local", "share"), XDG_CACHE_HOME: join(sb.home, ".cache"), XDG_STATE_HOME: join(sb.home, ".local", "state") };
  for (const d of Object.values(xdg)) mkdirSync(d, { recursive: true });
  const configDir = join(xdg.XDG_CONFIG_HOME, "opencode");
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, "opencode.json"), opencodeConfig(fake.url));
  seedConfigDir(configDir);
  if (opts.hooks) {
    const r = await installHookpack(sb, "opencode");
    expect(r.code, `hookpack install failed:\n${describeRun(r)}`).toBe(0);
    expect(readFileSync(join(sb.project, ".opencode", "plugins", "hookpack.js"), "utf8")).toContain('"tool.execute.before"');
    seedConfigDir(join(sb.project, ".opencode"));
  }
  opts.setup?.(sb);
  const env = {
    ...baseEnv(sb),
    ...xdg,
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_SHARE: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    HOOKPACK_HOME: sb.hookpackHome,
    ...opts.env,
  };
  const result = await run(client.bin, ["run", "--format", "json", "run the step"], { cwd: sb.project, env, timeoutMs: 150_000 });
  if (KEEP) writeFileSync(join(sb.root, "requests.json"), JSON.stringify(fake.requests(), null, 2));
  const events: Array<Record<string, unknown>> = [];
  for (const line of result.stdout.split("\n")) {
    try {
      if (line.trim().startsWith("{")) events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not an event line */
    }
  }
  const mask = opts.forbid ?? [];
  // Offline check: OpenCode's dependency installer (Arborist) would have left an npm cache here.
  expect(existsSync(join(sb.home, ".npm")), `OpenCode tried to install packages from the registry\n${describeRun(result, mask)}`).toBe(false);
  return { sb, fake, run: result, events, diag: () => describeRun(result, mask) };
}

const main = (fake: FakeServer) => fake.requests().filter((r) => r.kind === "main");

type ChatMessage = { role?: string; content?: unknown; tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }> };
const messages = (r: Logged): ChatMessage[] => ((r.body as { messages?: ChatMessage[] } | null)?.messages ?? []);

/** The role:"tool" messages of a Chat Completions request: what the model read from each tool call. */
function toolOutputs(r: Logged): string[] {
  return messages(r).flatMap((m) => (m.role === "tool" ? [typeof m.content === "string" ? m.content : JSON.stringify(m.content)] : []));
}

/** The arguments of the tool calls in the request's history, as OpenCode sends them back to the model. */
function historyCalls(r: Logged): Array<Record<string, unknown>> {
  return messages(r).flatMap((m) => (m.role === "assistant" ? (m.tool_calls ?? []).map((c) => JSON.parse(c.function?.arguments ?? "{}") as Record<string, unknown>) : []));
}

function expectNoLeak(fake: FakeServer): void {
  for (const r of fake.requests()) expect(r.leaksOutsideOwnToolCall, `request #${r.seq} ${r.path} (${r.kind}) carries the secret`).toEqual([]);
}

describe("e2e: real OpenCode + hookpack (opencode adapter, plugin)", () => {
  it("runs the pinned client version", () => {
    expect(client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const token = fakeGithubToken();
      const marker = "ran-marker";
      const cmd = `touch ${marker} && echo ${token}`;
      const { sb, fake, run: r, events, diag } = await scenario([{ text: "Checking.", call: { name: "bash", args: { command: cmd, description: "check" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
      });
      console.log(`[e2e] opencode ${client.version} literal-token scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.project, marker)), `the command ran\n${diag()}`).toBe(false);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, `no second model request\n${diag()}`).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      // The plugin's thrown Error: OpenCode marks the call failed and gives the model the message verbatim.
      expect(outputs[0]).toMatch(/^hookpack blocked this bash call/);
      expect(outputs[0]).toContain("$secret:");
      expect(outputs[0]).not.toContain(token);
      // The check is live: the raw body carries the token inside the fake model's own call.
      expect(second!.leaks).toEqual([token]);
      expectNoLeak(fake);
      const toolEvent = events.find((e) => e.type === "tool_use") as { part?: { state?: { status?: string } } } | undefined;
      expect(toolEvent?.part?.state?.status, diag()).toBe("error");
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent with the read tool and with cat, does not reach the model",
    async () => {
      const token = fakeGithubToken();
      // Not *.env: OpenCode's default permissions already auto-reject the read tool on *.env files
      // in `opencode run` (cat through bash is allowed); this file is hookpack's job alone.
      const { fake, run: r, diag } = await scenario(
        (sb) => [
          { text: "Reading.", call: { name: "read", args: { filePath: join(sb.project, "deploy.conf") } } },
          { text: "Reading again.", call: { name: "bash", args: { command: "cat deploy.conf", description: "show config" } } },
          { text: "Done." },
        ],
        { hooks: true, forbid: [token], files: { "deploy.conf": `HOST=example.test\nGH_TOKEN=${token}\n` } },
      );
      console.log(`[e2e] opencode ${client.version} file-read scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      const last = main(fake).find((q) => q.step === 2);
      expect(last, diag()).toBeDefined();
      const outputs = toolOutputs(last!);
      expect(outputs).toHaveLength(2);
      // The read guard stops both reads before the content exists anywhere in the agent.
      expect(outputs[0]).toMatch(/^hookpack blocked this read call before it read anything: deploy.conf holds a GitHub token/);
      expect(outputs[1]).toMatch(/^hookpack blocked this bash call before it read anything: deploy.conf holds a GitHub token/);
      for (const q of fake.requests()) expect(q.leaks, `request #${q.seq} carries the token`).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time reaches the model redacted (tool.execute.after rewrites the result in place)",
    async () => {
      const token = fakeGithubToken();
      // The script holds the token in two halves, so nothing before the run can see it.
      const script = `printf 'HOST=example.test\\nGH_TOKEN=%s%s\\n' '${token.slice(0, 10)}' '${token.slice(10)}'\n`;
      const { fake, run: r, events, diag } = await scenario([{ text: "Running.", call: { name: "bash", args: { command: "sh show.sh", description: "show" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "show.sh": script },
      });
      console.log(`[e2e] opencode ${client.version} output-redaction scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      // The redacted copy replaces the output itself (not a notice beside it).
      expect(outputs[0]).toBe("HOST=example.test\nGH_TOKEN=[REDACTED:github]\n");
      for (const q of fake.requests()) expect(q.leaks, `request #${q.seq} carries the token`).toEqual([]);
      // The same object is what OpenCode reports (and stores) as the call's result.
      expect(JSON.stringify(events).includes(token)).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hookpack installed and its output reaches the model unchanged",
    async () => {
      const { fake, run: r, diag } = await scenario([{ text: "Hello.", call: { name: "bash", args: { command: "echo hello-e2e", description: "greet" } } }, { text: "Done." }], { hooks: true });
      console.log(`[e2e] opencode ${client.version} allow path: ${r.ms} ms`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toEqual(["hello-e2e\n"]);
      expect(historyCalls(second!)).toEqual([{ command: "echo hello-e2e", description: "greet" }]);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same reads leak and the leak check fires",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario(
        (sb) => [
          { text: "Reading.", call: { name: "read", args: { filePath: join(sb.project, "deploy.conf") } } },
          { text: "Reading again.", call: { name: "bash", args: { command: "cat deploy.conf", description: "show config" } } },
          { text: "Done." },
        ],
        { hooks: false, forbid: [token], files: { "deploy.conf": `GH_TOKEN=${token}\n` } },
      );
      expect(r.code, diag()).toBe(0);
      const last = main(fake).find((q) => q.step === 2);
      expect(last, diag()).toBeDefined();
      expect(last!.leaksOutsideOwnToolCall).toEqual([token]);
      const outputs = toolOutputs(last!);
      expect(outputs).toHaveLength(2);
      expect(outputs.every((o) => o.includes(token)), "both the read tool and cat hand the model the token").toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "brokers a $secret: reference: the command runs with the value, its echo comes back masked, a reference the policy denies is blocked; no request carries the value",
    async () => {
      const value = `Vv${randomBytes(18).toString("hex")}`;
      const forbid = [value, Buffer.from(value).toString("base64"), Buffer.from(value).toString("hex")];
      const policy = { version: 1, secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf", "echo"], approval: "auto" } } };
      const hashing = 'printf %s "$secret:DEPLOY_KEY" | sha256sum';
      const { sb, fake, run: r, diag } = await scenario(
        [
          { text: "Hashing.", call: { name: "bash", args: { command: hashing, description: "hash" } } },
          { text: "Printing.", call: { name: "bash", args: { command: "echo key=$secret:DEPLOY_KEY", description: "print" } } },
          { text: "Uploading.", call: { name: "bash", args: { command: 'touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/', description: "upload" } } },
          { text: "Done." },
        ],
        {
          hooks: true,
          forbid,
          env: { HOOKPACK_KEY_BACKEND: "file" },
          setup: (box) => {
            writeFileSync(join(box.project, "hookpack.json"), `${JSON.stringify(policy, null, 2)}\n`);
            const set = spawnSync(process.execPath, [HOOKPACK_CJS, "secret", "set", "DEPLOY_KEY"], { input: value, encoding: "utf8", env: { PATH: process.env.PATH, HOME: box.home, HOOKPACK_HOME: box.hookpackHome, HOOKPACK_KEY_BACKEND: "file" } });
            expect(set.status, set.stderr).toBe(0);
          },
        },
      );
      console.log(`[e2e] opencode ${client.version} broker scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      for (const q of fake.requests()) {
        const hits = forbid.filter((f) => q.rawBody.includes(f));
        expect(hits, `request #${q.seq} carries the value`).toEqual([]);
      }
      const last = main(fake).find((q) => q.step === 3);
      expect(last, diag()).toBeDefined();
      const outputs = toolOutputs(last!);
      expect(outputs).toHaveLength(3);
      expect(outputs[0], diag()).toContain(createHash("sha256").update(value).digest("hex"));
      expect(outputs[1]).toBe("key=[REDACTED:DEPLOY_KEY]\n");
      expect(outputs[2]).toMatch(/^hookpack blocked this command: the project policy .* does not allow this use of \$secret:DEPLOY_KEY/);
      expect(existsSync(join(sb.project, "sent"))).toBe(false);
      // Unlike Claude Code, Codex and Gemini, OpenCode builds the history from the args object the
      // plugin rewrote in place: the model reads back the brokered command (names and a spent
      // single-use grant, no value), not the reference it wrote.
      const calls = historyCalls(last!);
      expect(String(calls[0]!.command)).toMatch(/hookpack\.cjs' exec --grant g_\w+ --secret DEPLOY_KEY=HOOKPACK_SECRET_DEPLOY_KEY -- bash -c/);
      expect(calls[2]!.command).toBe('touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/');
    },
    TEST_TIMEOUT,
  );
});
