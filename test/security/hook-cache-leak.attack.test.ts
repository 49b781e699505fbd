// sec-cache: the hook cache must not give stored values away to whoever reads it. The attacker is a
// same-user process that reads $HOOKPACK_HOME/hook-cache.json (the read guard and the sandbox keep
// the agent's tools from it; a process outside them is not kept) and knows hookpack's source.
//
// Its program is the one found in the previous session against cache versions ≤ 3:
//   1. prefix recovery from the bucket columns across one value's forms: grow the value one
//      character at a time; whenever a guessed prefix fixes the whole window of some encoded form
//      (a `\uXXXX` window of 16 characters fixed ~2.7 value characters, hex 8, base64 12), keep only
//      the guesses whose window hashes into one of that value's buckets;
//   2. check-column brute force: finish the value over the rest of its characters against the
//      whole-form check column, confirmed by the sha256 column.
// Budget: 2^24 guesses per value. The values are stored by the REAL `hookpack secret set`
// (dist/hookpack.cjs) and the attack runs on the cache file it writes. Contained = not one
// character of the value determined, and the value not recovered.
//
// The control: the same program against a version-3 cache of the same values (the formulas of the
// previous release, written out below): it must recover the first 12 characters of each random
// value, and a random 16-character value and a 6-digit PIN whole — so the program is able to find
// what it looks for, and "recovers nothing" above is not a weak attacker's result.
import { createHash, randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  coverWindows,
  hookCacheAsV4,
  hookCacheV5Path,
  hookCacheVersion,
} from "../../broker/hook-cache.js";
import {
  fmix,
  formBucket,
  formCheck,
  reversedWindowHash,
  windowHash,
} from "../../rules/managed-matcher.js";
import { encodingsOf } from "../../rules/managed-values.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const BUDGET = 2 ** 24;
const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const random62 = (n: number) => Array.from({ length: n }, () => BASE62[randomInt(62)]).join("");

// What the agent would try to steal (built at run time; not token-shaped).
const stored: Array<{ name: string; value: string }> = [
  { name: "PASSWORD_16", value: random62(16) },
  { name: "TOKEN_20", value: random62(20) },
  { name: "TOKEN_24", value: random62(24) },
  { name: "SHORT_12", value: random62(12) },
  { name: "HEX_32", value: randomBytes(16).toString("hex") },
  { name: "PIN_6", value: String(randomInt(100000, 999999)) },
];

/** One value's entries as the attacker reads them from the file. */
interface Target {
  name: string;
  length: number;
  buckets: Map<number, Set<number>>; // window → buckets
  checks: Set<number>;
  digests: Set<string>;
  salt: Buffer;
}

/** The file's columns, parsed the way anybody with the source would. */
function readTargets(text: string): Target[] {
  const f = JSON.parse(text) as {
    salt: string;
    names: string[];
    packed: Record<string, string> & { count: number };
  };
  const salt = Buffer.from(f.salt, "base64");
  const col = (b64: string) => Buffer.from(b64, "base64");
  const p = f.packed;
  const bucket = col(p.bucket!);
  const window = col(p.window!);
  const length = col(p.length!);
  const name = col(p.name!);
  const check = col(p.check!);
  const targets = f.names.map((n): Target => ({
    name: n,
    length: Infinity,
    buckets: new Map(),
    checks: new Set(),
    digests: new Set(),
    salt,
  }));
  for (let i = 0; i < p.count; i++) {
    const t = targets[name.readUInt32LE(i * 4)]!;
    const w = window.readUInt8(i);
    if (!t.buckets.has(w)) t.buckets.set(w, new Set());
    t.buckets.get(w)!.add(bucket.readInt32LE(i * 4));
    t.length = Math.min(t.length, length.readUInt32LE(i * 4)); // the raw form is the shortest
    t.checks.add(check.readInt32LE(i * 4));
    t.digests.add(p.digest!.slice(i * 44, (i + 1) * 44));
  }
  return targets;
}

/** How a cache version hashes: what the attacker's program plugs in. */
interface Scheme {
  windows(value: string): number[];
  bucket(window: string, salt: Buffer): number;
  check(form: string, salt: Buffer): number;
}

const current: Scheme = {
  windows: (value) => coverWindows(value, encodingsOf(value)),
  bucket: (window, salt) => formBucket(window, window.length, salt.readUInt32LE(0) | 0),
  check: (form, salt) => formCheck(form, salt),
};

// Version 3 (the previous release), written out: buckets of each form's first min(16, length)
// characters, a one-multiply mix of the forward plus backward polynomial hash, and an exact
// polynomial hash of the whole form as the check.
const version3: Scheme = {
  windows: (value) => encodingsOf(value).map((f) => Math.min(16, f.text.length)),
  bucket: (window, salt) => {
    const w = window.length;
    const sum = (windowHash(window, 0, w) + reversedWindowHash(window, 0, w)) | 0;
    return Math.imul(sum ^ (salt.readUInt32LE(0) | 0), 0x9e3779b1 | 0) >>> 12;
  },
  check: (form, salt) => fmix(windowHash(form, 0, form.length) ^ (salt.readUInt32LE(4) | 0)),
};

