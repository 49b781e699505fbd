// End to end: the REAL Codex CLI (native binary from @openai/codex on the npm registry, installed
// by scripts/setup-e2e.mjs) against a scripted fake OpenAI Responses server on loopback, in a temp
// git repo with hookpack installed by its own CLI. The fake server sees exactly what the model
// would see, so "the secret never reaches the model" is an assertion over its request log.
// Recipe: /work/shared/reference/e2e-real-clients.md §7.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeOpenAI, type Logged } from "./fake-models.js";
import {
  afterCalls,
  brokerRun,
  defineAgent,
  harmlessRun,
  literalTokenBlocked,
  mainRequests,
  runTimeTokenRedacted,
  tokenFileLeaks,
  tokenFileGuarded,
  type ToolCall,
  expectNoRequestCarries,
  expectPromptNeverSent,
  promptManagedValueRun,
  promptTokenRun,
} from "./harness.js";
import {
  baseEnv,
  describeRun,
  fakeGithubToken,
  HOOKPACK_CJS,
  run,
  type Sandbox,
} from "./helpers.js";

const TEST_TIMEOUT = 120_000;
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "0.169.0";

function configToml(sb: Sandbox, url: string): string {
  return [
    'model = "gpt-fake"',
    'model_provider = "fake"',
    'approval_policy = "never"',
    'sandbox_mode = "danger-full-access"',
    "check_for_update_on_startup = false",
    "[analytics]",
    "enabled = false",
    "[feedback]",
    "enabled = false",
    "[model_providers.fake]",
    'name = "fake"',
    `base_url = "${url}/v1"`,
    'wire_api = "responses"',
    'env_key = "FAKE_OPENAI_API_KEY"',
    // Project-layer config (our .codex/hooks.json) loads only in a trusted project.
    `[projects."${sb.project}"]`,
    'trust_level = "trusted"',
    "",
  ].join("\n");
}

const codexHome = (sb: Sandbox) => join(sb.home, ".codex");

const codex = defineAgent<object, { hooksFile?: "json" | "toml" }>({
  name: "codex",
  startFake: startFakeOpenAI,
  env: (sb) => ({ CODEX_HOME: codexHome(sb), FAKE_OPENAI_API_KEY: "dummy" }),
  configure: ({ sb, fake }) => {
    mkdirSync(codexHome(sb), { recursive: true });
    writeFileSync(join(codexHome(sb), "config.toml"), configToml(sb, fake.url));
  },
  checkInstall: (sb, r, opts) => {
    // The installer must tell the user about Codex's hook trust gate.
    expect(r.stdout).toMatch(/\/hooks/);
    if (opts.hooksFile === "toml") {
      expect(existsSync(join(sb.project, ".codex", "hooks.json"))).toBe(false);
      expect(readFileSync(join(sb.project, ".codex", "config.toml"), "utf8")).toMatch(
        /# >>> hookpack[\s\S]*\[\[hooks\.PreToolUse\]\][\s\S]*\[\[hooks\.PostToolUse\]\]/,
      );
    } else {
      const hooks = (
        JSON.parse(readFileSync(join(sb.project, ".codex", "hooks.json"), "utf8")) as {
          hooks: Record<string, unknown>;
        }
      ).hooks;
      expect(Object.keys(hooks).sort()).toEqual([
        "PostToolUse",
        "PreToolUse",
        "SessionEnd",
        "SessionStart",
        "UserPromptSubmit",
      ]);
    }
  },
  run: ({ client, sb, env, opts }) => {
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
    ];
    // The documented bypass of the trust gate (hooks are skipped silently without it, or /hooks in the TUI).
    args.push("--dangerously-bypass-hook-trust", opts.prompt ?? "run the step");
    return run(client.bin, args, { cwd: sb.project, env, timeoutMs: 90_000 });
  },
  toolOutputs,
});

/** The function_call_output items of a Responses request: what the model read from each tool call. */
function toolOutputs(r: Logged): string[] {
  const input = (r.body as { input?: unknown[] } | null)?.input ?? [];
  return input.flatMap((i) => {
    const item = i as { type?: string; output?: unknown };
    return item.type === "function_call_output"
      ? [typeof item.output === "string" ? item.output : JSON.stringify(item.output)]
      : [];
  });
}

