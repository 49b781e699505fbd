import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  fakeSecret,
  readAudit,
  run,
  runAsync,
  sandbox,
  setSecret,
  waitFor,
  type Sandbox,
} from "./helpers.js";
import { fakeGithubToken } from "../helpers/fake-secrets.js";
import { HOOKPACK_CJS } from "../helpers/sandbox.js";

let sb: Sandbox;
beforeAll(assertBuilt);
afterEach(() => sb?.cleanup());

/** node -e script run as the child; values reach it only through its environment. */
const node = (script: string) => ["node", "-e", script];

function everythingWritten(s: Sandbox, r: { stdout: string; stderr: string }): string {
  const store = existsSync(join(s.hookpackHome, "store.json"))
    ? readFileSync(join(s.hookpackHome, "store.json"), "utf8")
    : "";
  const audit = existsSync(join(s.hookpackHome, "audit", "audit.jsonl"))
    ? readFileSync(join(s.hookpackHome, "audit", "audit.jsonl"), "utf8")
    : "";
  return r.stdout + r.stderr + store + audit;
}

describe("hookpack exec", () => {
  it("injects into the child's environment only and masks every encoding on stdout and stderr", () => {
    sb = sandbox();
    const v = fakeSecret();
    setSecret(sb, "API_TOKEN", v);
    const script = `
      const v = process.env.TOK;
      const b = Buffer.from(v);
      const forms = [v, b.toString("base64"), b.toString("base64url"), b.toString("hex"), b.toString("hex").toUpperCase(),
        encodeURIComponent(v), JSON.stringify({ v }), Buffer.from("user:" + v).toString("base64")];
      for (const f of forms) console.log("out " + f);
      console.error("err " + v);
      process.exitCode = 3;`;
    const r = run(sb, ["exec", "--secret", "API_TOKEN=TOK", "--", ...node(script)]);
    expect(r.status).toBe(3);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(8);
    for (const l of lines.slice(0, 6)) expect(l).toBe("out [REDACTED:API_TOKEN]");
    expect(lines[6]).toBe('out {"v":"[REDACTED:API_TOKEN]"}');
    expect(lines[7]).toMatch(/^out dXNlcj.?\[REDACTED:API_TOKEN\].{0,3}$/);
    expect(r.stderr).toBe("err [REDACTED:API_TOKEN]\n");
    expect(everythingWritten(sb, r)).not.toContain(v);
    const [entry] = readAudit(sb);
    expect(entry).toMatchObject({
      kind: "exec",
      secrets: ["API_TOKEN"],
      exitCode: 3,
      redactions: 9,
      redactedNames: ["API_TOKEN"],
    });
    expect(typeof entry!.durationMs).toBe("number");
  });

  it("masks stored values it did not inject, and values in the command line of the audit entry", () => {
    sb = sandbox();
    const a = fakeSecret("a");
    const other = fakeSecret("o");
    setSecret(sb, "A", a);
    setSecret(sb, "OTHER", other);
    const r = run(sb, [
      "exec",
      "--secret",
      "A",
      "--",
      ...node("console.log(process.env.OTHER === undefined, process.argv[1])"),
      other,
    ]);
    expect(r.stdout).toBe("true [REDACTED:OTHER]\n");
    const [entry] = readAudit(sb);
    expect(entry!.command).toContain("[REDACTED:OTHER]");
    expect(everythingWritten(sb, r)).not.toContain(other);
  });

  it("catches a value split across writes, and releases unrelated output promptly", async () => {
    sb = sandbox();
    const v = fakeSecret();
    setSecret(sb, "S", v);
    const script = `
      const v = process.env.S; const w = (s) => process.stdout.write(s);
      w("prompt> "); setTimeout(() => w(v.slice(0, 10)), 300); setTimeout(() => w(v.slice(10) + " done\\n"), 600);`;
    const p = runAsync(sb, ["exec", "--secret", "S", "--", ...node(script)]);
    // "prompt> " is not held back waiting for more output.
    await waitFor(() => p.out().includes("prompt> "), 3000);
    const r = await p.done;
    expect(r.stdout).toBe("prompt> [REDACTED:S] done\n");
  });

  it("passes stdin through and keeps binary output byte-exact", () => {
    sb = sandbox();
    setSecret(sb, "S", fakeSecret());
    const data = randomBytes(256 * 1024);
    const r = spawnSync(process.execPath, [HOOKPACK_CJS, "exec", "--secret", "S", "--", "cat"], {
      env: sb.env,
      input: data,
    });
    expect(r.status).toBe(0);
    expect(createHash("sha256").update(r.stdout).digest("hex")).toBe(
      createHash("sha256").update(data).digest("hex"),
    );
  });

  it("masks pattern-detected secrets (secretlint) in the child's output", () => {
    sb = sandbox();
    const token = fakeGithubToken();
    const r = run(sb, ["exec", "--", ...node("console.log('t=' + process.argv[1])"), token]);
    expect(r.stdout).toBe("t=[REDACTED:GITHUB_TOKEN]\n");
  });

  it("refuses before starting the child when a name is unknown or a provider fails", () => {
    sb = sandbox();
    const marker = join(sb.dir, "started");
    const child = node(`require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`);
    const none = run(sb, ["exec", "--secret", "NOPE", "--", ...child]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(
      /^hookpack: unknown secret NOPE \(there is no secret store yet\)\. The command was not started\.\nhookpack: add it with `hookpack secret set NOPE`/,
    );
    setSecret(sb, "GOOD", fakeSecret());
    expect(
      run(sb, ["exec", "--secret", "GOOD", "--secret", "MISSING", "--", ...child]).stderr,
    ).toMatch(/unknown secret MISSING .*known: GOOD/s);
    expect(
      run(sb, [
        "secret",
        "set",
        "BROKEN",
        "--exec",
        "--no-check",
        "--",
        "node",
        "-e",
        "console.error('not signed in'); process.exit(4)",
      ]).status,
    ).toBe(0);
    const failed = run(sb, ["exec", "--secret", "BROKEN", "--", ...child]);
    expect(failed.status).toBe(2);
    expect(failed.stderr).toMatch(
      /^hookpack: cannot resolve secret BROKEN: `node -e .*` exited with 4: not signed in/,
    );
    expect(existsSync(marker)).toBe(false);
    const audit = readAudit(sb);
    expect(audit.map((e) => e.refused)).toEqual([
      "SECRET_UNKNOWN",
      "SECRET_UNKNOWN",
      "PROVIDER_FAILED",
    ]);
  });

  it("kills a provider command that hangs, at its timeout", () => {
    sb = sandbox();
    expect(
      run(sb, [
        "secret",
        "set",
        "SLOW",
        "--exec",
        "--timeout",
        "1",
        "--no-check",
        "--",
        "sh",
        "-c",
        "sleep 30; echo late-value",
      ]).status,
    ).toBe(0);
    const t0 = Date.now();
    const r = run(sb, ["exec", "--secret", "SLOW", "--", "true"]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/did not finish within 1 s and was killed/);
  });

  it("resolves exec and env providers and an env file with references, in memory", () => {
    sb = sandbox();
    const e = fakeSecret("e");
    const x = fakeSecret("x");
    const s = fakeSecret("s");
    setSecret(sb, "STORED", s);
    expect(run(sb, ["secret", "set", "FROM_ENV", "--env", "SRC_VAR", "--no-check"]).status).toBe(0);
    writeFileSync(join(sb.dir, "x.txt"), `${x}\n`);
    expect(
      run(sb, ["secret", "set", "FROM_CMD", "--exec", "--", "cat", join(sb.dir, "x.txt")]).status,
    ).toBe(0);
    writeFileSync(
      join(sb.dir, "app.env"),
      `# refs\nA=$secret:STORED\nB=\${secret:FROM_CMD}\nPLAIN="hello world"\n`,
    );
    const r = run(
      sb,
      [
        "exec",
        "--env-file",
        "app.env",
        "--secret",
        "FROM_ENV=C",
        "--",
        ...node(
          "const e = process.env; console.log([e.A.length, e.B.length, e.C.length, e.PLAIN].join(','), e.A, e.B, e.C)",
        ),
      ],
      { env: { SRC_VAR: e } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `${s.length},${x.length},${e.length},hello world [REDACTED:STORED] [REDACTED:FROM_CMD] [REDACTED:FROM_ENV]\n`,
    );
    expect(everythingWritten(sb, r)).not.toMatch(new RegExp(`${e}|${x}|${s}`));
  });

  it("returns 128+signal when the child is killed, and 127 for a missing command", () => {
    sb = sandbox();
    expect(run(sb, ["exec", "--", "sh", "-c", "kill -9 $$"]).status).toBe(137);
    expect(run(sb, ["exec", "--", "sh", "-c", "kill -TERM $$"]).status).toBe(143);
    const missing = run(sb, ["exec", "--", "no-such-command-hookpack-test"]);
    expect(missing.status).toBe(127);
    expect(missing.stderr).toMatch(
      /^hookpack: cannot run no-such-command-hookpack-test: command not found/,
    );
  });

  it("forwards SIGTERM to the child's whole process group and returns its status", async () => {
    sb = sandbox();
    const pidFile = join(sb.dir, "grandchild.pid");
    const script = `
      const { spawn } = require("child_process");
      const g = spawn("sleep", ["30"], { stdio: "ignore" });
      require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));
      process.on("SIGTERM", () => { console.log("child got SIGTERM"); process.exit(7); });
      console.log("ready"); setInterval(() => {}, 1000);`;
    const p = runAsync(sb, ["exec", "--", ...node(script)]);
    await waitFor(() => p.out().includes("ready") && existsSync(pidFile), 10_000);
    p.child.kill("SIGTERM");
    const r = await p.done;
    expect(r.code).toBe(7);
    expect(r.stdout).toContain("child got SIGTERM");
    const gpid = Number(readFileSync(pidFile, "utf8"));
    await waitFor(() => {
      try {
        process.kill(gpid, 0);
        return false;
      } catch {
        return true;
      }
    }, 5000);
  });

  it("asks for colour only when its own stdout is a terminal", () => {
    sb = sandbox();
    const probe = node("console.log(String(process.env.FORCE_COLOR))");
    expect(run(sb, ["exec", "--", ...probe]).stdout).toBe("undefined\n");
    const script = spawnSync("script", ["--version"], { encoding: "utf8" });
    if (script.status !== 0) return; // util-linux `script` gives us a pty; without it only the pipe case is checked
    const cmd = [process.execPath, HOOKPACK_CJS, "exec", "--", ...probe]
      .map((a) => `'${a}'`)
      .join(" ");
    const tty = spawnSync("script", ["-qec", cmd, "/dev/null"], {
      env: sb.env,
      encoding: "utf8",
      input: "",
    });
    expect(tty.stdout.replace(/\r/g, "")).toContain("1\n");
    const noColor = spawnSync("script", ["-qec", cmd, "/dev/null"], {
      env: { ...sb.env, NO_COLOR: "1" },
      encoding: "utf8",
      input: "",
    });
    expect(noColor.stdout.replace(/\r/g, "")).toContain("undefined\n");
  });

  it("rejects usage errors clearly", () => {
    sb = sandbox();
    expect(run(sb, ["exec", "true"]).stderr).toMatch(
      /^hookpack: `exec` needs `--` before the command/,
    );
    expect(run(sb, ["exec", "--secret", "A=B=C", "--", "true"]).stderr).toMatch(
      /is not NAME or NAME=ENVVAR/,
    );
    expect(run(sb, ["exec", "--grant", "g1", "--", "true"]).stderr).toMatch(
      /"g1" is not a grant id.*The command was not started/,
    );
  });
});
