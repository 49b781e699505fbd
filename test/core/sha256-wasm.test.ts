// core/sha256-wasm.ts (the hook's hashing without node:crypto: the audit append and the value
// matcher's confirmations) against node:crypto itself, and its embedded module against the
// opcodes it is assembled from.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { equalHex, hmacSha256, hmacSha256Hex, MODULE, sha256 } from "../../core/sha256-wasm.js";
import { moduleBytes } from "../../core/sha256-wasm-assemble.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("core/sha256-wasm.ts", () => {
  it("the embedded module is the assembled one, and it compiles", () => {
    expect(Buffer.from(MODULE, "base64").equals(Buffer.from(moduleBytes()))).toBe(true);
    expect(WebAssembly.validate(Buffer.from(MODULE, "base64"))).toBe(true);
  });

  it("SHA-256 equals node:crypto for lengths 0..300, around the 1,008-block chunk, and 1 MB", () => {
    const lengths = [
      ...Array(301).keys(),
      64511,
      64512,
      64513,
      64575,
      64576,
      64577,
      129024,
      1 << 20,
    ];
    for (const n of lengths) {
      const data = randomBytes(n);
      expect(hex(sha256(data)), `length ${n}`).toBe(
        createHash("sha256").update(data).digest("hex"),
      );
    }
  });

  it("consecutive hashes do not leak state into each other (same input, same digest)", () => {
    const a = randomBytes(100);
    const first = hex(sha256(a));
    sha256(randomBytes(5000));
    expect(hex(sha256(a))).toBe(first);
  });

  it("HMAC-SHA-256 equals node:crypto (empty, 32-byte, 64, 65 and long keys; UTF-8 and byte messages)", () => {
    for (const keyLen of [0, 1, 32, 64, 65, 200]) {
      const key = randomBytes(keyLen);
      for (const msg of ["", "n\n{}", "é✓ \u0000 $secret:T", randomBytes(700).toString("base64")]) {
        expect(hex(hmacSha256(key, msg))).toBe(createHmac("sha256", key).update(msg).digest("hex"));
      }
      const bytes = randomBytes(333);
      expect(hex(hmacSha256(key, bytes))).toBe(
        createHmac("sha256", key).update(bytes).digest("hex"),
      );
    }
  });

  it("hmacSha256Hex is node:crypto's hex HMAC", () => {
    const key = Buffer.from("k".repeat(32));
    for (const msg of ["", 'nonce\n{"a":1}', "é".repeat(200)])
      expect(hmacSha256Hex(key, msg)).toBe(createHmac("sha256", key).update(msg).digest("hex"));
  });

  it("equalHex compares whole texts", () => {
    const a = createHash("sha256").update("a").digest("hex");
    expect(equalHex(a, a)).toBe(true);
    expect(equalHex(a, `${a.slice(0, 63)}${a[63] === "0" ? "1" : "0"}`)).toBe(false);
    expect(equalHex(a, a.slice(1))).toBe(false);
    expect(equalHex("", "")).toBe(true);
  });
});
