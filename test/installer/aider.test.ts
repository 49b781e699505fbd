// `hookpack install --agent aider`: no agent config, the per-user runtime copy of hookpack-shell,
// the exact SHELL=… line to start Aider with, .aider* and .env kept out of git and npm; uninstall
// leaves the project byte-identical. Real processes, real git.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, REPO, runCommand, sandbox, type Sandbox } from "../helpers/run.js";
import { snapshotWithModes as snapshot } from "./git-project.js";

const VERSION = (
  JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }
).version;

let sb: Sandbox;
afterEach(() => sb?.cleanup());

function project(): Record<string, string> {
  sb = sandbox();
  const env = { ...sb.env, HOOKPACK_KEY_BACKEND: "file" };
  execFileSync("git", ["init", "-q"], { cwd: sb.project, env: { ...process.env, ...env } });
  writeFileSync(
    join(sb.project, "package.json"),
    `${JSON.stringify({ name: "demo", version: "1.0.0" }, null, 2)}\n`,
  );
  writeFileSync(join(sb.project, ".gitignore"), "node_modules\n");
  writeFileSync(join(sb.project, ".npmignore"), "test/\n");
  return env;
}

describe("hookpack install --agent aider", () => {
  it("prints the SHELL= line for the runtime copy, writes no agent config, keeps .aider* and .env out of git and npm; uninstall is byte-identical", async () => {
    const env = project();
    const before = snapshot(sb.project);
    const r = await hookpack(["install", "--agent", "aider"], { env, cwd: sb.project });
    expect(r.exitCode, r.stderr).toBe(0);
    const wrapper = join(sb.hookpackHome, "runtime", VERSION, "hookpack-shell");
    expect(r.stdout).toContain(`SHELL="${wrapper}" aider`);
    expect(r.stdout).not.toContain("npx");
    expect(statSync(wrapper).mode & 0o777).toBe(0o755);

    // Only hygiene files changed in the project: no agent settings of any kind.
    const after = snapshot(sb.project);
    const changed = Object.keys(after)
      .filter((k) => after[k] !== before[k])
      .sort();
    expect(changed).toEqual([
      ".aiderignore",
      ".git/hooks/pre-push",
      ".gitignore",
      ".npmignore",
      "hookpack.json",
    ]);
    // Aider itself must not be able to /add a credential file.
    const aiderignore = readFileSync(join(sb.project, ".aiderignore"), "utf8").split("\n");
    for (const line of [
      ".env",
      ".env.*",
      "*.pem",
      "id_rsa*",
      ".netrc",
      ".git-credentials",
      ".aider*",
    ])
      expect(aiderignore, line).toContain(line);
    expect(aiderignore).toContain("!**/.env.example");
    for (const file of [".gitignore", ".npmignore"]) {
      const lines = readFileSync(join(sb.project, file), "utf8").split(/\r?\n/);
      expect(lines, file).toContain(".aider.*");
      expect(lines, file).toContain(".env");
    }
    const ignored = (p: string) => {
      try {
        execFileSync("git", ["check-ignore", "-q", p], {
          cwd: sb.project,
          env: { ...process.env, ...env },
        });
        return true;
      } catch {
        return false;
      }
    };
    for (const p of [
      ".aider.chat.history.md",
      ".aider.input.history",
      ".aider.tags.cache.v4/cache.db",
      ".env",
    ])
      expect(ignored(p), p).toBe(true);
    expect(ignored(".aiderignore")).toBe(false);

    // The runtime copy works on its own, as Aider calls it.
    const token = fakeTokens(5).npm;
    // No node on PATH (a GUI-started terminal): the wrapper runs on the node that installed it.
    expect(readFileSync(wrapper, "utf8")).toContain(`"${process.execPath}"`);
    const plain = await runCommand(wrapper, ["-c", "echo ok; exit 2"], {
      env: { ...env, PATH: join(sb.root, "no-bin") },
      cwd: sb.project,
    });
    expect(plain).toMatchObject({ exitCode: 2, stdout: "ok\n" });
    const literal = await runCommand(
      wrapper,
      ["-c", `npm whoami --//registry.npmjs.org/:_authToken=${token}`],
      { env, cwd: sb.project },
    );
    expect(literal.exitCode).toBe(126);
    expect(literal.stdout + literal.stderr).not.toContain(token);

    const again = await hookpack(["install", "--agent", "aider"], { env, cwd: sb.project });
    expect(again.stdout).toContain("already installed");
    expect(again.stdout).toContain(`SHELL="${wrapper}" aider`);

    const u = await hookpack(["uninstall", "--agent", "aider"], { env, cwd: sb.project });
    expect(u.exitCode, u.stderr).toBe(0);
    expect(snapshot(sb.project)).toEqual(before);
  });

  it("a .aiderignore of the user's own keeps every byte: our block is appended and taken out exactly", async () => {
    const env = project();
    const mine = "# mine\r\nbuild/\r\nvendor/**"; // CRLF, no final newline
    writeFileSync(join(sb.project, ".aiderignore"), mine);
    const r = await hookpack(["install", "--agent", "aider"], { env, cwd: sb.project });
    expect(r.exitCode, r.stderr).toBe(0);
    const installed = readFileSync(join(sb.project, ".aiderignore"), "utf8");
    expect(installed.startsWith(mine)).toBe(true);
    expect(installed.split("\r\n")).toContain(".env");
    expect(installed.replace(/\r\n/g, "")).not.toContain("\n");
    const u = await hookpack(["uninstall", "--agent", "aider"], { env, cwd: sb.project });
    expect(u.exitCode, u.stderr).toBe(0);
    expect(readFileSync(join(sb.project, ".aiderignore"), "utf8")).toBe(mine);
  });

  it("is accepted next to hook agents and listed among the known agents", async () => {
    const env = project();
    const bad = await hookpack(["install", "--agent", "nope"], { env, cwd: sb.project });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain("aider");
    const both = await hookpack(["install", "--agent", "claude-code,aider", "--scope", "local"], {
      env,
      cwd: sb.project,
    });
    expect(both.exitCode, both.stderr).toBe(0);
    expect(both.stdout).toContain("SHELL=");
    expect(both.stdout).toContain(".claude/settings.local.json");
  });
});
