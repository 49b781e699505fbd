// The stored-value matcher's forward bucket roll (rules/managed-matcher.ts, scanForward) in
// WebAssembly. A hook is a short process: the JavaScript loop rolls every window length of the
// ladder over the whole output (4 × 64K iterations for a 64 KB output and a typical token) and
// mostly runs unoptimised before V8 tiers it up; this function is compiled once by the baseline
// compiler and runs at native speed from its first iteration. It only finds the positions whose
// bucket is set; the check column and the digest stay in JavaScript (`candidates`). The module is
// assembled here from its opcodes (core/wasm-encode.ts, like rules/detect.ts's automaton loop);
// where WebAssembly is unavailable (e.g. `node --jitless`) the JavaScript loop runs.
//
// Memory: [bitmap of window 0: 128 KB][bitmap 1]…[TEXT: n UTF-16 units, padded to 4][OUT: (j, bucket) i32 pairs × n]

import { section, sleb, str, uleb, vec } from "../core/wasm-encode.js";

/** One bucket bitmap: 2^20 bits. */
const BITMAP_BYTES = (1 << 20) >>> 3;
const PAGE = 65536;

export interface RollConstants {
  base: number;
  baseInv: number;
  mix: number;
  shift: number;
}

/**
 * roll(text, n, w, top, seed, bitmap, out, hf, hb) → hits: for j = 0 … n − w, the bucket of the
 * window [j, j+w) (windowBucket of its forward and backward hashes, hf and hb at j = 0); each j
 * whose bucket x is set in the bitmap is stored at out as the pair (j, x) (i32s, j increasing).
 * Needs n ≥ w.
 */
