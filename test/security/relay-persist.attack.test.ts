// Attacks on the PERSISTENT model-request relay: the real broker process (`hookpack broker
// start`) serving the relay that `hookpack install --agent <a> --relay` configured, and a local
// HTTPS upstream (CA passed with --relay-ca) recording what arrives. The hostile agent sends
// request bodies itself (split values, encodings, tool results, system prompt, count_tokens, a
// value stored after the relay started), tries other ways past it (a WebSocket, paths naming no
// route, an absolute-URL request target), and edits the configuration (a plain-http upstream in
// relay.json, its own base URL pointed past the relay or at plain http), or finds the relay down.
// "Contained": no form of the value reached the upstream, and, where the agent changed the set-up,
// the relay refused or `doctor` failed the check.
import http from "node:http";
import { connect } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { selfSignedLoopbackCert, type TlsIdentity } from "../helpers/tls.js";
import { startUpstream, type Upstream } from "../helpers/https-upstream.js";

const value = "Pq4sT7vW2xY9zB3cD6fG8hJ1";
const later = "Lm5nP8qR2sT6vW9xZ3bC7dF4";
const t = fakeTokens(91);
let sb: Sandbox;
let tls: TlsIdentity;
let upstream: Upstream;
let port: number;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", CI: "true" });
const hp = (args: string[], input?: string) =>
  hookpack(args, { env: env(), cwd: sb.project, ...(input !== undefined ? { input } : {}) });

const tally = new Map<string, { contained: number; attempts: number }>();
function count(family: string, ok: boolean): void {
  const c = tally.get(family) ?? { contained: 0, attempts: 0 };
  c.attempts++;
  if (ok) c.contained++;
  tally.set(family, c);
}
const arrivedSince = (n: number) => upstream.seen.slice(n).map((s) => s.body.toString("latin1"));

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string }>((resolve) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path,
        headers: { "content-type": "application/json", ...headers },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ status: -1, text: e.code ?? "error" }));
    req.end(body);
  });
}

/** Raw bytes to the relay's port; what came back (or the connection error). */
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

async function doctorCheck(id: string, agent?: string) {
  const d = await hp(["doctor", "--json"]);
  const checks = (JSON.parse(d.stdout) as { checks: Array<Record<string, string>> }).checks;
  return checks.find((c) => c.id === id && (agent === undefined || c.agent === agent));
}

