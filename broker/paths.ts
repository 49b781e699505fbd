// Where the per-user broker listens. One place, because two parties depend on it: the broker
// (which creates the socket) and `install --sandbox` (which lets the agent's sandbox reach exactly
// this path and nothing else of HOOKPACK_HOME).
import { join } from "node:path";

/** The broker's unix socket under `hookpackHome` (the directory HOOKPACK_HOME names). */
export function brokerSocketPath(hookpackHome: string): string {
  return join(hookpackHome, "run", "broker.sock");
}
