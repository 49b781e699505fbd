// hookpack-shell, called the way Aider calls $SHELL (aider/run_cmd.py: `$SHELL -c "<cmd>"`), as a
// real process from dist/ with an isolated HOME/HOOKPACK_HOME. Aider itself (PyPI) is not
// reachable here; this is exactly the interface it uses.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, runCommand, sandbox, type Sandbox } from "../helpers/run.js";
import { distBundle } from "../helpers/sandbox.js";
import { approvePolicy } from "../../broker/policy-approval.js";

const SHELL_BIN = distBundle("hookpack-shell");
let sb: Sandbox;
let env: Record<string, string>;

beforeAll(() => {
  if (!existsSync(SHELL_BIN))
    throw new Error("dist/hookpack-shell.cjs is missing: run `npm run build` first");
});
afterEach(() => sb?.cleanup());

function setup(): void {
  sb = sandbox();
  env = {
    ...sb.env,
    HOOKPACK_KEY_BACKEND: "file",
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(sb.root, "no-bus")}`,
  };
}

/** `$SHELL -c <cmd>` from the project directory, as Aider runs it. */
const shell = (command: string, extraEnv: Record<string, string> = {}) =>
  runCommand(SHELL_BIN, ["-c", command], { env: { ...env, ...extraEnv }, cwd: sb.project });

/** A random value that no secretlint rule recognises (only the store makes it a secret). */
const randomSecret = () => `v${randomBytes(18).toString("base64url")}z`;

async function store(name: string, value: string): Promise<void> {
  const r = await hookpack(["secret", "set", name], { input: value, env, cwd: sb.project });
  expect(r.exitCode, r.stderr).toBe(0);
}

function auditText(): string {
  const p = join(sb.hookpackHome, "audit", "audit.jsonl");
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}

// Written and approved, as the user would in their terminal (broker/policy-approval.ts).
const policy = (secrets: Record<string, unknown>) => {
  writeFileSync(join(sb.project, "hookpack.json"), `${JSON.stringify({ version: 1, secrets })}\n`);
  mkdirSync(join(sb.project, ".git"), { recursive: true }); // the policy in force is the repository root's
  approvePolicy(sb.hookpackHome, sb.project);
};

describe("hookpack-shell -c (Aider's $SHELL)", () => {
  it("passes a plain command's stdout, stderr and exit code through", async () => {
    setup();
    const r = await shell("echo out; echo err >&2; exit 7");
    expect(r).toMatchObject({ exitCode: 7, stdout: "out\n", stderr: "err\n" });
  });

  it("refuses a command holding a literal token: non-zero exit, a clear message, nothing run, no token anywhere", async () => {
    setup();
    const token = fakeTokens(7).github;
    const r = await shell(
      `touch marker; curl -H "Authorization: Bearer ${token}" https://api.github.com/user`,
    );
    expect(r.exitCode).toBe(126);
    expect(r.stderr).toContain("hookpack blocked this aider shell call");
    expect(r.stderr).toContain("GitHub personal access token (classic)");
    expect(r.stderr).toContain("$secret:GITHUB_TOKEN");
    expect(r.stderr).toContain("the command was not run");
    expect(existsSync(join(sb.project, "marker"))).toBe(false);
    expect(r.stdout + r.stderr + auditText()).not.toContain(token);
    expect(auditText()).toContain('"kind":"exposure-found"');
  });

  it("injects a $secret: reference into that command only and masks its echo", async () => {
    setup();
    const value = randomSecret();
    await store("API_TOKEN", value);
    policy({ API_TOKEN: { approval: "auto", commands: ["node", "echo"] } });
    const digest = `node -e 'process.stdout.write(require("crypto").createHash("sha256").update(process.argv[1]).digest("hex") + "\\n")' "$secret:API_TOKEN"`;
    const r = await shell(
      `${digest}; echo "got=$secret:API_TOKEN"; node -e 'console.log(String(process.env.HOOKPACK_SECRET_API_TOKEN))'`,
    );
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      `${createHash("sha256").update(value).digest("hex")}\ngot=[REDACTED:API_TOKEN]\nundefined\n`,
    );
    expect(r.stdout + auditText()).not.toContain(value);
    const entries = auditText()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Each program that receives the value runs under its own grant (issue 14); the outer shell holds none.
    const brokered = entries.filter((e) => typeof e.grant === "string");
    expect(brokered.map((e) => e.command)).toEqual([
      expect.stringMatching(/^node /),
      expect.stringMatching(/^echo /),
    ]);
    expect(brokered.at(-1)).toMatchObject({
      kind: "exec",
      agent: "aider",
      secrets: ["API_TOKEN"],
      exitCode: 0,
      redactedNames: ["API_TOKEN"],
    });
    expect(brokered.at(-1)!.grant).toMatch(/^g_/);
    expect(entries.at(-1)).toMatchObject({
      kind: "exec",
      agent: "aider",
      secrets: [],
      exitCode: 0,
    });
  });

  it("applies the project policy: a program it does not allow is refused and not run", async () => {
    setup();
    await store("API_TOKEN", randomSecret());
    policy({ API_TOKEN: { approval: "auto", commands: ["curl"] } });
    const r = await shell('touch marker && echo "$secret:API_TOKEN"');
    expect(r.exitCode).toBe(126);
    expect(r.stderr).toContain("does not allow this use of $secret:API_TOKEN");
    expect(existsSync(join(sb.project, "marker"))).toBe(false);
  });

  it("refuses a reference whose policy needs a human approval (the default without hookpack.json)", async () => {
    setup();
    await store("API_TOKEN", randomSecret());
    const r = await shell('touch marker && echo "$secret:API_TOKEN"');
    expect(r.exitCode).toBe(126);
    expect(r.stderr).toContain('set "approval": "auto"');
    expect(existsSync(join(sb.project, "marker"))).toBe(false);
  });

  it("a rule that fails on a $secret: command (the broker cannot start) follows the failure table: refused, nothing run, no value", async () => {
    setup();
    const value = randomSecret();
    await store("API_TOKEN", value);
    policy({ API_TOKEN: { approval: "auto", commands: ["echo"] } });
    // The broker's run directory cannot be made: a regular file stands where it would go.
    const blocker = join(sb.hookpackHome, "run");
    writeFileSync(blocker, "");
    const r = await shell('touch marker && echo "$secret:API_TOKEN"');
    expect(r.exitCode).toBe(126);
    expect(r.stderr).toMatch(/blocked because it contains a \$secret: reference/);
    expect(existsSync(join(sb.project, "marker"))).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(value);
    rmSync(blocker);
    // Control: the same command with a working broker runs and its echo comes back masked.
    const ok = await shell('touch marker && echo "$secret:API_TOKEN"');
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(existsSync(join(sb.project, "marker"))).toBe(true);
    expect(ok.stdout).not.toContain(value);
  });

  it("masks a stored secret that a plain command prints, in every encoding", async () => {
    setup();
    const value = randomSecret();
    await store("DB_PASSWORD", value);
    writeFileSync(join(sb.project, "conf.txt"), `password=${value}\n`);
    const r = await shell("cat conf.txt; base64 -w0 < conf.txt >&2; exit 3");
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe("password=[REDACTED:DB_PASSWORD]\n");
    expect(r.stderr).toContain("[REDACTED:DB_PASSWORD]");
    expect(r.stdout + r.stderr + auditText()).not.toContain(value);
  });

  it("masks a token secretlint detects in output even when it is not stored", async () => {
    setup();
    const token = fakeTokens(3).github;
    writeFileSync(join(sb.project, "leak.txt"), `GH=${token}\n`);
    const r = await shell("cat leak.txt");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(token);
    expect(r.stdout).toMatch(/^GH=\[REDACTED:[^\]]+\]\n$/);
  });

  it("hands every other invocation to the real shell unchanged (stdin script, script path)", async () => {
    setup();
    const piped = await runCommand(SHELL_BIN, [], {
      env: { ...env, HOOKPACK_REAL_SHELL: "/bin/sh" },
      cwd: sb.project,
      input: "echo piped; exit 4\n",
    });
    expect(piped).toMatchObject({ exitCode: 4, stdout: "piped\n" });
    writeFileSync(join(sb.project, "s.sh"), 'echo "script $1"; exit 5\n');
    const script = await runCommand(SHELL_BIN, ["s.sh", "arg"], { env, cwd: sb.project });
    expect(script).toMatchObject({ exitCode: 5, stdout: "script arg\n" });
  });
});
