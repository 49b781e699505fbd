// The gates' four-view search (rules/managed-matcher.ts findViews: the text as is and reversed, its
// squeezed view as is and reversed) with its bucket rolls in WebAssembly (rules/matcher-wasm.ts
// viewsModule) must find EXACTLY what the JavaScript loop finds, hit for hit and in the same order.
// Two levels:
//   1. the roll itself against an oracle computed afresh (windowBucket of every direct window and
//      of every window of an explicitly squeezed copy, mapped back to text offsets): random texts
//      with joiners, lines of joiners, non-ASCII and lone surrogates, dense bitmaps so that most
//      positions are listed, and texts long enough that the output lists fill up and resume;
//   2. the whole matcher's findViews with WebAssembly on and off, values planted in every view and
//      encoding, at the text's start and end, texts shorter and longer than every window.
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
  type SqueezeSpec,
} from "../../rules/managed-matcher.js";
import {
  createViewsRoller,
  joinerBits,
  ROLL_PREBUILT,
  setMatcherWasm,
  SQUEEZED_TAG,
  viewsModule,
  VIEWS_CAP,
  VIEWS_PREBUILT,
  type ViewsFound,
} from "../../rules/matcher-wasm.js";
import { isJoinerUnit, joinerSpec, transformedFind } from "../../scanners/managed.js";

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

/** The gates' joiner set (scanners/managed.ts). */
const ascii = new Uint8Array(128);
for (let u = 0; u < 128; u++) ascii[u] = isJoinerUnit(u) ? 1 : 0;
const gateSpec: SqueezeSpec = { ascii, isJoiner: isJoinerUnit };
/** Another spec: joiners among non-ASCII units of every kind, surrogate halves included. */
const oddSpec: SqueezeSpec = {
  ascii: Uint8Array.from({ length: 128 }, (_, u) => (u % 5 === 0 ? 1 : 0)),
  isJoiner: (u) => u % 7 === 0 || u === 0xd800 || u === 0xdfff || u === 0xffff,
};
const isJoinerOf = (spec: SqueezeSpec, u: number) =>
  u < 128 ? spec.ascii[u] === 1 : spec.isJoiner(u);

/** Code units: ASCII, joiners, non-ASCII white space, Latin-1, BMP, surrogate halves, extremes. */
const unitArb = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.constantFrom(0x20, 0x0a, 0x2b, 0x27, 0x22, 0x2c, 0x2e, 0x5c, 0x28, 0x5b),
  fc.constantFrom(0xa0, 0x2028, 0x3000, 0xfeff, 0x1680, 0x200a, 0x200b),
  fc.integer({ min: 0, max: 0xff }),
  fc.integer({ min: 0, max: 0xffff }),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.constantFrom(0, 0xffff, 0xd800, 0xdfff),
);
/** Random units, with runs of joiners (whole lines of them) and runs of one character. */
const textArb = (max: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: unitArb.map((u) => [u]) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              fc.constantFrom(0x20, 0x0a, 0x2b, 0x2028, 0x2e),
              fc.integer({ min: 1, max: 300 }),
            )
            .map(([u, k]) => Array<number>(k).fill(u)),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.integer({ min: 0x41, max: 0x5a }), fc.integer({ min: 1, max: 40 }))
            .map(([u, k]) => Array<number>(k).fill(u)),
        },
      ),
      { maxLength: max, size: "max" },
    )
    .map((parts) => {
      const us = parts.flat();
      let s = "";
      for (let i = 0; i < us.length; i += 4096) s += String.fromCharCode(...us.slice(i, i + 4096));
      return s;
    });

/** Bitmap with a set bit every `every` buckets (1: all set), offset by `off`. */
const denseBitmap = (every: number, off: number) => {
  const bm = new Int32Array(1 << 15);
  for (let b = off % every; b < 1 << 20; b += every) bm[b >>> 5]! |= 1 << (b & 31);
  return bm;
};
const isSet = (bm: Int32Array, x: number) => (bm[x >>> 5]! & (1 << (x & 31))) !== 0;