/** The request body without the fake model's own function_call items. */
function ownCallsRemoved(body: unknown): unknown {
  const b = body as { input?: unknown[] } | null;
  if (!b || !Array.isArray(b.input)) return body;
  return {
    ...b,
    input: b.input.filter(
      (i) =>
        !(
          (i as { type?: string; call_id?: string }).type === "function_call" &&
          String((i as { call_id?: string }).call_id).startsWith("call_e2efake_")
        ),
    ),
  };
}

const exec = (cmd: string): ToolCall => ({ name: "exec_command", args: { cmd } });

describe("e2e: real Codex CLI + hookpack (codex adapter)", () => {
  it("runs the pinned client version", () => {
    expect(codex.client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const { fake, token, cmd, outputs } = await literalTokenBlocked(codex, exec);
      expect(outputs[0]).toMatch(/blocked by PreToolUse hook/);
      expect(outputs[0]).toContain("hookpack blocked this Bash call");
      expect(outputs[0]).toContain("$secret:");
      // Codex itself appends "Command: <the model's own command>" to a block message: the model's
      // own text comes back, nothing new. Apart from that echo the token appears nowhere.
      expect(
        outputs[0]!.endsWith(`Command: ${cmd}`),
        outputs[0]!.split(token).join("<FAKE-TOKEN>"),
      ).toBe(true);
      expect(
        outputs[0]!.slice(0, -cmd.length).includes(token),
        "hookpack's message carries the token",
      ).toBe(false);
      for (const q of fake.requests()) {
        const withoutEcho = JSON.stringify(ownCallsRemoved(q.body))
          .split(JSON.stringify(`Command: ${cmd}`).slice(1, -1))
          .join("");
        expect(
          withoutEcho.includes(token),
          `request #${q.seq} carries the token outside the model's own call and its echo`,
        ).toBe(false);
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent through the shell, does not reach the model",
    async () => {
      await tokenFileGuarded(
        codex,
        () => [{ text: "Reading.", call: exec("cat config.env") }, { text: "Done." }],
        1,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time reaches the model redacted (PostToolUse block replaces the output)",
    async () => {
      // The redacted copy replaces the output (as PostToolUse block feedback).
      const { sb, token } = await runTimeTokenRedacted(codex, exec("sh show.sh"));
      // Codex's own rollout keeps the raw output while the session runs; hookpack's SessionEnd hook
      // cleans it when the session ends (Codex writes nothing to it afterwards).
      const rollouts = readdirSync(join(codexHome(sb), "sessions"), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".jsonl"));
      expect(rollouts).toHaveLength(1);
      const rollout = readFileSync(join(codexHome(sb), "sessions", rollouts[0]!), "utf8");
      expect(
        rollout.includes(token),
        "the rollout still holds the token after the session ended",
      ).toBe(false);
      expect(rollout).toContain("GH_TOKEN=[REDACTED:github-pat]");
      for (const line of rollout.trimEnd().split("\n")) JSON.parse(line);
      // Codex 0.169 also keeps every thread item in ~/.codex/thread_history_1.sqlite (raw output
      // included); the same SessionEnd cleans it through SQLite, and the database stays sound.
      const history = join(codexHome(sb), "thread_history_1.sqlite");
      expect(
        existsSync(history),
        "the client no longer writes thread_history_1.sqlite: re-check the state catalog",
      ).toBe(true);
      const raw = [history, `${history}-wal`]
        .filter((p) => existsSync(p))
        .map((p) => readFileSync(p).toString("latin1"))
        .join("");
      expect(
        raw.includes(token),
        "the thread history database still holds the token after the session ended",
      ).toBe(false);
      if (spawnSync("sqlite3", ["-version"]).status === 0) {
        expect(
          spawnSync("sqlite3", [history, "PRAGMA integrity_check;"], {
            encoding: "utf8",
          }).stdout.trim(),
        ).toBe("ok");
        expect(
          spawnSync(
            "sqlite3",
            [
              history,
              "SELECT count(*) FROM thread_items WHERE item_json LIKE '%[REDACTED:github-pat]%';",
            ],
            { encoding: "utf8" },
          ).stdout.trim(),
        ).not.toBe("0");
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "hooks kept inline in the project's config.toml: hookpack's block there is read by the real client (a literal token is blocked) and the user's own inline hook still runs",
    async () => {
      const token = fakeGithubToken();
      const marker = "ran-marker";
      let userToml = "";
      const s = await codex.scenario(
        [{ text: "Checking.", call: exec(`touch ${marker} && echo ${token}`) }, { text: "Done." }],
        {
          hooks: true,
          hooksFile: "toml",
          forbid: [token],
          beforeInstall: (box) => {
            mkdirSync(join(box.project, ".codex"), { recursive: true });
            const audit = join(box.root, "audit-ran");
            userToml = [
              "# the team's own Codex hooks (comments are kept)",
              "[[hooks.PreToolUse]]",
              'matcher = "*"',
              "[[hooks.PreToolUse.hooks]]",
              'type = "command"',
              `command = "touch ${audit}"`,
              "timeout = 5",
              "",
            ].join("\n");
            writeFileSync(join(box.project, ".codex", "config.toml"), userToml);
          },
        },
      );
      const { sb, diag } = s;
      expect(s.run.code, diag()).toBe(0);
      expect(
        existsSync(join(sb.root, "audit-ran")),
        `the user's own inline hook did not run\n${diag()}`,
      ).toBe(true);
      expect(existsSync(join(sb.project, marker)), `the command ran\n${diag()}`).toBe(false);
      expect(afterCalls(codex, s, 1).outputs[0]).toContain("hookpack blocked this Bash call");
      // And uninstall gives the user's file back byte for byte.
      const u = await run(
        process.execPath,
        [HOOKPACK_CJS, "uninstall", "--agent", "codex", "--no-git-hook", "--no-ignore-files"],
        {
          cwd: sb.project,
          env: { ...baseEnv(sb), HOOKPACK_HOME: sb.hookpackHome },
          timeoutMs: 30_000,
        },
      );
      expect(u.code, describeRun(u)).toBe(0);
      expect(readFileSync(join(sb.project, ".codex", "config.toml"), "utf8")).toBe(userToml);
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { outputs } = afterCalls(codex, await harmlessRun(codex, exec("echo hello-e2e")), 1);
      expect(outputs[0]).toContain("hello-e2e");
      expect(outputs[0]).not.toContain("hookpack");
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same file read leaks and the leak check fires",
    async () => {
      await tokenFileLeaks(
        codex,
        () => [{ text: "Reading.", call: exec("cat config.env") }, { text: "Done." }],
        { calls: 1 },
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "brokers a $secret: reference: the command runs with the value, its echo comes back masked, a reference the policy denies is blocked; no request carries the value",
    async () => {
      const { sb, fake, diag, digest } = await brokerRun(codex, [
        { text: "Hashing.", call: exec('sha256sum <<< "$secret:DEPLOY_KEY"') },
        { text: "Printing.", call: exec("echo key=$secret:DEPLOY_KEY") },
        {
          text: "Uploading.",
          call: exec('touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/'),
        },
        { text: "Done." },
      ]);
      const outputs = toolOutputs(mainRequests(fake).at(-1)!);
      expect(outputs[0], diag()).toContain(digest);
      expect(outputs[1]).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(outputs[2]).toMatch(/hookpack/);
      expect(existsSync(join(sb.project, "sent"))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});

describe(`e2e: real codex client + hookpack: the prompt guard`, () => {
  it(
    "a GitHub token pasted into the prompt never reaches the server (the prompt hook blocks it)",
    async () => {
      // `codex exec --json` prints no hook message: the turn ends without asking the model.
      const s = await promptTokenRun(codex, true);
      expectPromptNeverSent(s.fake.requests());
    },
    TEST_TIMEOUT,
  );

  it(
    "a managed value pasted base64-encoded never reaches the server",
    async () => {
      await promptManagedValueRun(codex);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the pasted token reaches the server",
    async () => {
      await promptTokenRun(codex, false);
    },
    TEST_TIMEOUT,
  );
});

describe("e2e: real codex client + hookpack: AGENTS.md", () => {
  it(
    "a token in AGENTS.md never reaches the server: the prompt is held back until the file is cleaned",
    async () => {
      const token = fakeGithubToken();
      const s = await codex.scenario([{ text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "AGENTS.md": `# Agent notes\n\nDeploy token: ${token}\n` },
      });
      expectNoRequestCarries(s.fake.requests(), [token], "token from AGENTS.md");
      expect(
        s.fake.requests().filter((r) => r.path.includes("responses")),
        s.diag(),
      ).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the token in AGENTS.md reaches the server",
    async () => {
      const token = fakeGithubToken();
      const s = await codex.scenario([{ text: "Done." }], {
        hooks: false,
        forbid: [token],
        files: { "AGENTS.md": `# Agent notes\n\nDeploy token: ${token}\n` },
      });
      expect(
        s.fake.requests().some((r) => r.leaks.includes(token)),
        s.diag(),
      ).toBe(true);
    },
    TEST_TIMEOUT,
  );
});
