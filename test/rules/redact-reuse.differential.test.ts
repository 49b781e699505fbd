// Issue 21 (h21-post6): redact-tool-output hands on the prefilter's view of a text (the text with
// its stored values replaced) as the redacted output instead of building a second copy, when that
// view is exactly the redaction: the stored values' hits sorted and apart, and no detector hit.
// A reuse at the wrong moment would show the model a text redacted by the wrong hit list (a
// detector's token left in, or an overlap half-redacted). Differential: for random hit lists from a
// fake store (sorted or not, apart, touching, overlapping, nested, empty) and a fake detector
// (none, or hits anywhere, touching or covering the stored ones), the rule's output must be EXACTLY
// applyHits(text, findSecrets(text)) — the answer built the old way — leaf by leaf.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HookEvent, Verdict } from "../../hooks/event.js";
import { applyHits, findSecrets, redactToolOutput } from "../../rules/redact-tool-output.js";
import type { ManagedSecrets, RuleContext } from "../../rules/rule.js";
import type { SecretScanner } from "../../rules/secretlint.js";
import { fakeFiles } from "../helpers/fake-files.js";

type Span = { start: number; end: number };

const spans = (len: number) =>
  fc.array(
    fc
      .tuple(fc.integer({ min: 0, max: len }), fc.integer({ min: 0, max: 12 }))
      .map(([s, n]) => ({ start: s, end: Math.min(len, s + n) })),
    { maxLength: 5 },
  );

/** Sorted and apart spans, touching allowed: the shape the real store returns. */
const apart = (len: number) =>
  spans(len).map((list) => {
    const out: Span[] = [];
    for (const s of [...list].sort((a, b) => a.start - b.start))
      if (!out.length || s.start >= out[out.length - 1]!.end) out.push(s);
    return out;
  });

const texts = fc.oneof(
  fc.string({ minLength: 6, maxLength: 80 }),
  fc.constantFrom("abcdefghijklmnopqrstuvwxyz0123456789", "x".repeat(64)),
);

const fixture = texts.chain((text) =>
  fc.record({
    text: fc.constant(text),
    stored: fc.oneof(apart(text.length), spans(text.length)),
    detected: fc.oneof(fc.constant([] as Span[]), spans(text.length)),
    // The detector's prefilter: whether it says "maybe" for the view it is shown.
    trips: fc.boolean(),
  }),
);

// The fakes find their spans in the fixture's text only (not in the output's keys).
function contextFor(f: { text: string; stored: Span[]; detected: Span[]; trips: boolean }) {
  const scanner: SecretScanner = {
    mayContainSecret: () => f.trips,
    scan: async (t) =>
      t !== f.text
        ? []
        : f.detected.map(
            (d) => ({ ...d, ruleId: "fake-rule", message: "", messageId: "m" }) as never,
          ),
  };
  const managed: ManagedSecrets = {
    home: "/nonexistent-hookpack-home",
    find: (t) => (t !== f.text ? [] : f.stored.map((s, i) => ({ ...s, name: `S${i % 3}` }))),
    exposed: () => {},
  };
  const ctx: RuleContext = {
    scanner,
    files: fakeFiles({}, "/nonexistent-hookpack-home"),
    noteSecret: () => {},
    managed,
  };
  return ctx;
}

const event = (output: unknown): HookEvent =>
  ({
    kind: "after-tool",
    agent: "claude-code",
    session: { id: "s", cwd: "/nonexistent-hookpack-proj", transcriptPath: undefined },
    tool: { kind: "shell", name: "Bash", id: "t", command: "x", fields: [] },
    output,
  }) as HookEvent;

const outputOf = (v: Verdict): unknown => (v.kind === "redact" ? v.output : undefined);

describe("redact-tool-output: the prefilter's view reused as the output", () => {
  it("is exactly applyHits(text, findSecrets(text)) for any hit lists", async () => {
    let reusable = 0;
    let redacted = 0;
    await fc.assert(
      fc.asyncProperty(fixture, async (f) => {
        const ctx = contextFor(f);
        const hits = await findSecrets(f.text, "tool-output.txt", ctx.scanner, ctx.managed);
        const expected = applyHits(f.text, hits);
        const v = await redactToolOutput.check(event({ stdout: f.text, stderr: f.text }), ctx);
        if (hits.length === 0) {
          expect(v.kind).toBe("allow");
          return;
        }
        redacted++;
        const apartStored = f.stored.every(
          (s, i) =>
            i === 0 || (f.stored[i - 1]!.end <= s.start && f.stored[i - 1]!.start < s.start),
        );
        if (f.stored.length > 0 && apartStored && (!f.trips || f.detected.length === 0)) reusable++;
        expect(outputOf(v)).toEqual({ stdout: expected, stderr: expected });
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: both the reused path and the rebuilt one ran many times.
    expect(reusable).toBeGreaterThan(300);
    expect(redacted - reusable).toBeGreaterThan(300);
  });

  it("touching stored values, a detector hit touching or covering one, a value at each end", async () => {
    const text = "AAAAAABBBBBB-middle-CCCCCC";
    const cases: Array<{ stored: Span[]; detected: Span[] }> = [
      { stored: [{ start: 0, end: 6 }], detected: [] },
      { stored: [{ start: 20, end: 26 }], detected: [] },
      {
        stored: [
          { start: 0, end: 6 },
          { start: 6, end: 12 },
        ],
        detected: [],
      },
      { stored: [{ start: 0, end: 6 }], detected: [{ start: 6, end: 12 }] },
      { stored: [{ start: 0, end: 6 }], detected: [{ start: 3, end: 9 }] },
      { stored: [{ start: 6, end: 12 }], detected: [{ start: 0, end: 26 }] },
      {
        stored: [
          { start: 6, end: 12 },
          { start: 0, end: 6 },
        ],
        detected: [],
      },
      {
        stored: [
          { start: 0, end: 9 },
          { start: 6, end: 12 },
        ],
        detected: [],
      },
    ];
    for (const c of cases) {
      const ctx = contextFor({ ...c, text, trips: true });
      const hits = await findSecrets(text, "tool-output.txt", ctx.scanner, ctx.managed);
      const v = await redactToolOutput.check(event({ stdout: text }), ctx);
      expect(outputOf(v)).toEqual({ stdout: applyHits(text, hits) });
      const shown = (outputOf(v) as { stdout: string }).stdout;
      for (const s of [...c.stored, ...c.detected])
        expect(shown).not.toContain(text.slice(s.start, s.end));
    }
  });
});
