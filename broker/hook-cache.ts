// The hook cache: what the post-tool and read-guard hooks (and `scan`, pre-push, check-pack) need to
// find managed values in every encoding WITHOUT the store key, the keychain or any plaintext.
// Written by the broker whenever the store changes (`secret set|rm|import`) and by `scan` when it is
// missing; read by the hook on demand. The matcher that runs on it is rules/managed-matcher.ts.
//
// Versions 4 and 5 (5: the same entries laid out for use in place, see "Version 5" below) keep,
// for every encoded form (rules/managed-values.ts `encodingsOf`) of a
// value the cache may search for (see "What is searchable" below):
//   - window W: the form's first W characters, where W covers at least the first min(16, L)
//     characters of the VALUE (L = its length) — coverWindows: raw 16, base64 ~24, hex 32, `%HH` 48,
//     `\xHH` 64, `\uXXXX` and `&#xHH;` 96 — rounded up to WINDOW_LADDER when the form is that long;
//   - a 20-bit bucket of a non-linear salted mix of that window (windowBucket);
//   - the form's length; a 32-bit check (formCheck) of the whole form: 32 bits out of a 64-bit
//     non-linear state; and sha256(salt ‖ form), the only thing a hit is confirmed against.
//
// What the file reveals, per value, to a reader of the file (it is 0600 in HOOKPACK_HOME; the read
// guard and the sandbox keep the agent's tools from it, but any process of the same user outside a
// sandbox can read it):
//   - its length, the shape of its forms' lengths (which characters need escaping), its name;
//   - an offline guessing oracle for the whole value: sha256, with the check and the buckets as
//     cheaper filters. Every bucket of every form is a function of the SAME first min(16, L) value
//     characters (never of fewer), and the check and sha256 of the whole value: no entry says
//     anything about a shorter piece of the value, so guessing has to be done over at least
//     min(16, L) characters at once. Cost of recovering a random value of L characters from an
//     alphabet of A: about A^min(16, L) evaluations of windowBucket (or A^L of formCheck), whichever
//     is smaller, then the rest by formCheck, i.e. no less than A^min(L, 16) guesses:
//       base62, L = 11: 2^65;  L = 12: 2^71;  L = 16: 2^95;  hex (A = 16), L = 16: 2^64, L = 32: 2^64
//       for the first window then 2^64 for the rest;  digits, L = 20: 2^66.
//     (A guessable value — a word, a date, a short PIN — is guessable from ANY hash of it: that is
//     why such values are not searchable at all, below.)
//   - Across forms: the buckets of one value's ~30 forms are ~30 different 20-bit functions of the
//     same ≥ 16 characters. Together they pin those characters (600 bits), but only to someone who
//     enumerates them: windowBucket mixes the window's forward and backward polynomial hashes with
//     their product, so a bucket is not a sum of per-character terms, and a meet-in-the-middle over
//     two halves of the window (the attack a sum would allow: ~A^8 work for 16 characters) has
//     nothing to meet on. The checks are not linear either (cache versions ≤ 3 stored an exact
//     32-bit polynomial hash of every form — linear equations over the same characters, which a
//     lattice solves — and 16-character windows that covered as few as 2.7 value characters, so
//     the first 12 characters of a random 20-character value came out bucket by bucket in under a
//     minute: test/security/hook-cache-leak.attack.test.ts).
//
// What is searchable: a value whose estimated strength (estimatedBits: length × log2 of the size of
// the character classes it uses) is below MIN_SEARCHABLE_BITS (64) gets NO entry: its name is listed
// under `unsearchable`, nothing about its characters is written. The hooks and scanners then cannot
// find it in tool output or files; `hookpack exec` still masks it in the output of the commands it
// runs (it holds the value), and `hookpack secret set` says so. 64 bits at ~10^10 guesses a second
// (a GPU) is decades.
//
// Why not key the hashes with a secret instead: the hook runs as the user, unattended, on every tool
// call, so any key it can read without a prompt (a file, an unlocked keychain item, an environment
// variable) a same-user process can read as well — and such a process can read this file only
// where the read guard and the sandbox do not stop it, which is exactly where they would not stop
// it reading the key. A key adds nothing the file's own placement does not give, so the cache is
// built to hold up when it is read.
//
// Older files (versions 1–3: the leaking windows and linear checks) are refused, never searched:
// loadHookCache treats them as no cache, and the next store write or `hookpack scan` rewrites the
// file with a fresh salt (`doctor` reports the cache as missing until then).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ManagedSecrets } from "../rules/rule.js";
import { resolveHookpackHome } from "../core/home.js";
import {
  DEFAULT_MIN_LENGTH,
  encodingsOf,
  type EncodedForm,
  type ManagedValue,
} from "../rules/managed-values.js";
import {
  BITMAP_WORDS,
  BITMAPS_FROM,
  buildPrebuilt,
  COVER,
  createIndexedMatcher,
  crypto,
  digestOf,
  formBucket,
  formCheck,
  MAX_WINDOW,
  indexOrder,
  saltSeed,
  WINDOW_LADDER,
  type HashedMatcher,
  type MatcherIndex,
  type PrebuiltIndex,
} from "../rules/managed-matcher.js";
import { HookpackError } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs-safe.js";
import type { StoreEntries as SecretStore } from "./store-entries.js";

