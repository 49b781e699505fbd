// `hookpack install/uninstall` for agents whose hook files list one entry per hook (GitHub Copilot
// CLI's `.github/hooks/*.json`, Cursor's `.cursor/hooks.json`, Windsurf's `.windsurf/hooks.json`), through the built CLI in temp git repos: the entries land in the
// agent's own shape, install twice is no change, uninstall restores every starting file byte for
// byte, and the installed command answers a payload.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { hookpack } from "../helpers/run.js";
import { snapshot, useGitProject } from "./git-project.js";

const { box, cli } = useGitProject();

type Entry = Record<string, unknown>;
type HooksFile = { version?: number; hooks: Record<string, Entry[]> };

interface Spec {
  file: string;
  version: number | undefined;
  events: string[];
  /** The entry key holding the command. */
  commandKey: string;
  entry: (command: string) => Entry;
  /** A payload the installed pre-tool command answers with nothing (a harmless call). */
  harmless: Record<string, unknown>;
}

const AGENTS: Record<string, Spec> = {
  copilot: {
    file: ".github/hooks/hookpack.json",
    version: 1,
    events: ["preToolUse", "postToolUse"],
    commandKey: "bash",
    entry: (command) => ({ type: "command", bash: command, timeoutSec: 30 }),
    harmless: {
      sessionId: "s",
      timestamp: 1,
      cwd: "/p",
      toolName: "bash",
      toolArgs: { command: "ls" },
    },
  },
  cursor: {
    file: ".cursor/hooks.json",
    version: 1,
    events: ["preToolUse", "postToolUse"],
    commandKey: "command",
    entry: (command) => ({ command, timeout: 30 }),
    harmless: {
      hook_event_name: "preToolUse",
      conversation_id: "c",
      cwd: "/p",
      tool_name: "Shell",
      tool_input: { command: "ls" },
    },
  },
  windsurf: {
    file: ".windsurf/hooks.json",
    version: undefined,
    events: ["pre_run_command", "pre_read_code", "pre_write_code", "pre_mcp_tool_use"],
    commandKey: "command",
    entry: (command) => ({ command, show_output: true }),
    harmless: {
      agent_action_name: "pre_run_command",
      tool_info: { command_line: "ls", cwd: "/p" },
    },
  },
};

const FOREIGN = {
  type: "command",
  bash: "/usr/local/bin/audit",
  command: "/usr/local/bin/audit",
  timeoutSec: 5,
};

