// The fast allow stage's bundle is compiled by dist/hookpack.cjs's stub together with the entry's
// code, through the entry's own code cache beside it (cli/entry-stub.cjs; allow8). The first hook
// call that writes that cache may be one that does not run the stage's checks (a SessionStart, a
// call handed on early), so the cache holds only the functions that call ran; the first plain
// allow must complete it (header byte "E" -> "F"), or every later allow compiles the stage's
// checks anew. Real entry and bundles (a copy of dist/, so the cache beside it is this test's).
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { HOOKPACK_CJS, makeSandbox, type Sandbox } from "../helpers/sandbox.js";

let sb: Sandbox;
let entry: string;
beforeEach(() => {
  sb = makeSandbox({ prefix: "hookpack-fast-cache-" });
  const dist = join(sb.root, "dist");
  cpSync(join(HOOKPACK_CJS, ".."), dist, { recursive: true });
  for (const f of readdirSync(dist)) if (f.endsWith(".v8")) unlinkSync(join(dist, f));
  entry = join(dist, "hookpack.cjs");
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
  const r = spawnSync(process.execPath, [entry, "hook", "claude-code"], {
    input,
    env: sb.env,
    cwd: sb.project,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout };
}

/** The entry's cache file beside it (one expected): its header byte and its inode/mtime. */
function entryCache(): { head: string; id: string } {
  const dir = join(entry, "..");
  const files = readdirSync(dir).filter((f) => f.startsWith("hookpack.cjs.") && f.endsWith(".v8"));
  expect(files).toHaveLength(1);
  const file = join(dir, files[0]!);
  const st = statSync(file);
  return {
    head: readFileSync(file).subarray(0, 1).toString("latin1"),
    id: `${st.ino}:${st.mtimeMs}`,
  };
}

/** No cache of the stage under HOOKPACK_HOME: it came through the entry's cache. */
function noBundleCache(): void {
  const dir = join(sb.hookpackHome, "cache", "v8", `${process.version}-${process.arch}`);
  const files = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.startsWith("fast-allow.cjs-"))
    : [];
  expect(files).toEqual([]);
}

it("a cache first written by a call the stage handed on is completed by the first plain allow", () => {
  // hookpack's home exists (the cache never creates it).
  mkdirSync(sb.hookpackHome, { recursive: true, mode: 0o700 });
  // A session start does not run the stage's checks; its cache is written without them ("E"), and
  // so is it by a first Bash call the stage hands on early (non-ASCII in the command).
  expect(run(payload("SessionStart", { source: "startup" })).status).toBe(0);
  expect(entryCache().head).toBe("E");
  const early = run(payload("PreToolUse", { tool_name: "Bash", tool_input: { command: "ls é" } }));
  expect(early.status).toBe(0);
  expect(entryCache().head).toBe("E");
  const allow = run(payload("PreToolUse", { tool_name: "Bash", tool_input: { command: "ls" } }));
  expect(allow).toEqual({ status: 0, stdout: "" });
  expect(entryCache().head).toBe("F");
  noBundleCache();
  // A complete cache is not written again, by an allow or by any other call.
  const before = entryCache().id;
  run(payload("PreToolUse", { tool_name: "Bash", tool_input: { command: "ls -la" } }));
  run(payload("SessionStart", { source: "startup" }));
  expect(entryCache().id).toBe(before);
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
    spawnSync(process.execPath, ["-r", probe, entry, "hook", "claude-code"], {
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
  expect(entryCache().head).toBe("F");
});
