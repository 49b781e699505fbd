// The stored-value matcher's whole-form check (rules/managed-matcher.ts `formCheck`, extended by
// `candidates`) in WebAssembly, for the searches whose bucket roll already runs there
// (rules/matcher-wasm.ts). A candidate is a window whose 20-bit bucket is set; with hundreds of
// stored secrets most candidates are chance hits (1,000 secrets: ~25 per KB of ordinary text),
// and each costs the check over its whole form, 48 to ~290 characters. In a hook (a short process)
// that JavaScript loop mostly runs unoptimised: ~230,000 characters for a 64 KB output, ~10 ms of
// CPU. Here it runs at native speed from the first candidate on. Nothing is stored or compared
// here: the function only extends the check's state over a run of the text and returns the
// 32 bits `candidates` compares against the check column, exactly as the JavaScript loop does
// (test/rules/check-wasm.differential.test.ts); the sha256 confirmation stays in JavaScript.
//
// Memory: [a, b: the check's two lanes, i32 × 2][8 bytes free][TEXT: n UTF-16 units]

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

const PAGE = 65536;
/** Where the text starts in memory. */
const TEXT_AT = 16;

export interface CheckConstants {
  /** Lane a's multiplier (CHECK_A). */
  a: number;
  /** Lane b's multiplier (CHECK_B). */
  b: number;
  /** The output mix's multiplier (MIX). */
  mix: number;
}

/**
 * ext(at, count, step) → check: reads `count` UTF-16 units of the text starting at byte `at`,
 * stepping `step` bytes (2 forwards, -2 backwards), each extending the lanes (a, b) kept at bytes
 * 0 and 4; stores the lanes back and returns checkOut(a, b).
 */
export function checkModule(k: CheckConstants): Uint8Array {
  const I32 = 0x7f;
  // params: 0 at, 1 count, 2 step; locals: 3 a, 4 b, 5 c
  const [get, set, tee, c] = [localGet, localSet, localTee, i32Const];
  const { ADD, SUB, MUL, XOR, SHR_U } = I32_OP;
  const LOAD = [0x28, 2, 0];
  const STORE = [0x36, 2, 0];
  // h ^= h >>> s on the local h
  const xorShift = (h: number, s: number) => [...get(h), ...get(h), ...c(s), SHR_U, XOR, ...set(h)];
  const code = [
    ...c(0),
    ...LOAD,
    ...set(3), // a = mem[0]
    ...c(4),
    ...LOAD,
    ...set(4), // b = mem[4]
    ...[0x02, 0x40], // block
    ...[0x03, 0x40], // loop
    ...get(1),
    0x45, // i32.eqz
    ...[0x0d, 1], // br_if block: count == 0
    // c = text unit at `at`
    ...get(0),
    ...[0x2f, 1, 0], // i32.load16_u
    ...set(5),
    // a = imul(a ^ c, A); a ^= a >>> 15
    ...get(3),
    ...get(5),
    XOR,
    ...c(k.a),
    MUL,
    ...set(3),
    ...xorShift(3, 15),
    // b = imul(b + (c ^ a), B); b ^= b >>> 13
    ...get(4),
    ...get(5),
    ...get(3),
    XOR,
    ADD,
    ...c(k.b),
    MUL,
    ...set(4),
    ...xorShift(4, 13),
    // at += step; count--
    ...get(0),
    ...get(2),
    ADD,
    ...set(0),
    ...get(1),
    ...c(1),
    SUB,
    ...set(1),
    ...[0x0c, 0], // br loop
    0x0b, // end loop
    0x0b, // end block
    ...c(0),
    ...get(3),
    ...STORE,
    ...c(4),
    ...get(4),
    ...STORE,
    // h = a ^ imul(b, MIX), then murmur3 fmix32 (h in local 5)
    ...get(3),
    ...get(4),
    ...c(k.mix),
    MUL,
    XOR,
    ...set(5),
    ...xorShift(5, 16),
    ...get(5),
    ...c(0x85ebca6b),
    MUL,
    ...set(5),
    ...xorShift(5, 13),
    ...get(5),
    ...c(0xc2b2ae35),
    MUL,
    ...tee(5),
    ...get(5),
    ...c(16),
    SHR_U,
    XOR,
    0x0b,
  ];
  const body = [...vec([[3, I32]]), ...code];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(
      7,
      vec([
        [...str("ext"), 0x00, 0],
        [...str("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** One matcher's checker: the text of the current search is copied into its memory. */
export interface WasmChecker {
  /** Copies `text` into memory (once per search, before `start`/`extend`). */
  load(text: string): void;
  /** Sets the lanes to the check's seeds (a new candidate). */
  start(a: number, b: number): void;
  /**
   * Extends the lanes over `count` units from text offset `at` (forwards, or backwards from `at`
   * down when `backwards`) and returns the check of everything read since `start`.
   */
  extend(at: number, count: number, backwards: boolean): number;
}

let compiled: WebAssembly.Module | null | undefined;

/** A checker, or undefined without WebAssembly (the caller's JavaScript loop runs). */
export function createWasmChecker(k: CheckConstants): WasmChecker | undefined {
  if (typeof WebAssembly !== "object") return undefined;
  try {
    compiled ??= new WebAssembly.Module(checkModule(k) as Uint8Array<ArrayBuffer>);
  } catch {
    compiled = null; // no WebAssembly (--jitless)
  }
  if (!compiled) return undefined;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(compiled);
  } catch {
    return undefined;
  }
  const memory = instance.exports.memory as WebAssembly.Memory;
  const ext = instance.exports.ext as (at: number, count: number, step: number) => number;
  let lanes = new Int32Array(memory.buffer, 0, 2);
  return {
    load(text) {
      const need = TEXT_AT + text.length * 2;
      const have = memory.buffer.byteLength;
      if (need > have) memory.grow(Math.ceil((need - have) / PAGE));
      lanes = new Int32Array(memory.buffer, 0, 2);
      Buffer.from(memory.buffer).write(text, TEXT_AT, text.length * 2, "utf16le");
    },
    start(a, b) {
      lanes[0] = a;
      lanes[1] = b;
    },
    extend(at, count, backwards) {
      return ext(TEXT_AT + at * 2, count, backwards ? -2 : 2);
    },
  };
}
