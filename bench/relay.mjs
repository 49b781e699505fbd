// `npm run bench` (relay part): what hookpack's model-request relay adds per request and to a
// streamed response, against a direct HTTPS connection to the same local upstream. The client runs
// as the agent would (`hookpack run --relay -- node client.mjs`), interleaving direct and relayed
// requests so load on this shared machine hits both alike. Figures are medians.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "dist", "hookpack.cjs");
const dir = mkdtempSync(join(tmpdir(), "hookpack-bench-relay-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const cert = spawnSync("openssl", [
  "req",
  "-x509",
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:prime256v1",
  "-nodes",
  "-days",
  "1",
  "-subj",
  "/CN=127.0.0.1",
  "-addext",
  "subjectAltName=IP:127.0.0.1",
  "-keyout",
  join(dir, "key.pem"),
  "-out",
  join(dir, "cert.pem"),
]);
if (cert.status !== 0)
  throw new Error("bench/relay.mjs needs the openssl CLI to make a test certificate");

const STREAM_BYTES = 8 * 1024 * 1024;
const server = https.createServer(
  { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
  (req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url.startsWith("/v1/stream")) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = Buffer.alloc(64 * 1024, "data: x\n\n");
        for (let sent = 0; sent < STREAM_BYTES; sent += chunk.length) res.write(chunk);
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"id":"msg","content":[{"type":"text","text":"ok"}]}');
    });
  },
);
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const upstream = `https://127.0.0.1:${server.address().port}`;

// A request like an agent's: a 40 KB system prompt and tool list, a conversation with tool results.
const body = JSON.stringify({
  model: "m",
  system: "You are a coding agent. ".repeat(1800),
  tools: Array.from({ length: 24 }, (_, i) => ({
    name: `tool_${i}`,
    description: "does a thing ".repeat(20),
    input_schema: { type: "object" },
  })),
  messages: Array.from({ length: 20 }, (_, i) => ({
    role: i % 2 ? "assistant" : "user",
    content: `turn ${i}: ${"some output line\n".repeat(40)}`,
  })),
});
writeFileSync(join(dir, "body.json"), body);
const client = `
import https from "node:https"; import http from "node:http"; import { readFileSync } from "node:fs";
const ca = readFileSync(${JSON.stringify(join(dir, "cert.pem"))}); const body = readFileSync(${JSON.stringify(join(dir, "body.json"))});
const direct = ${JSON.stringify(upstream)}; const relay = process.env.OPENAI_BASE_URL;
const agentS = new https.Agent({ keepAlive: true, ca }); const agentH = new http.Agent({ keepAlive: true });
function call(base, path, payload) { return new Promise((resolve, reject) => { const u = new URL(base + path); const mod = u.protocol === "https:" ? https : http;
  const t0 = process.hrtime.bigint(); let bytes = 0;
  const req = mod.request(u, { method: "POST", agent: u.protocol === "https:" ? agentS : agentH, headers: { "content-type": "application/json", "content-length": payload.length } }, (res) => { res.on("data", (c) => (bytes += c.length)); res.on("end", () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes })); });
  req.on("error", reject); req.end(payload); }); }
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const rounds = Number(process.env.BENCH_ROUNDS ?? 60); const d = [], r = [];
for (let i = 0; i < 5; i++) { await call(direct, "/v1/messages", body); await call(relay, "/v1/messages", body); }
for (let i = 0; i < rounds; i++) { d.push((await call(direct, "/v1/messages", body)).ms); r.push((await call(relay, "/v1/messages", body)).ms); }
const sd = [], sr = [];
for (let i = 0; i < 7; i++) { const a = await call(direct, "/v1/stream", Buffer.from("{}")); const b = await call(relay, "/v1/stream", Buffer.from("{}")); sd.push(a.bytes / 1048576 / (a.ms / 1000)); sr.push(b.bytes / 1048576 / (b.ms / 1000)); }
console.log(JSON.stringify({ bodyKB: Math.round(body.length / 1024), direct: med(d), relay: med(r), ratio: med(r.map((x, i) => x / d[i])), streamDirect: med(sd), streamRelay: med(sr), streamRatio: med(sr.map((x, i) => x / sd[i])) }));
`;
writeFileSync(join(dir, "client.mjs"), client);
const env = { ...process.env, HOOKPACK_HOME: join(dir, "hp") };
delete env.NODE_EXTRA_CA_CERTS;
// Async: the upstream lives in this process and must keep answering while the client runs.
const spawnAsync = (args, childEnv, cwd = dir) =>
  new Promise((resolve) => {
    const p = spawn(process.execPath, args, { env: childEnv, cwd });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c) => (stdout += c));
    p.stderr.on("data", (c) => (stderr += c));
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
const child = await spawnAsync(
  [
    bin,
    "run",
    "--relay",
    "--upstream",
    upstream,
    "--upstream-ca",
    join(dir, "cert.pem"),
    "--",
    process.execPath,
    join(dir, "client.mjs"),
  ],
  env,
);
if (child.status !== 0) throw new Error(`relay bench failed:\n${child.stderr}`);

