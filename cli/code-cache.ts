// Loads hookpack's sibling bundles (hook.cjs, cli.cjs and what they load) through a V8 code cache
// on Node < 22, where `module.enableCompileCache()` does not exist. A hook process lives for one
// tool call, so compiling its bundles is paid on every call; with the cache V8 deserialises the
// bytecode instead — including the functions compiled while the previous call ran — which saves a
// few milliseconds per call (bench/run.mjs measures it side by side).
//
// The cache sits in $HOOKPACK_HOME/cache/v8/<node version>-<arch>/, one file per bundle, named by
// the bundle's path, the build id (a hash of all bundles, written into the entry by the build),
// size and mtime: V8 itself only checks the source length (it runs the OLD bytecode for a new
// source of the same length), and npm gives every packed file the same mtime, so a bundle that
// changes in place (an upgrade) must not meet the bytecode of its predecessor. Files are written
// once (at exit, atomically, only where $HOOKPACK_HOME already exists) and whenever V8 rejects one. Anything unusual — no HOME, a read-only
// disk, a rejected or damaged cache — falls back to compiling as usual; HOOKPACK_CODE_CACHE=0
// switches it off. The directory is hookpack's own (0700), where the agent's tools are not let in.
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Script } from "node:vm";
import { hookpackHomeOrUndefined } from "../core/home.js";

interface Loaded {
  exports: unknown;
}

const modules = new Map<string, Loaded>();
const pending: Array<{ file: string; stale: string[]; script: Script }> = [];
let cacheDir: string | null | undefined;
let homeDir = "";

/** Node's CommonJS wrapper (Module.wrap; node:module itself would pull in the ESM loader on Node 20). */
const wrap = (source: string) =>
  `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;

/** 32-bit FNV-1a, for a short stable file name from a path (no node:crypto on this path). */
function fnv(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

function dirFor(env: NodeJS.ProcessEnv): string | null {
  if (cacheDir !== undefined) return cacheDir;
  // Never a relative or in-project directory (core/home.ts): then simply no cache.
  const home = hookpackHomeOrUndefined(env) ?? "";
  homeDir = home;
  cacheDir =
    env.HOOKPACK_CODE_CACHE === "0" || !home
      ? null
      : join(home, "cache", "v8", `${process.version}-${process.arch}`);
  return cacheDir;
}

/** Writes the caches of this process's freshly compiled bundles (at exit; exported for tests). */
export function writeAll(): void {
  // The cache lives inside hookpack's home but never creates it: a command that writes nothing
  // (`install --dry-run`, a refused install) leaves no trace on a machine without one.
  if (!existsSync(homeDir)) return;
  for (const { file, stale, script } of pending.splice(0)) {
    try {
      mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, file);
      for (const old of stale) unlinkSync(old);
    } catch {
      // A cache is an optimisation: never a reason to fail.
    }
  }
}

/**
 * `require` for a sibling bundle `name` (e.g. "hook.cjs") in `dir`, through the code cache; other
 * ids go to `fallback` (the entry's own require).
 */
export function loadBundle(
  dir: string,
  name: string,
  fallback: (id: string) => unknown,
  buildId: string,
  env: NodeJS.ProcessEnv = process.env,
): unknown {
  const cached = modules.get(name);
  if (cached) return cached.exports;
  const path = join(dir, name);
  const cache = dirFor(env);
  if (cache === null) return fallback(`./${name}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require("node:vm") as typeof import("node:vm");
  const fd = openSync(path, "r");
  let source: string;
  let stamp: string;
  try {
    const st = fstatSync(fd);
    stamp = `${st.size}-${Math.floor(st.mtimeMs)}`;
    source = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  const prefix = `${name}-${fnv(dir)}-`;
  stamp = `${buildId}-${stamp}`;
  const file = join(cache, `${prefix}${stamp}.bin`);
  let data: Buffer | undefined;
  try {
    data = readFileSync(file);
  } catch {
    data = undefined;
  }
  const script = new vm.Script(wrap(source), {
    filename: path,
    ...(data ? { cachedData: data } : {}),
  });
  if (!data || script.cachedDataRejected) {
    if (pending.length === 0) process.once("exit", writeAll);
    let stale: string[] = [];
    try {
      stale = readdirSync(cache)
        .filter((f) => f.startsWith(prefix) && f !== `${prefix}${stamp}.bin`)
        .map((f) => join(cache, f));
    } catch {
      stale = [];
    }
    pending.push({ file, stale, script });
  }
  const mod: Loaded = { exports: {} };
  modules.set(name, mod);
  const req = (id: string): unknown =>
    id.startsWith("./") && id.endsWith(".cjs")
      ? loadBundle(dir, id.slice(2), fallback, buildId, env)
      : fallback(id);
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    mod.exports,
    mod.exports,
    req,
    mod,
    path,
    dir,
  );
  return mod.exports;
}
