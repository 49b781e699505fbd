// A withheld PostToolUse output keeps the tool's keys (Claude Code drops an answer that breaks a
// built-in tool's schema and shows the original), but never a key that holds a value: a stored
// value, a value found in the call, or a token becomes `withheld_N` (hooks/pipeline.ts screenKeys).
// And a PostToolUse payload the adapter cannot read still gets the agent's withholding answer.
import { describe, expect, it } from "vitest";
import { claudeCode } from "../../adapters/claude-code.js";
import { runPipeline, screenKeys } from "../../hooks/pipeline.js";
import type { Rule } from "../../rules/rule.js";
import { secretScanner } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

const token = fakeTokens(77).github;
const stored = `Zq${"k7".repeat(12)}W`;
const base = { session_id: "s", cwd: "/p", transcript_path: "/p/t.jsonl" };
const deny: Rule = {
  id: "deny",
  summary: "withholds",
  on: ["after-tool"],
  check: () => ({ kind: "deny", code: "TEST_WITHHELD", reason: "withheld for the test" }),
};
const managed = {
  home: "/nonexistent",
  find: (text: string) => {
    const at = text.indexOf(stored);
    return at === -1 ? [] : [{ start: at, end: at + stored.length, name: "DB_PASSWORD" }];
  },
  exposed: () => {},
};
const post = (response: unknown, tool = "Bash") =>
  JSON.stringify({
    ...base,
    hook_event_name: "PostToolUse",
    tool_name: tool,
    tool_input: { command: "x" },
    tool_response: response,
  });
const updated = (stdout: string) =>
  (JSON.parse(stdout) as { hookSpecificOutput: { updatedToolOutput: Record<string, unknown> } })
    .hookSpecificOutput.updatedToolOutput;

describe("screenKeys", () => {
  it("renames only the keys that hold a value, empties what they held, keeps the rest as they were", () => {
    const untouched = { a: [1, { b: "x" }] };
    const out = screenKeys(
      { stdout: "o", [token]: { deep: "v" }, keep: untouched, list: [{ [token]: 1, ok: 2 }] },
      (k) => k === token,
    ) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["stdout", "withheld_1", "keep", "list"]);
    expect(out.withheld_1).toBe("");
    expect(out.keep).toBe(untouched);
    expect(out.list).toEqual([{ withheld_2: "", ok: 2 }]);
  });

  it("returns the same object when no key holds a value, and keeps a __proto__ key a key", () => {
    const clean = { stdout: "o", nested: { k: 1 } };
    expect(screenKeys(clean, () => false)).toBe(clean);
    const proto = JSON.parse(`{"__proto__":{"polluted":1},"${token}":2}`) as object;
    const out = screenKeys(proto, (k) => k === token) as Record<string, unknown>;
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("stops at depth 64 (the answer withholds what is below as one string), whatever the nesting", () => {
    let deep: unknown = { [token]: 1 };
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(() => screenKeys(deep, (k) => k === token)).not.toThrow();
  });
});

describe("a withheld Claude Code output never keeps a key that holds a value", () => {
  for (const [label, key] of [
    ["a token", token],
    ["a stored value", stored],
    ["a stored value inside a longer key", `row-${stored}-1`],
  ] as const) {
    it(`${label} as a key of a Bash output: renamed; stdout, stderr, interrupted, isImage kept`, async () => {
      const r = await runPipeline(
        {
          raw: post({
            stdout: "ok",
            stderr: "",
            interrupted: false,
            isImage: false,
            [key]: "v",
            extra: { [key]: { x: 1 } },
          }),
        },
        { adapter: claudeCode, rules: [deny], scanner: secretScanner, managed },
      );
      expect(r.exitCode).toBe(0);
      const out = updated(r.stdout);
      expect(Object.keys(out)).toEqual([
        "stdout",
        "stderr",
        "interrupted",
        "isImage",
        "withheld_1",
        "extra",
      ]);
      expect(out.extra).toEqual({ withheld_2: "" });
      expect(r.stdout).not.toContain(key);
      expect(r.stdout).not.toContain(stored);
    });
  }

  it("schema keys that look like words (password, token, apiKey) are kept", async () => {
    const response = { stdout: "ok", password: "", token: "", apiKey: "", accessToken: "" };
    const r = await runPipeline(
      { raw: post(response) },
      { adapter: claudeCode, rules: [deny], scanner: secretScanner, managed },
    );
    expect(Object.keys(updated(r.stdout))).toEqual(Object.keys(response));
  });
});

describe("a PostToolUse payload the adapter cannot read", () => {
  // core/json-walk.ts walks a bare chain of any depth; a string at every one of 20,000 levels is
  // past its leaf-depth budget (JsonTooDeepError), so this payload cannot be read.
  it("tool_input nested 20,000 deep with a string at every level: the output is withheld in its shape, not left to an exit code", async () => {
    const raw = post({
      stdout: `t=${token}`,
      stderr: "",
      interrupted: false,
      isImage: false,
    }).replace(
      '{"command":"x"}',
      `{"command":"x","d":${'{"s":"x","a":'.repeat(20_000)}1${"}".repeat(20_000)}}`,
    );
    const r = await runPipeline(
      { raw },
      { adapter: claudeCode, rules: [], scanner: secretScanner },
    );
    expect(r.exitCode).toBe(0);
    const out = updated(r.stdout);
    expect(Object.keys(out)).toEqual(["stdout", "stderr", "interrupted", "isImage"]);
    expect(String(out.stdout)).toMatch(/could not be read \(JsonTooDeepError\)/);
    expect(r.stdout).not.toContain(token);
  });

  it("no tool_response to shape an answer from: the blocking exit, not an answer that replaces nothing", async () => {
    const raw = JSON.stringify({
      ...base,
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: `${token}`,
    });
    const r = await runPipeline(
      { raw },
      { adapter: claudeCode, rules: [], scanner: secretScanner },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toContain(token);
  });
});