export type { HashedMatcher } from "../rules/managed-matcher.js";

export const HOOK_CACHE_FILE = "hook-cache.json";
/**
 * Version 5 lives in a file of its own, beside a version 4 (JSON) hook-cache.json that every
 * refresh still writes: hooks of an older installed runtime ($HOOKPACK_HOME/runtime/<older>/) read
 * only hook-cache.json, and a version 5 file there read to them as no cache at all — stored values
 * passed their hooks unrecognised. A current reader takes the newer of the two files (an older
 * hookpack's refresh rewrites only hook-cache.json, so it is then the newer one).
 */
export const HOOK_CACHE_V5_FILE = "hook-cache.v5";
const FORMAT = "hookpack-hook-cache";
/**
 * 5: the entries of version 4 in a binary layout the hook uses in place (see "Version 5" above).
 * 4: windows that cover ≥ 16 value characters in every form, non-linear buckets and checks (see the
 * header), in JSON; still read. Versions 1–3 are refused: their entries gave values away.
 */
export const VERSION = 5;
/** The JSON format (version 4) still read; older JSON versions are refused. */
const JSON_VERSION = 4;

/** Values estimated weaker than this get no searchable entry (see the header). */
export const MIN_SEARCHABLE_BITS = 64;

/**
 * Bits of a value if each character were drawn at random from the character classes it uses
 * (hex digits alone: 16; digits: 10; lower, upper: 26 each; other ASCII: 33; anything else: 1,024).
 * An upper bound for a value a person chose; exact for a random token of its alphabet.
 */
export function estimatedBits(value: string): number {
  const chars = [...value];
  let lower = false;
  let upper = false;
  let digit = false;
  let other = false;
  let wide = false;
  for (const ch of chars) {
    if (ch >= "a" && ch <= "z") lower = true;
    else if (ch >= "A" && ch <= "Z") upper = true;
    else if (ch >= "0" && ch <= "9") digit = true;
    else if (ch.charCodeAt(0) < 128) other = true;
    else wide = true;
  }
  const hex = /^[0-9a-f]+$/.test(value) || /^[0-9A-F]+$/.test(value);
  const alphabet = /^[0-9]+$/.test(value)
    ? 10
    : hex
      ? 16
      : (lower ? 26 : 0) +
        (upper ? 26 : 0) +
        (digit ? 10 : 0) +
        (other ? 33 : 0) +
        (wide ? 1024 : 0);
  return chars.length * Math.log2(Math.max(2, alphabet));
}

/** [bucket, window, length, sha256(salt‖form) base64, name index, whole-form check]. */
type Entry = [number, number, number, string, number, number];

/** Entries in the order the matcher loads without a hash table (rules/managed-matcher.ts). */
const sortEntries = (entries: Entry[]): Entry[] =>
  entries.sort((a, b) =>
    indexOrder(
      { bucket: a[0], window: a[1], length: a[2] },
      { bucket: b[0], window: b[1], length: b[2] },
    ),
  );

export interface HookCacheFile {
  format: typeof FORMAT;
  version: number;
  /** base64, 16 random bytes; kept across refreshes. */
  salt: string;
  updated: string;
  names: string[];
  /** Names of values too weak to be searchable (no entry; see the header). */
  unsearchable?: string[];
  entries: Entry[];
}

/**
 * The columns: base64 of the platform's (little-endian) typed arrays of Int32 buckets, Uint8
 * windows, Uint32 lengths, Uint32 name indexes and Int32 checks, and the digests as one string of
 * 44-char base64 chunks (one per entry, so an entry's digest is a slice, not a conversion).
 */
interface PackedEntries {
  count: number;
  bucket: string;
  window: string;
  length: string;
  name: string;
  digest: string;
  check: string;
}

const DIGEST_CHARS = 44;

export function packEntries(entries: readonly Entry[]): PackedEntries {
  const n = entries.length;
  const bucket = Buffer.alloc(n * 4);
  const window = Buffer.alloc(n);
  const length = Buffer.alloc(n * 4);
  const name = Buffer.alloc(n * 4);
  const check = Buffer.alloc(n * 4);
  let digest = "";
  entries.forEach(([b, w, len, d, idx, c], i) => {
    if (d.length !== DIGEST_CHARS)
      throw new Error(
        `hookpack: internal error: a hook-cache digest is ${d.length} chars, not ${DIGEST_CHARS}.`,
      );
    bucket.writeInt32LE(b, i * 4);
    window.writeUInt8(w, i);
    length.writeUInt32LE(len, i * 4);
    name.writeUInt32LE(idx, i * 4);
    check.writeInt32LE(c, i * 4);
    digest += d;
  });
  return {
    count: n,
    bucket: bucket.toString("base64"),
    window: window.toString("base64"),
    length: length.toString("base64"),
    name: name.toString("base64"),
    digest,
    check: check.toString("base64"),
  };
}

