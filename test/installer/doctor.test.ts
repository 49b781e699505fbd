// `hookpack doctor` in temp projects: healthy, half-installed, and broken in each way it claims to
// detect. Real processes (dist/hookpack.cjs), real git, the real registered hook command.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { recordAudit } from "../../broker/audit.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { assertBuilt } from "../broker/helpers.js";
import { hookCacheAsV4 } from "../../broker/hook-cache.js";

interface Check {
  id: string;
  status: "ok" | "info" | "warn" | "fail";
  message: string;
  fix?: string;
  scope?: string;
  agent?: string;
}
interface Report {
  version: 1;
  checks: Check[];
  attention: number;
}

let sb: Sandbox;
let env: Record<string, string>;
beforeAll(assertBuilt);
afterEach(() => sb?.cleanup());

function setup(): void {
  sb = sandbox();
  env = {
    ...sb.env,
    HOOKPACK_KEY_BACKEND: "file",
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(sb.root, "no-bus")}`,
  };
  execFileSync("git", ["init", "-q", "-b", "main"], {
    cwd: sb.project,
    env: { ...process.env, ...env },
  });
  writeFileSync(join(sb.project, "package.json"), '{ "name": "demo", "version": "1.0.0" }\n');
}

async function install(...extra: string[]): Promise<void> {
  const r = await hookpack(["install", "--agent", "claude-code", ...extra], {
    cwd: sb.project,
    env,
  });
  expect(r.exitCode, r.stderr).toBe(0);
}

async function doctor(
  extraEnv: Record<string, string> = {},
): Promise<{ exit: number | null; report: Report; text: string }> {
  const r = await hookpack(["doctor", "--json"], { cwd: sb.project, env: { ...env, ...extraEnv } });
  const report = JSON.parse(r.stdout) as Report;
  // Every problem comes with one concrete fix, and the exit code follows attention.
  for (const c of report.checks)
    if (c.status === "warn" || c.status === "fail") expect(c.fix, c.message).toBeTruthy();
  expect(r.exitCode).toBe(report.attention > 0 ? 1 : 0);
  const human = await hookpack(["doctor", "--no-run"], {
    cwd: sb.project,
    env: { ...env, ...extraEnv },
  });
  expect(
    human.stdout
      .split("\n")
      .filter(Boolean)
      .every((l) => l.startsWith("hookpack:")),
  ).toBe(true);
  return { exit: r.exitCode, report, text: human.stdout };
}

const find = (r: Report, id: string, status?: Check["status"]) =>
  r.checks.filter((c) => c.id === id && (!status || c.status === status));
const settingsFile = () => join(sb.project, ".claude", "settings.local.json");
const settings = () =>
  JSON.parse(readFileSync(settingsFile(), "utf8")) as {
    hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>>;
  } & Record<string, unknown>;

describe("hookpack doctor", () => {
  it("a healthy project: everything registered, runnable, covered; exit 0", async () => {
    setup();
    await install();
    const { exit, report, text } = await doctor();
    expect(report.checks.filter((c) => c.status === "warn" || c.status === "fail")).toEqual([]);
    expect(exit).toBe(0);
    expect(find(report, "hooks", "ok")).toHaveLength(1);
    expect(find(report, "hook-command", "ok")).toHaveLength(1);
    expect(find(report, "hook-runs", "ok")).toHaveLength(1);
    expect(find(report, "pre-push", "ok")).toHaveLength(1);
    expect(find(report, "ignore-files", "ok")).toHaveLength(1);
    expect(text).toContain("hookpack: everything checked is in order.");
  });

  it("a project without hookpack: not registered, no ignore block, no pre-push; one fix each", async () => {
    setup();
    const { exit, report } = await doctor();
    expect(exit).toBe(1);
    expect(find(report, "hooks", "warn")[0]!.fix).toBe("hookpack install --agent claude-code");
    expect(find(report, "ignore-files", "warn").length).toBeGreaterThan(0);
    expect(find(report, "pre-push", "warn")).toHaveLength(1);
  });

  it("half-installed: one event missing", async () => {
    setup();
    await install();
    const s = settings();
    delete s.hooks.PostToolUse;
    writeFileSync(settingsFile(), JSON.stringify(s, null, 2));
    const { report } = await doctor();
    const c = find(report, "hooks", "fail")[0]!;
    expect(c.message).toContain("half-installed");
    expect(c.message).toContain("PostToolUse missing");
    expect(c.fix).toBe("hookpack install --agent claude-code --scope local");
  });

  it("hooks switched off, and registered in two scopes", async () => {
    setup();
    await install();
    await install("--scope", "project");
    const s = settings();
    s.disableAllHooks = true;
    writeFileSync(settingsFile(), JSON.stringify(s, null, 2));
    const { report } = await doctor();
    expect(find(report, "hooks-disabled", "fail")).toHaveLength(1);
    expect(find(report, "hooks-duplicated", "warn")[0]!.fix).toMatch(
      /^hookpack uninstall --agent claude-code --scope /,
    );
  });

  it("a hook command that cannot start: missing node, npx", async () => {
    setup();
    await install();
    const s = settings();
    const original = s.hooks.PreToolUse![0]!.hooks[0]!.command;
    for (const groups of Object.values(s.hooks))
      for (const g of groups)
        for (const h of g.hooks)
          h.command = h.command.replace(/^"[^"]+"/, '"/nonexistent/bin/node"');
    writeFileSync(settingsFile(), JSON.stringify(s, null, 2));
    let { report } = await doctor();
    expect(find(report, "hook-command", "fail")[0]!.message).toContain("/nonexistent/bin/node");
    for (const groups of Object.values(s.hooks))
      for (const g of groups)
        for (const h of g.hooks) h.command = "npx -y hookpack hook claude-code";
    writeFileSync(settingsFile(), JSON.stringify(s, null, 2));
    ({ report } = await doctor());
    expect(find(report, "hook-command", "fail")[0]!.message).toContain("npx");
    expect(original).not.toContain("npx");
  });

  it("a hook that starts but fails, and a runtime that differs from this hookpack", async () => {
    setup();
    await install();
    const script = join(sb.hookpackHome, "runtime", "0.1.0", "hookpack.cjs");
    writeFileSync(script, "process.stderr.write('boom\\n'); process.exit(3);\n");
    const { report } = await doctor();
    const run = find(report, "hook-runs", "fail")[0]!;
    // Issue 14: the installed command verifies the runtime first, so the changed entry never runs
    // (it used to: "exit 3 … (boom)"); the call is blocked with exit 2 and doctor names the change.
    expect(run.message).toContain("exit 2");
    expect(run.message).toContain("the hook runtime in");
    expect(run.message).not.toContain("boom");
    expect(find(report, "runtime", "warn")).toHaveLength(1);
    expect(find(report, "runtime-integrity", "fail")[0]!.message).toContain("hookpack.cjs changed");
  });

  it("pre-push: hook removed, hook not executable; ignore block removed", async () => {
    setup();
    await install();
    const hook = join(sb.project, ".git", "hooks", "pre-push");
    chmodSync(hook, 0o644);
    let { report } = await doctor();
    expect(find(report, "pre-push", "fail")[0]!.fix).toBe(`chmod +x ${hook}`);
    unlinkSync(hook);
    writeFileSync(join(sb.project, ".gitignore"), "node_modules/\n");
    ({ report } = await doctor());
    expect(find(report, "pre-push", "warn")[0]!.message).toContain("does not exist");
    expect(find(report, "ignore-files", "warn")[0]!.message).toContain(".gitignore");
  });

  it("state files holding secret values, and committed agent state", async () => {
    setup();
    await install();
    const t = fakeTokens(7);
    const value = `${"v".repeat(4)}${t.npm.slice(4, 30)}`;
    const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
      input: value,
      env,
      cwd: sb.project,
    });
    expect(set.exitCode, set.stderr).toBe(0);
    mkdirSync(join(sb.project, ".claude"), { recursive: true });
    const s = settings();
    s.permissions = {
      allow: [
        `Bash(curl -H 'Authorization: token ${t.github}' https://api.github.com)`,
        `Bash(deploy --key ${value})`,
      ],
    };
    writeFileSync(settingsFile(), JSON.stringify(s, null, 2));
    writeFileSync(join(sb.project, "CLAUDE.local.md"), "notes\n");
    execFileSync("git", ["add", "-f", "CLAUDE.local.md"], {
      cwd: sb.project,
      env: { ...process.env, ...env },
    });
    const { report, text } = await doctor();
    const held = find(report, "state-files", "fail")[0]!;
    expect(held.message).toContain(".claude/settings.local.json");
    expect(held.message).toContain("DEPLOY_KEY");
    expect(held.message).toContain("GitHub personal access token (classic)");
    expect(find(report, "state-files-committed", "fail")[0]!.fix).toContain(
      "git rm --cached CLAUDE.local.md",
    );
    // Never a value in the report.
    const json = JSON.stringify(report);
    for (const v of [value, t.github]) {
      expect(json).not.toContain(v);
      expect(text).not.toContain(v);
    }
  });

  it("store problems: damaged store, key file readable by others", async () => {
    setup();
    await install();
    const set = await hookpack(["secret", "set", "API_TOKEN"], {
      input: "abcdefgh12345678",
      env,
      cwd: sb.project,
    });
    expect(set.exitCode).toBe(0);
    chmodSync(join(sb.hookpackHome, "store.key"), 0o644);
    let { report } = await doctor();
    expect(find(report, "store", "fail")[0]!.fix).toContain("chmod 600");
    chmodSync(join(sb.hookpackHome, "store.key"), 0o600);
    const store = join(sb.hookpackHome, "store.json");
    writeFileSync(
      store,
      readFileSync(store, "utf8")
        .replace('"created"', '"created" ')
        .replace(/"updated": "[^"]+"/, '"updated": "2000-01-01T00:00:00.000Z"'),
    );
    ({ report } = await doctor());
    expect(find(report, "store", "fail")[0]!.message).toContain("integrity check");
  });

  it("a missing hook cache (stored secrets the hooks could not recognise), and its repair", async () => {
    setup();
    await install();
    expect(
      (
        await hookpack(["secret", "set", "API_TOKEN"], {
          input: "abcdefgh12345678",
          env,
          cwd: sb.project,
        })
      ).exitCode,
    ).toBe(0);
    expect(find((await doctor()).report, "hook-cache", "ok")).toHaveLength(1);
    unlinkSync(join(sb.hookpackHome, "hook-cache.json"));
    unlinkSync(join(sb.hookpackHome, "hook-cache.v5"));
    const { report, exit } = await doctor();
    expect(exit).toBe(1);
    expect(find(report, "hook-cache", "warn")[0]!.fix).toContain("hookpack scan --state");
    expect((await hookpack(["scan", "--state"], { cwd: sb.project, env })).exitCode).not.toBe(2);
    expect(find((await doctor()).report, "hook-cache", "ok")).toHaveLength(1);
  });

  it("an old (version 1–3) hook cache is reported as old, with how to rebuild it, not as missing", async () => {
    setup();
    await install();
    const set = await hookpack(["secret", "set", "API_TOKEN"], {
      input: "abcdefgh12345678",
      env,
      cwd: sb.project,
    });
    expect(set.exitCode).toBe(0);
    const path = join(sb.hookpackHome, "hook-cache.json");
    const current = hookCacheAsV4(readFileSync(path)) as { version: number };
    writeFileSync(path, JSON.stringify({ ...current, version: 3 }));
    const { report, exit } = await doctor();
    expect(exit).toBe(1);
    const warn = find(report, "hook-cache", "warn")[0]!;
    expect(warn.message).toMatch(/older hookpack/);
    expect(warn.message).not.toMatch(/is missing/);
    expect(warn.fix).toContain("hookpack scan --state");
    expect((await hookpack(["scan", "--state"], { cwd: sb.project, env })).exitCode).not.toBe(2);
    expect(find((await doctor()).report, "hook-cache", "ok")).toHaveLength(1);
  });

  it("a damaged hook cache (cut short) is reported as damaged, with how to rebuild it", async () => {
    setup();
    await install();
    const set = await hookpack(["secret", "set", "API_TOKEN"], {
      input: "abcdefgh12345678",
      env,
      cwd: sb.project,
    });
    expect(set.exitCode).toBe(0);
    const path = join(sb.hookpackHome, "hook-cache.json");
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    const { report, exit } = await doctor();
    expect(exit).toBe(1);
    const warn = find(report, "hook-cache", "warn")[0]!;
    expect(warn.message).toMatch(/damaged/);
    expect(warn.message).not.toMatch(/is missing|older hookpack/);
    expect(warn.fix).toContain("hookpack scan --state");
    expect((await hookpack(["scan", "--state"], { cwd: sb.project, env })).exitCode).not.toBe(2);
    expect(find((await doctor()).report, "hook-cache", "ok")).toHaveLength(1);
  });

  it("secrets revoked and exposed; a tampered audit log", async () => {
    setup();
    await install();
    for (const n of ["OLD_TOKEN", "LEAKY_TOKEN"])
      expect(
        (await hookpack(["secret", "set", n], { input: "abcdefgh12345678", env, cwd: sb.project }))
          .exitCode,
      ).toBe(0);
    expect((await hookpack(["revoke", "OLD_TOKEN"], { env, cwd: sb.project })).exitCode).toBe(0);
    recordAudit(sb.hookpackHome, {
      kind: "exposure-found",
      where: "transcript",
      secret: "LEAKY_TOKEN",
      agent: "claude-code",
    });
    let { report } = await doctor();
    expect(find(report, "secret-revoked", "warn")[0]!.message).toContain("OLD_TOKEN");
    expect(find(report, "secret-exposed", "fail")[0]!.fix).toContain("hookpack revoke LEAKY_TOKEN");
    expect(find(report, "audit-log", "ok")).toHaveLength(1);
    const log = join(sb.hookpackHome, "audit", "audit.jsonl");
    writeFileSync(log, readFileSync(log, "utf8").replace("transcript", "somewhere"));
    ({ report } = await doctor());
    expect(find(report, "audit-log", "fail")[0]!.message).toContain("was edited");
  });

  it("Codex hooks that are not trusted yet", async () => {
    setup();
    await install();
    mkdirSync(join(sb.project, ".codex"), { recursive: true });
    const hooksJson = join(sb.project, ".codex", "hooks.json");
    writeFileSync(
      hooksJson,
      JSON.stringify({
        hooks: {
          PreToolUse: [
            {
              matcher: "^Bash$",
              hooks: [{ type: "command", command: "/usr/bin/node /x/hookpack.cjs hook codex" }],
            },
          ],
        },
      }),
    );
    let { report } = await doctor();
    expect(find(report, "codex-trust", "warn")[0]!.fix).toContain("/hooks");
    mkdirSync(join(sb.home, ".codex"), { recursive: true });
    // One entry trusted: the other four are named (UserPromptSubmit, SessionStart: the prompt guard).
    writeFileSync(
      join(sb.home, ".codex", "config.toml"),
      `[hooks.state."${hooksJson}:PreToolUse:0:0"]\ntrusted_hash = "sha256:00"\n`,
    );
    ({ report } = await doctor());
    const partly = find(report, "codex-trust", "warn")[0]!;
    expect(partly.message).toMatch(
      /PostToolUse, SessionEnd, UserPromptSubmit, SessionStart hooks in .* are not trusted yet/,
    );
    expect(partly.fix).toContain(
      "trust hookpack's PostToolUse, SessionEnd, UserPromptSubmit, SessionStart entries",
    );
    const trust = (event: string, hash = 'trusted_hash = "sha256:00"') =>
      `[hooks.state."${hooksJson}:${event}:0:0"]\n${hash}\n`;
    // A state entry without trusted_hash is not trust.
    writeFileSync(
      join(sb.home, ".codex", "config.toml"),
      trust("PreToolUse") +
        trust("PostToolUse") +
        trust("UserPromptSubmit") +
        trust("SessionStart") +
        trust("SessionEnd", "enabled = true"),
    );
    ({ report } = await doctor());
    expect(find(report, "codex-trust", "warn")[0]!.message).toMatch(
      /SessionEnd hook in .* is not trusted yet/,
    );
    writeFileSync(
      join(sb.home, ".codex", "config.toml"),
      trust("PreToolUse") +
        trust("PostToolUse") +
        trust("SessionEnd") +
        trust("UserPromptSubmit") +
        trust("SessionStart"),
    );
    ({ report } = await doctor());
    expect(find(report, "codex-trust", "ok")).toHaveLength(1);
  });

  it("Aider: used here but unprotected, then installed (hookpack-shell, .aiderignore), then started with it", async () => {
    setup();
    // A project where Aider has been used (its history file) and hookpack was never set up for it.
    writeFileSync(join(sb.project, ".aider.chat.history.md"), "# aider chat started\n");
    let { report } = await doctor();
    expect(find(report, "aider-shell", "warn")[0]!.fix).toBe("hookpack install --agent aider");
    expect(find(report, "aider-ignore", "warn")[0]!.fix).toBe("hookpack install --agent aider");
    const r = await hookpack(["install", "--agent", "aider"], { cwd: sb.project, env });
    expect(r.exitCode, r.stderr).toBe(0);
    ({ report } = await doctor());
    const shell = find(report, "aider-shell", "info")[0]!;
    expect(shell.message).toMatch(/SHELL=.*hookpack-shell"? aider/);
    expect(find(report, "aider-ignore", "ok")).toHaveLength(1);
    // Only Aider set up: that is an agent, not "no agent at all".
    expect(find(report, "hooks", "warn")).toEqual([]);
    const wrapper = /SHELL="?([^" ]+hookpack-shell)"? aider/.exec(shell.message)![1]!;
    ({ report } = await doctor({ SHELL: wrapper }));
    expect(find(report, "aider-shell", "ok")).toHaveLength(1);

    // A broken hookpack-shell is reported broken, probed in its own wire format (`-c <cmd>`, as
    // Aider runs every command): one that fails, and one that exits 0 without running the command.
    const good = readFileSync(wrapper, "utf8");
    for (const [label, body, why] of [
      ["exits 1", 'cat >/dev/null; echo "broken runtime" >&2; exit 1', /exit 1 \(broken runtime\)/],
      ["silent", "exit 0", /exited 0 without running/],
    ] as const) {
      writeFileSync(wrapper, `#!/bin/sh\n${body}\n`);
      ({ report } = await doctor({ SHELL: wrapper }));
      const failed = find(report, "aider-shell", "fail");
      expect(failed, label).toHaveLength(1);
      expect(failed[0]!.message, label).toMatch(why);
      expect(failed[0]!.message, label).toContain("Aider");
      expect(find(report, "aider-shell", "ok"), label).toEqual([]);
    }
    writeFileSync(wrapper, good);
    ({ report } = await doctor({ SHELL: wrapper }));
    expect(find(report, "aider-shell", "ok")).toHaveLength(1);
  });

  it("Aider checks stay silent in a project that never used it", async () => {
    setup();
    await install();
    const { report } = await doctor();
    expect(report.checks.filter((c) => c.agent === "aider")).toEqual([]);
  });

  it.runIf(process.versions.node.startsWith("20."))(
    "Node 20 with NODE_EXTRA_CA_CERTS: +47 ms per hook call",
    async () => {
      setup();
      await install();
      const ca = join(sb.root, "ca.pem");
      writeFileSync(ca, "");
      const { report } = await doctor({ NODE_EXTRA_CA_CERTS: ca });
      expect(find(report, "node-extra-ca-certs", "warn")[0]!.message).toContain("+47 ms");
      rmSync(ca);
    },
  );
});
