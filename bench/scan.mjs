// Throughput of the two bulk scanners, in one process each (never a process per file):
//   1. `hookpack pre-push` over a generated 1,000-commit history (first push: every commit scanned);
//   2. `hookpack check-pack FILE.tgz` over a tarball of real source text, next to the secretlint
//      CLI run over the same unpacked files when that CLI is installed (`npx --no-install secretlint`).
// Usage: npm run build && node bench/scan.mjs   (BENCH_COMMITS, BENCH_TAR_DIR to change inputs)
// Fake tokens are assembled at run time; nothing token-shaped is committed.
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fakeGithubToken } from "./lib/fake-token.mjs";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "dist", "hookpack.cjs");
const commits = Number(process.env.BENCH_COMMITS ?? 1000);
const tarDir = process.env.BENCH_TAR_DIR ?? join(root, "node_modules", "typescript", "lib");
const work = mkdtempSync(join(tmpdir(), "hookpack-bench-"));
const env = {
  PATH: process.env.PATH,
  HOME: join(work, "home"),
  HOOKPACK_HOME: join(work, "hh"),
  GIT_CONFIG_GLOBAL: join(work, "gitconfig"),
  GIT_CONFIG_NOSYSTEM: "1",
  NO_COLOR: "1",
  npm_config_cache: join(work, "npm-cache"),
};
mkdirSync(env.HOME);
writeFileSync(env.GIT_CONFIG_GLOBAL, "[user]\n\tname = Bench\n\temail = bench@example.invalid\n");
const fakeToken = () => fakeGithubToken();
const mb = (n) => n / 1024 / 1024;
const run = (cmd, args, opts = {}) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: "utf8", maxBuffer: 1 << 30, ...opts });
  return { ...r, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
};

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

