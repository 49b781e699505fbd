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

// ---------------------------------------------------------------------------------------------
// The gates' four-view search (rules/managed-matcher.ts searchViews) in WebAssembly: for one window
// length, the direct roll (the text's window [j, j+w), one lookup serves it as is and reversed) and
// the squeezed roll (the last w non-joiner units, through a ring) in one pass, as the JavaScript
// loop does. Only the positions whose bucket is set come back; `candidates` / `squeezedCandidates`
// run in JavaScript for them. The output lists have a fixed capacity: when one is full the function
// saves its state and returns, JavaScript drains the lists and calls it again (so the memory does
// not grow with the number of hits, only with the text).
//
// Memory: [STATE 64 B][RING units 1 KB][RING offsets 1 KB][JOINERS 8 KB: one bit per UTF-16 unit]
//         [DIRECT (j, bucket) × CAP][SQUEEZED (first, last, bucket) × CAP][bitmaps 128 KB each][TEXT]

/** Entries per output list between two calls. */
export const VIEWS_CAP = 4096;
const V_STATE = 0;
const V_RING = 64;
const V_RING_AT = V_RING + 1024;
const V_JOINERS = V_RING_AT + 1024;
const V_DIRECT = V_JOINERS + 8192;
const V_SQUEEZED = V_DIRECT + VIEWS_CAP * 8;
const V_BITMAPS = (V_SQUEEZED + VIEWS_CAP * 12 + 4095) & ~4095;
/** State words: i, k, hf, hb, sf, sb, opw, spw (read at entry, written at exit), nDirect, nSqueezed (written). */
const V_WORDS = 10;

/**
 * views(text, n, w, top, seed, bitmap) → 1 when it stopped with a full list (call again), 0 at the
 * end of the text. For i from STATE.i to n − 1 (the JavaScript loop of searchViews, exactly):
 *   - the direct window ending at i, [i−w+1, i], once i ≥ w − 1: its bucket x set → (j, x) listed;
 *   - unit i is a joiner (JOINERS bit): nothing more; else it enters the squeezed ring; once k ≥ w
 *     squeezed units are in, the squeezed window (its first unit at text offset `first`) is listed as
 *     (first, i, y) when its bucket y is set, where a window with no joiner inside (i − first = w − 1)
 *     is the direct one and takes the direct lookup's answer.
 */
