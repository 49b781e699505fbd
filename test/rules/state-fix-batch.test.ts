// h21-scanrest: a JSON state file's strings are decided in one automaton pass (Finder.mayFindEach,
// scanners/state-files.ts batchFinder) and walked without a path per leaf (rules/state-fix.ts
// stringLeaves), instead of one engine call and one promise per string. The findings and the
// fixed text must be exactly what the per-string path gives: compared here over varied JSON
// (nested, escaped, huge strings, tokens across the engine's 32 KB chunks, keys, managed values
// with no detector anchor, terminal escapes, invalid JSON read as text), in every mode.
import { beforeAll, describe, expect, it } from "vitest";
import { forEachString } from "../../core/json-walk.js";
import type { ManagedSecrets } from "../../rules/rule.js";
import { secretScanner, warmUpPrefilter, type SecretScanner } from "../../rules/secretlint.js";
import { makeFinder } from "../../rules/state-clean.js";
import { fixStateText, type Finder } from "../../rules/state-fix.js";
import { batchFinder } from "../../scanners/state-files.js";
import { fakeTokens, seeded } from "../helpers/fake-secrets.js";

// `hookpack scan`'s scanner: bulk mode, no hook prefilter (cli/commands/scan.ts).
const bulk: SecretScanner = { ...secretScanner, mayContainSecret: () => true };
beforeAll(() => warmUpPrefilter());

const T = fakeTokens(21);
const T2 = fakeTokens(22);
/** A stored value no detector record anchors on (lower-case letters and digits only). */
const STORED = "q7v2m9x4k8w3z6p1r5t0";
const managed: ManagedSecrets = {
  home: "/nonexistent",
  find(text) {
    const out: Array<{ start: number; end: number; name: string }> = [];
    for (let i = text.indexOf(STORED); i !== -1; i = text.indexOf(STORED, i + STORED.length))
      out.push({ start: i, end: i + STORED.length, name: "STORED_VALUE" });
    return out;
  },
  exposed() {},
};

