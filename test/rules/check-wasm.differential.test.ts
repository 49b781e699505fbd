// The matcher's whole-form check in WebAssembly (rules/check-wasm.ts) must give EXACTLY the check
// the JavaScript loop gives (rules/managed-matcher.ts formCheck, and `candidates`, kept as the
// fallback and the oracle): a candidate whose check came out different would be dropped without
// its sha256 ever being compared, i.e. a stored value let through. Two levels: the check itself
// against formCheck on random texts (non-ASCII, lone surrogates), read forwards and backwards and
// extended piece by piece as a chain of forms is; and the whole matcher with WebAssembly checks
// from the first candidate against the all-JavaScript matcher, with hundreds of stored values so
// that most candidates are chance hits, values planted in their stored forms.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { buildHookCache, createHashedMatcher } from "../../broker/hook-cache.js";
import { checkModule, createWasmChecker } from "../../rules/check-wasm.js";
import { checkSeeds, formCheck, setCheckWasmAfter } from "../../rules/managed-matcher.js";
import { encodingsOf } from "../../rules/managed-values.js";
import { setMatcherWasm } from "../../rules/matcher-wasm.js";

afterEach(() => {
  setMatcherWasm("auto");
  setCheckWasmAfter(16);
});

const K = { a: 0xcc9e2d51 | 0, b: 0x1b873593 | 0, mix: 0x9e3779b1 | 0 };

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
const reverse = (s: string) => {
  let out = "";
  for (let i = s.length - 1; i >= 0; i--) out += s[i];
  return out;
};

describe("check-wasm: the WebAssembly check equals formCheck", () => {
  it("is a valid module", () => {
    expect(WebAssembly.validate(checkModule(K) as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it("forwards and backwards, extended piece by piece, on random texts", () => {
    const checker = createWasmChecker(K);
    expect(checker).toBeDefined();
    let compared = 0;
    fc.assert(
      fc.property(
        textArb(600),
        fc.array(fc.nat(300), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        (text, cuts, at0) => {
          const salt = randomBytes(16);
          const [a, b] = checkSeeds(salt);
          checker!.load(text);
          for (const backwards of [false, true]) {
            if (text.length === 0) continue;
            // A candidate: from `from` on (forwards) or from `from` down (backwards), in pieces.
            const from = at0 % text.length;
            const room = backwards ? from + 1 : text.length - from;
            checker!.start(a, b);
            let got = 0;
            for (const cut of cuts) {
              const len = Math.min(room, got + cut + 1);
              if (len <= got) break;
              const check = checker!.extend(
                backwards ? from - got : from + got,
                len - got,
                backwards,
              );
              got = len;
              const form = backwards
                ? reverse(text.slice(from - len + 1, from + 1))
                : text.slice(from, from + len);
              expect(check).toBe(formCheck(form, salt));
              compared++;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(compared).toBeGreaterThan(500);
  });

  it("a text longer than the first memory page (the memory grows) and reloaded shorter", () => {
    const checker = createWasmChecker(K)!;
    const salt = randomBytes(16);
    const [a, b] = checkSeeds(salt);
    const long = randomBytes(200 * 1024).toString("latin1") + "\u{1F600}é\ud800";
    checker.load(long);
    const from = long.length - 300;
    checker.start(a, b);
    expect(checker.extend(from, 300, false)).toBe(formCheck(long.slice(from), salt));
    checker.load("short text é");
    checker.start(a, b);
    expect(checker.extend(0, 5, false)).toBe(formCheck("short", salt));
  });
});

describe("check-wasm: the matcher finds the same with WebAssembly checks and without", () => {
  it("hundreds of stored values (chance candidates), values planted in stored forms", () => {
    const values = Array.from({ length: 300 }, (_, i) => ({
      name: `V${i}`,
      value:
        i % 3 === 0 ? `pw-${randomBytes(12).toString("hex")}é€` : randomBytes(24).toString("hex"),
    }));
    const salt = randomBytes(16);
    const file = { salt: salt.toString("base64"), ...buildHookCache(values, salt) };
    setMatcherWasm("off");
    const js = createHashedMatcher(file);
    setMatcherWasm("always");
    setCheckWasmAfter(0);
    const wasm = createHashedMatcher(file);
    let found = 0;
    let reversedFound = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(textArb(2500), fc.nat(299), fc.nat(40)), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (pieces, reversed) => {
          let text = "";
          for (const [filler, v, k] of pieces) {
            const fs = encodingsOf(values[v]!.value);
            const form = fs[k % fs.length]!.text;
            text += filler + (reversed ? reverse(form) : form);
          }
          for (const t of [text, text.slice(0, 100)]) {
            setMatcherWasm("off");
            const want = js.find(t);
            const bothWant = js.findBothWays(t);
            setMatcherWasm("always");
            expect(wasm.find(t)).toEqual(want);
            expect(wasm.findBothWays(t)).toEqual(bothWant);
            found += want.length;
            reversedFound += bothWant.filter((m) => m.view === "reversed").length;
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(found).toBeGreaterThan(50);
    expect(reversedFound).toBeGreaterThan(20);
  });

  it("a 64 KB output of ordinary text with 1,000 stored values: the default thresholds agree with JavaScript", () => {
    const values = Array.from({ length: 1000 }, (_, i) => ({
      name: `S${i}`,
      value: randomBytes(24).toString("hex"),
    }));
    const salt = randomBytes(16);
    const file = { salt: salt.toString("base64"), ...buildHookCache(values, salt) };
    // Not periodic: every window differs, so chance candidates come at their real rate.
    let text = "";
    while (text.length < 64 * 1024)
      text += `line ${text.length} ${randomBytes(30).toString("base64")}\n`;
    const planted = [values[7]!.value, Buffer.from(values[500]!.value).toString("base64")];
    text = `${planted[0]}\n${text}\n${planted[1]}`;
    setMatcherWasm("off");
    const want = createHashedMatcher(file).redact(text);
    setMatcherWasm("auto");
    const got = createHashedMatcher(file).redact(text);
    expect(got).toEqual(want);
    expect(got.count).toBe(2);
    expect(got.names).toEqual(["S7", "S500"]);
  });
});
