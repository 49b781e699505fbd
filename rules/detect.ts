// hookpack's own detection engine: the rule records of rules/detectors/, compiled once per process.
// Built as its own bundle (dist/detect-engine.cjs) and loaded only after the hook prefilter hits,
// or by bulk scans. Pipeline per text:
//   1. anchors: every rule anchor (case-sensitive prefixes, case-insensitive keywords) located by
//      indexOf for small texts or one Aho-Corasick automaton for large ones;
//   2. confirm: each hit runs only its rules' regexes, in a window around the hit;
//   3. grade: stopwords, validator (checksum/structure), placeholder tests on the random part,
//      entropy floor → confirmed / likely / weak, or dropped;
//   4. overlaps resolve to the strongest finding; spans are the secret itself.
import { RULES } from "./detectors/index.js";
import { placeholderReason, readsAsWords, shannon } from "./detectors/placeholders.js";
import type { Confidence, DetectorRule, Part } from "./detectors/types.js";
import type { Finding } from "./finding.js";
import { validate } from "./detectors/validators.js";
import { ASSIGN } from "./detectors/define.js";
import { SECRETLINT_LITERALS } from "./detectors/prefilter.generated.js";
import { SECRETLINT_PREFILTER_PARTS } from "./secretlint-prefilter.js";
import { positionLocator } from "../core/text-position.js";
import { section, sleb, str, uleb, vec } from "../core/wasm-encode.js";

export interface Detection {
  rule: DetectorRule;
  start: number;
  end: number;
  confidence: Confidence;
}

interface Anchor {
  text: string;
  /** Lower-cased when matched case-insensitively. */
  ci: boolean;
  rules: number[];
  /** Also a literal of secretlint's prefilter (bulk scans learn from the same pass whether it can match). */
  sl?: true;
}

const ANCHORS: Anchor[] = [];
{
  const byKey = new Map<string, Anchor>();
  RULES.forEach((r, i) => {
    const ci = r.kind === "context" || r.kind === "generic" || r.ignoreCase === true;
    for (const a of r.anchors) {
      const text = ci ? a.toLowerCase() : a;
      const key = `${ci ? "i" : "s"}:${text}`;
      let anchor = byKey.get(key);
      if (!anchor) byKey.set(key, (anchor = { text, ci, rules: [] }));
      if (!anchor.rules.includes(i)) anchor.rules.push(i);
    }
  });
  for (const [text, ci] of SECRETLINT_LITERALS ?? []) {
    const key = `${ci ? "i" : "s"}:${text}`;
    let anchor = byKey.get(key);
    if (!anchor) byKey.set(key, (anchor = { text, ci, rules: [] }));
    anchor.sl = true;
  }
  ANCHORS.push(...byKey.values());
}

const compiled: Array<RegExp | undefined> = [];
function regexOf(i: number): RegExp {
  let re = compiled[i];
  if (!re) {
    const r = RULES[i]!;
    re = compiled[i] = new RegExp(r.regex, `gd${r.ignoreCase ? "i" : ""}`);
  }
  return re;
}

// ---- glued tokens ----------------------------------------------------------------------------
//
// A token record's regex refuses a match that touches word characters (`(?<![…])…(?![…])`), so a
// token printed as `${TOKEN}x` or `x${TOKEN}` was no token to it, and the model reads the value
// with one letter to strip. For the formats below the edges are not what tells a token from an
// identifier, so a second regex without the look-arounds runs in the same windows, and its match
// counts only when it grades `confirmed` (validator passed, body no placeholder, entropy floor):
//   - a CRC32 or Bech32 checksum (GitHub classic, npm, GitLab routable, Grafana service account,
//     Atlassian, age): a random text passes it with odds of 62^-6 or less, so a glued match is as
//     sure as a bounded one;
//   - a long specific prefix and a fixed structure (GitHub fine-grained `github_pat_` 22 `_` 59,
//     Anthropic `sk-ant-api03-` … `AA`, OpenAI's `T3BlbkFJ` marker): an identifier of that shape
//     and entropy is not written by hand;
//   - AWS key ids (`AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 of `A-Z2-7`, no check): an upper-case constant
//     such as `ASIAPACIFICREGIONSETTINGS` has the shape once glued, so the glued match also needs
//     a body that does not read as words (a digit in it; ~3.6 % of real ids have none: those stay
//     bounded-only).
// Formats without a check are in GLUED_RULES below when their structure alone tells a token from
// an identifier; the rest keep their boundaries.
const GLUED: Partial<Record<NonNullable<DetectorRule["validator"]>, "checked" | "not-words">> = {
  "github-crc32": "checked",
  "npm-crc32": "checked",
  "gitlab-routable-crc32": "checked",
  "grafana-sa-crc32": "checked",
  "atlassian-crc32": "checked",
  bech32: "checked",
  "github-fine-grained": "checked",
  "anthropic-trailer": "checked",
  "openai-marker": "checked",
  "aws-key-id": "not-words",
};
// Formats without a check whose structure still tells a token from an identifier, by record id.
// A glued match counts when it grades at all (no stopword, no placeholder, entropy floor), with the
// confidence the bounded match would have, and its body does not read as words (readsAsWords):
//   - "grouped": the prefix is followed by dash-separated numeric id groups and a fixed-length or
//     long tail (Slack `xoxb-` 10-13 digits `-` 10-13 digits `-` 24; `xoxp-`/`xoxc-` three digit
//     groups and 32/64 hex; `xapp-` four groups; `xoxe` 140+ characters): no identifier has digit
//     groups between dashes after `xoxb-`, so the body is only checked not to read as words;
//   - "mixed": a long specific prefix and a long random run (Stripe `sk_live_`/`rk_live_`/
//     `sk_test_`/`rk_test_` + 24-247 base62, `whsec_` + 32-64; hex runs of 40-64 behind
//     `dop_v1_`, `sntryu_`, `sk-or-v1-`, or several fixed segments: SendGrid `SG.`22`.`43, Brevo
//     `xkeysib-`64`-`16, Postman `PMAK-`24`-`34, Dynatrace `dt0c01.`24`.`64, Sourcegraph `sgp_`16`_`40,
//     CircleCI `CCIPAT_`22`_`40, LangSmith `lsv2_`..`_`32`_`10): the body must also hold every
//     character kind (digit, upper, lower) its class allows, as a random run of that length does
//     (base62 × 24: ~1.5 % of real keys miss a digit), and not be a camelCase name (wordy:
//     `abcsk_live_ThisIsAVeryLongCamelCaseName1` is no key; ~0.3 % of base62 × 24 runs look like
//     one). A key that fails these tests (~2 % at 24 characters, far fewer when longer) stays
//     bounded-only, as before.
// Left out: Slack legacy `xox[aors]-` (its tail allows `-`, so kebab-case text fits), and formats
// with a short or common prefix (`hf_`, `gsk_`, `SK` + 32 hex, `secret_`, `cio`, `oy2`, `AIza`
// …: a glued `…sk` + hex or `…secret_` + 43 characters is an identifier as often as a key).
const GLUED_RULES: Record<string, "grouped" | "mixed"> = {
  "slack-bot-token": "grouped",
  "slack-user-token": "grouped",
  "slack-session-token": "grouped",
  "slack-app-token": "grouped",
  "slack-config-token": "grouped",
  "slack-config-refresh-token": "grouped",
  "stripe-secret-key-live": "mixed",
  "stripe-restricted-key-live": "mixed",
  "stripe-secret-key-test": "mixed",
  "stripe-restricted-key-test": "mixed",
  "stripe-webhook-secret": "mixed",
  "sendgrid-api-token": "mixed",
  "sendinblue-api-token": "mixed",
  "postman-api-token": "mixed",
  "digitalocean-pat": "mixed",
  "digitalocean-oauth-token": "mixed",
  "digitalocean-refresh-token": "mixed",
  "sentry-user-token": "mixed",
  "openrouter-api-key": "mixed",
  "dynatrace-api-token": "mixed",
  "sourcegraph-access-token": "mixed",
  "circleci-pat": "mixed",
  "langsmith-api-key": "mixed",
};
/**
 * Whether `body` reads as a camelCase or lower-case name: mostly `[A-Z]?[a-z]{3,}` runs, with the
 * vowels of words (≥ 30 % of its letters; a random base62 run has ~19 %). A uniform base62 run of
 * 24 passes as a name with odds of ~0.3 %, of 32 ~0.1 %, of 99 none in 200,000 draws.
 */
