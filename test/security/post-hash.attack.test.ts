// Issue 21 (h21-post3): the value matcher's confirmations and the audit append now hash with
// core/sha256-wasm.ts instead of node:crypto, while the hook cache's digests are still written by
// node:crypto (`secret set`). A digest that differed by one bit would let every stored value
// through, so every encoded form of a stored value (raw, base64 at each byte offset, base32, hex,
// percent, JSON and unicode escapes, HTML, shell quoting) is placed where the agent can put it —
// at the start of a small stdout, in stderr, at the end of a 64 KB output (spilled), across the
// 16 KB spill edge, in a 1 MB output — and run through the REAL hook (dist/). Contained = no form
// in the answer nor in any file under the sandbox, the redaction audited, node:crypto not loaded,
// and the chain still verifying with node:crypto. Each form × place is counted.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudePayload, runHook } from "../helpers/hook-run.js";
import { encodingsOf } from "../../rules/managed-values.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

// Characters that make the percent, JSON, HTML and shell forms differ from the raw value.
const value = `ph/${randomBytes(12).toString("hex")}+"é<&'$=`;
const forms = [
  ...new Set(
    encodingsOf(value)
      .map((f) => f.text)
      .filter((t) => t.length >= 12),
  ),
];
let sb: Sandbox;
let preload: string;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", TMPDIR: join(sb.root, "tmp") });

beforeAll(async () => {
  sb = sandbox();
  mkdirSync(join(sb.root, "tmp"), { recursive: true });
  preload = join(sb.root, "modules.cjs");
  writeFileSync(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(process.env.MODULES_OUT, process.moduleLoadList.join("\\n")));\n`,
  );
  const set = await hookpack(["secret", "set", "HASH_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  // The home's first append creates its audit key (node:crypto, once): not what is tested here.
  const r = await post({ stdout: `warm ${value}\n`, stderr: "" }, "warm");
  expect(r.stdout).toContain("[REDACTED:HASH_KEY]");
});
afterAll(() => sb?.cleanup());

function post(toolResponse: Record<string, unknown>, tag: string) {
  return runHook(
    sb,
    claudePayload(sb, {
      session_id: "s-hash",
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "./leak.sh" },
      tool_response: { interrupted: false, isImage: false, ...toolResponse },
      tool_use_id: `toolu_${tag}`,
    }),
    {
      env: {
        ...env(),
        NODE_OPTIONS: `--require ${preload}`,
        MODULES_OUT: join(sb.root, `modules-${tag}.txt`),
      },
      timeoutMs: 120_000,
    },
  );
}

/** Every file under the sandbox that hookpack may have written (not the encrypted store). */
function writtenFiles(dir = sb.root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...writtenFiles(p));
    else if (!/modules.*\.txt$|modules\.cjs$|store\.json$/.test(name)) out.push(p);
  }
  return out;
}

const log = (bytes: number) =>
  "PASS test/some/file.test.ts (12 tests) 431ms\n".repeat(Math.ceil(bytes / 46)).slice(0, bytes);
const lines = forms.map((f) => `x ${f} y`).join("\n");

const places: Array<[string, (text: string) => Record<string, unknown>]> = [
  ["start of a small stdout", (t) => ({ stdout: `${t}\n`, stderr: "" })],
  ["stderr", (t) => ({ stdout: "ok\n", stderr: `${t}\n` })],
  ["end of a 64 KB stdout (spilled)", (t) => ({ stdout: `${log(64 * 1024)}${t}\n`, stderr: "" })],
  [
    "across the 16 KB spill edge",
    (t) => ({
      stdout: `${log(16 * 1024 - Math.floor(t.length / 2))}${t}\n${log(20_000)}`,
      stderr: "",
    }),
  ],
  [
    "inside a 1 MB stdout",
    (t) => ({ stdout: `${log(512 * 1024)}${t}\n${log(512 * 1024)}`, stderr: "" }),
  ],
];

describe("stored value, every encoding, confirmed by the WebAssembly hash", () => {
  for (const [where, shape] of places) {
    it(`${where}: no form reaches the answer or a file, and node:crypto is not loaded`, async () => {
      const t = tally("post-hash: stored value forms");
      const tag = where.replace(/\W+/g, "-");
      const r = await post(shape(lines), tag);
      expect(r.exitCode, r.stderr).toBe(0);
      const files = writtenFiles().map((f) => readFileSync(f, "latin1"));
      const utf8Files = writtenFiles().map((f) => readFileSync(f, "utf8"));
      // Redacted, not withheld: in the answer, or (spilled) in the saved full output it points at.
      expect([r.stdout, ...utf8Files].some((f) => f.includes("[REDACTED:HASH_KEY]"))).toBe(true);
      const modules = readFileSync(join(sb.root, `modules-${tag}.txt`), "utf8");
      const noCrypto = !/crypto/.test(modules);
      const leaked: string[] = [];
      for (const form of forms) {
        const inAnswer = r.stdout.includes(form) || r.stderr.includes(form);
        const inFile =
          utf8Files.some((f) => f.includes(form)) || files.some((f) => f.includes(form));
        if (inAnswer || inFile) leaked.push(form);
        t.attempt(!inAnswer && !inFile && noCrypto);
      }
      expect(leaked).toEqual([]);
      expect(noCrypto).toBe(true);
    });
  }

  it("the chain the hook appended (hashed without node:crypto) verifies with node:crypto", async () => {
    const t = tally("post-hash: audit chain");
    const v = await hookpack(["audit", "--verify"], { env: env(), cwd: sb.project });
    const audit = readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8");
    const redactions = audit
      .split("\n")
      .filter((l) => l.includes('"kind":"output-redacted"')).length;
    const ok =
      v.exitCode === 0 && redactions >= places.length + 1 && !forms.some((f) => audit.includes(f));
    t.attempt(ok);
    expect(v.exitCode, v.stdout + v.stderr).toBe(0);
    expect(redactions).toBeGreaterThanOrEqual(places.length + 1);
    expect(ok).toBe(true);
  });
});
