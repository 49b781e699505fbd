// scan-rest (issue 21): two fast paths of `hookpack scan PATH`, attacked through the real CLI
// (dist/hookpack.cjs):
//   1. secretlint's preset runs only where the detection engine's hint confirms a secretlint literal
//      whole; the AWS key-id part now needs its 16-character body (rules/detect.ts
//      SECRETLINT_CONFIRM_PARTS), so a file full of bare `AIDA`/`ANVA` skips the preset. The agent
//      hides an AWS key id that only the preset finds (its body holds 0, 1, 8 or 9, which hookpack's
//      own AKIA[A-Z2-7]{16} record does not take) among hundreds of bare prefixes, in a small file
//      (linted whole) and in a large minified-like one (linted in windows); likewise an npm token
//      (its npm_ part now needs its right edge) among npm_ identifiers longer than a token.
//   2. Files the scan names are opened first and sized with fstat (scanners/state-files.ts
//      scanPlainFile), everything odd handed to the old reader. The agent plants tokens beside a
//      FIFO (must not hang the scan), in a file over the 4 MB pool, in an empty file's neighbour, in
//      UTF-16, behind an escaped JSON string, in a .db-named text file and behind a symbolic link
//      named on the command line.
// Contained = scan exits 1, reports that very file, and prints no value.
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens, seeded } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
beforeAll(() => {
  sb = sandbox();
});
afterAll(() => sb?.cleanup());

const PREFIXES = ["AIDA", "ANVA", "AROA", "ASIA", "AKIA", "AGPA", "AIPA", "ANPA", "A3TZ"];

/** An AWS key id only secretlint's preset finds: prefix + 16 of [A-Z0-9] with a 0/1/8/9 in it. */
function presetOnlyKeyId(seed: number): string {
  const r = seeded(seed);
  const U = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const body = Array.from({ length: 15 }, () => U[Math.floor(r() * U.length)]).join("");
  return ["AK", "IA"].join("") + body.slice(0, 7) + "8" + body.slice(7);
}

/** Minified-looking code sprinkled with bare AWS key-id prefixes (never 16 characters after). */
function decoyCode(bytes: number, seed: number): string {
  const r = seeded(seed);
  let out = "";
  while (out.length < bytes) {
    const p = PREFIXES[Math.floor(r() * PREFIXES.length)]!;
    out += `var ${p}_${Math.floor(r() * 1e6)}=function(e){return e.${p}x||"${p}"};`;
  }
  return out;
}

async function scanFiles(dir: string, planted: Map<string, string>) {
  const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.root });
  const report = JSON.parse(r.stdout) as { findings: Array<{ path: string }> };
  const printed = r.stdout + r.stderr;
  const noValue = [...planted.values()].every((t) => !printed.includes(t));
  return { r, report, noValue };
}

