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
// loop makes one pass per window length, each ROLLING the direct window [j, j+w) (one lookup serves
// the text as is and reversed) and the squeezed window (the last w non-joiner units). The first
// WebAssembly version rolled four lengths in the lanes of SIMD vectors, per unit: a gather of the
// leaving units, six vector multiplies and a scalar look-up per lane, twice (issue 21: 54 % of a
// 40 MB scan's CPU, ~16 ns per unit). Here nothing is rolled:
//   - squeeze: one pass writes the squeezed view (SQ: its units; AT: each one's text offset);
//   - block: for a block of VIEWS_CAP window starts of one view (the text or SQ), the prefix and
//     suffix polynomial hashes of the block's units (and of the longest window's tail past it),
//     P[t+1] = P[t]·B + u[t] and T[t] = u[t] + B·T[t+1] (two scalar chains shared by every length),
//     then for every length w, four consecutive windows per 128-bit vector,
//       hf(j) = P[j+w] − P[j]·B^w,   hb(j) = T[j] − T[j+w]·B^w
//     — exactly the rolled hashes (Σ u[j+t]·B^(w−1−t) and Σ u[j+t]·B^t, mod 2³², B odd) — and
//     windowBucket of them: four multiplies per four windows, none waiting for another.
// Sixteen windows' buckets at a time then meet two 256-bit tables of their length (FILTER: for
// bucket bits 0–7 and 8–15, bit b >>> 5 of byte b & 31 is set when a set bucket has those bits; two
// projections of the bitmap, looked up by swizzles on the sixteen buckets' bytes); only windows
// that pass both take the exact path (exact(): the 128 KB bitmap, a record). What a search's time
// depends on is thus of the same kind as the rolled loop's (which met a coarse byte table first):
// how many windows' buckets meet the bitmap or a projection of it, nothing else of the stored
// buckets, and no stored value is ever in the process. Records come out per block, length by
// length, window start increasing; JavaScript puts them in the loop's order (length by length,
// within one by the unit each window ends at, the direct one first), and searchViews runs
// `candidates` / `squeezedCandidates` for each exactly as the loop does.
// One module serves every list of window lengths (w and B^w are read from WIN): it is prebuilt.
//
// Memory: [64 KB KEEP: one byte per UTF-16 unit, 1 for a non-joiner][FILTER 64 B per length]
//         [POW2 16 B][WIN 8 B per length][SCRATCH 64 B][OUT (tag, a, b, bucket) × VIEWS_CAP × 8]
//         [P, T: (VIEWS_CAP + 272) i32 each][bitmaps 128 KB each][TEXT][SQ: squeezed units]
//         [AT: i32 text offset of each squeezed unit]

/** Window starts of one view per block (per call of `block`), for each length. */
export const VIEWS_CAP = 4096;
const MAX_SLOTS = 8;
/** One byte per UTF-16 unit: 1 when it is NOT a joiner (kept in the squeezed view). */
const V_KEEP = 0;
const V_FILTER = V_KEEP + 65536;
const V_POW2 = V_FILTER + 64 * MAX_SLOTS;
/** Per length: w and B^w (i32 each). */
const V_WIN = V_POW2 + 16;
/** exact()'s sixteen buckets. */
const V_SCRATCH = V_WIN + 8 * MAX_SLOTS;
const V_OUT = V_SCRATCH + 64;
/** Units of one block: its windows' starts and the longest window's tail. */
const BLOCK_UNITS = VIEWS_CAP + 255;
const PRE_WORDS = VIEWS_CAP + 272;
const V_P = V_OUT + VIEWS_CAP * MAX_SLOTS * 16;
const V_T = V_P + PRE_WORDS * 4;
const V_BITMAPS = V_T + PRE_WORDS * 4;
/** A squeezed record's tag: SQUEEZED + slot (a direct record's tag is its slot). */
export const SQUEEZED_TAG = 16;

/** Where the text starts for `slots` window lengths. */
const viewsTextAt = (slots: number): number => V_BITMAPS + slots * BITMAP_BYTES;
/** Where the squeezed units and their offsets go for a text of n units. */
const viewsSqueezedAt = (slots: number, n: number): { sq: number; at: number } => {
  const sq = (viewsTextAt(slots) + n * 2 + 15) & ~15;
  return { sq, at: (sq + n * 2 + 15) & ~15 };
};

