// Issue 21 (h21-detect): a bulk scan's findings with the faster first pass equal the findings of
// the old path. Old: hookpack's engine, then secretlint's preset wherever its prefilter regex
// matches the text (searched in full), merged. New: secretScanner.scan in bulk mode, where the
// regex is not searched again once the anchor pass matched it at one of its literals. Corpus: real
// source text with fakes of every detector record and of every secretlint provider planted at
// random places, at the start and end, after non-ASCII text, in CRLF lines, JSON-escaped, near the
// 128 KB whole-lint limit and across 64 KB.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findings, merge, RULES } from "../../rules/detect.js";
import {
  lintSecretlint,
  SECRETLINT_PREFILTER,
  secretScanner,
  warmUpPrefilter,
} from "../../rules/secretlint.js";
import { fakeFor, fakeTokens, seeded } from "../helpers/fake-secrets.js";
import type { Finding } from "../../rules/finding.js";

const root = join(import.meta.dirname, "..", "..");

async function oldPath(text: string, filePath: string): Promise<Finding[]> {
  const own = findings(text);
  const second = SECRETLINT_PREFILTER.test(text) ? await lintSecretlint(text, filePath) : [];
  return merge(text, own, second);
}

const key = (fs: Finding[]) =>
  fs.map((f) => `${f.ruleId}/${f.messageId}@${f.start}-${f.end}:${f.confidence}`).join(",");

function sources(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (out.length >= 40) return;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|ts|md|json)$/.test(e.name) && statSync(p).size < 300_000)
        out.push(readFileSync(p, "utf8"));
    }
  };
  walk(join(root, "node_modules", "@secretlint"));
  walk(join(root, "node_modules", "zod"));
  return out;
}

describe("bulk scan first pass: findings equal the old path", () => {
  beforeAll(() => warmUpPrefilter());

  it("over real source with every record's fake and every preset provider planted", async () => {
    const r = seeded(2121);
    const texts = sources();
    expect(texts.length).toBeGreaterThan(20);
    const planted = [
      ...RULES.map((rule) => fakeFor(rule, 3)),
      ...Object.values(fakeTokens(2121)),
      ...Object.values(fakeTokens(2122)),
    ];
    const wrap: Array<(t: string) => string> = [
      (t) => t,
      (t) => `const key = "${t}";`,
      (t) => `KEY=${t}\r\n`,
      (t) => JSON.stringify({ token: t }),
      (t) => `日本語 ŧ ${t} é`,
      (t) => `aws_secret_access_key = ${t}`,
    ];
    let compared = 0;
    let found = 0;
    for (let i = 0; i < planted.length; i += 6) {
      let text = texts[i % texts.length]!;
      for (const tok of planted.slice(i, i + 6)) {
        const at = Math.floor(r() * text.length);
        const w = wrap[Math.floor(r() * wrap.length)]!(tok);
        text = `${text.slice(0, at)}\n${w}\n${text.slice(at)}`;
      }
      if (i % 5 === 0) text = `${planted[i]!}\n${text}${planted[i + 1] ?? ""}`;
      const path = i % 7 === 0 ? "config.json" : `f${i}.ts`;
      const want = await oldPath(text, path);
      const got = await secretScanner.scan(text, path);
      expect(key(got), `text ${i}`).toBe(key(want));
      compared++;
      found += got.length;
    }
    expect(compared).toBeGreaterThan(40);
    expect(found).toBeGreaterThan(compared);
  });

  it("near the whole-lint limit and across 64 KB", async () => {
    const t = fakeTokens(7);
    const filler = (n: number) => "let x = 1; // ok\n".repeat(Math.ceil(n / 17)).slice(0, n);
    let compared = 0;
    for (const tok of [t.github, t.slackBot, t.postgresUrl, t.privateKey, t.awsAccessKeyId])
      for (const size of [65536, 128 * 1024 - 40, 128 * 1024 + 40, 300_000])
        for (const at of [0, 65530, size - tok.length - 2]) {
          const body = filler(size);
          const text = `${body.slice(0, at)}\n${tok}\n${body.slice(at)}`;
          const want = await oldPath(text, "big.txt");
          expect(want.length).toBeGreaterThan(0);
          expect(key(await secretScanner.scan(text, "big.txt"))).toBe(key(want));
          compared++;
        }
    expect(compared).toBe(60);
  });
});
