// Issue 21: cache version 5 is read in place (typed-array views of the file; a crowded cache's
// bitmaps, shortest form and key count stored, no pass over the entries). Differential: a matcher
// loaded from a version 5 file (loadHookCache) must find exactly what the matcher built from the
// same entries the version 4 way (createHashedMatcher: sortedChains over the columns) finds, on
// random outputs with values planted in every stored form, forwards, both ways, the four views
// and redact; with few values (no stored bitmaps) and with hundreds (stored bitmaps); and a
// version 4 file of the same entries loads to the same results.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildHookCache,
  createHashedMatcher,
  encodeHookCache,
  hookCacheAsV4,
  hookCachePath,
  hookCacheVersion,
  loadHookCache,
} from "../../broker/hook-cache.js";
import type { SqueezeSpec } from "../../rules/managed-matcher.js";
import { encodingsOf } from "../../rules/managed-values.js";
import { setMatcherWasm } from "../../rules/matcher-wasm.js";
import { isJoinerUnit } from "../../scanners/managed.js";

const dirs: string[] = [];
afterAll(() => {
  setMatcherWasm("auto");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ascii = new Uint8Array(128);
for (let u = 0; u < 128; u++) ascii[u] = isJoinerUnit(u) ? 1 : 0;
const gateSpec: SqueezeSpec = { ascii, isJoiner: isJoinerUnit };

const unitArb = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0, max: 0xffff }),
  fc.constantFrom(0x2028, 0x200b, 0x0a),
);
const textArb = (max: number) =>
  fc.array(unitArb, { maxLength: max, size: "max" }).map((us) => String.fromCharCode(...us));

function setup(n: number) {
  const values = Array.from({ length: n }, (_, i) => ({
    name: `V${i}`,
    value:
      i % 3 === 0
        ? randomBytes(24).toString("hex")
        : i % 3 === 1
          ? randomBytes(18).toString("base64url")
          : `pw-${randomBytes(10).toString("hex")}é€"/`,
  }));
  const salt = randomBytes(16);
  const built = buildHookCache(values, salt);
  const file = {
    salt: salt.toString("base64"),
    updated: new Date().toISOString(),
    ...built,
  };
  const home = mkdtempSync(join(tmpdir(), "hookpack-v5-"));
  dirs.push(home);
  const bytes = encodeHookCache(file);
  writeFileSync(hookCachePath(home), bytes);
  const v4home = mkdtempSync(join(tmpdir(), "hookpack-v4-"));
  dirs.push(v4home);
  writeFileSync(hookCachePath(v4home), JSON.stringify(hookCacheAsV4(bytes)));
  return { values, file, home, v4home, bytes };
}

for (const n of [3, 400]) {
  describe(`hook cache v5 vs the version 4 matcher, ${n} values`, () => {
    const { values, file, home, v4home, bytes } = setup(n);
    const oracle = createHashedMatcher(file);
    const v5 = loadHookCache(home)!;
    const v4 = loadHookCache(v4home)!;

    it("loads (version 5; bitmaps stored only when crowded) with the same names, size and shortest form", () => {
      expect(hookCacheVersion(bytes)).toBe(5);
      expect(hookCacheVersion(readFileSync(hookCachePath(v4home)))).toBe(4);
      expect(v5.version).toBe(5);
      expect(v4.version).toBe(4);
      const line = bytes.indexOf(10) + 1;
      expect(bytes.readUInt32LE(line + 12) > 0).toBe(n > 100);
      for (const m of [v5.matcher, v4.matcher]) {
        expect(m.names).toEqual(oracle.names);
        expect(m.size).toBe(oracle.size);
        expect(m.minLength).toBe(oracle.minLength);
        expect(m.crowded).toBe(oracle.crowded);
      }
    });

    it("the same hits on random outputs with planted forms (WebAssembly on and off)", () => {
      let found = 0;
      fc.assert(
        fc.property(
          fc.array(fc.tuple(textArb(2000), fc.nat(values.length - 1), fc.nat(40), fc.boolean()), {
            minLength: 1,
            maxLength: 5,
          }),
          fc.constantFrom("off", "always", "auto") as fc.Arbitrary<"off" | "always" | "auto">,
          (pieces, wasm) => {
            let text = "";
            for (const [filler, v, k, rev] of pieces) {
              const fs = encodingsOf(values[v]!.value);
              const form = fs[k % fs.length]!.text;
              text += filler + (rev ? [...form].reverse().join("") : form);
            }
            setMatcherWasm(wasm);
            for (const t of [text, text.slice(0, 300), text.slice(-200)]) {
              const want = oracle.find(t);
              const both = oracle.findBothWays(t);
              const views = oracle.findViews(t, gateSpec);
              for (const m of [v5.matcher, v4.matcher]) {
                expect(m.find(t)).toEqual(want);
                expect(m.findBothWays(t)).toEqual(both);
                expect(m.findViews(t, gateSpec)).toEqual(views);
                expect(m.redact(t)).toEqual(oracle.redact(t));
              }
              found += want.length;
            }
          },
        ),
        { numRuns: n > 100 ? 40 : 80 },
      );
      setMatcherWasm("auto");
      expect(found).toBeGreaterThan(40);
    });
  });
}
