// Codex keeps hooks either in `.codex/hooks.json` or inline in `.codex/config.toml`. When a layer's
// config.toml already holds inline hooks, hookpack adds its own there (one marked block), leaves
// every byte the user wrote — comments included — where it was, and takes exactly its block out
// again. Through the built CLI, against real files in temp git repos; TOML meaning is checked with
// an independent parser (smol-toml, the one the installer uses, is checked against by parsing both
// before and after — here we assert on the parsed result as well as on the bytes).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { hookpack } from "../helpers/run.js";
import { useGitProject } from "./git-project.js";

const { box, cli } = useGitProject();
const tomlPath = () => join(box().project, ".codex", "config.toml");
const jsonPath = () => join(box().project, ".codex", "hooks.json");

function writeToml(text: string): void {
  mkdirSync(join(box().project, ".codex"), { recursive: true });
  writeFileSync(tomlPath(), text);
}

type Group = { matcher?: string; hooks: Array<{ type: string; command: string; timeout: number }> };
const groups = (text: string, event: string) =>
  ((parse(text) as { hooks?: Record<string, Group[]> }).hooks?.[event] ?? []) as Group[];
const ours = (g: Group) =>
  g.hooks.every((h) => /hookpack(\.cjs)?"?\s+hook\s+codex$/.test(h.command));

const INLINE = [
  "# Codex settings for this repo (hand-written; keep the comments)",
  'model = "gpt-5.1"  # the team default',
  "",
  "[[hooks.PreToolUse]]",
  'matcher = "^Bash$"   # our own audit hook',
  "",
  "[[hooks.PreToolUse.hooks]]",
  'type = "command"',
  'command = "/usr/local/bin/audit --quiet"',
  "timeout = 5",
  "",
  "[sandbox_workspace_write]",
  "network_access = false # keep it off",
  "",
].join("\n");

const STARTING: Record<string, string> = {
  "comments, foreign inline hook, trailing table": INLINE,
  crlf: INLINE.replace(/\n/g, "\r\n"),
  "no trailing newline": INLINE.trimEnd(),
  "blank lines at the end": `${INLINE}\n\n`,
  "hooks table with a PostToolUse only":
    '[hooks]\n# nothing else here\n[[hooks.PostToolUse]]\n[[hooks.PostToolUse.hooks]]\ntype = "command"\ncommand = "logger"\n',
};

describe("install --agent codex into an inline-hooks config.toml", () => {
  it.each(Object.entries(STARTING))(
    "%s: hooks land in config.toml, twice is no change, uninstall is byte-identical",
    async (_name, start) => {
      writeToml(start);
      const first = await cli(["install", "--agent", "codex", "--scope", "project"]);
      expect(first.exitCode, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/config\.toml keeps its hooks inline/);
      expect(
        existsSync(jsonPath()),
        "hooks.json must not be created next to inline hooks (Codex warns about both)",
      ).toBe(false);
      const installed = readFileSync(tomlPath(), "utf8");
      // Everything the user wrote is still there, byte for byte, in front of our block.
      expect(installed.startsWith(start.endsWith("\n") ? start : start.trimEnd())).toBe(true);
      for (const event of ["PreToolUse", "PostToolUse"]) {
        const mine = groups(installed, event).filter(ours);
        expect(mine, event).toHaveLength(1);
        expect(mine[0]!.matcher).toBe("*");
        expect(mine[0]!.hooks[0]!.timeout).toBe(30);
        expect(mine[0]!.hooks[0]!.type).toBe("command");
      }
      // The foreign hooks mean what they meant.
      const foreignBefore = {
        pre: groups(start, "PreToolUse"),
        post: groups(start, "PostToolUse"),
      };
      expect(groups(installed, "PreToolUse").filter((g) => !ours(g))).toEqual(foreignBefore.pre);
      expect(groups(installed, "PostToolUse").filter((g) => !ours(g))).toEqual(foreignBefore.post);
      if (start.includes("\r\n")) expect(installed.replace(/\r\n/g, "")).not.toContain("\n");

      const again = await cli(["install", "--agent", "codex", "--scope", "project"]);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(readFileSync(tomlPath(), "utf8")).toBe(installed);

      const out = await cli(["uninstall", "--agent", "codex"]);
      expect(out.exitCode, out.stderr).toBe(0);
      expect(readFileSync(tomlPath(), "utf8")).toBe(start);
      expect(existsSync(jsonPath())).toBe(false);
    },
  );

  it("a config.toml without inline hooks (settings, Codex's own trust state) is left alone: hooks.json is used", async () => {
    const start = `model = "gpt-5.1"\n\n[hooks.state."/somewhere/hooks.json:PreToolUse:0:0"]\ntrusted_hash = "sha256:00"\n`;
    writeToml(start);
    const r = await cli(["install", "--agent", "codex", "--scope", "project"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(tomlPath(), "utf8")).toBe(start);
    expect(existsSync(jsonPath())).toBe(true);
    const u = await cli(["uninstall", "--agent", "codex"]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(readFileSync(tomlPath(), "utf8")).toBe(start);
    expect(existsSync(jsonPath())).toBe(false);
  });

  it("uninstall after the user edited the file elsewhere takes out exactly our block and keeps their edit", async () => {
    writeToml(INLINE);
    expect((await cli(["install", "--agent", "codex", "--scope", "project"])).exitCode).toBe(0);
    const edited = `# a line the user added later\n${readFileSync(tomlPath(), "utf8")}`;
    writeFileSync(tomlPath(), edited);
    const u = await cli(["uninstall", "--agent", "codex"]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(readFileSync(tomlPath(), "utf8")).toBe(`# a line the user added later\n${INLINE}`);
  });

  it("re-install after an upgrade replaces the block in place (one block, the new command)", async () => {
    writeToml(INLINE);
    expect((await cli(["install", "--agent", "codex", "--scope", "project"])).exitCode).toBe(0);
    const installed = readFileSync(tomlPath(), "utf8");
    // Simulate an older runtime path in our block.
    const older = installed.replace(/runtime\/[^/"\\]+\//g, "runtime/0.0.1/");
    expect(older).not.toBe(installed);
    writeFileSync(tomlPath(), older);
    expect((await cli(["install", "--agent", "codex", "--scope", "project"])).exitCode).toBe(0);
    expect(readFileSync(tomlPath(), "utf8")).toBe(installed);
  });

  it("doctor finds the hooks in config.toml", async () => {
    writeToml(INLINE);
    expect((await cli(["install", "--agent", "codex", "--scope", "project"])).exitCode).toBe(0);
    const d = await hookpack(["doctor", "--json", "--no-run"], {
      cwd: box().project,
      env: {
        ...box().env,
        HOOKPACK_KEY_BACKEND: "file",
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(box().root, "no-bus")}`,
      },
    });
    const checks = (
      JSON.parse(d.stdout) as {
        checks: Array<{ id: string; status: string; agent?: string; message: string }>;
      }
    ).checks;
    const hooks = checks.filter((c) => c.id === "hooks" && c.agent === "codex");
    expect(hooks.map((c) => c.status)).toEqual(["ok"]);
    expect(hooks[0]!.message).toContain(".codex/config.toml");
  });
});

describe("refusals lose nothing", () => {
  it("hooks written as an inline array cannot be extended by a table: refused, nothing written", async () => {
    const start =
      '[hooks]\nPreToolUse = [ { matcher = "^Bash$", hooks = [ { type = "command", command = "audit" } ] } ]\n';
    writeToml(start);
    const r = await cli(["install", "--agent", "codex", "--scope", "project"]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/inline array/);
    expect(readFileSync(tomlPath(), "utf8")).toBe(start);
    expect(existsSync(jsonPath())).toBe(false);
  });

  it("a broken config.toml is refused by line and column, without quoting the file", async () => {
    const marker = ["sk", "live", "QUOTEME", "x9y8z7"].join("_");
    const start = `[mcp_servers.db.env]\nDB_PASSWORD = "${marker}\n[[hooks.PreToolUse]]\nmatcher = "x"\n`;
    writeToml(start);
    const r = await cli(["install", "--agent", "codex", "--scope", "project"]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/not valid TOML at line \d+, column \d+/);
    expect(r.stdout + r.stderr).not.toContain("QUOTEME");
    expect(readFileSync(tomlPath(), "utf8")).toBe(start);
  });

  it("our hooks outside the marked block are not duplicated: refused with what to do", async () => {
    const start = `${INLINE}[[hooks.PreToolUse]]\nmatcher = "*"\n[[hooks.PreToolUse.hooks]]\ntype = "command"\ncommand = "/usr/bin/node /x/hookpack.cjs hook codex"\n`;
    writeToml(start);
    const r = await cli(["install", "--agent", "codex", "--scope", "project"]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/outside a hookpack block/);
    expect(readFileSync(tomlPath(), "utf8")).toBe(start);
  });
});
