// A hook that cannot finish checking a call used to let it through unless the raw payload held a
// reference or a token: the crash was judged on the text only, and Claude Code treats the open
// failure (exit 1) as non-blocking. So an agent that could make any step crash on its own input ran
// the call unchecked. The step that crashes on attacker-shaped input today is everything that walks
// the payload: the adapter's walk over tool_input (its parse), the output redactor, and the answer
// built from the output (withholdOutput, the final render), each one frame per nesting level, so an
// input nested a few thousand deep (which JSON.parse accepts) overflows the stack there.
// hooks/failure-policy.ts judgeFailure now decides: a crash that the input's shape provokes, a crash
// while the payload is read, and any crash on a call whose rules read files or judge effects
// (shell, read, write, search) fail closed; the output is withheld in its own shape, and no key that
// is a value survives the withheld answer. All through the REAL hook process (dist/hookpack.cjs).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "../broker/helpers.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookOutput, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const tokens = fakeTokens(1);
const token = tokens.github;
// A stored value with no token shape (the detectors cannot see it), built at run time.
const stored = `Zq${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}K`;
let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });

beforeAll(async () => {
  assertBuilt();
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DB_PASSWORD"], {
    input: stored,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  // What the calls below go for (sec-gaps3: the walks no longer crash on deep input, so the rules
  // themselves must answer them; there must be something to deny).
  writeFileSync(join(sb.project, ".env"), `GITHUB_TOKEN=${token}\n`);
});
afterAll(() => sb?.cleanup());