/** SIMD opcodes (0xFD prefix). */
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const V = {
  load: (off: number) => simd(0x00, 4, ...uleb(off)),
  const: (lanes: readonly number[]) => {
    const b = Buffer.alloc(16);
    lanes.forEach((x, i) => b.writeInt32LE(x | 0, i * 4));
    return simd(0x0c, ...b);
  },
  splat4: (x: number) => V.const([x, x, x, x]),
  /** Swaps the 16-bit halves of each lane: rotl(x, 16). */
  rot16: simd(0x0d, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13),
  swizzle: simd(0x0e),
  splat: simd(0x11),
  extract: (lane: number) => simd(0x1b, lane),
  and: simd(0x4e),
  or: simd(0x50),
  xor: simd(0x51),
  anyTrue: simd(0x53),
  sub8: simd(0x71),
  ne8: simd(0x24),
  minU8: simd(0x77),
  bitmask8: simd(0x64),
  store: (off: number) => simd(0x0b, 4, ...uleb(off)),
  shrU8: simd(0x6d),
  /** Bytes 0, 4, 8, 12 of a then of b (the low bytes of their lanes), then zeros' places. */
  pack0: simd(0x0d, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0),
  /** Bytes 1, 5, 9, 13 of a then of b (the second bytes of their lanes). */
  pack1: simd(0x0d, 1, 5, 9, 13, 17, 21, 25, 29, 0, 0, 0, 0, 0, 0, 0, 0),
  /** Bytes 0–7 of a, then 0–7 of b. */
  join8: simd(0x0d, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
  shrU: simd(0xad),
  add: simd(0xae),
  sub: simd(0xb1),
  mul: simd(0xb5),
};

/**
 * Three functions (one module for every list of window lengths: the lengths and their powers B^w
 * are read from WIN, so a process never assembles one):
 *   squeeze(text, n, sq, at) → k: the text's non-joiner units to SQ, their text offsets to AT.
 *   block(u, len, s, seed, view, at, slots) → records: the windows of the unit array at byte `u`
 *     (len units) that start at s … s + VIEWS_CAP − 1, every length; each whose bucket x is set in
 *     its bitmap is recorded at OUT as (slot, j, 0, x) for the text (view 0), or for SQ (view 1)
 *     as (SQUEEZED_TAG + slot, AT[j], AT[j + w − 1], x): first and last unit in text offsets.
 *     Length by length, j increasing.
 *   exact(…): block's look-ups in the bitmap, for sixteen windows some of which passed FILTER.
 */
export function viewsModule(k: RollConstants): Uint8Array {
  const I32 = 0x7f;
  const V128 = 0x7b;
  const [get, set, tee, c] = [localGet, localSet, localTee, i32Const];
  const load = (off = 0) => [0x28, 2, ...uleb(off)];
  const load16 = (off = 0) => [0x2f, 1, ...uleb(off)];
  const load8 = (off = 0) => [0x2d, 0, ...uleb(off)];
  const store = (off = 0) => [0x36, 2, ...uleb(off)];
  const store16 = (off = 0) => [0x3b, 1, ...uleb(off)];
  const { ADD, SUB, MUL, AND, SHL, SHR_U, GE_S, EQZ } = I32_OP;
  const LT_S = 0x48;
  const CTZ = 0x68;
  const SELECT = 0x1b;
  const IF = [0x04, 0x40];
  const ELSE = 0x05;
  const END = 0x0b;
  const BR_IF = 0x0d;
  const LOOP = [0x02, 0x40, 0x03, 0x40];
  const AGAIN = [0x0c, 0];

  // squeeze(text, n, sq, at) → k. params 0 text, 1 n, 2 sq, 3 at; locals 4 i, 5 k, 6 c
  const squeezeCode = [
    ...LOOP,
    ...get(4),
    ...get(1),
    I32_OP.GE_U,
    ...[BR_IF, 1],
    ...get(4),
    ...c(1),
    SHL,
    ...get(0),
    ADD,
    ...load16(),
    ...set(6),
    // SQ[k] = c; AT[k] = i; k += c is not a joiner (written either way: the next unit overwrites)
    ...get(5),
    ...c(1),
    SHL,
    ...get(2),
    ADD,
    ...get(6),
    ...store16(),
    ...get(5),
    ...c(2),
    SHL,
    ...get(3),
    ADD,
    ...get(4),
    ...store(),
    ...get(5),
    ...get(6),
    ...load8(V_KEEP),
    ADD,
    ...set(5),
    ...get(4),
    ...c(1),
    ADD,
    ...set(4),
    ...AGAIN,
    END,
    END,
    ...get(5),
    END,
  ];

  // exact(mask, l, j, jend, s, view, at, w, cnt) → cnt: for each set bit d of mask (window j + d,
  // its bucket x at SCRATCH[d]), j + d < jend and x set in slot l's bitmap → a record.
  const [MASK, EL, EJ, EJEND, ES, EVIEW, EAT, EW, ECNT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [D, EX, EA] = [9, 10, 11];
  /** Pushes AT[s + j + d + plus]. */
  const atOf = (plus: number[]) => [
    ...get(ES),
    ...get(EJ),
    ADD,
    ...get(D),
    ADD,
    ...plus,
    ...c(2),
    SHL,
    ...get(EAT),
    ADD,
    ...load(),
  ];
  const exactCode = [
    ...LOOP,
    ...get(MASK),
    EQZ,
    ...[BR_IF, 1],
    ...get(MASK),
    CTZ,
    ...set(D),
    ...get(MASK),
    ...get(MASK),
    ...c(1),
    SUB,
    AND,
    ...set(MASK),
    ...get(EJ),
    ...get(D),
    ADD,
    ...get(EJEND),
    LT_S,
    ...IF,
    ...get(D),
    ...c(2),
    SHL,
    ...load(V_SCRATCH),
    ...tee(EX),
    ...c(5),
    SHR_U,
    ...c(2),
    SHL,
    ...get(EL),
    ...c(17),
    SHL,
    ADD,
    ...load(V_BITMAPS),
    ...get(EX),
    ...c(31),
    AND,
    SHR_U,
    ...c(1),
    AND,
    ...IF,
    // the record at OUT[cnt]
    ...get(ECNT),
    ...c(4),
    SHL,
    ...tee(EA),
    ...get(EL),
    ...get(EVIEW),
    ...c(4),
    SHL, // SQUEEZED_TAG for the squeezed view
    ADD,
    ...store(V_OUT),
    ...get(EVIEW),
    ...IF,
    ...get(EA),
    ...atOf([]),
    ...store(V_OUT + 4),
    ...get(EA),
    ...atOf([...get(EW), ADD, ...c(1), SUB]),
    ...store(V_OUT + 8),
    ELSE,
    ...get(EA),
    ...get(ES),
    ...get(EJ),
    ADD,
    ...get(D),
    ADD,
    ...store(V_OUT + 4),
    ...get(EA),
    ...c(0),
    ...store(V_OUT + 8),
    END,
    ...get(EA),
    ...get(EX),
    ...store(V_OUT + 12),
    ...get(ECNT),
    ...c(1),
    ADD,
    ...set(ECNT),
    END,
    END,
    ...AGAIN,
    END,
    END,
    ...get(ECNT),
    END,
  ];

  // block: params 0 u, 1 len, 2 s, 3 seed, 4 view, 5 at, 6 slots
  const [U, LEN, S, SEED, VIEW, AT, SLOTS] = [0, 1, 2, 3, 4, 5, 6];
  // i32 locals
  const M = 7;
  const UP = 8; // byte address of u[s + t]
  const PP = 9; // 4t
  const UR = 10; // byte address of u[s + r − 1]
  const RP = 11; // 4r
  const PH = 12;
  const QH = 13;
  const CNT = 14;
  const J = 15;
  const JEND = 16;
  const A = 17;
  const L = 18;
  const W4 = 19; // 4w
  const BITS = 20;
  const I32_LOCALS = 14;
  // v128 locals
  const SEEDV = 21;
  const HF = 22;
  const HB = 23;
  const TL = 24;
  const TH = 25;
  const POW2 = 26;
  const PV = 27;
  const BWV = 28;
  const MIXV = 29;
  const C31 = 30;
  const C16 = 31;
  const HITS = 32;
  /** The buckets of windows j + 4q … j + 4q + 3. */
  const XQ = (q: number) => 33 + q;
  const TL2 = 37;
  const TH2 = 38;
  const V128_LOCALS = 18;
  /**
   * One byte of the sixteen buckets (`pack` picks byte 0 or 1 of each) against the length's table
   * for it (`lo`, `hi`: its 32 bytes), leaving a vector nonzero where the byte's bit is set; the
   * caller ANDs the two bytes' answers.
   */
  const filterByte = (pack: number[], lo: number, hi: number) => [
    ...get(XQ(0)),
    ...get(XQ(1)),
    ...pack,
    ...get(XQ(2)),
    ...get(XQ(3)),
    ...pack,
    ...V.join8,
    ...tee(PV),
    ...get(C31),
    ...V.and,
    ...set(HF),
    ...get(lo),
    ...get(HF),
    ...V.swizzle,
    ...get(hi),
    ...get(HF),
    ...get(C16),
    ...V.sub8,
    ...V.swizzle,
    ...V.or,
    ...get(POW2),
    ...get(PV),
    ...c(5),
    ...V.shrU8,
    ...V.swizzle,
    ...V.and,
  ];
  /** XQ(q) = the buckets of windows j + 4q … j + 4q + 3 (A = 4j, W4 = 4w). */
  const buckets = (q: number) => [
    // hf = P[j+w] − P[j]·B^w; hb = T[j] − T[j+w]·B^w
    ...get(A),
    ...get(W4),
    ADD,
    ...V.load(V_P + 16 * q),
    ...get(A),
    ...V.load(V_P + 16 * q),
    ...get(BWV),
    ...V.mul,
    ...V.sub,
    ...set(HF),
    ...get(A),
    ...V.load(V_T + 16 * q),
    ...get(A),
    ...get(W4),
    ADD,
    ...V.load(V_T + 16 * q),
    ...get(BWV),
    ...V.mul,
    ...V.sub,
    ...tee(HB),
    // x = (hf + hb) ^ seed ^ rotl(hf·hb, 16); ((x ^ x >>> 15)·MIX) >>> SHIFT
    ...get(HF),
    ...V.add,
    ...get(SEEDV),
    ...V.xor,
    ...get(HF),
    ...get(HB),
    ...V.mul,
    ...get(HF), // the shuffle's second operand (its lanes are not picked)
    ...V.rot16,
    ...V.xor,
    ...tee(PV),
    ...get(PV),
    ...c(15),
    ...V.shrU,
    ...V.xor,
    ...get(MIXV),
    ...V.mul,
    ...c(k.shift),
    ...V.shrU,
    ...set(XQ(q)),
  ];
  const slotCode = [
    // w and B^w of slot l; jend = min(VIEWS_CAP, len − s − w + 1)
    ...get(L),
    ...c(3),
    SHL,
    ...load(V_WIN),
    ...c(2),
    SHL,
    ...set(W4),
    ...get(LEN),
    ...get(S),
    SUB,
    ...get(W4),
    ...c(2),
    SHR_U,
    SUB,
    ...c(1),
    ADD,
    ...tee(JEND),
    ...c(VIEWS_CAP),
    ...get(JEND),
    ...c(VIEWS_CAP),
    LT_S,
    SELECT,
    ...set(JEND),
    ...get(L),
    ...c(3),
    SHL,
    ...load(V_WIN + 4),
    ...V.splat,
    ...set(BWV),
    ...get(L),
    ...c(6),
    SHL,
    ...V.load(V_FILTER + 0),
    ...set(TL),
    ...get(L),
    ...c(6),
    SHL,
    ...V.load(V_FILTER + 16),
    ...set(TH),
    ...get(L),
    ...c(6),
    SHL,
    ...V.load(V_FILTER + 32),
    ...set(TL2),
    ...get(L),
    ...c(6),
    SHL,
    ...V.load(V_FILTER + 48),
    ...set(TH2),
    ...c(0),
    ...set(J),
    ...LOOP,
    ...get(J),
    ...get(JEND),
    GE_S,
    ...[BR_IF, 1],
    ...get(J),
    ...c(2),
    SHL,
    ...set(A),
    ...[0, 1, 2, 3].flatMap((q) => buckets(q)),
    // FILTER on the sixteen buckets at once, per byte b of them (b = 0: bucket bits 0–7; b = 1:
    // bits 8–15): byte (x_b & 31) of the length's table b (32 bytes: TL 0–15, TH 16–31, a
    // swizzle index ≥ 16 giving 0), bit x_b >>> 5 of it; a window passes when both bits are set.
    ...filterByte(V.pack0, TL, TH),
    ...filterByte(V.pack1, TL2, TH2),
    ...V.minU8, // nonzero where both bytes are (each is one bit, maybe not the same one)
    ...tee(HITS),
    ...V.anyTrue,
    ...IF,
    // the windows that passed, one bit each, and their buckets to SCRATCH for exact()
    ...get(HITS),
    ...V.const([0, 0, 0, 0]),
    ...V.ne8,
    ...V.bitmask8,
    ...set(BITS),
    ...[0, 1, 2, 3].flatMap((q) => [...c(0), ...get(XQ(q)), ...V.store(V_SCRATCH + 16 * q)]),
    ...get(BITS),
    ...get(L),
    ...get(J),
    ...get(JEND),
    ...get(S),
    ...get(VIEW),
    ...get(AT),
    ...get(W4),
    ...c(2),
    SHR_U,
    ...get(CNT),
    ...[0x10, 2], // call exact
    ...set(CNT),
    END,
    ...get(J),
    ...c(16),
    ADD,
    ...set(J),
    ...AGAIN,
    END,
    END,
  ];
  const blockCode = [
    // m = min(BLOCK_UNITS, len − s)
    ...get(LEN),
    ...get(S),
    SUB,
    ...tee(M),
    ...c(BLOCK_UNITS),
    ...get(M),
    ...c(BLOCK_UNITS),
    LT_S,
    SELECT,
    ...set(M),
    // P[0] = 0, T[m] = 0; then P forwards and T backwards, two units a step, in one loop (two
    // independent chains). A step may compute P[m + 1] and T[−1] (from the units either side of
    // the block): no window reads them.
    ...get(U),
    ...get(S),
    ...c(1),
    SHL,
    ADD,
    ...tee(UP),
    ...get(M),
    ...c(1),
    SHL,
    ADD,
    ...c(4),
    SUB,
    ...set(UR),
    ...get(M),
    ...c(1),
    SUB,
    ...c(2),
    SHL,
    ...set(RP),
    ...c(0),
    ...c(0),
    ...store(V_P),
    ...get(M),
    ...c(2),
    SHL,
    ...c(0),
    ...store(V_T),
    ...LOOP,
    ...get(RP),
    ...c(0),
    LT_S,
    ...[BR_IF, 1],
    // P[t+1] = P[t]·B + u[t]; P[t+2] likewise
    ...get(PP),
    ...get(PH),
    ...c(k.base),
    MUL,
    ...get(UP),
    ...load16(0),
    ADD,
    ...tee(PH),
    ...store(V_P + 4),
    ...get(PP),
    ...get(PH),
    ...c(k.base),
    MUL,
    ...get(UP),
    ...load16(2),
    ADD,
    ...tee(PH),
    ...store(V_P + 8),
    // T[r] = u[r] + B·T[r+1]; T[r−1] likewise
    ...get(RP),
    ...get(QH),
    ...c(k.base),
    MUL,
    ...get(UR),
    ...load16(2),
    ADD,
    ...tee(QH),
    ...store(V_T),
    ...get(RP),
    ...get(QH),
    ...c(k.base),
    MUL,
    ...get(UR),
    ...load16(0),
    ADD,
    ...tee(QH),
    ...store(V_T - 4),
    ...get(UP),
    ...c(4),
    ADD,
    ...set(UP),
    ...get(PP),
    ...c(8),
    ADD,
    ...set(PP),
    ...get(UR),
    ...c(4),
    SUB,
    ...set(UR),
    ...get(RP),
    ...c(8),
    SUB,
    ...set(RP),
    ...AGAIN,
    END,
    END,
    ...get(SEED),
    ...V.splat,
    ...set(SEEDV),
    ...c(0),
    ...V.load(V_POW2),
    ...set(POW2),
    ...V.splat4(k.mix),
    ...set(MIXV),
    ...V.splat4(0x1f1f1f1f),
    ...set(C31),
    ...V.splat4(0x10101010),
    ...set(C16),
    // every length
    ...LOOP,
    ...get(L),
    ...get(SLOTS),
    GE_S,
    ...[BR_IF, 1],
    ...slotCode,
    ...get(L),
    ...c(1),
    ADD,
    ...set(L),
    ...AGAIN,
    END,
    END,
    ...get(CNT),
    END,
  ];
  const squeezeBody = [...vec([[3, I32]]), ...squeezeCode];
  const exactBody = [...vec([[3, I32]]), ...exactCode];
  const blockBody = [
    ...vec([
      [...uleb(I32_LOCALS), I32],
      [...uleb(V128_LOCALS), V128],
    ]),
    ...blockCode,
  ];
  const i32s = (n: number) => vec(Array.from({ length: n }, () => [I32]));
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...i32s(4), ...vec([[I32]])],
        [0x60, ...i32s(7), ...vec([[I32]])],
        [0x60, ...i32s(9), ...vec([[I32]])],
      ]),
    ),
    ...section(3, vec([[0], [1], [2]])),
    ...section(5, vec([[0x00, ...uleb(Math.ceil(V_BITMAPS / PAGE))]])),
    ...section(
      7,
      vec([
        [...str("squeeze"), 0x00, 0],
        [...str("block"), 0x00, 1],
        [...str("memory"), 0x02, 0],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(squeezeBody.length), ...squeezeBody],
        [...uleb(blockBody.length), ...blockBody],
        [...uleb(exactBody.length), ...exactBody],
      ]),
    ),
  ]);
}

