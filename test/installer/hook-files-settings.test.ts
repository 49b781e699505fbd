// `hookpack install/uninstall --agent cline|opencode`: hook FILES named after the event in
// .clinerules/hooks/ (Cline), and OpenCode's plugin file, through the built CLI in temp git repos. Install twice is no change,
// uninstall restores the tree byte for byte, a hook file of the user's own is never overwritten,
// and the installed file answers a payload the way Cline runs it (`bash <file>`).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hookpack } from "../helpers/run.js";
import { snapshot, useGitProject } from "./git-project.js";

const { box, cli } = useGitProject();

const HOOKS = ".clinerules/hooks";
const STARTING: Record<string, Record<string, string>> = {
  "empty project": {},
  "rules and another hook of the user's own": {
    ".clinerules/style.md": "# Style\n",
    ".clinerules/hooks/TaskStart.sh": "#!/bin/sh\necho hi\n",
  },
};

describe("install --agent cline", () => {
  it.each(Object.entries(STARTING))(
    "%s: writes PreToolUse.sh and PostToolUse.sh, twice is no change, uninstall is byte-identical",
    async (_name, files) => {
      for (const [rel, text] of Object.entries(files)) {
        mkdirSync(join(box().project, rel, ".."), { recursive: true });
        writeFileSync(join(box().project, rel), text);
      }
      const before = snapshot(box().project);
      const first = await cli(["install", "--agent", "cline", "--scope", "project"]);
      expect(first.exitCode, first.stderr).toBe(0);
      for (const event of ["PreToolUse", "PostToolUse"]) {
        const file = join(box().project, HOOKS, `${event}.sh`);
        const text = readFileSync(file, "utf8");
        expect(text).toMatch(/^#!\/bin\/sh\n/);
        expect(text).toMatch(/^exec .+ hook cline$/m);
        expect(statSync(file).mode & 0o111).not.toBe(0);
      }
      const installed = snapshot(box().project);
      const again = await cli(["install", "--agent", "cline", "--scope", "project"]);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(snapshot(box().project)).toEqual(installed);
      const out = await cli(["uninstall", "--agent", "cline"]);
      expect(out.exitCode, out.stderr).toBe(0);
      expect(snapshot(box().project)).toEqual(before);
    },
  );

  it("never overwrites a PreToolUse hook of the user's own", async () => {
    mkdirSync(join(box().project, HOOKS), { recursive: true });
    writeFileSync(join(box().project, HOOKS, "PreToolUse.sh"), "#!/bin/sh\n./my-check\n");
    const before = snapshot(box().project);
    const r = await cli(["install", "--agent", "cline", "--scope", "project"]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/PreToolUse hook of your own; nothing was changed/);
    expect(snapshot(box().project)).toEqual(before);
  });

  it("user scope writes ~/.cline/hooks and removes it again", async () => {
    const r = await cli(["install", "--agent", "cline", "--scope", "user"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(join(box().home, ".cline", "hooks", "PreToolUse.sh"))).toBe(true);
    const out = await cli(["uninstall", "--agent", "cline", "--scope", "user"]);
    expect(out.exitCode, out.stderr).toBe(0);
    expect(existsSync(join(box().home, ".cline"))).toBe(false);
  });

  it("the installed file answers a payload as Cline runs it (bash <file>)", async () => {
    const first = await cli(["install", "--agent", "cline", "--scope", "project"]);
    expect(first.exitCode, first.stderr).toBe(0);
    const payload = {
      clineVersion: "3.0.65",
      hookName: "tool_call",
      taskId: "t",
      workspaceRoots: [box().project],
      preToolUse: { toolName: "run_commands", parameters: { commands: '["ls"]' } },
    };
    const out = execFileSync("bash", [join(box().project, HOOKS, "PreToolUse.sh")], {
      input: JSON.stringify(payload),
      env: { ...process.env, ...box().env },
      encoding: "utf8",
    });
    expect(out).toBe("");
  });

  it("doctor sees the hook files and runs them", async () => {
    const first = await cli(["install", "--agent", "cline", "--scope", "project"]);
    expect(first.exitCode, first.stderr).toBe(0);
    const r = await hookpack(["doctor", "--json"], { cwd: box().project, env: box().env });
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ id: string; agent?: string; status: string; message: string }>;
    };
    const cline = report.checks.filter((c) => c.agent === "cline");
    expect(cline.find((c) => c.id === "hooks")?.status, JSON.stringify(cline)).toBe("ok");
    expect(cline.find((c) => c.id === "hook-runs")?.status, JSON.stringify(cline)).toBe("ok");
  });
});

describe("install --agent opencode", () => {
  const PLUGIN = ".opencode/plugins/hookpack.js";

  it.each([
    ["empty project", {}],
    [
      "an opencode.json and a plugin of the user's own",
      {
        "opencode.json": '{\n  "theme": "dark"\n}\n',
        ".opencode/plugins/mine.ts": "export const Mine = async () => ({});\n",
      },
    ],
  ] as const)(
    "%s: writes the plugin, twice is no change, uninstall is byte-identical",
    async (_name, files: Record<string, string>) => {
      for (const [rel, text] of Object.entries(files)) {
        mkdirSync(join(box().project, rel, ".."), { recursive: true });
        writeFileSync(join(box().project, rel), text);
      }
      const before = snapshot(box().project);
      const first = await cli(["install", "--agent", "opencode", "--scope", "project"]);
      expect(first.exitCode, first.stderr).toBe(0);
      const text = readFileSync(join(box().project, PLUGIN), "utf8");
      expect(text).toContain('"tool.execute.before"');
      expect(text).toMatch(/^exec .+ hook opencode$/m);
      const installed = snapshot(box().project);
      expect((await cli(["install", "--agent", "opencode", "--scope", "project"])).exitCode).toBe(
        0,
      );
      expect(snapshot(box().project)).toEqual(installed);
      const out = await cli(["uninstall", "--agent", "opencode"]);
      expect(out.exitCode, out.stderr).toBe(0);
      expect(snapshot(box().project)).toEqual(before);
    },
  );

  it("doctor sees the plugin and runs its command", async () => {
    expect((await cli(["install", "--agent", "opencode", "--scope", "project"])).exitCode).toBe(0);
    const r = await hookpack(["doctor", "--json"], { cwd: box().project, env: box().env });
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ id: string; agent?: string; status: string }>;
    };
    const mine = report.checks.filter((c) => c.agent === "opencode");
    expect(mine.find((c) => c.id === "hooks")?.status, JSON.stringify(mine)).toBe("ok");
    expect(mine.find((c) => c.id === "hook-runs")?.status, JSON.stringify(mine)).toBe("ok");
  });
});
