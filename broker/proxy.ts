// The broker's injection proxy (phantom tokens). A brokered child whose secret has an `inject`
// policy holds only a placeholder, and its HTTP(S) traffic is pointed here (HTTPS_PROXY & co.).
// For every CONNECT the proxy terminates TLS with a certificate from the per-user CA
// (broker/ca.ts) and looks at each request:
//  - no placeholder in the request line or headers: forwarded unchanged (TLS to the upstream
//    verified as usual);
//  - a live placeholder, to a host its `inject` names, over TLS: every trace of the placeholder
//    is removed and the value is put where the policy says (header with a format, basic auth, a
//    query parameter); the response (headers and body, error bodies included) is masked for the
//    value and its encodings; one audit entry per request;
//  - a live placeholder anywhere else (another host, plain http): refused with 403, never
//    forwarded, and audited.
// Request bodies are not rewritten: to the allowed host they pass as they are (a placeholder there
// is not swapped); to any other host a body that carries a live placeholder is cut off (403).
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  Agent as HttpAgent,
  createServer,
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { isIP, type Socket } from "node:net";
import { createSecureContext, rootCertificates, TLSSocket, type SecureContext } from "node:tls";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { Readable } from "node:stream";
import { createValueMatcher, type ValueMatcher } from "../rules/managed-values.js";
import type { AuditEvent } from "./audit.js";
import { caBundlePath, caCertPath, issueLeaf, loadAuthority, type Authority } from "./ca.js";
import { hostAllowed, type InjectSpec } from "../rules/inject.js";
import { ValueStream } from "./redact-stream.js";

/**
 * One injected secret of a redeemed grant, as the broker (broker/daemon.ts) hands it to the
 * proxy: the placeholder the child holds and the value that replaces it at the outbound request.
 * Declared here, not imported from the daemon, so the two modules do not import each other.
 */
export interface Session {
  grant: string;
  agent: string;
  session: string;
  placeholder: string;
  name: string;
  value: string;
  inject: InjectSpec;
  started: number;
}

const HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

interface Target {
  tls: boolean;
  host: string;
  port: number;
}

export interface ProxyOptions {
  audit(event: AuditEvent): void;
  log(line: string): void;
}

