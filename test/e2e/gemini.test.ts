// End to end: the REAL Gemini CLI (@google/gemini-cli from the npm registry, installed by
// scripts/setup-e2e.mjs and run with this node) against a scripted fake Gemini API server on
// loopback, in a temp git repo with hookpack installed by its own CLI. The fake server sees
// exactly what the model would see, so "the secret never reaches the model" is an assertion over
// its request log.
// Recipe: /work/shared/reference/e2e-real-clients.md §6.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeGemini, type FakeServer, type Logged, type Step } from "./fake-models.js";
import { baseEnv, describeRun, e2eClient, fakeGithubToken, HOOKPACK_CJS, installHookpack, makeSandbox, requireBuild, run, type ClientInfo, type RunResult, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 120_000;
const KEEP = process.env.HOOKPACK_E2E_KEEP === "1";
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "0.61.0";

let client: ClientInfo;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  requireBuild();
  client = e2eClient("gemini");
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const USER_SETTINGS = {
  security: { auth: { selectedType: "gemini-api-key" } },
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
  steps: Step[],
  opts: { hooks: boolean; forbid?: string[]; files?: Record<string, string>; setup?: (sb: Sandbox) => void; env?: Record<string, string> },
): Promise<Scenario> {
  const sb = makeSandbox("hookpack-e2e-gemini-");
  if (!KEEP) cleanups.push(() => sb.cleanup());
  else console.log(`[e2e] keeping ${sb.root}`);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(sb.project, name), text);
  const fake = await startFakeGemini({ steps, forbid: opts.forbid });
  cleanups.push(() => fake.close());
  mkdirSync(join(sb.home, ".gemini"), { recursive: true });
  writeFileSync(join(sb.home, ".gemini", "settings.json"), JSON.stringify(USER_SETTINGS));
  if (opts.hooks) {
    const r = await installHookpack(sb, "gemini");
    expect(r.code, `hookpack install failed:\n${describeRun(r)}`).toBe(0);
    const settings = JSON.parse(readFileSync(join(sb.project, ".gemini", "settings.json"), "utf8")) as { hooks: Record<string, unknown> };
    expect(Object.keys(settings.hooks).sort()).toEqual(["AfterTool", "BeforeTool"]);
  }
  const env = {
    ...baseEnv(sb),
    GOOGLE_GEMINI_BASE_URL: fake.url,
    GEMINI_API_KEY: "dummy",
    GEMINI_CLI_TRUST_WORKSPACE: "true",
    HOOKPACK_HOME: sb.hookpackHome,
    ...opts.env,
  };
  opts.setup?.(sb);
  const args = [client.bin, "-p", "run the step", "--output-format", "json", "--approval-mode", "yolo"];
  const result = await run(process.execPath, args, { cwd: sb.project, env, timeoutMs: 90_000 });
  if (KEEP) writeFileSync(join(sb.root, "requests.json"), JSON.stringify(fake.requests(), null, 2));
  const mask = opts.forbid ?? [];
  return { sb, fake, run: result, diag: () => describeRun(result, mask) };
}

const main = (fake: FakeServer) => fake.requests().filter((r) => r.kind === "main");
/** The functionResponse parts of a Gemini request: what the model read from each tool call. */
function toolOutputs(r: Logged): string[] {
  const contents = (r.body as { contents?: unknown[] } | null)?.contents ?? [];
  const out: string[] = [];
  for (const c of contents) {
    for (const p of (c as { parts?: unknown[] }).parts ?? []) {
      const response = (p as { functionResponse?: { response?: unknown } }).functionResponse?.response;
      if (response !== undefined) out.push(JSON.stringify(response));
    }
  }
  return out;
}

function expectNoLeak(fake: FakeServer): void {
  for (const r of fake.requests()) expect(r.leaksOutsideOwnToolCall, `request #${r.seq} ${r.path} (${r.kind}) carries the secret`).toEqual([]);
}

