// Issue 21: the gates' four-view search rolls every window length's hashes in the lanes of SIMD
// vectors (rules/matcher-wasm.ts viewsModule: four lengths per vector, a second vector past four),
// and writes the squeezed view into the instance's memory after the text, behind a zero padding
// that one roller reuses from file to file. The agent hides two managed values in files shaped
// against that: a value whose encodings need more than four window lengths (non-ASCII and astral
// characters: `%HH`, `\xHH`, `\uXXXX` forms, so the second vector's lanes carry them), each value
// split or reversed at the very start of a file (the first windows roll over the padding), in files
// whose lengths go up and down by about twice (a longer file's padding lies where the last one's
// squeezed offsets were), and at the very end. Real processes: `hookpack scan` (dist/hookpack.cjs),
// every file reported with the value's name and no output carrying a value.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHookCache } from "../../broker/hook-cache.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { cut, filesReportedWithName, filler, hexEsc, rev, uEsc } from "../helpers/value-forms.js";
import { reportTally, tally } from "./tally.js";

reportTally();

// Built at run time (nothing token-shaped in the file).
const ascii = `sv${randomBytes(21).toString("base64url")}`.slice(0, 28);
const wide = `ké€${randomBytes(6).toString("hex")}😀Ωß${randomBytes(4).toString("hex")}𝒳ü`;
const pct = (s: string) => encodeURIComponent(s);

/** [file, value name, text]: sizes go up and down by about twice, values at starts and ends. */
const files: Array<[string, string, string]> = [];
let n = 400;
const shapes: Array<[string, (v: string) => string]> = [
  ["as-is", (v) => v],
  ["reversed", rev],
  ["split", (v) => cut(v, 9, `' + '`)],
  ["split-reversed", (v) => rev(cut(v, 5, "\n\n  "))],
  ["pct-split", (v) => cut(pct(v), 13, "\n")],
  ["hex-escaped", hexEsc],
  ["u-escaped", uEsc],
];
let i = 0;
for (const [shape, make] of shapes)
  for (const [name, value] of [
    ["ASCII_KEY", ascii],
    ["WIDE_KEY", wide],
  ] as const) {
    // Not claimed by the gates (base finds neither either): a value with astral characters
    // reversed unit by unit (its surrogate pairs swapped).
    if (name === "WIDE_KEY" && shape.includes("reversed")) continue;
    n = i % 2 ? Math.floor(n / 2) + 100 : 2 * n + 768;
    const at = i % 3; // 0: start, 1: end, 2: start of a file after a longer one
    const body = at === 1 ? `${filler(n)}${make(value)}` : `${make(value)}${filler(n)}`;
    files.push([`f${String(i).padStart(2, "0")}-${shape}-${name}.js`, name, body]);
    i++;
  }

let sb: Sandbox;
let dir: string;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
beforeAll(async () => {
  sb = sandbox();
  for (const [name, value] of [
    ["ASCII_KEY", ascii],
    ["WIDE_KEY", wide],
  ]) {
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

describe("attack: managed values against the SIMD four-view roll (lanes, padding, file order)", () => {
  it("the values' forms use more than four window lengths (the second vector is exercised)", () => {
    const { entries } = buildHookCache(
      [
        { name: "ASCII_KEY", value: ascii },
        { name: "WIDE_KEY", value: wide },
      ],
      randomBytes(16),
    );
    expect(new Set(entries.map((e) => e[1])).size).toBeGreaterThan(4);
  });

  it("hookpack scan reports every file with its value's name", async () => {
    const t = tally("views-simd/scan");
    const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.project });
    const out = r.stdout + r.stderr;
    const leaked = [ascii, wide, rev(ascii), rev(wide)].some((v) => out.includes(v));
    expect(leaked).toBe(false);
    const found = filesReportedWithName(r.stdout, files);
    for (const [file] of files) t.attempt(found.has(file) && !leaked);
    expect(files.map(([file]) => file).filter((file) => !found.has(file))).toEqual([]);
    expect(r.exitCode).toBe(1);
  }, 60_000);
});
