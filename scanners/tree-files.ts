// The files `hookpack scan PATH` reads under a directory: every regular file, dot files included,
// nothing under a `node_modules` or `.git` at any depth (a file of either name is left out too).
// That was one fast-glob "**/*" walk (its per-entry glob matching was ~160 ms CPU of a scan of
// 10,000 files; a plain readdir walk is ~60 ms). The walk below gives the same list; it stops at
// the first symbolic link and hands the whole directory to fast-glob as before, which follows
// links (to files and directories) with its own rules: test/scanners/tree-files.test.ts compares
// both on one tree.
import { readdirSync } from "node:fs";
import { join } from "node:path";

const LEFT_OUT = new Set(["node_modules", ".git"]);

/**
 * The regular files under `root` (an absolute path), directory by directory (breadth first, each
 * directory's entries in readdir order); undefined when a symbolic link is met anywhere.
 * An unreadable directory (or a root that is not one) contributes nothing, as fast-glob's
 * suppressErrors does.
 */
export function walkTree(root: string): string[] | undefined {
  const out: string[] = [];
  const queue = [root];
  for (let q = 0; q < queue.length; q++) {
    const dir = queue[q]!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (LEFT_OUT.has(e.name)) continue;
      if (e.isSymbolicLink()) return undefined;
      if (e.isDirectory()) queue.push(join(dir, e.name));
      else if (e.isFile()) out.push(join(dir, e.name));
    }
  }
  return out;
}

/** fast-glob's "**\/*" under `root` with scan's options (the reference, and the symlink path). */
export async function globTree(root: string): Promise<string[]> {
  const { default: fg } = await import("fast-glob");
  return fg("**/*", {
    cwd: root,
    dot: true,
    onlyFiles: true,
    absolute: true,
    ignore: ["**/node_modules/**", "**/.git/**"],
    suppressErrors: true,
  }).catch(() => []);
}

/** Every file `scan` reads under `root` (absolute). */
export async function treeFiles(root: string): Promise<string[]> {
  return walkTree(root) ?? globTree(root);
}
