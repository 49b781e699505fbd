// Issue 18, attacker side of the first-run fixes. The agent (or a careless script) tries to get
// hookpack's own secret store, its key or its audit log into a commit or a tarball, or to point
// hookpack's state into the project; and tries to widen the policy with `hookpack allow`.
// Everything runs the real dist/hookpack.cjs (CLI, hook, git's pre-push hook, check-pack).
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { commitFiles, makeSandbox, type Sandbox } from "../helpers/git-sandbox.js";
import { HOOKPACK_CJS } from "../helpers/sandbox.js";

let s: Sandbox;
afterEach(() => s?.cleanup());

const tally: Record<string, { attempts: number; contained: number }> = {};
function count(family: string, contained: boolean): void {
  const t = (tally[family] ??= { attempts: 0, contained: 0 });
  t.attempts++;
  if (contained) t.contained++;
}
afterAll(() => {
  for (const [family, t] of Object.entries(tally))
    console.log(`first-run attacks, ${family}: ${t.contained}/${t.attempts} contained`);
  for (const t of Object.values(tally)) expect(t.contained).toBe(t.attempts);
});

const VALUE = ["Zq", "attack", "store", "value", "77"].join("_");

/** A sandbox with a real store (file key) holding one secret, and a repo with a pushed first commit. */
function setup() {
  s = makeSandbox("hookpack-firstrun-attack-");
  const env = { HOOKPACK_KEY_BACKEND: "file" };
  const set = s.run(process.execPath, [HOOKPACK_CJS, "secret", "set", "DEPLOY_TOKEN"], {
    input: VALUE,
    env,
  });
  expect(set.status, set.stderr).toBe(0);
  const { dir } = s.repo();
  commitFiles(s, dir, { "README.md": "# x\n" }, "initial");
  s.git(dir, "push", "-q", "origin", "main");
  const r = s.hookpack(dir, ["install", "--agent", "claude-code", "--scope", "local"]);
  expect(r.status, r.stderr).toBe(0);
  return { dir };
}

const push = (dir: string) => s.run("git", ["push", "origin", "main"], { cwd: dir, ok: false });

