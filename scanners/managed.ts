// Managed values (the user's own stored secrets) for the scanners: the same value-free hook
// cache the post-tool hook uses (salted window fingerprints + sha256), so a pre-push or a pack
// check finds a stored secret in any common encoding without opening the store or the keychain.
//
// A gate sees text an agent may have shaped on purpose, so besides every encoding the masker knows
// (raw, base64 at every alignment, base32, hex, percent, JSON, HTML, shell) it also looks at:
//   - the text reversed (a reversed value, or a reversed encoding of it);
//   - the text "squeezed": whitespace, quotes, `+`, `,`, `.` joins and backslashes taken out, so a
//     value split into string pieces ('ab' + 'cd', "ab" "cd", [..].join) or wrapped over lines is
//     whole again; and that squeezed text reversed.
// Each view maps its hits back to the original text's offsets. Not seen: case-folded, compressed,
// encrypted or otherwise computed forms (a hash cannot be matched after such a change).
import { loadScanCache } from "../broker/hook-cache.js";
import type { HashedMatcher, SqueezeSpec } from "../rules/managed-matcher.js";
import type { ExtraMatcher } from "./content.js";
import { isSpace } from "../rules/js-space.js";

type Find = (text: string) => Array<{ start: number; end: number; name: string }>;

/** Which characters the squeezed view drops. */
const JOINERS = /[\s'"`+,.\\[\]()]/;
/** JOINERS over ASCII as a table (built once). */
let asciiJoiners: Uint8Array | undefined;
function asciiJoinerTable(): Uint8Array {
  if (!asciiJoiners) {
    asciiJoiners = new Uint8Array(128);
    for (let k = 0; k < 128; k++) if (JOINERS.test(String.fromCharCode(k))) asciiJoiners[k] = 1;
  }
  return asciiJoiners;
}

/** JOINERS for one UTF-16 code unit: the ASCII table, else the non-ASCII white space of `\s`. */
export function isJoinerUnit(c: number): boolean {
  return c < 128 ? asciiJoinerTable()[c] === 1 : isSpace(c);
}

/**
 * The squeezed view in one pass: `text` without JOINERS, and for each of its characters the offset
 * it came from. (A global regex replace plus a second offset pass cost twice as much.)
 */
export function squeeze(text: string): { squeezed: string; at: Int32Array } {
  const n = text.length;
  const ascii = asciiJoinerTable();
  const units = new Uint16Array(n);
  const at = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 ? ascii[c] === 1 : isJoinerUnit(c)) continue;
    units[k] = c;
    at[k++] = i;
  }
  if (k === n) return { squeezed: text, at };
  return {
    squeezed: Buffer.from(units.buffer, 0, k * 2).toString("utf16le"),
    at: at.subarray(0, k),
  };
}

/**
 * `text` reversed by UTF-16 code unit (what split("").reverse().join("") gives), natively: the
 * split/join form allocated one string per character and was a large part of a gate's time.
 */
export function reverseUnits(text: string): string {
  if (text.length < 2) return text;
  if (text.length <= 256) {
    // Short strings (JSON values, one per call): a loop beats a Buffer round trip.
    let out = "";
    for (let i = text.length - 1; i >= 0; i--) out += text[i];
    return out;
  }
  const buf = Buffer.from(text, "utf16le");
  buf.reverse().swap16(); // code units reversed, each unit's bytes back in order
  return buf.toString("utf16le");
}

/** A matcher that searches a text and its reversal in one pass (rules/managed-matcher.ts). */
export interface TwoWayFinder {
  findBothWays(
    text: string,
  ): Array<{ start: number; end: number; name: string; view: "as is" | "reversed" }>;
  /** All four views in one pass (rules/managed-matcher.ts); findBothWays twice without it. */
  findViews?: HashedMatcher["findViews"];
  crowded?: boolean;
}

/**
 * The non-ASCII joiners: JavaScript's `\s` above U+007F (rules/js-space.ts isSpace, the same list).
 * A test checks the table built from it against isJoinerUnit for every UTF-16 unit.
 */
const WIDE_JOINERS = [
  0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
  0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
];

/**
 * The squeezed view's joiner set, for the matcher's one-pass search, with its table of every UTF-16
 * unit (rules/matcher-wasm.ts joinerBits) set from the explicit lists: building it by testing all
 * 65,536 units cost 4–15 ms of a cold scan process.
 */
