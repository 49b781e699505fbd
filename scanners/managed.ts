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
import { loadHookCache } from "../broker/hook-cache.js";
import type { ExtraMatcher } from "./content.js";

type Find = (text: string) => Array<{ start: number; end: number; name: string }>;

/** Which characters the squeezed view drops. */
const JOINERS = /[\s'"`+,.\\[\]()]/;

/** Hits of `find` in `text` and in its reversed, squeezed and squeezed-reversed views, as offsets into `text`. */
export function transformedFind(find: Find, text: string): Array<{ start: number; end: number; name: string; form: string }> {
  const out: Array<{ start: number; end: number; name: string; form: string }> = [];
  for (const m of find(text)) out.push({ ...m, form: "as is" });
  const n = text.length;
  const reversed = text.split("").reverse().join("");
  for (const m of find(reversed)) out.push({ start: n - m.end, end: n - m.start, name: m.name, form: "reversed" });
  // Squeezed view: `at[i]` is the original offset of squeezed char i.
  const at: number[] = [];
  let squeezed = "";
  for (let i = 0; i < n; i++) {
    if (JOINERS.test(text[i]!)) continue;
    squeezed += text[i];
    at.push(i);
  }
  if (squeezed.length !== n) {
    const back = (s: number, e: number) => ({ start: at[s]!, end: at[e - 1]! + 1 });
    for (const m of find(squeezed)) out.push({ ...back(m.start, m.end), name: m.name, form: "split or wrapped" });
    const sn = squeezed.length;
    const sr = squeezed.split("").reverse().join("");
    for (const m of find(sr)) out.push({ ...back(sn - m.end, sn - m.start), name: m.name, form: "split and reversed" });
  }
  // One hit per span: the first view that found it names it.
  out.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: typeof out = [];
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
  const cache = loadHookCache(hookpackHome);
  if (!cache || cache.matcher.size === 0) return undefined;
  const find: Find = (text) => cache.matcher.find(text);
  return (text) => transformedFind(find, text).map((m) => ({ start: m.start, end: m.end, label: m.form === "as is" ? m.name : `${m.name} (${m.form})` }));
}
