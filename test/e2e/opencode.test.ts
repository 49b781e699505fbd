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
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeOpenAIChat, type Logged, type Step } from "./fake-models.js";
import {
  afterCalls,
  brokerRun,
  defineAgent,
  expectNoLeak,
  expectNoRequestCarries,
  harmlessRun,
  literalTokenBlocked,
  runTimeTokenRun,
  runTimeTokenScript,
  tokenFileLeaks,
  tokenFileRun,
  type ToolCall,
} from "./harness.js";
import { run, type Sandbox } from "./helpers.js";
import { fakeGithubToken } from "../helpers/fake-secrets.js";

/** Files under `dir` whose raw bytes hold `needle` (a SQLite file and its -wal included). */
function filesHolding(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => readFileSync(f).toString("latin1").includes(needle));
}

const TEST_TIMEOUT = 180_000;
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "1.18.33";

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
  writeFileSync(
    join(dir, "package-lock.json"),
    `${JSON.stringify({ lockfileVersion: 3, packages: { "": { dependencies: deps } } }, null, 2)}\n`,
  );
}

const xdg = (sb: Sandbox) => ({
  XDG_CONFIG_HOME: join(sb.home, ".config"),
  XDG_DATA_HOME: join(sb.home, ".local", "share"),
  XDG_CACHE_HOME: join(sb.home, ".cache"),
  XDG_STATE_HOME: join(sb.home, ".local", "state"),
});

const opencode = defineAgent({
  name: "opencode",
  startFake: startFakeOpenAIChat,
  env: (sb) => ({
    ...xdg(sb),
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_SHARE: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
  }),
  configure: ({ sb, fake }) => {
    const dirs = xdg(sb);
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    const configDir = join(dirs.XDG_CONFIG_HOME, "opencode");
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, "opencode.json"), opencodeConfig(fake.url));
    seedConfigDir(configDir);
  },
  checkInstall: (sb) => {
    expect(readFileSync(join(sb.project, ".opencode", "plugins", "hookpack.js"), "utf8")).toContain(
      '"tool.execute.before"',
    );
    seedConfigDir(join(sb.project, ".opencode"));
  },
  run: ({ client, sb, env }) =>
    run(client.bin, ["run", "--format", "json", "run the step"], {
      cwd: sb.project,
      env,
      timeoutMs: 150_000,
    }),
  collect: ({ sb, run: result, diag }) => {
    /** `opencode run --format json` events (one JSON object a line). */
    const events: Array<Record<string, unknown>> = [];
    for (const line of result.stdout.split("\n")) {
      try {
        if (line.trim().startsWith("{")) events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not an event line */
      }
    }
    // Offline check: OpenCode's dependency installer (Arborist) would have left an npm cache here.
    expect(
      existsSync(join(sb.home, ".npm")),
      `OpenCode tried to install packages from the registry\n${diag()}`,
    ).toBe(false);
    return { events };
  },
  toolOutputs,
});

type ChatMessage = {
  role?: string;
  content?: unknown;
  tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }>;
};
const messages = (r: Logged): ChatMessage[] =>
  (r.body as { messages?: ChatMessage[] } | null)?.messages ?? [];

/** The role:"tool" messages of a Chat Completions request: what the model read from each tool call. */
function toolOutputs(r: Logged): string[] {
  return messages(r).flatMap((m) =>
    m.role === "tool"
      ? [typeof m.content === "string" ? m.content : JSON.stringify(m.content)]
      : [],
  );
}

/** The arguments of the tool calls in the request's history, as OpenCode sends them back to the model. */
function historyCalls(r: Logged): Array<Record<string, unknown>> {
  return messages(r).flatMap((m) =>
    m.role === "assistant"
      ? (m.tool_calls ?? []).map(
          (c) => JSON.parse(c.function?.arguments ?? "{}") as Record<string, unknown>,
        )
      : [],
  );
}

const bash = (command: string, description: string): ToolCall => ({
  name: "bash",
  args: { command, description },
});
// Not *.env: OpenCode's default permissions already auto-reject the read tool on *.env files
// in `opencode run` (cat through bash is allowed); this file is hookpack's job alone.
const readBoth = (sb: Sandbox): Step[] => [
  { text: "Reading.", call: { name: "read", args: { filePath: join(sb.project, "deploy.conf") } } },
  { text: "Reading again.", call: bash("cat deploy.conf", "show config") },
  { text: "Done." },
];