interface Columns {
  count: number;
  bucket: Int32Array;
  window: Uint8Array;
  length: Uint32Array;
  name: Uint32Array;
  check: Int32Array;
  /** sha256(salt ‖ form) of entry i, base64. */
  digest(i: number): string;
}

/**
 * The packed columns as aligned typed arrays; undefined when they do not add up. `windows`: also
 * check every window is within its form (the hook's load leaves that to createIndexedMatcher's one
 * pass over the columns, which throws on such an entry).
 */
function unpackColumns(p: PackedEntries, windows = true): Columns | undefined {
  const n = p.count;
  if (
    !Number.isInteger(n) ||
    n < 0 ||
    typeof p.digest !== "string" ||
    p.digest.length !== n * DIGEST_CHARS
  )
    return undefined;
  // Aligned typed-array copies of the columns (a decoded Buffer may sit at any offset in Node's pool).
  const column = <T extends Int32Array | Uint32Array | Uint8Array>(
    b64: unknown,
    make: (n: number) => T,
  ): T | undefined => {
    if (typeof b64 !== "string") return undefined;
    const bytes = Buffer.from(b64, "base64");
    const out = make(n);
    if (bytes.length !== out.byteLength) return undefined;
    new Uint8Array(out.buffer).set(bytes);
    return out;
  };
  const bucket = column(p.bucket, (k) => new Int32Array(k));
  const window = column(p.window, (k) => new Uint8Array(k));
  const length = column(p.length, (k) => new Uint32Array(k));
  const name = column(p.name, (k) => new Uint32Array(k));
  const check = column(p.check, (k) => new Int32Array(k));
  if (!bucket || !window || !length || !name || !check) return undefined;
  if (windows)
    for (let i = 0; i < n; i++)
      if (window[i]! < 1 || window[i]! > MAX_WINDOW || window[i]! > length[i]!) return undefined;
  const digests = p.digest;
  return {
    count: n,
    bucket,
    window,
    length,
    name,
    check,
    digest: (i) => digests.slice(i * DIGEST_CHARS, (i + 1) * DIGEST_CHARS),
  };
}

function entriesOf(c: Columns): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < c.count; i++)
    out.push([c.bucket[i]!, c.window[i]!, c.length[i]!, c.digest(i), c.name[i]!, c.check[i]!]);
  return out;
}

// Version 5: the file is laid out as the matcher holds it, so the hook reads it and makes typed-array
// views of it: no JSON to parse but one line, no base64 to decode, and for a crowded cache (more
// than BITMAPS_FROM entries per window length: hundreds of stored secrets) no pass over the entries
// (the bitmaps, shortest form and distinct keys are stored). All little-endian:
//   a first line of JSON {format, version: 5, salt, updated, names, unsearchable}, padded with
//   spaces so that the line (with its "\n") is at least META_MIN bytes and a multiple of 8: the
//   first 8 KB are text, so git, `pre-push` and `check-pack` still see the file's content and know
//   it as hookpack's own under any name (rules/state-catalog.ts). It is written to its own file
//   (HOOK_CACHE_V5_FILE): an older hookpack reading it as hook-cache.json saw no cache at all;
//   then a 32-byte header: "HPC5", u32 version (5), count (entries), bitmaps (0, or the number of
//   window lengths), shortest form, distinct (bucket, window) keys, two zero words;
//   then columns: bucket i32, length u32, name u32, check i32 (4 × count bytes each), window u8
//   (padded to 4), the bitmaps' window lengths u8 (padded to 4), the bitmaps (2^17 bytes each),
//   sha256(salt ‖ form) raw (32 × count bytes). The file's size must be exactly that.
// It holds exactly what version 4 holds (the bitmaps are the bucket column's bits): what it
// reveals is unchanged (see the header). What the hook checks: the line, the header, every size;
// with stored bitmaps it does not re-derive them from the entries, nor check the entries' order —
// a file that lies there can only hide entries, which a process able to write the file can do in
// any version by leaving them out (the read guard and protect-state keep the agent from writing it).
const MAGIC = Buffer.from("HPC5", "latin1");
const META_MIN = 8192;
const HEADER_BYTES = 32;
const BITMAP_BYTES = BITMAP_WORDS * 4;
const DIGEST_BYTES = 32;
const pad = (n: number, to: number) => Math.ceil(n / to) * to;
/**
 * Stored bitmaps at most: one per distinct window length, and a window length is any of 1 …
 * MAX_WINDOW (a form shorter than the ladder's next step is its own window). The reader once
 * refused more than 8 (the four-view roller's limit, which has its own fallback) while the writer
 * wrote one per length: values whose forms made 9 window lengths (the ladder's plus a few short
 * whole forms) got a cache every reader called damaged, and `scan` found nothing (issue 21).
 */
const MAX_BITMAPS = MAX_WINDOW;

