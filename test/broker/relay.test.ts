// The model-request relay against a real local HTTPS upstream (its CA passed explicitly): what
// leaves the machine, what comes back, and every way it refuses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRelay, type Relay } from "../../broker/relay.js";
import { createValueMatcher } from "../../rules/managed-values.js";
import type { ManagedSecrets } from "../../rules/rule.js";
import { secretScanner } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { selfSignedLoopbackCert, type TlsIdentity } from "../helpers/tls.js";
import { startUpstream, type Upstream } from "../helpers/https-upstream.js";

export const managedOf = (values: Record<string, string>): ManagedSecrets => {
  const m = createValueMatcher(Object.entries(values).map(([name, value]) => ({ name, value })));
  return {
    home: "/nonexistent",
    find: (t) => m.find(t).map(({ start, end, name }) => ({ start, end, name })),
    exposed: () => {},
  };
};

let tls: TlsIdentity;
let upstream: Upstream;
let relay: Relay;
const value = "Rl9vX2kQ8mN4wT7yB3cF6hJ1";
const token = fakeTokens(55).github;

beforeAll(async () => {
  tls = selfSignedLoopbackCert();
  upstream = await startUpstream(tls);
  relay = await startRelay({
    upstream: `${upstream.url}/`,
    ca: tls.cert,
    scanner: secretScanner,
    managed: managedOf({ DEPLOY_KEY: value }),
  });
});
afterAll(async () => {
  await relay?.close();
  await upstream?.close();
  tls?.cleanup();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${relay.url}${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });

describe("the model-request relay", () => {
  it("replaces managed values and detected tokens in every string of a JSON body (system, messages, tool results, count_tokens), keeps the auth headers, and is deterministic", async () => {
    const body = JSON.stringify({
      model: "m",
      system: [{ type: "text", text: `context ${token}` }],
      messages: [
        { role: "user", content: "hello" },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "t1",
              content: `key=${value} b64=${Buffer.from(value).toString("base64")}`,
            },
          ],
        },
      ],
    });
    const headers = {
      "x-api-key": "sk-user-own-key-123456",
      authorization: "Bearer user-token-abcdef",
      "anthropic-beta": "x",
    };
    const r1 = await post("/v1/messages?beta=true", body, headers);
    expect(r1.status).toBe(200);
    expect(r1.headers.get("x-upstream")).toBe("yes");
    const r2 = await post("/v1/messages/count_tokens", body, headers);
    expect(r2.status).toBe(200);
    const [a, b] = upstream.seen.slice(-2);
    for (const s of [a!, b!]) {
      const text = s.body.toString();
      expect(text).not.toContain(value);
      expect(text).not.toContain(Buffer.from(value).toString("base64"));
      expect(text).not.toContain(token);
      expect(text).toContain("[REDACTED:DEPLOY_KEY]");
      expect(text).toContain("[REDACTED:github-pat]");
      expect(s.headers["x-api-key"]).toBe(headers["x-api-key"]);
      expect(s.headers.authorization).toBe(headers.authorization);
    }
    expect(a!.path).toBe("/v1/messages?beta=true");
    expect(b!.path).toBe("/v1/messages/count_tokens");
    // Same input, same bytes out (prompt caching keys on them).
    expect(a!.body.equals(b!.body)).toBe(true);
  });

  it("forwards a clean body byte for byte (whitespace and key order kept) and a GET without a body", async () => {
    const body = '{ "model" : "m",\n  "messages": [ {"role":"user","content":"hi"} ] }';
    await post("/v1/messages", body);
    expect(upstream.seen.at(-1)!.body.toString()).toBe(body);
    const g = await fetch(`${relay.url}/v1/models`);
    expect(g.status).toBe(200);
    expect(upstream.seen.at(-1)!.method).toBe("GET");
  });

  it("streams a response back untouched, chunk by chunk", async () => {
    const r = await post("/v1/stream", "{}");
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const text = await r.text();
    expect(text).toBe(
      `${[0, 1, 2, 3, 4].map((i) => `event: delta\ndata: {"i":${i}}\n\n`).join("")}event: done\ndata: {}\n\n`,
    );
  });

  it("fails closed: a body it cannot parse, or a non-JSON body holding a secret, is refused with a clear error and never sent", async () => {
    const before = upstream.seen.length;
    const bad = await post("/v1/messages", `{"messages": [${token}`);
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as { error: { type: string; message: string } };
    expect(err.error.type).toBe("hookpack_relay_error");
    expect(err.error.message).toMatch(
      /^hookpack relay: this request could not be checked for secrets \(the request body is not valid JSON\); it was not sent/,
    );
    expect(JSON.stringify(err)).not.toContain(token);
    const form = await fetch(`${relay.url}/v1/upload`, {
      method: "POST",
      body: `key=${value}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(400);
    expect(await form.text()).not.toContain(value);
    expect(upstream.seen.length).toBe(before);
  });

  it("refuses to start without TLS to the upstream, and fails closed when the upstream's certificate is not trusted", async () => {
    await expect(
      startRelay({ upstream: "http://127.0.0.1:9", scanner: secretScanner }),
    ).rejects.toThrow(/refuses to start: its upstream http:\/\/127\.0\.0\.1:9 is not https/);
    const untrusted = await startRelay({ upstream: upstream.url, scanner: secretScanner });
    try {
      const before = upstream.seen.length;
      const r = await fetch(`${untrusted.url}/v1/messages`, {
        method: "POST",
        body: "{}",
        headers: { "content-type": "application/json" },
      });
      expect(r.status).toBe(502);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(
        /could not be reached over TLS/,
      );
      expect(upstream.seen.length).toBe(before);
    } finally {
      await untrusted.close();
    }
  });
});
