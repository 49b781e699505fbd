// Payloads nested 100,000 deep (sec-gaps3): JSON.parse accepts them, and a recursive walk over them
// overflowed the stack, so the hook crashed instead of checking the call. A hostile agent gets a
// value into such a payload (an MCP tool's arguments it writes, an MCP tool's output it makes deep)
// and hopes the crash lets the call or the output through. Through the real hook process
// (dist/hookpack.cjs) for Claude Code and Gemini CLI: each attempt must end with the call denied or
// the output replaced, and no value in anything the hook writes.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHook } from "../helpers/hook-run.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type RunResult, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const tokens = fakeTokens(91);
const managedValue = `mv${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const DEPTH = 100_000;
let sb: Sandbox;

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: managedValue,
    env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file" },
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

/** Deep JSON text around `leaf` (JSON.stringify would overflow building it). */
const SHAPES: Record<string, (leaf: string) => string> = {
  "object chain": (leaf) => `${'{"a":'.repeat(DEPTH)}${JSON.stringify(leaf)}${"}".repeat(DEPTH)}`,
  "array chain": (leaf) => `${"[".repeat(DEPTH)}${JSON.stringify(leaf)}${"]".repeat(DEPTH)}`,
  "a string at every level": (leaf) =>
    `${'{"note":"padding words","a":'.repeat(DEPTH)}${JSON.stringify(leaf)}${"}".repeat(DEPTH)}`,
  "value first, then the deep part": (leaf) =>
    `{"v":${JSON.stringify(leaf)},"rest":${'{"a":'.repeat(DEPTH)}"end"${"}".repeat(DEPTH)}}`,
};

const leaves = () => [
  ["a detected token", `token ${tokens.github}`],
  ["a stored value", `deploy key ${managedValue}`],
];
const values = () => [tokens.github, managedValue];
const leaked = (r: RunResult) => values().some((v) => (r.stdout + r.stderr).includes(v));

async function hook(agent: string, payload: string) {
  return runHook(sb, payload, { agent, env: { HOOKPACK_KEY_BACKEND: "file" }, timeoutMs: 120_000 });
}

const head = (event: string) =>
  `"session_id":"s-deep","transcript_path":${JSON.stringify(join(sb.root, "t.jsonl"))},"cwd":${JSON.stringify(sb.project)},"hook_event_name":"${event}"`;

describe("attack: a value inside a tool call nested 100,000 deep (real hook)", () => {
  const t = tally("json-deep/tool input");
  for (const [shape, deep] of Object.entries(SHAPES))
    // (A stored value in a tool's arguments is not denied at any depth: the model cannot have it
    // unless an output showed it, and outputs are redacted; a detected token is denied.)
    for (const [what, leaf] of [["a detected token", () => `token ${tokens.github}`]] as const) {
      it(`Claude Code PreToolUse, MCP arguments, ${shape}, ${what}: denied`, async () => {
        const r = await hook(
          "claude-code",
          `{${head("PreToolUse")},"tool_name":"mcp__store__put","tool_use_id":"toolu_d","tool_input":${deep(leaf())}}`,
        );
        // Claude Code blocks a PreToolUse call on a deny decision, and on exit code 2.
        const denied =
          r.exitCode === 2 || /"permissionDecision":"deny"/.test(r.stdout.slice(0, 4096));
        t.attempt(denied && !leaked(r));
        expect(leaked(r)).toBe(false);
        expect(denied, `${r.exitCode} ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`).toBe(
          true,
        );
      }, 120_000);
    }
  for (const shape of ["object chain", "a string at every level"]) {
    it(`Gemini CLI BeforeTool, MCP arguments, ${shape}: denied`, async () => {
      const r = await hook(
        "gemini",
        `{${head("BeforeTool")},"timestamp":"2026-12-06T00:00:00Z","tool_name":"store_put","tool_input":${SHAPES[shape]!(`token ${tokens.github}`)}}`,
      );
      const denied = r.exitCode === 2 || /"decision":"deny"/.test(r.stdout.slice(0, 4096));
      t.attempt(denied && !leaked(r));
      expect(leaked(r)).toBe(false);
      expect(denied, `${r.exitCode} ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`).toBe(
        true,
      );
    }, 120_000);
  }
});

describe("attack: a value inside a tool output nested 100,000 deep (real hook)", () => {
  const t = tally("json-deep/tool output");
  for (const [shape, deep] of Object.entries(SHAPES))
    for (const [what, leaf] of leaves()) {
      it(`Claude Code PostToolUse, MCP output, ${shape}, ${what}: replaced`, async () => {
        const r = await hook(
          "claude-code",
          `{${head("PostToolUse")},"tool_name":"mcp__evil__dump","tool_use_id":"toolu_d","tool_input":{},"tool_response":${deep(leaf!)}}`,
        );
        // The model gets updatedToolOutput instead of the output (which held the value).
        const replaced = r.stdout.includes('"updatedToolOutput"');
        t.attempt(replaced && !leaked(r));
        expect(leaked(r)).toBe(false);
        expect(replaced, `${r.exitCode} ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`).toBe(
          true,
        );
      }, 120_000);
    }
  it("Claude Code PostToolUse: tool input 100,000 deep, the value in a plain output: replaced", async () => {
    const r = await hook(
      "claude-code",
      `{${head("PostToolUse")},"tool_name":"mcp__evil__dump","tool_use_id":"toolu_d","tool_input":${SHAPES["object chain"]!("x")},"tool_response":${JSON.stringify(`token ${tokens.github}`)}}`,
    );
    const replaced = r.stdout.includes('"updatedToolOutput"');
    t.attempt(replaced && !leaked(r));
    expect(leaked(r)).toBe(false);
    expect(replaced, `${r.exitCode} ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`).toBe(
      true,
    );
  }, 120_000);
  for (const shape of ["object chain", "a string at every level"]) {
    it(`Gemini CLI AfterTool, MCP output, ${shape}: the output is replaced by a deny reason`, async () => {
      const r = await hook(
        "gemini",
        `{${head("AfterTool")},"timestamp":"2026-12-06T00:00:00Z","tool_name":"evil_dump","tool_input":{},"tool_response":${SHAPES[shape]!(`token ${tokens.github}`)}}`,
      );
      const denied = /"decision":"deny"/.test(r.stdout.slice(0, 4096));
      t.attempt(denied && !leaked(r));
      expect(leaked(r)).toBe(false);
      expect(denied, `${r.exitCode} ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`).toBe(
        true,
      );
    }, 120_000);
  }
});

describe("deep but clean payloads are not refused (no false alarms)", () => {
  it("Claude Code PreToolUse, MCP arguments 100,000 deep, nothing secret: allowed", async () => {
    const r = await hook(
      "claude-code",
      `{${head("PreToolUse")},"tool_name":"mcp__store__put","tool_use_id":"toolu_d","tool_input":${SHAPES["object chain"]!("plain words")}}`,
    );
    expect(r.exitCode, r.stderr.slice(0, 500)).toBe(0);
    expect(r.stdout).not.toMatch(/"permissionDecision":"deny"/);
  }, 120_000);
});