// The persistent relay: `install --agent codex --relay` and `broker start` in a throwaway HOME;
// the client talks to its codex route directly.
const penv = { ...env, HOME: join(dir, "home"), HOOKPACK_KEY_BACKEND: "file", CI: "true" };
const proj = join(dir, "proj");
mkdirSync(penv.HOME, { recursive: true });
mkdirSync(proj, { recursive: true });
// In a throwaway project (install writes the agent's hook files into its working directory).
const cli = (args) => spawnAsync([bin, ...args], penv, proj);
const inst = await cli([
  "install",
  "--agent",
  "codex",
  "--relay",
  "--relay-upstream",
  upstream,
  "--relay-ca",
  join(dir, "cert.pem"),
  "--no-git-hook",
]);
const started = inst.status === 0 ? await cli(["broker", "start"]) : inst;
let p;
if (started.status === 0) {
  const port = JSON.parse(readFileSync(join(env.HOOKPACK_HOME, "relay.json"), "utf8")).port;
  const pc = await spawnAsync([join(dir, "client.mjs")], {
    ...penv,
    OPENAI_BASE_URL: `http://127.0.0.1:${port}/codex`,
  });
  if (pc.status === 0) p = JSON.parse(pc.stdout.trim().split("\n").pop());
  else console.log(`persistent relay bench failed: ${pc.stderr.slice(0, 400)}`);
} else
  console.log(`persistent relay bench skipped: ${(started.stderr + started.stdout).slice(0, 400)}`);
await cli(["broker", "stop"]);
server.close();

const m = JSON.parse(child.stdout.trim().split("\n").pop());
const report = (what, x) => {
  console.log(`${what}, ${x.bodyKB} KB agent-like request body, medians:`);
  console.log(
    `  per request: direct ${x.direct.toFixed(2)} ms, through the relay ${x.relay.toFixed(2)} ms: +${(x.relay - x.direct).toFixed(2)} ms (x${x.ratio.toFixed(2)}, median of paired ratios)`,
  );
  console.log(
    `  streamed ${STREAM_BYTES / 1048576} MB response: direct ${x.streamDirect.toFixed(0)} MB/s, through the relay ${x.streamRelay.toFixed(0)} MB/s (x${x.streamRatio.toFixed(2)})`,
  );
};
report("relay (hookpack run --relay)", m);
if (p) report("persistent relay (broker process, install --relay)", p);
if (process.env.BENCH_ROWS === "1") {
  const row = (r) => console.log(`ROW ${JSON.stringify(r)}`);
  for (const [label, x] of [
    ["relay", m],
    ["persistent relay", p],
  ]) {
    if (!x) continue;
    row({
      row: `${label}: one ${x.bodyKB} KB model request`,
      value: Number(x.relay.toFixed(2)),
      unit: "ms",
      ratio: Number(x.ratio.toFixed(2)),
      vs: "a direct HTTPS request to the same local server",
    });
    row({
      row: `${label}: streamed ${STREAM_BYTES / 1048576} MB response`,
      value: Math.round(x.streamRelay),
      unit: "MB/s",
      ratio: Number(x.streamRatio.toFixed(2)),
      vs: "direct throughput",
    });
  }
}
