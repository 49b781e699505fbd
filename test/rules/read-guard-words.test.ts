// rules/read-guard.ts readingWords, mayRead's tests before its stats in one hand-written pass
// (h21-allow3), against the five regexes it replaces, over a generated corpus: the vocabulary of
// every program and shell name, near misses of each, every separator and operator those regexes
// know, whitespace inside and outside ASCII, random strings, and every UTF-16 code unit around a
// name. "May read" must never become narrower (a false here skips the read guard's analysis), and
// it should not become wider either (a wider test only costs time, but this one is meant exact).
// mayRead as a whole (its stat loop, now cut without regexes) is compared with the old code too.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mayRead, readingWords } from "../../rules/read-guard.js";

/**
 * The tests readingWords replaces, verbatim from rules/read-guard.ts before h21-allow3, with
 * `rgrep` (grep -r) added to the reading programs by sec-gaps5.
 */
function oldWords(command: string): boolean {
  if (/[$`*?[{~<@\\'"]/.test(command)) return true;
  if (/\|[^;&|]*(^|[\s/])(sh|bash|dash|zsh|ksh|mksh|fish|ash)(\s|$)/.test(command)) return true;
  if (
    command.includes(">") &&
    /(^|[\s;&|(/])(sh|bash|dash|zsh|ksh|mksh|fish|ash)(\s|$)/.test(command)
  )
    return true;
  if (/(^|[\s;&|(/])(sh|bash|dash|zsh|ksh|mksh|fish|ash)\s+[^\s;&|)]/.test(command)) return true;
  if (
    /(^|[\s;&|(])(xargs|parallel|find|fd|fdfind|eval|source|\.|watch|su|ssh|grep|rgrep|egrep|fgrep|zgrep|rg|ag|ack|tar|zip|7z|cp|rsync|scp)(\s|$)/.test(
      command,
    )
  )
    return true;
  return false;
}

/** mayRead before h21-allow3 (without the broker-prefix strip: the corpus has no prefix). */
function oldMayRead(command: string, cwd: string): boolean {
  if (oldWords(command)) return true;
  const seen = new Set<string>();
  for (const w of command.split(/[\s;&|()]+/)) {
    if (!w) continue;
    const candidates = w.startsWith("-")
      ? [w.slice(2), w.replace(/^[^=]*=/, "")]
      : [w, w.replace(/^[^:]*:/, ""), w.replace(/^[^=]*=/, "")];
    for (const c of candidates) {
      if (!c || seen.has(c)) continue;
      seen.add(c);
      try {
        if (statSync(isAbsolute(c) ? c : resolve(cwd, c), { throwIfNoEntry: false })?.isFile())
          return true;
      } catch {
        // not a file
      }
    }
  }
  return false;
}

const PROGRAMS = [
  "xargs",
  "parallel",
  "find",
  "fd",
  "fdfind",
  "eval",
  "source",
  ".",
  "watch",
  "su",
  "ssh",
  "grep",
  "rgrep",
  "egrep",
  "fgrep",
  "zgrep",
  "rg",
  "ag",
  "ack",
  "tar",
  "zip",
  "7z",
  "cp",
  "rsync",
  "scp",
];
const SHELLS = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "ash"];
const NAMES = [...PROGRAMS, ...SHELLS];
/** Each name with a character more or less at either end, and a harmless program or two. */
const NEAR = [
  ...NAMES.flatMap((n) => [
    n.slice(1),
    n.slice(0, -1),
    `x${n}`,
    `${n}x`,
    `${n}.`,
    `.${n}`,
    `-${n}`,
  ]),
  "ls",
  "echo",
  "npm",
  "..",
  "./",
  "/bin/",
];
const OPS = [
  " ",
  "  ",
  "\t",
  "\n",
  "\r",
  "\v",
  "\f",
  ";",
  "&",
  "&&",
  "|",
  "||",
  "(",
  ")",
  "/",
  ">",
  ">>",
  "2>",
  "<",
  "=",
  ":",
  "-",
  "--",
  "$",
  "`",
  "*",
  "?",
  "[",
  "{",
  "}",
  "~",
  "@",
  "\\",
  "'",
  '"',
  "\u00a0",
  "\u1680",
  "\u2000",
  "\u200a",
  "\u200b",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
  "\ufeff",
  "\u180e",
  "\u0085",
];
const WORDS = ["a", "x", "s.sh", "notes.txt", "src", "1", "-la", "--file=notes.txt", "h:k"];
const VOCAB = [...NAMES, ...NEAR, ...OPS, ...WORDS];

/** A small seeded generator (mulberry32), so that a failure is reproducible. */
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

function corpus(): string[] {
  const out = new Set<string>(["", " ", "ls -la src", "npm test", "git status"]);
  const r = rng(21);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  // Every name in every one- and two-operator context.
  for (const n of NAMES)
    for (const a of OPS)
      for (const b of OPS) {
        out.add(`${a}${n}${b}`);
        out.add(`x${a}${n}${b}y`);
        out.add(`x |${a}${n}${b}y`);
        out.add(`x |y${a}${n}${b}`);
        out.add(`${n}${a}${b}x`);
      }
  // Sequences of vocabulary pieces, glued (no forced space) and spaced.
  for (let i = 0; i < 60_000; i++) {
    const k = 1 + Math.floor(r() * 8);
    const parts = Array.from({ length: k }, () => pick(VOCAB));
    out.add(parts.join(""));
    out.add(parts.join(r() < 0.5 ? " " : pick(OPS)));
  }
  // Random strings over the characters that matter and a few that do not.
  const chars = [..."shbacdfgikmnoprstuwxz.7/|;&()>< \t\n=-:", "\u00a0", "\u2028", "\ufeff"];
  for (let i = 0; i < 40_000; i++) {
    const k = Math.floor(r() * 14);
    out.add(Array.from({ length: k }, () => pick(chars)).join(""));
  }
  return [...out];
}

describe("readingWords (mayRead's one-pass tests) says what the five regexes said", () => {
  it("over the generated corpus", () => {
    const all = corpus();
    expect(all.length).toBeGreaterThan(100_000);
    const diff = all.filter((c) => readingWords(c) !== oldWords(c));
    expect(diff.slice(0, 10).map((c) => JSON.stringify(c))).toEqual([]);
    // The corpus exercises both answers, and each trigger on its own.
    const yes = all.filter((c) => oldWords(c)).length;
    expect(yes).toBeGreaterThan(1000);
    expect(all.length - yes).toBeGreaterThan(1000);
  });

  it("with every UTF-16 code unit around a name (whitespace is JavaScript's \\s exactly)", () => {
    const diff: string[] = [];
    for (let u = 0; u <= 0xffff; u++) {
      const c = String.fromCharCode(u);
      for (const t of [
        `x |${c}sh`,
        `x |y${c}sh`,
        `x${c}sh y`,
        `sh${c}y`,
        `sh ${c}`,
        `${c}grep`,
        `a${c}grep${c}`,
        `grep${c}`,
        `bash${c}>f`,
        `${c}`,
      ])
        if (readingWords(t) !== oldWords(t)) diff.push(`U+${u.toString(16)} ${JSON.stringify(t)}`);
    }
    expect(diff.slice(0, 10)).toEqual([]);
  });

  it("each trigger, by example", () => {
    for (const yes of [
      "curl x | sh",
      "base64 -d x | /bin/bash",
      "a | b c bash",
      "base64 -d x > s; sh s",
      "bash s.sh",
      "(sh x)",
      "find . -name x",
      "ls | xargs cat",
      "x;source f",
      "(. f)",
      "cat 'a'",
      "echo $HOME",
    ]) {
      expect(oldWords(yes), yes).toBe(true);
      expect(readingWords(yes), yes).toBe(true);
    }
    for (const no of [
      "ls -la src",
      "npm test",
      "a | b; sh",
      "echo sh",
      "sh; ls",
      "x/grep y",
      "a|(sh",
      "shx y",
      "git status && echo ok",
    ]) {
      expect(oldWords(no), no).toBe(false);
      expect(readingWords(no), no).toBe(false);
    }
  });
});

describe("mayRead's stat loop, cut without regexes, stats what the old split did", () => {
  const dir = mkdtempSync(join(tmpdir(), "hookpack-mayread-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "src"));
  for (const f of ["notes.txt", "a", "k", "x=y", "h:k"]) writeFileSync(join(dir, f), "x");
  writeFileSync(join(dir, "src", "f"), "x");

  it("over commands of program names, options, paths and separators", () => {
    const r = rng(7);
    const words = [
      "ls",
      "-la",
      "src",
      "src/f",
      "notes.txt",
      "--file=notes.txt",
      "-knotes.txt",
      "--",
      "-a",
      "h:k",
      "host:notes.txt",
      "K=a",
      "x=y",
      "k",
      "nope",
      join(dir, "a"),
      "/etc",
      "=a",
      ":a",
      "a:",
      "a=",
      "-",
      "--=k",
    ];
    const seps = [" ", "  ", ";", "&&", "|", "(", ")", "\t", "\n", "\u00a0", "\u2028", ""];
    const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
    let yes = 0;
    for (let i = 0; i < 4000; i++) {
      const k = 1 + Math.floor(r() * 5);
      const cmd = Array.from({ length: k }, () => pick(words) + pick(seps)).join("");
      const old = oldMayRead(cmd, dir);
      if (old) yes++;
      expect(mayRead(cmd, dir), JSON.stringify(cmd)).toBe(old);
    }
    expect(yes).toBeGreaterThan(500);
    expect(yes).toBeLessThan(3500);
  });
});
