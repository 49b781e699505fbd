// The relay's refusals name no value. Every exception caught while a request is checked used to be
// echoed to the client (`…could not be checked for secrets (<message>)`): a scanner, a parser or a
// library quoting its input would hand the value back to the agent. Now only hookpack's own
// refusal texts (RelayRefusal) are passed on; anything else becomes a generic reason, and an
// upstream connection error is named by its code only. The attacker controls the body and the
// upstream's behaviour; the checker here throws with the value in its message.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  refusalText,
  RelayRefusal,
  startRelay,
  upstreamErrorText,
  type Relay,
} from "../../broker/relay.js";
import { createValueMatcher } from "../../rules/managed-values.js";
import type { ManagedSecrets } from "../../rules/rule.js";
import { secretScanner } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { selfSignedLoopbackCert, type TlsIdentity } from "../helpers/tls.js";
import { startUpstream, type Upstream } from "../helpers/https-upstream.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const value = `Ev${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}Z`;
const token = fakeTokens(91).github;
let tls: TlsIdentity;
let upstream: Upstream;

/** A checker that fails the way a library quoting its input would: the value is in the message. */
const throwingManaged = (
  how: "error" | "type-error" | "string" | "refusal-lookalike",
): ManagedSecrets => {
  const m = createValueMatcher([{ name: "DEPLOY_KEY", value }]);
  return {
    home: "/nonexistent",
    find: (t) => {
      if (t.includes("boom")) {
        if (how === "error") throw new Error(`cannot scan near "${t}" (${value})`);
        if (how === "type-error")
          throw new TypeError(`Cannot read properties of undefined (reading '${value}')`);
        if (how === "string") throw `raw ${value} ${token}`;
        // An error whose message imitates hookpack's own wording is still not a RelayRefusal.
        throw new Error(`the request body is not valid JSON ${value}`);
      }
      return m.find(t).map(({ start, end, name }) => ({ start, end, name }));
    },
    exposed: () => {},
  };
};

beforeAll(async () => {
  tls = selfSignedLoopbackCert();
  upstream = await startUpstream(tls);
});
afterAll(async () => {
  await upstream?.close();
  tls?.cleanup();
});

describe("attack: a value inside an exception never comes back from the relay", () => {
  const t = tally("relay/error echo");
  for (const how of ["error", "type-error", "string", "refusal-lookalike"] as const) {
    it(`checker throws (${how}) with the value in its message: generic reason, not sent`, async () => {
      const relay: Relay = await startRelay({
        upstream: `${upstream.url}/`,
        ca: tls.cert,
        scanner: secretScanner,
        managed: throwingManaged(how),
      });
      try {
        const before = upstream.seen.length;
        const r = await fetch(`${relay.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ messages: [{ role: "user", content: `boom ${value}` }] }),
        });
        const text = await r.text();
        const leaked = text.includes(value) || text.includes(token);
        const sent = upstream.seen.length > before;
        t.attempt(r.status === 400 && !leaked && !sent);
        expect(r.status).toBe(400);
        expect(leaked, "the relay echoed the exception's value").toBe(false);
        expect(sent, "the request went upstream unchecked").toBe(false);
        expect(text).toContain(
          "could not be checked for secrets (an internal error occurred while checking it)",
        );
      } finally {
        await relay.close();
      }
    });
  }

  it("hookpack's own refusals are still told (they name no value)", async () => {
    const relay = await startRelay({
      upstream: `${upstream.url}/`,
      ca: tls.cert,
      scanner: secretScanner,
      managed: throwingManaged("error"),
    });
    try {
      const r = await fetch(`${relay.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: `k=${value} ${token}`,
      });
      const text = await r.text();
      t.attempt(r.status === 400 && !text.includes(value) && !text.includes(token));
      expect(r.status).toBe(400);
      expect(text).toContain("is not JSON, so it cannot be redacted in its structure");
      expect(text).not.toContain(value);
      // The content type is the client's text too: it is not echoed either.
      const r2 = await fetch(`${relay.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": `text/x-${value}` },
        body: `k=${value}`,
      });
      const text2 = await r2.text();
      t.attempt(!text2.includes(value));
      expect(text2).not.toContain(value);
    } finally {
      await relay.close();
    }
  });

  it("an upstream that fails the TLS handshake with odd bytes: the error names a code, never the upstream's words", async () => {
    // A server that answers the TLS ClientHello with plain text holding the value.
    const evil = net.createServer((s) => s.end(`HTTP/1.1 400 ${value}\r\n\r\n${value}`));
    await new Promise<void>((res) => evil.listen(0, "127.0.0.1", res));
    const port = (evil.address() as net.AddressInfo).port;
    const relay = await startRelay({
      upstream: `https://127.0.0.1:${port}/`,
      ca: tls.cert,
      scanner: secretScanner,
    });
    try {
      const r = await fetch(`${relay.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      const text = await r.text();
      t.attempt(r.status === 502 && !text.includes(value));
      expect(r.status).toBe(502);
      expect(text).not.toContain(value);
      expect(text).toMatch(/could not be reached over TLS \([A-Z][A-Z0-9_]+\)/);
    } finally {
      await relay.close();
      evil.close();
    }
  });

  it("the whitelist itself: only RelayRefusal text and error codes pass", () => {
    expect(refusalText(new RelayRefusal("the request body is not valid JSON"))).toBe(
      "the request body is not valid JSON",
    );
    expect(refusalText(new Error(value))).not.toContain(value);
    expect(refusalText(value)).not.toContain(value);
    expect(upstreamErrorText(Object.assign(new Error(value), { code: "ECONNRESET" }))).toBe(
      "ECONNRESET",
    );
    expect(upstreamErrorText(Object.assign(new Error("x"), { code: value }))).not.toContain(value);
    expect(upstreamErrorText(new Error(value))).not.toContain(value);
  });
});
