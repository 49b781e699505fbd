// `hookpack install --agent claude-code --sandbox` against real files in temp git repos, through the
// built CLI: the sandbox settings are merged into the user's own (their entries kept, ours added
// once), install twice changes nothing, uninstall is byte-identical (file mode included), a user's
// `sandbox.enabled: false` comes back on uninstall, and an edited file loses only our entries.
// `hookpack doctor` then reports each agent's protection level.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { brokerSocketPath, caBundlePath, caCertPath } from "../../broker/paths.js";
import { hookpack } from "../helpers/run.js";
import { snapshotWithModes, useGitProject } from "./git-project.js";

const { box, cli } = useGitProject();
const local = () => join(box().project, ".claude", "settings.local.json");
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const read = (file = local()) => JSON.parse(readFileSync(file, "utf8")) as Json;
const mode = (file: string) => statSync(file).mode & 0o777;

// The user's own sandbox settings, four-space indented, the sandbox switched off.
const USER_SANDBOX = `{
    "model": "opus",
    "sandbox": {
        "enabled": false,
        "excludedCommandsNote": "kept as is",
        "filesystem": {
            "denyRead": ["~/private"],
            "allowWrite": ["/var/tmp/build"]
        },
        "credentials": {
            "envVars": [{ "name": "GITHUB_TOKEN", "mode": "mask", "injectHosts": ["api.github.com"] }]
        }
    },
    "permissions": { "allow": ["Bash(ls:*)"] }
}
`;

const STARTING: Record<string, string | null> = {
  "no settings file": null,
  "settings without a sandbox": `${JSON.stringify({ model: "opus", permissions: { allow: ["Bash(ls:*)"] } }, null, 2)}\n`,
  "the user's own sandbox, switched off": USER_SANDBOX,
  "CRLF, tabs, no final newline":
    '{\r\n\t"sandbox": {\r\n\t\t"network": {\r\n\t\t\t"allowedDomains": ["example.org"]\r\n\t\t}\r\n\t}\r\n}',
};

