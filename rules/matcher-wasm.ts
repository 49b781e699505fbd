// The stored-value matcher's forward bucket roll (rules/managed-matcher.ts, scanForward) in
// WebAssembly. A hook is a short process: the JavaScript loop rolls every window length of the
// ladder over the whole output (4 × 64K iterations for a 64 KB output and a typical token) and
// mostly runs unoptimised before V8 tiers it up; this function is compiled once by the baseline
// compiler and runs at native speed from its first iteration. It only finds the positions whose
// bucket is set; the check column and the digest stay in JavaScript (`candidates`). The module is
// assembled here from its opcodes (core/wasm-encode.ts, like rules/detect.ts's automaton loop);
// where WebAssembly is unavailable (e.g. `node --jitless`) the JavaScript loop runs.
// The second half of the file is the gates' four-view search (findViews), the same way.
//
// Memory: [bitmap of window 0: 128 KB][bitmap 1]…[TEXT: n UTF-16 units, padded to 4][OUT: (j, bucket) i32 pairs × n]

import {
  I32_OP,
  i32Const,
  localGet,
  localSet,
  localTee,
  section,
  str,
  uleb,
  vec,
} from "../core/wasm-encode.js";

/** One bucket bitmap: 2^20 bits. */
const BITMAP_BYTES = (1 << 20) >>> 3;
/** A bucket's bits (2^20 buckets: BITMAP_BYTES · 8). */
const BUCKET_MASK = (1 << 20) - 1;
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
  const [get, set, tee, c] = [localGet, localSet, localTee, i32Const];
  const { ADD, SUB, MUL, AND, XOR, SHL, SHR_U, ROTL } = I32_OP;
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

/**
 * rollModule of the stored-value matcher's own constants (rules/managed-matcher.ts ROLL_CONSTANTS),
 * as rollModule assembles them: a hook process decodes these 257 bytes instead of running the
 * assembler, which cost 0.5-0.8 ms CPU cold (fresh process, 5 runs). Other constants are
 * assembled. test/rules/matcher-wasm-setbuckets.test.ts checks that the bytes are rollModule's for
 * these constants and that the matcher's constants are these.
 */
export const ROLL_PREBUILT: RollConstants & { module: string } = {
  base: 0x01000193,
  baseInv: 899433627,
  mix: 0x9e3779b1 | 0,
  shift: 12,
  module:
    "AGFzbQEAAAABDgFgCX9/f39/f39/fwF/AwIBAAUDAQABBxECBHJvbGwAAAZtZW1vcnkCAArKAQHHAQEHfyABIAJrIQoCQANAIAcgCGwhDCAHIAhqIARzIAxBEHdzIgsgC0EPdnNBsfPd8XlsQQx2IQsgBSALQQV2QQJ0aigCACALQR9xdkEBcQRAIAYgD0EDdGoiDCAJNgIAIAwgCzYCBCAPQQFqIQ8LIAkgCk4NASAAIAlBAXRqLwEAIQ0gACAJIAJqQQF0ai8BACEOIAcgDSADbGtBk4OACGwgDmohByAIIA1rQZuJ8awDbCAOIANsaiEIIAlBAWohCQwACwsgDws=",
};
const isPrebuilt = (k: RollConstants): boolean =>
  k.base === ROLL_PREBUILT.base &&
  k.baseInv === ROLL_PREBUILT.baseInv &&
  k.mix === ROLL_PREBUILT.mix &&
  k.shift === ROLL_PREBUILT.shift;

function moduleFor(k: RollConstants): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = isPrebuilt(k) ? Buffer.from(ROLL_PREBUILT.module, "base64") : rollModule(k);
    compiled = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    compiled = null; // no WebAssembly (--jitless): the JavaScript loop
  }
  return compiled;
}

/**
 * The set buckets of a matcher's bitmaps, slot by slot: calls `set(slot, bucket)` once for every
 * entry (the same (window, bucket) pairs that set the bitmaps' bits). A roller given one sets those
 * bits in its fresh (zeroed) memory instead of copying every bitmap (128 KB per window length, most
 * of it zero words): a few entries instead of 512 KB copied and faulted in per process.
 */
export type SetBuckets = (set: (slot: number, bucket: number) => void) => void;

/** Sets bit `bucket` of the bitmap at byte `at` (little-endian i32 words, as the modules read them). */
const setBit = (bytes: Uint8Array, at: number, bucket: number): void => {
  bytes[at + (bucket >>> 3)]! |= 1 << (bucket & 7);
};

/**
 * A roller over these bitmaps (Int32Array of 2^15 words each), or undefined without WebAssembly.
 * With `setBuckets`, the bitmaps' bits are set from it (it must set every bit the bitmaps hold)
 * and the bitmaps are not read.
 */
