"use strict";
/* global __filename */
// The start of dist/hookpack.cjs (scripts/build.mjs puts it there; issue 21). The entry's own code
// (cli/bin.ts: the stdin prelude, the home resolution, the code-cache loader) follows it as the
// text of a template literal, MAIN, and is compiled here, through a V8 code cache of its own.
// Without one every function of the entry is compiled on its first call of every process (Node's
// loader has no cache on Node 20): ≈0.5 ms CPU of an allow call. Scanning a string costs V8 far
// less than pre-parsing the same text as code.
//
// FAST is dist/fast-allow.cjs byte for byte (the fast allow stage, hooks/fast-allow.ts), compiled
// in the same script and so through the same cache: a plain allow reads one file and one cache
// and compiles one script (issue 21, allow8: -0.6 ms CPU against loading fast-allow.cjs through
// cli/code-cache.ts). The entry runs it (cli/bin.ts fastStage) when the stub hands it over as
// module.hookpackFast; without it (no cache taken here, a runtime copy) it loads fast-allow.cjs.
//
// Where the cache is taken from, and when:
// - only for `hookpack hook …` (an agent's call, the path that runs on every tool call), with
//   HOOKPACK_CODE_CACHE not "0";
// - never in a verified runtime copy (a runtime-manifest.json beside the entry: what `hookpack
//   install` writes and the launcher verifies): nothing beside it is trusted. (Install writes the
//   runtime's entry without this stub at all, installer/runtime.ts plainEntry: there it would only
//   cost; this check holds should a stub ever land there.)
// - otherwise (dist/ of a checkout or of node_modules/hookpack, which nothing verifies): one file
//   beside the entry, named by KEY (a hash of MAIN and FAST, written by the build), the entry's
//   size and mtime, the Node version and arch (V8 runs the bytecode of ANY source of the same
//   length). It is used only when it is a regular file (no symlink followed), owned by this user
//   and writable by no one else: who can write it can replace the entry itself, so it adds no way
//   in.
// The file's first byte says whether the fast stage's checks had run when it was written ("F") or
// not ("E"): V8's cache holds only the functions compiled by then, and the first hook of a session
// (SessionStart) does not run them. Written at exit when missing or rejected, or "E" and this call
// was a plain allow (atomically; a directory we cannot write simply has no cache). Anything
// unusual falls back to compiling as before.
const KEY = "@@hookpack-entry-key@@";
const FAST_SIZE = "@@hookpack-entry-fast-size@@";
const MAIN = `@@hookpack-entry-main@@`;
(() => {
  const fs = require("node:fs");
  let file;
  let data;
  let complete = false;
  let fast;
  if (
    process.argv[2] === "hook" &&
    process.env.HOOKPACK_CODE_CACHE !== "0" &&
    typeof process.getuid === "function" &&
    fs.constants.O_NOFOLLOW !== undefined
  )
    try {
      const st = fs.statSync(__filename);
      if (!fs.existsSync(`${__dirname}/runtime-manifest.json`)) {
        // The fast stage's bundle beside the entry, as the build wrote it (FAST_SIZE bytes, plain
        // ASCII); anything else: no cache, and the entry loads the bundle itself.
        const ffd = fs.openSync(`${__dirname}/fast-allow.cjs`, fs.constants.O_RDONLY);
        try {
          const fst = fs.fstatSync(ffd);
          const buf = Buffer.allocUnsafe(FAST_SIZE);
          if (
            fst.isFile() &&
            fst.size === FAST_SIZE &&
            fs.readSync(ffd, buf, 0, FAST_SIZE, 0) === FAST_SIZE
          )
            fast = buf.utf8Slice(0, FAST_SIZE);
        } finally {
          fs.closeSync(ffd);
        }
        if (fast === undefined || fast.length !== FAST_SIZE) throw new Error("no fast stage");
        file = `${__filename}.${KEY}-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}.v8`;
        const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        try {
          const own = fs.fstatSync(fd);
          if (own.isFile() && own.uid === process.getuid() && (own.mode & 0o022) === 0) {
            // One read of the size fstat gave (readFileSync(fd) would fstat and loop again).
            const buf = Buffer.allocUnsafe(own.size);
            const n = fs.readSync(fd, buf, 0, own.size, 0);
            if (n > 1 && n === own.size && (buf[0] === 0x46 || buf[0] === 0x45)) {
              complete = buf[0] === 0x46;
              data = new Uint8Array(buf.buffer, buf.byteOffset + 1, n - 1);
            }
          }
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch {
      // no cache (yet): compiled as usual
    }
  // No cache to take or write (another command, HOOKPACK_CODE_CACHE=0, a runtime copy): compiled
  // as Node compiles a file, without loading node:vm (the entry loads fast-allow.cjs itself).
  if (file === undefined) return module._compile(MAIN, __filename);
  const vm = require("node:vm");
  const wrap = (text) => `function (exports, require, module, __filename, __dirname) { ${text}\n}`;
  const script = new vm.Script(
    `[${wrap(MAIN)}, ${wrap(fast)}]`,
    data ? { filename: __filename, cachedData: data } : { filename: __filename },
  );
  const rejected = data === undefined || script.cachedDataRejected === true;
  if (rejected || !complete)
    process.on("exit", () => {
      // A plain allow (hooks/fast-allow.ts notes it) has run the stage's checks.
      const allowed =
        globalThis[Symbol.for("hookpack.code-cache.tag")] === "claude-code:fast-allow";
      if (!rejected && !allowed) return;
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        const v8 = script.createCachedData();
        const out = Buffer.allocUnsafe(v8.length + 1);
        out[0] = allowed ? 0x46 : 0x45;
        out.set(v8, 1);
        fs.writeFileSync(tmp, out, { mode: 0o600, flag: "wx" });
        fs.renameSync(tmp, file);
      } catch {
        try {
          fs.unlinkSync(tmp);
        } catch {
          // nothing was written
        }
      }
    });
  const fns = script.runInThisContext();
  module.hookpackFast = fns[1];
  fns[0].call(exports, exports, require, module, __filename, __dirname);
})();
