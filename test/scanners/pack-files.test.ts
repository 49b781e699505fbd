// check-pack DIR computes npm's file list in process (npm-packlist, bundled). It must be exactly the
// list the real `npm pack --dry-run --json` prints for the same directory, on packages that use
// every rule npm has: "files" (files, directories, globs, negations, "./"), .npmignore and
// .gitignore at the root and nested, bin (string and object) and main in ignored places,
// always-included (package.json, README, LICENSE, CHANGELOG variants) and always-excluded files
// (.git, node_modules, .npmrc, lock files, editor junk), and symbolic links.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packFilesInProcess } from "../../scanners/pack-list.js";

const root = mkdtempSync(join(tmpdir(), "hookpack-packfiles-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Tree = Record<string, string | { link: string }>;

function fixture(name: string, tree: Tree): string {
  const dir = join(root, name);
  for (const [path, body] of Object.entries(tree)) {
    const p = join(dir, path);
    mkdirSync(dirname(p), { recursive: true });
    if (typeof body === "string") writeFileSync(p, body);
    else symlinkSync(body.link, p);
  }
  return dir;
}

function npmList(dir: string): string[] {
  const env = {
    ...process.env,
    npm_config_cache: join(root, ".npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  };
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: dir,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const data = JSON.parse(out) as
    Array<{ files: Array<{ path: string }> }> | Record<string, { files: Array<{ path: string }> }>;
  const first = Array.isArray(data) ? data[0]! : Object.values(data)[0]!;
  return first.files.map((f) => f.path).sort();
}

const junk: Tree = {
  ".npmrc": "registry=http://127.0.0.1:9/\n",
  "package-lock.json": "{}\n",
  "yarn.lock": "\n",
  "node_modules/dep/index.js": "x\n",
  ".git/config": "[core]\n",
  ".DS_Store": "x",
  "npm-debug.log": "x\n",
  "a.js.orig": "x\n",
  ".hidden.swp": "x\n",
  "CVS/Entries": "x\n",
};

const cases: Array<[string, Tree]> = [
  [
    "files-array",
    {
      ...junk,
      "package.json": JSON.stringify({
        name: "files-array",
        version: "1.0.0",
        main: "dist/main.js",
        files: ["lib", "./single.js", "docs/*.md", "!lib/private.js", "types/"],
      }),
      "lib/a.js": "a\n",
      "lib/private.js": "p\n",
      "lib/deep/b.js": "b\n",
      "lib/.gitignore": "b.js\n",
      "single.js": "s\n",
      "docs/x.md": "x\n",
      "docs/y.txt": "y\n",
      "types/index.d.ts": "t\n",
      "dist/main.js": "m\n",
      "dist/other.js": "o\n",
      "README.md": "r\n",
      LICENSE: "l\n",
      "CHANGELOG.md": "c\n",
      "other.js": "o\n",
    },
  ],
  [
    "npmignore",
    {
      ...junk,
      "package.json": JSON.stringify({ name: "npmignore", version: "1.0.0" }),
      ".npmignore": "*.log\ntest/\n/build\n!keep.log\n",
      ".gitignore": "ignored-by-git-only.js\n",
      "ignored-by-git-only.js": "g\n",
      "a.log": "x\n",
      "keep.log": "k\n",
      "test/t.js": "t\n",
      "build/b.js": "b\n",
      "src/build/c.js": "c\n",
      "src/index.js": "i\n",
      "src/.npmignore": "secret.txt\n",
      "src/secret.txt": "s\n",
      "readme.markdown": "r\n",
      "licence.txt": "l\n",
    },
  ],
  [
    "nested-gitignore",
    {
      ...junk,
      "package.json": JSON.stringify({ name: "nested-gitignore", version: "1.0.0" }),
      ".gitignore": "/coverage\n*.tmp\n.claude/\n",
      "coverage/lcov.info": "c\n",
      "x.tmp": "x\n",
      ".claude/settings.local.json": "{}\n",
      "pkg/sub/.gitignore": "generated.js\n!keep.tmp\n",
      "pkg/sub/generated.js": "g\n",
      "pkg/sub/keep.tmp": "k\n",
      "pkg/sub/real.js": "r\n",
      "pkg/.env": "A=b\n",
      "index.js": "i\n",
    },
  ],
  [
    "bin-and-main",
    {
      ...junk,
      "package.json": JSON.stringify({
        name: "@scope/bin-and-main",
        version: "1.0.0",
        bin: "./bin/cli.js",
        main: "out/index.js",
        browser: "out/browser.js",
        files: ["src"],
      }),
      ".npmignore": "out/\nbin/\n",
      "bin/cli.js": "#!/usr/bin/env node\n",
      "bin/other.js": "o\n",
      "out/index.js": "i\n",
      "out/browser.js": "b\n",
      "out/extra.js": "e\n",
      "src/a.js": "a\n",
    },
  ],
  [
    "bin-object",
    {
      "package.json": JSON.stringify({
        name: "bin-object",
        version: "1.0.0",
        bin: { one: "tools/one.js", "../two": "./tools/two.js" },
        files: ["lib/"],
      }),
      "tools/one.js": "1\n",
      "tools/two.js": "2\n",
      "tools/three.js": "3\n",
      "lib/l.js": "l\n",
      README: "r\n",
    },
  ],
  [
    "symlinks",
    {
      "package.json": JSON.stringify({ name: "symlinks", version: "1.0.0" }),
      "real/a.js": "a\n",
      "link-file.js": { link: "real/a.js" },
      "link-dir": { link: "real" },
      "dangling.js": { link: "nowhere.js" },
      "index.js": "i\n",
    },
  ],
];

describe("check-pack DIR: npm's file list computed in process", () => {
  it.each(cases)(
    "%s: identical to npm pack --dry-run --json",
    async (name, tree) => {
      const dir = fixture(name, tree);
      const mine = await packFilesInProcess(dir);
      expect(mine).toBeDefined();
      expect([...mine!.files].sort()).toEqual(npmList(dir));
      // Not vacuous: package.json is always in, the always-excluded files never are.
      expect(mine!.files).toContain("package.json");
      expect(
        mine!.files.filter((f) =>
          /^(\.npmrc|package-lock\.json|yarn\.lock|node_modules\/|\.git\/)/.test(f),
        ),
      ).toEqual([]);
    },
    60_000,
  );

  it("leaves bundled dependencies and workspaces to npm itself", async () => {
    const bundled = fixture("bundled", {
      "package.json": JSON.stringify({
        name: "bundled",
        version: "1.0.0",
        dependencies: { dep: "1.0.0" },
        bundleDependencies: ["dep"],
      }),
      "node_modules/dep/package.json": JSON.stringify({ name: "dep", version: "1.0.0" }),
      "node_modules/dep/index.js": "d\n",
    });
    expect(await packFilesInProcess(bundled)).toBeUndefined();
    const ws = fixture("ws", {
      "package.json": JSON.stringify({ name: "ws", version: "1.0.0", workspaces: ["packages/*"] }),
      "packages/a/package.json": JSON.stringify({ name: "a", version: "1.0.0" }),
    });
    expect(await packFilesInProcess(ws)).toBeUndefined();
  });
});
