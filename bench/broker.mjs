// Broker benchmark: masking throughput (in process and through `hookpack exec`) with 1 and 100
// managed values, next to `cat` of the same stream, and the start-up overhead of `hookpack exec`.
// Plain node; needs `npm run build` first (npm run bench does it). Prints figures, asserts nothing.
//   node bench/broker.mjs [--mb 16] [--rounds 15]
import { spawn, spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer as createHttpsServer } from "node:https";
import { createRequire } from "node:module";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
// NODE_EXTRA_CA_CERTS costs ~47-100 ms per node start on Node 20 and is not what we measure (as in run.mjs).
delete process.env.NODE_EXTRA_CA_CERTS;
const MB = arg("mb", 16);
const ROUNDS = arg("rounds", 15);
const BIN = join(root, "dist", "hookpack.cjs");
const tmp = mkdtempSync(join(tmpdir(), "hookpack-bench-"));

// Bundle the pure modules once so this script stays plain node.
const modFile = join(tmp, "redact.mjs");
await build({
  stdin: {
    contents: `export * from "./broker/redact-stream.ts"; export * from "./rules/managed-values.ts"; export { secretScanner } from "./rules/secretlint.ts";`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: modFile,
  logLevel: "error",
  banner: {
    js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
  },
});
const { createValueMatcher, ValueStream, OutputRedactor, secretScanner } = await import(
  pathToFileURL(modFile).href
);

const values = (n) =>
  Array.from({ length: n }, (_, i) => ({
    name: `SECRET_${i}`,
    value: randomBytes(18 + (i % 30)).toString("base64url"),
  }));

/** Realistic output: log-like lines, some base64/hex blobs, a few managed values in various encodings. */
function corpus(vals, bytes) {
  const words = [
    "info",
    "GET",
    "/api/v1/items",
    "200",
    "took",
    "ms",
    "user",
    "id=",
    "ok",
    "error",
    "retry",
    "cache",
    "hit",
  ];
  let out = "";
  let i = 0;
  while (out.length < bytes) {
    i++;
    if (i % 2000 === 0) {
      const v = vals[i % vals.length].value;
      out += `token ${[v, Buffer.from(v).toString("base64"), Buffer.from(v).toString("hex"), encodeURIComponent(v)][i % 4]}\n`;
    } else if (i % 7 === 0) out += `${randomBytes(48).toString(i % 14 === 0 ? "base64" : "hex")}\n`;
    else
      out += `${Array.from({ length: 10 }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(" ")} ${i}\n`;
  }
  return Buffer.from(out.slice(0, bytes), "latin1");
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (x) => x.toFixed(1);

console.log(
  `hookpack broker benchmark: node ${process.version}, ${MB} MB stream, ${ROUNDS} rounds for start-up`,
);

// 1. In process.
const rows = [];
for (const n of [1, 100]) {
  const vals = values(n);
  const data = corpus(vals, MB * 1024 * 1024);
  const text = data.toString("latin1");
  const t0 = performance.now();
  const matcher = createValueMatcher(vals, { mode: "bytes" });
  const buildMs = performance.now() - t0;
  const times = [];
  const both = [];
  const cpuTimes = [];
  const cpuBoth = [];
  const cpuMs = (c) => (c.user + c.system) / 1000;
  for (let r = 0; r < 3; r++) {
    let s = new ValueStream(matcher, 6);
    let t = performance.now();
    let c = process.cpuUsage();
    for (let i = 0; i < text.length; i += 65536) s.push(text.slice(i, i + 65536));
    s.flush();
    cpuTimes.push(cpuMs(process.cpuUsage(c)));
    times.push(performance.now() - t);
    const full = new OutputRedactor(matcher, { releaseBelow: 6, scanner: secretScanner });
    t = performance.now();
    c = process.cpuUsage();
    for (let i = 0; i < text.length; i += 65536) await full.push(text.slice(i, i + 65536));
    await full.flush();
    cpuBoth.push(cpuMs(process.cpuUsage(c)));
    both.push(performance.now() - t);
    s = undefined;
  }
  rows.push({
    values: n,
    patterns: matcher.patterns.length,
    "build ms": fmt(buildMs),
    "values MB/s": fmt(MB / (median(times) / 1000)),
    "values MB/s per CPU s": fmt(MB / (median(cpuTimes) / 1000)),
    "values+secretlint MB/s": fmt(MB / (median(both) / 1000)),
    "values+secretlint MB/s per CPU s": fmt(MB / (median(cpuBoth) / 1000)),
  });
}
console.log("\nIn-process redactor (64 KiB chunks):");
console.table(rows);

// 2. Through real processes: cat vs hookpack exec -- cat.
function drain(cmd, args, env) {
  return new Promise((res, rej) => {
    const t = performance.now();
    const c = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let n = 0;
    c.stdout.on("data", (b) => (n += b.length));
    c.on("close", (code) =>
      code === 0 ? res({ ms: performance.now() - t, n }) : rej(new Error(`${cmd} exited ${code}`)),
    );
  });
}
/** User+system CPU ms of a command and its waited-for children (bash's `time`), output discarded. */
function childCpuMs(cmd, args, env) {
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const r = spawnSync("bash", ["-c", `TIMEFORMAT='%3U %3S'; time ${quoted} > /dev/null`], {
    env,
    encoding: "utf8",
  });
  const [u, sy] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return (u + sy) * 1000;
}
const e2e = [];
for (const n of [1, 100]) {
  const home = join(tmp, `home-${n}`);
  const env = { ...process.env, HOOKPACK_HOME: home, HOOKPACK_KEY_BACKEND: "file" };
  const vals = values(n);
  for (const v of vals)
    spawnSync(process.execPath, [BIN, "secret", "set", v.name], { env, input: v.value });
  const file = join(tmp, `stream-${n}.txt`);
  writeFileSync(file, corpus(vals, MB * 1024 * 1024));
  const cat = [];
  const hp = [];
  const hpCpu = [];
  for (let r = 0; r < 3; r++) {
    cat.push((await drain("cat", [file], env)).ms);
    hp.push((await drain(process.execPath, [BIN, "exec", "--", "cat", file], env)).ms);
    hpCpu.push(childCpuMs(process.execPath, [BIN, "exec", "--", "cat", file], env));
  }
  e2e.push({
    values: n,
    "cat MB/s": fmt(MB / (median(cat) / 1000)),
    "hookpack exec -- cat MB/s": fmt(MB / (median(hp) / 1000)),
    "… per CPU s": fmt(MB / (median(hpCpu) / 1000)),
    "ratio (time)": fmt(median(hp) / median(cat)),
  });
}
console.log(`\nEnd to end, ${MB} MB through a pipe (includes process start-up):`);
console.table(e2e);

// 3. Start-up overhead, interleaved rounds.
const envS = { ...process.env, HOOKPACK_HOME: join(tmp, "home-1"), HOOKPACK_KEY_BACKEND: "file" };
const variants = [
  { name: "true", cmd: "true", args: [] },
  {
    name: "hookpack exec -- true (1 stored value)",
    cmd: process.execPath,
    args: [BIN, "exec", "--", "true"],
  },
  {
    name: "hookpack exec --secret SECRET_0 -- true",
    cmd: process.execPath,
    args: [BIN, "exec", "--secret", "SECRET_0", "--", "true"],
  },
  { name: "node -e 0 (floor)", cmd: process.execPath, args: ["-e", "0"] },
];
const tm = variants.map(() => []);
for (const v of variants) spawnSync(v.cmd, v.args, { env: envS });
for (let r = 0; r < ROUNDS; r++) {
  for (const i of variants.map((_, i) => i).sort(() => Math.random() - 0.5)) {
    const t = performance.now();
    spawnSync(variants[i].cmd, variants[i].args, { env: envS, stdio: "ignore" });
    tm[i].push(performance.now() - t);
  }
}
console.log("\nStart-up, p50 ms (interleaved rounds):");
console.table(variants.map((v, i) => ({ command: v.name, "p50 ms": fmt(median(tm[i])) })));

// 4. The broker process: brokered exec with a warm broker vs today's exec, the hook's allow path
// with and without a running broker, and the injection proxy's cost per request.
const require = createRequire(import.meta.url);
const client = require(join(root, "dist", "broker-client.cjs"));
const homeB = join(tmp, "home-1");
const req = (argv) => ({
  names: ["SECRET_0"],
  argv,
  agent: "claude-code",
  session: "bench",
  toolCallId: "t",
  cwd: tmp,
  ttlMs: 60_000,
  approval: "auto",
});
await client.mintGrantVia(homeB, envS, req(["true"])); // starts the broker (warm from here on)
const startup = { today: [], brokered: [], allowNoBroker: [], allowWarmBroker: [] };
const hookInput = JSON.stringify({
  session_id: "s",
  transcript_path: join(tmp, "t.jsonl"),
  cwd: tmp,
  hook_event_name: "PreToolUse",
  tool_name: "Bash",
  tool_input: { command: "ls -la src", description: "d" },
  tool_use_id: "t",
});
const envNoBroker = { ...envS, HOOKPACK_HOME: join(tmp, "home-nobroker") };
for (let r = 0; r < ROUNDS; r++) {
  const g = await client.mintGrantVia(homeB, envS, req(["true"]));
  const order = [0, 1, 2, 3].sort(() => Math.random() - 0.5);
  for (const i of order) {
    const t = performance.now();
    if (i === 0)
      spawnSync(
        process.execPath,
        [BIN, "exec", "--secret", "SECRET_0=HOOKPACK_SECRET_SECRET_0", "--", "true"],
        { env: envS, stdio: "ignore" },
      );
    else if (i === 1) {
      const res = spawnSync(
        process.execPath,
        [
          BIN,
          "exec",
          "--grant",
          g.id,
          "--secret",
          "SECRET_0=HOOKPACK_SECRET_SECRET_0",
          "--",
          "true",
        ],
        { env: envS, encoding: "utf8" },
      );
      if (res.status !== 0) throw new Error(`brokered exec failed: ${res.stderr}`);
    } else
      spawnSync(process.execPath, [BIN, "hook", "claude-code"], {
        env: i === 2 ? envNoBroker : envS,
        input: hookInput,
        stdio: ["pipe", "ignore", "ignore"],
      });
    startup[["today", "brokered", "allowNoBroker", "allowWarmBroker"][i]].push(
      performance.now() - t,
    );
  }
}
const mintMs = [];
for (let r = 0; r < 50; r++) {
  const t = performance.now();
  await client.mintGrantVia(homeB, envS, req(["true"]));
  mintMs.push(performance.now() - t);
}
console.log("\nBroker process (warm), p50 ms, interleaved rounds:");
console.table([
  {
    what: "hookpack exec --secret (today: no grant, no broker)",
    "p50 ms": fmt(median(startup.today)),
  },
  {
    what: "hookpack exec --grant (redeemed in the warm broker)",
    "p50 ms": fmt(median(startup.brokered)),
    ratio: fmt(median(startup.brokered) / median(startup.today)),
  },
  { what: "hook allow path, no broker running", "p50 ms": fmt(median(startup.allowNoBroker)) },
  {
    what: "hook allow path, broker running",
    "p50 ms": fmt(median(startup.allowWarmBroker)),
    ratio: fmt(median(startup.allowWarmBroker) / median(startup.allowNoBroker)),
  },
  { what: "mint one grant (client in process, warm broker)", "p50 ms": fmt(median(mintMs)) },
]);

// Proxy: the same HTTPS request direct vs through the injection proxy with a placeholder.
const { createAuthority, issueLeafFrom } = await import(pathToFileURL(await bundleCa()).href);
const upCa = createAuthority("bench upstream CA");
const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const upCert = issueLeafFrom(upCa, "bench upstream CA", ["localhost", "127.0.0.1"], privateKey);
const upCaFile = join(tmp, "up-ca.pem");
writeFileSync(upCaFile, upCa.certPem);
const upstream = createHttpsServer(
  { key: privateKey.export({ type: "pkcs8", format: "pem" }), cert: upCert },
  (q, s) => {
    q.resume();
    s.end(JSON.stringify({ ok: true, auth: q.headers.authorization ? "yes" : "no" }));
  },
);
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const upPort = upstream.address().port;
const homeP = join(tmp, "home-proxy");
const envP = {
  ...process.env,
  HOOKPACK_HOME: homeP,
  HOOKPACK_KEY_BACKEND: "file",
  HOOKPACK_BROKER_UPSTREAM_CA: upCaFile,
};
spawnSync(process.execPath, [BIN, "secret", "set", "API"], {
  env: envP,
  input: randomBytes(24).toString("base64url"),
});
// The broker takes `inject` from the policy in force, never from the request (issue 21): a
// project whose approved hookpack.json injects API for the upstream (approved as the user would).
const projP = join(tmp, "proj-proxy");
mkdirSync(join(projP, ".git"), { recursive: true });
const policyText = `${JSON.stringify({
  version: 1,
  defaults: { approval: "auto" },
  secrets: { API: { inject: { hosts: [`127.0.0.1:${upPort}`] } } },
})}\n`;
writeFileSync(join(projP, "hookpack.json"), policyText);
writeFileSync(
  join(homeP, "policy-approvals.json"),
  JSON.stringify({
    [realpathSync(projP)]: {
      sha256: createHash("sha256").update(policyText).digest("hex"),
      approvedAt: new Date().toISOString(),
      text: policyText,
    },
  }),
  { mode: 0o600 },
);
const g = await client.mintGrantVia(homeP, envP, { ...req(["true"]), names: ["API"], cwd: projP });
const session = await client.redeemVia(homeP, envP, {
  id: g.id,
  argv: ["true"],
  names: ["API"],
  cwd: tmp,
});
const placeholder = session.phantoms.API.placeholder;
const { Agent, ProxyAgent, request: undiciRequest } = require("undici");
const brokerCa = readFileSync(join(homeP, "run", "ca.pem"), "utf8");
const url = `https://127.0.0.1:${upPort}/`;
const N = 200;
const timeRequests = async (dispatcher) => {
  const out = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const r = await undiciRequest(url, {
      dispatcher,
      headers: { authorization: `Bearer ${placeholder}` },
    });
    await r.body.text();
    out.push(performance.now() - t);
  }
  return out;
};
const direct = await timeRequests(new Agent({ connect: { ca: upCa.certPem } }));
const proxied = await timeRequests(
  new ProxyAgent({ uri: session.proxyEnv.HTTPS_PROXY, requestTls: { ca: brokerCa } }),
);
console.log(
  `\nInjection proxy, ${N} sequential HTTPS requests each (undici; keep-alive on both sides; each injected request also appends one HMAC-chained audit entry):`,
);
console.table([
  { path: "direct", "p50 ms": fmt(median(direct)) },
  {
    path: "through the proxy, value injected, response masked",
    "p50 ms": fmt(median(proxied)),
    "overhead ms": fmt(median(proxied) - median(direct)),
    ratio: fmt(median(proxied) / median(direct)),
  },
]);
session.release();
upstream.close();
await client.stopBroker(homeP);
await client.stopBroker(homeB);
rmSync(tmp, { recursive: true, force: true });

async function bundleCa() {
  const out = join(tmp, "ca.mjs");
  await build({
    entryPoints: [join(root, "broker", "ca.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    logLevel: "error",
  });
  return out;
}
