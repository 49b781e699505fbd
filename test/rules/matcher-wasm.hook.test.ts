// The stored-value matcher's WebAssembly roll (rules/matcher-wasm.ts) through the REAL hook process
// (dist/): a PostToolUse output long enough to take the WebAssembly path, with a stored value in
// several forms at its start, middle and end, is redacted exactly as the JavaScript fallback does it
// (`node --jitless`: no WebAssembly at all). Not timed.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

const value = randomBytes(18).toString("base64url");
let sb: Sandbox;
const env = (extra: Record<string, string> = {}) => ({
  ...sb.env,
  HOOKPACK_KEY_BACKEND: "file",
  ...extra,
});

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "WASM_ROLL_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

function post(stdout: string, nodeOptions: string) {
  return hookpack(["hook", "claude-code"], {
    input: JSON.stringify({
      session_id: "s-wasm",
      cwd: sb.project,
      permission_mode: "default",
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "./run.sh" },
      tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
      tool_use_id: "toolu_wasm",
    }),
    env: env(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    cwd: sb.project,
    timeoutMs: 60_000,
  });
}

describe("matcher-wasm through the real hook", () => {
  it("redacts a long output the same with WebAssembly and with --jitless (the JavaScript loop)", async () => {
    const line = "PASS test/some/file.test.ts (12 tests) 431ms\n";
    const filler = line.repeat(40); // 3 × 1.8 KB: above the WebAssembly threshold (4,096 units), below the spill
    const stdout = [
      value,
      filler,
      `TOKEN=${Buffer.from(value).toString("base64")}`,
      filler,
      `é€ ${encodeURIComponent(value)} \ud800`,
      filler,
      `KEY=${value}`,
    ].join("\n");
    const wasm = await post(stdout, "");
    const jitless = await post(stdout, "--jitless");
    expect(wasm.exitCode, wasm.stderr).toBe(0);
    expect(jitless.exitCode, jitless.stderr).toBe(0);
    expect(wasm.stdout).not.toContain(value);
    expect(wasm.stdout).not.toContain(Buffer.from(value).toString("base64"));
    const redacted = wasm.stdout.split("[REDACTED:WASM_ROLL_KEY]").length - 1;
    expect(redacted).toBe(4);
    expect(wasm.stdout).not.toContain("too long");
    expect(wasm.stdout).toBe(jitless.stdout);
  });
});
