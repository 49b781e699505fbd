// The detection engine alone, in process, one core: hookpack's own records (dist/detect-engine.cjs)
// over the clean corpus the scan gates use (this checkout's node_modules text files under 2 MB).
// Prints MB/s per CPU second for `findings` (what scans call) and for `findHidden` over the files
// that would reach it. Usage: node scripts/build.mjs && node bench/engine.mjs
//   BENCH_ENGINE_MB=60 (corpus size), BENCH_ENGINE_ROUNDS=3, BENCH_ENGINE=path/to/detect-engine.cjs
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const req = createRequire(import.meta.url);
const engine = req(resolve(process.env.BENCH_ENGINE ?? join(root, "dist", "detect-engine.cjs")));
const limit = Number(process.env.BENCH_ENGINE_MB ?? 60) * 1024 * 1024;
const rounds = Number(process.env.BENCH_ENGINE_ROUNDS ?? 3);
const EXT =
  process.env.BENCH_ENGINE_MAPS === "1"
    ? /\.(js|cjs|mjs|ts|json|md|map)$/
    : /\.(js|cjs|mjs|ts|json|md)$/;
const MAX_SIZE = process.env.BENCH_ENGINE_MAPS === "1" ? 4_000_000 : 2_000_000;

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}
const texts = [];
let bytes = 0;
for (const f of walk(join(root, "node_modules"))) {
  if (!EXT.test(f) || statSync(f).size >= MAX_SIZE) continue;
  const t = readFileSync(f, "utf8");
  texts.push(t);
  bytes += Buffer.byteLength(t);
  if (bytes >= limit) break;
}
const MB = 1024 * 1024;
const cpu = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};
engine.warmUp();
for (const t of texts.slice(0, 300)) engine.findings(t);
const results = [];
let found = 0;
for (let r = 0; r < rounds; r++) {
  const c0 = cpu();
  const t0 = process.hrtime.bigint();
  found = 0;
  for (const t of texts) found += engine.findings(t).length;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  results.push({ wall, cpu: cpu() - c0 });
}
results.sort((a, b) => a.cpu - b.cpu);
const med = results[Math.floor(results.length / 2)];
console.log(
  `hookpack: bench engine findings(): ${texts.length} files, ${(bytes / MB).toFixed(1)} MB, median of ${rounds}: ${(bytes / MB / med.wall).toFixed(1)} MB/s wall, ${(bytes / MB / med.cpu).toFixed(1)} MB/s per CPU second; ${found} findings (load average ${loadavg()[0].toFixed(1)}).`,
);
if (process.env.BENCH_ENGINE_HIDDEN !== "0") {
  const c0 = cpu();
  let n = 0;
  for (const t of texts) n += engine.findHidden(t).length;
  const c = cpu() - c0;
  console.log(
    `hookpack: bench engine findHidden(): ${(bytes / MB / c).toFixed(1)} MB/s per CPU second; ${n} hidden findings.`,
  );
}
