// vitest's globalSetup: the tests run the built bundles (dist/*.cjs), so a dist/ older than the
// sources would test yesterday's code. Before any test runs, this compares the newest source file
// with the oldest bundle and rebuilds (scripts/build.mjs) when the sources are newer, or with
// HOOKPACK_TEST_NO_BUILD=1 stops with what to run instead.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const SOURCE_DIRS = [
  "core",
  "hooks",
  "adapters",
  "rules",
  "broker",
  "scanners",
  "installer",
  "cli",
];
const SOURCE_FILES = [
  "package.json",
  "scripts/build.mjs",
  "scripts/gen-detectors.mjs",
  "scripts/debug-stub.cjs",
];

function newestSource(): { path: string; mtimeMs: number } {
  let newest = { path: "", mtimeMs: 0 };
  const see = (path: string) => {
    const m = statSync(path).mtimeMs;
    if (m > newest.mtimeMs) newest = { path, mtimeMs: m };
  };
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|cts|mts|js|cjs|mjs|json)$/.test(e.name)) see(p);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  for (const f of SOURCE_FILES) if (existsSync(join(ROOT, f))) see(join(ROOT, f));
  return newest;
}

/** Why dist/ cannot be used as it is, or undefined when it is current. */
export function staleReason(): string | undefined {
  const dist = join(ROOT, "dist");
  const bundles = existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith(".cjs")) : [];
  if (!bundles.includes("hookpack.cjs")) return "dist/hookpack.cjs is missing";
  const oldest = Math.min(...bundles.map((f) => statSync(join(dist, f)).mtimeMs));
  const newest = newestSource();
  if (newest.mtimeMs > oldest)
    return `${newest.path.slice(ROOT.length + 1)} is newer than the bundles in dist/`;
  return undefined;
}

export default function setup(): void {
  const why = staleReason();
  if (!why) return;
  if (process.env.HOOKPACK_TEST_NO_BUILD === "1") {
    throw new Error(
      `hookpack: the tests run the built bundles, but ${why} (HOOKPACK_TEST_NO_BUILD=1 forbids building here). Run \`npm run build\` first.`,
    );
  }
  process.stderr.write(`hookpack: ${why}; building first (node scripts/build.mjs).\n`);
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "build.mjs")], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0)
    throw new Error(
      `hookpack: ${why}, and the build failed (exit ${r.status ?? r.signal}); fix it and run \`npm run build\`, then the tests.`,
    );
  const still = staleReason();
  if (still) throw new Error(`hookpack: dist/ is still stale after the build: ${still}.`);
}
