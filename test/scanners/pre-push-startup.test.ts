// What `hookpack pre-push` loads: a clean push needs neither node:crypto (fingerprints exist only
// for findings) nor the audit bundle (written only for a blocked push), so neither loads with the
// pre-push bundle; a blocked push still fingerprints its findings and appends its audit entry.
// Real git repositories and the real dist/hookpack.cjs, with git's pre-push stdin.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  commitFiles,
  fakeGithubToken,
  HOOKPACK,
  makeSandbox,
  type Sandbox,
} from "../helpers/git-sandbox.js";

let s: Sandbox;
beforeAll(() => {
  if (!existsSync(HOOKPACK)) throw new Error("run `npm run build` first");
});
afterEach(() => s?.cleanup());

/** Runs pre-push for `main` (never pushed) with a preload that records the loaded modules. */
function prePush(files: Record<string, string>) {
  s = makeSandbox("hookpack-prepush-start-");
  const { dir } = s.repo();
  const head = commitFiles(s, dir, files, "change");
  const preload = join(s.root, "modules.cjs");
  const out = join(s.root, "modules.txt");
  s.write(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join("\\n")));\n`,
  );
  const r = s.run(process.execPath, [HOOKPACK, "pre-push", "origin", "--format", "json"], {
    cwd: dir,
    input: `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n`,
    ok: false,
    env: { NODE_OPTIONS: `--require ${preload}` },
  });
  const auditFile = join(s.hookpackHome, "audit", "audit.jsonl");
  return {
    r,
    modules: readFileSync(out, "utf8"),
    audit: existsSync(auditFile) ? readFileSync(auditFile, "utf8") : "",
  };
}

describe("hookpack pre-push start-up", () => {
  it("a clean push loads no node:crypto and writes no audit entry", () => {
    const { r, modules, audit } = prePush({ "a.js": "const greeting = 'hello';\n" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
    expect(modules).toContain("child_process"); // the record is real
    expect(modules).not.toMatch(/crypto/);
    expect(audit).not.toContain("push-blocked");
  });

  it("a blocked push still fingerprints its finding and appends its audit entry", () => {
    const token = fakeGithubToken();
    const { r, modules, audit } = prePush({ "b.js": `const token = "${token}";\n` });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).not.toContain(token);
    const [finding] = JSON.parse(r.stdout).findings;
    expect(finding.ruleId).toBe("github-pat");
    expect(finding.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(modules).toMatch(/crypto/);
    expect(audit).toContain('"kind":"push-blocked"');
    expect(audit).not.toContain(token);
  });
});
