// Issue 21: the hook cache's version 2 file (3 since the symmetric buckets) packs its entries in columns (the hook decodes them
// without one JSON value per field); what it finds is exactly what version 1 found, version 1
// files written by an earlier hookpack still load, and a damaged packed file is no cache at all.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { buildHookCache, hookCachePath, loadHookCache } from "../../broker/hook-cache.js";
import { assertBuilt, run, sandbox } from "../broker/helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

describe("hook cache file format", () => {
  let stored: Array<{ name: string; value: string }> = [];
  it("the broker writes version 3 (packed, no per-entry arrays, symmetric buckets) and the hook finds every stored value through it", () => {
    assertBuilt();
    const values = Array.from({ length: 40 }, (_, i) => ({
      name: `S_${i}`,
      value: `v${randomBytes(16 + (i % 9)).toString("hex")}`,
    }));
    for (const v of values)
      expect(run(box, ["secret", "set", v.name], { input: v.value }).status).toBe(0);
    stored = values;
    const file = JSON.parse(readFileSync(hookCachePath(box.hookpackHome), "utf8")) as Record<
      string,
      unknown
    >;
    // Version 3 (this session): the same columns, buckets a window shares with its reversal.
    expect(file.version).toBe(3);
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
    const raw = readFileSync(hookCachePath(box.hookpackHome), "utf8");
    for (const v of values)
      for (const form of [
        v.value,
        Buffer.from(v.value).toString("base64"),
        Buffer.from(v.value).toString("hex"),
      ])
        expect(raw.includes(form)).toBe(false);
  });

  it("a version 1 file (an earlier hookpack's) still loads and finds the same", () => {
    const value = `w${randomBytes(20).toString("hex")}`;
    const salt = randomBytes(16);
    // Version 1 files were written with the fmix buckets (symmetric = false).
    const built = buildHookCache([{ name: "OLD", value }], salt, undefined, false);
    const dir = `${box.dir}/v1`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      hookCachePath(dir),
      JSON.stringify({
        format: "hookpack-hook-cache",
        version: 1,
        salt: salt.toString("base64"),
        updated: new Date().toISOString(),
        ...built,
      }),
    );
    const cache = loadHookCache(dir)!;
    expect(cache).toBeDefined();
    expect(cache.matcher.find(`x ${value} y`).map((m) => m.name)).toEqual(["OLD"]);
  });

  it("a file without the check column (the previous release's) finds the same", () => {
    const path = hookCachePath(box.hookpackHome);
    const good = JSON.parse(readFileSync(path, "utf8")) as {
      packed: { check?: string };
      names: string[];
    };
    expect(typeof good.packed.check).toBe("string");
    const { check: _check, ...older } = good.packed;
    const dir = `${box.dir}/v2-no-check`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(hookCachePath(dir), JSON.stringify({ ...good, packed: older }));
    const withCheck = loadHookCache(box.hookpackHome)!.matcher;
    const without = loadHookCache(dir)!.matcher;
    expect(without.size).toBe(withCheck.size);
    expect(stored.length).toBe(40);
    const text = stored
      .map((v, i) =>
        i % 2 === 0
          ? Buffer.from(v.value).toString("hex")
          : `x${v.value.split("").reverse().join("")}`,
      )
      .join("\n");
    const found = without.find(text);
    expect(found.map((m) => m.name)).toEqual(
      stored.filter((_, i) => i % 2 === 0).map((v) => v.name),
    );
    expect(found).toEqual(withCheck.find(text));
    const both = without.findBothWays(text);
    expect(both.filter((m) => m.view === "reversed").map((m) => m.name)).toEqual(
      stored.filter((_, i) => i % 2 === 1).map((v) => v.name),
    );
  });

  it("a packed file whose columns do not add up is no cache (never a partial one)", () => {
    const path = hookCachePath(box.hookpackHome);
    const good = JSON.parse(readFileSync(path, "utf8")) as {
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
});