export function viewsModule(k: RollConstants): Uint8Array {
  const I32 = 0x7f;
  // params
  const TEXT = 0;
  const N = 1;
  const W = 2;
  const TOP = 3;
  const SEED = 4;
  const BM = 5;
  // locals
  const I = 6;
  const K = 7;
  const HF = 8;
  const HB = 9;
  const SF = 10;
  const SB = 11;
  const OPW = 12;
  const SPW = 13;
  const ND = 14;
  const NS = 15;
  const C = 16;
  const O = 17;
  const X = 18;
  const HIT = 19;
  const FIRST = 20;
  const P = 21;
  const LOCALS = 16;
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const tee = (l: number) => [0x22, l];
  const c = (n: number) => [0x41, ...sleb(n | 0)];
  const load = (off = 0) => [0x28, 2, ...uleb(off)];
  const load16 = [0x2f, 1, 0];
  const load8 = [0x2d, 0, 0];
  const store = (off = 0) => [0x36, 2, ...uleb(off)];
  const ADD = 0x6a;
  const SUB = 0x6b;
  const MUL = 0x6c;
  const AND = 0x71;
  const OR = 0x72;
  const XOR = 0x73;
  const SHL = 0x74;
  const SHR_U = 0x76;
  const ROTL = 0x77;
  const EQ = 0x46;
  const NE = 0x47;
  const LT_U = 0x49;
  const GE_U = 0x4f;
  const GE_S = 0x4e;
  const IF = [0x04, 0x40];
  const ELSE = 0x05;
  const END = 0x0b;
  /** The bucket of (a, b) into X: windowBucket. */
  const bucket = (a: number, b: number) => [
    ...get(a),
    ...get(b),
    MUL,
    ...set(P),
    ...get(a),
    ...get(b),
    ADD,
    ...get(SEED),
    XOR,
    ...get(P),
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
    ...set(X),
  ];
  /** Pushes 1 when X's bit is set in the bitmap, else 0. */
  const bitSet = [
    ...get(BM),
    ...get(X),
    ...c(5),
    SHR_U,
    ...c(2),
    SHL,
    ADD,
    ...load(),
    ...get(X),
    ...c(31),
    AND,
    SHR_U,
    ...c(1),
    AND,
  ];
  /** Rolls (f, b) by C entering and O leaving. */
  const roll = (f: number, b: number) => [
    ...get(f),
    ...get(O),
    ...get(TOP),
    MUL,
    SUB,
    ...c(k.base),
    MUL,
    ...get(C),
    ADD,
    ...set(f),
    ...get(b),
    ...get(O),
    SUB,
    ...c(k.baseInv),
    MUL,
    ...get(C),
    ...get(TOP),
    MUL,
    ADD,
    ...set(b),
  ];
  /** Appends C to (f, b), pw the next power. */
  const grow = (f: number, b: number, pw: number) => [
    ...get(f),
    ...c(k.base),
    MUL,
    ...get(C),
    ADD,
    ...set(f),
    ...get(b),
    ...get(C),
    ...get(pw),
    MUL,
    ADD,
    ...set(b),
    ...get(pw),
    ...c(k.base),
    MUL,
    ...set(pw),
  ];
  /** Address of ring slot (v & 255) of the area at `base`. */
  const ringSlot = (base: number, v: number[]) => [
    ...v,
    ...c(255),
    AND,
    ...c(2),
    SHL,
    ...c(base),
    ADD,
  ];
  const stateWords = [I, K, HF, HB, SF, SB, OPW, SPW];
  const code = [
    ...stateWords.flatMap((l, x) => [...c(V_STATE), ...load(x * 4), ...set(l)]),
    ...[0x02, 0x40], // block $exit
    ...[0x03, 0x40], // loop
    // if (i >= n || nD == CAP || nS == CAP) break
    ...get(I),
    ...get(N),
    GE_U,
    ...get(ND),
    ...c(VIEWS_CAP),
    EQ,
    OR,
    ...get(NS),
    ...c(VIEWS_CAP),
    EQ,
    OR,
    ...[0x0d, 1],
    // c = text[i]
    ...get(TEXT),
    ...get(I),
    ...c(1),
    SHL,
    ADD,
    ...load16,
    ...set(C),
    // the direct hashes
    ...get(I),
    ...get(W),
    LT_U,
    ...IF,
    ...grow(HF, HB, OPW),
    ELSE,
    ...get(TEXT),
    ...get(I),
    ...get(W),
    SUB,
    ...c(1),
    SHL,
    ADD,
    ...load16,
    ...set(O),
    ...roll(HF, HB),
    END,
    ...c(-1),
    ...set(HIT),
    // i + 1 >= w: the direct window [i-w+1, i] is whole
    ...get(I),
    ...c(1),
    ADD,
    ...get(W),
    GE_U,
    ...IF,
    ...bucket(HF, HB),
    ...bitSet,
    ...IF,
    ...get(X),
    ...set(HIT),
    ...c(V_DIRECT),
    ...get(ND),
    ...c(3),
    SHL,
    ADD,
    ...tee(P),
    ...get(I),
    ...get(W),
    SUB,
    ...c(1),
    ADD,
    ...store(0),
    ...get(P),
    ...get(X),
    ...store(4),
    ...get(ND),
    ...c(1),
    ADD,
    ...set(ND),
    END,
    END,
    // not a joiner: the squeezed view
    ...c(V_JOINERS),
    ...get(C),
    ...c(3),
    SHR_U,
    ADD,
    ...load8,
    ...get(C),
    ...c(7),
    AND,
    SHR_U,
    ...c(1),
    AND,
    0x45, // i32.eqz
    ...IF,
    ...get(K),
    ...get(W),
    LT_U,
    ...IF,
    ...grow(SF, SB, SPW),
    ELSE,
    ...ringSlot(V_RING, [...get(K), ...get(W), SUB]),
    ...load(),
    ...set(O),
    ...roll(SF, SB),
    END,
    ...ringSlot(V_RING, get(K)),
    ...get(C),
    ...store(),
    ...ringSlot(V_RING_AT, get(K)),
    ...get(I),
    ...store(),
    ...get(K),
    ...c(1),
    ADD,
    ...tee(K),
    ...get(W),
    GE_U,
    ...IF,
    ...ringSlot(V_RING_AT, [...get(K), ...get(W), SUB]),
    ...load(),
    ...set(FIRST),
    // no joiner inside: the direct window's answer; else the squeezed window's own lookup
    ...get(I),
    ...get(FIRST),
    SUB,
    ...get(W),
    ...c(1),
    SUB,
    EQ,
    ...IF,
    ...get(HIT),
    ...set(X),
    ELSE,
    ...bucket(SF, SB),
    ...bitSet,
    0x45, // i32.eqz
    ...IF,
    ...c(-1),
    ...set(X),
    END,
    END,
    ...get(X),
    ...c(0),
    GE_S,
    ...IF,
    ...c(V_SQUEEZED),
    ...get(NS),
    ...c(12),
    MUL,
    ADD,
    ...tee(P),
    ...get(FIRST),
    ...store(0),
    ...get(P),
    ...get(I),
    ...store(4),
    ...get(P),
    ...get(X),
    ...store(8),
    ...get(NS),
    ...c(1),
    ADD,
    ...set(NS),
    END,
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
    ...stateWords.flatMap((l, x) => [...c(V_STATE), ...get(l), ...store(x * 4)]),
    ...c(V_STATE),
    ...get(ND),
    ...store(32),
    ...c(V_STATE),
    ...get(NS),
    ...store(36),
    ...get(I),
    ...get(N),
    LT_U,
    END,
  ];
  void NE;
  const body = [...vec([[LOCALS, I32]]), ...code];
  const params = Array.from({ length: 6 }, () => [I32]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(params), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
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

type ViewsFn = (
  text: number,
  n: number,
  w: number,
  top: number,
  seed: number,
  bitmap: number,
) => number;

/** Which UTF-16 units are joiners (the squeezed view's spec, see rules/managed-matcher.ts SqueezeSpec). */
export interface JoinerSpec {
  ascii: Uint8Array;
  isJoiner(c: number): boolean;
}

const joinerCache = new WeakMap<JoinerSpec, Uint8Array>();
/**
 * One bit per UTF-16 code unit (65,536 bits): set when the unit is a joiner. The JavaScript loop
 * tests each code unit on its own (ascii below 128, isJoiner from 128 on, surrogate halves
 * included), so a table of every unit answers exactly as it does. Built once per spec.
 */
export function joinerBits(spec: JoinerSpec): Uint8Array {
  let bits = joinerCache.get(spec);
  if (bits) return bits;
  bits = new Uint8Array(8192);
  for (let u = 0; u < 65536; u++)
    if (u < 128 ? spec.ascii[u] === 1 : spec.isJoiner(u)) bits[u >>> 3]! |= 1 << (u & 7);
  joinerCache.set(spec, bits);
  return bits;
}

/** One matcher's four-view roller: its bitmaps live in the instance's memory. */
export interface ViewsRoller {
  /** Copies `text` into memory and the spec's joiner table, once per search. */
  load(text: string, spec: JoinerSpec): void;
  /** Starts the roll of window length `w` (bitmap `slot`) at the text's start. */
  start(slot: number, w: number, top: number, seed: number): void;
  /**
   * Rolls on: true when it stopped because a list is full (drain, then call again), false at the
   * text's end. After each call: `direct` holds nDirect (j, bucket) pairs, `squeezed` nSqueezed
   * (first, last, bucket) triples, both in text order; `kept` is the squeezed units so far.
   */
  step(): boolean;
  readonly direct: Int32Array;
  readonly squeezed: Int32Array;
  readonly nDirect: number;
  readonly nSqueezed: number;
  readonly kept: number;
}

let viewsCompiled: WebAssembly.Module | null | undefined;
function viewsModuleFor(k: RollConstants): WebAssembly.Module | null {
  if (viewsCompiled !== undefined) return viewsCompiled;
  try {
    viewsCompiled = new WebAssembly.Module(viewsModule(k) as Uint8Array<ArrayBuffer>);
  } catch {
    viewsCompiled = null;
  }
  return viewsCompiled;
}

/** Texts at least this long take the four-view roll in WebAssembly. */
export function viewsWasmAbove(): number {
  return mode === "always" ? 0 : mode === "off" ? Infinity : 1024;
}

/** A four-view roller over these bitmaps, or undefined without WebAssembly. */
export function createViewsRoller(
  bitmaps: readonly Int32Array[],
  k: RollConstants,
): ViewsRoller | undefined {
  if (mode === "off" || typeof WebAssembly !== "object") return undefined;
  const mod = viewsModuleFor(k);
  if (!mod) return undefined;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(mod);
  } catch {
    return undefined;
  }
  const memory = instance.exports.memory as WebAssembly.Memory;
  const views = instance.exports.views as ViewsFn;
  const textAt = V_BITMAPS + bitmaps.length * BITMAP_BYTES;
  let words = new Int32Array(0);
  let direct = new Int32Array(0);
  let squeezed = new Int32Array(0);
  let buffer = Buffer.alloc(0);
  const views_ = () => {
    words = new Int32Array(memory.buffer, V_STATE, V_WORDS);
    direct = new Int32Array(memory.buffer, V_DIRECT, VIEWS_CAP * 2);
    squeezed = new Int32Array(memory.buffer, V_SQUEEZED, VIEWS_CAP * 3);
    buffer = Buffer.from(memory.buffer);
  };
  const ensure = (bytes: number) => {
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (buffer.buffer !== memory.buffer) views_();
  };
  ensure(textAt);
  const bytes = new Uint8Array(memory.buffer);
  bitmaps.forEach((bm, i) => {
    bytes.set(new Uint8Array(bm.buffer, bm.byteOffset, BITMAP_BYTES), V_BITMAPS + i * BITMAP_BYTES);
  });
  let n = 0;
  let w = 0;
  let top = 0;
  let seed = 0;
  let bitmapAt = 0;
  let spec: JoinerSpec | undefined;
  return {
    load(text, s) {
      n = text.length;
      ensure(textAt + n * 2);
      buffer.write(text, textAt, n * 2, "utf16le");
      if (spec !== s) {
        buffer.set(joinerBits(s), V_JOINERS);
        spec = s;
      }
    },
    start(slot, width, t, sd) {
      w = width;
      top = t;
      seed = sd;
      bitmapAt = V_BITMAPS + slot * BITMAP_BYTES;
      words.fill(0);
      words[6] = 1; // opw
      words[7] = 1; // spw
    },
    step() {
      return views(textAt, n, w, top, seed, bitmapAt) === 1;
    },
    get direct() {
      return direct;
    },
    get squeezed() {
      return squeezed;
    },
    get nDirect() {
      return words[8]!;
    },
    get nSqueezed() {
      return words[9]!;
    },
    get kept() {
      return words[1]!;
    },
  };
}
