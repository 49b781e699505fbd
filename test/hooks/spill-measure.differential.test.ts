// fitWithSpill decides what fits from measure() (hooks/spill.ts): the JSON size of an output taken
// from its long strings' own JSON sizes and its shape with them emptied, instead of stringifying
// the whole output (issue 21). A size that came out short would let an answer over the agent's
// limit through (cut by the agent, or refused), one that came out long would spill what fits.
// measure(o).total must be JSON.stringify(o).length EXACTLY, and each leaf's size its string's,
// on random outputs: strings at, below and above the 512-char line, full of what JSON escapes
// (quotes, backslashes, control characters, lone surrogates) and of what it does not (U+2028,
// paired surrogates, non-ASCII), nested in objects and arrays, numbers, booleans, null.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonLength, measure } from "../../hooks/spill.js";

const unit = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.constantFrom(0x22, 0x5c, 0x0a, 0x0d, 0x09, 0x00, 0x1f, 0x7f, 0x2028, 0x2029),
  fc.integer({ min: 0, max: 0x1f }),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.integer({ min: 0, max: 0xffff }),
);
const text = fc.oneof(
  fc.array(unit, { maxLength: 40 }).map((u) => String.fromCharCode(...u)),
  fc
    .tuple(fc.array(unit, { minLength: 1, maxLength: 30 }), fc.integer({ min: 505, max: 1400 }))
    .map(([u, n]) => {
      const s = String.fromCharCode(...u);
      return s.repeat(Math.ceil(n / s.length)).slice(0, n);
    }),
  fc.constantFrom("", "x".repeat(511), "x".repeat(512), '"'.repeat(512), "\ud800".repeat(600)),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(text, tie("value"), { maxKeys: 5 }),
  ),
})).value;

describe("spill measure(): the JSON size without stringifying the whole output", () => {
  it("equals JSON.stringify(output).length, and every leaf's size its string's", () => {
    let long = 0;
    fc.assert(
      fc.property(json, (output) => {
        const { total, leaves, jsonOf } = measure(output);
        expect(total).toBe(JSON.stringify(output).length);
        for (const leaf of leaves) {
          expect(jsonOf(leaf)).toBe(JSON.stringify(leaf.text).length - 2);
          if (leaf.text.length >= 512) long++;
        }
      }),
      { numRuns: 2000 },
    );
    // Not vacuous: the long-string path ran.
    expect(long).toBeGreaterThan(200);
  });

  it("a 64 KB output of escapes and a root string", () => {
    const stdout = `${'a"b\\c\n\u0001\ud800'.repeat(9000)}`;
    for (const output of [{ stdout, stderr: "x" }, stdout, [stdout, { k: stdout }]]) {
      expect(measure(output).total).toBe(JSON.stringify(output).length);
    }
  });

  // jsonLength counts what JSON writes as two characters with indexOf, and leaves a text with any
  // six-character escape (control characters, surrogates) to JSON.stringify: both sides of that
  // line, each escape at the start, the end and next to another, must give the exact length.
  it("jsonLength(text) is JSON.stringify(text).length - 2, fast path and fallback", () => {
    const fastUnit = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.constantFrom(0x22, 0x5c, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x7f, 0xe9, 0x2028, 0xffff),
    );
    const slowUnit = fc.constantFrom(0x00, 0x07, 0x0b, 0x0e, 0x1f, 0xd800, 0xdbff, 0xdc00, 0xdfff);
    let fast = 0;
    let slow = 0;
    fc.assert(
      fc.property(
        fc.array(fastUnit, { maxLength: 600 }),
        fc.oneof(fc.constant(undefined), fc.tuple(slowUnit, fc.nat())),
        (units, six) => {
          const u = [...units];
          if (six) u.splice(six[1] % (u.length + 1), 0, six[0]);
          const t = String.fromCharCode(...u);
          if (six) slow++;
          else fast++;
          expect(jsonLength(t)).toBe(JSON.stringify(t).length - 2);
        },
      ),
      { numRuns: 3000 },
    );
    expect(fast).toBeGreaterThan(500);
    expect(slow).toBeGreaterThan(500);
    for (const t of ['"', "\\", "\n\n", '\\"', "\r\n\t\b\f", "x\n", "\nx", "\ud83d\ude00", ""])
      expect(jsonLength(t)).toBe(JSON.stringify(t).length - 2);
    const big = "PASS test/some/file.test.ts (12 tests) 431ms\n".repeat(1500) + '"\\';
    expect(jsonLength(big)).toBe(JSON.stringify(big).length - 2);
  });
});
