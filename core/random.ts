// Random bytes from the kernel's CSPRNG without loading node:crypto (which, with the stream
// internals it pulls in, costs a hook call ~3–5 ms): /dev/urandom is read directly. Only where it
// is missing (not a Unix system) does node:crypto supply them.
import { closeSync, openSync, readSync } from "node:fs";

/** `n` random bytes, hex. */
export function randomHex(n: number): string {
  try {
    const fd = openSync("/dev/urandom", "r");
    try {
      const bytes = Buffer.alloc(n);
      if (readSync(fd, bytes, 0, n, null) === n) return bytes.toString("hex");
    } finally {
      closeSync(fd);
    }
  } catch {
    // not a Unix system
  }
  return process.getBuiltinModule("node:crypto").randomBytes(n).toString("hex");
}
