// The managed-value matcher: every encoded form of every value hookpack knows, matched exactly.
// Pure (no I/O). Used by the broker's streaming redactor and by the post-tool hook.
//
// Forms of one value (the UTF-8 bytes of the value unless said otherwise):
//   raw; base64 std and URL-safe, padded and unpadded, plus the characters fully determined by
//   the value at each of the 3 byte alignments (so the value is found inside a larger base64
//   blob: Basic auth "user:secret", JWT payloads, kubeconfigs); base32 (RFC 4648, padded,
//   unpadded, lower case); hex lower/upper and "\xHH"; percent-encoding (component, lower-case
//   hex, form "+", path, every byte, double-encoded); JSON-escaped (plain, "\/", ASCII-only,
//   double-escaped) and "\uXXXX" for every character; HTML (minimal escape, hex and decimal
//   entities); shell single- and double-quoted escapes.
// Search: one indexOf per pattern for few patterns, sampled q-gram hashing above that.
// Not covered (documented limits): a value split by line wrapping inside base64 (MIME/PEM),
// compressed or encrypted forms, case-folded text, partial values.

/** Values (and encoded forms) shorter than this are not matched by default. */
export const DEFAULT_MIN_LENGTH = 6;

export interface ManagedValue {
  name: string;
  value: string;
}

export interface EncodedForm {
  form: string;
  text: string;
}

export interface Pattern {
  text: string;
  name: string;
  form: string;
}

/** One redaction: a maximal run of overlapping pattern hits. */
export interface Match {
  start: number;
  end: number;
  name: string;
  form: string;
}

export interface RedactResult {
  text: string;
  count: number;
  /** Names redacted, in order of first appearance. */
  names: string[];
}

export interface MatcherOptions {
  /** Drop values and forms shorter than this (default 6). */
  minLength?: number;
  /**
   * "bytes": patterns are the UTF-8 bytes of each form as a latin1 string, for matching
   * byte streams decoded with `buffer.toString("latin1")` (binary safe). Default "text".
   */
  mode?: "text" | "bytes";
  /** Force the search strategy (tests compare them); default picks by pattern count. */
  strategy?: "indexOf" | "sampled";
}

export interface ValueMatcher {
  readonly patterns: readonly Pattern[];
  /** Length of the longest pattern; 0 when there is none. */
  readonly maxLength: number;
  /** Values dropped because they are shorter than the floor. */
  readonly skipped: readonly string[];
  find(text: string): Match[];
  redact(text: string): RedactResult;
  /**
   * The smallest i such that text.slice(i) is a proper prefix of some pattern (so more input
   * could complete a match there); text.length when no suffix can still become a match.
   */
  pendingFrom(text: string): number;
}

