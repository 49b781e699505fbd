// End to end: the REAL Gemini CLI (@google/gemini-cli from the npm registry, installed by
// scripts/setup-e2e.mjs and run with this node) against a scripted fake Gemini API server on
// loopback, in a temp git repo with hookpack installed by its own CLI. The fake server sees
// exactly what the model would see, so "the secret never reaches the model" is an assertion over
// its request log.
// Recipe: /work/shared/reference/e2e-real-clients.md §6.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeGemini, type Logged } from "./fake-models.js";
import {
  afterCalls,
  brokerRun,
  defineAgent,
  expectNoLeak,
  harmlessRun,
  literalTokenBlocked,
  mainRequests,
  runTimeTokenRedacted,
  runTimeTokenScript,
  tokenFileLeaks,
  tokenFileGuarded,
  type ToolCall,
  expectPromptNeverSent,
  promptManagedValueRun,
  promptTokenRun,
  sha256,
} from "./harness.js";
import { fakeGithubToken, run } from "./helpers.js";

const TEST_TIMEOUT = 120_000;
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "0.61.0";

const USER_SETTINGS = {
  security: { auth: { selectedType: "gemini-api-key" } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
};

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
  checkInstall: (sb) => {
    const settings = JSON.parse(
      readFileSync(join(sb.project, ".gemini", "settings.json"), "utf8"),
    ) as { hooks: Record<string, unknown> };
    expect(Object.keys(settings.hooks).sort()).toEqual([
      "AfterTool",
      "BeforeAgent",
      "BeforeTool",
      "SessionEnd",
      "SessionStart",
    ]);
  },
  run: ({ client, sb, env, opts }) =>
    run(
      process.execPath,
      [
        client.bin,
        "-p",
        opts.prompt ?? "run the step",
        "--output-format",
        "json",
        "--approval-mode",
        "yolo",
      ],
      { cwd: sb.project, env, timeoutMs: 90_000 },
    ),
  toolOutputs,
});

/** The functionResponse parts of a Gemini request: what the model read from each tool call. */
function toolOutputs(r: Logged): string[] {
  const contents = (r.body as { contents?: unknown[] } | null)?.contents ?? [];
  const out: string[] = [];
  for (const c of contents) {
    for (const p of (c as { parts?: unknown[] }).parts ?? []) {
      const response = (p as { functionResponse?: { response?: unknown } }).functionResponse
        ?.response;
      if (response !== undefined) out.push(JSON.stringify(response));
    }
  }
  return out;
}

const shell = (command: string, description?: string): ToolCall => ({
  name: "run_shell_command",
  args: description === undefined ? { command } : { command, description },
});
const readConfig = () => [
  { text: "Reading.", call: { name: "read_file", args: { file_path: "config.env" } } },
  { text: "Done." },
];

