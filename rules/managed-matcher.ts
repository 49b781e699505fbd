// The value-free managed-value matcher: one matcher for the post-tool hook, `scan`, pre-push and
// check-pack. It holds no value and no piece of one, only what the hook cache stores per encoded
// form (rules/managed-values.ts `buildPatterns`) of every value:
//   - bucket: 20 bits of a salted fingerprint of the form's first W characters (W = min(16, length));
//   - length, and sha256(salt ‖ form): the only thing a hit is confirmed against;
//   - check (cache files written since issue 21): 32 bits of a salted fingerprint of the WHOLE form,
//     tested before the sha256. It says nothing a guesser could not already test against the
//     sha256, and nothing about any piece of the form shorter than the form itself.
// The search runs one rolling hash per distinct W over the text, forwards and (for the gates'
// reversed views) backwards in the same pass: a window read right-to-left is the reversed text's
// window, so no reversed copy is made; findViews also rolls the squeezed view's windows (joiners
// skipped) in that same loop, so the gates' four views cost one read of the text and no copy of it.
// Sampling positions (as exec's plaintext matcher does) would need a fingerprint of the window at
// every offset of every form, which rebuilds a value character by character from a known prefix:
// this index keeps one window per form. A window whose bucket is set is a candidate; a candidate's
// whole-form fingerprint is computed from the text (len multiply-adds, no allocation) and only a
// check hit is hashed with sha256. Without a check column (older files) every candidate is hashed.
// A check hit is hashed by core/sha256-wasm.ts: finding never loads node:crypto.
import type * as Crypto from "node:crypto";
import { sha256 } from "../core/sha256-wasm.js";
import { applyMatches, type Match, type RedactResult } from "./managed-values.js";

export const MAX_WINDOW = 16;
const BUCKET_BITS = 20;
const BUCKET_MASK = (1 << BUCKET_BITS) - 1;
const SHIFT = 32 - BUCKET_BITS;
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
  /** Whole-form fingerprints; undefined for a cache written before they existed. */
  check: Int32Array | undefined;
  /** sha256(salt ‖ form), base64, of entry i. */
  digest(i: number): string;
  /**
   * Buckets are symmetricBucket's (cache version 3): one bucket serves a window and its reversal.
   * False/absent: fmix buckets (versions 1 and 2), searched the older way.
   */
  symmetric?: boolean;
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

export function checkSeed(salt: Buffer): number {
  return salt.readUInt32LE(4) | 0;
}

/** murmur3 fmix32: spreads a polynomial hash before it is cut or compared. */
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