type SqueezeFn = (text: number, n: number, sq: number, at: number) => number;
type BlockFn = (
  u: number,
  len: number,
  s: number,
  seed: number,
  view: number,
  at: number,
  slots: number,
) => number;

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

const keepCache = new WeakMap<JoinerSpec, Uint8Array>();
/** One byte per UTF-16 unit: 1 when the unit is kept in the squeezed view (joinerBits clear). */
function keepTable(spec: JoinerSpec): Uint8Array {
  let keep = keepCache.get(spec);
  if (keep) return keep;
  const bits = joinerBits(spec);
  keep = new Uint8Array(65536);
  for (let u = 0; u < 65536; u++) keep[u] = ((bits[u >>> 3]! >>> (u & 7)) & 1) ^ 1;
  keepCache.set(spec, keep);
  return keep;
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
 * viewsModule of the matcher's own constants (ROLL_PREBUILT's), as viewsModule assembles them: a
 * scan process decodes these bytes instead of running the assembler (one module serves every list
 * of window lengths). Other constants are assembled. test/rules/matcher-views.differential.test.ts
 * checks that the bytes are viewsModule's for these constants.
 */
export const VIEWS_PREBUILT = {
  module:
    "AGFzbQEAAAABIQNgBH9/f38Bf2AHf39/f39/fwF/YAl/f39/f39/f38BfwMEAwABAgUDAQAKBxwDB3NxdWVlemUAAAVibG9jawABBm1lbW9yeQIACu8LA00BA38CQANAIAQgAU8NASAEQQF0IABqLwEAIQYgBUEBdCACaiAGOwEAIAVBAnQgA2ogBDYCACAFIAYtAABqIQUgBEEBaiEEDAALCyAFC84JAg5/EnsgASACayIHQf8hIAdB/yFIGyEHIAAgAkEBdGoiCCAHQQF0akEEayEKIAdBAWtBAnQhC0EAQQA2ApCFJCAHQQJ0QQA2AtCNJQJAA0AgC0EASA0BIAkgDEGTg4AIbCAILwEAaiIMNgKUhSQgCSAMQZODgAhsIAgvAQJqIgw2ApiFJCALIA1Bk4OACGwgCi8BAmoiDTYC0I0lIAsgDUGTg4AIbCAKLwEAaiINNgLMjSUgCEEEaiEIIAlBCGohCSAKQQRrIQogC0EIayELDAALCyAD/REhFUEA/QAEgIQEIRr9DLF5N56xeTeesXk3nrF5N54hHf0MHx8fHx8fHx8fHx8fHx8fHyEe/QwQEBAQEBAQEBAQEBAQEBAQIR8CQANAIBIgBk4NASASQQN0KAKQhARBAnQhEyABIAJrIBNBAnZrQQFqIhBBgCAgEEGAIEgbIRAgEkEDdCgClIQE/REhHCASQQZ0/QAEgIAEIRggEkEGdP0ABJCABCEZIBJBBnT9AASggAQhJSASQQZ0/QAEsIAEISZBACEPAkADQCAPIBBODQEgD0ECdCERIBEgE2r9AASQhSQgEf0ABJCFJCAc/bUB/bEBIRYgEf0ABNCNJSARIBNq/QAE0I0lIBz9tQH9sQEiFyAW/a4BIBX9USAWIBf9tQEgFv0NAgMAAQYHBAUKCwgJDg8MDf1RIhsgG0EP/a0B/VEgHf21AUEM/a0BISEgESATav0ABKCFJCAR/QAEoIUkIBz9tQH9sQEhFiAR/QAE4I0lIBEgE2r9AATgjSUgHP21Af2xASIXIBb9rgEgFf1RIBYgF/21ASAW/Q0CAwABBgcEBQoLCAkODwwN/VEiGyAbQQ/9rQH9USAd/bUBQQz9rQEhIiARIBNq/QAEsIUkIBH9AASwhSQgHP21Af2xASEWIBH9AATwjSUgESATav0ABPCNJSAc/bUB/bEBIhcgFv2uASAV/VEgFiAX/bUBIBb9DQIDAAEGBwQFCgsICQ4PDA39USIbIBtBD/2tAf1RIB39tQFBDP2tASEjIBEgE2r9AATAhSQgEf0ABMCFJCAc/bUB/bEBIRYgEf0ABICOJSARIBNq/QAEgI4lIBz9tQH9sQEiFyAW/a4BIBX9USAWIBf9tQEgFv0NAgMAAQYHBAUKCwgJDg8MDf1RIhsgG0EP/a0B/VEgHf21AUEM/a0BISQgISAi/Q0ABAgMEBQYHAAAAAAAAAAAICMgJP0NAAQIDBAUGBwAAAAAAAAAAP0NAAECAwQFBgcQERITFBUWFyIbIB79TiEWIBggFv0OIBkgFiAf/XH9Dv1QIBogG0EF/W39Dv1OICEgIv0NAQUJDREVGR0AAAAAAAAAACAjICT9DQEFCQ0RFRkdAAAAAAAAAAD9DQABAgMEBQYHEBESExQVFhciGyAe/U4hFiAlIBb9DiAmIBYgH/1x/Q79UCAaIBtBBf1t/Q79Tv13IiD9UwRAICD9DAAAAAAAAAAAAAAAAAAAAAD9JP1kIRRBACAh/QsE0IQEQQAgIv0LBOCEBEEAICP9CwTwhARBACAk/QsEgIUEIBQgEiAPIBAgAiAEIAUgE0ECdiAOEAIhDgsgD0EQaiEPDAALCyASQQFqIRIMAAsLIA4LzgEBA38CQANAIABFDQEgAGghCSAAIABBAWtxIQAgAiAJaiADSARAIAlBAnQoAtCEBCIKQQV2QQJ0IAFBEXRqKAKQliYgCkEfcXZBAXEEQCAIQQR0IgsgASAFQQR0ajYCkIUEIAUEQCALIAQgAmogCWpBAnQgBmooAgA2ApSFBCALIAQgAmogCWogB2pBAWtBAnQgBmooAgA2ApiFBAUgCyAEIAJqIAlqNgKUhQQgC0EANgKYhQQLIAsgCjYCnIUEIAhBAWohCAsLDAALCyAICw==",
} as const;