function version3File(values: typeof stored, salt: Buffer): string {
  const names = values.map((v) => v.name).sort();
  const rows: Array<[number, number, number, string, number, number]> = [];
  const seen = new Set<string>();
  for (const { name, value } of values)
    for (const { text } of encodingsOf(value)) {
      if (text.length < 6 || seen.has(text)) continue;
      seen.add(text);
      const w = Math.min(16, text.length);
      rows.push([
        version3.bucket(text.slice(0, w), salt),
        w,
        text.length,
        createHash("sha256").update(salt).update(text).digest("base64"),
        names.indexOf(name),
        version3.check(text, salt),
      ]);
    }
  const n = rows.length;
  const bucket = Buffer.alloc(n * 4);
  const window = Buffer.alloc(n);
  const length = Buffer.alloc(n * 4);
  const name = Buffer.alloc(n * 4);
  const check = Buffer.alloc(n * 4);
  rows.forEach(([b, w, len, , idx, c], i) => {
    bucket.writeInt32LE(b, i * 4);
    window.writeUInt8(w, i);
    length.writeUInt32LE(len, i * 4);
    name.writeUInt32LE(idx, i * 4);
    check.writeInt32LE(c, i * 4);
  });
  return JSON.stringify({
    format: "hookpack-hook-cache",
    version: 3,
    salt: salt.toString("base64"),
    names,
    packed: {
      count: n,
      bucket: bucket.toString("base64"),
      window: window.toString("base64"),
      length: length.toString("base64"),
      name: name.toString("base64"),
      check: check.toString("base64"),
      digest: rows.map((r) => r[3]).join(""),
    },
  });
}

/** Characters of each form fixed by `prefix` alone (the rest of an ASCII value cannot change them). */
function determined(prefix: string): Array<{ text: string; fixed: number }> {
  const a = encodingsOf(`${prefix}0`);
  const b = encodingsOf(`${prefix}z`);
  return a.map((f, i) => {
    const g = b[i]?.text ?? "";
    let k = 0;
    while (k < f.text.length && k < g.length && f.text[k] === g[k]) k++;
    return { text: f.text, fixed: k };
  });
}

// The attacker's speed-up: most forms encode character by character (hex, \xHH, %HH, \uXXXX,
// &#xHH;, JSON, HTML, shell), so a guess's window is a concatenation of per-character pieces.
const FORM_COUNT = encodingsOf("abcdefgh").length;
const pieces = new Map<string, string[]>(
  [...BASE62].map((ch) => [ch, encodingsOf(ch).map((f) => f.text)]),
);
const charWise: boolean[] = Array.from({ length: FORM_COUNT }, (_, i) =>
  ["Ab9", "zZ0q", "x7Yk2"].every(
    (s) =>
      encodingsOf(s)[i]?.text === [...s].map((ch) => pieces.get(ch)![i]).join("") &&
      encodingsOf(s).length === FORM_COUNT,
  ),
);
const charWiseText = (guess: string, i: number) =>
  [...guess].map((ch) => pieces.get(ch)![i]).join("");

interface Outcome {
  /** Leading characters of the value every surviving guess agrees on (and that are right). */
  prefix: number;
  recovered: boolean;
  guesses: number;
}

/** The attacker's program against one value's entries. */
function attack(t: Target, scheme: Scheme, truth: string): Outcome {
  const L = t.length;
  let guesses = 0;
  // Where each form's window is fixed, for a value of this length (any base62 filler).
  const sample = random62(L);
  const windows = scheme.windows(sample);
  const fixedAt = windows.map((w, i) => {
    for (let k = 1; k <= L; k++) if (determined(sample.slice(0, k))[i]!.fixed >= w) return k;
    return Infinity;
  });
  // 1. Prefix recovery from the buckets.
  let candidates = [""];
  let k = 0;
  while (k < L) {
    const next = Math.min(L, ...fixedAt.filter((x) => x > k));
    if (!Number.isFinite(next)) break;
    // No window is fixed before `next` characters: every guess up to there survives. Growing by
    // more than 2^18 guesses at once is left to the (cheaper per guess) check-column step.
    if (candidates.length * 62 ** (next - k) > 2 ** 18) break;
    let grown = candidates;
    for (let step = k; step < next; step++)
      grown = grown.flatMap((c) => [...BASE62].map((ch) => c + ch));
    // The forms whose windows this level fixes (the earlier ones were tested before).
    const fresh = fixedAt.flatMap((at, i) => (at > k && at <= next ? [i] : []));
    const fast = fresh.every((i) => charWise[i]);
    const kept: string[] = [];
    for (const g of grown) {
      guesses++;
      const forms = fast ? undefined : determined(g);
      let ok = true;
      for (const i of fresh) {
        const w = windows[i]!;
        const text = forms ? forms[i]!.text : charWiseText(g, i);
        if (forms && forms[i]!.fixed < w) continue;
        const set = t.buckets.get(w);
        ok = set !== undefined && set.has(scheme.bucket(text.slice(0, w), t.salt));
        if (!ok) break;
      }
      if (ok) kept.push(g);
    }
    candidates = kept;
    k = next;
    if (candidates.length === 0) break;
  }
  let prefix = 0;
  if (candidates.length > 0 && k > 0) {
    const first = candidates[0]!;
    while (
      prefix < k &&
      candidates.every((c) => c[prefix] === first[prefix]) &&
      first[prefix] === truth[prefix]
    )
      prefix++;
  }
  // 2. The rest against the check column, confirmed by the sha256.
  let recovered = false;
  const rest = L - k;
  if (candidates.length > 0 && candidates.length * 62 ** rest + guesses <= BUDGET) {
    const alphabet = /^[0-9]+$/.test(truth) && rest > 4 ? "0123456789" : BASE62; // either is fair
    const tryAll = (guess: string, left: number): boolean => {
      if (left === 0) {
        guesses++;
        if (!t.checks.has(scheme.check(guess, t.salt))) return false;
        const digest = createHash("sha256").update(t.salt).update(guess).digest("base64");
        return t.digests.has(digest) && guess === truth;
      }
      for (const ch of alphabet) if (tryAll(guess + ch, left - 1)) return true;
      return false;
    };
    for (const c of candidates) if ((recovered = tryAll(c, rest))) break;
  }
  return { prefix, recovered, guesses };
}

