// `hookpack doctor` probes each agent's registered hook in that agent's own wire format
// (Adapter.probe): for every agent, a healthy install is reported ok, and a hook that is broken
// (exits 1, prints garbage, answers nothing without reading the payload, fails open, or whose
// runtime is missing) is reported as broken. Real processes: dist/hookpack.cjs install and doctor
// in a temp project with a temp HOME and HOOKPACK_HOME.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADAPTERS } from "../../adapters/index.js";
import type { AgentId } from "../../hooks/event.js";
import { mapStrings } from "../../core/json-walk.js";
import { assertBuilt } from "../broker/helpers.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

interface Check {
  id: string;
  status: "ok" | "info" | "warn" | "fail";
  message: string;
  agent?: string;
  fix?: string;
}

let sb: Sandbox | undefined;
beforeAll(assertBuilt);
afterEach(() => sb?.cleanup());

const AGENTS = Object.keys(ADAPTERS) as AgentId[];

function setup(): Record<string, string> {
  sb = sandbox();
  execFileSync("git", ["init", "-q", "-b", "main"], {
    cwd: sb.project,
    env: { ...process.env, ...sb.env },
  });
  return {
    ...sb.env,
    HOOKPACK_KEY_BACKEND: "file",
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(sb.root, "no-bus")}`,
  };
}

async function doctorChecks(env: Record<string, string>, agent: AgentId): Promise<Check[]> {
  const r = await hookpack(["doctor", "--json"], { cwd: sb!.project, env });
  const report = JSON.parse(r.stdout) as { checks: Check[]; attention: number };
  expect(r.exitCode).toBe(report.attention > 0 ? 1 : 0);
  for (const c of report.checks)
    if (c.status === "warn" || c.status === "fail") expect(c.fix, c.message).toBeTruthy();
  return report.checks.filter((c) => c.agent === agent);
}

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === ".git") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else out.push(path);
  }
  return out;
}

/** Points every registered hook command of `agent` at `command` (which must still read `hookpack hook <agent>`). */
function replaceHookCommand(agent: AgentId, command: (original: string) => string): number {
  const ours = new RegExp(`hookpack(\\.cjs)?"?\\s+hook\\s+${agent}(\\s|$)`);
  let changed = 0;
  for (const file of [...files(sb!.project), ...files(sb!.home)]) {
    const text = readFileSync(file, "utf8");
    if (!/hook/.test(text)) continue;
    let next: string;
    if (file.endsWith(".json")) {
      next = `${JSON.stringify(
        mapStrings(JSON.parse(text), (s) => (ours.test(s) ? command(s) : s)),
        null,
        2,
      )}\n`;
    } else {
      // Hook files (Cline) and the OpenCode plugin: the `exec <command>` line is what runs.
      next = text.replace(/^exec (.+)$/gm, (_, c: string) => `exec ${command(c)}`);
    }
    if (next !== text) {
      writeFileSync(file, next);
      changed++;
    }
  }
  return changed;
}

function script(name: string, body: string): string {
  const path = join(sb!.root, `${name}.sh`);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  return path;
}

const runs = (checks: Check[]) => checks.filter((c) => c.id === "hook-runs");

describe.each(AGENTS)("hookpack doctor probes %s in its own wire format", (agent) => {
  const name = ADAPTERS[agent].displayName;

  it("a healthy hook is ok; a hook that exits 1, prints garbage, answers without reading, or fails open is broken", async () => {
    const env = setup();
    const r = await hookpack(["install", "--agent", agent], { cwd: sb!.project, env });
    expect(r.exitCode, r.stderr).toBe(0);

    const healthy = runs(await doctorChecks(env, agent));
    expect(healthy.length).toBeGreaterThan(0);
    for (const c of healthy) expect(c.status, c.message).toBe("ok");
    expect(healthy[0]!.message).toContain(`harmless ${name} call`);

    // The variants keep `hookpack hook <agent>` in the command line, so doctor still sees them as hookpack's.
    const variants: Array<[string, string, RegExp]> = [
      ["exits 1", script("exit1", 'cat >/dev/null; echo "broken runtime" >&2; exit 1'), /exit 1/],
      [
        "garbage",
        script("garbage", "cat >/dev/null; echo 'this is not json'; exit 0"),
        new RegExp(agent === "windsurf" ? "does not read" : "not JSON"),
      ],
      ["silent", script("silent", "cat >/dev/null; exit 0"), /does not read/],
      // hookpack's own failure notice at exit 0 (how a hook fails open for Copilot and Cline)
      [
        "fails open",
        script(
          "failopen",
          "cat >/dev/null; echo 'hookpack: the store cannot be read. The call was let through because it carries no secret reference and nothing that looks like a secret. Run `hookpack doctor` to find the cause.' >&2; exit 0",
        ),
        /let it through/,
      ],
    ];
    for (const [label, path] of variants) {
      const original = new Map<string, string>();
      expect(
        replaceHookCommand(
          agent,
          (c) => (original.set(path, c), `sh ${path} hookpack hook ${agent}`),
        ),
        label,
      ).toBeGreaterThan(0);
      const broken = runs(await doctorChecks(env, agent));
      expect(broken.length, label).toBeGreaterThan(0);
      const [, , why] = variants.find(([l]) => l === label)!;
      for (const c of broken) {
        expect(c.status, `${label}: ${c.message}`).toBe("fail");
        expect(c.message, label).toMatch(why);
        expect(c.message, label).toContain(name);
      }
      // Back to the real hook for the next variant.
      replaceHookCommand(agent, () => original.get(path)!);
    }
    for (const c of runs(await doctorChecks(env, agent))) expect(c.status, c.message).toBe("ok");

    // The runtime is gone: the command cannot start.
    renameSync(join(sb!.hookpackHome, "runtime"), join(sb!.hookpackHome, "runtime-moved"));
    const missing = (await doctorChecks(env, agent)).filter((c) => c.id === "hook-command");
    expect(missing.length).toBeGreaterThan(0);
    for (const c of missing) {
      expect(c.status, c.message).toBe("fail");
      expect(c.message).toMatch(/does not exist/);
    }
  }, 180_000);
});
