// The hook cache: what the post-tool and read-guard hooks (and `scan`, pre-push, check-pack) need to
// find managed values in every encoding WITHOUT the store key, the keychain or any plaintext.
// Written by the broker whenever the store changes (`secret set|rm|import`) and by `scan` when it is
// missing; read by the hook on demand. The matcher that runs on it is rules/managed-matcher.ts.
//
// Version 4 (this file) keeps, for every encoded form (rules/managed-values.ts `encodingsOf`) of a
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
} from "../rules/managed-matcher.js";
import { writeFileAtomic } from "../core/fs-safe.js";
import type { StoreEntries as SecretStore } from "./store-entries.js";

export type { HashedMatcher } from "../rules/managed-matcher.js";

export const HOOK_CACHE_FILE = "hook-cache.json";
const FORMAT = "hookpack-hook-cache";
/**
 * 4: windows that cover ≥ 16 value characters in every form, non-linear buckets and checks (see the
 * header). Versions 1–3 are refused: their entries gave values away.
 */
export const VERSION = 4;

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
  digest: string;
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
  return { count: n, bucket, window, length, name, check, digest: p.digest };
}

function entriesOf(c: Columns): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < c.count; i++)
    out.push([
      c.bucket[i]!,
      c.window[i]!,
      c.length[i]!,
      c.digest.slice(i * DIGEST_CHARS, (i + 1) * DIGEST_CHARS),
      c.name[i]!,
      c.check[i]!,
    ]);
  return out;
}

export function hookCachePath(home: string): string {
  return join(home, HOOK_CACHE_FILE);
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

type ParsedCache = Omit<HookCacheFile, "entries"> & { columns: Columns };

/** What a cache file is: this version's, an older hookpack's (refused), or not a cache. */
function parseCacheFile(text: string, windows = true): ParsedCache | "old" | undefined {
  try {
    const f = JSON.parse(text) as Partial<HookCacheFile> & { packed?: PackedEntries };
    if (f?.format !== FORMAT || typeof f.salt !== "string" || !Array.isArray(f.names))
      return undefined;
    if (typeof f.version === "number" && f.version < VERSION) return "old";
    if (f.version !== VERSION || !f.packed) return undefined;
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
function parseCache(text: string): HookCacheFile | undefined {
  const f = parseCacheFile(text);
  if (!f || f === "old") return undefined;
  const { columns, ...rest } = f;
  return { ...rest, entries: entriesOf(columns) };
}

export interface LoadedCache {
  matcher: HashedMatcher;
  /** The store changed after the cache was written (a refresh failed or an old hookpack wrote it). */
  stale: boolean;
  /** Names of stored values too weak to be searched for (no entry). */
  unsearchable: readonly string[];
}

/** True when the cache file there was written by an older hookpack (refused by loadHookCache). */
export function hookCacheIsOld(home: string): boolean {
  try {
    return parseCacheFile(readFileSync(hookCachePath(home), "utf8")) === "old";
  } catch {
    return false;
  }
}

/** The hook's read: undefined when there is no (valid, current) cache. Never opens the store. */
export function loadHookCache(home: string): LoadedCache | undefined {
  let text: string;
  try {
    text = readFileSync(hookCachePath(home), "utf8");
  } catch {
    return undefined;
  }
  const file = parseCacheFile(text, false);
  if (!file || file === "old") return undefined;
  let stale = false;
  try {
    stale = statSync(join(home, "store.json")).mtimeMs > statSync(hookCachePath(home)).mtimeMs + 1;
  } catch {
    // no store: nothing can be stale
  }
  // The matcher's index straight from the packed columns (no entry objects).
  const { columns } = file;
  let matcher: HashedMatcher;
  try {
    matcher = createIndexedMatcher({
      salt: Buffer.from(file.salt, "base64"),
      names: file.names,
      ...columns,
      digest: (i) => columns.digest.slice(i * DIGEST_CHARS, (i + 1) * DIGEST_CHARS),
    });
  } catch {
    return undefined; // an entry whose window is not within its form: not a cache hookpack wrote
  }
  const unsearchable = Array.isArray(file.unsearchable)
    ? file.unsearchable.filter((n): n is string => typeof n === "string")
    : [];
  return { matcher, stale, unsearchable };
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
  const path = hookCachePath(home);
  let previous: HookCacheFile | undefined;
  try {
    previous = existsSync(path) ? parseCache(readFileSync(path, "utf8")) : undefined;
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
    packed: packEntries(entries),
  };
  writeFileAtomic(path, `${JSON.stringify(file)}\n`, 0o600);
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
  const matcher = () => {
    if (loaded === undefined) {
      loaded = loadHookCache(home) ?? null;
      if (!loaded && hookCacheIsOld(home))
        debug(
          `the hook cache in ${home} was written by an older hookpack and is not used; run \`hookpack scan --state\` once to rebuild it`,
        );
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
