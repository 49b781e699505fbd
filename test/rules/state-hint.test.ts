// stateHint (rules/rewrite-secret-refs.ts) replaced a regex whose three word-wise alternatives
// backtracked quadratically on one long word. It must say yes exactly where the old regex did:
// compared here on random commands over the characters those alternatives react to.
import { describe, expect, it } from "vitest";
import { stateHint } from "../../rules/rewrite-secret-refs.js";

/** The regex as it was before the change (kept here as the reference only). */
const OLD_STATE_HINT =
  /HOOKPACK_HOME|\bc\s+["']?\$|~|\$\{?HOME\b|[*?[]|\.h[^\s]*['"\\]|['"\\][^\s]*ookpack|(^|[\s;&|(])ln\s|\/[^\s'"]*\$/;

const PIECES = [
  ".h",
  "ookpack",
  "/",
  "$",
  "'",
  '"',
  "\\",
  " ",
  "\t",
  "x",
  "h",
  ".",
  "ln ",
  ";",
  "c ",
];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("stateHint", () => {
  it("agrees with the old regex on 20,000 random commands", () => {
    const rand = seeded(21);
    let yes = 0;
    for (let n = 0; n < 20_000; n++) {
      let command = "";
      const len = 1 + Math.floor(rand() * 10);
      for (let i = 0; i < len; i++) command += PIECES[Math.floor(rand() * PIECES.length)];
      const want = OLD_STATE_HINT.test(command);
      if (want) yes++;
      expect(stateHint(command), JSON.stringify(command)).toBe(want);
    }
    // Both answers occur often (the comparison is not vacuous).
    expect(yes).toBeGreaterThan(2_000);
    expect(yes).toBeLessThan(18_000);
  });

  it("says yes to the shapes it exists for", () => {
    for (const command of [
      `cat ~/.h"ookpack"/keys`,
      `cat $H/.h'ookpack'/store.json`,
      `cat '/x/.h'ookpack/keys`,
      `D=.hookpack; cat /home/u/$D/keys`,
      `ls /x/\\.hookpack`,
    ])
      expect(stateHint(command), command).toBe(true);
    for (const command of ["ls -la", "cat /etc/hosts", "echo $PATH", "git log --oneline"])
      expect(stateHint(command), command).toBe(false);
  });
});