describe("e2e: real Gemini CLI + hookpack (gemini adapter)", () => {
  it("runs the pinned client version", () => {
    expect(client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const token = fakeGithubToken();
      const marker = "ran-marker";
      const cmd = `touch ${marker} && echo ${token}`;
      const { sb, fake, run: r, diag } = await scenario([{ text: "Checking.", call: { name: "run_shell_command", args: { command: cmd } } }, { text: "Done." }], { hooks: true, forbid: [token] });
      console.log(`[e2e] gemini ${client.version} literal-token scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.project, marker)), `the command ran\n${diag()}`).toBe(false);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, `no second model request\n${diag()}`).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toContain("hookpack blocked this run_shell_command call");
      expect(outputs[0]).toContain("$secret:");
      expect(outputs[0]).toMatch(/"error"/);
      // The check is live: the raw body carries the token inside the fake model's own call.
      expect(second!.leaks).toEqual([token]);
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent with read_file, does not reach the model",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario([{ text: "Reading.", call: { name: "read_file", args: { file_path: "config.env" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "config.env": `HOST=example.test\nGH_TOKEN=${token}\n` },
      });
      console.log(`[e2e] gemini ${client.version} file-read scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      // Either the read guard stopped the read up front, or the output was redacted afterwards.
      expect(outputs[0]).toMatch(/hookpack (blocked|redacted)/);
      expect(second!.leaks).toEqual([]);
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "a command whose output carries a token only at run time reaches the model redacted (AfterTool deny replaces the output)",
    async () => {
      const token = fakeGithubToken();
      // The script holds the token in two halves, so nothing before the run can see it.
      const script = `printf 'HOST=example.test\\nGH_TOKEN=%s%s\\n' '${token.slice(0, 10)}' '${token.slice(10)}'\n`;
      const { fake, run: r, diag } = await scenario([{ text: "Running.", call: { name: "run_shell_command", args: { command: "sh show.sh" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "show.sh": script },
      });
      console.log(`[e2e] gemini ${client.version} output-redaction scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      // The redacted copy replaces the output (as the AfterTool deny reason, an error).
      expect(outputs[0]).toContain("hookpack redacted");
      expect(outputs[0]).toContain("HOST=example.test");
      expect(outputs[0]).toContain("GH_TOKEN=[REDACTED:");
      expect(second!.leaks).toEqual([]);
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { fake, run: r, diag } = await scenario([{ text: "Hello.", call: { name: "run_shell_command", args: { command: "echo hello-e2e" } } }, { text: "Done." }], { hooks: true });
      console.log(`[e2e] gemini ${client.version} allow path: ${r.ms} ms`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toContain("hello-e2e");
      expect(outputs[0]).not.toContain("hookpack");
    },
    TEST_TIMEOUT,
  );

  it(
    "negative control: without hookpack the same file read leaks and the leak check fires",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario([{ text: "Reading.", call: { name: "read_file", args: { file_path: "config.env" } } }, { text: "Done." }], {
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
    "brokers a $secret: reference: the command runs with the value, its echo comes back masked, a reference the policy denies is blocked; no request carries the value",
    async () => {
      const value = `Vv${randomBytes(18).toString("hex")}`;
      const forbid = [value, Buffer.from(value).toString("base64"), Buffer.from(value).toString("hex")];
      const policy = { version: 1, secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf", "echo"], approval: "auto" } } };
      const shell = (command: string) => ({ name: "run_shell_command", args: { command, description: "run it" } });
      const { sb, fake, run: r, diag } = await scenario(
        [
          { text: "Hashing.", call: shell('printf %s "$secret:DEPLOY_KEY" | sha256sum') },
          { text: "Printing.", call: shell("echo key=$secret:DEPLOY_KEY") },
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
      expect(r.code, diag()).toBe(0);
      for (const q of fake.requests()) {
        const hits = forbid.filter((f) => JSON.stringify(q.body).includes(f));
        expect(hits, `request #${q.seq} carries the value`).toEqual([]);
      }
      const outputs = toolOutputs(main(fake).at(-1)!);
      expect(outputs[0], diag()).toContain(createHash("sha256").update(value).digest("hex"));
      expect(outputs[1]).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(outputs[2]).toMatch(/hookpack/);
      expect(existsSync(join(sb.project, "sent"))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
