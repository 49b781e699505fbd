// A redacted output too long for the agent's hook response is not cut: the parts that do not fit
// are written, REDACTED, to a private file, and the model is pointed at it, the way Claude Code
// itself persists a long Bash output (`… saved to: <path>` with a preview). What the model can
// reach is then the whole redacted output; the raw output is never written by hookpack.
//
// Where: the first place that works of those the adapter names, then hookpack's own directory
// under the system temp dir (TMPDIR honoured). Claude Code names its session's tool-results
// directory, where it persists long outputs itself (and lets the model Read them without asking):
//   ~/.claude/projects/<slug>/<session>/tool-results/hookpack-<session>-<call>-<random>.txt
//   <tmp>/hookpack-<uid>/outputs/hookpack-<session>-<call>-<random>.txt     (dirs 0700, files 0600)
// Never in HOOKPACK_HOME (the read guard keeps the agent out of it, and its store and key must not
// sit beside agent-readable files). The agent runs as the same user and may have prepared that
// path, so: every directory must be a real directory (not a symlink) owned by this user, or
// nothing is written; the file is created new (O_EXCL | O_NOFOLLOW, random name), never opened
// through an existing name. Files older than a week are pruned on the next spill.
//
// Pure apart from that one directory; loads nothing beyond node:fs/os/path (already loaded by the
// hook), and runs only when an output does not fit.
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  chmodSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  firstOfEach,
  forEachString,
  mapStrings,
  pathKey,
  type PathKeys,
} from "../core/json-walk.js";

const KEEP_MS = 7 * 24 * 3600 * 1000;
/** Strings of one output spilled to files of their own at most; beyond, the whole output goes to one file as JSON. */
const MAX_SPILL_FILES = 8;
/** Strings this long have their JSON size taken on their own (fitWithSpill). */
const LONG = 512;

/** Where spilled outputs go for this user. */
export function spillDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  return join(tmpdir(), `hookpack-${uid ?? "user"}`, "outputs");
}

/** A directory this user alone owns and can enter: created 0700, or checked (and tightened) when it exists. */
function privateDir(dir: string): boolean {
  // Looked at first: after the first spill of a session both directories exist, and a mkdir that
  // fails with EEXIST costs an exception each time. Whatever happens in between, the lstat below
  // decides.
  let st: Stats | undefined;
  try {
    st = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") return false;
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return false;
    }
  }
  try {
    st ??= lstatSync(dir);
    if (!st.isDirectory() || st.isSymbolicLink()) return false;
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    if (uid !== undefined && st.uid !== uid) return false;
    if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
    return true;
  } catch {
    return false;
  }
}

const safePart = (s: string | undefined) => (s ?? "").replace(/[^A-Za-z0-9_-]/g, "").slice(0, 48);

/** Pruning runs at most once an hour per directory: each pass lstats every file in it. */
const PRUNE_EVERY_MS = 3600 * 1000;
/** The stamp of the last pass (an empty 0600 file; its mtime is the time of the pass). */
export const PRUNE_STAMP = ".hookpack-pruned";

/**
 * Deletes this hook's spill files older than a week. A long session leaves one file per long
 * output: with 300 of them a pass cost ~15 ms per spill, so a pass runs only when the stamp is
 * missing, not a plain file, or not from the last hour (a stamp dated in the future counts as
 * old). The stamp is replaced, never written through: unlink (a planted link goes, not its
 * target), then O_EXCL | O_NOFOLLOW. Someone who keeps the stamp fresh only keeps redacted files
 * longer.
 */
function prune(dir: string): void {
  const stamp = join(dir, PRUNE_STAMP);
  const now = Date.now();
  try {
    const st = lstatSync(stamp);
    if (st.isFile() && now - st.mtimeMs >= 0 && now - st.mtimeMs < PRUNE_EVERY_MS) return;
  } catch {
    // no stamp yet: prune
  }
  try {
    unlinkSync(stamp);
  } catch {
    // none there, or not ours to remove: the pass still runs
  }
  try {
    closeSync(
      openSync(
        stamp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
        0o600,
      ),
    );
  } catch {
    // another hook made it first, or the name is taken by something else: prune anyway
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith("hookpack-") || !name.endsWith(".txt")) continue;
    const p = join(dir, name);
    try {
      const st = lstatSync(p);
      if (st.isFile() && now - st.mtimeMs > KEEP_MS) unlinkSync(p);
    } catch {
      // Best effort (gone already, or raced with another hook): a stale file holds redacted text only.
    }
  }
}

/**
 * Writes `text` (already redacted) to a new 0600 file in the private spill directory; returns its
 * path, or undefined when no private place could be had (then nothing was written).
 */
