// The per-user broker process: `node broker-daemon.cjs <HOOKPACK_HOME>`, started on demand by
// the first hook or `hookpack exec` that needs it (broker/client.ts), one per HOOKPACK_HOME. It
// holds the grants in memory (broker/grants.ts GrantTable), redeems them once, keeps the values of
// secrets that are injected at the outbound request (policy `inject`) and runs that proxy
// (broker/proxy.ts), and writes their audit entries. It stops when idle (no request for
// HOOKPACK_BROKER_IDLE_MS, default 10 minutes, no pending grant, no running injection session),
// on `hookpack broker stop`, on SIGTERM, or when its directory or socket disappears.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, lstatSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { HookpackError } from "../core/errors.js";
import { tryRecordAudit } from "./audit.js";
import {
  BROKER_VERSION,
  brokerDir,
  brokerSocketPath,
  brokerStatePath,
  buildIdOf,
  ensureSocketDir,
  mac,
  macOk,
  PROTOCOL,
  readBrokerKey,
  tryConnect,
} from "./client.js";
import { writeFileAtomic } from "../core/fs-safe.js";
import { GrantTable } from "./grants.js";
import type { InjectSpec } from "../rules/inject.js";
import { resolveValue } from "./providers.js";
import { parse } from "./rewrite-client.js";
import { createRewriteService, rewriteCallOf, type RewriteService } from "./rewrite-service.js";
import { openStore, storePath } from "./store.js";

const AUTHED = new Set(["mint", "offered", "revoke", "stop", "rewrite"]);
const MAX_LINE = 1024 * 1024;
/**
 * A one-round-trip request (`v: 2`, the hook's `rewrite` and `offered` only: broker/rewrite-client.ts) is
 * signed over its own nonce and time instead of the hello's nonce: accepted once, within this
 * window of the broker's clock (same machine, same clock), from a client of this very build.
 */
const REWRITE_WINDOW_MS = 30_000;
const MAX_SEEN = 200_000;

