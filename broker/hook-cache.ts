// The hook cache: what the post-tool and read-guard hooks need to find managed values in every
// encoding WITHOUT the store key, the keychain or any plaintext. Written by the broker whenever
// the store changes (`secret set|rm|import`), read by the hook on demand.
//
// For every encoded form (rules/managed-values.ts `buildPatterns`) of every value it keeps:
//   - a 20-bit bucket of a salted fingerprint of the form's first W characters (W = min(16, length));
//     since version 3 the fingerprint is symmetric (a window and its reversal share it),
//   - the form's length, and sha256(salt ‖ form) — the only thing a candidate is confirmed against,
//   - a 32-bit salted fingerprint of the whole form (tested before the sha256).
// The matcher that runs on it is rules/managed-matcher.ts.
//
// What the file reveals (it is 0600 in HOOKPACK_HOME, like the key file): no plaintext; ≤ 20 bits
// about the first ≤ 16 characters of each form (brute force needs the rest of the window); and a
// salted sha256 (plus 32 bits of a faster fingerprint) of each WHOLE form, which is an
// offline-guessing oracle for LOW-ENTROPY values only. Nothing about a shorter piece of a form.
//
// KNOWN GAP (found in issue 21, not fixed): the per-form bounds above do not add up to a per-VALUE
// bound. The expanding forms' 16-character windows cover only a few characters of the value
// (`\uXXXX` ≈ 2.7, `&#xHH;` ≈ 3, `\xHH` 4, `%HH` ≈ 5, hex 8, base64 12), and 20 bits about 2–5
// characters pins them, so the buckets of one value's forms, taken together, give its first
// characters away one small step at a time. Measured with the buckets alone (any scheme, fmix or
// symmetric: both are 20 bits of the same windows) on random 20-character base62 values: the
// first 12 characters come out unique in under a minute of CPU; the 32-bit check column then makes
// the rest a fast offline search (a random 16-character password: 4 characters, seconds; 20
// characters: ~2^48 fast checks). What a value has beyond its first 12–16 characters is what keeps
// it (≥ 80 bits there: out of reach; 48-hex tokens keep 128). The fix needs windows that
// each cover as much value entropy as the raw form's (or the expanding forms found through a
// decoded view instead of their own buckets).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ManagedSecrets } from "../rules/rule.js";
import { resolveHookpackHome } from "../core/home.js";
import { buildPatterns, type ManagedValue } from "../rules/managed-values.js";
import {
  checkSeed,
  createIndexedMatcher,
  crypto,
  digestOf,
  formBucket,
  formCheck,
  MAX_WINDOW,
  indexOrder,
  saltSeed,
  symmetricBucket,
  type HashedMatcher,
  type MatcherIndex,
} from "../rules/managed-matcher.js";
import { writeFileAtomic } from "../core/fs-safe.js";
import type { StoreEntries as SecretStore } from "./store-entries.js";

export type { HashedMatcher } from "../rules/managed-matcher.js";

export const HOOK_CACHE_FILE = "hook-cache.json";
const FORMAT = "hookpack-hook-cache";
/**
 * 2: entries packed in columns (`packed`), which the hook decodes without parsing one JSON value
 * per field: with 1,000 stored secrets (13,000 entries) JSON.parse of version 1's arrays was about
 * half of the hook's whole cost of loading the cache. Version 1 files are still read.
 */
const VERSION = 3;
/**
 * 3: the same columns; buckets are symmetricBucket's (rules/managed-matcher.ts): one bucket serves a
 * window and its reversal, so the gates' four views cost two lookups per character, not four.
 * Version 2 files (fmix buckets) are still read and searched the older way.
 */
const SYMMETRIC_FROM = 3;

/**
 * [bucket, window, length, sha256(salt‖form) base64, name index, whole-form check]; the check is
 * absent in entries an older hookpack wrote.
 */
type Entry = [number, number, number, string, number, number?];

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
  /** Int32 whole-form checks; written only when every entry has one. */
  check?: string;
}

const DIGEST_CHARS = 44;

export function packEntries(entries: readonly Entry[]): PackedEntries {
  const n = entries.length;
  const bucket = Buffer.alloc(n * 4);
  const window = Buffer.alloc(n);
  const length = Buffer.alloc(n * 4);
  const name = Buffer.alloc(n * 4);
  const check = Buffer.alloc(n * 4);
  const allChecked = entries.every((e) => typeof e[5] === "number");
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
    if (allChecked) check.writeInt32LE(c!, i * 4);
    digest += d;
  });
  return {
    count: n,
    bucket: bucket.toString("base64"),
    window: window.toString("base64"),
    length: length.toString("base64"),
    name: name.toString("base64"),
    digest,
    ...(allChecked ? { check: check.toString("base64") } : {}),
  };
}

interface Columns {
  count: number;
  bucket: Int32Array;
  window: Uint8Array;
  length: Uint32Array;
  name: Uint32Array;
  check: Int32Array | undefined;
  digest: string;
}

