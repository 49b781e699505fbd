// Issue 21: the hook cache packs its entries in columns (the hook decodes them without one JSON value
// per field). Version 4 (sec-cache): windows covering ≥ 16 value characters in every form and
// non-linear buckets and checks; files of versions 1–3 (which gave values away) are refused and
// rewritten, never searched; a damaged packed file is no cache at all. Version 5 (issue 21): the
// same entries in a binary layout the hook uses in place; a version 4 file is still read (the
// `good` files below are version 4 JSON of the current entries: hookCacheAsV4).
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildHookCache,
  encodeHookCache,
  hookCacheAsV4,
  hookCacheIsOld,
  hookCachePath,
  hookCacheV5Path,
  hookCacheVersion,
  loadHookCache,
} from "../../broker/hook-cache.js";
import { assertBuilt, run, sandbox } from "../broker/helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

describe("hook cache file format", () => {
  let stored: Array<{ name: string; value: string }> = [];
  it("the broker writes version 5 (binary, the version 4 columns) and the hook finds every stored value through it", () => {
    assertBuilt();
    const values = Array.from({ length: 40 }, (_, i) => ({
      name: `S_${i}`,
      value: `v${randomBytes(16 + (i % 9)).toString("hex")}`,
    }));
    for (const v of values)
      expect(run(box, ["secret", "set", v.name], { input: v.value }).status).toBe(0);
    stored = values;
    const bytes = readFileSync(hookCacheV5Path(box.hookpackHome));
    expect(hookCacheVersion(bytes)).toBe(5);
    // hook-cache.json beside it is the same entries in version 4 JSON: what an older installed
    // runtime reads (a version 5 file there read to it as no cache: values passed its hooks).
    const json = readFileSync(hookCachePath(box.hookpackHome), "utf8");
    const v4 = JSON.parse(json) as Record<string, unknown>;
    expect(v4.version).toBe(4);
    expect(v4).toEqual({ ...hookCacheAsV4(bytes), updated: v4.updated });
    expect(() => JSON.parse(bytes.toString("utf8")) as unknown).toThrow();
    const file = hookCacheAsV4(bytes)!;
    // The version 4 columns, windows that cover ≥ 16 value characters.
    expect(file.version).toBe(4);
    expect(file.unsearchable).toEqual([]);
    expect(file.entries).toBeUndefined();
    // Issue 21 added the whole-form check column (tested before the sha256).
    expect(Object.keys(file.packed as object).sort()).toEqual([
      "bucket",
      "check",
      "count",
      "digest",
      "length",
      "name",
      "window",
    ]);
    const cache = loadHookCache(box.hookpackHome)!;
    const text = values
      .map((v, i) => (i % 3 === 0 ? Buffer.from(v.value).toString("base64") : v.value))
      .join(" | ");
    expect(cache.matcher.find(text).map((m) => m.name)).toEqual(values.map((v) => v.name));
    // No plaintext form in the file.
    const raw =
      readFileSync(hookCacheV5Path(box.hookpackHome), "latin1") +
      readFileSync(hookCachePath(box.hookpackHome), "latin1");
    for (const v of values)
      for (const form of [
        v.value,
        Buffer.from(v.value).toString("base64"),
        Buffer.from(v.value).toString("hex"),
      ])
        expect(raw.includes(form)).toBe(false);
  });

  it("a version 1, 2 or 3 file (an earlier hookpack's) is refused, and the next store write replaces it with a new salt", () => {
    const path = hookCachePath(box.hookpackHome);
    const good = hookCacheAsV4(readFileSync(path)) as { version: number; salt: string };
    for (const version of [1, 2, 3]) {
      const dir = `${box.dir}/v${version}`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(hookCachePath(dir), JSON.stringify({ ...good, version }));
      // The same columns under an older version number: not searched (they would be read with
      // this version's hashes, or, as written by that version, give values away).
      expect(loadHookCache(dir)).toBeUndefined();
      expect(hookCacheIsOld(dir)).toBe(true);
    }
    // The real upgrade: an older file in the sandbox's home, then one `secret set`.
    writeFileSync(path, JSON.stringify({ ...good, version: 3 }));
    expect(loadHookCache(box.hookpackHome)).toBeUndefined();
    const extra = `u${randomBytes(18).toString("hex")}`;
    expect(run(box, ["secret", "set", "S_EXTRA"], { input: extra }).status).toBe(0);
    expect(hookCacheVersion(readFileSync(hookCacheV5Path(box.hookpackHome)))).toBe(5);
    expect(hookCacheVersion(readFileSync(path))).toBe(4);
    const after = hookCacheAsV4(readFileSync(path)) as { version: number; salt: string };
    expect(after.salt).not.toBe(good.salt);
    const cache = loadHookCache(box.hookpackHome)!;
    expect(cache.matcher.find(`${stored[0]!.value} ${extra}`).map((m) => m.name)).toEqual([
      stored[0]!.name,
      "S_EXTRA",
    ]);
  });

  it("a file without the check column (a version 3 file's optional column) is no cache", () => {
    const path = hookCachePath(box.hookpackHome);
    const good = hookCacheAsV4(readFileSync(path)) as {
      packed: { check?: string };
      names: string[];
    };
    expect(typeof good.packed.check).toBe("string");
    const { check: _check, ...older } = good.packed;
    const dir = `${box.dir}/v4-no-check`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(hookCachePath(dir), JSON.stringify({ ...good, packed: older }));
    expect(loadHookCache(dir)).toBeUndefined();
    expect(stored.length).toBe(40);
  });

  it("a packed file whose columns do not add up is no cache (never a partial one)", () => {
    const path = hookCachePath(box.hookpackHome);
    const good = hookCacheAsV4(readFileSync(path)) as {
      packed: { count: number; digest: string };
    };
    for (const broken of [
      { ...good, packed: { ...good.packed, count: good.packed.count + 1 } },
      { ...good, packed: { ...good.packed, digest: good.packed.digest.slice(0, -1) } },
      { ...good, packed: undefined },
      { ...good, packed: { ...good.packed, check: "AAAA" } },
    ]) {
      const dir = `${box.dir}/broken-${Math.random().toString(36).slice(2)}`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(hookCachePath(dir), JSON.stringify(broken));
      expect(loadHookCache(dir)).toBeUndefined();
    }
  });

  it("an entry whose window is empty or longer than its form is no cache (the load's one pass checks it)", () => {
    const path = hookCachePath(box.hookpackHome);
    const good = hookCacheAsV4(readFileSync(path)) as {
      packed: { count: number; window: string; length: string };
    };
    const windows = Buffer.from(good.packed.window, "base64");
    const lengths = Buffer.from(good.packed.length, "base64");
    const at = Math.floor(windows.length / 2);
    for (const w of [0, lengths.readUInt32LE(at * 4) + 1]) {
      const broken = Buffer.from(windows);
      broken[at] = w;
      const dir = `${box.dir}/window-${w}-${Math.random().toString(36).slice(2)}`;
      mkdirSync(dir, { recursive: true });
      const file = { ...good, packed: { ...good.packed, window: broken.toString("base64") } };
      writeFileSync(hookCachePath(dir), JSON.stringify(file));
      expect(loadHookCache(dir)).toBeUndefined();
      // The same file with the entry's window put back loads.
      writeFileSync(hookCachePath(dir), JSON.stringify(good));
      expect(loadHookCache(dir)?.matcher.size).toBe(good.packed.count);
    }
  });

  it("version skew: an older runtime's hook-cache.json is kept current, and one it rewrote is the one read", () => {
    // What the CLI wrote (beforeAll): the version 5 file and, beside it, version 4 JSON of the same
    // entries — hooks of an older installed runtime read only hook-cache.json.
    const home = box.hookpackHome;
    const v4 = JSON.parse(readFileSync(hookCachePath(home), "utf8")) as { version: number };
    expect(v4.version).toBe(4);
    // The JSON alone (the v5 file out of the way, as an older runtime sees the home) finds every value.
    const dir = `${box.dir}/json-only`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(hookCachePath(dir), JSON.stringify(v4));
    const text = stored.map((v) => v.value).join(" ; ");
    expect(
      loadHookCache(dir)!
        .matcher.find(text)
        .map((m) => m.name),
    ).toEqual(stored.map((v) => v.name));
    // An older hookpack's store write afterwards rewrites hook-cache.json only, with a value the
    // version 5 file does not know: the newer file is read, and the value is found.
    const salt = randomBytes(16);
    const extra = { name: "S_OLDER_WROTE", value: `o${randomBytes(18).toString("hex")}` };
    const two = `${box.dir}/older-wrote`;
    mkdirSync(two, { recursive: true });
    const before = buildHookCache(stored.slice(0, 3), salt);
    writeFileSync(
      hookCacheV5Path(two),
      encodeHookCache({ salt: salt.toString("base64"), updated: "", ...before }),
    );
    const after = buildHookCache([...stored.slice(0, 3), extra], salt);
    const older = hookCacheAsV4(
      encodeHookCache({ salt: salt.toString("base64"), updated: "", ...after }),
    );
    writeFileSync(hookCachePath(two), JSON.stringify(older));
    const t = Date.now() / 1000;
    utimesSync(hookCacheV5Path(two), t - 10, t - 10);
    expect(
      loadHookCache(two)!
        .matcher.find(`x ${extra.value} y`)
        .map((m) => m.name),
    ).toEqual([extra.name]);
    // And the other way round (the version 5 file newer): it is read.
    utimesSync(hookCachePath(two), t - 20, t - 20);
    expect(loadHookCache(two)!.version).toBe(5);
  });
});
