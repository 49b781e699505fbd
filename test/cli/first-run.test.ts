// Issue 18, "the first ten minutes": the README's flow as a new user meets it, through the built
// CLI (dist/hookpack.cjs) in temp git projects with their own HOME and HOOKPACK_HOME.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, hookpack, runCommand, sandbox, type Sandbox } from "../helpers/run.js";

const boxes: Sandbox[] = [];
afterEach(() => {
  for (const b of boxes.splice(0)) b.cleanup();
});

function project(): Sandbox {
  const b = sandbox();
  boxes.push(b);
  execFileSync("git", ["init", "-q", "-b", "main"], {
    cwd: b.project,
    env: { ...process.env, ...b.env },
  });
  return b;
}
const cli = (b: Sandbox, args: string[], input?: string, env: Record<string, string> = {}) =>
  hookpack(args, {
    cwd: b.project,
    env: { ...b.env, HOOKPACK_KEY_BACKEND: "file", ...env },
    ...(input !== undefined ? { input } : {}),
  });
const VALUE = ["Vv", "f1rst", "run", "9x8y7z"].join("_");

describe("item 1: a stored secret with no policy entry, `allow`, next steps, doctor", () => {
  it("`secret set` after install says what to do next, and that the name is not declared yet", async () => {
    const b = project();
    expect((await cli(b, ["install", "--agent", "claude-code", "--no-git-hook"])).exitCode).toBe(0);
    const r = await cli(b, ["secret", "set", "GITHUB_TOKEN"], VALUE);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("$secret:GITHUB_TOKEN");
    expect(r.stdout).toMatch(
      /GITHUB_TOKEN is not in .*hookpack\.json yet, so any command may use it and you approve each use/,
    );
    expect(r.stdout).toContain("hookpack allow GITHUB_TOKEN --command");
    expect(r.stdout + r.stderr).not.toContain(VALUE);
    // Setting it again says it replaced the value (not silently).
    const again = await cli(b, ["secret", "set", "GITHUB_TOKEN"], `${VALUE}2`);
    expect(again.stdout).toContain("replaced the value of GITHUB_TOKEN");
  });

  it("`secret set` speaks of the policy in force (the root's, as approved), not a nearer or unapproved file", async () => {
    const b = project();
    const root = join(b.project, "hookpack.json");
    const declare = (...names: string[]) =>
      JSON.stringify({
        version: 1,
        secrets: Object.fromEntries(names.map((n) => [n, { commands: ["gh"] }])),
      });
    writeFileSync(root, declare("GITHUB_TOKEN"));
    // install (run by the user in a terminal) approves the policy as it stands.
    expect((await cli(b, ["install", "--agent", "claude-code", "--no-git-hook"])).exitCode).toBe(0);
    const declared = await cli(b, ["secret", "set", "GITHUB_TOKEN"], VALUE);
    expect(declared.exitCode, declared.stderr).toBe(0);
    expect(declared.stdout).toContain(`${root} (as you approved it) declares GITHUB_TOKEN`);
    expect(declared.stdout).not.toMatch(/not approved/);
    // Unapproved edits: the root file now declares OTHER_TOKEN, and a nearer hookpack.json does too.
    writeFileSync(root, declare("GITHUB_TOKEN", "OTHER_TOKEN"));
    mkdirSync(join(b.project, "sub"));
    writeFileSync(join(b.project, "sub", "hookpack.json"), declare("OTHER_TOKEN"));
    const r = await hookpack(["secret", "set", "OTHER_TOKEN"], {
      cwd: join(b.project, "sub"),
      env: { ...b.env, HOOKPACK_KEY_BACKEND: "file" },
      input: `${VALUE}3`,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`OTHER_TOKEN is not in ${root} yet`);
    expect(r.stdout).toContain(`${root} has changes you have not approved`);
    expect(r.stdout).not.toMatch(/declares OTHER_TOKEN/);
    expect(r.stdout + r.stderr).not.toContain(VALUE);
  });

  it("`allow` writes one entry as a minimal edit, keeps the rest byte for byte, and validates against the schema", async () => {
    const b = project();
    const policy = join(b.project, "hookpack.json");
    const original =
      '{\n    "version": 1,\n    "defaults": {"approval": "ask"},\n    "secrets": {\n        "OTHER": {"commands": ["npm"]}\n    }\n}\n';
    writeFileSync(policy, original, { mode: 0o640 });
    const r = await cli(b, [
      "allow",
      "GITHUB_TOKEN",
      "--command",
      "gh",
      "--host",
      "api.github.com",
      "--approval",
      "once",
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/added the entry for GITHUB_TOKEN/);
    const after = readFileSync(policy, "utf8");
    expect(
      after.startsWith(
        '{\n    "version": 1,\n    "defaults": {"approval": "ask"},\n    "secrets": {\n        "OTHER": {"commands": ["npm"]}',
      ),
    ).toBe(true);
    expect(JSON.parse(after).secrets.GITHUB_TOKEN).toEqual({
      commands: [{ program: "gh", hosts: ["api.github.com"] }],
      approval: "once",
    });
    expect(statSync(policy).mode & 0o777).toBe(0o640);
    // Bad values are refused before anything is written.
    for (const args of [
      ["allow", "GITHUB_TOKEN", "--approval", "sometimes"],
      ["allow", "GITHUB_TOKEN", "--command", "curl", "--host", "not a host"],
      ["allow", "GITHUB_TOKEN", "--command", "/usr/bin/curl"],
      ["allow", "9BAD"],
      ["allow", "X_TOKEN", "--command", "make", "--host", "example.com"],
    ]) {
      const bad = await cli(b, args);
      expect(bad.exitCode, args.join(" ")).toBe(2);
      expect(bad.stderr, args.join(" ")).toMatch(/^hookpack: /);
      expect(bad.stderr).not.toMatch(/at .*\.cjs:\d+/);
      expect(readFileSync(policy, "utf8")).toBe(after);
    }
  });

  it("`allow` without a hookpack.json creates the starter policy with the entry", async () => {
    const b = project();
    const r = await cli(b, ["allow", "NPM_TOKEN", "--command", "npm", "--approval", "auto"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const data = JSON.parse(readFileSync(join(b.project, "hookpack.json"), "utf8"));
    expect(data.version).toBe(1);
    expect(data.secrets).toEqual({ NPM_TOKEN: { commands: ["npm"], approval: "auto" } });
  });

  it("`doctor` names stored secrets the project policy does not declare", async () => {
    const b = project();
    await cli(b, ["install", "--agent", "claude-code", "--no-git-hook"]);
    await cli(b, ["secret", "set", "GITHUB_TOKEN"], VALUE);
    const r = await cli(b, ["doctor", "--json", "--no-run"]);
    const checks = JSON.parse(r.stdout).checks as Array<{ id: string; message: string }>;
    const undeclared = checks.find((c) => c.id === "policy-undeclared");
    expect(undeclared?.message).toMatch(/stored but not declared in hookpack\.json: GITHUB_TOKEN/);
    await cli(b, ["allow", "GITHUB_TOKEN", "--command", "gh"]);
    const after = JSON.parse((await cli(b, ["doctor", "--json", "--no-run"])).stdout)
      .checks as Array<{ id: string }>;
    expect(after.some((c) => c.id === "policy-undeclared")).toBe(false);
  });
});

describe("item 2: HOOKPACK_HOME is always absolute and never inside the project", () => {
  it("with HOME empty, the state goes to the passwd entry's home, not to a relative .hookpack in the project", async () => {
    const b = project();
    // Read-only command (nothing is written to the real home): where would the store be?
    const r = await runCommand(process.execPath, [BIN, "secret", "list", "--json"], {
      cwd: b.project,
      env: { HOME: "", HOOKPACK_CODE_CACHE: "0" },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const store = JSON.parse(r.stdout).store as string;
    expect(store).toBe(join(userInfo().homedir, ".hookpack", "store.json"));
    expect(existsSync(join(b.project, ".hookpack"))).toBe(false);
  });

  it("a relative HOOKPACK_HOME is refused with the fix, and nothing is written", async () => {
    const b = project();
    const r = await cli(b, ["secret", "set", "GITHUB_TOKEN"], VALUE, {
      HOOKPACK_HOME: ".hookpack",
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^hookpack: HOOKPACK_HOME is "\.hookpack", a relative path/);
    expect(r.stderr).toMatch(
      /\nhookpack: set HOOKPACK_HOME to an absolute directory outside any project/,
    );
    expect(existsSync(join(b.project, ".hookpack"))).toBe(false);
  });

  it("install's ignore block covers hookpack's own files by name", async () => {
    const b = project();
    expect((await cli(b, ["install", "--agent", "claude-code", "--no-git-hook"])).exitCode).toBe(0);
    const ignore = readFileSync(join(b.project, ".gitignore"), "utf8");
    for (const line of [".hookpack/", "store.key", "audit.key", "hook-cache.json"])
      expect(ignore).toMatch(new RegExp(`^(\\*\\*/)?${line.replace(/[.]/g, "\\.")}$`, "m"));
  });
});

describe("item 13: check-pack does not run an untrusted package's scripts unless asked", () => {
  it("prepack/prepare/postpack do not run by default, and the user is told; --run-scripts runs them", async () => {
    const b = project();
    const pkg = join(b.project, "pkg");
    const marker = join(b.root, "scripts-ran");
    execFileSync("mkdir", ["-p", join(pkg, "lib")]);
    const touch = `node -e "require('fs').appendFileSync(process.argv[1], process.env.npm_lifecycle_event + '\\n')" ${JSON.stringify(marker)}`;
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({
        name: "untrusted",
        version: "1.0.0",
        files: ["lib"],
        scripts: { prepack: touch, prepare: touch, postpack: touch },
      }),
    );
    writeFileSync(join(pkg, "lib", "index.js"), "module.exports = 1;\n");
    const r = await cli(b, ["check-pack", pkg]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toMatch(
      /the package's prepack, prepare, postpack scripts were not run .* pass --run-scripts/,
    );
    const opted = await cli(b, ["check-pack", pkg, "--run-scripts"]);
    expect(opted.exitCode, opted.stderr).toBe(0);
    expect(readFileSync(marker, "utf8")).toMatch(/prepack/);
  });
});

describe("item 11 and 15: package metadata", () => {
  const pkg = JSON.parse(
    readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8"),
  ) as { engines: { node: string }; scripts: Record<string, string> };
  it("a prepack build, so a publish never ships a stale dist/", () => {
    expect(pkg.scripts.prepack).toMatch(/scripts\/build\.mjs/);
  });
  it("the engines range, the development range and the README agree; the secretlint toolchain's range is the development one", () => {
    expect(pkg.engines.node).toBe(">=20.19.0");
    // (No devEngines: npm would then warn on every `npm run` on an older Node; the README says it.)
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    expect(readme).toContain("Node ≥ 22.13");
    expect(readme).toMatch(/runs on Node ≥ 20\.19/);
    // Every devDependency's declared engines range admits the development floor (no EBADENGINE on 22.13+).
    const lock = JSON.parse(
      readFileSync(join(import.meta.dirname, "..", "..", "package-lock.json"), "utf8"),
    ) as { packages: Record<string, { engines?: { node?: string } }> };
    const ranges = Object.entries(lock.packages).flatMap(([name, p]) =>
      p.engines?.node ? [[name, p.engines.node] as const] : [],
    );
    const admits22 = (range: string) =>
      range.split("||").some((part) => {
        const r = part.trim();
        if (r === "*" || r === "") return true;
        const m = /^(>=|\^)?\s*v?(\d+)(?:\.(\d+))?/.exec(r);
        if (!m) return true;
        const major = Number(m[2]);
        const minor = Number(m[3] ?? 0);
        if (m[1] === ">=") return major < 22 || (major === 22 && minor <= 13);
        if (m[1] === "^") return major === 22 && minor <= 13;
        return /^\d+$/.test(r) ? major === 22 : true;
      });
    expect(ranges.filter(([, r]) => !admits22(r))).toEqual([]);
  });
});

describe("item 7: install keeps file modes, refuses read-only files, and says why a write failed", () => {
  it("a 0600 settings.local.json stays 0600 through install and uninstall", async () => {
    const b = project();
    const file = join(b.project, ".claude", "settings.local.json");
    mkdirSync(join(b.project, ".claude"));
    writeFileSync(file, '{\n  "permissions": {}\n}\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    expect((await cli(b, ["install", "--agent", "claude-code", "--no-git-hook"])).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("hook claude-code");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await cli(b, ["uninstall", "--agent", "claude-code"])).exitCode).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("a read-only (0444) settings file is refused with the fix; nothing anywhere is written", async () => {
    const b = project();
    const file = join(b.project, ".claude", "settings.local.json");
    mkdirSync(join(b.project, ".claude"));
    writeFileSync(file, "{}\n");
    chmodSync(file, 0o444);
    const r = await cli(b, ["install", "--agent", "claude-code", "--no-git-hook"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^hookpack: .*settings\.local\.json is read-only \(mode 0444\); nothing was changed\.\nhookpack: make it writable \(chmod u\+w /,
    );
    expect(readFileSync(file, "utf8")).toBe("{}\n");
    expect(existsSync(join(b.project, "hookpack.json"))).toBe(false);
    expect(existsSync(join(b.project, ".gitignore"))).toBe(false);
  });

  it("a directory that cannot be created gives one line with the path and the fix, not a crash report", async () => {
    const b = project();
    writeFileSync(join(b.project, ".claude"), "not a directory\n");
    const r = await cli(b, [
      "install",
      "--agent",
      "claude-code",
      "--no-git-hook",
      "--no-ignore-files",
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^hookpack: cannot write .*\.claude\/settings\.local\.json: .*\.claude is a file, not a directory; nothing was changed\.\nhookpack: move /,
    );
    expect(r.stderr).not.toMatch(/internal error|please report|\n\s+at /);
  });
});

describe("item 14: exit codes and wording a new user meets", () => {
  it("revoke of an unknown name and an import that imports nothing exit 1 with a message", async () => {
    const b = project();
    const revoke = await cli(b, ["revoke", "NOPE_TOKEN"]);
    expect(revoke.exitCode).toBe(1);
    expect(revoke.stderr).toMatch(/^hookpack: NOPE_TOKEN is not in the secret store/);
    writeFileSync(join(b.project, ".env"), "A=1\n");
    const imp = await cli(b, ["secret", "import", ".env"]);
    expect(imp.exitCode).toBe(1);
    expect(imp.stderr).toMatch(
      /nothing to import from .*\.env: every line was skipped .*; nothing was changed/,
    );
    writeFileSync(join(b.project, ".env.empty"), "\n");
    expect((await cli(b, ["secret", "import", ".env.empty"])).stderr).toMatch(
      /it holds no KEY=value lines/,
    );
  });

  it("`secret rm` without a name shows rm's usage; `secret list` marks a revoked secret", async () => {
    const b = project();
    const rm = await cli(b, ["secret", "rm"]);
    expect(rm.exitCode).toBe(2);
    expect(rm.stderr).toContain("usage: hookpack secret rm NAME");
    expect(rm.stderr).not.toContain("secret set");
    await cli(b, ["secret", "set", "GITHUB_TOKEN"], VALUE);
    await cli(b, ["revoke", "GITHUB_TOKEN"]);
    const list = await cli(b, ["secret", "list"]);
    expect(list.stdout).toMatch(/GITHUB_TOKEN .* REVOKED since \d{4}-/);
    expect(
      JSON.parse((await cli(b, ["secret", "list", "--json"])).stdout).secrets[0].revoked,
    ).toMatch(/^\d{4}-/);
  });

  it("a settings file with comments gets a plain sentence, not parser jargon", async () => {
    const b = project();
    mkdirSync(join(b.project, ".claude"));
    writeFileSync(
      join(b.project, ".claude", "settings.local.json"),
      '{\n  // mine\n  "model": "x"\n}\n',
    );
    const r = await cli(b, ["install", "--agent", "claude-code", "--no-git-hook"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^hookpack: comments are not allowed in \.claude\/settings\.local\.json \(line 2, column 3\)/,
    );
    expect(r.stderr).not.toContain("InvalidCommentToken");
  });

  it("`hook` with /dev/null on stdin is empty input (the call proceeds), not a terminal", async () => {
    const b = project();
    const r = await runCommand(
      "sh",
      ["-c", `"${process.execPath}" "${BIN}" hook claude-code < /dev/null`],
      { cwd: b.project, env: b.env },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("reads one hook payload");
  });

  it("--publish-gate then uninstall leaves package.json as it was (no empty scripts object)", async () => {
    const b = project();
    const original = '{\n  "name": "app",\n  "version": "1.0.0"\n}\n';
    writeFileSync(join(b.project, "package.json"), original);
    expect(
      (await cli(b, ["install", "--agent", "claude-code", "--no-git-hook", "--publish-gate"]))
        .exitCode,
    ).toBe(0);
    expect(readFileSync(join(b.project, "package.json"), "utf8")).toContain("prepublishOnly");
    expect((await cli(b, ["uninstall", "--agent", "claude-code", "--publish-gate"])).exitCode).toBe(
      0,
    );
    expect(readFileSync(join(b.project, "package.json"), "utf8")).toBe(original);
  });
});

describe("items 5 and 10: plain `scan` scans the working tree, words findings by what was scanned, records an exposure once", () => {
  it("no argument: tracked and untracked files, not ignored ones; six rescans record one exposure", async () => {
    const b = project();
    await cli(b, ["secret", "set", "OTHER_TOKEN"], VALUE);
    writeFileSync(join(b.project, ".gitignore"), "ignored.txt\n");
    writeFileSync(join(b.project, "conf.txt"), `x=${VALUE}\n`);
    writeFileSync(join(b.project, "ignored.txt"), `y=${VALUE}\n`);
    execFileSync("git", ["add", "conf.txt"], { cwd: b.project, env: { ...process.env, ...b.env } });
    writeFileSync(join(b.project, "untracked.txt"), `z=${VALUE}\n`);
    const r = await cli(b, ["scan"]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toContain("conf.txt:1:3");
    expect(r.stdout).toContain("untracked.txt:1:3");
    expect(r.stdout).not.toContain("ignored.txt");
    expect(r.stdout).not.toMatch(/agent state|agent's records|in - state/);
    expect(r.stdout).toMatch(/OTHER_TOKEN \(managed secret\) in this file: remove it by hand/);
    expect(r.stdout + r.stderr).not.toContain(VALUE);
    for (let i = 0; i < 5; i++) await cli(b, ["scan"]);
    const doctor = JSON.parse((await cli(b, ["doctor", "--json", "--no-run"])).stdout) as {
      checks: Array<{ id: string; message: string }>;
    };
    const exposed = doctor.checks.find((c) => c.id === "secret-exposed");
    // Two places (conf.txt, untracked.txt), each once, however often it was scanned.
    expect(exposed?.message).toMatch(/OTHER_TOKEN was exposed 2× since it was last set/);
  });
});

describe("item 8: help", () => {
  const help = (args: string[]) =>
    runCommand(process.execPath, [BIN, ...args], { env: { HOOKPACK_CODE_CACHE: "0" } });
  const NAMES = [
    "install",
    "uninstall",
    "pre-push",
    "check-pack",
    "exec",
    "secret",
    "allow",
    "audit",
    "revoke",
    "doctor",
    "scan",
  ];

  it("every command's --help lists its options one per line, the exit codes and an example, within 100 columns; `help X` is the same", async () => {
    for (const name of NAMES) {
      const r = await help([name, "--help"]);
      expect(r.exitCode, name).toBe(0);
      expect(r.stdout, name).toMatch(/^Usage: hookpack /);
      expect(r.stdout, name).toContain("\nOptions:\n");
      expect(r.stdout, name).toContain("\nExit status:\n" + "  0  ");
      expect(r.stdout, name).toMatch(/\nExample:\n {2}\S/);
      for (const line of r.stdout.split("\n"))
        expect(line.length, `${name}: ${line}`).toBeLessThanOrEqual(100);
      expect((await help(["help", name])).stdout).toBe(r.stdout);
    }
    const hook = await help(["hook", "--help"]);
    expect(hook.exitCode).toBe(0);
    expect(hook.stdout).toMatch(/^Usage: hookpack hook <agent>/);
  });

  it("check-pack's flags that exist are in its help and in the README; every variable hookpack reads is in `help` and the README", async () => {
    const cp = (await help(["check-pack", "--help"])).stdout;
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    for (const flag of [
      "--run-scripts",
      "--allow-file",
      "--no-inline-allow",
      "--max-bytes",
      "--strict",
      "--registry",
    ]) {
      expect(cp, flag).toContain(flag);
      expect(readme, flag).toContain(flag);
    }
    const top = (await help(["help"])).stdout;
    const used = new Set<string>();
    for (const dir of [
      "adapters",
      "broker",
      "cli",
      "core",
      "hooks",
      "installer",
      "rules",
      "scanners",
    ]) {
      const files = execFileSync("git", ["ls-files", dir], {
        cwd: join(import.meta.dirname, "..", ".."),
        encoding: "utf8",
      })
        .split("\n")
        .filter((f) => f.endsWith(".ts"));
      for (const f of files)
        for (const m of readFileSync(join(import.meta.dirname, "..", "..", f), "utf8").matchAll(
          /env\.(HOOKPACK_[A-Z_]+)/g,
        ))
          used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(8);
    for (const v of used) {
      expect(top, v).toContain(v);
      expect(readme, v).toContain(v);
    }
  });

  it("an unknown flag gets hookpack's own sentence; a mistyped command gets a suggestion", async () => {
    const flag = await help(["install", "--agnt", "claude-code"]);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toMatch(/^hookpack: unknown option --agnt for `hookpack install`\.\n/);
    expect(flag.stderr).not.toMatch(/To specify a positional argument/);
    const typo = await help(["instal"]);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain("Did you mean `hookpack install`?");
    expect((await help(["secrte"])).stderr).toContain("Did you mean `hookpack secret`?");
  });
});

describe("item 9: install ends with next steps, and --scope local keeps machine-specific files out of git itself", () => {
  it("Codex's trust step is in a short block at the end; .git/info/exclude gets the file and loses it on uninstall", async () => {
    const b = project();
    const exclude = join(b.project, ".git", "info", "exclude");
    const before = readFileSync(exclude, "utf8");
    const r = await cli(b, ["install", "--agent", "codex", "--scope", "local", "--no-git-hook"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const tail = r.stdout.slice(r.stdout.lastIndexOf("hookpack: next steps:"));
    expect(tail.split("\n").filter(Boolean).length).toBeLessThanOrEqual(6);
    expect(tail).toMatch(/1\. Codex CLI: start `codex` here, type `\/hooks` and trust/);
    expect(tail).toContain("hookpack doctor");
    expect(readFileSync(exclude, "utf8")).toContain("\n/.codex/hooks.json\n");
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
      cwd: b.project,
      encoding: "utf8",
    });
    expect(status).not.toContain(".codex/hooks.json");
    expect((await cli(b, ["uninstall", "--agent", "codex", "--scope", "local"])).exitCode).toBe(0);
    expect(readFileSync(exclude, "utf8")).toBe(before);
  });
});

describe("item 15: what a user checks before adopting it", () => {
  it("the README states OS support, and the CHANGELOG has a dated 0.1.0 section below Unreleased", () => {
    const root = join(import.meta.dirname, "..", "..");
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(readme).toMatch(/## Supported systems\n\nLinux and macOS/);
    expect(readme).toMatch(/Windows is not supported/);
    const changelog = readFileSync(join(root, "CHANGELOG.md"), "utf8");
    const unreleased = changelog.indexOf("## [Unreleased]");
    const first = changelog.search(/## \[0\.1\.0\] - \d{4}-\d{2}-\d{2}/);
    expect(unreleased).toBeGreaterThan(-1);
    expect(first).toBeGreaterThan(unreleased);
  });
});
