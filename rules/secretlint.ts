// Pattern detection for every entry point (PreToolUse deny, PostToolUse redaction, scan, pre-push,
// check-pack, exec masking, state cleaning). The hot path runs one generated regex: the anchors of
// hookpack's own rule records (rules/detectors/, compiled by scripts/gen-detectors.mjs) plus the
// literals of secretlint's preset (validated against the pinned preset by test/rules/secretlint.test.ts).
// On a hit, hookpack's engine (dist/detect-engine.cjs) runs, and secretlint (dist/secretlint-engine.cjs)
// as a second engine when its own literals hit; findings merge, hookpack's record winning.
import {
  PREFILTER_KEYWORDS,
  PREFILTER_LITERALS,
  PREFILTER_REST_SOURCE,
} from "./detectors/prefilter.generated.js";
import { withoutBrokerPrefix } from "./broker-prefix.js";
import type { Finding } from "./finding.js";
import { section, sleb, str, uleb, vec } from "../core/wasm-encode.js";

export type { Finding } from "./finding.js";

export interface SecretScanner {
  /** Cheap check: false means the pinned preset cannot find anything in `text`. */
  mayContainSecret(text: string): boolean;
  /** Full scan; runs secretlint only when the prefilter hits. */
  scan(text: string, filePath?: string): Promise<Finding[]>;
  /**
   * Tokens hidden from a literal scan (quote splicing, escapes, zero-width characters, percent- or
   * base64-encoding), for tool input. Findings carry no offsets (start = end = 0), `value` the
   * decoded token. Cheap when `text` shows no sign of hiding.
   */
  scanHidden?(text: string): Promise<Array<{ finding: Finding; value: string }>>;
  /**
   * For many texts at once: false for a text means `scan(text)` finds nothing in it (one automaton
   * pass over them all: mayContainSecretEach). True where unsure.
   */
  mayContainSecretEach?(texts: readonly string[]): Promise<boolean[]>;
}

/**
 * Signs that a tool input may hide a token: checked before the engine is loaded for it. Exported
 * for the hook's fast allow stage (hooks/fast-allow.ts), which hands a call on when it matches.
 * The last sign is a word of 16 or more of `[A-Za-z0-9+/_-]` with quotes inside it, after one of
 * them and before another (`gh"p_…"…`, `gl'pat-…'…`: one word to the shell, every piece shorter
 * than 28, no empty pair; rules/detect.ts hiddenViews reads it with the quotes taken out). A
 * quote that only opens or closes a word (`grep "someFunctionName" src`) is not one.
 * The same with a parameter expansion the shell may turn into nothing between two pieces
 * (`gh${x}p_…`, `gh${x:-}p_…`, `glpat$x-…`, `gh$1p_…`, `gh$()p_…`, `` gh`true`p_… ``), up to four
 * in a row (bounded, so that a flood of `$x$x…` costs no backtracking; five in a row anywhere are
 * a sign of their own); `$''` and `$""` are caught by their empty pair. scanHidden reads such
 * words with the expansions taken out (expansionReadings).
 */
export const HIDING: { test(text: string): boolean } = {
  test: (text) =>
    HIDING_PLAIN.test(text) || (mayBeSplicedByExpansion(text) && HIDING_EXPANSION.test(text)),
};