describe("install --sandbox (Claude Code)", () => {
  it.each(Object.entries(STARTING))(
    "%s: merged once, install twice = no change, uninstall byte-identical with the mode kept",
    async (_name, original) => {
      const b = box();
      if (original !== null) {
        mkdirSync(join(b.project, ".claude"));
        writeFileSync(local(), original);
        chmodSync(local(), 0o600);
      }
      const before = snapshotWithModes(b.project);
      const first = await cli([
        "install",
        "--agent",
        "claude-code",
        "--scope",
        "local",
        "--sandbox",
      ]);
      expect(first.exitCode, first.stderr).toBe(0);
      // install says why.
      expect(first.stdout).toMatch(
        /sandbox is configured in \.claude\/settings\.local\.json \(--sandbox\), because hookpack's hooks are text checks/,
      );
      expect(first.stdout).toContain(b.hookpackHome);
      const s = read();
      expect(s.sandbox.enabled).toBe(true);
      expect(s.sandbox.failIfUnavailable).toBe(true);
      expect(s.sandbox.allowUnsandboxedCommands).toBe(false);
      expect(s.sandbox.filesystem.denyRead).toContain(b.hookpackHome);
      expect(s.sandbox.filesystem.denyWrite).toContain(b.hookpackHome);
      expect(s.sandbox.filesystem.denyRead).toEqual(
        expect.arrayContaining(["**/.env", "**/.env.*", "**/*.pem"]),
      );
      expect(s.sandbox.filesystem.allowRead).toEqual(
        expect.arrayContaining([
          brokerSocketPath(b.hookpackHome),
          join(b.hookpackHome, "runtime"),
          "**/.env.example",
        ]),
      );
      // Nothing else of HOOKPACK_HOME is re-opened.
      for (const p of s.sandbox.filesystem.allowRead as string[])
        if (p.startsWith(b.hookpackHome))
          expect([
            brokerSocketPath(b.hookpackHome),
            join(b.hookpackHome, "runtime"),
            caCertPath(b.hookpackHome),
            caBundlePath(b.hookpackHome),
          ]).toContain(p);
      expect(s.sandbox.network.allowUnixSockets).toEqual([brokerSocketPath(b.hookpackHome)]);
      expect(s.sandbox.credentials.files).toEqual(
        expect.arrayContaining([
          { path: "~/.aws/credentials", mode: "deny" },
          { path: "~/.netrc", mode: "deny" },
        ]),
      );
      expect(s.hooks.PreToolUse).toHaveLength(1);
      if (original !== null) expect(mode(local())).toBe(0o600);

      const installed = snapshotWithModes(b.project);
      const second = await cli([
        "install",
        "--agent",
        "claude-code",
        "--scope",
        "local",
        "--sandbox",
      ]);
      expect(second.stdout).toMatch(/already installed; nothing to change/);
      expect(snapshotWithModes(b.project)).toEqual(installed);
      // install without --sandbox leaves the sandbox settings alone.
      expect((await cli(["install", "--agent", "claude-code", "--scope", "local"])).stdout).toMatch(
        /nothing to change/,
      );

      const removed = await cli(["uninstall", "--agent", "claude-code"]);
      expect(removed.exitCode, removed.stderr).toBe(0);
      expect(snapshotWithModes(b.project)).toEqual(before);
    },
  );

  it("keeps the user's entries and settings, says it turned the sandbox on, and uninstall turns it off again", async () => {
    const b = box();
    mkdirSync(join(b.project, ".claude"));
    writeFileSync(local(), USER_SANDBOX);
    const r = await cli(["install", "--agent", "claude-code", "--scope", "local", "--sandbox"]);
    expect(r.stdout).toMatch(
      /sandbox\.enabled was false in \.claude\/settings\.local\.json; --sandbox turns it on \(uninstall turns it off again\)/,
    );
    const s = read();
    expect(s.sandbox.filesystem.denyRead[0]).toBe("~/private");
    expect(s.sandbox.filesystem.allowWrite).toEqual(["/var/tmp/build"]);
    expect(s.sandbox.excludedCommandsNote).toBe("kept as is");
    // The user's own mask for GITHUB_TOKEN is kept, not doubled by our deny.
    const gh = (s.sandbox.credentials.envVars as Json[]).filter((e) => e.name === "GITHUB_TOKEN");
    expect(gh).toEqual([{ name: "GITHUB_TOKEN", mode: "mask", injectHosts: ["api.github.com"] }]);
    expect(s.permissions).toEqual({ allow: ["Bash(ls:*)"] });
    // Keys outside `sandbox` keep their bytes.
    expect(
      readFileSync(local(), "utf8").startsWith(
        '{\n    "model": "opus",\n    "sandbox": {\n        "enabled": true,',
      ),
    ).toBe(true);
    await cli(["uninstall", "--agent", "claude-code"]);
    expect(readFileSync(local(), "utf8")).toBe(USER_SANDBOX);
  });

  it("after the user edits the file, uninstall removes only our sandbox entries and restores enabled:false", async () => {
    const b = box();
    mkdirSync(join(b.project, ".claude"));
    writeFileSync(local(), USER_SANDBOX);
    await cli(["install", "--agent", "claude-code", "--scope", "local", "--sandbox"]);
    const edited = read();
    edited.sandbox.filesystem.denyRead.push("~/later");
    edited.theme = "dark";
    writeFileSync(local(), `${JSON.stringify(edited, null, 2)}\n`);
    expect((await cli(["uninstall", "--agent", "claude-code"])).exitCode).toBe(0);
    const after = read();
    expect(after.sandbox.enabled).toBe(false);
    expect(after.sandbox.filesystem.denyRead).toEqual(["~/private", "~/later"]);
    expect(after.sandbox.filesystem.allowWrite).toEqual(["/var/tmp/build"]);
    expect(after.sandbox.failIfUnavailable).toBeUndefined();
    expect(after.sandbox.allowUnsandboxedCommands).toBeUndefined();
    expect(after.sandbox.network).toBeUndefined();
    expect(after.sandbox.filesystem.allowRead).toBeUndefined();
    expect(after.sandbox.credentials.files).toBeUndefined();
    expect(after.sandbox.credentials.envVars).toEqual([
      { name: "GITHUB_TOKEN", mode: "mask", injectHosts: ["api.github.com"] },
    ]);
    expect(after.theme).toBe("dark");
    expect(after.hooks).toBeUndefined();
  });

  it("refuses a sandbox member of the wrong shape and changes nothing", async () => {
    const b = box();
    mkdirSync(join(b.project, ".claude"));
    const bad = `${JSON.stringify({ sandbox: { filesystem: { denyRead: "~/x" } } }, null, 2)}\n`;
    writeFileSync(local(), bad);
    const before = snapshotWithModes(b.project);
    const r = await cli(["install", "--agent", "claude-code", "--scope", "local", "--sandbox"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^hookpack: .*sandbox\.filesystem\.denyRead` is not an array; nothing was changed/m,
    );
    expect(snapshotWithModes(b.project)).toEqual(before);
  });

  it("--scope user writes no project-relative globs, and says so for agents without a sandbox", async () => {
    const b = box();
    const r = await cli([
      "install",
      "--agent",
      "claude-code,gemini",
      "--scope",
      "user",
      "--sandbox",
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const s = read(join(b.home, ".claude", "settings.json"));
    expect(s.sandbox.filesystem.denyRead).toContain(b.hookpackHome);
    expect((s.sandbox.filesystem.denyRead as string[]).some((p) => p.startsWith("**/"))).toBe(
      false,
    );
    expect(r.stdout).toMatch(/Gemini CLI: --sandbox has nothing to configure .* "hooks only"/);
    await cli(["uninstall", "--agent", "claude-code,gemini", "--scope", "user"]);
  });
});

const codexConfig = () => join(box().project, ".codex", "config.toml");
const CODEX_STARTING: Record<string, string | null> = {
  "no config.toml": null,
  "a config with tables and comments":
    '# my settings\nmodel = "gpt-x"\n\n[projects."/x"]\ntrust_level = "trusted" # keep\n',
  "CRLF, no final newline": 'model = "gpt-x"\r\n[tui]\r\nanimations = false',
};

describe("install --sandbox (Codex CLI permission profile)", () => {
  it.each(Object.entries(CODEX_STARTING))(
    "%s: two marked blocks, install twice = no change, uninstall byte-identical",
    async (_name, original) => {
      const b = box();
      if (original !== null) {
        mkdirSync(join(b.project, ".codex"));
        writeFileSync(codexConfig(), original);
        chmodSync(codexConfig(), 0o600);
      }
      mkdirSync(join(b.home, ".aws"), { recursive: true });
      const before = snapshotWithModes(b.project);
      const r = await cli(["install", "--agent", "codex", "--sandbox"]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /Codex CLI's sandbox: \.codex\/config\.toml now selects the permission profile "hookpack" .* because hookpack's hooks are text checks/,
      );
      const text = readFileSync(codexConfig(), "utf8");
      const { parse } = await import("smol-toml");
      const doc = parse(text) as Json;
      expect(doc.default_permissions).toBe("hookpack");
      expect(doc.permissions.hookpack.extends).toBe(":workspace");
      expect(doc.permissions.hookpack.filesystem[b.hookpackHome]).toBe("none");
      expect(doc.permissions.hookpack.filesystem[join(b.home, ".aws", "credentials")]).toBe("none");
      // A file under a folder that does not exist is left out (Codex 0.169 cannot always mount a placeholder there).
      expect(doc.permissions.hookpack.filesystem[join(b.home, ".kube", "config")]).toBeUndefined();
      expect(doc.shell_environment_policy.exclude).toEqual(
        expect.arrayContaining(["GITHUB_TOKEN", "HOOKPACK_PASSPHRASE"]),
      );
      expect(doc.permissions.hookpack.filesystem[":project_roots"]).toMatchObject({
        ".": "write",
        "**/.env": "none",
        "**/*.pem": "none",
      });
      if (original !== null) {
        // Everything the user wrote is still there, byte for byte, between our two blocks.
        expect(text).toContain(original.replace(/\r?\n$/, ""));
        expect(mode(codexConfig())).toBe(0o600);
      }
      const installed = snapshotWithModes(b.project);
      expect((await cli(["install", "--agent", "codex", "--sandbox"])).stdout).toMatch(
        /nothing to change/,
      );
      expect(snapshotWithModes(b.project)).toEqual(installed);
      expect((await cli(["uninstall", "--agent", "codex"])).exitCode).toBe(0);
      expect(snapshotWithModes(b.project)).toEqual(before);
    },
  );

  it.each([
    [
      "sandbox_mode",
      'sandbox_mode = "workspace-write"\n',
      /sets sandbox_mode, and Codex ignores permission profiles while any config layer does; nothing was changed/,
    ],
    [
      "another profile",
      'default_permissions = ":workspace"\n',
      /already selects a permission profile/,
    ],
    [
      "a profile named hookpack",
      '[permissions.hookpack]\nextends = ":read-only"\n',
      /already defines \[permissions\.hookpack\]/,
    ],
  ])("refuses a config.toml with %s and changes nothing", async (_name, original, why) => {
    const b = box();
    mkdirSync(join(b.project, ".codex"));
    writeFileSync(codexConfig(), original);
    const before = snapshotWithModes(b.project);
    const r = await cli(["install", "--agent", "codex", "--sandbox"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(snapshotWithModes(b.project)).toEqual(before);
  });
});

describe("doctor: protection per agent", () => {
  const doctor = async () => {
    const b = box();
    const r = await hookpack(["doctor", "--json", "--no-run"], { cwd: b.project, env: b.env });
    return JSON.parse(r.stdout) as { protection: Json[]; checks: Json[] };
  };
  const claude = (report: { protection: Json[] }) =>
    report.protection.find((p) => p.agent === "claude-code");

  it("Claude Code without a sandbox: hooks only, and the check says how to add one", async () => {
    await cli(["install", "--agent", "claude-code", "--scope", "local"]);
    const report = await doctor();
    expect(claude(report)).toMatchObject({
      protection: "hooks only",
      sandbox: "absent",
      holds: ["hooks only"],
    });
    const check = report.checks.find((c) => c.id === "sandbox" && c.agent === "claude-code");
    expect(check).toMatchObject({
      status: "info",
      fix: "hookpack install --agent claude-code --sandbox",
    });
  });

  it.each([
    ["the sandbox switched off", (s: Json) => (s.sandbox.enabled = false), /not enabled/, "absent"],
    [
      "allowUnsandboxedCommands back on",
      (s: Json) => (s.sandbox.allowUnsandboxedCommands = true),
      /allowUnsandboxedCommands is not false/,
      "broken",
    ],
    [
      "failIfUnavailable removed",
      (s: Json) => delete s.sandbox.failIfUnavailable,
      /failIfUnavailable is not true/,
      "broken",
    ],
    [
      "HOOKPACK_HOME dropped from denyRead",
      (s: Json) => (s.sandbox.filesystem.denyRead = ["~/.ssh/id_*"]),
      /denyRead does not cover/,
      "broken",
    ],
    [
      "the store re-opened by allowRead",
      (s: Json) => s.sandbox.filesystem.allowRead.push(join(box().hookpackHome, "store.key")),
      /allowRead re-opens .*store\.key/,
      "broken",
    ],
    [
      "an excluded command",
      (s: Json) => (s.sandbox.excludedCommands = ["docker *"]),
      /excludedCommands runs 1 command pattern/,
      "broken",
    ],
    [
      "every unix socket allowed",
      (s: Json) => (s.sandbox.network.allowAllUnixSockets = true),
      /allowAllUnixSockets opens every unix socket/,
      "broken",
    ],
  ])("Claude Code with %s is reported (hooks only)", async (_name, breakIt, why, state) => {
    await cli(["install", "--agent", "claude-code", "--scope", "local", "--sandbox"]);
    const good = claude(await doctor());
    expect(good?.protection).toBe("sandboxed");
    const s = read();
    breakIt(s);
    writeFileSync(local(), `${JSON.stringify(s, null, 2)}\n`);
    const report = await doctor();
    expect(claude(report)).toMatchObject({ protection: "hooks only", sandbox: state });
    expect(claude(report)!.reasons.join("; ")).toMatch(why);
    const check = report.checks.find((c) => c.id === "sandbox" && c.agent === "claude-code");
    expect(check?.status).toBe(state === "broken" ? "warn" : "info");
  });

  it("Codex CLI: hooks only without the profile; sandboxed with it; broken when a layer sets sandbox_mode", async () => {
    const b = box();
    await cli(["install", "--agent", "codex"]);
    const codex = async () => (await doctor()).protection.find((p) => p.agent === "codex");
    expect(await codex()).toMatchObject({ protection: "hooks only", sandbox: "absent" });
    await cli(["install", "--agent", "codex", "--sandbox"]);
    expect(await codex()).toMatchObject({ protection: "sandboxed", sandbox: "configured" });
    mkdirSync(join(b.home, ".codex"), { recursive: true });
    writeFileSync(join(b.home, ".codex", "config.toml"), 'sandbox_mode = "danger-full-access"\n');
    const broken = await codex();
    expect(broken).toMatchObject({ protection: "hooks only", sandbox: "broken" });
    expect(broken!.reasons.join("; ")).toMatch(
      /sets sandbox_mode, so Codex ignores permission profiles/,
    );
  });

  it.each(["gemini", "copilot", "cline", "opencode", "cursor", "windsurf", "qwen"])(
    "%s: hooks only (no sandbox hookpack can configure), an inject policy adds brokered",
    async (agent) => {
      await cli(["install", "--agent", agent, "--scope", "project"]);
      const row = (await doctor()).protection.find((p) => p.agent === agent);
      expect(row).toMatchObject({
        protection: "hooks only",
        sandbox: "unsupported",
        holds: ["hooks only"],
      });
      const policy = {
        version: 1,
        secrets: {
          API: {
            provider: "store",
            inject: {
              hosts: ["api.example.org"],
              header: "Authorization",
              format: "Bearer {value}",
            },
          },
        },
      };
      writeFileSync(join(box().project, "hookpack.json"), `${JSON.stringify(policy, null, 2)}\n`);
      const again = (await doctor()).protection.find((p) => p.agent === agent);
      expect(again).toMatchObject({ protection: "brokered", holds: ["brokered", "hooks only"] });
    },
  );
});
