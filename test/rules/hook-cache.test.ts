// The hook cache: hash-only matching must find exactly what the plaintext matcher finds, the file
// must hold no plaintext form of any value, and the broker must refresh it on every store write.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildHookCache,
  createHashedMatcher,
  estimatedBits,
  hookCachePath,
  loadHookCache,
  MIN_SEARCHABLE_BITS,
} from "../../broker/hook-cache.js";
import { buildPatterns, createValueMatcher, encodingsOf } from "../../rules/managed-values.js";
import { assertBuilt, run, sandbox } from "../broker/helpers.js";

const VALUE_CHARS = [..."ABCXYZabcxyz0189_-+/=:.@!*'\"\\$&<>%#;é€"];
// Values strong enough to be searchable (weaker ones get no entry: see "values too weak" below).
const valueArb = fc
  .array(fc.constantFrom(...VALUE_CHARS), { minLength: 6, maxLength: 48 })
  .map((a) => a.join(""))
  .filter((v) => estimatedBits(v) >= MIN_SEARCHABLE_BITS);
const fillerArb = fc
  .array(fc.constantFrom(" ", "\n", "|", "{", "}", "\t"), { minLength: 0, maxLength: 12 })
  .map((a) => a.join(""));
const rnd = (n: number) =>
  randomBytes(n)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, n);

function hashed(values: Array<{ name: string; value: string }>) {
  const salt = randomBytes(16);
  const built = buildHookCache(values, salt);
  return createHashedMatcher({ salt: salt.toString("base64"), ...built });
}