export function createWasmRoller(
  bitmaps: readonly Int32Array[],
  k: RollConstants,
  setBuckets?: SetBuckets,
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
  if (setBuckets) setBuckets((slot, b) => setBit(bytes, slot * BITMAP_BYTES, b & BUCKET_MASK));
  else
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

// ---------------------------------------------------------------------------------------------
// The gates' four-view search (rules/managed-matcher.ts searchViews) in WebAssembly. The JavaScript
// loop makes one pass per window length, each rolling the direct window [j, j+w) (one lookup serves
// the text as is and reversed) and the squeezed window (the last w non-joiner units). This module
// makes ONE pass for every window length of the matcher (a module per list of lengths, the lengths
// and their powers compiled in), and rolls the lengths four at a time in the lanes of 128-bit SIMD
// vectors (issue 21: the scalar version, eight independent rolls and buckets per text unit, was 57 %
// of a scan's CPU): per text unit, one vector roll and one vector bucket per group of four lengths
// for the direct windows and one for the squeezed windows. Only the lookups stay per length: each
// length's bucket first meets a 4 KB byte table (one byte per 256 buckets, set when any of them is),
// the four bytes are OR-ed, and only a unit where one is set takes the exact per-length path (the
// 128 KB bitmap, the records). Only the windows whose bucket is set come out, as records tagged with
// their length's slot; JavaScript sorts them back into the loop's order (length by length, text
// order within one) and runs `candidates` / `squeezedCandidates` for each. The output list has a
// fixed capacity: when it is nearly full the function saves its state and returns, JavaScript
// drains it and calls again.
//
// The squeezed view is written as it is read (SQ: its units; AT: each one's text offset), so the
// unit leaving a squeezed window is one load at a constant offset, as for the text.
//
// Two things make the first w units need no branch: the text and the squeezed units are each
// preceded by 256 zero units, so the unit leaving the window before it is full is 0, and rolling
// with a leaving 0 (hf·B + c; hb·B⁻¹ + c·B^(w−1)) gives, once w units are in, exactly the hashes of
// the window (hb = Σ c_t·B^(w−1)·B^−(w−1−t) = Σ c_t·B^t).
//
// Memory: [STATE 256 B][JOINERS 8 KB: one bit per UTF-16 unit][OUT (tag, a, b, bucket) × CAP]
//         [COARSE 4 KB per length][bitmaps 128 KB each][256 zero units][TEXT]
//         [256 zero units][SQ: squeezed units][1 KB][AT: i32 text offset of each squeezed unit]

/** Records in the output list between two calls. */
export const VIEWS_CAP = 4096;
const V_STATE = 0;
const V_JOINERS = 256;
const V_OUT = V_JOINERS + 8192;
/** Per window length, one byte per 256 buckets (4 KB): nonzero when any of them is set. */
const V_COARSE = V_OUT + VIEWS_CAP * 16;
const COARSE_BYTES = 4096;
const COARSE_SHIFT = 8;
const V_BITMAPS = V_COARSE + 8 * COARSE_BYTES;
/** A squeezed record's tag: SQUEEZED + slot (a direct record's tag is its slot). */
export const SQUEEZED_TAG = 16;
/** Zero bytes before the squeezed units (≥ 2·255) and before their offsets (≥ 4·255). */
const SQ_PAD = 512;
const AT_PAD = 1024;

/** Where the text starts for `slots` window lengths. */
const viewsTextAt = (slots: number): number => V_BITMAPS + slots * BITMAP_BYTES + 512;
/** Where the squeezed units and their offsets go for a text of n units. */
const viewsSqueezedAt = (slots: number, n: number): { sq: number; at: number } => {
  const sq = ((viewsTextAt(slots) + n * 2 + 15) & ~15) + SQ_PAD;
  return { sq, at: ((sq + n * 2 + 15) & ~15) + AT_PAD };
};

/** SIMD opcodes (0xFD prefix). */
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const V = {
  load: (off: number) => simd(0x00, 4, ...uleb(off)),
  store: (off: number) => simd(0x0b, 4, ...uleb(off)),
  const: (lanes: readonly number[]) => {
    const b = Buffer.alloc(16);
    lanes.forEach((x, i) => b.writeInt32LE(x | 0, i * 4));
    return simd(0x0c, ...b);
  },
  splat: simd(0x11),
  extract: (lane: number) => simd(0x1b, lane),
  replace: (lane: number) => simd(0x1c, lane),
  and: simd(0x4e),
  or: simd(0x50),
  xor: simd(0x51),
  shl: simd(0xab),
  shrU: simd(0xad),
  add: simd(0xae),
  sub: simd(0xb1),
  mul: simd(0xb5),
};

/**
 * views(n, seed, sq, at) → 1 when it stopped with a nearly full list (call again), 0 at the text's
 * end. For i from STATE.i to n − 1 (the JavaScript loop of searchViews, every length at once):
 *   - for each length w: the direct window ending at i, [i−w+1, i], once i ≥ w − 1: its bucket x
 *     set → record (slot, j, 0, x);
 *   - unit i is a joiner (JOINERS bit): nothing more; else it is appended to SQ (its offset to AT);
 *     for each w, once k ≥ w squeezed units are in, the squeezed window (its first unit at text
 *     offset `first`) is recorded as (SQUEEZED_TAG + slot, first, i, y) when its bucket y is set; a
 *     window with no joiner inside (i − first = w − 1) is the direct one and takes the direct
 *     lookup's answer.
 * Records come out in the scalar loop's order: per unit, the direct ones by slot, then the squeezed.
 */
export function viewsModule(
  k: RollConstants,
  windows: readonly { w: number; top: number }[],
): Uint8Array {
  const I32 = 0x7f;
  const V128 = 0x7b;
  const L = windows.length;
  const G = Math.ceil(L / 4);
  const textAt = viewsTextAt(L);
  // params
  const N = 0;
  const SEED = 1;
  const SQB = 2; // sq − SQ_PAD on entry
  const ATB = 3; // at − AT_PAD on entry
  // i32 locals
  const I = 4;
  const K = 5;
  const CNT = 6;
  const C = 7;
  const X = 8;
  const P = 9;
  const FIRST = 10;
  const ANY = 11;
  const TI = 12; // 2i
  const TK = 13; // k (before the append: 2k into SQ; after: 4k into AT)
  const HIT = (l: number) => 14 + l;
  const I32_LOCALS = 14 + L - 4;
  // v128 locals
  const vbase = 14 + L;
  const SEEDV = vbase;
  const CV = vbase + 1;
  const PV = vbase + 2;
  const TV = vbase + 3;
  const HF = (g: number) => vbase + 4 + g * 6;
  const HB = (g: number) => vbase + 5 + g * 6;
  const SF = (g: number) => vbase + 6 + g * 6;
  const SB = (g: number) => vbase + 7 + g * 6;
  const XV = (g: number) => vbase + 8 + g * 6;
  const YV = (g: number) => vbase + 9 + g * 6;
  const V128_LOCALS = 4 + G * 6;
  const [get, set, tee, c] = [localGet, localSet, localTee, i32Const];
  const load = (off = 0) => [0x28, 2, ...uleb(off)];
  const load16 = (off = 0) => [0x2f, 1, ...uleb(off)];
  const load8 = (off = 0) => [0x2d, 0, ...uleb(off)];
  const store = (off = 0) => [0x36, 2, ...uleb(off)];
  const store16 = (off = 0) => [0x3b, 1, ...uleb(off)];
  const { ADD, SUB, AND, OR, EQZ, EQ, GT_U, GE_U, GE_S } = I32_OP;
  const SHR_U = I32_OP.SHR_U;
  const SHL = I32_OP.SHL;
  const IF = [0x04, 0x40];
  const ELSE = 0x05;
  const END = 0x0b;
  const lanes = (g: number) => windows.slice(g * 4, g * 4 + 4);
  const topV = (g: number) => V.const(lanes(g).map((x) => x.top));
  /** The vector bucket of (a, b) into `into`: windowBucket lane by lane. */
  const bucketV = (a: number, b: number, into: number) => [
    ...get(a),
    ...get(b),
    ...V.mul,
    ...set(PV),
    ...get(a),
    ...get(b),
    ...V.add,
    ...get(SEEDV),
    ...V.xor,
    ...get(PV),
    ...c(16),
    ...V.shl,
    ...get(PV),
    ...c(16),
    ...V.shrU,
    ...V.or,
    ...V.xor,
    ...tee(TV),
    ...get(TV),
    ...c(15),
    ...V.shrU,
    ...V.xor,
    ...V.const([k.mix, k.mix, k.mix, k.mix]),
    ...V.mul,
    ...c(k.shift),
    ...V.shrU,
    ...set(into),
  ];
  /**
   * A group of ONE length (a matcher's lengths are often five: 16, 31 or 32, 64, 96; a form shorter
   * than its ladder window takes its own length as window) rolls and buckets in scalar i32 code,
   * its state in lane 0 of the group's vectors (every lane is set, by a splat): a vector group for
   * one length cost four lanes' multiplies. The arithmetic is rollV's and bucketV's lane 0 exactly
   * (i32 wraps as the lanes do); test/rules/matcher-views.differential.test.ts runs lists of one
   * length ([16]) and of five against the scalar reference.
   */
  const single = (g: number): boolean => lanes(g).length === 1;
  const lane0 = (v: number) => [...get(v), ...V.extract(0)];
  /** rollV then bucketV of a one-length group: hf in X, hb in P (both free until the lookups). */
  const rollBucketScalar = (f: number, b: number, g: number, into: number) => {
    const top = lanes(g)[0]!.top;
    const { MUL, XOR, ROTL } = I32_OP;
    return [
      // hf = (hf − o·top)·BASE + c
      ...lane0(f),
      ...lane0(TV),
      ...c(top),
      MUL,
      SUB,
      ...c(k.base),
      MUL,
      ...lane0(CV),
      ADD,
      ...tee(X),
      ...V.splat,
      ...set(f),
      // hb = (hb − o)·BASE⁻¹ + c·top
      ...lane0(b),
      ...lane0(TV),
      SUB,
      ...c(k.baseInv),
      MUL,
      ...lane0(CV),
      ...c(top),
      MUL,
      ADD,
      ...tee(P),
      ...V.splat,
      ...set(b),
      // x = (hf + hb) ^ seed ^ rotl(hf·hb, 16); ((x ^ x >>> 15)·MIX) >>> SHIFT
      ...get(X),
      ...get(P),
      ADD,
      ...get(SEED),
      XOR,
      ...get(X),
      ...get(P),
      MUL,
      ...c(16),
      ROTL,
      XOR,
      ...tee(X),
      ...get(X),
      ...c(15),
      SHR_U,
      XOR,
      ...c(k.mix),
      MUL,
      ...c(k.shift),
      SHR_U,
      ...V.splat,
      ...set(into),
    ];
  };
  /** Rolls (f, b) of group g by CV entering and TV (the leaving units) leaving. */
  const rollV = (f: number, b: number, g: number) => [
    ...get(f),
    ...get(TV),
    ...topV(g),
    ...V.mul,
    ...V.sub,
    ...V.const([k.base, k.base, k.base, k.base]),
    ...V.mul,
    ...get(CV),
    ...V.add,
    ...set(f),
    ...get(b),
    ...get(TV),
    ...V.sub,
    ...V.const([k.baseInv, k.baseInv, k.baseInv, k.baseInv]),
    ...V.mul,
    ...get(CV),
    ...topV(g),
    ...V.mul,
    ...V.add,
    ...set(b),
  ];
  /** TV = the leaving units of group g's lanes: a 16-bit load at (base + off(w)) per lane. */
  const gather = (g: number, base: number, off: (w: number) => number) => [
    ...lanes(g).flatMap(({ w }, lane) =>
      lane === 0
        ? [...get(base), ...load16(off(w)), ...V.splat]
        : [...get(base), ...load16(off(w)), ...V.replace(lane)],
    ),
    ...set(TV),
  ];
  /** Pushes the coarse byte of slot l for the bucket in lane l of vector `v`. */
  const coarse = (v: number, l: number) => [
    ...get(v),
    ...V.extract(l & 3),
    ...c(COARSE_SHIFT),
    SHR_U,
    ...load8(V_COARSE + l * COARSE_BYTES),
  ];
  /** ANY = OR of the coarse bytes of every slot's bucket in vectors `vec(g)`. */
  const anyCoarse = (vec: (g: number) => number) => [
    ...windows.flatMap((_, l) => [...coarse(vec(l >> 2), l), ...(l > 0 ? [OR] : [])]),
    ...set(ANY),
  ];
  /** Pushes 1 when X's bit is set in slot l's coarse table and bitmap, else 0. */
  const bitSet = (l: number) => [
    ...get(X),
    ...c(COARSE_SHIFT),
    SHR_U,
    ...load8(V_COARSE + l * COARSE_BYTES),
    ...[0x04, I32], // if (result i32)
    ...get(X),
    ...c(5),
    SHR_U,
    ...c(2),
    SHL,
    ...load(V_BITMAPS + l * BITMAP_BYTES),
    ...get(X),
    ...c(31),
    AND,
    SHR_U,
    ...c(1),
    AND,
    ELSE,
    ...c(0),
    END,
  ];
  /** Record (tag, a, b, X) at OUT[CNT++]. */
  const emit = (tag: number, a: number[], b: number[]) => [
    ...get(CNT),
    ...c(4),
    SHL,
    ...tee(P),
    ...c(tag),
    ...store(V_OUT),
    ...get(P),
    ...a,
    ...store(V_OUT + 4),
    ...get(P),
    ...b,
    ...store(V_OUT + 8),
    ...get(P),
    ...get(X),
    ...store(V_OUT + 12),
    ...get(CNT),
    ...c(1),
    ADD,
    ...set(CNT),
  ];
  const vecState = (g: number) => [HF(g), HB(g), SF(g), SB(g)];
  const stateAt = (g: number, h: number) => 16 + g * 64 + h * 16;
  const directLook = windows.flatMap(({ w }, l) => [
    ...get(I),
    ...c(w - 1),
    GE_U,
    ...IF,
    ...get(XV(l >> 2)),
    ...V.extract(l & 3),
    ...set(X),
    ...bitSet(l),
    ...IF,
    ...get(X),
    ...set(HIT(l)),
    ...emit(l, [...get(I), ...c(w - 1), SUB], c(0)),
    END,
    END,
  ]);
  const squeezedLook = windows.flatMap(({ w }, l) => [
    ...get(K),
    ...c(w - 1),
    GT_U, // k (already counting unit i) ≥ w
    ...IF,
    // first = AT[k − w]: TK is 4k here
    ...get(TK),
    ...load(AT_PAD - 4 * w),
    ...set(FIRST),
    ...get(I),
    ...get(FIRST),
    SUB,
    ...c(w - 1),
    EQ,
    ...IF,
    ...get(HIT(l)),
    ...set(X),
    ELSE,
    ...get(YV(l >> 2)),
    ...V.extract(l & 3),
    ...set(X),
    ...bitSet(l),
    EQZ,
    ...IF,
    ...c(-1),
    ...set(X),
    END,
    END,
    ...get(X),
    ...c(0),
    GE_S,
    ...IF,
    ...emit(SQUEEZED_TAG + l, get(FIRST), get(I)),
    END,
    END,
  ]);
  const code = [
    ...c(V_STATE),
    ...load(0),
    ...set(I),
    ...c(V_STATE),
    ...load(4),
    ...set(K),
    ...Array.from({ length: G }, (_, g) =>
      vecState(g).flatMap((l, h) => [...c(V_STATE), ...V.load(stateAt(g, h)), ...set(l)]),
    ).flat(),
    ...get(SEED),
    ...V.splat,
    ...set(SEEDV),
    ...[0x02, 0x40], // block $exit
    ...[0x03, 0x40], // loop
    // if (i >= n || cnt > CAP - 2L) break: a unit records at most 2L windows
    ...get(I),
    ...get(N),
    GE_U,
    ...get(CNT),
    ...c(VIEWS_CAP - 2 * L),
    GT_U,
    OR,
    ...[0x0d, 1],
    // c = text[i]
    ...get(I),
    ...c(1),
    SHL,
    ...tee(TI),
    ...load16(textAt),
    ...tee(C),
    ...V.splat,
    ...set(CV),
    // the direct windows: leaving units text[i − w] (zero padding while i < w)
    ...Array.from({ length: G }, (_, g) => [
      ...gather(g, TI, (w) => textAt - 2 * w),
      ...(single(g)
        ? rollBucketScalar(HF(g), HB(g), g, XV(g))
        : [...rollV(HF(g), HB(g), g), ...bucketV(HF(g), HB(g), XV(g))]),
    ]).flat(),
    ...windows.flatMap((_, l) => [...c(-1), ...set(HIT(l))]),
    ...anyCoarse(XV),
    ...get(ANY),
    ...IF,
    ...directLook,
    END,
    // a joiner: no squeezed window ends here
    ...c(V_JOINERS),
    ...get(C),
    ...c(3),
    SHR_U,
    ADD,
    ...load8(),
    ...get(C),
    ...c(7),
    AND,
    SHR_U,
    ...c(1),
    AND,
    EQZ,
    ...IF,
    // the squeezed windows: leaving units SQ[k − w] (zero padding while k < w)
    ...get(K),
    ...c(1),
    SHL,
    ...get(SQB),
    ADD,
    ...tee(TK),
    ...get(C),
    ...store16(SQ_PAD),
    ...Array.from({ length: G }, (_, g) => [
      ...gather(g, TK, (w) => SQ_PAD - 2 * w),
      ...(single(g)
        ? rollBucketScalar(SF(g), SB(g), g, YV(g))
        : [...rollV(SF(g), SB(g), g), ...bucketV(SF(g), SB(g), YV(g))]),
    ]).flat(),
    ...get(K),
    ...c(2),
    SHL,
    ...get(ATB),
    ADD,
    ...get(I),
    ...store(AT_PAD),
    ...get(K),
    ...c(1),
    ADD,
    ...tee(K),
    ...c(2),
    SHL,
    ...get(ATB),
    ADD,
    ...set(TK),
    // Nothing to record unless a direct bucket or a squeezed one meets a set coarse byte.
    ...get(ANY),
    ...anyCoarse(YV),
    ...get(ANY),
    OR,
    ...IF,
    ...squeezedLook,
    END,
    END,
    // i++
    ...get(I),
    ...c(1),
    ADD,
    ...set(I),
    ...[0x0c, 0], // br loop
    END, // loop
    END, // block
    ...c(V_STATE),
    ...get(I),
    ...store(0),
    ...c(V_STATE),
    ...get(K),
    ...store(4),
    ...c(V_STATE),
    ...get(CNT),
    ...store(8),
    ...Array.from({ length: G }, (_, g) =>
      vecState(g).flatMap((l, h) => [...c(V_STATE), ...get(l), ...V.store(stateAt(g, h))]),
    ).flat(),
    ...get(I),
    ...get(N),
    0x49, // i32.lt_u
    END,
  ];
  const body = [
    ...vec([
      [...uleb(I32_LOCALS), I32],
      [...uleb(V128_LOCALS), V128],
    ]),
    ...code,
  ];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(Math.ceil(textAt / PAGE))]])),
    ...section(
      7,
      vec([
        [...str("views"), 0x00, 0],
        [...str("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

type ViewsFn = (n: number, seed: number, sqBase: number, atBase: number) => number;

/** Which UTF-16 units are joiners (the squeezed view's spec, see rules/managed-matcher.ts SqueezeSpec). */
export interface JoinerSpec {
  ascii: Uint8Array;
  isJoiner(c: number): boolean;
  /**
   * The table joinerBits would build, when the spec's owner has it from an explicit list of its
   * joiners (scanners/managed.ts: the gates' set); a test checks it against the loop for every unit.
   */
  bits?: Uint8Array;
}

const joinerCache = new WeakMap<JoinerSpec, Uint8Array>();
/**
 * One bit per UTF-16 code unit (65,536 bits): set when the unit is a joiner. The JavaScript loop
 * tests each code unit on its own (ascii below 128, isJoiner from 128 on, surrogate halves
 * included), so a table of every unit answers exactly as it does. Built once per spec.
 */
export function joinerBits(spec: JoinerSpec): Uint8Array {
  let bits = spec.bits ?? joinerCache.get(spec);
  if (bits) return bits;
  bits = new Uint8Array(8192);
  for (let u = 0; u < 65536; u++)
    if (u < 128 ? spec.ascii[u] === 1 : spec.isJoiner(u)) bits[u >>> 3]! |= 1 << (u & 7);
  joinerCache.set(spec, bits);
  return bits;
}

/** What one search listed. */
export interface ViewsFound {
  /**
   * Records (tag, a, b, bucket) in text order: tag = slot for a direct window [a, a+w) (b is 0),
   * SQUEEZED_TAG + slot for a squeezed window whose units run from text offset a to b.
   */
  records: Int32Array;
  /** Non-joiner units in the text. */
  kept: number;
}

/** One matcher's four-view roller: its bitmaps live in the instance's memory. */
export interface ViewsRoller {
  search(text: string, spec: JoinerSpec, seed: number): ViewsFound;
  /** The instance's memory (tests: no text is left in it after a search). */
  readonly memory: WebAssembly.Memory;
}

/**
 * viewsModule of the matcher's own constants (ROLL_PREBUILT's) for the window lengths a typical
 * token's forms use (16, 32, 64, 96: raw/JSON/shell, base64/hex/base32, `%HH`/`\xHH`, `\uXXXX`),
 * as viewsModule assembles them: a scan process decodes these bytes instead of running the
 * assembler, which cost ~4.3 ms CPU per process (in process, 3 runs; compiling is ~0.3 ms).
 * Any other list is assembled. test/rules/matcher-views.differential.test.ts checks that the bytes
 * are viewsModule's for these lengths and constants.
 */
export const VIEWS_PREBUILT = {
  windows: [16, 32, 64, 96],
  module:
    "AGFzbQEAAAABCQFgBH9/f38BfwMCAQAFAwEACgcSAgV2aWV3cwAABm1lbW9yeQIACpcOAZQOAg5/CntBACgCACEEQQAoAgQhBUEA/QAEECEWQQD9AAQgIRdBAP0ABDAhGEEA/QAEQCEZIAH9ESESAkADQCAEIABPIAZB+B9Lcg0BIARBAXQiDC8BgMYmIgf9ESETIAwvAeDFJv0RIAwvAcDFJv0cASAMLwGAxSb9HAIgDC8BwMQm/RwDIRUgFiAV/QxbIZ3WG64uoJvXM94bwQug/bUB/bEB/QyTAQABkwEAAZMBAAGTAQAB/bUBIBP9rgEhFiAXIBX9sQH9DJtEnDWbRJw1m0ScNZtEnDX9tQEgE/0MWyGd1huuLqCb1zPeG8ELoP21Af2uASEXIBYgF/21ASEUIBYgF/2uASAS/VEgFEEQ/asBIBRBEP2tAf1Q/VEiFSAVQQ/9rQH9Uf0MsXk3nrF5N56xeTeesXk3nv21AUEM/a0BIRpBfyEOQX8hD0F/IRBBfyERIBr9GwBBCHYtAIDCBCAa/RsBQQh2LQCA4gRyIBr9GwJBCHYtAICCBXIgGv0bA0EIdi0AgKIFciELIAsEQCAEQQ9PBEAgGv0bACEIIAhBCHYtAIDCBAR/IAhBBXZBAnQoAoDCBiAIQR9xdkEBcQVBAAsEQCAIIQ4gBkEEdCIJQQA2AoBCIAkgBEEPazYChEIgCUEANgKIQiAJIAg2AoxCIAZBAWohBgsLIARBH08EQCAa/RsBIQggCEEIdi0AgOIEBH8gCEEFdkECdCgCgMIOIAhBH3F2QQFxBUEACwRAIAghDyAGQQR0IglBATYCgEIgCSAEQR9rNgKEQiAJQQA2AohCIAkgCDYCjEIgBkEBaiEGCwsgBEE/TwRAIBr9GwIhCCAIQQh2LQCAggUEfyAIQQV2QQJ0KAKAwhYgCEEfcXZBAXEFQQALBEAgCCEQIAZBBHQiCUECNgKAQiAJIARBP2s2AoRCIAlBADYCiEIgCSAINgKMQiAGQQFqIQYLCyAEQd8ATwRAIBr9GwMhCCAIQQh2LQCAogUEfyAIQQV2QQJ0KAKAwh4gCEEfcXZBAXEFQQALBEAgCCERIAZBBHQiCUEDNgKAQiAJIARB3wBrNgKEQiAJQQA2AohCIAkgCDYCjEIgBkEBaiEGCwsLQYACIAdBA3ZqLQAAIAdBB3F2QQFxRQRAIAVBAXQgAmoiDSAHOwGABCANLwHgA/0RIA0vAcAD/RwBIA0vAYAD/RwCIA0vAcAC/RwDIRUgGCAV/QxbIZ3WG64uoJvXM94bwQug/bUB/bEB/QyTAQABkwEAAZMBAAGTAQAB/bUBIBP9rgEhGCAZIBX9sQH9DJtEnDWbRJw1m0ScNZtEnDX9tQEgE/0MWyGd1huuLqCb1zPeG8ELoP21Af2uASEZIBggGf21ASEUIBggGf2uASAS/VEgFEEQ/asBIBRBEP2tAf1Q/VEiFSAVQQ/9rQH9Uf0MsXk3nrF5N56xeTeesXk3nv21AUEM/a0BIRsgBUECdCADaiAENgKACCAFQQFqIgVBAnQgA2ohDSALIBv9GwBBCHYtAIDCBCAb/RsBQQh2LQCA4gRyIBv9GwJBCHYtAICCBXIgG/0bA0EIdi0AgKIFciELIAtyBEAgBUEPSwRAIA0oAsAHIQogBCAKa0EPRgRAIA4hCAUgG/0bACEIIAhBCHYtAIDCBAR/IAhBBXZBAnQoAoDCBiAIQR9xdkEBcQVBAAtFBEBBfyEICwsgCEEATgRAIAZBBHQiCUEQNgKAQiAJIAo2AoRCIAkgBDYCiEIgCSAINgKMQiAGQQFqIQYLCyAFQR9LBEAgDSgCgAchCiAEIAprQR9GBEAgDyEIBSAb/RsBIQggCEEIdi0AgOIEBH8gCEEFdkECdCgCgMIOIAhBH3F2QQFxBUEAC0UEQEF/IQgLCyAIQQBOBEAgBkEEdCIJQRE2AoBCIAkgCjYChEIgCSAENgKIQiAJIAg2AoxCIAZBAWohBgsLIAVBP0sEQCANKAKABiEKIAQgCmtBP0YEQCAQIQgFIBv9GwIhCCAIQQh2LQCAggUEfyAIQQV2QQJ0KAKAwhYgCEEfcXZBAXEFQQALRQRAQX8hCAsLIAhBAE4EQCAGQQR0IglBEjYCgEIgCSAKNgKEQiAJIAQ2AohCIAkgCDYCjEIgBkEBaiEGCwsgBUHfAEsEQCANKAKABSEKIAQgCmtB3wBGBEAgESEIBSAb/RsDIQggCEEIdi0AgKIFBH8gCEEFdkECdCgCgMIeIAhBH3F2QQFxBUEAC0UEQEF/IQgLCyAIQQBOBEAgBkEEdCIJQRM2AoBCIAkgCjYChEIgCSAENgKIQiAJIAg2AoxCIAZBAWohBgsLCwsgBEEBaiEEDAALC0EAIAQ2AgBBACAFNgIEQQAgBjYCCEEAIBb9CwQQQQAgF/0LBCBBACAY/QsEMEEAIBn9CwRAIAQgAEkL",
} as const;

const viewsCompiled = new Map<string, WebAssembly.Module | null>();
function viewsModuleFor(
  k: RollConstants,
  windows: readonly { w: number; top: number }[],
): WebAssembly.Module | null {
  const key = `${k.base},${k.baseInv},${k.mix},${k.shift}:${windows.map((x) => `${x.w}/${x.top}`).join(",")}`;
  let mod = viewsCompiled.get(key);
  if (mod !== undefined) return mod;
  try {
    const prebuilt =
      isPrebuilt(k) &&
      windows.length === VIEWS_PREBUILT.windows.length &&
      windows.every(({ w, top }, i) => w === VIEWS_PREBUILT.windows[i] && top === topOf(w));
    const bytes = prebuilt ? Buffer.from(VIEWS_PREBUILT.module, "base64") : viewsModule(k, windows);
    mod = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    mod = null;
  }
  viewsCompiled.set(key, mod);
  return mod;
}

/** BASE^(w−1) mod 2³² for ROLL_PREBUILT's base (the prebuilt module has these powers compiled in). */
const topOf = (w: number): number => {
  let top = 1;
  for (let i = 1; i < w; i++) top = Math.imul(top, ROLL_PREBUILT.base);
  return top;
};

/** Texts at least this long take the four-view roll in WebAssembly. */
export function viewsWasmAbove(): number {
  // Measured per search (in process, 1 stored value, 4 window lengths): the loop 2.3 µs at 40
  // units, 10 µs at 100, 105 µs at 1,000; WebAssembly ~2 µs fixed, 3.5 µs at 100, 30 µs at 1,000.
  return mode === "always" ? 0 : mode === "off" ? Infinity : 64;
}

/**
 * A four-view roller over these window lengths and bitmaps (Int32Array of 2^15 words each, slot by
 * slot), or undefined without WebAssembly (at most 8 lengths).
 */
export function createViewsRoller(
  windows: readonly { w: number; top: number; bitmap: Int32Array }[],
  k: RollConstants,
  setBuckets?: SetBuckets,
): ViewsRoller | undefined {
  if (mode === "off" || typeof WebAssembly !== "object" || windows.length > 8) return undefined;
  const mod = viewsModuleFor(k, windows);
  if (!mod) return undefined;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(mod);
  } catch {
    return undefined;
  }
  const memory = instance.exports.memory as WebAssembly.Memory;
  const views = instance.exports.views as ViewsFn;
  const slots = windows.length;
  const textAt = viewsTextAt(slots);
  let words = new Int32Array(0);
  let out = new Int32Array(0);
  let buffer = Buffer.alloc(0);
  const ensure = (bytes: number) => {
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (buffer.buffer !== memory.buffer) {
      words = new Int32Array(memory.buffer, V_STATE, 64);
      out = new Int32Array(memory.buffer, V_OUT, VIEWS_CAP * 4);
      buffer = Buffer.from(memory.buffer);
    }
  };
  ensure(textAt);
  const bytes = new Uint8Array(memory.buffer);
  // The coarse table: byte g of a length nonzero when any of buckets 256g … 256g+255 is set.
  const setCoarse = (slot: number, x: number) => {
    bytes[V_COARSE + slot * COARSE_BYTES + (x >>> COARSE_SHIFT)] = 1;
  };
  if (setBuckets) {
    setBuckets((slot, b) => {
      const x = b & BUCKET_MASK;
      setBit(bytes, V_BITMAPS + slot * BITMAP_BYTES, x);
      setCoarse(slot, x);
    });
  } else
    windows.forEach(({ bitmap }, i) => {
      buffer.set(
        new Uint8Array(bitmap.buffer, bitmap.byteOffset, BITMAP_BYTES),
        V_BITMAPS + i * BITMAP_BYTES,
      );
      for (let word = 0; word < 1 << 15; word++) if (bitmap[word] !== 0) setCoarse(i, word << 5);
    });
  let spec: JoinerSpec | undefined;
  return {
    memory,
    search(text, s, seed) {
      const n = text.length;
      const { sq, at } = viewsSqueezedAt(slots, n);
      ensure(at + n * 4);
      buffer.write(text, textAt, n * 2, "utf16le");
      if (spec !== s) {
        buffer.set(joinerBits(s), V_JOINERS);
        spec = s;
      }
      words.fill(0);
      // The unit leaving a squeezed window before w units are in is 0 (see above): the padding
      // before SQ may hold a longer text's offsets from an earlier search.
      buffer.fill(0, sq - SQ_PAD, sq);
      let records = new Int32Array(0);
      let more: boolean;
      do {
        more = views(n, seed, sq - SQ_PAD, at - AT_PAD) === 1;
        const got = out.subarray(0, words[2]! * 4);
        if (records.length === 0) records = got.slice();
        else {
          const all = new Int32Array(records.length + got.length);
          all.set(records);
          all.set(got, records.length);
          records = all;
        }
      } while (more);
      const kept = words[1]!;
      // The text (which may hold a value: it is what is searched) and its squeezed copy do not
      // outlive the search in the instance's memory.
      buffer.fill(0, textAt, textAt + n * 2);
      buffer.fill(0, sq, sq + kept * 2);
      return { records, kept };
    },
  };
}
