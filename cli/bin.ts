// The `hookpack` executable. Kept tiny: `hookpack hook <agent>` runs on every tool call of an
// agent, so it loads only the hook runtime; every other command loads the CLI bundle.
// The bundles load through a V8 code cache of hookpack's own (cli/code-cache.ts) on every Node:
// on Node 22 it beat Node's compile cache by 3.4 ms CPU per allow call (30 interleaved rounds:
// 31.4 vs 34.8 ms, `node -e 0` 24.8 ms), because it is completed for every path a session takes,
// and a verified runtime copy must not take bytecode from Node's cache in the temp directory.
import { fastPrelude } from "../hooks/fast-prelude.js";
import type { StdinPrefix } from "../hooks/read-stdin.js";
import { loadBundle } from "./code-cache.js";

/** Set by scripts/build.mjs: a hash of the sibling bundles (the code cache's key). */
declare const HOOKPACK_BUILD_ID: string;

/** The built entry (dist/hookpack.cjs or a runtime copy), whose siblings are the bundles. */
const built =
  typeof __dirname === "string" &&
  __dirname.length > 0 &&
  // (`/[/\\]hookpack\.cjs$/` written out: a regex is compiled anew in every process.)
  (__filename.endsWith("/hookpack.cjs") || __filename.endsWith("\\hookpack.cjs"));

const [command, ...rest] = process.argv.slice(2);
// `hookpack hook --help` is help, answered by the CLI; every other `hook` call is an agent's.
const hook = command === "hook" && rest[0] !== "--help" && rest[0] !== "-h";
// `hookpack pre-push`, which git runs on every push, loads its own small bundle (help is the CLI's).
const prePush = command === "pre-push" && !rest.includes("--help") && !rest.includes("-h");
// `hookpack scan` loads its own bundle too (a scan's fixed start; help is the CLI's).
const scan = command === "scan" && !rest.includes("--help") && !rest.includes("-h");
if (built) {
  // The bundles through a V8 code cache of our own (cli/code-cache.ts).
  const load = (name: string) => loadBundle(__dirname, name, require, HOOKPACK_BUILD_ID);
  const fastStage = (): Pick<typeof import("../hooks/fast-allow.js"), "fastAllow"> => {
    try {
      return load("fast-allow.cjs") as typeof import("../hooks/fast-allow.js");
    } catch {
      return { fastAllow: async (prelude) => prelude.prefix };
    }
  };
  if (hook) {
    // The fast allow stage first (hooks/fast-allow.ts): stdin is read here (hooks/fast-prelude.ts)
    // and the stage loads only for a payload it could answer; a plain command is answered there,
    // without loading hook.cjs. Anything else goes to hook.cjs with what was read of stdin. A
    // stage that cannot load (a stand-in dist without it) hands everything on.
    const prelude = fastPrelude(rest[0], process.env);
    const full = (prefix: StdinPrefix) =>
      (load("hook.cjs") as typeof import("../hooks/run-hook.js")).runHook(
        rest[0],
        process.env,
        prefix,
      );
    if (prelude.raw === undefined) {
      // Issue 21: a Claude Code `$secret:` call's rewrite request leaves for the broker before
      // hook.cjs loads (hooks/rewrite-early.ts; its grants count only once hook.cjs confirms),
      // and hook.cjs loads after the event loop's first turn has connected and sent it.
      const one = prelude.prefix.eof && prelude.prefix.chunks.length === 1;
      const chunk = one ? prelude.prefix.chunks[0]! : undefined;
      const early = !!chunk && chunk.includes("secret:") && chunk.includes('"PreToolUse"');
      if (early) {
        try {
          (
            load("rewrite-early.cjs") as typeof import("../hooks/rewrite-early.js")
          ).startEarlyRewrite(chunk.toString(), process.env);
        } catch {
          // not sent: hook.cjs asks the broker itself
        }
        setImmediate(() => void full(prelude.prefix));
      } else void Promise.resolve().then(() => full(prelude.prefix));
    } else
      void fastStage()
        .fastAllow(prelude, process.env)
        .then((prefix) => prefix && full(prefix));
  } else if (prePush)
    void Promise.resolve().then(() =>
      (load("pre-push.cjs") as typeof import("./pre-push-main.js")).main(rest),
    );
  else if (scan)
    void Promise.resolve().then(() =>
      (load("scan.cjs") as typeof import("./scan-main.js")).main(rest),
    );
  else
    void Promise.resolve().then(() =>
      (load("cli.cjs") as typeof import("./main.js")).main(process.argv.slice(2)),
    );
} else if (hook) {
  void import("../hooks/run-hook.js").then(({ runHook }) => runHook(rest[0]));
} else if (prePush) {
  void import("./pre-push-main.js").then(({ main }) => main(rest));
} else if (scan) {
  void import("./scan-main.js").then(({ main }) => main(rest));
} else {
  void import("./main.js").then(({ main }) => main(process.argv.slice(2)));
}
