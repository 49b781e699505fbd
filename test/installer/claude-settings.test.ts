// `hookpack install/uninstall --agent claude-code` against real files in temp git repos, through
// the built CLI: merge without touching anything else, idempotence, byte-identical uninstall,
// corrupt input never overwritten, and a hook command that keeps working without npx.
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MISSING_PACKAGE } from "../../installer/runtime.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, REPO, runCommand, sandbox, type Sandbox } from "../helpers/run.js";
import { snapshot } from "./git-project.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
  execFileSync("git", ["init", "-q", "-b", "main"], {
    cwd: box.project,
    env: { ...process.env, ...box.env },
  });
});
afterEach(() => box.cleanup());

const cli = (args: string[], env: Record<string, string> = {}) =>
  hookpack(args, { cwd: box.project, env: { ...box.env, ...env } });
const local = () => join(box.project, ".claude", "settings.local.json");

type Settings = {
  hooks: Record<
    string,
    Array<{ matcher?: string; hooks: Array<{ command: string; timeout: number }> }>
  >;
};
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Settings;

const FOREIGN = {
  matcher: "Bash",
  hooks: [{ type: "command", command: "/usr/local/bin/audit-bash", timeout: 5 }],
};
const STARTING_FILES: Record<string, string> = {
  "two-space with a foreign hook": `${JSON.stringify({ permissions: { allow: ["Bash(ls:*)"] }, hooks: { PreToolUse: [FOREIGN] }, model: "opus" }, null, 2)}\n`,
  "four-space": `${JSON.stringify({ permissions: { deny: ["Read(./.env)"] } }, null, 4)}\n`,
  tabs: `${JSON.stringify({ env: { FOO: "1" } }, null, "\t")}\n`,
  crlf: `${JSON.stringify({ permissions: { allow: [] } }, null, 2).replace(/\n/g, "\r\n")}\r\n`,
  "no trailing newline": JSON.stringify({ outputStyle: "concise" }, null, 2),
  "empty object": "{}\n",
  "one line with hooks": `${JSON.stringify({ hooks: { PostToolUse: [FOREIGN], SessionEnd: [] } })}\n`,
  "unicode and odd key order": `{\n  "z": "ünïcødé ✓",\n  "a": [1, 2, {"b": null}],\n  "hooks": {}\n}\n`,
};

