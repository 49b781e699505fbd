#!/usr/bin/env node
// The suite (end-to-end tests excepted) once more under each other supported Node major, with the
// official Node binaries from the npm registry (`node-linux-<arch>@<version>`, cached under
// .cache/node-matrix/). hookpack declares engines >=20.19 and takes version-dependent paths (the
// V8 code cache each version accepts, the stdin reader, the ESM loader behind require); the machine's own
// Node runs the full suite, this runs the rest on 22 and 24. Hook and CLI processes spawned by the
// tests use process.execPath, so they run on the Node under test too.
//
// Usage: node scripts/node-matrix.mjs [22 24 …]   (HOOKPACK_NODE_MATRIX=0 skips it)
// Needs no stdin; idempotent; exits non-zero when a Node cannot be installed or a test fails.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { failedTestLines } from "./report-failures.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Pinned, so a run is reproducible; bump deliberately. */
const VERSIONS = { 22: "22.23.3", 24: "24.9.0" };

const log = (msg) => process.stdout.write(`hookpack: ${msg}\n`);

function installNode(major) {
  const version = VERSIONS[major];
  if (!version)
    return {
      ok: false,
      why: `no pinned version for Node ${major} (known: ${Object.keys(VERSIONS).join(", ")})`,
    };
  if (process.platform !== "linux" || !["x64", "arm64"].includes(process.arch))
    return { ok: false, why: `no Node binary package for ${process.platform}/${process.arch}` };
  const dir = join(ROOT, ".cache", "node-matrix", major);
  const bin = join(dir, "node_modules", `node-linux-${process.arch}`, "bin", "node");
  const reports = () =>
    existsSync(bin) &&
    spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout?.trim() === `v${version}`;
  if (reports()) return { ok: true, bin, version };
  // The e2e set-up already fetched this exact Node for Qwen Code: use it instead of a second download.
  const shared = join(
    ROOT,
    ".cache",
    "e2e",
    `node${major}`,
    "node_modules",
    `node-linux-${process.arch}`,
    "bin",
    "node",
  );
  if (
    existsSync(shared) &&
    spawnSync(shared, ["--version"], { encoding: "utf8" }).stdout?.trim() === `v${version}`
  )
    return { ok: true, bin: shared, version };
  mkdirSync(dir, { recursive: true });
  // A package.json keeps npm from walking up into the hookpack project.
  if (!existsSync(join(dir, "package.json")))
    writeFileSync(
      join(dir, "package.json"),
      '{ "name": "hookpack-node-matrix", "private": true }\n',
    );
  log(`installing node-linux-${process.arch}@${version} into ${dir} …`);
  const r = spawnSync(
    "npm",
    [
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--loglevel=error",
      `node-linux-${process.arch}@${version}`,
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
      timeout: 10 * 60_000,
      env: { ...process.env, CI: "true" },
    },
  );
  if (r.status !== 0) return { ok: false, why: `npm install exited ${r.status}` };
  return reports()
    ? { ok: true, bin, version }
    : { ok: false, why: `${bin} does not report v${version}` };
}

if (process.env.HOOKPACK_NODE_MATRIX === "0") {
  log("Node matrix skipped (HOOKPACK_NODE_MATRIX=0).");
  process.exit(0);
}
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(VERSIONS);
let failed = 0;
const summary = [];
for (const major of majors) {
  const node = installNode(major);
  if (!node.ok) {
    process.stderr.write(`hookpack: Node ${major}: ${node.why}\n`);
    summary.push(`Node ${major}: not run (${node.why})`);
    failed++;
    continue;
  }
  log(`running the suite (without e2e) on Node ${node.version} …`);
  const report = join(ROOT, ".cache", `vitest-report-node${major}.json`);
  // A report left by an earlier run must not be read as this run's.
  rmSync(report, { force: true });
  const r = spawnSync(
    node.bin,
    [
      "node_modules/vitest/vitest.mjs",
      "run",
      "--exclude",
      "test/e2e/**",
      "--reporter=dot",
      "--reporter=json",
      `--outputFile.json=${report}`,
    ],
    {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      // The tests' own child processes find this node first on PATH too (shebangs: hookpack-shell).
      env: { ...process.env, PATH: `${dirname(node.bin)}:${process.env.PATH ?? ""}` },
    },
  );
  let line = `Node ${node.version}: exit ${r.status}`;
  if (existsSync(report)) {
    const { readFileSync } = await import("node:fs");
    const j = JSON.parse(readFileSync(report, "utf8"));
    line = `Node ${node.version}: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${j.numPendingTests + j.numTodoTests} skipped`;
  }
  summary.push(line, ...failedTestLines(report, `Node ${node.version}`));
  if (r.status !== 0) failed++;
}
for (const line of summary) log(line);
process.exit(failed > 0 ? 1 : 0);
