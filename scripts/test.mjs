// `npm test`: build, make sure the pinned real agent clients are installed for the end-to-end
// tests (from the npm registry, into .cache/e2e) and the keychain test's Debian packages, then run
// the whole vitest suite.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const run = (cmd, args, mayFail = false) => {
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0 && !mayFail) process.exit(r.status ?? 1);
  return r.status ?? 1;
};
run(process.execPath, ["scripts/build.mjs"]);
if (existsSync("scripts/setup-e2e.mjs")) run(process.execPath, ["scripts/setup-e2e.mjs"]);
// A real Secret Service (gnome-keyring on a private D-Bus session) for the keychain tests.
if (existsSync("test/broker/keyring-deps.sh")) run("bash", ["test/broker/keyring-deps.sh"]);
const report = ".cache/vitest-report.json";
const status = run(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  true,
);
// One plain closing line that any CI log reader understands.
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
}
process.exit(status);
