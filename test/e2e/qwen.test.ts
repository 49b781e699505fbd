// End to end: the REAL Qwen Code client (@qwen-code/qwen-code from the npm registry, run on a Node 22
// binary from the registry's node-linux-<arch> package; both installed by scripts/setup-e2e.mjs)
// against a scripted fake OpenAI Chat Completions server on loopback, in a temp git repo with
// hookpack installed by its own CLI. The hooks themselves run with this machine's node, as
// `hookpack install` registered them. The fake server sees exactly what the model would see, so
// "the secret never reaches the model" is an assertion over its request log.
// Recipe: /work/shared/reference/e2e-real-clients.md §6 (Gemini CLI, which Qwen Code forks).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeOpenAIChat, type Logged, type Step } from "./fake-models.js";
import {
  afterCalls,
  brokerRun,
  defineAgent,
  expectNoLeak,
  harmlessRun,
  literalTokenBlocked,
  mainRequests,
  runTimeTokenRedacted,
  runTimeTokenRun,
  runTimeTokenScript,
  tokenFileLeaks,
  tokenFileGuarded,
  type ToolCall,
  expectPromptNeverSent,
  promptManagedValueRun,
  promptTokenRun,
  expectNoRequestCarries,
  randomValue,
} from "./harness.js";
import { run, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 150_000;
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "0.24.4";

/** User settings: OpenAI-compatible auth (the base URL comes from the env), nothing phoned home. */
const USER_SETTINGS = {
  security: { auth: { selectedType: "openai" } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
};

const qwen = defineAgent({
  name: "qwen",
  check: (client) => {
    if (!client.node)
      throw new Error(
        "the Qwen Code client has no Node 22 runtime recorded in .cache/e2e/clients.json: re-run scripts/setup-e2e.mjs",
      );
  },
  startFake: startFakeOpenAIChat,
  env: (_sb, fake) => ({
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: "dummy",
    OPENAI_MODEL: "gpt-fake",
    QWEN_CODE_SUPPRESS_YOLO_WARNING: "1",
  }),
  configure: ({ sb }) => {
    mkdirSync(join(sb.home, ".qwen"), { recursive: true });
    writeFileSync(join(sb.home, ".qwen", "settings.json"), JSON.stringify(USER_SETTINGS));
  },
  checkInstall: (sb) => {
    const settings = JSON.parse(
      readFileSync(join(sb.project, ".qwen", "settings.json"), "utf8"),
    ) as { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    expect(Object.keys(settings.hooks).sort()).toEqual([
      "PostToolUse",
      "PostToolUseFailure",
      "PreToolUse",
      "SessionEnd",
      "SessionStart",
      "UserPromptSubmit",
    ]);
    // The hooks run with this machine's node, not the Node 22 that runs the client.
    expect(settings.hooks.PreToolUse![0]!.hooks[0]!.command).toContain(
      JSON.stringify(process.execPath),
    );
  },
  run: ({ client, sb, env, opts }) =>
    run(
      client.node!,
      [
        client.bin,
        "-p",
        opts.prompt ?? "run the step",
        "--output-format",
        "json",
        "--approval-mode",
        "yolo",
      ],
      { cwd: sb.project, env, timeoutMs: 120_000 },
    ),
  toolOutputs,
});

/** The `role: "tool"` messages of a Chat Completions request: what the model read from each call. */
function toolOutputs(r: Logged): string[] {
  const messages = (r.body as { messages?: unknown[] } | null)?.messages ?? [];
  const text = (c: unknown): string =>
    typeof c === "string"
      ? c
      : Array.isArray(c)
        ? c.map((p) => String((p as { text?: unknown }).text ?? "")).join("")
        : "";
  return messages
    .filter((m) => (m as { role?: unknown }).role === "tool")
    .map((m) => text((m as { content?: unknown }).content));
}

const shell = (command: string, description?: string): ToolCall => ({
  name: "run_shell_command",
  args: description === undefined ? { command } : { command, description },
});
// read_file wants an absolute path (a relative one is refused before any hook runs).
const readFile = (sb: Sandbox): ToolCall => ({
  name: "read_file",
  args: { file_path: join(sb.project, "config.env") },
});

/** The command a deny for an agent that cannot rewrite input tells the model to run instead. */
const offered = (text: string) => {
  const m = /Run this instead: (.*)$/s.exec(text);
  return m ? shell(m[1]!) : undefined;
};

describe("e2e: real Qwen Code + hookpack (qwen adapter)", () => {
  it("runs the pinned client version on a Node 22 runtime", () => {
    expect(qwen.client.version).toBe(PINNED);
    const v = spawnSync(qwen.client.node!, ["--version"], { encoding: "utf8" });
    expect(v.stdout.trim()).toMatch(/^v22\./);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const { fake, outputs } = await literalTokenBlocked(qwen, shell);
      expect(outputs[0]).toContain("hookpack blocked this run_shell_command call");
      expect(outputs[0]).toContain("$secret:");
      expectNoLeak(fake);
      // (Qwen's chat log keeps the blocked input. 0.24.4 fires SessionEnd, whose hook cleans that log,
      // only from its interactive UI, /clear and ACP — never in `qwen -p` — so this run cannot show it.)
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent with read_file and with cat, does not reach the model",
    async () => {
      await tokenFileGuarded(
        qwen,
        (sb): Step[] => [
          { text: "Reading.", call: readFile(sb) },
          { text: "Trying cat.", call: shell("cat config.env") },
          { text: "Done." },
        ],
        2,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time reaches the model redacted (PostToolUse continue:false)",
    async () => {
      // The redacted copy replaces the output (as the stopReason of the call's error).
      await runTimeTokenRedacted(qwen, shell("sh show.sh"));
    },
    TEST_TIMEOUT,
  );

  it(
    "limit: a FAILED command's output (non-zero exit) goes through PostToolUseFailure, which cannot replace it: the token reaches the model, with hookpack's warning next to it",
    async () => {
      const s = await runTimeTokenRun(qwen, shell("sh show.sh"), {
        script: (token) => runTimeTokenScript(token, "GH_TOKEN", "exit 3\n"),
        label: "failed-command scenario",
      });
      const { request: second, outputs } = afterCalls(qwen, s, 1);
      expect(outputs[0]).toContain("Exit Code: 3");
      // Pinned as a known gap (README "not protected"): if Qwen Code ever lets this be replaced, this fails.
      expect(second.leaksOutsideOwnToolCall).toEqual([s.token]);
      expect(outputs[0]).toContain(
        "hookpack found secret(s) in this failed run_shell_command call's output",
      );
      expect(outputs[0]).toContain("Do not repeat, store, or send the secret value");
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { outputs } = afterCalls(qwen, await harmlessRun(qwen, shell("echo hello-e2e")), 1);
      expect(outputs[0]).toContain("Output: hello-e2e");
      expect(outputs[0]).not.toContain("hookpack");
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same file read leaks and the leak check fires",
    async () => {
      await tokenFileLeaks(
        qwen,
        (sb) => [{ text: "Reading.", call: readFile(sb) }, { text: "Done." }],
        { calls: 1 },
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "a $secret: reference is denied with the brokered command to run instead; run as offered, it gets the value and its echo comes back masked; a use the policy denies is blocked; no request carries the value",
    async () => {
      const { sb, fake, diag, digest } = await brokerRun(
        qwen,
        [
          { text: "Hashing.", call: shell('sha256sum <<< "$secret:DEPLOY_KEY"', "run it") },
          { text: "Running what hookpack offered.", callFrom: offered },
          { text: "Printing.", call: shell("echo key=$secret:DEPLOY_KEY", "run it") },
          { text: "Running what hookpack offered.", callFrom: offered },
          {
            text: "Uploading.",
            call: shell(
              'touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/',
              "run it",
            ),
          },
          { text: "Done." },
        ],
        { label: "$secret: scenario" },
      );
      const outputs = toolOutputs(mainRequests(fake).at(-1)!);
      expect(outputs, diag()).toHaveLength(5);
      // Qwen Code cannot rewrite input: the reference is denied with the brokered command.
      expect(outputs[0]).toMatch(
        /^hookpack cannot rewrite tool input for Qwen Code\. Run this instead: .* exec --grant g_[a-z2-7]{26} --grant-key [a-z2-7]{26} --stdin-refs -- sha256sum /,
      );
      // Run exactly as offered: the broker injected the value (its digest came out) ...
      expect(outputs[1], diag()).toContain(`Output: ${digest}`);
      expect(outputs[1]).toContain("Exit Code: 0");
      expect(outputs[2]).toMatch(/^hookpack cannot rewrite tool input/);
      // ... and masked it in what came back.
      expect(outputs[3]).toContain("Output: key=[REDACTED:DEPLOY_KEY]");
      expect(outputs[4]).toMatch(
        /hookpack blocked this command: the project policy .* does not allow this use of \$secret:DEPLOY_KEY/,
      );
      expect(existsSync(join(sb.project, "sent"))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});

describe(`e2e: real qwen client + hookpack: the prompt guard`, () => {
  it(
    "a GitHub token pasted into the prompt never reaches the server (the prompt hook blocks it)",
    async () => {
      // `qwen -p` prints no hook message: the run ends without asking the model.
      const s = await promptTokenRun(qwen, true);
      expectPromptNeverSent(s.fake.requests());
    },
    TEST_TIMEOUT,
  );

  it(
    "a managed value pasted base64-encoded never reaches the server",
    async () => {
      await promptManagedValueRun(qwen);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the pasted token reaches the server",
    async () => {
      await promptTokenRun(qwen, false);
    },
    TEST_TIMEOUT,
  );
});

describe("e2e: real Qwen Code client + hookpack: SessionStart names inherited secrets", () => {
  const sessionStartRun = (hooks: boolean) => {
    const value = randomValue();
    return qwen
      .scenario([{ text: "Done." }], {
        hooks,
        forbid: [value, Buffer.from(value).toString("base64")],
        env: { MY_SERVICE_TOKEN: value },
      })
      .then((s) => ({ s, value }));
  };

  it(
    "an inherited variable holding a secret is named (never its value) in the context the model gets at session start",
    async () => {
      const { s, value } = await sessionStartRun(true);
      expect(s.run.code, s.diag()).toBe(0);
      // A text-only script: the model's request is the one carrying the prompt.
      const first = s.fake.requests().find((r) => r.rawBody.includes("run the step"));
      expect(first, s.diag()).toBeDefined();
      expect(first!.rawBody).toMatch(
        /hookpack: the environment this session inherited holds secrets in [^.]*MY_SERVICE_TOKEN/,
      );
      expectNoRequestCarries(s.fake.requests(), [value], "inherited value");
    },
    TEST_TIMEOUT,
  );

  it(
    "control: without hookpack no request names the inherited variable",
    async () => {
      const { s } = await sessionStartRun(false);
      expect(s.run.code, s.diag()).toBe(0);
      expect(s.fake.requests().some((r) => r.rawBody.includes("MY_SERVICE_TOKEN"))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
