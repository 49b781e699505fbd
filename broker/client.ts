// The client side of the per-user broker process (broker/daemon.ts): where its socket is, how to
// start it on demand (one per HOOKPACK_HOME, under a lock, stale sockets cleaned), and the
// requests the hook, `hookpack exec`, `hookpack revoke` and `hookpack broker` send it.
//
// Wire: newline-delimited JSON over a 0600 unix socket in a 0700 directory. The broker speaks
// first ({hello, protocol, version, build, pid, nonce}); the client sends one request; the broker
// answers. Requests that mint, query, revoke or stop carry an HMAC over the broker's nonce made
// with the broker key ($HOOKPACK_HOME/broker/broker.key, 0600), and the broker answers with an
// HMAC over the client's nonce, so each side knows the other holds the key. Redeeming a grant
// needs no key: the grant id, bound to the exact argv, is the capability (see the README's threat
// model for what a same-user process can and cannot do with the socket).
import type * as ChildProcess from "node:child_process";
import type * as Crypto from "node:crypto";
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
} from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { HookpackError } from "../core/errors.js";
import { acquireLock, ensurePrivateDir, writeFileAtomic } from "../core/fs-safe.js";
import { brokerSocketPath } from "./paths.js";
import {
  BROKER_DIR,
  BROKER_VERSION,
  DAEMON_BUNDLE,
  PROTOCOL,
  REQUEST_TIMEOUT_MS,
  brokerDir,
  brokerKeyPath,
  brokerLogPath,
  buildIdOf,
  daemonScript,
  fail,
  openSocket,
  offeredVia,
  parse,
  readKeyFile,
  rewriteVia,
  unavailable,
  type BrokerReply,
  type Hello,
} from "./rewrite-client.js";

export { brokerSocketPath };
// The one-round-trip rewrite and what it shares with every other request live in
// ./rewrite-client.ts (inlined into hook.cjs); exported from here as they always were.
export {
  BROKER_DIR,
  BROKER_VERSION,
  DAEMON_BUNDLE,
  PROTOCOL,
  brokerDir,
  brokerKeyPath,
  brokerLogPath,
  buildIdOf,
  daemonScript,
  rewriteVia,
  type BrokerReply,
  type Hello,
};
import type { OfferedCall, GrantRequest } from "../rules/rewrite-secret-refs.js";
import type { Grant } from "./grants.js";

// node:crypto is loaded on first use (the hook's `$secret:` rewrite, ./rewrite-client.ts, signs
// with core/sha256-wasm.ts and never loads it: ≈3–5 ms).
const crypto = (): typeof Crypto => process.getBuiltinModule("node:crypto");
const randomBytes = (n: number): Buffer => crypto().randomBytes(n);

/** A placeholder a rewritten call carries (rules/secret-refs.ts placeholderFor; grants.ts PLACEHOLDER_RE). */
const PLACEHOLDER_RE = /HPK[a-z2-7]{16,}_\d+_/;

const START_TIMEOUT_MS = 8000;

export const brokerStatePath = (home: string): string => join(brokerDir(home), "broker.json");
const lockPath = (home: string) => join(brokerDir(home), "start.lock");

/** The directory that holds the socket, created 0700 and checked: ours, not a symlink, private. */
export function ensureSocketDir(socket: string): void {
  const dir = socket.slice(0, socket.lastIndexOf("/"));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new HookpackError(
      "BROKER_UNAVAILABLE",
      `hookpack: the broker's socket directory ${dir} is not a private directory of this user.`,
      `remove it (or fix it to mode 0700, owned by you) and retry.`,
    );
  }
}

/** Reads the broker key, creating it (0600) when `create`. */
export function readBrokerKey(home: string, create: boolean): Buffer | undefined {
  const have = readKeyFile(home);
  if (have || !create) return have;
  ensurePrivateDir(brokerDir(home));
  try {
    const fd = openSync(brokerKeyPath(home), "wx", 0o600);
    closeSync(fd);
    writeFileAtomic(brokerKeyPath(home), `${randomBytes(32).toString("hex")}\n`, 0o600);
  } catch {
    // another starter made it first
  }
  for (let i = 0; i < 50; i++) {
    const key = readKeyFile(home); // undefined while being written
    if (key) return key;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  return undefined;
}

export const mac = (key: Buffer, nonce: string, body: string): string =>
  crypto().createHmac("sha256", key).update(`${nonce}\n${body}`).digest("hex");
export function macOk(key: Buffer, nonce: string, body: string, got: unknown): boolean {
  if (typeof got !== "string" || got.length !== 64) return false;
  return crypto().timingSafeEqual(
    Buffer.from(mac(key, nonce, body), "hex"),
    Buffer.from(got, "hex"),
  );
}

/** One open connection: the broker's hello, then line-delimited JSON both ways. */
export class BrokerConnection {
  private buf = "";
  private readonly lines: string[] = [];
  private waiter: ((line: string | undefined) => void) | undefined;
  private ended = false;
  readonly socket: Socket;
  constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf("\n")) !== -1) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w(line);
        } else this.lines.push(line);
      }
    });
    const end = () => {
      this.ended = true;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(undefined);
      }
    };
    socket.on("close", end);
    socket.on("error", end);
  }
  next(timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(parse(line));
    if (this.ended) return Promise.reject(new Error("the broker closed the connection"));
    return new Promise((res, rej) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        rej(new Error("the broker did not answer in time"));
      }, timeoutMs);
      this.waiter = (l) => {
        clearTimeout(t);
        if (l === undefined) rej(new Error("the broker closed the connection"));
        else res(parse(l));
      };
    });
  }
  send(obj: unknown): void {
    this.socket.write(`${JSON.stringify(obj)}\n`);
  }
  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}

