// Shape-preserving walks over JSON values. Imports nothing; every layer may use it.
//
// A leaf is addressed by its path ARRAY (`["edits", 0, "new_string"]`); the dotted string is for
// display and for matching a field by name only. Two different leaves can share a dotted string
// (a key "a.b" and a nested a → b), so anything that finds a leaf in one walk and changes it in a
// second must key by `pathKey(keys)`, never by the dotted string.

export type PathKeys = ReadonlyArray<string | number>;

/** An unambiguous key for a leaf's path array. */
export const pathKey = (keys: PathKeys): string => JSON.stringify(keys);

// The walks are iterative (an explicit stack, no recursion): a payload nested 100,000 deep (which
// JSON.parse accepts) must not overflow the call stack. They visit in the same order as the plain
// recursive walk (depth first, children in order) and build the same results.

const isContainer = (v: unknown): v is object => v !== null && typeof v === "object";

/**
 * Levels of nesting a leaf may have for free; below them, each leaf's depth counts against
 * MAX_DEEP_LEAF_WORK. A leaf's path (its array, its dotted string) costs its depth to build and to
 * key (callers key every leaf by pathKey), so a value 100,000 deep with a string at every level
 * would cost 5·10^9 steps per walk: hours, which an agent's hook timeout turns into a call let
 * through unchecked. Real payloads stay far below (a tool output 64 levels deep is unusual).
 */
export const FREE_DEPTH = 64;
/** The most deep-leaf work (sum over leaves of their depth past FREE_DEPTH) one walk does. */
export const MAX_DEEP_LEAF_WORK = 20_000_000;

/** Thrown by a walk over a value too deeply nested, with too many strings, to check in time. */
export class JsonTooDeepError extends Error {
  constructor(depth: number) {
    super(
      `hookpack: a JSON value nested at least ${depth} levels deep holds too many strings to check in time; it is treated as unchecked (a tool's input or output that deep is not something hookpack passes on)`,
    );
    this.name = "JsonTooDeepError";
  }
}

/** Counts a leaf's depth against the walk's budget; throws JsonTooDeepError when it is spent. */
function budget(): (depth: number) => void {
  let work = 0;
  return (depth) => {
    if (depth <= FREE_DEPTH) return;
    work += depth - FREE_DEPTH;
    if (work > MAX_DEEP_LEAF_WORK) throw new JsonTooDeepError(depth);
  };
}

/** The path array of a leaf: `trail` and its key (slice + push: a spread is ~30x slower when deep). */
function leafKeys(trail: Array<string | number>, key: string | number): PathKeys {
  const keys = trail.slice();
  keys.push(key);
  return keys;
}
const childPath = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

/** A container being walked: its children's keys and values, and how far the walk got. */
interface Frame {
  value: object;
  path: string;
  keys: Array<string | number>;
  items: unknown[];
  /** The next child to walk. */
  i: number;
  /** mapStrings: the copy being built and whether any child changed. */
  out?: unknown[] | Record<string, unknown>;
  changed?: boolean;
}

function frame(value: object, path: string, copy: boolean): Frame {
  const keys: Array<string | number> = [];
  const items: unknown[] = [];
  if (Array.isArray(value)) {
    // As Array.prototype.forEach/map: holes are skipped (and kept as holes in a copy).
    for (let i = 0; i < value.length; i++)
      if (i in value) {
        keys.push(i);
        items.push(value[i]);
      }
  } else
    for (const [k, item] of Object.entries(value)) {
      keys.push(k);
      items.push(item);
    }
  const f: Frame = { value, path, keys, items, i: 0 };
  if (copy) {
    f.out = Array.isArray(value) ? new Array<unknown>(value.length) : {};
    f.changed = false;
  }
  return f;
}

/** Calls `visit` for every string leaf with its dotted path ("edits.0.new_string") and its path array. */
export function forEachString(
  value: unknown,
  visit: (text: string, path: string, keys: PathKeys) => void,
  path = "",
  keys: PathKeys = [],
): void {
  if (typeof value === "string") return visit(value, path, keys);
  if (!isContainer(value)) return;
  // `trail` is the path array of the container on top of the stack; a leaf gets its own copy.
  const trail = [...keys];
  const stack = [frame(value, path, false)];
  const spend = budget();
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.i === f.keys.length) {
      stack.pop();
      trail.pop();
      continue;
    }
    const key = f.keys[f.i]!;
    const item = f.items[f.i]!;
    f.i++;
    if (typeof item === "string") {
      spend(trail.length + 1);
      visit(item, childPath(f.path, key), leafKeys(trail, key));
    } else if (isContainer(item)) {
      trail.push(key);
      stack.push(frame(item, childPath(f.path, key), false));
    }
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
  if (!isContainer(value)) return value;
  const trail = [...keys];
  const stack = [frame(value, path, true)];
  const spend = budget();
  /** Puts a child's result into the container on top of the stack and moves past that child. */
  const settle = (f: Frame, next: unknown) => {
    const item = f.items[f.i];
    if (next !== item) f.changed = true;
    (f.out as Record<string | number, unknown>)[f.keys[f.i]!] = next;
    f.i++;
  };
  for (;;) {
    const f = stack[stack.length - 1]!;
    if (f.i === f.keys.length) {
      stack.pop();
      const done = f.changed ? f.out : f.value;
      if (stack.length === 0) return done;
      trail.pop();
      settle(stack[stack.length - 1]!, done);
      continue;
    }
    const key = f.keys[f.i]!;
    const item = f.items[f.i];
    if (typeof item === "string") {
      spend(trail.length + 1);
      settle(f, map(item, childPath(f.path, key), leafKeys(trail, key)));
    } else if (isContainer(item)) {
      trail.push(key);
      stack.push(frame(item, childPath(f.path, key), true));
    } else settle(f, item);
  }
}

/** The same shape with every array, at every depth, cut to its first element: the skeleton of a value too large to pass on. */
export function firstOfEach(v: unknown): unknown {
  if (!isContainer(v)) return v;
  const open = (value: object) => {
    const f = frame(Array.isArray(value) ? value.slice(0, 1) : value, "", false);
    f.out = Array.isArray(value) ? new Array<unknown>(Math.min(value.length, 1)) : {};
    return f;
  };
  // As Object.fromEntries: an own property even for "__proto__" (an assignment would set the prototype).
  const put = (f: Frame, item: unknown) => {
    Object.defineProperty(f.out, f.keys[f.i]!, {
      value: item,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    f.i++;
  };
  const stack = [open(v)];
  for (;;) {
    const f = stack[stack.length - 1]!;
    if (f.i === f.keys.length) {
      stack.pop();
      if (stack.length === 0) return f.out;
      put(stack[stack.length - 1]!, f.out);
      continue;
    }
    const item = f.items[f.i];
    if (isContainer(item)) stack.push(open(item));
    else put(f, item);
  }
}
