// The last guard on the model request: a relay on loopback between the agent and its model
// provider. Every request body is checked before it leaves the machine: in a JSON body, every
// string (messages, tool results, the system prompt, token-counting calls) has managed values (by
// hash, from the hook cache), the inherited environment's secrets and detected tokens replaced by
// `[REDACTED:<label>]`, in place, deterministically (the same body always becomes the same bytes, so
// prompt caching keeps working; an untouched body is forwarded byte for byte). Responses stream
// back untouched. The user's own authentication headers are forwarded as they came. The relay
// refuses to start without TLS to the upstream, never logs a body, and fails closed: a request it
// cannot check is answered with an error naming the reason, and is not sent.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { forEachString, mapStrings } from "../core/json-walk.js";
import { applyHits, findSecrets, hitLabel, type TextHit } from "../rules/redact-tool-output.js";
import type { ManagedSecrets } from "../rules/rule.js";
import type { SecretScanner } from "../rules/secretlint.js";
import { HookpackError } from "../core/errors.js";

/** Bodies larger than this are refused (fail closed), never forwarded unchecked. */
export const MAX_RELAY_BODY_BYTES = 64 * 1024 * 1024;

export interface RelayRoute {
  /** The real provider, https only: "https://api.anthropic.com". */
  upstream: string;
  /** Extra CA certificates (PEM) to trust for the upstream (tests, corporate proxies). */
  ca?: string | Buffer;
}

/** The health path: answered by the relay itself (never forwarded), for `doctor` and `hookpack run`. */
export const RELAY_HEALTH_PATH = "/__hookpack/relay";

export interface RelayOptions {
  /** The real provider, https only: "https://api.anthropic.com". One upstream for the whole relay. */
  upstream?: string;
  /** Extra CA certificates (PEM) to trust for the upstream (tests, corporate proxies). */
  ca?: string | Buffer;
  /**
   * Several upstreams on one port (the persistent relay of the broker process): the first path
   * segment names the route (`/claude/v1/messages` goes to routes.claude's upstream + `/v1/messages`).
   * A request for no route is refused, never forwarded.
   */
  routes?: Record<string, RelayRoute>;
  scanner: SecretScanner;
  /** The managed values, or a function giving them per request (the persistent relay reads the store's cache each time). */
  managed?: ManagedSecrets | ((route: string | undefined) => ManagedSecrets | undefined);
  /** Host to listen on (loopback only). */
  host?: "127.0.0.1" | "::1";
  /** Port to listen on (0 or absent: any free port). */
  port?: number;
  /** Told the number of replacements per request (never a value); for `hookpack run`'s summary. */
  onRedacted?: (count: number, labels: readonly string[]) => void;
}

export interface Relay {
  url: string;
  close(): Promise<void>;
}

/**
 * A reason the relay itself gives for refusing a request. Only these messages (written by
 * hookpack, naming no value) reach the client; any other exception (the scanner, the JSON walker, a
 * library) may carry text from the request body, so the client gets a generic reason instead.
 */
export class RelayRefusal extends Error {}

/** The client-facing text for an exception caught while checking a request: hookpack's own words only. */
export function refusalText(error: unknown): string {
  return error instanceof RelayRefusal
    ? error.message
    : "an internal error occurred while checking it";
}

/** A network error's code (ECONNREFUSED, ERR_TLS_CERT_ALTNAME_INVALID) when it is one; never its message. */
export function upstreamErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && /^[A-Z][A-Z0-9_]{1,63}$/.test(code)
    ? code
    : "a connection error";
}

