// The value-free managed-value matcher: one matcher for the post-tool hook, `scan`, pre-push and
// check-pack. It holds no value and no piece of one, only what the hook cache (broker/hook-cache.ts,
// version 4) stores per encoded form (rules/managed-values.ts `encodingsOf`) of every value:
//   - window: W characters of the form's start, W chosen by the cache so that the window covers at
//     least the first min(16, length) characters of the VALUE (a hex window is 32 characters, a
//     `\uXXXX` window 96; see hook-cache.ts `coverWindows`), rounded up to WINDOW_LADDER;
//   - bucket: 20 bits of windowBucket over those W characters, a NON-LINEAR salted mix of the
//     window's polynomial hash read forwards (hf) and backwards (hb): symmetric in hf and hb, so a
//     window and its reversal share a bucket (one lookup serves the text and the reversed text),
//     and mixing in hf·hb, so the bucket is not a sum of per-character terms (a meet-in-the-middle
//     over two halves of the window finds nothing to match: see hook-cache.ts);
//   - length, and sha256(salt ‖ form): the only thing a hit is confirmed against;
//   - check: 32 bits out of a 64-bit non-linear sequential hash of the WHOLE form (formCheck),
//     tested before the sha256. Neither linear (cache versions ≤ 3 stored an exact polynomial hash
//     of every form: 32 linear equations per form over the same characters, which a lattice
//     solves) nor invertible from its output (half the state is never stored).
// The search runs one rolling hash pair (hf, hb) per distinct W over the text; findViews also rolls
// the squeezed view's windows (joiners skipped) in that same loop, so the gates' four views cost one
// read of the text and no copy of it. A window whose bucket is set is a candidate; a candidate's
// whole-form check is computed from the text (no allocation) and only a check hit is hashed with
// sha256 (core/sha256-wasm.ts: finding never loads node:crypto).
// Cost (sec-cache, measured on a box at load 10–14 on 2 cores, so noisy): a typical token's forms
// use 4 window lengths (16, 32, 64, 96) where version 3 used one (16), so the search does ~2x the
// warm work of version 3's: 64 KB with one 48-hex value stored, in-process find(), warm 1.7 ms vs
// 0.8 ms; a cold hook process pays more (interpreted iterations until V8's concurrent OSR compile
// lands, slow under load): CPU 70 ms vs 40 ms for the whole hook. Not yet won back: one loop rolling
// every window length at once, or fewer distinct lengths.
// In a hook: texts of 384 units and more roll in WebAssembly (rules/matcher-wasm.ts;
// the JavaScript loops over a 1 KB text cost more, see WASM_FROM); with many stored secrets most
// candidates are chance hits (1,000 secrets: ~25 per KB of ordinary text, each checked over its
// whole form), so a search's checks move to WebAssembly after 16 candidates (rules/check-wasm.ts);
// loading is one pass over the columns; past 256 entries per window length the WebAssembly rollers
// copy its bitmaps instead of being handed every entry's bit; a repeating output's chance candidates
// are checked once per distinct span (the memo in createIndexedMatcher). What 1,000 secrets still
// cost over one with a version 4 (JSON) cache (in-process load + find, CPU: ~13–15 ms vs ~6 ms):
// reading and parsing the ~0.9 MB file (~3 ms, mostly the digest column) and that pass (~3 ms,
// interpreted plus its OSR compile; splitting it into chunks measured no different). A version 5
// cache is read in place and, when crowded, stores the pass's result (MatcherIndex.prebuilt).
import type * as Crypto from "node:crypto";
import { sha256 } from "../core/sha256-wasm.js";
import { createWasmChecker, type WasmChecker } from "./check-wasm.js";
import {
  createViewsRoller,
  createWasmRoller,
  type SetBuckets,
  SQUEEZED_TAG,
  viewsWasmAbove,
  wasmAbove,
  type ViewsRoller,
  type WasmRoller,
} from "./matcher-wasm.js";
import { applyMatches, type Match, type RedactResult } from "./managed-values.js";

/** The longest window (the window column is one byte). */
export const MAX_WINDOW = 255;
/**
 * The window lengths a form's window is rounded up to (when the form is that long): every distinct
 * window length is one rolling pass over the text, so the cache keeps their number small. A typical
 * token (ASCII, ≥ 20 characters) uses 16 (raw, JSON, shell, HTML, URL), 24 (base64), 32 (hex,
 * base32), 48 (%HH), 64 (\xHH) and 96 (\uXXXX, &#xHH;, &#DD;).
 */
export const WINDOW_LADDER = [16, 32, 64, 96, 128, 192, MAX_WINDOW] as const;
/** Value characters every window covers (all of a shorter value). */
export const COVER = 16;
const BUCKET_BITS = 20;
const BUCKET_MASK = (1 << BUCKET_BITS) - 1;
const SHIFT = 32 - BUCKET_BITS;
/** (bucket, window) → one key: window < 256. */
const KEY = 256;
export const BASE = 0x01000193;
/** BASE⁻¹ mod 2³² (BASE is odd), to drop the leaving character of the backward hash. */
const BASE_INV = (() => {
  let x = BASE;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(BASE, x));
  return x | 0;
})();