describe("e2e: real OpenCode + hookpack (opencode adapter, plugin)", () => {
  it("runs the pinned client version", () => {
    expect(opencode.client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const { fake, events, token, outputs, diag } = await literalTokenBlocked(opencode, (cmd) =>
        bash(cmd, "check"),
      );
      // The plugin's thrown Error: OpenCode marks the call failed and gives the model the message verbatim.
      expect(outputs[0]).toMatch(/^hookpack blocked this bash call/);
      expect(outputs[0]).toContain("$secret:");
      expect(outputs[0]).not.toContain(token);
      expectNoLeak(fake);
      const toolEvent = events.find((e) => e.type === "tool_use") as
        { part?: { state?: { status?: string } } } | undefined;
      expect(toolEvent?.part?.state?.status, diag()).toBe("error");
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent with the read tool and with cat, does not reach the model",
    async () => {
      const s = await tokenFileRun(opencode, readBoth, { hooks: true, file: "deploy.conf" });
      const { outputs } = afterCalls(opencode, s, 2);
      // The read guard stops both reads before the content exists anywhere in the agent.
      expect(outputs[0]).toMatch(
        /^hookpack blocked this read call before it read anything: deploy.conf holds a GitHub personal access token \(classic\)/,
      );
      expect(outputs[1]).toMatch(
        /^hookpack blocked this bash call before it read anything: deploy.conf holds a GitHub personal access token \(classic\)/,
      );
      expectNoRequestCarries(s.fake.requests(), [s.token], "token");
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time reaches the model redacted (tool.execute.after rewrites the result in place)",
    async () => {
      const s = await runTimeTokenRun(opencode, bash("sh show.sh", "show"));
      const { outputs } = afterCalls(opencode, s, 1);
      // The redacted copy replaces the output itself (not a notice beside it).
      expect(outputs[0]).toBe("HOST=example.test\nGH_TOKEN=[REDACTED:github-pat]\n");
      expectNoRequestCarries(s.fake.requests(), [s.token], "token");
      // The same object is what OpenCode reports (and stores) as the call's result.
      expect(JSON.stringify(s.events).includes(s.token)).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    "the session database: OpenCode stores a command's output raw as it streams; hookpack cleans it when the session goes idle, and no file under its data dir holds the token afterwards",
    async () => {
      const s = await runTimeTokenRun(opencode, bash("sh show.sh", "show"), {
        label: "session-database scenario",
      });
      const data = join(s.sb.home, ".local", "share", "opencode");
      const db = join(data, "opencode.db");
      expect(
        existsSync(db),
        "OpenCode no longer writes opencode.db: re-check the state catalog",
      ).toBe(true);
      expect(
        filesHolding(data, s.token),
        "files under OpenCode's data dir holding the token",
      ).toEqual([]);
      const sql = (q: string) => spawnSync("sqlite3", [db, q], { encoding: "utf8" }).stdout.trim();
      expect(sql("PRAGMA integrity_check;")).toBe("ok");
      // The streamed copy in the event log is redacted in place, not deleted: the session reads on.
      expect(
        Number(
          sql("SELECT count(*) FROM event WHERE data LIKE '%GH_TOKEN=[REDACTED:github-pat]%';"),
        ),
      ).toBeGreaterThan(0);
      expect(Number(sql("SELECT count(*) FROM part;"))).toBeGreaterThan(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "control: without hookpack the same run leaves the token in OpenCode's session database",
    async () => {
      const token = fakeGithubToken();
      const s = await opencode.scenario(
        [{ text: "Running.", call: bash("sh show.sh", "show") }, { text: "Done." }],
        { hooks: false, files: { "show.sh": runTimeTokenScript(token) } },
      );
      expect(s.run.code, s.diag()).toBe(0);
      const data = join(s.sb.home, ".local", "share", "opencode");
      const holding = filesHolding(data, token).map((f) => f.slice(data.length + 1));
      expect(
        holding.some((f) => /^opencode\.db(-wal)?$/.test(f)),
        holding.join(", "),
      ).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hookpack installed and its output reaches the model unchanged",
    async () => {
      const { request: second, outputs } = afterCalls(
        opencode,
        await harmlessRun(opencode, bash("echo hello-e2e", "greet")),
        1,
      );
      expect(outputs).toEqual(["hello-e2e\n"]);
      expect(historyCalls(second)).toEqual([{ command: "echo hello-e2e", description: "greet" }]);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same reads leak and the leak check fires",
    async () => {
      const { token, outputs } = await tokenFileLeaks(opencode, readBoth, {
        calls: 2,
        file: "deploy.conf",
      });
      expect(
        outputs.every((o) => o.includes(token)),
        "both the read tool and cat hand the model the token",
      ).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "brokers a $secret: reference: the command runs with the value, its echo comes back masked, a reference the policy denies is blocked; no request carries the value",
    async () => {
      const upload = 'touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/';
      const s = await brokerRun(
        opencode,
        [
          { text: "Hashing.", call: bash('sha256sum <<< "$secret:DEPLOY_KEY"', "hash") },
          { text: "Printing.", call: bash("echo key=$secret:DEPLOY_KEY", "print") },
          { text: "Uploading.", call: bash(upload, "upload") },
          { text: "Done." },
        ],
        { label: "broker scenario" },
      );
      const { request: last, outputs } = afterCalls(opencode, s, 3);
      expect(outputs[0], s.diag()).toContain(s.digest);
      expect(outputs[1]).toBe("key=[REDACTED:DEPLOY_KEY]\n");
      expect(outputs[2]).toMatch(
        /^hookpack blocked this command: the project policy .* does not allow this use of \$secret:DEPLOY_KEY/,
      );
      expect(existsSync(join(s.sb.project, "sent"))).toBe(false);
      // Unlike Claude Code, Codex and Gemini, OpenCode builds the history from the args object the
      // plugin rewrote in place: the model reads back the brokered command (names and a spent
      // single-use grant, no value), not the reference it wrote.
      const calls = historyCalls(last);
      expect(String(calls[0]!.command)).toMatch(
        /hookpack\.cjs'? exec --grant g_\w+ --grant-key [a-z2-7]{26} --stdin-refs -- sha256sum/,
      );
      expect(calls[2]!.command).toBe(upload);
    },
    TEST_TIMEOUT,
  );
});
