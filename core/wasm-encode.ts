// The byte encodings of a WebAssembly binary (LEB128 numbers, sections, vectors, names), for the
// two modules hookpack assembles from opcodes in process: the detection engine's automaton loop
// (rules/detect.ts) and SHA-256's compression (core/sha256-wasm-assemble.ts).

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128. */
export function sleb(n: number): number[] {
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

export const section = (id: number, body: number[]): number[] => [
  id,
  ...uleb(body.length),
  ...body,
];
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const str = (s: string): number[] => [
  ...uleb(s.length),
  ...[...s].map((c) => c.charCodeAt(0)),
];

// Instructions the hand-assembled modules share (rules/matcher-wasm.ts, rules/check-wasm.ts).
/** local.get / local.set / local.tee of local `l`. */
export const localGet = (l: number): number[] => [0x20, ...uleb(l)];
export const localSet = (l: number): number[] => [0x21, ...uleb(l)];
export const localTee = (l: number): number[] => [0x22, ...uleb(l)];
/** i32.const of `n` as a signed 32-bit value. */
export const i32Const = (n: number): number[] => [0x41, ...sleb(n | 0)];
/** Single-byte i32 opcodes. */
export const I32_OP = {
  EQZ: 0x45,
  EQ: 0x46,
  GE_S: 0x4e,
  GT_U: 0x4b,
  GE_U: 0x4f,
  ADD: 0x6a,
  SUB: 0x6b,
  MUL: 0x6c,
  AND: 0x71,
  OR: 0x72,
  XOR: 0x73,
  SHL: 0x74,
  SHR_U: 0x76,
  ROTL: 0x77,
} as const;
