// hookpack's own V8 code cache (cli/code-cache.ts, Node < 22): the real entry (dist/hookpack.cjs)
// in a directory of its own with a stand-in hook bundle, run as separate processes the way an
// agent runs the hook. A bundle changed in place must never meet its predecessor's bytecode, a
// damaged cache must not matter, and the cache can be switched off.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "../broker/helpers.js";
import { HOOKPACK_CJS } from "../helpers/sandbox.js";
import { cleanTag } from "../../cli/code-cache.js";

let root: string;
beforeAll(() => assertBuilt());
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A dist-like directory: the real entry, and a hook bundle that prints `text` and a sibling's. */
function setup(text: string): {
  dist: string;
  home: string;
  run: (env?: Record<string, string>) => string;
} {
  root = mkdtempSync(join(tmpdir(), "hookpack-codecache-"));
  const dist = join(root, "dist");
  mkdirSync(dist);
  copyFileSync(HOOKPACK_CJS, join(dist, "hookpack.cjs"));
  writeHook(dist, text);
  writeFileSync(join(dist, "sibling.cjs"), 'module.exports = { word: "sib" };\n');
  const home = join(root, "hp");
  mkdirSync(home);
  const run = (env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(dist, "hookpack.cjs"), "hook", "claude-code"], {
      input: "",
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: root, HOOKPACK_HOME: home, ...env },
    });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };
  return { dist, home, run };
}

function writeHook(dist: string, text: string, mtime?: Date): void {
  const file = join(dist, "hook.cjs");
  writeFileSync(
    file,
    `"use strict";const s=require("./sibling.cjs");module.exports={runHook(a){process.stdout.write("${text} "+s.word+" "+a)}};\n`,
  );
  if (mtime) utimesSync(file, mtime, mtime);
}

