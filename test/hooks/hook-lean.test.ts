// hook-split: the before-tool rules live in before-tool-rules.cjs; hook.cjs inlines them and
// hook-lean.cjs (what the entry loads for a call that does not name a before-tool event) loads them
// on demand. The rule set a call runs must be exactly what it ran before, whichever bundle answers:
//  1. rules/index.ts DEFAULT_RULES is the same list, in the same order, with the same events, as
//     before the split, and every lazy stand-in carries its rule's id, summary and events;
//  2. for every agent's recorded payloads (test/fixtures/payloads: every agent, every event kind)
//     plus before-tool calls each before-tool rule decides, the REAL built hook.cjs and
//     hook-lean.cjs give the same answer and the same audit entries, in one process;
//  3. the entry picks hook-lean.cjs only for a payload that does not name the before-tool event.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as beforeToolRules from "../../rules/before-tool-rules.js";
import { DEFAULT_RULES } from "../../rules/index.js";
import type { Rule } from "../../rules/rule.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { loadFixtures } from "../helpers/fixtures.js";
import { distBundle, makeSandbox, REPO_ROOT, type Sandbox } from "../helpers/sandbox.js";

type HookModule = typeof import("../../hooks/run-hook.js");

const req = createRequire(import.meta.url);
const tokens = fakeTokens(7);
let sb: Sandbox;
let env: NodeJS.ProcessEnv;
let full: HookModule;
let lean: HookModule;
const saved = { HOME: process.env.HOME, HOOKPACK_HOME: process.env.HOOKPACK_HOME };

beforeAll(() => {
  sb = makeSandbox({ prefix: "hookpack-hook-lean-", git: true });
  env = { ...sb.env };
  process.env.HOME = sb.home;
  process.env.HOOKPACK_HOME = sb.hookpackHome;
  writeFileSync(join(sb.project, ".env"), `GH_TOKEN=${tokens.github}\n`);
  mkdirSync(join(sb.project, ".claude"), { recursive: true });
  writeFileSync(join(sb.project, ".claude", "settings.json"), "{}\n");
  full = req(distBundle("hook")) as HookModule;
  lean = req(distBundle("hook-lean")) as HookModule;
});
afterAll(() => {
  process.env.HOME = saved.HOME;
  if (saved.HOOKPACK_HOME === undefined) delete process.env.HOOKPACK_HOME;
  else process.env.HOOKPACK_HOME = saved.HOOKPACK_HOME;
  sb?.cleanup();
});

describe("the rule list after the split", () => {
  it("is the preset's list before the split: same ids, order and events", () => {
    // The list as rules/index.ts had it at c98119d (every rule imported eagerly).
    expect(DEFAULT_RULES.map((r) => [r.id, [...r.on]])).toEqual([
      ["deny-literal-secrets", ["before-tool"]],
      ["rewrite-secret-refs", ["before-tool"]],
      ["protect-hookpack-state", ["before-tool"]],
      ["guard-reads", ["before-tool"]],
      ["gate-push-publish", ["before-tool"]],
      ["redact-tool-output", ["after-tool"]],
      ["guard-prompt", ["prompt-submit"]],
      ["guard-context-files", ["session-start", "prompt-submit"]],
      ["clean-session-state", ["session-end"]],
    ]);
  });

  it("has every before-tool rule of before-tool-rules.ts, as a stand-in with its id, summary and events", () => {
    const loaded = Object.values(beforeToolRules) as Rule[];
    expect(loaded.map((r) => r.id)).toEqual(
      DEFAULT_RULES.filter((r) => r.on.includes("before-tool")).map((r) => r.id),
    );
    for (const rule of loaded) {
      const standIn = DEFAULT_RULES.find((r) => r.id === rule.id)!;
      expect(standIn, rule.id).not.toBe(rule); // a stand-in, not the module itself
      expect({ summary: standIn.summary, on: [...standIn.on] }, rule.id).toEqual({
        summary: rule.summary,
        on: [...rule.on],
      });
    }
  });
});

