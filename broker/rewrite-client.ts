// The hook's side of the one-round-trip `$secret:` rewrite (issue 21), and the few things about the
// broker that the hook and broker/client.ts both need (its directory, key file, build, wire
// basics). A module without a bundle of its own: it is part of broker-client.cjs, which the hook
// loads for a call with a reference; broker/client.ts imports it and re-exports what it always
// exported. (Inlined into hook.cjs instead, it saved a rewrite ~0.6 ms and cost every PostToolUse
// call ~1.6 ms of CPU: hooks/secret-ref-host.ts.)
import type * as Net from "node:net";
import type { Socket } from "node:net";
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { HookpackError } from "../core/errors.js";
import { randomHex } from "../core/random.js";
import { equalHex } from "../core/sha256-wasm.js";
import { hmacSha256HexSmall as hmacSha256Hex } from "./hmac-small.js";
import type { Verdict } from "../hooks/event.js";
import type { OfferedCall, RewriteCall } from "../rules/secret-ref-host.js";
import { brokerSocketPath } from "./paths.js";

// node:net (≈2.4 ms of CPU to load) is loaded on first use: the hook's rewrite reaches the broker
// over a raw pipe handle (rawExchange below) and loads it only when that is not available.
const net = (): typeof Net => process.getBuiltinModule("node:net");

declare const HOOKPACK_VERSION: string | undefined;
export const BROKER_VERSION: string =
  typeof HOOKPACK_VERSION === "string" ? HOOKPACK_VERSION : "0.0.0-dev";
export const PROTOCOL = 1;
export const BROKER_DIR = "broker";
export const DAEMON_BUNDLE = "broker-daemon.cjs";
export const REQUEST_TIMEOUT_MS = 15_000;

export const brokerDir = (home: string): string => join(home, BROKER_DIR);
export const brokerKeyPath = (home: string): string => join(brokerDir(home), "broker.key");
export const brokerLogPath = (home: string): string => join(brokerDir(home), "broker.log");

/** The broker key (32 bytes, hex in $HOOKPACK_HOME/broker/broker.key); undefined when absent or not one. */
export function readKeyFile(home: string): Buffer | undefined {
  try {
    const key = Buffer.from(readFileSync(brokerKeyPath(home), "utf8").trim(), "hex");
    if (key.length === 32) return key;
  } catch {
    // absent or unreadable (e.g. inside the agent's sandbox)
  }
  return undefined;
}

/** The bundle that runs the broker: next to this one in dist/. */
export function daemonScript(): string {
  const dir = typeof __dirname === "string" ? __dirname : join(process.argv[1] ?? ".", "..");
  return join(dir, DAEMON_BUNDLE);
}

/** What identifies a broker build: version, and the size and mtime of the daemon bundle. */
export function buildIdOf(script: string): string {
  try {
    const st = statSync(script);
    return `${BROKER_VERSION}:${st.size}:${Math.floor(st.mtimeMs)}`;
  } catch {
    return `${BROKER_VERSION}:missing`;
  }
}

export interface Hello {
  hello: 1;
  protocol: number;
  version: string;
  build: string;
  pid: number;
  nonce: string;
}

export interface BrokerReply {
  ok: boolean;
  code?: string;
  message?: string;
  hint?: string;
  [k: string]: unknown;
}

export function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

export function openSocket(path: string, timeoutMs = 2000): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = net().connect(path);
    const t = setTimeout(() => {
      s.destroy();
      rej(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(t);
      res(s);
    });
    s.once("error", (e) => {
      clearTimeout(t);
      rej(e);
    });
  });
}

export const unavailable = (home: string, why: string) =>
  new HookpackError(
    "BROKER_UNAVAILABLE",
    `hookpack: the hookpack broker for ${home} is not available (${why}); calls that need a secret are refused. The command was not started.`,
    `run \`hookpack broker status\`; the broker's log is ${brokerLogPath(home)}. Calls without secrets are not affected.`,
  );

export function fail(reply: BrokerReply): never {
  throw new HookpackError(
    reply.code ?? "BROKER_ERROR",
    reply.message ?? "hookpack: the broker refused the request.",
    reply.hint,
  );
}

