// The file capability the hook hands its rules (RuleContext.files): rules decide, this edge does
// the I/O. Every read is bounded, nothing follows a FIFO or device into a blocking open, and the
// one write (cleaning an agent's state file in place) never replaces a file that changed while it
// was read. Unit tests pass an in-memory fake instead (test/helpers/fake-files.ts).
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { DirEntry, FileStamp, RuleFiles } from "../rules/rule.js";

/** Opens a regular file for reading without blocking on a FIFO; undefined for anything else. */
function openRegular(path: string): { fd: number; stamp: FileStamp } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return undefined;
    }
    return { fd, stamp: { size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o777 } };
  } catch {
    closeSync(fd);
    return undefined;
  }
}

/** Reads up to `max` bytes from the start of an open file (in chunks: a small file costs little). */
function readUpTo(fd: number, max: number): Buffer {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < max) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, max - at));
    const n = readSync(fd, chunk, 0, chunk.length, at);
    if (n === 0) break;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    at += n;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export function nodeRuleFiles(home: string = homedir()): RuleFiles {
  return {
    home,
    kind(path) {
      try {
        const st = statSync(path);
        return st.isFile() ? "file" : st.isDirectory() ? "dir" : "other";
      } catch {
        return undefined;
      }
    },
    realpath(path) {
      try {
        return realpathSync(path);
      } catch {
        return undefined;
      }
    },
    list(dir) {
      try {
        return readdirSync(dir, { withFileTypes: true }).map((e): DirEntry => ({
          name: e.name,
          type: e.isFile()
            ? "file"
            : e.isDirectory()
              ? "dir"
              : e.isSymbolicLink()
                ? "link"
                : "other",
        }));
      } catch {
        return undefined;
      }
    },
    readHead(path, maxBytes) {
      const open = openRegular(path);
      if (!open) return undefined;
      try {
        const head = readUpTo(open.fd, maxBytes);
        // Binary content (images, archives) is shown as such, not as text; paths still apply.
        if (head.subarray(0, 8192).includes(0)) return undefined;
        return head.toString("utf8");
      } catch {
        return undefined;
      } finally {
        closeSync(open.fd);
      }
    },
    readWhole(path, maxBytes) {
      const open = openRegular(path);
      if (!open) return undefined;
      try {
        if (open.stamp.size > maxBytes) return undefined;
        // One byte more than stat said: a file that grew since is read to the bound, not cut.
        const text = readUpTo(open.fd, maxBytes + 1);
        if (text.length > maxBytes) return undefined;
        return { text: text.toString("utf8"), stamp: open.stamp };
      } catch {
        return undefined;
      } finally {
        closeSync(open.fd);
      }
    },
    replaceIfUnchanged(path, stamp, text) {
      const tmp = join(dirname(path), `.${basename(path)}.hookpack-${process.pid}.tmp`);
      writeFileSync(tmp, text, { mode: stamp.mode });
      const now = statSync(path);
      if (now.size === stamp.size && now.mtimeMs === stamp.mtimeMs) {
        renameSync(tmp, path);
        return true;
      }
      unlinkSync(tmp);
      return false;
    },
  };
}