describe("e2e: real Gemini CLI + hookpack (gemini adapter)", () => {
  it("runs the pinned client version", () => {
    expect(gemini.client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const { fake, outputs } = await literalTokenBlocked(gemini, shell);
      expect(outputs[0]).toContain("hookpack blocked this run_shell_command call");
      expect(outputs[0]).toContain("$secret:");
      expect(outputs[0]).toMatch(/"error"/);
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent with read_file, does not reach the model",
    async () => {
      await tokenFileGuarded(gemini, readConfig, 1);
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time reaches the model redacted (AfterTool deny replaces the output)",
    async () => {
      // The redacted copy replaces the output (as the AfterTool deny reason, an error).
      await runTimeTokenRedacted(gemini, shell("sh show.sh"));
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { outputs } = afterCalls(gemini, await harmlessRun(gemini, shell("echo hello-e2e")), 1);
      expect(outputs[0]).toContain("hello-e2e");
      expect(outputs[0]).not.toContain("hookpack");
    },
    TEST_TIMEOUT,
  );

  it(
    "the .geminiignore block hookpack writes is honoured by the real client on its own (hooks removed): read_file of a key file is refused",
    async () => {
      const token = fakeGithubToken();
      const file = "deploy.pem";
      const s = await gemini.scenario(
        (sb) => [
          {
            text: "Reading.",
            call: { name: "read_file", args: { file_path: join(sb.project, file) } },
          },
          { text: "Done." },
        ],
        {
          hooks: true,
          forbid: [token],
          files: { [file]: `GH_TOKEN=${token}\n` },
          // Only .geminiignore acts: hookpack's hooks are taken out of the project settings again, and
          // the .gitignore block install wrote goes too (Gemini honours .gitignore as well).
          setup: (sb) => {
            expect(readFileSync(join(sb.project, ".geminiignore"), "utf8").split("\n")).toContain(
              "*.pem",
            );
            writeFileSync(join(sb.project, ".gemini", "settings.json"), "{}\n");
            rmSync(join(sb.project, ".gitignore"), { force: true });
          },
        },
      );
      expect(s.run.code, s.diag()).toBe(0);
      const { outputs } = afterCalls(gemini, s, 1);
      expect(outputs[0]).toMatch(/ignored by configured ignore patterns/);
      // Gemini refused it, not hookpack (whose hooks are gone).
      expect(outputs[0]).not.toMatch(/hookpack (blocked|redacted)/);
      expectNoLeak(s.fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same file read leaks and the leak check fires",
    async () => {
      await tokenFileLeaks(gemini, readConfig, { calls: 1 });
    },
    TEST_TIMEOUT,
  );

  it(
    "brokers a $secret: reference: the command runs with the value, its echo comes back masked, a reference the policy denies is blocked; no request carries the value",
    async () => {
      const { sb, fake, diag, digest } = await brokerRun(gemini, [
        { text: "Hashing.", call: shell('printf %s "$secret:DEPLOY_KEY" | sha256sum', "run it") },
        { text: "Printing.", call: shell("echo key=$secret:DEPLOY_KEY", "run it") },
        {
          text: "Uploading.",
          call: shell(
            'touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/',
            "run it",
          ),
        },
        { text: "Done." },
      ]);
      const outputs = toolOutputs(mainRequests(fake).at(-1)!);
      // printf's output is masked before it enters the pipe (issue 14): sha256sum hashes the mask;
      // the echo below shows the value reached the program (the masker found it there).
      void digest;
      expect(outputs[0], diag()).toContain(sha256("[REDACTED:DEPLOY_KEY]"));
      expect(outputs[1]).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(outputs[2]).toMatch(/hookpack/);
      expect(existsSync(join(sb.project, "sent"))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});

/** Every file under `dir` whose bytes hold `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => readFileSync(f).toString("latin1").includes(needle));
}

/**
 * Wraps hookpack's SessionEnd command: the payload the real client sent goes on to hookpack with
 * `transcript_path: ""`; before that, the wrapper writes <root>/session-end.json with the payload's
 * session id and the chat files (found by that id) that hold `needle`.
 */
function blankTranscriptPath(sb: { root: string; project: string; home: string }, needle: string) {
  const settingsFile = join(sb.project, ".gemini", "settings.json");
  const settings = JSON.parse(readFileSync(settingsFile, "utf8")) as {
    hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>>;
  };
  const entry = settings.hooks.SessionEnd![0]!.hooks[0]!;
  const wrapper = join(sb.root, "blank-transcript.cjs");
  writeFileSync(
    wrapper,
    `const { spawnSync } = require("node:child_process");
const fs = require("node:fs"), path = require("node:path");
const original = ${JSON.stringify(entry.command)};
const p = JSON.parse(fs.readFileSync(0, "utf8"));
const holding = [];
const tmp = path.join(${JSON.stringify(sb.home)}, ".gemini", "tmp");
for (const d of fs.existsSync(tmp) ? fs.readdirSync(tmp) : []) {
  const chats = path.join(tmp, d, "chats");
  for (const f of fs.existsSync(chats) ? fs.readdirSync(chats) : []) {
    const text = fs.readFileSync(path.join(chats, f), "utf8");
    if (text.includes(p.session_id) && text.includes(${JSON.stringify(needle)})) holding.push(path.join(chats, f));
  }
}
p.transcript_path = "";
fs.writeFileSync(${JSON.stringify(join(sb.root, "session-end.json"))}, JSON.stringify({ transcript_path: p.transcript_path, session_id: p.session_id, holding }));
const r = spawnSync("/bin/sh", ["-c", original], { input: JSON.stringify(p), encoding: "utf8" });
process.stdout.write(r.stdout || ""); process.stderr.write(r.stderr || "");
process.exit(r.status ?? 1);
`,
  );
  entry.command = `"${process.execPath}" "${wrapper}"`;
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
}

describe("e2e: real Gemini CLI + hookpack: what Gemini keeps and loads on its own", () => {
  it(
    "SessionEnd fires in `gemini -p` and cleans ~/.gemini: after the session no file there holds a token a tool printed, nor one planted in a background-process log",
    async () => {
      const token = fakeGithubToken();
      let planted = "";
      const s = await gemini.scenario(
        [{ text: "Running.", call: shell("sh show.sh") }, { text: "Done." }],
        {
          hooks: true,
          forbid: [token],
          files: { "show.sh": runTimeTokenScript(token) },
          setup: (sb) => {
            const bg = join(sb.home, ".gemini", "tmp", "background-processes");
            mkdirSync(bg, { recursive: true });
            planted = join(bg, "background-31337.log");
            writeFileSync(planted, `export GH_TOKEN=${token}\n`);
          },
        },
      );
      expect(s.run.code, s.diag()).toBe(0);
      expectNoLeak(s.fake);
      // The planted log is cleaned only by hookpack's SessionEnd hook: proof that the real client fired it.
      expect(
        readFileSync(planted, "utf8"),
        "the background log still holds the token: SessionEnd did not run",
      ).toContain("GH_TOKEN=[REDACTED:github-pat]");
      expect(
        filesHolding(join(s.sb.home, ".gemini"), token),
        "files under ~/.gemini holding the token after the session",
      ).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "SessionEnd with an empty transcript_path (what 0.61 sends when its chat recorder is gone): hookpack finds the session's chat by its id and cleans it",
    async () => {
      const token = fakeGithubToken();
      // The model writes a literal token into a command: BeforeTool blocks it, but Gemini's chat
      // keeps the model's own call (its args) raw.
      const s = await gemini.scenario(
        [
          { text: "Checking.", call: shell(`touch ran-marker && echo ${token}`) },
          { text: "Done." },
        ],
        {
          hooks: true,
          forbid: [token],
          // 0.61 builds every hook payload with `transcript_path: getConversationFilePath() ?? ""`,
          // which is "" only when no chat was started or the disk filled up (ENOSPC) mid-session;
          // neither can be provoked in a headless run, so a wrapper blanks the field of the payload
          // the real client sent, and records which chat files held the token before hookpack ran.
          setup: (sb) => blankTranscriptPath(sb, token),
        },
      );
      expect(s.run.code, s.diag()).toBe(0);
      const seen = JSON.parse(readFileSync(join(s.sb.root, "session-end.json"), "utf8")) as {
        transcript_path: string;
        session_id: string;
        holding: string[];
      };
      expect(seen.transcript_path).toBe("");
      expect(existsSync(join(s.sb.project, "ran-marker"))).toBe(false);
      // Control: when SessionEnd fired, the session's own chat held the token (the model's call).
      expect(seen.holding.length, "no chat held the token: nothing to prove").toBeGreaterThan(0);
      const chat = seen.holding[0]!;
      expect(chat).toMatch(/\/\.gemini\/tmp\/[^/]+\/chats\/session-[^/]+\.jsonl$/);
      expect(readFileSync(chat, "utf8").startsWith(`{"sessionId":"${seen.session_id}"`)).toBe(true);
      expect(
        filesHolding(join(s.sb.home, ".gemini"), token),
        "files under ~/.gemini holding the token after the session",
      ).toEqual([]);
      for (const line of readFileSync(chat, "utf8").trimEnd().split("\n")) JSON.parse(line);
    },
    TEST_TIMEOUT,
  );

  const dotenvRun = (hooks: boolean) => {
    const marker = `dotenv-probe-${Math.random().toString(36).slice(2, 10)}`;
    return gemini
      .scenario([{ text: "Listing.", call: shell("env") }, { text: "Done." }], {
        hooks,
        files: { ".env": `HP_DOTENV_PROBE=${marker}\n` },
      })
      .then((s) => ({ s, marker }));
  };

  it(
    "after install, a value in the project's .env is not in the environment of a command Gemini runs (advanced.ignoreLocalEnv)",
    async () => {
      const { s, marker } = await dotenvRun(true);
      expect(s.run.code, s.diag()).toBe(0);
      expect(
        JSON.parse(readFileSync(join(s.sb.project, ".gemini", "settings.json"), "utf8")).advanced,
      ).toEqual({ ignoreLocalEnv: true });
      const { outputs } = afterCalls(gemini, s, 1);
      expect(outputs[0]).toMatch(/PATH=/);
      expect(outputs[0]).not.toContain(marker);
      expect(outputs[0]).not.toContain("HP_DOTENV_PROBE");
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack, Gemini loads the project's .env and `env` shows the value",
    async () => {
      const { s, marker } = await dotenvRun(false);
      expect(s.run.code, s.diag()).toBe(0);
      const { outputs } = afterCalls(gemini, s, 1);
      expect(outputs[0]).toContain(`HP_DOTENV_PROBE=${marker}`);
    },
    TEST_TIMEOUT,
  );
});

describe(`e2e: real gemini client + hookpack: the prompt guard`, () => {
  it(
    "a GitHub token pasted into the prompt never reaches the server (the prompt hook blocks it)",
    async () => {
      const s = await promptTokenRun(gemini, true);
      expectPromptNeverSent(s.fake.requests());
      expect(s.run.stdout + s.run.stderr, s.diag()).toContain("hookpack held back this prompt");
    },
    TEST_TIMEOUT,
  );

  it(
    "a managed value pasted base64-encoded never reaches the server",
    async () => {
      await promptManagedValueRun(gemini);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the pasted token reaches the server",
    async () => {
      await promptTokenRun(gemini, false);
    },
    TEST_TIMEOUT,
  );
});
