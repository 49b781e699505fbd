import { describe, expect, it } from "vitest";
import type { Verdict } from "../../hooks/event.js";
import { foldVerdicts } from "../../rules/rule.js";

const allow: Verdict = { kind: "allow" };
const deny = (code: string): Verdict => ({ kind: "deny", code, reason: `r-${code}` });
const ask: Verdict = { kind: "ask", code: "ASK", reason: "confirm" };
const rewrite = (command: string): Verdict => ({
  kind: "rewrite",
  patch: { command },
  reason: `rw-${command}`,
});
const warn: Verdict = { kind: "warn", code: "W", message: "careful" };

describe("foldVerdicts", () => {
  it("nothing said is a plain proceed that leaves permission to the agent", () => {
    expect(foldVerdicts([allow])).toMatchObject({
      kind: "proceed",
      permission: "default",
      patch: undefined,
      hasOutput: false,
      warnings: [],
    });
  });

  it("deny beats everything, and every deny reason is kept", () => {
    const d = foldVerdicts([rewrite("a"), deny("A"), ask, deny("B"), warn]);
    expect(d).toEqual({ kind: "deny", codes: ["A", "B"], reason: "r-A\n\nr-B" });
  });

  it("ask beats rewrite but keeps the rewrite (the user sees the rewritten call)", () => {
    const d = foldVerdicts([rewrite("a"), ask]);
    expect(d).toMatchObject({ kind: "proceed", permission: "ask", patch: { command: "a" } });
    expect(d.kind === "proceed" && d.reason?.startsWith("confirm")).toBe(true);
  });

  it("rewrites compose in rule order; the last patch wins per field", () => {
    // A rewrite leaves the permission decision to the agent (issue 14: a reference never upgrades it).
    expect(foldVerdicts([rewrite("a"), rewrite("b")])).toMatchObject({
      permission: "default",
      patch: { command: "b" },
    });
  });

  it("warnings ride along with any proceed", () => {
    expect(foldVerdicts([warn, allow])).toMatchObject({
      kind: "proceed",
      warnings: ["careful"],
      codes: ["W"],
    });
  });

  it("redact carries the replacement output", () => {
    const d = foldVerdicts([{ kind: "redact", output: { stdout: "x" }, reason: "r", count: 1 }]);
    expect(d).toMatchObject({ kind: "proceed", hasOutput: true, output: { stdout: "x" } });
  });
});
