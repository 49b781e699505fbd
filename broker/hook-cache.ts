// The hook cache: what the post-tool and read-guard hooks need to find managed values in every
// encoding WITHOUT the store key, the keychain or any plaintext. Written by the broker whenever
// the store changes (`secret set|rm|import`), read by the hook on demand.
//
// For every encoded form (rules/managed-values.ts `buildPatterns`) of every value it keeps:
//   - a 20-bit bucket of a salted fingerprint of the form's first W characters (W = min(16, length)),
//   - the form's length, and sha256(salt ‖ form) — the only thing a candidate is verified against.
// The hook runs one rolling hash per distinct W over the text, looks each window's bucket up,
// and hashes the candidate slice; only a full sha256 match counts. Cost: ~1 multiply-add per char
// plus one sha256 per candidate (rare: #forms / 2^20 per position).
//
// What the file reveals (it is 0600 in HOOKPACK_HOME, like the key file): no plaintext; ≤ 20 bits
// about the first ≤ 16 characters of each form (brute force needs the rest of the window); and a
// salted sha256 of each form, which is an offline-guessing oracle for LOW-ENTROPY values only.
import type * as Crypto from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ManagedSecrets } from "../rules/rule.js";
import { resolveHookpackHome } from "../core/home.js";
import {
  applyMatches,
  buildPatterns,
  type ManagedValue,
  type Match,
  type RedactResult,
} from "../rules/managed-values.js";
import { writeFileAtomic } from "../core/fs-safe.js";
import type { StoreEntries as SecretStore } from "./store-entries.js";

export const HOOK_CACHE_FILE = "hook-cache.json";
const FORMAT = "hookpack-hook-cache";
/**
 * 2: entries packed in columns (`packed`), which the hook decodes without parsing one JSON value
 * per field: with 1,000 stored secrets (13,000 entries) JSON.parse of version 1's arrays was about
 * half of the hook's whole cost of loading the cache. Version 1 files are still read.
 */
const VERSION = 2;
const MAX_WINDOW = 16;
const BUCKET_BITS = 20;
const BUCKET_MASK = (1 << BUCKET_BITS) - 1;
const BASE = 0x01000193;

/** [bucket, window, length, sha256(salt‖form) base64, name index] */
type Entry = [number, number, number, string, number];

export interface HookCacheFile {
  format: typeof FORMAT;
  version: number;
  /** base64, 16 random bytes; kept across refreshes. */
  salt: string;
  updated: string;
  names: string[];
  entries: Entry[];
}

/**
 * Version 2's columns: base64 of the platform's (little-endian) typed arrays of Int32 buckets, Uint8 windows, Uint32 lengths and
 * Uint32 name indexes, and the digests as one string of 44-char base64 chunks (one per entry, so
 * an entry's digest is a slice, not a conversion).
 */
interface PackedEntries {
  count: number;
  bucket: string;
  window: string;
  length: string;
  name: string;
  digest: string;
}

const DIGEST_CHARS = 44;

function packEntries(entries: readonly Entry[]): PackedEntries {
  const n = entries.length;
  const bucket = Buffer.alloc(n * 4);
  const window = Buffer.alloc(n);
  const length = Buffer.alloc(n * 4);
  const name = Buffer.alloc(n * 4);
  let digest = "";
  entries.forEach(([b, w, len, d, idx], i) => {
    if (d.length !== DIGEST_CHARS)
      throw new Error(
        `hookpack: internal error: a hook-cache digest is ${d.length} chars, not ${DIGEST_CHARS}.`,
      );
    bucket.writeInt32LE(b, i * 4);
    window.writeUInt8(w, i);
    length.writeUInt32LE(len, i * 4);
    name.writeUInt32LE(idx, i * 4);
    digest += d;
  });
  return {
    count: n,
    bucket: bucket.toString("base64"),
    window: window.toString("base64"),
    length: length.toString("base64"),
    name: name.toString("base64"),
    digest,
  };
}

function unpackEntries(p: PackedEntries): Entry[] | undefined {
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
    b64: string,
    make: (n: number) => T,
  ): T | undefined => {
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
  if (!bucket || !window || !length || !name) return undefined;
  const digest = p.digest;
  const out: Entry[] = [];
  for (let i = 0; i < n; i++)
    out.push([
      bucket[i]!,
      window[i]!,
      length[i]!,
      digest.slice(i * DIGEST_CHARS, (i + 1) * DIGEST_CHARS),
      name[i]!,
    ]);
  return out;
}

export function hookCachePath(home: string): string {
  return join(home, HOOK_CACHE_FILE);
}

function saltHash(salt: Buffer): number {
  return salt.readUInt32LE(0) | 0;
}