/** The body with every secret replaced, or undefined when nothing was found. Throws when it cannot check. */
export async function redactRequestBody(
  raw: Buffer,
  contentType: string | undefined,
  scanner: SecretScanner,
  managed: ManagedSecrets | undefined,
): Promise<{ body: Buffer; labels: string[] } | undefined> {
  if (raw.length === 0) return undefined;
  const text = raw.toString("utf8");
  const isJson = /\bjson\b/i.test(contentType ?? "") || /^\s*[[{]/.test(text);
  if (!isJson) {
    // Not JSON (a form, plain text): checked whole; a secret in it cannot be replaced in its structure.
    const hits = await findSecrets(text, "request-body.txt", scanner, managed);
    if (hits.length === 0) return undefined;
    throw new RelayRefusal(
      `the request body holds ${hits.length} secret(s) and is not JSON, so it cannot be redacted in its structure`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RelayRefusal("the request body is not valid JSON");
  }
  const found = new Map<string, TextHit[]>();
  const pending: Array<Promise<void>> = [];
  const keys: string[] = [];
  forEachString(parsed, (value, path) => {
    if (value.length < 6) return;
    pending.push(
      findSecrets(value, "request-body.txt", scanner, managed).then((hits) => {
        if (hits.length > 0) found.set(path, hits);
      }),
    );
  });
  await Promise.all(pending);
  // A managed value split across adjacent strings (two text blocks, two tool results one after
  // the other) is whole again when the model reads them in order: refused, since no one string
  // holds it to replace. (Halves with other content between them are not seen as one value.)
  if (managed) {
    const parts: string[] = [];
    // Structural strings (a block's type, a role, an id) sit between two content strings in the
    // JSON but not in what the model reads: left out of the joined text.
    forEachString(parsed, (value, _path, keys) => {
      if (!STRUCTURAL_KEYS.has(String(keys[keys.length - 1]))) parts.push(value);
    });
    const ends: number[] = [];
    let at = 0;
    for (const p of parts) ends.push((at += p.length));
    const indexOf = (pos: number) => {
      let lo = 0;
      let hi = ends.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ends[mid]! > pos) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    for (const h of managed.find(parts.join("")))
      if (indexOf(h.start) !== indexOf(h.end - 1))
        throw new RelayRefusal("a managed secret is split across strings of the request body");
  }
  // Object keys are content too (a tool input keyed by a value): checked, refused when they hold one.
  collectKeys(parsed, keys);
  for (const k of keys)
    if (k.length >= 6 && (await findSecrets(k, "request-body.txt", scanner, managed)).length > 0)
      throw new RelayRefusal("a JSON key of the request body holds a secret");
  if (found.size === 0) return undefined;
  const labels: string[] = [];
  const out = mapStrings(parsed, (value, path) => {
    const hits = found.get(path);
    if (!hits) return value;
    for (const h of hits) labels.push(hitLabel(h));
    return applyHits(value, hits);
  });
  return { body: Buffer.from(JSON.stringify(out), "utf8"), labels };
}

const STRUCTURAL_KEYS = new Set([
  "type",
  "role",
  "id",
  "call_id",
  "tool_use_id",
  "tool_call_id",
  "name",
  "model",
  "status",
  "media_type",
  "mimeType",
  "stop_reason",
  "finishReason",
]);

function collectKeys(value: unknown, out: string[]): void {
  if (Array.isArray(value)) for (const v of value) collectKeys(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      collectKeys(v, out);
    }
  }
}

/** Hop-by-hop headers a proxy must not forward. */
const HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
]);

function relayError(res: http.ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ type: "error", error: { type: "hookpack_relay_error", message } });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-hookpack-relay": "refused",
  });
  res.end(body);
}

/** An upstream checked for the relay: a URL, https only (the relay refuses to start otherwise). */
export function checkUpstream(text: string, what = "the relay's upstream"): URL {
  let upstream: URL;
  try {
    upstream = new URL(text);
  } catch {
    throw new HookpackError(
      "USAGE",
      `hookpack: ${what} "${text}" is not a URL.`,
      "pass the provider's https:// base URL, e.g. --upstream https://api.anthropic.com.",
    );
  }
  if (upstream.protocol !== "https:") {
    throw new HookpackError(
      "USAGE",
      `hookpack: the relay refuses to start: ${what} ${upstream.origin} is not https, and requests would leave this machine unencrypted.`,
      "use the provider's https:// base URL (for a local test upstream, serve it over TLS and pass its CA with --upstream-ca).",
    );
  }
  return upstream;
}

interface Target {
  upstream: URL;
  basePath: string;
  agent: https.Agent;
}