// ----- the hook's `$secret:` rewrite in one request (issue 21) -----------------------------------
// A running broker of this build holds the grants already; it also reads the policy in force, the
// approvals and the store (warm, cached by content: broker/rewrite-service.ts), so the hook sends the
// call and gets the whole decision back. Signed both ways like every minting request, with
// broker/hmac-small.ts instead of node:crypto (which this path then never loads) or the
// WebAssembly module of core/sha256-wasm.ts (whose compile cost more than these few blocks).

const VERDICT_KINDS = new Set(["allow", "deny", "rewrite", "ask"]);

/** A verdict as the broker sends it, checked for shape (anything else is refused). */
function verdictOf(v: unknown): Verdict | undefined {
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.kind !== "string" || !VERDICT_KINDS.has(o.kind)) return undefined;
  if (o.kind === "allow") return { kind: "allow" };
  if (typeof o.reason !== "string") return undefined;
  if (o.kind === "rewrite") {
    const patch = o.patch as { command?: unknown } | undefined;
    if (!patch || typeof patch.command !== "string") return undefined;
    return {
      kind: "rewrite",
      patch: { command: patch.command },
      reason: o.reason,
      ...(o.approval === "ask" ? { approval: "ask" as const } : {}),
    };
  }
  if (typeof o.code !== "string") return undefined;
  return { kind: o.kind as "deny" | "ask", code: o.code, reason: o.reason };
}

/**
 * The decision for a shell call with `$secret:` references, from the running broker; undefined
 * when none of this build answers (or it closed the connection without an answer, or serves
 * another home): then the hook decides in-process, starting a broker to mint. An answer that is
 * not signed with the broker key, or that makes no sense, fails closed.
 */
export async function rewriteVia(
  home: string,
  env: NodeJS.ProcessEnv,
  call: RewriteCall,
): Promise<Verdict | undefined> {
  return startRewrite(home, env, call, false)?.answer();
}

/** One rewrite request on its way (rewriteVia; hooks/rewrite-early.ts sends it `early`). */
export interface RewriteRequest {
  /** The broker's decision, checked (see rewriteVia). */
  answer(): Promise<Verdict | undefined>;
  /**
   * An early request's grants are held by the broker until this (an HMAC over the request's nonce
   * on the same connection) arms them; false when the connection is gone (then they are revoked).
   */
  confirm(): boolean;
  /** Closes the connection: an early request's held grants are revoked. */
  close(): void;
  /** Is the connection still open (the broker has not closed it)? */
  open(): boolean;
}

/**
 * Sends the request now and returns at once (undefined when it cannot be sent: a relative cwd, no
 * broker key; decided in-process then). `early`: the broker mints the grants held, redeemable only
 * once confirm() is called on this connection (broker/daemon.ts), and keeps the connection open
 * for it; the connection does not keep this process alive.
 */
export function startRewrite(
  home: string,
  env: NodeJS.ProcessEnv,
  call: RewriteCall,
  early: boolean,
): RewriteRequest | undefined {
  // The broker resolves paths from its own directory: a relative cwd is decided here.
  if (!isAbsolute(call.cwd)) return undefined;
  const sent = sendSigned(
    home,
    env,
    { op: "rewrite", call, ...(early ? { early: true } : {}) },
    early,
  );
  if (!sent) return undefined;
  const { key, nonce, ex } = sent;
  let answered: Promise<Verdict | undefined> | undefined;
  return {
    answer: () => {
      if (answered) return answered;
      // An early request's connection does not keep the process alive (see rawExchange): this
      // timer does, while someone waits for its answer.
      const alive = early ? setInterval(() => {}, REQUEST_TIMEOUT_MS) : undefined;
      answered = answerOf(home, sent).finally(() => clearInterval(alive));
      return answered;
    },
    confirm: () =>
      ex.send(`${JSON.stringify({ confirm: hmacSha256Hex(key, `confirm\n${nonce}`) })}\n`),
    close: () => ex.close(),
    open: () => ex.open(),
  };
}

/**
 * Is this offered call's grant still pending (rules/rewrite-secret-refs.ts offeredBrokerCall)? The
 * same one-round-trip request as a rewrite (signed over its own nonce and time, over the raw pipe
 * handle, HMAC in plain JavaScript, broker/hmac-small.ts): a hook call on a command hookpack itself rewrote used to ask this
 * over broker/client.ts's hello round trip, which loads node:net and node:crypto (issue 21).
 * True or false only from an answer signed with the broker key over this request's nonce; an
 * answer that claims the key and fails it is false (fail closed). Undefined when it cannot be asked
 * this way (no key, nobody listens, another build, an older broker that refuses it, no answer):
 * broker/client.ts isOfferedVia then asks the ordinary way, which stays the authority.
 */
