// Issue 21 (h21-scale): the stored-value matcher's fast paths at scale — with 1,000 stored secrets
// most candidate windows of an ordinary output are chance hits, and a search's whole-form checks now
// run in WebAssembly after its 16th candidate (rules/check-wasm.ts); the bucket roll runs in
// WebAssembly from 384 units (was 4,096); the index is loaded in one pass. The agent controls a
// command's output and tries to get a stored value past the REAL PostToolUse hook (dist/) where a
// faster path could slip: values in their stored encodings (raw, base64, hex, percent, \uXXXX,
// HTML entities — forms up to ~290 characters) at the start, middle and end of non-repeating
// outputs full of chance candidates, at every size around the thresholds (383/384 units, 4,095/4,096),
// a form cut short by the end of the output, values packed back to back. Each output is also sent
// through `node --jitless` (no WebAssembly: the JavaScript loops, the oracle) and must come back
// the same. An attempt is contained when none of the planted forms (nor the raw value) is in what
// the hook hands back and its name is in a redaction label.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodingsOf } from "../../rules/managed-values.js";
import { bashOutput, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const A62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const rand = (n: number, alphabet = A62) =>
  Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join("");
// 1,000 values built at run time, never token-shaped: 48 hex (as `npm run bench` stores), base62,
// and some with characters every escaping form changes (é, €, /, +, =, space, quotes).
const VALUES = Array.from({ length: 1000 }, (_, i) =>
  i % 3 === 0
    ? randomBytes(24).toString("hex")
    : i % 3 === 1
      ? rand(32)
      : `p/${rand(20)}+é€ "q"=${rand(4)}`,
);
const NAME = (i: number) => `SCALE_${i}`;

let sb: Sandbox;
const env = (extra: Record<string, string> = {}) => ({
  ...sb.env,
  HOOKPACK_KEY_BACKEND: "file",
  ...extra,
});

beforeAll(async () => {
  sb = sandbox();
  const file = join(sb.project, "import.env");
  writeFileSync(file, VALUES.map((v, i) => `${NAME(i)}='${v.replace(/'/g, "")}'\n`).join(""));
  // Single quotes in a dotenv value end it: the stored values are the ones without quotes.
  for (let i = 0; i < VALUES.length; i++) VALUES[i] = VALUES[i]!.replace(/'/g, "");
  const r = await hookpack(["secret", "import", "import.env"], {
    env: env(),
    cwd: sb.project,
    timeoutMs: 180_000,
  });
  expect(r.exitCode, r.stderr).toBe(0);
}, 240_000);
afterAll(() => sb?.cleanup());

async function post(stdout: string, jitless: boolean): Promise<string> {
  const r = await runHook(
    sb,
    bashOutput(sb, "./run.sh", stdout, {
      session_id: "s-scale",
      transcript_path: undefined,
      tool_use_id: "toolu_scale",
    }),
    { env: env(jitless ? { NODE_OPTIONS: "--jitless" } : {}), timeoutMs: 120_000 },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  if (r.stdout.trim() === "") return stdout; // the hook changed nothing
  const out = JSON.parse(r.stdout) as {
    hookSpecificOutput?: { updatedToolOutput?: { stdout?: string } };
  };
  const got = out.hookSpecificOutput?.updatedToolOutput?.stdout;
  expect(typeof got).toBe("string");
  expect(got).not.toContain("saved to"); // below the spill: the whole output is checked here
  return got!;
}

/** Non-repeating filler: every window differs, so chance candidates come at their real rate. */
const filler = (n: number) => {
  let s = "";
  while (s.length < n) s += `${rand(1 + (randomBytes(1)[0]! % 12), A62 + " .,:;()[]{}<>-_\n")} `;
  return s.slice(0, n);
};

/** A stored form of value i: the k-th of the encodings the cache keeps (searchable lengths). */
const formOf = (i: number, k: number) => {
  const forms = encodingsOf(VALUES[i]!)
    .map((f) => f.text)
    .filter((t) => t.length >= 6 && t.length <= 255);
  return forms[k % forms.length]!;
};

describe("attack: a stored value past the PostToolUse hook with 1,000 stored secrets", () => {
  it("forms at the start, middle and end of outputs of every size around the thresholds", async () => {
    const t = tally("1,000 stored: forms planted in non-repeating outputs (383 B to 12 KB)");
    for (const size of [383, 384, 385, 700, 1500, 4095, 4096, 4097, 12_000]) {
      const picks = [0, 1, 2].map(() => randomBytes(2).readUInt16LE(0) % VALUES.length);
      const forms = picks.map((i, n) => formOf(i, randomBytes(1)[0]! + n));
      const planted = forms.reduce((s, f) => s + f.length, 0);
      const room = Math.max(0, size - planted - 2);
      const half = filler(Math.floor(room / 2));
      const stdout = `${forms[0]}${half}\n${forms[1]}\n${filler(room - half.length)}${forms[2]}`;
      const got = await post(stdout, false);
      const oracle = await post(stdout, true);
      expect(got).toBe(oracle);
      picks.forEach((i, n) => {
        const contained =
          !got.includes(forms[n]!) &&
          !got.includes(VALUES[i]!) &&
          got.includes(`[REDACTED:${NAME(i)}]`);
        t.attempt(contained);
        expect(contained, `size ${size}, form ${n}`).toBe(true);
      });
    }
  }, 600_000);

  it("values back to back, and a form cut short by the end of the output", async () => {
    const t = tally("1,000 stored: values packed back to back, a form cut at the end");
    const picks = Array.from({ length: 12 }, () => randomBytes(2).readUInt16LE(0) % 1000);
    const forms = picks.map((i, n) => formOf(i, n * 7));
    const stdout = `${filler(3000)}${forms.join("")}${filler(3000)}`;
    const got = await post(stdout, false);
    expect(got).toBe(await post(stdout, true));
    picks.forEach((i, n) => {
      const contained = !got.includes(forms[n]!) && got.includes(`[REDACTED:${NAME(i)}]`);
      t.attempt(contained);
      expect(contained, `form ${n}`).toBe(true);
    });
    // The last form with its final character missing is not a stored form: the output ends there,
    // nothing is redacted for it, and the hook does not fail (the check stops at the text's end).
    const cut = formOf(picks[0]!, 0).slice(0, -1);
    const tail = `${filler(5000)}${cut}`;
    const gotCut = await post(tail, false);
    expect(gotCut).toBe(await post(tail, true));
  }, 600_000);
});
