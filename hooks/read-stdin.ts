// Bounded read of one hook payload: a size cap and a timeout, so a runaway writer can neither
// exhaust memory nor hang the agent.
//
// Speed matters here (every tool call spawns the hook): `process.stdin` loads the net and stream
// modules, ≈3 ms on Node 20. So stdin is read from its fd directly whatever it is: a regular file
// as it is; a pipe re-opened non-blocking through /proc on Linux; a UNIX socket (what a Node or
// libuv parent gives its child for `stdio: "pipe"`, so what most agents give their hooks) switched
// to non-blocking by libuv's own pipe handle, exactly as `process.stdin` would, without the
// stream layers above it. The fd must be non-blocking: a read still blocked in the thread pool
// after a timeout keeps the process from exiting, even through process.exit (libuv joins its
// threads at exit). Only what none of these fits (no /proc, other systems) uses the stream.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";

export const DEFAULT_MAX_STDIN_BYTES = 64 * 1024 * 1024;
export const DEFAULT_STDIN_TIMEOUT_MS = 10_000;
const CHUNK = 64 * 1024;

export interface StdinResult {
  text: string;
  /** More than the cap arrived; `text` holds only the first `maxBytes`. */
  overflow: boolean;
  /** The writer neither finished nor closed in time; `text` holds what arrived. */
  timedOut: boolean;
}

/** An fd that can be read without blocking the thread pool, or undefined to use the stream. */
function directFd(): { fd: number; close: boolean } | undefined {
  try {
    const stat = fstatSync(0);
    if (stat.isFile()) return { fd: 0, close: false };
    if (stat.isFIFO() && process.platform === "linux") {
      return {
        fd: openSync("/proc/self/fd/0", constants.O_RDONLY | constants.O_NONBLOCK),
        close: true,
      };
    }
    if (stat.isSocket() && process.platform !== "win32" && socketNonBlocking())
      return { fd: 0, close: false };
  } catch {
    // Fall back to the stream.
  }
  return undefined;
}

interface PipeHandle {
  open(fd: number): number;
}
/** Kept for the life of the process: the handle owns fd 0 once opened (closing it would close stdin). */
let socketHandle: PipeHandle | undefined;

/**
 * Puts a stdin socket in non-blocking mode through libuv's pipe handle (what net.Socket does for
 * process.stdin: uv_pipe_open sets O_NONBLOCK), without loading net or stream. The handle is
 * never started, so it neither reads nor keeps the process alive. False when the binding is not
 * there, or would print a deprecation warning (--pending-deprecation): the stream is used then.
 */
function socketNonBlocking(): boolean {
  if (socketHandle) return true;
  try {
    const flags = `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`;
    if (flags.includes("--pending-deprecation") || process.env.NODE_PENDING_DEPRECATION === "1")
      return false;
    const binding = (process as unknown as { binding(name: string): unknown }).binding(
      "pipe_wrap",
    ) as {
      Pipe: new (type: number) => PipeHandle;
      constants: { SOCKET: number };
    };
    const handle = new binding.Pipe(binding.constants.SOCKET);
    if (handle.open(0) !== 0) return false;
    socketHandle = handle;
    return true;
  } catch {
    return false;
  }
}

/**
 * What the hook's fast allow stage (hooks/fast-allow.ts) read of stdin before it handed the call
 * on: the bytes so far, whether the writer had closed, and the fd it read (none: it read nothing,
 * the stream is used). readStdin continues from it instead of reading the fd anew.
 */
export interface StdinPrefix {
  chunks: Buffer[];
  eof: boolean;
  direct: { fd: number; close: boolean } | undefined;
}

/**
 * Reads what stdin holds now, synchronously, never waiting: up to `limit` bytes, stopping at the
 * end, at a non-blocking fd with nothing in it yet (EAGAIN), or at a read error (then `eof`, as
 * readFd ends). Nothing is read when stdin is none of a file, a pipe or a socket fd we can read.
 */
