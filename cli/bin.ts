// The `hookpack` executable. Kept tiny: `hookpack hook <agent>` runs on every tool call of an
// agent, so it loads only the hook runtime; every other command loads the CLI bundle.
import module from "node:module";

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const [command, ...rest] = process.argv.slice(2);
if (command === "hook") {
  void import("../hooks/run-hook.js").then(({ runHook }) => runHook(rest[0]));
} else {
  void import("./main.js").then(({ main }) => main(process.argv.slice(2)));
}
