// h21-scanrest: `hookpack scan PATH` lists a directory with a readdir walk (scanners/tree-files.ts)
// instead of fast-glob's "**/*" (which matched every entry against its globs: ~160 ms CPU for
// 10,000 files, the walk ~60 ms). The list must be fast-glob's, file for file: compared here on a
// tree of every kind of entry the walk decides about (dot files and directories, node_modules and
// .git as directories and as files at any depth, names with glob characters, backslashes, spaces,
// non-ASCII, FIFOs, an unreadable directory, deep nesting), and with symbolic links (which hand the
// tree to fast-glob itself). The one difference: a file name with a backslash, which fast-glob
// turned into a path that does not exist (so scan never read that file).
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { globTree, treeFiles, walkTree } from "../../scanners/tree-files.js";

const root = mkdtempSync(join(tmpdir(), "hookpack-tree-"));
afterAll(() => {
  try {
    chmodSync(join(root, "plain", "locked"), 0o755);
  } catch {
    // not created
  }
  rmSync(root, { recursive: true, force: true });
});

function file(path: string, body = "x\n"): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, body);
}

/** A tree without symbolic links. */
function plainTree(dir: string): void {
  const names = [
    "top.txt",
    ".env",
    ".hidden/inner.txt",
    ".hidden/.deeper/x",
    "a/node_modules/pkg/index.js",
    "a/b/node_modules/x.js",
    "node_modules/root.js",
    "b/.git/config",
    ".git/HEAD",
    "c/node_modules.txt",
    "c/.gitignore",
    "c/.git-keep",
    "c/my.node_modules",
    "d/Node_Modules/y.js",
    "d/.GIT/z",
    "e/we ird*[x].txt",
    "e/{a,b}.txt",
    "e/!(neg).txt",
    "e/back\\slash.txt",
    "e/-dash.txt",
    "e/é中文.txt",
    "e/(paren)/f.txt",
    "e/**/g.txt",
    "empty-dir-sibling/f",
    `${"deep/".repeat(40)}bottom.txt`,
  ];
  for (const n of names) file(join(dir, n));
  mkdirSync(join(dir, "empty-dir"));
  // Files named like the left-out directories.
  file(join(dir, "c", "node_modules"));
  file(join(dir, "c", ".git"));
  execFileSync("mkfifo", [join(dir, "c", "fifo")]);
  file(join(dir, "locked", "secret.txt"));
  if (process.getuid?.() !== 0) chmodSync(join(dir, "locked"), 0o000);
}

const sorted = (a: string[]) => [...a].sort();

describe("scan's tree walk lists exactly what fast-glob listed", () => {
  it("a tree without symbolic links: the readdir walk, no fast-glob", async () => {
    const dir = join(root, "plain");
    plainTree(dir);
    const walked = walkTree(dir);
    expect(walked).toBeDefined();
    const globbed = await globTree(dir);
    // One difference, on purpose: fast-glob returns a name holding a backslash with a "/" in its
    // place, a path that does not exist (scan then skipped the file as missing: a token in
    // `e/back\slash.txt` went unread). The walk returns the real path.
    const asGlobbed = (p: string) => dir + p.slice(dir.length).replace(/\\/g, "/");
    expect(sorted(walked!.map(asGlobbed))).toEqual(sorted(globbed));
    expect(sorted((await treeFiles(dir)).map(asGlobbed))).toEqual(sorted(globbed));
    expect(globbed).toContain(join(dir, "e", "back", "slash.txt"));
    expect(existsSync(join(dir, "e", "back", "slash.txt"))).toBe(false);
    expect(walked!.filter((p) => !existsSync(p))).toEqual([]);
    // Not vacuous: the tree's files are there, the left-out ones are not.
    expect(walked).toContain(join(dir, "e", "back\\slash.txt"));
    expect(walked).toContain(join(dir, ".hidden", ".deeper", "x"));
    expect(walked).toContain(join(dir, "d", "Node_Modules", "y.js"));
    expect(walked!.some((p) => p.endsWith("bottom.txt"))).toBe(true);
    expect(walked!.filter((p) => /[/\\](node_modules|\.git)([/\\]|$)/.test(p))).toEqual([]);
    expect(walked).not.toContain(join(dir, "c", "fifo"));
    expect(walked!.length).toBeGreaterThan(20);
  });

  it("a file, a missing path, an empty directory: what fast-glob gave", async () => {
    for (const p of [
      join(root, "plain", "top.txt"),
      join(root, "missing"),
      join(root, "plain", "empty-dir"),
    ]) {
      expect(walkTree(p)).toEqual([]);
      expect(await treeFiles(p)).toEqual(await globTree(p));
    }
  });

  it("symbolic links (to files, to directories, broken, in a loop) hand the tree to fast-glob", async () => {
    const dir = join(root, "links");
    file(join(dir, "real", "a.txt"));
    file(join(dir, "target.txt"));
    file(join(dir, "elsewhere", "b.txt"));
    symlinkSync(join(dir, "target.txt"), join(dir, "real", "to-file"));
    symlinkSync(join(dir, "elsewhere"), join(dir, "real", "to-dir"));
    symlinkSync(join(dir, "nowhere"), join(dir, "real", "broken"));
    symlinkSync(join(dir, "real"), join(dir, "real", "loop"));
    expect(walkTree(dir)).toBeUndefined();
    const listed = await treeFiles(dir);
    expect(sorted(listed)).toEqual(sorted(await globTree(dir)));
    // What following the links finds (fast-glob's own rules) is there.
    expect(listed).toContain(join(dir, "real", "to-file"));
    expect(listed).toContain(join(dir, "real", "to-dir", "b.txt"));
  });
});
