// Issue 21: the stored-value matcher remembers, for the rest of one search, candidates that found
// nothing and skips a later candidate of the same bucket whose span of the output holds the same
// characters (a repeating output hits a bucket by chance once per repetition). The agent controls
// a command's output and knows the rule: it tries to get a stored value past the REAL PostToolUse
// hook (dist/, 1,000 stored secrets) by making the matcher remember a bucket first — decoys that
// share the value's window and bucket but not its whole form (its last character changed, or cut
// short), repeated hundreds of times — then the value itself, inside one repetition of a repeating
// log, right after a decoy, as the last repetition, at the end of the output, and in every stored
// encoding. Contained when none of the planted forms (nor the raw value) is in what the hook hands
// back and the value's name is in a redaction label.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodingsOf } from "../../rules/managed-values.js";
import { claudePayload, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const A62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const rand = (n: number) => Array.from(randomBytes(n), (b) => A62[b % A62.length]).join("");
// 1,000 values built at run time, never token-shaped: 48 hex (as `npm run bench` stores) and base62.
const VALUES = Array.from({ length: 1000 }, (_, i) =>
  i % 2 === 0 ? randomBytes(24).toString("hex") : rand(32),
);
const NAME = (i: number) => `MEMO_${i}`;

let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file" });

beforeAll(async () => {
  sb = sandbox();
  writeFileSync(join(sb.project, "import.env"), VALUES.map((v, i) => `${NAME(i)}=${v}\n`).join(""));
  const r = await hookpack(["secret", "import", "import.env"], {
    env: env(),
    cwd: sb.project,
    timeoutMs: 180_000,
  });
  expect(r.exitCode, r.stderr).toBe(0);
}, 240_000);
afterAll(() => sb?.cleanup());

async function post(stdout: string): Promise<string> {
  const r = await runHook(
    sb,
    claudePayload(sb, {
      session_id: "s-memo",
      transcript_path: undefined,
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "npm test" },
      tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
      tool_use_id: "toolu_memo",
    }),
    { env: env(), timeoutMs: 120_000 },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  if (r.stdout.trim() === "") return stdout; // the hook changed nothing
  const out = JSON.parse(r.stdout) as {
    hookSpecificOutput?: { updatedToolOutput?: { stdout?: string } };
  };
  const got = out.hookSpecificOutput?.updatedToolOutput?.stdout;
  expect(typeof got).toBe("string");
  // A long output is handed back cut, the whole of it (redacted) saved to a file: check that.
  const spilled = / is saved to: (.+?) \(read it there/.exec(got!);
  if (!spilled) return got!;
  expect(got!.length).toBeLessThan(stdout.length);
  return `${got!}\n${readFileSync(spilled[1]!, "utf8")}`;
}

/** The stored forms of value i the cache searches for (lengths it keeps). */
const formsOf = (i: number) =>
  encodingsOf(VALUES[i]!)
    .map((f) => f.text)
    .filter((t) => t.length >= 20 && t.length <= 255);
const otherLast = (f: string) => `${f.slice(0, -1)}${f.endsWith("x") ? "y" : "x"}`;
const LINE = "PASS test/some/file.test.ts (12 tests) 431ms\n";

describe("attack: a stored value past the memo of chance candidates (1,000 stored, real hook)", () => {
  it("decoys that share the value's bucket, repeated, then the value", async () => {
    const t = tally("memo: decoys sharing the value's window, then the value (in every form)");
    for (let n = 0; n < 6; n++) {
      const i = (randomBytes(2).readUInt16LE(0) % 500) * 2 + (n % 2);
      for (const form of formsOf(i).filter((_, k) => k % 3 === n % 3)) {
        const decoy = otherLast(form);
        const cut = form.slice(0, -3);
        const shapes = [
          // Decoys, then the value in the same spot of the next repetition.
          `${`${LINE}KEY=${decoy}\n`.repeat(300)}${LINE}KEY=${form}\n${LINE.repeat(20)}`,
          // The value right after a decoy, then more decoys.
          `${`${decoy} `.repeat(200)}${form} ${`${decoy} `.repeat(50)}`,
          // The value cut short, repeated, then whole; and whole as the output's last characters.
          `${`${cut}\n`.repeat(300)}${form}\n${`${cut}\n`.repeat(10)}${form}`,
        ];
        for (const stdout of shapes) {
          const got = await post(stdout);
          const contained =
            !got.includes(form) &&
            !got.includes(VALUES[i]!) &&
            got.includes(`[REDACTED:${NAME(i)}]`);
          t.attempt(contained);
          expect(contained, `value ${i}, a form of ${form.length} chars`).toBe(true);
        }
      }
    }
  }, 900_000);

  it("the value planted inside one repetition of a repeating log (the bench's shape)", async () => {
    const t = tally("memo: the value inside one repetition of a repeating 64 KB log");
    for (let n = 0; n < 8; n++) {
      const i = randomBytes(2).readUInt16LE(0) % 1000;
      const forms = formsOf(i);
      const form = forms[n % forms.length]!;
      const reps = 1400;
      const at = randomBytes(2).readUInt16LE(0) % reps;
      const cutAt = 5 + (n % 30);
      const lines = Array.from({ length: reps }, (_, r) =>
        r === at ? `${LINE.slice(0, cutAt)}${form}${LINE.slice(cutAt)}` : LINE,
      );
      const got = await post(lines.join(""));
      const contained =
        !got.includes(form) && !got.includes(VALUES[i]!) && got.includes(`[REDACTED:${NAME(i)}]`);
      t.attempt(contained);
      expect(contained, `value ${i} at repetition ${at}`).toBe(true);
    }
  }, 900_000);
});
