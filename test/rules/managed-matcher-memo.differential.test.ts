// The matcher remembers candidates that found nothing for the rest of one search and skips a later
// candidate of the same bucket whose span of the text holds the same characters (issue 21: a
// repeating output hits a bucket by chance once per repetition). Skipping must never lose a hit:
// on repeating outputs (where the memo is used a lot) with stored values planted in some
// repetitions, in every stored form, cut by the text's end, the matcher with the memo finds exactly
// what it finds without it (the previous behaviour), and every planted form is covered, also
// after a decoy of it (the same window, another last character) that was checked and remembered.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { buildHookCache, createHashedMatcher } from "../../broker/hook-cache.js";
import { encodingsOf } from "../../rules/managed-values.js";
import {
  candidateMemoSkips,
  setCandidateMemo,
  type SqueezeSpec,
} from "../../rules/managed-matcher.js";
import { setMatcherWasm } from "../../rules/matcher-wasm.js";
import { isJoinerUnit } from "../../scanners/managed.js";

afterEach(() => {
  setCandidateMemo(true);
  setMatcherWasm("auto");
});

const ascii = new Uint8Array(128);
for (let u = 0; u < 128; u++) ascii[u] = isJoinerUnit(u) ? 1 : 0;
const gateSpec: SqueezeSpec = { ascii, isJoiner: isJoinerUnit };

describe("managed-matcher: the chance-candidate memo never loses a hit", () => {
  // Many values: chance candidates are frequent (~2 % of positions), so a repeating chunk has some.
  const values = Array.from({ length: 500 }, (_, i) => ({
    name: `V${i}`,
    value: i % 2 === 0 ? randomBytes(24).toString("hex") : randomBytes(18).toString("base64url"),
  }));
  const salt = randomBytes(16);
  const file = { salt: salt.toString("base64"), ...buildHookCache(values, salt) };
  const matcher = createHashedMatcher(file);

  it("with and without the memo: equal results on repeating outputs with planted values", () => {
    const skips0 = candidateMemoSkips();
    let planted = 0;
    let covered = 0;
    fc.assert(
      fc.property(
        fc.string({ minLength: 20, maxLength: 300, unit: "grapheme-ascii" }),
        fc.integer({ min: 3, max: 120 }),
        fc.array(fc.tuple(fc.nat(200), fc.nat(values.length - 1), fc.nat(40)), {
          maxLength: 4,
        }),
        fc.nat(400),
        fc.constantFrom("off", "always", "auto") as fc.Arbitrary<"off" | "always" | "auto">,
        (chunk, reps, plants, cut, wasm) => {
          const parts = Array.from({ length: reps }, () => chunk);
          const forms: string[] = [];
          for (const [at, v, k] of plants) {
            const fs = encodingsOf(values[v]!.value).filter((f) => f.text.length >= 8);
            const form = fs[k % fs.length]!.text;
            // The form goes into one repetition: the repetitions around it stay equal. A decoy
            // goes into the first: the form with its last character changed, whose window and
            // bucket are the form's, so the memo remembers the bucket with no hit before the form.
            const r = 1 + (at % (reps - 1));
            parts[r] = `${form}${parts[r]}`;
            const last = form[form.length - 1] === "x" ? "y" : "x";
            parts[0] = `${form.slice(0, -1)}${last}\n${parts[0]}`;
            forms.push(form);
          }
          const whole = parts.join("");
          setMatcherWasm(wasm);
          for (const text of [whole, whole.slice(0, Math.max(0, whole.length - cut))]) {
            setCandidateMemo(false);
            const want = matcher.find(text);
            const bothWant = matcher.findBothWays(text);
            const viewsWant = matcher.findViews(text, gateSpec);
            setCandidateMemo(true);
            expect(matcher.find(text)).toEqual(want);
            expect(matcher.findBothWays(text)).toEqual(bothWant);
            expect(matcher.findViews(text, gateSpec)).toEqual(viewsWant);
            const redacted = matcher.redact(text);
            setCandidateMemo(false);
            expect(redacted).toEqual(matcher.redact(text));
          }
          // Every planted form is covered by a hit (of the memo's search).
          setCandidateMemo(true);
          const hits = matcher.find(whole);
          for (const form of forms) {
            planted++;
            const at = whole.lastIndexOf(form);
            if (hits.some((h) => h.start <= at && h.end >= at + form.length)) covered++;
          }
        },
      ),
      { numRuns: 120 },
    );
    expect(planted).toBeGreaterThan(50);
    expect(covered).toBe(planted);
    // The memo was used (else this test shows nothing).
    expect(candidateMemoSkips() - skips0).toBeGreaterThan(100);
  });
});