export async function offeredVia(
  home: string,
  env: NodeJS.ProcessEnv,
  call: OfferedCall,
): Promise<boolean | undefined> {
  let sent: SignedRequest | undefined;
  try {
    sent = sendSigned(home, env, { op: "offered", call }, false);
  } catch {
    return undefined; // signing failed (a broken runtime): asked the old way
  }
  if (!sent) return undefined;
  let lines: string[] | undefined;
  try {
    lines = await sent.ex.lines;
  } catch {
    return undefined;
  }
  const answer = signedAnswer(sent, lines);
  if (answer === undefined || answer === "gone") return undefined;
  // Unsigned: a refusal (an older broker takes no one-round-trip "offered"): asked the old way.
  if (answer === "unsigned") return undefined;
  if (answer === "forged") return false;
  const reply = parse(answer) as BrokerReply | undefined;
  if (!reply) return false;
  if (!reply.ok) return reply.code === "BROKER_BUILD" ? undefined : false;
  return reply.pending === true;
}

/** A one-round-trip request on its way (sendSigned). */
interface SignedRequest {
  key: Buffer;
  nonce: string;
  build: string;
  ex: Exchange;
}

/**
 * Sends a one-round-trip request (protocol v2: `fields` plus a fresh nonce, the time and this
 * build, signed with the broker key) over the raw pipe; undefined when there is no broker key.
 * The request does not wait for the broker's hello nonce: the broker accepts it once, within
 * REWRITE_WINDOW_MS of its own clock, and only from a client of its own build. It connects first
 * and signs while the broker accepts and writes its hello: the two overlap (the line is only read
 * once the connection is made, a later turn of the event loop than this one). A signing error
 * closes the connection (nothing sent) and is thrown.
 */
function sendSigned(
  home: string,
  env: NodeJS.ProcessEnv,
  fields: Record<string, unknown>,
  early: boolean,
): SignedRequest | undefined {
  const key = readKeyFile(home);
  if (!key) return undefined;
  const build = buildIdOf(daemonScript());
  let line: string | undefined;
  const ex = exchange(brokerSocketPath(home, env), () => line, early);
  const nonce = randomHex(16);
  const text = JSON.stringify({ ...fields, nonce, at: Date.now(), build });
  try {
    line = `${JSON.stringify({ v: 2, body: text, mac: hmacSha256Hex(key, `v2\n${text}`) })}\n`;
  } catch (error) {
    ex.close();
    throw error;
  }
  return { key, nonce, build, ex };
}

/**
 * The broker's answer line to a sendSigned request: its signed body, or why there is none —
 * undefined: nobody listens, another build or not a broker; "gone": closed before it answered;
 * "unsigned": an answer without a signature (a refusal); "forged": a signature that is not the
 * broker key's over this request's nonce, or no body.
 */
function signedAnswer(
  sent: SignedRequest,
  lines: string[] | undefined,
): string | "gone" | "unsigned" | "forged" | undefined {
  if (!lines) return undefined;
  const hello = parse(lines[0] ?? "") as Hello | undefined;
  if (!hello || hello.hello !== 1 || hello.protocol !== PROTOCOL || hello.build !== sent.build)
    return undefined;
  if (lines.length < 2) return "gone";
  const raw = parse(lines[1]!) as { body?: unknown; mac?: unknown } | undefined;
  if (raw && typeof raw.body === "string" && raw.mac === undefined) return "unsigned";
  if (
    !raw ||
    typeof raw.body !== "string" ||
    typeof raw.mac !== "string" ||
    !equalHex(hmacSha256Hex(sent.key, `${sent.nonce}\n${raw.body}`), raw.mac)
  )
    return "forged";
  return raw.body;
}

