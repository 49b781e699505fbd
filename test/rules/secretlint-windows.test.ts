// Large texts are linted in windows around the prefilter's hits (rules/secretlint.ts). The windowed
// scan must report exactly what linting the whole text reports — same rules, same ranges, same
// lines and columns — for every kind of fake the preset detects, at random places in real source
// text (TypeScript's own lib, minified lines included), several per text.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lint } from "../../rules/secretlint-engine.js";
import { lintSecretlint, lintWindows, WINDOWED_ABOVE } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { REPO } from "../helpers/run.js";

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}

const LIB = join(REPO, "node_modules", "typescript", "lib");
const corpus = readdirSync(LIB)
  .filter((f) => /\.(js|d\.ts)$/.test(f))
  .slice(0, 12)
  .map((f) => readFileSync(join(LIB, f), "utf8"))
  .join("\n");

const contexts = [
  (v: string) => `\nexport TOKEN=${v}\n`,
  (v: string) => `{"key": "${v}"}`,
  (v: string) => ` curl -H 'Authorization: Bearer ${v}' x `,
  (v: string) => `;var k="${v}";`,
];

const key = (f: { ruleId: string; start: number; end: number; line: number; column: number }) =>
  `${f.ruleId}@${f.start}-${f.end}:${f.line}:${f.column}`;

describe("windowed secretlint scan of large texts", () => {
  it("reports exactly what a whole-text lint reports (40 texts, every fake kind, random places)", async () => {
    const rnd = seeded(11);
    let compared = 0;
    for (let round = 0; round < 40; round++) {
      const size = WINDOWED_ABOVE + Math.floor(rnd() * 400_000);
      const offset = Math.floor(rnd() * Math.max(1, corpus.length - size));
      let text = corpus.slice(offset, offset + size);
      const tokens = Object.entries(fakeTokens(round + 1));
      const planted = 1 + Math.floor(rnd() * 5);
      for (let i = 0; i < planted; i++) {
        const [name, value] = tokens[Math.floor(rnd() * tokens.length)]!;
        const ctx = contexts[Math.floor(rnd() * contexts.length)]!;
        const at = Math.floor(rnd() * text.length);
        text =
          text.slice(0, at) +
          ctx(name === "awsSecretAccessKey" ? `aws_secret_access_key = ${value}` : value) +
          text.slice(at);
      }
      const whole = (await lint(text, "bundle.js")).map(key).sort();
      const windowed = (await lintSecretlint(text, "bundle.js")).map(key).sort();
      expect(windowed, `round ${round}`).toEqual(whole);
      expect(whole.length, `round ${round}: nothing planted was found`).toBeGreaterThan(0);
      compared += whole.length;
    }
    expect(compared).toBeGreaterThan(60);
  }, 120_000);

  it("lints only around the hits: one token in 1 MB of clean text gives one window of ~32 KB", () => {
    const text = "const a = b + 1; // plain code\n".repeat(33_000);
    const at = 500_000;
    const planted = `${text.slice(0, at)} npm_${"A1b2C3d4".repeat(4)}abcd ${text.slice(at)}`;
    const spans = lintWindows(planted).filter(([s, e]) => s <= at && at <= e);
    expect(spans).toHaveLength(1);
    expect(spans[0]![1] - spans[0]![0]).toBeLessThan(40_000);
  });

  it("a private key's window reaches its END line even when the block is long", () => {
    const body = Array.from({ length: 500 }, () => "A".repeat(64)).join("\n"); // ~32 KB of base64-ish body
    const text = `${"x".repeat(200_000)}\n-----BEGIN ${"RSA"} PRIVATE KEY-----\n${body}\n-----END ${"RSA"} PRIVATE KEY-----\n${"y".repeat(100)}`;
    const begin = text.indexOf("-----BEGIN");
    const end = text.indexOf("-----END") + 30;
    expect(lintWindows(text).some(([s, e]) => s <= begin && end <= e)).toBe(true);
  });
});
