// scanHidden keeps from the expansion readings only values the reading put together. Reading an
// expansion that stands as a word of its own as nothing glued the next word to `Bearer `, and the
// rewritten `$secret:` command `R=<placeholder> … bash -c '… Bearer $R" https://host/…'` had its URL
// (and, read with R's value, its placeholder) taken for the header's credential and replaced by
// [REDACTED:secret] (test/broker/phantom.test.ts "hookpack revoke …" failed on it).
import { describe, expect, it } from "vitest";
import { expansionReadings, secretScanner } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

describe("scanHidden over expansion readings: only values the reading builds", () => {
  const standalone = [
    'curl -H "Authorization: Bearer $TOKEN" https://api.example.com/v1/items',
    'curl -H "Authorization: token ${GH_TOKEN}" https://api.example.com/x/0123456789abcdef0123456789abcdef01234567',
    `R=HPKbp3fxhjtiaznkw22_0_ node /x/hookpack.cjs exec --grant g_ab4as36q4okntpvpu4dphfmqbx --grant-key jqk627hndb3el6ub7tkjtqjp47 -- bash -c 'curl -sS -H "Authorization: Bearer $R" https://localhost:43211/echo'`,
  ];
  it.each(standalone)("no hidden finding: %s", async (text) => {
    expect(await secretScanner.scanHidden!(text)).toEqual([]);
  });

  it("a token assembled from assigned pieces, or spliced inside its word, is found", async () => {
    const token = fakeTokens(7).github;
    for (const text of [
      `a=${token.slice(0, 8)}; b=${token.slice(8)}; echo $a$b`,
      `curl -H "Authorization: token ${token.slice(0, 9)}\${x}${token.slice(9)}" https://h/`,
    ])
      expect((await secretScanner.scanHidden!(text)).map((h) => h.value)).toContain(token);
  });

  it("a run of expansions inside a token is still read away, at either end or in the middle", async () => {
    const token = fakeTokens(7).github;
    for (const e of ["${x}", "$1", "${x}${x}${x}${x}${x}${x}"])
      for (const form of [
        `${token.slice(0, 9)}${e}${token.slice(9)}`,
        `${e}${token}`,
        `${token}${e}`,
      ]) {
        const text = `curl -H "Authorization: Bearer ${form}" https://api.example.com/v1`;
        expect(
          expansionReadings(text).some((r) => r.includes(token)),
          form,
        ).toBe(true);
      }
  });
});
