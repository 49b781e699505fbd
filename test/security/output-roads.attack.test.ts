// Issue 14, class 1 (output side) and "decisions carry structure": the roads a tool's output takes
// to the model, attacked through the real hook process (`hookpack hook <agent>`, dist/):
//  - a failed call (Claude Code's PostToolUseFailure, Qwen's): the output cannot be replaced, so the
//    hook must warn the model by additionalContext and record the exposure (names, never values);
//  - a tool output whose JSON keys collide as dotted paths ("a.b" and a → b) must not let a token
//    through the redaction;
//  - the audit log files managed secrets under `secrets` and detector ids under `rules`, from the
//    rules' own evidence (not from re-parsing the message: suggested names are not secrets).
import { readFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHook } from "../helpers/hook-run.js";
import { claudeCode } from "../../adapters/claude-code.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const tokens = fakeTokens(21);
const managedValue = `mv${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file" });

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: managedValue,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

const base = () => ({
  session_id: "s-roads",
  transcript_path: join(sb.root, "t.jsonl"),
  cwd: sb.project,
  permission_mode: "default",
});
const hook = (agent: string, payload: Record<string, unknown>) =>
  runHook(sb, payload, { agent, env: env() });
const audit = (): Array<Record<string, unknown>> => {
  const p = join(sb.hookpackHome, "audit", "audit.jsonl");
  return existsSync(p)
    ? readFileSync(p, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
};
const noValue = (text: string) =>
  ![managedValue, tokens.github, Buffer.from(managedValue).toString("base64")].some((v) =>
    text.includes(v),
  );

describe("attack: the output of a FAILED call (PostToolUseFailure)", () => {
  const t = tally("output-roads/failed call");
  it("Claude Code registers PostToolUseFailure", () => {
    expect(claudeCode.config.registrations.map((r) => r.event)).toContain("PostToolUseFailure");
  });

  for (const [label, error] of [
    ["managed value printed by a failing command", `Exit code 1\nkey=${managedValue}\n`],
    [
      "managed value base64-encoded",
      `Exit code 2\n${Buffer.from(managedValue).toString("base64")}\n`,
    ],
    ["detected token", `Exit code 1\nGH_TOKEN=${tokens.github}\n`],
  ] as const) {
    it(`Claude Code: ${label} → the model is warned, the exposure is recorded, no value in the answer`, async () => {
      const before = audit().length;
      const r = await hook("claude-code", {
        ...base(),
        hook_event_name: "PostToolUseFailure",
        tool_name: "Bash",
        tool_input: { command: "./deploy.sh" },
        tool_use_id: "toolu_f",
        error,
        is_interrupt: false,
      });
      expect(r.exitCode).toBe(0);
      const out = JSON.parse(r.stdout) as {
        hookSpecificOutput: { hookEventName: string; additionalContext: string };
      };
      const ok =
        out.hookSpecificOutput.hookEventName === "PostToolUseFailure" &&
        /failed Bash call/.test(out.hookSpecificOutput.additionalContext) &&
        noValue(r.stdout + r.stderr);
      const entries = audit().slice(before);
      const recorded = entries.some((e) => e.kind === "exposure-found");
      t.attempt(ok && recorded);
      expect(noValue(r.stdout + r.stderr)).toBe(true);
      expect(out.hookSpecificOutput.additionalContext).toMatch(/rotate/);
      expect(recorded, JSON.stringify(entries)).toBe(true);
      expect(noValue(JSON.stringify(entries))).toBe(true);
    });
  }

  it("Claude Code: a clean failure gets no answer at all (nothing slows the usual case)", async () => {
    const r = await hook("claude-code", {
      ...base(),
      hook_event_name: "PostToolUseFailure",
      tool_name: "Bash",
      tool_input: { command: "false" },
      tool_use_id: "toolu_f",
      error: "Exit code 1\n",
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("Cursor: postToolUseFailure is registered; a value in its error_message is reported to the model and recorded", async () => {
    const { cursor } = await import("../../adapters/cursor.js");
    expect(cursor.config.registrations.map((r) => r.event)).toContain("postToolUseFailure");
    const before = audit().length;
    const r = await hook("cursor", {
      hook_event_name: "postToolUseFailure",
      conversation_id: "c1",
      cwd: sb.project,
      tool_name: "Shell",
      tool_input: { command: "./deploy.sh" },
      tool_use_id: "t",
      error_message: `key=${managedValue}`,
    });
    const out = JSON.parse(r.stdout) as { additional_context: string };
    const recorded = audit()
      .slice(before)
      .some((e) => e.kind === "exposure-found");
    t.attempt(noValue(r.stdout) && recorded && /failed Shell call/.test(out.additional_context));
    expect(out.additional_context).toMatch(/failed Shell call[\s\S]*rotate/);
    expect(recorded).toBe(true);
  });

  it("Qwen Code: the same exposure is recorded in the audit log too", async () => {
    const before = audit().length;
    const r = await hook("qwen", {
      ...base(),
      hook_event_name: "PostToolUseFailure",
      tool_name: "run_shell_command",
      tool_input: { command: "./deploy.sh" },
      tool_use_id: "t",
      error: `key=${managedValue}`,
    });
    const out = JSON.parse(r.stdout) as { hookSpecificOutput: { additionalContext: string } };
    const recorded = audit()
      .slice(before)
      .some((e) => e.kind === "exposure-found");
    t.attempt(noValue(r.stdout) && recorded);
    expect(out.hookSpecificOutput.additionalContext).toMatch(/rotate/);
    expect(recorded).toBe(true);
  });
});

describe("attack: JSON keys that collide as dotted paths", () => {
  const t = tally("output-roads/path collision");
  for (const [label, response] of [
    [
      "key 'a.b' before nested a → b",
      () => ({ "a.b": "harmless text here", a: { b: `token ${tokens.github}` } }),
    ],
    [
      "nested a → b before key 'a.b'",
      () => ({ a: { b: `token ${tokens.github}` }, "a.b": "harmless text here" }),
    ],
    ["array index vs key '0'", () => ({ x: [`v=${managedValue}`], "x.0": "plain words only" })],
    [
      "both leaves hold secrets at different offsets",
      () => ({
        "a.b": `harmless text here ${"x ".repeat(20)}${tokens.github}`,
        a: { b: `${managedValue} trailing words` },
      }),
    ],
  ] as const) {
    it(`${label}: every copy of the secret is redacted`, async () => {
      const r = await hook("claude-code", {
        ...base(),
        hook_event_name: "PostToolUse",
        tool_name: "mcp__evil__dump",
        tool_input: {},
        tool_use_id: "toolu_p",
        tool_response: response(),
      });
      const out = JSON.parse(r.stdout) as {
        hookSpecificOutput: { updatedToolOutput: Record<string, unknown> };
      };
      const ok =
        noValue(r.stdout) &&
        JSON.stringify(out.hookSpecificOutput.updatedToolOutput).includes("[REDACTED:");
      t.attempt(ok);
      expect(noValue(r.stdout)).toBe(true);
      // The harmless leaf is untouched (the redaction was not applied to the wrong string).
      expect(JSON.stringify(out.hookSpecificOutput.updatedToolOutput)).toMatch(
        /harmless text here|plain words only/,
      );
    });
  }
});

describe("decisions carry structure: the audit log files evidence under the right heading", () => {
  it("a read blocked for a detected token records the detector under rules and no suggested name as a secret", async () => {
    writeFileSync(join(sb.project, "ci.yml"), `github_token: ${tokens.github}\n`);
    const before = audit().length;
    const r = await hook("claude-code", {
      ...base(),
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "cat ci.yml" },
      tool_use_id: "toolu_r",
    });
    expect(r.stdout).toMatch(/\$secret:GITHUB_TOKEN/);
    const entry = audit()
      .slice(before)
      .find((e) => e.kind === "read-blocked")!;
    expect(entry.path).toBe(join(sb.project, "ci.yml"));
    expect(entry.secrets).toEqual([]);
    expect(entry.rules).toEqual(expect.arrayContaining([expect.stringMatching(/github/i)]));
  });

  it("a read blocked for a managed value records the secret's name under secrets", async () => {
    writeFileSync(join(sb.project, "deploy.txt"), `key=${managedValue}\n`);
    const before = audit().length;
    await hook("claude-code", {
      ...base(),
      hook_event_name: "PreToolUse",
      tool_name: "Read",
      tool_input: { file_path: join(sb.project, "deploy.txt") },
      tool_use_id: "toolu_r",
    });
    const entry = audit()
      .slice(before)
      .find((e) => e.kind === "read-blocked")!;
    expect(entry.secrets).toEqual(["DEPLOY_KEY"]);
  });

  it("a redacted output files a detected token under rules and a managed value under secrets", async () => {
    const before = audit().length;
    await hook("claude-code", {
      ...base(),
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "env" },
      tool_use_id: "toolu_o",
      tool_response: {
        stdout: `A=${managedValue}\nB=${tokens.github}\n`,
        stderr: "",
        interrupted: false,
        isImage: false,
      },
    });
    const entry = audit()
      .slice(before)
      .find((e) => e.kind === "output-redacted")!;
    expect(entry.secrets).toEqual(["DEPLOY_KEY"]);
    expect(entry.count).toBe(2);
    expect((entry.rules as string[]).some((r) => /github/i.test(r))).toBe(true);
    expect((entry.secrets as string[]).includes("GITHUB_TOKEN")).toBe(false);
  });
});
