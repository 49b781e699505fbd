// Issue 21 (h21-post6): two PostToolUse shortcuts, attacked through the REAL hook (dist/):
//  - redact-tool-output hands on the prefilter's view of a text (its stored values replaced) as the
//    redacted output when that view is exactly the redaction (stored hits sorted and apart, no
//    detector hit), instead of building it a second time;
//  - the spill measures a long string's JSON size by counting escapes (no escaped copy) and writes
//    the spill file from the string (no Buffer copy).
// An agent that wants a value through places it where those boundaries are: a stored value alone,
// at either end, two stored values touching, one value twice, a value touching a detected token, a
// token elsewhere in the same text or in stderr, a value in a 64 KB output that is spilled (and at
// the preview's edge), a text full of what JSON escapes. Contained = no raw value and no token in
// the answer nor in any file written under the sandbox (spill files included), and the answer
// redacted (in it, or in the spill file it points at).
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudePayload, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { fakeGithubToken } from "../helpers/fake-secrets.js";
import { reportTally, tally } from "./tally.js";

reportTally();

// Each starts with a character that ends a token: a detector sees a token touching a value as a
// token (glued to word characters it is no token to any detector, with or without this change).
const A = `/ra${randomBytes(14).toString("hex")}`;
const B = `/rb${randomBytes(14).toString("hex")}`;
const token = fakeGithubToken();
let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", TMPDIR: join(sb.root, "tmp") });

beforeAll(async () => {
  sb = sandbox();
  mkdirSync(join(sb.root, "tmp"), { recursive: true });
  for (const [name, value] of [
    ["REUSE_A", A],
    ["REUSE_B", B],
  ] as const) {
    const set = await hookpack(["secret", "set", name], {
      input: value,
      env: env(),
      cwd: sb.project,
    });
    expect(set.exitCode, set.stderr).toBe(0);
  }
}, 120_000);
afterAll(() => sb?.cleanup());

function post(toolResponse: Record<string, unknown>, tag: string) {
  return runHook(
    sb,
    claudePayload(sb, {
      session_id: "s-reuse",
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "./leak.sh" },
      tool_response: { interrupted: false, isImage: false, ...toolResponse },
      tool_use_id: `toolu_${tag}`,
    }),
    { env: env(), timeoutMs: 120_000 },
  );
}

/** Every file under the sandbox that hookpack may have written (not the encrypted store). */
function writtenFiles(dir = sb.root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...writtenFiles(p));
    else if (!/store\.json$/.test(name)) out.push(p);
  }
  return out;
}

const log = (bytes: number) =>
  "PASS test/some/file.test.ts (12 tests) 431ms\n".repeat(Math.ceil(bytes / 46)).slice(0, bytes);
const escapes = (bytes: number) =>
  'a"b\\c\n\td\re\bf\f'.repeat(Math.ceil(bytes / 14)).slice(0, bytes);

const places: Array<[string, () => Record<string, unknown>, string[]]> = [
  ["a stored value alone", () => ({ stdout: A, stderr: "" }), ["REUSE_A"]],
  ["at the start", () => ({ stdout: `${A} ok\n`, stderr: "" }), ["REUSE_A"]],
  ["at the end, no newline", () => ({ stdout: `ok ${A}`, stderr: "" }), ["REUSE_A"]],
  ["two stored values touching", () => ({ stdout: `x${A}${B}y`, stderr: "" }), ["REUSE_A"]],
  ["one value twice, touching", () => ({ stdout: `${A}${A}\n`, stderr: "" }), ["REUSE_A"]],
  ["a value touching a token", () => ({ stdout: `${A}${token}\n`, stderr: "" }), ["REUSE_A"]],
  ["a token touching a value", () => ({ stdout: `${token}${A}\n`, stderr: "" }), ["REUSE_A"]],
  [
    "a value, and a token further on",
    () => ({ stdout: `A=${A}\nGITHUB_TOKEN=${token}\n`, stderr: "" }),
    ["REUSE_A"],
  ],
  [
    "a value in stdout, a token in stderr",
    () => ({ stdout: `${A}\n`, stderr: token }),
    ["REUSE_A"],
  ],
  [
    "a value at the end of a 64 KB stdout (spilled)",
    () => ({ stdout: `${log(64 * 1024)}KEY=${A}\n`, stderr: "" }),
    ["REUSE_A"],
  ],
  [
    "values at the preview's edge of a 64 KB stdout",
    () => ({
      stdout: `${log(9_000)}${A}${B}${log(1_000)}${A}\n${log(54 * 1024)}`,
      stderr: "",
    }),
    ["REUSE_A"],
  ],
  [
    "a token in a 64 KB stdout with a value after it",
    () => ({ stdout: `${log(30 * 1024)}${token}\n${log(30 * 1024)}${A}`, stderr: "" }),
    ["REUSE_A"],
  ],
  [
    "a value in 64 KB of what JSON escapes",
    () => ({ stdout: `${escapes(32 * 1024)}${A}${escapes(32 * 1024)}`, stderr: "" }),
    ["REUSE_A"],
  ],
  [
    "a value in 64 KB of escapes with control characters",
    () => ({ stdout: `${escapes(32 * 1024)}\u0001${A}\u001f${escapes(32 * 1024)}`, stderr: "" }),
    ["REUSE_A"],
  ],
];

describe("PostToolUse: the reused redaction and the spill's measure hold every value back", () => {
  for (const [where, shape, labels] of places) {
    it(where, async () => {
      const t = tally("post-reuse: value placements");
      const tag = where.replace(/\W+/g, "-");
      const r = await post(shape(), tag);
      expect(r.exitCode, r.stderr).toBe(0);
      const files = writtenFiles().map((f) => readFileSync(f, "utf8"));
      const leaked = [A, B, token].filter(
        (v) => r.stdout.includes(v) || r.stderr.includes(v) || files.some((f) => f.includes(v)),
      );
      const redacted = labels.every((l) =>
        [r.stdout, ...files].some((f) => f.includes(`[REDACTED:${l}]`)),
      );
      t.attempt(leaked.length === 0 && redacted);
      expect(leaked).toEqual([]);
      expect(redacted).toBe(true);
      // The answer is the agent's JSON, its output's shape kept (stdout, stderr, and the rest).
      const answer = JSON.parse(r.stdout) as {
        hookSpecificOutput?: { updatedToolOutput?: Record<string, unknown> };
      };
      expect(Object.keys(answer.hookSpecificOutput?.updatedToolOutput ?? {}).sort()).toEqual([
        "interrupted",
        "isImage",
        "stderr",
        "stdout",
      ]);
    });
  }
});
