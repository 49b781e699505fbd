// Issue 21: the PostToolUse path never loads node:crypto (with the stream internals it pulls in,
// ~4 ms of a call): the value matcher's confirmations and the audit append hash with
// core/sha256-wasm.ts; nor process.stdout's stream machinery (the answer goes out by fs.writeSync). Through the REAL hook process (dist/), with a preload that reports which
// built-in modules the process loaded; the redaction and the audit chain are checked too. Not timed.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

const value = `pc${randomBytes(20).toString("hex")}`;
let sb: Sandbox;
let preload: string;
const env = (extra: Record<string, string> = {}) => ({
  ...sb.env,
  HOOKPACK_KEY_BACKEND: "file",
  ...extra,
});

beforeAll(async () => {
  sb = sandbox();
  preload = join(sb.root, "modules.cjs");
  writeFileSync(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(process.env.MODULES_OUT, process.moduleLoadList.join("\\n")));\n`,
  );
  const set = await hookpack(["secret", "set", "CRYPTO_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  // The first append of a home creates the audit key (node:crypto's randomBytes, once): done here.
  const first = await post(`warm-up ${value}\n`, "first");
  expect(first.stdout).toContain("[REDACTED:CRYPTO_KEY]");
  expect(first.exitCode, first.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

function post(stdout: string, tag: string) {
  return hookpack(["hook", "claude-code"], {
    input: JSON.stringify({
      session_id: "s-crypto",
      cwd: sb.project,
      permission_mode: "default",
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "./run.sh" },
      tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
      tool_use_id: "toolu_crypto",
    }),
    env: env({
      NODE_OPTIONS: `--require ${preload}`,
      MODULES_OUT: join(sb.root, `modules-${tag}.txt`),
    }),
    cwd: sb.project,
    timeoutMs: 60_000,
  });
}

const loaded = (tag: string) =>
  readFileSync(join(sb.root, `modules-${tag}.txt`), "utf8").split("\n");

describe("PostToolUse without node:crypto", () => {
  const log = "PASS test/some/file.test.ts (12 tests) 431ms\n".repeat(1400);
  for (const [name, stdout, redacted] of [
    ["a clean 64 KB output", log, false],
    ["a 64 KB output with a stored value", `KEY=${value}\n${log}`, true],
    [
      "a 1 KB output with the value base64-encoded",
      `x\n${Buffer.from(value).toString("base64")}\n`,
      true,
    ],
  ] as const) {
    it(`${name}: answered, audited when redacted, and node:crypto never loaded`, async () => {
      const tag = name.replace(/\W+/g, "-");
      const r = await post(stdout, tag);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).not.toContain(value);
      expect(r.stdout.includes("[REDACTED:CRYPTO_KEY]")).toBe(redacted);
      const modules = loaded(tag);
      expect(modules.length).toBeGreaterThan(20); // the preload did run
      expect(modules.filter((m) => /crypto/.test(m))).toEqual([]);
      // The answer is written with fs.writeSync (hooks/run-hook.ts writeFully), not process.stdout.
      expect(modules.filter((m) => /^NativeModule (net|stream)$/.test(m))).toEqual([]);
    });
  }

  it("an audit field that looks like a secret is withheld (the hook passes its own prefilter to the append)", async () => {
    // A working directory named like a GitHub token: recorded as the entry's cwd, so withheld.
    const token = fakeTokens(7).github;
    const cwd = join(sb.root, token);
    mkdirSync(cwd, { recursive: true });
    const r = await hookpack(["hook", "claude-code"], {
      input: JSON.stringify({
        session_id: "s-crypto",
        cwd,
        permission_mode: "default",
        hook_event_name: "PostToolUse",
        tool_name: "Bash",
        tool_input: { command: "./run.sh" },
        tool_response: { stdout: `KEY=${value}\n`, stderr: "", interrupted: false, isImage: false },
        tool_use_id: "toolu_crypto",
      }),
      env: env(),
      cwd: sb.project,
      timeoutMs: 60_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("[REDACTED:CRYPTO_KEY]");
    const last = readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .pop()!;
    expect(last.kind).toBe("output-redacted");
    expect(last.cwd).toBe("[withheld: looked like a secret]");
    expect(JSON.stringify(last)).not.toContain(token);
  });

  it("the chain those appends wrote verifies with node:crypto (`audit --verify`), and holds no value", async () => {
    const v = await hookpack(["audit", "--verify"], { env: env(), cwd: sb.project });
    expect(v.exitCode, v.stdout + v.stderr).toBe(0);
    const text = readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8");
    expect(text).toContain('"kind":"output-redacted"');
    expect(text).not.toContain(value);
  });
});
