// The hook entry as an agent runs it: bounded stdin, one JSON document or nothing on stdout,
// diagnostics only under HOOKPACK_DEBUG, and a defined outcome for every kind of bad input.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox } from "../helpers/run.js";

const tokens = fakeTokens(11);
const box = sandbox();
afterAll(() => box.cleanup());

const pre = (input: Record<string, unknown>, tool = "Bash") =>
  JSON.stringify({
    session_id: "s1",
    cwd: box.project,
    hook_event_name: "PreToolUse",
    tool_name: tool,
    tool_input: input,
    tool_use_id: "t1",
  });
const post = (output: unknown, tool = "Bash") =>
  JSON.stringify({
    session_id: "s1",
    cwd: box.project,
    hook_event_name: "PostToolUse",
    tool_name: tool,
    tool_input: { command: "x" },
    tool_response: output,
    tool_use_id: "t1",
  });
const run = (input: string, env: Record<string, string> = {}, keepStdinOpen = false) =>
  hookpack(["hook", "claude-code"], {
    input,
    env: { ...box.env, ...env },
    keepStdinOpen,
    timeoutMs: 120_000,
  });

// ~20 MB of ordinary text (code-like lines, no secrets).
const bigText = (bytes: number) => {
  const line = "const value = compute(items.filter((item) => item.enabled).map(String)); // ok\n";
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
};

describe("hook entry", () => {
  it("allows a clean 20 MB Write payload (scanned in full, not truncated)", async () => {
    const result = await run(
      pre({ file_path: join(box.project, "big.ts"), content: bigText(20 * 1024 * 1024) }, "Write"),
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("");
  });

  it("denies a 20 MB payload whose only secret sits at its very end", async () => {
    const content = `${bigText(20 * 1024 * 1024)}\nexport const token = "${tokens.github}";\n`;
    const result = await run(pre({ file_path: join(box.project, "big.ts"), content }, "Write"));
    expect(result.exitCode).toBe(0);
    const out = JSON.parse(result.stdout) as { hookSpecificOutput: { permissionDecision: string } };
    expect(out.hookSpecificOutput.permissionDecision).toBe("deny");
    expect(result.stdout).not.toContain(tokens.github);
  });

  it("fails closed on a payload over the size cap, without reading it all", async () => {
    const result = await run(pre({ command: `echo ${"a".repeat(5000)}` }), {
      HOOKPACK_MAX_STDIN_BYTES: "1000",
    });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^hookpack: the hook payload is larger than the size limit.*could not be checked/,
    );
  });

  it("fails open when stdin stays open past the timeout and nothing secret arrived", async () => {
    const result = await run(
      '{"hook_event_name":"PreToolUse","tool_input":{"command":"ls"',
      { HOOKPACK_STDIN_TIMEOUT_MS: "300" },
      true,
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/did not arrive in time.*let through/);
  });

  it("fails closed when stdin times out on a payload holding a secret reference", async () => {
    const result = await run(
      '{"hook_event_name":"PreToolUse","tool_input":{"command":"curl -u $secret:API_KEY',
      { HOOKPACK_STDIN_TIMEOUT_MS: "300" },
      true,
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /did not arrive in time.*blocked because it contains a \$secret: reference/,
    );
  });

  it("writes diagnostics only under HOOKPACK_DEBUG, and never to stdout", async () => {
    const payload = pre({ command: "ls" });
    const quiet = await run(payload);
    expect(quiet.stderr).toBe("");
    const loud = await run(payload, { HOOKPACK_DEBUG: "1" });
    expect(loud.stdout).toBe("");
    expect(loud.stderr).toMatch(/hookpack\[debug .*claude-code: exit 0/);
    const file = join(box.root, "debug.log");
    const toFile = await run(payload, { HOOKPACK_DEBUG: file });
    expect(toFile.stderr).toBe("");
    expect(existsSync(file) && readFileSync(file, "utf8")).toMatch(/claude-code: exit 0/);
  });

  it("spills a redacted output too long for Claude's hook limit to a private file the model is pointed at, never falling back to the raw output", async () => {
    // Issue 21: this used to be cut to ~13 KB ("chars cut to fit the hook response limit") and the rest was lost.
    const stdout = `${"build log line\n".repeat(2000)}TOKEN=${tokens.github}\n${"more output\n".repeat(500)}`;
    const tmp = join(box.root, "tmp-entry");
    mkdirSync(tmp, { recursive: true });
    const result = await run(post({ stdout, stderr: "", interrupted: false, isImage: false }), {
      TMPDIR: tmp,
    });
    expect(result.exitCode).toBe(0);
    const out = JSON.parse(result.stdout) as {
      hookSpecificOutput: {
        updatedToolOutput: { stdout: string; stderr: string; interrupted: boolean };
      };
    };
    const updated = out.hookSpecificOutput.updatedToolOutput;
    expect(JSON.stringify(updated).length).toBeLessThanOrEqual(15_000);
    expect(updated.interrupted).toBe(false);
    expect(result.stdout).not.toContain(tokens.github);
    const saved = /saved to: (\S+)/.exec(updated.stdout);
    expect(saved, updated.stdout.slice(-400)).not.toBeNull();
    expect(saved![1]!.startsWith(join(tmp, "hookpack-"))).toBe(true);
    const whole = readFileSync(saved![1]!, "utf8");
    expect(whole).not.toContain(tokens.github);
    // Nothing lost: the file is the whole output with the token replaced by its label.
    expect(whole.replace(/\[REDACTED:[^\]]+\]/, "")).toBe(stdout.replace(tokens.github, ""));
    const preview = updated.stdout.slice(
      0,
      updated.stdout.indexOf("\n[hookpack: this output is too long"),
    );
    expect(preview.length).toBeGreaterThan(10_000);
    expect(whole.startsWith(preview)).toBe(true);
    expect(statSync(saved![1]!).mode & 0o777).toBe(0o600);
  });

  it("never quotes the payload when it is not JSON (the parser would echo the start of a secret)", async () => {
    const result = await run(`${tokens.github} is not json`);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/not valid JSON/);
    // No 6-character run of the token may appear anywhere in what we wrote.
    for (let i = 0; i + 6 <= tokens.github.length; i++)
      expect(result.stderr + result.stdout).not.toContain(tokens.github.slice(i, i + 6));
  });

  it("rejects an unknown agent with a usage error", async () => {
    const result = await hookpack(["hook", "no-such-agent"], { input: "{}", env: box.env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/unknown agent "no-such-agent"/);
  });
});
