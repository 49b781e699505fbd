// Issue 21 (post8): a PostToolUse call whose output was redacted now notes its own code-cache path
// ("…:replaced", hooks/run-hook.ts), so the FIRST redacting call in a home whose cache was written
// by a clean call rewrites the V8 code cache (hook-lean.cjs, audit.cjs…) — in the very process that
// held the raw output. A cache holds bytecode and the source's own constants, never runtime
// strings; this attacks that: the agent makes that first redacting call carry a stored value in
// every encoded form (raw, base64 at each offset, base32, hex, percent, JSON and unicode escapes,
// HTML, shell quoting), in a small stdout, in stderr and in a 64 KB (spilled) output, each in a
// fresh home whose first call was clean. Contained = no form in the answer nor in any file under
// the sandbox (the new cache files included; searched as UTF-8, UTF-16 and Latin-1 bytes), the
// answer redacted, and the cache really rewritten by that call (its header names ":replaced").
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { claudePayload, runHook } from "../helpers/hook-run.js";
import { encodingsOf } from "../../rules/managed-values.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

// Characters that make the percent, JSON, HTML and shell forms differ from the raw value.
const value = `pc/${randomBytes(12).toString("hex")}+"é<&'$=`;
const forms = [
  ...new Set(
    encodingsOf(value)
      .map((f) => f.text)
      .filter((t) => t.length >= 12),
  ),
];
const boxes: Sandbox[] = [];
afterAll(() => {
  for (const b of boxes) b.cleanup();
});

const log = (bytes: number) =>
  "PASS test/some/file.test.ts (12 tests) 431ms\n".repeat(Math.ceil(bytes / 46)).slice(0, bytes);
const lines = forms.map((f) => `x ${f} y`).join("\n");

/** Every file under `dir` but the encrypted store. */
function writtenFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...writtenFiles(p));
    else if (!/store\.json$/.test(name)) out.push(p);
  }
  return out;
}

const places: Array<[string, () => Record<string, unknown>]> = [
  ["every form in a small stdout", () => ({ stdout: `${lines}\n`, stderr: "" })],
  ["every form in stderr", () => ({ stdout: "ok\n", stderr: lines })],
  [
    "every form at the end of a 64 KB stdout (spilled)",
    () => ({ stdout: `${log(64 * 1024)}${lines}\n`, stderr: "" }),
  ],
];

describe("PostToolUse: the code cache rewritten by the first redacting call holds no value", () => {
  for (const [where, shape] of places) {
    it(
      where,
      async () => {
        const t = tally("post-cache: first redacting call rewrites the cache");
        const sb = sandbox();
        boxes.push(sb);
        mkdirSync(join(sb.root, "tmp"), { recursive: true });
        const env = { ...sb.env, HOOKPACK_KEY_BACKEND: "file", TMPDIR: join(sb.root, "tmp") };
        const set = await hookpack(["secret", "set", "CACHE_KEY"], {
          input: value,
          env,
          cwd: sb.project,
        });
        expect(set.exitCode, set.stderr).toBe(0);
        const post = (toolResponse: Record<string, unknown>, tag: string) =>
          runHook(
            sb,
            claudePayload(sb, {
              session_id: "s-cache",
              hook_event_name: "PostToolUse",
              tool_name: "Bash",
              tool_input: { command: "./leak.sh" },
              tool_response: { interrupted: false, isImage: false, ...toolResponse },
              tool_use_id: `toolu_${tag}`,
            }),
            { env, timeoutMs: 120_000 },
          );
        const clean = await post({ stdout: "clean\n", stderr: "" }, "clean");
        expect(clean.exitCode, clean.stderr).toBe(0);
        expect(clean.stdout).toBe("");

        const r = await post(shape(), "leak");
        expect(r.exitCode, r.stderr).toBe(0);
        const cacheDir = join(
          sb.env.HOOKPACK_HOME!,
          "cache",
          "v8",
          `${process.version}-${process.arch}`,
        );
        const lean = existsSync(cacheDir)
          ? readdirSync(cacheDir).filter((f) => f.startsWith("hook-lean.cjs-"))
          : [];
        const rewritten =
          lean.length === 1 &&
          readFileSync(join(cacheDir, lean[0]!))
            .subarray(0, 300)
            .toString("latin1")
            .includes(":replaced");
        const files = writtenFiles(sb.root).map((f) => readFileSync(f));
        const leaked = forms.filter((f) => {
          if (r.stdout.includes(f) || r.stderr.includes(f)) return true;
          const needles = [
            Buffer.from(f, "utf8"),
            Buffer.from(f, "utf16le"),
            Buffer.from(f, "latin1"),
          ];
          return files.some((b) => needles.some((n) => b.includes(n)));
        });
        const redacted = [r.stdout, ...files.map((b) => b.toString("utf8"))].some((s) =>
          s.includes("[REDACTED:CACHE_KEY]"),
        );
        t.attempt(rewritten && leaked.length === 0 && redacted);
        expect(rewritten).toBe(true);
        expect(leaked).toEqual([]);
        expect(redacted).toBe(true);
      },
      180_000,
    );
  }
});
