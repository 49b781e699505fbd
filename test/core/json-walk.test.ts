// core/json-walk.ts walks iteratively; these tests hold it to the plain recursive walk it replaced
// (copied below as the reference): the same leaves in the same order with the same paths, the same
// copies (and the same untouched subtrees), on seeded random JSON; and no stack overflow at depth
// 100,000, where the reference overflows.
import { describe, expect, it } from "vitest";
import {
  FREE_DEPTH,
  firstOfEach,
  forEachString,
  JsonTooDeepError,
  mapStrings,
  type PathKeys,
} from "../../core/json-walk.js";
import { seeded } from "../helpers/fake-secrets.js";

// ---- the recursive reference (core/json-walk.ts before sec-gaps3) ----
function refForEach(
  value: unknown,
  visit: (text: string, path: string, keys: PathKeys) => void,
  path = "",
  keys: PathKeys = [],
): void {
  if (typeof value === "string") visit(value, path, keys);
  else if (Array.isArray(value))
    value.forEach((item, i) =>
      refForEach(item, visit, path ? `${path}.${i}` : String(i), [...keys, i]),
    );
  else if (value !== null && typeof value === "object")
    for (const [key, item] of Object.entries(value))
      refForEach(item, visit, path ? `${path}.${key}` : key, [...keys, key]);
}
function refMap(
  value: unknown,
  map: (text: string, path: string, keys: PathKeys) => string,
  path = "",
  keys: PathKeys = [],
): unknown {
  if (typeof value === "string") return map(value, path, keys);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item, i) => {
      const next = refMap(item, map, path ? `${path}.${i}` : String(i), [...keys, i]);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? out : value;
  }
  if (value !== null && typeof value === "object") {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const next = refMap(item, map, path ? `${path}.${key}` : key, [...keys, key]);
      if (next !== item) changed = true;
      out[key] = next;
    }
    return changed ? out : value;
  }
  return value;
}
function refFirst(v: unknown): unknown {
  return Array.isArray(v)
    ? v.slice(0, 1).map(refFirst)
    : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, refFirst(x)]))
      : v;
}

// ---- seeded random JSON (through JSON.parse, as payloads arrive) ----
function randomJson(rand: () => number, depth: number): string {
  const r = rand();
  const keys = ["a", "b", "", "a.b", "0", "__proto__", "new_string", "x y"];
  if (depth <= 0 || r < 0.3) {
    const leaf = rand();
    if (leaf < 0.5) return JSON.stringify(`s${Math.floor(rand() * 100)}`);
    if (leaf < 0.7) return String(Math.floor(rand() * 1000));
    if (leaf < 0.8) return "null";
    return rand() < 0.5 ? "true" : "false";
  }
  const n = Math.floor(rand() * 4);
  if (r < 0.6) return `[${Array.from({ length: n }, () => randomJson(rand, depth - 1)).join(",")}]`;
  const used = new Set<string>();
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[Math.floor(rand() * keys.length)]!;
    if (used.has(k)) continue;
    used.add(k);
    parts.push(`${JSON.stringify(k)}:${randomJson(rand, depth - 1)}`);
  }
  return `{${parts.join(",")}}`;
}

/** Structural equality that also compares own "__proto__" keys and prototypes. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
    if (!same(Object.getPrototypeOf(a), Object.getPrototypeOf(b))) return false;
  }
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) =>
    same((a as Record<PropertyKey, unknown>)[k], (b as Record<PropertyKey, unknown>)[k]),
  );
}

/** Every node of `copy` that is a node of `value` in the reference is one in ours, and vice versa. */
function identityMap(ref: unknown, ours: unknown, original: unknown): boolean {
  if ((ref === original) !== (ours === original)) return false;
  if (ref === original || typeof ref !== "object" || ref === null) return true;
  if (typeof original !== "object" || original === null) return true;
  return Reflect.ownKeys(ref).every((k) =>
    identityMap(
      (ref as Record<PropertyKey, unknown>)[k],
      (ours as Record<PropertyKey, unknown>)[k],
      (original as Record<PropertyKey, unknown>)[k],
    ),
  );
}

