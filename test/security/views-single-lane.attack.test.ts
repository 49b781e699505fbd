// Issue 21: the SIMD four-view roll (rules/matcher-wasm.ts viewsModule) rolls four window lengths
// per vector; a group of ONE length (a 24-character value's forms use five: 16, 31, 32, 64, 96)
// rolls and buckets in scalar code instead, its state in lane 0. The agent hides values shaped for
// that group's lengths: 24-character values (the group of one is their longest window, 96: the
// `\uXXXX` and `\xHH` forms), in every view (as is, reversed, split, split and reversed) and
// encoding (base64 at three alignments, hex escapes, \u escapes, percent), at the very start and
// the very end of files whose sizes go up and down. Three values, each its own salt per run (a
// fresh HOOKPACK_HOME). Real processes: `hookpack scan` (dist/hookpack.cjs), every file reported
// with its value's name, no output carrying a value.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHookCache } from "../../broker/hook-cache.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { cut, filesReportedWithName, filler, hexEsc, rev, uEsc } from "../helpers/value-forms.js";
import { reportTally, tally } from "./tally.js";

reportTally();

// Built at run time (nothing token-shaped in the file): 18 random bytes, base64url (24 chars).
const values = ["A", "B", "C"].map((k) => [`SINGLE_${k}`, randomBytes(18).toString("base64url")]);
const b64 = (s: string, pad: string) => Buffer.from(pad + s).toString("base64");

const shapes: Array<[string, (v: string) => string]> = [
  ["as-is", (v) => v],
  ["reversed", rev],
  ["split", (v) => cut(v, 11, `" +\n  "`)],
  ["split-reversed", (v) => rev(cut(v, 7, "', '"))],
  ["base64-0", (v) => b64(v, "")],
  ["base64-1", (v) => b64(v, "k")],
  ["base64-2", (v) => b64(v, "ke")],
  ["hex-escaped", hexEsc],
  ["u-escaped", uEsc],
  ["split-wrapped", (v) => cut(cut(v, 6, "\n    "), 15, "\t")],
  // Upper-case %HH of every character (lower-case %hh of every character is not a stored form:
  // base finds it no more than this change does; reported, not claimed here).
  ["pct", (v) => v.replace(/./g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)],
];
/** [file, value name, text]. */
const files: Array<[string, string, string]> = [];
let n = 300;
let i = 0;
for (const [shape, make] of shapes)
  for (const [name, value] of values) {
    n = i % 2 ? Math.floor(n / 2) + 90 : 2 * n + 500;
    const body = i % 3 === 1 ? `${filler(n)}${make(value!)}` : `${make(value!)}${filler(n)}`;
    files.push([`f${String(i).padStart(2, "0")}-${shape}-${name}.js`, name!, body]);
    i++;
  }

let sb: Sandbox;
let dir: string;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
beforeAll(async () => {
  sb = sandbox();
  for (const [name, value] of values) {
    const set = await hookpack(["secret", "set", name!], {
      input: value,
      env: env(),
      cwd: sb.project,
    });
    expect(set.exitCode, set.stderr).toBe(0);
  }
  dir = join(sb.project, "src");
  mkdirSync(dir, { recursive: true });
  for (const [file, , text] of files) writeFileSync(join(dir, file), text);
});
afterAll(() => sb?.cleanup());

describe("attack: managed values against the views roll's group of one window length", () => {
  it("the values' forms use five window lengths: one vector group of four, one group of one", () => {
    const { entries } = buildHookCache(
      values.map(([name, value]) => ({ name: name!, value: value! })),
      randomBytes(16),
    );
    expect(new Set(entries.map((e) => e[1])).size % 4).toBe(1);
  });

  it("hookpack scan reports every file with its value's name", async () => {
    const t = tally("views-single-lane/scan");
    const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.project });
    const out = r.stdout + r.stderr;
    const leaked = values.some(([, v]) => out.includes(v!) || out.includes(rev(v!)));
    expect(leaked).toBe(false);
    const found = filesReportedWithName(r.stdout, files);
    for (const [file] of files) t.attempt(found.has(file) && !leaked);
    expect(files.map(([file]) => file).filter((file) => !found.has(file))).toEqual([]);
    expect(r.exitCode).toBe(1);
  }, 60_000);
});