let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file" });

beforeAll(async () => {
  sb = sandbox();
  for (const { name, value } of stored) {
    const r = await hookpack(["secret", "set", name], {
      input: value,
      env: env(),
      cwd: sb.project,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(value);
    // The one value too weak for a fingerprint is told apart at `secret set`, by name only.
    expect(r.stdout.includes("keeps no fingerprint"), name).toBe(name === "PIN_6");
  }
}, 120_000);
afterAll(() => sb?.cleanup());

describe("attack: recover stored values from the hook cache file", () => {
  it("the real cache (written by `hookpack secret set`): nothing recovered within 2^24 guesses", () => {
    const bytes = readFileSync(hookCacheV5Path(sb.hookpackHome));
    // Version 5: version 4's entries in a binary layout (and the bucket column's bitmaps); the
    // attacker reads the same columns out of it (hookCacheAsV4: the columns as version 4 held them).
    expect(hookCacheVersion(bytes)).toBe(5);
    const file = hookCacheAsV4(bytes) as { version: number; unsearchable: string[] };
    const text = JSON.stringify(file);
    for (const { value } of stored) {
      expect(bytes.toString("latin1").includes(value)).toBe(false);
      expect(bytes.includes(Buffer.from(value))).toBe(false);
    }
    const targets = new Map(readTargets(text).map((t) => [t.name, t]));
    const prefixes = tally("hook cache: prefix recovery from the bucket columns");
    const whole = tally("hook cache: check-column brute force");
    const report: string[] = [];
    for (const { name, value } of stored) {
      const t = targets.get(name);
      if (!t) {
        // Too weak to be searchable: no entry at all, only the name (nothing to attack).
        expect(file.unsearchable).toContain(name);
        prefixes.attempt(true);
        whole.attempt(true);
        report.push(`${name}: no entry`);
        continue;
      }
      expect(t.length).toBe(value.length);
      const o = attack(t, current, value);
      report.push(`${name}: ${o.prefix} chars, ${o.recovered ? "RECOVERED" : "not recovered"}`);
      prefixes.attempt(o.prefix === 0);
      whole.attempt(!o.recovered);
      expect(o.prefix, name).toBe(0);
      expect(o.recovered, name).toBe(false);
    }
    // Only the PIN is too weak for an entry; everything else is searchable and still held.
    expect(file.unsearchable).toEqual(["PIN_6"]);
    process.stdout.write(`hook-cache-leak (version 4): ${report.join("; ")}\n`);
  }, 120_000);

  it("control: the same program against a version-3 cache of the same values recovers them", () => {
    const text = version3File(stored, randomBytes(16));
    const targets = new Map(readTargets(text).map((t) => [t.name, t]));
    const report: string[] = [];
    for (const { name, value } of stored) {
      const o = attack(targets.get(name)!, version3, value);
      report.push(`${name}: ${o.prefix} chars, ${o.recovered ? "RECOVERED" : "not recovered"}`);
      if (name === "HEX_32") expect(o.prefix, name).toBeGreaterThanOrEqual(8);
      else if (value.length >= 12) expect(o.prefix, name).toBeGreaterThanOrEqual(12);
      if (name === "PASSWORD_16" || name === "PIN_6" || name === "SHORT_12")
        expect(o.recovered, name).toBe(true);
    }
    process.stdout.write(`hook-cache-leak (version 3 control): ${report.join("; ")}\n`);
  }, 300_000);
});
