// HIDING is tested as two regexes (rules/secretlint.ts): the expansion splices are compiled only
// for a text where one can match (mayBeSplicedByExpansion), because that regex alone costs ~1 ms to
// compile in every hook process. This holds the split to the one regex it replaced, over texts
// built from the characters every sign is made of: any text where the two answer differently fails.
import { describe, expect, it } from "vitest";
import { HIDING } from "../../rules/secretlint.js";
import { fakeTokens, seeded } from "../helpers/fake-secrets.js";

// The single regex before the split (7ad9bc8), kept here as the oracle.
const ONE =
  /(["'`])\1|["'`][ \t]*\+[ \t]*["'`]|[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]|\u034f|(?:%[0-9A-Fa-f]{2}){4}|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\\r?\n|\\[0-7]{3}|[A-Za-z0-9+/_-]{28}|\w\\\w|(?=(?:[A-Za-z0-9+/_-]|["'`]+[A-Za-z0-9+/_-]){16})[A-Za-z0-9+/_-]+["'`]+[A-Za-z0-9+/_-]|(?=(?:[A-Za-z0-9+/_-]|(?:\$(?:\{[^{}\s]{0,80}\}|[A-Za-z_]\w*(?!\w)|[1-9@*]|\([ \t]*(?:true|:)?[ \t]*\))|`[ \t]*(?:true|:)[ \t]*`){1,4}[A-Za-z0-9+/_-]){16})[A-Za-z0-9+/_-]+(?:\$(?:\{[^{}\s]{0,80}\}|[A-Za-z_]\w*(?!\w)|[1-9@*]|\([ \t]*(?:true|:)?[ \t]*\))|`[ \t]*(?:true|:)[ \t]*`){1,4}[A-Za-z0-9+/_-]|(?:\$(?:\{[^{}\s]{0,80}\}|[A-Za-z_]\w*(?!\w)|[1-9@*]|\([ \t]*(?:true|:)?[ \t]*\))|`[ \t]*(?:true|:)[ \t]*`){5}/;

// Pieces every sign is built from: token runs, expansions of every kind, quotes, spaces, escapes.
const PIECES = [
  "gh",
  "p_",
  "abcdefgh",
  "Zq8Xw4Kp2Lm7",
  "0123456789",
  "-",
  "/",
  "+",
  "_",
  "$",
  "$x",
  "${x}",
  "${x:-}",
  "${HOME}",
  "$1",
  "$@",
  "$*",
  "$()",
  "$(true)",
  "$( : )",
  "`true`",
  "`:`",
  "``",
  "$''",
  '$""',
  "'",
  '"',
  " ",
  "\t",
  "}",
  ")",
  "{",
  "(",
  "@",
  "*",
  ":",
  "%41",
  "\\",
  "\n",
];

describe("HIDING split in two regexes", () => {
  it("answers as the one regex did on 200,000 generated texts", () => {
    const r = seeded(2112);
    const differ: string[] = [];
    let matched = 0;
    for (let n = 0; n < 200_000; n++) {
      let text = "";
      const parts = 1 + Math.floor(r() * 14);
      for (let k = 0; k < parts; k++) text += PIECES[Math.floor(r() * PIECES.length)];
      const want = ONE.test(text);
      if (want) matched++;
      if (HIDING.test(text) !== want) differ.push(text);
    }
    expect(differ.slice(0, 10)).toEqual([]);
    // The generator reaches both answers often (else the comparison would prove little).
    expect(matched).toBeGreaterThan(20_000);
    expect(matched).toBeLessThan(180_000);
  });

  it("answers as the one regex did on the expansion splices and their near misses", () => {
    const token = fakeTokens(5).github;
    const texts: string[] = [];
    for (const e of ["$x", "${x}", "${x:-}", "$1", "$@", "$*", "$()", "$(true)", "`true`", "`:`"])
      for (let at = 1; at < token.length; at += 3) {
        texts.push(`curl -H "Authorization: token ${token.slice(0, at)}${e}${token.slice(at)}"`);
        texts.push(`echo ${token.slice(0, at)} ${e}${token.slice(at)}`);
        texts.push(`echo ${e.repeat(5)} ${e} ${e.repeat(4)}`);
      }
    const differ = texts.filter((t) => HIDING.test(t) !== ONE.test(t));
    expect(differ).toEqual([]);
    expect(texts.filter((t) => ONE.test(t)).length).toBeGreaterThan(texts.length / 3);
  });
});
