// The fast detection path (rules/detect.ts: WebAssembly automaton, 16-bit class table, a sticky
// necessary check per hit) reports exactly what the reference path reports (rules/detect-reference.ts:
// the engine as it was, every anchor hit opening a window): same records, same offsets, same grades.
// Inputs: every fixture payload, every record's examples and near-misses (fakes built at run time)
// alone and embedded in real source text at random places, glued to punctuation, at the start and
// end of the buffer, on long lines, case-flipped, doubled, truncated, and their encoded readings
// (base64, hex, percent, JSON-escaped). Both anchor locators (indexOf for small texts, the
// automaton) and both automaton loops (WebAssembly and JavaScript) are compared.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  detect,
  engineInternals,
  hiddenViews,
  RULES,
  SECRETLINT_CONFIRM_PARTS,
  warmUp,
} from "../../rules/detect.js";
import { detectReference } from "../../rules/detect-reference.js";
import { lintSecretlint, SECRETLINT_PREFILTER } from "../../rules/secretlint.js";
import { SECRETLINT_PREFILTER_PARTS } from "../../rules/secretlint-prefilter.js";
import { expandFakes, expandTemplate, fakeFor, seeded } from "../helpers/fake-secrets.js";
import type { Detection, DetectHint } from "../../rules/detect.js";

const root = join(import.meta.dirname, "..", "..");
/** What the engine's `secretlint` hint decides: secretlint's prefilter, AWS key-id part whole. */
const SECRETLINT_CONFIRM = new RegExp(SECRETLINT_CONFIRM_PARTS.join("|"));
const key = (ds: Detection[]) =>
  ds.map((d) => `${d.rule.id}@${d.start}-${d.end}:${d.confidence}`).join(",");

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Real source text: every 40th text file of node_modules (deterministic), up to ~4 MB. */
function sourceCorpus(): string[] {
  const files = walk(join(root, "node_modules")).filter(
    (f) => /\.(js|cjs|mjs|ts|json|md|map)$/.test(f) && statSync(f).size < 600_000,
  );
  const out: string[] = [];
  let bytes = 0;
  for (let i = 0; i < files.length && bytes < 4_000_000; i += 40) {
    const t = readFileSync(files[i]!, "utf8");
    out.push(t);
    bytes += t.length;
  }
  return out;
}

/** Fixture payloads with their {{FAKE_…}} placeholders filled in. */
function fixtures(): string[] {
  const dir = join(root, "test", "fixtures");
  return walk(dir)
    .filter((f) => statSync(f).size < 2_000_000)
    .map((f) => {
      const raw = readFileSync(f, "utf8");
      try {
        return expandFakes(raw);
      } catch {
        return raw;
      }
    });
}

/** Every record's tokens, examples and near-misses, for three seeds. */
function tokenTexts(): string[] {
  const out: string[] = [];
  for (const rule of RULES) {
    out.push(fakeFor(rule, 2), fakeFor(rule, 3));
    for (const t of [...rule.examples, ...rule.negatives])
      out.push(expandTemplate(rule, t, 1).text);
  }
  return out;
}

const flip = (s: string) =>
  s.replace(/[A-Za-z]/g, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()));

/** Placements of `t` that stress window edges, boundaries and the hit checks. */
function variants(t: string, host: string, r: () => number): string[] {
  const at = Math.floor(r() * (host.length + 1));
  const cut = host.slice(0, at);
  const rest = host.slice(at);
  return [
    t,
    `${t}\n`,
    `(${t})`,
    `"${t}",`,
    `=${t};`,
    `x${t}x`,
    `_${t}_`,
    `${t}${t}`,
    `${t} ${t}`,
    `${t.slice(0, -1)}`,
    `${t.slice(0, 3)}${t}`,
    `${t.slice(0, 1)}\n${t.slice(1)}`,
    t.toUpperCase(),
    t.toLowerCase(),
    flip(t),
    `${cut}${t}${rest}`,
    `${t}${host.slice(0, 2000)}`,
    `${host.slice(-2000)}${t}`,
    `${"a".repeat(300)}${t}${"b".repeat(300)}`,
    `token = ${t}\napi_key: "${t}"\nAuthorization: Bearer ${t}\n`,
    `postgres://user:${t}@db.example.com:5432/app`,
    `AWS_Secret_Access_Key=${t}\n"private_key": "${t}"`,
    JSON.stringify({ value: t, nested: { t } }),
    JSON.stringify(`line one\nkey=${t}\tend`),
    Buffer.from(t).toString("base64"),
    Buffer.from(`export TOKEN=${t}\n`).toString("base64"),
    Buffer.from(t).toString("hex"),
    encodeURIComponent(`secret=${t}&x=1`),
    [...t].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""),
    `"${t.slice(0, 4)}" + "${t.slice(4)}"`,
  ];
}

