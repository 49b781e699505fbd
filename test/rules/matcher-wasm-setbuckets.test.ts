// The WebAssembly rollers (rules/matcher-wasm.ts) take a matcher's bitmaps either copied (128 KB
// per window length) or set bit by bit from the entries (`setBuckets`, what the matcher passes
// since issue 21: no 512 KB copied per hook process). The set bits must make the rollers list
// EXACTLY what the copied bitmaps make them list: the forward roll against windowBucket computed
// afresh at every position, the four-view roll against a roller given the copied bitmaps (itself
// checked against its oracle in matcher-views.differential.test.ts). The bitmaps handed beside
// `setBuckets` are all zero: a roller that read them instead of the set bits would list nothing.
// The forward rollers here run the prebuilt module (ROLL_PREBUILT: these tests use its constants).
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  BASE,
  reversedWindowHash,
  ROLL_CONSTANTS,
  windowBucket,
  windowHash,
  WINDOW_LADDER,
  type SqueezeSpec,
} from "../../rules/managed-matcher.js";
import {
  createViewsRoller,
  createWasmRoller,
  ROLL_PREBUILT,
  rollModule,
  setMatcherWasm,
  type SetBuckets,
} from "../../rules/matcher-wasm.js";
import { isJoinerUnit } from "../../scanners/managed.js";

afterEach(() => setMatcherWasm("auto"));

const BASE_INV = (() => {
  let x = BASE;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(BASE, x));
  return x;
})();
const K = { base: BASE, baseInv: BASE_INV, mix: 0x9e3779b1 | 0, shift: 12 };
const topPower = (w: number) => {
  let top = 1;
  for (let i = 1; i < w; i++) top = Math.imul(top, BASE);
  return top;
};
const ascii = new Uint8Array(128);
for (let u = 0; u < 128; u++) ascii[u] = isJoinerUnit(u) ? 1 : 0;
const gateSpec: SqueezeSpec = { ascii, isJoiner: isJoinerUnit };

/** Buckets per slot: every `every`-th from `off`, plus the extremes (bit 0 and 2^20 − 1). */
function bucketsOf(slots: number, every: number, off: number): number[][] {
  return Array.from({ length: slots }, (_, s) => {
    const out = [0, (1 << 20) - 1];
    for (let b = (off + s * 13) % every; b < 1 << 20; b += every) out.push(b);
    return out;
  });
}
const bitmapsOf = (buckets: number[][]) =>
  buckets.map((bs) => {
    const bm = new Int32Array(1 << 15);
    for (const b of bs) bm[b >>> 5]! |= 1 << (b & 31);
    return bm;
  });
/** The entries' (slot, bucket) pairs, with the bucket's high bits set as the cache's column may hold them. */
const setterOf =
  (buckets: number[][]): SetBuckets =>
  (set) => {
    buckets.forEach((bs, slot) => {
      for (const b of bs) set(slot, b | (slot % 2 ? 0x7ff00000 : 0));
    });
  };
const zeros = (n: number) => Array.from({ length: n }, () => new Int32Array(1 << 15));

describe("matcher-wasm: rollers given setBuckets list what the bitmaps make them list", () => {
  it("forward roll: equals windowBucket at every position (sparse and dense buckets)", () => {
    let hits = 0;
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 600, size: "max" }),
        fc.array(fc.constantFrom(...WINDOW_LADDER, 1, 17, 100), { minLength: 1, maxLength: 5 }),
        fc.integer(),
        fc.constantFrom(1, 3, 64, 4099, 1 << 19),
        fc.nat(1 << 20),
        (text, ws, seed, every, off) => {
          const buckets = bucketsOf(ws.length, every, off);
          const bitmaps = bitmapsOf(buckets);
          const roller = createWasmRoller(zeros(ws.length), K, setterOf(buckets))!;
          expect(roller).toBeDefined();
          roller.load(text);
          ws.forEach((w, slot) => {
            if (text.length < w) return;
            const got = Array.from(
              roller.roll(
                slot,
                w,
                topPower(w),
                seed | 0,
                windowHash(text, 0, w),
                reversedWindowHash(text, 0, w),
              ),
            );
            const want: number[] = [];
            for (let j = 0; j + w <= text.length; j++) {
              const x = windowBucket(windowHash(text, j, w), reversedWindowHash(text, j, w), seed);
              if ((bitmaps[slot]![x >>> 5]! & (1 << (x & 31))) !== 0) want.push(j, x);
            }
            expect(got).toEqual(want);
            hits += want.length / 2;
          });
        },
      ),
      { numRuns: 200 },
    );
    expect(hits).toBeGreaterThan(5_000); // not vacuous: the dense cases hit most positions
  });

  it("four-view roll: the same records as the roller given the copied bitmaps", () => {
    let records = 0;
    for (const [every, off] of [
      [1, 0],
      [2, 1],
      [5, 3],
      [97, 11],
      [1 << 16, 7],
    ] as const)
      for (const ws of [[16], [16, 32, 64, 96], [...WINDOW_LADDER.slice(0, 7), 1]]) {
        const buckets = bucketsOf(ws.length, every, off);
        const bitmaps = bitmapsOf(buckets);
        const copied = createViewsRoller(
          ws.map((w, slot) => ({ w, top: topPower(w), bitmap: bitmaps[slot]! })),
          K,
        )!;
        const set = createViewsRoller(
          ws.map((w) => ({ w, top: topPower(w), bitmap: new Int32Array(1 << 15) })),
          K,
          setterOf(buckets),
        )!;
        expect(set).toBeDefined();
        for (const n of [0, 40, 900, 5000]) {
          const text = [...randomBytes(n).toString("base64").slice(0, n)]
            .map((ch, i) => (i % 11 === 5 ? " " : ch))
            .join("");
          const want = copied.search(text, gateSpec, 4242);
          const wantRecords = Array.from(want.records);
          const got = set.search(text, gateSpec, 4242);
          expect(Array.from(got.records)).toEqual(wantRecords);
          expect(got.kept).toBe(want.kept);
          records += wantRecords.length / 4;
        }
      }
    expect(records).toBeGreaterThan(10_000);
  });
});

describe("matcher-wasm: the prebuilt forward-roll module", () => {
  it("is rollModule's output for its constants, and those are the matcher's", () => {
    const { module, ...k } = ROLL_PREBUILT;
    expect(Buffer.from(rollModule(k)).toString("base64")).toBe(module);
    expect(k).toEqual({ ...ROLL_CONSTANTS });
  });
});
