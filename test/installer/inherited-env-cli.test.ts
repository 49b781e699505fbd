// The inherited environment from the user's side, through the real CLI: `doctor` finds secrets
// exported from shell profiles (names, files, lines; never values), `secret import --env` moves
// them into the store, and `hookpack run -- <agent>` starts an agent without them.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

let sb: Sandbox | undefined;
afterEach(() => sb?.cleanup());
const t = fakeTokens(44);
const value = "Kp4vR8xN2mQ7wZ3tB9cL";

describe("the inherited environment: doctor, secret import --env, run", () => {
  it("doctor names secrets exported from .bashrc, .zshrc and fish config, and says how to move them; no value in its output", async () => {
    sb = sandbox();
    writeFileSync(
      join(sb.home, ".bashrc"),
      `alias ll='ls -l'\nexport OPENAI_API_KEY="${value}"\nexport EDITOR=vim\nexport SSH_AUTH_SOCK=/tmp/agent.sock\n`,
    );
    writeFileSync(
      join(sb.home, ".zshrc"),
      `export BUILD_LABEL=${t.github}\nexport TOKEN_FROM_CMD=$(pass show x)\n`,
    );
    mkdirSync(join(sb.home, ".config", "fish"), { recursive: true });
    writeFileSync(
      join(sb.home, ".config", "fish", "config.fish"),
      `set -gx DB_PASSWORD '${value}x'\n`,
    );
    const r = await hookpack(["doctor", "--json"], { env: sb.env, cwd: sb.project });
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ id: string; status: string; message: string; fix?: string }>;
    };
    const check = report.checks.find((c) => c.id === "shell-profiles");
    expect(check?.status, r.stdout.slice(0, 2000)).toBe("warn");
    expect(check!.message).toContain(`OPENAI_API_KEY (${join(sb.home, ".bashrc")}:2)`);
    expect(check!.message).toContain(`BUILD_LABEL (${join(sb.home, ".zshrc")}:1)`);
    expect(check!.message).toContain("DB_PASSWORD");
    for (const harmless of ["EDITOR", "SSH_AUTH_SOCK", "TOKEN_FROM_CMD"])
      expect(check!.message).not.toContain(harmless);
    expect(check!.fix).toContain(
      "hookpack secret import --env OPENAI_API_KEY BUILD_LABEL DB_PASSWORD",
    );
    expect(
      r.stdout.includes(value) || r.stdout.includes(t.github) || r.stderr.includes(value),
    ).toBe(false);
  }, 60_000);

  it("doctor: clean profiles are ok", async () => {
    sb = sandbox();
    writeFileSync(join(sb.home, ".bashrc"), "export EDITOR=vim\nexport PATH=$HOME/bin:$PATH\n");
    const r = await hookpack(["doctor", "--json"], { env: sb.env, cwd: sb.project });
    const report = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string }> };
    expect(report.checks.find((c) => c.id === "shell-profiles")?.status).toBe("ok");
  }, 60_000);

  it("secret import --env stores the values under their names (then the hook redacts them as managed); refuses unset names without a partial import", async () => {
    sb = sandbox();
    const env = { ...sb.env, HOOKPACK_KEY_BACKEND: "file", MY_SERVICE_TOKEN: value };
    const bad = await hookpack(["secret", "import", "--env", "MY_SERVICE_TOKEN", "NOT_SET_HERE"], {
      env,
      cwd: sb.project,
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("NOT_SET_HERE is not set");
    const list0 = await hookpack(["secret", "list", "--json"], { env, cwd: sb.project });
    expect(list0.stdout).not.toContain("MY_SERVICE_TOKEN");
    const ok = await hookpack(["secret", "import", "--env", "MY_SERVICE_TOKEN"], {
      env,
      cwd: sb.project,
    });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain(value);
    const list = await hookpack(["secret", "list", "--json"], { env, cwd: sb.project });
    expect(list.stdout).toContain("MY_SERVICE_TOKEN");
    // Now a managed secret: redacted in output even by a hook that did not inherit the variable.
    const post = {
      session_id: "s",
      cwd: sb.project,
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "cat x" },
      tool_response: {
        stdout: `v=${Buffer.from(value).toString("base64")}`,
        stderr: "",
        interrupted: false,
        isImage: false,
      },
    };
    const h = await hookpack(["hook", "claude-code"], {
      input: JSON.stringify(post),
      env: { ...sb.env },
      cwd: sb.project,
    });
    expect(h.stdout).toContain("[REDACTED:MY_SERVICE_TOKEN]");
  }, 60_000);

  it("run -- <agent> starts it without secret variables (by name and by detection), keeps the agent's own credential, never prints a value; --import stores them first", async () => {
    sb = sandbox();
    const env = {
      ...sb.env,
      HOOKPACK_KEY_BACKEND: "file",
      MY_SERVICE_TOKEN: value,
      BUILD_LABEL: t.npm,
      ANTHROPIC_API_KEY: `${value}-own`,
      PLAIN: "hello",
    };
    // A fake agent named claude: a script that prints its environment's names and whether values are there.
    const bin = join(sb.root, "bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "claude"),
      `#!/bin/sh\nfor n in MY_SERVICE_TOKEN BUILD_LABEL ANTHROPIC_API_KEY PLAIN; do eval "v=\\\${$n-UNSET}"; [ "$v" = UNSET ] && echo "$n=unset" || echo "$n=set"; done\n`,
      { mode: 0o755 },
    );
    const r = await hookpack(["run", "--", join(bin, "claude"), "-p", "hi"], {
      env,
      cwd: sb.project,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("MY_SERVICE_TOKEN=unset");
    expect(r.stdout).toContain("BUILD_LABEL=unset");
    expect(r.stdout).toContain("ANTHROPIC_API_KEY=set");
    expect(r.stdout).toContain("PLAIN=set");
    expect(r.stderr).toContain("started without BUILD_LABEL, MY_SERVICE_TOKEN");
    expect(r.stderr).toContain("kept ANTHROPIC_API_KEY");
    expect(r.stderr).toMatch(/CLAUDE_CODE_SUBPROCESS_ENV_SCRUB/);
    for (const v of [value, t.npm])
      expect(r.stdout.includes(v) || r.stderr.includes(v)).toBe(false);

    const imported = await hookpack(["run", "--import", "--", join(bin, "claude")], {
      env,
      cwd: sb.project,
    });
    expect(imported.exitCode, imported.stderr).toBe(0);
    const list = await hookpack(["secret", "list"], { env, cwd: sb.project });
    expect(list.stdout).toContain("MY_SERVICE_TOKEN");
    expect(list.stdout).toContain("BUILD_LABEL");
    expect(list.stdout).not.toContain("ANTHROPIC_API_KEY");
  }, 60_000);

  it("run: the agent's exit code comes back; a missing agent is a clear error", async () => {
    sb = sandbox();
    const r = await hookpack(["run", "--", "sh", "-c", "exit 7"], { env: sb.env, cwd: sb.project });
    expect(r.exitCode).toBe(7);
    const missing = await hookpack(["run", "--", "no-such-agent-xyz"], {
      env: sb.env,
      cwd: sb.project,
    });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^hookpack: cannot start no-such-agent-xyz/m);
  }, 60_000);
});