/** Inputs made of repeated anchor fragments: many hits, few or no matches. */
function adversarial(): string[] {
  return [
    "A".repeat(5000),
    "AAAAAAAAAA".repeat(300) + "AKIA".repeat(200),
    "token=token=token:".repeat(400),
    "://a:b@".repeat(500),
    "://user:".repeat(500) + "@host",
    "ghp_".repeat(1000),
    "sk-ant-".repeat(600),
    "eyJ".repeat(1000) + ".eyJ".repeat(500),
    "secret_access_key".repeat(200) + ` = "${"Ab3".repeat(14)}"`,
    "-----BEGIN PRIVATE KEY-----\n".repeat(50),
    "curl -u ".repeat(300),
    "xoxb-".repeat(500) + "1234567890-",
    `${"password".repeat(100)}=${"x1Y".repeat(20)}`,
  ];
}

function expectSame(texts: string[], useAutomaton: boolean): number {
  let withFindings = 0;
  for (const t of texts) {
    const hint: DetectHint = {};
    const fast = key(detect(t, hint));
    // The side result: where decided, it is what secretlint's prefilter (confirm form) says.
    if (hint.secretlint !== undefined)
      expect(hint.secretlint, t.slice(0, 200)).toBe(SECRETLINT_CONFIRM.test(t));
    const ref = key(detectReference(t, useAutomaton));
    if (fast !== ref)
      expect({ text: t.slice(0, 300), fast }).toEqual({ text: t.slice(0, 300), fast: ref });
    if (fast !== "") withFindings++;
  }
  return withFindings;
}

let corpus: string[] = [];
let small: string[] = [];
let tokens: string[] = [];

beforeAll(() => {
  corpus = sourceCorpus();
  tokens = tokenTexts();
  const r = seeded(21);
  const hosts = corpus.filter((c) => c.length > 200 && c.length < 20_000);
  small = [];
  // Each text in a few placements drawn at random (all of them for the bare tokens), and the
  // hidden readings (decoded base64, percent, escapes, quote splicing) of one encoded placement.
  tokens.forEach((t, i) => {
    const host = hosts[Math.floor(r() * hosts.length)]!;
    const all = variants(t, host, r);
    const picked = i % 5 === 0 ? all : all.filter(() => r() < 0.25);
    small.push(...picked);
    small.push(...hiddenViews(all[22 + Math.floor(r() * 7)]!));
  });
});

