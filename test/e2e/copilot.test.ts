// End to end: the REAL GitHub Copilot CLI (the Node SEA binary from @github/copilot on the npm
// registry, installed by scripts/setup-e2e.mjs) against the scripted fake OpenAI Responses server
// on loopback, in a temp git repo with hookpack installed by its own CLI. No GitHub login: Copilot's
// BYOK provider settings (COPILOT_PROVIDER_BASE_URL, COPILOT_PROVIDER_WIRE_API=responses) point it
// at the fake server, and GITHUB_COPILOT_PROMPT_MODE_REPO_HOOKS=true loads the repository hooks in
// prompt mode (`-p`). The fake server sees exactly what the model would see.
import { createHash, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeServer, type Logged, type Step } from "./fake-models.js";
import { baseEnv, describeRun, e2eClient, fakeGithubToken, HOOKPACK_CJS, installHookpack, makeSandbox, REPO_ROOT, requireBuild, run, type ClientInfo, type RunResult, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 120_000;
const KEEP = process.env.HOOKPACK_E2E_KEEP === "1";
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "1.0.102";

let client: ClientInfo;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  requireBuild();
  client = e2eClient("copilot");
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Scenario {
  sb: Sandbox;
  fake: FakeServer;
  run: RunResult;
  diag: () => string;
}

const allowPrintf = { version: 1, defaults: { approval: "auto", ttl: "2m" }, secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf", "echo"] } } };

async function scenario(
  steps: Step[] | ((sb: Sandbox) => Step[]),
  opts: { hooks: boolean; forbid?: string[]; files?: Record<string, string>; policy?: unknown; secret?: string },
): Promise<Scenario> {
  const sb = makeSandbox("hookpack-e2e-copilot-");
  if (!KEEP) cleanups.push(() => sb.cleanup());
  else console.log(`[e2e] keeping ${sb.root}`);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(sb.project, name), text);
  const fake = await startFakeOpenAI({ steps: typeof steps === "function" ? steps(sb) : steps, forbid: opts.forbid });
  cleanups.push(() => fake.close());
  if (opts.hooks) {
    const r = await installHookpack(sb, "copilot");
    expect(r.code, `hookpack install failed:\n${describeRun(r)}`).toBe(0);
    const hooks = (JSON.parse(readFileSync(join(sb.project, ".github", "hooks", "hookpack.json"), "utf8")) as { hooks: Record<string, unknown> }).hooks;
    expect(Object.keys(hooks).sort()).toEqual(["postToolUse", "preToolUse"]);
  }
  if (opts.policy) writeFileSync(join(sb.project, "hookpack.json"), `${JSON.stringify(opts.policy, null, 2)}\n`);
  if (opts.secret !== undefined) {
    const set = spawnSync(process.execPath, [HOOKPACK_CJS, "secret", "set", "DEPLOY_KEY"], {
      input: opts.secret,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: sb.home, HOOKPACK_HOME: sb.hookpackHome, HOOKPACK_KEY_BACKEND: "file", TMPDIR: sb.tmp },
    });
    expect(set.status, set.stderr).toBe(0);
  }
  const pkgCache = join(REPO_ROOT, ".cache", "e2e", "copilot", "pkg-cache");
  mkdirSync(pkgCache, { recursive: true });
  const env = {
    ...baseEnv(sb),
    HOOKPACK_HOME: sb.hookpackHome,
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
  };
  const result = await run(client.bin, ["-p", "run the step", "--allow-all-tools"], { cwd: sb.project, env, timeoutMs: 90_000 });
  if (KEEP) writeFileSync(join(sb.root, "requests.json"), JSON.stringify(fake.requests(), null, 2));
  const mask = opts.forbid ?? [];
  return { sb, fake, run: result, diag: () => describeRun(result, mask) };
}