/** Connects and reads the hello; undefined when nobody listens (absent or stale socket). */
export async function tryConnect(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ conn: BrokerConnection; hello: Hello } | undefined> {
  let socket: Socket;
  try {
    socket = await openSocket(brokerSocketPath(home, env));
  } catch {
    return undefined;
  }
  const conn = new BrokerConnection(socket);
  try {
    const hello = (await conn.next(3000)) as Hello;
    if (!hello || hello.hello !== 1) throw new Error("no hello");
    return { conn, hello };
  } catch {
    conn.close();
    return undefined;
  }
}

/** The environment the broker runs with: the starter's, minus what would change how node or the loader behaves. */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (
      /^(NODE_|LD_|DYLD_|UV_|BASH_ENV$|ENV$|HTTPS?_PROXY$|https?_proxy$|ALL_PROXY$|all_proxy$)/.test(
        k,
      )
    )
      continue;
    out[k] = v;
  }
  return out;
}

function spawnDaemon(home: string, env: NodeJS.ProcessEnv): void {
  const script = daemonScript();
  if (!existsSync(script)) throw unavailable(home, `${script} is missing; reinstall hookpack`);
  ensurePrivateDir(brokerDir(home));
  const log = openSync(brokerLogPath(home), "a", 0o600);
  try {
    // Loaded here, not at the top: node:child_process pulls in dgram and the process bindings
    // (≈1.5 ms), and the hook's rewrite path only spawns when no broker answers.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require("node:child_process") as typeof ChildProcess;
    const child = spawn(process.execPath, [script, home], {
      detached: true,
      stdio: ["ignore", log, log],
      env: daemonEnv(env),
      cwd: brokerDir(home),
    });
    child.on("error", () => {});
    child.unref();
  } finally {
    closeSync(log);
  }
}

function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its parent) still answers kill 0.
    try {
      return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

async function waitGone(pid: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !pidGone(pid)) await new Promise((r) => setTimeout(r, 20));
}

export interface EnsureOptions {
  /** Restart a broker of another build (the hook and `exec` of this build need its grants). */
  restartOnMismatch?: boolean;
}

/**
 * A connection to this HOOKPACK_HOME's broker, starting it when none answers: under a lock, so
 * that concurrent starters start one; a socket left by a dead broker is replaced by the new one.
 */
export async function ensureBroker(
  home: string,
  env: NodeJS.ProcessEnv,
  options: EnsureOptions = {},
): Promise<{ conn: BrokerConnection; hello: Hello }> {
  const mine = buildIdOf(daemonScript());
  const first = await tryConnect(home, env);
  if (first && (first.hello.build === mine || !options.restartOnMismatch))
    return checkProtocol(home, first);
  if (first) {
    // Another build: ask it to stop, then start ours.
    const key = readBrokerKey(home, false);
    if (key) await request(first, key, { op: "stop" }).catch(() => undefined);
    else first.conn.close();
    await waitGone(first.hello.pid, 3000);
  }
  try {
    const socketPath = brokerSocketPath(home, env);
    ensureSocketDir(socketPath);
    let notSocket = false;
    try {
      notSocket = !lstatSync(socketPath).isSocket();
    } catch {
      // absent: fine
    }
    if (notSocket) throw unavailable(home, `${socketPath} exists and is not a socket; remove it`);
    readBrokerKey(home, true);
  } catch (error) {
    if (error instanceof HookpackError) throw error;
    throw unavailable(
      home,
      `cannot prepare ${brokerDir(home)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let release: () => void;
  try {
    release = acquireLock(lockPath(home), { timeoutMs: START_TIMEOUT_MS, staleMs: 30_000 });
  } catch {
    throw unavailable(home, "another process has been starting it for too long");
  }
  try {
    const again = await tryConnect(home, env);
    if (again && (again.hello.build === mine || !options.restartOnMismatch))
      return checkProtocol(home, again);
    again?.conn.close();
    spawnDaemon(home, env);
    const until = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 15));
      const c = await tryConnect(home, env);
      if (c && c.hello.build === mine) return checkProtocol(home, c);
      c?.conn.close();
    }
    throw unavailable(home, `it did not start within ${START_TIMEOUT_MS / 1000} s`);
  } finally {
    release();
  }
}

function checkProtocol(
  home: string,
  c: { conn: BrokerConnection; hello: Hello },
): { conn: BrokerConnection; hello: Hello } {
  if (c.hello.protocol !== PROTOCOL) {
    c.conn.close();
    throw unavailable(
      home,
      `it speaks protocol ${c.hello.protocol}, this hookpack speaks ${PROTOCOL}; run \`hookpack broker stop\``,
    );
  }
  return c;
}

