// Where the per-user broker listens, and the public files its brokered children read. One place,
// because two parties depend on it: the broker (broker/client.ts, broker/daemon.ts, which create
// them) and `install --sandbox` (which lets the agent's sandbox reach exactly these paths and
// nothing else of HOOKPACK_HOME). Private broker state (its key, the CA's key) lives in
// $HOOKPACK_HOME/broker/, which no sandbox re-opens.
import { createHmac } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** sun_path is 108 bytes on Linux, 104 on macOS (with the NUL): longer paths move to a short directory. */
const MAX_SOCKET_PATH = 100;

/** $HOOKPACK_HOME/run: the socket and the CA certificates (public; no key). */
export const brokerRunDir = (hookpackHome: string): string => join(hookpackHome, "run");

/**
 * The broker's unix socket: $HOOKPACK_HOME/run/broker.sock when that path fits in sun_path, else a
 * private per-user directory under $XDG_RUNTIME_DIR or the temp directory, named by a hash of the home.
 */
export function brokerSocketPath(hookpackHome: string): string {
  const inside = join(brokerRunDir(hookpackHome), "broker.sock");
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside;
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const xdg = process.env.XDG_RUNTIME_DIR;
  const base = xdg && Buffer.byteLength(xdg) < 60 ? xdg : tmpdir().length < 60 ? tmpdir() : "/tmp";
  const tag = createHmac("sha256", "hookpack-broker-socket")
    .update(hookpackHome)
    .digest("hex")
    .slice(0, 20);
  return join(base, `hookpack-${uid}`, `${tag}.sock`);
}

/** The broker CA's certificate (NODE_EXTRA_CA_CERTS of brokered children). */
export const caCertPath = (hookpackHome: string): string =>
  join(brokerRunDir(hookpackHome), "ca.pem");
/** The CA plus Node's bundled Mozilla roots, for clients whose variable replaces their trust store (SSL_CERT_FILE, CURL_CA_BUNDLE, …). */
export const caBundlePath = (hookpackHome: string): string =>
  join(brokerRunDir(hookpackHome), "ca-bundle.pem");
