// The persistent relay's port takes requests from any local process, without authentication
// (sec-gaps3). What could a hostile agent do with it? The relay must hold no credential to lend:
// it forwards the client's own headers and never adds one (not the provider keys in the broker's
// environment, not a stored secret for a `$secret:` reference or a placeholder in a header, URL or
// body), and only to the configured upstream, whatever the request names. Through the real broker
// process (`hookpack broker start` serving what `install --relay` configured) and a local HTTPS
// upstream that records what arrives. "Contained": nothing the agent did not send itself arrived.
import http from "node:http";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { selfSignedLoopbackCert, type TlsIdentity } from "../helpers/tls.js";
import { startUpstream, type Upstream } from "../helpers/https-upstream.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const stored = `St${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
// Provider keys in the environment the broker was started with (the user's shell).
const providerKeys = {
  ANTHROPIC_API_KEY: `ak${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
  OPENAI_API_KEY: `ok${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
  GEMINI_API_KEY: `gk${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
};
let sb: Sandbox;
let tls: TlsIdentity;
let upstream: Upstream;
let port: number;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", CI: "true" });
const hp = (args: string[], input?: string, extra: Record<string, string> = {}) =>
  hookpack(args, {
    env: { ...env(), ...extra },
    cwd: sb.project,
    ...(input !== undefined ? { input } : {}),
  });

/** Raw bytes to the relay's port; what came back. */
function raw(bytes: string) {
  return new Promise<string>((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    let got = "";
    s.on("connect", () => s.write(bytes));
    s.on("data", (c: Buffer) => (got += c.toString("latin1")));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(`ERR ${e.code}`));
    s.on("close", () => resolve(got));
    s.setTimeout(5000, () => s.destroy());
  });
}

function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<number>((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(-1));
    req.end(body);
  });
}

beforeAll(async () => {
  sb = sandbox();
  tls = selfSignedLoopbackCert();
  upstream = await startUpstream(tls);
  writeFileSync(join(sb.root, "ca.pem"), tls.cert);
  const set = await hp(["secret", "set", "DEPLOY_KEY"], stored);
  expect(set.exitCode, set.stderr).toBe(0);
  const install = await hp([
    "install",
    "--agent",
    "claude-code,codex,gemini",
    "--scope",
    "project",
    "--relay",
    "--relay-upstream",
    upstream.url,
    "--relay-ca",
    join(sb.root, "ca.pem"),
  ]);
  expect(install.exitCode, install.stderr + install.stdout).toBe(0);
  port = (JSON.parse(readFileSync(join(sb.hookpackHome, "relay.json"), "utf8")) as { port: number })
    .port;
  const start = await hp(["broker", "start"], undefined, providerKeys);
  expect(start.exitCode, start.stderr + start.stdout).toBe(0);
  for (let i = 0; i < 60; i++) {
    const r = await raw(
      "GET /__hookpack/relay HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
    );
    if (r.startsWith("HTTP/1.1 200")) break;
    await new Promise((res) => setTimeout(res, 150));
  }
}, 120_000);
afterAll(async () => {
  if (sb) await hp(["broker", "stop"]);
  await upstream?.close();
  tls?.cleanup();
  sb?.cleanup();
});

const secrets = () => [stored, ...Object.values(providerKeys)];
const AUTH_HEADERS = ["authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie"];

describe("attack: borrowing a credential through the relay's unauthenticated port", () => {
  it("the relay adds no credential to what the agent sends, and resolves no reference", async () => {
    const t = tally("relay-auth/credential added");
    const attempts: Array<[string, string, Record<string, string>, string?]> = [
      ["POST", "/claude-code/v1/messages", { "content-type": "application/json" }, "{}"],
      ["GET", "/codex/models", {}],
      [
        "POST",
        "/gemini/v1beta/models/x:generateContent",
        { "content-type": "application/json" },
        "{}",
      ],
      ["POST", "/claude-code/v1/messages", { "x-api-key": "$secret:DEPLOY_KEY" }, "{}"],
      ["POST", "/claude-code/v1/messages", { authorization: "Bearer $secret:DEPLOY_KEY" }, "{}"],
      ["POST", "/codex/responses", { authorization: "Bearer ${secret:DEPLOY_KEY}" }, "{}"],
      ["POST", "/codex/responses", { authorization: "Bearer $ANTHROPIC_API_KEY" }, "{}"],
      ["POST", "/gemini/v1beta/models/x:generateContent?key=$secret:DEPLOY_KEY", {}, "{}"],
      [
        "POST",
        "/claude-code/v1/messages",
        { "content-type": "application/json" },
        JSON.stringify({ messages: [{ role: "user", content: "$secret:DEPLOY_KEY" }] }),
      ],
      [
        "POST",
        "/claude-code/v1/messages",
        { "x-hookpack-grant": "g_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
        "{}",
      ],
    ];
    for (const [method, path, headers, body] of attempts) {
      const before = upstream.seen.length;
      const status = await send(method, path, headers, body);
      const arrived = upstream.seen.slice(before);
      const text = arrived
        .map((s) => `${s.path}\n${JSON.stringify(s.headers)}\n${s.body.toString("latin1")}`)
        .join("\n");
      // The only auth headers upstream are the ones the agent sent, byte for byte.
      const added = arrived.some((s) =>
        AUTH_HEADERS.some((h) => s.headers[h] !== undefined && s.headers[h] !== headers[h]),
      );
      const ok = status !== -1 && !added && !secrets().some((v) => text.includes(v));
      t.attempt(ok);
      // It was answered (by the upstream or by the relay): the relay is up, the check is real.
      expect(status, `${method} ${path}`).toBeGreaterThan(0);
      expect(added, `${method} ${path}: ${text}`).toBe(false);
      expect(
        secrets().some((v) => text.includes(v)),
        `${method} ${path}`,
      ).toBe(false);
    }
    // Most of them reached the upstream: the relay forwarded them, and what arrived was checked.
    expect(upstream.seen.length).toBeGreaterThanOrEqual(attempts.length - 2);
  }, 60_000);

  it("the upstream is the configured one whatever the request names (Host, absolute URL, path)", async () => {
    const t = tally("relay-auth/destination");
    const before = upstream.seen.length;
    const hostile = [
      `POST /claude-code/v1/messages HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nx-forwarded-host: evil.example\r\nforwarded: host=evil.example\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
      `POST /claude-code//evil.example/v1 HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
      `POST /claude-code@evil.example/v1 HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
      `CONNECT evil.example:443 HTTP/1.1\r\nhost: evil.example:443\r\n\r\n`,
      `POST https://evil.example/claude-code/v1 HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
    ];
    for (const req of hostile) {
      const n = upstream.seen.length;
      const answer = await raw(req);
      // Refused or dropped by the relay (CONNECT: the socket is closed, no tunnel), or forwarded to
      // the configured upstream (the only server here), addressed to it: the relay has no other
      // destination to choose.
      const reached = upstream.seen.slice(n);
      const ok =
        !/^HTTP\/1\.1 200 Connection established/i.test(answer) &&
        (reached.length === 0 ||
          (answer.startsWith("HTTP/1.1 ") &&
            reached.every((s) => s.headers.host === new URL(upstream.url).host)));
      t.attempt(ok);
      expect(ok, `${req.split("\r\n")[0]} -> ${answer.split("\r\n")[0]}`).toBe(true);
    }
    expect(upstream.seen.length - before).toBeLessThanOrEqual(hostile.length);
  }, 60_000);
});