export interface Session {
  grant: string;
  agent: string;
  session: string;
  placeholder: string;
  name: string;
  value: string;
  inject: InjectSpec;
  /** Other managed values to mask in responses (encodings included). */
  started: number;
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) {
    process.stderr.write(
      "hookpack: usage: broker-daemon.cjs <HOOKPACK_HOME> (started by hookpack itself).\n",
    );
    process.exit(2);
  }
  const home: string = arg;
  process.umask(0o077);
  const log = (line: string) =>
    process.stderr.write(`hookpack-broker[${process.pid} ${new Date().toISOString()}]: ${line}\n`);
  const socketPath = brokerSocketPath(home);
  const build = buildIdOf(__filename);
  const key = readBrokerKey(home, true);
  if (!key) {
    log(`cannot create or read the broker key in ${brokerDir(home)}`);
    process.exit(1);
  }
  ensureSocketDir(socketPath);
  const idleStopMs =
    Number(process.env.HOOKPACK_BROKER_IDLE_MS) > 0
      ? Number(process.env.HOOKPACK_BROKER_IDLE_MS)
      : 10 * 60 * 1000;
  const grants = new GrantTable();
  // Nonces of one-round-trip requests seen within the window (insertion order is time order).
  const seen = new Map<string, number>();
  const fresh = (nonce: string, at: number): boolean => {
    const now = Date.now();
    for (const [n, t] of seen) {
      if (now - t <= 2 * REWRITE_WINDOW_MS) break;
      seen.delete(n);
    }
    if (Math.abs(now - at) > REWRITE_WINDOW_MS || seen.has(nonce) || seen.size >= MAX_SEEN)
      return false;
    seen.set(nonce, now);
    return true;
  };
  const rewrites = createRewriteService(home, grants);
  const sessions = new Map<string, Session>();
  let lastActivity = Date.now();
  let openConnections = 0;
  let proxy: import("./proxy.js").InjectionProxy | undefined;
  // The persistent model-request relay (broker/relay.ts), served while HOOKPACK_HOME/relay.json
  // (broker/relay-settings.ts) has routes; restarted when that file changes.
  let relay: { stamp: string; port?: number; close?: () => Promise<void> } = { stamp: "none" };
  let syncing: Promise<void> | undefined;
  const syncRelay = () => (syncing ??= syncRelayNow().finally(() => (syncing = undefined)));
  const syncRelayNow = async () => {
    const { relayConfigPath, readRelayConfig } = await import("./relay-settings.js");
    let stamp = "none";
    try {
      const st = statSync(relayConfigPath(home));
      stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      // no relay configured
    }
    if (stamp === relay.stamp) return;
    await relay.close?.();
    relay = { stamp };
    if (stamp === "none") return;
    try {
      const config = readRelayConfig(home);
      if (!config || Object.keys(config.routes).length === 0) return;
      const [{ startRelay }, { secretScanner }, { hookManagedSecrets }] = await Promise.all([
        import("./relay.js"),
        import("../rules/secretlint.js"),
        import("./hook-cache.js"),
      ]);
      const routes = Object.fromEntries(
        Object.entries(config.routes).map(([name, r]) => [
          name,
          { upstream: r.upstream, ...(r.caFile ? { ca: readFileSync(r.caFile) } : {}) },
        ]),
      );
      const started = await startRelay({
        routes,
        port: config.port,
        scanner: secretScanner,
        // Read per request, so a secret stored after the relay started is replaced too.
        managed: (route) => hookManagedSecrets({ HOOKPACK_HOME: home }, { agent: route }),
      });
      relay = { stamp, port: config.port, close: () => started.close() };
      log(`relay on 127.0.0.1:${config.port} for ${Object.keys(routes).join(", ")}`);
    } catch (error) {
      // Never a value: the reasons here are hookpack's own (a port in use, a bad upstream, no CA file).
      const code = (error as NodeJS.ErrnoException).code;
      log(
        `the relay did not start (${typeof code === "string" ? code : (error as Error).message.slice(0, 200)}); agents pointed at it fail until it does`,
      );
    }
  };
  const startedAt = new Date().toISOString();

  // The store, opened once with its key and kept in memory until store.json changes.
  let storeCache: { stamp: string; store: Awaited<ReturnType<typeof openStore>> } | undefined;
  const cachedStore = async (env: NodeJS.ProcessEnv) => {
    let stamp = "none";
    try {
      const st = statSync(storePath(home));
      stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      // no store yet
    }
    if (storeCache?.stamp !== stamp) storeCache = { stamp, store: await openStore({ home, env }) };
    return storeCache.store;
  };

  const server = createServer({ allowHalfOpen: false }, (socket) => handle(socket));
  server.maxConnections = 256;

  // Listen; a socket file left by a dead broker is replaced, a live broker is left alone.
  await new Promise<void>((resolveListen, rejectListen) => {
    const attempt = (retried: boolean) => {
      server.once("error", async (error: NodeJS.ErrnoException) => {
        if (error.code === "EADDRINUSE" && !retried) {
          const alive = await tryConnect(home);
          if (alive) {
            alive.conn.close();
            log(`another broker (pid ${alive.hello.pid}) already serves ${socketPath}; exiting`);
            process.exit(0);
          }
          try {
            if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
          } catch {
            // gone meanwhile
          }
          attempt(true);
        } else rejectListen(error);
      });
      server.listen(socketPath, () => resolveListen());
    };
    attempt(false);
  });
  chmodSync(socketPath, 0o600);
  const socketIno = statSync(socketPath).ino;
  writeFileAtomic(
    brokerStatePath(home),
    `${JSON.stringify({ pid: process.pid, socket: socketPath, version: BROKER_VERSION, build, startedAt })}\n`,
    0o600,
  );
  log(`listening on ${socketPath} (build ${build}, idle stop after ${idleStopMs} ms)`);
  await syncRelay();
  // Issue 19 (h1619-rest): leases orphaned by a dead exec or broker are revoked at start.
  void import("./leases.js").then((m) => m.sweepAtBrokerStart(home, process.env, log));
  // Issue 21: the hook's `$secret:` rewrites are decided here; their modules load soon after the
  // start, not on the first one (and not before the request of the hook that started us).
  setTimeout(() => void rewrites.warm().catch(() => undefined), 300).unref();

  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    server.close();
    proxy?.close();
    void relay.close?.();
    try {
      if (statSync(socketPath).ino === socketIno) unlinkSync(socketPath);
    } catch {
      // already gone or replaced
    }
    try {
      const state = JSON.parse(readFileSync(brokerStatePath(home), "utf8")) as { pid?: number };
      if (state.pid === process.pid) unlinkSync(brokerStatePath(home));
    } catch {
      // gone
    }
    setTimeout(() => process.exit(0), 50).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGHUP", () => {});

  setInterval(
    () => {
      const now = Date.now();
      grants.sweep(now);
      let ours = false;
      try {
        ours = statSync(socketPath).ino === socketIno && existsSync(brokerDir(home));
      } catch {
        ours = false;
      }
      if (!ours) return shutdown("its socket or directory was removed");
      void syncRelay();
      if (
        relay.port === undefined &&
        now - lastActivity > idleStopMs &&
        grants.pending(now) === 0 &&
        sessions.size === 0 &&
        openConnections === 0
      )
        shutdown(`idle for ${Math.round((now - lastActivity) / 1000)} s`);
    },
    Math.min(1000, Math.max(100, Math.floor(idleStopMs / 4))),
  ).unref();

  function handle(socket: Socket): void {
    openConnections++;
    lastActivity = Date.now();
    const nonce = randomBytes(16).toString("hex");
    const owned: string[] = [];
    let buf = "";
    let answered = false;
    socket.setEncoding("utf8");
    socket.on("error", () => {});
    // A connection that says nothing is dropped (only a redeem with a live injection session stays open).
    socket.setTimeout(10_000, () => {
      if (!keep) socket.destroy();
    });
    socket.on("close", () => {
      openConnections--;
      lastActivity = Date.now();
      // An early rewrite whose hook never confirmed: its grants are revoked (hooks/rewrite-early.ts).
      if (held.length > 0 && !confirmed) grants.drop(held);
      for (const ph of owned) {
        const s = sessions.get(ph);
        if (s) {
          sessions.delete(ph);
          proxy?.forget(ph);
        }
      }
    });
    socket.write(
      `${JSON.stringify({ hello: 1, protocol: PROTOCOL, version: BROKER_VERSION, build, pid: process.pid, nonce })}\n`,
    );
    socket.on("data", (chunk: string) => {
      if (answered && !awaitingConfirm) return;
      buf += chunk;
      if (buf.length > MAX_LINE) return socket.destroy();
      const i = buf.indexOf("\n");
      if (i === -1) return;
      if (awaitingConfirm) {
        // The early rewrite's hook, on the same connection, after its own pipeline reached the
        // same call: `{"confirm": HMAC(key, "confirm\n" + the request's nonce)}`. Anything else,
        // or nothing before the connection closes, revokes the held grants.
        awaitingConfirm = false;
        const got = parse(buf.slice(0, i)) as { confirm?: unknown } | undefined;
        if (got && macOk(key!, "confirm", earlyNonce, got.confirm)) {
          confirmed = true;
          grants.arm(held);
        } else grants.drop(held);
        socket.end();
        return;
      }
      answered = true;
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      void answer(line)
        .then(
          (reply) => reply,
          (error: unknown) =>
            error instanceof HookpackError
              ? { ok: false, code: error.code, message: error.message, hint: error.hint }
              : {
                  ok: false,
                  code: "BROKER_ERROR",
                  message: `hookpack: the broker failed: ${(error as Error).message}.`,
                  hint: "see the broker's log; `hookpack broker stop` restarts it on the next call.",
                },
        )
        .then((reply: { ok: boolean; stop?: boolean }) => {
          const text = JSON.stringify(reply);
          const withMac =
            clientNonce && reply.ok !== undefined && authedReply
              ? { body: text, mac: mac(key!, clientNonce, text) }
              : { body: text };
          if (!socket.destroyed) socket.write(`${JSON.stringify(withMac)}\n`);
          if (held.length > 0 && (!reply.ok || socket.destroyed)) grants.drop(held);
          else if (held.length > 0) {
            // Held grants wait for the hook's confirmation on this connection (or its close).
            awaitingConfirm = true;
            earlyNonce = clientNonce;
            if (buf.includes("\n")) socket.emit("data", "");
            return;
          }
          if (!keep) socket.end();
          if (reply.stop) shutdown("asked to stop");
        });
    });

    let clientNonce = "";
    let authedReply = false;
    let keep = false;
    // An early rewrite (hooks/rewrite-early.ts): the grants it minted held, and its confirmation.
    const held: string[] = [];
    let awaitingConfirm = false;
    let confirmed = false;
    let earlyNonce = "";
    async function answer(
      line: string,
    ): Promise<Record<string, unknown> & { ok: boolean; stop?: boolean }> {
      let env: { body?: unknown; mac?: unknown; v?: unknown };
      let body: Record<string, unknown>;
      try {
        env = JSON.parse(line) as typeof env;
        if (typeof env.body !== "string") throw new Error("no body");
        body = JSON.parse(env.body) as Record<string, unknown>;
      } catch {
        return {
          ok: false,
          code: "BROKER_PROTOCOL",
          message: "hookpack: a malformed request reached the broker.",
        };
      }
      clientNonce = typeof body.nonce === "string" ? body.nonce : "";
      const op = String(body.op);
      if (env.v === 2) {
        // One round trip (the hook's rewrite): signed over its own nonce and time, used once.
        const ok =
          (op === "rewrite" || op === "offered") &&
          /^[0-9a-f]{32}$/.test(clientNonce) &&
          typeof body.at === "number" &&
          macOk(key!, "v2", env.body as string, env.mac) &&
          fresh(clientNonce, body.at);
        if (!ok) {
          log(`refused an unauthenticated, stale or replayed one-round-trip "${op.slice(0, 40)}"`);
          clientNonce = "";
          return {
            ok: false,
            code: "BROKER_UNAUTHENTICATED",
            message: `hookpack: the broker refused "${op.slice(0, 40)}": the request was not signed with the broker key, or was stale or replayed.`,
            hint: "only hookpack's hook and CLI, which read the broker key, may ask for this.",
          };
        }
        authedReply = true;
        if (body.build !== build)
          return {
            ok: false,
            code: "BROKER_BUILD",
            message: "hookpack: this broker is another hookpack build.",
          };
      } else if (AUTHED.has(op)) {
        if (!macOk(key!, nonce, env.body as string, env.mac)) {
          log(`refused an unauthenticated "${op}" request`);
          return {
            ok: false,
            code: "BROKER_UNAUTHENTICATED",
            message: `hookpack: the broker refused "${op}": the request was not signed with the broker key.`,
            hint: "only hookpack's hook and CLI, which read the broker key, may ask for this.",
          };
        }
        authedReply = true;
      }
      switch (op) {
        case "status":
          return {
            ok: true,
            status: {
              startedAt,
              idleMs: Date.now() - lastActivity,
              idleStopMs,
              grantsPending: grants.pending(),
              grantsHeld: grants.heldCount(),
              sessions: sessions.size,
              proxyPort: proxy?.port,
              relayPort: relay.port,
              rewritesDecided: rewrites.decided(),
              pid: process.pid,
            },
          };
        case "stop":
          return { ok: true, stop: true };
        case "mint": {
          // Decided here against the policy in force, whatever the caller asked (issue 21).
          const g = await rewrites.mint(body.req);
          return { ok: true, id: g.id, expiresAt: g.expiresAt, approval: g.approval };
        }
        case "rewrite":
          // `early` (signed with the rest of the body): its grants are held until confirmed.
          return answerRewrite(rewrites, home, body, log, body.early === true ? held : undefined);
        case "offered":
          return {
            ok: true,
            pending: grants.isPendingFor(body.call as Parameters<GrantTable["isPendingFor"]>[0]),
          };
        case "revoke": {
          const name = String(body.name);
          let count = grants.revokeFor(name);
          for (const [ph, s] of sessions) {
            if (s.name === name) {
              sessions.delete(ph);
              proxy?.forget(ph);
              count++;
            }
          }
          return { ok: true, count };
        }
        case "redeem": {
          // The variables are part of the call: a value sent to BASH_ENV or LD_PRELOAD instead of
          // HOOKPACK_SECRET_<NAME> would change what the approved command does.
          const envVars =
            body.envVars && typeof body.envVars === "object"
              ? (body.envVars as Record<string, string>)
              : {};
          // A rewritten call's grant also needs its key, the exact texts of the variables that carry
          // its placeholders and whether its stdin does (the hook bound all three at mint time).
          const bound = {
            ...(typeof body.key === "string" ? { key: body.key } : {}),
            ...(body.placeholderEnv && typeof body.placeholderEnv === "object"
              ? { env: body.placeholderEnv as Record<string, string> }
              : {}),
            stdin: body.stdin === true,
          };
          // A grant of an early rewrite whose hook's confirmation is still on its way: waited for.
          await grants.settled(body.id, 2000);
          const grant = grants.redeem({
            id: String(body.id),
            argv: body.argv as string[],
            names: (body.names as string[]) ?? [],
            envVars,
            ...bound,
          });
          const inject = grant.inject ?? {};
          const phantoms: Record<string, { placeholder: string }> = {};
          if (Object.keys(inject).length === 0) return { ok: true, grant };
          const callerEnv = (body.env ?? {}) as Record<string, string>;
          const ctxEnv = { ...process.env, ...callerEnv };
          const store = await cachedStore(ctxEnv);
          const minted: Session[] = [];
          for (const [name, spec] of Object.entries(inject)) {
            const provider = store?.meta(name)?.provider ?? grant.providers?.[name];
            if (!provider)
              throw new HookpackError(
                "SECRET_UNKNOWN",
                `hookpack: unknown secret ${name} (not in the store at ${home}, no provider in the policy). The command was not started.`,
                `add it with \`hookpack secret set ${name}\`.`,
              );
            if (store?.meta(name)?.revoked)
              throw new HookpackError(
                "SECRET_REVOKED",
                `hookpack: secret ${name} was revoked by \`hookpack revoke\`. The command was not started.`,
                `rotate it at the source, then \`hookpack secret set ${name}\`.`,
              );
            const value = await resolveValue(name, provider, {
              home,
              env: ctxEnv,
              cwd: typeof body.cwd === "string" && existsSync(body.cwd) ? body.cwd : home,
              store,
            });
            const placeholder = `hookpack_phantom_${randomBytes(24).toString("base64url").replace(/[-_]/g, "x")}`;
            minted.push({
              grant: grant.id,
              agent: grant.agent,
              session: grant.session,
              placeholder,
              name,
              value,
              inject: spec,
              started: Date.now(),
            });
          }
          if (!proxy) {
            const { InjectionProxy } = await import("./proxy.js");
            proxy = new InjectionProxy(home, {
              audit: (e) => tryRecordAudit(home, e, (m) => log(m)),
              log,
            });
            await proxy.start();
          }
          for (const s of minted) {
            sessions.set(s.placeholder, s);
            owned.push(s.placeholder);
            proxy.remember(s);
            phantoms[s.name] = { placeholder: s.placeholder };
          }
          keep = true;
          const { providers: _p, inject: _i, ...safe } = grant;
          return {
            ok: true,
            grant: { ...safe, providers: grant.providers },
            phantoms,
            proxyEnv: proxy.childEnv(),
          };
        }
        default:
          return {
            ok: false,
            code: "BROKER_PROTOCOL",
            message: `hookpack: the broker does not know "${op.slice(0, 40)}".`,
          };
      }
    }
  }
}

/** `rewrite` (issue 21): the hook's whole decision for a shell call with `$secret:` references. */
async function answerRewrite(
  rewrites: RewriteService,
  home: string,
  body: Record<string, unknown>,
  log: (line: string) => void,
  held?: string[],
): Promise<Record<string, unknown> & { ok: boolean }> {
  const call = rewriteCallOf(body.call);
  if (!call)
    return {
      ok: false,
      code: "BROKER_PROTOCOL",
      message: "hookpack: a malformed rewrite request reached the broker.",
    };
  try {
    return { ok: true, home, verdict: await rewrites.decide(call, held) };
  } catch (error) {
    if (error instanceof HookpackError) throw error;
    // The rule's own failure, said without its text (the hook fails closed on it).
    log(`a rewrite failed: ${(error as Error).name}`);
    return {
      ok: false,
      code: "BROKER_ERROR",
      message: "hookpack: the broker could not decide this call.",
      hint: "see the broker's log; `hookpack broker stop` restarts it on the next call.",
    };
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `hookpack-broker[${process.pid}]: fatal: ${(error as Error).stack ?? String(error)}\n`,
  );
  process.exit(1);
});