describe("install --agent claude-code", () => {
  it("creates local settings in a fresh repo; twice is no change; uninstall leaves the tree as it was", async () => {
    const before = snapshot(box.project);
    const first = await cli(["install", "--agent", "claude-code"]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/local scope/);
    const settings = read(local());
    expect(Object.keys(settings.hooks)).toEqual([
      "PreToolUse",
      "PostToolUse",
      "PostToolUseFailure",
      "SessionEnd",
      "UserPromptSubmit",
      "SessionStart",
    ]);
    const command = settings.hooks.PreToolUse![0]!.hooks[0]!.command;
    expect(command).toMatch(/hookpack\.cjs" hook claude-code$/);
    expect(command).not.toMatch(/npx/);
    expect(settings.hooks.PreToolUse![0]!.matcher).toBe("*");

    const afterInstall = snapshot(box.project);
    const second = await cli(["install", "--agent", "claude-code"]);
    expect(second.stdout).toMatch(/already installed; nothing to change/);
    expect(snapshot(box.project)).toEqual(afterInstall);

    const removed = await cli(["uninstall", "--agent", "claude-code"]);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(snapshot(box.project)).toEqual(before);
  });

  it.each(Object.entries(STARTING_FILES))(
    "merges into %s without touching anything else, and uninstall is byte-identical",
    async (_name, original) => {
      mkdirSync(join(box.project, ".claude"));
      writeFileSync(local(), original);
      expect((await cli(["install", "--agent", "claude-code", "--scope", "local"])).exitCode).toBe(
        0,
      );
      const installed = readFileSync(local(), "utf8");
      const parsed = JSON.parse(installed) as Record<string, unknown> & Settings;
      const originalValue = JSON.parse(original) as Record<string, unknown>;
      // Everything that was there is still there, in the same order.
      for (const [key, value] of Object.entries(originalValue))
        if (key !== "hooks") expect(parsed[key]).toEqual(value);
      expect(Object.keys(parsed).filter((k) => k !== "hooks")).toEqual(
        Object.keys(originalValue).filter((k) => k !== "hooks"),
      );
      for (const [event, groups] of Object.entries(
        (originalValue.hooks ?? {}) as Record<string, unknown[]>,
      )) {
        expect(parsed.hooks[event]!.slice(0, groups.length)).toEqual(groups);
      }
      expect(installed.includes("\r\n")).toBe(original.includes("\r\n"));
      expect((await cli(["install", "--agent", "claude-code", "--scope", "local"])).stdout).toMatch(
        /nothing to change/,
      );
      expect(readFileSync(local(), "utf8")).toBe(installed);
      expect((await cli(["uninstall", "--agent", "claude-code"])).exitCode).toBe(0);
      expect(readFileSync(local(), "utf8")).toBe(original);
    },
  );

  it("after the user edits the file, uninstall removes only our entries and keeps the edit", async () => {
    mkdirSync(join(box.project, ".claude"));
    writeFileSync(local(), STARTING_FILES["two-space with a foreign hook"]!);
    await cli(["install", "--agent", "claude-code", "--scope", "local"]);
    const edited = read(local()) as Settings & { permissions: { allow: string[] } };
    edited.permissions.allow.push("Bash(git status)");
    writeFileSync(local(), `${JSON.stringify(edited, null, 2)}\n`);
    await cli(["uninstall", "--agent", "claude-code"]);
    const after = read(local()) as Settings & { permissions: { allow: string[] } };
    expect(after.permissions.allow).toEqual(["Bash(ls:*)", "Bash(git status)"]);
    expect(after.hooks).toEqual({ PreToolUse: [FOREIGN] });
  });

  it("refuses a corrupt settings file: clear error naming file and position, nothing written anywhere", async () => {
    mkdirSync(join(box.project, ".claude"));
    const corrupt = '{\n  "permissions": { "allow": ["Bash(ls:*)",] }\n';
    writeFileSync(local(), corrupt);
    const r = await cli(["install", "--agent", "claude-code", "--scope", "local"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^hookpack: \.claude\/settings\.local\.json is not valid JSON \(\w+ at line 2, column \d+\); nothing was changed\./,
    );
    expect(readFileSync(local(), "utf8")).toBe(corrupt);
    expect(existsSync(box.hookpackHome)).toBe(false);
  });

  it("refuses settings whose hooks member has an unexpected shape", async () => {
    mkdirSync(join(box.project, ".claude"));
    const odd = `${JSON.stringify({ hooks: { PreToolUse: { matcher: "*" } } }, null, 2)}\n`;
    writeFileSync(local(), odd);
    const r = await cli(["install", "--agent", "claude-code", "--scope", "local"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unexpected `hooks\.PreToolUse` \(expected an array\)/);
    expect(readFileSync(local(), "utf8")).toBe(odd);
  });

  it("refuses a corrupt install record without losing anything", async () => {
    mkdirSync(box.hookpackHome, { recursive: true });
    writeFileSync(join(box.hookpackHome, "installs.json"), "{not json");
    const r = await cli(["install", "--agent", "claude-code"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/installs\.json is unreadable/);
    expect(existsSync(local())).toBe(false);
  });

  it("--dry-run prints the plan and writes nothing", async () => {
    const r = await cli(["install", "--agent", "claude-code", "--dry-run"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/would create \.claude\/settings\.local\.json/);
    expect(existsSync(join(box.project, ".claude"))).toBe(false);
    expect(existsSync(box.hookpackHome)).toBe(false);
  });

  it("accepts the product-name aliases people type (claude, codex-cli, gemini-cli)", async () => {
    const r = await cli(["install", "--agent", "claude", "--dry-run"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would create \.claude\/settings\.local\.json/);
    expect((await cli(["install", "--agent", "codex-cli,gemini-cli", "--dry-run"])).stdout).toMatch(
      /\.codex\/hooks\.json[\s\S]*\.gemini\/settings\.json/,
    );
  });

  it("--scope user writes ~/.claude/settings.json", async () => {
    expect((await cli(["install", "--agent", "claude-code", "--scope", "user"])).exitCode).toBe(0);
    expect(read(join(box.home, ".claude", "settings.json")).hooks.PostToolUse).toHaveLength(1);
    expect(existsSync(local())).toBe(false);
  });

  it.each([
    [["install"], /--agent is required/],
    [["install", "--agent", "vim"], /unknown agent "vim"/],
    [["install", "--agent", "claude-code", "--scope", "team"], /unknown scope "team"/],
    // Issue 18 item 8: hookpack's own words, not parseArgs' message.
    [
      ["install", "--agent", "claude-code", "--frobnicate"],
      /unknown option --frobnicate for `hookpack install`/,
    ],
  ])("usage error for %j", async (args, message) => {
    const r = await cli(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe("the installed hook command", () => {
  const tokens = fakeTokens(9);
  const payload = () =>
    JSON.stringify({
      session_id: "s",
      cwd: box.project,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: `echo ${tokens.github}` },
      tool_use_id: "t",
    });

  it("keeps working after the copy it was installed from is gone (the npx cache case)", async () => {
    const npxCache = join(box.root, "npx-cache", "hookpack", "dist");
    cpSync(join(REPO, "dist"), npxCache, { recursive: true });
    const r = await runCommand(
      process.execPath,
      [join(npxCache, "hookpack.cjs"), "install", "--agent", "claude-code"],
      { cwd: box.project, env: box.env },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    rmSync(join(box.root, "npx-cache"), { recursive: true });
    const command = read(local()).hooks.PreToolUse![0]!.hooks[0]!.command;
    expect(command).not.toContain("npx-cache");
    const hook = await runCommand("sh", ["-c", command], {
      input: payload(),
      cwd: box.project,
      env: box.env,
    });
    expect(hook.exitCode).toBe(0);
    expect(JSON.parse(hook.stdout).hookSpecificOutput.permissionDecision).toBe("deny");
    expect(statSync(join(box.hookpackHome, "runtime")).isDirectory()).toBe(true);
  });

  it("uses the project's own dependency, portable across machines, when hookpack is a devDependency", async () => {
    writeFileSync(
      join(box.project, "package.json"),
      `${JSON.stringify({ name: "app", devDependencies: { hookpack: "^0.1.0" } }, null, 2)}\n`,
    );
    cpSync(join(REPO, "dist"), join(box.project, "node_modules", "hookpack", "dist"), {
      recursive: true,
    });
    const r = await cli(["install", "--agent", "claude-code"]);
    expect(r.stdout).toMatch(/project scope/);
    const command = read(join(box.project, ".claude", "settings.json")).hooks.PreToolUse![0]!
      .hooks[0]!.command;
    // Issue 18 item 3: guarded by a file test, so a missing package blocks with one line.
    expect(command).toBe(
      `[ -f "$CLAUDE_PROJECT_DIR/node_modules/hookpack/dist/hookpack.cjs" ] || { echo '${MISSING_PACKAGE}' >&2; exit 2; }; node "$CLAUDE_PROJECT_DIR/node_modules/hookpack/dist/hookpack.cjs" hook claude-code`,
    );
    expect(command).not.toContain(box.root);
    const hook = await runCommand("sh", ["-c", command], {
      input: payload(),
      cwd: box.project,
      env: { ...box.env, CLAUDE_PROJECT_DIR: box.project },
    });
    expect(JSON.parse(hook.stdout).hookSpecificOutput.permissionDecision).toBe("deny");
  });
});
