// Loads hookpack's sibling bundles (hook.cjs, cli.cjs and what they load) through a V8 code cache
// of our own, on every Node (Node 22's `module.enableCompileCache()` measured slower: cli/bin.ts).
// A hook process lives for one tool call, so compiling its bundles is paid on every call; with the
// cache V8 deserialises the bytecode instead — including the functions compiled while the calls
// that wrote it ran — which saves a few milliseconds per call (bench/run.mjs measures it).
//
// Two places, never both:
// - A verified runtime copy (the bundles beside a runtime-manifest.json: what `hookpack install`
//   writes under $HOOKPACK_HOME/runtime/<version>/ and the launcher verifies before any of it
//   runs): its own code-cache/ directory, and a cache file there is used only when its
//   fingerprint (inode, size, mtime, ctime of the very fd read) equals the one recorded in
//   code-cache/seal.json when hookpack wrote it. V8 checks little of a cache (the source's length,
//   its own version and flags): bytecode compiled from ANY source of the same length is run as if
//   it were the bundle's, so a cache file anyone could drop in would undo the launcher's check
//   (test/security/allow-path.attack.test.ts forges one). A forged file has a new inode and ctime,
//   which cannot be set back; getting one run takes forging the seal as well, the same two writes
//   inside hookpack's directory that the runtime seal (installer/runtime.ts) accepts.
// - Anywhere else (dist/ of a checkout or of node_modules/hookpack, whose bundles nothing
//   verifies): $HOOKPACK_HOME/cache/v8/<node version>-<arch>/.
// Either way one file per bundle, named by the bundle's path, the build id (a hash of all bundles,
// written into the entry by the build), size and mtime: V8 runs the OLD bytecode for a new source
// of the same length, and npm gives every packed file the same mtime, so a bundle that changes in
// place (an upgrade) must not meet the bytecode of its predecessor. Written at exit (atomically,
// only where the directory's parent already exists) when missing or rejected, and when the call
// took a path the cache has not seen yet: a cache file starts with a header naming the paths it
// has seen (agent, event, tool kind: the hook notes its path under a registered symbol), because a
// cache holds only the functions compiled by the time it was written. The first hook of a session
// is SessionStart, and a cache written then left every later PreToolUse compiling its rules
// (+1.9 ms CPU per call, 40 interleaved rounds). Rewritten with the union of paths, at most
// MAX_TAGS times. Anything unusual — no HOME, a read-only disk, a rejected or damaged cache — falls
// back to compiling as usual; HOOKPACK_CODE_CACHE=0 switches it off.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
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

/** A bundle compiled in this process whose cache file may be (re)written at exit. */
interface Writable {
  file: string;
  stale: string[];
  script: Script;
  /** The paths the cache file read had seen; null when there was none or V8 rejected it. */
  tags: string[] | null;
  /** The runtime copy's cache directory when sealed (the write is recorded in its seal). */
  sealed: string | null;
}

/** The start of every cache file hookpack writes: then the paths seen, comma-separated, and a newline. */
const MAGIC = "hookpack-v8-cache ";
/** A cache is rewritten at most this many times (one per new path), so it cannot churn. */
const MAX_TAGS = 24;
/** Where the running hook notes its path (agent:event:tool) for the cache written at exit. */
export const CODE_CACHE_TAG = Symbol.for("hookpack.code-cache.tag");
/** A verified runtime copy's cache directory, and the seal of the files hookpack wrote there. */
export const SEALED_CACHE_DIR = "code-cache";
const SEAL = "seal.json";

const modules = new Map<string, Loaded>();
const writable: Writable[] = [];
let cacheDir: string | null | undefined;
let homeDir = "";
const sealedDirs = new Map<string, string | null>();
const seals = new Map<string, Record<string, string>>();

/** inode, size, mtime, ctime: what a rewrite (even one that restores the mtime) cannot keep. */
const fingerprint = (st: { ino: number; size: number; mtimeMs: number; ctimeMs: number }) =>
  `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/** The seal of a runtime copy's cache directory (file name -> fingerprint), read once. */
function sealOf(sealed: string): Record<string, string> {
  let seal = seals.get(sealed);
  if (!seal) {
    try {
      const parsed = JSON.parse(readFileSync(join(sealed, SEAL), "utf8")) as unknown;
      seal =
        parsed && typeof parsed === "object" && !Array.isArray(parsed)
          ? (parsed as Record<string, string>)
          : {};
    } catch {
      seal = {};
    }
    seals.set(sealed, seal);
  }
  return seal;
}

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

/** A cache file: the header naming the paths it has seen, then V8's data. */
export function encodeCodeCache(tags: readonly string[], data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${MAGIC}${tags.join(",")}\n`, "latin1"), data]);
}

/** The paths and V8's data of a cache file, or undefined when it is not one of ours. */
export function decodeCodeCache(file: Buffer): { tags: string[]; data: Uint8Array } | undefined {
  // Byte loops and a plain view instead of Buffer's toString, indexOf and subarray: on the hook's
  // path each of those is a JavaScript function of Node's compiled on its first call (0.2 ms CPU
  // together, for a header of a few dozen bytes).
  if (file.length <= MAGIC.length) return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (file[i] !== MAGIC.charCodeAt(i)) return undefined;
  let nl = MAGIC.length;
  while (nl < file.length && file[nl] !== 10) nl++;
  if (nl === file.length) return undefined;
  let header = "";
  for (let i = MAGIC.length; i < nl; i++) header += String.fromCharCode(file[i]!);
  return {
    tags: header ? header.split(",") : [],
    data: new Uint8Array(file.buffer, file.byteOffset + nl + 1, file.length - nl - 1),
  };
}

