// The `hookpack` executable. Kept tiny: `hookpack hook <agent>` runs on every tool call of an
// agent, so it loads only the hook runtime; every other command loads the CLI bundle.
// The compile cache (Node >= 22.1) saves a few ms per start. On older Node, loading node:module
// alone pulls in the ESM loader, which costs more than the cache would save, so skip it there and
// use a code cache of our own (cli/code-cache.ts); a verified runtime copy uses its sealed one.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadBundle } from "./code-cache.js";

/** Set by scripts/build.mjs: a hash of the sibling bundles (the code cache's key). */
declare const HOOKPACK_BUILD_ID: string;

const major = Number(process.versions.node.split(".")[0]);
/** The built entry (dist/hookpack.cjs or a runtime copy), whose siblings are the bundles. */
const built =
  typeof __dirname === "string" && __dirname.length > 0 && /[/\\]hookpack\.cjs$/.test(__filename);
// Our own cache on Node < 22; on any Node in a verified runtime copy (its sealed cache, never
// Node's compile cache, which lives where anyone can write it: cli/code-cache.ts), and when asked
// (HOOKPACK_CODE_CACHE=own: install trains the sealed cache this way).
const own =
  built &&
  (major < 22 ||
    process.env.HOOKPACK_CODE_CACHE === "own" ||
    existsSync(join(__dirname, "runtime-manifest.json")));
if (major >= 22 && !own) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("node:module") as { enableCompileCache?: () => unknown }).enableCompileCache?.();
}

const [command, ...rest] = process.argv.slice(2);
// `hookpack hook --help` is help, answered by the CLI; every other `hook` call is an agent's.
const hook = command === "hook" && rest[0] !== "--help" && rest[0] !== "-h";
if (own) {
  // The bundles through a V8 code cache of our own (cli/code-cache.ts).
  const load = (name: string) => loadBundle(__dirname, name, require, HOOKPACK_BUILD_ID);
  if (hook)
    void Promise.resolve().then(() =>
      (load("hook.cjs") as typeof import("../hooks/run-hook.js")).runHook(rest[0]),
    );
  else
    void Promise.resolve().then(() =>
      (load("cli.cjs") as typeof import("./main.js")).main(process.argv.slice(2)),
    );
} else if (hook) {
  void import("../hooks/run-hook.js").then(({ runHook }) => runHook(rest[0]));
} else {
  void import("./main.js").then(({ main }) => main(process.argv.slice(2)));
}
