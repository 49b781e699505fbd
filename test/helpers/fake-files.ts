// An in-memory RuleFiles (rules/rule.ts) for rule unit tests: a tree of files, directories and
// symbolic links under absolute paths, with a log of what the rule read and wrote. The real
// capability is hooks/rule-files.ts; the attacker's tests run the real hook process instead.
import { posix } from "node:path";
import type { DirEntry, FileStamp, RuleFiles } from "../../rules/rule.js";

type Node =
  | { type: "file"; text: string; mtimeMs: number; mode: number }
  | { type: "dir" }
  | { type: "link"; to: string }
  | { type: "other" };

export interface FakeFiles extends RuleFiles {
  /** Adds or replaces a file (its parent directories appear as needed). */
  write(path: string, text: string): void;
  /** Adds a symbolic link. */
  link(path: string, to: string): void;
  /** Adds a FIFO, socket or device: neither a file nor a directory. */
  special(path: string): void;
  /** A file's text now; undefined when it does not exist. */
  text(path: string): string | undefined;
  /** Called after each readWhole: a test's writer appending to a file while the rule cleans it. */
  onRead?: (path: string) => void;
  /** Every call, in order: "readHead /p/.env", "replace /p/out.txt", … */
  readonly log: string[];
}

export function fakeFiles(tree: Record<string, string> = {}, home = "/home/u"): FakeFiles {
  const nodes = new Map<string, Node>([["/", { type: "dir" }]]);
  let clock = 1;
  const log: string[] = [];
  const addDirs = (path: string) => {
    for (let d = posix.dirname(path); !nodes.has(d); d = posix.dirname(d))
      nodes.set(d, { type: "dir" });
  };
  /** Follows links (at most 40, as the kernel does). */
  const resolveLinks = (path: string): string | undefined => {
    let p = posix.resolve(path);
    for (let i = 0; i < 40; i++) {
      // Resolve the parent first, then the last component.
      const parent = p === "/" ? "/" : resolveLinks(posix.dirname(p));
      if (parent === undefined) return undefined;
      const here = p === "/" ? "/" : posix.join(parent, posix.basename(p));
      const node = nodes.get(here);
      if (!node) return undefined;
      if (node.type !== "link") return here;
      p = posix.resolve(posix.dirname(here), node.to);
    }
    return undefined;
  };
  const fileAt = (path: string) => {
    const real = resolveLinks(path);
    const node = real === undefined ? undefined : nodes.get(real);
    return node?.type === "file" ? { real: real!, node } : undefined;
  };
  const stampOf = (n: { text: string; mtimeMs: number; mode: number }): FileStamp => ({
    size: Buffer.byteLength(n.text),
    mtimeMs: n.mtimeMs,
    mode: n.mode,
  });
  const files: FakeFiles = {
    home,
    log,
    write(path, text) {
      addDirs(path);
      nodes.set(path, { type: "file", text, mtimeMs: clock++, mode: 0o600 });
    },
    link(path, to) {
      addDirs(path);
      nodes.set(path, { type: "link", to });
    },
    special(path) {
      addDirs(path);
      nodes.set(path, { type: "other" });
    },
    text: (path) => fileAt(path)?.node.text,
    kind(path) {
      log.push(`kind ${path}`);
      const real = resolveLinks(path);
      const node = real === undefined ? undefined : nodes.get(real);
      return node === undefined ? undefined : node.type === "link" ? undefined : node.type;
    },
    realpath: (path) => resolveLinks(path),
    list(dir) {
      log.push(`list ${dir}`);
      const real = resolveLinks(dir);
      if (real === undefined || nodes.get(real)?.type !== "dir") return undefined;
      const out: DirEntry[] = [];
      for (const [p, n] of nodes)
        if (p !== "/" && posix.dirname(p) === real)
          out.push({ name: posix.basename(p), type: n.type });
      return out;
    },
    readHead(path, maxBytes) {
      log.push(`readHead ${path}`);
      const f = fileAt(path);
      if (!f) return undefined;
      const head = Buffer.from(f.node.text).subarray(0, maxBytes);
      return head.subarray(0, 8192).includes(0) ? undefined : head.toString("utf8");
    },
    readWhole(path, maxBytes) {
      log.push(`readWhole ${path}`);
      const f = fileAt(path);
      if (!f || Buffer.byteLength(f.node.text) > maxBytes) return undefined;
      const read = { text: f.node.text, stamp: stampOf(f.node) };
      files.onRead?.(path);
      return read;
    },
    replaceIfUnchanged(path, stamp, text) {
      log.push(`replace ${path}`);
      const f = fileAt(path);
      if (!f) throw new Error(`ENOENT: ${path}`);
      const now = stampOf(f.node);
      if (now.size !== stamp.size || now.mtimeMs !== stamp.mtimeMs) return false;
      nodes.set(f.real, { type: "file", text, mtimeMs: clock++, mode: stamp.mode });
      return true;
    },
  };
  for (const [path, text] of Object.entries(tree)) files.write(path, text);
  return files;
}
