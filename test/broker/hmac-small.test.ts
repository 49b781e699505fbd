// broker/hmac-small.ts (the plain-JavaScript HMAC-SHA-256 of the hook's one-round-trip broker
// request: its signature, the answer's check, the confirmation) against node:crypto itself, and
// against core/sha256-wasm.ts, which it replaced on that path.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hmacSha256HexSmall, sha256Small } from "../../broker/hmac-small.js";
import { hmacSha256Hex } from "../../core/sha256-wasm.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("broker/hmac-small.ts", () => {
  it("SHA-256 equals node:crypto for lengths 0..300 and past the 32-bit bit length boundary's low words", () => {
    const lengths = [...Array(301).keys(), 511, 512, 513, 4095, 4096, 65536, 1 << 20];
    for (const n of lengths) {
      const data = randomBytes(n);
      expect(hex(sha256Small(data)), `length ${n}`).toBe(
        createHash("sha256").update(data).digest("hex"),
      );
    }
  });

  it("HMAC equals node:crypto and core/sha256-wasm.ts: keys of 0, 32, 64, 65 and 200 bytes, messages of every length to 300, UTF-8 text", () => {
    const keys = [0, 1, 32, 63, 64, 65, 200].map((n) => randomBytes(n));
    const messages = [
      ...Array.from({ length: 301 }, (_, n) => randomBytes(n).toString("latin1")),
      "é€𝄞 naïve ünïcödé\n",
      `v2\n${JSON.stringify({ op: "rewrite", call: { command: "printf %s $secret:X | wc -c" } })}`,
      "x".repeat(5000),
    ];
    let checked = 0;
    for (const key of keys)
      for (const m of messages) {
        const want = createHmac("sha256", key).update(m, "utf8").digest("hex");
        expect(hmacSha256HexSmall(key, m), `key ${key.length}, message ${m.length}`).toBe(want);
        expect(hmacSha256Hex(key, m)).toBe(want);
        checked++;
      }
    expect(checked).toBe(keys.length * messages.length);
  });

  it("a different key, or one changed byte of the message, gives a different MAC", () => {
    const key = randomBytes(32);
    const other = Buffer.from(key);
    other[31] = other[31]! ^ 1;
    const m = `nonce\n${JSON.stringify({ ok: true, verdict: { kind: "rewrite" } })}`;
    const mac = hmacSha256HexSmall(key, m);
    expect(hmacSha256HexSmall(other, m)).not.toBe(mac);
    expect(hmacSha256HexSmall(key, m.replace("rewrite", "rewritf"))).not.toBe(mac);
    expect(hmacSha256HexSmall(key, m)).toBe(mac);
  });
});