/** murmur3 fmix32: spreads the rolling hash before it is cut to a bucket. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function windowHash(text: string, at: number, w: number): number {
  let h = 0;
  for (let i = 0; i < w; i++) h = (Math.imul(h, BASE) + text.charCodeAt(at + i)) | 0;
  return h;
}

// node:crypto (and the stream/util internals it pulls in) costs ~5 ms to load on Node 20: more than
// the whole clean-output path. It is loaded on the first candidate only.
let cryptoModule: typeof Crypto | undefined;
const crypto = (): typeof Crypto => (cryptoModule ??= process.getBuiltinModule("node:crypto"));
const digestOf = (salt: Buffer, text: string) =>
  crypto().createHash("sha256").update(salt).update(text, "utf8").digest("base64");

/**
 * digestOf for the matcher's candidates: the same sha256(salt ‖ utf8(text)), one-shot (crypto.hash,
 * Node ≥ 20.12) over a reused buffer. With 1,000 stored secrets ~1.5 % of positions are candidates,
 * so this is on the scan's hot path.
 */
function candidateDigest(salt: Buffer): (text: string) => string {
  let buf = Buffer.allocUnsafe(salt.length + 256);
  salt.copy(buf, 0);
  return (text) => {
    const c = crypto();
    if (typeof c.hash !== "function") return digestOf(salt, text);
    if (buf.length < salt.length + text.length * 3) {
      buf = Buffer.allocUnsafe(salt.length + text.length * 3);
      salt.copy(buf, 0);
    }
    const n = buf.write(text, salt.length, "utf8");
    return c.hash("sha256", buf.subarray(0, salt.length + n), "base64");
  };
}

/** Builds the cache entries for a set of values (pure apart from hashing). */
export function buildHookCache(
  values: readonly ManagedValue[],
  salt: Buffer,
  minLength?: number,
): Pick<HookCacheFile, "names" | "entries"> {
  const names = [...new Set(values.map((v) => v.name))].sort();
  const { patterns } = buildPatterns(values, { minLength });
  const seed = saltHash(salt);
  const entries: Entry[] = patterns.map((p) => {
    const w = Math.min(MAX_WINDOW, p.text.length);
    return [
      fmix(windowHash(p.text, 0, w) ^ seed) & BUCKET_MASK,
      w,
      p.text.length,
      digestOf(salt, p.text),
      names.indexOf(p.name),
    ];
  });
  return { names, entries };
}

/** What the hook uses: finds managed values by hash, never holding one. */
export interface HashedMatcher {
  readonly names: readonly string[];
  readonly size: number;
  /** Length of the shortest form: a shorter text cannot hold one (0 when there is none). */
  readonly minLength: number;
  find(text: string): Match[];
  redact(text: string): RedactResult;
}

export function createHashedMatcher(
  file: Pick<HookCacheFile, "salt" | "names" | "entries">,
): HashedMatcher {
  const salt = Buffer.from(file.salt, "base64");
  const seed = saltHash(salt);
  const digest = candidateDigest(salt);
  // window length → bucket → entry indexes
  const byWindow = new Map<number, Map<number, number[]>>();
  for (let i = 0; i < file.entries.length; i++) {
    const [bucket, w] = file.entries[i]!;
    let buckets = byWindow.get(w);
    if (!buckets) byWindow.set(w, (buckets = new Map()));
    const list = buckets.get(bucket);
    if (list) list.push(i);
    else buckets.set(bucket, [i]);
  }
  const windows = [...byWindow.entries()].map(([w, buckets]) => {
    // One bit per bucket, read 32 bits at a time.
    const bitmap = new Int32Array(1 << (BUCKET_BITS - 5));
    for (const b of buckets.keys()) bitmap[b >>> 5]! |= 1 << (b & 31);
    // BASE^(w-1), to drop the leaving character.
    let top = 1;
    for (let i = 1; i < w; i++) top = Math.imul(top, BASE);
    return { w, buckets, bitmap, top };
  });

  /** Every window position of `text` whose bucket is set, verified by sha256; pushed to `hits`. */
  const scanWindow = (
    text: string,
    w: number,
    buckets: Map<number, number[]>,
    bitmap: Int32Array,
    top: number,
    hits: Array<[number, number]>,
  ): void => {
    const n = text.length;
    if (n < w) return;
    // The hot loop (one pass per distinct window length, every position): plain locals and the
    // fmix32 finaliser written out; 2.3x the throughput of the earlier closure-and-helper form.
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
      if ((bitmap[x >>> 5]! & (1 << (x & 31))) !== 0) {
        let lastLen = -1;
        let lastDigest = "";
        for (const e of buckets.get(x) ?? []) {
          const len = file.entries[e]![2];
          if (j + len > n) continue;
          // Entries of one bucket with one length share the candidate slice: hash it once.
          if (len !== lastLen) {
            lastLen = len;
            lastDigest = digest(text.slice(j, j + len));
          }
          if (lastDigest === file.entries[e]![3]) hits.push([j, e]);
        }
      }
      if (j >= last) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(j), top), BASE) + text.charCodeAt(j + w)) | 0;
    }
  };

  const find = (text: string): Match[] => {
    const hits: Array<[number, number]> = [];
    for (const { w, buckets, bitmap, top } of windows)
      scanWindow(text, w, buckets, bitmap, top, hits);
    if (hits.length === 0) return [];
    hits.sort((a, b) => a[0] - b[0] || file.entries[b[1]]![2] - file.entries[a[1]]![2]);
    const out: Match[] = [];
    for (const [start, e] of hits) {
      const end = start + file.entries[e]![2];
      const last = out[out.length - 1];
      if (last && start < last.end) {
        if (end > last.end) last.end = end;
        continue;
      }
      out.push({ start, end, name: file.names[file.entries[e]![4]] ?? "secret", form: "" });
    }
    return out;
  };
  return {
    names: file.names,
    size: file.entries.length,
    minLength: file.entries.reduce((m, e) => (m === 0 || e[2] < m ? e[2] : m), 0),
    find,
    redact(text) {
      const matches = find(text);
      return matches.length === 0 ? { text, count: 0, names: [] } : applyMatches(text, matches);
    },
  };
}

