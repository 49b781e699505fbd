// 1,000+ stored values shaped to crowd the matcher where it is cleverest (issue 21: the 1,000-secret
// speed-up of h21-cache5 lost every value in `scan`): values sharing a 20-character prefix, values
// sharing a 20-character suffix, values that are prefixes of each other, and values of many lengths
// (their short forms are whole-form windows: more than 8 window lengths, the case whose version 5
// cache the reader refused). Over many salts, the hook's path (the version 5 cache read in place,
// prebuilt bitmaps, bitmaps copied into the WebAssembly rollers, the chance-candidate memo) and
// `scan`'s path (managedValueMatcher over the same cache: the crowded matcher's two two-way passes)
// must find exactly what the naive matcher finds (one indexOf per form, over four copies of the
// text), on texts where the memo and the rollers are used: repeating logs with values and decoys
// planted, values at the very start and end, back to back, overlapping, split by a joiner.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  buildHookCache,
  encodeHookCache,
  estimatedBits,
  hookCacheState,
  hookCacheV5Path,
  loadHookCache,
  MIN_SEARCHABLE_BITS,
} from "../../broker/hook-cache.js";
import { candidateMemoSkips, setCandidateMemo } from "../../rules/managed-matcher.js";
import { createValueMatcher } from "../../rules/managed-values.js";
import { setMatcherWasm } from "../../rules/matcher-wasm.js";
import { managedValueMatcher, transformedFind } from "../../scanners/managed.js";

