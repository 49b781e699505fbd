// SHA-256 and HMAC-SHA-256 for the hook's hot paths, in a WebAssembly function assembled from its
// opcodes (core/sha256-wasm-assemble.ts; no file, no dependency, as rules/detect.ts builds its
// automaton loop) and embedded here. Why: the hook must not load node:crypto (with the stream
// internals it pulls in, ~3.6 ms CPU of a call), and a plain-JS SHA-256 (which the rewrite path
// used until this module replaced it there too) runs in V8's interpreter in a fresh process at ~0.12 ms per 64-byte block, which a redaction's audit append
// (~50 blocks: each line MAC'd and hashed, the head checked and rewritten) turns into as much
// again. This module compiles in ~0.35 ms and hashes a block in a few µs. Where WebAssembly is
// unavailable (node --jitless), node:crypto does. Same bytes as node:crypto:
// test/core/sha256-wasm.test.ts.

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

// Memory (one 64 KiB page): [K: 256 bytes][W: 256 bytes, the schedule][H: 32 at 512][input from 1024].
const K_AT = 0;
const H_AT = 512;
const IN_AT = 1024;
const MAX_BLOCKS = (65536 - IN_AT) >> 6;

/**
 * The module of core/sha256-wasm-assemble.ts (moduleBytes) as base64: assembling it costs ~1.2 ms of interpreted JavaScript in a fresh
 * process, decoding this ~0.01 ms (test/core/sha256-wasm.test.ts checks the two are the same).
 */
export const MODULE =
  "AGFzbQEAAAABBgFgAn9/AAMCAQAFAwEAAQcVAghjb21wcmVzcwAABm1lbW9yeQIACo8EAYwEAQx/AkADQCABRQ0BQQAh" +
  "AgNAIAJBAnQgACACQQJ0aigCACEFIAVBCHdB/4H8B3EgBUEIeEGA/oN4cXI2AoACIAJBAWoiAkEQSQ0ACwNAIAJBAnQh" +
  "BSAFIAUoAvgBIQMgBSgCxAEhBCADQRF4IANBE3hzIANBCnZzIAUoAuQBaiAEQQd4IARBEnhzIARBA3ZzaiAFKALAAWo2" +
  "AoACIAJBAWoiAkHAAEkNAAtBACgCgAQhBkEAKAKEBCEHQQAoAogEIQhBACgCjAQhCUEAKAKQBCEKQQAoApQEIQtBACgC" +
  "mAQhDEEAKAKcBCENQQAhAgNAIA0gCkEGeCAKQQt4cyAKQRl4c2ogCiALcSAKQX9zIAxxc2ogAkECdCIFKAIAaiAFKAKA" +
  "AmohAyAGQQJ4IAZBDXhzIAZBFnhzIAYgB3EgBiAIcXMgByAIcXNqIQQgDCENIAshDCAKIQsgCSADaiEKIAghCSAHIQgg" +
  "BiEHIAMgBGohBiACQQFqIgJBwABJDQALQQBBACgCgAQgBmo2AoAEQQBBACgChAQgB2o2AoQEQQBBACgCiAQgCGo2AogE" +
  "QQBBACgCjAQgCWo2AowEQQBBACgCkAQgCmo2ApAEQQBBACgClAQgC2o2ApQEQQBBACgCmAQgDGo2ApgEQQBBACgCnAQg" +
  "DWo2ApwEIABBwABqIQAgAUF/aiEBDAALCws=";

interface Engine {
  compress: (p: number, n: number) => void;
  mem: Uint8Array;
  words: Uint32Array;
}
let engine: Engine | null | undefined;
/**
 * Where the compiled engine is shared between the bundles of one process (hook.cjs and audit.cjs
 * each carry a copy of this module): a redacting hook call compiled it twice (~0.35 ms each,
 * issue 21). Keyed by the module's text, so only an identical module is ever shared; calls are
 * synchronous, so the shared memory is never used by two callers at once.
 */
const SHARED = Symbol.for(`hookpack.sha256-wasm:${MODULE}`);

