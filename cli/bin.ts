// The `hookpack` executable. Kept tiny: `hookpack hook <agent>` runs on every tool call of an
// agent, so it loads only the hook runtime; every other command loads the CLI bundle.
// The compile cache (Node >= 22.1) saves a few ms per start. On older Node, loading node:module
// alone pulls in the ESM loader, which costs more than the cache would save, so skip it there and
// use a code cache of our own (cli/code-cache.ts).
import { loadBundle } from "./code-cache.js";

/** Set by scripts/build.mjs: a hash of the sibling bundles (the code cache's key). */
declare const HOOKPACK_BUILD_ID: string;

if (Number(process.versions.node.split(".")[0]) >= 22) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("node:module") as { enableCompileCache?: () => unknown }).enableCompileCache?.();
}

const [command, ...rest] = process.argv.slice(2);
// `hookpack hook --help` is help, answered by the CLI; every other `hook` call is an agent's.
const hook = command === "hook" && rest[0] !== "--help" && rest[0] !== "-h";
// `hookpack pre-push`, which git runs on every push, loads its own small bundle (help is the CLI's).
const prePush = command === "pre-push" && !rest.includes("--help") && !rest.includes("-h");
if (
  Number(process.versions.node.split(".")[0]) < 22 &&
  typeof __dirname === "string" &&
  __dirname.length > 0 &&
  /[/\\]hookpack\.cjs$/.test(__filename)
) {
  // Node 20: the bundles through a V8 code cache of our own (cli/code-cache.ts). Only in the
  // built entry (dist/hookpack.cjs), whose siblings are the bundles.
  const load = (name: string) => loadBundle(__dirname, name, require, HOOKPACK_BUILD_ID);
  if (hook)
    void Promise.resolve().then(() =>
      (load("hook.cjs") as typeof import("../hooks/run-hook.js")).runHook(rest[0]),
    );
  else if (prePush)
    void Promise.resolve().then(() =>
      (load("pre-push.cjs") as typeof import("./pre-push-main.js")).main(rest),
    );
  else
    void Promise.resolve().then(() =>
      (load("cli.cjs") as typeof import("./main.js")).main(process.argv.slice(2)),
    );
} else if (hook) {
  void import("../hooks/run-hook.js").then(({ runHook }) => runHook(rest[0]));
} else if (prePush) {
  void import("./pre-push-main.js").then(({ main }) => main(rest));
} else {
  void import("./main.js").then(({ main }) => main(process.argv.slice(2)));
}
