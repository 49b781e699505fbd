// SHA-256 and HMAC-SHA-256 for the hook's hot paths, in a WebAssembly function assembled here from
// its opcodes (no file, no dependency; the way rules/detect.ts builds its automaton loop). Why:
// the hook must not load node:crypto (with the stream internals it pulls in, ~4–5 ms of a call),
// and the plain-JS core/sha256.ts runs in V8's interpreter in a fresh process at ~0.1 ms per 64-byte
// block, which a redaction's audit append (~40 blocks: each line MAC'd and hashed, the head
// checked and rewritten) turns into as much again. Compiled by Liftoff in well under a millisecond,
// this runs at native speed. Where WebAssembly is unavailable, core/sha256.ts runs. Same bytes as
// node:crypto: test/core/sha256-wasm.test.ts.
import { sha256 as sha256Js } from "./sha256.js";

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

// Memory (one 64 KiB page): [K: 256 bytes][W: 256][H: 32 at 512][input blocks from 1024].
const K_AT = 0;
const W_AT = 256;
const H_AT = 512;
const IN_AT = 1024;
const MAX_BLOCKS = (65536 - IN_AT) >> 6;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const str = (s: string) => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// Locals of compress(p, n): 0 p, 1 n (params); 2 i, 3 t1, 4 t2, 5 x, 6..13 a..h.
const P = 0;
const N = 1;
const I = 2;
const T1 = 3;
const T2 = 4;
const X = 5;
const [A, B, C, D, E, F, G, H] = [6, 7, 8, 9, 10, 11, 12, 13];

const get = (l: number) => [0x20, l];
const set = (l: number) => [0x21, l];
const tee = (l: number) => [0x22, l];
const c = (n: number) => [0x41, ...sleb(n | 0)];
const load = (offset: number) => [0x28, 2, ...uleb(offset)];
const store = (offset: number) => [0x36, 2, ...uleb(offset)];
const ADD = 0x6a;
const AND = 0x71;
const OR = 0x72;
const XOR = 0x73;
const SHL = 0x74;
const SHR = 0x76;
const ROTL = 0x77;
const ROTR = 0x78;
const LT_U = 0x49;
const EQZ = 0x45;
const rotr = (l: number, n: number) => [...get(l), ...c(n), ROTR];

/** compress(p, n): n 64-byte blocks at p into the state at H_AT. */
function compressBody(): number[] {
  const code: number[] = [];
  const emit = (...ops: Array<number | number[]>) => {
    for (const op of ops) {
      if (typeof op === "number") code.push(op);
      else code.push(...op);
    }
  };
  emit(0x02, 0x40, 0x03, 0x40); // block, loop (over blocks)
  emit(get(N), EQZ, 0x0d, 1); // n == 0 → done
  // W[i] = big-endian word i of the block, i < 16 (x = load; bswap with two rotations).
  emit(c(0), set(I));
  emit(0x03, 0x40);
  emit(get(I), c(2), SHL); // address of W[i]
  emit(get(P), get(I), c(2), SHL, ADD, load(0), set(X));
  emit(get(X), c(8), ROTL, c(0x00ff00ff), AND, get(X), c(8), ROTR, c(0xff00ff00), AND, OR);
  emit(store(W_AT));
  emit(get(I), c(1), ADD, tee(I), c(16), LT_U, 0x0d, 0);
  emit(0x0b);
  // W[i] = σ1(W[i-2]) + W[i-7] + σ0(W[i-15]) + W[i-16], 16 ≤ i < 64 (x = address of W[i]).
  emit(0x03, 0x40);
  emit(get(I), c(2), SHL, set(X));
  emit(get(X)); // store address
  emit(get(X), load(W_AT - 8), set(T1)); // W[i-2]
  emit(get(X), load(W_AT - 60), set(T2)); // W[i-15]
  emit(rotr(T1, 17), rotr(T1, 19), XOR, get(T1), c(10), SHR, XOR);
  emit(get(X), load(W_AT - 28), ADD);
  emit(rotr(T2, 7), rotr(T2, 18), XOR, get(T2), c(3), SHR, XOR, ADD);
  emit(get(X), load(W_AT - 64), ADD);
  emit(store(W_AT));
  emit(get(I), c(1), ADD, tee(I), c(64), LT_U, 0x0d, 0);
  emit(0x0b);
  // a..h = H
  [A, B, C, D, E, F, G, H].forEach((l, k) => emit(c(0), load(H_AT + 4 * k), set(l)));
  // 64 rounds.
  emit(c(0), set(I));
  emit(0x03, 0x40);
  // t1 = h + Σ1(e) + Ch(e,f,g) + K[i] + W[i]
  emit(get(H));
  emit(rotr(E, 6), rotr(E, 11), XOR, rotr(E, 25), XOR, ADD);
  emit(get(E), get(F), AND, get(E), c(-1), XOR, get(G), AND, XOR, ADD);
  emit(get(I), c(2), SHL, tee(X), load(K_AT), ADD);
  emit(get(X), load(W_AT), ADD, set(T1));
  // t2 = Σ0(a) + Maj(a,b,c)
  emit(rotr(A, 2), rotr(A, 13), XOR, rotr(A, 22), XOR);
  emit(get(A), get(B), AND, get(A), get(C), AND, XOR, get(B), get(C), AND, XOR, ADD, set(T2));
  emit(get(G), set(H), get(F), set(G), get(E), set(F));
  emit(get(D), get(T1), ADD, set(E));
  emit(get(C), set(D), get(B), set(C), get(A), set(B));
  emit(get(T1), get(T2), ADD, set(A));
  emit(get(I), c(1), ADD, tee(I), c(64), LT_U, 0x0d, 0);
  emit(0x0b);
  // H += a..h
  [A, B, C, D, E, F, G, H].forEach((l, k) =>
    emit(c(0), c(0), load(H_AT + 4 * k), get(l), ADD, store(H_AT + 4 * k)),
  );
  emit(get(P), c(64), ADD, set(P), get(N), c(-1), ADD, set(N));
  emit(0x0c, 0); // next block
  emit(0x0b, 0x0b, 0x0b); // end loop, end block, end function
  return [...vec([[12, 0x7f]]), ...code];
}

/** The module assembled from its opcodes (compressBody); MODULE is this, encoded. */
export function moduleBytes(): Uint8Array {
  const I32 = 0x7f;
  const body = compressBody();
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32]]), ...vec([])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(
      7,
      vec([
        [...str("compress"), 0x00, 0],
        [...str("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/**
 * moduleBytes() as base64: assembling it costs ~1.2 ms of interpreted JavaScript in a fresh
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

function wasm(): Engine | null {
  if (engine !== undefined) return engine;
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
  } catch {
    engine = null;
  }
  return engine;
}

/** SHA-256 of bytes (WebAssembly; core/sha256.ts where it is unavailable). */
export function sha256(data: Uint8Array): Uint8Array {
  const e = wasm();
  if (!e) return sha256Js(data);
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
