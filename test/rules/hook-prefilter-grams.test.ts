// The hook prefilter's pair/triple pass (rules/secretlint.ts gramTables): on texts of 4 KB and
// more, a literal is searched only when its first two or three characters occur. It must never
// skip a literal that occurs: the decision of the prefilter with the pass equals the decision
// without it (every literal searched), over every literal and every record's fake placed at chunk
// edges, text edges, after characters above U+00FF (written as their low byte), in CRLF text and
// in real source text.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RULES } from "../../rules/detect.js";
import { PREFILTER_LITERALS } from "../../rules/detectors/prefilter.generated.js";
import {
  GRAM_MODULE,
  GRAMS_ABOVE,
  gramModule,
  gramTables,
  gramsAllow,
  PREFILTER,
  prefilterWithoutGrams,
} from "../../rules/secretlint.js";
import { fakeFor, seeded } from "../helpers/fake-secrets.js";

const root = join(import.meta.dirname, "..", "..");
const CHUNK = 65536;

/** Filler without any literal: a test log, with characters whose low byte is ASCII mixed in. */
function filler(n: number, seed: number): string {
  const r = seeded(seed);
  const pieces = ["PASS test/a.test.ts (3 tests) 12ms\n", "ŧŨũ ", "é ", "\u2028", "\r\n", "日本 "];
  let out = "";
  while (out.length < n) out += pieces[Math.floor(r() * pieces.length)];
  return out.slice(0, n);
}

const PLACES = (n: number) => [
  0,
  1,
  GRAMS_ABOVE - 2,
  CHUNK - 3,
  CHUNK - 2,
  CHUNK - 1,
  CHUNK,
  CHUNK + 1,
  2 * CHUNK - 1,
  n,
];

describe("hook prefilter: pair/triple pass", () => {
  it("the embedded module is the one gramModule() assembles", () => {
    expect(Buffer.from(gramModule()).toString("base64")).toBe(GRAM_MODULE);
  });

  it("never rules out a literal that occurs (every literal, chunk and text edges)", () => {
    let checked = 0;
    const base = filler(2 * CHUNK + 100, 3);
    for (const [literal] of PREFILTER_LITERALS) {
      for (const at of PLACES(base.length)) {
        const text = base.slice(0, at) + literal + base.slice(at);
        const tables = gramTables(text)!;
        expect(tables, "WebAssembly available").toBeDefined();
        expect(gramsAllow(tables, literal), `${literal} at ${at}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(PREFILTER_LITERALS.length * 10);
  });

  it("rules out literals that do not occur (the pass does skip work)", () => {
    const tables = gramTables(filler(CHUNK, 5))!;
    const skipped = PREFILTER_LITERALS.filter(([l]) => !gramsAllow(tables, l)).length;
    expect(skipped).toBeGreaterThan(PREFILTER_LITERALS.length * 0.9);
  });

  it("decides as the prefilter without the pass: every record's fake, many places", () => {
    const base = filler(CHUNK + 50, 7);
    let hits = 0;
    let n = 0;
    for (const [i, rule] of RULES.entries()) {
      const tokens = [fakeFor(rule, 1), rule.examples[0] ?? fakeFor(rule, 2)];
      for (const token of tokens)
        for (const at of [i % 2 ? 0 : base.length, CHUNK - 2 - (i % 7)]) {
          for (const text of [
            base.slice(0, at) + token + base.slice(at),
            base.slice(0, at) + `export ${rule.secretName}="${token}"\r\n` + base.slice(at),
          ]) {
            const want = prefilterWithoutGrams(text);
            expect(PREFILTER.test(text), `${rule.id} at ${at}`).toBe(want);
            if (want) hits++;
            n++;
          }
        }
    }
    // Keyword records need their keyword in the assigned name, so not every text trips it.
    expect(hits).toBeGreaterThan(n * 0.3);
  });

  it("decides as the prefilter without the pass on real source text", () => {
    const files = [
      "node_modules/typescript/lib/typescript.js",
      "node_modules/@secretlint/secretlint-rule-preset-recommend/module/index.js",
      "node_modules/vitest/dist/index.js",
    ];
    let n = 0;
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(join(root, f), "utf8");
      } catch {
        continue;
      }
      for (let at = 0; at < text.length && n < 120; at += 200_003, n++) {
        const slice = text.slice(at, at + 70_000);
        expect(PREFILTER.test(slice)).toBe(prefilterWithoutGrams(slice));
      }
    }
    expect(n).toBeGreaterThan(10);
  });
});
