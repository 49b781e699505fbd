// Issue 21: the gates' four-view search (rules/managed-matcher.ts findViews) rolls its buckets in
// WebAssembly for texts of 64 units and more (rules/matcher-wasm.ts viewsModule), the JavaScript
// loop below that. The agent hides a managed value in a file, in every view the gates search (as
// is, reversed, split into pieces, split and reversed), across long runs of joiners (blank lines,
// hundreds of spaces, non-ASCII line and ideographic spaces), one character per line, after astral
// characters, at the very start and the very end of a long file, and in short files that stay on
// the JavaScript loop. Real processes (dist/*.cjs): `hookpack scan`, the git pre-push hook over
// one commit holding every file, `hookpack check-pack DIR`. Every file must be reported with the
// value's name, and no output may carry the value.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushedRepo } from "../helpers/git-sandbox.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

// Built at run time (no token-shaped string in the file): 30 characters, letters and digits.
const value =
  `vw${Math.random().toString(36).slice(2, 14)}${Math.random().toString(36).slice(2, 14)}Zq`
    .padEnd(30, "7")
    .slice(0, 30);
const rev = (s: string) => s.split("").reverse().join("");
/** ~6 KB of source-like text (joiners everywhere, no value). */
const filler = (seed: number) =>
  Array.from(
    { length: 120 },
    (_, i) => `  const item${seed}_${i} = call(arg.${i}, "text ${i * 7}", [${i}, ${seed}]);\n`,
  ).join("");

const hidden: Record<string, string> = {
  "as-is-middle": `${filler(1)}const k = "${value}";\n${filler(2)}`,
  "reversed-middle": `${filler(3)}const k = "${rev(value)}";\n${filler(4)}`,
  "split-plus": `${filler(5)}const k = '${value.slice(0, 11)}' + '${value.slice(11)}';\n${filler(6)}`,
  "split-reversed": `${filler(7)}const k = "${rev(value).slice(0, 13)}" "${rev(value).slice(13)}";\n`,
  "split-blank-lines": `${filler(8)}const k = \`${value.slice(0, 5)}${"\n".repeat(400)}${value.slice(5)}\`;\n${filler(9)}`,
  "split-300-spaces": `${filler(10)}${value.slice(0, 17)}${" ".repeat(300)}${value.slice(17)}\n`,
  "split-unicode-spaces": `${filler(11)}${value.slice(0, 8)}\u2028\u3000\u00a0${value.slice(8, 20)}\u2029\ufeff${value.slice(20)}\n${filler(12)}`,
  "one-char-per-line": `${filler(13)}${value.split("").join("\n")}\n${filler(14)}`,
  "reversed-one-char-per-line": `${filler(15)}${rev(value).split("").join(",\n  ")}\n`,
  "after-astral": `${"𝒳😀".repeat(300)}${value}${"😀".repeat(50)}`,
  "split-after-astral": `${"𝒳".repeat(200)}'${value.slice(0, 9)}' + '${value.slice(9)}'${"𝒳".repeat(10)}`,
  "at-start": `${value}\n${filler(16)}`,
  "at-end": `${filler(17)}${value}`,
  "split-at-end": `${filler(18)}${value.slice(0, 15)}\n\n${value.slice(15)}`,
  "reversed-at-start": `${rev(value)}${filler(19)}`,
  "short-as-is": `k=${value}\n`,
  "short-split": `'${value.slice(0, 10)}'+'${value.slice(10)}'`,
  "short-reversed-split": `"${rev(value).slice(0, 4)}"\n"${rev(value).slice(4)}"`,
};

let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    env: env(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

let dir: string;
beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  dir = pushedRepo(sb.root, "views-wasm", git);
  mkdirSync(join(dir, "lib"), { recursive: true });
  for (const [name, text] of Object.entries(hidden))
    writeFileSync(join(dir, "lib", `${name}.js`), text);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "hp-views-demo", version: "1.0.0", files: ["lib"] }),
  );
  git(dir, "add", ".");
  git(dir, "commit", "-qm", "add lib");
});
afterAll(() => sb?.cleanup());

/** Files reported as the managed value DEPLOY_KEY (scan and pre-push: label; check-pack: message). */
function reported(
  findings: Array<{
    path?: string;
    file?: string;
    label?: string;
    message?: string;
    ruleId?: string;
  }>,
) {
  const files = new Set<string>();
  for (const f of findings) {
    const p = f.path ?? f.file ?? "";
    if (f.ruleId === "managed-value" && /DEPLOY_KEY/.test(f.label ?? f.message ?? ""))
      files.add(p.split("/").pop()!.replace(/\.js$/, ""));
  }
  return files;
}

describe("attack: a managed value hidden in the four views, long files (WebAssembly) and short", () => {
  it("hookpack scan reports every file", async () => {
    const t = tally("views-wasm/scan");
    const r = await hookpack(["scan", join(dir, "lib"), "--format", "json"], {
      env: env(),
      cwd: dir,
    });
    const out = r.stdout + r.stderr;
    expect(out.includes(value)).toBe(false);
    expect(out.includes(rev(value))).toBe(false);
    const files = reported(JSON.parse(r.stdout).findings);
    for (const name of Object.keys(hidden)) t.attempt(files.has(name) && !out.includes(value));
    expect([...Object.keys(hidden)].filter((n) => !files.has(n))).toEqual([]);
    expect(r.exitCode).toBe(1);
  }, 60_000);

  it("the git pre-push hook reports every file", async () => {
    const t = tally("views-wasm/pre-push");
    const head = git(dir, "rev-parse", "HEAD").trim();
    const r = await hookpack(["pre-push", "origin", "x", "--format", "json"], {
      input: `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n`,
      env: env(),
      cwd: dir,
    });
    const out = r.stdout + r.stderr;
    expect(out.includes(value)).toBe(false);
    const files = reported(JSON.parse(r.stdout).findings);
    for (const name of Object.keys(hidden)) t.attempt(files.has(name) && !out.includes(value));
    expect([...Object.keys(hidden)].filter((n) => !files.has(n))).toEqual([]);
    expect(r.exitCode, r.stderr).toBe(1);
  }, 60_000);

  it("check-pack reports every file", async () => {
    const t = tally("views-wasm/check-pack");
    const r = await hookpack(["check-pack", dir, "--format", "json"], { env: env(), cwd: dir });
    const out = r.stdout + r.stderr;
    expect(out.includes(value)).toBe(false);
    const files = reported(JSON.parse(r.stdout).findings);
    for (const name of Object.keys(hidden)) t.attempt(files.has(name) && !out.includes(value));
    expect([...Object.keys(hidden)].filter((n) => !files.has(n))).toEqual([]);
    expect(r.exitCode).not.toBe(0);
  }, 60_000);
});