const esc = (s: string) => JSON.stringify(s).slice(1, -1);
/** Every character as \uXXXX: the raw text shows no anchor, the parsed string holds the token. */
const uEscaped = (s: string) =>
  [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
const filler = (rand: () => number, n: number) => {
  const words = ["const", "value", "return", "the", "data", "items", "map", "{", "}", ";", "\n"];
  let out = "";
  while (out.length < n) out += `${words[Math.floor(rand() * words.length)]} `;
  return out.slice(0, n);
};

function corpus(): Array<{ name: string; text: string }> {
  const rand = seeded(2121);
  const docs: Array<{ name: string; text: string }> = [];
  const add = (name: string, value: unknown, indent?: number) =>
    docs.push({ name, text: JSON.stringify(value, null, indent) });
  add("flat", { a: T.github, b: "plain text here", c: `token=${T.npm}`, d: 42, e: null });
  add(
    "nested",
    {
      x: { y: [{ z: T.slackBot }, "short", [T.stripe, { deep: [[[T.gitlab]]] }]] },
      n: [1, 2, true],
    },
    2,
  );
  add("root string", `before ${T.github} after`);
  add("root number", 123);
  add("key holds a token", { [T.github]: "value", other: "nothing here at all" });
  add("same value twice", { a: T.github, b: [T.github, `x ${T.github}`] });
  add("managed only", { cmd: `deploy --key ${STORED}`, other: "no secret", k: STORED });
  add("managed and detected", { both: `${STORED} ${T.npm}`, arr: [STORED, T.awsAccessKeyId] });
  add("escapes", {
    quote: `"${T.github}"`,
    newline: `line1\n${T.sendgrid}\nline3`,
    slash: `https://x/${T.figma}/y`,
    unicode: `é ü ${T.linear} 中文`,
    pem: T.privateKey,
    db: T.postgresUrl,
    ansi: `\u001b[31m${T.github}\u001b[0m`,
    ansi2: `\u001b[1m${T2.github}`,
  });
  add("aws pair", {
    AWS_ACCESS_KEY_ID: T.awsAccessKeyId,
    AWS_SECRET_ACCESS_KEY: T.awsSecretAccessKey,
    line: `aws_secret_access_key = ${T2.awsSecretAccessKey}`,
  });
  add("generic keyed", {
    config: `password = "${"Zq8".repeat(6)}x"`,
    env: `API_KEY=${T2.figma}`,
  });
  add("split across strings", { a: T.github.slice(0, 20), b: T.github.slice(20) });
  add("split key and value", ["aws_secret_access_key", `= ${T.awsSecretAccessKey}`]);
  // Huge strings: tokens at the start, end and across every 32 KB chunk boundary of the automaton.
  const big = (at: number, token: string) => {
    const base = filler(rand, 200_000);
    return `${base.slice(0, at)} ${token} ${base.slice(at)}`;
  };
  add("huge, token at chunk edges", {
    a: big(32 * 1024 - 6, T.github),
    b: big(64 * 1024 - 2, T.npm),
    c: big(0, T.slackBot),
    d: big(200_000, T.stripe),
    e: filler(rand, 150_000),
  });
  add("many small strings", {
    list: Array.from({ length: 3000 }, (_, i) =>
      i % 997 === 500
        ? `k ${T.github}`
        : i % 1499 === 700
          ? STORED
          : `item ${i} ${filler(rand, 20)}`,
    ),
  });
  add("five-character strings are not scanned", { a: "ab", b: [T.github.slice(0, 5)] });
  // A raw text whose \u escapes hide the token from any scan of the raw bytes.
  docs.push({
    name: "unicode-escaped token",
    text: `{"a": "${uEscaped(T.github)}", "b": "x ${uEscaped(T.npm).slice(0, 30)}${esc(T.npm.slice(5))}"}`,
  });
  docs.push({
    name: "escaped slashes",
    text: `{"url": "https:\\/\\/user:${esc(T.postgresUrl.split(":")[2]!.split("@")[0]!)}@h.example\\/p", "t": "${T.github.replace("_", "\\u005f")}"}`,
  });
  docs.push({ name: "duplicate keys", text: `{"a": "${T.github}", "a": "${T2.github}"}` });
  docs.push({
    name: "__proto__ key",
    text: `{"__proto__": "${T.github}", "b": {"__proto__": ["${T.npm}"]}}`,
  });
  // Invalid JSON: read as text, exactly as before.
  docs.push({ name: "invalid: trailing comma", text: `{"a": "${T.github}",}` });
  docs.push({ name: "invalid: cut", text: `{"a": ["${T.npm}", "${T.slackBot}"` });
  docs.push({ name: "invalid: comments", text: `// ${T.stripe}\n{"a": 1}` });
  docs.push({ name: "empty", text: "" });
  docs.push({
    name: "clean",
    text: JSON.stringify({ a: filler(rand, 5000), b: [filler(rand, 300)] }),
  });
  // Random documents: random nesting, strings with tokens, escapes and filler.
  const pieces = [
    () => T.github,
    () => T2.npm,
    () => T.slackApp,
    () => STORED,
    () => filler(rand, 1 + Math.floor(rand() * 40)),
    () => '"',
    () => "\\",
    () => "\n",
    () => "\u001b[32m",
    () => "token = ",
    () => "://u:",
    () => "@",
    () => "é",
  ];
  const str = () => {
    let s = "";
    const n = Math.floor(rand() * 5);
    for (let i = 0; i < n; i++) s += pieces[Math.floor(rand() * pieces.length)]!();
    return s;
  };
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth > 5 || r < 0.35) return str();
    if (r < 0.45) return Math.floor(rand() * 100);
    if (r < 0.5) return rand() < 0.5 ? null : true;
    if (r < 0.75) return Array.from({ length: Math.floor(rand() * 5) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rand() * 5); i > 0; i--)
      o[rand() < 0.2 ? str() : `k${i}.x`] = value(depth + 1);
    return o;
  };
  for (let i = 0; i < 60; i++) add(`random ${i}`, value(0), i % 3 === 0 ? 2 : undefined);
  return docs;
}

/** A finder that counts its calls (and records the texts, in call order). */
function counted(find: Finder): { find: Finder; calls: string[] } {
  const calls: string[] = [];
  const wrapped: Finder = (text) => {
    calls.push(text);
    return find(text);
  };
  if (find.mayFindEach) wrapped.mayFindEach = find.mayFindEach;
  return { find: wrapped, calls };
}