/** The end of a version 5 file's first line, or -1 when the file is not laid out so. */
function metaEnd(bytes: Buffer): number {
  // Version 4 and older: one JSON line, nothing after it.
  const nl = bytes.indexOf(10);
  if (nl < 0 || nl === bytes.length - 1) return -1;
  const end = nl + 1;
  return end >= META_MIN && end % 8 === 0 ? end : -1;
}

/** Offsets of a version 5 file's parts. */
function layout(count: number, meta: number, nBitmaps: number) {
  const bucket = meta + HEADER_BYTES;
  const length = bucket + count * 4;
  const name = length + count * 4;
  const check = name + count * 4;
  const window = check + count * 4;
  const windows = pad(window + count, 4);
  const bitmaps = pad(windows + nBitmaps, 4);
  const digest = bitmaps + nBitmaps * BITMAP_BYTES;
  return {
    bucket,
    length,
    name,
    check,
    window,
    windows,
    bitmaps,
    digest,
    end: digest + count * DIGEST_BYTES,
  };
}

/** A cache file (version 5) for entries in indexOrder. */
export function encodeHookCache(file: Omit<HookCacheFile, "version" | "format">): Buffer {
  const { entries } = file;
  const count = entries.length;
  const json = Buffer.from(
    JSON.stringify({
      format: FORMAT,
      version: VERSION,
      salt: file.salt,
      updated: file.updated,
      names: file.names,
      unsearchable: file.unsearchable ?? [],
    }),
    "utf8",
  );
  const metaBytes = Math.max(META_MIN, pad(json.length + 1, 8));
  const bucket = Int32Array.from(entries, (e) => e[0]);
  const window = Uint8Array.from(entries, (e) => e[1]);
  const length = Uint32Array.from(entries, (e) => e[2]);
  const distinct = new Set(window).size;
  const prebuilt =
    count > 0 && count > distinct * BITMAPS_FROM
      ? buildPrebuilt(bucket, window, length, count)
      : undefined;
  const nBitmaps = prebuilt?.windows.length ?? 0;
  const at = layout(count, metaBytes, nBitmaps);
  const out = Buffer.alloc(at.end);
  out.fill(0x20, 0, metaBytes - 1);
  json.copy(out, 0);
  out[metaBytes - 1] = 10;
  MAGIC.copy(out, metaBytes);
  out.writeUInt32LE(VERSION, metaBytes + 4);
  out.writeUInt32LE(count, metaBytes + 8);
  out.writeUInt32LE(nBitmaps, metaBytes + 12);
  out.writeUInt32LE(prebuilt?.minLength ?? 0, metaBytes + 16);
  out.writeUInt32LE(prebuilt?.used ?? 0, metaBytes + 20);
  entries.forEach(([b, w, len, d, idx, c], i) => {
    out.writeInt32LE(b, at.bucket + i * 4);
    out.writeUInt32LE(len, at.length + i * 4);
    out.writeUInt32LE(idx, at.name + i * 4);
    out.writeInt32LE(c, at.check + i * 4);
    out.writeUInt8(w, at.window + i);
    const raw = Buffer.from(d, "base64");
    if (raw.length !== DIGEST_BYTES || raw.toString("base64") !== d)
      throw new Error("hookpack: internal error: a hook-cache digest is not a sha256.");
    raw.copy(out, at.digest + i * DIGEST_BYTES);
  });
  prebuilt?.windows.forEach((w, k) => {
    out.writeUInt8(w, at.windows + k);
    const bm = prebuilt.bitmaps[k]!;
    out.set(new Uint8Array(bm.buffer, bm.byteOffset, BITMAP_BYTES), at.bitmaps + k * BITMAP_BYTES);
  });
  // What is written must read back (the writer and the reader are two pieces of code): a file the
  // reader refuses is a cache no hook or scan can use, so the refresh fails instead of writing it.
  if (nBitmaps > MAX_BITMAPS || !parseBinaryCache(out, metaBytes, true))
    throw new Error("hookpack: internal error: the hook cache written does not read back.");
  return out;
}