/** The path this process took, as noted by the hook (letters, digits, `:._-` only), or "". */
function currentTag(): string {
  const tag = (globalThis as unknown as Record<symbol, unknown>)[CODE_CACHE_TAG];
  return typeof tag === "string" ? cleanTag(tag) : "";
}

/**
 * `tag.replace(/[^\w:.-]/g, "_").slice(0, 80)`, with the regex only for a tag that needs it: this
 * runs at every hook call's exit, and a regex is compiled anew in every process (issue 21).
 * Exported for tests.
 */
export function cleanTag(tag: string): string {
  for (let i = 0; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    const plain =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x5f ||
      c === 0x3a ||
      c === 0x2e ||
      c === 0x2d;
    if (!plain) return tag.replace(/[^\w:.-]/g, "_").slice(0, 80);
  }
  return tag.slice(0, 80);
}

function dirFor(env: NodeJS.ProcessEnv): string | null {
  if (cacheDir !== undefined) return cacheDir;
  // Never a relative or in-project directory (core/home.ts): then simply no cache.
  const home = hookpackHomeOrUndefined(env) ?? "";
  homeDir = home;
  cacheDir = !home ? null : join(home, "cache", "v8", `${process.version}-${process.arch}`);
  return cacheDir;
}

/** The sealed cache directory when `dir` is a verified runtime copy (it has a manifest), else null. */
function sealedDirFor(dir: string): string | null {
  let sealed = sealedDirs.get(dir);
  if (sealed === undefined) {
    sealed = existsSync(join(dir, RUNTIME_MANIFEST_NAME))
      ? join(dir, SEALED_CACHE_DIR, `${process.version}-${process.arch}`)
      : null;
    sealedDirs.set(dir, sealed);
  }
  return sealed;
}
/** installer/runtime.ts RUNTIME_MANIFEST (not imported: the installer is not on this path). */
const RUNTIME_MANIFEST_NAME = "runtime-manifest.json";

/**
 * The exit listener: most calls find every cache complete, and then neither compile nor run
 * writeAll (compiling it at exit was most of the 0.1 ms this listener cost per call). `on`, not
 * `once`: exit is emitted once, and once's wrapper is more of Node's code to compile.
 */
function writeIfNeeded(): void {
  const tag = currentTag();
  for (const { tags } of writable)
    if (tags === null || (tag && !tags.includes(tag) && tags.length < MAX_TAGS)) return writeAll();
}

/** Writes the caches of this process's bundles that are missing, rejected or short of this call's path (at exit; exported for tests). */
export function writeAll(): void {
  const tag = currentTag();
  const resealed = new Set<string>();
  for (const { file, stale, script, tags, sealed } of writable.splice(0)) {
    let next: string[];
    if (tags === null) next = tag ? [tag] : [];
    else if (tag && !tags.includes(tag) && tags.length < MAX_TAGS) next = [...tags, tag];
    else continue;
    // The cache lives inside hookpack's home (or the runtime copy) but never creates it: a command
    // that writes nothing (`install --dry-run`, a refused install) leaves no trace without one.
    // (Asked only when there is something to write: a call whose cache is complete makes no syscall.)
    if (!sealed && !existsSync(homeDir)) continue;
    try {
      mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, encodeCodeCache(next, script.createCachedData()), { mode: 0o600 });
      renameSync(tmp, file);
      for (const old of stale) unlinkSync(old);
      if (sealed) {
        const seal = sealOf(sealed);
        for (const old of stale) delete seal[old.slice(sealed.length + 1)];
        seal[file.slice(sealed.length + 1)] = fingerprint(lstatSync(file));
        resealed.add(sealed);
      }
    } catch {
      // A cache is an optimisation: never a reason to fail.
    }
  }
  for (const sealed of resealed)
    try {
      const tmp = join(sealed, `${SEAL}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify(sealOf(sealed)), { mode: 0o600 });
      renameSync(tmp, join(sealed, SEAL));
    } catch {
      // Unsealed files are simply not used.
    }
}

/**
 * The bytes of a cache file, or undefined. In a runtime copy only a file hookpack wrote there: its
 * fingerprint, taken from the fd the bytes are read from (no symlink followed), must be the sealed one.
 */
function readCache(file: string, sealed: string | null): Buffer | undefined {
  let fd: number | undefined;
  try {
    if (!sealed) return readFileSync(file);
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile() || sealOf(sealed)[file.slice(sealed.length + 1)] !== fingerprint(st))
      return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
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
  if (env.HOOKPACK_CODE_CACHE === "0") return fallback(`./${name}`);
  const sealed = sealedDirFor(dir);
  const cache = sealed ?? dirFor(env);
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
  const read = readCache(file, sealed);
  const decoded = read ? decodeCodeCache(read) : undefined;
  const script = new vm.Script(wrap(source), {
    filename: path,
    ...(decoded ? { cachedData: decoded.data } : {}),
  });
  const rejected = !decoded || script.cachedDataRejected === true;
  if (writable.length === 0) process.on("exit", writeIfNeeded);
  let stale: string[] = [];
  if (rejected)
    try {
      stale = readdirSync(cache)
        .filter((f) => f.startsWith(prefix) && f !== `${prefix}${stamp}.bin`)
        .map((f) => join(cache, f));
    } catch {
      stale = [];
    }
  writable.push({ file, stale, script, tags: rejected ? null : decoded.tags, sealed });
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
