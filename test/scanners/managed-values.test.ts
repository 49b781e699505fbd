// The user's own stored secrets, which no pattern rule knows, are found by pre-push and
// check-pack too — in their encoded forms as well — through the value-free hook cache.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { commitFiles, HOOKPACK, makeSandbox, type Sandbox } from "../helpers/git-sandbox.js";

let s: Sandbox;
beforeAll(() => {
  if (!existsSync(HOOKPACK)) throw new Error("run `npm run build` first");
});
afterEach(() => s?.cleanup());

function withStoredSecret(): string {
  s = makeSandbox("hookpack-managed-");
  s.env.HOOKPACK_KEY_BACKEND = "file";
  // Random hex: no secretlint rule recognises it, only the stored value does.
  const value = `k${randomBytes(20).toString("hex")}`;
  const r = s.hookpack(s.root, ["secret", "set", "DEPLOY_KEY"], value);
  expect(r.status, r.stderr).toBe(0);
  return value;
}

describe("managed values in pre-push and check-pack", () => {
  it("a push carrying a stored secret (raw or base64) is blocked by name, never showing the value", () => {
    const value = withStoredSecret();
    const { dir } = s.repo();
    commitFiles(s, dir, { "README.md": "# demo\n" }, "initial");
    s.git(dir, "push", "-q", "origin", "main");
    expect(s.hookpack(dir, ["install", "--agent", "claude-code", "--scope", "local"]).status).toBe(
      0,
    );
    commitFiles(
      s,
      dir,
      {
        "deploy.sh": `curl -u deploy:${value} https://example.invalid\n`,
        "ci.yml": `auth: ${Buffer.from(value).toString("base64")}\n`,
      },
      "deploy",
    );
    const r = s.run("git", ["push", "origin", "main"], { cwd: dir, ok: false });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("hookpack: push blocked");
    expect(r.stderr).toMatch(/deploy\.sh:1:\d+ +managed secret DEPLOY_KEY/);
    expect(r.stderr).toMatch(/ci\.yml:1:\d+ +managed secret DEPLOY_KEY/);
    expect(r.stdout + r.stderr).not.toContain(value);
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(value).toString("base64"));
  });

  it("a pushed file without the stored value goes through", () => {
    withStoredSecret();
    const { dir } = s.repo();
    commitFiles(s, dir, { "README.md": "# demo\n" }, "initial");
    s.git(dir, "push", "-q", "origin", "main");
    expect(s.hookpack(dir, ["install", "--agent", "claude-code", "--scope", "local"]).status).toBe(
      0,
    );
    // (A literal password in `curl -u` is itself a finding since the detection rules of issue 17.)
    commitFiles(
      s,
      dir,
      { "deploy.sh": `echo build ${randomBytes(20).toString("hex")} https://example.invalid\n` },
      "deploy",
    );
    const r = s.run("git", ["push", "origin", "main"], { cwd: dir, ok: false });
    expect(r.status, r.stderr).toBe(0);
  });

  it("check-pack flags a package file holding a stored secret", () => {
    const value = withStoredSecret();
    const pkg = join(s.root, "pkg");
    s.write(
      join(pkg, "package.json"),
      `${JSON.stringify({ name: "demo-managed", version: "1.0.0" }, null, 2)}\n`,
    );
    s.write(join(pkg, "index.js"), `module.exports = { key: ${JSON.stringify(value)} };\n`);
    const r = s.hookpack(pkg, ["check-pack", ".", "--format", "json"]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain("managed secret DEPLOY_KEY");
    expect(r.stdout + r.stderr).not.toContain(value);
  });
});
