#!/usr/bin/env node
// Installs the pinned real agent clients used by the end-to-end tests into
// .cache/e2e/ (gitignored) and records them in .cache/e2e/clients.json:
//   { "claude-code": { "version": "2.1.330", "bin": "/abs/path/to/claude" } }
//
// Idempotent: nothing is downloaded when the binary is already there at the
// pinned version. Needs no stdin; safe under CI=true. Exits non-zero with a
// clear message when no client could be made to work.
//
// Claude Code: the wrapper package `@anthropic-ai/claude-code` needs node>=22,
// so we install the platform package that holds the native (Bun) binary and
// run that binary directly.
// Codex CLI: `@openai/codex` (engines node>=16) is a thin wrapper around a
// native Rust binary in `@openai/codex-linux-<arch>`; we run the binary.
// Gemini CLI: `@google/gemini-cli` (engines node>=20) is plain JS; we run its
// bundle with the current node. Both are optional: a failure is reported and
// their e2e tests fail with that message, the Claude Code tests still run.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const E2E_DIR = join(ROOT, ".cache", "e2e");
const CLIENTS_JSON = join(E2E_DIR, "clients.json");

// The pinned version first; the version verified in
// /work/shared/reference/e2e-real-clients.md as the fallback.
const CLAUDE_VERSIONS = ["2.1.330", "2.1.197"];
const CODEX_VERSION = "0.169.0";
const GEMINI_VERSION = "0.61.0";
const COPILOT_VERSION = "1.0.102";
// Qwen Code 0.24 needs node >= 22 (on an older node, npm silently resolves 0.15.x); its bundle runs
// with a Node 22 binary from the registry's `node-linux-<arch>` package. The hooks still run with
// the node that ran `hookpack install`.
const QWEN_VERSION = "0.24.4";
const NODE22_VERSION = "22.23.3";
const CLINE_VERSION = "3.0.65";
const OPENCODE_VERSION = "1.18.33";

function log(msg) {
  process.stdout.write(`hookpack: ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`hookpack: e2e setup failed: ${msg}\n`);
  process.exit(1);
}

function platformPackage() {
  if (process.platform !== "linux") return null;
  if (process.arch === "x64") return "@anthropic-ai/claude-code-linux-x64";
  if (process.arch === "arm64") return "@anthropic-ai/claude-code-linux-arm64";
  return null;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** Runs `<bin> --version`; returns the version string it reports, or an error text. */
function probe(bin) {
  const r = spawnSync(bin, ["--version"], {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: join(E2E_DIR, "probe-home"),
      TERM: "dumb",
      LANG: "C.UTF-8",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_ERROR_REPORTING: "1",
      DISABLE_AUTOUPDATER: "1",
    },
  });
  if (r.error) return { ok: false, why: r.error.message };
  if (r.status !== 0)
    return {
      ok: false,
      why: `exit ${r.status} ${r.signal ?? ""}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`,
    };
  const m = /(\d+\.\d+\.\d+)/.exec(r.stdout);
  if (!m)
    return { ok: false, why: `unexpected --version output: ${r.stdout.trim().slice(0, 200)}` };
  return { ok: true, version: m[1] };
}

function installClaude(pkg, version) {
  const dir = join(E2E_DIR, "claude-code");
  mkdirSync(dir, { recursive: true });
  // A package.json keeps npm from walking up into the hookpack project.
  const pj = join(dir, "package.json");
  if (!existsSync(pj))
    writeFileSync(
      pj,
      JSON.stringify({ name: "hookpack-e2e-clients", private: true }, null, 2) + "\n",
    );
  const bin = join(dir, "node_modules", ...pkg.split("/"), "claude");
  const installed = readJson(join(dir, "node_modules", ...pkg.split("/"), "package.json"));

  if (installed?.version === version && existsSync(bin)) {
    const p = probe(bin);
    if (p.ok && p.version === version) return { ok: true, bin, version, cached: true };
  }

  log(`installing ${pkg}@${version} into ${dir} …`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(
    npm,
    [
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--loglevel=error",
      `${pkg}@${version}`,
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
      timeout: 15 * 60_000,
      env: { ...process.env, CI: "true" },
    },
  );
  if (r.error) return { ok: false, why: `npm install: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, why: `npm install exited ${r.status}` };
  if (!existsSync(bin)) return { ok: false, why: `binary not found after install: ${bin}` };
  try {
    chmodSync(bin, 0o755);
  } catch {
    /* best effort */
  }
  const p = probe(bin);
  if (!p.ok) return { ok: false, why: `binary does not run: ${p.why}` };
  if (p.version !== version)
    return { ok: false, why: `binary reports ${p.version}, expected ${version}` };
  return { ok: true, bin, version, cached: false };
}

