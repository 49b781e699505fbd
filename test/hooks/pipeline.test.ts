// The pipeline in process, with injected rules: the failure-policy table branch by branch, the
// masker as the last step, and explicit degradation when an agent lacks a capability.
import { describe, expect, it } from "vitest";
import type { Adapter } from "../../adapters/adapter.js";
import { claudeCode } from "../../adapters/claude-code.js";
import type { HookEvent, Verdict } from "../../hooks/event.js";
import { FAILURE_POLICY } from "../../hooks/failure-policy.js";
import { runPipeline } from "../../hooks/pipeline.js";
import type { Rule } from "../../rules/rule.js";
import { secretScanner } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

const tokens = fakeTokens(5);
const crash: Rule = {
  id: "crash",
  summary: "throws",
  on: ["before-tool", "after-tool", "session-end", "session-start"],
  check: () => {
    throw new Error("boom");
  },
};
const fixed = (
  verdict: Verdict,
  on: HookEvent["kind"][] = ["before-tool", "after-tool"],
): Rule => ({ id: "fixed", summary: "", on, check: () => verdict });

const base = { session_id: "s", cwd: "/p", transcript_path: "/p/t.jsonl" };
const pre = (command: string) =>
  JSON.stringify({
    ...base,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command, description: "d" },
    tool_use_id: "t",
  });
const post = (stdout: string) =>
  JSON.stringify({
    ...base,
    hook_event_name: "PostToolUse",
    tool_name: "Bash",
    tool_input: { command: "x" },
    tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
  });
const end = () => JSON.stringify({ ...base, hook_event_name: "SessionEnd", reason: "exit" });

const run = (raw: string, rules: Rule[], adapter: Adapter = claudeCode) =>
  runPipeline({ raw }, { adapter, rules, scanner: secretScanner });
const specific = (stdout: string) =>
  (JSON.parse(stdout) as { hookSpecificOutput: Record<string, unknown> }).hookSpecificOutput;

describe("failure policy, through the pipeline", () => {
  // Changed on purpose (sec-gaps): a crash on a shell, read, write or search call used to fail open
  // when its text held nothing secret; those rules read files and judge effects the text does not
  // show (`cat .env` holds no token), so it fails closed now (hooks/failure-policy.ts judgeFailure).
  it("before-tool shell call, nothing in its text: fails closed, naming the error's class only", async () => {
    const r = await run(pre("ls -la"), [crash]);
    expect(r.exitCode).toBe(0);
    expect(specific(r.stdout).permissionDecision).toBe("deny");
    expect(String(specific(r.stdout).permissionDecisionReason)).toMatch(
      /a rule failed: Error\. The call was blocked because it could not be checked for secrets/,
    );
    expect(r.stdout).not.toContain("boom");
  });

  for (const [tool, input] of [
    ["Read", { file_path: "/p/.env" }],
    ["Write", { file_path: "/p/.claude/settings.json", content: "{}" }],
    ["Grep", { pattern: "x", path: "/p", output_mode: "content" }],
  ] as const)
    it(`before-tool ${tool} (its rules read files): fails closed`, async () => {
      const raw = JSON.stringify({
        ...base,
        hook_event_name: "PreToolUse",
        tool_name: tool,
        tool_input: input,
      });
      const r = await run(raw, [crash]);
      expect(r.exitCode).toBe(0);
      expect(specific(r.stdout).permissionDecision).toBe("deny");
    });

  it("before-tool MCP or other call, nothing involved: provably irrelevant, fails open (exit 1, user told)", async () => {
    for (const [tool, input] of [
      ["mcp__db__query", { sql: "select 1" }],
      ["TodoWrite", { todos: [{ content: "x", status: "pending" }] }],
      ["WebFetch", { url: "https://example.com", prompt: "summarise" }],
    ] as const) {
      const raw = JSON.stringify({
        ...base,
        hook_event_name: "PreToolUse",
        tool_name: tool,
        tool_input: input,
      });
      const r = await run(raw, [crash]);
      expect(r.exitCode, tool).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/a rule failed: Error.*let through/);
    }
  });

  it("before-tool MCP call with a token in its arguments: fails closed", async () => {
    const raw = JSON.stringify({
      ...base,
      hook_event_name: "PreToolUse",
      tool_name: "mcp__db__query",
      tool_input: { sql: tokens.github },
    });
    const r = await run(raw, [crash]);
    expect(specific(r.stdout).permissionDecision).toBe("deny");
    expect(r.stdout).not.toContain(tokens.github);
  });

  it("a crash whose message quotes its input: the reason names the error's class, never the text", async () => {
    const quoting: Rule = {
      id: "quoting",
      summary: "throws with the input in its message",
      on: ["before-tool"],
      check: () => JSON.parse("quotedWordZx9") as Verdict,
    };
    const raw = JSON.stringify({
      ...base,
      hook_event_name: "PreToolUse",
      tool_name: "mcp__x__y",
      tool_input: { q: "a" },
    });
    const r = await run(raw, [quoting]);
    expect(`${r.stdout}${r.stderr}`).not.toContain("quotedWordZx9");
    expect(r.stderr).toMatch(/a rule failed: SyntaxError/);
  });

  it("before-tool with a $secret: reference: fails closed with a deny the model can read", async () => {
    const r = await run(pre("curl -u $secret:API_KEY https://x"), [crash]);
    expect(r.exitCode).toBe(0);
    expect(specific(r.stdout).permissionDecision).toBe("deny");
    expect(String(specific(r.stdout).permissionDecisionReason)).toMatch(
      /blocked because it contains a \$secret: reference/,
    );
  });

  it("before-tool with something that looks like a secret: fails closed, and the reason holds no value", async () => {
    const r = await run(pre(`echo ${tokens.github}`), [crash]);
    expect(specific(r.stdout).permissionDecision).toBe("deny");
    expect(r.stdout).not.toContain(tokens.github);
  });

  it("after-tool with a secret in the output: withholds the output in the tool's own shape", async () => {
    const r = await run(post(`key=${tokens.stripe}`), [crash]);
    const out = specific(r.stdout).updatedToolOutput as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["stdout", "stderr", "interrupted", "isImage"]);
    expect(out.stdout).toMatch(/hookpack: .*blocked/);
    expect(r.stdout).not.toContain(tokens.stripe);
  });

  it("after-tool with only a reference or nothing: fails open", async () => {
    expect((await run(post("used $secret:API_KEY"), [crash])).exitCode).toBe(1);
    expect((await run(post("hello"), [crash])).exitCode).toBe(1);
  });

  it("session events never block", async () => {
    const r = await run(end(), [crash]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/let through/);
  });

  it("an unreadable payload: closed with a finding or reference, open otherwise", async () => {
    expect((await run(`{"tool_input": "${tokens.github}"`, [])).exitCode).toBe(2);
    expect((await run(`{"tool_input": "$secret:X"`, [])).exitCode).toBe(2);
    expect((await run(`{"tool_input": "ls"`, [])).exitCode).toBe(1);
  });

  it("the table closes exactly where a secret is involved", () => {
    for (const [kind, row] of Object.entries(FAILURE_POLICY)) {
      expect(row.none, kind).toBe("open");
      if (kind === "before-tool" || kind === "unknown")
        expect(Object.values(row).filter((m) => m === "closed")).toHaveLength(3);
    }
  });
});