export function rollModule(k: RollConstants): Uint8Array {
  const I32 = 0x7f;
  // params: 0 text, 1 n, 2 w, 3 top, 4 seed, 5 bitmap, 6 out, 7 hf, 8 hb
  // locals: 9 j, 10 last, 11 x, 12 p, 13 o (the leaving unit), 14 i (the entering unit), 15 count
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const tee = (l: number) => [0x22, l];
  const c = (n: number) => [0x41, ...sleb(n | 0)];
  const ADD = 0x6a;
  const SUB = 0x6b;
  const MUL = 0x6c;
  const AND = 0x71;
  const XOR = 0x73;
  const SHL = 0x74;
  const SHR_U = 0x76;
  const ROTL = 0x77;
  const code = [
    ...get(1),
    ...get(2),
    SUB,
    ...set(10), // last = n - w
    ...[0x02, 0x40], // block
    ...[0x03, 0x40], // loop
    // p = hf * hb
    ...get(7),
    ...get(8),
    MUL,
    ...set(12),
    // x = (hf + hb) ^ seed ^ rotl(p, 16)
    ...get(7),
    ...get(8),
    ADD,
    ...get(4),
    XOR,
    ...get(12),
    ...c(16),
    ROTL,
    XOR,
    ...tee(11),
    // x = ((x ^ (x >>> 15)) * MIX) >>> SHIFT
    ...get(11),
    ...c(15),
    SHR_U,
    XOR,
    ...c(k.mix),
    MUL,
    ...c(k.shift),
    SHR_U,
    ...set(11),
    // if ((bitmap[x >>> 5] >>> (x & 31)) & 1) { out[2·count] = j; out[2·count+1] = x; count++ }
    ...get(5),
    ...get(11),
    ...c(5),
    SHR_U,
    ...c(2),
    SHL,
    ADD,
    ...[0x28, 2, 0], // i32.load
    ...get(11),
    ...c(31),
    AND,
    SHR_U,
    ...c(1),
    AND,
    ...[0x04, 0x40], // if
    ...get(6),
    ...get(15),
    ...c(3),
    SHL,
    ADD,
    ...tee(12), // p is free here: the pair's address
    ...get(9),
    ...[0x36, 2, 0], // i32.store j
    ...get(12),
    ...get(11),
    ...[0x36, 2, 4], // i32.store x at +4
    ...get(15),
    ...c(1),
    ADD,
    ...set(15),
    0x0b, // end if
    // if (j >= last) break
    ...get(9),
    ...get(10),
    0x4e, // i32.ge_s
    ...[0x0d, 1],
    // o = text[j]; i = text[j + w]
    ...get(0),
    ...get(9),
    ...c(1),
    SHL,
    ADD,
    ...[0x2f, 1, 0], // i32.load16_u
    ...set(13),
    ...get(0),
    ...get(9),
    ...get(2),
    ADD,
    ...c(1),
    SHL,
    ADD,
    ...[0x2f, 1, 0],
    ...set(14),
    // hf = (hf - o * top) * BASE + i
    ...get(7),
    ...get(13),
    ...get(3),
    MUL,
    SUB,
    ...c(k.base),
    MUL,
    ...get(14),
    ADD,
    ...set(7),
    // hb = (hb - o) * BASE_INV + i * top
    ...get(8),
    ...get(13),
    SUB,
    ...c(k.baseInv),
    MUL,
    ...get(14),
    ...get(3),
    MUL,
    ADD,
    ...set(8),
    // j++
    ...get(9),
    ...c(1),
    ADD,
    ...set(9),
    ...[0x0c, 0], // br loop
    0x0b, // end loop
    0x0b, // end block
    ...get(15),
    0x0b,
  ];
  const body = [...vec([[7, I32]]), ...code];
  const params = Array.from({ length: 9 }, () => [I32]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(params), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(
      7,
      vec([
        [...str("roll"), 0x00, 0],
        [...str("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

type RollFn = (
  text: number,
  n: number,
  w: number,
  top: number,
  seed: number,
  bitmap: number,
  out: number,
  hf: number,
  hb: number,
) => number;

/** One matcher's roller: its bitmaps live in the instance's memory; each search copies its text. */
export interface WasmRoller {
  /** Copies `text` into memory (once per search, before `roll`). */
  load(text: string): void;
  /** Pairs (j, bucket) of window length `w` (bitmap `slot`) whose bucket is set, j increasing. */
  roll(slot: number, w: number, top: number, seed: number, hf: number, hb: number): Int32Array;
}

let compiled: WebAssembly.Module | null | undefined;
let mode: "auto" | "off" | "always" = "auto";

/**
 * Tests: "off" makes every new matcher use the JavaScript loop, "always" the WebAssembly one for
 * texts of any length (auto: texts of 4,096 units and more, below that the loop is cheap anyway).
 */
export function setMatcherWasm(m: "auto" | "off" | "always"): void {
  mode = m;
}

/** Texts at least this long roll their buckets in WebAssembly. */
export function wasmAbove(): number {
  return mode === "always" ? 0 : mode === "off" ? Infinity : 4096;
}

function moduleFor(k: RollConstants): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = new WebAssembly.Module(rollModule(k) as Uint8Array<ArrayBuffer>);
  } catch {
    compiled = null; // no WebAssembly (--jitless): the JavaScript loop
  }
  return compiled;
}

/** A roller over these bitmaps (Int32Array of 2^15 words each), or undefined without WebAssembly. */
export function createWasmRoller(
  bitmaps: readonly Int32Array[],
  k: RollConstants,
): WasmRoller | undefined {
  if (mode === "off" || typeof WebAssembly !== "object") return undefined;
  const mod = moduleFor(k);
  if (!mod) return undefined;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(mod);
  } catch {
    return undefined;
  }
  const memory = instance.exports.memory as WebAssembly.Memory;
  const roll = instance.exports.roll as RollFn;
  const textAt = bitmaps.length * BITMAP_BYTES;
  const ensure = (bytes: number) => {
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
  };
  ensure(textAt);
  const bytes = new Uint8Array(memory.buffer);
  bitmaps.forEach((bm, i) => {
    bytes.set(new Uint8Array(bm.buffer, bm.byteOffset, BITMAP_BYTES), i * BITMAP_BYTES);
  });
  let outAt = textAt;
  let n = 0;
  return {
    load(text) {
      n = text.length;
      outAt = textAt + ((n * 2 + 3) & ~3);
      ensure(outAt + n * 8);
      Buffer.from(memory.buffer).write(text, textAt, n * 2, "utf16le");
    },
    roll(slot, w, top, seed, hf, hb) {
      if (n < w) return new Int32Array(0);
      const count = roll(textAt, n, w, top, seed, slot * BITMAP_BYTES, outAt, hf, hb);
      return new Int32Array(memory.buffer, outAt, count * 2);
    },
  };
}