function writeClients(entry, name = "claude-code") {
  const current = readJson(CLIENTS_JSON);
  const next = current && typeof current === "object" && !Array.isArray(current) ? current : {};
  next[name] = entry;
  const tmp = `${CLIENTS_JSON}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(next, null, 2) + "\n");
  renameSync(tmp, CLIENTS_JSON);
}

function main() {
  const pkg = platformPackage();
  if (!pkg) fail(`no Claude Code native binary package for ${process.platform}/${process.arch}`);
  mkdirSync(E2E_DIR, { recursive: true });

  const errors = [];
  for (const version of CLAUDE_VERSIONS) {
    const res = installClaude(pkg, version);
    if (res.ok) {
      if (version !== CLAUDE_VERSIONS[0]) {
        log(
          `WARNING: pinned Claude Code ${CLAUDE_VERSIONS[0]} did not work (${errors.join("; ")}); using fallback ${version}`,
        );
      }
      writeClients({ version: res.version, bin: res.bin });
      log(`e2e client ready: ${res.bin}`);
      setupOthers();
      return;
    }
    errors.push(`${version}: ${res.why}`);
    process.stderr.write(`hookpack: Claude Code ${version} not usable: ${res.why}\n`);
  }
  fail(`could not install a working Claude Code client (${errors.join("; ")})`);
}

/**
 * npm-installs `spec` into .cache/e2e/<name>/ unless `bin` (relative to that dir) already reports
 * `version`; `runner` is the command prefix that runs it (none for a native binary).
 */
function installClient(name, spec, version, bin, runner = []) {
  const dir = join(E2E_DIR, name);
  mkdirSync(dir, { recursive: true });
  const pj = join(dir, "package.json");
  if (!existsSync(pj))
    writeFileSync(
      pj,
      JSON.stringify({ name: "hookpack-e2e-clients", private: true }, null, 2) + "\n",
    );
  const full = join(dir, bin);
  const reports = () => {
    if (!existsSync(full)) return false;
    const [cmd, ...args] = [...runner, full, "--version"];
    const r = spawnSync(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      timeout: 60_000,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: join(E2E_DIR, "probe-home"),
        TERM: "dumb",
        LANG: "C.UTF-8",
      },
    });
    return r.status === 0 && r.stdout.includes(version);
  };
  if (reports()) return { ok: true, bin: full, version };
  log(`installing ${spec} into ${dir} …`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(
    npm,
    [
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--loglevel=error",
      spec,
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
      timeout: 15 * 60_000,
      env: { ...process.env, CI: "true" },
    },
  );
  if (r.status !== 0) return { ok: false, why: `npm install exited ${r.status}` };
  if (!reports()) return { ok: false, why: `${full} is missing or does not report ${version}` };
  return { ok: true, bin: full, version };
}

function setupOthers() {
  const triple = { x64: "x86_64-unknown-linux-musl", arm64: "aarch64-unknown-linux-musl" }[
    process.arch
  ];
  const results = [];
  if (process.platform === "linux" && triple) {
    const bin = join(
      "node_modules",
      "@openai",
      `codex-linux-${process.arch}`,
      "vendor",
      triple,
      "bin",
      "codex",
    );
    results.push([
      "codex",
      installClient("codex", `@openai/codex@${CODEX_VERSION}`, CODEX_VERSION, bin),
    ]);
  } else
    results.push([
      "codex",
      { ok: false, why: `no Codex binary package for ${process.platform}/${process.arch}` },
    ]);
  const geminiBin = join("node_modules", "@google", "gemini-cli", "bundle", "gemini.js");
  results.push([
    "gemini",
    installClient("gemini", `@google/gemini-cli@${GEMINI_VERSION}`, GEMINI_VERSION, geminiBin, [
      process.execPath,
    ]),
  ]);
  // A Node SEA in the platform package; it unpacks its JS on first run (COPILOT_PKG_CACHE_HOME).
  if (process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64")) {
    const copilotBin = join("node_modules", "@github", `copilot-linux-${process.arch}`, "copilot");
    results.push([
      "copilot",
      installClient("copilot", `@github/copilot@${COPILOT_VERSION}`, COPILOT_VERSION, copilotBin),
    ]);
  } else
    results.push([
      "copilot",
      { ok: false, why: `no Copilot CLI binary package for ${process.platform}/${process.arch}` },
    ]);
  // OpenCode: `opencode-ai` holds only a launcher; the native (Bun) binary is in the platform
  // package it lists as an optional dependency (a -musl variant where there is no glibc).
  if (process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64")) {
    const musl = !process.report?.getReport?.().header?.glibcVersionRuntime;
    const opencodeBin = join(
      "node_modules",
      `opencode-linux-${process.arch}${musl ? "-musl" : ""}`,
      "bin",
      "opencode",
    );
    results.push([
      "opencode",
      installClient("opencode", `opencode-ai@${OPENCODE_VERSION}`, OPENCODE_VERSION, opencodeBin),
    ]);
  } else
    results.push([
      "opencode",
      { ok: false, why: `no OpenCode binary package for ${process.platform}/${process.arch}` },
    ]);
  // Cline: `cline` holds a Node resolver script (engines node>=22); the native (Bun) binary is in the
  // platform package, which we install alone and run directly (no Node 22 needed).
  if (process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64")) {
    const clineBin = join("node_modules", "@cline", `cli-linux-${process.arch}`, "bin", "cline");
    results.push([
      "cline",
      installClient(
        "cline",
        `@cline/cli-linux-${process.arch}@${CLINE_VERSION}`,
        CLINE_VERSION,
        clineBin,
      ),
    ]);
  } else
    results.push([
      "cline",
      { ok: false, why: `no Cline CLI binary package for ${process.platform}/${process.arch}` },
    ]);
  results.push(["qwen", installQwen()]);
  for (const [name, res] of results) {
    if (!res.ok) {
      process.stderr.write(`hookpack: e2e client ${name} not usable: ${res.why}\n`);
      continue;
    }
    writeClients(
      { version: res.version, bin: res.bin, ...(res.node ? { node: res.node } : {}) },
      name,
    );
    log(`e2e client ready: ${res.bin}`);
  }
}

/** Qwen Code's JS bundle plus the Node 22 binary that runs it (recorded as `node`). */
function installQwen() {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) {
    return { ok: false, why: `no Node 22 binary package for ${process.platform}/${process.arch}` };
  }
  const nodeBin = join("node_modules", `node-linux-${process.arch}`, "bin", "node");
  const node = installClient(
    "node22",
    `node-linux-${process.arch}@${NODE22_VERSION}`,
    `v${NODE22_VERSION}`,
    nodeBin,
  );
  if (!node.ok)
    return {
      ok: false,
      why: `Node ${NODE22_VERSION} (needed by Qwen Code ${QWEN_VERSION}): ${node.why}`,
    };
  const qwenBin = join("node_modules", "@qwen-code", "qwen-code", "cli-entry.js");
  const qwen = installClient(
    "qwen",
    `@qwen-code/qwen-code@${QWEN_VERSION}`,
    QWEN_VERSION,
    qwenBin,
    [node.bin],
  );
  return qwen.ok ? { ...qwen, node: node.bin } : qwen;
}

main();
