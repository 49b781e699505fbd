// The fast path may only vouch for payloads zod accepts: it is a shortcut, never a second opinion.
import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fastValidate } from "../../adapters/claude-code-fast.js";
import { validateClaudePayload } from "../../adapters/claude-code-schemas.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { loadFixtures } from "../helpers/fixtures.js";
import { REPO } from "../helpers/run.js";

const payloads = loadFixtures(
  join(REPO, "test", "fixtures", "payloads", "claude-code"),
  fakeTokens(3),
)
  .filter(
    (f) =>
      f.name.startsWith("allow.") || f.name.startsWith("deny.") || f.name.startsWith("redact."),
  )
  .flatMap((f) => {
    try {
      return [JSON.parse(f.input) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

const zodAccepts = (payload: unknown) => {
  try {
    validateClaudePayload(payload);
    return true;
  } catch {
    return false;
  }
};

const TOOLS = [
  "Bash",
  "Read",
  "Write",
  "Edit",
  "MultiEdit",
  "NotebookEdit",
  "Grep",
  "Glob",
  "WebFetch",
  "WebSearch",
  "mcp__x__y",
  "Task",
  "",
];
const EVENTS = [
  "PreToolUse",
  "PostToolUse",
  "SessionStart",
  "SessionEnd",
  "Stop",
  "UserPromptSubmit",
];
const KEYS = [
  "session_id",
  "cwd",
  "transcript_path",
  "hook_event_name",
  "permission_mode",
  "tool_name",
  "tool_input",
  "tool_use_id",
  "tool_response",
  "source",
  "reason",
];
const INPUT_KEYS = [
  "command",
  "file_path",
  "content",
  "old_string",
  "new_string",
  "edits",
  "pattern",
  "path",
  "url",
  "query",
  "notebook_path",
  "run_in_background",
];

type Mutation = (p: Record<string, unknown>) => Record<string, unknown>;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...KEYS).map(
    (k): Mutation =>
      (p) =>
        Object.fromEntries(Object.entries(p).filter(([key]) => key !== k)),
  ),
  fc
    .tuple(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 2 }))
    .map(([k, v]): Mutation => (p) => ({ ...p, [k]: v })),
  fc.constantFrom(...TOOLS).map((t): Mutation => (p) => ({ ...p, tool_name: t })),
  fc.constantFrom(...EVENTS).map((e): Mutation => (p) => ({ ...p, hook_event_name: e })),
  fc
    .tuple(fc.constantFrom(...INPUT_KEYS), fc.jsonValue({ maxDepth: 2 }))
    .map(([k, v]): Mutation => (p) => ({
      ...p,
      tool_input:
        typeof p.tool_input === "object" && p.tool_input !== null && !Array.isArray(p.tool_input)
          ? { ...p.tool_input, [k]: v }
          : { [k]: v },
    })),
  fc.constantFrom(...INPUT_KEYS).map((k): Mutation => (p) => {
    const input =
      typeof p.tool_input === "object" && p.tool_input !== null
        ? { ...(p.tool_input as Record<string, unknown>) }
        : {};
    delete input[k];
    return { ...p, tool_input: input };
  }),
);

describe("Claude Code fast validation", () => {
  it("vouches for every valid fixture (so the usual call never loads zod)", () => {
    expect(payloads.length).toBeGreaterThan(10);
    for (const p of payloads) {
      expect(zodAccepts(p)).toBe(true);
      expect(fastValidate(p)).toBe(true);
    }
  });

  it("never vouches for a payload zod rejects (random mutations of real payloads)", () => {
    let rejectedByZod = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...payloads),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (payload, mutations) => {
          const mutated = mutations.reduce((p, m) => m(p), payload);
          const accepted = zodAccepts(mutated);
          if (!accepted) rejectedByZod++;
          if (fastValidate(mutated))
            expect(accepted, JSON.stringify(mutated).slice(0, 400)).toBe(true);
        },
      ),
      { numRuns: 5000, seed: 20261122 },
    );
    // The generator must actually produce invalid payloads, or the property proves nothing.
    expect(rejectedByZod).toBeGreaterThan(1000);
  });
});
