// A masking wrapper for every shell command (issue 14: "run shell commands through a masking wrapper
// so output is masked at the source") costs at least a Node start per command. This measures it next to
// the command itself: `node bench/wrapper.mjs` (after `npm run build`). Figures are medians of 25 rounds.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
const bin =
  process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "hookpack.cjs");
const home = mkdtempSync(join(tmpdir(), "hp-wrap-"));
const env = { ...process.env, HOOKPACK_HOME: home, HOOKPACK_KEY_BACKEND: "file" };
delete env.NODE_EXTRA_CA_CERTS;
const variants = [
  ["bash -c true (what the agent runs today)", "bash", ["-c", "true"]],
  ["node -e 0 (any node wrapper's floor)", process.execPath, ["-e", "0"]],
  [
    "hookpack exec -- bash -c true (a masking wrapper)",
    process.execPath,
    [bin, "exec", "--", "bash", "-c", "true"],
  ],
];
const times = variants.map(() => []);
for (let r = 0; r < 25; r++)
  for (const [i, [, cmd, args]] of variants.entries()) {
    const t = process.hrtime.bigint();
    spawnSync(cmd, args, { env, stdio: "ignore" });
    times[i].push(Number(process.hrtime.bigint() - t) / 1e6);
  }
for (const [i, [name]] of variants.entries()) {
  const s = times[i].sort((a, b) => a - b);
  console.log(`${name}: p50 ${s[12].toFixed(1)} ms`);
}
