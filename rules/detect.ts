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
import type { Confidence, DetectorRule } from "./detectors/types.js";
import type { Finding } from "./finding.js";
import { validate } from "./detectors/validators.js";
import { positionLocator } from "../core/text-position.js";

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

// ---- anchor location -------------------------------------------------------------------------

const FOLD = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));

/** Case-folded Aho-Corasick automaton over all anchors (ASCII folded; non-ASCII is one symbol). */
class AnchorAutomaton {
  private readonly delta: Int32Array;
  private readonly out: Array<number[] | undefined>;
  /** 1 where a state has outputs: one typed-array read per character in the hot loop. */
  private readonly term: Uint8Array;

  constructor(anchors: readonly Anchor[]) {
    const W = 128;
    const gotoRows: number[][] = [[]];
    const out: number[][] = [[]];
    const fold = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c < 128 ? c : 0);
    anchors.forEach((a, id) => {
      let s = 0;
      for (let k = 0; k < a.text.length; k++) {
        const c = fold(a.text.charCodeAt(k));
        let next = gotoRows[s]![c];
        if (next === undefined) {
          next = gotoRows.length;
          gotoRows.push([]);
          out.push([]);
          gotoRows[s]![c] = next;
        }
        s = next;
      }
      out[s]!.push(id);
    });
    const n = gotoRows.length;
    const delta = new Int32Array(n * W);
    const fail = new Int32Array(n);
    const queue: number[] = [];
    for (let c = 0; c < W; c++) {
      const t = gotoRows[0]![c];
      if (t !== undefined) {
        delta[c] = t;
        fail[t] = 0;
        queue.push(t);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      if (out[f]!.length > 0) out[s] = out[s]!.concat(out[f]!);
      for (let c = 0; c < W; c++) {
        const t = gotoRows[s]![c];
        if (t !== undefined) {
          fail[t] = delta[f * W + c]!;
          delta[s * W + c] = t;
          queue.push(t);
        } else delta[s * W + c] = delta[f * W + c]!;
      }
    }
    this.delta = delta;
    this.out = out.map((o) => (o.length > 0 ? o : undefined));
    this.term = Uint8Array.from(out, (o) => (o.length > 0 ? 1 : 0));
  }

  scan(text: string, emit: (anchor: number, end: number) => void): void {
    const { delta, term } = this;
    const n = text.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      s = delta[(s << 7) | (c < 128 ? FOLD[c]! : 0)]!;
      if (term[s] === 1) for (const id of this.out[s]!) emit(id, i + 1);
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

function locate(text: string, emit: (anchor: number, start: number) => void): void {
  if (text.length >= AUTOMATON_ABOVE || automaton) {
    warmUp();
    automaton!.scan(text, (id, end) => {
      const a = ANCHORS[id]!;
      const start = end - a.text.length;
      if (a.ci || text.startsWith(a.text, start)) emit(id, start);
    });
    return;
  }
  let lower: string | undefined;
  ANCHORS.forEach((a, id) => {
    const hay = a.ci ? (lower ??= text.toLowerCase()) : text;
    for (let p = hay.indexOf(a.text); p !== -1; p = hay.indexOf(a.text, p + 1)) emit(id, p);
  });
}

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

/** Every secret the records find in `text`, strongest first where spans overlap, sorted by start. */
export function detect(text: string): Detection[] {
  // A terminal colour code ends in a letter (`ESC[31m`) that would join a token's first
  // character and hide it behind the rule's left boundary. Blank such sequences with spaces of
  // the same length, so every offset found stays an offset of the input.
  if (text.includes("\u001b")) text = text.replace(ANSI_SEQUENCE, (m) => " ".repeat(m.length));
  // Windows per rule, merged, so one regex run covers neighbouring hits.
  const windows = new Map<number, Array<[number, number]>>();
  locate(text, (id, p) => {
    const a = ANCHORS[id]!;
    for (const ri of a.rules) {
      const r = RULES[ri]!;
      const from = Math.max(0, p - (r.back ?? 0) - 1);
      const to = Math.min(text.length, p + a.text.length + r.maxLen + 1);
      let list = windows.get(ri);
      if (!list) windows.set(ri, (list = []));
      const last = list[list.length - 1];
      // Hits arrive in text order from the automaton, in anchor order from indexOf: merge only
      // a window that starts inside the previous one; sort and merge the rest below.
      if (last && from >= last[0] && from <= last[1]) last[1] = Math.max(last[1], to);
      else list.push([from, to]);
    }
  });
  const found: Detection[] = [];
  const seen = new Set<string>();
  for (const [ri, raw] of windows) {
    const list: Array<[number, number]> = [];
    for (const w of raw.sort((a, b) => a[0] - b[0])) {
      const last = list[list.length - 1];
      if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
      else list.push(w);
    }
    const r = RULES[ri]!;
    const re = regexOf(ri);
    for (const [from, to] of list) {
      // The window keeps one character of context on the left for the rule's look-behind.
      const slice = text.slice(from, to);
      re.lastIndex = 0;
      for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const span = m.indices?.groups?.secret ?? m.indices![0]!;
        const start = from + span[0];
        const end = from + span[1];
        const key = `${ri}:${start}:${end}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const secret = text.slice(start, end);
        const confidence = grade(r, secret, m.groups?.body ?? secret);
        if (confidence) found.push({ rule: r, start, end, confidence });
      }
    }
  }
  // Overlaps: keep the strongest (confidence, then provider over generic, then the longer span).
  const score = (d: Detection) =>
    RANK[d.confidence] * 4 +
    (d.rule.kind === "generic" ? 0 : 2) +
    (d.rule.kind === "prefix" ? 1 : 0);
  found.sort(
    (a, b) => score(b) - score(a) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: Detection[] = [];
  for (const d of found) if (!kept.some((k) => d.start < k.end && k.start < d.end)) kept.push(d);
  return kept.sort((a, b) => a.start - b.start);
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
export function findings(text: string): Finding[] {
  const at = positionLocator(text);
  return detect(text).map((d) => ({
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
  for (const t of texts) automaton!.scan(t, () => n++);
  const acMs = Date.now() - t0;
  for (const t of texts)
    locate(t, (id) => hits.set(ANCHORS[id]!.text, (hits.get(ANCHORS[id]!.text) ?? 0) + 1));
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