/** The packed index the matcher runs on: typed columns, one slot per encoded form. */
export interface MatcherIndex {
  salt: Buffer;
  names: readonly string[];
  count: number;
  bucket: Int32Array;
  window: Uint8Array;
  length: Uint32Array;
  name: Uint32Array;
  /** Whole-form checks (formCheck). */
  check: Int32Array;
  /** sha256(salt ‖ form), base64, of entry i. */
  digest(i: number): string;
  /**
   * The index as the hook cache stores it (version 5, crowded caches): the entries are in
   * indexOrder, and these are their bitmaps, shortest form and distinct keys. The loading pass over
   * the entries is skipped: a chain is a run of entries with one key, found by binary search.
   */
  prebuilt?: PrebuiltIndex;
}

/** See MatcherIndex.prebuilt. */
export interface PrebuiltIndex {
  /** Window lengths, increasing, each with its bitmap (2^15 words: bit b = bucket b is set). */
  windows: readonly number[];
  bitmaps: readonly Int32Array[];
  minLength: number;
  used: number;
}

/** Bitmaps of entries at or above this many per window length are stored in the cache (v5). */
export const BITMAPS_FROM = 256;
/** Words of one window length's bitmap. */
export const BITMAP_WORDS = 1 << (20 - 5);

/** The bitmap, shortest length and distinct (bucket, window) keys of entries in indexOrder. */
export function buildPrebuilt(
  bucket: Int32Array,
  window: Uint8Array,
  length: Uint32Array,
  count: number,
): PrebuiltIndex {
  const bitmapOf: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(KEY).fill(
    undefined,
  );
  const { minLength, chains } = sortedChains(bucket, window, length, count, bitmapOf);
  const windows: number[] = [];
  const bitmaps: Int32Array[] = [];
  bitmapOf.forEach((bm, w) => {
    if (bm) {
      windows.push(w);
      bitmaps.push(bm);
    }
  });
  if (!chains) throw new Error("hookpack: internal error: hook-cache entries out of order.");
  return { windows, bitmaps, minLength, used: chains.used };
}

/** A hit: [start, end) in the searched text. */
export interface ViewMatch extends Match {
  /** "as is", or "reversed" when the reversed text holds the form. */
  view: "as is" | "reversed";
}

/** What hooks and scanners use: finds managed values by hash, never holding one. */
export interface HashedMatcher {
  readonly names: readonly string[];
  readonly size: number;
  /** Length of the shortest form: a shorter text cannot hold one (0 when there is none). */
  readonly minLength: number;
  find(text: string): Match[];
  /** find(text) and find(reversed text) mapped back to `text`'s offsets, in one pass. */
  findBothWays(text: string): ViewMatch[];
  redact(text: string): RedactResult;
  /**
   * Every view the gates search, in ONE pass over `text`: the text as is and reversed (`direct`),
   * and its squeezed view (joiners taken out) as is and reversed (`split`, in `text`'s offsets:
   * first to last character of the form, the joiners between them included). `split` is empty when
   * the text has no joiner (the squeezed view is then the text itself). No copy of the text is made.
   */
  findViews(text: string, spec: SqueezeSpec): { direct: ViewMatch[]; split: ViewMatch[] };
  /**
   * True when so many buckets are set (hundreds of stored secrets) that candidates are frequent:
   * reading each squeezed candidate's form from the text, skipping joiners, then costs more than
   * one squeezed copy of the text (1,000 secrets: 0.83 s vs 0.93 s over 18 MB), so the gates take
   * two findBothWays passes instead of findViews.
   */
  readonly crowded: boolean;
}

/** Which code units the squeezed view drops (scanners/managed.ts owns the set). */
export interface SqueezeSpec {
  /** 1 for an ASCII joiner, indexed by code unit (length 128). */
  ascii: Uint8Array;
  /** Any code unit ≥ 128. */
  isJoiner(c: number): boolean;
}

export function saltSeed(salt: Buffer): number {
  return salt.readUInt32LE(0) | 0;
}

/** The check's two starting lanes (salt bytes 4–11). */
export function checkSeeds(salt: Buffer): [number, number] {
  return [salt.readUInt32LE(4) | 0, salt.readUInt32LE(8) | 0];
}

/** murmur3 fmix32: spreads a hash before it is cut or compared. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

export function windowHash(text: string, at: number, w: number): number {
  let h = 0;
  for (let i = 0; i < w; i++) h = (Math.imul(h, BASE) + text.charCodeAt(at + i)) | 0;
  return h;
}

/** BASE^(w-1) mod 2^32. */
function topPower(w: number): number {
  let top = 1;
  for (let i = 1; i < w; i++) top = Math.imul(top, BASE);
  return top;
}

/** The window hash read right-to-left: Σ c[at+i]·BASE^i (the reversed window's windowHash). */
export function reversedWindowHash(text: string, at: number, w: number): number {
  let h = 0;
  let pw = 1;
  for (let i = 0; i < w; i++) {
    h = (h + Math.imul(text.charCodeAt(at + i), pw)) | 0;
    pw = Math.imul(pw, BASE);
  }
  return h;
}

/** 2^32 / golden ratio, odd. */
const MIX = 0x9e3779b1 | 0;

/**
 * The bucket of a window from its forward and backward polynomial hashes: symmetric in (hf, hb)
 * (a window and its reversal share it) and non-linear: hf·hb brings in cross terms between every
 * two characters, so the bucket is not Σ f(position, character) and cannot be matched half against
 * half. 20 bits.
 */
export function windowBucket(hf: number, hb: number, seed: number): number {
  const p = Math.imul(hf, hb);
  const x = ((hf + hb) ^ seed ^ ((p >>> 16) | (p << 16))) | 0;
  return Math.imul(x ^ (x >>> 15), MIX) >>> SHIFT;
}

