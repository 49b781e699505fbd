// `npm test`: build, make sure the pinned real agent clients are installed for the end-to-end
// tests (from the npm registry, into .cache/e2e) and the keychain test's Debian packages, then run
// the whole vitest suite on this machine's Node, and the suite without e2e on Node 22 and 24
// (scripts/node-matrix.mjs; skipped for a filtered run such as `npm test -- test/rules`, or with
// HOOKPACK_NODE_MATRIX=0).
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
// PostgreSQL server binaries for the capability/lease tests (a private cluster per test file).
if (existsSync("test/broker/postgres-deps.sh")) run("bash", ["test/broker/postgres-deps.sh"]);
// bubblewrap and socat for Claude Code's Linux sandbox (install --sandbox tests).
if (existsSync("test/security/sandbox-deps.sh")) run("bash", ["test/security/sandbox-deps.sh"]);
const report = ".cache/vitest-report.json";
const status = run(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  true,
);
const filtered = process.argv.length > 2;
const matrix = filtered || process.env.HOOKPACK_NODE_MATRIX === "0" ? 0 : run(process.execPath, ["scripts/node-matrix.mjs"], true);
// One plain closing line that any CI log reader understands.
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  console.log(`\ntests (Node ${process.versions.node}): ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
}
if (!filtered && process.env.HOOKPACK_NODE_MATRIX !== "0") console.log(`tests on other Node versions: ${matrix === 0 ? "passed" : "FAILED (see the summary above)"}`);
process.exit(status || matrix);