/** A version 5 file as the matcher's columns (views of one aligned copy); undefined when damaged. */
function parseBinaryCache(bytes: Buffer, meta: number, windows: boolean): ParsedCache | undefined {
  if (bytes.length < meta + HEADER_BYTES) return undefined;
  let f: Partial<HookCacheFile>;
  try {
    f = JSON.parse(bytes.toString("utf8", 0, meta - 1)) as Partial<HookCacheFile>;
  } catch {
    return undefined;
  }
  if (
    f?.format !== FORMAT ||
    f.version !== VERSION ||
    typeof f.salt !== "string" ||
    Buffer.from(f.salt, "base64").length < 16 ||
    !Array.isArray(f.names) ||
    !f.names.every((n) => typeof n === "string")
  )
    return undefined;
  if (!MAGIC.equals(bytes.subarray(meta, meta + 4))) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + meta, HEADER_BYTES);
  const count = view.getUint32(8, true);
  const nBitmaps = view.getUint32(12, true);
  const minLength = view.getUint32(16, true);
  const used = view.getUint32(20, true);
  if (
    view.getUint32(4, true) !== VERSION ||
    view.getUint32(24, true) !== 0 ||
    view.getUint32(28, true) !== 0 ||
    count > bytes.length / DIGEST_BYTES ||
    nBitmaps > MAX_BITMAPS
  )
    return undefined;
  // A count that does not add up to the file's size is no cache (never a partial one).
  const at = layout(count, meta, nBitmaps);
  if (at.end !== bytes.length) return undefined;
  // Typed arrays need aligned offsets: a Buffer may sit anywhere in Node's pool.
  let aligned = bytes;
  if (bytes.byteOffset % 8 !== 0) {
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    aligned = Buffer.from(copy.buffer);
  }
  const ab = aligned.buffer;
  const o = aligned.byteOffset;
  const columns: Columns = {
    count,
    bucket: new Int32Array(ab, o + at.bucket, count),
    length: new Uint32Array(ab, o + at.length, count),
    name: new Uint32Array(ab, o + at.name, count),
    check: new Int32Array(ab, o + at.check, count),
    window: new Uint8Array(ab, o + at.window, count),
    digest: (i) =>
      aligned.toString("base64", at.digest + i * DIGEST_BYTES, at.digest + (i + 1) * DIGEST_BYTES),
  };
  if (windows)
    for (let i = 0; i < count; i++) {
      const w = columns.window[i]!;
      if (w < 1 || w > MAX_WINDOW || w > columns.length[i]!) return undefined;
    }
  let prebuilt: PrebuiltIndex | undefined;
  if (nBitmaps > 0) {
    const ws = [...aligned.subarray(at.windows, at.windows + nBitmaps)];
    // Window lengths increasing, each a possible window; a shortest form and a key count possible.
    if (
      ws.some((w, k) => w < 1 || (k > 0 && w <= ws[k - 1]!)) ||
      minLength < 1 ||
      used < 1 ||
      used > count
    )
      return undefined;
    prebuilt = {
      windows: ws,
      bitmaps: ws.map(
        (_, k) => new Int32Array(ab, o + at.bitmaps + k * BITMAP_BYTES, BITMAP_WORDS),
      ),
      minLength,
      used,
    };
  } else if (minLength !== 0 || used !== 0) return undefined;
  const unsearchable = Array.isArray(f.unsearchable)
    ? f.unsearchable.filter((n): n is string => typeof n === "string")
    : [];
  return {
    format: FORMAT,
    version: VERSION,
    salt: f.salt,
    updated: typeof f.updated === "string" ? f.updated : "",
    names: f.names,
    unsearchable,
    columns,
    ...(prebuilt ? { prebuilt } : {}),
  };
}

/**
 * Tests and `doctor`: the file's version (5 for a binary file, the JSON's own otherwise), or
 * undefined when it is no cache file at all.
 */