/** The oracle: what one window length's roll must list, computed afresh at every position. */
function oracle(text: string, spec: SqueezeSpec, w: number, seed: number, bm: Int32Array) {
  const direct: number[] = [];
  for (let j = 0; j + w <= text.length; j++) {
    const x = windowBucket(windowHash(text, j, w), reversedWindowHash(text, j, w), seed);
    if (isSet(bm, x)) direct.push(j, x);
  }
  let squeezed = "";
  const at: number[] = [];
  for (let i = 0; i < text.length; i++)
    if (!isJoinerOf(spec, text.charCodeAt(i))) {
      squeezed += text[i];
      at.push(i);
    }
  const sq: number[] = [];
  for (let s = 0; s + w <= squeezed.length; s++) {
    const y = windowBucket(windowHash(squeezed, s, w), reversedWindowHash(squeezed, s, w), seed);
    if (isSet(bm, y)) sq.push(at[s]!, at[s + w - 1]!, y);
  }
  return { direct, squeezed: sq, kept: squeezed.length };
}

/** The WebAssembly roll of every window length at once, as plain lists per length. */
function rollAll(
  ws: readonly number[],
  bitmaps: readonly Int32Array[],
  text: string,
  spec: SqueezeSpec,
  seed: number,
) {
  const roller = createViewsRoller(
    ws.map((w, slot) => ({ w, top: topPower(w), bitmap: bitmaps[slot]! })),
    K,
  )!;
  expect(roller).toBeDefined();
  const found = roller.search(text, spec, seed);
  return { roller, ...perSlot(found, ws.length) };
}

/** The records of a search as plain lists per window length. */
function perSlot(found: ViewsFound, slots: number) {
  const direct: number[][] = Array.from({ length: slots }, () => []);
  const squeezed: number[][] = Array.from({ length: slots }, () => []);
  const r = found.records;
  expect(r.length % 4).toBe(0);
  for (let x = 0; x < r.length; x += 4) {
    if (r[x]! < SQUEEZED_TAG) direct[r[x]!]!.push(r[x + 1]!, r[x + 3]!);
    else squeezed[r[x]! - SQUEEZED_TAG]!.push(r[x + 1]!, r[x + 2]!, r[x + 3]!);
  }
  return {
    direct,
    squeezed,
    kept: found.kept,
  };
}

