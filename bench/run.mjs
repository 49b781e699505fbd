// `npm run bench`: wall time of one hook call, as an agent spawns it, measured side by side with
// the Node floor (`node -e 0`) in one interleaved run: each round runs every variant once in a
// shuffled order, so load on this shared machine hits all variants alike. Figures are medians.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "dist", "hookpack.cjs");
const rounds = Number(process.env.BENCH_ROUNDS ?? 40);
const j = (...p) => p.join("");
// A GitHub-shaped fake with a valid CRC32/base62 checksum (placeholders are no longer denied).
const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (s) => {
  let c = -1;
  for (let i = 0; i < s.length; i++) c = CRC[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
};
const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base62 = (n) => {
  let o = "";
  do {
    o = B62[n % 62] + o;
    n = Math.floor(n / 62);
  } while (n > 0);
  return o.padStart(6, "0");
};
const body = j("Zq8", "Xw4", "Kp2", "Lm7", "Nb5", "Vc9", "Rt1", "Ys6", "Hu3", "Jo0");
const fake = j("gh", "p_", body, base62(crc32(body)));

const base = { session_id: "bench", transcript_path: "/tmp/t.jsonl", cwd: root, permission_mode: "default" };
const pre = (tool_input, tool_name = "Bash") => JSON.stringify({ ...base, hook_event_name: "PreToolUse", tool_name, tool_input, tool_use_id: "toolu_bench" });
const post = (stdout) =>
  JSON.stringify({ ...base, hook_event_name: "PostToolUse", tool_name: "Bash", tool_input: { command: "npm test" }, tool_response: { stdout, stderr: "", interrupted: false, isImage: false }, tool_use_id: "toolu_bench" });
const log = (bytes) => "PASS test/some/file.test.ts (12 tests) 431ms\n".repeat(Math.ceil(bytes / 46)).slice(0, bytes);

// NODE_EXTRA_CA_CERTS costs ~47 ms per start on Node 20 and is not what we measure here.
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

// A realistic user: 20 managed secrets, so every post-tool call loads the hook cache (hashes only).
const sandbox = mkdtempSync(join(tmpdir(), "hookpack-bench-"));
process.on("exit", () => rmSync(sandbox, { recursive: true, force: true }));
env.HOOKPACK_HOME = join(sandbox, "hp");
env.HOOKPACK_KEY_BACKEND = "file";
const managed = Array.from({ length: 20 }, () => randomBytes(24).toString("hex"));
managed.forEach((value, i) => {
  const r = spawnSync(process.execPath, [bin, "secret", "set", `BENCH_SECRET_${i}`], { input: value, env });
  if (r.status !== 0) throw new Error(`secret set failed: ${r.stderr}`);
});
// A project with a policy that lets printf receive BENCH_SECRET_0 without a prompt.
const project = join(sandbox, "project");
mkdirSync(join(project, ".git"), { recursive: true });
const policyText = JSON.stringify({ version: 1, secrets: { BENCH_SECRET_0: { provider: "store", commands: ["printf"], approval: "auto" } } });
writeFileSync(join(project, "hookpack.json"), policyText);
// The policy applies once approved (`hookpack policy approve`, which needs a terminal): recorded the same way here.
mkdirSync(join(project, ".git"), { recursive: true });
writeFileSync(join(env.HOOKPACK_HOME, "policy-approvals.json"), JSON.stringify({ [realpathSync(project)]: { sha256: createHash("sha256").update(policyText).digest("hex"), approvedAt: new Date().toISOString(), text: policyText } }));
const preIn = (cwd, tool_input) => JSON.stringify({ ...base, cwd, hook_event_name: "PreToolUse", tool_name: "Bash", tool_input, tool_use_id: "toolu_bench" });
const bigClean = join(sandbox, "clean-120k.log");
writeFileSync(bigClean, log(120 * 1024));

const variants = [
  { name: "node -e 0 (floor)", args: ["-e", "0"] },
  { name: "hook: PreToolUse Bash, allow path", args: [bin, "hook", "claude-code"], input: pre({ command: "ls -la src", description: "List source files" }) },
  // The same call without hookpack's own V8 code cache (Node 20; Node >= 22 uses its compile cache).
  { name: "hook: allow path, code cache off", args: [bin, "hook", "claude-code"], input: pre({ command: "ls -la src", description: "List source files" }), env: { HOOKPACK_CODE_CACHE: "0" } },
  { name: "hook: PostToolUse Bash, 1 KB clean", args: [bin, "hook", "claude-code"], input: post(log(1024)) },
  { name: "hook: PostToolUse Bash, 64 KB clean", args: [bin, "hook", "claude-code"], input: post(log(64 * 1024)) },
  { name: "hook: PreToolUse Bash, $secret: ref -> rewrite", args: [bin, "hook", "claude-code"], input: preIn(project, { command: "printf %s $secret:BENCH_SECRET_0 | wc -c" }) },
  { name: "hook: PreToolUse Bash, token -> deny", args: [bin, "hook", "claude-code"], input: pre({ command: `curl -H 'Authorization: token ${fake}' https://api.github.com` }) },
  { name: "hook: PostToolUse Bash, 1 KB with token -> redact", args: [bin, "hook", "claude-code"], input: post(`${log(1000)}GH_TOKEN=${fake}\n`) },
  { name: "hook: PostToolUse Bash, 64 KB, managed value -> redact", args: [bin, "hook", "claude-code"], input: post(`${log(64 * 1024)}KEY=${managed[7]}\n`) },
  // The prompt guard's allow path (a clean prompt; hook cache, context files, prefilter) and a held-back prompt.
  { name: "hook: UserPromptSubmit, clean prompt (allow path)", args: [bin, "hook", "claude-code"], input: JSON.stringify({ ...base, hook_event_name: "UserPromptSubmit", prompt: "Refactor the parser in src/parse.ts so that it streams; keep the tests green." }) },
  { name: "hook: UserPromptSubmit, token -> block", args: [bin, "hook", "claude-code"], input: JSON.stringify({ ...base, hook_event_name: "UserPromptSubmit", prompt: `deploy with ${fake}` }) },
  { name: "hook: PreToolUse Read, clean 120 KB file (read guard)", args: [bin, "hook", "claude-code"], input: pre({ file_path: bigClean }, "Read") },
  { name: "hook: PreToolUse Bash `cat` of that file (read guard)", args: [bin, "hook", "claude-code"], input: pre({ command: `cat ${bigClean}` }) },
];

if (!existsSync(bin)) throw new Error("run `npm run build` first");

// Before/after (issue 17): the same calls through a baseline build of an older commit, interleaved
// in the same rounds. BENCH_BASELINE_REF (default: the last commit before hookpack's own detection
// rules) is exported with `git archive` and built beside this checkout; BENCH_BASELINE=0 skips it.
const baselineRef = process.env.BENCH_BASELINE_REF ?? "3e8334a";
if (process.env.BENCH_BASELINE !== "0") {
  const dir = join(sandbox, "baseline");
  mkdirSync(dir);
  const arch = spawnSync("sh", ["-c", `git -C "${root}" archive ${baselineRef} | tar -x -C "${dir}"`]);
  if (arch.status === 0) {
    spawnSync("ln", ["-s", join(root, "node_modules"), join(dir, "node_modules")]);
    const b = spawnSync(process.execPath, [join(dir, "scripts", "build.mjs")], { cwd: dir, encoding: "utf8" });
    if (b.status === 0) {
      const old = join(dir, "dist", "hookpack.cjs");
      variants.splice(2, 0, { name: `baseline ${baselineRef}: PreToolUse allow path`, args: [old, "hook", "claude-code"], input: pre({ command: "ls -la src", description: "List source files" }), baseline: 1 });
      variants.push({ name: `baseline ${baselineRef}: PostToolUse 64 KB clean`, args: [old, "hook", "claude-code"], input: post(log(64 * 1024)), baseline: 4 });
    } else console.log(`hookpack bench: baseline build of ${baselineRef} failed; before/after not measured.\n${b.stderr}`);
  } else console.log(`hookpack bench: no baseline: \`git archive ${baselineRef}\` failed (shallow clone?); before/after not measured.`);
}
const runOnce = (v) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, v.args, { input: v.input ?? "", env: v.env ? { ...env, ...v.env } : env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${v.name}: exit ${r.status}\n${r.stderr}`);
  return ms;
};
for (const v of variants) for (let i = 0; i < 3; i++) runOnce(v); // warm-up: disk cache, compile cache
const times = variants.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = variants.map((_, i) => i).sort(() => Math.random() - 0.5);
  for (const i of order) times[i].push(runOnce(variants[i]));
}
const q = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
const floor = q(times[0], 0.5);
console.log(`hookpack bench: ${rounds} interleaved rounds, node ${process.version}, ${readdirSync(join(root, "dist")).length} bundles in dist/`);
console.log(`${"variant".padEnd(52)} ${"p50 ms".padStart(8)} ${"p25".padStart(7)} ${"p75".padStart(7)} ${"x floor".padStart(8)} ${"+ms".padStart(7)}`);
for (const [i, v] of variants.entries()) {
  const p50 = q(times[i], 0.5);
  console.log(
    `${v.name.padEnd(52)} ${p50.toFixed(1).padStart(8)} ${q(times[i], 0.25).toFixed(1).padStart(7)} ${q(times[i], 0.75).toFixed(1).padStart(7)} ${(p50 / floor).toFixed(2).padStart(8)} ${(p50 - floor).toFixed(1).padStart(7)}`,
  );
}
const allow = q(times[1], 0.5) / floor;
console.log(`\nallow-path ratio to the Node floor: ${allow.toFixed(2)}x (target <= 1.30x)`);
for (const [i, v] of variants.entries()) {
  if (v.baseline === undefined) continue;
  const now = variants.findIndex((x) => x.args[0] === bin && x.input === v.input);
  const before = q(times[i], 0.5) / floor;
  const after = q(times[now], 0.5) / floor;
  console.log(`before/after (${v.name.replace(/^baseline [^:]+: /, "")}): ${before.toFixed(3)}x -> ${after.toFixed(3)}x the Node floor (${(((after - before) / before) * 100).toFixed(1)}%; budget for the allow path: +2%)`);
}
