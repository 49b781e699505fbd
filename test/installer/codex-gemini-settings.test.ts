// `hookpack install/uninstall --agent codex|gemini|qwen` against real files in temp git repos, through
// the built CLI: the hooks land in each agent's own file and shape, install twice is no change,
// uninstall restores every starting file byte for byte, and the Codex trust step is spelled out.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot, useGitProject } from "./git-project.js";

const { box, cli } = useGitProject();

type Hook = { name?: string; type: string; command: string; timeout: number };
type Settings = { hooks: Record<string, Array<{ matcher?: string; hooks: Hook[] }>> };

const AGENTS = {
  codex: {
    file: ".codex/hooks.json",
    events: ["PreToolUse", "PostToolUse"],
    timeout: 30,
    name: undefined,
  },
  gemini: {
    file: ".gemini/settings.json",
    events: ["BeforeTool", "AfterTool"],
    timeout: 30_000,
    name: "hookpack",
  },
  qwen: {
    file: ".qwen/settings.json",
    events: ["PreToolUse", "PostToolUse", "PostToolUseFailure"],
    timeout: 30,
    name: undefined,
  },
} as const;

const FOREIGN = {
  matcher: "run_shell_command",
  hooks: [{ type: "command", command: "/usr/local/bin/audit", timeout: 5 }],
};
const STARTING: Record<string, string | null> = {
  "no file": null,
  "four-space with foreign settings and hook": `${JSON.stringify({ theme: "Default", hooks: { BeforeTool: [FOREIGN], PreToolUse: [FOREIGN] } }, null, 4)}\n`,
  crlf: `${JSON.stringify({ general: { vimMode: true } }, null, 2).replace(/\n/g, "\r\n")}\r\n`,
  "no trailing newline": JSON.stringify({ hooks: {} }, null, 2),
};

for (const [agent, spec] of Object.entries(AGENTS)) {
  describe(`install --agent ${agent}`, () => {
    it.each(Object.entries(STARTING))(
      "%s: installs its hooks, twice is no change, uninstall is byte-identical",
      async (_name, start) => {
        const file = join(box().project, spec.file);
        if (start !== null) {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, start);
        }
        const before = snapshot(box().project);
        const first = await cli(["install", "--agent", agent, "--scope", "project"]);
        expect(first.exitCode, first.stderr).toBe(0);
        const settings = JSON.parse(readFileSync(file, "utf8")) as Settings;
        for (const event of spec.events) {
          const ours = settings.hooks[event]!.filter((g) =>
            g.hooks.some((h) => h.command.endsWith(`hook ${agent}`)),
          );
          expect(ours).toHaveLength(1);
          expect(ours[0]!.matcher).toBe("*");
          expect(ours[0]!.hooks).toHaveLength(1);
          expect(ours[0]!.hooks[0]!.timeout).toBe(spec.timeout);
          expect(ours[0]!.hooks[0]!.name).toBe(spec.name);
        }
        const installed = readFileSync(file, "utf8");
        const again = await cli(["install", "--agent", agent, "--scope", "project"]);
        expect(again.exitCode, again.stderr).toBe(0);
        expect(readFileSync(file, "utf8")).toBe(installed);
        const out = await cli(["uninstall", "--agent", agent]);
        expect(out.exitCode, out.stderr).toBe(0);
        expect(snapshot(box().project)).toEqual(before);
      },
    );

    it("the installed hook command answers a payload", async () => {
      const first = await cli(["install", "--agent", agent, "--scope", "project"]);
      expect(first.exitCode, first.stderr).toBe(0);
      const command = (JSON.parse(readFileSync(join(box().project, spec.file), "utf8")) as Settings)
        .hooks[spec.events[0]]![0]!.hooks[0]!.command;
      const payload = JSON.stringify({
        session_id: "s",
        cwd: box().project,
        hook_event_name: spec.events[0],
        tool_name: agent === "codex" ? "Bash" : "run_shell_command",
        tool_input: { command: "ls" },
      });
      const out = execFileSync("/bin/sh", ["-c", command], {
        input: payload,
        env: { ...process.env, ...box().env },
        encoding: "utf8",
      });
      expect(out).toBe("");
    });
  });
}

