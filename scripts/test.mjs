// `npm test`: build, make sure the pinned real agent clients are installed for the end-to-end
// tests (from the npm registry, into .cache/e2e) and the keychain test's Debian packages, then run
// the whole vitest suite on this machine's Node, and the suite without e2e on Node 22 and 24
// (scripts/node-matrix.mjs; skipped for a filtered run such as `npm test -- test/rules`, or with
// HOOKPACK_NODE_MATRIX=0).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { failedTestLines } from "./report-failures.mjs";

const run = (cmd, args, mayFail = false) => {
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0 && !mayFail) process.exit(r.status ?? 1);
  return r.status ?? 1;
};
// What this will fetch and install, before it does (each part only once; later runs reuse .cache/).
const have = (dir) => existsSync(dir) && readdirSync(dir).length > 0;
console.log(
  [
    "hookpack: npm test runs every test. Before that it installs, once, what the tests need:",
    `hookpack:   - the pinned agent clients (Claude Code, Codex, Gemini, Copilot, Qwen Code with Node 22, OpenCode, Cline) into .cache/e2e/ from the npm registry: about 2.4 GB unpacked${have(".cache/e2e") ? " (present: only what is missing)" : ""}`,
    `hookpack:   - Node ${"22 and 24"} for the Node matrix into .cache/node-matrix/ (about 185 MB each unpacked; Node 22 is shared with .cache/e2e/node22 when the versions match)${process.env.HOOKPACK_NODE_MATRIX === "0" || process.argv.length > 2 ? " — skipped for this run" : ""}`,
    `hookpack:   - as root on Debian/Ubuntu with apt-get, only what is missing: gnome-keyring, dbus and libsecret-tools (real-keychain test), postgresql (lease tests), bubblewrap and socat (sandbox tests), curl, git and python3-requests (injection-proxy tests), sqlite3 (SQLite state tests), moto's Python dependencies (STS tests; moto itself is unpacked from Debian sid into .cache/moto)${process.env.HOOKPACK_NO_SYSTEM_PACKAGES === "1" ? " — skipped (HOOKPACK_NO_SYSTEM_PACKAGES=1; those tests then skip and say so)" : " (HOOKPACK_NO_SYSTEM_PACKAGES=1 skips all of them; those tests then skip and say so)"}`,
  ].join("\n"),
);
run(process.execPath, ["scripts/build.mjs"]);
if (existsSync("scripts/setup-e2e.mjs")) run(process.execPath, ["scripts/setup-e2e.mjs"]);
// A real Secret Service (gnome-keyring on a private D-Bus session) for the keychain tests.
if (existsSync("test/broker/keyring-deps.sh")) run("bash", ["test/broker/keyring-deps.sh"]);
if (existsSync("test/broker/proxy-deps.sh")) run("bash", ["test/broker/proxy-deps.sh"]);
// PostgreSQL server binaries for the capability/lease tests (a private cluster per test file).
if (existsSync("test/broker/postgres-deps.sh")) run("bash", ["test/broker/postgres-deps.sh"]);
// moto's server (python3-moto from Debian sid, unpacked into .cache/moto) for the AWS STS capability tests.
if (existsSync("test/broker/moto-deps.sh")) run("bash", ["test/broker/moto-deps.sh"]);
// bubblewrap and socat for Claude Code's Linux sandbox (install --sandbox tests).
if (existsSync("test/security/sandbox-deps.sh")) run("bash", ["test/security/sandbox-deps.sh"]);
// The sqlite3 shell for cleaning agent state kept in SQLite (Codex's thread history).
if (existsSync("test/rules/sqlite-deps.sh")) run("bash", ["test/rules/sqlite-deps.sh"]);
const report = ".cache/vitest-report.json";
rmSync(report, { force: true });
const status = run(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  true,
);
const filtered = process.argv.length > 2;
const matrix =
  filtered || process.env.HOOKPACK_NODE_MATRIX === "0"
    ? 0
    : run(process.execPath, ["scripts/node-matrix.mjs"], true);
// One plain closing line that any CI log reader understands.
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  console.log(
    `\ntests (Node ${process.versions.node}): ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`,
  );
  for (const line of failedTestLines(report, `Node ${process.versions.node}`)) console.log(line);
}
if (!filtered && process.env.HOOKPACK_NODE_MATRIX !== "0")
  console.log(
    `tests on other Node versions: ${matrix === 0 ? "passed" : "FAILED (see the summary above)"}`,
  );
process.exit(status || matrix);