/** HIDING's signs but the expansion splices. */
const HIDING_PLAIN =
  /(["'`])\1|["'`][ \t]*\+[ \t]*["'`]|[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]|\u034f|(?:%[0-9A-Fa-f]{2}){4}|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\\r?\n|\\[0-7]{3}|[A-Za-z0-9+/_-]{28}|\w\\\w|(?=(?:[A-Za-z0-9+/_-]|["'`]+[A-Za-z0-9+/_-]){16})[A-Za-z0-9+/_-]+["'`]+[A-Za-z0-9+/_-]/;

/**
 * HIDING's expansion splices: a large regex that costs ~1 ms to compile (issue 21: every hook process
 * compiles its regexes anew), so it is compiled only for a text where one can match.
 */
const HIDING_EXPANSION =
  /(?=(?:[A-Za-z0-9+/_-]|(?:\$(?:\{[^{}\s]{0,80}\}|[A-Za-z_]\w*(?!\w)|[1-9@*]|\([ \t]*(?:true|:)?[ \t]*\))|`[ \t]*(?:true|:)[ \t]*`){1,4}[A-Za-z0-9+/_-]){16})[A-Za-z0-9+/_-]+(?:\$(?:\{[^{}\s]{0,80}\}|[A-Za-z_]\w*(?!\w)|[1-9@*]|\([ \t]*(?:true|:)?[ \t]*\))|`[ \t]*(?:true|:)[ \t]*`){1,4}[A-Za-z0-9+/_-]|(?:\$(?:\{[^{}\s]{0,80}\}|[A-Za-z_]\w*(?!\w)|[1-9@*]|\([ \t]*(?:true|:)?[ \t]*\))|`[ \t]*(?:true|:)[ \t]*`){5}/;

/** `[A-Za-z0-9+/_-]`, the characters of a token run (false for NaN, before a text's start). */
const isTokenUnit = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x30 && c <= 0x39) ||
  c === 0x2b ||
  c === 0x2f ||
  c === 0x5f ||
  c === 0x2d;

/**
 * Whether HIDING_EXPANSION can match: each of its matches has an expansion (`$` or a backquote)
 * right after a token character (`gh${x}p_`) or right after the end of another expansion (`}`, a
 * name character, `@`, `*`, `)`, a backquote: five in a row).
 */
function mayBeSplicedByExpansion(text: string): boolean {
  if (!text.includes("$") && !text.includes("`")) return false;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x24 && c !== 0x60) continue;
    const b = text.charCodeAt(i - 1);
    if (isTokenUnit(b) || b === 0x7d || b === 0x40 || b === 0x2a || b === 0x29 || b === 0x60)
      return true;
  }
  return false;
}

/**
 * HIDING.test without compiling HIDING where it cannot match (issue 21: a regex is compiled anew in
 * every hook process): every match of HIDING holds a quote, `%`, a backslash, a character above
 * 0x7f, 28 characters of `[A-Za-z0-9+/_-]` in a row, or a `$` right after one of them; a text with
 * none of these skips it.
 */
export function mayHide(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f || c === 0x22 || c === 0x27 || c === 0x60 || c === 0x25 || c === 0x5c)
      return HIDING.test(text);
    if (isTokenUnit(c)) {
      if (++run >= 28) return HIDING.test(text);
    } else if (c === 0x24 && run > 0) return HIDING.test(text);
    else run = 0;
  }
  return false;
}

/**
 * The hidden-token pre-check of a tool input (scanHidden): mayHide, but not fired by hookpack's own
 * brokered-exec prefix alone (issue 21). Every rewritten `$secret:` call carries one, and two of its
 * words are 28-character runs of HIDING (the grant id, `g_` and 26 characters; the path of the entry
 * of a usual install), so each such call loaded the detection engine for its hidden readings.
 *
 * For an input with a prefix rules/broker-prefix.ts verifies (this process's very node and entry,
 * the fixed flags, a base32 grant id and key) the engine is skipped only when BOTH hold:
 *   - what remains with the prefix taken out (the agent's own command, and anything around the
 *     prefix) shows no sign of hiding (mayHide), as a call without the prefix is judged; and
 *   - the whole input, prefix and all, has no hidden reading at all (hasReading: then
 *     rules/detect.ts hiddenViews returns none and findHidden finds nothing, so skipping it changes
 *     no verdict). This closes what the first alone would open: a splice or a short base64 run that
 *     HIDING misses, which the prefix's 28-character run used to send to the engine anyway, and a
 *     grant id or key chosen by hand to decode as base64 text.
 * Any other input: mayHide, unchanged.
 */
