// End to end: the REAL GitHub Copilot CLI (the Node SEA binary from @github/copilot on the npm
// registry, installed by scripts/setup-e2e.mjs) against the scripted fake OpenAI Responses server
// on loopback, in a temp git repo with hookpack installed by its own CLI. No GitHub login: Copilot's
// BYOK provider settings (COPILOT_PROVIDER_BASE_URL, COPILOT_PROVIDER_WIRE_API=responses) point it
// at the fake server, and GITHUB_COPILOT_PROMPT_MODE_REPO_HOOKS=true loads the repository hooks in
// prompt mode (`-p`). The fake server sees exactly what the model would see.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeOpenAI, type Logged } from "./fake-models.js";
import {
  afterCalls,
  brokerRun,
  defineAgent,
  DEPLOY_KEY_POLICY_TTL,
  expectNoLeak,
  expectNoRequestCarries,
  harmlessRun,
  literalTokenBlocked,
  mainRequests,
  randomValue,
  runTimeTokenRun,
  storeSecret,
  tokenFileRun,
  writePolicy,
  type ToolCall,
  PROMPT_LEAD,
  promptTokenRun,
} from "./harness.js";
import { REPO_ROOT, run } from "./helpers.js";

const TEST_TIMEOUT = 120_000;
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "1.0.102";

const pkgCache = join(REPO_ROOT, ".cache", "e2e", "copilot", "pkg-cache");