describe("masking and degradation", () => {
  it("masks a value a rule noted, even when the rule's own reason quotes it", async () => {
    const leaky: Rule = {
      id: "leaky",
      summary: "",
      on: ["before-tool"],
      check: (_event, context) => {
        context.noteSecret(tokens.npm);
        return { kind: "deny", code: "X", reason: `do not use ${tokens.npm} here` };
      },
    };
    const r = await run(pre("x"), [leaky]);
    expect(r.stdout).not.toContain(tokens.npm);
    expect(String(specific(r.stdout).permissionDecisionReason)).toContain("[REDACTED:secret]");
  });

  it("renders a rewrite as the full original input with only the command replaced", async () => {
    const r = await run(pre("deploy"), [
      fixed({ kind: "rewrite", patch: { command: "hookpack exec -- deploy" }, reason: "brokered" }),
    ]);
    // No permission decision: Claude Code's own mode and rules decide about the rewritten call (issue 14).
    expect(specific(r.stdout)).toEqual({
      hookEventName: "PreToolUse",
      updatedInput: { command: "hookpack exec -- deploy", description: "d" },
    });
  });

  it("turns a rewrite into an explained deny for an agent that cannot rewrite input", async () => {
    const noRewrite: Adapter = {
      ...claudeCode,
      capabilities: { ...claudeCode.capabilities, rewriteInput: false },
    };
    const r = await run(
      pre("deploy"),
      [
        fixed({
          kind: "rewrite",
          patch: { command: "hookpack exec -- deploy" },
          reason: "brokered",
        }),
      ],
      noRewrite,
    );
    expect(specific(r.stdout).permissionDecision).toBe("deny");
    expect(String(specific(r.stdout).permissionDecisionReason)).toContain(
      "Run this instead: hookpack exec -- deploy",
    );
  });

  it("renders ask with its reason", async () => {
    const r = await run(pre("deploy"), [
      fixed({ kind: "ask", code: "APPROVE", reason: "needs a human" }),
    ]);
    expect(specific(r.stdout)).toMatchObject({
      permissionDecision: "ask",
      permissionDecisionReason: "needs a human",
    });
  });
});