function parseCache(text: string): HookCacheFile | undefined {
  try {
    const f = JSON.parse(text) as Partial<HookCacheFile> & { packed?: PackedEntries };
    if (f?.format !== FORMAT || typeof f.salt !== "string" || !Array.isArray(f.names))
      return undefined;
    if (f.version === 1) return Array.isArray(f.entries) ? (f as HookCacheFile) : undefined;
    if (f.version !== VERSION || !f.packed) return undefined;
    const entries = unpackEntries(f.packed);
    if (!entries) return undefined;
    const { packed: _packed, ...rest } = f;
    return { ...(rest as Omit<HookCacheFile, "entries">), entries };
  } catch {
    return undefined;
  }
}

export interface LoadedCache {
  matcher: HashedMatcher;
  /** The store changed after the cache was written (a refresh failed or an old hookpack wrote it). */
  stale: boolean;
}

/** The hook's read: undefined when there is no (valid) cache. Never opens the store. */
export function loadHookCache(home: string): LoadedCache | undefined {
  let text: string;
  try {
    text = readFileSync(hookCachePath(home), "utf8");
  } catch {
    return undefined;
  }
  const file = parseCache(text);
  if (!file) return undefined;
  let stale = false;
  try {
    stale = statSync(join(home, "store.json")).mtimeMs > statSync(hookCachePath(home)).mtimeMs + 1;
  } catch {
    // no store: nothing can be stale
  }
  return { matcher: createHashedMatcher(file), stale };
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
 * (env provider); a provider value that cannot be had now keeps its previous entries.
 */
export function refreshHookCache(home: string, store: SecretStore, env: NodeJS.ProcessEnv): void {
  const floor = Number(env.HOOKPACK_MIN_SECRET_LENGTH);
  const minLength = Number.isInteger(floor) && floor >= 4 && floor <= 1024 ? floor : undefined;
  const path = hookCachePath(home);
  const previous = existsSync(path) ? parseCache(readFileSync(path, "utf8")) : undefined;
  const salt = previous ? Buffer.from(previous.salt, "base64") : crypto().randomBytes(16);
  const values: ManagedValue[] = [];
  const kept: Array<{ name: string; entries: Entry[] }> = [];
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
  }
  resolvedElsewhere.clear();
  const built = buildHookCache(values, salt, minLength);
  const names = [...new Set([...built.names, ...kept.map((k) => k.name)])].sort();
  const remap = (name: string) => names.indexOf(name);
  const entries: Entry[] = [
    ...built.entries.map((e): Entry => [e[0], e[1], e[2], e[3], remap(built.names[e[4]]!)]),
    ...kept.flatMap((k) => k.entries.map((e): Entry => [e[0], e[1], e[2], e[3], remap(k.name)])),
  ];
  const file = {
    format: FORMAT,
    version: VERSION,
    salt: salt.toString("base64"),
    updated: new Date().toISOString(),
    names,
    packed: packEntries(entries),
  };
  writeFileAtomic(path, `${JSON.stringify(file)}\n`, 0o600);
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
  const matcher = () => {
    if (loaded === undefined) {
      loaded = loadHookCache(home) ?? null;
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