export function redactionLabel(name: string): string {
  return `[REDACTED:${name}]`;
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function utf8(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const toUrl = (b64: string) => b64.replace(/\+/g, "-").replace(/\//g, "_");

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += "=";
  return out;
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");
const hex4 = (n: number) => n.toString(16).padStart(4, "0");

/** RFC 3986 pchar: unreserved, sub-delims, ":" and "@" stay; everything else is escaped. */
function pathEscape(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && /[A-Za-z0-9\-._~!$&'()*+,;=:@]/.test(c) ? c : `%${hex2(b).toUpperCase()}`;
  }
  return out;
}

function lowerPercentHex(s: string): string {
  return s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
}

function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

function htmlMinimal(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Every encoded form of one value, before length filtering and de-duplication. */
export function encodingsOf(value: string): EncodedForm[] {
  const bytes = utf8(value);
  const forms: EncodedForm[] = [{ form: "raw", text: value }];
  const add = (form: string, text: string) => forms.push({ form, text });

  const b64 = base64(bytes);
  add("base64", b64);
  add("base64", b64.replace(/=+$/, ""));
  add("base64url", toUrl(b64));
  add("base64url", toUrl(b64).replace(/=+$/, ""));
  // Inside a larger blob the value can start at any of 3 byte offsets; keep only the
  // characters every such blob shares (bits fully determined by the value).
  for (let k = 0; k < 3; k++) {
    const shifted = new Uint8Array(k + bytes.length);
    shifted.set(bytes, k);
    const enc = base64(shifted);
    const from = Math.ceil((8 * k) / 6);
    const to = Math.floor((8 * (k + bytes.length)) / 6);
    if (to > from) {
      add("base64", enc.slice(from, to));
      add("base64url", toUrl(enc.slice(from, to)));
    }
  }

  const b32 = base32(bytes);
  add("base32", b32);
  add("base32", b32.replace(/=+$/, ""));
  add("base32", b32.replace(/=+$/, "").toLowerCase());

  const hex = Array.from(bytes, hex2).join("");
  add("hex", hex);
  add("hex", hex.toUpperCase());
  add("hex", Array.from(bytes, (b) => `\\x${hex2(b)}`).join(""));

  const component = encodeURIComponentSafe(value);
  if (component !== undefined) {
    add("url", component);
    add("url", lowerPercentHex(component));
    add("url", component.replace(/%20/g, "+"));
    add("url", new URLSearchParams([["k", value]]).toString().slice(2));
    add("url", encodeURIComponent(component));
  }
  add("url", pathEscape(bytes));
  add("url", Array.from(bytes, (b) => `%${hex2(b).toUpperCase()}`).join(""));

  const json = jsonEscape(value);
  add("json", json);
  add("json", json.replace(/\//g, "\\/"));
  add(
    "json",
    json.replace(/[\u007f-\uffff]/g, (c) => `\\u${hex4(c.charCodeAt(0))}`),
  );
  add("json", jsonEscape(json));
  let unicode = "";
  for (let i = 0; i < value.length; i++) unicode += `\\u${hex4(value.charCodeAt(i))}`;
  add("unicode-escape", unicode);
  add(
    "unicode-escape",
    unicode.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\u${h.toUpperCase()}`),
  );

  add("html", htmlMinimal(value));
  const points = Array.from(value, (c) => c.codePointAt(0) ?? 0);
  add("html", points.map((p) => `&#x${p.toString(16)};`).join(""));
  add("html", points.map((p) => `&#x${p.toString(16).toUpperCase()};`).join(""));
  add("html", points.map((p) => `&#${p};`).join(""));

  add("shell", value.replace(/'/g, `'\\''`));
  add(
    "shell",
    value.replace(/[\\"$`]/g, (c) => `\\${c}`),
  );
  return forms;
}

function encodeURIComponentSafe(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    return undefined; // lone surrogate: no valid percent form
  }
}

const toBytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");

/** All distinct patterns for a set of values, longest first within a value. */
export function buildPatterns(
  values: readonly ManagedValue[],
  options: MatcherOptions = {},
): { patterns: Pattern[]; skipped: string[] } {
  const min = Math.max(1, options.minLength ?? DEFAULT_MIN_LENGTH);
  const seen = new Set<string>();
  const patterns: Pattern[] = [];
  const skipped: string[] = [];
  for (const { name, value } of values) {
    if (value.length < min) {
      skipped.push(name);
      continue;
    }
    for (const { form, text: formText } of encodingsOf(value)) {
      const text = options.mode === "bytes" ? toBytes(formText) : formText;
      if (text.length < min || seen.has(text)) continue;
      seen.add(text);
      patterns.push({ text, name, form });
    }
  }
  return { patterns, skipped };
}

type Hit = [start: number, pattern: number];

function indexOfSearch(patterns: readonly Pattern[]): (text: string) => Hit[] {
  const texts = patterns.map((p) => p.text);
  return (text) => {
    const hits: Hit[] = [];
    for (let p = 0; p < texts.length; p++) {
      const t = texts[p]!;
      for (let i = text.indexOf(t); i !== -1; i = text.indexOf(t, i + 1)) hits.push([i, p]);
    }
    return hits;
  };
}

/**
 * Sampled q-gram hashing (a Rabin–Karp variant that skips): with Lmin the shortest pattern and
 * q ≤ Lmin/2, every occurrence covers s = Lmin - q + 1 consecutive start positions for a q-gram,
 * exactly one of which is a multiple of s. So only every s-th position of the text is hashed
 * (q chars), looked up in a 2^22-bit filter, and verified with startsWith. Cost per char is about
 * q/s instead of 1, independent of the number of patterns.
 */
function sampledSearch(patterns: readonly Pattern[]): (text: string) => Hit[] {
  const texts = patterns.map((p) => p.text);
  const lmin = Math.min(...texts.map((t) => t.length));
  const q = Math.max(1, Math.min(8, lmin >> 1));
  const s = lmin - q + 1;
  const B = 0x01000193;
  const MASK = (1 << 22) - 1;
  // One bit per bucket, read 32 bits at a time.
  const bitmap = new Int32Array(1 << 17);
  const byHash = new Map<number, number[]>(); // hash → flat [pattern, offset, pattern, offset, …]
  const hq = (str: string, at: number) => {
    let h = 0;
    for (let i = 0; i < q; i++) h = (Math.imul(h, B) + str.charCodeAt(at + i)) | 0;
    return h;
  };
  texts.forEach((t, p) => {
    for (let o = 0; o < s; o++) {
      const h = hq(t, o);
      const k = h & MASK;
      bitmap[k >>> 5]! |= 1 << (k & 31);
      const list = byHash.get(h);
      if (list) list.push(p, o);
      else byHash.set(h, [p, o]);
    }
  });
  const verify = (text: string, j: number, h: number, hits: Hit[]): void => {
    const list = byHash.get(h);
    if (!list) return;
    for (let x = 0; x < list.length; x += 2) {
      const p = list[x]!;
      const start = j - list[x + 1]!;
      if (start >= 0 && text.startsWith(texts[p]!, start)) hits.push([start, p]);
    }
  };
  return (text) => {
    const hits: Hit[] = [];
    const last = text.length - q;
    // The hot loop: plain locals, the rare candidate verified out of line.
    const bm = bitmap;
    for (let j = 0; j <= last; j += s) {
      let h = 0;
      for (let i = 0; i < q; i++) h = (Math.imul(h, B) + text.charCodeAt(j + i)) | 0;
      const k = h & MASK;
      if ((bm[k >>> 5]! & (1 << (k & 31))) !== 0) verify(text, j, h, hits);
    }
    return hits;
  };
}

/** Above this many patterns hashing beats one indexOf per pattern (scanning.md §2c). */
const INDEXOF_MAX_PATTERNS = 48;

export function createValueMatcher(
  values: readonly ManagedValue[],
  options: MatcherOptions = {},
): ValueMatcher {
  const { patterns, skipped } = buildPatterns(values, options);
  const maxLength = patterns.reduce((m, p) => Math.max(m, p.text.length), 0);
  const strategy =
    options.strategy ?? (patterns.length <= INDEXOF_MAX_PATTERNS ? "indexOf" : "sampled");
  const search =
    patterns.length === 0
      ? () => []
      : strategy === "indexOf"
        ? indexOfSearch(patterns)
        : sampledSearch(patterns);
  const sorted = [...new Set(patterns.map((p) => p.text))].sort();
  // Cheap pre-screen for pendingFrom: every prefix of up to SHORT characters of every pattern.
  const SHORT = 4;
  const shortPrefixes = new Set<string>();
  for (const t of sorted)
    for (let n = 1; n <= Math.min(SHORT, t.length); n++) shortPrefixes.add(t.slice(0, n));

  const find = (text: string): Match[] => {
    const hits = search(text);
    if (hits.length === 0) return [];
    // Earliest start first; at equal start the longest pattern labels the match.
    hits.sort((a, b) => a[0] - b[0] || patterns[b[1]]!.text.length - patterns[a[1]]!.text.length);
    const out: Match[] = [];
    for (const [start, p] of hits) {
      const end = start + patterns[p]!.text.length;
      const last = out[out.length - 1];
      if (last && start < last.end) {
        if (end > last.end) last.end = end; // overlapping hits are one redaction: nothing leaks between them
        continue;
      }
      out.push({ start, end, name: patterns[p]!.name, form: patterns[p]!.form });
    }
    return out;
  };

  const isProperPrefix = (s: string): boolean => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < s) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < sorted.length; i++) {
      const t = sorted[i]!;
      if (!t.startsWith(s)) return false;
      if (t.length > s.length) return true;
    }
    return false;
  };

  return {
    patterns,
    maxLength,
    skipped,
    find,
    redact(text) {
      const matches = find(text);
      if (matches.length === 0) return { text, count: 0, names: [] };
      return applyMatches(text, matches);
    },
    pendingFrom(text) {
      const L = text.length;
      for (let i = Math.max(0, L - maxLength + 1); i < L; i++) {
        if (!shortPrefixes.has(text.slice(i, i + SHORT))) continue;
        if (isProperPrefix(text.slice(i))) return i;
      }
      return L;
    },
  };
}

/** Replaces each match by its label; `matches` must be sorted and non-overlapping. */
export function applyMatches(text: string, matches: readonly Match[]): RedactResult {
  let out = "";
  let at = 0;
  const names: string[] = [];
  for (const m of matches) {
    out += text.slice(at, m.start) + redactionLabel(m.name);
    at = m.end;
    if (!names.includes(m.name)) names.push(m.name);
  }
  return { text: out + text.slice(at), count: matches.length, names };
}