for (const [agent, spec] of Object.entries(AGENTS)) {
  const STARTING: Record<string, string | null> = {
    "no file": null,
    "four-space with a foreign hook": `${JSON.stringify({ ...(spec.version ? { version: spec.version } : {}), hooks: { [spec.events[0]!]: [FOREIGN], sessionStart: [FOREIGN] } }, null, 4)}\n`,
    crlf: `${JSON.stringify({ ...(spec.version ? { version: spec.version } : {}), hooks: {} }, null, 2).replace(/\n/g, "\r\n")}\r\n`,
    "no trailing newline, no version": JSON.stringify(
      { hooks: { sessionEnd: [FOREIGN] } },
      null,
      2,
    ),
  };

  describe(`install --agent ${agent}`, () => {
    it.each(Object.entries(STARTING))(
      "%s: installs its entries, twice is no change, uninstall is byte-identical",
      async (_name, start) => {
        const file = join(box().project, spec.file);
        // A sibling hooks file of the user's own is never touched.
        const sibling = join(dirname(file), "team.json");
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(
          sibling,
          `${JSON.stringify({ version: 1, hooks: { preToolUse: [FOREIGN] } })}\n`,
        );
        if (start !== null) writeFileSync(file, start);
        const before = snapshot(box().project);
        const first = await cli(["install", "--agent", agent, "--scope", "project"]);
        expect(first.exitCode, first.stderr).toBe(0);
        const installed = readFileSync(file, "utf8");
        const parsed = JSON.parse(installed) as HooksFile;
        expect(parsed.version).toBe(spec.version);
        for (const event of spec.events) {
          const ours = parsed.hooks[event]!.filter((e) =>
            String(e[spec.commandKey]).endsWith(`hook ${agent}`),
          );
          expect(ours).toHaveLength(1);
          expect(ours[0]).toEqual(spec.entry(String(ours[0]![spec.commandKey])));
        }
        if (start?.includes("\r\n")) expect(installed.replace(/\r\n/g, "")).not.toContain("\n");
        const again = await cli(["install", "--agent", agent, "--scope", "project"]);
        expect(again.exitCode, again.stderr).toBe(0);
        expect(readFileSync(file, "utf8")).toBe(installed);
        const out = await cli(["uninstall", "--agent", agent]);
        expect(out.exitCode, out.stderr).toBe(0);
        expect(snapshot(box().project)).toEqual(before);
      },
    );

    it("into a project without the folders: uninstall leaves no empty folder behind", async () => {
      const before = snapshot(box().project);
      const first = await cli(["install", "--agent", agent, "--scope", "project"]);
      expect(first.exitCode, first.stderr).toBe(0);
      expect(existsSync(join(box().project, spec.file))).toBe(true);
      const out = await cli(["uninstall", "--agent", agent]);
      expect(out.exitCode, out.stderr).toBe(0);
      expect(snapshot(box().project)).toEqual(before);
    });

    it("uninstall after the user edited the file takes out exactly our entries", async () => {
      const first = await cli(["install", "--agent", agent, "--scope", "project"]);
      expect(first.exitCode, first.stderr).toBe(0);
      const file = join(box().project, spec.file);
      const edited = JSON.parse(readFileSync(file, "utf8")) as HooksFile;
      edited.hooks[spec.events[0]!]!.push(FOREIGN);
      writeFileSync(file, `${JSON.stringify(edited, null, 2)}\n`);
      const out = await cli(["uninstall", "--agent", agent]);
      expect(out.exitCode, out.stderr).toBe(0);
      const left = JSON.parse(readFileSync(file, "utf8")) as HooksFile;
      expect(left.hooks).toEqual({ [spec.events[0]!]: [FOREIGN] });
    });

    it("user scope writes under HOME", async () => {
      const r = await cli(["install", "--agent", agent, "--scope", "user"]);
      expect(r.exitCode, r.stderr).toBe(0);
      const userFile = join(
        box().home,
        { copilot: ".copilot/hooks/hookpack.json", windsurf: ".codeium/windsurf/hooks.json" }[
          agent
        ] ?? spec.file,
      );
      expect(existsSync(userFile)).toBe(true);
      const out = await cli(["uninstall", "--agent", agent, "--scope", "user"]);
      expect(out.exitCode, out.stderr).toBe(0);
      expect(existsSync(userFile)).toBe(false);
    });

    it("doctor sees the entries and runs them", async () => {
      const first = await cli(["install", "--agent", agent, "--scope", "project"]);
      expect(first.exitCode, first.stderr).toBe(0);
      const r = await hookpack(["doctor", "--json"], { cwd: box().project, env: box().env });
      const report = JSON.parse(r.stdout) as {
        checks: Array<{ id: string; agent?: string; status: string }>;
      };
      const mine = report.checks.filter((c) => c.agent === agent);
      expect(mine.find((c) => c.id === "hooks")?.status, JSON.stringify(mine)).toBe("ok");
      expect(mine.find((c) => c.id === "hook-runs")?.status, JSON.stringify(mine)).toBe("ok");
    });

    it("the installed hook command answers a payload", async () => {
      const first = await cli(["install", "--agent", agent, "--scope", "project"]);
      expect(first.exitCode, first.stderr).toBe(0);
      const parsed = JSON.parse(readFileSync(join(box().project, spec.file), "utf8")) as HooksFile;
      const command = String(parsed.hooks[spec.events[0]!]![0]![spec.commandKey]);
      const out = execFileSync("/bin/sh", ["-c", command], {
        input: JSON.stringify(spec.harmless),
        env: { ...process.env, ...box().env },
        encoding: "utf8",
      });
      expect(out).toBe("");
    });
  });
}

describe("install notes", () => {
  it("Copilot: says repository hooks need a trusted folder, and that output cannot be replaced", async () => {
    const r = await cli(["install", "--agent", "copilot"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/only in a folder you trusted/);
    expect(r.stdout).toMatch(/cannot replace a tool's output/);
  });
});
