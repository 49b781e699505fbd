// Issue 21: a redacted output too long for the hook response loses nothing the model could
// otherwise see, and no raw value is written anywhere on the way. Through the REAL hook process
// (dist/), one managed secret in the store (so in the hook cache) and a pattern-detected token,
// outputs of 64 KB and 1 MB (Bash with stdout and stderr, Read). Not timed.
import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

const tokens = fakeTokens(2101);
const value = `mv${randomBytes(20).toString("hex")}`;
/** Every form of a secret hookpack must never write: the managed value and its encodings, the token. */
const raw = [
  value,
  Buffer.from(value).toString("base64"),
  Buffer.from(value).toString("hex"),
  tokens.github,
];
let sb: Sandbox;
let tmp: string;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", TMPDIR: tmp });

beforeAll(async () => {
  sb = sandbox();
  tmp = join(sb.root, "tmp");
  mkdirSync(tmp, { recursive: true });
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

/** Every file under the sandbox (HOME, HOOKPACK_HOME, TMPDIR, the project). */
function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** ~`bytes` of log text with the secrets in it at the start, at fractions of the way, and at the very end. */
function output(bytes: number, salt: string): string {
  const line = `${salt} 2026-12-06 INFO request served in 12ms path=/api/v1/items\n`;
  const body = line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
  const at = [0.001, 0.2, 0.5, 0.77, 0.999].map((f) => Math.floor(f * body.length));
  let text = "";
  let last = 0;
  at.forEach((p, i) => {
    text += `${body.slice(last, p)} key=${[value, tokens.github, Buffer.from(value).toString("base64"), value, Buffer.from(value).toString("hex")][i]} `;
    last = p;
  });
  return `${text}${body.slice(last)}\nTAIL key=${value}\n`;
}

/** What the model can reach for one string: the inline part, and the whole spill file when pointed at one. */
function reachable(inline: string): {
  preview: string;
  whole: string | undefined;
  path: string | undefined;
} {
  const saved = /saved to: (\S+)/.exec(inline);
  if (!saved) return { preview: inline, whole: undefined, path: undefined };
  const cut = inline.indexOf("\n[hookpack: this output is too long");
  return { preview: inline.slice(0, cut), whole: readFileSync(saved[1]!, "utf8"), path: saved[1] };
}

/** The original with every secret removed, to compare with the reachable text with every label removed. */
const strip = (text: string) => raw.reduce((t, r) => t.split(r).join(""), text);
const unlabel = (text: string) => text.replace(/\[REDACTED:[^\]]+\]/g, "");

const post = (tool_name: string, tool_input: Record<string, unknown>, tool_response: unknown) => ({
  session_id: "s-spill",
  transcript_path: join(sb.root, "t.jsonl"),
  cwd: sb.project,
  permission_mode: "default",
  hook_event_name: "PostToolUse",
  tool_name,
  tool_input,
  tool_response,
  tool_use_id: "toolu_spill",
});

describe("a redacted output too long for the hook response (real hook process)", () => {
  for (const [label, bytes] of [
    ["64 KB", 64 * 1024],
    ["1 MB", 1024 * 1024],
  ] as const) {
    it(`Bash, ${label} of stdout and 20 KB of stderr: every char the model could see is reachable, redacted; nothing raw written anywhere`, async () => {
      const stdout = output(bytes, "out");
      const stderr = output(20 * 1024, "err");
      const r = await hookpack(["hook", "claude-code"], {
        input: JSON.stringify(
          post(
            "Bash",
            { command: "./build.sh" },
            { stdout, stderr, interrupted: false, isImage: false },
          ),
        ),
        env: env(),
        cwd: sb.project,
        timeoutMs: 120_000,
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.length).toBeLessThan(16_384);
      const updated = (
        JSON.parse(r.stdout) as {
          hookSpecificOutput: {
            updatedToolOutput: {
              stdout: string;
              stderr: string;
              interrupted: boolean;
              isImage: boolean;
            };
          };
        }
      ).hookSpecificOutput.updatedToolOutput;
      expect(Object.keys(updated).sort()).toEqual(["interrupted", "isImage", "stderr", "stdout"]);
      for (const [name, original, inline] of [
        ["stdout", stdout, updated.stdout],
        ["stderr", stderr, updated.stderr],
      ] as const) {
        const { preview, whole, path } = reachable(inline);
        const reached = whole ?? preview;
        // Nothing lost: with secrets and labels taken out, what the model can reach is the output.
        expect(unlabel(reached), `${name}: content lost`).toBe(strip(original));
        expect(reached.match(/\[REDACTED:[^\]]+\]/g)?.length ?? 0, name).toBe(6);
        if (whole !== undefined) {
          expect(whole.startsWith(preview), `${name}: the preview is the file's start`).toBe(true);
          expect(lstatSync(path!).mode & 0o777).toBe(0o600);
          expect(lstatSync(join(path!, "..")).mode & 0o777).toBe(0o700);
        }
      }
      expect(reachable(updated.stdout).whole, "the stdout spilled").toBeDefined();
      // Nothing hookpack wrote (answer, spill files, audit, caches) holds a raw form.
      for (const f of allFiles(sb.root)) {
        const text = readFileSync(f, "latin1");
        for (const form of raw) expect(text.includes(form), `${f} holds a raw secret`).toBe(false);
      }
      for (const form of raw)
        expect(r.stdout.includes(form) || r.stderr.includes(form)).toBe(false);
    }, 180_000);
  }

  it("Read of a 1 MB file: the model can reach the whole redacted content", async () => {
    const content = output(1024 * 1024, "read");
    const response = {
      type: "text",
      file: {
        filePath: join(sb.project, "app.log"),
        content,
        numLines: content.split("\n").length,
        startLine: 1,
        totalLines: content.split("\n").length,
      },
    };
    const r = await hookpack(["hook", "claude-code"], {
      input: JSON.stringify(post("Read", { file_path: join(sb.project, "app.log") }, response)),
      env: env(),
      cwd: sb.project,
      timeoutMs: 120_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const updated = (
      JSON.parse(r.stdout) as { hookSpecificOutput: { updatedToolOutput: typeof response } }
    ).hookSpecificOutput.updatedToolOutput;
    expect(updated.file.filePath).toBe(response.file.filePath);
    const { whole } = reachable(updated.file.content);
    expect(whole).toBeDefined();
    expect(unlabel(whole!)).toBe(strip(content));
    for (const f of allFiles(sb.root))
      for (const form of raw)
        expect(readFileSync(f, "latin1").includes(form), `${f} holds a raw secret`).toBe(false);
  }, 180_000);

  it("an output that fits is handed back inline, with no file", async () => {
    const before = allFiles(tmp).length;
    const r = await hookpack(["hook", "claude-code"], {
      input: JSON.stringify(
        post(
          "Bash",
          { command: "env" },
          { stdout: `KEY=${value}\n`, stderr: "", interrupted: false, isImage: false },
        ),
      ),
      env: env(),
      cwd: sb.project,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("KEY=[REDACTED:DEPLOY_KEY]");
    expect(r.stdout).not.toContain("saved to:");
    expect(allFiles(tmp).length).toBe(before);
  });
});
