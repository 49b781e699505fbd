// Contract test: every fixture payload goes through the real, built hook process.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import {
  loadFixtures,
  sameShape,
  writeExpected,
  type ExpectedResponse,
} from "../helpers/fixtures.js";
import { hookpack, REPO, sandbox } from "../helpers/run.js";

const tokens = fakeTokens(3);
const fixtures = loadFixtures(join(REPO, "test", "fixtures", "payloads", "claude-code"), tokens);
const box = sandbox();
afterAll(() => box.cleanup());

function parseStdout(stdout: string): unknown {
  if (stdout === "") return null;
  // Exactly one JSON document, newline-terminated.
  expect(stdout.endsWith("\n")).toBe(true);
  expect(stdout.trimEnd().includes("\n")).toBe(false);
  return JSON.parse(stdout);
}

describe("claude-code fixtures through the real hook", () => {
  it("has fixtures for every outcome", () => {
    const outcomes = new Set(fixtures.map((f) => f.name.split(".")[0]));
    expect([...outcomes].sort()).toEqual([
      "allow",
      "deny",
      "fail-closed",
      "fail-open",
      "ignored",
      "redact",
    ]);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))("%s", async (_name, fixture) => {
    const result = await hookpack(["hook", "claude-code"], {
      input: fixture.input,
      env: box.env,
      cwd: box.project,
    });
    const stdout = parseStdout(result.stdout);

    // Invariants over every fixture.
    expect([0, 1, 2]).toContain(result.exitCode);
    for (const [key, value] of Object.entries(tokens)) {
      expect(result.stdout.includes(value), `${key} leaked to stdout`).toBe(false);
      expect(result.stderr.includes(value), `${key} leaked to stderr`).toBe(false);
    }
    const specific = (stdout as { hookSpecificOutput?: Record<string, unknown> } | null)
      ?.hookSpecificOutput;
    if (specific) expect(["PreToolUse", "PostToolUse"]).toContain(specific.hookEventName);

    const outcome = fixture.name.split(".")[0];
    if (outcome === "allow" || outcome === "ignored") {
      expect(result.exitCode).toBe(0);
      expect(stdout).toBeNull();
    } else if (outcome === "deny") {
      expect(result.exitCode).toBe(0);
      expect(specific?.permissionDecision).toBe("deny");
      expect(String(specific?.permissionDecisionReason)).toMatch(/\$secret:[A-Z_]+/);
    } else if (outcome === "redact") {
      const original = (JSON.parse(fixture.input) as { tool_response: unknown }).tool_response;
      expect(result.exitCode).toBe(0);
      expect(
        sameShape(original, specific?.updatedToolOutput),
        "updatedToolOutput must keep the tool's output shape",
      ).toBe(true);
      expect(JSON.stringify(specific?.updatedToolOutput)).toContain("[REDACTED:");
    } else if (outcome === "fail-open") {
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/^hookpack: .*let through/);
    } else if (outcome === "fail-closed") {
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^hookpack: .*blocked/);
    }

    const actual: ExpectedResponse = {
      exitCode: result.exitCode ?? -1,
      stdout,
      // The first clause only: what follows can quote Node version-specific parser messages.
      stderrContains: result.stderr
        ? [result.stderr.split("\n")[0]!.split(" (")[0]!.split(". ")[0]!]
        : [],
    };
    if (process.env.UPDATE_FIXTURES === "1" || !fixture.expected) {
      writeExpected(fixture, actual, tokens);
      if (process.env.UPDATE_FIXTURES !== "1")
        throw new Error(
          `${fixture.name}: response.json was missing and has been written; review it and run again`,
        );
      return;
    }
    expect(actual.exitCode).toBe(fixture.expected.exitCode);
    expect(actual.stdout).toEqual(fixture.expected.stdout);
    for (const part of fixture.expected.stderrContains) expect(result.stderr).toContain(part);
  });
});
