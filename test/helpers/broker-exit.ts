// Removing a sandbox whose broker still runs races the broker's own writes (audit, leases): rmSync
// fails with ENOTEMPTY when a file appears in a directory it is emptying. Stop that sandbox's broker
// (the pid in its broker.json, checked to be a hookpack process of THIS sandbox, so a reused pid is
// never signalled), wait for it to exit, then remove the sandbox.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pidAlive as alive } from "../../core/fs-safe.js";

/** The sandbox's broker pid, when that process is alive and was started with this HOOKPACK_HOME. */
export function sandboxBrokerPid(hookpackHome: string): number | undefined {
  let pid: number | undefined;
  try {
    pid = (
      JSON.parse(readFileSync(join(hookpackHome, "broker", "broker.json"), "utf8")) as {
        pid?: number;
      }
    ).pid;
  } catch {
    return undefined;
  }
  if (!pid || !alive(pid)) return undefined;
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
    if (!environ.includes(`HOOKPACK_HOME=${hookpackHome}`)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops the sandbox's broker (SIGTERM, then SIGKILL after `graceMs`), waits for it, then cleans up. */
export async function cleanupAfterBroker(
  sb: { hookpackHome: string; cleanup(): void },
  graceMs = 5000,
): Promise<void> {
  const pid = sandboxBrokerPid(sb.hookpackHome);
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    for (const end = Date.now() + graceMs; alive(pid) && Date.now() < end;) await sleep(50);
    if (alive(pid)) {
      process.kill(pid, "SIGKILL");
      for (const end = Date.now() + 2000; alive(pid) && Date.now() < end;) await sleep(50);
    }
  }
  // Whatever else still writes (an exec finishing its audit entry) gets a few retries.
  for (let i = 0; ; i++) {
    try {
      sb.cleanup();
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (i >= 20 || (code !== "ENOTEMPTY" && code !== "EBUSY")) throw error;
      await sleep(100);
    }
  }
}