describe("hashed matcher", () => {
  it("finds every encoded form of a value embedded in text, with the same ranges as the plaintext matcher", () => {
    fc.assert(
      fc.property(
        valueArb,
        fc.integer({ min: 0, max: 1000 }),
        fillerArb,
        fillerArb,
        (value, pick, before, after) => {
          const forms = encodingsOf(value).filter((f) => f.text.length >= 6);
          const form = forms[pick % forms.length]!.text;
          const text = `${before}${form}${after}`;
          const plain = createValueMatcher([{ name: "V", value }])
            .find(text)
            .map((m) => [m.start, m.end, m.name]);
          const byHash = hashed([{ name: "V", value }])
            .find(text)
            .map((m) => [m.start, m.end, m.name]);
          expect(byHash).toEqual(plain);
          expect(byHash.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds a value inside a larger base64 blob (Basic auth) and redacts with the name", () => {
    const value = rnd(24);
    const m = hashed([{ name: "API_KEY", value }]);
    const blob = Buffer.from(`user:${value}`).toString("base64");
    const r = m.redact(`Authorization: Basic ${blob}\nraw=${value}`);
    expect(r.text).not.toContain(value);
    expect(r.text).toContain("raw=[REDACTED:API_KEY]");
    expect(r.count).toBe(2);
  });

  it("handles many values and short windows (values shorter than 16 chars)", () => {
    // Strong enough to be searchable: a 12-character draw is all one case now and then (about one
    // run in twenty had such a value, which gets no entry by design, and failed).
    const strong = (n: number) => {
      for (;;) {
        const v = rnd(n);
        if (v.length === n && estimatedBits(v) >= MIN_SEARCHABLE_BITS) return v;
      }
    };
    const values = Array.from({ length: 60 }, (_, i) => ({
      name: `S${i}`,
      value: strong(i % 3 === 0 ? 12 : 30),
    }));
    const m = hashed(values);
    const text = values
      .map((v, i) => (i % 2 ? Buffer.from(v.value).toString("hex") : v.value))
      .join(" -- ");
    const found = m.find(text);
    expect(found.map((f) => f.name)).toEqual(values.map((v) => v.name));
    expect(hashed(values).find("nothing to see here ".repeat(500))).toEqual([]);
  });

  it("values too weak to guess-proof (6 digits, a short word) get no entry, only their name", () => {
    const values = [
      { name: "PIN", value: "482913" },
      { name: "WORD", value: "sunshine22" },
      { name: "HEX12", value: randomBytes(6).toString("hex") },
      { name: "TOKEN", value: rnd(24) },
    ];
    const salt = randomBytes(16);
    const built = buildHookCache(values, salt);
    expect(built.unsearchable).toEqual(["HEX12", "PIN", "WORD"]);
    expect(built.names).toEqual(["TOKEN"]);
    expect(new Set(built.entries.map((e) => e[4]))).toEqual(new Set([0]));
    const m = createHashedMatcher({ salt: salt.toString("base64"), ...built });
    expect(m.find(values.map((v) => v.value).join(" ")).map((f) => f.name)).toEqual(["TOKEN"]);
    expect(estimatedBits("482913")).toBeLessThan(21);
  });

  it("the cache holds no encoded form of a value, not even a 16-char window", () => {
    const value = rnd(40);
    const values = [{ name: "TOKEN", value }];
    const file = JSON.stringify(buildHookCache(values, randomBytes(16)));
    for (const p of buildPatterns(values).patterns) {
      expect(file.includes(p.text)).toBe(false);
      expect(file.includes(p.text.slice(0, 16))).toBe(false);
    }
  });
});

describe("broker wiring: secret set / rm / import refresh the cache", () => {
  it("set adds, rm removes, import adds; the hook cache never holds the value", () => {
    assertBuilt();
    const sb = sandbox();
    try {
      const a = rnd(32);
      const b = rnd(32);
      expect(run(sb, ["secret", "set", "ALPHA"], { input: a }).status).toBe(0);
      let cache = loadHookCache(sb.hookpackHome)!;
      expect(cache.matcher.names).toEqual(["ALPHA"]);
      expect(cache.matcher.find(`x ${a} y`).map((m) => m.name)).toEqual(["ALPHA"]);
      expect(readFileSync(hookCachePath(sb.hookpackHome), "utf8").includes(a)).toBe(false);

      const envFile = `${sb.dir}/app.env`;
      writeFileSync(envFile, `BETA_TOKEN=${b}\n`);
      expect(run(sb, ["secret", "import", envFile]).status).toBe(0);
      cache = loadHookCache(sb.hookpackHome)!;
      expect(cache.matcher.names).toEqual(["ALPHA", "BETA_TOKEN"]);
      expect(cache.matcher.find(encodeURIComponent(b)).map((m) => m.name)).toEqual(["BETA_TOKEN"]);

      expect(run(sb, ["secret", "rm", "ALPHA"]).status).toBe(0);
      cache = loadHookCache(sb.hookpackHome)!;
      expect(cache.matcher.names).toEqual(["BETA_TOKEN"]);
      expect(cache.matcher.find(a)).toEqual([]);
      expect(existsSync(hookCachePath(sb.hookpackHome))).toBe(true);
    } finally {
      sb.cleanup();
    }
  });

  it("an env-provider secret is cached from the value checked at `secret set`", () => {
    const sb = sandbox();
    try {
      const v = rnd(30);
      expect(
        run(sb, ["secret", "set", "FROM_ENV", "--env", "MY_VAR"], { env: { MY_VAR: v } }).status,
      ).toBe(0);
      expect(
        loadHookCache(sb.hookpackHome)!
          .matcher.find(v)
          .map((m) => m.name),
      ).toEqual(["FROM_ENV"]);
    } finally {
      sb.cleanup();
    }
  });

  it("the post-tool hook redacts a managed value by name and records the exposure in the audit log (name only)", () => {
    const sb = sandbox();
    try {
      const v = rnd(32);
      expect(run(sb, ["secret", "set", "LEAKY"], { input: v }).status).toBe(0);
      const payload = JSON.stringify({
        session_id: "s-audit",
        cwd: sb.dir,
        hook_event_name: "PostToolUse",
        tool_name: "Bash",
        tool_input: { command: "env" },
        tool_response: { stdout: `LEAKY=${v}\n`, stderr: "", interrupted: false, isImage: false },
      });
      const r = run(sb, ["hook", "claude-code"], { input: payload });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("LEAKY=[REDACTED:LEAKY]");
      expect(r.stdout.includes(v)).toBe(false);
      const log = readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8");
      expect(log).toMatch(
        /"kind":"exposure-found".*"where":"tool-output:Bash".*"secret":"LEAKY"|"kind":"exposure-found".*"secret":"LEAKY"/,
      );
      expect(log.includes(v)).toBe(false);
    } finally {
      sb.cleanup();
    }
  });

  it("the exposure entry carries the session under each agent's own field name (Copilot: sessionId)", () => {
    const sb = sandbox();
    try {
      const v = rnd(32);
      expect(run(sb, ["secret", "set", "LEAKY"], { input: v }).status).toBe(0);
      const payload = JSON.stringify({
        sessionId: "copilot-sess-7",
        timestamp: 1795391165643,
        cwd: sb.dir,
        toolName: "bash",
        toolArgs: { command: "env" },
        toolResult: { resultType: "success", textResultForLlm: `LEAKY=${v}\n` },
      });
      const r = run(sb, ["hook", "copilot"], { input: payload });
      expect(r.status, r.stderr).toBe(0);
      const entries = readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const exposure = entries.find((e) => e.kind === "exposure-found" && e.secret === "LEAKY");
      expect(exposure, JSON.stringify(entries)).toMatchObject({
        agent: "copilot",
        session: "copilot-sess-7",
      });
    } finally {
      sb.cleanup();
    }
  });
});
