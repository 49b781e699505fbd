// End to end: the REAL Codex CLI (native binary from @openai/codex on the npm registry, installed
// by scripts/setup-e2e.mjs) against a scripted fake OpenAI Responses server on loopback, in a temp
// git repo with hookpack installed by its own CLI. The fake server sees exactly what the model
// would see, so "the secret never reaches the model" is an assertion over its request log.
// Recipe: /work/shared/reference/e2e-real-clients.md §7.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeServer, type Logged, type Step } from "./fake-models.js";
import { baseEnv, describeRun, e2eClient, fakeGithubToken, HOOKPACK_CJS, installHookpack, makeSandbox, requireBuild, run, type ClientInfo, type RunResult, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 120_000;
const KEEP = process.env.HOOKPACK_E2E_KEEP === "1";
/** The version the adapter was checked against; the test fails loudly when the pinned client moves. */
const PINNED = "0.169.0";

let client: ClientInfo;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  requireBuild();
  client = e2eClient("codex");
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

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

interface Scenario {
  sb: Sandbox;
  fake: FakeServer;
  run: RunResult;
  diag: () => string;
}

async function scenario(
  steps: Step[],
  opts: { hooks: boolean; forbid?: string[]; files?: Record<string, string>; beforeInstall?: (sb: Sandbox) => void; setup?: (sb: Sandbox) => void; env?: Record<string, string>; hooksFile?: "json" | "toml" },
): Promise<Scenario> {
  const sb = makeSandbox("hookpack-e2e-codex-");
  if (!KEEP) cleanups.push(() => sb.cleanup());
  else console.log(`[e2e] keeping ${sb.root}`);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(sb.project, name), text);
  const fake = await startFakeOpenAI({ steps, forbid: opts.forbid });
  cleanups.push(() => fake.close());
  const codexHome = join(sb.home, ".codex");
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(join(codexHome, "config.toml"), configToml(sb, fake.url));
  opts.beforeInstall?.(sb);
  if (opts.hooks) {
    const r = await installHookpack(sb, "codex");
    expect(r.code, `hookpack install failed:\n${describeRun(r)}`).toBe(0);
    // The installer must tell the user about Codex's hook trust gate.
    expect(r.stdout).toMatch(/\/hooks/);
    if (opts.hooksFile === "toml") {
      expect(existsSync(join(sb.project, ".codex", "hooks.json"))).toBe(false);
      expect(readFileSync(join(sb.project, ".codex", "config.toml"), "utf8")).toMatch(/# >>> hookpack[\s\S]*\[\[hooks\.PreToolUse\]\][\s\S]*\[\[hooks\.PostToolUse\]\]/);
    } else {
      const hooks = (JSON.parse(readFileSync(join(sb.project, ".codex", "hooks.json"), "utf8")) as { hooks: Record<string, unknown> }).hooks;
      expect(Object.keys(hooks).sort()).toEqual(["PostToolUse", "PreToolUse"]);
    }
  }
  opts.setup?.(sb);
  const env = { ...baseEnv(sb), CODEX_HOME: codexHome, FAKE_OPENAI_API_KEY: "dummy", HOOKPACK_HOME: sb.hookpackHome, ...opts.env };
  const args = ["exec", "--skip-git-repo-check", "--json", "--disable", "apps", "--disable", "plugins", "--disable", "remote_plugin"];
  // The documented bypass of the trust gate (hooks are skipped silently without it, or /hooks in the TUI).
  args.push("--dangerously-bypass-hook-trust", "run the step");
  const result = await run(client.bin, args, { cwd: sb.project, env, timeoutMs: 90_000 });
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

/** The request body without the fake model's own function_call items. */
function ownCallsRemoved(body: unknown): unknown {
  const b = body as { input?: unknown[] } | null;
  if (!b || !Array.isArray(b.input)) return body;
  return { ...b, input: b.input.filter((i) => !((i as { type?: string; call_id?: string }).type === "function_call" && String((i as { call_id?: string }).call_id).startsWith("call_e2efake_"))) };
}

function expectNoLeak(fake: FakeServer): void {
  for (const r of fake.requests()) expect(r.leaksOutsideOwnToolCall, `request #${r.seq} ${r.path} (${r.kind}) carries the secret`).toEqual([]);
}

describe("e2e: real Codex CLI + hookpack (codex adapter)", () => {
  it("runs the pinned client version", () => {
    expect(client.version).toBe(PINNED);
  });

  it(
    "blocks a command carrying a literal token: it never runs, the model is told why, the token never reaches the model",
    async () => {
      const token = fakeGithubToken();
      const marker = "ran-marker";
      const cmd = `touch ${marker} && echo ${token}`;
      const { sb, fake, run: r, diag } = await scenario([{ text: "Checking.", call: { name: "exec_command", args: { cmd } } }, { text: "Done." }], { hooks: true, forbid: [token] });
      console.log(`[e2e] codex ${client.version} literal-token scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.project, marker)), `the command ran\n${diag()}`).toBe(false);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, `no second model request\n${diag()}`).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toMatch(/blocked by PreToolUse hook/);
      expect(outputs[0]).toContain("hookpack blocked this Bash call");
      expect(outputs[0]).toContain("$secret:");
      // The check is live: the raw body carries the token inside the fake model's own call.
      expect(second!.leaks).toEqual([token]);
      // Codex itself appends "Command: <the model's own command>" to a block message: the model's
      // own text comes back, nothing new. Apart from that echo the token appears nowhere.
      expect(outputs[0]!.endsWith(`Command: ${cmd}`), outputs[0]!.split(token).join("<FAKE-TOKEN>")).toBe(true);
      expect(outputs[0]!.slice(0, -cmd.length).includes(token), "hookpack's message carries the token").toBe(false);
      for (const q of fake.requests()) {
        const withoutEcho = JSON.stringify(ownCallsRemoved(q.body)).split(JSON.stringify(`Command: ${cmd}`).slice(1, -1)).join("");
        expect(withoutEcho.includes(token), `request #${q.seq} carries the token outside the model's own call and its echo`).toBe(false);
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "a file holding a token, read by the agent through the shell, does not reach the model",
    async () => {
      const token = fakeGithubToken();
      const { fake, run: r, diag } = await scenario([{ text: "Reading.", call: { name: "exec_command", args: { cmd: "cat config.env" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "config.env": `HOST=example.test\nGH_TOKEN=${token}\n` },
      });
      console.log(`[e2e] codex ${client.version} file-read scenario: ${r.ms} ms, ${fake.requests().length} requests`);
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
    "a command whose output carries a token only at run time reaches the model redacted (PostToolUse block replaces the output)",
    async () => {
      const token = fakeGithubToken();
      // The script holds the token in two halves, so nothing before the run can see it.
      const script = `printf 'HOST=example.test\\nGH_TOKEN=%s%s\\n' '${token.slice(0, 10)}' '${token.slice(10)}'\n`;
      const { fake, run: r, diag } = await scenario([{ text: "Running.", call: { name: "exec_command", args: { cmd: "sh show.sh" } } }, { text: "Done." }], {
        hooks: true,
        forbid: [token],
        files: { "show.sh": script },
      });
      console.log(`[e2e] codex ${client.version} output-redaction scenario: ${r.ms} ms, ${fake.requests().length} requests`);
      expect(r.code, diag()).toBe(0);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      const outputs = toolOutputs(second!);
      expect(outputs).toHaveLength(1);
      // The redacted copy replaces the output (as PostToolUse block feedback).
      expect(outputs[0]).toContain("hookpack redacted");
      expect(outputs[0]).toContain("HOST=example.test");
      expect(outputs[0]).toContain("GH_TOKEN=[REDACTED:");
      expect(second!.leaks).toEqual([]);
      expectNoLeak(fake);
    },
    TEST_TIMEOUT,
  );

  it(
    "hooks kept inline in the project's config.toml: hookpack's block there is read by the real client (a literal token is blocked) and the user's own inline hook still runs",
    async () => {
      const token = fakeGithubToken();
      const marker = "ran-marker";
      const cmd = `touch ${marker} && echo ${token}`;
      let userToml = "";
      const { sb, fake, run: r, diag } = await scenario([{ text: "Checking.", call: { name: "exec_command", args: { cmd } } }, { text: "Done." }], {
        hooks: true,
        hooksFile: "toml",
        forbid: [token],
        beforeInstall: (box) => {
          mkdirSync(join(box.project, ".codex"), { recursive: true });
          const audit = join(box.root, "audit-ran");
          userToml = ["# the team's own Codex hooks (comments are kept)", "[[hooks.PreToolUse]]", 'matcher = "*"', "[[hooks.PreToolUse.hooks]]", 'type = "command"', `command = "touch ${audit}"`, "timeout = 5", ""].join("\n");
          writeFileSync(join(box.project, ".codex", "config.toml"), userToml);
        },
      });
      expect(r.code, diag()).toBe(0);
      expect(existsSync(join(sb.root, "audit-ran")), `the user's own inline hook did not run\n${diag()}`).toBe(true);
      expect(existsSync(join(sb.project, marker)), `the command ran\n${diag()}`).toBe(false);
      const second = main(fake).find((q) => q.step === 1);
      expect(second, diag()).toBeDefined();
      expect(toolOutputs(second!)[0]).toContain("hookpack blocked this Bash call");
      // And uninstall gives the user's file back byte for byte.
      const u = await run(process.execPath, [HOOKPACK_CJS, "uninstall", "--agent", "codex", "--no-git-hook", "--no-ignore-files"], { cwd: sb.project, env: { ...baseEnv(sb), HOOKPACK_HOME: sb.hookpackHome }, timeoutMs: 30_000 });
      expect(u.code, describeRun(u)).toBe(0);
      expect(readFileSync(join(sb.project, ".codex", "config.toml"), "utf8")).toBe(userToml);
    },
    TEST_TIMEOUT,
  );

  it(
    "a harmless command runs with hooks installed and its output reaches the model unchanged",
    async () => {
      const { fake, run: r, diag } = await scenario([{ text: "Hello.", call: { name: "exec_command", args: { cmd: "echo hello-e2e" } } }, { text: "Done." }], { hooks: true });
      console.log(`[e2e] codex ${client.version} allow path: ${r.ms} ms`);
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
      const { fake, run: r, diag } = await scenario([{ text: "Reading.", call: { name: "exec_command", args: { cmd: "cat config.env" } } }, { text: "Done." }], {
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
      const { sb, fake, run: r, diag } = await scenario(
        [
          { text: "Hashing.", call: { name: "exec_command", args: { cmd: 'printf %s "$secret:DEPLOY_KEY" | sha256sum' } } },
          { text: "Printing.", call: { name: "exec_command", args: { cmd: "echo key=$secret:DEPLOY_KEY" } } },
          { text: "Uploading.", call: { name: "exec_command", args: { cmd: "touch sent && curl -s -H \"X: $secret:DEPLOY_KEY\" http://127.0.0.1:9/" } } },
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
      const last = main(fake).at(-1)!;
      const outputs = toolOutputs(last);
      expect(outputs[0], diag()).toContain(createHash("sha256").update(value).digest("hex"));
      expect(outputs[1]).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(outputs[2]).toMatch(/hookpack/);
      expect(existsSync(join(sb.project, "sent"))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
