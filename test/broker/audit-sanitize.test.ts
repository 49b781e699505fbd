// The audit log's value filter (broker/audit.ts sanitize): what it skips must be what the
// prefilter would pass anyway, and a memoised answer must never let a value through.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AUDIT_KINDS, KNOWN_WORDS, auditPath, recordAudit } from "../../broker/audit.js";
import { PREFILTER } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function home(): string {
  const d = mkdtempSync(join(tmpdir(), "hookpack-audit-san-"));
  dirs.push(d);
  return join(d, "hp");
}

describe("audit sanitize", () => {
  it("every word skipped without a prefilter call is one the prefilter passes", () => {
    expect(KNOWN_WORDS.size).toBeGreaterThan(60);
    for (const kind of AUDIT_KINDS) expect(KNOWN_WORDS.has(kind)).toBe(true);
    const flagged = [...KNOWN_WORDS].filter((w) => PREFILTER.test(w));
    expect(flagged).toEqual([]);
  });

  it("asks the prefilter once per distinct string of an append, never for the known words", () => {
    const h = home();
    const asked: string[] = [];
    const looksSecret = (t: string) => (asked.push(t), PREFILTER.test(t));
    const ctx = { agent: "claude-code", session: "sess-1", cwd: "/work/p" };
    recordAudit(
      h,
      [
        { kind: "exposure-found", ...ctx, where: "tool-output:Bash", secret: "API_TOKEN" },
        { kind: "output-redacted", ...ctx, tool: "Bash", count: 1, secrets: ["API_TOKEN"] },
      ],
      { looksSecret },
    );
    expect(asked.filter((t) => KNOWN_WORDS.has(t))).toEqual([]);
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked).toEqual(
      expect.arrayContaining(["claude-code", "sess-1", "/work/p", "tool-output:Bash", "API_TOKEN"]),
    );
  });

  it("a value repeated across entries, as a value and as a key, is withheld everywhere", () => {
    const h = home();
    const token = fakeTokens().github;
    recordAudit(h, [
      { kind: "exposure-found", agent: "claude-code", where: token, secret: "A" },
      { kind: "output-redacted", agent: token, tool: "Bash", count: 1, secrets: [token, "B"] },
      {
        kind: "audit-notice",
        code: "LOCK_HELD",
        message: "m",
        ...({ [token]: 1 } as Record<string, number>),
      },
    ]);
    const text = readFileSync(auditPath(h), "utf8");
    expect(text).not.toContain(token);
    expect(text.match(/\[withheld: looked like a secret\]/g)?.length).toBe(3);
    expect(text).toContain("[withheld key 1: looked like a secret]");
  });
});
