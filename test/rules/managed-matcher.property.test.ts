// Issue 21: the value-free matcher (rules/managed-matcher.ts: one pass finds a form as is and
// reversed, a 32-bit whole-form check before the sha256, the index built from typed columns) must
// find EXACTLY what the naive matcher finds: one indexOf per plain pattern, over four copies of the
// text (as is, reversed, squeezed, squeezed and reversed). Random texts with values planted in
// every way the gates know, random values (including joiner characters, short ones, non-ASCII).
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildHookCache,
  createHashedMatcher,
  estimatedBits,
  MIN_SEARCHABLE_BITS,
} from "../../broker/hook-cache.js";
import { createValueMatcher } from "../../rules/managed-values.js";
import { transformedFind } from "../../scanners/managed.js";

const alphabet = "abcXYZ0189+/=_-. '\"\\\n\t,()[]é€";
const valueArb = fc
  .array(fc.constantFrom(...alphabet.split("")), { minLength: 3, maxLength: 40 })
  .map((cs) => cs.join(""));
const fillerArb = fc
  .array(fc.constantFrom(...alphabet.split("")), { maxLength: 60 })
  .map((cs) => cs.join(""));

const reverse = (s: string) => s.split("").reverse().join("");
/** The ways a value is planted: each one a view or encoding the matchers know. */
const plant = (value: string, how: number, cut: number): string => {
  switch (how) {
    case 0:
      return value;
    case 1:
      return reverse(value);
    case 2:
      return Buffer.from(value).toString("base64");
    case 3:
      return Buffer.from(value).toString("hex");
    case 4: {
      const at = 1 + (cut % Math.max(1, value.length - 1));
      return `'${value.slice(0, at)}' + '${value.slice(at)}'`;
    }
    case 5: {
      const at = 1 + (cut % Math.max(1, value.length - 1));
      return reverse(`${value.slice(0, at)}\n ${value.slice(at)}`);
    }
    case 6:
      return reverse(Buffer.from(value).toString("base64"));
    case 8: {
      // Whole first window, then the rest past joiners: the squeezed window there IS the text's.
      const at = Math.min(16, value.length - 1) - (cut % 3);
      return `${value.slice(0, at)}"\n + "${value.slice(at)}`;
    }
    case 9: {
      const at = Math.min(16, value.length - 1) - (cut % 3);
      return reverse(`${value.slice(0, at)}', '${value.slice(at)}`);
    }
    default:
      return encodeURIComponent(value);
  }
};

describe("managed matcher: the value-free one finds exactly what the naive one finds", () => {
  let findings = 0;
  let plantedCount = 0;

  it("on random texts with planted values, in every view", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(valueArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fillerArb, fc.nat(9), fc.nat(4), fc.nat(1000)), {
          minLength: 1,
          maxLength: 8,
        }),
        fillerArb,
        (rawValues, pieces, tail) => {
          const values = rawValues.map((value, i) => ({ name: `V${i}`, value }));
          const salt = randomBytes(16);
          const hashed = createHashedMatcher({
            salt: salt.toString("base64"),
            ...buildHookCache(values, salt),
          });
          // Values too weak to be searchable have no entry (broker/hook-cache.ts): the naive matcher
          // gets the searchable ones only.
          const naive = createValueMatcher(
            values.filter((v) => estimatedBits(v.value) >= MIN_SEARCHABLE_BITS),
            { strategy: "indexOf" },
          );
          let text = "";
          for (const [filler, how, which, cut] of pieces) {
            text += filler + plant(rawValues[which % rawValues.length]!, how, cut);
            plantedCount++;
          }
          text += tail;
          // The plain search (the post-tool hook's).
          const plain = hashed.find(text).map(({ start, end, name }) => ({ start, end, name }));
          const plainNaive = naive.find(text).map(({ start, end, name }) => ({ start, end, name }));
          expect(plain).toEqual(plainNaive);
          // Every view (the gates' and `scan`'s): two two-way passes against four copies.
          expect(hashed.crowded).toBe(false);
          const views = transformedFind(hashed, text, hashed.minLength);
          const viewsNaive = transformedFind((t) => naive.find(t), text, 0);
          expect(views).toEqual(viewsNaive);
          findings += views.length;
          // Hits of the text's own reversal are the reversed text's hits, mirrored.
          const mirrored = hashed
            .findBothWays(reverse(text))
            .filter((m) => m.view === "reversed")
            .map((m) => ({ start: text.length - m.end, end: text.length - m.start, name: m.name }));
          const forward = hashed
            .findBothWays(text)
            .filter((m) => m.view === "as is")
            .map(({ start, end, name }) => ({ start, end, name }));
          const key = (m: { start: number; end: number; name: string }) =>
            `${m.start}:${m.end}:${m.name}`;
          expect(mirrored.map(key).sort()).toEqual(forward.map(key).sort());
        },
      ),
      { numRuns: 300 },
    );
    // Not vacuous: values of ≥ 6 characters were planted in most runs, and the matchers agreed on
    // real findings, not on empty lists.
    expect(plantedCount).toBeGreaterThan(300);
    expect(findings).toBeGreaterThan(300);
  });

  it("1,000 values: the same findings, and the check column never drops a real one", () => {
    const values = Array.from({ length: 1000 }, (_, i) => ({
      name: `S${i}`,
      value: randomBytes(6 + (i % 30)).toString(i % 2 ? "hex" : "base64"),
    }));
    const salt = randomBytes(16);
    const built = buildHookCache(values, salt);
    const hashed = createHashedMatcher({ salt: salt.toString("base64"), ...built });
    const strong = (v: { value: string }) => estimatedBits(v.value) >= MIN_SEARCHABLE_BITS;
    const naive = createValueMatcher(values.filter(strong), { strategy: "indexOf" });
    let text = "";
    const planted: string[] = [];
    for (let i = 0; i < values.length; i += 7) {
      text += `${randomBytes(40).toString("base64")} ${plant(values[i]!.value, i % 8, i)}\n`;
      // A value that itself holds a joiner ("+" in base64) cannot be found split: the squeezed
      // view drops its own "+" too (a documented limit of that view, the same in both matchers).
      if (
        strong(values[i]!) &&
        (!(i % 8 === 4 || i % 8 === 5) || !/[\s'"`+,.\\[\]()]/.test(values[i]!.value))
      )
        planted.push(values[i]!.name);
    }
    const views = transformedFind(hashed, text, hashed.minLength);
    expect(views).toEqual(transformedFind((t) => naive.find(t), text, 0));
    // The same entries out of index order (an older file's, or one edited by hand): the matcher
    // builds its hash table instead of binary-searching the sorted columns, and finds the same.
    const shuffled = createHashedMatcher({
      salt: salt.toString("base64"),
      names: built.names,
      entries: [...built.entries].reverse(),
    });
    expect(transformedFind(shuffled, text, shuffled.minLength)).toEqual(views);
    expect(shuffled.find(text)).toEqual(hashed.find(text));
    // 1,000 values are "crowded" (the gates take two findBothWays passes); the one-pass findViews
    // must find the same at that density too.
    expect(hashed.crowded).toBe(true);
    const onePass = {
      findBothWays: (t: string) => hashed.findBothWays(t),
      findViews: hashed.findViews,
      crowded: false,
    };
    expect(transformedFind(onePass, text, hashed.minLength)).toEqual(views);
    const found = new Set(views.map((m) => m.name));
    expect(planted.filter((n) => !found.has(n))).toEqual([]);
    expect(planted.length).toBeGreaterThan(120);
    expect(views.length).toBeGreaterThanOrEqual(planted.length);
  });
});
