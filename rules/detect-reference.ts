// The detection engine as it was before the fast path (rules/detect.ts): the same records, every
// anchor hit opening a window, the original Aho-Corasick automaton (full 128-column table) and the
// original window bookkeeping. Used only by tests (test/rules/detect-equivalence.test.ts), which
// assert that `detect` and `detectReference` report the same findings; never bundled into dist/.
import { engineInternals, RULES, type Detection } from "./detect.js";

const { ANCHORS, regexOf, gluedOf, gluedGrade, grade, resolve, ANSI_SEQUENCE } = engineInternals;

const FOLD = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));

class ReferenceAutomaton {
  private readonly delta: Int32Array;
  private readonly out: Array<number[] | undefined>;
  private readonly term: Uint8Array;

  constructor() {
    const W = 128;
    const gotoRows: number[][] = [[]];
    const out: number[][] = [[]];
    const fold = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c < 128 ? c : 0);
    ANCHORS.forEach((a, id) => {
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

let automaton: ReferenceAutomaton | undefined;

/**
 * `useAutomaton`: locate anchors with the automaton (what large texts and bulk scans use) or with
 * one indexOf per anchor (small texts in a hook); both find the same occurrences.
 */
function locate(
  text: string,
  useAutomaton: boolean,
  emit: (anchor: number, start: number) => void,
): void {
  if (useAutomaton) {
    automaton ??= new ReferenceAutomaton();
    automaton.scan(text, (id, end) => {
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

/** The reference: every anchor hit opens a window for each of its records. */
export function detectReference(text: string, useAutomaton = true): Detection[] {
  if (text.includes("\u001b")) text = text.replace(ANSI_SEQUENCE, (m) => " ".repeat(m.length));
  const windows = new Map<number, Array<[number, number]>>();
  locate(text, useAutomaton, (id, p) => {
    const a = ANCHORS[id]!;
    for (const ri of a.rules) {
      const r = RULES[ri]!;
      const from = Math.max(0, p - (r.back ?? 0) - 1);
      const to = Math.min(text.length, p + a.text.length + r.maxLen + 1);
      let list = windows.get(ri);
      if (!list) windows.set(ri, (list = []));
      const last = list[list.length - 1];
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
      // A token glued to word characters (detect.ts GLUED, GLUED_RULES).
      const glued = gluedOf(ri);
      if (!glued) continue;
      glued.lastIndex = 0;
      for (let m = glued.exec(slice); m !== null; m = glued.exec(slice)) {
        const span = m.indices?.groups?.secret ?? m.indices![0]!;
        const start = from + span[0];
        const end = from + span[1];
        const key = `${ri}:${start}:${end}`;
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
