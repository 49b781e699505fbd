// The `hookpack` executable. Kept tiny: `hookpack hook <agent>` runs on every tool call of an
// agent, so it loads only the hook runtime; every other command loads the CLI bundle.
// The compile cache (Node >= 22.1) saves a few ms per start. On older Node, loading node:module
// alone pulls in the ESM loader, which costs more than the cache would save, so skip it there.
if (Number(process.versions.node.split(".")[0]) >= 22) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("node:module") as { enableCompileCache?: () => unknown }).enableCompileCache?.();
}

const [command, ...rest] = process.argv.slice(2);
if (command === "hook") {
  void import("../hooks/run-hook.js").then(({ runHook }) => runHook(rest[0]));
} else {
  void import("./main.js").then(({ main }) => main(process.argv.slice(2)));
}