export function writeSpill(
  text: string,
  hint: { session?: string; id?: string } = {},
  dirs: readonly string[] = [spillDir()],
): string | undefined {
  for (const dir of dirs) {
    const path = writeIn(dir, text, hint);
    if (path !== undefined) return path;
  }
  return undefined;
}

function writeIn(
  dir: string,
  text: string,
  hint: { session?: string; id?: string },
): string | undefined {
  const parent = join(dir, "..");
  if (!privateDir(parent) || !privateDir(dir)) return undefined;
  prune(dir);
  const stem = `hookpack-${[safePart(hint.session), safePart(hint.id)].filter(Boolean).join("-") || "output"}`;
  for (let attempt = 0; attempt < 8; attempt++) {
    const random = `${process.pid.toString(36)}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    const path = join(dir, `${stem}-${random}.txt`);
    let fd: number;
    try {
      fd = openSync(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
        0o600,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      return undefined;
    }
    try {
      fchmodSync(fd, 0o600);
      // The agent may swap a directory for a symlink between the checks above and the open, so
      // the new file may sit elsewhere: before anything is written, the directories must still
      // be private and `path` must name this very file (checked in that order: a directory put
      // back after the open leaves `path` naming nothing). An empty file is all a won race leaves.
      const made = fstatSync(fd);
      const named = privateDir(parent) && privateDir(dir) ? lstatSync(path) : undefined;
      if (!named || named.ino !== made.ino || named.dev !== made.dev) return undefined;
      // The text is written as it is (no 64 KB+ Buffer copy of it first); a short write (not seen
      // on a regular file, but allowed) finishes from a Buffer of the bytes not yet written.
      const size = Buffer.byteLength(text, "utf8");
      const wrote = writeSync(fd, text, null, "utf8");
      if (wrote < size) {
        const data = Buffer.from(text, "utf8");
        for (let at = wrote; at < data.length;) at += writeSync(fd, data, at, data.length - at);
      }
      return path;
    } catch {
      try {
        unlinkSync(path);
      } catch {
        // nothing more to do
      }
      return undefined;
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}

/** The line that replaces what did not fit; `saved to: <path>` is Claude Code's own wording for its persisted outputs. */
export const spillNotice = (shown: number, total: number, path: string): string =>
  `\n[hookpack: this output is too long to hand back through a hook (${shown} of ${total} chars shown). The whole output, with secrets redacted, is saved to: ${path} (read it there, with an offset and limit if it is large)]`;

interface Leaf {
  /** Its path (pathKey of it names the leaf: taken only for an output that does not fit). */
  keys: PathKeys;
  text: string;
  /** Its JSON size without the quotes, once taken (-1 before). */
  json: number;
}

/** Characters JSON.stringify writes as six (`\u00XX`, a lone surrogate as `\uDXXX`): rare in output. */
// eslint-disable-next-line no-control-regex -- the control characters JSON escapes are the point
const SIX = /[\u0000-\u0007\u000b\u000e-\u001f\ud800-\udfff]/;
/** The characters JSON.stringify writes as two (`\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`). */
const TWO = ['"', "\\", "\b", "\t", "\n", "\f", "\r"];

/**
 * JSON.stringify(text).length - 2, without building the escaped copy: for a long output leaf the
 * copy (64 KB and more) was the call's largest allocation after the payload itself and helped
 * bring on a scavenge (issue 21). Exact: each character JSON writes as two is counted by indexOf
 * (native, no allocation); a text with any character JSON writes as six (a control character, a
 * surrogate, paired or not) is measured by JSON.stringify itself. Exported for its differential test.
 */
export function jsonLength(text: string): number {
  if (SIX.test(text)) return JSON.stringify(text).length - 2;
  let n = text.length;
  for (const c of TWO) for (let at = text.indexOf(c); at !== -1; at = text.indexOf(c, at + 1)) n++;
  return n;
}

/**
 * The JSON size of `output` (JSON.stringify(output).length) and its string leaves. A long string's
 * JSON size is taken once (JSON.stringify of it alone, escapes counted) and the output's from them
 * and its shape with those strings emptied: a 64 KB output is not stringified whole and then again
 * string by string (~200 KB of garbage per redacting call, issue 21). Exact: emptying a string
 * takes exactly its escaped length out of the JSON. Exported for its differential test.
 */
export function measure(output: unknown): {
  total: number;
  leaves: Leaf[];
  jsonOf: (leaf: Leaf) => number;
} {
  const leaves: Leaf[] = [];
  let long = false;
  forEachString(output, (text, _path, keys) => {
    leaves.push({ keys, text, json: -1 });
    if (text.length >= LONG) long = true;
  });
  const jsonOf = (leaf: Leaf) => (leaf.json >= 0 ? leaf.json : (leaf.json = jsonLength(leaf.text)));
  let total: number;
  if (!long) total = JSON.stringify(output).length;
  else {
    total = JSON.stringify(mapStrings(output, (text) => (text.length >= LONG ? "" : text))).length;
    for (const leaf of leaves) if (leaf.text.length >= LONG) total += jsonOf(leaf);
  }
  return { total, leaves, jsonOf };
}

/**
 * Makes `output` fit `limit` chars of JSON by spilling its longest strings: each one that is cut
 * is written whole to a spill file and keeps a prefix plus a notice with the file's path (the
 * room left is shared in document order, so stdout's preview comes before stderr's). Returns
 * undefined when nothing could be written (the caller then cuts or withholds as before), or when
 * the agent already keeps the whole output in a file it points the model at (`persistedOutputPath`).
 * An output of many short strings that cannot be cut to fit is spilled whole, as JSON, and the
 * first content string carries the notice (the caller's `withhold` keeps the shape).
 */
export function fitWithSpill(
  output: unknown,
  limit: number,
  hint: { session?: string; id?: string },
  withhold: (output: unknown, notice: string) => unknown,
  preferred: readonly string[] = [],
): unknown {
  const dir = [...preferred, spillDir()];
  const sizeOf = (v: unknown) => JSON.stringify(v).length;
  const { total, leaves, jsonOf } = measure(output);
  if (total <= limit) return output;
  if (typeof (output as { persistedOutputPath?: unknown } | null)?.persistedOutputPath === "string")
    return undefined;
  const byLength = [...leaves].sort((a, b) => b.text.length - a.text.length);
  // Which strings go to files: the longest (at most MAX_SPILL_FILES), until the rest, each spilled
  // one reduced to its notice, leaves room for a preview. Planned from sizes before any file is
  // written: rendering the whole output once per candidate was quadratic (2,000 strings of 600
  // chars took 16 s and left 2,000 files, and a longer list would outlast the agent's hook
  // timeout, after which it shows the raw output).
  const longestDir = dir.reduce((a, b) => (b.length > a.length ? b : a), "");
  const noticeSize = (length: number) =>
    JSON.stringify(spillNotice(0, length, `${longestDir}/${"p".repeat(140)}`)).length - 2;
  const plan: typeof leaves = [];
  let left = total;
  for (const leaf of byLength) {
    if (plan.length > 0 && left <= limit - 1024) break;
    if (leaf.text.length < 512 || plan.length >= MAX_SPILL_FILES) break;
    left -= jsonOf(leaf) - noticeSize(leaf.text.length);
    plan.push(leaf);
  }
  const spilled = new Map<string, { path: string; text: string; keep: number }>();
  const render = () =>
    mapStrings(output, (text, _path, keys) => {
      const s = spilled.get(pathKey(keys));
      return s ? `${s.text.slice(0, s.keep)}${spillNotice(s.keep, s.text.length, s.path)}` : text;
    });
  if (left <= limit)
    for (const leaf of plan) {
      const path = writeSpill(leaf.text, hint, dir);
      if (path === undefined) return undefined;
      spilled.set(pathKey(leaf.keys), { path, text: leaf.text, keep: 0 });
    }
  let current = render();
  let size = sizeOf(current);
  if (spilled.size > 0 && size <= limit) {
    // Share the room left between the previews, in document order; escapes count as what they take in JSON.
    let room = limit - size - 64;
    for (const leaf of leaves) {
      const s = room > 0 ? spilled.get(pathKey(leaf.keys)) : undefined;
      if (!s) continue;
      let keep = Math.min(s.text.length, room);
      let taken = jsonLength(s.text.slice(0, keep));
      while (keep > 0 && taken > room) {
        keep = Math.floor(keep * 0.9);
        taken = jsonLength(s.text.slice(0, keep));
      }
      s.keep = keep;
      room -= taken + String(keep).length;
    }
    current = render();
    size = sizeOf(current);
    for (let round = 0; round < 8 && size > limit; round++) {
      const widest = [...spilled.values()].sort((a, b) => b.keep - a.keep)[0]!;
      widest.keep = Math.max(0, widest.keep - (size - limit) - 64);
      current = render();
      size = sizeOf(current);
    }
    if (size <= limit) return current;
  }
  // Too many strings to cut: the whole output, as JSON, in one file.
  const path = writeSpill(JSON.stringify(output, null, 2), hint, dir);
  if (path === undefined) return undefined;
  const fitted = withhold(
    firstOfEach(output),
    `[hookpack: this output is too long to hand back through a hook. The whole output, with secrets redacted, is saved as JSON to: ${path} (read it there)]`,
  );
  return sizeOf(fitted) <= limit ? fitted : undefined;
}