/** The packed columns as aligned typed arrays; undefined when they do not add up. */
function unpackColumns(p: PackedEntries): Columns | undefined {
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
  const check = p.check === undefined ? undefined : column(p.check, (k) => new Int32Array(k));
  if (!bucket || !window || !length || !name || (p.check !== undefined && !check)) return undefined;
  for (let i = 0; i < n; i++) if (window[i]! < 1 || window[i]! > MAX_WINDOW) return undefined;
  return { count: n, bucket, window, length, name, check, digest: p.digest };
}

function entriesOf(c: Columns): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < c.count; i++) {
    const e: Entry = [
      c.bucket[i]!,
      c.window[i]!,
      c.length[i]!,
      c.digest.slice(i * DIGEST_CHARS, (i + 1) * DIGEST_CHARS),
      c.name[i]!,
    ];
    if (c.check) e.push(c.check[i]!);
    out.push(e);
  }
  return out;
}

export function hookCachePath(home: string): string {
  return join(home, HOOK_CACHE_FILE);
}

/** Builds the cache entries for a set of values (pure apart from hashing). */
export function buildHookCache(
  values: readonly ManagedValue[],
  salt: Buffer,
  minLength?: number,
  symmetric = true,
): Pick<HookCacheFile, "names" | "entries"> {
  const names = [...new Set(values.map((v) => v.name))].sort();
  const { patterns } = buildPatterns(values, { minLength });
  const seed = saltSeed(salt);
  const cseed = checkSeed(salt);
  const entries: Entry[] = patterns.map((p) => [
    symmetric ? symmetricBucket(p.text, seed) : formBucket(p.text, seed),
    Math.min(MAX_WINDOW, p.text.length),
    p.text.length,
    digestOf(salt, p.text),
    names.indexOf(p.name),
    formCheck(p.text, cseed),
  ]);
  return { names, entries: sortEntries(entries) };
}

/** A matcher over entries (tests, version 1 files, the broker's own refresh). */
export function createHashedMatcher(
  file: Pick<HookCacheFile, "salt" | "names" | "entries">,
  symmetric = true,
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
    check: file.entries.every((e) => typeof e[5] === "number")
      ? Int32Array.from(file.entries, (e) => e[5]!)
      : undefined,
    digest: (i) => file.entries[i]![3],
    symmetric,
  };
  return createIndexedMatcher(index);
}

type ParsedCache = Omit<HookCacheFile, "entries"> &
  ({ entries: Entry[]; columns?: undefined } | { entries?: undefined; columns: Columns });

function parseCacheFile(text: string): ParsedCache | undefined {
  try {
    const f = JSON.parse(text) as Partial<HookCacheFile> & { packed?: PackedEntries };
    if (f?.format !== FORMAT || typeof f.salt !== "string" || !Array.isArray(f.names))
      return undefined;
    if (Buffer.from(f.salt, "base64").length < 8) return undefined;
    if (f.version === 1)
      return Array.isArray(f.entries) ? (f as HookCacheFile & { columns?: undefined }) : undefined;
    if ((f.version !== 2 && f.version !== VERSION) || !f.packed) return undefined;
    const columns = unpackColumns(f.packed);
    if (!columns) return undefined;
    const { packed: _packed, entries: _entries, ...rest } = f;
    return { ...(rest as Omit<HookCacheFile, "entries">), columns };
  } catch {
    return undefined;
  }
}

/** The whole file as entries (the refresh keeps some of a previous file's entries). */
function parseCache(text: string): HookCacheFile | undefined {
  const f = parseCacheFile(text);
  if (!f) return undefined;
  if (f.entries) return f as HookCacheFile;
  const { columns, ...rest } = f;
  return { ...rest, entries: entriesOf(columns) };
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
  const file = parseCacheFile(text);
  if (!file) return undefined;
  let stale = false;
  try {
    stale = statSync(join(home, "store.json")).mtimeMs > statSync(hookCachePath(home)).mtimeMs + 1;
  } catch {
    // no store: nothing can be stale
  }
  if (file.entries) return { matcher: createHashedMatcher(file, false), stale }; // version 1
  // Version 2: the matcher's index straight from the packed columns (no entry objects).
  const { columns } = file;
  const matcher = createIndexedMatcher({
    salt: Buffer.from(file.salt, "base64"),
    names: file.names,
    ...columns,
    digest: (i) => columns.digest.slice(i * DIGEST_CHARS, (i + 1) * DIGEST_CHARS),
    symmetric: file.version >= SYMMETRIC_FROM,
  });
  return { matcher, stale };
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
  // Entries kept from an older file carry its buckets, which cannot be recomputed without the
  // value: the whole file then keeps the older bucket scheme (and version) until they can be.
  const legacy = previous !== undefined && previous.version < SYMMETRIC_FROM && kept.length > 0;
  const built = buildHookCache(values, salt, minLength, !legacy);
  const names = [...new Set([...built.names, ...kept.map((k) => k.name)])].sort();
  const remap = (name: string) => names.indexOf(name);
  const entries: Entry[] = sortEntries([
    ...built.entries.map((e): Entry => [e[0], e[1], e[2], e[3], remap(built.names[e[4]]!), e[5]]),
    ...kept.flatMap((k) =>
      k.entries.map((e): Entry => [e[0], e[1], e[2], e[3], remap(k.name), e[5]]),
    ),
  ]);
  const file = {
    format: FORMAT,
    version: legacy ? 2 : VERSION,
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
