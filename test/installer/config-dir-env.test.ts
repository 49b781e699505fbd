// sec8: `hookpack install --scope user` follows the agent's own folder when the environment moves it
// ($CLAUDE_CONFIG_DIR for Claude Code, $CODEX_HOME for Codex CLI: that is where the agent reads its
// user settings), refuses a relative value, and --sandbox denies the moved folder's hook settings
// and credentials as it does the default ones. Uninstall restores the moved files byte for byte;
// doctor reads the hooks from there. Through the built CLI against real files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hookpack } from "../helpers/run.js";
import { useGitProject } from "./git-project.js";

const { box } = useGitProject();
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const cli = (args: string[], env: Record<string, string>) =>
  hookpack([...args, "--no-git-hook", "--no-ignore-files"], {
    cwd: box().project,
    env: { ...box().env, ...env },
  });

describe("install --scope user with the agent's folder moved", () => {
  it("Claude Code: hooks and the sandbox go to $CLAUDE_CONFIG_DIR/settings.json; uninstall restores it", async () => {
    const b = box();
    const ccd = join(b.root, "conf", "claude");
    mkdirSync(ccd, { recursive: true });
    const original = '{\n  "model": "opus"\n}\n';
    writeFileSync(join(ccd, "settings.json"), original);
    const env = { CLAUDE_CONFIG_DIR: ccd };
    const r = await cli(["install", "--agent", "claude-code", "--scope", "user", "--sandbox"], env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(join(b.home, ".claude", "settings.json"))).toBe(false);
    const s = JSON.parse(readFileSync(join(ccd, "settings.json"), "utf8")) as Json;
    expect(JSON.stringify(s.hooks)).toMatch(/hookpack/);
    const denyWrite = s.sandbox.filesystem.denyWrite as string[];
    const denyRead = s.sandbox.filesystem.denyRead as string[];
    expect(denyWrite).toContain(`${ccd}/settings.json`);
    expect(denyWrite).toContain("~/.claude/settings.json");
    expect(denyRead).toContain(`${ccd}/.credentials.json`);
    expect(denyRead).toContain(`${ccd}/.claude.json`);
    expect(denyRead).toContain(`${ccd}/projects`);
    const doctor = await hookpack(["doctor", "--no-run"], {
      cwd: b.project,
      env: { ...b.env, ...env },
    });
    expect(doctor.stdout).toMatch(
      new RegExp(`Claude Code: hooks registered in ${ccd}/settings\\.json`),
    );
    const u = await cli(["uninstall", "--agent", "claude-code", "--scope", "user"], env);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(readFileSync(join(ccd, "settings.json"), "utf8")).toBe(original);
  });

  it("Codex CLI: hooks go to $CODEX_HOME/hooks.json; the profile denies $CODEX_HOME/auth.json and keeps the folder read-only", async () => {
    const b = box();
    const home = join(b.root, "conf", "codex");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, "auth.json"), '{"auth_mode":"apikey"}\n');
    const env = { CODEX_HOME: home };
    const r = await cli(["install", "--agent", "codex", "--scope", "user", "--sandbox"], env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(join(b.home, ".codex", "hooks.json"))).toBe(false);
    expect(readFileSync(join(home, "hooks.json"), "utf8")).toMatch(/hookpack/);
    const toml = readFileSync(join(home, "config.toml"), "utf8");
    expect(toml).toContain(`${JSON.stringify(join(home, "auth.json"))} = "none"`);
    expect(toml).toContain(`${JSON.stringify(home)} = "read"`);
    const u = await cli(["uninstall", "--agent", "codex", "--scope", "user"], env);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(existsSync(join(home, "hooks.json"))).toBe(false);
    expect(existsSync(join(home, "config.toml"))).toBe(false);
  });

  it("a relative value is refused with a clear reason, nothing written", async () => {
    const b = box();
    for (const [agent, variable] of [
      ["claude-code", "CLAUDE_CONFIG_DIR"],
      ["codex", "CODEX_HOME"],
    ] as const) {
      const r = await cli(["install", "--agent", agent, "--scope", "user"], {
        [variable]: "rel/conf",
      });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^hookpack: ${variable} is a relative path`, "m"));
      expect(existsSync(join(b.project, "rel"))).toBe(false);
      expect(existsSync(join(b.home, agent === "codex" ? ".codex" : ".claude"))).toBe(false);
    }
  });

  it("project scope is not moved by the variable", async () => {
    const b = box();
    const ccd = join(b.root, "conf", "claude2");
    const r = await cli(["install", "--agent", "claude-code", "--scope", "local"], {
      CLAUDE_CONFIG_DIR: ccd,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(join(b.project, ".claude", "settings.local.json"))).toBe(true);
    expect(existsSync(ccd)).toBe(false);
  });
});