const main = (fake: FakeServer) => fake.requests().filter((r) => r.kind === "main");
/** The function_call_output items of a Responses request: what the model read from each tool call. */
function toolOutputs(r: Logged): string[] {
  const input = (r.body as { input?: unknown[] } | null)?.input ?? [];
  return input.flatMap((i) => {
    const item = i as { type?: string; output?: unknown };
    return item.type === "function_call_output" ? [typeof item.output === "string" ? item.output : JSON.stringify(item.output)] : [];
  });
}
/** Everything a request carried besides the tool calls the fake model itself made. */
function outsideOwnCalls(r: Logged): string[] {
  return r.leaksOutsideOwnToolCall;
}
const afterStep = (fake: FakeServer, step: number) => main(fake).find((q) => q.step === step);

describe("e2e: real GitHub Copilot CLI + hookpack (copilot adapter)", () => {
  it("runs the pinned client version", () => {
    expect(client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const token = fakeGithubToken();
      const marker = "ran-marker";
      const { sb, fake, run: r, diag } = await scenario([{ text: "Checking.", call: { name: "bash", args: { command: `touch ${marker} && echo ${token}`, description: "check" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
      });
      console.log(`[e2e] copilot ${client.version} literal-token scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.project, marker)), `the command ran\n${diag()}`).toBe(false);
      const second = afterStep(fake, 1);
      expect(second, `no second model request\n${diag()}`).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toContain("hookpack blocked this bash call");
      expect(outputs[0]).toContain("$secret:");
      // The check is live: the raw body carries the token inside the fake model's own call only.
      expect(second!.leaks).toEqual([token]);
      for (const q of fake.requests()) expect(outsideOwnCalls(q), `request #${q.seq} carries the token outside the model's own call`).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read with the view tool, is blocked before it is read",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario((sb) => [{ text: "Reading.", call: { name: "view", args: { path: join(sb.project, "config.env") } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "config.env": `HOST=example.test\nGH_TOKEN=${token}\n` },
      });
      console.log(`[e2e] copilot ${client.version} view scenario: ${r.ms} ms`);
      expect(r.code, diag()).toBe(0);
      const second = afterStep(fake, 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toMatch(/hookpack blocked/);
      expect(outputs[0]).not.toContain("HOST=example.test");
      for (const q of fake.requests()) expect(q.leaks, `request #${q.seq} carries the token`).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read through the shell, is blocked before it runs",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario([{ text: "Reading.", call: { name: "bash", args: { command: "cat config.env", description: "read" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "config.env": `HOST=example.test\nGH_TOKEN=${token}\n` },
      });
      expect(r.code, diag()).toBe(0);
      const outputs = toolOutputs(afterStep(fake, 1)!);
      expect(outputs[0]).toMatch(/hookpack blocked/);
      for (const q of fake.requests()) expect(q.leaks, `request #${q.seq} carries the token`).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a $secret: reference is rewritten (modifiedArgs) into a brokered exec: the command gets the value, its output is masked, no request carries it",
    async () => {
      const value = `Vv${randomBytes(18).toString("hex")}`;
      const forbid = [value, Buffer.from(value).toString("base64"), Buffer.from(value).toString("hex")];
      const { fake, run: r, diag } = await scenario(
        [
          { text: "Hashing the key.", call: { name: "bash", args: { command: 'printf %s "$secret:DEPLOY_KEY" | sha256sum', description: "hash" } } },
          { text: "Printing it.", call: { name: "bash", args: { command: "echo key=$secret:DEPLOY_KEY", description: "print" } } },
          { text: "Done." },
        ],
        { hooks: true, forbid, policy: allowPrintf, secret: value },
      );
      console.log(`[e2e] copilot ${client.version} $secret: scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      const hashed = toolOutputs(afterStep(fake, 1)!).at(-1);
      expect(hashed, diag()).toContain(createHash("sha256").update(value).digest("hex"));
      const printed = toolOutputs(afterStep(fake, 2)!).at(-1);
      expect(printed).toContain("key=[REDACTED:DEPLOY_KEY]");
      for (const q of fake.requests()) expect(q.leaks, `request #${q.seq} carries the value`).toEqual([]);
      // Unlike Claude Code, Copilot keeps the REWRITTEN arguments in the model's history: the
      // brokered command (a grant id and the secret's name), never the value.
      const calls = ((main(fake).at(-1)!.body as { input: unknown[] }).input as Array<{ type?: string; arguments?: string }>).filter((i) => i.type === "function_call");
      expect(calls).toHaveLength(2);
      for (const c of calls) expect(c.arguments).toMatch(/hookpack\.cjs' exec --grant g_\w+ --secret DEPLOY_KEY=/);
    },
    TEST_TIMEOUT,
  );

  it(
    "denies a reference in a command the policy does not allow; it never runs and the model is told why",
    async () => {
      const value = `Vv${randomBytes(18).toString("hex")}`;
      const { sb, fake, run: r, diag } = await scenario(
        (s) => [{ text: "Uploading.", call: { name: "bash", args: { command: `touch '${join(s.root, "ran")}'; curl -s -H "X-Key: $secret:DEPLOY_KEY" http://127.0.0.1:9/`, description: "upload" } } }, { text: "Done." }],
        { hooks: true, forbid: [value], policy: allowPrintf, secret: value },
      );
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.root, "ran"))).toBe(false);
      const denied = toolOutputs(afterStep(fake, 1)!).at(-1);
      expect(denied).toMatch(/DEPLOY_KEY/);
      expect(denied).toMatch(/hookpack\.json|not allowed|policy/i);
      for (const q of fake.requests()) expect(q.leaks).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "KNOWN LIMIT: a managed secret printed at run time reaches the model (command hooks cannot replace output); hookpack says so next to it",
    async () => {
      const value = `Vv${randomBytes(18).toString("hex")}`;
      // The script holds the value in two halves, so nothing before the run can see it.
      const script = `printf 'HOST=example.test\\nDEPLOY_KEY=%s%s\\n' '${value.slice(0, 10)}' '${value.slice(10)}'\n`;
      const { fake, run: r, diag } = await scenario([{ text: "Running.", call: { name: "bash", args: { command: "sh show.sh", description: "run" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [value],
        files: { "show.sh": script },
        policy: allowPrintf,
        secret: value,
      });
      expect(r.code, diag()).toBe(0);
      const outputs = toolOutputs(afterStep(fake, 1)!);
      expect(outputs).toHaveLength(1);
      // This is the leak the README states for Copilot: the output arrives as the tool gave it…
      expect(outputs[0]!.includes(value)).toBe(true);
      // …and the model is told, in the same tool result, not to repeat it and to have it rotated.
      expect(outputs[0]).toContain("Additional guidance from postToolUse hooks:\nhookpack found secret(s) in this bash output.");
      expect(outputs[0]).toContain("may have reached you unredacted");
    },
    TEST_TIMEOUT,
  );

  it(
    "observed: Copilot itself masks a GitHub token in shell output; hookpack's notice comes along",
    async () => {
      const token = fakeGithubToken();
      const script = `printf 'GH_TOKEN=%s%s\\n' '${token.slice(0, 10)}' '${token.slice(10)}'\n`;
      const { fake, run: r, diag } = await scenario([{ text: "Running.", call: { name: "bash", args: { command: "sh show.sh", description: "run" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "show.sh": script },
      });
      expect(r.code, diag()).toBe(0);
      const outputs = toolOutputs(afterStep(fake, 1)!);
      expect(outputs[0]).toContain("GH_TOKEN=******");
      expect(outputs[0]).toContain("hookpack found secret(s)");
      for (const q of fake.requests()) expect(q.leaks).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { fake, run: r, diag } = await scenario([{ text: "Hello.", call: { name: "bash", args: { command: "echo hello-e2e", description: "hi" } } }, { text: "Done." }], { hooks: true });
      expect(r.code, diag()).toBe(0);
      const outputs = toolOutputs(afterStep(fake, 1)!);
      expect(outputs[0]).toContain("hello-e2e");
      expect(outputs[0]).not.toContain("hookpack");
    },
    TEST_TIMEOUT,
  );
});