describe("matcher-wasm views: the WebAssembly four-view roll lists what the oracle lists", () => {
  it("is a valid module", () => {
    expect(WebAssembly.validate(viewsModule(K) as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(WebAssembly.validate(viewsModule({ ...K, shift: 13 }) as Uint8Array<ArrayBuffer>)).toBe(
      true,
    );
  });

  it("the prebuilt module is viewsModule's for the matcher's constants", () => {
    const assembled = Buffer.from(viewsModule(ROLL_PREBUILT)).toString("base64");
    expect(assembled).toBe(VIEWS_PREBUILT.module);
    // The tests' constants are the matcher's (so the rollers below run the prebuilt bytes too).
    expect(K).toEqual({
      base: ROLL_PREBUILT.base,
      baseInv: ROLL_PREBUILT.baseInv,
      mix: ROLL_PREBUILT.mix,
      shift: ROLL_PREBUILT.shift,
    });
  });

  it("the joiner table answers as the spec does for every UTF-16 unit", () => {
    for (const spec of [gateSpec, oddSpec]) {
      const bits = joinerBits(spec);
      let set = 0;
      const wrong: number[] = [];
      for (let u = 0; u < 65536; u++) {
        const got = ((bits[u >>> 3]! >>> (u & 7)) & 1) === 1;
        if (got !== isJoinerOf(spec, u)) wrong.push(u);
        if (got) set++;
      }
      expect(wrong).toEqual([]);
      expect(set).toBeGreaterThan(20);
    }
  });

  it("the gates' spec carries a table built from its explicit joiner lists: it answers as the loop does", () => {
    const spec = joinerSpec() as SqueezeSpec & { bits?: Uint8Array };
    expect(spec.bits).toBeDefined();
    // joinerBits hands the gates' own table to the roller.
    expect(joinerBits(spec)).toBe(spec.bits);
    const wrong: number[] = [];
    let set = 0;
    for (let u = 0; u < 65536; u++) {
      const got = ((spec.bits![u >>> 3]! >>> (u & 7)) & 1) === 1;
      if (got !== isJoinerUnit(u)) wrong.push(u);
      if (got) set++;
    }
    expect(wrong).toEqual([]);
    expect(set).toBeGreaterThan(25);
  });

  it("on random texts, joiners and non-ASCII, dense bitmaps (forced collisions)", () => {
    let direct = 0;
    let squeezed = 0;
    let split = 0; // squeezed windows with a joiner inside
    let runs = 0;
    fc.assert(
      fc.property(
        textArb(600),
        fc.array(fc.constantFrom(...WINDOW_LADDER, 1, 2, 3, 17, 100), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer(),
        fc.constantFrom(1, 2, 3, 16, 1024),
        fc.nat(),
        fc.boolean(),
        (text, ws, seed, every, off, odd) => {
          const spec = odd ? oddSpec : gateSpec;
          const bitmaps = ws.map((_, i) => denseBitmap(every, off + i));
          const got = rollAll(ws, bitmaps, text, spec, seed | 0);
          ws.forEach((w, slot) => {
            const want = oracle(text, spec, w, seed | 0, bitmaps[slot]!);
            expect(got.direct[slot]).toEqual(want.direct);
            expect(got.squeezed[slot]).toEqual(want.squeezed);
            expect(got.kept).toBe(want.kept);
            direct += want.direct.length / 2;
            squeezed += want.squeezed.length / 3;
            for (let x = 0; x < want.squeezed.length; x += 3)
              if (want.squeezed[x + 1]! - want.squeezed[x]! !== w - 1) split++;
          });
          runs++;
        },
      ),
      { numRuns: 250 },
    );
    // Not vacuous: dense bitmaps listed most positions, many squeezed windows spanned joiners.
    expect(runs).toBe(250);
    expect(direct).toBeGreaterThan(10_000);
    expect(squeezed).toBeGreaterThan(10_000);
    expect(split).toBeGreaterThan(2_000);
  });

  it("sparse bitmaps holding buckets of the text's own windows (the FILTER before the bitmap): the oracle's records", () => {
    // A few set buckets per length, as one stored value gives: each window first meets a 2 × 256-bit
    // projection of its length's bitmap (bucket bits 0–7 and 8–15) and only then the bitmap. The
    // buckets are taken from windows of the text itself (direct and squeezed), so the records are
    // many and every one must come through the filter.
    let records = 0;
    fc.assert(
      fc.property(
        textArb(900),
        fc.constantFrom([16, 32, 64, 96], [16, 31, 32, 64, 96], [16], [24, 255, 1, 2, 3, 4, 5, 6]),
        fc.integer(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (text, ws, seed, picks, odd) => {
          const spec = odd ? oddSpec : gateSpec;
          const full = denseBitmap(1, 0);
          const bitmaps = ws.map((w) => {
            const all = oracle(text, spec, w, seed, full);
            const bm = new Int32Array(1 << 15);
            const xs = [
              ...all.direct.filter((_, i) => i % 2 === 1),
              ...all.squeezed.filter((_, i) => i % 3 === 2),
            ];
            for (const p of picks)
              if (xs.length > 0) {
                const x = xs[p % xs.length]!;
                bm[x >>> 5]! |= 1 << (x & 31);
              }
            return bm;
          });
          const got = rollAll(ws, bitmaps, text, spec, seed);
          ws.forEach((w, slot) => {
            const want = oracle(text, spec, w, seed, bitmaps[slot]!);
            expect(got.direct[slot]).toEqual(want.direct);
            expect(got.squeezed[slot]).toEqual(want.squeezed);
            records += want.direct.length / 2 + want.squeezed.length / 3;
          });
        },
      ),
      { numRuns: 200 },
    );
    expect(records).toBeGreaterThan(2_000);
  });

  it("lists longer than its capacity resume where they stopped; one roller, texts growing and shrinking", () => {
    const ws = [16, 16, 64];
    const bitmaps = [denseBitmap(1, 0), denseBitmap(2, 1), denseBitmap(3, 2)];
    const roller = createViewsRoller(
      ws.map((w, slot) => ({ w, top: topPower(w), bitmap: bitmaps[slot]! })),
      K,
    )!;
    for (const n of [50, 3 * VIEWS_CAP + 77, 20, VIEWS_CAP + 15, 70_000, 16, 0]) {
      // Base64-ish text with joiners sprinkled in (every 9th unit a space or a "+").
      const text = [...randomBytes(n).toString("base64").slice(0, n)]
        .map((ch, i) => (i % 9 === 4 ? (i % 2 ? " " : "+") : ch))
        .join("");
      const found = perSlot(roller.search(text, gateSpec, 12345), ws.length);
      let records = 0;
      ws.forEach((w, slot) => {
        const want = oracle(text, gateSpec, w, 12345, bitmaps[slot]!);
        expect(Array.from(found.direct[slot]!)).toEqual(want.direct);
        expect(Array.from(found.squeezed[slot]!)).toEqual(want.squeezed);
        expect(found.kept).toBe(want.kept);
        records += want.direct.length / 2 + want.squeezed.length / 3;
        // Every bucket set: every whole window is listed.
        if (slot === 0) expect(want.direct.length / 2).toBe(Math.max(0, n - w + 1));
      });
      // The longer texts listed many times the list's capacity: the roll stopped and resumed.
      if (n > 3 * VIEWS_CAP) expect(records).toBeGreaterThan(5 * VIEWS_CAP);
    }
  });
});

describe("matcher-wasm views: one roller over texts of every length in turn (SIMD lanes, padding)", () => {
  it("a text about twice the last one's length starts on zeros, not on the last search's offsets", () => {
    // The squeezed units of a search sit past the text, after 256 zero units that the first
    // windows roll over; with the text about twice as long as the last one's, that padding lies
    // where the last search wrote its squeezed units' offsets. Five lengths: two groups of lanes.
    const ws = [16, 64, 255, 32, 96];
    const bitmaps = ws.map((_, i) => denseBitmap(3, i));
    const roller = createViewsRoller(
      ws.map((w, slot) => ({ w, top: topPower(w), bitmap: bitmaps[slot]! })),
      K,
    )!;
    let checked = 0;
    for (const first of [90, 700, 2100])
      for (let d = -300; d <= 300; d += 60)
        for (const n of [first, 2 * first + 768 + d]) {
          // No joiner in the first 300 units (the padding is rolled over), joiners after.
          const text = [...randomBytes(n).toString("base64").slice(0, n)]
            .map((ch, i) => (i > 300 && i % 7 === 3 ? (i % 2 ? " " : "\n") : ch))
            .join("");
          const found = perSlot(roller.search(text, gateSpec, 777), ws.length);
          ws.forEach((w, slot) => {
            const want = oracle(text, gateSpec, w, 777, bitmaps[slot]!);
            expect(found.direct[slot]).toEqual(want.direct);
            expect(found.squeezed[slot]).toEqual(want.squeezed);
            expect(found.kept).toBe(want.kept);
          });
          checked++;
        }
    expect(checked).toBe(66);
  });
});

describe("matcher-wasm views: the searched text does not stay in the instance's memory", () => {
  it("after a search neither the text nor its last units are left (a value in it included)", () => {
    const roller = createViewsRoller(
      [16, 32].map((w) => ({ w, top: topPower(w), bitmap: denseBitmap(1024, w) })),
      K,
    )!;
    for (const n of [20, 300, 9000]) {
      const text = randomBytes(n).toString("base64url").slice(0, n);
      roller.search(text, gateSpec, 99);
      const mem = Buffer.from(roller.memory.buffer);
      // Any 12 consecutive units of the text (UTF-16 as the instance holds it): none left.
      const left = [0, n >> 1, n - 12].filter(
        (at) => mem.indexOf(Buffer.from(text.slice(at, at + 12), "utf16le")) !== -1,
      );
      expect(left).toEqual([]);
    }
  });
});

/** The encoded forms the hook cache stores, and the views the gates search. */
const planted = (v: string, how: number): string => {
  const b = Buffer.from(v);
  const rev = (s: string) => s.split("").reverse().join("");
  const cut = (s: string, sep: string) => {
    const at = 1 + (how % Math.max(1, s.length - 2));
    return `${s.slice(0, at)}${sep}${s.slice(at)}`;
  };
  switch (how % 12) {
    case 0:
      return v;
    case 1:
      return rev(v);
    case 2:
      return b.toString("base64");
    case 3:
      return b.toString("hex");
    case 4:
      return cut(v, `' + '`);
    case 5:
      return rev(cut(v, "\n   "));
    case 6:
      return cut(b.toString("hex"), "\u2028\u3000");
    case 7:
      return JSON.stringify(v).slice(1, -1);
    case 8:
      return encodeURIComponent(v);
    case 9:
      return [...v].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
    case 10:
      // One character per line: a value wrapped at width 1.
      return [...v].join("\n");
    default:
      return rev(cut(b.toString("base64"), `",\n  "`));
  }
};

const valueArb = fc.oneof(
  fc.constant(null).map(() => randomBytes(18).toString("base64url")),
  fc.constant(null).map(() => `pw-${randomBytes(9).toString("hex")}é€`),
  fc.constant(null).map(() => randomBytes(48).toString("base64")),
  fc.constant(null).map(() => `𝒳${randomBytes(10).toString("hex")}\u00e9`),
);

describe("matcher-wasm views: findViews is the same with WebAssembly and without", () => {
  it("values planted in every view and encoding, at both ends, texts short and long", () => {
    let hits = 0;
    let splitHits = 0;
    let count = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(valueArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(textArb(1500), fc.nat(40), fc.nat(3)), { minLength: 0, maxLength: 6 }),
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
          const pick = (k: number, i: number) => planted(raw[i % raw.length]!, k);
          let text = atStart ? pick(count, 0) : "";
          for (const [filler, k, i] of pieces) text += filler + pick(k, i);
          if (atEnd) text += pick(count + 5, 1);
          count += pieces.length + (atStart ? 1 : 0) + (atEnd ? 1 : 0);
          for (const t of [text, text.slice(0, 60), text.slice(-40), text.slice(0, 15), ""]) {
            for (const spec of [gateSpec, oddSpec]) {
              setMatcherWasm("off");
              const want = js.findViews(t, spec);
              setMatcherWasm("always");
              const got = wasm.findViews(t, spec);
              expect(got).toEqual(want);
              hits += want.direct.length;
              splitHits += want.split.length;
            }
            // The gates' whole path (scanners/managed.ts) on top of it.
            setMatcherWasm("off");
            const gateWant = transformedFind(js, t, js.minLength);
            setMatcherWasm("always");
            expect(transformedFind(wasm, t, wasm.minLength)).toEqual(gateWant);
          }
          // And the default threshold (auto: long texts only) agrees too.
          setMatcherWasm("auto");
          expect(wasm.findViews(text, gateSpec)).toEqual(js.findViews(text, gateSpec));
        },
      ),
      { numRuns: 150 },
    );
    expect(count).toBeGreaterThan(300);
    expect(hits).toBeGreaterThan(200);
    expect(splitHits).toBeGreaterThan(100);
  });

  it("1,000 stored values (hundreds of candidate windows): the same hits in the same order", () => {
    const values = Array.from({ length: 1000 }, (_, i) => ({
      name: `S${i}`,
      value: randomBytes(8 + (i % 30)).toString(i % 2 ? "hex" : "base64"),
    }));
    const salt = randomBytes(16);
    const file = { salt: salt.toString("base64"), ...buildHookCache(values, salt) };
    setMatcherWasm("off");
    const js = createHashedMatcher(file);
    setMatcherWasm("always");
    const wasm = createHashedMatcher(file);
    let text = "";
    for (let i = 0; i < values.length; i += 5)
      text += `${randomBytes(30).toString("base64")}\n${planted(values[i]!.value, i)} `;
    setMatcherWasm("off");
    const want = js.findViews(text, gateSpec);
    setMatcherWasm("always");
    expect(wasm.findViews(text, gateSpec)).toEqual(want);
    expect(want.direct.length).toBeGreaterThan(50);
    expect(want.split.length).toBeGreaterThan(20);
  });
});

describe("matcher-wasm views: a group of one window length rolls in scalar code, as the oracle does", () => {
  // Five lengths (16, 31, 32, 64, 96: a 24-character value's forms) are one vector group of four
  // and one group of ONE length, which viewsModule rolls and buckets in scalar i32 code (its state
  // in lane 0): every record of that length must still be the oracle's, in every view.
  it("lists of 1 and 5 lengths, dense bitmaps, many seeds: the same records per length", () => {
    let single = 0;
    let singleSqueezed = 0;
    fc.assert(
      fc.property(
        textArb(1500),
        fc.constantFrom([16], [16, 31, 32, 64, 96], [255, 96, 17, 2, 3], [1]),
        fc.integer(),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        (text, ws, seed, every, odd) => {
          const spec = odd ? oddSpec : gateSpec;
          const bitmaps = ws.map((w, slot) => denseBitmap(every, w + slot));
          const got = rollAll(ws, bitmaps, text, spec, seed);
          ws.forEach((w, slot) => {
            const want = oracle(text, spec, w, seed, bitmaps[slot]!);
            expect(got.direct[slot]).toEqual(want.direct);
            expect(got.squeezed[slot]).toEqual(want.squeezed);
            expect(got.kept).toBe(want.kept);
            if (slot % 4 === 0 && slot === ws.length - 1) {
              single += want.direct.length;
              singleSqueezed += want.squeezed.length;
            }
          });
        },
      ),
      { numRuns: 60 },
    );
    // Not vacuous: the one-length group listed windows in both views.
    expect(single).toBeGreaterThan(1000);
    expect(singleSqueezed).toBeGreaterThan(1000);
  });
});

describe("matcher-wasm views: 24-character values (five lengths, a group of one), whole matcher", () => {
  // findViews with the WebAssembly roll against the JavaScript loop and against the four-copies
  // reference (transformedFind over a plain find: the text, reversed, squeezed, squeezed reversed),
  // with 1, 100 and 1,000 stored values and 1,000 values sharing a 20-character prefix, each under
  // several salts; values planted in every view and encoding across the text.
  const sets: Array<[string, () => Array<{ name: string; value: string }>]> = [
    ["1", () => [{ name: "S0", value: randomBytes(18).toString("base64url") }]],
    [
      "100",
      () =>
        Array.from({ length: 100 }, (_, i) => ({
          name: `S${i}`,
          value: randomBytes(18).toString("base64url"),
        })),
    ],
    [
      "1,000",
      () =>
        Array.from({ length: 1000 }, (_, i) => ({
          name: `S${i}`,
          value: randomBytes(18).toString("base64url"),
        })),
    ],
    [
      "1,000 sharing a 20-character prefix",
      () => {
        const prefix = randomBytes(15).toString("base64url");
        return Array.from({ length: 1000 }, (_, i) => ({
          name: `S${i}`,
          value: `${prefix}${randomBytes(3).toString("base64url")}`,
        }));
      },
    ],
  ];
  for (const [label, make] of sets)
    it(`${label} stored: the same hits as the loop and every planted value found`, () => {
      for (let salts = 0; salts < 3; salts++) {
        const values = make();
        const salt = randomBytes(16);
        const file = { salt: salt.toString("base64"), ...buildHookCache(values, salt) };
        expect(new Set(file.entries.map((e) => e[1])).size % 4).toBe(1); // a group of one length
        setMatcherWasm("off");
        const js = createHashedMatcher(file);
        setMatcherWasm("always");
        const wasm = createHashedMatcher(file);
        const step = Math.max(1, Math.floor(values.length / 60));
        let text = "";
        const at: Array<[number, number]> = [];
        for (let i = 0, k = 0; i < values.length; i += step, k++) {
          text += `${randomBytes(20 + (k % 50)).toString("base64")}\n`;
          const p = planted(values[i]!.value, k);
          at.push([text.length, text.length + p.length]);
          text += `${p} `;
        }
        setMatcherWasm("off");
        const want = js.findViews(text, gateSpec);
        setMatcherWasm("always");
        const got = wasm.findViews(text, gateSpec);
        expect(got).toEqual(want);
        // Every planted value is inside some hit of the four-copies reference and of findViews.
        const ref = transformedFind((t: string) => js.find(t), text);
        const all = [...got.direct, ...got.split];
        for (const [s, e] of at) {
          expect(ref.some((h) => h.start < e && s < h.end)).toBe(true);
          expect(all.some((h) => h.start < e && s < h.end)).toBe(true);
        }
      }
    });
});