describe("fast detection = reference detection", { timeout: 240_000 }, () => {
  // Must run first: before the automaton exists, texts under 32 KB are located with indexOf.
  it("small texts located with indexOf: every record's fakes in every placement", () => {
    const texts = small.filter((t) => t.length < 32 * 1024);
    expect(texts.length).toBeGreaterThan(RULES.length * 20);
    const withFindings = expectSame(texts, false);
    // The placements do find things: the comparison is not between two empty lists.
    expect(withFindings).toBeGreaterThan(texts.length / 5);
  });

  it("the automaton (WebAssembly loop): same inputs, fixtures, real source, adversarial runs", () => {
    warmUp();
    expect(engineInternals.resetAutomaton(true)).toBe(true);
    const fixtureTexts = fixtures();
    expect(fixtureTexts.length).toBeGreaterThan(3);
    expectSame(small, true);
    expectSame(fixtureTexts, true);
    expectSame(corpus, true);
    expectSame(adversarial(), true);
  });

  it("decides secretlint's prefilter from the automaton's hits exactly as the regex does", () => {
    let decided = 0;
    let matching = 0;
    for (const t of [...corpus, ...small, ...adversarial()]) {
      const hint: DetectHint = {};
      detect(t, hint);
      const matches = SECRETLINT_CONFIRM.test(t);
      if (matches) matching++;
      // The confirm form is narrower than the prefilter, never wider.
      if (matches) expect(SECRETLINT_PREFILTER.test(t), t.slice(0, 200)).toBe(true);
      if (hint.secretlint !== undefined) {
        decided++;
        expect(hint.secretlint, t.slice(0, 200)).toBe(matches);
      }
    }
    expect(matching).toBeGreaterThan(100);
    // Undecided only where the text holds a terminal escape.
    expect(decided).toBeGreaterThan(corpus.length + small.length - 50);
  });

  it("the confirm form skips secretlint only where the preset finds nothing", async () => {
    // Only the AWS key-id part (by its 16-character body) and the npm part (by its right edge) differ.
    const changed = SECRETLINT_CONFIRM_PARTS.filter((p, i) => p !== SECRETLINT_PREFILTER_PARTS[i]);
    expect(changed).toEqual([
      "npm_[A-Za-z0-9_]{36}(?![A-Za-z0-9_])",
      "A(?:3T[A-Z0-9]|KIA|GPA|IDA|ROA|IPA|NPA|NVA|SIA)[A-Z0-9]{16}",
    ]);
    // Texts the old hint sent to secretlint and the new one does not: a bare AWS key-id prefix.
    const r = seeded(5);
    const skipped = [...corpus, ...small, ...adversarial()].filter(
      (t) => SECRETLINT_PREFILTER.test(t) && !SECRETLINT_CONFIRM.test(t),
    );
    // Bare prefixes glued to key-shaped bodies one character short, and cut by a lower-case letter.
    const body = (n: number) =>
      Array.from(
        { length: n },
        () => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[Math.floor(r() * 32)],
      ).join("");
    for (const p of ["AKIA", "ASIA", "AIDA", "ANVA", "A3TX", "AROA", "AGPA", "AIPA", "ANPA"]) {
      skipped.push(
        `${p}${body(15)}`,
        `aws_access_key_id = "${p}${body(15)}"`,
        `${p}${body(8)}x${body(8)}`,
      );
      expect(SECRETLINT_CONFIRM.test(`${p}${body(16)}`)).toBe(true);
    }
    // npm_ and 36 word characters, then more of them: an identifier, not a token.
    const word = (n: number) =>
      Array.from(
        { length: n },
        () => "abcdefghijklmnopqrstuvwxyz_0123456789"[Math.floor(r() * 37)],
      ).join("");
    for (let i = 0; i < 6; i++) {
      const ident = `npm_${word(36 + 1 + i)}`;
      skipped.push(`const x = ${ident};`, `"${ident}"`, `run_npm_${word(40)}`);
      expect(SECRETLINT_CONFIRM.test(`npm_${word(36)}`)).toBe(true);
    }
    expect(skipped.length).toBeGreaterThan(30);
    for (const t of skipped) {
      expect(SECRETLINT_CONFIRM.test(t)).toBe(false);
      expect(await lintSecretlint(t, "file.txt"), t.slice(0, 200)).toEqual([]);
    }
  });

  it("the automaton (JavaScript loop): same inputs", () => {
    expect(engineInternals.resetAutomaton(false)).toBe(false);
    expectSame(small, true);
    expectSame(fixtures(), true);
    expectSame(corpus.slice(0, 40), true);
    engineInternals.resetAutomaton(true);
  });

  it("large texts: every record's token planted in real source across WebAssembly chunk edges", () => {
    const r = seeded(7);
    const big = corpus.join("\n");
    // The WebAssembly loop reads the text in 65,536-unit chunks: tokens straddling each edge.
    const parts: string[] = [];
    let pos = 0;
    for (const rule of RULES) {
      const t = fakeFor(rule, 5);
      const edge = (Math.floor(pos / 65536) + 1) * 65536;
      const split = 1 + Math.floor(r() * Math.max(1, t.length - 1));
      const filler = big.slice(pos % big.length, (pos % big.length) + (edge - pos - split));
      parts.push(filler.padEnd(edge - pos - split - 1, " "), " ", t, "\n");
      pos = edge - split + t.length + 1;
    }
    const text = parts.join("");
    const fast = detect(text);
    expect(key(fast)).toBe(key(detectReference(text, true)));
    // Most records find their bare token (keyed records need their keyword before it).
    expect(new Set(fast.map((d) => d.rule.id)).size).toBeGreaterThan(RULES.length * 0.6);
    // Non-ASCII and surrogate pairs in the way do not shift offsets.
    const wide = `é€😀\u0130${text.slice(0, 300_000)}😀`;
    expect(key(detect(wide))).toBe(key(detectReference(wide, true)));
  });
});
