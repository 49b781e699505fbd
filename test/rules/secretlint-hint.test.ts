// The engine tells secretScanner.scan whether secretlint's prefilter can match (a hint decided in
// the automaton's pass); it leaves the hint undefined for small texts. Undefined once read as "no",
// so on every hook-sized text the secretlint rules never ran, and a token glued to letters before it
// (which only secretlint's GitHub rule finds: our detectors want a boundary) reached the model.
import { describe, expect, it } from "vitest";
import { secretScanner } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

describe("secretlint runs unless the engine decided it cannot match", () => {
  const t = fakeTokens(7);
  const padding = "const value = compute(items);\n".repeat(4000); // ~120 KB: the automaton path
  for (const [size, prefix] of [
    ["small", ""],
    ["large", padding],
  ] as const) {
    it(`${size} text: a GitHub token glued after letters is found`, async () => {
      const text = `${prefix}mvabcdefQ7${t.github}\n`;
      const found = await secretScanner.scan(text);
      const at = text.indexOf(t.github);
      expect(found.some((f) => f.start <= at && f.end >= at + t.github.length - 4)).toBe(true);
    });
  }
});