export function hookCacheVersion(bytes: Buffer): number | undefined {
  const meta = metaEnd(bytes);
  try {
    const f = JSON.parse(bytes.toString("utf8", 0, meta < 0 ? bytes.length : meta - 1)) as {
      format?: unknown;
      version?: unknown;
    };
    return f?.format === FORMAT && typeof f.version === "number" ? f.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tests: a cache file (either version) as the version 4 JSON of the same entries — what a hookpack
 * of version 4 wrote (still read). Undefined when the file is no current cache.
 */
export function hookCacheAsV4(bytes: Buffer): Record<string, unknown> | undefined {
  const f = parseCache(bytes);
  if (!f) return undefined;
  const { entries, ...rest } = f;
  return { ...rest, version: JSON_VERSION, packed: packEntries(entries) };
}

export function hookCachePath(home: string): string {
  return join(home, HOOK_CACHE_FILE);
}

/** The version 5 file (see HOOK_CACHE_V5_FILE). */
export function hookCacheV5Path(home: string): string {
  return join(home, HOOK_CACHE_V5_FILE);
}

/**
 * The cache file a reader uses: the version 5 file unless hook-cache.json is newer (an older
 * hookpack refreshed it since) or the version 5 file is not there. Undefined when neither is.
 */
function currentCacheFile(home: string): { path: string; mtimeMs: number } | undefined {
  const v5 = hookCacheV5Path(home);
  const json = hookCachePath(home);
  const a = statSync(v5, { throwIfNoEntry: false });
  const b = statSync(json, { throwIfNoEntry: false });
  if (a && (!b || a.mtimeMs >= b.mtimeMs)) return { path: v5, mtimeMs: a.mtimeMs };
  return b ? { path: json, mtimeMs: b.mtimeMs } : a ? { path: v5, mtimeMs: a.mtimeMs } : undefined;
}

/** The path of the cache file readers use now (doctor's messages), hook-cache.json when none. */
export function hookCacheFileInUse(home: string): string {
  return currentCacheFile(home)?.path ?? hookCachePath(home);
}

/** Version 4 JSON of a file's content (hook-cache.json, for runtimes that read only that). */
function encodeHookCacheV4(file: Omit<HookCacheFile, "version" | "format">): string {
  const { entries, ...rest } = file;
  return `${JSON.stringify({
    format: FORMAT,
    version: JSON_VERSION,
    salt: rest.salt,
    updated: rest.updated,
    names: rest.names,
    unsearchable: rest.unsearchable ?? [],
    packed: packEntries(entries),
  })}\n`;
}

const isBlockForm = (form: string) => form.startsWith("base");

/**
 * The window of each of `value`'s forms (`forms` = encodingsOf(value)): the shortest prefix of the
 * form that holds every form character depending on the value's first min(COVER, L) characters
 * (the whole form when the value is that short), rounded up to the window ladder when the form is
 * long enough, else the whole form. 0: the form cannot be searched within MAX_WINDOW characters
 * (a value of many non-ASCII characters in its longest escapes).
 */
export function coverWindows(value: string, forms: readonly EncodedForm[]): number[] {
  let k = Math.min(COVER, value.length);
  // Never cut a surrogate pair: the prefix's forms would not be the value's.
  if (k < value.length && (value.charCodeAt(k - 1) & 0xfc00) === 0xd800) k++;
  const whole = k >= value.length;
  const pre = whole ? forms : encodingsOf(value.slice(0, k));
  return forms.map(({ form, text: f }, i) => {
    let need = f.length;
    const p = pre[i];
    if (!whole) {
      if (!p || p.form !== form) need = f.length;
      else {
        let common = 0;
        const max = Math.min(f.length, p.text.length);
        while (common < max && f.charCodeAt(common) === p.text.charCodeAt(common)) common++;
        // A block encoding's last character of the prefix may hold part of character k-1 (and of
        // k): take one more. A character-wise encoding of the prefix is a prefix of the form.
        need =
          common === p.text.length && !isBlockForm(form) ? common : Math.min(f.length, common + 1);
      }
    }
    if (need > MAX_WINDOW) return 0;
    for (const w of WINDOW_LADDER) if (w >= need && w <= f.length) return w;
    return f.length <= MAX_WINDOW ? f.length : 0;
  });
}

/** Builds the cache entries for a set of values (pure apart from hashing). */
export function buildHookCache(
  values: readonly ManagedValue[],
  salt: Buffer,
  minLength?: number,
): Pick<HookCacheFile, "names" | "entries" | "unsearchable"> {
  const min = Math.max(1, minLength ?? DEFAULT_MIN_LENGTH);
  const seed = saltSeed(salt);
  const unsearchable = new Set<string>();
  const searchable = values.filter((v) => {
    if (v.value.length >= min && estimatedBits(v.value) >= MIN_SEARCHABLE_BITS) return true;
    unsearchable.add(v.name);
    return false;
  });
  const names = [...new Set(searchable.map((v) => v.name))].sort();
  const seen = new Set<string>();
  const entries: Entry[] = [];
  for (const { name, value } of searchable) {
    const forms = encodingsOf(value);
    const windows = coverWindows(value, forms);
    forms.forEach(({ text }, i) => {
      const w = windows[i]!;
      if (w === 0 || text.length < min || seen.has(text)) return;
      seen.add(text);
      entries.push([
        formBucket(text, w, seed),
        w,
        text.length,
        digestOf(salt, text),
        names.indexOf(name),
        formCheck(text, salt),
      ]);
    });
  }
  for (const n of names) unsearchable.delete(n);
  return { names, entries: sortEntries(entries), unsearchable: [...unsearchable].sort() };
}

/** A matcher over entries (tests, the broker's own refresh). */
export function createHashedMatcher(
  file: Pick<HookCacheFile, "salt" | "names" | "entries">,
): HashedMatcher {
  const n = file.entries.length;
  const index: MatcherIndex = {
    salt: Buffer.from(file.salt, "base64"),
    names: file.names,
    count: n,
    bucket: Int32Array.from(file.entries, (e) => e[0]),
    window: Uint8Array.from(file.entries, (e) => e[1]),
    length: Uint32Array.from(file.entries, (e) => e[2]),
    name: Uint32Array.from(file.entries, (e) => e[4]),
    check: Int32Array.from(file.entries, (e) => e[5]),
    digest: (i) => file.entries[i]![3],
  };
  return createIndexedMatcher(index);
}

type ParsedCache = Omit<HookCacheFile, "entries"> & {
  columns: Columns;
  /** Version 5's stored index (crowded caches only). */
  prebuilt?: PrebuiltIndex;
};

/**
 * What a cache file is: a current one (version 5, or a version 4 JSON file: still read, and
 * replaced by version 5 on the next store write or `scan --state`), an older hookpack's (refused),
 * or not a cache.
 */
function parseCacheFile(bytes: Buffer, windows = true): ParsedCache | "old" | undefined {
  const meta = metaEnd(bytes);
  if (meta > 0) return parseBinaryCache(bytes, meta, windows);
  try {
    const f = JSON.parse(bytes.toString("utf8")) as Partial<HookCacheFile> & {
      packed?: PackedEntries;
    };
    if (f?.format !== FORMAT || typeof f.salt !== "string" || !Array.isArray(f.names))
      return undefined;
    if (typeof f.version === "number" && f.version < JSON_VERSION) return "old";
    if (f.version !== JSON_VERSION || !f.packed) return undefined;
    if (Buffer.from(f.salt, "base64").length < 16) return undefined;
    const columns = unpackColumns(f.packed, windows);
    if (!columns) return undefined;
    const { packed: _packed, entries: _entries, ...rest } = f;
    return { ...(rest as Omit<HookCacheFile, "entries">), columns };
  } catch {
    return undefined;
  }
}

/** The whole file as entries (the refresh keeps some of a previous file's entries). */
function parseCache(bytes: Buffer): HookCacheFile | undefined {
  const f = parseCacheFile(bytes);
  if (!f || f === "old") return undefined;
  const { columns, prebuilt: _prebuilt, ...rest } = f;
  return { ...rest, entries: entriesOf(columns) };
}

export interface LoadedCache {
  matcher: HashedMatcher;
  /** The store changed after the cache was written (a refresh failed or an old hookpack wrote it). */
  stale: boolean;
  /** Names of stored values too weak to be searched for (no entry). */
  unsearchable: readonly string[];
  /** The file's format version (4: an older hookpack's JSON, still read; 5: current). */
  version: number;
}

/** True when the cache file there was written by an older hookpack (refused by loadHookCache). */
export function hookCacheIsOld(home: string): boolean {
  return hookCacheState(home) === "old";
}

/**
 * What the cache file there is when loadHookCache gives no cache: none, an older hookpack's
 * (versions 1–3, refused), or damaged (there, but neither a current file nor an old one: cut short,
 * edited, not a cache). Undefined when it loads.
 */
export function hookCacheState(home: string): "missing" | "old" | "damaged" | undefined {
  let bytes: Buffer;
  const current = currentCacheFile(home);
  if (!current) return "missing";
  try {
    bytes = readFileSync(current.path);
  } catch {
    return "damaged";
  }
  const f = parseCacheFile(bytes);
  return f === "old" ? "old" : f === undefined ? "damaged" : undefined;
}

/** The hook's read: undefined when there is no (valid, current) cache. Never opens the store. */
export function loadHookCache(home: string): LoadedCache | undefined {
  let bytes: Buffer;
  let current: ReturnType<typeof currentCacheFile>;
  try {
    current = currentCacheFile(home);
    if (!current) return undefined;
    bytes = readFileSync(current.path);
  } catch {
    return undefined;
  }
  const file = parseCacheFile(bytes, false);
  if (!file || file === "old") return undefined;
  let stale = false;
  try {
    stale = statSync(join(home, "store.json")).mtimeMs > current.mtimeMs + 1;
  } catch {
    // no store: nothing can be stale
  }
  // The matcher's index straight from the packed columns (no entry objects).
  const { columns, prebuilt } = file;
  let matcher: HashedMatcher;
  try {
    matcher = createIndexedMatcher({
      salt: Buffer.from(file.salt, "base64"),
      names: file.names,
      ...columns,
      ...(prebuilt ? { prebuilt } : {}),
    });
  } catch {
    return undefined; // an entry whose window is not within its form: not a cache hookpack wrote
  }
  const unsearchable = Array.isArray(file.unsearchable)
    ? file.unsearchable.filter((n): n is string => typeof n === "string")
    : [];
  return { matcher, stale, unsearchable, version: file.version };
}

/** The message of a damaged cache (no value in it): the hook's and scan's fail-closed reason. */
const damagedError = (home: string) =>
  new HookpackError(
    "HOOK_CACHE_DAMAGED",
    `hookpack: the hook cache in ${home} is damaged (cut short or edited): stored secrets cannot be recognised, so this check fails rather than report nothing.`,
    "run `hookpack scan --state` once (it rebuilds the cache), or set any secret again.",
  );

/**
 * loadHookCache for `scan`, pre-push and check-pack: a cache file that is there but cannot be read
 * as one, beside a store, throws (the caller fails) instead of reading as "nothing stored" — a
 * scan that silently found nothing is how a writer/reader mismatch once hid every stored value.
 */
export function loadScanCache(home: string): LoadedCache | undefined {
  const cache = loadHookCache(home);
  if (!cache && hookCacheState(home) === "damaged" && existsSync(join(home, "store.json")))
    throw damagedError(home);
  return cache;
}

// Values resolved from other providers during this process (e.g. `secret set --env VAR`), which
// the refresh cannot resolve again without running the provider.
const resolvedElsewhere = new Map<string, string>();

/** Lets the next refresh include a provider-backed value the caller has just resolved. */
export function noteResolvedValue(name: string, value: string): void {
  resolvedElsewhere.set(name, value);
}

/**
 * Rewrites the cache from an open store: stored values are decrypted here (the store is already
 * open, so no extra key access), provider values come from noteResolvedValue or the environment
 * (env provider); a provider value that cannot be had now keeps its previous entries — only from a
 * current-version file: an older file is replaced whole, with a new salt. Returns the names of
 * values too weak to be searchable.
 */
export function refreshHookCache(
  home: string,
  store: SecretStore,
  env: NodeJS.ProcessEnv,
): string[] {
  const floor = Number(env.HOOKPACK_MIN_SECRET_LENGTH);
  const minLength = Number.isInteger(floor) && floor >= 4 && floor <= 1024 ? floor : undefined;
  let previous: HookCacheFile | undefined;
  try {
    const current = currentCacheFile(home);
    previous = current ? parseCache(readFileSync(current.path)) : undefined;
  } catch {
    previous = undefined;
  }
  const salt = previous ? Buffer.from(previous.salt, "base64") : crypto().randomBytes(16);
  const values: ManagedValue[] = [];
  const kept: Array<{ name: string; entries: Entry[] }> = [];
  const keptWeak: string[] = [];
  for (const meta of store.list()) {
    const p = meta.provider;
    let value: string | undefined;
    if (p.kind === "store") value = store.value(meta.name);
    else if (resolvedElsewhere.has(meta.name)) value = resolvedElsewhere.get(meta.name);
    else if (p.kind === "env" && env[p.var]) value = env[p.var];
    if (value !== undefined) {
      values.push({ name: meta.name, value });
      continue;
    }
    const idx = previous?.names.indexOf(meta.name) ?? -1;
    if (previous && idx >= 0)
      kept.push({ name: meta.name, entries: previous.entries.filter((e) => e[4] === idx) });
    else if (previous?.unsearchable?.includes(meta.name)) keptWeak.push(meta.name);
  }
  resolvedElsewhere.clear();
  const built = buildHookCache(values, salt, minLength);
  const names = [...new Set([...built.names, ...kept.map((k) => k.name)])].sort();
  const remap = (name: string) => names.indexOf(name);
  const entries: Entry[] = sortEntries([
    ...built.entries.map((e): Entry => [e[0], e[1], e[2], e[3], remap(built.names[e[4]]!), e[5]]),
    ...kept.flatMap((k) =>
      k.entries.map((e): Entry => [e[0], e[1], e[2], e[3], remap(k.name), e[5]]),
    ),
  ]);
  const unsearchable = [...new Set([...(built.unsearchable ?? []), ...keptWeak])].sort();
  const file = {
    format: FORMAT,
    version: VERSION,
    salt: salt.toString("base64"),
    updated: new Date().toISOString(),
    names,
    unsearchable,
    entries,
  };
  const v5 = encodeHookCache(file);
  // hook-cache.json first: the version 5 file, written after it, is then the newer (the one read).
  writeFileAtomic(hookCachePath(home), encodeHookCacheV4(file), 0o600);
  writeFileAtomic(hookCacheV5Path(home), v5, 0o600);
  return unsearchable;
}

/**
 * The hook's view of managed secrets: the cache is read on first use only (a clean PreToolUse
 * never touches it), and exposures go to the audit log, names only.
 */
export function hookManagedSecrets(
  env: NodeJS.ProcessEnv,
  who: { agent?: string; session?: () => string | undefined } = {},
  debug: (line: string) => void = () => {},
): ManagedSecrets {
  const home = resolveHookpackHome(env);
  let loaded: LoadedCache | null | undefined;
  let damaged = false;
  const matcher = () => {
    if (loaded === undefined) {
      loaded = loadHookCache(home) ?? null;
      const state = loaded ? undefined : hookCacheState(home);
      if (state === "old")
        debug(
          `the hook cache in ${home} was written by an older hookpack and is not used; run \`hookpack scan --state\` once to rebuild it`,
        );
      // (With no store there is nothing to look for: a stray file there hides nothing.)
      damaged = state === "damaged" && existsSync(join(home, "store.json"));
      if (loaded?.stale)
        debug(
          `the hook cache in ${home} is older than the store; run \`hookpack secret list\` to check`,
        );
    }
    return loaded?.matcher;
  };
  return {
    home,
    find: (text) => {
      const m = matcher();
      // A cache file that is there but cannot be read as one (cut short, edited): stored values
      // cannot be looked for, so the call fails closed (hooks/failure-policy.ts: "unverifiable")
      // instead of passing as if nothing were stored.
      if (damaged) throw damagedError(home);
      return m && m.size > 0 ? m.find(text) : [];
    },
    exposed: (names, where) => {
      // The exposure ledger: one entry per secret, names only, so `audit`/`doctor` can say what to
      // rotate. The audit module (and node:crypto) load only when something was exposed.
      void import("./audit.js").then(({ tryRecordAudit }) => {
        for (const secret of new Set(names))
          tryRecordAudit(
            home,
            { kind: "exposure-found", agent: who.agent, session: who.session?.(), where, secret },
            (m) => debug(m),
          );
      });
    },
  };
}