let squeezeSpec: (SqueezeSpec & { bits: Uint8Array }) | undefined;
export const joinerSpec = (): SqueezeSpec => {
  if (squeezeSpec) return squeezeSpec;
  const ascii = asciiJoinerTable();
  const bits = new Uint8Array(8192);
  for (let u = 0; u < 128; u++) if (ascii[u] === 1) bits[u >>> 3]! |= 1 << (u & 7);
  for (const u of WIDE_JOINERS) bits[u >>> 3]! |= 1 << (u & 7);
  squeezeSpec = { ascii, isJoiner: isJoinerUnit, bits };
  return squeezeSpec;
};

type ViewHit = { start: number; end: number; name: string; form: string };

/**
 * Hits of `find` in `text` and in its reversed, squeezed and squeezed-reversed views, as offsets
 * into `text`. With a TwoWayFinder that is two passes (the text, the squeezed text), each finding a
 * form as is and reversed at once; a plain `find` runs four passes over four copies (the reference
 * the property test compares against).
 */
export function transformedFind(
  finder: Find | TwoWayFinder,
  text: string,
  minLength = 0,
): ViewHit[] {
  const n = text.length;
  // No view is longer than the text: a text shorter than every form holds none (most JSON strings).
  if (n < minLength) return [];
  const out: ViewHit[] = [];
  const twoWay = typeof finder === "function" ? undefined : finder;
  const oneView = twoWay?.findViews && !twoWay.crowded;
  if (oneView) {
    // One pass over the text for all four views, no copy of it (rules/managed-matcher.ts).
    const { direct, split } = twoWay!.findViews!(text, joinerSpec());
    for (const m of direct) out.push({ start: m.start, end: m.end, name: m.name, form: m.view });
    for (const m of split)
      out.push({
        start: m.start,
        end: m.end,
        name: m.name,
        form: m.view === "as is" ? "split or wrapped" : "split and reversed",
      });
  } else if (twoWay) {
    for (const m of twoWay.findBothWays(text))
      out.push({ start: m.start, end: m.end, name: m.name, form: m.view });
  } else {
    const find = finder as Find;
    for (const m of find(text)) out.push({ ...m, form: "as is" });
    const reversed = reverseUnits(text);
    for (const m of find(reversed))
      out.push({ start: n - m.end, end: n - m.start, name: m.name, form: "reversed" });
  }
  // Squeezed view (when findViews did not cover it): `at[i]` is the original offset of char i.
  const { squeezed, at } = oneView ? { squeezed: text, at: undefined } : squeeze(text);
  if (at && squeezed.length !== n && squeezed.length >= minLength) {
    const back = (s: number, e: number) => ({ start: at[s]!, end: at[e - 1]! + 1 });
    if (twoWay) {
      for (const m of twoWay.findBothWays(squeezed))
        out.push({
          ...back(m.start, m.end),
          name: m.name,
          form: m.view === "as is" ? "split or wrapped" : "split and reversed",
        });
    } else {
      const find = finder as Find;
      for (const m of find(squeezed))
        out.push({ ...back(m.start, m.end), name: m.name, form: "split or wrapped" });
      const sn = squeezed.length;
      const sr = reverseUnits(squeezed);
      for (const m of find(sr))
        out.push({ ...back(sn - m.end, sn - m.start), name: m.name, form: "split and reversed" });
    }
  }
  if (out.length === 0) return out;
  // One hit per span: the first view that found it names it.
  const rank: Record<string, number> = {
    "as is": 0,
    reversed: 1,
    "split or wrapped": 2,
    "split and reversed": 3,
  };
  out.sort((a, b) => a.start - b.start || b.end - a.end || rank[a.form]! - rank[b.form]!);
  const merged: ViewHit[] = [];
  for (const h of out) {
    const last = merged[merged.length - 1];
    if (last && h.start < last.end) {
      last.end = Math.max(last.end, h.end);
      continue;
    }
    merged.push({ ...h });
  }
  return merged;
}

/** A matcher for every managed value, or undefined when none are stored. */
export function managedValueMatcher(hookpackHome: string): ExtraMatcher | undefined {
  const cache = loadScanCache(hookpackHome); // a damaged cache throws: fail closed
  if (!cache || cache.matcher.size === 0) return undefined;
  const matcher = cache.matcher;
  const min = matcher.minLength;
  return (text) =>
    transformedFind(matcher, text, min).map((m) => ({
      start: m.start,
      end: m.end,
      label: m.form === "as is" ? m.name : `${m.name} (${m.form})`,
    }));
}