const copilot = defineAgent({
  name: "copilot",
  startFake: startFakeOpenAI,
  env: (_sb, fake) => ({
    HOOKPACK_KEY_BACKEND: "file",
    // The SEA unpacks its JavaScript once, here, instead of into every sandbox HOME.
    COPILOT_PKG_CACHE_HOME: pkgCache,
    COPILOT_AUTO_UPDATE: "false",
    COPILOT_PROVIDER_BASE_URL: `${fake.url}/v1`,
    COPILOT_PROVIDER_TYPE: "openai",
    COPILOT_PROVIDER_WIRE_API: "responses",
    COPILOT_PROVIDER_API_KEY: "dummy",
    COPILOT_MODEL: "gpt-fake",
    GITHUB_COPILOT_PROMPT_MODE_REPO_HOOKS: "true",
  }),
  configure: () => void mkdirSync(pkgCache, { recursive: true }),
  checkInstall: (sb) => {
    const hooks = (
      JSON.parse(readFileSync(join(sb.project, ".github", "hooks", "hookpack.json"), "utf8")) as {
        hooks: Record<string, unknown>;
      }
    ).hooks;
    expect(Object.keys(hooks).sort()).toEqual([
      "postToolUse",
      "postToolUseFailure",
      "preToolUse",
      "sessionStart",
      "userPromptSubmitted",
    ]);
  },
  run: ({ client, sb, env, opts }) =>
    run(client.bin, ["-p", opts.prompt ?? "run the step", "--allow-all-tools"], {
      cwd: sb.project,
      env,
      timeoutMs: 90_000,
    }),
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

const bash = (command: string, description: string): ToolCall => ({
  name: "bash",
  args: { command, description },
});

describe("e2e: real GitHub Copilot CLI + hookpack (copilot adapter)", () => {
  it("runs the pinned client version", () => {
    expect(copilot.client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const { fake, outputs } = await literalTokenBlocked(copilot, (cmd) => bash(cmd, "check"));
      expect(outputs[0]).toContain("hookpack blocked this bash call");
      expect(outputs[0]).toContain("$secret:");
      // Besides the fake model's own call, no request carries the token.
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read with the view tool, is blocked before it is read",
    async () => {
      const s = await tokenFileRun(
        copilot,
        (sb) => [
          {
            text: "Reading.",
            call: { name: "view", args: { path: join(sb.project, "config.env") } },
          },
          { text: "Done." },
        ],
        { hooks: true, label: "view scenario" },
      );
      const { outputs } = afterCalls(copilot, s, 1);
      expect(outputs[0]).toMatch(/hookpack blocked/);
      expect(outputs[0]).not.toContain("HOST=example.test");
      expectNoRequestCarries(s.fake.requests(), [s.token], "token");
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read through the shell, is blocked before it runs",
    async () => {
      const s = await tokenFileRun(
        copilot,
        () => [{ text: "Reading.", call: bash("cat config.env", "read") }, { text: "Done." }],
        { hooks: true },
      );
      expect(afterCalls(copilot, s, 1).outputs[0]).toMatch(/hookpack blocked/);
      expectNoRequestCarries(s.fake.requests(), [s.token], "token");
    },
    TEST_TIMEOUT,
  );

  it(
    "a $secret: reference is rewritten (modifiedArgs) into a brokered exec: the command gets the value, its output is masked, no request carries it",
    async () => {
      const s = await brokerRun(
        copilot,
        [
          { text: "Hashing the key.", call: bash('sha256sum <<< "$secret:DEPLOY_KEY"', "hash") },
          { text: "Printing it.", call: bash("echo key=$secret:DEPLOY_KEY", "print") },
          { text: "Done." },
        ],
        { policy: DEPLOY_KEY_POLICY_TTL, label: "$secret: scenario" },
      );
      expect(afterCalls(copilot, s, 1).outputs.at(-1), s.diag()).toContain(s.digest);
      expect(afterCalls(copilot, s, 2).outputs.at(-1)).toContain("key=[REDACTED:DEPLOY_KEY]");
      // Unlike Claude Code, Copilot keeps the REWRITTEN arguments in the model's history: the
      // brokered command (a grant id and the secret's name), never the value.
      const calls = (
        (mainRequests(s.fake).at(-1)!.body as { input: unknown[] }).input as Array<{
          type?: string;
          arguments?: string;
        }>
      ).filter((i) => i.type === "function_call");
      expect(calls).toHaveLength(2);
      for (const c of calls)
        expect(c.arguments).toMatch(/hookpack\.cjs'? exec --grant g_\w+ --grant-key [a-z2-7]{26} /);
    },
    TEST_TIMEOUT,
  );

  it(
    "denies a reference in a command the policy does not allow; it never runs and the model is told why",
    async () => {
      const s = await brokerRun(
        copilot,
        (sb) => [
          {
            text: "Uploading.",
            call: bash(
              `touch '${join(sb.root, "ran")}'; curl -s -H "X-Key: $secret:DEPLOY_KEY" http://127.0.0.1:9/`,
              "upload",
            ),
          },
          { text: "Done." },
        ],
        { policy: DEPLOY_KEY_POLICY_TTL },
      );
      expect(existsSync(join(s.sb.root, "ran"))).toBe(false);
      const denied = afterCalls(copilot, s, 1).outputs.at(-1);
      expect(denied).toMatch(/DEPLOY_KEY/);
      expect(denied).toMatch(/hookpack\.json|not allowed|policy/i);
    },
    TEST_TIMEOUT,
  );

  it(
    "KNOWN LIMIT: a managed secret printed at run time reaches the model (command hooks cannot replace output); hookpack says so next to it",
    async () => {
      const value = randomValue();
      // The script holds the value in two halves, so nothing before the run can see it.
      const script = `printf 'HOST=example.test\\nDEPLOY_KEY=%s%s\\n' '${value.slice(0, 10)}' '${value.slice(10)}'\n`;
      const s = await copilot.scenario(
        [{ text: "Running.", call: bash("sh show.sh", "run") }, { text: "Done." }],
        {
          hooks: true,
          forbid: [value],
          files: { "show.sh": script },
          setup: (sb) => {
            writePolicy(sb, DEPLOY_KEY_POLICY_TTL);
            storeSecret(sb, "DEPLOY_KEY", value);
          },
        },
      );
      expect(s.run.code, s.diag()).toBe(0);
      const { outputs } = afterCalls(copilot, s, 1);
      // This is the leak the README states for Copilot: the output arrives as the tool gave it…
      expect(outputs[0]!.includes(value)).toBe(true);
      // …and the model is told, in the same tool result, not to repeat it and to have it rotated.
      expect(outputs[0]).toContain(
        "Additional guidance from postToolUse hooks:\nhookpack found secret(s) in this bash output.",
      );
      expect(outputs[0]).toContain("may have reached you unredacted");
    },
    TEST_TIMEOUT,
  );

  it(
    "observed: Copilot itself masks a GitHub token in shell output; hookpack's notice comes along",
    async () => {
      const s = await runTimeTokenRun(copilot, bash("sh show.sh", "run"), {
        label: "masked-token scenario",
      });
      const { outputs } = afterCalls(copilot, s, 1);
      expect(outputs[0]).toContain("GH_TOKEN=******");
      expect(outputs[0]).toContain("hookpack found secret(s)");
      expectNoRequestCarries(s.fake.requests(), [s.token], "token");
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { outputs } = afterCalls(
        copilot,
        await harmlessRun(copilot, bash("echo hello-e2e", "hi")),
        1,
      );
      expect(outputs[0]).toContain("hello-e2e");
      expect(outputs[0]).not.toContain("hookpack found");
      expect(outputs[0]).not.toContain("may have reached you unredacted");
    },
    TEST_TIMEOUT,
  );
});

describe("e2e: real copilot client + hookpack: the prompt guard", () => {
  it(
    "a GitHub token pasted into the prompt never reaches the server (userPromptSubmitted)",
    async () => {
      // Copilot command hooks cannot block a prompt, but 1.0.102 honours `modifiedPrompt`: the model
      // reads hookpack's notice (to pass on to the user) in place of the prompt.
      const s = await promptTokenRun(copilot, true);
      const bodies = s.fake.requests().map((r) => r.rawBody);
      expect(
        bodies.some(
          (b) =>
            b.includes("hookpack withheld the user") &&
            b.includes("hookpack secret set GITHUB_TOKEN"),
        ),
        s.diag(),
      ).toBe(true);
      expect(
        bodies.some((b) => b.includes(PROMPT_LEAD)),
        "the original prompt reached the server",
      ).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the pasted token reaches the server",
    async () => {
      await promptTokenRun(copilot, false);
    },
    TEST_TIMEOUT,
  );
});

/** Wraps hookpack's command for `event` in .github/hooks/hookpack.json so its answers are also appended to `log`. */
function recordAnswers(sb: { project: string }, event: string, log: string): void {
  const file = join(sb.project, ".github", "hooks", "hookpack.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as {
    hooks: Record<string, Array<{ bash: string }>>;
  };
  for (const entry of config.hooks[event] ?? [])
    entry.bash = `tee -a '${log}.in' | { ${entry.bash}; } | tee -a '${log}'`;
  writeFileSync(file, JSON.stringify(config, null, 2));
}

describe("e2e: real copilot client + hookpack: sessionStart and postToolUseFailure", () => {
  it(
    "sessionStart: an inherited variable holding a secret is named (never its value) in the context the model gets (1.0.102 honours sessionStart additionalContext; 1.0.8 did not, github/copilot-cli#2142)",
    async () => {
      const value = randomValue();
      const s = await copilot.scenario([{ text: "Done." }], {
        hooks: true,
        forbid: [value, Buffer.from(value).toString("base64")],
        env: { MY_SERVICE_TOKEN: value },
      });
      expect(s.run.code, s.diag()).toBe(0);
      // A text-only script: the fake answers every request alike; the model's is the one with the prompt.
      const first = s.fake.requests().find((r) => r.rawBody.includes("run the step"))!;
      expect(first, s.diag()).toBeDefined();
      expect(first.rawBody, s.diag()).toMatch(
        /hookpack: the environment this session inherited holds secrets in [^.]*MY_SERVICE_TOKEN/,
      );
      // The model reads it as a user input item, before the prompt.
      const input = (first.body as { input: Array<{ role?: string; content?: unknown }> }).input;
      const at = input.findIndex((i) =>
        JSON.stringify(i.content ?? "").includes("MY_SERVICE_TOKEN"),
      );
      const prompt = input.findIndex((i) =>
        JSON.stringify(i.content ?? "").includes("run the step"),
      );
      expect(at).toBeGreaterThanOrEqual(0);
      expect(input[at]!.role).toBe("user");
      expect(at).toBeLessThan(prompt);
      expectNoRequestCarries(s.fake.requests(), [value], "inherited value");
    },
    TEST_TIMEOUT,
  );

  it(
    "control: without hookpack no request names the inherited variable",
    async () => {
      const value = randomValue();
      const s = await copilot.scenario([{ text: "Done." }], {
        hooks: false,
        env: { MY_SERVICE_TOKEN: value },
      });
      expect(s.run.code, s.diag()).toBe(0);
      expect(s.fake.requests().some((r) => r.rawBody.includes("MY_SERVICE_TOKEN"))).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    "KNOWN LIMIT, postToolUseFailure: a failed call's error holding a stored value reaches the model as the client gave it; hookpack's hook runs and answers a names-only notice, which 1.0.102 does not pass on",
    async () => {
      const value = randomValue();
      let log = "";
      // apply_patch whose removed line holds the stored value (content already on disk, so the
      // input is allowed) but does not match the file: Copilot fails the call and quotes the line.
      const patch = `*** Begin Patch\n*** Update File: notes.txt\n@@\n-key=${value}\n+key=rotated\n*** End Patch\n`;
      const s = await copilot.scenario(
        [
          { text: "Patching.", call: { name: "apply_patch", args: { input: patch } } },
          { text: "Done." },
        ],
        {
          hooks: true,
          files: { "notes.txt": "hello\n" },
          setup: (sb) => {
            writePolicy(sb, DEPLOY_KEY_POLICY_TTL);
            storeSecret(sb, "DEPLOY_KEY", value);
            log = join(sb.root, "failure-answers.log");
            recordAnswers(sb, "postToolUseFailure", log);
          },
        },
      );
      expect(s.run.code, s.diag()).toBe(0);
      // The client fired postToolUseFailure and hookpack flagged the failure, naming no value.
      const answers = readFileSync(log, "utf8");
      expect(answers, s.diag()).toContain(
        "hookpack found 1 secret(s) in the output of this failed apply_patch call.",
      );
      expect(answers).toContain("may have reached you unredacted");
      expect(answers.includes(value)).toBe(false);
      // What the model read: the client's failure text, the value in it, and no hook guidance
      // (unlike postToolUse, whose additionalContext 1.0.102 appends to the result).
      const { outputs } = afterCalls(copilot, s, 1);
      expect(outputs[0]).toMatch(/^Failed to apply patch: Error: Failed to find expected lines/);
      expect(outputs[0]!.includes(value)).toBe(true);
      expect(outputs[0]).not.toContain("hookpack found");
      expect(outputs[0]).not.toContain("may have reached you unredacted");
      expect(existsSync(join(s.sb.project, "notes.txt"))).toBe(true);
    },
    TEST_TIMEOUT,
  );
});