function target(route: RelayRoute, what: string): Target {
  const upstream = checkUpstream(route.upstream, what);
  return {
    upstream,
    basePath: upstream.pathname.replace(/\/+$/, ""),
    agent: new https.Agent({ keepAlive: true, ...(route.ca ? { ca: route.ca } : {}) }),
  };
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const single =
    options.upstream !== undefined
      ? target({ upstream: options.upstream, ca: options.ca }, "its upstream")
      : undefined;
  const routes = new Map<string, Target>();
  for (const [name, route] of Object.entries(options.routes ?? {})) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name))
      throw new HookpackError(
        "USAGE",
        `hookpack: the relay route name "${name.slice(0, 40)}" is not a lower-case word.`,
        "name routes after agents: claude, codex, gemini.",
      );
    routes.set(name, target(route, `the upstream of route ${name}`));
  }
  if (!single && routes.size === 0)
    throw new HookpackError(
      "USAGE",
      "hookpack: the relay has no upstream to forward to.",
      "pass --upstream, or configure an agent with `hookpack install --agent <a> --relay`.",
    );
  const managedFor = (route: string | undefined): ManagedSecrets | undefined =>
    typeof options.managed === "function" ? options.managed(route) : options.managed;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_RELAY_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on("error", () =>
      relayError(res, 400, "hookpack relay: the request could not be read; it was not sent."),
    );
    req.on("end", () => {
      void (async () => {
        if (tooLarge)
          return relayError(
            res,
            413,
            `hookpack relay: the request body is larger than ${MAX_RELAY_BODY_BYTES} bytes and could not be checked; it was not sent.`,
          );
        // Only loopback names: a web page that rebinds its own name to 127.0.0.1 gets nothing here.
        if (
          !/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d+)?$/i.test(
            req.headers.host ?? "",
          )
        )
          return relayError(
            res,
            421,
            "hookpack relay: only requests addressed to 127.0.0.1, [::1] or localhost are relayed; the request was not sent.",
          );
        let url = req.url ?? "/";
        if (url === RELAY_HEALTH_PATH) {
          res.writeHead(200, { "content-type": "application/json", "x-hookpack-relay": "ok" });
          return res.end(JSON.stringify({ hookpackRelay: 1, routes: [...routes.keys()] }));
        }
        let to = single;
        let routeName: string | undefined;
        if (!to) {
          const m = /^\/([a-z][a-z0-9-]{0,31})(\/.*|\?.*)?$/.exec(url);
          to = m ? routes.get(m[1]!) : undefined;
          if (!to || !m)
            return relayError(
              res,
              404,
              "hookpack relay: this path names no configured upstream; the request was not sent. Run `hookpack doctor`.",
            );
          routeName = m[1];
          url = m[2] ?? "/";
          if (url.startsWith("?")) url = `/${url}`;
        }
        const { upstream, basePath, agent } = to;
        const raw = Buffer.concat(chunks);
        let body: Buffer = raw;
        try {
          const redacted = await redactRequestBody(
            raw,
            req.headers["content-type"],
            options.scanner,
            managedFor(routeName),
          );
          if (redacted) {
            body = redacted.body;
            options.onRedacted?.(redacted.labels.length, redacted.labels);
          }
        } catch (error) {
          return relayError(
            res,
            400,
            `hookpack relay: this request could not be checked for secrets (${refusalText(error)}); it was not sent. Run \`hookpack doctor\`.`,
          );
        }
        const headers: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(req.headers))
          if (!HOP.has(k.toLowerCase()) && v !== undefined) headers[k] = v;
        headers.host = upstream.host;
        if (
          body.length > 0 ||
          req.method === "POST" ||
          req.method === "PUT" ||
          req.method === "PATCH"
        )
          headers["content-length"] = String(body.length);
        const out = https.request(
          {
            protocol: "https:",
            hostname: upstream.hostname,
            port: upstream.port || 443,
            method: req.method,
            path: `${basePath}${url}`,
            headers,
            agent,
          },
          (up) => {
            const back: http.OutgoingHttpHeaders = {};
            for (const [k, v] of Object.entries(up.headers))
              if (!HOP.has(k.toLowerCase()) || k.toLowerCase() === "content-length") back[k] = v;
            res.writeHead(up.statusCode ?? 502, back);
            up.pipe(res);
          },
        );
        out.on("error", (error) => {
          if (res.headersSent) res.destroy();
          else
            relayError(
              res,
              502,
              `hookpack relay: the upstream ${upstream.origin} could not be reached over TLS (${upstreamErrorText(error)}).`,
            );
        });
        out.end(body);
      })();
    });
  });
  // A WebSocket (Codex tries the Responses API over one first) would carry requests the relay does
  // not read frame by frame: refused with a plain HTTP answer, so the client falls back to HTTPS.
  server.on("upgrade", (_req, socket) => {
    const body = JSON.stringify({
      type: "error",
      error: {
        type: "hookpack_relay_error",
        message:
          "hookpack relay: WebSocket connections are not relayed (their frames cannot be checked); use HTTPS.",
      },
    });
    socket.end(
      `HTTP/1.1 501 Not Implemented\r\ncontent-type: application/json\r\nx-hookpack-relay: refused\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        single?.agent.destroy();
        for (const t of routes.values()) t.agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
