// hooks/run-hook.ts writes its answer with writeFully (fs.writeSync on fd 1/2), not process.stdout
// (whose stream machinery costs ~3 ms to load): a slow reader on a non-blocking pipe (EAGAIN) must
// still get every byte, in order; a reader that went away (EPIPE) must not crash the hook.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { writeFully } from "../../hooks/run-hook.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { BIN, sandbox } from "../helpers/run.js";

const reader = (delayMs: number) =>
  spawn(
    process.execPath,
    [
      "-e",
      `setTimeout(() => { const h = require("crypto").createHash("sha256"); let n = 0;
        process.stdin.on("data", (d) => { h.update(d); n += d.length; });
        process.stdin.on("end", () => process.stdout.write(n + " " + h.digest("hex"))); }, ${delayMs});`,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );

describe.skipIf(process.platform === "win32")("writeFully", () => {
  it("a 4 MB answer reaches a reader that starts 300 ms late through a non-blocking pipe, whole", async () => {
    const child = reader(300);
    const fd = (child.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    expect(fd).toBeGreaterThan(2);
    const text = randomBytes(3 * 1024 * 1024).toString("base64"); // 4 MB, far over a pipe's buffer
    writeFully(fd, text);
    child.stdin.end();
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on("close", resolve));
    expect(out).toBe(`${text.length} ${createHash("sha256").update(text).digest("hex")}`);
  });

  it("the real hook whose reader went away (EPIPE) still exits 0, with no stack trace", () => {
    const sb = sandbox();
    try {
      const payload = join(sb.root, "post.json");
      writeFileSync(
        payload,
        JSON.stringify({
          session_id: "s-epipe",
          cwd: sb.project,
          hook_event_name: "PostToolUse",
          tool_name: "Bash",
          tool_input: { command: "env" },
          tool_response: { stdout: `GITHUB_TOKEN=${fakeTokens().github}\n`, stderr: "" },
          tool_use_id: "toolu_epipe",
        }),
      );
      // `true` exits at once: by the time the hook answers (a redaction), nobody reads its stdout.
      const r = spawnSync(
        "bash",
        [
          "-c",
          `"$0" "$1" hook claude-code < "$2" 2>"$3" | true; echo "\${PIPESTATUS[0]}"`,
          process.execPath,
          BIN,
          payload,
          join(sb.root, "err.txt"),
        ],
        { env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file" }, encoding: "utf8" },
      );
      expect(r.stdout.trim()).toBe("0");
      expect(readFileSync(join(sb.root, "err.txt"), "utf8")).toBe("");
    } finally {
      sb.cleanup();
    }
  });
});
