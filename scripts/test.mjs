// `npm test`: build, make sure the pinned real agent clients are installed for the end-to-end
// tests (from the npm registry, into .cache/e2e), then run the whole vitest suite.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(process.execPath, ["scripts/build.mjs"]);
if (existsSync("scripts/setup-e2e.mjs")) run(process.execPath, ["scripts/setup-e2e.mjs"]);
run(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...process.argv.slice(2)]);