const dirs: string[] = [];
afterEach(() => {
  setCandidateMemo(true);
  setMatcherWasm("auto");
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ALPHA = "abcdefghijkmnpqrstuvwxyz23456789";
/** Random characters drawn from `bytes` (fast-check's), so a failing run replays exactly. */
const drawer = (bytes: Uint8Array) => {
  let at = 0;
  return (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += ALPHA[bytes[at++ % bytes.length]! & 31];
    return s;
  };
};

function valuesOf(seed: Uint8Array): Array<{ name: string; value: string }> {
  const rand = drawer(seed);
  const prefix = `shared${rand(14)}`;
  const suffix = `${rand(14)}suffix`;
  const out: Array<{ name: string; value: string }> = [];
  for (let i = 0; i < 400; i++)
    out.push({ name: `PRE_${i}`, value: `${prefix}${String(i).padStart(4, "0")}${rand(6)}` });
  for (let i = 0; i < 300; i++)
    out.push({ name: `SUF_${i}`, value: `${rand(6)}${String(i).padStart(4, "0")}${suffix}` });
  for (let i = 0; i < 100; i++) {
    const base = `pv${rand(22)}`;
    out.push({ name: `BASE_${i}`, value: base });
    out.push({ name: `LONG_${i}`, value: `${base}${rand(1 + (i % 13))}` });
  }
  // 17 to 47 characters: short forms whose window is the whole form, many window lengths.
  for (let i = 0; i < 150; i++) out.push({ name: `LEN_${i}`, value: rand(17 + (i % 31)) });
  return out;
}

/** A home holding only a version 5 cache of these values (as refreshHookCache writes it). */
function homeWith(values: Array<{ name: string; value: string }>, salt: Buffer) {
  const home = mkdtempSync(join(tmpdir(), "hookpack-1000-"));
  dirs.push(home);
  const built = buildHookCache(values, salt);
  const bytes = encodeHookCache({ salt: salt.toString("base64"), updated: "", ...built });
  writeFileSync(hookCacheV5Path(home), bytes);
  return { home, built, bytes };
}

function textsOf(values: Array<{ name: string; value: string }>, seed: Uint8Array): string[] {
  const rand = drawer(seed.map((b) => b ^ 0x5a));
  const pick = (k: number) => values[(seed[k % seed.length]! * 7 + k * 131) % values.length]!.value;
  const pre = values.find((v) => v.name === "PRE_7")!.value;
  const base = values.find((v) => v.name === "BASE_3")!.value;
  const long = values.find((v) => v.name === "LONG_3")!.value;
  // A repeating log (the memo's case), a value in some repetitions and a decoy in the first:
  // the value with its last character changed (same window, same bucket, checked and remembered).
  const chunk = `ok ${rand(5)} test ${rand(3)} passed in 12ms\n`;
  const reps = Array.from({ length: 300 }, () => chunk);
  for (let k = 0; k < 6; k++) {
    const v = pick(k);
    reps[0] = `${v.slice(0, -1)}${v.endsWith("x") ? "y" : "x"} ${reps[0]}`;
    reps[1 + ((seed[k]! * 13) % 298)] = `${v}\n${chunk}`;
  }
  const log = reps.join("");
  // Many values in one long text: the WebAssembly rollers, and their checks in WebAssembly.
  let wide = "";
  for (let k = 0; k < 60; k++) wide += `${rand(40)} = '${pick(k + 10)}'\n`;
  return [
    log,
    log.slice(0, log.length - 7),
    wide,
    `${pre}\n${"x = 1;\n".repeat(50)}`,
    `${"y = 2;\n".repeat(50)}${pre}`,
    pre,
    `${pre}${pre}${pre}${pre}`,
    `${base}${long}`,
    long,
    `const s = '${pre.slice(0, 9)}' + '${pre.slice(9)}';\n`,
    `${[...pick(3)].reverse().join("")} reversed`,
    `shared${pre.slice(6, 20)} only the prefix, no value`,
  ];
}

const key = (m: { start: number; end: number }) => `${m.start}:${m.end}`;

describe("1,000+ values sharing prefixes and suffixes, prefixes of each other: hook and scan paths", () => {
  it("more than 8 window lengths: the version 5 cache reads back and is not damaged", () => {
    const values = valuesOf(randomBytes(4096));
    const salt = randomBytes(16);
    const { home, built } = homeWith(values, salt);
    expect(new Set(built.entries.map((e) => e[1])).size).toBeGreaterThan(8);
    expect(hookCacheState(home)).toBeUndefined();
    const loaded = loadHookCache(home);
    expect(loaded?.matcher.size).toBe(built.entries.length);
    expect(loaded?.matcher.crowded).toBe(true);
  });

  it("over many salts: the same findings as the naive matcher, for the hook and for scan", () => {
    let planted = 0;
    let found = 0;
    const skips0 = candidateMemoSkips();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 4096, maxLength: 4096 }),
        fc.constantFrom("auto", "always", "off") as fc.Arbitrary<"auto" | "always" | "off">,
        (saltBytes, seed, wasm) => {
          const salt = Buffer.from(saltBytes);
          const values = valuesOf(seed);
          const { home } = homeWith(values, salt);
          const naive = createValueMatcher(
            values.filter((v) => estimatedBits(v.value) >= MIN_SEARCHABLE_BITS),
            { strategy: "indexOf" },
          );
          setMatcherWasm(wasm);
          const hook = loadHookCache(home)!.matcher;
          const scan = managedValueMatcher(home)!;
          expect(hook.crowded).toBe(true);
          for (const text of textsOf(values, seed)) {
            // The hook's plain search.
            const want = naive.find(text).map(({ start, end, name }) => ({ start, end, name }));
            const got = hook.find(text).map(({ start, end, name }) => ({ start, end, name }));
            expect(got).toEqual(want);
            // scan's four views.
            const viewsWant = transformedFind((t) => naive.find(t), text, 0);
            const viewsGot = scan(text);
            expect(viewsGot.map(key)).toEqual(viewsWant.map(key));
            planted += viewsWant.length;
            found += viewsGot.length;
          }
        },
      ),
      { numRuns: 8, endOnFailure: true },
    );
    // Not vacuous: values were planted and found, and the memo skipped candidates.
    expect(planted).toBeGreaterThan(8 * 20);
    expect(found).toBe(planted);
    expect(candidateMemoSkips() - skips0).toBeGreaterThan(0);
  }, 600_000);
});
