// The per-user runtime's verifying launcher (installer/runtime.ts) runs as `node -e <launcher>` on
// every tool call. Node's `-e` preloads node:crypto (and the stream modules under it) for any
// source that names `crypto` as a word, so the launcher must not: while nothing changed it hashes
// nothing, and then no crypto module may load at all. Checked on a real install, through the
// command exactly as the agent's settings hold it, with a preload that lists the modules loaded.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { runtimeLauncher } from "../../installer/runtime.js";
import { installedPreToolUseCommand } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

let sb: Sandbox;
let command: string;
beforeEach(async () => {
  sb = sandbox();
  spawnSync("git", ["init", "-q"], { cwd: sb.project });
  const r = await hookpack(
    ["install", "--agent", "claude-code", "--no-git-hook", "--no-ignore-files"],
    { env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file" }, cwd: sb.project },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  command = installedPreToolUseCommand(sb.project);
});
afterEach(() => sb?.cleanup());

/** One allow-path call through the settings' command; returns the builtin modules it loaded. */
function call(): { code: number | null; modules: string[] } {
  const list = join(sb.root, "modules.txt");
  const preload = join(sb.root, "list-modules.cjs");
  writeFileSync(
    preload,
    `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));\n`,
  );
  const payload = {
    session_id: "s",
    transcript_path: join(sb.root, "t.jsonl"),
    cwd: sb.project,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "ls" },
    tool_use_id: "t",
  };
  const r = spawnSync("sh", ["-c", command], {
    input: JSON.stringify(payload),
    env: {
      ...sb.env,
      HOOKPACK_KEY_BACKEND: "file",
      PATH: process.env.PATH!,
      NODE_OPTIONS: `--require ${preload}`,
    },
    cwd: sb.project,
    encoding: "utf8",
  });
  expect(r.stderr).not.toMatch(/blocked/);
  return { code: r.status, modules: readFileSync(list, "utf8").split("\n") };
}

it("the launcher's text never names crypto as a word (node -e would preload node:crypto)", () => {
  const text = runtimeLauncher("0".repeat(32));
  expect(text).toContain("createHash('sha256')");
  expect(/\bcrypto\b/.test(text)).toBe(false);
});

it("an allow-path call through the installed launcher loads no crypto while nothing changed", () => {
  const first = call(); // the first call after install hashes every bundle once (and seals them)
  expect(first.code).toBe(0);
  expect(first.modules).toContain("NativeModule crypto");
  const second = call();
  expect(second.code).toBe(0);
  expect(second.modules.filter((m) => /crypto/.test(m))).toEqual([]);
});
