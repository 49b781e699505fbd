// core/sha256.ts (the hook's signing without node:crypto) against node:crypto itself: SHA-256 and
// HMAC-SHA-256 over random inputs of every length around the block boundaries, long keys included.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { equalHex, hmacSha256Hex, sha256 } from "../../core/sha256.js";

describe("core/sha256.ts", () => {
  it("SHA-256 equals node:crypto for lengths 0..300 and a 1 MB input", () => {
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      expect(Buffer.from(sha256(data)).toString("hex")).toBe(
        createHash("sha256").update(data).digest("hex"),
      );
    }
    const big = randomBytes(1 << 20);
    expect(Buffer.from(sha256(big)).toString("hex")).toBe(
      createHash("sha256").update(big).digest("hex"),
    );
  });

  it("HMAC-SHA-256 equals node:crypto (32-byte, empty and over-long keys; UTF-8 messages)", () => {
    for (const keyLen of [0, 1, 32, 64, 65, 200]) {
      for (const msg of ["", "n\n{}", "é✓ \u0000 $secret:T", randomBytes(700).toString("base64")]) {
        const key = randomBytes(keyLen);
        expect(hmacSha256Hex(key, msg)).toBe(createHmac("sha256", key).update(msg).digest("hex"));
      }
    }
  });

  it("equalHex compares whole texts", () => {
    const a = createHash("sha256").update("a").digest("hex");
    expect(equalHex(a, a)).toBe(true);
    expect(equalHex(a, `${a.slice(0, 63)}${a[63] === "0" ? "1" : "0"}`)).toBe(false);
    expect(equalHex(a, a.slice(1))).toBe(false);
    expect(equalHex("", "")).toBe(true);
  });
});
