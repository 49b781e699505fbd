// h21-scanrest: `hookpack scan DIR` lists the directory with its own readdir walk
// (scanners/tree-files.ts) instead of fast-glob, which it still uses once a symbolic link is met.
// The agent puts a token where a hand-written walk could skip it: dot files and dot directories,
// names that look like the left-out node_modules/.git, glob characters and a backslash in a name
// (fast-glob turned `a\b.txt` into `a/b.txt`, a path that does not exist: the file was skipped as
// missing), 60 directories deep, beside and behind symbolic links (the fast-glob path). Each planted
// file is an attempt through the real CLI (dist/hookpack.cjs): contained = scan fails, reports that
// very file, and prints no value. Files under node_modules and .git are left out on purpose (as
// before), so none is planted there. Known gap, tallied as not contained: a backslash-named file in a
// tree that also holds a symbolic link (fast-glob still lists it under a path that does not exist).
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
beforeAll(() => {
  sb = sandbox();
});
afterAll(() => sb?.cleanup());

const PLANTED = [
  ".env",
  ".config/.secrets/creds.txt",
  "Node_Modules/token.js",
  "pkg/node_modules.js",
  "pkg/my.git/config",
  "pkg/.github/workflow.yml",
  "glob/we ird*[x].txt",
  "glob/{a,b}.txt",
  "glob/!(neg).txt",
  "glob/**/star.txt",
  "glob/back\\slash.txt",
  "glob/trailing\\",
  "unicode/é中文.txt",
  `${"d/".repeat(60)}deep.txt`,
];

async function scanAndCount(dir: string, names: string[], family: string) {
  const tokens = new Map<string, string>();
  names.forEach((name, i) => {
    const token = fakeTokens(3000 + i).github;
    tokens.set(name, token);
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), `const x = 1;\nexport GITHUB_TOKEN=${token}\n`);
  });
  const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.root });
  expect([0, 1]).toContain(r.exitCode);
  const report = JSON.parse(r.stdout) as { findings: Array<{ path: string }> };
  const printed = r.stdout + r.stderr;
  const noValue = [...tokens.values()].every((t) => !printed.includes(t));
  const t = tally(family);
  const missed: string[] = [];
  for (const name of names) {
    const ok = report.findings.some((f) => f.path === join(dir, name));
    t.attempt(ok && noValue);
    if (!ok) missed.push(name);
  }
  expect(missed).toEqual([]);
  expect(noValue).toBe(true);
  expect(r.exitCode).toBe(1);
}

describe("attack: a token where scan's directory walk could skip it", () => {
  it("a tree without links (the readdir walk): every planted file is reported", async () => {
    const dir = join(sb.root, "tree");
    // Decoys the walk leaves out, as fast-glob did (never reported, never counted).
    mkdirSync(join(dir, "x", "node_modules"), { recursive: true });
    writeFileSync(join(dir, "x", "node_modules", "dep.js"), "module.exports = 1;\n");
    await scanAndCount(dir, PLANTED, "scan: token in a file the tree walk could skip");
  }, 60_000);

  it("a tree with symbolic links (fast-glob): planted files beside and behind the links", async () => {
    const dir = join(sb.root, "linked");
    mkdirSync(join(dir, "real"), { recursive: true });
    mkdirSync(join(sb.root, "outside"), { recursive: true });
    writeFileSync(join(sb.root, "outside", "o.txt"), "nothing here\n");
    symlinkSync(join(sb.root, "outside"), join(dir, "real", "to-outside"));
    symlinkSync(join(dir, "nowhere"), join(dir, "broken"));
    await scanAndCount(
      dir,
      ["real/a.txt", ".hidden/b.txt", `${"n/".repeat(30)}c.txt`, "glob/[x].txt"],
      "scan: token beside a symbolic link (fast-glob path)",
    );
  }, 60_000);

  it("a backslash in a file name beside a symbolic link: fast-glob's path still misses it (known gap)", async () => {
    const dir = join(sb.root, "linked-backslash");
    mkdirSync(join(dir, "real"), { recursive: true });
    symlinkSync(join(sb.root, "outside"), join(dir, "real", "to-outside"));
    const token = fakeTokens(3999).github;
    writeFileSync(join(dir, "real", "back\\slash.txt"), `GITHUB_TOKEN=${token}\n`);
    const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.root });
    const report = JSON.parse(r.stdout) as { findings: Array<{ path: string }> };
    const hit = report.findings.some((f) => f.path === join(dir, "real", "back\\slash.txt"));
    tally("scan: backslash-named file beside a symbolic link (known gap)").attempt(hit);
    // fast-glob gives the name back with "/" for the backslash; the walk is not used once a link is
    // met. When this is fixed, this expectation flips.
    expect(hit).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(token);
  }, 60_000);
});