export class InjectionProxy {
  port = 0;
  private server: Server | undefined;
  private readonly inner: Server;
  private readonly sessions = new Map<string, Session>();
  private ca: Authority | undefined;
  private leafKey: KeyObject | undefined;
  private leafKeyPem = "";
  private readonly contexts = new Map<string, SecureContext>();
  private readonly targets = new WeakMap<object, Target>();
  /** Node's roots plus HOOKPACK_BROKER_UPSTREAM_CA, built once (a context per request would parse ~140 roots each time). */
  private readonly upstreamContext: SecureContext | undefined;
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });

  private readonly home: string;
  private readonly opts: ProxyOptions;

  constructor(home: string, opts: ProxyOptions) {
    this.home = home;
    this.opts = opts;
    this.inner = createServer((req, res) =>
      this.onRequest(req, res, this.targets.get(req.socket) ?? { tls: true, host: "", port: 443 }),
    );
    const extra = process.env.HOOKPACK_BROKER_UPSTREAM_CA;
    if (extra) {
      try {
        this.upstreamContext = createSecureContext({
          ca: [...rootCertificates, readFileSync(extra, "utf8")],
        });
      } catch (error) {
        opts.log(
          `HOOKPACK_BROKER_UPSTREAM_CA=${extra} cannot be used: ${(error as Error).message}`,
        );
      }
    }
  }

  async start(): Promise<void> {
    this.ca = loadAuthority(this.home);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    this.leafKey = privateKey;
    this.leafKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const server = createServer((req, res) => this.onPlainRequest(req, res));
    server.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.onConnect(req, socket, head),
    );
    server.on("clientError", (_e, socket: Socket) => socket.destroy());
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  close(): void {
    this.server?.close();
    this.server?.closeAllConnections?.();
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  remember(s: Session): void {
    this.sessions.set(s.placeholder, s);
  }

  forget(placeholder: string): void {
    this.sessions.delete(placeholder);
  }

  /** What a brokered child needs to send its HTTP(S) through here and trust the CA. */
  childEnv(): Record<string, string> {
    const url = `http://127.0.0.1:${this.port}`;
    const bundle = caBundlePath(this.home);
    const ca = caCertPath(this.home);
    return {
      HTTPS_PROXY: url,
      https_proxy: url,
      HTTP_PROXY: url,
      http_proxy: url,
      NO_PROXY: "",
      no_proxy: "",
      NODE_USE_ENV_PROXY: "1",
      SSL_CERT_FILE: bundle,
      CURL_CA_BUNDLE: bundle,
      REQUESTS_CA_BUNDLE: bundle,
      GIT_SSL_CAINFO: bundle,
      NODE_EXTRA_CA_CERTS: ca,
      DENO_CERT: ca,
      HOOKPACK_PROXY: url,
    };
  }

  private context(host: string): SecureContext {
    const h = host.toLowerCase();
    let ctx = this.contexts.get(h);
    if (!ctx) {
      const cert = issueLeaf(this.ca!, [h], this.leafKey ?? createPrivateKey(this.leafKeyPem));
      ctx = createSecureContext({ key: this.leafKeyPem, cert });
      this.contexts.set(h, ctx);
    }
    return ctx;
  }

  private onConnect(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on("error", () => {});
    socket.setNoDelay(true);
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(req.url ?? "");
    if (!m) {
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const host = m[1]!.replace(/^\[|\]$/g, "");
    const target: Target = { tls: true, host, port: Number(m[2]) };
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) socket.unshift(head);
    const tls = new TLSSocket(socket, {
      isServer: true,
      secureContext: this.context(host),
      ALPNProtocols: ["http/1.1"],
      SNICallback: (sni, cb) => cb(null, this.context(sni && !isIP(host) ? sni : host)),
    });
    tls.on("error", () => tls.destroy());
    this.targets.set(tls, target);
    this.inner.emit("connection", tls);
  }

  private onPlainRequest(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res
        .writeHead(400)
        .end("hookpack: the proxy takes absolute URLs (http://host/path) or CONNECT.\n");
      return;
    }
    if (url.protocol !== "http:") {
      res.writeHead(400).end("hookpack: only http:// URLs are proxied without CONNECT.\n");
      return;
    }
    this.onRequest(
      req,
      res,
      { tls: false, host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 80) },
      `${url.pathname}${url.search}`,
    );
  }

  /** Sessions whose placeholder the request carries (URL raw or decoded, header values, decoded basic credentials). */
  private carried(req: IncomingMessage, path: string): Session[] {
    if (this.sessions.size === 0) return [];
    const texts = [path, safeDecode(path)];
    for (const [k, v] of Object.entries(req.headers)) {
      for (const one of Array.isArray(v) ? v : [v ?? ""]) {
        texts.push(one);
        if (k === "authorization" || k === "proxy-authorization") {
          const b = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(one);
          if (b) texts.push(Buffer.from(b[1]!, "base64").toString("latin1"));
        }
      }
    }
    const all = texts.join("\n");
    return [...this.sessions.values()].filter((s) => all.includes(s.placeholder));
  }

  /** The audit entry of one value injected, or refused, on a request to `route`. */
  private auditInject(
    s: Session,
    route: string,
    req: IncomingMessage,
    path: string,
    outcome: { status?: number; refused?: string },
  ): void {
    this.opts.audit({
      kind: "inject",
      secret: s.name,
      grant: s.grant,
      agent: s.agent,
      session: s.session,
      host: route,
      method: req.method ?? "GET",
      path,
      ...outcome,
    });
  }

  private onRequest(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    rawPath?: string,
  ): void {
    res.on("error", () => {});
    req.on("error", () => {});
    const path = rawPath ?? req.url ?? "/";
    const found = this.carried(req, path);
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP.has(k) && v !== undefined) headers[k] = v;
    if (found.length === 0) {
      this.forward(req, res, target, path, headers, undefined);
      return;
    }
    const route = `${target.host}:${target.port}`;
    for (const s of found) {
      if (!target.tls || !hostAllowed(s.inject.hosts, target.host, target.port)) {
        const why = !target.tls
          ? "plain http (the value travels only over TLS)"
          : `${route} is not among the hosts its policy names (${s.inject.hosts.join(", ")})`;
        this.auditInject(s, route, req, stripQuery(path), {
          refused: target.tls ? "INJECT_HOST" : "INJECT_PLAINTEXT",
        });
        res.writeHead(403, { "content-type": "text/plain; charset=utf-8", connection: "close" });
        res.end(
          `hookpack: this request carries the placeholder of $secret:${s.name} to ${route}: refused, ${why}. It was not forwarded.\n`,
        );
        req.resume();
        return;
      }
    }
    // Remove every trace of the placeholders, then put each value where its policy says.
    const phs = found.map((s) => s.placeholder);
    const has = (text: string) => phs.some((p) => text.includes(p));
    for (const [k, v] of Object.entries(headers)) {
      const vals = Array.isArray(v) ? v : [String(v)];
      const decoded = vals.map((one) => {
        const b = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(one);
        return b ? `${one}\n${Buffer.from(b[1]!, "base64").toString("latin1")}` : one;
      });
      if (decoded.some(has)) delete headers[k];
    }
    let url = new URL(path, "https://placeholder.invalid");
    const search = new URLSearchParams(url.search);
    for (const [k, v] of [...search]) if (has(k) || has(v)) search.delete(k);
    let finalPath = url.pathname;
    if (has(finalPath) || has(safeDecode(finalPath)))
      finalPath = phs.reduce((p, ph) => p.split(ph).join(""), safeDecode(finalPath));
    for (const s of found) {
      const to = s.inject.to;
      if (to.kind === "header")
        headers[to.name.toLowerCase()] = to.format.split("{value}").join(s.value);
      else if (to.kind === "basic")
        headers.authorization = `Basic ${Buffer.from(`${to.username}:${s.value}`).toString("base64")}`;
      else search.set(to.name, s.value);
    }
    const qs = search.toString();
    url = new URL(`${finalPath}${qs ? `?${qs}` : ""}`, "https://placeholder.invalid");
    headers["accept-encoding"] = "identity";
    const matcher = createValueMatcher(
      found.map((s) => ({ name: s.name, value: s.value })),
      { mode: "bytes", minLength: 1 },
    );
    this.forward(req, res, target, `${url.pathname}${url.search}`, headers, {
      matcher,
      sessions: found,
      path: stripQuery(path),
    });
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    path: string,
    headers: OutgoingHttpHeaders,
    inject: { matcher: ValueMatcher; sessions: Session[]; path: string } | undefined,
  ): void {
    const options = {
      host: target.host,
      port: target.port,
      method: req.method,
      path,
      headers,
      agent: target.tls ? this.httpsAgent : this.httpAgent,
      ...(target.tls
        ? {
            servername: isIP(target.host) ? undefined : target.host,
            ...(this.upstreamContext ? { secureContext: this.upstreamContext } : {}),
            rejectUnauthorized: true,
          }
        : {}),
    };
    const route = `${target.host}:${target.port}`;
    const audit = (status: number | undefined, refused?: string) => {
      if (!inject) return;
      for (const s of inject.sessions)
        this.auditInject(s, route, req, inject.path, {
          ...(status !== undefined ? { status } : {}),
          ...(refused ? { refused } : {}),
        });
    };
    const upstream = (target.tls ? httpsRequest : httpRequest)(options, (up) => {
      audit(up.statusCode);
      const out: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers as IncomingHttpHeaders))
        if (!HOP.has(k) && v !== undefined) out[k] = v;
      if (!inject) {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
        up.pipe(res);
        return;
      }
      const mask = (s: string) =>
        inject.matcher.redact(Buffer.from(s, "utf8").toString("latin1")).text;
      for (const [k, v] of Object.entries(out))
        out[k] = Array.isArray(v) ? v.map((x) => mask(String(x))) : mask(String(v));
      let body: Readable = up;
      const enc = String(up.headers["content-encoding"] ?? "").toLowerCase();
      if (enc === "gzip" || enc === "x-gzip") body = up.pipe(createGunzip());
      else if (enc === "deflate") body = up.pipe(createInflate());
      else if (enc === "br") body = up.pipe(createBrotliDecompress());
      if (body !== up) delete out["content-encoding"];
      delete out["content-length"];
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      const stream = new ValueStream(inject.matcher, 1);
      body.on("data", (chunk: Buffer) => {
        const text = stream.push(chunk.toString("latin1"));
        if (text) res.write(Buffer.from(text, "latin1"));
      });
      body.on("end", () => res.end(Buffer.from(stream.flush(), "latin1")));
      body.on("error", () => res.destroy());
    });
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      audit(undefined, "UPSTREAM_FAILED");
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain; charset=utf-8", connection: "close" });
        res.end(
          `hookpack: the proxy could not reach ${route}: ${error.code ?? "error"}${error.code?.startsWith("ERR_TLS") || /certificate/i.test(error.message) ? " (the upstream's TLS certificate did not verify)" : ""}.\n`,
        );
      } else res.destroy();
    });
    this.pipeBody(req, res, upstream, target, inject?.sessions);
  }

  /**
   * Copies the request body upstream, holding back a placeholder's length so that a live
   * placeholder in the body (to a host that does not receive its value) is never forwarded: the
   * request is cut off and answered with 403. To the allowed host the body passes as it is.
   */
  private pipeBody(
    req: IncomingMessage,
    res: ServerResponse,
    upstream: ClientRequest,
    target: Target,
    injected: Session[] | undefined,
  ): void {
    const watch = [...this.sessions.values()].filter((s) => !injected?.includes(s));
    if (watch.length === 0) {
      req.pipe(upstream);
      return;
    }
    const keep = Math.max(...watch.map((s) => s.placeholder.length)) - 1;
    let held = Buffer.alloc(0);
    let stopped = false;
    const found = (buf: Buffer) => watch.find((s) => buf.includes(s.placeholder));
    const refuse = (s: Session) => {
      stopped = true;
      upstream.destroy();
      req.resume();
      this.opts.audit({
        kind: "inject",
        secret: s.name,
        grant: s.grant,
        agent: s.agent,
        session: s.session,
        host: `${target.host}:${target.port}`,
        method: req.method ?? "POST",
        path: stripQuery(req.url ?? "/"),
        refused: "INJECT_BODY",
      });
      if (!res.headersSent) {
        res.writeHead(403, { "content-type": "text/plain; charset=utf-8", connection: "close" });
        res.end(
          `hookpack: this request's body carries the placeholder of $secret:${s.name} to ${target.host}:${target.port}: refused, it was not forwarded.\n`,
        );
      } else res.destroy();
    };
    req.on("data", (chunk: Buffer) => {
      if (stopped) return;
      held = Buffer.concat([held, chunk]);
      const hit = found(held);
      if (hit) return refuse(hit);
      if (held.length > keep) {
        const out = held.subarray(0, held.length - keep);
        held = Buffer.from(held.subarray(held.length - keep));
        if (!upstream.write(out)) {
          req.pause();
          upstream.once("drain", () => req.resume());
        }
      }
    });
    req.on("end", () => {
      if (stopped) return;
      const hit = found(held);
      if (hit) return refuse(hit);
      upstream.end(held);
    });
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function stripQuery(path: string): string {
  const i = path.indexOf("?");
  return i === -1 ? path : `${path.slice(0, i)}?…`;
}