let viewsCompiled: { key: string; mod: WebAssembly.Module | null } | undefined;
function viewsModuleFor(k: RollConstants): WebAssembly.Module | null {
  const key = `${k.base},${k.baseInv},${k.mix},${k.shift}`;
  if (viewsCompiled?.key === key) return viewsCompiled.mod;
  let mod: WebAssembly.Module | null;
  try {
    const bytes = isPrebuilt(k) ? Buffer.from(VIEWS_PREBUILT.module, "base64") : viewsModule(k);
    mod = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    mod = null;
  }
  viewsCompiled = { key, mod };
  return mod;
}

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
  if (mode === "off" || typeof WebAssembly !== "object" || windows.length > MAX_SLOTS)
    return undefined;
  const mod = viewsModuleFor(k);
  if (!mod) return undefined;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(mod);
  } catch {
    return undefined;
  }
  const memory = instance.exports.memory as WebAssembly.Memory;
  const squeeze = instance.exports.squeeze as SqueezeFn;
  const block = instance.exports.block as BlockFn;
  const slots = windows.length;
  const textAt = viewsTextAt(slots);
  let out = new Int32Array(0);
  let buffer = Buffer.alloc(0);
  const ensure = (bytes: number) => {
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (buffer.buffer !== memory.buffer) {
      out = new Int32Array(memory.buffer, V_OUT, VIEWS_CAP * MAX_SLOTS * 4);
      buffer = Buffer.from(memory.buffer);
    }
  };
  ensure(textAt);
  const bytes = new Uint8Array(memory.buffer);
  // FILTER: bit (x >> 5) & 7 of byte x & 31 of a length's 32 bytes, for every set bucket x.
  const setFilter = (slot: number, x: number) => {
    bytes[V_FILTER + slot * 64 + (x & 31)]! |= 1 << ((x >>> 5) & 7);
    bytes[V_FILTER + slot * 64 + 32 + ((x >>> 8) & 31)]! |= 1 << ((x >>> 13) & 7);
  };
  for (let b = 0; b < 8; b++) bytes[V_POW2 + b] = 1 << b;
  // WIN: each length and B^w (mod 2³²).
  const win = new Int32Array(memory.buffer, V_WIN, 2 * MAX_SLOTS);
  windows.forEach(({ w }, slot) => {
    let bw = 1;
    for (let i = 0; i < w; i++) bw = Math.imul(bw, k.base);
    win[2 * slot] = w;
    win[2 * slot + 1] = bw;
  });
  if (setBuckets) {
    setBuckets((slot, b) => {
      const x = b & BUCKET_MASK;
      setBit(bytes, V_BITMAPS + slot * BITMAP_BYTES, x);
      setFilter(slot, x);
    });
  } else
    windows.forEach(({ bitmap }, i) => {
      buffer.set(
        new Uint8Array(bitmap.buffer, bitmap.byteOffset, BITMAP_BYTES),
        V_BITMAPS + i * BITMAP_BYTES,
      );
      for (let word = 0; word < 1 << 15; word++) {
        const bits = bitmap[word]!;
        if (bits !== 0)
          for (let bit = 0; bit < 32; bit++)
            if ((bits >>> bit) & 1) setFilter(i, (word << 5) | bit);
      }
    });
  let spec: JoinerSpec | undefined;
  const ws = windows.map(({ w }) => w);
  return {
    memory,
    search(text, s, seed) {
      const n = text.length;
      const { sq, at } = viewsSqueezedAt(slots, n);
      ensure(at + n * 4 + 16);
      buffer.write(text, textAt, n * 2, "utf16le");
      if (spec !== s) {
        buffer.set(keepTable(s), V_KEEP);
        spec = s;
      }
      const kept = squeeze(textAt, n, sq, at);
      // Per length: the direct records (a, bucket) and the squeezed ones (a, b, bucket).
      let direct: number[][] | undefined;
      let squeezed: number[][] | undefined;
      const drain = (count: number) => {
        if (count === 0) return;
        direct ??= ws.map(() => []);
        squeezed ??= ws.map(() => []);
        for (let r = 0; r < count * 4; r += 4) {
          const tag = out[r]!;
          if (tag < SQUEEZED_TAG) direct[tag]!.push(out[r + 1]!, out[r + 3]!);
          else squeezed[tag - SQUEEZED_TAG]!.push(out[r + 1]!, out[r + 2]!, out[r + 3]!);
        }
      };
      try {
        for (let s0 = 0; s0 < n; s0 += VIEWS_CAP) drain(block(textAt, n, s0, seed, 0, at, slots));
        if (kept < n)
          for (let s0 = 0; s0 < kept; s0 += VIEWS_CAP)
            drain(block(sq, kept, s0, seed, 1, at, slots));
      } finally {
        // The text (which may hold a value: it is what is searched), its squeezed copy and the
        // hashes of the last block do not outlive the search in the instance's memory.
        buffer.fill(0, textAt, textAt + n * 2);
        buffer.fill(0, sq, sq + Math.min(n, kept + 1) * 2);
        const used = Math.min(n, BLOCK_UNITS) + 2;
        buffer.fill(0, V_P, V_P + used * 4);
        buffer.fill(0, V_T - 4, V_T + used * 4);
      }
      if (!direct || !squeezed) return { records: new Int32Array(0), kept };
      if (kept === n)
        // No joiner: the squeezed view is the text, its windows the direct ones.
        ws.forEach((w, slot) => {
          const d = direct![slot]!;
          const q = squeezed![slot]!;
          for (let r = 0; r < d.length; r += 2) q.push(d[r]!, d[r]! + w - 1, d[r + 1]!);
        });
      // The loop's order: length by length; within one, by the unit a window ends at, direct first.
      let total = 0;
      ws.forEach(
        (_, slot) => (total += (direct![slot]!.length / 2 + squeezed![slot]!.length / 3) * 4),
      );
      const records = new Int32Array(total);
      let o = 0;
      ws.forEach((w, slot) => {
        const d = direct![slot]!;
        const q = squeezed![slot]!;
        let x = 0;
        let y = 0;
        while (x < d.length || y < q.length) {
          if (y >= q.length || (x < d.length && d[x]! + w - 1 <= q[y + 1]!)) {
            records[o++] = slot;
            records[o++] = d[x]!;
            records[o++] = 0;
            records[o++] = d[x + 1]!;
            x += 2;
          } else {
            records[o++] = SQUEEZED_TAG + slot;
            records[o++] = q[y]!;
            records[o++] = q[y + 1]!;
            records[o++] = q[y + 2]!;
            y += 3;
          }
        }
      });
      return { records, kept };
    },
  };
}