export function mayHideInInput(text: string): boolean {
  // The prefix is looked at first: its grant id alone would make mayHide(text) run HIDING, a
  // regex compiled anew in every hook process (~0.8 ms CPU). Where mayHide(text) is false this
  // answers no less (mayHide(rest) or a reading can only add a "yes"), so no verdict is lost.
  if (text.includes(" exec --grant ")) {
    const rest = withoutBrokerPrefix(text);
    if (rest !== text) return mayHide(rest) || hasReading(text);
  }
  return mayHide(text);
}

/** A shell expansion that can stand for nothing (or for a value set in the same command), and an
 * empty command substitution (`$()`, `$(true)`, `` `:` ``). */
const EXPANSION =
  /\$(?:\{([A-Za-z_]\w*|[0-9@*#?!$-])(?:(:?[-=])([^{}]{0,256})|[^{}]{0,256})\}|([A-Za-z_]\w*)|[1-9@*]|\([ \t]*(?:true|:)?[ \t]*\))|`[ \t]*(?:true|:)?[ \t]*`/g;
/** `name=value` as a command may set it (`export`, `local`, … before it), the value unquoted. */
const ASSIGNMENT =
  /(?:^|[\s;&|(])(?:(?:export|local|declare|readonly|typeset)[ \t]+(?:-\w+[ \t]+)*)?([A-Za-z_]\w*)=([^\s;&|()<>]*)/g;

/**
 * How the shell may rebuild the words of `text` around its expansions: `$''` and `$""` as their
 * quotes (rules/detect.ts hiddenViews then takes those out), every parameter expansion as nothing
 * (an unset name; `${x:-word}` as `word`; an empty command substitution too), and once more with
 * each name assigned in `text` as its first, then its last value. Texts without `$` or a backquote
 * have none; readings equal to `text` are left out.
 */
export function expansionReadings(text: string): string[] {
  if (!text.includes("$") && !text.includes("`")) return [];
  const base = text.replace(/\$(?=["'])/g, "");
  const first = new Map<string, string>();
  const last = new Map<string, string>();
  for (const [, name, value] of base.matchAll(ASSIGNMENT)) {
    if (name === undefined || value === undefined) continue;
    const v = value.replace(/["'`]/g, "");
    if (!first.has(name)) first.set(name, v);
    last.set(name, v);
  }
  const read = (values: Map<string, string>) =>
    base.replace(
      EXPANSION,
      (_, braced?: string, op?: string, word?: string, bare?: string) =>
        values.get(braced ?? bare ?? "") ?? (op !== undefined ? (word ?? "") : ""),
    );
  const readings = new Set([base, read(new Map()), read(first), read(last)]);
  readings.delete(text);
  return [...readings];
}

/**
 * Whether rules/detect.ts hiddenViews can read `text` any other way: a character it removes or
 * decodes (a zero-width character, a quote, a backslash, `%` and two hex digits), or a run of 20 or
 * more base64 characters that it would decode to text. False means hiddenViews(text) is empty
 * (test/rules/rw-seen.differential.test.ts checks both against the engine).
 */
export function hasReading(text: string): boolean {
  if (/[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e"'`\\]|\u034f|%[0-9A-Fa-f]{2}/.test(text))
    return true;
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{20,8192}={0,2}/g))
    if (decodesToText(m[0])) return true;
  return false;
}

/**
 * Whether rules/detect.ts hiddenViews keeps a base64 reading of this run (a match of its
 * `[A-Za-z0-9+/_-]{20,8192}={0,2}`): the same four shifts and the same test, written out here so
 * that the pre-check does not load the engine.
 */
export function decodesToText(run: string): boolean {
  for (let shift = 0; shift < 4; shift++) {
    const s = Buffer.from(
      run.slice(shift).replace(/-/g, "+").replace(/_/g, "/"),
      "base64",
    ).toString("latin1");
    if (s.length >= 12 && /^[\x20-\x7e\t\r\n]*$/.test(s.slice(0, s.length - 2))) return true;
  }
  return false;
}

import { SECRETLINT_PREFILTER_PARTS } from "./secretlint-prefilter.js";

// Literal prefilter for @secretlint/secretlint-rule-preset-recommend 13.0.7 (rules/secretlint-prefilter.ts):
// decides whether secretlint runs as the second engine on a text that passed the hook prefilter.
export const SECRETLINT_PREFILTER = new RegExp(SECRETLINT_PREFILTER_PARTS.join("|"));

// "(?!)" (nothing left for it) still tries every position: 0.24 ms on 64 KB. Skipped then.
const REST = PREFILTER_REST_SOURCE === "(?!)" ? undefined : new RegExp(PREFILTER_REST_SOURCE);
/** An assignment operator followed by a 16+ character value: where keyword rules can match. */
const ASSIGNED_VALUE = /[=:][=>]?[ \t]{0,4}(?:["'`]|\\")?[^\s"'`]{16}/g;
const confirmers: Array<RegExp | undefined> = [];

/**
 * The hook prefilter: false means neither engine can find anything in the text. indexOf per
 * literal (a regex of all shapes would cost milliseconds to compile on every hook start), a short
 * literal's full shape checked at its hit, one small regex for the rest, and the keyword rules'
 * keywords only where a value is assigned.
 */
/** Which ASCII characters a text holds: a literal whose first character is absent is skipped. */
const present = new Uint8Array(128);

// ---- which literals can occur in a long text: one WebAssembly pass ---------------------------------
//
// About 250 literals, one native indexOf each, cost ≈ 4.5 ms on a 64 KB tool output (measured:
// 18 µs per indexOf), more than the rest of the hook. A JavaScript loop over the text is no cheaper
// in a fresh process (3.7 ms on 64 KB: it runs in the interpreter). So one small WebAssembly loop
// marks which character pairs and (hashed) triples occur; a literal whose first two or three
// characters never occur is not searched. Sound: every occurrence of a literal (all ASCII) marks its
// own pair and triple, whatever the text around it (a character above U+00FF is written as its low
// byte, which can only mark more); triples and pairs are carried across chunk boundaries.
//
// Memory: [TEXT: GRAM_CHUNK bytes][PAIRS: 65,536 bytes][TRIPLES: 65,536 bytes].
const GRAM_CHUNK = 1 << 16;
const PAIRS = GRAM_CHUNK;
const TRIPLES = PAIRS + 65536;
/** Texts at least this long take the WebAssembly pass; shorter ones the character table below. */
export const GRAMS_ABOVE = 4096;
const tripleOf = (a: number, b: number, c: number) => (Math.imul(a, 961) + b * 31 + c) & 0xffff;

/**
 * gramModule() as assembled (test/rules/hook-prefilter-grams.test.ts checks that they are equal):
 * assembling it in a fresh process cost 0.5 ms, decoding this 0.01 ms.
 */
export const GRAM_MODULE =
  "AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQADBxICBWdyYW1zAAAGbWVtb3J5AgAKXQFbAQJ/AkADQCADIABPDQEgAy0AACEEIAJBCHQgBHJBAToAgIAEIAFBwQdsIAJBH2xqIARqQf//A3FBAToAgIAIIAIhASAEIQIgA0EBaiEDDAALCyABQQh0IAJyCw==";

/** grams(len, prev2, prev1) → (prev2 << 8 | prev1) after the chunk. */
export function gramModule(): Uint8Array {
  const I32 = 0x7f;
  // params: 0 len, 1 a (two back), 2 b (one back); locals: 3 i, 4 c
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const c = (n: number) => [0x41, ...sleb(n)];
  const code = [
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...get(3),
    ...get(0),
    0x4f,
    0x0d,
    1, // i >= len → break
    ...get(3),
    0x2d,
    0,
    0, // load8_u text[i]
    ...set(4),
    // pairs[(b << 8) | c] = 1
    ...get(2),
    ...c(8),
    0x74,
    ...get(4),
    0x72,
    ...c(1),
    0x3a,
    0,
    ...uleb(PAIRS),
    // triples[(a * 961 + b * 31 + c) & 0xffff] = 1
    ...get(1),
    ...c(961),
    0x6c,
    ...get(2),
    ...c(31),
    0x6c,
    0x6a,
    ...get(4),
    0x6a,
    ...c(0xffff),
    0x71,
    ...c(1),
    0x3a,
    0,
    ...uleb(TRIPLES),
    ...get(2),
    ...set(1), // a = b
    ...get(4),
    ...set(2), // b = c
    ...get(3),
    ...c(1),
    0x6a,
    ...set(3), // i++
    ...[0x0c, 0, 0x0b, 0x0b], // br loop, end loop, end block
    ...get(1),
    ...c(8),
    0x74,
    ...get(2),
    0x72,
    0x0b,
  ];
  const body = [...vec([[2, I32]]), ...code];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(3)]])),
    ...section(
      7,
      vec([
        [...str("grams"), 0x00, 0],
        [...str("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

let gramPass:
  { grams: (len: number, a: number, b: number) => number; mem: Buffer } | null | undefined;

/**
 * The pair and triple tables of `text` (views into the module's memory, valid until the next
 * call), or undefined where WebAssembly is unavailable (then every literal is searched).
 */
export function gramTables(text: string): { pairs: Uint8Array; triples: Uint8Array } | undefined {
  if (gramPass === undefined) {
    try {
      const instance = new WebAssembly.Instance(
        new WebAssembly.Module(Buffer.from(GRAM_MODULE, "base64") as Uint8Array<ArrayBuffer>),
      );
      gramPass = {
        grams: instance.exports.grams as (len: number, a: number, b: number) => number,
        mem: Buffer.from((instance.exports.memory as WebAssembly.Memory).buffer),
      };
    } catch {
      gramPass = null;
    }
  }
  if (!gramPass) return undefined;
  const { grams, mem } = gramPass;
  mem.fill(0, PAIRS, TRIPLES + 65536);
  let carry = 0;
  for (let base = 0; base < text.length; base += GRAM_CHUNK) {
    const len = Math.min(GRAM_CHUNK, text.length - base);
    mem.write(len === text.length ? text : text.slice(base, base + len), 0, len, "latin1");
    carry = grams(len, carry >>> 8, carry & 0xff);
  }
  return {
    pairs: mem.subarray(PAIRS, PAIRS + 65536),
    triples: mem.subarray(TRIPLES, TRIPLES + 65536),
  };
}

/** Whether `literal` (ASCII, 2+ characters) can occur in the text whose tables these are. */
export function gramsAllow(
  tables: { pairs: Uint8Array; triples: Uint8Array },
  literal: string,
): boolean {
  const a = literal.charCodeAt(0);
  const b = literal.charCodeAt(1);
  if (literal.length === 2) return tables.pairs[(a << 8) | b] === 1;
  return tables.triples[tripleOf(a, b, literal.charCodeAt(2))] === 1;
}

function mayContain(text: string, grams = true): boolean {
  if (REST?.test(text)) return true;
  // Short texts (tool fields, environment values): mark the characters they hold, then look up
  // only the literals that can start there (most of the ~250 indexOf calls are skipped).
  const short = text.length <= 512;
  if (short) {
    present.fill(0);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 128) present[c] = 1;
    }
  }
  // Long texts: only the literals whose first characters occur (one WebAssembly pass).
  const tables = grams && text.length >= GRAMS_ABOVE ? gramTables(text) : undefined;
  for (let i = 0; i < PREFILTER_LITERALS.length; i++) {
    // Indexed, not destructured: a short process runs this loop in the interpreter, where
    // `const [a, b] = entry` allocates an array iterator and two results per literal (~400 KB of
    // young garbage per PostToolUse call over its five prefilter runs, a scavenge's worth).
    const entry = PREFILTER_LITERALS[i]!;
    const literal = entry[0];
    const shape = entry[1];
    if (short && present[literal.charCodeAt(0)] === 0) continue;
    if (tables && literal.length >= 2 && !gramsAllow(tables, literal)) continue;
    let at = text.indexOf(literal);
    if (at === -1) continue;
    if (shape === "") return true;
    const re = (confirmers[i] ??= new RegExp(shape, "y"));
    for (let n = 0; at !== -1; n++, at = text.indexOf(literal, at + 1)) {
      // Bounded work per literal, failing closed: past 64 unconfirmed occurrences the text goes to
      // the engine (an agent that pads its output with 64 near-misses must not hide the 65th).
      if (n === 64) return true;
      re.lastIndex = at;
      if (re.test(text)) return true;
    }
  }
  // Keyword rules: a keyword in the NAME being assigned (`DD_API_KEY = "…"`, `"twilio_token": "…"`),
  // not anywhere in the text (a hook payload names its agent, a path its tool).
  // (Every match of ASSIGNED_VALUE starts with `=` or `:`: without either it need not be compiled.)
  if (!text.includes("=") && !text.includes(":")) return false;
  ASSIGNED_VALUE.lastIndex = 0;
  for (let m = ASSIGNED_VALUE.exec(text), n = 0; m !== null; m = ASSIGNED_VALUE.exec(text), n++) {
    // Bounded as above, failing closed: 4,096 assignments do not hide the next one.
    if (n === 4096) return true;
    const name = text
      .slice(Math.max(0, m.index - 64), m.index)
      .replace(/["'\]\s]+$/, "")
      .split(/[\s,;(){}[\]<>|&]/)
      .pop()!
      .toLowerCase();
    if (name.length >= 2)
      for (let k = 0; k < PREFILTER_KEYWORDS.length; k++)
        if (name.includes(PREFILTER_KEYWORDS[k]!)) return true;
  }
  return false;
}

/** The hook prefilter as a test (callers use only `.test`). */
export const PREFILTER: { test(text: string): boolean } = { test: (text) => mayContain(text) };

/** Tests only: the prefilter with the pair/triple skip off, every literal searched (the old pass). */
export const prefilterWithoutGrams = (text: string): boolean => mayContain(text, false);

type Engine = typeof import("./secretlint-engine.js");
let engine: Promise<Engine> | undefined;

function loadEngine(): Promise<Engine> {
  // In the published bundle this import stays a separate file (scripts/build.mjs).
  engine ??= import("./secretlint-engine.js");
  return engine;
}

type Detect = typeof import("./detect.js");
let detectEngine: Promise<Detect> | undefined;
/**
 * The engine once loaded: labels and names of its records are then available synchronously. Kept
 * under a global symbol, not in a module variable: the before-tool rules' bundle
 * (before-tool-rules.cjs) holds its own copy of this module's describeFinding and suggestName, and
 * must see the engine the hook's copy loaded (else a finding is named by its rule id).
 */
const DETECT_LOADED = Symbol.for("hookpack.detect-engine.loaded");
const shared = globalThis as unknown as Record<symbol, Detect | undefined>;
let bulk = false;

function loadDetect(): Promise<Detect> {
  detectEngine ??= import("./detect.js").then((d) => {
    if (bulk) d.warmUp();
    shared[DETECT_LOADED] = d;
    return d;
  });
  return detectEngine;
}

/** SECRETLINT_PREFILTER, global: every hit of a large text (one instance, so V8 compiles it once). */
const HITS = new RegExp(SECRETLINT_PREFILTER.source, "g");

/**
 * For bulk scans (pre-push, check-pack): V8 runs a regular expression's first execution in its
 * bytecode interpreter and compiles it to machine code from the second on, so a cold prefilter
 * would crawl through the first large file at about half speed. Two executions on a tiny string
 * first. (Not for the hook: its texts are small and the compile would cost more than it saves.)
 */
export function warmUpPrefilter(): void {
  // Bulk mode: the engine's Aho-Corasick pass is the prefilter (the hook regex would hit most code).
  bulk = true;
  for (let i = 0; i < 2; i++) {
    PREFILTER.test("warm-up");
    HITS.lastIndex = 0;
    HITS.exec("warm-up");
  }
  HITS.lastIndex = 0;
}

/** Texts longer than this are linted in windows around the prefilter's hits, not whole. */
export const WINDOWED_ABOVE = 128 * 1024;
/** Context kept on each side of a hit: far more than any preset match (a PEM block is extended below). */
const WINDOW = 16 * 1024;
/** How far a private-key window may reach for its END line. */
const PEM_MAX = 64 * 1024;

/**
 * The spans of `text` worth linting: around every prefilter hit, merged. Every match of a preset
 * rule contains a prefilter hit (that is what the prefilter is), and no single-line match is longer
 * than a few KB, so a match lies inside its hit's window; a private key's window reaches its END
 * line. Whole-file rules (a GCP key JSON, a .p12 by name) only ever see small files: texts up to
 * WINDOWED_ABOVE are linted whole.
 */
export function lintWindows(text: string): Array<[number, number]> {
  const hits = HITS;
  hits.lastIndex = 0;
  const spans: Array<[number, number]> = [];
  for (let m = hits.exec(text); m !== null; m = hits.exec(text)) {
    let end = Math.min(text.length, m.index + m[0].length + WINDOW);
    if (m[0] === "PRIVATE KEY" || m[0] === '"private_key"') {
      const close = text.indexOf("-----END", m.index);
      const reach = close === -1 ? m.index + PEM_MAX : Math.min(close + 256, m.index + PEM_MAX);
      end = Math.max(end, Math.min(text.length, reach));
    }
    const start = Math.max(0, m.index - WINDOW);
    const last = spans[spans.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else spans.push([start, end]);
    if (m[0].length === 0) hits.lastIndex++;
  }
  return spans;
}

/** Whether the scanner runs in bulk mode (after warmUpPrefilter): every text goes to the engine. */
export const inBulkMode = (): boolean => bulk;

export const secretScanner: SecretScanner = {
  mayContainSecret(text) {
    return PREFILTER.test(text);
  },
  async scan(text, filePath = "tool-input.txt") {
    if (!bulk && !PREFILTER.test(text)) return [];
    const detect = await loadDetect();
    // The engine's automaton also looks for the literals of secretlint's prefilter: where none
    // occurs, that regex cannot match and its pass over the text is skipped (bulk scans).
    // Only a decided "no" skips it: the engine leaves the hint undefined (small texts, terminal
    // escapes), and then the regex decides.
    const hint: { secretlint?: boolean } = { secretlint: true };
    const own = detect.findings(text, hint);
    // A decided "yes" is a match of the same regex at one of its literals (detect.ts runs it
    // sticky there), so the regex need not search the whole text again.
    const second =
      hint.secretlint === true || (hint.secretlint !== false && SECRETLINT_PREFILTER.test(text))
        ? await lintSecretlint(text, filePath)
        : [];
    return detect.merge(text, own, second);
  },
  async scanHidden(text) {
    if (!mayHideInInput(text)) return [];
    const detect = await loadDetect();
    const out = detect.findHidden(text);
    // A token spliced by expansions the shell turns into nothing (or into a value assigned in the
    // same command): each such reading is scanned as it stands and for its own hidden readings.
    for (const reading of expansionReadings(text)) {
      const found = detect.findHidden(reading);
      for (const f of detect.findings(reading))
        if (f.confidence !== "weak")
          found.push({
            finding: { ...f, start: 0, end: 0, line: 1, column: 1 },
            value: reading.slice(f.start, f.end),
          });
      // Only what the reading put together: a value the text holds as it stands is the direct
      // scan's to judge. (Reading an expansion that stands as a word of its own as nothing glues
      // the next word to what came before: `Bearer $TOKEN" https://host/` read the URL as the
      // header's credential, and a rewritten `$secret:` command lost its URL to [REDACTED:secret].)
      for (const h of found)
        if (!text.includes(h.value) && !out.some((o) => o.value === h.value)) out.push(h);
    }
    return out;
  },
  // (Exact for scan above: it finds only at anchor hits, and runs secretlint only where a literal
  // of SECRETLINT_PREFILTER occurs; test/rules/state-fix-batch.test.ts compares.)
  mayContainSecretEach: (texts) => mayContainSecretEach(texts),
};

/**
 * Bulk scans' prefilter for many small texts (pre-push's commit messages): false for a text means
 * neither engine can find anything in it (detect.ts mayHoldEach: one automaton pass over them
 * all, instead of the hook prefilter text by text). Managed values are the caller's to check.
 */
export async function mayContainSecretEach(texts: readonly string[]): Promise<boolean[]> {
  return (await loadDetect()).mayHoldEach(texts);
}

/** Loads hookpack's engine and builds its automaton now (bulk scans, while git starts up). */
export async function warmUpDetect(): Promise<void> {
  (await loadDetect()).warmUp();
}

/** secretlint's preset over `text` (whole, or in windows around its literals when large). */
export async function lintSecretlint(text: string, filePath: string): Promise<Finding[]> {
  {
    if (text.length <= WINDOWED_ABOVE) return (await loadEngine()).lint(text, filePath);
    // (lintWindows is the prefilter pass for a large text: no hit, no window, nothing to load.)
    const windows = lintWindows(text);
    if (windows.length === 0) return [];
    const { lint } = await loadEngine();
    // A large text (a bundled library, a long log) with a few hits: lint only around them. The
    // cost then follows the hits, not the size (a 3 MB minified file with one hit: ~30 KB linted).
    const out: Finding[] = [];
    let line = 1;
    let lineStart = 0;
    let counted = 0;
    for (const [start, end] of windows) {
      for (
        let i = text.indexOf("\n", counted);
        i !== -1 && i < start;
        i = text.indexOf("\n", i + 1)
      ) {
        line++;
        lineStart = i + 1;
      }
      counted = start;
      const column0 = start - lineStart;
      for (const f of await lint(text.slice(start, end), filePath)) {
        out.push({
          ...f,
          start: f.start + start,
          end: f.end + start,
          line: f.line + line - 1,
          column: f.line === 1 ? f.column + column0 : f.column,
        });
      }
    }
    return out;
  }
}

/**
 * A rule record's label and suggested name by id. Available once the engine has loaded, which
 * every hookpack finding implies (its records are not on the hook's hot path).
 */
export function ruleMeta(id: string): { label: string; secretName: string } | undefined {
  return shared[DETECT_LOADED]?.ruleById(id);
}

/** Human label for a finding, e.g. "GitHub personal access token (classic)". Never includes the value. */
export function describeFinding(f: Finding): string {
  return (
    f.label ??
    ruleMeta(f.ruleId)?.label ??
    LABELS[f.messageId] ??
    LABELS[f.ruleId] ??
    `${f.ruleId} secret`
  );
}

/** A reference name to suggest for a detected secret, e.g. GITHUB_TOKEN. */
export function suggestName(f: Finding): string {
  return (
    f.secretName ??
    ruleMeta(f.ruleId)?.secretName ??
    NAMES[f.ruleId] ??
    `${f.ruleId.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_TOKEN`
  );
}

/** Whether a finding may be the reason a tool call is denied (weak findings only redact and warn). */
export const deniable = (f: Finding): boolean => f.confidence !== "weak";

const LABELS: Record<string, string> = {
  GITHUB_TOKEN: "GitHub token",
  github: "GitHub token",
  AWSAccessKeyID: "AWS access key id",
  AWSSecretAccessKey: "AWS secret access key",
  aws: "AWS credential",
  privatekey: "private key",
  npm: "npm token",
  slack: "Slack token",
  openai: "OpenAI API key",
  anthropic: "Anthropic API key",
  gitlab: "GitLab token",
  stripe: "Stripe key",
  basicauth: "password in a URL",
  "database-connection-string": "database connection string with a password",
  gcp: "GCP service-account key",
};

const NAMES: Record<string, string> = {
  github: "GITHUB_TOKEN",
  aws: "AWS_SECRET_ACCESS_KEY",
  privatekey: "PRIVATE_KEY",
  npm: "NPM_TOKEN",
  slack: "SLACK_TOKEN",
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  gitlab: "GITLAB_TOKEN",
  stripe: "STRIPE_SECRET_KEY",
  basicauth: "URL_PASSWORD",
  "database-connection-string": "DATABASE_URL",
  gcp: "GCP_CREDENTIALS",
  huggingface: "HF_TOKEN",
  sendgrid: "SENDGRID_API_KEY",
};
