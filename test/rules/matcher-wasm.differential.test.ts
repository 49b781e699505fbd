// The stored-value matcher's forward bucket roll in WebAssembly (rules/matcher-wasm.ts) must find
// EXACTLY what the JavaScript loop finds (rules/managed-matcher.ts scanForward, kept as the fallback
// and the oracle). Two levels: the roll itself against windowBucket computed afresh at every
// position (random texts with non-ASCII and lone surrogates, dense bitmaps so that most positions
// collide), and the whole matcher's find with WebAssembly on and off, values planted in every
// encoded form the cache stores, at the text's start and end, texts shorter than a window.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { buildHookCache, createHashedMatcher } from "../../broker/hook-cache.js";
import {
  BASE,
  reversedWindowHash,
  windowBucket,
  windowHash,
  WINDOW_LADDER,
} from "../../rules/managed-matcher.js";
import { createWasmRoller, rollModule, setMatcherWasm } from "../../rules/matcher-wasm.js";

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

/** Code units: ASCII, Latin-1, BMP, both surrogate halves (paired or lone), the extremes. */
const unitArb = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0, max: 0xff }),
  fc.integer({ min: 0, max: 0xffff }),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.constantFrom(0, 0xffff, 0xd800, 0xdfff, 0xfeff),
);
const textArb = (max: number) =>
  fc.array(unitArb, { maxLength: max, size: "max" }).map((us) => String.fromCharCode(...us));

describe("matcher-wasm: the WebAssembly bucket roll equals windowBucket at every position", () => {
  it("is a valid module", () => {
    expect(WebAssembly.validate(rollModule(K) as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it("on random texts and dense bitmaps (forced collisions)", () => {
    let pairs = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        textArb(700),
        fc.array(fc.constantFrom(...WINDOW_LADDER, 1, 2, 3, 17, 100), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer(),
        fc.constantFrom(1, 2, 4, 16, 1024),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (text, ws, seed, every, rnd) => {
          // Bitmap per window: a set bit every `every` buckets (1: all set), offset by rnd.
          const bitmaps = ws.map((_, i) => {
            const bm = new Int32Array(1 << 15);
            for (let b = (rnd + i) % every; b < 1 << 20; b += every) bm[b >>> 5]! |= 1 << (b & 31);
            return bm;
          });
          const roller = createWasmRoller(bitmaps, K)!;
          expect(roller).toBeDefined();
          roller.load(text);
          ws.forEach((w, slot) => {
            const got =
              text.length < w
                ? []
                : Array.from(
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
            pairs += want.length / 2;
          });
          runs++;
        },
      ),
      { numRuns: 300 },
    );
    // Not vacuous: the dense bitmaps made most positions hits.
    expect(runs).toBe(300);
    expect(pairs).toBeGreaterThan(10_000);
  });

  it("one roller searches texts of growing and shrinking lengths (its memory grows)", () => {
    const bm = new Int32Array(1 << 15).fill(-1);
    const roller = createWasmRoller([bm], K)!;
    for (const n of [10, 200_000, 50, 70_000, 16]) {
      const text = randomBytes(n).toString("latin1");
      roller.load(text);
      const found = roller.roll(
        0,
        16,
        topPower(16),
        7,
        windowHash(text, 0, 16),
        reversedWindowHash(text, 0, 16),
      );
      expect(found.length).toBe(2 * Math.max(0, n - 15));
      if (n < 16) continue;
      expect(found[found.length - 2]).toBe(n - 16);
      // Spot check: the last window's bucket.
      const j = n - 16;
      expect(found[found.length - 1]).toBe(
        windowBucket(windowHash(text, j, 16), reversedWindowHash(text, j, 16), 7),
      );
    }
  });
});

/** The encoded forms of a value the hook cache stores (broker/hook-cache.ts). */
const forms = (v: string): string[] => {
  const b = Buffer.from(v);
  return [
    v,
    b.toString("base64"),
    b.toString("base64url"),
    b.toString("base64").replace(/=+$/, ""),
    b.toString("hex"),
    b.toString("hex").toUpperCase(),
    encodeURIComponent(v),
    JSON.stringify(v).slice(1, -1),
    [...v].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
    [...v].reverse().join(""),
  ];
};

describe("matcher-wasm: find and findBothWays are the same with WebAssembly and without", () => {
  it("values planted in every stored form, at the start, the end, in long and short texts", () => {
    let found = 0;
    let reversedFound = 0;
    let planted = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.oneof(
            fc.constant(null).map(() => randomBytes(18).toString("base64url")),
            fc.constant(null).map(() => `pw-${randomBytes(9).toString("hex")}é€`),
            fc.constant(null).map(() => randomBytes(48).toString("base64")),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(fc.tuple(textArb(3000), fc.nat(40), fc.nat(3)), { minLength: 0, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        (raw, pieces, atStart, atEnd) => {
          const values = raw.map((value, i) => ({ name: `V${i}`, value }));
          const salt = randomBytes(16);
          const file = { salt: salt.toString("base64"), ...buildHookCache(values, salt) };
          setMatcherWasm("off");
          const js = createHashedMatcher(file);
          setMatcherWasm("always");
          const wasm = createHashedMatcher(file);
          const pick = (k: number, i: number) => {
            const fs = forms(raw[i % raw.length]!);
            return fs[k % fs.length]!;
          };
          let text = atStart ? pick(planted, 0) : "";
          for (const [filler, k, i] of pieces) text += filler + pick(k, i);
          if (atEnd) text += pick(planted + 3, 1);
          planted += pieces.length + (atStart ? 1 : 0) + (atEnd ? 1 : 0);
          for (const t of [text, text.slice(0, 40), text.slice(0, 15), ""]) {
            setMatcherWasm("off");
            const want = js.find(t);
            setMatcherWasm("always");
            const got = wasm.find(t);
            expect(got).toEqual(want);
            expect(wasm.redact(t)).toEqual(js.redact(t));
            // The two-way search (the gates' and `scan`'s) too, reversed hits included.
            setMatcherWasm("off");
            const bothWant = js.findBothWays(t);
            setMatcherWasm("always");
            expect(wasm.findBothWays(t)).toEqual(bothWant);
            reversedFound += bothWant.filter((m) => m.view === "reversed").length;
            found += want.length;
          }
          // And the default threshold (auto: long texts only) agrees too.
          setMatcherWasm("auto");
          expect(wasm.find(text)).toEqual(js.find(text));
          expect(wasm.findBothWays(text)).toEqual(js.findBothWays(text));
        },
      ),
      { numRuns: 150 },
    );
    expect(planted).toBeGreaterThan(300);
    expect(found).toBeGreaterThan(100);
    expect(reversedFound).toBeGreaterThan(10);
  });

  it("a 64 KB output with one stored value at the start and the end: both redact it", () => {
    const value = randomBytes(18).toString("base64url");
    const salt = randomBytes(16);
    const file = {
      salt: salt.toString("base64"),
      ...buildHookCache([{ name: "BENCH_SECRET_0", value }], salt),
    };
    const filler = randomBytes(48 * 1024).toString("base64");
    const text = `${value}\n${filler}\n${Buffer.from(value).toString("base64")}\n${value}`;
    setMatcherWasm("off");
    const js = createHashedMatcher(file).redact(text);
    setMatcherWasm("auto");
    const wasm = createHashedMatcher(file).redact(text);
    expect(wasm).toEqual(js);
    expect(wasm.count).toBeGreaterThanOrEqual(3);
    expect(wasm.text).not.toContain(value);
  });
});