/** Sends one request; with `key`, signs it and checks the broker's signature on the answer. */
export async function request(
  c: { conn: BrokerConnection; hello: Hello },
  key: Buffer | undefined,
  body: Record<string, unknown>,
  keepOpen = false,
): Promise<BrokerReply> {
  const nonce = randomBytes(16).toString("hex");
  const text = JSON.stringify({ ...body, nonce });
  c.conn.send(key ? { body: text, mac: mac(key, c.hello.nonce, text) } : { body: text });
  try {
    const raw = (await c.conn.next()) as { body?: string; mac?: string } | undefined;
    if (!raw || typeof raw.body !== "string") throw new Error("a malformed answer");
    if (key && !macOk(key, nonce, raw.body, raw.mac))
      throw new Error(
        "an answer not signed with the broker key (another process answers on the broker's socket)",
      );
    return JSON.parse(raw.body) as BrokerReply;
  } finally {
    if (!keepOpen) c.conn.close();
  }
}

async function authed(
  home: string,
  env: NodeJS.ProcessEnv,
  body: Record<string, unknown>,
): Promise<BrokerReply> {
  let c;
  try {
    c = await ensureBroker(home, env, { restartOnMismatch: true });
  } catch (error) {
    if (error instanceof HookpackError) throw error;
    throw unavailable(home, (error as Error).message);
  }
  const key = readBrokerKey(home, false);
  if (!key) {
    c.conn.close();
    throw unavailable(home, `its key ${brokerKeyPath(home)} cannot be read`);
  }
  try {
    return await request(c, key, body);
  } catch (error) {
    throw unavailable(home, (error as Error).message);
  }
}

/** The hook's grant: minted in the broker's memory. */
export async function mintGrantVia(
  home: string,
  env: NodeJS.ProcessEnv,
  req: GrantRequest,
): Promise<{ id: string; expiresAt: string }> {
  const reply = await authed(home, env, {
    op: "mint",
    req: { ...req, ttlMs: Number.isFinite(req.ttlMs) ? req.ttlMs : 24 * 3600 * 1000 },
  });
  if (!reply.ok) fail(reply);
  return { id: reply.id as string, expiresAt: reply.expiresAt as string };
}

/** Is this offered call's grant still pending? False when no broker runs (then it holds no grants). */
export async function isOfferedVia(
  home: string,
  env: NodeJS.ProcessEnv,
  call: OfferedCall,
): Promise<boolean> {
  // One round trip over the raw pipe first (broker/rewrite-client.ts offeredVia; issue 21).
  const quick = await offeredVia(home, env, call);
  if (quick !== undefined) return quick;
  const c = await tryConnect(home, env);
  if (!c) return false;
  const key = readBrokerKey(home, false);
  if (!key) {
    c.conn.close();
    return false;
  }
  try {
    const reply = await request(c, key, { op: "offered", call });
    return reply.ok && reply.pending === true;
  } catch {
    return false;
  }
}

/** `hookpack revoke`: outstanding grants for a name die in the broker (none when no broker runs). */
export async function revokeGrantsVia(
  home: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const c = await tryConnect(home, env);
  if (!c) return 0;
  const key = readBrokerKey(home, false);
  if (!key) {
    c.conn.close();
    throw unavailable(home, `its key ${brokerKeyPath(home)} cannot be read`);
  }
  const reply = await request(c, key, { op: "revoke", name });
  if (!reply.ok) fail(reply);
  return reply.count as number;
}

export interface Phantom {
  placeholder: string;
}
export interface Redeemed {
  grant: Grant;
  /** Secrets the proxy injects: the child gets the placeholder in place of the value. */
  phantoms: Record<string, Phantom>;
  /** Proxy and CA settings for the child (only with phantoms). */
  proxyEnv: Record<string, string>;
  /** Ends the injection session (call when the child has exited); closing the connection does it too. */
  release(): void;
}

/**
 * `hookpack exec --grant`: the broker takes the grant (once). For secrets with an `inject` policy
 * the broker keeps the value and answers with a placeholder and its proxy; the session lives as
 * long as this connection.
 */
