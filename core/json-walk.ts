// Shape-preserving walks over JSON values. Imports nothing; every layer may use it.
//
// A leaf is addressed by its path ARRAY (`["edits", 0, "new_string"]`); the dotted string is for
// display and for matching a field by name only. Two different leaves can share a dotted string
// (a key "a.b" and a nested a → b), so anything that finds a leaf in one walk and changes it in a
// second must key by `pathKey(keys)`, never by the dotted string.

export type PathKeys = ReadonlyArray<string | number>;

/** An unambiguous key for a leaf's path array. */
export const pathKey = (keys: PathKeys): string => JSON.stringify(keys);

/** Calls `visit` for every string leaf with its dotted path ("edits.0.new_string") and its path array. */
export function forEachString(
  value: unknown,
  visit: (text: string, path: string, keys: PathKeys) => void,
  path = "",
  keys: PathKeys = [],
): void {
  if (typeof value === "string") {
    visit(value, path, keys);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) =>
      forEachString(item, visit, path ? `${path}.${i}` : String(i), [...keys, i]),
    );
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value))
      forEachString(item, visit, path ? `${path}.${key}` : key, [...keys, key]);
  }
}

/**
 * Returns a copy of `value` in which every string leaf went through `map`; keys, order, numbers,
 * booleans and nulls are untouched, so the result has exactly the original's shape. Unchanged
 * subtrees are returned as they were (no copy), which keeps large outputs cheap.
 */
export function mapStrings(
  value: unknown,
  map: (text: string, path: string, keys: PathKeys) => string,
  path = "",
  keys: PathKeys = [],
): unknown {
  if (typeof value === "string") return map(value, path, keys);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item, i) => {
      const next = mapStrings(item, map, path ? `${path}.${i}` : String(i), [...keys, i]);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? out : value;
  }
  if (value !== null && typeof value === "object") {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const next = mapStrings(item, map, path ? `${path}.${key}` : key, [...keys, key]);
      if (next !== item) changed = true;
      out[key] = next;
    }
    return changed ? out : value;
  }
  return value;
}

/** The same shape with every array, at every depth, cut to its first element: the skeleton of a value too large to pass on. */
export function firstOfEach(v: unknown): unknown {
  return Array.isArray(v)
    ? v.slice(0, 1).map(firstOfEach)
    : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, firstOfEach(x)]))
      : v;
}