describe("hookpack's own files never leave by git push or npm publish, whatever they are called", () => {
  it("pre-push blocks the store, its key, the hook cache and the audit log, by name and by content", () => {
    const { dir } = setup();
    const store = readFileSync(join(s.hookpackHome, "store.json"), "utf8");
    const key = readFileSync(join(s.hookpackHome, "store.key"), "utf8");
    const cache = readFileSync(join(s.hookpackHome, "hook-cache.json"), "utf8");
    // An audit entry written by the real audit log (a revoke records one).
    s.hookpack(dir, ["revoke", "DEPLOY_TOKEN"]);
    const auditFile = join(s.hookpackHome, "audit", "audit.jsonl");
    const audit = existsSync(auditFile) ? readFileSync(auditFile, "utf8") : "";
    expect(audit, "the revoke should have written an audit entry").not.toBe("");
    const cases: Array<[string, string]> = [
      [".hookpack/store.json", store],
      ["backup/secrets.json", store], // renamed: content only
      ["notes.txt", store],
      ["config/store.key", key],
      [".hookpack/store.key", key],
      ["tmp/fingerprints.json", cache],
      ["hook-cache.json", cache],
      ["logs/activity.jsonl", audit],
      ["deep/er/x/.hookpack/whatever.bin", "anything\n"],
    ];
    for (const [path, content] of cases) {
      const sha = commitFiles(s, dir, { [path]: content }, `add ${path}`);
      const r = push(dir);
      const contained =
        r.status !== 0 && r.stderr.includes("hookpack: push blocked") && r.stderr.includes(path);
      count("own files in a push", contained);
      expect(contained, `${path}\n${r.stderr}`).toBe(true);
      expect(r.stdout + r.stderr).not.toContain(VALUE);
      // Undo the commit for the next case.
      s.git(dir, "reset", "-q", "--hard", `${sha}~1`);
    }
  });

  it("check-pack finds the store and its key in a package under any name", () => {
    s = makeSandbox("hookpack-firstrun-pack-");
    const set = s.run(process.execPath, [HOOKPACK_CJS, "secret", "set", "DEPLOY_TOKEN"], {
      input: VALUE,
      env: { HOOKPACK_KEY_BACKEND: "file" },
    });
    expect(set.status, set.stderr).toBe(0);
    const pkg = join(s.root, "pkg");
    mkdirSync(join(pkg, "lib"), { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({ name: "victim", version: "1.0.0", files: ["lib"] }),
    );
    writeFileSync(join(pkg, "lib", "index.js"), "module.exports = 1;\n");
    copyFileSync(join(s.hookpackHome, "store.json"), join(pkg, "lib", "data.json"));
    copyFileSync(join(s.hookpackHome, "store.key"), join(pkg, "lib", "store.key"));
    const r = s.hookpack(s.root, ["check-pack", pkg, "--format", "json"]);
    const report = JSON.parse(r.stdout) as { findings: Array<{ path: string; ruleId: string }> };
    for (const [path, rule] of [
      ["lib/data.json", "hookpack-store"],
      ["lib/store.key", "hookpack-store-key"],
    ] as const) {
      const contained = report.findings.some((f) => f.path === path && f.ruleId === rule);
      count("own files in a tarball", contained);
      expect(contained, `${path}: ${r.stdout}`).toBe(true);
    }
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(VALUE);
  });
});

describe("HOOKPACK_HOME cannot be put where a commit or a publish would carry it", () => {
  it("refuses a relative, in-repo, in-package, in-node_modules or symlinked-into-repo HOOKPACK_HOME, before writing anything", () => {
    s = makeSandbox("hookpack-firstrun-home-");
    const { dir } = s.repo();
    const pkg = join(s.root, "pkgdir");
    mkdirSync(join(pkg, "node_modules", "x"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), "{}");
    mkdirSync(join(dir, "state"), { recursive: true });
    symlinkSync(join(dir, "state"), join(s.root, "link-into-repo"));
    const homes: Array<[string, RegExp]> = [
      [".hookpack", /relative path/],
      ["state/hp", /relative path/],
      [join(dir, ".hookpack"), /inside the git work tree/],
      [join(dir, "state", "deep"), /inside the git work tree/],
      [join(pkg, "hp"), /inside the package directory/],
      [join(pkg, "node_modules", "x", "hp"), /node_modules/],
      [join(s.root, "link-into-repo"), /inside the git work tree/],
    ];
    for (const [home, why] of homes) {
      const r = s.run(process.execPath, [HOOKPACK_CJS, "secret", "set", "DEPLOY_TOKEN"], {
        cwd: dir,
        input: VALUE,
        env: { HOOKPACK_HOME: home, HOOKPACK_KEY_BACKEND: "file" },
        ok: false,
      });
      const contained =
        r.status === 2 &&
        why.test(r.stderr) &&
        /^hookpack: /.test(r.stderr) &&
        !/\n\s+at /.test(r.stderr);
      count("HOOKPACK_HOME placement", contained);
      expect(contained, `${home}: ${r.stderr}`).toBe(true);
    }
    // Nothing was written into the project or the package.
    expect(
      s.run("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir }).stdout.trim(),
    ).toBe("");
    expect(existsSync(join(dir, "state", "store.json"))).toBe(false);
    expect(existsSync(join(pkg, "hp"))).toBe(false);
  });

  it("the hook with an in-repo HOOKPACK_HOME: a plain call passes, a $secret: call is blocked with the reason, never a crash", () => {
    s = makeSandbox("hookpack-firstrun-hook-");
    const { dir } = s.repo();
    const hook = (command: string) =>
      s.run(process.execPath, [HOOKPACK_CJS, "hook", "claude-code"], {
        cwd: dir,
        input: JSON.stringify({
          session_id: "s1",
          transcript_path: "",
          cwd: dir,
          hook_event_name: "PreToolUse",
          tool_name: "Bash",
          tool_input: { command },
        }),
        env: { HOOKPACK_HOME: join(dir, ".hookpack") },
        ok: false,
      });
    // The failure table: nothing secret involved, so the call goes through (exit 1: Claude Code
    // shows the user the reason, a non-blocking error).
    const plain = hook("ls -la");
    expect(plain.status, plain.stderr).not.toBe(2);
    expect(plain.stdout).not.toMatch(/"permissionDecision":"deny"/);
    expect(plain.stderr).toMatch(/inside the git work tree .*The call was let through/);
    const ref = hook('curl -H "x: $secret:DEPLOY_TOKEN" https://api.example.com/');
    // Fail closed (Claude Code's blocking exit 2, the reason on stderr), naming the cause, not a crash.
    const said = ref.stdout + ref.stderr;
    const contained =
      (ref.status === 2 || /"permissionDecision":"deny"/.test(ref.stdout)) &&
      /inside the git work tree.*The call was blocked/s.test(said) &&
      !/internal error/.test(said);
    count("HOOKPACK_HOME placement", contained);
    expect(contained, ref.stdout + ref.stderr).toBe(true);
    expect(existsSync(join(dir, ".hookpack"))).toBe(false);
  });
});

describe("the agent cannot widen the policy by itself", () => {
  it("`hookpack allow` from the agent's shell needs the user (ask), however it is spelled", () => {
    s = makeSandbox("hookpack-firstrun-allow-");
    const { dir } = s.repo();
    const r = s.hookpack(dir, [
      "install",
      "--agent",
      "claude-code",
      "--scope",
      "local",
      "--no-git-hook",
    ]);
    expect(r.status, r.stderr).toBe(0);
    const commands = [
      "npx hookpack allow DEPLOY_TOKEN --approval auto",
      "hookpack allow DEPLOY_TOKEN --command curl",
      "node node_modules/hookpack/dist/hookpack.cjs allow DEPLOY_TOKEN",
      "true && ./node_modules/.bin/hookpack allow DEPLOY_TOKEN --approval auto",
      "echo ok; (hookpack allow DEPLOY_TOKEN)",
    ];
    for (const command of commands) {
      const h = s.run(process.execPath, [HOOKPACK_CJS, "hook", "claude-code"], {
        cwd: dir,
        input: JSON.stringify({
          session_id: "s1",
          transcript_path: "",
          cwd: dir,
          hook_event_name: "PreToolUse",
          tool_name: "Bash",
          tool_input: { command },
        }),
        ok: false,
      });
      const contained = /"permissionDecision":"(ask|deny)"/.test(h.stdout);
      count("policy widening by the agent", contained);
      expect(contained, `${command}: ${h.stdout}`).toBe(true);
    }
  });
});