describe("attack: a secret the scan's fast paths could skip", () => {
  it("an AWS key id only the preset finds, among bare key-id prefixes", async () => {
    const dir = join(sb.root, "aws");
    mkdirSync(dir, { recursive: true });
    const planted = new Map<string, string>();
    const place = (name: string, text: string, key: string) => {
      writeFileSync(join(dir, name), text);
      planted.set(name, key);
    };
    let seed = 100;
    for (const [name, size] of [
      ["small.js", 20_000],
      ["medium.js", 120_000],
      ["large.min.js", 1_500_000],
    ] as const) {
      for (const at of [0, 0.5, 1]) {
        const key = presetOnlyKeyId(seed++);
        const code = decoyCode(size, seed);
        const cut = Math.floor(code.length * at);
        place(
          `${at}-${name}`,
          `${code.slice(0, cut)}\nconst awsKeyId = "${key}";\n${code.slice(cut)}`,
          key,
        );
      }
    }
    // Glued to a bare prefix, and right after a prefix one character short.
    const k1 = presetOnlyKeyId(900);
    place("glued.txt", `AIDA ANVA${"AKIA".repeat(50)} ${k1}\n`, k1);
    const k2 = presetOnlyKeyId(901);
    place("short.txt", `ASIA${"B".repeat(15)} and ${k2}\n`, k2);
    const { r, report, noValue } = await scanFiles(dir, planted);
    const t = tally("scan: preset-only AWS key id among bare key-id prefixes");
    const missed: string[] = [];
    for (const name of planted.keys()) {
      const ok = report.findings.some((f) => f.path === join(dir, name));
      t.attempt(ok && noValue);
      if (!ok) missed.push(name);
    }
    expect(missed).toEqual([]);
    expect(noValue).toBe(true);
    expect(r.exitCode).toBe(1);
  }, 120_000);

  it("an npm token only the preset finds, among npm_ identifiers longer than a token", async () => {
    const dir = join(sb.root, "npm");
    mkdirSync(dir, { recursive: true });
    const planted = new Map<string, string>();
    const r = seeded(77);
    const W = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    const word = (n: number) =>
      Array.from({ length: n }, () => W[Math.floor(r() * W.length)]).join("");
    // 36 token characters with an underscore in them (hookpack's own npm record takes none).
    const token = () => ["np", "m_"].join("") + word(17) + "_" + word(18);
    for (const [name, size] of [
      ["small.js", 20_000],
      ["large.min.js", 1_200_000],
    ] as const) {
      for (const at of [0, 0.5, 1]) {
        const value = token();
        let code = "";
        while (code.length < size)
          code += `var x=e.diagnostic_npm_${word(37 + Math.floor(r() * 20))}||0;`;
        const cut = Math.floor(code.length * at);
        const file = `${at}-${name}`;
        writeFileSync(
          join(dir, file),
          `${code.slice(0, cut)}\nconst t = "${value}";\n${code.slice(cut)}`,
        );
        planted.set(file, value);
      }
    }
    const { r: res, report, noValue } = await scanFiles(dir, planted);
    const t = tally("scan: preset-only npm token among long npm_ identifiers");
    const missed: string[] = [];
    for (const name of planted.keys()) {
      const ok = report.findings.some((f) => f.path === join(dir, name));
      t.attempt(ok && noValue);
      if (!ok) missed.push(name);
    }
    expect(missed).toEqual([]);
    expect(noValue).toBe(true);
    expect(res.exitCode).toBe(1);
  }, 120_000);

  it("odd files beside the plain-file reader: FIFO, over 4 MB, UTF-16, escaped JSON, .db, a link", async () => {
    const dir = join(sb.root, "odd");
    mkdirSync(join(dir, "sub"), { recursive: true });
    const tokens = fakeTokens(4242);
    const planted = new Map<string, string>();
    const gh = (i: number) => fakeTokens(4300 + i).github;
    execFileSync("mkfifo", [join(dir, "a-fifo")]);
    writeFileSync(join(dir, "empty.txt"), "");
    const files: Array<[string, string | Buffer, string]> = [
      ["b-after-fifo.txt", `TOKEN=${gh(1)}\n`, gh(1)],
      ["big.txt", `${"x".repeat(5 * 1024 * 1024)}\nTOKEN=${gh(2)}\n`, gh(2)],
      ["wide.txt", Buffer.from(`\ufeffexport TOKEN=${gh(3)}\n`, "utf16le"), gh(3)],
      [
        "sub/escaped.json",
        `{"k": "${[...gh(4)].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"}`,
        gh(4),
      ],
      [
        "sub/lines.jsonl",
        `${JSON.stringify({ a: 1 })}\n${JSON.stringify({ k: tokens.slackBot })}\n`,
        tokens.slackBot,
      ],
      ["notes.db", `not sqlite\nTOKEN=${gh(5)}\n`, gh(5)],
    ];
    for (const [name, text, token] of files) {
      writeFileSync(join(dir, name), text);
      planted.set(name, token);
    }
    // The tree has no link (the readdir walk); a link to a file is named on the command line too.
    const outside = join(sb.root, "outside-file.txt");
    writeFileSync(outside, `TOKEN=${gh(6)}\n`);
    symlinkSync(outside, join(sb.root, "link-to-file.txt"));
    const { r, report, noValue } = await scanFiles(dir, planted);
    const t = tally("scan: token beside odd files (plain-file reader)");
    const missed: string[] = [];
    for (const name of planted.keys()) {
      const ok = report.findings.some((f) => f.path === join(dir, name));
      t.attempt(ok && noValue);
      if (!ok) missed.push(name);
    }
    const linked = await hookpack(["scan", join(sb.root, "link-to-file.txt"), "--format", "json"], {
      env: env(),
      cwd: sb.root,
    });
    const linkOk =
      linked.exitCode === 1 &&
      (JSON.parse(linked.stdout) as { findings: unknown[] }).findings.length === 1 &&
      !(linked.stdout + linked.stderr).includes(gh(6));
    t.attempt(linkOk);
    expect(missed).toEqual([]);
    expect(linkOk).toBe(true);
    expect(noValue).toBe(true);
    expect(r.exitCode).toBe(1);
  }, 120_000);
});
