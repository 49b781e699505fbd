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

  it("doctor warns when the hooks sit at the default place while the variable moves the folder", async () => {
    const b = box();
    const ccd = join(b.root, "conf", "claude4");
    mkdirSync(ccd, { recursive: true });
    const r = await cli(["install", "--agent", "claude-code", "--scope", "user"], {});
    expect(r.exitCode, r.stderr).toBe(0);
    const env = { CLAUDE_CONFIG_DIR: ccd };
    const out = (
      await hookpack(["doctor", "--no-run"], { cwd: b.project, env: { ...b.env, ...env } })
    ).stdout;
    expect(out).toContain(
      `hookpack's hooks are in ${join(b.home, ".claude", "settings.json")}, which Claude Code does not read while its folder is moved to ${ccd}`,
    );
    const plain = (await hookpack(["doctor", "--no-run"], { cwd: b.project, env: b.env })).stdout;
    expect(plain).not.toContain("does not read while its folder is moved");
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

/** `hookpack doctor --no-run` in the box's project, its stdout. */
const doctor = async (env: Record<string, string> = {}) =>
  (await hookpack(["doctor", "--no-run"], { cwd: box().project, env: { ...box().env, ...env } }))
    .stdout;

/** Rewrites a JSON settings file through `edit`. */
function editJson(file: string, edit: (s: Json) => void): void {
  const s = JSON.parse(readFileSync(file, "utf8")) as Json;
  edit(s);
  writeFileSync(file, `${JSON.stringify(s, null, 2)}\n`);
}

describe("doctor: the sandbox entries for the hook settings and the agents' credentials", () => {
  const WEAKEN: Record<string, { edit: (s: Json, home: string) => void; says: RegExp }> = {
    "the user's hook settings out of denyWrite": {
      edit: (s) => {
        s.sandbox.filesystem.denyWrite = (s.sandbox.filesystem.denyWrite as string[]).filter(
          (p) => p !== "~/.claude/settings.json",
        );
      },
      says: /denyWrite does not cover the hook settings ~\/\.claude\/settings\.json/,
    },
    "the project's hook settings out of denyWrite": {
      edit: (s) => {
        s.sandbox.filesystem.denyWrite = (s.sandbox.filesystem.denyWrite as string[]).filter(
          (p) => !p.startsWith("**/.claude/"),
        );
      },
      says: /denyWrite does not cover the project's hook settings/,
    },
    "Codex's auth.json out of denyRead": {
      edit: (s) => {
        s.sandbox.filesystem.denyRead = (s.sandbox.filesystem.denyRead as string[]).filter(
          (p) => p !== "~/.codex/auth.json",
        );
      },
      says: /denyRead does not cover the agents' credentials or transcripts ~\/\.codex\/auth\.json/,
    },
    "Claude Code's credentials re-opened by allowRead": {
      edit: (s) => {
        s.sandbox.filesystem.allowRead = ["~/.claude/.credentials.json"];
      },
      says: /allowRead re-opens ~\/\.claude\/\.credentials\.json/,
    },
  };
  for (const [name, { edit, says }] of Object.entries(WEAKEN))
    it(`Claude Code: ${name} is reported`, async () => {
      const b = box();
      const r = await cli(
        ["install", "--agent", "claude-code", "--scope", "local", "--sandbox"],
        {},
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const clean = await doctor();
      expect(clean).not.toMatch(says);
      expect(clean).not.toMatch(/does not cover|re-opens/);
      editJson(join(b.project, ".claude", "settings.local.json"), (s) => edit(s, b.home));
      const out = await doctor();
      expect(out).toMatch(says);
      expect(out).toMatch(
        /Claude Code: its sandbox does not keep commands out of hookpack's state/,
      );
    });

  it("Claude Code: with $CLAUDE_CONFIG_DIR, the moved settings missing from denyWrite are reported", async () => {
    const b = box();
    const ccd = join(b.root, "conf", "claude3");
    mkdirSync(ccd, { recursive: true });
    // Installed without the variable (the entries name ~/.claude only), then run with it.
    const r = await cli(["install", "--agent", "claude-code", "--scope", "local", "--sandbox"], {});
    expect(r.exitCode, r.stderr).toBe(0);
    const out = await doctor({ CLAUDE_CONFIG_DIR: ccd });
    expect(out).toContain(`denyWrite does not cover the hook settings ${ccd}/settings.json`);
    expect(out).toMatch(new RegExp(`denyRead does not cover .*${ccd}/\\.credentials\\.json`));
    // Installing again with the variable set adds them.
    await cli(["install", "--agent", "claude-code", "--scope", "local", "--sandbox"], {
      CLAUDE_CONFIG_DIR: ccd,
    });
    expect(await doctor({ CLAUDE_CONFIG_DIR: ccd })).not.toMatch(/does not cover|re-opens/);
  });

  it('Codex: auth.json given "read" in the profile is reported', async () => {
    const b = box();
    mkdirSync(join(b.home, ".codex"), { recursive: true });
    writeFileSync(join(b.home, ".codex", "auth.json"), '{"auth_mode":"apikey"}\n');
    const r = await cli(["install", "--agent", "codex", "--scope", "local", "--sandbox"], {});
    expect(r.exitCode, r.stderr).toBe(0);
    const file = join(b.project, ".codex", "config.toml");
    const auth = JSON.stringify(join(b.home, ".codex", "auth.json"));
    const toml = readFileSync(file, "utf8");
    expect(toml).toContain(`${auth} = "none"`);
    expect(await doctor()).not.toMatch(/does not deny the agents' credentials/);
    writeFileSync(file, toml.replace(`${auth} = "none"`, `${auth} = "read"`));
    expect(await doctor()).toMatch(
      /the profile does not deny the agents' credentials ~\/\.codex\/auth\.json \("none"\)/,
    );
  });
});
