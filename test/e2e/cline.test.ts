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
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
  literalTokenRun,
  mainRequests,
  runTimeTokenRun,
  tokenFileLeaks,
  tokenFileRun,
  type ToolCall,
} from "./harness.js";
import { describeRun, run, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 120_000;
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "3.0.65";

const cline = defineAgent({
  name: "cline",
  startFake: startFakeOpenAIChat,
  env: () => ({ CLINE_SESSION_BACKEND_MODE: "local", CLINE_NO_AUTO_UPDATE: "1" }),
  configure: async ({ client, sb, fake, env }) => {
    const settings = join(sb.home, ".cline", "data", "settings");
    mkdirSync(settings, { recursive: true });
    writeFileSync(
      join(settings, "global-settings.json"),
      `${JSON.stringify({ telemetryOptOut: true, autoUpdateEnabled: false }, null, 2)}\n`,
    );
    // The provider, configured the way a user would (writes $HOME/.cline/data/settings/providers.json).
    const auth = await run(
      client.bin,
      ["auth", "-p", "openai-compatible", "-k", "dummy", "-m", "gpt-fake", "-b", `${fake.url}/v1`],
      { cwd: sb.project, env, timeoutMs: 60_000 },
    );
    expect(auth.code, `cline auth failed:\n${describeRun(auth)}`).toBe(0);
  },
  checkInstall: (sb) => {
    for (const f of ["PreToolUse.sh", "PostToolUse.sh"])
      expect(existsSync(join(sb.project, ".clinerules", "hooks", f)), f).toBe(true);
  },
  run: ({ client, sb, env, opts }) =>
    run(
      client.bin,
      ["--json", "-P", "openai-compatible", "-m", "gpt-fake", opts.prompt ?? "run the step"],
      { cwd: sb.project, env, timeoutMs: 90_000 },
    ),
  collect: ({ sb, run: result }) => {
    /** The --json event lines. */
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
    /** Cline's own log ($HOME/.cline/data/logs/cline.log), where a cancelled task's reason ends up. */
    const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
    return { events, log };
  },
  toolOutputs,
});

type Message = {
  role?: string;
  content?: unknown;
  tool_calls?: Array<{ function?: { arguments?: string } }>;
};
const messages = (r: Logged): Message[] =>
  ((r.body as { messages?: Message[] } | null)?.messages ?? []).filter(
    (m) => m && typeof m === "object",
  );
/** The `role: "tool"` messages of a Chat Completions request: what the model read from each call. */
function toolOutputs(r: Logged): string[] {
  return messages(r).flatMap((m) =>
    m.role === "tool"
      ? [typeof m.content === "string" ? m.content : JSON.stringify(m.content)]
      : [],
  );
}
/** The hook context Cline adds after a tool result (a user message), e.g. hookpack's PostToolUse warning. */
const hookContexts = (r: Logged): string[] =>
  messages(r).flatMap((m) =>
    m.role === "user" && typeof m.content === "string" && m.content.startsWith("<hook_context")
      ? [m.content]
      : [],
  );
const runResult = (events: Array<Record<string, unknown>>) =>
  events.find((e) => e.type === "run_result");

const commands = (...cmds: string[]): ToolCall => ({
  name: "run_commands",
  args: { commands: cmds },
});
const readConfig = (sb: Sandbox): Step[] => [
  {
    text: "Reading.",
    call: { name: "read_files", args: { files: [{ path: join(sb.project, "config.env") }] } },
  },
  { text: "Done." },
];

describe("e2e: real Cline CLI + hookpack (cline adapter)", () => {
  it("runs the pinned client version", () => {
    expect(cline.client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the task stops, the token reaches no request",
    async () => {
      // Cline 3.0.65 exits 0 on a cancelled task (literalTokenRun checks the exit code and that the command never ran).
      const { fake, run: r, events, log, token, diag } = await literalTokenRun(cline, commands);
      // `cancel` stops the task: the model gets no further request, so it is NOT told why (Cline's
      // file hooks cannot skip one call and let the model continue).
      expect(
        mainRequests(fake).map((q) => q.step),
        diag(),
      ).toEqual([0]);
      expect(runResult(events)?.finishReason, diag()).toBe("aborted");
      // The reason is only in Cline's own log; the CLI prints "aborted by another client".
      expect(log()).toContain(
        "hookpack blocked this run_commands call: its input contains a GitHub personal access token (classic)",
      );
      expect(r.stdout).not.toContain("hookpack blocked");
      expect(log().includes(token), "Cline's log carries the token").toBe(false);
      expectNoLeak(fake);
      expectNoRequestCarries(fake.requests(), [token], "token");
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent with read_files, does not reach the model (the read is cancelled)",
    async () => {
      const { fake, events, log, diag } = await tokenFileRun(cline, readConfig, {
        hooks: true,
        label: "read_files scenario",
      });
      expect(
        mainRequests(fake).map((q) => q.step),
        diag(),
      ).toEqual([0]);
      expect(runResult(events)?.finishReason, diag()).toBe("aborted");
      expect(log()).toContain(
        "hookpack blocked this read_files call before it read anything: config.env holds a GitHub personal access token (classic)",
      );
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same read_files call leaks and the leak check fires",
    async () => {
      const { outputs } = await tokenFileLeaks(cline, readConfig, { calls: 1 });
      expect(outputs.join("\n")).toContain("HOST=example.test");
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const s = await harmlessRun(cline, commands("echo hello-e2e"));
      expect(runResult(s.events)?.finishReason, s.diag()).toBe("completed");
      const { request: second, outputs } = afterCalls(cline, s, 1);
      expect(outputs[0]).toContain("hello-e2e");
      expect(outputs[0]).not.toContain("hookpack");
      expect(hookContexts(second)).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time: Cline cannot replace the output, so the model sees it, followed by hookpack's warning",
    async () => {
      const s = await runTimeTokenRun(cline, commands("sh show.sh"), {
        label: "run-time output scenario",
      });
      const { request: second, outputs } = afterCalls(cline, s, 1);
      // The documented limitation (README, Cline row): the output reaches the model unredacted ...
      expect(outputs.join("\n")).toContain(`GH_TOKEN=${s.token}`);
      expect(second.leaksOutsideOwnToolCall).toEqual([s.token]);
      // ... and hookpack's PostToolUse context tells the model not to repeat it.
      const contexts = hookContexts(second);
      expect(contexts, s.diag()).toHaveLength(1);
      expect(contexts[0]).toContain('source="PostToolUse"');
      expect(contexts[0]).toContain("hookpack found secret(s) in this run_commands output.");
      expect(contexts[0]).toContain("reached you unredacted. Do not repeat");
    },
    TEST_TIMEOUT,
  );

  it(
    "brokers a $secret: reference (overrideInput): the command runs with the value, its echo comes back masked by the broker; no request carries the value",
    async () => {
      const hashing = 'sha256sum <<< "$secret:DEPLOY_KEY"';
      const { fake, diag, digest } = await brokerRun(
        cline,
        [
          { text: "Hashing.", call: commands(hashing) },
          { text: "Printing.", call: commands("echo key=$secret:DEPLOY_KEY") },
          { text: "Done." },
        ],
        {
          label: "$secret: scenario",
        },
      );
      const last = mainRequests(fake).at(-1)!;
      expect(last.step, diag()).toBe(2);
      const outputs = toolOutputs(last);
      expect(outputs).toHaveLength(2);
      expect(outputs[0], diag()).toContain(digest);
      expect(outputs[1]).toContain("key=[REDACTED:DEPLOY_KEY]");
      // The rewrite ran (Cline reports the command it ran as the result's `query`) ...
      expect(outputs[0]).toMatch(
        /hookpack\.cjs'? exec --grant \S+ --grant-key [a-z2-7]{26} --stdin-refs -- sha256sum/,
      );
      // ... while the history keeps the model's own call.
      const args = messages(last).flatMap((m) =>
        m.role === "assistant" ? (m.tool_calls ?? []).map((c) => c.function?.arguments ?? "") : [],
      );
      expect(args.map((a) => JSON.parse(a) as unknown)).toEqual([
        { commands: [hashing] },
        { commands: ["echo key=$secret:DEPLOY_KEY"] },
      ]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a $secret: reference the policy denies is cancelled before it runs",
    async () => {
      const { sb, fake, events, log, diag } = await brokerRun(cline, [
        {
          text: "Uploading.",
          call: commands('touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/'),
        },
        { text: "Done." },
      ]);
      expect(existsSync(join(sb.project, "sent")), `the command ran\n${diag()}`).toBe(false);
      expect(
        mainRequests(fake).map((q) => q.step),
        diag(),
      ).toEqual([0]);
      expect(runResult(events)?.finishReason, diag()).toBe("aborted");
      expect(log()).toContain(
        "does not allow this use of $secret:DEPLOY_KEY: `curl` is not among its allowed commands",
      );
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );
});