export function readStdinNow(limit: number): StdinPrefix {
  const direct = directFd();
  const chunks: Buffer[] = [];
  if (!direct) return { chunks, eof: false, direct };
  let size = 0;
  while (size <= limit) {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let bytesRead: number;
    try {
      bytesRead = readSync(direct.fd, buffer, 0, CHUNK, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN" || code === "EWOULDBLOCK") return { chunks, eof: false, direct };
      return { chunks, eof: true, direct };
    }
    if (bytesRead === 0) return { chunks, eof: true, direct };
    chunks.push(buffer.subarray(0, bytesRead));
    size += bytesRead;
  }
  return { chunks, eof: false, direct };
}

export function readStdin(
  stream: () => Readable,
  maxBytes = DEFAULT_MAX_STDIN_BYTES,
  timeoutMs = DEFAULT_STDIN_TIMEOUT_MS,
  prefix?: StdinPrefix,
): Promise<StdinResult> {
  const direct = prefix?.direct ?? directFd();
  return direct
    ? readFd(direct.fd, direct.close, maxBytes, timeoutMs, prefix)
    : readStream(stream(), maxBytes, timeoutMs);
}

function collector(
  maxBytes: number,
  timeoutMs: number,
  onDone: () => void,
  resolve: (r: StdinResult) => void,
) {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finish = (overflow: boolean, timedOut: boolean) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    onDone();
    resolve({ text: Buffer.concat(chunks, size).toString("utf8"), overflow, timedOut });
  };
  /** Starts the timeout (only once the reader has to wait: a payload already there needs no timer). */
  const arm = () => {
    timer ??= setTimeout(() => finish(false, true), timeoutMs);
  };
  /** Adds a chunk; returns false once the payload is complete or over the cap. */
  const add = (chunk: Buffer): boolean => {
    if (size + chunk.length > maxBytes) {
      chunks.push(chunk.subarray(0, maxBytes - size));
      size = maxBytes;
      finish(true, false);
      return false;
    }
    chunks.push(chunk);
    size += chunk.length;
    return true;
  };
  return { add, finish, arm, isDone: () => done };
}

/**
 * Reads a regular file or a non-blocking pipe/socket with readSync: it never blocks (a file has
 * its bytes, a non-blocking fd answers EAGAIN), so no thread-pool round trip per chunk and no
 * thread pool at all (libuv starts its threads on the first async fs call: ≈1 ms per hook call).
 * Only when nothing is there yet does it wait, by timer, backing off to 5 ms, under the timeout.
 */
function readFd(
  fd: number,
  close: boolean,
  maxBytes: number,
  timeoutMs: number,
  prefix?: StdinPrefix,
): Promise<StdinResult> {
  return new Promise((resolve) => {
    const c = collector(maxBytes, timeoutMs, () => close && closeSync(fd), resolve);
    // What the fast stage read already goes through the same cap, then its end if it saw one.
    for (const chunk of prefix?.chunks ?? []) if (!c.add(chunk)) return;
    if (prefix?.eof) return c.finish(false, false);
    let idle = 0;
    let buffer = Buffer.allocUnsafe(CHUNK);
    const next = () => {
      while (!c.isDone()) {
        let bytesRead: number;
        try {
          bytesRead = readSync(fd, buffer, 0, CHUNK, null);
        } catch (error) {
          // Non-blocking pipe with nothing in it yet: poll again, backing off to 5 ms.
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "EAGAIN" || code === "EWOULDBLOCK") {
            c.arm();
            setTimeout(next, Math.min(5, idle++));
            return;
          }
          return c.finish(false, false);
        }
        idle = 0;
        if (bytesRead === 0) return c.finish(false, false);
        if (!c.add(buffer.subarray(0, bytesRead))) return;
        buffer = Buffer.allocUnsafe(CHUNK);
      }
    };
    next();
  });
}

function readStream(input: Readable, maxBytes: number, timeoutMs: number): Promise<StdinResult> {
  return new Promise((resolve) => {
    const c = collector(
      maxBytes,
      timeoutMs,
      () => {
        input.removeAllListeners("data");
        input.destroy();
      },
      resolve,
    );
    c.arm();
    input.on("data", (chunk: Buffer) => void c.add(chunk));
    input.once("end", () => c.finish(false, false));
    input.once("error", () => c.finish(false, false));
  });
}