function wordy(body: string): boolean {
  let n = 0;
  for (const w of body.match(/[A-Z]?[a-z]{3,}/g) ?? []) n += w.length;
  if (n * 2 <= body.length) return false;
  const letters = body.replace(/[^A-Za-z]/g, "").length;
  return (body.match(/[aeiouAEIOU]/g)?.length ?? 0) * 10 >= letters * 3;
}
/** Whether `body` holds a digit, an upper- and a lower-case letter where the rule's class allows. */
function allKinds(r: DetectorRule, body: string): boolean {
  const cls = r.body.cls;
  if (cls.includes("0-9") && !/[0-9]/.test(body)) return false;
  if (cls.includes("A-Z") && !/[A-Z]/.test(body)) return false;
  if (/a-[fz]/.test(cls) && !/[a-z]/.test(body)) return false;
  return true;
}
const LOOK_BEHIND = /^\(\?<!\[(?:\\.|[^\]\\])*\]\)/;
const LOOK_AHEAD = /\(\?!\[(?:\\.|[^\]\\])*\]\)$/;
const gluedCompiled: Array<RegExp | null | undefined> = [];
/** The record's regex without its edge look-arounds, for the formats in GLUED; else null. */
function gluedOf(i: number): RegExp | null {
  let re = gluedCompiled[i];
  if (re === undefined) {
    const r = RULES[i]!;
    let src: string | undefined;
    if (r.kind === "prefix" && ((r.validator && GLUED[r.validator]) || GLUED_RULES[r.id])) {
      const bare = r.regex.replace(LOOK_BEHIND, "").replace(LOOK_AHEAD, "");
      if (bare !== r.regex && !/\(\?<?[!=]/.test(bare)) src = bare;
    }
    re = gluedCompiled[i] =
      src === undefined ? null : new RegExp(src, `gd${r.ignoreCase ? "i" : ""}`);
  }
  return re;
}

/**
 * The confidence a match of the glued regex is reported with, or undefined when it does not count:
 * per GLUED it grades confirmed (and, for "not-words", the body is no words); per GLUED_RULES it
 * grades at all and its body reads as a random run.
 */
function gluedGrade(r: DetectorRule, secret: string, body: string): Confidence | undefined {
  const mode = GLUED_RULES[r.id];
  if (mode !== undefined) {
    // The cheap tests first: in text dense with a prefix, most glued matches are names.
    if (mode === "mixed" && (!allKinds(r, body) || wordy(body))) return undefined;
    if (readsAsWords(body)) return undefined;
    return grade(r, secret, body);
  }
  if (grade(r, secret, body) !== "confirmed") return undefined;
  return GLUED[r.validator!] === "not-words" && readsAsWords(body) ? undefined : "confirmed";
}

// ---- anchor location -------------------------------------------------------------------------

// ---- the automaton's loop in WebAssembly ----------------------------------------------------------
//
// The automaton costs one dependent table read per character; in JavaScript that loop runs at a
// few hundred MB/s, most of the engine's time on clean text. The same loop as a 60-byte
// WebAssembly function runs several times faster. The module is assembled here from its opcodes
// (no file, no dependency); where WebAssembly is unavailable the JavaScript loop runs.
//
// Memory: [TEXT: CHUNK UTF-16 units][OUT: CHUNK × (state, end) u32 pairs][STATE: u32]
//         [CLS: 65,536 bytes, symbol per UTF-16 unit][TABLE: states << shift u16].
const CHUNK = 1 << 16;
const TEXT = 0;
const OUT = TEXT + CHUNK * 2;
const STATE = OUT + CHUNK * 8;
const CLS = STATE + 64;
const TABLE = CLS + 65536;

/** scan(len, state, firstTerm, shift) → hits; the final state at STATE. */
function automatonModule(pages: number): Uint8Array {
  const I32 = 0x7f;
  // params: 0 len, 1 s, 2 firstTerm, 3 shift; locals: 4 i, 5 n
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const c = (n: number) => [0x41, ...sleb(n)];
  const code = [
    ...[0x02, 0x40], // block
    ...[0x03, 0x40], // loop
    ...get(4),
    ...get(0),
    0x4f,
    0x0d,
    1, // i >= len → break
    // s = table[(s << shift) | cls[text[i]]]
    ...get(1),
    ...get(3),
    0x74,
    ...get(4),
    ...c(1),
    0x74,
    0x2f,
    1,
    ...uleb(TEXT), // load16_u text[i]
    0x2d,
    0,
    ...uleb(CLS), // load8_u cls[c]
    0x72,
    ...c(1),
    0x74,
    0x2f,
    1,
    ...uleb(TABLE),
    ...set(1),
    ...get(4),
    ...c(1),
    0x6a,
    ...set(4), // i++
    ...get(1),
    ...get(2),
    0x4f, // s >= firstTerm
    0x04,
    0x40, // if
    ...get(5),
    ...c(3),
    0x74,
    ...get(1),
    0x36,
    2,
    ...uleb(OUT),
    ...get(5),
    ...c(3),
    0x74,
    ...get(4),
    0x36,
    2,
    ...uleb(OUT + 4),
    ...get(5),
    ...c(1),
    0x6a,
    ...set(5),
    0x0b, // end if
    0x0c,
    0, // br loop
    0x0b, // end loop
    0x0b, // end block
    ...c(STATE),
    ...get(1),
    0x36,
    2,
    0,
    ...get(5),
    0x0b,
  ];
  const body = [...vec([[2, I32]]), ...code];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(
      7,
      vec([
        [...str("scan"), 0x00, 0],
        [...str("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/**
 * Case-folded Aho-Corasick automaton over all anchors. Its alphabet is the folded ASCII characters
 * that occur in some anchor, one class each; every other character (and all non-ASCII) is class 0,
 * which leads back to the root like any character no anchor holds. The table is 16-bit and small
 * enough to stay in cache (≈ 180 KB for ~2,000 states × ~46 classes, against 1 MB for a full
 * 128-column Int32 table), and states are numbered so that every state with an output comes last:
 * the hot loop is one class lookup, one table read and one compare per character.
 */
class AnchorAutomaton {
  private readonly delta: Uint16Array;
  private readonly cls: Uint8Array;
  private readonly shift: number;
  /** States numbered from here on have outputs. */
  private readonly firstTerm: number;
  private readonly out: Array<number[]>;

  constructor(anchors: readonly Anchor[], wasm = true) {
    const cls = new Uint8Array(128);
    let width = 1;
    const fold = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);
    for (const a of anchors)
      for (let k = 0; k < a.text.length; k++) {
        const c = fold(a.text.charCodeAt(k));
        if (c < 128 && cls[c] === 0) cls[c] = width++;
      }
    for (let c = 65; c <= 90; c++) cls[c] = cls[c + 32]!;
    const symbol = (c: number) => (c < 128 ? cls[c]! : 0);
    // Built with as few JavaScript steps as possible: it runs once per bulk run, while V8 still
    // interprets it (a loop over every state × symbol cost 15-30 ms cold). The trie keeps its
    // edges as child lists; failure links follow the classic goto/fail walk; each row of the final
    // table is a native copy of its failure state's row with the state's own edges written over.
    const W = width;
    // Rows padded to a power of two: the next row is a shift, not a multiplication, away.
    const shift = 32 - Math.clz32(W - 1);
    const stride = 1 << shift;
    let cap = 1;
    for (const a of anchors) cap += a.text.length;
    const trie = new Int32Array(cap << shift).fill(-1);
    const sym = new Int32Array(cap);
    const firstChild = new Int32Array(cap).fill(-1);
    const sibling = new Int32Array(cap).fill(-1);
    const out: number[][] = [[]];
    let n = 1;
    anchors.forEach((a, id) => {
      let s = 0;
      for (let k = 0; k < a.text.length; k++) {
        const c = symbol(a.text.charCodeAt(k));
        const at = (s << shift) | c;
        let next = trie[at]!;
        if (next === -1) {
          next = n++;
          out.push([]);
          trie[at] = next;
          sym[next] = c;
          sibling[next] = firstChild[s]!;
          firstChild[s] = next;
        }
        s = next;
      }
      out[s]!.push(id);
    });
    if (n > 65535) throw new Error("hookpack: too many anchor states for the 16-bit automaton");
    // Breadth first: a state's failure state is shallower, so complete before it.
    const fail = new Int32Array(n);
    const queue = new Int32Array(n);
    let tail = 0;
    for (let t = firstChild[0]!; t !== -1; t = sibling[t]!) queue[tail++] = t;
    for (let qi = 0; qi < tail; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      if (out[f]!.length > 0) out[s] = out[s]!.concat(out[f]!);
      for (let t = firstChild[s]!; t !== -1; t = sibling[t]!) {
        const c = sym[t]!;
        let g = f;
        while (g !== 0 && trie[(g << shift) | c] === -1) g = fail[g]!;
        const to = trie[(g << shift) | c]!;
        fail[t] = s === 0 || to === -1 ? 0 : to;
        queue[tail++] = t;
      }
    }
    // Renumber: the root stays 0, states without outputs next, states with outputs last.
    const order: number[] = [];
    for (let s = 0; s < n; s++) if (out[s]!.length === 0) order.push(s);
    const firstTerm = order.length;
    for (let s = 0; s < n; s++) if (out[s]!.length > 0) order.push(s);
    const rank = new Int32Array(n);
    order.forEach((s, i) => (rank[s] = i));
    const table = new Uint16Array(n << shift);
    for (let t = firstChild[0]!; t !== -1; t = sibling[t]!) table[sym[t]!] = rank[t]!;
    for (let qi = 0; qi < tail; qi++) {
      const s = queue[qi]!;
      const row = rank[s]! << shift;
      const from = rank[fail[s]!]! << shift;
      table.copyWithin(row, from, from + stride);
      for (let t = firstChild[s]!; t !== -1; t = sibling[t]!) table[row | sym[t]!] = rank[t]!;
    }
    this.delta = table;
    this.cls = cls;
    this.shift = shift;
    this.firstTerm = firstTerm;
    this.out = order.map((s) => out[s]!);
    this.wasm = wasm ? this.assemble(cls, table) : undefined;
  }

  wasm:
    | {
        scan: (len: number, s: number, firstTerm: number, shift: number) => number;
        mem: Buffer;
        u32: Uint32Array;
      }
    | undefined;

  private assemble(cls: Uint8Array, table: Uint16Array) {
    try {
      const pages = Math.ceil((TABLE + table.byteLength) / 65536);
      const bytes = automatonModule(pages);
      const instance = new WebAssembly.Instance(
        new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>),
      );
      const memory = instance.exports.memory as WebAssembly.Memory;
      const mem = Buffer.from(memory.buffer);
      mem.set(cls, CLS);
      mem.set(new Uint8Array(table.buffer, table.byteOffset, table.byteLength), TABLE);
      const scan = instance.exports.scan as (a: number, b: number, c: number, d: number) => number;
      return { scan, mem, u32: new Uint32Array(memory.buffer) };
    } catch {
      return undefined;
    }
  }

  /**
   * Every anchor occurrence in `text`, in text order of their ends: pairs (anchor id, end) pushed
   * onto `hits`. Case-sensitive anchors are reported case-folded; the caller checks their case.
   */
  scan(text: string, hits: number[]): void {
    if (this.wasm) return this.scanWasm(text, hits);
    const { delta, cls, shift, firstTerm, out } = this;
    const n = text.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      s = delta[(s << shift) | (c < 128 ? cls[c]! : 0)]!;
      if (s >= firstTerm) for (const id of out[s]!) hits.push(id, i + 1);
    }
  }

  private scanWasm(text: string, hits: number[]): void {
    const { scan, mem, u32 } = this.wasm!;
    const { firstTerm, shift, out } = this;
    const n = text.length;
    let s = 0;
    for (let base = 0; base < n; base += CHUNK) {
      const len = Math.min(CHUNK, n - base);
      mem.write(len === n ? text : text.slice(base, base + len), TEXT, len * 2, "utf16le");
      const count = scan(len, s, firstTerm, shift);
      s = u32[STATE >> 2]!;
      for (let k = 0, o = OUT >> 2; k < count; k++, o += 2) {
        const end = base + u32[o + 1]!;
        for (const id of out[u32[o]!]!) hits.push(id, end);
      }
    }
  }
}

let automaton: AnchorAutomaton | undefined;
/** Builds the automaton now (bulk scans call this once up front). */
export function warmUp(): void {
  automaton ??= new AnchorAutomaton(ANCHORS);
}

/** Texts at least this long use the automaton; shorter ones one indexOf per anchor. */
const AUTOMATON_ABOVE = 32 * 1024;

/** Reused hit buffer: (anchor id, start) pairs. */
const HITS: number[] = [];

/** Every anchor occurrence in `text` as (anchor id, start) pairs, case checked. */
function locate(text: string): number[] {
  const hits = HITS;
  hits.length = 0;
  if (text.length >= AUTOMATON_ABOVE || automaton) {
    warmUp();
    automaton!.scan(text, hits);
    // Pairs come as (id, end): turn ends into starts and drop case-sensitive anchors whose case
    // does not match, compacting in place.
    let w = 0;
    for (let k = 0; k < hits.length; k += 2) {
      const a = ANCHORS[hits[k]!]!;
      const start = hits[k + 1]! - a.text.length;
      if (a.ci || text.startsWith(a.text, start)) {
        hits[w++] = hits[k]!;
        hits[w++] = start;
      }
    }
    hits.length = w;
    return hits;
  }
  let lower: string | undefined;
  ANCHORS.forEach((a, id) => {
    // (Literals only secretlint needs are left to its own prefilter on small texts.)
    if (a.rules.length === 0) return;
    const hay = a.ci ? (lower ??= text.toLowerCase()) : text;
    for (let p = hay.indexOf(a.text); p !== -1; p = hay.indexOf(a.text, p + 1)) hits.push(id, p);
  });
  return hits;
}

/**
 * For many small texts at once (pre-push's commit and tag messages): whether each could hold a
 * finding of either engine. A text is false only when no anchor of hookpack's records and no
 * literal of secretlint's prefilter occurs in it: detect() confirms only at anchor hits, and every
 * match of SECRETLINT_PREFILTER (which gates secretlint) starts at one of its literals' hits. One
 * automaton pass over the texts joined by LF replaces the hook prefilter per text; a hit that
 * straddles two texts marks both. Undecidable here (true): texts with terminal escapes (detect
 * blanks them first), every text when the literal list is missing. Managed values are the
 * caller's to check.
 */
export function mayHoldEach(texts: readonly string[]): boolean[] {
  const out = texts.map(() => !SECRETLINT_LITERALS);
  if (!SECRETLINT_LITERALS || texts.length === 0) return out;
  warmUp();
  const joined = texts.join("\n");
  const starts: number[] = [];
  let at = 0;
  for (const [i, t] of texts.entries()) {
    starts.push(at);
    at += t.length + 1;
    if (t.includes("\u001b")) out[i] = true;
  }
  const hits = locate(joined);
  // Hits come in text order of their ends; a text is found by binary search on its start.
  const textAt = (pos: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (let k = 0; k < hits.length; k += 2) {
    const start = hits[k + 1]!;
    const last = start + ANCHORS[hits[k]!]!.text.length - 1;
    for (let i = textAt(start), j = textAt(last); i <= j; i++) out[i] = true;
  }
  return out;
}

/** What one detection pass learnt on the side, for the caller (rules/secretlint.ts). */
export interface DetectHint {
  /**
   * Whether secretlint's prefilter matches the text, in its confirm form (SECRETLINT_CONFIRM_PARTS:
   * true implies rules/secretlint.ts SECRETLINT_PREFILTER matches; false, that the preset finds
   * nothing), decided from the automaton's hits of its literals; undefined when not decided here (small
   * texts located with indexOf, terminal escapes in the text): then the caller runs it.
   */
  secretlint?: boolean;
}

/**
 * SECRETLINT_PREFILTER_PARTS as bulk scans confirm them at a literal's hit (the `secretlint` hint
 * below): the same parts, two of them written whole, as the preset's only rule for each matches:
 *   - the AWS key id, `\b(A3T[A-Z0-9]|AKIA|…)[A-Z0-9]{16}\b` (AWSAccessKeyID): with its 16-character
 *     body. (AWSAccountID, the AWS rule's only other pattern without a literal of its own, is dropped
 *     by our config, rules/secretlint-engine.ts.) A bare `AIDA` or `ANVA` is common in minified
 *     code (413 in one 1.8 MB prettier plugin);
 *   - the npm token, `(?<!\p{L})npm_[A-Za-z0-9_]{36}(?![A-Za-z0-9_])`: with its right edge (prettier's
 *     TypeScript plugin holds identifiers like `…_npm_i_save_dev_types_Slash…`, longer than 36).
 * Each such hit sent the whole file through secretlint's preset. Every match of those rules holds a
 * match of its whole part, so where none occurs the preset finds nothing. (Here, not in
 * rules/secretlint-prefilter.ts: the hook bundles import that file, and the hook's prefilter keeps
 * the short parts: its confirmation looks at a bounded number of hits per literal.)
 */
const CONFIRM_WHOLE: Readonly<Record<string, string>> = {
  "A(?:3T[A-Z0-9]|KIA|GPA|IDA|ROA|IPA|NPA|NVA|SIA)": "[A-Z0-9]{16}",
  "npm_[A-Za-z0-9_]{36}": "(?![A-Za-z0-9_])",
};
export const SECRETLINT_CONFIRM_PARTS: readonly string[] = SECRETLINT_PREFILTER_PARTS.map(
  (p) => p + (CONFIRM_WHOLE[p] ?? ""),
);

/**
 * SECRETLINT_CONFIRM_PARTS, sticky: secretlint's prefilter with its AWS key-id part written whole
 * (rules/secretlint-prefilter.ts), so a bare `AIDA` in minified code no longer sends a file through
 * the preset. Every match of one of its alternatives starts with one of that alternative's literal
 * spellings (SECRETLINT_LITERALS, generated), so it matches somewhere exactly when it matches at
 * one of their hits; where it does not, the preset (as configured) finds nothing.
 */
let SL_STICKY: RegExp | undefined;

// ---- confirmation and grading ------------------------------------------------------------------

function grade(r: DetectorRule, secret: string, body: string): Confidence | undefined {
  if (r.stopwords?.some((w) => secret.toLowerCase().includes(w.toLowerCase()))) return undefined;
  const structural = r.validator === "pem" || r.validator === "pkcs12";
  const placeholder = structural ? undefined : placeholderReason(body);
  const lowEntropy = !structural && r.entropyMin !== undefined && shannon(body) < r.entropyMin;
  if (r.validator) {
    const ok = validate(r.validator, secret);
    if (ok === true) return placeholder || lowEntropy ? "weak" : "confirmed";
    if (ok === false)
      return r.onInvalid === "drop" || placeholder || lowEntropy ? undefined : "weak";
  }
  if (placeholder || lowEntropy) return undefined;
  if (r.kind === "generic" && readsAsWords(body)) return undefined;
  return r.confidence ?? (r.kind === "generic" ? "weak" : "likely");
}

/** CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks). */
const ANSI_SEQUENCE = new RegExp(
  // eslint-disable-next-line no-control-regex -- ESC and BEL are what the pattern is about
  "\u001b\\[[0-?]*[ -/]*[@-~]|\u001b\\][^\u0007\u001b]*(?:\u0007|\u001b\\\\)",
  "g",
);

const RANK: Record<Confidence, number> = { confirmed: 3, likely: 2, weak: 1 };

/** Index of each record in RULES: the last tie-break between equal findings. */
const RULE_INDEX = new Map<DetectorRule, number>(RULES.map((r, i) => [r, i]));

/** Overlaps resolve to the strongest finding (confidence, then provider over generic, then the
 * longer span, then the earlier start, then the earlier record); the result is sorted by start. */
function resolve(found: Detection[]): Detection[] {
  const score = (d: Detection) =>
    RANK[d.confidence] * 4 +
    (d.rule.kind === "generic" ? 0 : 2) +
    (d.rule.kind === "prefix" ? 1 : 0);
  found.sort(
    (a, b) =>
      score(b) - score(a) ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start ||
      RULE_INDEX.get(a.rule)! - RULE_INDEX.get(b.rule)!,
  );
  const kept: Detection[] = [];
  for (const d of found) if (!kept.some((k) => d.start < k.end && k.start < d.end)) kept.push(d);
  return kept.sort((a, b) => a.start - b.start);
}

// ---- the necessary check at a hit ----------------------------------------------------------------
//
// Most anchor hits in source text lead nowhere: `token` without an assignment after it, `ABIA` in
// a base64 blob without 16 key characters after it, `://` in a URL with no `user:` after it. A
// record may carry a sticky regex that every match anchored at the hit must satisfy there (on the
// whole text, so no window edge is involved); a hit that fails it opens no window. Only where the
// pruning provably leaves the findings unchanged (test/rules/detect-equivalence.test.ts checks it
// against detectReference):
//   - every match of the record starts at (or, for `://`, contains at a fixed place) one of its
//     anchor hits, so a hit that fails the check cannot start a match in any window;
//   - the check is a prefix of the record's regex without look-arounds or edge assertions, so a
//     match in a window (a slice of the text) implies the check on the whole text;
//   - a match anchored at a kept hit fits in that hit's own window with its look-ahead character,
//     so whether a dropped hit's window bridged two kept ones changes nothing.

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
const quantOf = (p: Exclude<Part, string>) =>
  p.max === undefined || p.max === p.min ? `{${p.min}}` : `{${p.min},${p.max}}`;
/** Look-arounds and edge assertions: a check holding one cannot be judged away from a window. */
const EDGE = /\\[bB]|\(\?<?[!=]|(?<![[\\])\^|(?<!\\)\$/;
/** The assignment operator of define.ts keyed rules (at most 14 characters). */
const ASSIGN_MAX = 14;

function checkSource(r: DetectorRule): string | undefined {
  const minAnchor = Math.min(...r.anchors.map((a) => a.length));
  if (r.kind === "prefix" && (r.back ?? 0) === 0 && r.shape && typeof r.shape[0] === "string") {
    // A token record (define.ts token()): `(?<![…])(?<secret>PARTS)(?![…])`, anchored on its
    // first literal (or that literal plus each spelling of a one-character class after it).
    const parts = r.shape;
    const first = parts[0] as string;
    const fold = (s: string) => (r.ignoreCase ? s.toLowerCase() : s);
    // Every match must start at a hit: the record anchors on the first literal itself, or on that
    // literal followed by each character of a fixed one-character class after it.
    const next = parts[1];
    const spelled =
      next !== undefined &&
      typeof next !== "string" &&
      next.random === false &&
      next.min === 1 &&
      (next.max ?? 1) === 1 &&
      /^[A-Za-z0-9]{1,4}$/.test(next.cls) &&
      [...next.cls].every((c) => r.anchors.some((a) => fold(a) === fold(first + c)));
    if (!spelled && !r.anchors.some((a) => fold(a) === fold(first))) return undefined;
    let bodyIdx = -1;
    parts.forEach((p, i) => {
      if (
        typeof p !== "string" &&
        p.random !== false &&
        (bodyIdx === -1 ||
          (p.max ?? p.min) >
            ((parts[bodyIdx] as Exclude<Part, string>).max ??
              (parts[bodyIdx] as Exclude<Part, string>).min))
      )
        bodyIdx = i;
    });
    const src = parts
      .map((p, i) =>
        typeof p === "string"
          ? escapeRe(p)
          : i === bodyIdx
            ? `(?<body>[${p.cls}]${quantOf(p)})`
            : `[${p.cls}]${quantOf(p)}`,
      )
      .join("");
    if (!r.regex.includes(`(?<secret>${src})`)) return undefined;
    // The parts up to the first long random run, that run cut to 16 (define.ts's prefilter shape).
    let check = "";
    for (const p of parts) {
      if (typeof p === "string") check += escapeRe(p);
      else if (p.min >= 8) {
        check += `[${p.cls}]{${Math.min(p.min, 16)}}`;
        break;
      } else check += `[${p.cls}]${quantOf(p)}`;
    }
    return check;
  }
  if (r.kind === "context" || r.kind === "generic") {
    // A keyed record (define.ts keyed()): `(?:KEYWORDS)TAIL ASSIGN (?<secret>…{min,max})(?![…])`.
    const head =
      /^\(\?:((?:[a-z0-9_]|\\-)+(?:\|(?:[a-z0-9_]|\\-)+)*)\)\[[^\]]*\]\{0,(\d+)\}\??/.exec(r.regex);
    // The value's quantifier and the look-ahead that ends the regex.
    const tailLook = /\{\d+(?:,(\d+))?\}\)\)(\(\?!\[[^\]]*\]\))$/.exec(r.regex);
    if (!head || !tailLook) return undefined;
    const keywords = head[1]!.split("|").map((k) => k.replace(/\\-/g, "-"));
    const anchors = r.anchors.map((a) => a.toLowerCase());
    if (keywords.length !== anchors.length || !keywords.every((k) => anchors.includes(k)))
      return undefined;
    const check = r.regex.slice(0, r.regex.length - tailLook[2]!.length);
    if (EDGE.test(check.replace(/\[(?:\\.|[^\]\\])*\]/g, "[]"))) return undefined;
    const valueMax = Number(tailLook[1] ?? /\{(\d+)\}\)\)\(\?!/.exec(r.regex)?.[1]);
    const longest = Math.max(...keywords.map((k) => k.length));
    if (
      !(valueMax > 0) ||
      longest + Number(head[2]) + ASSIGN_MAX + valueMax + 1 >= minAnchor + r.maxLen ||
      !check.includes(ASSIGN)
    )
      return undefined;
    return check;
  }
  // A URL with credentials: the scheme may start up to 21 characters before `://`, the user and
  // its `:` must follow it.
  const NOT_URL = String.raw`[^\s:@/?#'"<>{}$\\\[\]]`;
  if (
    r.kind === "structure" &&
    r.anchors.length === 1 &&
    r.anchors[0] === "://" &&
    r.regex ===
      String.raw`(?<![A-Za-z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{1,20}://(?<user>${NOT_URL}{1,64}):(?<secret>(?<body>${NOT_URL}{6,128}))@[a-zA-Z0-9.-]{1,253}` &&
    (r.back ?? 0) >= 24 &&
    21 + 3 + 64 + 1 + 128 + 1 + 253 + 1 < 3 + r.maxLen
  )
    return String.raw`:\/\/[^\s:@/?#'"<>{}$\\\[\]]{1,64}:`;
  return undefined;
}

/**
 * Per record: its sticky check, or null when every hit opens a window. Built per record on its
 * first hit (compiling all of them up front cost ~10 ms of every bulk run; a run meets a few).
 */
const CHECKS: Array<RegExp | null | undefined> = [];
function checkOf(ri: number): RegExp | null {
  let re = CHECKS[ri];
  if (re === undefined) {
    const r = RULES[ri]!;
    const src = checkSource(r);
    re = CHECKS[ri] = src === undefined ? null : new RegExp(src, `y${r.ignoreCase ? "i" : ""}`);
  }
  return re;
}

/** Every secret the records find in `text`, strongest first where spans overlap, sorted by start. */
export function detect(text: string, hint?: DetectHint): Detection[] {
  if (hint) hint.secretlint = undefined;
  // A terminal colour code ends in a letter (`ESC[31m`) that would join a token's first
  // character and hide it behind the rule's left boundary. Blank such sequences with spaces of
  // the same length, so every offset found stays an offset of the input.
  const escaped = text.includes("\u001b");
  if (escaped) text = text.replace(ANSI_SEQUENCE, (m) => " ".repeat(m.length));
  const viaAutomaton = text.length >= AUTOMATON_ABOVE || automaton !== undefined;
  const hits = locate(text);
  if (hint && viaAutomaton && SECRETLINT_LITERALS && !escaped) {
    const re = (SL_STICKY ??= new RegExp(SECRETLINT_CONFIRM_PARTS.join("|"), "y"));
    let sl = false;
    for (let k = 0; k < hits.length && !sl; k += 2) {
      if (!ANCHORS[hits[k]!]!.sl) continue;
      re.lastIndex = hits[k + 1]!;
      sl = re.test(text);
    }
    hint.secretlint = sl;
  }
  if (hits.length === 0) return [];
  // Windows per record as flat [from, to, from, to, …]; a window that starts inside the previous
  // one extends it (hits arrive in text order from the automaton).
  const windows: Array<number[] | undefined> = [];
  const touched: number[] = [];
  let sorted = true;
  for (let k = 0; k < hits.length; k += 2) {
    const a = ANCHORS[hits[k]!]!;
    const p = hits[k + 1]!;
    for (const ri of a.rules) {
      const re = checkOf(ri);
      if (re) {
        re.lastIndex = p;
        if (!re.test(text)) continue;
      }
      const r = RULES[ri]!;
      const from = Math.max(0, p - (r.back ?? 0) - 1);
      const to = Math.min(text.length, p + a.text.length + r.maxLen + 1);
      let list = windows[ri];
      if (!list) {
        windows[ri] = list = [];
        touched.push(ri);
      }
      const n = list.length;
      if (n > 0 && from >= list[n - 2]! && from <= list[n - 1]!) {
        if (to > list[n - 1]!) list[n - 1] = to;
      } else {
        if (n > 0 && from < list[n - 2]!) sorted = false;
        list.push(from, to);
      }
    }
  }
  if (touched.length === 0) return [];
  const found: Detection[] = [];
  touched.sort((x, y) => x - y);
  for (const ri of touched) {
    const raw = windows[ri]!;
    windows[ri] = undefined;
    let list = raw;
    if (!sorted) {
      // indexOf order (small texts): sort the windows and merge overlapping ones.
      const pairs: Array<[number, number]> = [];
      for (let k = 0; k < raw.length; k += 2) pairs.push([raw[k]!, raw[k + 1]!]);
      pairs.sort((x, y) => x[0] - y[0]);
      list = [];
      for (const [f, t] of pairs) {
        const n = list.length;
        if (n > 0 && f <= list[n - 1]!) list[n - 1] = Math.max(list[n - 1]!, t);
        else list.push(f, t);
      }
    } else {
      // Merge windows that touch a later-merged one (the in-order merge above only looks back one).
      const merged: number[] = [];
      for (let k = 0; k < raw.length; k += 2) {
        const n = merged.length;
        if (n > 0 && raw[k]! <= merged[n - 1]!)
          merged[n - 1] = Math.max(merged[n - 1]!, raw[k + 1]!);
        else merged.push(raw[k]!, raw[k + 1]!);
      }
      list = merged;
    }
    const r = RULES[ri]!;
    const re = regexOf(ri);
    let seen: Set<string> | undefined;
    for (let k = 0; k < list.length; k += 2) {
      const from = list[k]!;
      // The window keeps one character of context on the left for the rule's look-behind.
      const slice = text.slice(from, list[k + 1]!);
      re.lastIndex = 0;
      for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const span = m.indices?.groups?.secret ?? m.indices![0]!;
        const start = from + span[0];
        const end = from + span[1];
        const key = `${start}:${end}`;
        seen ??= new Set();
        if (seen.has(key)) continue;
        seen.add(key);
        const secret = text.slice(start, end);
        const confidence = grade(r, secret, m.groups?.body ?? secret);
        if (confidence) found.push({ rule: r, start, end, confidence });
      }
      // The same token glued to word characters (see GLUED, GLUED_RULES).
      const glued = gluedOf(ri);
      if (glued === null) continue;
      glued.lastIndex = 0;
      for (let m = glued.exec(slice); m !== null; m = glued.exec(slice)) {
        const span = m.indices?.groups?.secret ?? m.indices![0]!;
        const start = from + span[0];
        const end = from + span[1];
        const key = `${start}:${end}`;
        seen ??= new Set();
        if (seen.has(key)) continue;
        const secret = text.slice(start, end);
        const confidence = gluedGrade(r, secret, m.groups?.body ?? secret);
        if (confidence === undefined) continue;
        seen.add(key);
        found.push({ rule: r, start, end, confidence });
      }
    }
  }
  return resolve(found);
}

