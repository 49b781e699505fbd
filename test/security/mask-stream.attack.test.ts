// Class 7 of issue 14: a writer that prints a value slowly (a pause longer than the broker's idle
// release before each character) used to get all but the last character out. The attacker controls
// the chunking and the pauses; the property says at most releaseBelow - 1 consecutive characters of
// the value ever reach the output raw, for every encoding the masker knows. Then the same against
// the real `hookpack exec` with a child that sleeps between characters.
import fc from "fast-check";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ValueStream } from "../../broker/redact-stream.js";
import { createValueMatcher, encodingsOf } from "../../rules/managed-values.js";
import { assertBuilt, runAsync, sandbox, setSecret, type Sandbox } from "../broker/helpers.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const RELEASE_BELOW = 6;
/** Value characters; the noise and the labels ([REDACTED:NAME]) share none of them. */
const valueArb = fc
  .array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), {
    minLength: 8,
    maxLength: 40,
  })
  .map((a) => a.join(""));
const noiseArb = fc.string({ unit: fc.constantFrom(..." \n!#%&*()<>,;"), maxLength: 6 });

/** The longest run of consecutive characters of `value` that occurs in `out`. */
function longestFragment(out: string, value: string): number {
  let best = 0;
  for (let i = 0; i < value.length; i++) {
    for (let n = best + 1; i + n <= value.length; n++) {
      if (out.includes(value.slice(i, i + n))) best = n;
      else break;
    }
  }
  return best;
}

describe("attack: slow writer against the masking stream (property, writer controls pauses)", () => {
  const t = tally("mask-stream");
  it("shows at most 5 consecutive characters of a value whatever the chunking and pauses", () => {
    fc.assert(
      fc.property(
        valueArb,
        fc.constantFrom("raw", "hex", "base64", "url"),
        noiseArb,
        noiseArb,
        // For each character boundary: pause (idle release) or not, and how many chars the next write carries.
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3 })), {
          minLength: 1,
          maxLength: 60,
        }),
        (value, form, before, after, schedule) => {
          const m = createValueMatcher([{ name: "VAL", value }], { mode: "bytes" });
          const printed =
            form === "raw" ? value : encodingsOf(value).find((e) => e.form === form)!.text;
          const input = before + printed + after;
          const s = new ValueStream(m, RELEASE_BELOW);
          let out = "";
          let at = 0;
          let k = 0;
          while (at < input.length) {
            const [pause, n] = schedule[k++ % schedule.length]!;
            out += s.push(input.slice(at, at + n));
            at += n;
            if (pause) out += s.releaseIdle();
            // A second pause in a row must not release more.
            if (pause) out += s.releaseIdle();
          }
          out += s.flush();
          t.attempt(longestFragment(out, printed) < RELEASE_BELOW);
          expect(longestFragment(out, printed)).toBeLessThan(RELEASE_BELOW);
          // The output still ends in the label: the value was recognised once complete.
          expect(out).toContain("[REDACTED:VAL]");
        },
      ),
      { numRuns: 400 },
    );
  });

  it("one character per pause, pause after every character: nothing past 5 characters", () => {
    const value = "q7w8e9r0t1y2u3i4o5p6";
    const m = createValueMatcher([{ name: "VAL", value }], { mode: "bytes" });
    const s = new ValueStream(m, RELEASE_BELOW);
    let out = "";
    for (const c of value) out += s.push(c) + s.releaseIdle();
    out += s.flush();
    t.attempt(longestFragment(out, value) <= 5);
    expect(out).toBe(`${value.slice(0, 5)}[REDACTED:VAL]`);
  });
});

describe("attack: slow writer through the real `hookpack exec`", () => {
  let sb: Sandbox | undefined;
  const t = tally("mask-stream");
  beforeAll(() => assertBuilt());
  afterEach(() => sb?.cleanup());

  for (const pauseMs of [40, 60]) {
    it(`a child printing a value one character every ${pauseMs} ms shows nothing usable`, async () => {
      sb = sandbox();
      const value = `slw${Math.random().toString(36).slice(2, 12)}${Math.random().toString(36).slice(2, 12)}`;
      setSecret(sb, "SLOW", value);
      const script = `const v = process.env.SLOW; let i = 0; const tick = () => { if (i < v.length) { process.stdout.write(v[i++]); setTimeout(tick, ${pauseMs}); } else process.stdout.write("\\n"); }; tick();`;
      const p = runAsync(sb, ["exec", "--secret", "SLOW", "--", process.execPath, "-e", script]);
      const r = await p.done;
      const frag = longestFragment(r.stdout + r.stderr, value);
      t.attempt(frag < RELEASE_BELOW);
      expect(frag).toBeLessThan(RELEASE_BELOW);
      expect(r.stdout).toContain("[REDACTED:SLOW]");
    }, 20_000);
  }
});