function wasm(): Engine | null {
  if (engine !== undefined) return engine;
  const shared = (globalThis as Record<symbol, Engine | undefined>)[SHARED];
  if (shared) return (engine = shared);
  // WebAssembly memory is little-endian; the typed-array views below read it in host order.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) return (engine = null);
  try {
    const instance = new WebAssembly.Instance(
      new WebAssembly.Module(Buffer.from(MODULE, "base64") as Uint8Array<ArrayBuffer>),
    );
    const memory = instance.exports.memory as WebAssembly.Memory;
    const words = new Uint32Array(memory.buffer);
    for (let i = 0; i < 64; i++) words[(K_AT >> 2) + i] = K[i]!;
    engine = {
      compress: instance.exports.compress as (p: number, n: number) => void,
      mem: new Uint8Array(memory.buffer),
      words,
    };
    (globalThis as Record<symbol, Engine | undefined>)[SHARED] = engine;
  } catch {
    engine = null;
  }
  return engine;
}

/** SHA-256 of bytes (WebAssembly; node:crypto where it is unavailable). */
export function sha256(data: Uint8Array): Uint8Array {
  const e = wasm();
  if (!e) return process.getBuiltinModule("node:crypto").createHash("sha256").update(data).digest();
  const { mem, words, compress } = e;
  for (let k = 0; k < 8; k++) words[(H_AT >> 2) + k] = IV[k]!;
  const n = data.length;
  const whole = n >> 6;
  // Whole blocks straight from the input, MAX_BLOCKS at a time.
  for (let b = 0; b < whole; b += MAX_BLOCKS) {
    const count = Math.min(MAX_BLOCKS, whole - b);
    mem.set(data.subarray(b << 6, (b + count) << 6), IN_AT);
    compress(IN_AT, count);
  }
  // The tail, 0x80, zeros and the bit length (big-endian) in one or two blocks.
  const rest = n - (whole << 6);
  const tailBlocks = rest + 9 <= 64 ? 1 : 2;
  mem.fill(0, IN_AT, IN_AT + (tailBlocks << 6));
  mem.set(data.subarray(whole << 6), IN_AT);
  mem[IN_AT + rest] = 0x80;
  const end = IN_AT + (tailBlocks << 6);
  const hi = Math.floor(n / 0x20000000);
  const lo = (n << 3) >>> 0;
  mem[end - 8] = hi >>> 24;
  mem[end - 7] = hi >>> 16;
  mem[end - 6] = hi >>> 8;
  mem[end - 5] = hi;
  mem[end - 4] = lo >>> 24;
  mem[end - 3] = lo >>> 16;
  mem[end - 2] = lo >>> 8;
  mem[end - 1] = lo;
  compress(IN_AT, tailBlocks);
  const out = new Uint8Array(32);
  for (let k = 0; k < 8; k++) {
    const v = words[(H_AT >> 2) + k]!;
    out[k * 4] = v >>> 24;
    out[k * 4 + 1] = v >>> 16;
    out[k * 4 + 2] = v >>> 8;
    out[k * 4 + 3] = v;
  }
  return out;
}

/** HMAC-SHA-256 (RFC 2104) of a UTF-8 message. */
export function hmacSha256(key: Uint8Array, message: string | Uint8Array): Uint8Array {
  const k = new Uint8Array(64);
  k.set(key.length > 64 ? sha256(key) : key);
  const msg = typeof message === "string" ? Buffer.from(message, "utf8") : message;
  const inner = new Uint8Array(64 + msg.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = k[i]! ^ 0x36;
    outer[i] = k[i]! ^ 0x5c;
  }
  inner.set(msg, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

/** HMAC-SHA-256, hex: the hook's signed request to the warm broker (broker/client.ts rewriteVia). */
export const hmacSha256Hex = (key: Uint8Array, message: string): string =>
  Buffer.from(hmacSha256(key, message)).toString("hex");

/** Compares two equal-length hex texts without an early exit. */
export function equalHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
