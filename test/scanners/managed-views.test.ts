// The gates' views of a text (scanners/managed.ts), rebuilt for speed in issue 21: each must equal
// the plain definition it replaced, on every UTF-16 code unit and on random text with surrogates.
import { describe, expect, it } from "vitest";
import { isJoinerUnit, reverseUnits, squeeze } from "../../scanners/managed.js";

const JOINERS = /[\s'"`+,.\\[\]()]/;

function randomText(n: number, seed: number): string {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const pool = [
    ..."abcXYZ019 \t\n'\"`+,.\\[]()_-=:;/",
    "\u00a0",
    "\u2028",
    "\u3000",
    "\ufeff",
    "\u00e9",
    "\u4e2d",
    "\ud83d",
    "\ude00",
    "\ud800",
    "\udfff",
  ];
  let out = "";
  for (let i = 0; i < n; i++) out += pool[next() % pool.length];
  return out;
}

describe("managed-value views", () => {
  it("isJoinerUnit is the JOINERS class on all 65,536 code units", () => {
    const wrong: number[] = [];
    for (let c = 0; c < 0x10000; c++)
      if (isJoinerUnit(c) !== JOINERS.test(String.fromCharCode(c))) wrong.push(c);
    expect(wrong).toEqual([]);
  });

  it("squeeze and reverseUnits equal the plain definitions (short and long texts, lone surrogates)", () => {
    for (const [n, seed] of [
      [0, 1],
      [1, 2],
      [17, 3],
      [255, 4],
      [256, 5],
      [257, 6],
      [5000, 7],
      [70000, 8],
    ] as const) {
      const text = randomText(n, seed);
      const { squeezed, at } = squeeze(text);
      const plain = text.split("").filter((c) => !JOINERS.test(c));
      expect(squeezed).toBe(plain.join(""));
      expect(Array.from(at)).toEqual(
        text.split("").flatMap((c, i) => (JOINERS.test(c) ? [] : [i])),
      );
      expect(reverseUnits(text)).toBe(text.split("").reverse().join(""));
    }
  });
});
