// Where the per-user broker listens, and the public files its brokered children read. One place,
// because two parties depend on it: the broker (broker/client.ts, broker/daemon.ts, which create
// them) and `install --sandbox` (which lets the agent's sandbox reach exactly these paths and
// nothing else of HOOKPACK_HOME). Private broker state (its key, the CA's key) lives in
// $HOOKPACK_HOME/broker/, which no sandbox re-opens.
import type * as Crypto from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The temp directory `env` names, as os.tmpdir() reads it from the process's own environment. */
function tmpDirOf(env: NodeJS.ProcessEnv): string {
  if (env === process.env || process.platform === "win32") return tmpdir();
  const dir = env.TMPDIR || env.TMP || env.TEMP || "/tmp";
  return dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
}

/** sun_path is 108 bytes on Linux, 104 on macOS (with the NUL): longer paths move to a short directory. */
const MAX_SOCKET_PATH = 100;

/** $HOOKPACK_HOME/run: the socket and the CA certificates (public; no key). */
export const brokerRunDir = (hookpackHome: string): string => join(hookpackHome, "run");

/**
 * The broker's unix socket: $HOOKPACK_HOME/run/broker.sock when that path fits in sun_path, else a
 * private per-user directory under $XDG_RUNTIME_DIR or the temp directory of `env`, named by a
 * hash of the home. `env` is the environment the broker is started with (client.ts passes it on
 * to the daemon), so an in-process client, the CLI and the daemon agree; the daemon itself uses
 * its own process.env, which is that environment.
 */
export function brokerSocketPath(
  hookpackHome: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const inside = join(brokerRunDir(hookpackHome), "broker.sock");
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside;
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const xdg = env.XDG_RUNTIME_DIR;
  const tmp = tmpDirOf(env);
  const base = xdg && Buffer.byteLength(xdg) < 60 ? xdg : tmp.length < 60 ? tmp : "/tmp";
  // node:crypto loads here only (a long home), not with the hook's broker client.
  const tag = (process.getBuiltinModule("node:crypto") as typeof Crypto)
    .createHmac("sha256", "hookpack-broker-socket")
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
