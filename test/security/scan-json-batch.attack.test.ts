// h21-scanrest: `hookpack scan` no longer calls the engines once per JSON string: one automaton
// pass over all of a file's strings decides which can hold a finding (scanners/state-files.ts
// batchFinder), and only those are scanned. The agent places a token exactly where that skip
// could miss it: hidden behind \u escapes (the raw text shows no anchor), split over JSON escapes,
// next to terminal colour codes, across the engine's 32 KB chunks inside a huge string, at a
// string's first and last character among thousands of clean strings, a stored value with no
// detector anchor, in a JSONL transcript, in UTF-16 JSON, and in JSON that does not parse. Each
// planted file is an attempt through the real CLI (dist/hookpack.cjs) with a real store:
// contained = scan fails, reports that file with the planted value's rule, and prints no value.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const T = fakeTokens(2103);
const rand = () => Math.random().toString(36).slice(2, 12);
// A stored value: no provider prefix, so only the managed matcher finds it.
const STORED = `mv${rand()}${rand()}Zk`;
const values = [T.github, T.npm, T.slackBot, T.stripe, T.gitlab, T.figma, T.sendgrid, STORED];

const esc = (s: string) => JSON.stringify(s).slice(1, -1);
const uEscaped = (s: string) =>
  [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
const clean = (n: number) =>
  Array.from({ length: n }, (_, i) => `plain item number ${i} with words only`);
const code = (n: number) => {
  const line = "const total = items.reduce((sum, item) => sum + item.price, 0);\\n";
  return line.repeat(Math.ceil(n / line.length)).slice(0, n);
};

/** file → (content, what must be found in it). */
function planted(): Record<string, { body: string | Buffer; expect: "detected" | "managed" }> {
  const json = (v: unknown) => JSON.stringify(v);
  return {
    "unicode-escaped.json": { body: `{"k": "${uEscaped(T.github)}"}`, expect: "detected" },
    "half-escaped.json": {
      body: `{"a": ["x", "${T.npm.slice(0, 3)}${uEscaped(T.npm.slice(3, 4))}${T.npm.slice(4)}"]}`,
      expect: "detected",
    },
    "escaped-slash-url.json": {
      body: `{"u": "${esc(T.slackBot).replace(/-/g, "\\u002d")}"}`,
      expect: "detected",
    },
    "ansi-colour.json": {
      body: json({ out: `\u001b[31m${T.stripe}\u001b[0m`, more: clean(50) }),
      expect: "detected",
    },
    "huge-string-chunk-edge.json": {
      body: `{"log": "${code(32 * 1024 - 10)} ${T.gitlab} ${code(100_000)}"}`,
      expect: "detected",
    },
    "huge-string-second-chunk.json": {
      body: `{"log": "${code(64 * 1024 - 3)} ${T.figma} ${code(70_000)}"}`,
      expect: "detected",
    },
    "first-of-many.json": { body: json([T.sendgrid, ...clean(5000)]), expect: "detected" },
    "last-of-many.json": { body: json({ a: clean(5000), z: T.github }), expect: "detected" },
    "deep-among-many.json": {
      body: json({ a: { b: [clean(2000), { c: [[{ d: `token: ${T.npm}` }]] }, clean(2000)] } }),
      expect: "detected",
    },
    "managed-value.json": {
      body: json({ a: clean(3000), cmd: `deploy --key=${STORED}` }),
      expect: "managed",
    },
    "managed-escaped.json": {
      body: `{"a": "${uEscaped(STORED)}"}`,
      expect: "managed",
    },
    "transcript.jsonl": {
      body: [
        ...clean(200).map((c) => json({ type: "text", text: c })),
        `{"type": "tool_result", "content": "${uEscaped(T.stripe)}"}`,
        ...clean(200).map((c) => json({ type: "text", text: c })),
      ].join("\n"),
      expect: "detected",
    },
    "utf16.json": {
      body: Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(json({ a: clean(20), k: T.github }), "utf16le"),
      ]),
      expect: "detected",
    },
    "invalid.json": {
      body: `{"a": ${json(clean(100))}, "k": "${T.slackBot}",}`,
      expect: "detected",
    },
  };
}

let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });

beforeAll(async () => {
  sb = sandbox();
  const envFile = join(sb.root, "import.env");
  writeFileSync(envFile, `JSON_STORED=${STORED}\n`);
  const r = await hookpack(["secret", "import", envFile], { env: env(), cwd: sb.root });
  expect(r.exitCode, r.stderr).toBe(0);
}, 60_000);
afterAll(() => sb?.cleanup());

describe("attack: a token where the JSON batch prefilter skips strings", () => {
  it("every planted JSON file is reported by `hookpack scan`, and no value is printed", async () => {
    const dir = join(sb.root, "json-tree");
    mkdirSync(dir, { recursive: true });
    const files = planted();
    for (const [name, f] of Object.entries(files)) writeFileSync(join(dir, name), f.body);
    // Clean JSON around them: nothing may be reported there.
    for (let i = 0; i < 200; i++)
      writeFileSync(join(dir, `clean-${i}.json`), JSON.stringify({ i, items: clean(20) }));
    const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.root });
    const t = tally("scan: token in a JSON string the batch prefilter could skip");
    expect(r.exitCode, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      findings: Array<{ path: string; ruleId: string; secret?: string }>;
    };
    const printed = r.stdout + r.stderr;
    const noValue = values.every((v) => !printed.includes(v));
    for (const [name, f] of Object.entries(files)) {
      const hits = report.findings.filter((x) => x.path === join(dir, name));
      const ok =
        f.expect === "managed"
          ? hits.some((x) => x.secret === "JSON_STORED")
          : hits.some((x) => x.ruleId !== "managed-value");
      t.attempt(ok && noValue);
      expect(ok, `${name} not reported`).toBe(true);
    }
    expect(noValue).toBe(true);
    expect(report.findings.filter((x) => x.path.includes("clean-"))).toEqual([]);
  }, 120_000);
});