try {
  // 1. pre-push over a generated history of real source text.
  const corpus = walk(tarDir)
    .filter((f) => /\.(js|ts|json|md)$/.test(f))
    .map((f) => readFileSync(f, "utf8"))
    .join("\n")
    .split("\n");
  const repo = join(work, "repo");
  run("git", ["init", "-q", "-b", "main", repo]);
  let stream = "";
  let line = 0;
  let planted = 0;
  for (let i = 1; i <= commits; i++) {
    const take = 40 + randomInt(160);
    let text = corpus.slice(line % corpus.length, (line % corpus.length) + take).join("\n") + "\n";
    line += take;
    if (i % 100 === 50) {
      text += `const token = "${fakeToken()}";\n`;
      planted++;
    }
    const msg = `commit ${i}`;
    stream += `commit refs/heads/main\nmark :${i}\ncommitter Bench <b@example.invalid> ${1700000000 + i} +0000\ndata ${msg.length}\n${msg}\n${i > 1 ? `from :${i - 1}\n` : ""}M 100644 inline src/file-${i % 50}.js\ndata ${Buffer.byteLength(text)}\n${text}\n`;
  }
  run("git", ["fast-import", "--quiet"], { cwd: repo, input: stream });
  const head = run("git", ["rev-parse", "main"], { cwd: repo }).stdout.trim();
  const input = `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n`;
  run(process.execPath, [bin, "pre-push", "origin", "--format", "json"], { cwd: repo, input }); // warm caches
  const pp = run(process.execPath, [bin, "pre-push", "origin", "--format", "json"], {
    cwd: repo,
    input,
  });
  const report = JSON.parse(pp.stdout);
  // git log -p of the same range, read the same way (a pipe into this process): the goal's floor.
  const gl = run("git", ["log", "-p", "main"], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  console.log(
    `hookpack: bench pre-push: ${report.commits} commits, ${mb(report.bytes).toFixed(1)} MB of patch text, ${pp.seconds.toFixed(2)} s wall (process start included) = ${(mb(report.bytes) / pp.seconds).toFixed(1)} MB/s, ${(pp.seconds / gl.seconds).toFixed(2)}x git log -p (${gl.seconds.toFixed(2)} s); ${report.findings.length} findings for ${planted} planted tokens (load average ${(await import("node:os")).loadavg()[0].toFixed(1)}).`,
  );

  // 2. check-pack over a tarball of the same kind of text, plus planted tokens.
  const pkg = join(work, "package");
  mkdirSync(pkg);
  let bytes = 0;
  let files = 0;
  for (const f of walk(tarDir)) {
    const target = join(pkg, relative(tarDir, f));
    mkdirSync(dirname(target), { recursive: true });
    let body = readFileSync(f);
    if (files % 97 === 0) body = Buffer.concat([body, Buffer.from(`\n// key ${fakeToken()}\n`)]);
    writeFileSync(target, body);
    bytes += body.length;
    files++;
  }
  writeFileSync(join(pkg, "package.json"), '{"name":"bench-pkg","version":"1.0.0"}');
  const tgz = join(work, "bench.tgz");
  run("tar", ["-czf", tgz, "package"], { cwd: work });
  run(process.execPath, [bin, "check-pack", tgz, "--format", "json"], { cwd: work });
  const cp = run(process.execPath, [bin, "check-pack", tgz, "--format", "json"], { cwd: work });
  const cpReport = JSON.parse(cp.stdout);
  const secrets = cpReport.findings.filter((f) => f.kind === "secret").length;
  console.log(
    `hookpack: bench check-pack: ${files} files, ${mb(bytes).toFixed(1)} MB (${mb(statSync(tgz).size).toFixed(1)} MB gzipped), ${cp.seconds.toFixed(2)} s wall = ${(mb(bytes) / cp.seconds).toFixed(1)} MB/s; ${secrets} secret findings.`,
  );

  // The repository's own secretlint CLI (a devDependency), with the same preset, over the same files.
  const slBin = join(root, "node_modules", ".bin", "secretlint");
  writeFileSync(
    join(work, ".secretlintrc.json"),
    JSON.stringify({ rules: [{ id: "@secretlint/secretlint-rule-preset-recommend" }] }),
  );
  const sl = existsSync(slBin)
    ? run(
        slBin,
        ["--format", "json", "--secretlintrc", join(work, ".secretlintrc.json"), "package/**/*"],
        { cwd: work, env: { ...process.env, NODE_PATH: join(root, "node_modules") } },
      )
    : { error: new Error("missing") };
  if (
    sl.error ||
    sl.status === null ||
    /could not determine executable|not found|canceled|npm error|ERR!|Failed to load/.test(
      sl.stderr ?? "",
    )
  ) {
    console.log(
      "hookpack: bench secretlint CLI: not installed here (npx --no-install secretlint); install secretlint@13 as a devDependency to print the ratio.",
    );
  } else {
    console.log(
      `hookpack: bench secretlint CLI over the same ${files} unpacked files: ${sl.seconds.toFixed(2)} s = ${(mb(bytes) / sl.seconds).toFixed(1)} MB/s; check-pack is ${(sl.seconds / cp.seconds).toFixed(1)}x faster.`,
    );
  }
  // 3. The detection engine alone, in process, over a clean corpus (this checkout's node_modules
  //    text files): hookpack's anchor automaton + windowed confirmation, one core.
  const { createRequire } = await import("node:module");
  const req = createRequire(import.meta.url);
  const engine = req(join(root, "dist", "detect-engine.cjs"));
  const corpusFiles = walk(join(root, "node_modules")).filter(
    (f) => /\.(js|cjs|mjs|ts|json|md|map)$/.test(f) && statSync(f).size < 4_000_000,
  );
  const texts = corpusFiles.map((f) => readFileSync(f, "utf8"));
  const total = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  engine.warmUp();
  for (const t of texts.slice(0, 200)) engine.findings(t);
  const t0 = process.hrtime.bigint();
  let hits = 0;
  for (const t of texts) if (engine.findings(t).length > 0) hits++;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `hookpack: bench detection engine over the clean corpus (node_modules): ${texts.length} files, ${mb(total).toFixed(1)} MB in ${secs.toFixed(2)} s = ${(mb(total) / secs).toFixed(1)} MB/s on one core; ${hits} files with a finding (load average ${(await import("node:os")).loadavg()[0].toFixed(1)}).`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
