// pre-push prefilters its commit and tag messages in one automaton pass over all of them joined
// (rules/detect.ts mayHoldEach) instead of the hook prefilter per message. A message it calls
// clean is never scanned, so "false" must imply that neither engine finds anything in it alone:
// checked for every record's fake and every provider fake, alone, among clean messages, at the
// first and last place of the batch, glued to the separator, with terminal escapes, and over
// messages built from real source lines. It must also still filter (clean messages are false),
// or the test would pass with a prefilter that always says yes.
import { describe, expect, it } from "vitest";
import { findings, mayHoldEach, RULES } from "../../rules/detect.js";
import { lintSecretlint, SECRETLINT_PREFILTER } from "../../rules/secretlint.js";
import { fakeFor, fakeTokens, seeded } from "../helpers/fake-secrets.js";

const CLEAN = [
  "tree 1\nauthor A U Thor <a@example.invalid> 1700000000 +0000\n\nfix the parser",
  "Merge branch 'main' into feature\n\nConflicts resolved by hand.",
  "docs: explain the release steps",
  "bump version to 1.2.3",
  "",
];

/** Both engines' findings for one text alone (what scanText would report, managed values aside). */
async function enginesFind(text: string): Promise<boolean> {
  if (findings(text).length > 0) return true;
  return SECRETLINT_PREFILTER.test(text) && (await lintSecretlint(text, MSG)).length > 0;
}
const MSG = "(commit message)";

describe("mayHoldEach: one pass over many messages", () => {
  const tokens = Object.values(fakeTokens(11));
  const perRule = RULES.map((r, i) => fakeFor(r, i + 1)).filter((t) => t.length > 0);

  it("calls clean messages clean (it filters)", () => {
    const flags = mayHoldEach(CLEAN);
    expect(flags.filter(Boolean)).toHaveLength(0);
  });

  it("never calls clean a message in which either engine finds a secret", async () => {
    const texts: string[] = [];
    const rnd = seeded(21);
    for (const t of [...tokens, ...perRule]) {
      // Alone, as a subject, in a body, glued to the LF that joins messages, indented.
      texts.push(t, `add config ${t}`, `subject\n\n${t}`, `${t}\n`, `\n${t}`, `    key = ${t}`);
      if (rnd() < 0.5) texts.push(`x${t}y`);
    }
    const mixed: string[] = [];
    for (const t of texts) mixed.push(CLEAN[Math.floor(rnd() * CLEAN.length)]!, t);
    mixed.push(CLEAN[0]!);
    const flags = mayHoldEach(mixed);
    let checked = 0;
    let missed = 0;
    for (const [i, t] of mixed.entries()) {
      if (flags[i]) continue;
      checked++;
      if (await enginesFind(t)) missed++;
    }
    expect(missed).toBe(0);
    // Most fakes are found, so most of them were flagged; the clean ones were checked.
    expect(checked).toBeGreaterThanOrEqual(CLEAN.length);
    const found = await Promise.all(texts.slice(0, 60).map(enginesFind));
    expect(found.filter(Boolean).length).toBeGreaterThan(30);
  });

  it("flags a message at the first and at the last place of the batch", () => {
    const t = fakeTokens(3).github;
    expect(mayHoldEach([t, ...CLEAN])[0]).toBe(true);
    expect(mayHoldEach([...CLEAN, t]).at(-1)).toBe(true);
    expect(mayHoldEach([t])).toEqual([true]);
    expect(mayHoldEach([])).toEqual([]);
  });

  it("flags what only secretlint finds (its literals that no record of ours anchors on)", async () => {
    const U = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const A = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const rnd = seeded(8);
    const pick = (s: string, n: number) =>
      Array.from({ length: n }, () => s[Math.floor(rnd() * s.length)]).join("");
    const only = [
      ["xo", "xa-", "1234567890-", "1234567890-", pick(A, 24)].join(""),
      ["xo", "xr-", "1234567890-", "1234567890-", pick(A, 24)].join(""),
      ["A3", "TX", pick(U, 16)].join(""),
      ["AI", "DA", pick(U, 16)].join(""),
    ].map((t) => `rotate ${t} later`);
    let secretlintOnly = 0;
    for (const t of only) if (findings(t).length === 0 && (await enginesFind(t))) secretlintOnly++;
    expect(secretlintOnly).toBe(only.length);
    const flags = mayHoldEach([...CLEAN, ...only, ...CLEAN]);
    expect(flags.slice(CLEAN.length, CLEAN.length + only.length)).toEqual(only.map(() => true));
  });

  it("leaves messages with terminal escapes to the full scan", () => {
    const t = fakeTokens(4).github;
    const hidden = `${t.slice(0, 3)}\u001b[0m${t.slice(3)}`;
    const flags = mayHoldEach([...CLEAN, hidden, "plain \u001b[1mbold\u001b[0m"]);
    expect(flags.slice(-2)).toEqual([true, true]);
  });

  it("over messages made of real source lines: no finding in a message called clean", async () => {
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const src = readFileSync(join(import.meta.dirname, "..", "..", "rules", "detect.ts"), "utf8")
      .split("\n")
      .filter((l) => l.trim().length > 0);
    const rnd = seeded(5);
    const t = fakeTokens(9);
    const msgs: string[] = [];
    for (let i = 0; i < 400; i++) {
      const lines = Array.from(
        { length: 1 + Math.floor(rnd() * 4) },
        () => src[Math.floor(rnd() * src.length)]!,
      );
      if (i % 37 === 0) lines.push(`token: ${t.npm}`);
      msgs.push(lines.join("\n"));
    }
    const flags = mayHoldEach(msgs);
    for (const [i, m] of msgs.entries()) if (!flags[i]) expect(await enginesFind(m)).toBe(false);
    for (const [i, m] of msgs.entries()) if (m.includes(t.npm)) expect(flags[i]).toBe(true);
  });
});
