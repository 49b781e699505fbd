import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OutputRedactor, PatternStage, ValueStream } from "../../broker/redact-stream.js";
import { createValueMatcher, redactionLabel } from "../../rules/managed-values.js";
import { secretScanner, type SecretScanner } from "../../rules/secretlint.js";
import { fakeGithubToken } from "../helpers/fake-secrets.js";

const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const text = (s: string) => Buffer.from(s, "latin1").toString("utf8");

/** Splits `s` at the given cut points (taken modulo its length). */
function split(s: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => (s.length ? c % (s.length + 1) : 0)))].sort(
    (a, b) => a - b,
  );
  const parts: string[] = [];
  let at = 0;
  for (const p of points) {
    parts.push(s.slice(at, p));
    at = p;
  }
  parts.push(s.slice(at));
  return parts;
}

const valueArb = fc
  .array(fc.constantFrom(..."ABCXYZabcxyz0189_-+/=:.@é€"), { minLength: 6, maxLength: 30 })
  .map((a) => a.join(""));

describe("ValueStream", () => {
  it("gives the same output for any chunking as for the whole text (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(valueArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 10 })), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (values, pieces, cuts) => {
          const named = values.map((value, i) => ({ name: `V${i}`, value }));
          const m = createValueMatcher(named, { mode: "bytes" });
          let input = "";
          for (const [p, noise] of pieces)
            input += noise + text(m.patterns[p % m.patterns.length]!.text);
          const whole = m.redact(bytes(input)).text;
          const stream = new ValueStream(m, 6);
          let out = "";
          for (const part of split(bytes(input), cuts)) out += stream.push(part);
          out += stream.flush();
          expect(out).toBe(whole);
          expect(stream.stats.count).toBe(m.find(bytes(input)).length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("holds back only what could still become a match", () => {
    const value = `zq${randomBytes(12).toString("hex")}`;
    const m = createValueMatcher([{ name: "T", value }], { mode: "bytes" });
    const s = new ValueStream(m, 6);
    expect(s.push("Password: ")).toBe("Password: ");
    expect(s.holding).toBe(false);
    expect(s.push(`x ${value.slice(0, 9)}`)).toBe("x ");
    expect(s.holding).toBe(true);
    expect(s.push(`${value.slice(9)}!\n`)).toBe(`${redactionLabel("T")}!\n`);
  });

  it("an idle release emits only a short tail, and the rest of a value arriving later is still masked", () => {
    const value = `zq${randomBytes(12).toString("hex")}`;
    const m = createValueMatcher([{ name: "T", value }], { mode: "bytes" });
    const s = new ValueStream(m, 6);
    expect(s.push(`a ${value.slice(0, 3)}`)).toBe("a ");
    expect(s.releaseIdle()).toBe(value.slice(0, 3)); // 3 chars < 6: released to keep prompts flowing
    const rest = s.push(`${value.slice(3)} done`) + s.flush();
    expect(rest).toBe(`${redactionLabel("T")} done`);
    expect(rest).not.toContain(value.slice(3, 9));
    // A long partial is never released on idle.
    const s2 = new ValueStream(m, 6);
    s2.push(value.slice(0, 12));
    expect(s2.releaseIdle()).toBe("");
    expect(s2.push(value.slice(12)) + s2.flush()).toBe(redactionLabel("T"));
  });

  it("passes arbitrary binary data through unchanged", () => {
    const m = createValueMatcher([{ name: "T", value: "not-in-the-data-\u0000\u0001" }], {
      mode: "bytes",
    });
    const data = randomBytes(64 * 1024);
    const s = new ValueStream(m, 6);
    let out = "";
    for (let i = 0; i < data.length; i += 1000)
      out += s.push(data.subarray(i, i + 1000).toString("latin1"));
    out += s.flush();
    expect(Buffer.from(out, "latin1").equals(data)).toBe(true);
  });
});

describe("PatternStage", () => {
  const fake = (hits: (t: string) => Array<[number, number]>): SecretScanner => ({
    mayContainSecret: (t) => hits(t).length > 0,
    scan: async (t) =>
      hits(t).map(([start, end]) => ({
        ruleId: "github",
        messageId: "GITHUB_TOKEN",
        start,
        end,
        line: 1,
        column: 1,
      })),
  });

  it("scans whole lines, and releases a partial line only when idle", async () => {
    const seen: string[] = [];
    const st = new PatternStage(fake((t) => (seen.push(t), [])));
    expect(await st.push("abc")).toBe("");
    expect(await st.push("def\nghi")).toBe("abcdef\n");
    expect(await st.releaseIdle()).toBe("ghi");
    expect(seen).toEqual(["abcdef\n", "ghi"]);
  });

  it("holds an open private-key block until its END line", async () => {
    const st = new PatternStage(fake(() => []));
    const begin = ["-----BEGIN", "RSA", "PRIVATE", "KEY-----"].join(" ");
    const end = ["-----END", "RSA", "PRIVATE", "KEY-----"].join(" ");
    expect(await st.push(`before\n${begin}\nAAAA\n`)).toBe("before\n");
    expect(await st.releaseIdle()).toBe("");
    expect(await st.push(`BBBB\n${end}\nafter\n`)).toBe(`${begin}\nAAAA\nBBBB\n${end}\nafter\n`);
  });

  it("masks a real pattern-detected token with secretlint (built at test time)", async () => {
    const token = fakeGithubToken();
    const st = new PatternStage(secretScanner);
    const out = (await st.push(`token=${token}\nok\n`)) + (await st.flush());
    expect(out).not.toContain(token);
    expect(out).toContain("[REDACTED:GITHUB_TOKEN]");
    expect(out.endsWith("ok\n")).toBe(true);
  });
});

describe("OutputRedactor", () => {
  it("chains both stages and counts redactions", async () => {
    const value = `zq${randomBytes(10).toString("hex")}`;
    const m = createValueMatcher([{ name: "T", value }], { mode: "bytes" });
    const r = new OutputRedactor(m, { releaseBelow: 6, scanner: secretScanner });
    const b64 = Buffer.from(value).toString("base64");
    const out =
      (await r.push(`x ${value.slice(0, 5)}`)) +
      (await r.push(`${value.slice(5)} ${b64}\n`)) +
      (await r.flush());
    expect(out).toBe(`x ${redactionLabel("T")} ${redactionLabel("T")}\n`);
    expect(r.count).toBe(2);
    expect(r.names).toEqual(["T"]);
  });
});
