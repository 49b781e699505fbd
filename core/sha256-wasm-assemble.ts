// The WebAssembly module of core/sha256-wasm.ts, assembled from its opcodes: the readable source of
// the base64 MODULE embedded there (the hook never runs this; test/core/sha256-wasm.test.ts checks
// that the two are the same). SHA-256's compression function over n 64-byte blocks, FIPS 180-4.
//
// Memory (one 64 KiB page): [K: 256 bytes][W: 256][H: 32 at 512][input blocks from 1024].
import { section, sleb, str, uleb, vec } from "./wasm-encode.js";
const K_AT = 0;
const W_AT = 256;
const H_AT = 512;

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

/** The module, assembled (compressBody). */
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