/** The bucket stored for a form whose window is its first `w` characters. */
export function formBucket(form: string, w: number, seed: number): number {
  return windowBucket(windowHash(form, 0, w), reversedWindowHash(form, 0, w), seed);
}

/** Candidates in one search after which its checks run in WebAssembly (searchWasm). */
let CHECK_WASM_AFTER = 16;
/** Tests: the candidate count after which checks run in WebAssembly (0: from the first). */
export function setCheckWasmAfter(n: number): void {
  CHECK_WASM_AFTER = n;
}

/** Tests: whether candidates with no hit are remembered (createIndexedMatcher's memo), and skips so far. */
let CANDIDATE_MEMO = true;
let memoSkips = 0;
export function setCandidateMemo(on: boolean): void {
  CANDIDATE_MEMO = on;
}
export const candidateMemoSkips = (): number => memoSkips;

const CHECK_A = 0xcc9e2d51 | 0;
const CHECK_B = 0x1b873593 | 0;

/**
 * The whole-form check: two 32-bit lanes stepped per character (each step a multiply and a
 * shift-xor, lane b fed by lane a), 32 bits out of the 64 at the end. Written out in the matcher's
 * candidate loops (they extend it character by character); this is the reference they must equal.
 */
export function formCheck(form: string, salt: Buffer): number {
  let [a, b] = checkSeeds(salt);
  for (let i = 0; i < form.length; i++) {
    const c = form.charCodeAt(i);
    a = Math.imul(a ^ c, CHECK_A);
    a ^= a >>> 15;
    b = Math.imul((b + (c ^ a)) | 0, CHECK_B);
    b ^= b >>> 13;
  }
  return checkOut(a, b);
}

const checkOut = (a: number, b: number): number => fmix((a ^ Math.imul(b, MIX)) | 0);

/**
 * The order the index is loaded fastest in: by (bucket, window), shortest form first within one
 * (createIndexedMatcher then needs no hash table). The order of entries reveals nothing.
 */
export function indexOrder(
  a: { bucket: number; window: number; length: number },
  b: { bucket: number; window: number; length: number },
): number {
  const ka = (a.bucket & BUCKET_MASK) * KEY + a.window;
  const kb = (b.bucket & BUCKET_MASK) * KEY + b.window;
  return ka - kb || a.length - b.length;
}

// node:crypto (and the stream/util internals it pulls in) costs ~5 ms to load on Node 20: more than
// the whole clean-output path. The matcher never loads it: a candidate is confirmed with the plain-JS
// SHA-256 of core/sha256-wasm.ts (a few µs per form). `crypto`/`digestOf` remain for the broker's writer.
let cryptoModule: typeof Crypto | undefined;
export const crypto = (): typeof Crypto =>
  (cryptoModule ??= process.getBuiltinModule("node:crypto"));
export const digestOf = (salt: Buffer, text: string): string =>
  crypto().createHash("sha256").update(salt).update(text, "utf8").digest("base64");

/**
 * sha256(salt ‖ utf8(text)) over a reused buffer, by core/sha256-wasm.ts: a confirmation hashes
 * a few dozen bytes, and loading node:crypto for it cost ~4–5 ms of the hook (issue 21).
 */
function candidateDigest(salt: Buffer): (text: string) => string {
  let buf = Buffer.allocUnsafe(salt.length + 256);
  salt.copy(buf, 0);
  return (text) => {
    if (buf.length < salt.length + text.length * 3) {
      buf = Buffer.allocUnsafe(salt.length + text.length * 3);
      salt.copy(buf, 0);
    }
    const n = buf.write(text, salt.length, "utf8");
    return Buffer.from(sha256(buf.subarray(0, salt.length + n))).toString("base64");
  };
}

function reversedSlice(text: string, from: number, to: number): string {
  let out = "";
  for (let i = to - 1; i >= from; i--) out += text[i];
  return out;
}

/** Merges sorted-by-start hits (longest first at one start) into non-overlapping matches. */
function mergeHits<T extends Match>(hits: T[]): T[] {
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: T[] = [];
  for (const h of hits) {
    const last = out[out.length - 1];
    if (last && h.start < last.end) {
      if (h.end > last.end) last.end = h.end; // overlapping hits are one redaction
      continue;
    }
    out.push(h);
  }
  return out;
}

/** (bucket, window) key of entry i. */
const keyAt = (bucket: Int32Array, window: Uint8Array, i: number): number =>
  (bucket[i]! & BUCKET_MASK) * KEY + window[i]!;

interface Chains {
  /** Entry after e in its chain, or -1. */
  next: Int32Array;
  /** Distinct (bucket, window) keys. */
  used: number;
  /** The first entry of a key's chain, or -1. */
  headOf(key: number): number;
}

/**
 * Chains of entries already in indexOrder (the order the cache is written in): a chain is a run of
 * consecutive entries, `next` links each to the one after it, and a key's head is found by binary
 * search over the bucket and window columns themselves (no key column is built). Undefined when the
 * entries are not in that order. One plain pass that also sets the bitmaps and the shortest length
 * and checks that every window is within its form (1 ≤ window ≤ length).
 */
