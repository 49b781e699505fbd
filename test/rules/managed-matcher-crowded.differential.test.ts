// With many stored secrets (more entries than 256 per window length) the WebAssembly rollers take
// their bits from the matcher's bitmaps (a copy) instead of one setBuckets call per entry (issue
// 21): what they find must equal the JavaScript loops (the oracle) exactly, on random outputs with
// values planted in every stored form, forwards, both ways and in the gates' four views; and a
// matcher over the same values with few entries (setBuckets) agrees on the values they share.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { buildHookCache, createHashedMatcher } from "../../broker/hook-cache.js";
import { encodingsOf } from "../../rules/managed-values.js";
import type { SqueezeSpec } from "../../rules/managed-matcher.js";
import { setMatcherWasm } from "../../rules/matcher-wasm.js";
import { isJoinerUnit } from "../../scanners/managed.js";

afterEach(() => setMatcherWasm("auto"));

const ascii = new Uint8Array(128);
for (let u = 0; u < 128; u++) ascii[u] = isJoinerUnit(u) ? 1 : 0;
const gateSpec: SqueezeSpec = { ascii, isJoiner: isJoinerUnit };

const unitArb = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0, max: 0xffff }),
  fc.constantFrom(0x2028, 0x200b, 0xd800, 0xdfff, 0x0a),
);
const textArb = (max: number) =>
  fc.array(unitArb, { maxLength: max, size: "max" }).map((us) => String.fromCharCode(...us));

describe("managed-matcher: a crowded index (bitmaps copied) finds exactly what the loops find", () => {
  // 400 values: ~5,000 entries over 4–6 window lengths, far above 256 per length.
  const values = Array.from({ length: 400 }, (_, i) => ({
    name: `V${i}`,
    value:
      i % 3 === 0
        ? randomBytes(24).toString("hex")
        : i % 3 === 1
          ? randomBytes(18).toString("base64url")
          : `pw-${randomBytes(10).toString("hex")}é€`,
  }));
  const salt = randomBytes(16);
  const file = { salt: salt.toString("base64"), ...buildHookCache(values, salt) };
  // Few values, few entries: the roller is given setBuckets.
  const few = values.slice(0, 3);
  const fewFile = { salt: salt.toString("base64"), ...buildHookCache(few, salt) };

  it("is crowded", () => {
    expect(file.entries.length).toBeGreaterThan(6 * 256);
    expect(createHashedMatcher(file).crowded).toBe(true);
  });

  it("forwards, both ways and the four views, on random outputs with planted forms", () => {
    let found = 0;
    let split = 0;
    setMatcherWasm("off");
    const js = createHashedMatcher(file);
    setMatcherWasm("always");
    const wasm = createHashedMatcher(file);
    const fewWasm = createHashedMatcher(fewFile);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(textArb(2500), fc.nat(values.length - 1), fc.nat(40), fc.boolean()), {
          minLength: 1,
          maxLength: 5,
        }),
        (pieces) => {
          let text = "";
          for (const [filler, v, k, joined] of pieces) {
            const fs = encodingsOf(values[v]!.value);
            const form = fs[k % fs.length]!.text;
            // Sometimes split by a joiner the squeezed views take out.
            text += filler + (joined ? `${form.slice(0, 7)}\u200b${form.slice(7)}` : form);
          }
          for (const t of [text, text.slice(0, 500), text.slice(-300)]) {
            setMatcherWasm("off");
            const want = js.find(t);
            const bothWant = js.findBothWays(t);
            const viewsWant = js.findViews(t, gateSpec);
            setMatcherWasm("always");
            expect(wasm.find(t)).toEqual(want);
            expect(wasm.findBothWays(t)).toEqual(bothWant);
            expect(wasm.findViews(t, gateSpec)).toEqual(viewsWant);
            expect(wasm.redact(t)).toEqual(js.redact(t));
            // The few-values matcher (setBuckets) finds the same hits for the values it holds.
            const shared = new Set(few.map((f) => f.name));
            expect(fewWasm.find(t)).toEqual(want.filter((m) => shared.has(m.name)));
            found += want.length;
            split += viewsWant.split.length;
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(found).toBeGreaterThan(60);
    expect(split).toBeGreaterThan(5);
  });
});
