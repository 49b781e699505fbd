// Bounded read of one hook payload: a size cap and a timeout, so a runaway writer can neither
// exhaust memory nor hang the agent. (Reading fd 0 with fs.read would skip loading the stream
// modules, but a read blocked in the thread pool keeps the process from exiting after a timeout.)
import type { Readable } from "node:stream";

export const DEFAULT_MAX_STDIN_BYTES = 64 * 1024 * 1024;
export const DEFAULT_STDIN_TIMEOUT_MS = 10_000;

export interface StdinResult {
  text: string;
  /** More than the cap arrived; `text` holds only the first `maxBytes`. */
  overflow: boolean;
  /** The writer neither finished nor closed in time; `text` holds what arrived. */
  timedOut: boolean;
}

export function readStdin(input: Readable, maxBytes = DEFAULT_MAX_STDIN_BYTES, timeoutMs = DEFAULT_STDIN_TIMEOUT_MS): Promise<StdinResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (overflow: boolean, timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      input.removeAllListeners("data");
      input.pause();
      if (overflow || timedOut) input.destroy();
      resolve({ text: Buffer.concat(chunks).toString("utf8"), overflow, timedOut });
    };
    const timer = setTimeout(() => finish(false, true), timeoutMs);
    input.on("data", (chunk: Buffer) => {
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        size = maxBytes;
        finish(true, false);
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    input.once("end", () => finish(false, false));
    input.once("error", () => finish(false, false));
  });
}