describe("install notes", () => {
  it("Codex: says exactly how to trust the hooks, since untrusted hooks are skipped silently", async () => {
    const r = await cli(["install", "--agent", "codex"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("type `/hooks`");
    expect(r.stdout).toMatch(/NOT protected/);
    // Default scope outside a project dependency is local, which shares the project file here.
    expect(r.stdout).toMatch(/no untracked local settings file/);
  });

  it("Gemini: mentions the fingerprint warning on the next start", async () => {
    const r = await cli(["install", "--agent", "gemini", "--scope", "user"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/fingerprints project hooks/);
    expect(existsSync(join(box().home, ".gemini", "settings.json"))).toBe(true);
  });
});

describe("install --agent gemini: advanced.ignoreLocalEnv (Gemini loads the project's .env into its own environment)", () => {
  const file = () => join(box().project, ".gemini", "settings.json");
  const read = () =>
    JSON.parse(readFileSync(file(), "utf8")) as {
      advanced?: Record<string, unknown>;
      hooks?: unknown;
      general?: unknown;
    };

  it("install sets it and says so; the file edited by the user afterwards, uninstall takes out only what hookpack added", async () => {
    const r = await cli(["install", "--agent", "gemini", "--scope", "project"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(read().advanced).toEqual({ ignoreLocalEnv: true });
    expect(r.stdout).toMatch(
      /advanced\.ignoreLocalEnv, so Gemini no longer loads the project's \.env/,
    );
    // The user adds a setting of their own: no byte-exact restore, the structural undo runs.
    writeFileSync(file(), JSON.stringify({ ...read(), general: { vimMode: true } }, null, 2));
    const u = await cli(["uninstall", "--agent", "gemini", "--scope", "project"]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(read()).toEqual({ general: { vimMode: true } });
  });

  it("an advanced object of the user's keeps its other members on uninstall", async () => {
    mkdirSync(dirname(file()), { recursive: true });
    writeFileSync(file(), JSON.stringify({ advanced: { excludedEnvVars: ["DEBUG"] } }, null, 2));
    expect((await cli(["install", "--agent", "gemini", "--scope", "project"])).exitCode).toBe(0);
    expect(read().advanced).toEqual({ excludedEnvVars: ["DEBUG"], ignoreLocalEnv: true });
    writeFileSync(file(), `${readFileSync(file(), "utf8")}\n`);
    expect((await cli(["uninstall", "--agent", "gemini", "--scope", "project"])).exitCode).toBe(0);
    expect(read()).toEqual({ advanced: { excludedEnvVars: ["DEBUG"] } });
  });

  it("the user's own value is left as it is: false is reported, true survives uninstall", async () => {
    mkdirSync(dirname(file()), { recursive: true });
    writeFileSync(file(), JSON.stringify({ advanced: { ignoreLocalEnv: false } }, null, 2));
    const r = await cli(["install", "--agent", "gemini", "--scope", "project"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(read().advanced).toEqual({ ignoreLocalEnv: false });
    expect(r.stdout).toMatch(
      /sets advanced\.ignoreLocalEnv to false, which hookpack leaves as it is/,
    );
    expect((await cli(["uninstall", "--agent", "gemini", "--scope", "project"])).exitCode).toBe(0);

    writeFileSync(file(), JSON.stringify({ advanced: { ignoreLocalEnv: true } }, null, 2));
    expect((await cli(["install", "--agent", "gemini", "--scope", "project"])).exitCode).toBe(0);
    writeFileSync(file(), `${readFileSync(file(), "utf8")}\n`);
    expect((await cli(["uninstall", "--agent", "gemini", "--scope", "project"])).exitCode).toBe(0);
    expect(read()).toEqual({ advanced: { ignoreLocalEnv: true } });
  });
});
