// The masker: the last thing every outgoing string passes through. It knows the values found or
// managed during this process and replaces each with a label that never contains the value.
import { mapStrings } from "../core/json-walk.js";

/** Values shorter than this are not masked: too many false hits (hasp uses the same floor). */
export const MIN_MASK_LENGTH = 6;

export interface Masker {
  add(value: string, label: string): void;
  readonly size: number;
  mask(text: string): string;
  maskDeep<T>(value: T): T;
  /** True when `text` still holds a known value, raw or JSON-escaped. Used as a last guard. */
  leaks(text: string): boolean;
}

export function createMasker(): Masker {
  const entries = new Map<string, string>();
  let ordered: Array<[string, string]> | undefined;
  const sorted = () => (ordered ??= [...entries].sort((a, b) => b[0].length - a[0].length));
  const mask = (text: string): string => {
    if (entries.size === 0) return text;
    let out = text;
    for (const [value, label] of sorted()) {
      if (out.includes(value)) out = out.split(value).join(`[REDACTED:${label}]`);
    }
    return out;
  };
  return {
    add(value, label) {
      if (value.length < MIN_MASK_LENGTH || entries.has(value)) return;
      entries.set(value, label);
      ordered = undefined;
    },
    get size() {
      return entries.size;
    },
    mask,
    maskDeep<T>(value: T): T {
      return entries.size === 0 ? value : (mapStrings(value, mask) as T);
    },
    leaks(text) {
      for (const value of entries.keys()) {
        if (text.includes(value) || text.includes(JSON.stringify(value).slice(1, -1))) return true;
      }
      return false;
    },
  };
}
