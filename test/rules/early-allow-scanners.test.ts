// gate-push-publish's mayGate and rewrite-secret-refs' brokerFlags and stateHint, the early-allow tests the fast
// allow stage shares with the rules, became hand-written scanners (h21-allow3): each must match
// exactly where the regex it replaces matched. Compared over a generated corpus (every flag and
// name, near misses, word characters and separators on either side, random strings) and every
// UTF-16 code unit next to a name; also the scanners' own helpers against `\s` and `\w`.
import { describe, expect, it } from "vitest";
import { isPlain } from "../../hooks/fast-allow.js";
import { mayGate } from "../../rules/gate-push-publish.js";
import { isSpace, isWordChar } from "../../rules/js-space.js";
import { mayRead } from "../../rules/read-guard.js";
import { brokerFlags, stateHint } from "../../rules/rewrite-secret-refs.js";

/** The regexes replaced, verbatim from before h21-allow3. */
const MAY_GATE = /push|publish|\bpack\b|\bgh\b|[\\'"$`]/;
const BROKER_FLAGS = /(^|\s)--(grant|grant-key|secret|env-file|stdin-refs)(=|\s|$)/;
/** stateHint before its word-wise part was written out (test/rules/state-hint.test.ts), whole. */
const OLD_STATE_HINT =
  /HOOKPACK_HOME|\bc\s+["']?\$|~|\$\{?HOME\b|[*?[]|\.h[^\s]*['"\\]|['"\\][^\s]*ookpack|(^|[\s;&|(])ln\s|\/[^\s'"]*\$/;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  "push",
  "publish",
  "pack",
  "gh",
  "--grant",
  "--grant-key",
  "--secret",
  "--env-file",
  "--stdin-refs",
  "HOOKPACK_HOME",
  "$HOME",
  "${HOME",
  "${HOME}",
  "c $",
  "c  '$",
  'c "$',
  "ln ",
  "ln\t",
  "~",
  "*",
  "?",
  "[",
];
const NEAR = [
  ...NAMES.flatMap((n) => [
    n.slice(1),
    n.slice(0, -1),
    `x${n}`,
    `${n}x`,
    `_${n}`,
    `${n}_`,
    `${n}1`,
  ]),
  "pus",
  "publis",
  "pac",
  "packs",
  "g",
  "h",
  "---grant",
  "--",
  "-",
  "--grantkey",
  "--grant-",
  "git",
  "npm",
  "send-pack",
  "unpack",
  "HOOKPACK_HOM",
  "OOKPACK_HOME",
  "$HOM",
  "HOME",
  "$HOMEx",
  "${HOMER",
  "$ HOME",
  "c",
  "cc $",
  "c$",
  "c 'x$",
  "ln",
  "lnx ",
  "xln ",
  "$",
  "{",
  "(",
  "|",
  "&",
];
const OPS = [
  " ",
  "\t",
  "\n",
  "=",
  ";",
  "-",
  "_",
  ".",
  "/",
  "a",
  "Z",
  "9",
  "\\",
  "'",
  '"',
  "$",
  "`",
  "\u00a0",
  "\u2028",
  "\ufeff",
  "\u200b",
  "\u00e9",
  "",
];
const VOCAB = [...NAMES, ...NEAR, ...OPS];

function corpus(): string[] {
  const out = new Set<string>(["", "ls -la src", "git status", "npm test"]);
  const r = rng(2103);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  for (const n of NAMES)
    for (const a of OPS)
      for (const b of OPS) {
        out.add(`${a}${n}${b}`);
        out.add(`x ${a}${n}${b} y`);
      }
  for (let i = 0; i < 60_000; i++) {
    const k = 1 + Math.floor(r() * 7);
    const parts = Array.from({ length: k }, () => pick(VOCAB));
    out.add(parts.join(""));
    out.add(parts.join(" "));
  }
  const chars = [..."pushlibacgkrntdfeiy-= _1\t\n'\"$`\\{}HOMEl;&|(~*?[.", "\u00a0"];
  for (let i = 0; i < 30_000; i++)
    out.add(Array.from({ length: Math.floor(r() * 16) }, () => pick(chars)).join(""));
  // Runs of dashes (the scanner's look is bounded) and long words.
  out.add(`${"-".repeat(5000)}grant`);
  out.add(` ${"-".repeat(40)} --secret`);
  out.add(`--${"x".repeat(20)} --grant-key=1`);
  return [...out];
}

describe("the early-allow scanners say what the regexes said", () => {
  const all = corpus();

  it("mayGate over the generated corpus", () => {
    expect(all.length).toBeGreaterThan(80_000);
    const diff = all.filter((c) => mayGate(c) !== MAY_GATE.test(c));
    expect(diff.slice(0, 10).map((c) => JSON.stringify(c))).toEqual([]);
    const yes = all.filter((c) => MAY_GATE.test(c)).length;
    expect(yes).toBeGreaterThan(1000);
    expect(all.length - yes).toBeGreaterThan(1000);
  });

  it("brokerFlags over the generated corpus", () => {
    const diff = all.filter((c) => brokerFlags(c) !== BROKER_FLAGS.test(c));
    expect(diff.slice(0, 10).map((c) => JSON.stringify(c))).toEqual([]);
    const yes = all.filter((c) => BROKER_FLAGS.test(c)).length;
    expect(yes).toBeGreaterThan(1000);
    expect(all.length - yes).toBeGreaterThan(1000);
  });

  it("stateHint over the generated corpus", () => {
    const diff = all.filter((c) => stateHint(c) !== OLD_STATE_HINT.test(c));
    expect(diff.slice(0, 10).map((c) => JSON.stringify(c))).toEqual([]);
    const yes = all.filter((c) => OLD_STATE_HINT.test(c)).length;
    expect(yes).toBeGreaterThan(1000);
    expect(all.length - yes).toBeGreaterThan(1000);
  });

  it("with every UTF-16 code unit next to a name, and the helpers against \\s and \\w", () => {
    const diff: string[] = [];
    for (let u = 0; u <= 0xffff; u++) {
      const c = String.fromCharCode(u);
      if (isSpace(u) !== /\s/.test(c)) diff.push(`isSpace U+${u.toString(16)}`);
      if (isWordChar(u) !== /\w/.test(c)) diff.push(`isWordChar U+${u.toString(16)}`);
      for (const t of [
        `${c}pack`,
        `pack${c}`,
        `${c}gh${c}`,
        `x${c}--grant`,
        `--secret${c}`,
        `$HOME${c}`,
        `\${HOME${c}`,
        `${c}c $`,
        `c${c}$`,
        `c ${c}$`,
        `${c}ln `,
        `ln${c}`,
        c,
      ])
        if (
          mayGate(t) !== MAY_GATE.test(t) ||
          brokerFlags(t) !== BROKER_FLAGS.test(t) ||
          stateHint(t) !== OLD_STATE_HINT.test(t)
        )
          diff.push(`U+${u.toString(16)} ${JSON.stringify(t)}`);
    }
    expect(diff.slice(0, 10)).toEqual([]);
    expect(isWordChar(NaN)).toBe(false);
  });

  it("by example", () => {
    for (const yes of ["git push", "npm publish", "npm pack", "gh pr create", "echo 'x'"])
      expect(mayGate(yes), yes).toBe(true);
    for (const no of ["ls -la src", "unpack x", "ghost", "npm test"])
      expect(mayGate(no), no).toBe(false);
    for (const yes of ["x --grant g", "x --secret=A", "--stdin-refs", "a\t--env-file f"])
      expect(brokerFlags(yes), yes).toBe(true);
    for (const no of ["x --granted", "x---grant", "x --grant-keys", "ls --color"])
      expect(brokerFlags(no), no).toBe(false);
  });
});

describe("the fast stage's plain-text check and the scanners' cost", () => {
  it("isPlain says what /^[\\x20-\\x7e\\t\\n]*$/ said, for every code unit", () => {
    const PLAIN = /^[\x20-\x7e\t\n]*$/;
    const diff: string[] = [];
    for (let u = 0; u <= 0xffff; u++) {
      const c = String.fromCharCode(u);
      for (const t of [c, `ls ${c}`, `${c}ls`, `a${c}b\n`])
        if (isPlain(t) !== PLAIN.test(t)) diff.push(`U+${u.toString(16)}`);
    }
    expect(diff.slice(0, 10)).toEqual([]);
    expect(isPlain("")).toBe(true);
    expect(isPlain("ls -la\tsrc\n")).toBe(true);
  });

  it("each scanner stays linear on 1 MB built to make it look back (an agent padding a command)", () => {
    const MB = 1 << 20;
    for (const text of [
      "-".repeat(MB),
      " --".repeat(MB / 3),
      "c ".repeat(MB / 2),
      `c${" ".repeat(MB)}x`,
      "$".repeat(MB),
      "${".repeat(MB / 2),
      "ln".repeat(MB / 2),
      "pack".repeat(MB / 4),
      "gh".repeat(MB / 2),
      "|".repeat(MB),
      `${"x/".repeat(MB / 2)}sh`,
      `${"a|b ".repeat(MB / 4)}sh`,
    ]) {
      const t0 = performance.now();
      mayGate(text);
      brokerFlags(text);
      stateHint(text);
      mayRead(text, "/nonexistent-hookpack-dir");
      expect(performance.now() - t0, text.slice(0, 12)).toBeLessThan(3000);
    }
  });
});
