// Issue 21: the hook cache is version 5 — version 4's entries in a layout the hook uses in place, a
// crowded cache (1,000 stored secrets) with its bitmaps stored so the hook makes no pass over the
// entries. The attacker (the agent, or whatever damaged the file) changes the file under the REAL
// PostToolUse hook (dist/): cut short anywhere, bytes appended, header fields and the JSON line
// edited, the bitmaps' window list disordered, a version 4 or a version 3 file put in its place; and
// it commits the binary file under another name to get it out by `git push`. Contained: the output
// that holds a stored value never comes back with the value — either redacted (a cache the hook can
// read: the current one, a version 4 one) or withheld (the hook fails closed on a damaged cache) —
// and the file never leaves by push.
import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hookCacheAsV4,
  hookCachePath,
  hookCacheV5Path,
  hookCacheVersion,
} from "../../broker/hook-cache.js";
import { claudePayload, runHook } from "../helpers/hook-run.js";
import { hookpack, runCommand, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const VALUES = Array.from({ length: 1000 }, () => randomBytes(24).toString("hex"));
const NAME = (i: number) => `CACHE5_${i}`;
let sb: Sandbox;
let good: Buffer;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file" });

beforeAll(async () => {
  sb = sandbox();
  writeFileSync(join(sb.project, "import.env"), VALUES.map((v, i) => `${NAME(i)}=${v}\n`).join(""));
  const r = await hookpack(["secret", "import", "import.env"], {
    env: env(),
    cwd: sb.project,
    timeoutMs: 180_000,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  good = readFileSync(hookCacheV5Path(sb.hookpackHome));
}, 240_000);
afterAll(() => sb?.cleanup());

/** The hook's answer to an output holding value i: "redacted", "withheld", or "LEAKED". */
async function post(i: number): Promise<"redacted" | "withheld" | "LEAKED" | "unchanged"> {
  const stdout = `${"PASS test/x.test.ts (3 tests) 12ms\n".repeat(40)}KEY=${VALUES[i]}\n`;
  const r = await runHook(
    sb,
    claudePayload(sb, {
      session_id: "s-cache5",
      transcript_path: undefined,
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "npm test" },
      tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
      tool_use_id: "toolu_cache5",
    }),
    { env: env(), timeoutMs: 60_000 },
  );
  if ((r.stdout + r.stderr).includes(VALUES[i]!)) return "LEAKED";
  if (r.stdout.trim() === "") return "unchanged";
  if (r.stdout.includes(`[REDACTED:${NAME(i)}]`)) return "redacted";
  return r.exitCode === 2 ||
    /withheld|could not be checked|hookpack failed/i.test(r.stdout + r.stderr)
    ? "withheld"
    : "unchanged";
}

const put = (bytes: Buffer | string) => writeFileSync(hookCacheV5Path(sb.hookpackHome), bytes);

describe("attack: a damaged, edited or older hook cache under the real PostToolUse hook", () => {
  it("the current file: version 5, redacts (control)", async () => {
    expect(hookCacheVersion(good)).toBe(5);
    put(good);
    expect(await post(7)).toBe("redacted");
  });

  it("cut short anywhere, bytes appended, header and JSON line edited: fails closed", async () => {
    const t = tally("cache v5: damaged or edited file (hook fails closed, never passes the value)");
    const line = good.indexOf(10) + 1; // the binary header starts here
    const header = (at: number, v: number) => {
      const b = Buffer.from(good);
      b.writeUInt32LE(v, line + at);
      return b;
    };
    const cases: Array<[string, Buffer]> = [
      ...[
        1,
        100,
        line - 1,
        line,
        line + 10,
        line + 40,
        good.length - 200_000,
        good.length - 33,
        good.length - 1,
      ].map((n): [string, Buffer] => [`cut to ${n} bytes`, good.subarray(0, n)]),
      ["one byte appended", Buffer.concat([good, Buffer.from([0])])],
      ["32 bytes appended", Buffer.concat([good, randomBytes(32)])],
      ["version 6 in the header", header(4, 6)],
      ["count + 1", header(8, good.readUInt32LE(line + 8) + 1)],
      ["count - 1", header(8, good.readUInt32LE(line + 8) - 1)],
      ["no bitmaps (the file's size no longer adds up)", header(12, 0)],
      ["nine bitmaps", header(12, 9)],
      ["shortest form 0", header(16, 0)],
      ["no distinct keys", header(20, 0)],
      ["a reserved word set", header(24, 1)],
      [
        "magic changed",
        (() => {
          const b = Buffer.from(good);
          b[line] = 0x58;
          return b;
        })(),
      ],
      [
        "JSON line broken",
        (() => {
          const b = Buffer.from(good);
          b[0] = 0x5b;
          return b;
        })(),
      ],
      [
        "JSON line says version 4",
        Buffer.from(good.toString("latin1").replace('"version":5', '"version":4'), "latin1"),
      ],
      [
        "salt cut",
        Buffer.from(good.toString("latin1").replace(/"salt":"[^"]{8}/, '"salt":"'), "latin1"),
      ],
      ["empty file", Buffer.alloc(0)],
      ["random bytes of the same size", randomBytes(good.length)],
    ];
    for (const [what, bytes] of cases) {
      put(bytes);
      const got = await post(7);
      const contained = got === "withheld" || got === "redacted";
      t.attempt(contained);
      expect(got, what).not.toBe("LEAKED");
      expect(contained, `${what}: ${got}`).toBe(true);
    }
    put(good);
  }, 600_000);

  it("the bitmaps' window list out of order, or a window no form has: fails closed or still redacts", async () => {
    const t = tally("cache v5: bitmap window list edited");
    const line = good.indexOf(10) + 1;
    const count = good.readUInt32LE(line + 8);
    const nBitmaps = good.readUInt32LE(line + 12);
    expect(nBitmaps).toBeGreaterThan(1);
    const windowsAt = Math.ceil((line + 32 + count * 17) / 4) * 4;
    for (const edit of [
      (b: Buffer) => ([b[windowsAt], b[windowsAt + 1]] = [b[windowsAt + 1]!, b[windowsAt]!]),
      (b: Buffer) => (b[windowsAt] = 0),
      (b: Buffer) => (b[windowsAt + nBitmaps - 1] = b[windowsAt + nBitmaps - 2]!),
    ]) {
      const b = Buffer.from(good);
      edit(b);
      put(b);
      const got = await post(11);
      t.attempt(got === "withheld" || got === "redacted");
      expect(got).not.toBe("LEAKED");
      expect(["withheld", "redacted"]).toContain(got);
    }
    put(good);
  }, 300_000);

  it("a version 4 file (the previous hookpack's) is still read and redacts; a version 3 one is refused", async () => {
    const t = tally("cache v5: an older file in its place");
    put(JSON.stringify(hookCacheAsV4(good)));
    const v4 = await post(21);
    t.attempt(v4 === "redacted");
    expect(v4).toBe("redacted");
    // Version 3 files gave values away: never searched (as before; `doctor` and the debug log say
    // so and `hookpack scan --state` rebuilds it). The value is not handed back by the cache either.
    put(JSON.stringify({ ...hookCacheAsV4(good), version: 3 }));
    expect(await post(21)).not.toBe("redacted");
    // The next store write replaces the older file with version 5.
    put(JSON.stringify(hookCacheAsV4(good)));
    const r = await hookpack(["secret", "set", "CACHE5_EXTRA"], {
      input: randomBytes(20).toString("hex"),
      env: env(),
      cwd: sb.project,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(hookCacheVersion(readFileSync(hookCacheV5Path(sb.hookpackHome)))).toBe(5);
    const after = await post(21);
    t.attempt(after === "redacted");
    expect(after).toBe("redacted");
    good = readFileSync(hookCacheV5Path(sb.hookpackHome));
  }, 300_000);

  it("version skew: what an older installed runtime reads (hook-cache.json alone) redacts every value", async () => {
    // Hooks of an older runtime read only hook-cache.json; before the version 5 file had a name of
    // its own, a version 5 file there was no cache to them and values passed unchanged. Every store
    // write keeps hook-cache.json current version 4 JSON: with the version 5 file out of the way (as
    // an older runtime sees the home) the hook still redacts each value.
    const t = tally("cache v5: hook-cache.json alone (an older runtime's view)");
    const json = readFileSync(hookCachePath(sb.hookpackHome), "utf8");
    expect(hookCacheVersion(Buffer.from(json))).toBe(4);
    expect(JSON.parse(json)).toMatchObject({ version: 4, format: "hookpack-hook-cache" });
    const v5 = hookCacheV5Path(sb.hookpackHome);
    renameSync(v5, `${v5}.away`);
    try {
      for (const i of [0, 7, 21]) {
        const got = await post(i);
        t.attempt(got === "redacted");
        expect(got).toBe("redacted");
      }
    } finally {
      renameSync(`${v5}.away`, v5);
    }
  }, 300_000);

  it("the binary file committed under another name does not leave by git push", async () => {
    const t = tally("cache v5: the binary file pushed under another name");
    const repo = join(sb.root, "leak-repo");
    const remote = join(sb.root, "leak-remote.git");
    const git = (args: string[], cwd = repo) =>
      runCommand("git", args, { cwd, env: { ...env(), GIT_TERMINAL_PROMPT: "0" } });
    expect(
      (await runCommand("git", ["init", "-q", "--bare", remote], { env: env() })).exitCode,
    ).toBe(0);
    expect(
      (await runCommand("git", ["init", "-q", "-b", "main", repo], { env: env() })).exitCode,
    ).toBe(0);
    await git(["remote", "add", "origin", remote]);
    writeFileSync(join(repo, "README.md"), "x\n");
    await git(["add", "."]);
    await git(["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "init"]);
    for (const name of ["tmp/fingerprints.bin", "assets/data.dat"]) {
      const dir = join(repo, name.split("/")[0]!);
      (await import("node:fs")).mkdirSync(dir, { recursive: true });
      writeFileSync(join(repo, name), good);
      await git(["add", name]);
      await git(["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", `add ${name}`]);
      const head = (await git(["rev-parse", "HEAD"])).stdout.trim();
      const r = await hookpack(["pre-push", "origin", remote], {
        input: `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n`,
        env: env(),
        cwd: repo,
      });
      const contained = r.exitCode !== 0 && r.stderr.includes(name);
      t.attempt(contained);
      expect(contained, `${name}: ${r.stderr}`).toBe(true);
      await git(["reset", "-q", "--hard", "HEAD~1"]);
    }
  }, 300_000);
});