async function waitFor(cond: () => Promise<boolean>, ms = 8000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}
const relayUp = async () =>
  (
    await raw("GET /__hookpack/relay HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
  ).startsWith("HTTP/1.1 200");

beforeAll(async () => {
  sb = sandbox();
  tls = selfSignedLoopbackCert();
  upstream = await startUpstream(tls);
  writeFileSync(join(sb.root, "ca.pem"), tls.cert);
  const set = await hp(["secret", "set", "DEPLOY_KEY"], value);
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
  const start = await hp(["broker", "start"]);
  expect(start.exitCode, start.stderr + start.stdout).toBe(0);
}, 120_000);
afterAll(async () => {
  if (sb) await hp(["broker", "stop"]);
  await upstream?.close();
  tls?.cleanup();
  sb?.cleanup();
});

describe("attack: the persistent relay (broker process), request bodies", () => {
  it("every body is redacted in its structure or refused; the upstream never sees a form of the value", async () => {
    const half = value.length / 2;
    const [a, b] = [value.slice(0, half), value.slice(half)];
    const msg = (content: unknown) =>
      JSON.stringify({ model: "m", messages: [{ role: "user", content }] });
    const b64 = Buffer.from(value).toString("base64");
    const hex = Buffer.from(value).toString("hex");
    const cases: Array<{
      family: string;
      path: string;
      body: string;
      refused: boolean;
      forbid: string[];
    }> = [
      {
        family: "managed value split across JSON strings",
        path: "/claude-code/v1/messages",
        body: msg([
          { type: "text", text: `part one ${a}` },
          { type: "text", text: `${b} part two` },
        ]),
        refused: true,
        forbid: [value],
      },
      {
        family: "managed value split across JSON strings",
        path: "/claude-code/v1/messages",
        body: msg([
          { type: "tool_result", tool_use_id: "x", content: a },
          { type: "tool_result", tool_use_id: "y", content: b },
        ]),
        refused: true,
        forbid: [value],
      },
      {
        family: "managed value split across JSON strings",
        path: "/codex/responses",
        body: JSON.stringify({
          model: "m",
          input: [
            { type: "function_call_output", call_id: "c", output: a },
            { type: "message", role: "user", content: [{ type: "input_text", text: b }] },
          ],
        }),
        refused: true,
        forbid: [value],
      },
      ...[b64, hex, encodeURIComponent(`k=${value}`), value].map((f) => ({
        family: "encoded value in a tool result (base64, hex, URL, raw)",
        path: "/claude-code/v1/messages",
        body: msg([{ type: "tool_result", tool_use_id: "t", content: `out: ${f}` }]),
        refused: false,
        forbid: [value, f],
      })),
      {
        family: "system prompt",
        path: "/claude-code/v1/messages",
        body: JSON.stringify({ model: "m", system: `key ${value} and ${t.github}`, messages: [] }),
        refused: false,
        forbid: [value, t.github],
      },
      {
        family: "count_tokens call",
        path: "/claude-code/v1/messages/count_tokens",
        body: msg(`${value} ${t.npm}`),
        refused: false,
        forbid: [value, t.npm],
      },
      {
        family: "Gemini and Codex routes",
        path: "/gemini/v1beta/models/g:streamGenerateContent?alt=sse",
        body: JSON.stringify({
          contents: [
            {
              role: "user",
              parts: [
                { functionResponse: { name: "s", response: { output: `${value} ${t.openai}` } } },
              ],
            },
          ],
        }),
        refused: false,
        forbid: [value, t.openai],
      },
      {
        family: "Gemini and Codex routes",
        path: "/codex/responses",
        body: JSON.stringify({
          model: "m",
          input: [
            { type: "function_call_output", call_id: "c", output: `${value} ${t.anthropic}` },
          ],
        }),
        refused: false,
        forbid: [value, t.anthropic],
      },
    ];
    for (const c of cases) {
      const before = upstream.seen.length;
      const r = await post(c.path, c.body);
      const leaked = arrivedSince(before).some((body) => c.forbid.some((f) => body.includes(f)));
      const back = c.forbid.some((f) => r.text.includes(f));
      const ok =
        !leaked &&
        !back &&
        (c.refused
          ? r.status === 400 &&
            r.text.includes("split across strings") &&
            upstream.seen.length === before
          : r.status === 200 && upstream.seen.length === before + 1);
      if (!ok)
        console.log(`[debug] ${c.family} ${r.status} ${r.text.slice(0, 200)} leaked=${leaked}`);
      count(c.family, ok);
    }
    // The route's path reaches the upstream without the route name.
    expect(upstream.seen.at(-1)?.path).toBe("/responses");

    // A value stored after the relay started is replaced too (the store's cache is read per request).
    const set = await hp(["secret", "set", "LATER_KEY"], later);
    expect(set.exitCode, set.stderr).toBe(0);
    const before = upstream.seen.length;
    const r = await post("/claude-code/v1/messages", msg(`late ${later}`));
    count(
      "value stored after the relay started",
      r.status === 200 &&
        !arrivedSince(before).some((body) => body.includes(later)) &&
        arrivedSince(before).some((body) => body.includes("[REDACTED:LATER_KEY]")),
    );
  }, 60_000);
});

describe("attack: the persistent relay (broker process), ways around it", () => {
  it("a WebSocket, a path naming no route and an absolute-URL target are refused and never forwarded", async () => {
    const before = upstream.seen.length;
    const ws = await raw(
      `GET /codex/responses HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: ${Buffer.from("0123456789abcdef").toString("base64")}\r\n\r\n`,
    );
    count("WebSocket upgrade", ws.startsWith("HTTP/1.1 501") && !ws.includes("101 Switching"));
    for (const path of [
      "/evil/v1/messages",
      "/v1/messages",
      "/../claude-code/v1/messages",
      "/CLAUDE-CODE/v1/messages",
      "//127.0.0.1/claude-code/v1/messages",
    ]) {
      const r = await post(path, JSON.stringify({ m: value }));
      count("path naming no route", r.status === 404 && r.text.includes("hookpack_relay_error"));
    }
    for (const host of ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example:80"]) {
      const r = await raw(
        `POST /claude-code/v1/messages HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
      );
      count("non-loopback Host (DNS rebinding)", r.startsWith("HTTP/1.1 421"));
    }
    for (const host of ["example.invalid", "127.0.0.1"]) {
      const abs = await raw(
        `POST http://example.invalid/claude-code/v1/messages HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
      );
      count(
        "absolute-URL request target",
        /^HTTP\/1\.1 (404|421)/.test(abs) && abs.includes("hookpack_relay_error"),
      );
    }
    expect(upstream.seen.length).toBe(before);
  }, 60_000);
});

describe("attack: the agent changes the set-up", () => {
  it("its base URL pointed past the relay, or at plain http: doctor fails the setting; install refuses a plain-http upstream", async () => {
    const settings = join(sb.home, ".claude", "settings.json");
    const original = readFileSync(settings, "utf8");
    for (const [url, words] of [
      ["https://api.anthropic.com", "directly, past the relay"],
      ["http://127.0.0.1:9", "not https"],
      ["http://[::1]:1/claude-code", "not https"],
    ] as const) {
      writeFileSync(settings, JSON.stringify({ env: { ANTHROPIC_BASE_URL: url } }));
      const c = await doctorCheck("relay-setting", "claude-code");
      count(
        "base URL pointed elsewhere (doctor)",
        c?.status === "fail" && (c.message ?? "").includes(words),
      );
    }
    // Codex and Gemini settings removed or rewritten.
    const toml = join(sb.home, ".codex", "config.toml");
    const tomlText = readFileSync(toml, "utf8");
    writeFileSync(toml, 'openai_base_url = "https://api.openai.com/v1"\n');
    const cx = await doctorCheck("relay-setting", "codex");
    count("base URL pointed elsewhere (doctor)", cx?.status === "fail");
    // A custom provider selected next to hookpack's openai_base_url: its own base_url is used.
    writeFileSync(
      toml,
      `${tomlText}\nmodel_provider = "mine"\n`.replace(/^/, 'model_provider = "mine"\n'),
    );
    const cp = await doctorCheck("relay-setting", "codex");
    count(
      "base URL pointed elsewhere (doctor)",
      cp?.status === "warn" && (cp.message ?? "").includes('"mine"'),
    );
    writeFileSync(toml, tomlText);
    const dotenv = join(sb.home, ".gemini", ".env");
    const envText = readFileSync(dotenv, "utf8");
    writeFileSync(dotenv, "");
    const gm = await doctorCheck("relay-setting", "gemini");
    count(
      "base URL pointed elsewhere (doctor)",
      gm?.status === "fail" && (gm.message ?? "").includes("gone"),
    );
    writeFileSync(dotenv, envText);

    // Asked to keep a plain-http base URL the agent wrote as the user's upstream: refused.
    writeFileSync(settings, JSON.stringify({ env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:9" } }));
    const again = await hp(["install", "--agent", "claude-code", "--scope", "project", "--relay"]);
    count(
      "plain-http upstream through install",
      again.exitCode !== 0 &&
        /not https/.test(again.stderr + again.stdout) &&
        readFileSync(settings, "utf8").includes("127.0.0.1:9"),
    );
    writeFileSync(settings, original);
    const ok = await doctorCheck("relay-setting", "claude-code");
    expect(ok, "the setting restored must pass").toBeUndefined();
  }, 120_000);

  it("a plain-http upstream written into relay.json: the relay stops rather than forward without TLS; the relay down fails closed and doctor says so", async () => {
    const path = join(sb.hookpackHome, "relay.json");
    const good = readFileSync(path, "utf8");
    const plain = http.createServer((_req, res) => res.end("{}"));
    const seenPlain: string[] = [];
    plain.on("request", (req) => seenPlain.push(req.url ?? ""));
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", () => r()));
    const plainUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}`;
    const cfg = JSON.parse(good) as { routes: Record<string, { upstream: string }> };
    cfg.routes["claude-code"]!.upstream = plainUrl;
    writeFileSync(path, JSON.stringify(cfg));
    const down = await waitFor(async () => !(await relayUp()));
    const r = await post("/claude-code/v1/messages", JSON.stringify({ m: value }));
    count("plain-http upstream in relay.json", down && r.status === -1 && seenPlain.length === 0);
    const d = await doctorCheck("relay");
    count("relay down (doctor)", d?.status === "fail" && (d.message ?? "").includes("not running"));
    await new Promise<void>((res) => plain.close(() => res()));

    // Put back: the broker restarts the relay by itself.
    writeFileSync(path, good);
    expect(await waitFor(relayUp)).toBe(true);
    // The broker stopped: the port is closed, a request fails, nothing reaches the upstream.
    const before = upstream.seen.length;
    expect((await hp(["broker", "stop"])).exitCode).toBe(0);
    await waitFor(async () => !(await relayUp()));
    const r2 = await post("/claude-code/v1/messages", JSON.stringify({ m: value }));
    count(
      "relay down (request)",
      r2.status === -1 && r2.text === "ECONNREFUSED" && upstream.seen.length === before,
    );
    const d2 = await doctorCheck("relay");
    count("relay down (doctor)", d2?.status === "fail");
    console.log(
      `[attack] persistent relay, contained/attempts per family:\n${[...tally].map(([f, c]) => `  ${f}: ${c.contained}/${c.attempts}`).join("\n")}`,
    );
    for (const [f, c] of tally) expect(c.contained, f).toBe(c.attempts);
  }, 120_000);
});