/** The bucket stored for a form. */
export function formBucket(form: string, seed: number): number {
  return fmix(windowHash(form, 0, Math.min(MAX_WINDOW, form.length)) ^ seed) & BUCKET_MASK;
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

/** The multiplier of symmetricBucket's one-multiply mix (2^32 / golden ratio, odd). */
const MIX = 0x9e3779b1 | 0;

/**
 * Cache version 3's bucket: 20 bits of a salted mix of hf + hb, the window's polynomial hash read
 * forwards plus read backwards. The sum is the same for a window and its reversal, so ONE lookup
 * per window serves both the text and the reversed text (versions 1–2 needed two fmix lookups), and
 * the mix is one multiply (its top 20 bits) instead of fmix's two multiplies and three shifts.
 * What it reveals is what version 2's bucket revealed: 20 bits about the same first
 * min(16, length) characters of a form (a little less: a window and its reversal share a bucket).
 * No other window of a form, and no finer piece of one, is fingerprinted.
 */
export function symmetricBucket(form: string, seed: number): number {
  const w = Math.min(MAX_WINDOW, form.length);
  const sum = (windowHash(form, 0, w) + reversedWindowHash(form, 0, w)) | 0;
  return Math.imul(sum ^ seed, MIX) >>> (32 - BUCKET_BITS);
}

/**
 * The order the index is loaded fastest in: by (bucket, window), shortest form first within one
 * (createIndexedMatcher then needs no hash table). The order of entries reveals nothing.
 */
export function indexOrder(
  a: { bucket: number; window: number; length: number },
  b: { bucket: number; window: number; length: number },
): number {
  const ka = (a.bucket & BUCKET_MASK) * 32 + a.window;
  const kb = (b.bucket & BUCKET_MASK) * 32 + b.window;
  return ka - kb || a.length - b.length;
}

/** The whole-form check stored for a form. */
export function formCheck(form: string, seed: number): number {
  return fmix(windowHash(form, 0, form.length) ^ seed);
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
  (bucket[i]! & BUCKET_MASK) * 32 + window[i]!;

interface Chains {
  /** Entry after e in its chain, or -1. */
  next: Int32Array;
  /** Distinct (bucket, window) keys. */
  used: number;
  /** The first entry of a key's chain, or -1. */
  headOf(key: number): number;
}

/** Chains of entries already in indexOrder; undefined when they are not. */
function sortedChains(
  bucket: Int32Array,
  window: Uint8Array,
  length: Uint32Array,
  count: number,
): Chains | undefined {
  const keys = new Int32Array(count);
  const next = new Int32Array(count).fill(-1);
  let used = 0;
  for (let i = 0; i < count; i++) {
    const key = keyAt(bucket, window, i);
    keys[i] = key;
    if (i === 0) {
      used++;
      continue;
    }
    const prev = keys[i - 1]!;
    if (prev > key || (prev === key && length[i - 1]! > length[i]!)) return undefined;
    if (prev === key) next[i - 1] = i;
    else used++;
  }
  return {
    next,
    used,
    headOf(key) {
      let lo = 0;
      let hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid]! < key) lo = mid + 1;
        else hi = mid;
      }
      return lo < count && keys[lo] === key ? lo : -1;
    },
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

/** One bitmap of set buckets per window length, and the shortest form's length. */
function bucketBitmaps(
  bucket: Int32Array,
  window: Uint8Array,
  length: Uint32Array,
  count: number,
): { bitmaps: Map<number, Int32Array>; minLength: number } {
  const bitmaps = new Map<number, Int32Array>();
  let minLength = 0;
  let lastW = -1;
  let bm: Int32Array = new Int32Array(0);
  for (let i = 0; i < count; i++) {
    const w = window[i]!;
    const b = bucket[i]! & BUCKET_MASK;
    if (w !== lastW) {
      lastW = w;
      const known = bitmaps.get(w);
      if (known) bm = known;
      else bitmaps.set(w, (bm = new Int32Array(1 << (BUCKET_BITS - 5))));
    }
    bm[b >>> 5]! |= 1 << (b & 31);
    const len = length[i]!;
    if (minLength === 0 || len < minLength) minLength = len;
  }
  return { bitmaps, minLength };
}

export function createIndexedMatcher(index: MatcherIndex): HashedMatcher {
  const { salt, names, count, bucket, window, length, name, check } = index;
  const symmetric = index.symmetric === true;
  const seed = saltSeed(salt);
  const cseed = checkSeed(salt);
  const digest = candidateDigest(salt);

  // Entries sorted by (bucket, window), shortest form first within one (the order cache version 3
  // is written in, indexOrder): a chain is a run of consecutive entries, found by binary search,
  // and loading is one plain pass over the columns. Any other order (older files, a file edited by
  // hand) gets the hash table of hashChains. The loading loops are small top-level functions: V8
  // compiles a hot loop's whole function on stack replacement, and compiling this one (all of the
  // matcher) was most of the ~10 ms CPU that loading 13,000 entries (1,000 secrets) cost a hook.
  const chains =
    sortedChains(bucket, window, length, count) ?? hashChains(bucket, window, length, count);
  const { next, used, headOf } = chains;
  const { bitmaps, minLength } = bucketBitmaps(bucket, window, length, count);
  // Distinct (bucket, window) keys over 2^20: the candidates per text position, all window lengths
  // together. One secret: ~16 keys (0.002 %); 1,000 secrets: 13,500 (1.3 %).
  const crowded = used / (1 << BUCKET_BITS) > 1 / 512; // summed over windows: per position
  const windows = [...bitmaps.entries()].map(([w, bitmap]) => {
    return { w, bitmap, top: topPower(w) };
  });

  /** Entries of a set bucket at window start j (forwards) or window end j+w (backwards). */
  const candidates = (
    text: string,
    j: number,
    w: number,
    b: number,
    backwards: boolean,
    hits: ViewMatch[],
    wh: number,
  ): void => {
    const n = text.length;
    let e = headOf(b * 32 + w);
    let lastLen = -1;
    let lastCheck = 0;
    let lastDigest: string | undefined;
    // The whole-form hash continues the window's (`wh`, the first w characters read in the form's
    // direction) and then each shorter form's: only characters past the last one hashed are read.
    let h = wh;
    let got = w;
    for (; e !== -1; e = next[e]!) {
      const len = length[e]!;
      const start = backwards ? j + w - len : j;
      if (start < 0 || start + len > n) break; // chains run shortest first: no longer form fits
      if (len !== lastLen) {
        lastLen = len;
        lastDigest = undefined;
        if (backwards)
          for (let k = j + w - 1 - got; k >= start; k--)
            h = (Math.imul(h, BASE) + text.charCodeAt(k)) | 0;
        else
          for (let k = j + got; k < start + len; k++)
            h = (Math.imul(h, BASE) + text.charCodeAt(k)) | 0;
        got = len;
        lastCheck = fmix(h ^ cseed);
      }
      if (check !== undefined && check[e] !== lastCheck) continue;
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
  };

  // The squeezed windows' ring: the last non-joiner characters and their offsets in the text
  // (allocated once: the gates call this for every JSON string of every file).
  const ring = new Int32Array(32);
  const ringAt = new Int32Array(32);

  /**
   * Entries of a set bucket for a window of the squeezed view, read straight from `text`: the
   * window's non-joiner characters run from text offset `first` to `lastAt`; the rest of a form is
   * read on past them, skipping joiners, so no squeezed copy is ever made. Hits are in `text`'s
   * offsets (first to last character of the form, joiners between them included).
   */
  const squeezedCandidates = (
    text: string,
    spec: SqueezeSpec,
    k: number,
    lastAt: number,
    w: number,
    b: number,
    backwards: boolean,
    hits: ViewMatch[],
    wh: number,
  ): void => {
    const first = ringAt[(k - w) & 31]!;
    const head = headOf(b * 32 + w);
    if (head === -1) return;
    const n = text.length;
    const ascii = spec.ascii;
    let lastLen = -1;
    let lastCheck = 0;
    let lastEnd = 0; // forwards: past the form's last character; backwards: before its first
    let lastDigest: string | undefined;
    let h = wh;
    let got = w;
    let at = backwards ? first - 1 : lastAt + 1;
    for (let e = head; e !== -1; e = next[e]!) {
      const len = length[e]!;
      if (len !== lastLen) {
        lastLen = len;
        lastDigest = undefined;
        // Shortest form first (see the chains): the hash and the read position carry on.
        let need = len - got;
        if (backwards)
          for (; need > 0 && at >= 0; at--) {
            const c = text.charCodeAt(at);
            if (c < 128 ? ascii[c] === 1 : spec.isJoiner(c)) continue;
            h = (Math.imul(h, BASE) + c) | 0;
            need--;
          }
        else
          for (; need > 0 && at < n; at++) {
            const c = text.charCodeAt(at);
            if (c < 128 ? ascii[c] === 1 : spec.isJoiner(c)) continue;
            h = (Math.imul(h, BASE) + c) | 0;
            need--;
          }
        if (need > 0) break; // the text ends first, for this form and every longer one
        got = len;
        lastEnd = at;
        lastCheck = fmix(h ^ cseed);
      }
      if (check !== undefined && check[e] !== lastCheck) continue;
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

  /** The hook's search (forwards only): kept apart so a cold process runs the leanest loop. */
  const scanForward = (
    text: string,
    w: number,
    bitmap: Int32Array,
    top: number,
    hits: ViewMatch[],
  ): void => {
    const n = text.length;
    if (n < w) return;
    // The hot loop: plain locals, the fmix32 finaliser written out, candidates out of line.
    let h = windowHash(text, 0, w);
    const last = n - w;
    for (let j = 0; ; j++) {
      let x = h ^ seed;
      x ^= x >>> 16;
      x = Math.imul(x, 0x85ebca6b);
      x ^= x >>> 13;
      x = Math.imul(x, 0xc2b2ae35);
      x ^= x >>> 16;
      x &= BUCKET_MASK;
      if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) candidates(text, j, w, x, false, hits, h);
      if (j >= last) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(j), top), BASE) + text.charCodeAt(j + w)) | 0;
    }
  };
  const searchForward = (text: string): ViewMatch[] => {
    const hits: ViewMatch[] = [];
    for (const { w, bitmap, top } of windows) scanForward(text, w, bitmap, top, hits);
    return hits;
  };
  const symSearchForward = (text: string): ViewMatch[] => {
    const hits: ViewMatch[] = [];
    for (const { w, bitmap, top } of windows) symForward(text, w, bitmap, top, hits);
    return hits;
  };

  /** Forwards and backwards in one pass: the window read right-to-left is the reversed text's. */
  const searchBoth = (text: string): ViewMatch[] => {
    const hits: ViewMatch[] = [];
    const n = text.length;
    for (const { w, bitmap, top } of windows) {
      if (n < w) continue;
      let hf = 0;
      let hb = 0;
      let pw = 1;
      for (let i = 0; i < w; i++) {
        const c = text.charCodeAt(i);
        hf = (Math.imul(hf, BASE) + c) | 0;
        hb = (hb + Math.imul(c, pw)) | 0;
        pw = Math.imul(pw, BASE);
      }
      const last = n - w;
      for (let j = 0; ; j++) {
        let x = hf ^ seed;
        x ^= x >>> 16;
        x = Math.imul(x, 0x85ebca6b);
        x ^= x >>> 13;
        x = Math.imul(x, 0xc2b2ae35);
        x ^= x >>> 16;
        x &= BUCKET_MASK;
        if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) candidates(text, j, w, x, false, hits, hf);
        let y = hb ^ seed;
        y ^= y >>> 16;
        y = Math.imul(y, 0x85ebca6b);
        y ^= y >>> 13;
        y = Math.imul(y, 0xc2b2ae35);
        y ^= y >>> 16;
        y &= BUCKET_MASK;
        if ((bitmap[y >>> 5]! & (1 << (y & 31))) !== 0) candidates(text, j, w, y, true, hits, hb);
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
   * searchBoth over the text and, in the same loop, over its squeezed view: the squeezed windows
   * roll over a 32-slot ring of the last non-joiner characters, so no squeezed copy is made until a
   * squeezed window is a candidate.
   */
  let warmed = false;
  const searchViews = (
    text: string,
    spec: SqueezeSpec,
    every?: Int32Array,
  ): { direct: ViewMatch[]; split: ViewMatch[] } => {
    const direct: ViewMatch[] = [];
    const split: ViewMatch[] = [];
    const n = text.length;
    const ascii = spec.ascii;
    const isJoiner = spec.isJoiner;
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
        // Every operand of the rare candidate calls is computed on the common path: an operation
        // first met in optimised code (no type feedback yet) deoptimises the whole loop, and a
        // one-shot scan paid that several times.
        const j = i - w + 1;
        if (j >= 0) {
          let x = hf ^ seed;
          x ^= x >>> 16;
          x = Math.imul(x, 0x85ebca6b);
          x ^= x >>> 13;
          x = Math.imul(x, 0xc2b2ae35);
          x ^= x >>> 16;
          x &= BUCKET_MASK;
          if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0)
            candidates(text, j, w, x, false, direct, hf);
          let y = hb ^ seed;
          y ^= y >>> 16;
          y = Math.imul(y, 0x85ebca6b);
          y ^= y >>> 13;
          y = Math.imul(y, 0xc2b2ae35);
          y ^= y >>> 16;
          y &= BUCKET_MASK;
          if ((bitmap[y >>> 5]! & (1 << (y & 31))) !== 0)
            candidates(text, j, w, y, true, direct, hb);
        }
        if (c < 128 ? ascii[c] === 1 : isJoiner(c)) continue;
        if (k < w) {
          sf = (Math.imul(sf, BASE) + c) | 0;
          sb = (sb + Math.imul(c, spw)) | 0;
          spw = Math.imul(spw, BASE);
        } else {
          const out = ring[(k - w) & 31]!;
          sf = (Math.imul(sf - Math.imul(out, top), BASE) + c) | 0;
          sb = (Math.imul(sb - out, BASE_INV) + Math.imul(c, top)) | 0;
        }
        ring[k & 31] = c;
        ringAt[k & 31] = i;
        k++;
        if (k < w) continue;
        let x = sf ^ seed;
        x ^= x >>> 16;
        x = Math.imul(x, 0x85ebca6b);
        x ^= x >>> 13;
        x = Math.imul(x, 0xc2b2ae35);
        x ^= x >>> 16;
        x &= BUCKET_MASK;
        if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0)
          squeezedCandidates(text, spec, k, i, w, x, false, split, sf);
        let y = sb ^ seed;
        y ^= y >>> 16;
        y = Math.imul(y, 0x85ebca6b);
        y ^= y >>> 13;
        y = Math.imul(y, 0xc2b2ae35);
        y ^= y >>> 16;
        y &= BUCKET_MASK;
        if ((bitmap[y >>> 5]! & (1 << (y & 31))) !== 0)
          squeezedCandidates(text, spec, k, i, w, y, true, split, sb);
      }
      kept = k;
    }
    // No joiner: the squeezed view is the text, and its hits are the direct ones.
    return { direct, split: kept === n ? [] : split };
  };

  // ---- Version 3 (symmetric buckets): one lookup per window serves it and its reversal. ----

  /** The hook's forward search over symmetric buckets (the backward hash only feeds the key). */
  const symForward = (
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
      const x = Math.imul(((hf + hb) | 0) ^ seed, MIX) >>> SHIFT;
      if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) candidates(text, j, w, x, false, hits, hf);
      if (j >= last) break;
      const out = text.charCodeAt(j);
      const inc = text.charCodeAt(j + w);
      hf = (Math.imul(hf - Math.imul(out, top), BASE) + inc) | 0;
      hb = (Math.imul(hb - out, BASE_INV) + Math.imul(inc, top)) | 0;
    }
  };

  /** Forwards and backwards in one pass, one lookup per window. */
  const symBoth = (text: string): ViewMatch[] => {
    const hits: ViewMatch[] = [];
    const n = text.length;
    for (const { w, bitmap, top } of windows) {
      if (n < w) continue;
      let hf = windowHash(text, 0, w);
      let hb = reversedWindowHash(text, 0, w);
      const last = n - w;
      for (let j = 0; ; j++) {
        const x = Math.imul(((hf + hb) | 0) ^ seed, MIX) >>> SHIFT;
        if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) {
          candidates(text, j, w, x, false, hits, hf);
          candidates(text, j, w, x, true, hits, hb);
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
   * All four views in one pass over symmetric buckets: one lookup per window of the text (as is and
   * reversed) and one per window of the squeezed view (as is and reversed). A squeezed window whose
   * characters are consecutive in the text (no joiner inside it) IS the text's window ending at the
   * same character, already looked up: it is skipped.
   */
  const symViews = (
    text: string,
    spec: SqueezeSpec,
    every?: Int32Array,
  ): { direct: ViewMatch[]; split: ViewMatch[] } => {
    const direct: ViewMatch[] = [];
    const split: ViewMatch[] = [];
    const n = text.length;
    const ascii = spec.ascii;
    const isJoiner = spec.isJoiner;
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
          const x = Math.imul(((hf + hb) | 0) ^ seed, MIX) >>> SHIFT;
          if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) {
            hit = x;
            candidates(text, j, w, x, false, direct, hf);
            candidates(text, j, w, x, true, direct, hb);
          }
        }
        if (c < 128 ? ascii[c] === 1 : isJoiner(c)) continue;
        if (k < w) {
          sf = (Math.imul(sf, BASE) + c) | 0;
          sb = (sb + Math.imul(c, spw)) | 0;
          spw = Math.imul(spw, BASE);
        } else {
          const out = ring[(k - w) & 31]!;
          sf = (Math.imul(sf - Math.imul(out, top), BASE) + c) | 0;
          sb = (Math.imul(sb - out, BASE_INV) + Math.imul(c, top)) | 0;
        }
        ring[k & 31] = c;
        ringAt[k & 31] = i;
        k++;
        if (k < w) continue;
        // No joiner inside the squeezed window: it is the text's window ending here, whose lookup
        // is `hit` (the form may still run on past joiners, so its candidates are still read).
        const same = i - ringAt[(k - w) & 31]! === w - 1;
        if (same && hit < 0) continue;
        const y = same ? hit : Math.imul(((sf + sb) | 0) ^ seed, MIX) >>> SHIFT;
        if (same || (bitmap[y >>> 5]! & (1 << (y & 31))) !== 0) {
          squeezedCandidates(text, spec, k, i, w, y, false, split, sf);
          squeezedCandidates(text, spec, k, i, w, y, true, split, sb);
        }
      }
      kept = k;
    }
    return { direct, split: kept === n ? [] : split };
  };

  const find = (text: string): Match[] => {
    if (count === 0 || text.length < minLength) return [];
    const hits = symmetric ? symSearchForward(text) : searchForward(text);
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
      return symmetric ? symBoth(text) : searchBoth(text);
    },
    crowded,
    findViews(text, spec) {
      if (count === 0 || text.length < minLength) return { direct: [], split: [] };
      if (!warmed) {
        // One run over a short text with every bucket set, so each rare branch (the four candidate
        // calls, a non-ASCII character, joiners) has type feedback before the loop is optimised:
        // a call first met in optimised code deoptimised the loop once per call site in every scan.
        warmed = true;
        const every = new Int32Array(1 << (BUCKET_BITS - 5)).fill(-1);
        const warm = `${"wa'rm é\u2028".repeat(4)}${"x".repeat(MAX_WINDOW * 2)}`;
        if (symmetric) symViews(warm, spec, every);
        else searchViews(warm, spec, every);
      }
      return symmetric ? symViews(text, spec) : searchViews(text, spec);
    },
    redact(text) {
      const matches = find(text);
      return matches.length === 0 ? { text, count: 0, names: [] } : applyMatches(text, matches);
    },
  };
}
