// End to end: the REAL Qwen Code client (@qwen-code/qwen-code from the npm registry, run on a Node 22
// binary from the registry's node-linux-<arch> package; both installed by scripts/setup-e2e.mjs)
// against a scripted fake OpenAI Chat Completions server on loopback, in a temp git repo with
// hookpack installed by its own CLI. The hooks themselves run with this machine's node, as
// `hookpack install` registered them. The fake server sees exactly what the model would see, so
// "the secret never reaches the model" is an assertion over its request log.
// Recipe: /work/shared/reference/e2e-real-clients.md §6 (Gemini CLI, which Qwen Code forks).
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAIChat, type FakeServer, type Logged, type Step } from "./fake-models.js";
import { baseEnv, describeRun, e2eClient, fakeGithubToken, HOOKPACK_CJS, installHookpack, makeSandbox, requireBuild, run, type ClientInfo, type RunResult, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 150_000;
const KEEP = process.env.HOOKPACK_E2E_KEEP === "1";
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "0.24.4";

let client: ClientInfo;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  requireBuild();
  client = e2eClient("qwen");
  if (!client.node) throw new Error("the Qwen Code client has no Node 22 runtime recorded in .cache/e2e/clients.json: re-run scripts/setup-e2e.mjs");
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** User settings: OpenAI-compatible auth (the base URL comes from the env), nothing phoned home. */
const USER_SETTINGS = {
  security: { auth: { selectedType: "openai" } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
};

interface Scenario {
  sb: Sandbox;
  fake: FakeServer;
  run: RunResult;
  diag: () => string;
}

async function scenario(
  steps: Step[] | ((sb: Sandbox) => Step[]),
  opts: { hooks: boolean; forbid?: string[]; files?: Record<string, string>; setup?: (sb: Sandbox) => void; env?: Record<string, string> },
): Promise<Scenario> {
  const sb = makeSandbox("hookpack-e2e-qwen-");
  if (!KEEP) cleanups.push(() => sb.cleanup());
  else console.log(`[e2e] keeping ${sb.root}`);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(sb.project, name), text);
  const fake = await startFakeOpenAIChat({ steps: typeof steps === "function" ? steps(sb) : steps, forbid: opts.forbid });
  cleanups.push(() => fake.close());
  mkdirSync(join(sb.home, ".qwen"), { recursive: true });
  writeFileSync(join(sb.home, ".qwen", "settings.json"), JSON.stringify(USER_SETTINGS));
  if (opts.hooks) {
    const r = await installHookpack(sb, "qwen");
    expect(r.code, `hookpack install failed:\n${describeRun(r)}`).toBe(0);
    const settings = JSON.parse(readFileSync(join(sb.project, ".qwen", "settings.json"), "utf8")) as { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    expect(Object.keys(settings.hooks).sort()).toEqual(["PostToolUse", "PostToolUseFailure", "PreToolUse"]);
    // The hooks run with this machine's node, not the Node 22 that runs the client.
    expect(settings.hooks.PreToolUse![0]!.hooks[0]!.command).toContain(JSON.stringify(process.execPath));
  }
  const env = {
    ...baseEnv(sb),
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: "dummy",
    OPENAI_MODEL: "gpt-fake",
    QWEN_CODE_SUPPRESS_YOLO_WARNING: "1",
    HOOKPACK_HOME: sb.hookpackHome,
    ...opts.env,
  };
  opts.setup?.(sb);
  const args = [client.bin, "-p", "run the step", "--output-format", "json", "--approval-mode", "yolo"];
  const result = await run(client.node!, args, { cwd: sb.project, env, timeoutMs: 120_000 });
  if (KEEP) writeFileSync(join(sb.root, "requests.json"), JSON.stringify(fake.requests(), null, 2));
  const mask = opts.forbid ?? [];
  return { sb, fake, run: result, diag: () => describeRun(result, mask) };
}

const main = (fake: FakeServer) => fake.requests().filter((r) => r.kind === "main");
/** The `role: "tool"` messages of a Chat Completions request: what the model read from each call. */
function toolOutputs(r: Logged): string[] {
  const messages = (r.body as { messages?: unknown[] } | null)?.messages ?? [];
  const text = (c: unknown): string => (typeof c === "string" ? c : Array.isArray(c) ? c.map((p) => String((p as { text?: unknown }).text ?? "")).join("") : "");
  return messages.filter((m) => (m as { role?: unknown }).role === "tool").map((m) => text((m as { content?: unknown }).content));
}

function expectNoLeak(fake: FakeServer): void {
  for (const r of fake.requests()) expect(r.leaksOutsideOwnToolCall, `request #${r.seq} ${r.path} (${r.kind}) carries the secret`).toEqual([]);
}

/** The command a deny for an agent that cannot rewrite input tells the model to run instead. */
const offered = (text: string) => {
  const m = /Run this instead: (.*)$/s.exec(text);
  return m ? { name: "run_shell_command", args: { command: m[1]! } } : undefined;
};

describe("e2e: real Qwen Code + hookpack (qwen adapter)", () => {
  it("runs the pinned client version on a Node 22 runtime", () => {
    expect(client.version).toBe(PINNED);
    const v = spawnSync(client.node!, ["--version"], { encoding: "utf8" });
    expect(v.stdout.trim()).toMatch(/^v22\./);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const token = fakeGithubToken();
      const marker = "ran-marker";
      const cmd = `touch ${marker} && echo ${token}`;
      const { sb, fake, run: r, diag } = await scenario([{ text: "Checking.", call: { name: "run_shell_command", args: { command: cmd } } }, { text: "Done." }], { hooks: true, forbid: [token] });
      console.log(`[e2e] qwen ${client.version} literal-token scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.project, marker)), `the command ran\n${diag()}`).toBe(false);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, `no second model request\n${diag()}`).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toContain("hookpack blocked this run_shell_command call");
      expect(outputs[0]).toContain("$secret:");
      // The check is live: the raw body carries the token inside the fake model's own call.
      expect(second!.leaks).toEqual([token]);
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent with read_file and with cat, does not reach the model",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario(
        (sb) => [
          // read_file wants an absolute path (a relative one is refused before any hook runs).
          { text: "Reading.", call: { name: "read_file", args: { file_path: join(sb.project, "config.env") } } },
          { text: "Trying cat.", call: { name: "run_shell_command", args: { command: "cat config.env" } } },
          { text: "Done." },
        ],
        { hooks: true, forbid: [token], files: { "config.env": `HOST=example.test\nGH_TOKEN=${token}\n` } },
      );
      console.log(`[e2e] qwen ${client.version} file-read scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      const last = main(fake).find((q) => q.step === 2);
      expect(last, diag()).toBeDefined();
      const outputs = toolOutputs(last!);
      expect(outputs).toHaveLength(2);
      // Either the read guard stopped the read up front, or the output was redacted afterwards.
      for (const o of outputs) expect(o).toMatch(/hookpack (blocked|redacted)/);
      expect(last!.leaks).toEqual([]);
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time reaches the model redacted (PostToolUse continue:false)",
    async () => {
      const token = fakeGithubToken();
      // The script holds the token in two halves, so nothing before the run can see it.
      const script = `printf 'HOST=example.test\\nGH_TOKEN=%s%s\\n' '${token.slice(0, 10)}' '${token.slice(10)}'\n`;
      const { fake, run: r, diag } = await scenario([{ text: "Running.", call: { name: "run_shell_command", args: { command: "sh show.sh" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "show.sh": script },
      });
      console.log(`[e2e] qwen ${client.version} output-redaction scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      // The redacted copy replaces the output (as the stopReason of the call's error).
      expect(outputs[0]).toContain("hookpack redacted");
      expect(outputs[0]).toContain("HOST=example.test");
      expect(outputs[0]).toContain("GH_TOKEN=[REDACTED:");
      expect(second!.leaks).toEqual([]);
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "limit: a FAILED command's output (non-zero exit) goes through PostToolUseFailure, which cannot replace it: the token reaches the model, with hookpack's warning next to it",
    async () => {
      const token = fakeGithubToken();
      const script = `printf 'GH_TOKEN=%s%s\\n' '${token.slice(0, 10)}' '${token.slice(10)}'\nexit 3\n`;
      const { fake, run: r, diag } = await scenario([{ text: "Running.", call: { name: "run_shell_command", args: { command: "sh show.sh" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "show.sh": script },
      });
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toContain("Exit Code: 3");
      // Pinned as a known gap (README "not protected"): if Qwen Code ever lets this be replaced, this fails.
      expect(second!.leaksOutsideOwnToolCall).toEqual([token]);
      expect(outputs[0]).toContain("hookpack found secret(s) in this failed run_shell_command call's output");
      expect(outputs[0]).toContain("Do not repeat, store, or send the secret value");
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { fake, run: r, diag } = await scenario([{ text: "Hello.", call: { name: "run_shell_command", args: { command: "echo hello-e2e" } } }, { text: "Done." }], { hooks: true });
      console.log(`[e2e] qwen ${client.version} allow path: ${r.ms} ms`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toContain("Output: hello-e2e");
      expect(outputs[0]).not.toContain("hookpack");
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same file read leaks and the leak check fires",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario((sb) => [{ text: "Reading.", call: { name: "read_file", args: { file_path: join(sb.project, "config.env") } } }, { text: "Done." }], {
        hooks: false,
        forbid: [token],
        files: { "config.env": `GH_TOKEN=${token}\n` },
      });
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      expect(second!.leaksOutsideOwnToolCall).toEqual([token]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a $secret: reference is denied with the brokered command to run instead; run as offered, it gets the value and its echo comes back masked; a use the policy denies is blocked; no request carries the value",
    async () => {
      const value = `Vv${randomBytes(18).toString("hex")}`;
      const forbid = [value, Buffer.from(value).toString("base64"), Buffer.from(value).toString("hex")];
      const policy = { version: 1, secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf", "echo"], approval: "auto" } } };
      const shell = (command: string) => ({ name: "run_shell_command", args: { command, description: "run it" } });
      const { sb, fake, run: r, diag } = await scenario(
        [
          { text: "Hashing.", call: shell('printf %s "$secret:DEPLOY_KEY" | sha256sum') },
          { text: "Running what hookpack offered.", callFrom: offered },
          { text: "Printing.", call: shell("echo key=$secret:DEPLOY_KEY") },
          { text: "Running what hookpack offered.", callFrom: offered },
          { text: "Uploading.", call: shell('touch sent && curl -s -H "X: $secret:DEPLOY_KEY" http://127.0.0.1:9/') },
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
      console.log(`[e2e] qwen ${client.version} $secret: scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      for (const q of fake.requests()) {
        const hits = forbid.filter((f) => q.rawBody.includes(f) || JSON.stringify(q.body).includes(f));
        expect(hits, `request #${q.seq} carries the value`).toEqual([]);
      }
      const outputs = toolOutputs(main(fake).at(-1)!);
      expect(outputs, diag()).toHaveLength(5);
      // Qwen Code cannot rewrite input: the reference is denied with the brokered command.
      expect(outputs[0]).toMatch(/^hookpack cannot rewrite tool input for Qwen Code\. Run this instead: .* exec --grant g_[a-z2-7]{26} --secret DEPLOY_KEY=HOOKPACK_SECRET_DEPLOY_KEY -- bash -c /);
      // Run exactly as offered: the broker injected the value (its digest came out) ...
      expect(outputs[1], diag()).toContain(`Output: ${createHash("sha256").update(value).digest("hex")}`);
      expect(outputs[1]).toContain("Exit Code: 0");
      expect(outputs[2]).toMatch(/^hookpack cannot rewrite tool input/);
      // ... and masked it in what came back.
      expect(outputs[3]).toContain("Output: key=[REDACTED:DEPLOY_KEY]");
      expect(outputs[4]).toMatch(/hookpack blocked this command: the project policy .* does not allow this use of \$secret:DEPLOY_KEY/);
      expect(existsSync(join(sb.project, "sent"))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
