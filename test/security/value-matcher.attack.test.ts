// Issue 21 (h21-matcher): the stored-value matcher was rewritten for speed (scan's four views in
// one pass, no squeezed copy; exec's stream plumbing). The agent controls a command's output and
// the files it writes, and tries to get a stored value past `hookpack exec` and `hookpack scan`
// where a faster matcher could slip: a value cut at every possible read boundary, at the very start
// or end of the output, repeated back to back, two stored values where one is a prefix of the
// other, 1,000 stored values sharing one long prefix, a value made of the characters source code
// is full of, output written by a background child after the command exited, and a slow trickle.
// Everything runs through the real CLI (dist/hookpack.cjs) with a real store in a temp
// HOOKPACK_HOME. An attempt is contained when no stored value appears in anything hookpack printed
// or wrote (stdout, stderr, the audit log, the scan report) and the value was recognised.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, run, runAsync, sandbox, type Sandbox } from "../broker/helpers.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const rand = (n: number) =>
  Array.from(randomBytes(n), (b) => "abcdefghijkmnpqrstuvwxyz23456789"[b & 31]).join("");
// Built at run time, never token-shaped (no provider prefix): only the value matcher finds them.
const P = `pv${rand(22)}`; // 24 characters
const PLONG = `${P}${rand(12)}`; // P is a prefix of PLONG: overlapping stored values
const PREFIX = `shared${rand(14)}`; // 20 characters every one of the 1,000 values starts with
const MANY = Array.from(
  { length: 1000 },
  (_, i) => `${PREFIX}${String(i).padStart(4, "0")}${rand(6)}`,
);
// Made of what source code is full of: any sampled character or q-gram of it is common in text.
const COMMON = `return${["this", "const", "value", "function"][randomBytes(1)[0]! & 3]}${rand(3)}thisthe`;
const ALL = [P, PLONG, COMMON, ...MANY];

let sb: Sandbox;
let valuesFile: string;

const leaked = (text: string): string | undefined => ALL.find((v) => text.includes(v));
const audit = () => {
  try {
    return readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8");
  } catch {
    return "";
  }
};

/** Runs `hookpack exec -- node -e script` (the script reads the values from a file). */
async function exec(script: string): Promise<{ out: string; all: string; code: number | null }> {
  const r = await runAsync(sb, [
    "exec",
    "--",
    process.execPath,
    "-e",
    `const V = JSON.parse(require("fs").readFileSync(${JSON.stringify(valuesFile)}, "utf8"));\n${script}`,
  ]).done;
  return { out: r.stdout, all: r.stdout + r.stderr + audit(), code: r.code };
}

