// Issue 20 item 2: the read guard reads files only through the hook's file capability
// (hooks/rule-files.ts: bounded, chunked head reads that never open a FIFO blocking, links
// followed, state files rewritten only if unchanged). A hostile agent tries to make that reader
// hang, miss a value at a chunk boundary or behind a link, or keep a value in a state file it then
// reads. Every attempt goes through the real hook process (`hookpack hook claude-code`, dist/).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { claudePayload, hookOutput, runHook } from "../helpers/hook-run.js";
import { sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const tokens = fakeTokens(20);
let sb: Sandbox;
const CHUNK = 64 * 1024;

beforeAll(() => {
  sb = sandbox();
  const p = (...parts: string[]) => join(sb.project, ...parts);
  mkdirSync(p("pipes"), { recursive: true });
  execFileSync("mkfifo", [p("pipes", ".env")]);
  execFileSync("mkfifo", [p("pipes", "feed")]);
  writeFileSync(p("pipes", "keys.txt"), `token=${tokens.github}\n`);
  symlinkSync(p("pipes", "feed"), p("to-fifo.txt"));
  // A token that straddles the reader's 64 KiB chunk boundary, and one 17 MiB into a file (past
  // the 16 MiB head) with another at its start.
  const pad = "x".repeat(CHUNK - 20);
  writeFileSync(p("boundary.log"), `${pad}\nGH=${tokens.github}\nend\n`);
  writeFileSync(
    p("huge.log"),
    `npm=${tokens.npm}\n${"y".repeat(17 * 1024 * 1024)}\n${tokens.github}\n`,
  );
  // A chain of links to a credential file, and a link to a directory.
  writeFileSync(p("real.env"), `STRIPE=${tokens.stripe}\n`);
  symlinkSync(p("real.env"), p("b.txt"));
  symlinkSync(p("b.txt"), p("a.txt"));
  symlinkSync(p("pipes"), p("dirlink"));
  // An agent's own state file holding a value (cleaned in place before the read goes ahead).
  writeFileSync(p(".aider.chat.history.md"), `#### run\nexport T=${tokens.github}\nok\n`);
});
afterAll(() => sb?.cleanup());

async function pre(tool_name: string, tool_input: Record<string, unknown>) {
  const started = Date.now();
  const r = await runHook(
    sb,
    claudePayload(sb, { session_id: "s-files", tool_name, tool_input, tool_use_id: "toolu_f" }),
    { timeoutMs: 20_000 },
  );
  const decision = hookOutput(r)?.permissionDecision;
  const leaked = [tokens.github, tokens.npm, tokens.stripe].some(
    (v) => r.stdout.includes(v) || r.stderr.includes(v),
  );
  return { r, decision, leaked, ms: Date.now() - started };
}

describe("the hook's file reader against a hostile agent", () => {
  it("answers at once for FIFOs (no writer): Read, cat, a glob over them, a link to one", async () => {
    const t = tally("fifo: the hook never hangs");
    const calls: Array<[string, Record<string, unknown>]> = [
      ["Read", { file_path: join(sb.project, "pipes", ".env") }],
      ["Bash", { command: "cat pipes/.env" }],
      ["Bash", { command: "cat to-fifo.txt" }],
      ["Read", { file_path: join(sb.project, "to-fifo.txt") }],
      ["Bash", { command: "cat pipes/*" }],
      ["Bash", { command: 'f=feed; cat "pipes/$f"' }],
    ];
    for (const [tool, input] of calls) {
      const { r, leaked } = await pre(tool, input);
      const answered = r.signal === null && r.exitCode === 0;
      t.attempt(answered && !leaked);
      expect(answered, `${tool} ${JSON.stringify(input)}: ${r.stderr}`).toBe(true);
      expect(leaked).toBe(false);
    }
    // The glob also names a file that holds a token: denied, FIFOs or not.
    expect((await pre("Bash", { command: "cat pipes/*" })).decision).toBe("deny");
  });

  it("denies values at a chunk boundary, at the head of a 17 MiB file, and behind a chain of links", async () => {
    const t = tally("bounded reads and links");
    const calls: Array<[string, Record<string, unknown>]> = [
      ["Read", { file_path: join(sb.project, "boundary.log") }],
      ["Bash", { command: "tail -n 2 boundary.log" }],
      ["Read", { file_path: join(sb.project, "huge.log") }],
      ["Bash", { command: "head -c 100 huge.log" }],
      ["Read", { file_path: join(sb.project, "a.txt") }],
      ["Bash", { command: "cat a.txt" }],
      ["Bash", { command: "cat dirlink/keys.txt" }],
      ["Grep", { pattern: ".", path: join(sb.project, "a.txt"), output_mode: "content" }],
    ];
    for (const [tool, input] of calls) {
      const { decision, leaked } = await pre(tool, input);
      t.attempt(decision === "deny" && !leaked);
      expect(decision, `${tool} ${JSON.stringify(input)}`).toBe("deny");
      expect(leaked).toBe(false);
    }
  });

  it("cleans a state file before the read goes ahead: the value is gone from the file", async () => {
    const t = tally("state file cleaned in place");
    const path = join(sb.project, ".aider.chat.history.md");
    const { r, leaked } = await pre("Read", { file_path: path });
    const text = readFileSync(path, "utf8");
    const clean = !text.includes(tokens.github) && text.includes("ok\n") && !leaked;
    t.attempt(clean && r.exitCode === 0);
    expect(text).not.toContain(tokens.github);
    expect(text).toContain("[REDACTED:");
    expect(leaked).toBe(false);
  });
});
