// The one safe-file module: a private directory, atomic replace (temp file, fsync, rename, fsync
// of the directory), and an exclusive lock file that survives crashes (a dead holder's lock is
// taken over). Every writer of hookpack's state and of users' files goes through here: the store,
// keys, grants, leases and audit head under HOOKPACK_HOME, the installer's planned changes
// (installer/plan.ts) and the state cleaner's rewrites (rules/state-clean.ts).
import {
  chmodSync,
  closeSync,
  constants as fsc,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { HookpackError } from "./errors.js";
import { randomHex } from "./random.js";

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface WriteOptions {
  /**
   * The parent directory: "private" (default) creates it 0700 (hookpack's own state), "plain"
   * creates it with the umask's mode (a user's project), "existing" expects it to be there.
   */
  dir?: "private" | "plain" | "existing";
  /** Set the mode exactly (chmod), not less the umask: a 0600 settings file stays 0600. */
  exactMode?: boolean;
  /** false: skip the fsyncs (a file whose loss after a crash is detected and tolerated). */
  durable?: boolean;
}

/** Writes `data` to `path` so that a reader (or a crash) sees the old file or the new one. */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
  options: WriteOptions = {},
): void {
  const dir = dirname(path);
  const durable = options.durable ?? true;
  if ((options.dir ?? "private") === "private") ensurePrivateDir(dir);
  else if (options.dir === "plain") mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomHex(4)}.tmp`);
  const fd = openSync(tmp, "wx", mode);
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (options.exactMode) chmodSync(tmp, mode);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (durable) fsyncDir(dir);
  removeStaleTemps(dir, basename(path));
}

function fsyncDir(dir: string): void {
  try {
    const dfd = openSync(dir, "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Directory fsync is not supported everywhere (Windows); the rename is still atomic.
  }
}

/** Temp files left by writers that died (kill -9 mid-write). */
function removeStaleTemps(dir: string, base: string): void {
  const prefix = `.${base}.`;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    if (!pidAlive(pid)) {
      try {
        unlinkSync(join(dir, name));
      } catch {
        // raced with another cleaner
      }
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface LockOptions {
  timeoutMs?: number;
  /** A lock older than this is taken over even if its pid looks alive (pid reuse). */
  staleMs?: number;
}

/** Takes `lockPath` exclusively (breaking locks of dead processes); returns the release function. */
export function acquireLock(lockPath: string, options: LockOptions = {}): () => void {
  const timeout = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 120_000;
  const started = Date.now();
  ensurePrivateDir(dirname(lockPath));
  let fd: number | undefined;
  for (let attempt = 0; fd === undefined; attempt++) {
    try {
      fd = openSync(lockPath, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (isStale(lockPath, staleMs)) {
        try {
          if (lstatSync(lockPath).isDirectory()) rmdirSync(lockPath);
          else unlinkSync(lockPath);
        } catch {
          // someone else broke it first
        }
        continue;
      }
      if (Date.now() - started > timeout) {
        throw new HookpackError(
          "STORE_LOCKED",
          `hookpack: the secret store is locked by another hookpack process (${lockPath}).`,
          `wait for it to finish; if no hookpack is running, delete ${lockPath}.`,
        );
      }
      sleepSync(Math.min(100, 5 + attempt * 5 + Math.random() * 10));
    }
  }
  const held = fd;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    closeSync(held);
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone
    }
  };
}

/** Runs `fn` (sync or async) holding `lockPath` exclusively. */
export async function withLock<T>(
  lockPath: string,
  fn: () => T | Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const release = acquireLock(lockPath, options);
  try {
    return await fn();
  } finally {
    release();
  }
}

function isStale(lockPath: string, staleMs: number): boolean {
  // Looked at without following a symlink and without blocking: a FIFO planted at the lock path
  // (which readFileSync would wait on forever), a symlink, a directory or a socket is not a lock
  // hookpack makes, and is taken over like a dead holder's (test/security/store-lock.attack.test.ts).
  let fd: number;
  try {
    fd = openSync(lockPath, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ELOOP: a symlink; ENXIO: a socket. ENOENT: released meanwhile (not stale: just try again).
    return code === "ELOOP" || code === "ENXIO" || code === "EISDIR";
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return true;
    const buf = Buffer.alloc(32);
    const n = readSync(fd, buf, 0, 32, 0);
    const pid = Number(buf.toString("latin1", 0, n).trim());
    if (!pidAlive(pid)) {
      // An empty file may be a lock being written right now; give it a moment.
      return pid > 0 || Date.now() - st.mtimeMs > 1000;
    }
    return Date.now() - st.mtimeMs > staleMs;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