function sortedChains(
  bucket: Int32Array,
  window: Uint8Array,
  length: Uint32Array,
  count: number,
  bitmapOf: Array<Int32Array | undefined>,
): { chains: Chains | undefined; minLength: number; valid: boolean } {
  const next = new Int32Array(count).fill(-1);
  let used = 0;
  let sorted = true;
  let valid = true;
  let minLength = 0;
  let prevKey = -1;
  let prevLen = 0;
  for (let i = 0; i < count; i++) {
    const b = bucket[i]! & BUCKET_MASK;
    const w = window[i]!;
    const len = length[i]!;
    if (w === 0 || w > len) valid = false;
    const bm = bitmapOf[w] ?? (bitmapOf[w] = new Int32Array(1 << (BUCKET_BITS - 5)));
    bm[b >>> 5]! |= 1 << (b & 31);
    if (minLength === 0 || len < minLength) minLength = len;
    const key = b * KEY + w;
    if (key === prevKey) {
      if (prevLen > len) sorted = false;
      next[i - 1] = i;
    } else {
      if (key < prevKey) sorted = false;
      used++;
    }
    prevKey = key;
    prevLen = len;
  }
  if (!sorted) return { chains: undefined, minLength, valid };
  return {
    minLength,
    valid,
    chains: {
      next,
      used,
      headOf: sortedHeadOf(bucket, window, count),
    },
  };
}

