"use strict";
/* global __filename */
// The start of dist/hookpack.cjs (scripts/build.mjs puts it there; issue 21). The entry's own code
// (cli/bin.ts: the stdin prelude, the home resolution, the code-cache loader) follows it as the
// text of a template literal, MAIN, and is compiled here, through a V8 code cache of its own.
// Without one every function of the entry is compiled on its first call of every process (Node's
// loader has no cache on Node 20): ≈0.5 ms CPU of an allow call. Scanning a string costs V8 far
// less than pre-parsing the same text as code.
//
// Where the cache is taken from, and when:
// - only for `hookpack hook …` (an agent's call, the path that runs on every tool call), with
//   HOOKPACK_CODE_CACHE not "0";
// - never in a verified runtime copy (a runtime-manifest.json beside the entry: what `hookpack
//   install` writes and the launcher verifies): nothing beside it is trusted. (Install writes the
//   runtime's entry without this stub at all, installer/runtime.ts plainEntry: there it would only
//   cost; this check holds should a stub ever land there.)
// - otherwise (dist/ of a checkout or of node_modules/hookpack, which nothing verifies): one file
//   beside the entry, named by KEY (a hash of MAIN, written by the build), the entry's size and
//   mtime, the Node version and arch (V8 runs the bytecode of ANY source of the same length). It
//   is used only when it is a regular file (no symlink followed), owned by this user and writable
//   by no one else: who can write it can replace the entry itself, so it adds no way in.
// Written at exit when missing or rejected (atomically; a directory we cannot write simply has no
// cache). Anything unusual falls back to compiling as before.
const KEY = "@@hookpack-entry-key@@";
const MAIN = `@@hookpack-entry-main@@`;
(() => {
  const fs = require("node:fs");
  let file;
  let data;
  if (
    process.argv[2] === "hook" &&
    process.env.HOOKPACK_CODE_CACHE !== "0" &&
    typeof process.getuid === "function" &&
    fs.constants.O_NOFOLLOW !== undefined
  )
    try {
      const st = fs.statSync(__filename);
      if (!fs.existsSync(`${__dirname}/runtime-manifest.json`)) {
        file = `${__filename}.${KEY}-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}.v8`;
        const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        try {
          const own = fs.fstatSync(fd);
          if (own.isFile() && own.uid === process.getuid() && (own.mode & 0o022) === 0)
            data = fs.readFileSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch {
      // no cache (yet): compiled as usual
    }
  // No cache to take or write (another command, HOOKPACK_CODE_CACHE=0, a runtime copy): compiled
  // as Node compiles a file, without loading node:vm.
  if (file === undefined) return module._compile(MAIN, __filename);
  const vm = require("node:vm");
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) { ${MAIN}\n});`,
    data ? { filename: __filename, cachedData: data } : { filename: __filename },
  );
  if (data === undefined || script.cachedDataRejected === true)
    process.on("exit", () => {
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600, flag: "wx" });
        fs.renameSync(tmp, file);
      } catch {
        try {
          fs.unlinkSync(tmp);
        } catch {
          // nothing was written
        }
      }
    });
  script.runInThisContext().call(exports, exports, require, module, __filename, __dirname);
})();