export { RULES };

let byId: Map<string, DetectorRule> | undefined;
/** The record for a rule id. */
export function ruleById(id: string): DetectorRule | undefined {
  byId ??= new Map(RULES.map((r) => [r.id, r]));
  return byId.get(id);
}

// ---- entry points for rules/secretlint.ts ---------------------------------------------------------

/** hookpack's findings for `text`, in the shape every entry point uses. */
export function findings(text: string, hint?: DetectHint): Finding[] {
  const at = positionLocator(text);
  return detect(text, hint).map((d) => ({
    ruleId: d.rule.id,
    messageId: d.rule.id,
    start: d.start,
    end: d.end,
    ...at(d.start),
    confidence: d.confidence,
    label: d.rule.label,
    secretName: d.rule.secretName,
    ...(d.rule.rotate.url ? { rotateUrl: d.rule.rotate.url } : {}),
    engine: "hookpack" as const,
  }));
}

/**
 * A secretlint span reduced to the secret itself. Some preset rules report from the key's name
 * (`aws_secret_access_key = <value>`): redacting that span would hide the name and, where the
 * range is short, leave part of the value visible. The value is what follows the first assignment
 * operator, without quotes.
 */
export function confine(text: string, start: number, end: number): [number, number] {
  const span = text.slice(start, end);
  // A URL with credentials: the secret is the password, not the host (`…@db.example.com`).
  const url = /^[A-Za-z][A-Za-z0-9+.-]{0,20}:\/\/[^:@/\s]{0,256}:([^@\s/]{1,256})@/.exec(span);
  if (url) {
    const at = start + url[0].length - 1 - url[1]!.length;
    return [at, at + url[1]!.length];
  }
  const m = /^[A-Za-z0-9_.\-"' \t]*?(?:=|:)[ \t]*["'`]?/.exec(span);
  let s = start;
  let e = end;
  if (m && m[0].length > 0 && span.length - m[0].length >= 8) {
    s = start + m[0].length;
    // A span cut short inside the value (secretlint's AWS rule ends 24 characters early): extend
    // it to the end of the value's run of token characters.
    while (e < text.length && /[A-Za-z0-9+/=_.~-]/.test(text[e]!)) e++;
  }
  while (e > s && /["'`,;\s]/.test(text[e - 1]!)) e--;
  return [s, e];
}

/** hookpack's and secretlint's findings merged: where both cover a value, hookpack's record wins. */
export function merge(text: string, own: Finding[], second: Finding[]): Finding[] {
  if (second.length === 0) return own;
  const out = [...own];
  const at = positionLocator(text);
  for (const f of second) {
    const [start, end] = confine(text, f.start, f.end);
    if (end <= start) continue;
    if (own.some((o) => o.start < end && start < o.end)) continue;
    // Placeholders are not secrets, whichever engine reports them (a key block is judged by its rule).
    const value = text.slice(start, end);
    if (value.length <= 512 && !value.includes("PRIVATE KEY") && placeholderReason(value)) continue;
    if (out.some((o) => o.engine === "secretlint" && o.start < end && start < o.end)) continue;
    out.push({ ...f, start, end, ...at(start), confidence: "likely", engine: "secretlint" });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Profiling aid (tests only): AC pass time and hits per anchor over `texts`. */
export function profileAnchors(texts: string[]): unknown {
  warmUp();
  const hits = new Map<string, number>();
  let t0 = Date.now();
  let n = 0;
  const buf: number[] = [];
  for (const t of texts) {
    buf.length = 0;
    automaton!.scan(t, buf);
    n += buf.length / 2;
  }
  const acMs = Date.now() - t0;
  for (const t of texts) {
    const found = locate(t);
    for (let k = 0; k < found.length; k += 2) {
      const text = ANCHORS[found[k]!]!.text;
      hits.set(text, (hits.get(text) ?? 0) + 1);
    }
  }
  t0 = Date.now();
  for (const t of texts) detect(t);
  return {
    acMs,
    rawOutputs: n,
    detectMs: Date.now() - t0,
    top: [...hits].sort((a, b) => b[1] - a[1]).slice(0, 30),
  };
}

// ---- obfuscated tokens in tool input ----------------------------------------------------------

/**
 * Readings of a tool input that undo the cheap ways an agent could hide a token from a literal
 * scan: shell quote splicing (`"gh""p_…"`), string concatenation (`"gh" + "p_…"`), backslash
 * escapes and line continuations, zero-width characters, percent-encoding, `\xNN`/`\uNNNN`
 * escapes and base64. Each reading that differs from the input is returned.
 */
export function hiddenViews(text: string): string[] {
  const views = new Set<string>();
  const invisible = text.replace(/[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]|\u034f/g, "");
  // String + string is glued (`"gh" + "p_…"` hides a token); string + expression is code
  // (`"Bearer " + process.argv[2]`): the expression is no value, so the reading breaks there
  // instead of reading `Bearer +process.argv` as a header credential.
  const unquote = (t: string) =>
    t
      .replace(/\\\r?\n/g, "")
      .replace(/["'`][ \t]*\+[ \t]*["'`]/g, "")
      .replace(/(["'`])[ \t]*\+[ \t]*(?=[A-Za-z_$([{!~+-])/g, "$1\n")
      .replace(/([A-Za-z0-9_$)\]}])[ \t]*\+[ \t]*(?=["'`])/g, "$1\n")
      .replace(/["'`]/g, "")
      .replace(/\\(?=[A-Za-z0-9_])/g, "");
  views.add(invisible);
  views.add(unquote(invisible));
  const escapes = invisible.replace(/(?:\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\[0-7]{3})+/g, (run) =>
    run.replace(
      /\\x([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})|\\([0-7]{3})/g,
      (_, x: string, u: string, o: string) =>
        String.fromCharCode(parseInt(x ?? u ?? o, x || u ? 16 : 8)),
    ),
  );
  views.add(unquote(escapes));
  const percent = invisible.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
  views.add(percent);
  const decoded: string[] = [];
  for (const m of invisible.matchAll(/[A-Za-z0-9+/_-]{20,8192}={0,2}/g)) {
    for (let shift = 0; shift < 4; shift++) {
      const bytes = Buffer.from(m[0].slice(shift).replace(/-/g, "+").replace(/_/g, "/"), "base64");
      const s = bytes.toString("latin1");
      if (s.length >= 12 && /^[\x20-\x7e\t\r\n]*$/.test(s.slice(0, s.length - 2))) decoded.push(s);
    }
  }
  if (decoded.length > 0) views.add(decoded.join("\n"));
  views.delete(text);
  return [...views];
}

/** Strong findings in any hidden reading of `text`, with the value as found in that reading. */
export function findHidden(text: string): Array<{ finding: Finding; value: string }> {
  const out: Array<{ finding: Finding; value: string }> = [];
  for (const view of hiddenViews(text)) {
    for (const f of findings(view)) {
      if (f.confidence === "weak") continue;
      const value = view.slice(f.start, f.end);
      if (!out.some((o) => o.value === value))
        out.push({ finding: { ...f, start: 0, end: 0, line: 1, column: 1 }, value });
    }
  }
  return out;
}

/** For rules/detect-reference.ts (tests only): the pieces the slow reference path shares. */
export const engineInternals = {
  ANCHORS: ANCHORS as readonly Anchor[],
  regexOf,
  gluedOf,
  gluedGrade,
  grade,
  resolve,
  ANSI_SEQUENCE,
  /** Rebuilds the automaton with its WebAssembly loop or its JavaScript loop; whether wasm runs. */
  resetAutomaton(wasm: boolean): boolean {
    automaton = new AnchorAutomaton(ANCHORS, wasm);
    return automaton.wasm !== undefined;
  },
};
