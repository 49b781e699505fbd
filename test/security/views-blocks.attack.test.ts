// Issue 21: the gates' four-view search in WebAssembly (rules/matcher-wasm.ts viewsModule) no longer
// rolls: it hashes the text, and then its squeezed view, in blocks of VIEWS_CAP (4,096) window
// starts, each block from prefix and suffix hashes of its own units (plus the longest window's
// tail), and every window's bucket first meets two 256-bit projections of its length's bitmap
// before the bitmap itself. The agent hides managed values where such a design could drop one:
// astride a block's end in the text (a window that starts in one block and ends in the next) and
// astride a block's end in the SQUEEZED view (its blocks count non-joiner units, so the place
// differs from the text's), split, reversed and hex-escaped, in files of one to several blocks, with
// two values stored (at most eight window lengths: with more, the JavaScript loop runs instead).
// Real processes: `hookpack scan` (dist/hookpack.cjs), every file reported with its value's name
// and no output carrying a value.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHookCache } from "../../broker/hook-cache.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import {
  cut,
  filesReportedWithName,
  filler as lines,
  hexEsc,
  rev,
} from "../helpers/value-forms.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const BLOCK = 4096;
/** Minified-looking code: one line, so that the whole file is one text however a scanner cuts it. */
const filler = (units: number) => lines(units).replace(/\n/g, ";");
/** The gates' joiners (scanners/managed.ts JOINERS), ASCII. */
const isJoiner = (ch: string) => /[\s'"`+,.\\[\]()]/.test(ch);
/** Units of `s` kept in the squeezed view. */
const kept = (s: string) => [...s].filter((ch) => !isJoiner(ch)).length;

// Built at run time (nothing token-shaped in the file).
const values: Array<[string, string]> = [
  ["BLOCK_KEY_A", `bv${randomBytes(24).toString("base64url")}`.slice(0, 22)],
  ["BLOCK_KEY_B", `bw${randomBytes(24).toString("base64url")}`.slice(0, 22)],
];

const shapes: Array<[string, (v: string) => string]> = [
  ["as-is", (v) => v],
  ["reversed", rev],
  ["split", (v) => cut(v, 7, `' + '`)],
  ["split-reversed", (v) => rev(cut(v, 5, "\n  "))],
  ["hex-escaped", hexEsc],
  // Forms whose first window is longer than 16 units (base64: 32), which no decoder restores.
  ["base64", (v) => Buffer.from(v).toString("base64")],
  ["base64-reversed", (v) => rev(Buffer.from(v).toString("base64"))],
];

/** [file, value name, text, the planted form]. */
const files: Array<[string, string, string, string]> = [];
let i = 0;
for (const [shape, make] of shapes)
  for (const block of [1, 2, 3])
    for (const edge of ["starts", "ends"] as const) {
      const [name, value] = values[i % values.length]!;
      const form = make(value);
      // A form's first window (read forwards, or backwards for the reversed view) astride the
      // text's block end: the form starts 8 units before it, or ends 8 units after it.
      const textAt = edge === "starts" ? block * BLOCK - 8 : block * BLOCK + 8 - form.length;
      files.push([
        `t${String(i).padStart(2, "0")}-${shape}-${block}-${edge}.js`,
        name,
        `${filler(textAt)}${form}${filler(700)}`,
        form,
      ]);
      // The same astride the squeezed view's block end (counted in non-joiner units).
      const want = edge === "starts" ? block * BLOCK - 8 : block * BLOCK + 8 - kept(form);
      let lead = filler(block * BLOCK * 2);
      let n = lead.length;
      while (n > 0 && kept(lead.slice(0, n)) > want) n -= 1;
      lead = lead.slice(0, n);
      files.push([
        `s${String(i).padStart(2, "0")}-${shape}-${block}-${edge}.js`,
        name,
        `${lead}${form}${filler(500)}`,
        form,
      ]);
      i++;
    }

let sb: Sandbox;
let dir: string;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
beforeAll(async () => {
  sb = sandbox();
  for (const [name, value] of values) {
    const set = await hookpack(["secret", "set", name], {
      input: value,
      env: env(),
      cwd: sb.project,
    });
    expect(set.exitCode, set.stderr).toBe(0);
  }
  dir = join(sb.project, "src");
  mkdirSync(dir, { recursive: true });
  for (const [file, , text] of files) writeFileSync(join(dir, file), text);
}, 120_000);
afterAll(() => sb?.cleanup());

describe("attack: managed values astride the views search's blocks (text and squeezed view)", () => {
  it("the stored forms use at most eight window lengths (the WebAssembly search runs, not the loop)", () => {
    const { entries } = buildHookCache(
      values.map(([name, value]) => ({ name, value })),
      randomBytes(16),
    );
    const lengths = new Set(entries.map((e) => e[1]));
    expect(lengths.size).toBeLessThanOrEqual(8);
    expect(Math.max(...lengths)).toBeGreaterThan(16);
  });

  it("the files put forms astride block ends in both views", () => {
    for (const [file, , text, form] of files) {
      const at = text.indexOf(form);
      expect(at).toBeGreaterThan(0);
      const end = at + form.length;
      if (file.startsWith("t")) {
        const b = Math.floor(end / BLOCK) * BLOCK;
        expect(at < b && b < end).toBe(true);
      } else {
        const k0 = kept(text.slice(0, at));
        const k1 = k0 + kept(form);
        const b = Math.floor(k1 / BLOCK) * BLOCK;
        expect(k0 < b && b < k1).toBe(true);
      }
    }
  });

  it("hookpack scan reports every file with its value's name", async () => {
    const t = tally("views-blocks/scan");
    const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.project });
    const out = r.stdout + r.stderr;
    const leaked = values.some(([, v]) => out.includes(v) || out.includes(rev(v)));
    expect(leaked).toBe(false);
    const found = filesReportedWithName(r.stdout, files);
    for (const [file] of files) t.attempt(found.has(file) && !leaked);
    expect(files.map(([file]) => file).filter((file) => !found.has(file))).toEqual([]);
    expect(r.exitCode).toBe(1);
  }, 120_000);
});
