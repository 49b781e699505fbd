// Where the PreToolUse allow path's time goes (issue 21): the same call cut short at each stage,
// so each stage's cost is the difference to the previous one. Measured as CPU time of the main
// script's part of the process (process.cpuUsage from a `-r` preload, which runs just before the
// main script, to the first `exit` listener): unlike wall time it does not count waiting for a
// core, so it holds on a loaded machine (±0.05 ms over 100 rounds at load 12 on 2 cores). Node's
// own start-up and teardown are outside the window and the same for every stage; the whole
// process's CPU (user+sys of the child, 10 ms ticks, so a mean) is printed beside.
//
// Stages (dist/ copied to a temp dir; the entry's dispatch cut by text, so a changed entry that
// no longer matches fails loudly instead of measuring something else):
//   floor        node -e 0 (its window holds the -e evaluation)
//   file main    node empty.cjs (Node's CommonJS main: resolve, realpath, read, compile)
//   entry        dist/hookpack.cjs top level, no bundle loaded
//   + fast-allow the fast allow stage's bundle loaded through the V8 code cache, not called (nor
//                stdin read)
//   allow call   the whole call (stdin a socket, as a Node agent gives it), answered by the stage
//   hook.cjs     the hook bundle alone loaded through the code cache (a call the stage is not
//                loaded for: another event, tool or agent), runHook not called
//   full         the same call with HOOKPACK_FAST_ALLOW=0: the full pipeline, no stage
//   no cache     the whole call with HOOKPACK_CODE_CACHE=0
//   launcher     the installed command's verifying launcher alone (its final compile cut), and
//                the whole call through it
//
//   node bench/startup.mjs [--rounds 60]
// Plain node; needs `npm run build` first. Asserts nothing; prints `ROW {json}` lines for run.mjs.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const i = process.argv.indexOf("--rounds");
const rounds = i === -1 ? 60 : Number(process.argv[i + 1]);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const loadStart = load();
if (!existsSync(join(root, "dist", "hookpack.cjs"))) throw new Error("run `npm run build` first");

const baseEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS; // ~47 ms per start on Node 20, not what we measure
const tmp = mkdtempSync(join(tmpdir(), "hookpack-bench-startup-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

const mark = join(tmp, "mark.cjs");
writeFileSync(
  mark,
  `const c0 = process.cpuUsage();
process.on("exit", () => { const c = process.cpuUsage(c0); require("fs").writeSync(2, "\\nSTARTUP-CPU " + ((c.user + c.system) / 1e3).toFixed(3) + "\\n"); });
`,
);
const empty = join(tmp, "empty.cjs");
writeFileSync(empty, "");

/** dist/ copied, with the entry's hook dispatch replaced by `cut` (a function of the matched call). */
function cutCopy(name, cut) {
  const dir = join(tmp, name);
  cpSync(join(root, "dist"), dir, { recursive: true });
  const entry = join(dir, "hookpack.cjs");
  const text = readFileSync(entry, "utf8");
  const re =
    /if\((\w+)\)\{let \w+=\w+\(\w+\[0\],process\.env\),\w+=\(\w+,\w+=\w+\(\w+\[0\],\w+\)\)=>(\w+)\(\w+\)\.runHook\(\w+\[0\],process\.env,\w+\);if\(\w+\.raw===void 0\)\{.*?\}else (\w+)\(\)\.fastAllow\(\w+,process\.env\)\.then\(\w+=>\w+&&\w+\(\w+,"hook\.cjs"\)\)\}/;
  if (!re.test(text))
    throw new Error("bench/startup.mjs: the entry's hook dispatch changed; update cutCopy");
  writeFileSync(
    entry,
    text.replace(re, (_, cond, load, stage) => `if(${cond}){${cut(load, stage)}}`),
  );
  return entry;
}
const entryOnly = cutCopy("entry-only", () => "0");
const fastOnly = cutCopy("fast-only", (_, stage) => `${stage}()`);
const hookOnly = cutCopy("hook-only", (load) => `${load}("hook.cjs")`);

const payload = JSON.stringify({
  session_id: "bench",
  transcript_path: join(tmp, "t.jsonl"),
  cwd: root,
  permission_mode: "default",
  hook_event_name: "PreToolUse",
  tool_name: "Bash",
  tool_input: { command: "ls -la src", description: "List source files" },
  tool_use_id: "toolu_bench",
});
const home = join(tmp, "home");
mkdirSync(join(home, ".hookpack"), { recursive: true, mode: 0o700 });
const env = { ...baseEnv, HOME: home };
delete env.HOOKPACK_HOME;

const V = [];
const add = (name, args, extra = {}) => V.push({ name, args, ...extra });
add("floor: node -e 0", ["-e", "0"], { input: "" });
add("file main: node empty.cjs", [empty], { input: "" });
add("entry: hookpack.cjs top level", [entryOnly, "hook", "claude-code"]);
add("+ fast-allow.cjs through the code cache", [fastOnly, "hook", "claude-code"]);
add("allow call (stdin: socket)", [join(root, "dist", "hookpack.cjs"), "hook", "claude-code"]);
add("hook.cjs alone through the code cache", [hookOnly, "hook", "claude-code"]);
add(
  "allow call, HOOKPACK_FAST_ALLOW=0 (full pipeline)",
  [join(root, "dist", "hookpack.cjs"), "hook", "claude-code"],
  { env: { HOOKPACK_FAST_ALLOW: "0" } },
);
add(
  "allow call, HOOKPACK_CODE_CACHE=0",
  [join(root, "dist", "hookpack.cjs"), "hook", "claude-code"],
  {
    env: { HOOKPACK_CODE_CACHE: "0" },
  },
);

// The installed command (a real `hookpack install` in its own home), as bench/run.mjs reads it.
{
  const lh = {
    HOME: join(tmp, "inst-home"),
    HOOKPACK_HOME: join(tmp, "inst-hp"),
    HOOKPACK_KEY_BACKEND: "file",
  };
  const proj = join(tmp, "inst-project");
  mkdirSync(lh.HOME, { recursive: true });
  mkdirSync(proj, { recursive: true });
  spawnSync("git", ["init", "-q"], { cwd: proj });
  const ins = spawnSync(
    process.execPath,
    [
      join(root, "dist", "hookpack.cjs"),
      "install",
      "--agent",
      "claude-code",
      "--no-git-hook",
      "--no-ignore-files",
    ],
    { cwd: proj, env: { ...baseEnv, ...lh }, encoding: "utf8" },
  );
  const settings = ["settings.local.json", "settings.json"]
    .map((f) => join(proj, ".claude", f))
    .find((f) => existsSync(f));
  const command =
    ins.status === 0 && settings
      ? JSON.parse(readFileSync(settings, "utf8")).hooks.PreToolUse[0].hooks[0].command
      : "";
  const m = /^"[^"]*" -e "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" hook claude-code$/.exec(command);
  if (m) {
    const unq = (t) => t.replace(/\\(.)/g, "$1");
    const launcher = unq(m[1]);
    const tail = launcher.indexOf("const M=module.constructor");
    if (tail === -1) throw new Error("bench/startup.mjs: the launcher's final compile changed");
    add("installed runtime copy, no launcher", [unq(m[2]), "hook", "claude-code"], { env: lh });
    add("launcher alone (verifies, runs nothing)", ["-e", launcher.slice(0, tail), unq(m[2])], {
      env: lh,
    });
    add("allow call through the launcher", ["-e", launcher, unq(m[2]), "hook", "claude-code"], {
      env: lh,
    });
  } else console.log(`hookpack bench: no installed launcher command; launcher rows skipped`);
}

const childCpu = () => {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) * 10;
  } catch {
    return NaN;
  }
};
const run = (v) => {
  const c0 = childCpu();
  const r = spawnSync(process.execPath, ["-r", mark, ...v.args], {
    input: v.input ?? payload,
    env: { ...env, ...(v.env ?? {}) },
    encoding: "utf8",
  });
  const whole = childCpu() - c0;
  const got = /STARTUP-CPU ([\d.]+)/.exec(r.stderr ?? "");
  if (r.status !== 0 || !got) throw new Error(`${v.name}: exit ${r.status}\n${r.stderr}`);
  return [Number(got[1]), whole];
};
console.log(
  `hookpack bench startup: ${V.length} stages, ${rounds} interleaved rounds, node ${process.version}, load ${loadStart}`,
);
for (const v of V) for (let k = 0; k < 3; k++) run(v); // warm-up: disk cache, code caches, runtime seal
const js = V.map(() => []);
const whole = V.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = V.map((_, k) => k).sort(() => Math.random() - 0.5);
  for (const k of order) {
    const [a, b] = run(V[k]);
    js[k].push(a);
    whole[k].push(b);
  }
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
/** Median over rounds of a - b in the same round. */
const diff = (a, b) => median(js[a].map((t, r) => t - js[b][r]));
const by = (name) => V.findIndex((v) => v.name.startsWith(name));
console.log(
  `\n${"stage".padEnd(44)} ${"script CPU".padStart(10)} ${"step".padStart(8)} ${"process CPU".padStart(12)}`,
);
const steps = {
  "file main": "floor",
  entry: "file main",
  "+ fast-allow.cjs": "entry",
  "allow call (stdin": "+ fast-allow.cjs",
  "hook.cjs alone": "entry",
  "allow call, HOOKPACK_FAST": "hook.cjs alone",
  "allow call, HOOKPACK_CODE": "allow call (stdin",
  "launcher alone": "floor",
  "allow call through": "installed runtime",
  "installed runtime": "allow call (stdin",
};
for (let k = 0; k < V.length; k++) {
  const prev = Object.entries(steps).find(([p]) => V[k].name.startsWith(p))?.[1];
  const step =
    prev === undefined ? "" : `${diff(k, by(prev)) >= 0 ? "+" : ""}${diff(k, by(prev)).toFixed(2)}`;
  console.log(
    `${V[k].name.padEnd(44)} ${median(js[k]).toFixed(2).padStart(7)} ms ${step.padStart(8)} ${mean(whole[k]).toFixed(1).padStart(9)} ms`,
  );
}
console.log(`load ${loadStart} at the start, ${load()} at the end`);
if (process.env.BENCH_ROWS === "1") {
  const row = (name, a, b) =>
    console.log(
      `ROW ${JSON.stringify({ row: `allow path, CPU of: ${name}`, value: diff(a, b), unit: "ms" })}`,
    );
  row("Node's CommonJS main vs -e", by("file main"), by("floor"));
  row("the entry's top level", by("entry"), by("file main"));
  row("loading fast-allow.cjs (code cache)", by("+ fast-allow.cjs"), by("entry"));
  row("the fast stage's call (stdin, checks)", by("allow call (stdin"), by("+ fast-allow.cjs"));
  row("a call handed on: loading hook.cjs", by("hook.cjs alone"), by("entry"));
  row("a call handed on: the full pipeline", by("allow call, HOOKPACK_FAST"), by("hook.cjs alone"));
  if (by("launcher alone") !== -1) row("the verifying launcher", by("launcher alone"), by("floor"));
}
