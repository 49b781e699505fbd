// Golden answers of every adapter, in process: for each recorded fixture payload, what `classify`
// and `parse` make of it and what `render` answers for each kind of decision, plus `renderFailure`,
// doctor's probe and the config layout. The adapters share code (adapters/common.ts); this file
// proves a reshaping changed no byte on any agent's wire. `UPDATE_GOLDEN=1` rewrites the JSON (the
// fake token values are put back as `{{FAKE_…}}` placeholders, so it holds no token-shaped string).
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Decision, HookEvent } from "../../hooks/event.js";
import type { Adapter } from "../../adapters/adapter.js";
import { ADAPTERS } from "../../adapters/index.js";
import { claudeCode } from "../../adapters/claude-code.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { loadFixtures } from "../helpers/fixtures.js";
import { REPO } from "../helpers/run.js";

const tokens = fakeTokens(3);
const GOLDEN = join(REPO, "test", "fixtures", "adapter-render-golden.json");

/** Every kind of decision the pipeline hands an adapter, with plain (not token-shaped) texts. */
function decisions(event: HookEvent): Record<string, Decision> {
  const proceed = (over: Partial<Extract<Decision, { kind: "proceed" }>>): Decision => ({
    kind: "proceed",
    permission: "default",
    codes: [],
    reason: undefined,
    patch: undefined,
    output: undefined,
    hasOutput: false,
    warnings: [],
    ...over,
  });
  const redacted =
    event.kind === "after-tool" && typeof event.output === "object" && event.output !== null
      ? { ...(event.output as object), redactedBy: "golden" }
      : "[output redacted by golden]";
  return {
    deny: { kind: "deny", codes: ["GOLDEN_DENY"], reason: "golden deny reason" },
    plain: proceed({}),
    allow: proceed({ permission: "allow", reason: "golden allow reason" }),
    ask: proceed({ permission: "ask", codes: ["GOLDEN_ASK"], reason: "golden ask reason" }),
    askNoReason: proceed({ permission: "ask" }),
    warn: proceed({ codes: ["GOLDEN_WARN"], warnings: ["golden warning one", "golden two"] }),
    rewrite: proceed({
      codes: ["GOLDEN_REWRITE"],
      reason: "golden rewrite reason",
      patch: { command: "hookpack exec --grant golden -- true" },
    }),
    rewriteAsk: proceed({
      permission: "ask",
      codes: ["GOLDEN_REWRITE"],
      reason: "golden rewrite reason",
      patch: { command: "hookpack exec --grant golden -- true" },
      warnings: ["golden warning"],
    }),
    redact: proceed({
      codes: ["REDACTED"],
      reason: "golden redact reason",
      output: redacted,
      hasOutput: true,
    }),
    redactWarn: proceed({
      codes: ["REDACTED", "GOLDEN_WARN"],
      reason: "golden redact reason",
      output: redacted,
      hasOutput: true,
      warnings: ["golden warning"],
    }),
  };
}

async function attempt<T>(f: () => T | Promise<T>): Promise<T | { threw: string }> {
  try {
    return await f();
  } catch (error) {
    return { threw: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

async function goldenOf(adapter: Adapter): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  out.failure = {
    closed: adapter.renderFailure("closed", "hookpack: golden failure"),
    open: adapter.renderFailure("open", "hookpack: golden failure"),
  };
  out.probe = adapter.probe
    ? {
        harmless: adapter.probe.harmless("/golden/cwd"),
        malformed: adapter.probe.malformed("/golden/cwd"),
        ok: adapter.probe.refusal({ exitCode: 0, stdout: "", stderr: "" }) ?? null,
        exit1: adapter.probe.refusal({ exitCode: 1, stdout: "", stderr: "" }) ?? null,
        exit2: adapter.probe.refusal({ exitCode: 2, stdout: "", stderr: "" }) ?? null,
        notJson: adapter.probe.refusal({ exitCode: 0, stdout: "x", stderr: "" }) ?? null,
      }
    : null;
  out.config = JSON.parse(
    JSON.stringify(adapter.config, (_k, v: unknown) =>
      typeof v === "function"
        ? {
            sample: (v as (r: unknown, c: string) => unknown)(
              { event: "GoldenEvent", matcher: "*", timeout: 30, name: "hookpack" },
              "hookpack hook golden",
            ),
          }
        : v,
    ),
  );
  out.capabilities = adapter.capabilities;
  const dir = join(REPO, "test", "fixtures", "payloads", adapter.id);
  const fixtures: Record<string, unknown> = {};
  for (const fixture of existsSync(dir) ? loadFixtures(dir, tokens) : []) {
    let payload: unknown;
    try {
      payload = JSON.parse(fixture.input);
    } catch {
      fixtures[fixture.name] = { notJson: true };
      continue;
    }
    const row: Record<string, unknown> = { classify: adapter.classify(payload) };
    const parsed = await attempt(() => adapter.parse(payload));
    row.parsed = parsed;
    if ("kind" in parsed && parsed.kind === "event") {
      const renders: Record<string, unknown> = {};
      for (const [name, decision] of Object.entries(decisions(parsed.event)))
        renders[name] = await attempt(() => adapter.render(decision, parsed.event, payload));
      row.render = renders;
      if (adapter.outputText && parsed.event.kind === "after-tool")
        row.outputText = adapter.outputText(parsed.event.output);
    }
    fixtures[fixture.name] = row;
  }
  out.fixtures = fixtures;
  return out;
}

/** JSON text with every fake token value put back as its placeholder. */
function scrub(value: unknown): string {
  let text = `${JSON.stringify(value, null, 1)}\n`;
  for (const [key, token] of Object.entries(tokens)) {
    const placeholder = `{{FAKE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}}}`;
    // As it stands, JSON-escaped once, and twice (a payload echoed inside a JSON string).
    const once = JSON.stringify(token).slice(1, -1);
    for (const form of [JSON.stringify(once).slice(1, -1), once, token])
      text = text.split(form).join(placeholder);
  }
  return text;
}

describe("every adapter's answers are byte-identical to the recorded golden file", () => {
  it("classify, parse, render (every decision kind), renderFailure, probe and config", async () => {
    const all: Record<string, unknown> = {};
    for (const adapter of [...Object.values(ADAPTERS), claudeCode])
      all[adapter === claudeCode ? "claude-code(raw)" : adapter.id] = await goldenOf(adapter);
    const text = scrub(all);
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, text);
    const fixtureCount = Object.values(all).reduce(
      (n: number, a) => n + Object.keys((a as { fixtures: object }).fixtures).length,
      0,
    );
    expect(fixtureCount).toBeGreaterThan(80);
    expect(readdirSync(join(REPO, "test", "fixtures", "payloads")).length).toBe(9);
    expect(text).toBe(readFileSync(GOLDEN, "utf8"));
  });
});