/** `{"a":{"a":…inner…}}` n deep, as JSON text (too deep for JSON.stringify to build). */
const deepObject = (n: number, inner: string, key = "a") =>
  `${`{${JSON.stringify(key)}:`.repeat(n)}${inner}${"}".repeat(n)}`;
const deepArray = (n: number, inner: string) => `${"[".repeat(n)}${inner}${"]".repeat(n)}`;
/** A payload with `"__DEEP__"` replaced by raw JSON text. */
const withDeep = (payload: Record<string, unknown>, deep: string) =>
  JSON.stringify(payload).replace('"__DEEP__"', deep);

const send = (text: string) => runHook(sb, text, { env: env() });

function denied(r: { exitCode: number | null; stdout: string }): boolean {
  if (r.exitCode === 2) return true;
  if (r.exitCode !== 0 || !r.stdout) return false;
  return hookOutput(r)?.permissionDecision === "deny";
}

function asked(r: { exitCode: number | null; stdout: string }): boolean {
  if (r.exitCode !== 0 || !r.stdout) return false;
  return hookOutput(r)?.permissionDecision === "ask";
}

const pre = (tool: string, input: Record<string, unknown>) => ({
  hook_event_name: "PreToolUse",
  session_id: "crash",
  cwd: "__CWD__",
  tool_name: tool,
  tool_input: input,
  tool_use_id: "t1",
});

describe("attack: a call whose checks crash on its own nesting is denied, not let through", () => {
  const calls: Array<[string, string, Record<string, unknown>]> = [
    ["Bash", "cat .env", { command: "cat .env", description: "__DEEP__" }],
    ["Bash", "cat the broker key", { command: "cat ~/.hookpack/keys/broker.key", x: "__DEEP__" }],
    ["Read", ".env", { file_path: ".env", extra: "__DEEP__" }],
    [
      "Write",
      "the agent's settings",
      { file_path: ".claude/settings.json", content: "{}", x: "__DEEP__" },
    ],
    ["Grep", ".env", { pattern: "TOKEN", path: ".env", output_mode: "content", x: "__DEEP__" }],
    ["mcp__db__query", "MCP arguments", { sql: "__DEEP__" }],
  ];
  // The innermost string: a token for the MCP call (nothing else there to deny), plain elsewhere.
  const innerFor = (tool: string) =>
    JSON.stringify(tool.startsWith("mcp__") ? `token ${token}` : "x");
  const depths: Array<[string, (inner: string) => string]> = [
    ["object 6,000 deep", (i) => deepObject(6000, i)],
    ["object 30,000 deep", (i) => deepObject(30000, i)],
    ["array 20,000 deep", (i) => deepArray(20000, i)],
  ];
  for (const [tool, label, input] of calls)
    for (const [depth, make] of depths)
      it(`${tool} ${label}, tool_input ${depth}`, async () => {
        const t = tally("rule-crash/pre-tool nesting");
        const payload = { ...pre(tool, input), cwd: sb.project };
        const r = await send(withDeep(payload, make(innerFor(tool))));
        // The settings write gets the rules' own answer for it at any depth: the user must approve.
        const ok = denied(r) || (tool === "Write" && asked(r));
        t.attempt(ok);
        expect(ok, `exit ${r.exitCode}: ${r.stdout}${r.stderr}`).toBe(true);
        expect(`${r.stdout}${r.stderr}`).not.toMatch(/let through/);
      });

  it("control: the same calls without the nesting are answered by the rules", async () => {
    const r = await send(
      JSON.stringify({ ...pre("Bash", { command: "ls -la" }), cwd: sb.project }),
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/"deny"/);
  });
});

describe("attack: an output nested too deep to check or copy is withheld in its own shape", () => {
  const post = (tool: string, response: unknown) => ({
    hook_event_name: "PostToolUse",
    session_id: "crash",
    cwd: sb.project,
    tool_name: tool,
    tool_input: tool === "Bash" ? { command: "./dump" } : { q: "x" },
    tool_response: response,
    tool_use_id: "t2",
  });
  const cases: Array<[string, () => string, string]> = [
    [
      "MCP output: a token 6,000 deep",
      () => withDeep(post("mcp__db__query", "__DEEP__"), deepObject(6000, JSON.stringify(token))),
      token,
    ],
    [
      "MCP output: a stored value 6,000 deep",
      () => withDeep(post("mcp__db__query", "__DEEP__"), deepObject(6000, JSON.stringify(stored))),
      stored,
    ],
    [
      "Bash output: a token in stdout, a 6,000-deep sibling",
      () =>
        withDeep(
          post("Bash", {
            stdout: `t=${token}`,
            stderr: "",
            interrupted: false,
            isImage: false,
            x: "__DEEP__",
          }),
          deepObject(6000, '"y"'),
        ),
      token,
    ],
    ...[1, 3, 40, 70, 6000].map((n): [string, () => string, string] => [
      `MCP output: a stored value as a key, ${n} deep`,
      () =>
        withDeep(
          post("mcp__db__query", "__DEEP__"),
          deepObject(n - 1, deepObject(1, '"row"', stored)),
        ),
      stored,
    ]),
    ...[1, 3, 6000].map((n): [string, () => string, string] => [
      `MCP output: a token as a key, ${n} deep`,
      () =>
        withDeep(
          post("mcp__db__query", "__DEEP__"),
          deepObject(n - 1, deepObject(1, '"row"', token)),
        ),
      token,
    ]),
    [
      "MCP output: a stored value under a plain key, 5,000 deep",
      () =>
        withDeep(
          post("mcp__db__query", "__DEEP__"),
          deepObject(5000, JSON.stringify({ password: stored })),
        ),
      stored,
    ],
  ];
  for (const [label, text, secret] of cases)
    it(label, async () => {
      const t = tally("rule-crash/post-tool nesting");
      const r = await send(text());
      const all = `${r.stdout}${r.stderr}`;
      let withheld = false;
      if (r.exitCode === 0 && r.stdout) {
        const out = JSON.parse(r.stdout) as {
          hookSpecificOutput?: { updatedToolOutput?: unknown };
        };
        withheld = out.hookSpecificOutput?.updatedToolOutput !== undefined;
      }
      const ok = withheld && !all.includes(secret);
      t.attempt(ok);
      expect(all.includes(secret), "the answer holds the secret").toBe(false);
      expect(withheld, `exit ${r.exitCode}: ${r.stdout.slice(0, 300)} ${r.stderr}`).toBe(true);
    });
});
