// The published artifact itself: `npm pack` this repository, install the tarball into a temp
// project as a devDependency, run its `hookpack` bin to install the Claude Code hooks, and pipe a
// payload through the exact command written into the settings. Proves `files`, `bin`, the
// shebang, the self-contained bundles (no runtime dependencies) and the portable hook command.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MISSING_PACKAGE } from "../../installer/runtime.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { REPO, runCommand, sandbox } from "../helpers/run.js";

const box = sandbox();
let tarball = "";
afterAll(() => box.cleanup());

beforeAll(() => {
  const out = execFileSync(
    "npm",
    ["pack", "--json", "--ignore-scripts", "--pack-destination", box.root],
    { cwd: REPO, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } },
  );
  const parsed = JSON.parse(out) as Array<{ filename: string }> | { filename: string };
  tarball = join(box.root, (Array.isArray(parsed) ? parsed[0]! : parsed).filename);
  writeFileSync(
    join(box.project, "package.json"),
    `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true }, null, 2)}\n`,
  );
  execFileSync("git", ["init", "-q", "-b", "main"], {
    cwd: box.project,
    env: { ...process.env, ...box.env },
  });
  // Offline, with an empty cache: the tarball needs nothing from a registry (the keychain binding
  // is optional and simply skipped here).
  execFileSync("npm", ["install", "--save-dev", "--no-audit", "--no-fund", "--offline", tarball], {
    cwd: box.project,
    stdio: "pipe",
    env: {
      ...process.env,
      HOME: box.home,
      npm_config_cache: join(box.root, "npm-cache"),
      npm_config_update_notifier: "false",
    },
  });
}, 180_000);

describe("the packed tarball", () => {
  it("ships only dist bundles, the schema and docs, and needs no runtime dependency", () => {
    const pkg = JSON.parse(
      readFileSync(join(box.project, "node_modules", "hookpack", "package.json"), "utf8"),
    ) as { dependencies?: object };
    expect(pkg.dependencies ?? {}).toEqual({});
    const shipped = readdirSync(join(box.project, "node_modules", "hookpack")).sort();
    expect(shipped).toEqual(
      expect.arrayContaining([
        "CHANGELOG.md",
        "LICENSE",
        "README.md",
        "dist",
        "package.json",
        "schemas",
      ]),
    );
    expect(
      shipped.filter(
        (f) =>
          ![
            "CHANGELOG.md",
            "LICENSE",
            "README.md",
            "dist",
            "package.json",
            "schemas",
            "node_modules",
          ].includes(f),
      ),
    ).toEqual([]);
    // Only the optional keychain binding may sit beside it.
    const installed = readdirSync(join(box.project, "node_modules")).filter(
      (d) => !d.startsWith("."),
    );
    expect(installed.filter((d) => d !== "hookpack" && d !== "@napi-rs")).toEqual([]);
  });

  it("installs portable hooks from the project's own copy, and they deny a literal token", async () => {
    const bin = join(box.project, "node_modules", ".bin", "hookpack");
    expect(existsSync(bin)).toBe(true);
    const r = await runCommand(bin, ["install", "--agent", "claude-code", "--no-git-hook"], {
      cwd: box.project,
      env: box.env,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const settings = JSON.parse(
      readFileSync(join(box.project, ".claude", "settings.json"), "utf8"),
    ) as { hooks: { PreToolUse: Array<{ hooks: Array<{ command: string }> }> } };
    const command = settings.hooks.PreToolUse[0]!.hooks[0]!.command;
    expect(command).toMatch(
      /; node "\$CLAUDE_PROJECT_DIR\/node_modules\/hookpack\/dist\/hookpack\.cjs" hook claude-code$/,
    );
    expect(command).not.toContain(box.root);
    const token = fakeTokens(31).github;
    const payload = JSON.stringify({
      session_id: "s",
      cwd: box.project,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: `echo ${token}` },
    });
    const hook = await runCommand("sh", ["-c", command], {
      input: payload,
      cwd: box.project,
      env: { ...box.env, CLAUDE_PROJECT_DIR: box.project },
    });
    expect(hook.exitCode, hook.stderr).toBe(0);
    expect(JSON.parse(hook.stdout).hookSpecificOutput.permissionDecision).toBe("deny");
    expect(hook.stdout).not.toContain(token);
  });

  it("issue 18 item 3: in a teammate's fresh clone (no node_modules), the committed hook blocks with one line, never a stack", async () => {
    const settings = JSON.parse(
      readFileSync(join(box.project, ".claude", "settings.json"), "utf8"),
    ) as { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    const clone = join(box.root, "fresh-clone");
    mkdirSync(join(clone, ".claude"), { recursive: true });
    cpSync(join(box.project, ".claude", "settings.json"), join(clone, ".claude", "settings.json"));
    const payload = JSON.stringify({
      session_id: "s",
      cwd: clone,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "ls" },
    });
    for (const event of ["PreToolUse", "PostToolUse", "SessionEnd"]) {
      const command = settings.hooks[event]![0]!.hooks[0]!.command;
      const r = await runCommand("sh", ["-c", command], {
        input: payload,
        cwd: clone,
        env: { ...box.env, CLAUDE_PROJECT_DIR: clone },
      });
      // Exit 2: Claude Code blocks the call and shows the reason (the failure table: a call that
      // could not be checked fails closed). One line, no Node stack.
      expect(r.exitCode, event).toBe(2);
      expect(r.stderr).toBe(`${MISSING_PACKAGE}\n`);
      expect(r.stderr).not.toMatch(/node:internal|MODULE_NOT_FOUND|Require stack/);
      expect(r.stdout).toBe("");
    }
  });

  it("issue 18 item 3: after `npm uninstall hookpack`, the same: blocked with the fix, not a crash", async () => {
    const settings = JSON.parse(
      readFileSync(join(box.project, ".claude", "settings.json"), "utf8"),
    ) as { hooks: { PreToolUse: Array<{ hooks: Array<{ command: string }> }> } };
    execFileSync("npm", ["uninstall", "--no-audit", "--no-fund", "--offline", "hookpack"], {
      cwd: box.project,
      stdio: "pipe",
      env: {
        ...process.env,
        HOME: box.home,
        npm_config_cache: join(box.root, "npm-cache"),
        npm_config_update_notifier: "false",
      },
    });
    expect(existsSync(join(box.project, "node_modules", "hookpack"))).toBe(false);
    const payload = JSON.stringify({
      session_id: "s",
      cwd: box.project,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "ls" },
    });
    const r = await runCommand("sh", ["-c", settings.hooks.PreToolUse[0]!.hooks[0]!.command], {
      input: payload,
      cwd: box.project,
      env: { ...box.env, CLAUDE_PROJECT_DIR: box.project },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^hookpack: this tool call was blocked unchecked: hookpack is not installed in this project .*Run npm install/,
    );
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