const MODES = [
  ["json", "report"],
  ["json", "redact"],
  ["json", "allow-list"],
] as const;

describe("JSON state files: one pass over the strings finds exactly what the per-string path finds", () => {
  const docs = corpus();

  it("the plain finder visits exactly forEachString's strings, in its order", async () => {
    for (const d of docs) {
      let doc: unknown;
      try {
        doc = JSON.parse(d.text);
      } catch {
        continue;
      }
      const want: string[] = [];
      forEachString(doc, (t) => void (t.length >= 6 && want.push(t)));
      const plain = counted(makeFinder(bulk, managed, "x.json"));
      await fixStateText(d.text, "json", "report", plain.find);
      expect(plain.calls, d.name).toEqual(want);
    }
  });

  it("same findings and same fixed text in every mode, for json and jsonl", async () => {
    let findings = 0;
    let skippedCalls = 0;
    for (const d of docs) {
      for (const [format, mode] of MODES) {
        const plain = counted(makeFinder(bulk, managed, "x.json"));
        const batch = counted(batchFinder(bulk, managed, "x.json"));
        expect(batch.find.mayFindEach, "the bulk scanner answers in batches").toBeTypeOf(
          "function",
        );
        const a = await fixStateText(d.text, format, mode, plain.find);
        const b = await fixStateText(d.text, format, mode, batch.find);
        expect(b, `${d.name} (${format}, ${mode})`).toEqual(a);
        findings += a.findings.length;
        skippedCalls += plain.calls.length - batch.calls.length;
      }
    }
    // One JSONL file of every document that fits on a line, and the same with CRLF.
    const lines = docs.map((d) => d.text).filter((t) => !t.includes("\n"));
    for (const eol of ["\n", "\r\n"]) {
      const jsonl = lines.join(eol);
      for (const mode of ["report", "redact"] as const) {
        const a = await fixStateText(jsonl, "jsonl", mode, makeFinder(bulk, managed, "t.jsonl"));
        const b = await fixStateText(jsonl, "jsonl", mode, batchFinder(bulk, managed, "t.jsonl"));
        expect(b, `jsonl ${JSON.stringify(eol)} ${mode}`).toEqual(a);
        expect(a.findings.length).toBeGreaterThan(20);
      }
    }
    // The comparison is not vacuous: many findings, and the batch path skipped many calls.
    expect(findings).toBeGreaterThan(150);
    expect(skippedCalls).toBeGreaterThan(5000);
  });

  it("finds what the corpus plants, through the batch path", async () => {
    const get = (name: string) => docs.find((d) => d.name === name)!.text;
    const run = async (name: string) =>
      (await fixStateText(get(name), "json", "report", batchFinder(bulk, managed, "x.json")))
        .findings;
    expect((await run("unicode-escaped token")).map((f) => f.value)).toContain(T.github);
    expect((await run("managed only")).map((f) => f.managed)).toContain("STORED_VALUE");
    const huge = (await run("huge, token at chunk edges")).map((f) => f.value);
    for (const t of [T.github, T.npm, T.slackBot, T.stripe]) expect(huge).toContain(t);
    expect((await run("invalid: cut")).map((f) => f.value)).toContain(T.npm);
    expect((await run("escapes")).map((f) => f.value)).toEqual(
      expect.arrayContaining([T.github, T2.github, T.sendgrid, T.figma, T.linear]),
    );
  });

  it("a managed value with no detector anchor is never skipped", async () => {
    const text = JSON.stringify({
      a: Array.from({ length: 50 }, () => "nothing"),
      b: `x${STORED}y`,
    });
    const batch = counted(batchFinder(bulk, managed, "x.json"));
    const r = await fixStateText(text, "json", "report", batch.find);
    expect(r.findings.map((f) => f.managed)).toEqual(["STORED_VALUE"]);
    expect(batch.calls).toEqual([`x${STORED}y`]);
    // Without the managed secrets, nothing is looked at one by one (and nothing is found).
    const none = counted(batchFinder(bulk, undefined, "x.json"));
    expect((await fixStateText(text, "json", "report", none.find)).findings).toEqual([]);
    expect(none.calls).toEqual([]);
  });
});
