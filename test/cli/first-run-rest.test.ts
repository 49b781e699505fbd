// Issue 18, the rest: one spelling of machine output, `run`/`broker`/`leases` help, through the
// built CLI (dist/hookpack.cjs) in temp projects with their own HOME and HOOKPACK_HOME.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hookpack, REPO, sandbox, type Sandbox } from "../helpers/run.js";

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
const cli = (b: Sandbox, args: string[]) =>
  hookpack(args, {
    cwd: b.project,
    env: { ...b.env, HOOKPACK_KEY_BACKEND: "file", HOOKPACK_CODE_CACHE: "0" },
  });

describe("item 8: one spelling of machine output", () => {
  // Each command that has machine output, with the arguments it needs.
  const CASES: Array<[string, string[]]> = [
    ["audit", ["audit"]],
    ["broker", ["broker", "status"]],
    ["leases", ["leases"]],
    ["doctor", ["doctor", "--no-run"]],
    ["scan", ["scan", "notes.txt"]],
    ["revoke", ["revoke", "--leases"]],
    ["secret list", ["secret", "list"]],
  ];

  it("`--format json` and `--json` give the same JSON for every command; `--format text` is the default's text", async () => {
    const b = project();
    writeFileSync(join(b.project, "notes.txt"), "nothing secret here\n");
    for (const [name, args] of CASES) {
      const a = await cli(b, [...args, "--format", "json"]);
      const j = await cli(b, [...args, "--json"]);
      expect(a.exitCode, `${name}: ${a.stderr}`).toBe(j.exitCode);
      expect(a.exitCode, `${name}: ${a.stderr}`).not.toBe(2);
      const pa = JSON.parse(a.stdout) as Record<string, unknown>;
      const pj = JSON.parse(j.stdout) as Record<string, unknown>;
      // Volatile fields (times, pids) aside, the same keys.
      expect(Object.keys(pa).sort(), name).toEqual(Object.keys(pj).sort());
      const eq = await cli(b, [...args, "--format=json"]);
      expect(() => JSON.parse(eq.stdout), name).not.toThrow();
      const text = await cli(b, [...args, "--format", "text"]);
      expect(text.exitCode, `${name}: ${text.stderr}`).not.toBe(2);
      expect(() => JSON.parse(text.stdout), name).toThrow();
    }
  });

  it("an unknown format is a usage error naming the command and the formats; `--` protects a child's own --json", async () => {
    const b = project();
    const bad = await cli(b, ["broker", "status", "--format", "xml"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(
      /^hookpack: unknown format "xml" for `hookpack broker`; expected text or json\./,
    );
    const bad2 = await cli(b, ["scan", "--format", "xml", "x"]);
    expect(bad2.exitCode).toBe(2);
    // After `--` the arguments belong to the child: `exec -- node -e … --json` passes --json through.
    const echo = await cli(b, ["exec", "--", "echo", "--json", "--format", "json"]);
    expect(echo.exitCode, echo.stderr).toBe(0);
    expect(echo.stdout).toBe("--json --format json\n");
  });

  it("help documents `--format text|json` (with --json as its alias) for every command with machine output; the README uses one spelling", async () => {
    const b = project();
    for (const name of [
      "audit",
      "broker",
      "leases",
      "doctor",
      "revoke",
      "scan",
      "check-pack",
      "pre-push",
      "secret",
    ]) {
      const h = await cli(b, [name, "--help"]);
      expect(h.exitCode, name).toBe(0);
      expect(h.stdout, name).toMatch(/--format (text\|)?[a-z|]*json/);
      expect(h.stdout.replace(/\s+/g, " "), name).toContain("--json is the same as --format json");
      expect(h.stdout.split("\n")[0], name).not.toMatch(/\[--json\]/);
    }
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    expect(readme).not.toMatch(/hookpack [a-z-]+[^\n`]*--json/);
  });
});

describe("item 8: `run`, `broker` and `leases` --help list their options like the others", () => {
  for (const [name, flags] of [
    ["run", ["--keep NAME", "--import", "--relay", "--upstream URL", "--upstream-ca FILE"]],
    ["broker", ["status", "stop", "--format text|json"]],
    ["leases", ["--format text|json"]],
  ] as const) {
    it(`${name} --help`, async () => {
      const b = project();
      const r = await cli(b, [name, "--help"]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^Usage: hookpack /);
      expect(r.stdout).toContain("\nOptions:\n");
      for (const f of flags)
        expect(r.stdout, f).toMatch(
          new RegExp(`\\n  ${f.replace(/[|.*+?^${}()[\]\\]/g, "\\$&")} +\\S`),
        );
      expect(r.stdout).toContain("\nExit status:\n");
      expect(r.stdout).toMatch(/\nExample:\n {2}hookpack \S/);
      for (const line of r.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
      expect((await cli(b, ["help", name])).stdout).toBe(r.stdout);
    });
  }
});

describe("issue 17 item 7: `secret import` suggests names from the detector records", () => {
  it("a dotenv file: TOKEN holding a GitHub token gets GITHUB_TOKEN, an AWS access key id AWS_ACCESS_KEY_ID; well-named and unknown values get none; no value printed", async () => {
    const { RULES } = await import("../../rules/detect.js");
    const { fakeFor } = await import("../helpers/fake-secrets.js");
    const gh = fakeFor(
      RULES.find((r) => r.id === "github-pat")!,
      31,
    );
    const aws = fakeFor(
      RULES.find((r) => r.id === "aws-access-key-id")!,
      31,
    );
    const gh2 = fakeFor(
      RULES.find((r) => r.id === "github-pat")!,
      32,
    );
    const plain = ["plain", "value", "Zq9"].join("-");
    const b = project();
    const env = join(b.project, ".env");
    writeFileSync(env, `TOKEN=${gh}\nKEY_ID=${aws}\nGITHUB_TOKEN=${gh2}\nSOMETHING=${plain}\n`);
    const dry = await cli(b, ["secret", "import", ".env", "--dry-run"]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      /TOKEN looks like a GitHub personal access token \(classic\); hookpack's suggested name for it is GITHUB_TOKEN \(it is imported as TOKEN/,
    );
    expect(dry.stdout).toMatch(
      /KEY_ID looks like a [^;\n]*AWS[^;\n]*; hookpack's suggested name for it is AWS_ACCESS_KEY_ID/,
    );
    expect(dry.stdout).not.toMatch(/GITHUB_TOKEN looks like/);
    expect(dry.stdout).not.toMatch(/SOMETHING looks like/);
    for (const v of [gh, aws, gh2, plain]) expect(dry.stdout + dry.stderr).not.toContain(v);
    // The same suggestion for `--env` imports.
    const r = await hookpack(["secret", "import", "--env", "MY_KEY", "--dry-run"], {
      cwd: b.project,
      env: { ...b.env, HOOKPACK_KEY_BACKEND: "file", MY_KEY: aws },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/MY_KEY looks like .*suggested name for it is AWS_ACCESS_KEY_ID/);
    expect(r.stdout + r.stderr).not.toContain(aws);
  });
});

describe("item 14: `install --dry-run` prints the diff of each file it would change", () => {
  it("a unified diff per file that `git apply` turns into exactly what install then writes; nothing is written by the dry run", async () => {
    const b = project();
    const settings = join(b.project, ".claude", "settings.json");
    execFileSync("mkdir", ["-p", join(b.project, ".claude")]);
    const original =
      '{\n  "permissions": {\n    "allow": ["Bash(npm test)"]\n  },\n  "model": "x"\n}\n';
    writeFileSync(settings, original);
    writeFileSync(join(b.project, ".gitignore"), "node_modules/\ndist/\n");
    const dry = await cli(b, [
      "install",
      "--agent",
      "claude-code",
      "--scope",
      "project",
      "--no-git-hook",
      "--dry-run",
    ]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(readFileSync(settings, "utf8")).toBe(original);
    expect(dry.stdout).toContain("--- a/.claude/settings.json\n+++ b/.claude/settings.json\n@@ -");
    expect(dry.stdout).toContain("--- a/.gitignore\n+++ b/.gitignore\n@@ -");
    expect(dry.stdout).toContain("--- /dev/null\n+++ b/hookpack.json\n@@ -0,0 +1,");
    expect(dry.stdout).toMatch(/^\+.*hook claude-code/m);
    // The diff is a real patch: applied to the files as they are, it gives what install writes.
    const patch = dry.stdout.slice(dry.stdout.indexOf("--- a/"));
    const copy = join(b.root, "copy");
    execFileSync("cp", ["-a", b.project, copy]);
    expect(patch).not.toContain("installs.json");
    execFileSync("git", ["apply", "-"], { cwd: copy, input: patch });
    const real = await cli(b, [
      "install",
      "--agent",
      "claude-code",
      "--scope",
      "project",
      "--no-git-hook",
    ]);
    expect(real.exitCode, real.stderr).toBe(0);
    for (const f of [".claude/settings.json", ".gitignore", "hookpack.json"])
      expect(readFileSync(join(copy, f), "utf8"), f).toBe(readFileSync(join(b.project, f), "utf8"));
  });

  it("a secret already in a file it would change (an inline token in an allow-list) is shown as its label, never its value", async () => {
    const { RULES } = await import("../../rules/detect.js");
    const { fakeFor } = await import("../helpers/fake-secrets.js");
    const gh = fakeFor(
      RULES.find((r) => r.id === "github-pat")!,
      77,
    );
    const b = project();
    execFileSync("mkdir", ["-p", join(b.project, ".claude")]);
    writeFileSync(
      join(b.project, ".claude", "settings.local.json"),
      `{\n  "permissions": {\n    "allow": ["Bash(GH_TOKEN=${gh} gh pr list)"]\n  }\n}\n`,
    );
    const dry = await cli(b, [
      "install",
      "--agent",
      "claude-code",
      "--scope",
      "local",
      "--no-git-hook",
      "--dry-run",
    ]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("+++ b/.claude/settings.local.json");
    expect(dry.stdout + dry.stderr).not.toContain(gh);
    expect(dry.stdout + dry.stderr).not.toContain(gh.slice(4, 20));
    expect(dry.stdout).toMatch(/\[REDACTED:GitHub personal access token \(classic\)\]/);
  });
});