/** A key's first entry in entries sorted by key, by binary search over the columns, or -1. */
function sortedHeadOf(
  bucket: Int32Array,
  window: Uint8Array,
  count: number,
): (key: number) => number {
  return (key) => {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((bucket[mid]! & BUCKET_MASK) * KEY + window[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo < count && (bucket[lo]! & BUCKET_MASK) * KEY + window[lo]! === key ? lo : -1;
  };
}

/** Chains in any entry order: open addressing over typed arrays (no Map, no arrays per bucket). */
function hashChains(
  bucket: Int32Array,
  window: Uint8Array,
  length: Uint32Array,
  count: number,
): Chains {
  let bits = 4;
  while (1 << bits < count * 2) bits++;
  const slots = 1 << bits;
  const keys = new Int32Array(slots); // key + 1; 0 = empty
  const heads = new Int32Array(slots);
  const next = new Int32Array(count).fill(-1);
  const slotOf = (key: number): number => {
    let s = Math.imul(key, 0x9e3779b1) >>> (32 - bits);
    while (keys[s] !== 0 && keys[s] !== key + 1) s = (s + 1) & (slots - 1);
    return s;
  };
  let used = 0;
  for (let i = count - 1; i >= 0; i--) {
    const key = keyAt(bucket, window, i);
    const s = slotOf(key);
    if (keys[s] === 0) {
      keys[s] = key + 1;
      heads[s] = i;
      used++;
    } else if (length[heads[s]!]! >= length[i]!) {
      next[i] = heads[s]!;
      heads[s] = i;
    } else {
      // Each chain runs shortest form first: a candidate's whole-form hash is extended from one
      // length to the next instead of being recomputed, and stops at the first form that cannot fit.
      let at = heads[s]!;
      while (next[at] !== -1 && length[next[at]!]! < length[i]!) at = next[at]!;
      next[i] = next[at]!;
      next[at] = i;
    }
  }
  return {
    next,
    used,
    headOf(key) {
      const s = slotOf(key);
      return keys[s] === 0 ? -1 : heads[s]!;
    },
  };
}

/** The rolls' constants, as the WebAssembly rollers take them (matcher-wasm.ts ROLL_PREBUILT is built for these). */
export const ROLL_CONSTANTS = { base: BASE, baseInv: BASE_INV, mix: MIX, shift: SHIFT } as const;

export function createIndexedMatcher(index: MatcherIndex): HashedMatcher {
  const { salt, names, count, bucket, window, length, name, check } = index;
  const seed = saltSeed(salt);
  const [ca0, cb0] = checkSeeds(salt);
  const digest = candidateDigest(salt);

  // Entries sorted by (bucket, window), shortest form first within one (the order the cache is
  // written in, indexOrder): a chain is a run of consecutive entries, found by binary search, and
  // loading is one plain pass over the columns. Any other order (a file edited by hand) gets the
  // hash table of hashChains. The loading loops are small top-level functions: V8 compiles a hot
  // loop's whole function on stack replacement, and compiling this one (all of the matcher) was
  // most of the ~10 ms CPU that loading 13,000 entries (1,000 secrets) cost a hook.
  const bitmapOf: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(KEY).fill(
    undefined,
  );
  const { prebuilt } = index;
  let minLength: number;
  let used: number;
  let headOf: (key: number) => number;
  /** The entry after e in its chain, or -1. */
  let nextOf: (e: number) => number;
  if (prebuilt) {
    // The cache's own index (version 5): no pass over the entries. Its chains are runs of one key.
    prebuilt.windows.forEach((w, k) => (bitmapOf[w] = prebuilt.bitmaps[k]));
    ({ minLength, used } = prebuilt);
    headOf = sortedHeadOf(bucket, window, count);
    nextOf = (e) =>
      e + 1 < count &&
      window[e + 1] === window[e] &&
      ((bucket[e + 1]! ^ bucket[e]!) & BUCKET_MASK) === 0
        ? e + 1
        : -1;
  } else {
    const loaded = sortedChains(bucket, window, length, count, bitmapOf);
    // The window is a prefix of the form (the cache's loader has no loop of its own for this).
    if (!loaded.valid)
      throw new Error("hookpack: a hook-cache entry's window is empty or longer than its form.");
    minLength = loaded.minLength;
    const chains = loaded.chains ?? hashChains(bucket, window, length, count);
    const next = chains.next;
    ({ used, headOf } = chains);
    nextOf = (e) => next[e]!;
  }
  // Distinct (bucket, window) keys over 2^20: the candidates per text position, all window lengths
  // together. One secret: ~30 keys (0.003 %); 1,000 secrets: ~30,000 (3 %).
  const crowded = used / (1 << BUCKET_BITS) > 1 / 512; // summed over windows: per position
  const windows: Array<{ w: number; bitmap: Int32Array; top: number }> = [];
  bitmapOf.forEach((bitmap, w) => {
    if (bitmap) windows.push({ w, bitmap, top: topPower(w) });
  });
  /**
   * The bitmaps' set bits for the WebAssembly rollers, straight from the entries (every entry set
   * its window's bit in sortedChains): a roller sets them in its zeroed memory instead of copying
   * 128 KB per window length (PostToolUse 64 KB, 1 stored secret: 4 lengths, 512 KB per process).
   */
  const setBuckets: SetBuckets = (set) => {
    const slotOf = new Int16Array(KEY).fill(-1);
    windows.forEach(({ w }, slot) => (slotOf[w] = slot));
    for (let i = 0; i < count; i++) {
      const slot = slotOf[window[i]!]!;
      // Every entry's window has a bitmap (sortedChains made one): a bit left unset would miss hits.
      if (slot < 0) throw new Error("hookpack: internal error: a hook-cache entry has no window.");
      set(slot, bucket[i]! & BUCKET_MASK);
    }
  };
  /**
   * What a roller gets its bits from: setBuckets while the entries are few, the bitmaps (sortedChains
   * built them anyway) once there are more entries than COPY_FROM per window length. Setting 13,000
   * bits (1,000 stored secrets) is 13,000 closure calls in a cold process, each a random write into
   * 128 KB (~1.8 ms CPU in the hook's profile); copying the 4–7 bitmaps is a memcpy (issue 21).
   */
  const COPY_FROM = BITMAPS_FROM;
  const rollerBits: SetBuckets | undefined =
    !prebuilt && count <= windows.length * COPY_FROM ? setBuckets : undefined;

  /**
   * Candidates that found nothing, remembered for the rest of one search (issue 21): a repeating
   * output (a test log, a table) whose repeated window hits a bucket by chance hits it once per
   * repetition — 1,000 stored secrets, the bench's 64 KB log: 1,424 or 2,846 candidates with two of
   * three salts, ~3.5 µs each to check over their forms. Every form of a chain lies within
   * [lo, lo + longest) of the text (read forwards from j, or backwards to j + w), so a candidate of
   * the same (bucket, window, direction) whose span holds the same characters as a remembered one's
   * has the same outcome, nothing: it is skipped after one string comparison. Only spans wholly
   * inside the text are remembered or skipped (a form cut by the text's end changes the outcome),
   * and only candidates with no hit (a hit is always checked and confirmed afresh). `run` is bumped
   * by every search: a remembered offset belongs to one text.
   */
  const MEMO = 256;
  const memoTag = new Int32Array(MEMO);
  const memoAt = new Int32Array(MEMO);
  const memoRun = new Int32Array(MEMO);
  const memoSpan = new Int32Array(MEMO);
  let run = 0;
  /**
   * Entries of a set bucket for the window at text offsets [j, j+w): read forwards, a form starts
   * at j; read backwards (the reversed text's view), a form's first character is text[j+w-1].
   */
  const candidates = (
    text: string,
    j: number,
    w: number,
    b: number,
    backwards: boolean,
    hits: ViewMatch[],
  ): void => {
    const n = text.length;
    const key = b * KEY + w;
    const tag = key * 2 + (backwards ? 1 : 0); // key < 2^28
    const slot = Math.imul(tag, MIX) >>> 24;
    if (memoRun[slot] === run && memoTag[slot] === tag) {
      const span = memoSpan[slot]!;
      const from = backwards ? j + w - span : j;
      const p = memoAt[slot]!;
      if (from >= 0 && from + span <= n && text.startsWith(text.slice(p, p + span), from)) {
        memoSkips++;
        return;
      }
    }
    let e = headOf(key);
    if (e === -1) return;
    let longest = 0;
    for (let x = e; x !== -1; x = nextOf(x)) longest = Math.max(longest, length[x]!);
    const lo = backwards ? j + w - longest : j;
    const whole = lo >= 0 && lo + longest <= n;
    const had = hits.length;
    let lastLen = -1;
    let lastCheck = 0;
    let lastDigest: string | undefined;
    // The check runs over the form in its reading direction; each longer form of the chain
    // (shortest first) continues it from the last one.
    let ca = ca0;
    let cb = cb0;
    let got = 0;
    for (; e !== -1; e = nextOf(e)) {
      const len = length[e]!;
      const start = backwards ? j + w - len : j;
      if (start < 0 || start + len > n) break; // chains run shortest first: no longer form fits
      if (len !== lastLen) {
        lastLen = len;
        lastDigest = undefined;
        if (checking !== undefined) {
          // The same lanes, extended in WebAssembly (searchWasm set it up for this text).
          if (got === 0) checking.start(ca0, cb0);
          lastCheck = checking.extend(backwards ? j + w - 1 - got : j + got, len - got, backwards);
          got = len;
        } else {
          for (; got < len; got++) {
            const c = text.charCodeAt(backwards ? j + w - 1 - got : j + got);
            ca = Math.imul(ca ^ c, CHECK_A);
            ca ^= ca >>> 15;
            cb = Math.imul((cb + (c ^ ca)) | 0, CHECK_B);
            cb ^= cb >>> 13;
          }
          lastCheck = checkOut(ca, cb);
        }
      }
      if (check[e] !== lastCheck) continue;
      lastDigest ??= digest(
        backwards ? reversedSlice(text, start, start + len) : text.slice(start, start + len),
      );
      if (lastDigest === index.digest(e))
        hits.push({
          start,
          end: start + len,
          name: names[name[e]!] ?? "secret",
          form: "",
          view: backwards ? "reversed" : "as is",
        });
    }
    if (whole && hits.length === had && CANDIDATE_MEMO) {
      memoRun[slot] = run;
      memoTag[slot] = tag;
      memoAt[slot] = lo;
      memoSpan[slot] = longest;
    }
  };

  // The squeezed windows' ring: the last non-joiner characters and their offsets in the text
  // (allocated once: the gates call this for every JSON string of every file). Holds a whole window.
  const RING = 256;
  const ring = new Int32Array(RING);
  const ringAt = new Int32Array(RING);

  /**
   * Entries of a set bucket for a window of the squeezed view, read straight from `text`: the
   * window's non-joiner characters run from text offset `first` to `lastAt`; a form is read from
   * there on (forwards from `first`, backwards from `lastAt`), skipping joiners, so no squeezed copy
   * is ever made. Hits are in `text`'s offsets (first to last character of the form, the joiners
   * between them included).
   */
  const squeezedCandidates = (
    text: string,
    spec: SqueezeSpec,
    first: number,
    lastAt: number,
    w: number,
    b: number,
    backwards: boolean,
    hits: ViewMatch[],
  ): void => {
    const head = headOf(b * KEY + w);
    if (head === -1) return;
    const n = text.length;
    const ascii = spec.ascii;
    let lastLen = -1;
    let lastCheck = 0;
    let lastEnd = 0; // forwards: past the form's last character; backwards: before its first
    let lastDigest: string | undefined;
    let ca = ca0;
    let cb = cb0;
    let got = 0;
    let at = backwards ? lastAt : first;
    for (let e = head; e !== -1; e = nextOf(e)) {
      const len = length[e]!;
      if (len !== lastLen) {
        lastLen = len;
        lastDigest = undefined;
        // Shortest form first (see the chains): the check and the read position carry on.
        while (got < len && at >= 0 && at < n) {
          const c = text.charCodeAt(at);
          at += backwards ? -1 : 1;
          if (c < 128 ? ascii[c] === 1 : spec.isJoiner(c)) continue;
          ca = Math.imul(ca ^ c, CHECK_A);
          ca ^= ca >>> 15;
          cb = Math.imul((cb + (c ^ ca)) | 0, CHECK_B);
          cb ^= cb >>> 13;
          got++;
        }
        if (got < len) break; // the text ends first, for this form and every longer one
        lastEnd = at;
        lastCheck = checkOut(ca, cb);
      }
      if (check[e] !== lastCheck) continue;
      const from = backwards ? lastEnd + 1 : first;
      const to = backwards ? lastAt + 1 : lastEnd;
      if (lastDigest === undefined) {
        let form = "";
        for (let x = from; x < to; x++) {
          const c = text.charCodeAt(x);
          if (!(c < 128 ? ascii[c] === 1 : spec.isJoiner(c))) form += text[x];
        }
        lastDigest = digest(backwards ? reversedSlice(form, 0, form.length) : form);
      }
      if (lastDigest === index.digest(e))
        hits.push({
          start: from,
          end: to,
          name: names[name[e]!] ?? "secret",
          form: "",
          view: backwards ? "reversed" : "as is",
        });
    }
  };

  /** The hook's forward search (the backward hash only feeds the bucket). */
  const scanForward = (
    text: string,
    w: number,
    bitmap: Int32Array,
    top: number,
    hits: ViewMatch[],
  ): void => {
    const n = text.length;
    if (n < w) return;
    let hf = windowHash(text, 0, w);
    let hb = reversedWindowHash(text, 0, w);
    const last = n - w;
    for (let j = 0; ; j++) {
      // windowBucket, written out.
      const p = Math.imul(hf, hb);
      let x = ((hf + hb) ^ seed ^ ((p >>> 16) | (p << 16))) | 0;
      x = Math.imul(x ^ (x >>> 15), MIX) >>> SHIFT;
      if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) candidates(text, j, w, x, false, hits);
      if (j >= last) break;
      const out = text.charCodeAt(j);
      const inc = text.charCodeAt(j + w);
      hf = (Math.imul(hf - Math.imul(out, top), BASE) + inc) | 0;
      hb = (Math.imul(hb - out, BASE_INV) + Math.imul(inc, top)) | 0;
    }
  };
  /**
   * The same searches with the bucket roll in WebAssembly (rules/matcher-wasm.ts, built on the first
   * long text): the positions whose bucket is set come back in the JavaScript loop's order, and
   * `candidates` runs for each exactly as there. False without WebAssembly (the loops run).
   */
  let roller: WasmRoller | undefined | null;
  /**
   * The matcher's own bar for the WebAssembly roll, below matcher-wasm.ts's 4,096: in a hook the
   * JavaScript loops over a short text cost more than the roller's set-up, because V8 starts
   * compiling them on stack replacement (CPU of a background thread) a few thousand iterations in
   * (PostToolUse, 20 stored, main-script CPU ms, JavaScript vs WebAssembly: 128 B 9.6 vs 10.9,
   * 256 B 9.5 vs 10.9, 512 B 13.9 vs 10.7, 1 KB 16.8 vs 11.2, 2 KB 17.3 vs 11.8).
   */
  const WASM_FROM = 384;
  /**
   * The whole-form checks in WebAssembly (rules/check-wasm.ts), for a search whose roll runs there
   * once it has had CHECK_WASM_AFTER candidates: with hundreds of stored secrets most candidates are
   * chance hits, each checked over its whole form (48 to ~290 characters), which the JavaScript
   * loop of a short process mostly runs unoptimised. Set only while searchWasm's candidates run.
   */
  let checker: WasmChecker | undefined | null;
  let checking: WasmChecker | undefined;
  const searchWasm = (text: string, both: boolean, hits: ViewMatch[]): boolean => {
    const above = wasmAbove();
    if (above === Infinity || text.length < Math.min(above, WASM_FROM)) return false;
    roller ??=
      createWasmRoller(
        windows.map((x) => x.bitmap),
        ROLL_CONSTANTS,
        rollerBits,
      ) ?? null;
    if (!roller) return false;
    roller.load(text);
    let seen = 0;
    try {
      for (let slot = 0; slot < windows.length; slot++) {
        const { w, top } = windows[slot]!;
        if (text.length < w) continue;
        const hf = windowHash(text, 0, w);
        const hb = reversedWindowHash(text, 0, w);
        // Copied out of the instance's memory before any other code runs.
        const pairs = roller.roll(slot, w, top, seed, hf, hb).slice();
        seen += pairs.length >>> 1;
        if (checking === undefined && seen >= CHECK_WASM_AFTER) {
          if (checker === undefined)
            checker = createWasmChecker({ a: CHECK_A, b: CHECK_B, mix: MIX }) ?? null;
          try {
            checker?.load(text);
            checking = checker ?? undefined;
          } catch {
            checker = null; // memory could not grow: this matcher's checks stay in JavaScript
          }
        }
        for (let k = 0; k < pairs.length; k += 2) {
          candidates(text, pairs[k]!, w, pairs[k + 1]!, false, hits);
          if (both) candidates(text, pairs[k]!, w, pairs[k + 1]!, true, hits);
        }
      }
    } finally {
      checking = undefined;
    }
    return true;
  };
  const searchForward = (text: string): ViewMatch[] => {
    run++;
    const hits: ViewMatch[] = [];
    if (searchWasm(text, false, hits)) return hits;
    for (const { w, bitmap, top } of windows) scanForward(text, w, bitmap, top, hits);
    return hits;
  };

  /** Forwards and backwards in one pass, one lookup per window. */
  const searchBoth = (text: string): ViewMatch[] => {
    run++;
    const hits: ViewMatch[] = [];
    if (searchWasm(text, true, hits)) return hits;
    const n = text.length;
    for (const { w, bitmap, top } of windows) {
      if (n < w) continue;
      let hf = windowHash(text, 0, w);
      let hb = reversedWindowHash(text, 0, w);
      const last = n - w;
      for (let j = 0; ; j++) {
        const p = Math.imul(hf, hb);
        let x = ((hf + hb) ^ seed ^ ((p >>> 16) | (p << 16))) | 0;
        x = Math.imul(x ^ (x >>> 15), MIX) >>> SHIFT;
        if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) {
          candidates(text, j, w, x, false, hits);
          candidates(text, j, w, x, true, hits);
        }
        if (j >= last) break;
        const out = text.charCodeAt(j);
        const inc = text.charCodeAt(j + w);
        hf = (Math.imul(hf - Math.imul(out, top), BASE) + inc) | 0;
        hb = (Math.imul(hb - out, BASE_INV) + Math.imul(inc, top)) | 0;
      }
    }
    return hits;
  };

  /**
   * All four views in one pass: one lookup per window of the text (as is and reversed) and one per
   * window of the squeezed view (as is and reversed). A squeezed window whose characters are
   * consecutive in the text (no joiner inside it) IS the text's window ending at the same
   * character, already looked up: it is skipped.
   */
  let warmed = false;
  /**
   * searchViews's rolls in WebAssembly (rules/matcher-wasm.ts, built on the first long text): per
   * window length, the positions whose direct or squeezed bucket is set, in the loop's order, and
   * `candidates` / `squeezedCandidates` for each exactly as the loop calls them. Returns the
   * squeezed units counted (the loop's `kept`), or -1 without WebAssembly (the loop runs).
   */
  let views: ViewsRoller | undefined | null;
  const viewsWasm = (
    text: string,
    spec: SqueezeSpec,
    direct: ViewMatch[],
    split: ViewMatch[],
  ): number => {
    const n = text.length;
    if (n < viewsWasmAbove()) return -1;
    views ??= createViewsRoller(windows, ROLL_CONSTANTS, rollerBits) ?? null;
    if (!views) return -1;
    const { records, kept } = views.search(text, spec, seed);
    // Window length by window length, text order within one: the loop's order.
    for (let slot = 0; slot < windows.length && records.length > 0; slot++) {
      const { w } = windows[slot]!;
      for (let r = 0; r < records.length; r += 4) {
        const tag = records[r]!;
        const a = records[r + 1]!;
        const x = records[r + 3]!;
        if (tag === slot) {
          candidates(text, a, w, x, false, direct);
          candidates(text, a, w, x, true, direct);
        } else if (tag === SQUEEZED_TAG + slot) {
          squeezedCandidates(text, spec, a, records[r + 2]!, w, x, false, split);
          squeezedCandidates(text, spec, a, records[r + 2]!, w, x, true, split);
        }
      }
    }
    return kept;
  };
  const searchViews = (
    text: string,
    spec: SqueezeSpec,
    every?: Int32Array,
  ): { direct: ViewMatch[]; split: ViewMatch[] } => {
    run++;
    const direct: ViewMatch[] = [];
    const split: ViewMatch[] = [];
    const n = text.length;
    if (every === undefined) {
      const kept = viewsWasm(text, spec, direct, split);
      if (kept >= 0) return { direct, split: kept === n ? [] : split };
      if (!warmed) {
        // The loop's first text (a short one, or no WebAssembly): one run over a short text with
        // every bucket set first, so each rare branch (the four candidate calls, a non-ASCII
        // character, joiners) has type feedback before the loop is optimised: a call first met in
        // optimised code deoptimised the loop once per call site in every scan.
        warmed = true;
        const all = new Int32Array(1 << (BUCKET_BITS - 5)).fill(-1);
        searchViews(`${"wa'rm é\u2028".repeat(4)}${"x".repeat(MAX_WINDOW * 2)}`, spec, all);
      }
    }
    run++; // the warm-up above searched another text
    const ascii = spec.ascii;
    const isJoiner = spec.isJoiner;
    const mask = RING - 1;
    let kept = n;
    for (const window of windows) {
      const { w, top } = window;
      const bitmap = every ?? window.bitmap;
      if (n < w) continue;
      let hf = 0;
      let hb = 0;
      let sf = 0;
      let sb = 0;
      let opw = 1;
      let spw = 1;
      let k = 0; // squeezed characters so far
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        if (i < w) {
          hf = (Math.imul(hf, BASE) + c) | 0;
          hb = (hb + Math.imul(c, opw)) | 0;
          opw = Math.imul(opw, BASE);
        } else {
          const out = text.charCodeAt(i - w);
          hf = (Math.imul(hf - Math.imul(out, top), BASE) + c) | 0;
          hb = (Math.imul(hb - out, BASE_INV) + Math.imul(c, top)) | 0;
        }
        const j = i - w + 1;
        let hit = -1; // the direct window's bucket when it is set
        if (j >= 0) {
          const p = Math.imul(hf, hb);
          let x = ((hf + hb) ^ seed ^ ((p >>> 16) | (p << 16))) | 0;
          x = Math.imul(x ^ (x >>> 15), MIX) >>> SHIFT;
          if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) {
            hit = x;
            candidates(text, j, w, x, false, direct);
            candidates(text, j, w, x, true, direct);
          }
        }
        if (c < 128 ? ascii[c] === 1 : isJoiner(c)) continue;
        if (k < w) {
          sf = (Math.imul(sf, BASE) + c) | 0;
          sb = (sb + Math.imul(c, spw)) | 0;
          spw = Math.imul(spw, BASE);
        } else {
          const out = ring[(k - w) & mask]!;
          sf = (Math.imul(sf - Math.imul(out, top), BASE) + c) | 0;
          sb = (Math.imul(sb - out, BASE_INV) + Math.imul(c, top)) | 0;
        }
        ring[k & mask] = c;
        ringAt[k & mask] = i;
        k++;
        if (k < w) continue;
        // No joiner inside the squeezed window: it is the text's window ending here, whose lookup
        // is `hit` (the form may still run on past joiners, so its candidates are still read).
        const first = ringAt[(k - w) & mask]!;
        const same = i - first === w - 1;
        if (same && hit < 0) continue;
        let y = hit;
        if (!same) {
          const p = Math.imul(sf, sb);
          y = ((sf + sb) ^ seed ^ ((p >>> 16) | (p << 16))) | 0;
          y = Math.imul(y ^ (y >>> 15), MIX) >>> SHIFT;
        }
        if (same || (bitmap[y >>> 5]! & (1 << (y & 31))) !== 0) {
          squeezedCandidates(text, spec, first, i, w, y, false, split);
          squeezedCandidates(text, spec, first, i, w, y, true, split);
        }
      }
      kept = k;
    }
    // No joiner: the squeezed view is the text, and its hits are the direct ones.
    return { direct, split: kept === n ? [] : split };
  };

  const find = (text: string): Match[] => {
    if (count === 0 || text.length < minLength) return [];
    const hits = searchForward(text);
    if (hits.length === 0) return [];
    return mergeHits(hits).map(({ start, end, name, form }) => ({ start, end, name, form }));
  };

  return {
    names,
    size: count,
    minLength,
    find,
    findBothWays(text) {
      if (count === 0 || text.length < minLength) return [];
      // Not merged: a caller that merges several views wants each hit with the view it came from.
      return searchBoth(text);
    },
    crowded,
    findViews(text, spec) {
      if (count === 0 || text.length < minLength) return { direct: [], split: [] };
      return searchViews(text, spec);
    },
    redact(text) {
      const matches = find(text);
      return matches.length === 0 ? { text, count: 0, names: [] } : applyMatches(text, matches);
    },
  };
}