export async function redeemVia(
  home: string,
  env: NodeJS.ProcessEnv,
  req: {
    id: string;
    argv: readonly string[];
    names: readonly string[];
    envVars?: Record<string, string>;
    cwd: string;
    key?: string;
    stdin?: boolean;
  },
): Promise<Redeemed> {
  if (!/^g_[a-z2-7]{26}$/.test(req.id)) {
    throw new HookpackError(
      "GRANT_INVALID",
      `hookpack: "${req.id.slice(0, 40)}" is not a grant id. The command was not started.`,
      "ask the agent to run its original command again (with the $secret: reference); the hook mints a fresh grant for each tool call.",
    );
  }
  const c = await tryConnect(home, env);
  if (!c) {
    throw new HookpackError(
      "GRANT_UNKNOWN",
      `hookpack: grant ${String(req.id).slice(0, 40)} is unknown here: the hookpack broker for ${home} cannot be reached (none is running, or this command runs where its socket is out of reach, such as the agent's sandbox); grants live only in its memory. The command was not started.`,
      "ask the agent to run its original command again (with the $secret: reference); the hook mints a fresh grant for each tool call.",
    );
  }
  checkProtocol(home, c);
  let reply: BrokerReply;
  try {
    reply = await request(
      c,
      undefined,
      {
        op: "redeem",
        id: req.id,
        argv: req.argv,
        names: req.names,
        envVars:
          req.envVars ?? Object.fromEntries(req.names.map((n) => [n, `HOOKPACK_SECRET_${n}`])),
        cwd: req.cwd,
        env: pickEnv(env),
        ...bindingOf(env, req),
      },
      true,
    );
  } catch (error) {
    c.conn.close();
    throw unavailable(home, (error as Error).message);
  }
  if (!reply.ok) {
    c.conn.close();
    fail(reply);
  }
  const phantoms = (reply.phantoms ?? {}) as Record<string, Phantom>;
  if (Object.keys(phantoms).length === 0) c.conn.close();
  else c.conn.socket.unref();
  return {
    grant: reply.grant as Grant,
    phantoms,
    proxyEnv: (reply.proxyEnv ?? {}) as Record<string, string>,
    release: () => c.conn.close(),
  };
}

/**
 * The delivery binding of a rewritten call: its key, whether its stdin carries placeholders, and
 * the variables of our environment that hold one (placeholders only, never a value): the broker
 * checks them against what the hook bound.
 */
function bindingOf(
  env: NodeJS.ProcessEnv,
  req: { key?: string; stdin?: boolean },
): Record<string, unknown> {
  if (req.key === undefined) return {};
  const placeholderEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && PLACEHOLDER_RE.test(v)) placeholderEnv[k] = v;
  return { key: req.key, stdin: req.stdin === true, placeholderEnv };
}

/** Variables a provider may read (kind env) travel with the redeem; nothing else of the caller's environment. */
function pickEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.HOOKPACK_PASSPHRASE) out.HOOKPACK_PASSPHRASE = env.HOOKPACK_PASSPHRASE;
  return out;
}

export interface BrokerStatus {
  running: boolean;
  socket: string;
  pid?: number;
  version?: string;
  build?: string;
  startedAt?: string;
  idleMs?: number;
  idleStopMs?: number;
  grantsPending?: number;
  /** Grants of early `$secret:` rewrites awaiting their hook's confirmation (issue 21). */
  grantsHeld?: number;
  sessions?: number;
  proxyPort?: number;
  /** The persistent model-request relay's loopback port, while it runs (HOOKPACK_HOME/relay.json). */
  relayPort?: number;
  /** `$secret:` calls the broker has decided for hooks since it started (issue 21). */
  rewritesDecided?: number;
  sameBuild?: boolean;
}

export async function brokerStatus(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BrokerStatus> {
  const socket = brokerSocketPath(home, env);
  const c = await tryConnect(home, env);
  if (!c) return { running: false, socket };
  const reply = await request(c, undefined, { op: "status" }).catch(() => undefined);
  return {
    running: true,
    socket,
    pid: c.hello.pid,
    version: c.hello.version,
    build: c.hello.build,
    sameBuild: c.hello.build === buildIdOf(daemonScript()),
    ...(reply?.ok ? (reply.status as object) : {}),
  };
}

/** Stops the broker; false when none was running. */
export async function stopBroker(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const c = await tryConnect(home, env);
  if (!c) return false;
  const key = readBrokerKey(home, false);
  if (!key) {
    c.conn.close();
    throw unavailable(home, `its key ${brokerKeyPath(home)} cannot be read`);
  }
  await request(c, key, { op: "stop" });
  await waitGone(c.hello.pid, 5000);
  return true;
}

/** Removes a socket file nobody listens on (the broker died). */
export function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // gone
  }
}
