// Shape-preserving walks over JSON values. Imports nothing; every layer may use it.

/** Calls `visit` for every string leaf with its dotted path ("edits.0.new_string"). */
export function forEachString(value: unknown, visit: (text: string, path: string) => void, path = ""): void {
  if (typeof value === "string") {
    visit(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => forEachString(item, visit, path ? `${path}.${i}` : String(i)));
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) forEachString(item, visit, path ? `${path}.${key}` : key);
  }
}

/**
 * Returns a copy of `value` in which every string leaf went through `map`; keys, order, numbers,
 * booleans and nulls are untouched, so the result has exactly the original's shape. Unchanged
 * subtrees are returned as they were (no copy), which keeps large outputs cheap.
 */
export function mapStrings(value: unknown, map: (text: string, path: string) => string, path = ""): unknown {
  if (typeof value === "string") return map(value, path);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item, i) => {
      const next = mapStrings(item, map, path ? `${path}.${i}` : String(i));
      if (next !== item) changed = true;
      return next;
    });
    return changed ? out : value;
  }
  if (value !== null && typeof value === "object") {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const next = mapStrings(item, map, path ? `${path}.${key}` : key);
      if (next !== item) changed = true;
      out[key] = next;
    }
    return changed ? out : value;
  }
  return value;
}