async function answerOf(home: string, sent: SignedRequest): Promise<Verdict | undefined> {
  let lines: string[] | undefined;
  try {
    lines = await sent.ex.lines;
  } catch (error) {
    throw unavailable(home, (error as Error).message);
  }
  const body = signedAnswer(sent, lines);
  // Nobody listens, another build (or not a broker): decided here, the hook (re)starts a broker on
  // the way to mint. Gone before it answered (killed, stopping): its grants went with it.
  if (body === undefined || body === "gone") return undefined;
  if (body === "unsigned" || body === "forged")
    throw unavailable(
      home,
      "an answer not signed with the broker key (another process answers on the broker's socket)",
    );
  let reply: BrokerReply;
  try {
    reply = JSON.parse(body) as BrokerReply;
  } catch {
    throw unavailable(home, "a malformed answer");
  }
  if (!reply.ok) {
    if (reply.code === "BROKER_BUILD") return undefined;
    fail(reply);
  }
  if (reply.home !== home) return undefined;
  const verdict = verdictOf(reply.verdict);
  if (!verdict) throw unavailable(home, "a malformed answer");
  return verdict;
}

/** A request line on its way: the broker's lines, a later line on the same connection, closing. */
interface Exchange {
  lines: Promise<string[] | undefined>;
  send(text: string): boolean;
  close(): void;
  open(): boolean;
}

/**
 * Sends one line on the broker's socket and returns the lines it answers (its hello, then the
 * answer) until it closes, or (`early`) once it has sent both; undefined when nobody listens. The
 * line is read from `line` once the connection is made (undefined: nothing is sent, the
 * connection closes at once). Over a raw pipe handle where this Node has one (no node:net to
 * load), else over node:net.
 */
function exchange(path: string, line: () => string | undefined, early: boolean): Exchange {
  let closed = false;
  let via: Exchange | undefined;
  const lines = (async (): Promise<string[] | undefined> => {
    const raw = rawExchange(path, line, early);
    if (raw) {
      via = raw as Exchange;
      const got = await raw.lines;
      if (got !== "unusable") return got;
      via = undefined;
    }
    if (closed) return undefined;
    let socket: Socket;
    try {
      socket = await openSocket(path);
    } catch {
      return undefined;
    }
    let open = true;
    via = {
      lines: Promise.resolve(undefined),
      send: (text) => open && !socket.destroyed && (socket.end(text), true),
      close: () => void socket.destroy(),
      open: () => open && !socket.destroyed,
    };
    if (closed) {
      socket.destroy();
      return undefined;
    }
    return new Promise((res, rej) => {
      let buf = "";
      const t = setTimeout(() => {
        socket.destroy();
        rej(new Error("the broker did not answer in time"));
      }, REQUEST_TIMEOUT_MS);
      if (early) t.unref();
      socket.setEncoding("utf8");
      socket.on("data", (c: string) => {
        buf += c;
        const got = buf.split("\n").slice(0, -1);
        if (early && got.length >= 2) {
          clearTimeout(t);
          res(got.slice(0, 2));
        }
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        open = false;
        clearTimeout(t);
        res(buf.split("\n").slice(0, -1));
      });
      const text = line();
      if (text === undefined) {
        clearTimeout(t);
        socket.destroy();
        return res(undefined);
      }
      socket.write(text);
      if (early) socket.unref();
    });
  })();
  return {
    lines,
    send: (text) => via?.send(text) ?? false,
    close: () => {
      closed = true;
      via?.close();
    },
    open: () => !closed && (via?.open() ?? false),
  };
}

interface PipeHandle {
  connect(req: unknown, path: string): number;
  readStart(): number;
  writeUtf8String(req: unknown, s: string): number;
  close(cb?: () => void): void;
  unref?(): void;
  onread: (ab: ArrayBuffer | undefined) => void;
}

/**
 * The same exchange over libuv's pipe handle as node:net drives it (process.binding("pipe_wrap")
 * and "stream_wrap", Node 20–24): undefined when this Node does not offer them or would warn about
 * process.binding (--pending-deprecation), lines "unusable" when they do not behave as expected
 * (then node:net is used); the broker's lines otherwise (undefined when nobody listens).
 */