/** Payloads each before-tool rule decides on (deny, ask, rewrite or fail closed). */
const beforeToolCalls = (): Array<{ name: string; text: string }> => {
  const call = (tool_name: string, tool_input: Record<string, unknown>) =>
    JSON.stringify({
      session_id: "s-lean",
      transcript_path: join(sb.root, "t.jsonl"),
      cwd: sb.project,
      permission_mode: "default",
      hook_event_name: "PreToolUse",
      tool_name,
      tool_input,
      tool_use_id: "toolu_lean",
    });
  return [
    {
      name: "literal token (deny-literal-secrets)",
      text: call("Bash", { command: `echo ${tokens.github}` }),
    },
    {
      name: "$secret: reference (rewrite-secret-refs)",
      text: call("Bash", { command: "printf %s $secret:GH_TOKEN" }),
    },
    {
      name: "write to hookpack's home (protect-hookpack-state)",
      text: call("Write", { file_path: join(sb.hookpackHome, "x.json"), content: "{}" }),
    },
    {
      name: "edit the hook settings (protect-hookpack-state)",
      text: call("Edit", {
        file_path: join(sb.project, ".claude", "settings.json"),
        old_string: "{}",
        new_string: "{ }",
      }),
    },
    {
      name: "Read .env (guard-reads)",
      text: call("Read", { file_path: join(sb.project, ".env") }),
    },
    { name: "cat .env (guard-reads)", text: call("Bash", { command: "cat .env" }) },
    {
      name: "push with hooks skipped (gate-push-publish)",
      text: call("Bash", { command: "git push --no-verify origin HEAD" }),
    },
    { name: "plain command", text: call("Bash", { command: "ls -la" }) },
    { name: "mcp tool", text: call("mcp__x__y", { q: "hello" }) },
  ];
};

describe("hook.cjs and hook-lean.cjs answer alike (built bundles)", () => {
  it("for every agent's recorded payloads and the calls each before-tool rule decides", async () => {
    const dir = join(REPO_ROOT, "test", "fixtures", "payloads");
    const cases: Array<{ agent: string; name: string; text: string }> = [];
    for (const agent of readdirSync(dir))
      for (const f of loadFixtures(join(dir, agent), tokens))
        cases.push({ agent, name: f.name, text: f.input });
    for (const c of beforeToolCalls()) cases.push({ agent: "claude-code", ...c });
    const agents = new Set(cases.map((c) => c.agent));
    expect(agents.size).toBeGreaterThanOrEqual(9);
    let blocked = 0;
    const kinds = new Set<string>();
    for (const c of cases) {
      const input = { text: c.text, overflow: false, timedOut: false };
      const a = await full.hookAnswer(c.agent as never, input, env);
      const b = await lean.hookAnswer(c.agent as never, input, env);
      // Grant ids and times differ from call to call; nothing else may.
      const norm = (x: unknown) =>
        JSON.stringify(x)
          .replace(/g_[a-z0-9]{20,}/g, "G")
          .replace(/--grant-key [a-z0-9]+/g, "K")
          .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "T");
      expect(norm(b), `${c.agent} ${c.name}`).toBe(norm(a));
      if (a.response.exitCode !== 0 || /deny|block|cancel|"ask"/i.test(a.response.stdout))
        blocked++;
      const m = /"hook_event_name"\s*:\s*"(\w+)"/.exec(c.text);
      if (m) kinds.add(m[1]!);
    }
    // Not vacuous: the corpus blocks calls (every before-tool rule's call above does something).
    expect(blocked).toBeGreaterThanOrEqual(30);
    for (const k of ["PreToolUse", "PostToolUse", "UserPromptSubmit", "SessionStart", "SessionEnd"])
      expect(kinds, k).toContain(k);
  });

  it("the lean bundle leaves the before-tool rules out, hook.cjs holds them", async () => {
    const { readFileSync } = await import("node:fs");
    const leanText = readFileSync(distBundle("hook-lean"), "utf8");
    const fullText = readFileSync(distBundle("hook"), "utf8");
    expect(leanText).toContain('require("./before-tool-rules.cjs")');
    expect(fullText).not.toContain('require("./before-tool-rules.cjs")');
    expect(leanText.length).toBeLessThan(fullText.length - 50_000);
  });
});
