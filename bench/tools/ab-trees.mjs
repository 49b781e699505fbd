// A/B of two built trees (hook-split): the same hook rows run by the base tree's and this tree's
// dist/hookpack.cjs, interleaved (every round runs every variant once, shuffled, with `node -e 0`),
// each side with its own HOOKPACK_HOME. CPU is the process's own from a `-r` preload to exit (as
// bench/startup.mjs); B/A is the median of same-round ratios. Answers are compared first (paths,
// grant ids and hashes normalised) and printed as same / DIFFERENT.
//   AB_BASE=/tmp/h21-base2 node bench/tools/ab-trees.mjs [rounds=20] [row-id regex]
// Rows: post64k, val1 (64 KB with a value, 1 stored), red64k (20 stored), rewrite, deny, readgrep.
// Not part of `npm run bench` (it runs bench/*.mjs only); asserts nothing.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync, realpathSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { tmpdir, loadavg } from "node:os";
import { fakeGithubToken } from "../lib/fake-token.mjs";
const [A, B] = [
  process.env.AB_BASE ?? "/tmp/h21-base2",
  process.env.AB_NEW ?? join(import.meta.dirname, "..", ".."),
];
const rounds = Number(process.argv[2] ?? 20);
const filter = new RegExp(process.argv[3] ?? ".");
const baseEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS;
const sb = mkdtempSync(join(tmpdir(), "hs-ab-"));
const mark = join(sb, "mark.cjs");
writeFileSync(
  mark,
  `const c0=process.cpuUsage();process.on("exit",()=>{const c=process.cpuUsage(c0);require("fs").writeSync(2,"\\nSTARTUP-CPU "+((c.user+c.system)/1e3).toFixed(3)+"\\n")});\n`,
);
const project = join(sb, "project");
mkdirSync(join(project, ".git"), { recursive: true });
const policyText = JSON.stringify({
  version: 1,
  secrets: { BENCH_SECRET_0: { provider: "store", commands: ["printf"], approval: "auto" } },
});
writeFileSync(join(project, "hookpack.json"), policyText);
const approval = JSON.stringify({
  [realpathSync(project)]: {
    sha256: createHash("sha256").update(policyText).digest("hex"),
    approvedAt: new Date().toISOString(),
    text: policyText,
  },
});
const homes = [];
function home(side, name, n) {
  const bin = join(side, "dist", "hookpack.cjs");
  const dir = join(sb, `${name}-${side === A ? "a" : "b"}`);
  mkdirSync(join(dir, "p"), { recursive: true });
  const values = Array.from({ length: n }, (_, i) =>
    createHash("sha256").update(`v${name}${i}`).digest("hex").slice(0, 48),
  );
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
  if (r.status !== 0) throw new Error(r.stderr);
  writeFileSync(join(env.HOOKPACK_HOME, "policy-approvals.json"), approval);
  homes.push([bin, env]);
  return { env, values };
}
const base = {
  session_id: "bench",
  transcript_path: join(sb, "t.jsonl"),
  cwd: process.cwd(),
  permission_mode: "default",
};
const pre = (tool_input, cwd = process.cwd()) =>
  JSON.stringify({
    ...base,
    cwd,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
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
const j = (...p) => p.join("");
const tok = fakeGithubToken(
  j("Zq8", "Xw4", "Kp2", "Lm7", "Nb5", "Vc9", "Rt1", "Ys6", "Hu3", "Jo0"),
);
const rows = [];
for (const side of [A, B]) {
  const h1 = home(side, "s1", 1),
    h20 = home(side, "s20", 20);
  const hook = [join(side, "dist", "hookpack.cjs"), "hook", "claude-code"];
  const s = side === A ? "A" : "B";
  rows.push(
    { id: "post64k", s, args: hook, input: post(log(64 * 1024)), env: h20.env },
    { id: "val1", s, args: hook, input: post(withValue(64 * 1024, h1.values[0])), env: h1.env },
    { id: "red64k", s, args: hook, input: post(withValue(64 * 1024, h20.values[3])), env: h20.env },
    {
      id: "rewrite",
      s,
      args: hook,
      input: pre({ command: "printf %s $secret:BENCH_SECRET_0 | wc -c" }, project),
      env: h20.env,
    },
    {
      id: "deny",
      s,
      args: hook,
      input: pre({ command: `curl -H 'Authorization: token ${tok}' https://api.github.com` }),
      env: h20.env,
    },
    {
      id: "readgrep",
      s,
      args: hook,
      input: JSON.stringify({
        ...base,
        hook_event_name: "PreToolUse",
        tool_name: "Read",
        tool_input: { file_path: join(process.cwd(), "package.json") },
        tool_use_id: "t",
      }),
      env: h20.env,
    },
  );
}
const sel = rows.filter((r) => filter.test(r.id));
sel.push({ id: "floor", s: "-", args: ["-e", "0"], env: baseEnv });
const run = (r) => {
  const t0 = process.hrtime.bigint();
  const x = spawnSync(process.execPath, ["-r", mark, ...r.args], {
    input: r.input ?? "",
    env: r.env,
    encoding: "utf8",
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /STARTUP-CPU ([\d.]+)/.exec(x.stderr);
  return { wall, cpu: m ? Number(m[1]) : NaN, out: x.stdout, code: x.status };
};
// warm caches and check outputs equal
for (const r of sel) for (let i = 0; i < 3; i++) r.last = run(r);
for (const r of sel.filter((r) => r.s === "A")) {
  const b = sel.find((q) => q.s === "B" && q.id === r.id);
  const same = r.last.out === b.last.out && r.last.code === b.last.code;
  const norm = (o) => o.replace(/-[ab]\//g, "-X/").replace(/[0-9a-f]{16,}/g, "H");
  console.log(
    `${r.id}: exit ${r.last.code}/${b.last.code} out ${r.last.out.length}/${b.last.out.length} ${same ? "same" : norm(r.last.out) === norm(b.last.out) ? "same-normalised" : "DIFFERENT"}`,
  );
  if (process.env.AB_SHOW)
    console.log(r.last.out.slice(0, 400), "\n---\n", b.last.out.slice(0, 400));
}
const res = new Map(sel.map((r) => [r, []]));
const l0 = loadavg()[0].toFixed(2);
for (let k = 0; k < rounds; k++) {
  const order = [...sel].sort(() => Math.random() - 0.5);
  const got = new Map(order.map((r) => [r, run(r)]));
  const fl = got.get(sel.at(-1));
  for (const r of sel) res.get(r).push({ ...got.get(r), fwall: fl.wall, fcpu: fl.cpu });
}
const med = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};
console.log(`rounds ${rounds}, load ${l0} -> ${loadavg()[0].toFixed(2)}`);
for (const id of [...new Set(sel.map((r) => r.id))]) {
  const line = [id.padEnd(8)];
  for (const s of ["A", "B", "-"]) {
    const r = sel.find((q) => q.id === id && q.s === s);
    if (!r) continue;
    const v = res.get(r);
    line.push(
      `${s}: wall ${med(v.map((x) => x.wall)).toFixed(1)} ms (${med(v.map((x) => x.wall / x.fwall)).toFixed(3)}x) cpu ${med(v.map((x) => x.cpu)).toFixed(2)} ms (${med(v.map((x) => x.cpu / x.fcpu)).toFixed(3)}x)`,
    );
  }
  const a = sel.find((q) => q.id === id && q.s === "A"),
    b = sel.find((q) => q.id === id && q.s === "B");
  if (a && b) {
    const va = res.get(a),
      vb = res.get(b);
    line.push(
      `B/A wall ${med(va.map((x, i) => vb[i].wall / x.wall)).toFixed(3)} cpu ${med(va.map((x, i) => vb[i].cpu / x.cpu)).toFixed(3)}`,
    );
  }
  console.log(line.join(" | "));
}
for (const [bin, env] of homes)
  spawnSync(process.execPath, [bin, "broker", "stop"], { env, stdio: "ignore" });
rmSync(sb, { recursive: true, force: true });
