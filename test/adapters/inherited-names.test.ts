// Event and tool names are looked up in per-agent tables. A name that is a key of every object's
// prototype (`constructor`, `toString`, `__proto__`, `hasOwnProperty`) must read as unknown, not as
// the inherited function: a tool kind that is a function would match no rule's `kind === "shell"`
// and slip past every check keyed on the kind.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADAPTERS } from "../../adapters/index.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { loadFixtures } from "../helpers/fixtures.js";
import { REPO } from "../helpers/run.js";

const INHERITED = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"];
/** Payload fields that name an event or a tool, in any agent's wire format. */
const NAME_FIELDS = new Set([
  "hook_event_name",
  "hookEventName",
  "agent_action_name",
  "tool_name",
  "toolName",
  "tool",
]);
const EVENT_KINDS = ["before-tool", "after-tool", "session-start", "session-end", "prompt"];

/** Copies of `payload` with each name field in turn set to `name`. */
function variants(payload: unknown, name: string): unknown[] {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return [];
  const out: unknown[] = [];
  for (const key of Object.keys(payload))
    if (NAME_FIELDS.has(key) && typeof (payload as Record<string, unknown>)[key] === "string")
      out.push({ ...payload, [key]: name });
  return out;
}

describe("names inherited from Object.prototype are unknown names", () => {
  const tokens = fakeTokens();
  for (const adapter of Object.values(ADAPTERS)) {
    it(`${adapter.id}: classify and parse never return an inherited function`, async () => {
      const dir = join(REPO, "test", "fixtures", "payloads", adapter.id);
      let tried = 0;
      for (const fixture of existsSync(dir) ? loadFixtures(dir, tokens) : []) {
        let payload: unknown;
        try {
          payload = JSON.parse(fixture.input);
        } catch {
          continue;
        }
        for (const name of INHERITED)
          for (const variant of variants(payload, name)) {
            tried++;
            const kind = adapter.classify(variant);
            expect(typeof kind, `${fixture.name} ${name}`).toBe("string");
            expect(["unknown", ...EVENT_KINDS], `${fixture.name} ${name}`).toContain(kind);
            let parsed: Awaited<ReturnType<typeof adapter.parse>>;
            try {
              parsed = await adapter.parse(variant);
            } catch {
              continue; // refused as malformed: the failure policy decides, not a lookup
            }
            if (parsed.kind === "event" && "tool" in parsed.event)
              expect(typeof parsed.event.tool.kind, `${fixture.name} ${name}`).toBe("string");
          }
      }
      // Every adapter with fixtures has name fields to try (the test is not vacuous).
      if (existsSync(dir)) expect(tried).toBeGreaterThan(0);
    });
  }
});
