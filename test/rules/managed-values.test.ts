import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildPatterns,
  createValueMatcher,
  encodingsOf,
  redactionLabel,
} from "../../rules/managed-values.js";

// Values are built at test time; nothing token-shaped is committed.
const VALUE_CHARS = [..."ABCXYZabcxyz0189_-+/=:.@!*'\"\\$&<>%#;é€", "😀"];
const valueArb = fc
  .array(fc.constantFrom(...VALUE_CHARS), { minLength: 6, maxLength: 40 })
  .map((a) => a.join(""));
// Filler characters that no encoding of those values can contain.
const fillerArb = fc
  .array(fc.constantFrom(" ", "\n", "|", "{", "}", "\t"), { minLength: 0, maxLength: 12 })
  .map((a) => a.join(""));

describe("encodingsOf", () => {
  it("matches the standard encoders for a known vector (RFC 4648 'foobar')", () => {
    const forms = encodingsOf("foobar");
    const texts = (form: string) => forms.filter((f) => f.form === form).map((f) => f.text);
    expect(texts("base64")).toContain("Zm9vYmFy");
    expect(texts("base32")).toContain("MZXW6YTBOI======");
    expect(texts("base32")).toContain("mzxw6ytboi");
    expect(texts("hex")).toEqual(
      expect.arrayContaining(["666f6f626172", "666F6F626172", "\\x66\\x6f\\x6f\\x62\\x61\\x72"]),
    );
    expect(texts("html")).toContain("&#x66;&#x6f;&#x6f;&#x62;&#x61;&#x72;");
    expect(texts("unicode-escape")).toContain("\\u0066\\u006f\\u006f\\u0062\\u0061\\u0072");
  });

  it("covers percent, JSON, HTML and shell forms of special characters", () => {
    const v = `a/b c"d'e&f<g>h\\i`;
    const all = encodingsOf(v).map((f) => f.text);
    expect(all).toContain(encodeURIComponent(v));
    expect(all).toContain(encodeURIComponent(encodeURIComponent(v)));
    expect(all).toContain(encodeURIComponent(v).replace(/%20/g, "+"));
    expect(all).toContain(JSON.stringify(v).slice(1, -1));
    expect(all).toContain(JSON.stringify(JSON.stringify(v).slice(1, -1)).slice(1, -1));
    expect(all).toContain("a/b c&quot;d&#39;e&amp;f&lt;g&gt;h\\i");
    expect(all).toContain(v.replace(/'/g, `'\\''`));
  });

  it("finds the value inside a larger base64 blob at every alignment (Basic auth, JWT payload)", () => {
    const secret = randomBytes(18).toString("base64url");
    const m = createValueMatcher([{ name: "S", value: secret }]);
    for (const prefix of ["", "u:", "user:", '{"sub":"', "xy"]) {
      const blob = Buffer.from(`${prefix}${secret}"}`).toString("base64");
      const out = m.redact(`Authorization: Basic ${blob}`);
      expect(out.count, prefix).toBe(1);
      expect(out.text).toContain(redactionLabel("S"));
      // At most one partially determined character survives on either side of the label.
      const [left, right] = out.text
        .slice("Authorization: Basic ".length)
        .split(redactionLabel("S"));
      expect(left!.length).toBeLessThanOrEqual(Math.ceil((prefix.length * 8) / 6));
      expect(right!.length).toBeLessThanOrEqual(8);
    }
  });
});

describe("createValueMatcher", () => {
  it("drops values and forms shorter than the floor, and reports skipped names", () => {
    const { patterns, skipped } = buildPatterns([
      { name: "SHORT", value: "abc12" },
      { name: "OK", value: "abcdef" },
    ]);
    expect(skipped).toEqual(["SHORT"]);
    expect(patterns.every((p) => p.name === "OK" && p.text.length >= 6)).toBe(true);
  });

  it("masks every encoded occurrence and changes nothing else (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(valueArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fillerArb), { minLength: 1, maxLength: 6 }),
        fillerArb,
        (values, inserts, head) => {
          const named = values.map((value, i) => ({ name: `V${i}`, value }));
          const m = createValueMatcher(named);
          let text = head;
          let expected = head;
          for (const [vi, fi, filler] of inserts) {
            const v = named[vi % named.length]!;
            const forms = m.patterns.filter((p) => p.name === v.name);
            // Each full form on its own, between fillers, must become exactly one label.
            const full =
              forms.filter((p) => !isInnerSlice(p.text, v.value))[fi % forms.length] ?? forms[0]!;
            text += full.text + filler;
            expected += redactionLabel(v.name) + filler;
          }
          const out = m.redact(text);
          // A shorter value can be a prefix/suffix of another's form; then labels may differ but
          // nothing between labels may change.
          expect(stripLabels(out.text)).toBe(stripLabels(expected));
          expect(out.count).toBeGreaterThanOrEqual(1);
          expect(m.find(out.text)).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("two adjacent occurrences with nothing between them stay masked (the seed that found the merge)", () => {
    const value = "AAA&AAAAAA\\";
    const m = createValueMatcher([{ name: "V0", value }]);
    const forms = m.patterns.filter((p) => p.name === "V0" && !isInnerSlice(p.text, value));
    for (const a of forms) {
      for (const b of forms) {
        const out = m.redact(a.text + b.text);
        expect(stripLabels(out.text)).toBe("\u0000");
        expect(m.find(out.text)).toEqual([]);
      }
    }
  });

  it("leaves text without managed values byte-for-byte unchanged (property)", () => {
    fc.assert(
      fc.property(valueArb, fc.string({ maxLength: 200 }), (value, text) => {
        fc.pre(!createValueMatcher([{ name: "V", value }]).find(text).length);
        expect(createValueMatcher([{ name: "V", value }]).redact(text).text).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it("gives identical matches with indexOf and sampled hashing (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(valueArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.string({ maxLength: 60 }),
        (values, picks, noise) => {
          const named = values.map((value, i) => ({ name: `V${i}`, value }));
          const a = createValueMatcher(named, { strategy: "indexOf" });
          const b = createValueMatcher(named, { strategy: "sampled" });
          let text = noise;
          for (const p of picks)
            text += a.patterns[p % a.patterns.length]!.text + noise.slice(0, p % 7);
          expect(b.find(text)).toEqual(a.find(text));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("merges overlapping hits of different values into one redaction", () => {
    const m = createValueMatcher([
      { name: "A", value: "abcdefgh12" },
      { name: "B", value: "fgh12345678" },
    ]);
    const out = m.redact("x abcdefgh12345678 y");
    expect(out.text).toBe(`x ${redactionLabel("A")} y`);
  });

  it("in bytes mode matches UTF-8 bytes seen as latin1 (binary-safe streams)", () => {
    const value = `pässwörd-${randomBytes(4).toString("hex")}`;
    const m = createValueMatcher([{ name: "P", value }], { mode: "bytes" });
    const bytes = Buffer.concat([
      Buffer.from([0, 255, 10]),
      Buffer.from(`${value} and ${JSON.stringify(value)}`),
      Buffer.from([0xc3]),
    ]);
    const out = Buffer.from(m.redact(bytes.toString("latin1")).text, "latin1");
    expect(out.includes(Buffer.from(value))).toBe(false);
    expect(out.subarray(0, 3)).toEqual(Buffer.from([0, 255, 10]));
    expect(out.subarray(out.length - 1)).toEqual(Buffer.from([0xc3]));
  });

  it("pendingFrom returns the earliest suffix that can still become a match", () => {
    const value = `tok-${randomBytes(8).toString("hex")}`;
    const m = createValueMatcher([{ name: "T", value }]);
    expect(m.pendingFrom("hello world!")).toBe(12);
    expect(m.pendingFrom("hello world")).toBe(10); // "d" starts the base64 form ("dG9r…")
    expect(m.pendingFrom(`hello ${value.slice(0, 7)}`)).toBe(6);
    expect(m.pendingFrom(`hello ${value}!`)).toBe(7 + value.length); // complete match, "!" starts nothing
  });
});

function isInnerSlice(text: string, value: string): boolean {
  // The alignment-1/2 base64 slices only appear inside a larger blob; skip them for the
  // "form on its own" property (they are tested by the blob test above).
  const full = encodingsOf(value)
    .filter((f) => f.form === "base64" || f.form === "base64url")
    .slice(0, 4)
    .map((f) => f.text);
  return (
    text.length > 0 &&
    !full.includes(text) &&
    /^[A-Za-z0-9+/_-]+$/.test(text) &&
    encodingsOf(value).some(
      (f) => f.text === text && (f.form === "base64" || f.form === "base64url"),
    )
  );
}

function stripLabels(s: string): string {
  // Two occurrences with no filler between them may be masked as one range (one label): nothing
  // between them exists to change, so a run of labels compares as one.
  return s.replace(/(?:\[REDACTED:[A-Za-z0-9_]+\])+/g, "\u0000");
}