const cacheFiles = (home: string) => {
  const dir = join(home, "cache", "v8", `${process.version}-${process.arch}`);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

describe("code cache (Node < 22)", () => {
  it("the first run writes one cache file per bundle loaded, the next runs use them and behave the same", () => {
    const { home, run } = setup("AAAA");
    expect(run()).toBe("AAAA sib claude-code");
    const files = cacheFiles(home);
    expect(files.map((f) => f.replace(/-[0-9a-f]{8}-.*$/, ""))).toEqual([
      "hook.cjs",
      "sibling.cjs",
    ]);
    expect(run()).toBe("AAAA sib claude-code");
    expect(cacheFiles(home)).toEqual(files);
  });

  it("a bundle changed in place to a source of the SAME length gets new bytecode, and the stale cache goes", () => {
    const { dist, home, run } = setup("AAAA");
    expect(run()).toBe("AAAA sib claude-code");
    const before = cacheFiles(home);
    writeHook(dist, "BBBB", new Date(Date.now() + 5_000));
    expect(run()).toBe("BBBB sib claude-code");
    const after = cacheFiles(home);
    expect(after).toHaveLength(2);
    expect(after.filter((f) => f.startsWith("hook.cjs"))).not.toEqual(
      before.filter((f) => f.startsWith("hook.cjs")),
    );
  });

  it("a damaged cache file is rejected by V8 and rewritten; the hook still behaves", () => {
    const { home, run } = setup("AAAA");
    run();
    const dir = join(home, "cache", "v8", `${process.version}-${process.arch}`);
    const hookCache = join(
      dir,
      cacheFiles(home).find((f) => f.startsWith("hook.cjs"))!,
    );
    writeFileSync(hookCache, Buffer.alloc(4096, 7));
    expect(run()).toBe("AAAA sib claude-code");
    expect(run()).toBe("AAAA sib claude-code");
  });

  it("another build (an upgrade in place: same paths, npm's fixed mtimes) gets its own cache files", () => {
    const { dist, home, run } = setup("AAAA");
    run();
    const before = cacheFiles(home);
    const entry = join(dist, "hookpack.cjs");
    const text = readFileSync(entry, "utf8");
    const id = /"([0-9a-f]{16})"/.exec(text)![1]!;
    writeFileSync(entry, text.split(id).join("0123456789abcdef"));
    expect(run()).toBe("AAAA sib claude-code");
    const after = cacheFiles(home);
    expect(after).toHaveLength(2);
    expect(after.every((f) => f.includes("-0123456789abcdef-"))).toBe(true);
    expect(before.every((f) => f.includes(`-${id}-`))).toBe(true);
  });

  it("never creates hookpack's home: without one, a run leaves no trace", () => {
    const { home, run } = setup("AAAA");
    rmSync(home, { recursive: true });
    expect(run()).toBe("AAAA sib claude-code");
    expect(existsSync(home)).toBe(false);
  });

  it("HOOKPACK_CODE_CACHE=0 writes nothing; a cache location that cannot be created changes nothing", () => {
    const { home, run } = setup("AAAA");
    expect(run({ HOOKPACK_CODE_CACHE: "0" })).toBe("AAAA sib claude-code");
    expect(existsSync(join(home, "cache"))).toBe(false);
    // A file where the cache directory would go: nothing can be written, the hook still works.
    writeFileSync(join(home, "cache"), "not a directory");
    expect(run()).toBe("AAAA sib claude-code");
    expect(run()).toBe("AAAA sib claude-code");
  });
});

/** The stand-in hook notes the path named by $TAG, as the real hook does (hooks/run-hook.ts). */
function writeTaggingHook(dist: string, text: string): void {
  writeFileSync(
    join(dist, "hook.cjs"),
    `"use strict";const s=require("./sibling.cjs");module.exports={runHook(a){if(process.env.TAG)globalThis[Symbol.for("hookpack.code-cache.tag")]=process.env.TAG;process.stdout.write("${text} "+s.word+" "+a)}};\n`,
  );
}

const header = (file: string) => {
  const text = readFileSync(file, "latin1");
  return text.slice(0, text.indexOf("\n"));
};

describe("code cache: the paths a cache has seen (Node < 22)", () => {
  it("a call on a path the cache has not seen rewrites it with the union; a seen path writes nothing", () => {
    const { dist, home, run } = setup("AAAA");
    writeTaggingHook(dist, "AAAA");
    const dir = join(home, "cache", "v8", `${process.version}-${process.arch}`);
    const hookFile = () =>
      join(
        dir,
        cacheFiles(home).find((f) => f.startsWith("hook.cjs"))!,
      );
    expect(run({ TAG: "claude-code:session-start" })).toBe("AAAA sib claude-code");
    expect(header(hookFile())).toBe("hookpack-v8-cache claude-code:session-start");
    expect(run({ TAG: "claude-code:before-tool:shell" })).toBe("AAAA sib claude-code");
    expect(header(hookFile())).toBe(
      "hookpack-v8-cache claude-code:session-start,claude-code:before-tool:shell",
    );
    const before = readFileSync(hookFile());
    expect(run({ TAG: "claude-code:session-start" })).toBe("AAAA sib claude-code");
    expect(readFileSync(hookFile()).equals(before)).toBe(true);
  });

  it("cleanTag is the regex it stands in front of, for every character up to U+02FF", () => {
    const differ: string[] = [];
    for (let c = 0; c <= 0x2ff; c++)
      for (const tag of [String.fromCharCode(c), `ab${String.fromCharCode(c)}:c`])
        if (cleanTag(tag) !== tag.replace(/[^\w:.-]/g, "_").slice(0, 80)) differ.push(tag);
    expect(differ).toEqual([]);
    expect(cleanTag("x".repeat(100))).toBe("x".repeat(80));
  });

  it("a path with characters outside [\\w:.-] is written with them replaced (no header injection)", () => {
    const { dist, home, run } = setup("AAAA");
    writeTaggingHook(dist, "AAAA");
    const dir = join(home, "cache", "v8", `${process.version}-${process.arch}`);
    expect(run({ TAG: "a/b c,d\u00e9x:y.z-W_9" })).toBe("AAAA sib claude-code");
    const hookFile = join(
      dir,
      cacheFiles(home).find((f) => f.startsWith("hook.cjs"))!,
    );
    expect(header(hookFile)).toBe("hookpack-v8-cache a_b_c_d_x:y.z-W_9");
  });

  it("a cache file without hookpack's header (an older format, or anything else) is not used and is rewritten", () => {
    const { home, run } = setup("AAAA");
    run();
    const dir = join(home, "cache", "v8", `${process.version}-${process.arch}`);
    const f = join(
      dir,
      cacheFiles(home).find((x) => x.startsWith("hook.cjs"))!,
    );
    const data = readFileSync(f);
    writeFileSync(f, data.subarray(data.indexOf(10) + 1));
    expect(run()).toBe("AAAA sib claude-code");
    expect(header(f)).toMatch(/^hookpack-v8-cache /);
  });
});

describe("code cache of a verified runtime copy (any Node)", () => {
  /** A runtime-like directory: the entry, the bundles and a manifest beside them. */
  function runtimeSetup() {
    const s = setup("AAAA");
    writeFileSync(
      join(s.dist, "runtime-manifest.json"),
      '{"format":"hookpack-runtime","files":{}}\n',
    );
    const sealed = join(s.dist, "code-cache", `${process.version}-${process.arch}`);
    const hookFile = () =>
      join(
        sealed,
        readdirSync(sealed).find((f) => f.startsWith("hook.cjs"))!,
      );
    return { ...s, sealed, hookFile };
  }
  /** Bytecode of `source` (same length as the hook bundle) in a cache file with our header. */
  function forged(dist: string, source: string): Buffer {
    const real = readFileSync(join(dist, "hook.cjs"), "utf8");
    const padded = source + " ".repeat(real.length - source.length);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vm = require("node:vm") as typeof import("node:vm");
    const script = new vm.Script(
      `(function (exports, require, module, __filename, __dirname) { ${padded}\n});`,
      { filename: join(dist, "hook.cjs") },
    );
    return Buffer.concat([Buffer.from("hookpack-v8-cache x\n"), script.createCachedData()]);
  }

  it("caches beside the runtime (sealed), never in $HOOKPACK_HOME, and reuses its own files", () => {
    const { home, sealed, hookFile, run } = runtimeSetup();
    expect(run()).toBe("AAAA sib claude-code");
    expect(cacheFiles(home)).toEqual([]);
    const seal = JSON.parse(readFileSync(join(sealed, "seal.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(Object.keys(seal).sort()).toEqual(
      readdirSync(sealed)
        .filter((f) => f !== "seal.json")
        .sort(),
    );
    const before = readFileSync(hookFile());
    expect(run()).toBe("AAAA sib claude-code");
    expect(readFileSync(hookFile()).equals(before)).toBe(true);
  });

  it("a forged cache file (bytecode of other code of the same length) is not run, and is replaced", () => {
    const { dist, sealed, hookFile, run } = runtimeSetup();
    run();
    const marker = join(root, "forged-code-ran");
    writeFileSync(
      hookFile(),
      forged(dist, `require("fs").writeFileSync(${JSON.stringify(marker)},"x");process.exit(0);`),
    );
    expect(run()).toBe("AAAA sib claude-code");
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(hookFile(), "latin1")).not.toContain("hookpack-v8-cache x\n");
    expect(existsSync(join(sealed, "seal.json"))).toBe(true);
  });

  it("a cache file swapped for a symlink to forged bytecode is not followed", () => {
    const { dist, hookFile, run } = runtimeSetup();
    run();
    const marker = join(root, "forged-code-ran");
    const elsewhere = join(root, "forged.bin");
    writeFileSync(
      elsewhere,
      forged(dist, `require("fs").writeFileSync(${JSON.stringify(marker)},"x");process.exit(0);`),
    );
    const f = hookFile();
    rmSync(f);
    symlinkSync(elsewhere, f);
    expect(run()).toBe("AAAA sib claude-code");
    expect(existsSync(marker)).toBe(false);
  });
});