beforeAll(() => {
  assertBuilt();
  sb = sandbox();
  const envFile = join(sb.dir, "import.env");
  writeFileSync(
    envFile,
    [`VM_P=${P}`, `VM_PLONG=${PLONG}`, `VM_COMMON=${COMMON}`]
      .concat(MANY.map((v, i) => `VM_MANY_${i}=${v}`))
      .join("\n") + "\n",
  );
  const r = run(sb, ["secret", "import", envFile], { timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  valuesFile = join(sb.dir, "values.json");
  writeFileSync(valuesFile, JSON.stringify({ P, PLONG, COMMON, MANY }));
}, 180_000);
afterAll(() => sb?.cleanup());

describe("attack: getting a stored value through `hookpack exec` output", () => {
  it("a value cut at every position, each half a separate write (a read boundary at every offset)", async () => {
    const t = tally("exec: value split at every read boundary");
    // For each cut: the first part, a pause shorter than the idle release (so it is a separate
    // read, not a released tail), the rest. One line per cut.
    const r = await exec(`
      const v = V.P; let p = 1;
      const step = () => {
        if (p >= v.length) return;
        process.stdout.write("cut " + p + ": " + v.slice(0, p));
        setTimeout(() => { process.stdout.write(v.slice(p) + "\\n"); p++; setTimeout(step, 2); }, 4);
      };
      step();`);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n").filter((l) => l.startsWith("cut "));
    for (let p = 1; p < P.length; p++) {
      const line = lines.find((l) => l.startsWith(`cut ${p}: `)) ?? "";
      // Masked whole; or, when a loaded machine stretched the pause past the idle release (25 ms),
      // at most 5 characters shown before the rest is masked (the bound mask-stream.attack proves).
      const shown = line.slice(`cut ${p}: `.length, line.length - "[REDACTED:VM_P]".length);
      const ok =
        line.endsWith("[REDACTED:VM_P]") &&
        shown.length <= 5 &&
        P.startsWith(shown) &&
        leaked(line) === undefined;
      t.attempt(ok);
      expect(ok, `cut at ${p}: ${shown.length} characters shown`).toBe(true);
    }
    expect(leaked(r.all)).toBeUndefined();
  }, 60_000);

  it("1-byte writes of a whole line of values, back to back, at the very start and end", async () => {
    const t = tally("exec: 1-byte writes, start/end, repeated");
    // fs.writeSync one byte at a time: each byte its own write(2) on the pipe.
    const r = await exec(`
      const fs = require("fs");
      const text = V.P + V.P + V.P + " mid " + V.COMMON + V.COMMON + " " + V.P;
      for (const ch of text) fs.writeSync(1, ch);`);
    expect(r.code).toBe(0);
    const expected =
      "[REDACTED:VM_P][REDACTED:VM_P][REDACTED:VM_P] mid [REDACTED:VM_COMMON][REDACTED:VM_COMMON] [REDACTED:VM_P]";
    // Exact unless the loaded machine paused the writer past the idle release (25 ms): then at most
    // 5 characters of one value show before its rest is masked; every occurrence is still labelled.
    const labels = r.out.match(/\[REDACTED:VM_(P|COMMON)\]/g) ?? [];
    const rawRun = Math.max(
      0,
      ...r.out.split(/\[REDACTED:VM_(?:P|COMMON)\]| mid | /).map((x) => x.length),
    );
    const ok =
      (r.out === expected || (labels.length === 6 && rawRun <= 5)) && leaked(r.all) === undefined;
    t.attempt(ok);
    expect(ok, `output ${r.out.length} characters, ${labels.length} labels`).toBe(true);
    expect(leaked(r.all)).toBeUndefined();
  }, 60_000);

  it("overlapping stored values (one a prefix of the other), in every order", async () => {
    const t = tally("exec: overlapping values");
    const cases = [
      "V.PLONG",
      "V.P",
      "V.P + V.PLONG",
      "V.PLONG + V.P",
      "V.P + V.PLONG.slice(V.P.length)",
      "V.PLONG.slice(0, -1)",
    ];
    const r = await exec(
      cases.map((c, i) => `process.stdout.write("case${i}<" + (${c}) + ">\\n");`).join("\n"),
    );
    expect(r.code).toBe(0);
    for (let i = 0; i < cases.length; i++) {
      const line = r.out.split("\n").find((l) => l.startsWith(`case${i}<`)) ?? "";
      const ok = line.includes("[REDACTED:") && leaked(line) === undefined;
      t.attempt(ok);
      expect(ok, `case ${cases[i]}: ${line.replace(/[a-z0-9]{20,}/g, "<long run>")}`).toBe(true);
    }
    expect(leaked(r.all)).toBeUndefined();
  }, 60_000);

  it("1,000 stored values sharing a 20-character prefix, each printed once, in source-like text", async () => {
    const t = tally("exec: 1,000 values with a shared prefix");
    const r = await exec(`
      const lines = V.MANY.map((v, i) => "const k" + i + " = '" + v + "'; // " + V.MANY[(i * 7) % 1000].slice(0, 20));
      process.stdout.write(lines.join("\\n") + "\\n");`);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    for (let i = 0; i < MANY.length; i++) {
      const line = lines.find((l) => l.startsWith(`const k${i} = `)) ?? "";
      const ok =
        line.startsWith(`const k${i} = '[REDACTED:VM_MANY_${i}]'`) && !line.includes(MANY[i]!);
      t.attempt(ok);
      if (!ok) expect.fail(`value ${i} not masked: ${line.slice(0, 30)}…`);
    }
    // The shared prefix alone (20 characters, a part of every value) is not a value: it stays.
    expect(r.out).toContain(PREFIX);
    expect(leaked(r.all)).toBeUndefined();
  }, 90_000);

  it("a value written by a background child after the command exited", async () => {
    const t = tally("exec: background writer after exit");
    const r = await exec(`
      const { spawn } = require("child_process");
      const bg = spawn(process.execPath, ["-e", "setTimeout(() => { process.stdout.write('late ' + " + JSON.stringify(V.P) + " + '\\\\n'); process.stderr.write(" + JSON.stringify(V.PLONG) + "); }, 150)"], { stdio: ["ignore", "inherit", "inherit"] });
      bg.unref();
      process.stdout.write("parent done\\n");`);
    expect(r.code).toBe(0);
    expect(r.out).toContain("parent done");
    // Either the late line arrived masked within the drain grace, or it was cut: never raw.
    const late = r.out.split("\n").find((l) => l.startsWith("late ")) ?? "";
    const ok = leaked(r.all) === undefined && (late === "" || late === "late [REDACTED:VM_P]");
    t.attempt(ok);
    expect(leaked(r.all)).toBeUndefined();
    expect(late === "" || late === "late [REDACTED:VM_P]").toBe(true);
  }, 60_000);

  it("a slow trickle: a value one character every 30 ms, then a second value at once", async () => {
    const t = tally("exec: slow trickle");
    const r = await exec(`
      const v = V.COMMON; let i = 0;
      const tick = () => { if (i < v.length) { process.stdout.write(v[i++]); setTimeout(tick, 30); } else process.stdout.write(" then " + V.P + "\\n"); };
      tick();`);
    expect(r.code).toBe(0);
    // At most 5 characters of a value are ever shown by an idle release (mask-stream.attack).
    let longest = 0;
    for (let i = 0; i < COMMON.length; i++)
      for (
        let n = longest + 1;
        i + n <= COMMON.length && r.out.includes(COMMON.slice(i, i + n));
        n++
      )
        longest = n;
    const ok = longest < 6 && r.out.includes("[REDACTED:VM_COMMON]") && leaked(r.all) === undefined;
    t.attempt(ok);
    expect(longest).toBeLessThan(6);
    expect(r.out).toContain("[REDACTED:VM_COMMON]");
    expect(r.out).toContain("then [REDACTED:VM_P]");
    expect(leaked(r.all)).toBeUndefined();
  }, 60_000);
});

describe("attack: hiding stored values from `hookpack scan`", () => {
  it("1,000 shared-prefix values, at file start and end, repeated, overlapping, in common characters", () => {
    const t = tally("scan: planted stored values");
    const dir = join(sb.dir, "tree");
    const files: Record<string, string> = {
      "at-start.txt": `${P}\n${"x = 1;\n".repeat(50)}`,
      "at-end.txt": `${"y = 2;\n".repeat(50)}${P}`,
      "only-value.txt": PLONG,
      "repeated.txt": `${P}${P}${P}${P}`,
      "overlapping.txt": `${P}${PLONG}`,
      "common.js": `function f() { ${COMMON} }\n`,
      "common-split.js": `const s = '${COMMON.slice(0, 9)}' + '${COMMON.slice(9)}';\n`,
    };
    for (let i = 0; i < MANY.length; i += 37) files[`many-${i}.js`] = `const k = '${MANY[i]}';\n`;
    for (let i = 0; i < 300; i++) files[`clean-${i}.js`] = `const a${i} = '${PREFIX}';\n`;
    mkdirSync(dir, { recursive: true });
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    const r = run(sb, ["scan", dir, "--format", "json"], { timeout: 120_000 });
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      findings: Array<{ path: string; ruleId: string; secret?: string }>;
    };
    const found = new Set(report.findings.filter((f) => f.secret).map((f) => f.path));
    for (const name of Object.keys(files)) {
      const clean = name.startsWith("clean-");
      const ok = found.has(join(dir, name)) !== clean;
      t.attempt(ok);
      expect(ok, `${name}: ${clean ? "a clean file was reported" : "not reported"}`).toBe(true);
    }
    expect(leaked(r.stdout + r.stderr)).toBeUndefined();
  }, 180_000);
});
