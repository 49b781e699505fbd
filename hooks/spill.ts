// A redacted output too long for the agent's hook response is not cut: the parts that do not fit
// are written, REDACTED, to a private file, and the model is pointed at it, the way Claude Code
// itself persists a long Bash output (`… saved to: <path>` with a preview). What the model can
// reach is then the whole redacted output; the raw output is never written by hookpack.
//
// The file lives in hookpack's own directory under the system temp dir (TMPDIR honoured):
//   <tmp>/hookpack-<uid>/outputs/<session>-<tool call>-<random>.txt     (dirs 0700, files 0600)
// Never in HOOKPACK_HOME (the read guard keeps the agent out of it, and its store and key must not
// sit beside agent-readable files). The agent runs as the same user and may have prepared that
// path, so: every directory must be a real directory (not a symlink) owned by this user, or
// nothing is written; the file is created new (O_EXCL | O_NOFOLLOW, random name), never opened
// through an existing name. Files older than a week are pruned on the next spill.
//
// Pure apart from that one directory; loads nothing beyond node:fs/os/path (already loaded by the
// hook), and runs only when an output does not fit.
import { closeSync, constants, fchmodSync, lstatSync, mkdirSync, openSync, readdirSync, chmodSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forEachString, mapStrings, pathKey } from "./json-walk.js";

const KEEP_MS = 7 * 24 * 3600 * 1000;

/** Where spilled outputs go for this user. */
export function spillDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  return join(tmpdir(), `hookpack-${uid ?? "user"}`, "outputs");
}

/** A directory this user alone owns and can enter: created 0700, or checked (and tightened) when it exists. */
function privateDir(dir: string): boolean {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") return false;
  }
  try {
    const st = lstatSync(dir);
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

function prune(dir: string): void {
  try {
    const now = Date.now();
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".txt")) continue;
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isFile() && now - st.mtimeMs > KEEP_MS) unlinkSync(p);
    }
  } catch {
    // Best effort: a stale file holds redacted text only.
  }
}

/**
 * Writes `text` (already redacted) to a new 0600 file in the private spill directory; returns its
 * path, or undefined when no private place could be had (then nothing was written).
 */
export function writeSpill(text: string, hint: { session?: string; id?: string } = {}, dir = spillDir()): string | undefined {
  const parent = join(dir, "..");
  if (!privateDir(parent) || !privateDir(dir)) return undefined;
  prune(dir);
  const stem = [safePart(hint.session), safePart(hint.id)].filter(Boolean).join("-") || "output";
  for (let attempt = 0; attempt < 8; attempt++) {
    const random = `${process.pid.toString(36)}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    const path = join(dir, `${stem}-${random}.txt`);
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      return undefined;
    }
    try {
      fchmodSync(fd, 0o600);
      const data = Buffer.from(text, "utf8");
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
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

/**
 * Makes `output` fit `limit` chars of JSON by spilling its longest strings: each one that is cut
 * is written whole to a spill file and keeps a prefix plus a notice with the file's path. Returns
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
  dir = spillDir(),
): unknown {
  if (JSON.stringify(output).length <= limit) return output;
  if (typeof (output as { persistedOutputPath?: unknown } | null)?.persistedOutputPath === "string") return undefined;
  const spilled = new Map<string, { path: string; full: string }>();
  let current = output;
  for (let round = 0; round < 64; round++) {
    const size = JSON.stringify(current).length;
    if (size <= limit) return current;
    let longest: { key: string; length: number } | undefined;
    forEachString(current, (text, _path, keys) => {
      if (!longest || text.length > longest.length) longest = { key: pathKey(keys), length: text.length };
    });
    if (!longest || longest.length < 512) break;
    const { key } = longest;
    let entry = spilled.get(key);
    if (!entry) {
      let full = "";
      forEachString(current, (text, _path, keys) => {
        if (pathKey(keys) === key) full = text;
      });
      const path = writeSpill(full, hint, dir);
      if (path === undefined) return undefined;
      spilled.set(key, (entry = { path, full }));
    }
    const { full, path } = entry;
    const notice = spillNotice(0, full.length, path);
    // What the string may take: its share now minus the excess, less the notice and some slack for escaping.
    const room = Math.max(0, longest.length - (size - limit) - notice.length - 64);
    const keep = Math.min(room, full.length);
    current = mapStrings(current, (text, _path, keys) => (pathKey(keys) === key ? `${full.slice(0, keep)}${spillNotice(keep, full.length, path)}` : text));
    // Escapes (quotes, newlines, control characters) take more than one char of JSON: shrink on the next round.
    if (keep === 0 && JSON.stringify(current).length > limit) break;
  }
  if (JSON.stringify(current).length <= limit) return current;
  // Too many strings to cut: the whole output, as JSON, in one file.
  const path = writeSpill(JSON.stringify(output, null, 2), hint, dir);
  if (path === undefined) return undefined;
  const shrink = (v: unknown): unknown =>
    Array.isArray(v) ? v.slice(0, 1).map(shrink) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shrink(x)])) : v;
  const fitted = withhold(shrink(output), `[hookpack: this output is too long to hand back through a hook. The whole output, with secrets redacted, is saved as JSON to: ${path} (read it there)]`);
  return JSON.stringify(fitted).length <= limit ? fitted : undefined;
}
