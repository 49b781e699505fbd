// The fast allow stage's bundle loads through the entry's code cache (cli/code-cache.ts) for every
// Claude Code Bash call. The first call that loads it may be one the stage hands on early, so the
// cache it writes holds only the functions that call ran; the first plain allow must complete it
// (its path tag), or every later allow compiles the stage's checks anew. Real entry and bundles.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { HOOKPACK_CJS, makeSandbox, type Sandbox } from "../helpers/sandbox.js";

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox({ prefix: "hookpack-fast-cache-" });
});
afterEach(() => sb.cleanup());

const payload = (event: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    session_id: "s",
    transcript_path: join(sb.root, "t.jsonl"),
    cwd: sb.project,
    hook_event_name: event,
    ...extra,
  });

function run(input: string): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [HOOKPACK_CJS, "hook", "claude-code"], {
    input,
    env: sb.env,
    cwd: sb.project,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout };
}

/** The paths recorded in the header of the fast stage's cache file (one file expected). */
function fastTags(): string[] {
  const dir = join(sb.hookpackHome, "cache", "v8", `${process.version}-${process.arch}`);
  const files = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.startsWith("fast-allow.cjs-"))
    : [];
  expect(files).toHaveLength(1);
  const head = readFileSync(join(dir, files[0]!)).subarray(0, 200).toString("latin1");
  return /^hookpack-v8-cache ([^\n]*)\n/.exec(head)![1]!.split(",").filter(Boolean);
}

it("a cache first written by a call the stage handed on is completed by the first plain allow", () => {
  // hookpack's home exists (the cache never creates it).
  mkdirSync(sb.hookpackHome, { recursive: true, mode: 0o700 });
  // A session start does not even load the stage; a first Bash call it hands on early (non-ASCII
  // in the command: before its checks run) writes the stage's cache without them.
  expect(run(payload("SessionStart", { source: "startup" })).status).toBe(0);
  const early = run(payload("PreToolUse", { tool_name: "Bash", tool_input: { command: "ls é" } }));
  expect(early.status).toBe(0);
  expect(fastTags()).toEqual(["claude-code:before-tool:shell"]);
  const allow = run(payload("PreToolUse", { tool_name: "Bash", tool_input: { command: "ls" } }));
  expect(allow).toEqual({ status: 0, stdout: "" });
  expect(fastTags()).toContain("claude-code:fast-allow");
  // A seen path writes nothing more: the tags stay as they are.
  const before = fastTags();
  run(payload("PreToolUse", { tool_name: "Bash", tool_input: { command: "ls -la" } }));
  expect(fastTags()).toEqual(before);
});

it("node:os loads only when used: not on a plain allow, and a user without HOME still gets a home", () => {
  // The entry and the stage take node:os through scripts/lazy-os.mjs (required on first use).
  mkdirSync(sb.hookpackHome, { recursive: true, mode: 0o700 });
  const probe = join(sb.root, "modules.cjs");
  writeFileSync(
    probe,
    `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(join(sb.root, "modules.txt"))}, process.moduleLoadList.join("\\n")));\n`,
  );
  const allow = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ["-r", probe, HOOKPACK_CJS, "hook", "claude-code"], {
      input: payload("PreToolUse", { tool_name: "Bash", tool_input: { command: "ls" } }),
      env,
      cwd: sb.project,
      encoding: "utf8",
    });
  const osLoaded = () =>
    readFileSync(join(sb.root, "modules.txt"), "utf8").includes("NativeModule os");
  expect(allow(sb.env)).toMatchObject({ status: 0, stdout: "", stderr: "" });
  expect(osLoaded()).toBe(false);
  // No HOME: the home comes from the passwd entry (os.userInfo, through the shim); HOOKPACK_HOME
  // keeps the call's files in the sandbox. It is answered, and its code cache lands there.
  const { HOME: _home, ...noHome } = sb.env;
  const r = allow(noHome);
  expect(r).toMatchObject({ status: 0, stdout: "", stderr: "" });
  expect(osLoaded()).toBe(true);
  expect(fastTags()).toContain("claude-code:fast-allow");
});