function rawExchange(
  path: string,
  line: () => string | undefined,
  early: boolean,
):
  | {
      lines: Promise<string[] | undefined | "unusable">;
      send(text: string): boolean;
      close(): void;
      open(): boolean;
    }
  | undefined {
  if (
    process.env.NODE_PENDING_DEPRECATION === "1" ||
    /--pending-deprecation/.test(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`)
  )
    return undefined;
  type Bindings = {
    Pipe: new (type: number) => PipeHandle;
    PipeConnectWrap: new () => { oncomplete: (status: number) => void };
    constants: { SOCKET: number };
  };
  let pipe: Bindings;
  let stream: {
    WriteWrap: new () => { handle: unknown; oncomplete: () => void; async: boolean };
    streamBaseState: Int32Array;
    kReadBytesOrError: number;
    kArrayBufferOffset: number;
  };
  let handle: PipeHandle;
  try {
    const binding = (process as unknown as { binding(n: string): unknown }).binding;
    pipe = binding("pipe_wrap") as Bindings;
    stream = binding("stream_wrap") as typeof stream;
    if (
      typeof pipe.Pipe !== "function" ||
      typeof pipe.PipeConnectWrap !== "function" ||
      typeof stream.WriteWrap !== "function" ||
      !(stream.streamBaseState instanceof Int32Array) ||
      typeof stream.kReadBytesOrError !== "number" ||
      typeof stream.kArrayBufferOffset !== "number"
    )
      return undefined;
    handle = new pipe.Pipe(pipe.constants.SOCKET);
  } catch {
    return undefined;
  }
  let connected = false;
  let closed = false;
  let eof = false;
  const closeHandle = () => {
    if (closed) return;
    closed = true;
    try {
      handle.close();
    } catch {
      // closed
    }
  };
  /** Writes `text`; false when it could not be. Closes the handle once written. */
  const write = (text: string, then: "close" | "keep"): boolean => {
    const w = new stream.WriteWrap();
    w.handle = handle;
    w.oncomplete = () => {
      if (then === "close") closeHandle();
    };
    w.async = false;
    if (handle.writeUtf8String(w, text) < 0) return false;
    // Written at once (a line on a fresh local socket always is): closed now; else once written.
    if (!w.async && then === "close") closeHandle();
    return true;
  };
  const lines = new Promise<string[] | undefined | "unusable">((res) => {
    let done = false;
    const chunks: Buffer[] = [];
    const lines = () => Buffer.concat(chunks).toString("utf8").split("\n").slice(0, -1);
    const finish = (v: string[] | undefined | "unusable", keep = false) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      if (!keep) closeHandle();
      res(v);
    };
    // A raw handle that never answers is not trusted to: node:net takes over.
    const t = setTimeout(
      () => finish(chunks.length === 0 ? "unusable" : lines()),
      REQUEST_TIMEOUT_MS,
    );
    if (early) t.unref();
    try {
      const req = new pipe.PipeConnectWrap();
      req.oncomplete = (status: number) => {
        if (status < 0) return finish(undefined); // ENOENT, ECONNREFUSED: nobody listens
        if (closed) return finish(undefined);
        connected = true;
        try {
          handle.onread = (ab) => {
            const n = stream.streamBaseState[stream.kReadBytesOrError]!;
            if (n > 0 && ab) {
              chunks.push(Buffer.from(ab, stream.streamBaseState[stream.kArrayBufferOffset]!, n));
              // An early request: the hello and the answer are all it waits for; the connection
              // stays open for the confirmation, without keeping this process alive.
              if (early && !done) {
                const got = lines();
                if (got.length >= 2) {
                  finish(got.slice(0, 2), true);
                }
              }
            } else if (n < 0) {
              eof = true;
              if (done) closeHandle();
              finish(lines()); // EOF (or reset): what came
            }
          };
          if (handle.readStart() < 0) return finish("unusable");
          const text = line();
          if (text === undefined) return finish(undefined); // nothing to send: closed at once
          if (!write(text, "keep")) return finish("unusable");
          // An early request does not keep this process alive: a hook that never asks for the
          // answer exits, and the broker revokes what it held (whoever asks keeps it alive).
          if (early) handle.unref?.();
        } catch {
          finish("unusable");
        }
      };
      if (handle.connect(req, path) < 0) finish(undefined);
    } catch {
      finish("unusable");
    }
  });
  return {
    lines,
    send: (text) => {
      if (!connected || closed) return false;
      try {
        return write(text, "close");
      } catch {
        return false;
      }
    },
    close: closeHandle,
    open: () => connected && !closed && !eof,
  };
}