describe("json-walk: the iterative walk equals the recursive reference", () => {
  const rand = seeded(2112);
  const values = Array.from({ length: 400 }, () => JSON.parse(randomJson(rand, 6)) as unknown);
  values.push("root string", 5, null, [], {}, [[["deep"]]], { "": { "": "e" } });

  it("forEachString: same leaves, order, dotted paths and path arrays", () => {
    let leaves = 0;
    for (const v of values) {
      const ref: unknown[] = [];
      const ours: unknown[] = [];
      refForEach(v, (t, p, k) => ref.push([t, p, [...k]]), "root", ["r"]);
      forEachString(v, (t, p, k) => ours.push([t, p, [...k]]), "root", ["r"]);
      expect(ours).toEqual(ref);
      leaves += ref.length;
    }
    expect(leaves).toBeGreaterThan(300);
  });

  it("mapStrings: same copies, same untouched subtrees, same map calls", () => {
    let changedSome = 0;
    for (const v of values) {
      // Changes about half the leaves, by their path: the copy must share every untouched subtree.
      const map = (calls: unknown[]) => (t: string, p: string, k: PathKeys) => {
        calls.push([t, p, [...k]]);
        return p.length % 2 === 0 ? `${t}!` : t;
      };
      const refCalls: unknown[] = [];
      const ourCalls: unknown[] = [];
      const ref = refMap(v, map(refCalls));
      const ours = mapStrings(v, map(ourCalls));
      expect(ourCalls).toEqual(refCalls);
      expect(same(ours, ref), JSON.stringify(v)).toBe(true);
      expect(ours === v).toBe(ref === v);
      expect(identityMap(ref, ours, v)).toBe(true);
      if (ref !== v) changedSome++;
      // The identity map: nothing copied.
      expect(mapStrings(v, (t) => t)).toBe(v);
    }
    expect(changedSome).toBeGreaterThan(50);
  });

  it("firstOfEach: same skeleton (own __proto__ keys kept as keys)", () => {
    for (const v of values) expect(same(firstOfEach(v), refFirst(v)), JSON.stringify(v)).toBe(true);
    const withProto = JSON.parse('{"__proto__":{"a":[1,2]},"b":[{"c":[3,4]},5]}') as unknown;
    const skel = firstOfEach(withProto) as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(skel, "__proto__")).toBe(true);
    expect(JSON.stringify(skel)).toBe('{"__proto__":{"a":[1]},"b":[{"c":[3]}]}');
  });
});

describe("json-walk: 100,000 deep", () => {
  const depth = 100_000;
  const deepObject = JSON.parse(
    `${'{"a":'.repeat(depth)}"leaf-value"${"}".repeat(depth)}`,
  ) as unknown;
  const deepArray = JSON.parse(`${"[".repeat(depth)}"leaf-value"${"]".repeat(depth)}`) as unknown;

  it("the recursive reference overflows (the test can fail)", () => {
    expect(() => refForEach(deepObject, () => {})).toThrow(RangeError);
  });

  it("forEachString, mapStrings and firstOfEach finish and reach the leaf", () => {
    for (const v of [deepObject, deepArray]) {
      const seen: Array<[string, number]> = [];
      forEachString(v, (t, _p, k) => seen.push([t, k.length]));
      expect(seen).toEqual([["leaf-value", depth]]);
      const mapped = mapStrings(v, (t) => t.toUpperCase());
      let node = mapped;
      for (let i = 0; i < depth; i++)
        node = Array.isArray(node) ? node[0] : (node as Record<string, unknown>).a;
      expect(node).toBe("LEAF-VALUE");
      expect(mapStrings(v, (t) => t)).toBe(v);
      let skel = firstOfEach(v);
      for (let i = 0; i < depth; i++)
        skel = Array.isArray(skel) ? skel[0] : (skel as Record<string, unknown>).a;
      expect(skel).toBe("leaf-value");
    }
  });
});

describe("json-walk: the deep-leaf budget", () => {
  it("a string at every one of 100,000 levels is refused with JsonTooDeepError, naming no value", () => {
    const v = JSON.parse(
      `${'{"s":"pad-value","a":'.repeat(100_000)}"leaf"${"}".repeat(100_000)}`,
    ) as unknown;
    let err: unknown;
    try {
      forEachString(v, () => {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JsonTooDeepError);
    expect(String((err as Error).message)).toMatch(/^hookpack: a JSON value nested at least \d+/);
    expect(String((err as Error).message)).not.toContain("pad-value");
    expect(() => mapStrings(v, (t) => t)).toThrow(JsonTooDeepError);
  });

  it("wide values never touch it: 1,000,000 strings at depth 3, and 10,000 at depth 64", () => {
    const wide = { a: { b: Array.from({ length: 1_000_000 }, (_, i) => `s${i}`) } };
    let n = 0;
    forEachString(wide, () => n++);
    expect(n).toBe(1_000_000);
    let deep64: unknown = Array.from({ length: 10_000 }, (_, i) => `s${i}`);
    for (let i = 0; i < FREE_DEPTH - 2; i++) deep64 = { a: deep64 };
    n = 0;
    forEachString(deep64, () => n++);
    expect(n).toBe(10_000);
  });
});
