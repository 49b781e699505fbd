// `hookpack pre-push` through real `git push` runs: git invokes the installed hook with the real
// stdin and arguments against a local bare remote. Every pitfall of reference/publish-and-git.md
// §B1 is a case here.
import { existsSync } from "node:fs";
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

function setup() {
  s = makeSandbox("hookpack-prepush-");
  const { dir, remote } = s.repo();
  commitFiles(s, dir, { "README.md": "# demo\n" }, "initial");
  s.git(dir, "push", "-q", "origin", "main");
  const r = s.hookpack(dir, ["install", "--agent", "claude-code", "--scope", "local"]);
  expect(r.status, r.stderr).toBe(0);
  return { dir, remote };
}

const push = (dir: string, ...args: string[]) =>
  s.run("git", ["push", ...args], { cwd: dir, ok: false });

function expectBlocked(r: ReturnType<typeof push>, token?: string) {
  expect(r.status, r.stderr).not.toBe(0);
  expect(r.stderr).toContain("hookpack: push blocked");
  if (token) expect(r.stdout + r.stderr).not.toContain(token);
}

describe("hookpack pre-push (real git push)", () => {
  it("lets a clean push through and says what it scanned", () => {
    const { dir } = setup();
    commitFiles(s, dir, { "a.txt": "hello\n" }, "clean");
    const r = push(dir, "origin", "main");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/hookpack: pre-push to origin: scanned 1 commit/);
  });

  it("blocks a secret that was added and removed inside the pushed range (net diff is clean)", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    const added = commitFiles(s, dir, { "config.js": `const token = "${token}";\n` }, "add config");
    s.git(dir, "rm", "-q", "config.js");
    s.git(dir, "commit", "-q", "-m", "remove config");
    expect(s.git(dir, "diff", "origin/main", "HEAD")).toBe("");
    const r = push(dir, "origin", "main");
    expectBlocked(r, token);
    expect(r.stderr).toContain(`commit ${added.slice(0, 12)} "add config"`);
    expect(r.stderr).toMatch(
      /config\.js:1:\d+ {2}GitHub personal access token \(classic\) \[github-pat\] sha256:[0-9a-f]{64}/,
    );
    expect(r.stderr).toContain("[REDACTED:GitHub personal access token (classic)]");
    expect(r.stderr).toMatch(/scanned 2 commits/);
    expect(s.git(dir, "ls-remote", "origin", "main").split("\t")[0]).not.toBe(
      s.git(dir, "rev-parse", "HEAD"),
    );
  });

  it("blocks an evil merge whose resolution alone adds the secret", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    s.git(dir, "checkout", "-q", "-b", "side");
    commitFiles(s, dir, { "side.txt": "side\n" }, "side work");
    s.git(dir, "checkout", "-q", "main");
    commitFiles(s, dir, { "main.txt": "main\n" }, "main work");
    s.git(dir, "merge", "-q", "--no-commit", "side");
    s.write(join(dir, "main.txt"), `main\nkey=${token}\n`);
    s.git(dir, "add", "main.txt");
    s.git(dir, "commit", "-q", "-m", "merge side");
    const merge = s.git(dir, "rev-parse", "HEAD");
    const r = push(dir, "origin", "main");
    expectBlocked(r, token);
    expect(r.stderr).toContain(`commit ${merge.slice(0, 12)} "merge side"`);
    expect(r.stderr).toMatch(/main\.txt:2:5/);
  });

  it("blocks a file renamed and given a secret in one commit", () => {
    const { dir } = setup();
    const body =
      Array.from({ length: 30 }, (_, i) => `line ${i} of a long enough file`).join("\n") + "\n";
    commitFiles(s, dir, { "old-name.txt": body }, "add file");
    s.git(dir, "push", "-q", "--no-verify", "origin", "main");
    const token = fakeGithubToken();
    s.git(dir, "mv", "old-name.txt", "new-name.txt");
    s.write(join(dir, "new-name.txt"), `${body}token=${token}\n`);
    s.git(dir, "add", "new-name.txt");
    s.git(dir, "commit", "-q", "-m", "rename and edit");
    expect(s.git(dir, "show", "--stat", "--format=", "-M", "HEAD")).toContain("=>");
    const r = push(dir, "origin", "main");
    expectBlocked(r, token);
    expect(r.stderr).toMatch(/new-name\.txt:31:7/);
  });

  it("sees through a textconv driver, external diff, colour and noprefix config", () => {
    const { dir } = setup();
    s.git(dir, "config", "diff.rot.textconv", "tr A-Za-z N-ZA-Mn-za-m <");
    s.git(dir, "config", "color.ui", "always");
    s.git(dir, "config", "diff.noprefix", "true");
    s.git(dir, "config", "diff.external", "false");
    const token = fakeGithubToken();
    commitFiles(
      s,
      dir,
      { ".gitattributes": "*.txt diff=rot\n", "hidden.txt": `x=${token}\n` },
      "textconv",
    );
    expect(s.git(dir, "log", "-p", "-1")).not.toContain(token);
    const r = push(dir, "origin", "main");
    expectBlocked(r, token);
    expect(r.stderr).toMatch(/hidden\.txt:1:3/);
  });

  it("scans a file that a `-diff` attribute makes git show as binary", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    commitFiles(
      s,
      dir,
      { ".gitattributes": "*.cfg -diff\n", "app.cfg": `token=${token}\n` },
      "binary attr",
    );
    const r = push(dir, "origin", "main");
    expectBlocked(r, token);
    expect(r.stderr).toContain("app.cfg:1:7");
  });

  it("blocks an added agent-state path whatever its content", () => {
    const { dir } = setup();
    commitFiles(s, dir, { ".claude/settings.local.json": "{}\n", ".env.example": "A=\n" }, "state");
    const r = push(dir, "origin", "main");
    expectBlocked(r);
    expect(r.stderr).toContain(".claude/settings.local.json  agent state or credential file added");
    expect(r.stderr).not.toContain(".env.example");
  });

  it("still scans when the remote sha is unknown locally (someone else pushed)", () => {
    const { dir, remote } = setup();
    const other = join(s.root, "other");
    s.run("git", ["clone", "-q", remote, other]);
    commitFiles(s, other, { "theirs.txt": "theirs\n" }, "their commit");
    s.git(other, "push", "-q", "origin", "main");
    const token = fakeGithubToken();
    commitFiles(s, dir, { "mine.txt": `t=${token}\n` }, "my commit");
    const r = push(dir, "--force", "origin", "main");
    expectBlocked(r, token);
    expect(r.stderr).toContain("not in this repository");
    expect(r.stderr).toContain("mine.txt:1:3");
  });

  it("works when pushing to a URL instead of a remote name", () => {
    const { dir, remote } = setup();
    s.git(dir, "fetch", "-q", "origin");
    const token = fakeGithubToken();
    commitFiles(s, dir, { "url.txt": `t=${token}\n` }, "url push");
    const r = push(dir, remote, "main");
    expectBlocked(r, token);
    expect(r.stderr).toMatch(/scanned 1 commit /);
  });

  it("scans only the new commits of a new branch, and lets deletions through", () => {
    const { dir } = setup();
    s.git(dir, "checkout", "-q", "-b", "feature");
    commitFiles(s, dir, { "f.txt": "feature\n" }, "feature");
    const r = push(dir, "origin", "feature");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/scanned 1 commit /);
    const d = push(dir, "origin", ":feature");
    expect(d.status, d.stderr).toBe(0);
  });

  it("blocks a tag that points at a blob holding a secret", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    const blob = s
      .run("git", ["hash-object", "-w", "--stdin"], { cwd: dir, input: `secret=${token}\n` })
      .stdout.trim();
    s.git(dir, "tag", "blob-tag", blob);
    const r = push(dir, "origin", "refs/tags/blob-tag");
    expectBlocked(r, token);
    expect(r.stderr).toContain("blob-tag");
  });

  it("honours inline allow markers and the fingerprint allow-list, which holds no value", () => {
    const { dir } = setup();
    const a = fakeGithubToken();
    const b = fakeGithubToken();
    commitFiles(s, dir, { "a.txt": `x=${a} # gitleaks:allow\n`, "b.txt": `y=${b}\n` }, "allowed");
    const first = push(dir, "origin", "main");
    expectBlocked(first, b);
    expect(first.stderr).not.toContain("a.txt");
    const fingerprint =
      /b\.txt:1:3 {2}GitHub personal access token \(classic\) \[github-pat\] (sha256:[0-9a-f]{64})/.exec(
        first.stderr,
      )?.[1];
    expect(fingerprint).toBeDefined();
    // CI can refuse inline markers.
    const strict = s.hookpack(
      dir,
      ["pre-push", "origin", "--no-inline-allow"],
      `refs/heads/main ${s.git(dir, "rev-parse", "HEAD")} refs/heads/main ${"0".repeat(40)}\n`,
    );
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain("a.txt:1:3");
    s.write(join(dir, ".hookpack-allow"), `# test fixture\ngithub-pat:${fingerprint}\n`);
    const second = push(dir, "origin", "main");
    expect(second.status, second.stderr).toBe(0);
    expect(s.read(join(dir, ".hookpack-allow"))).not.toContain(b);
  });

  it("scans every commit of a long first push, never truncating", () => {
    s = makeSandbox("hookpack-prepush-");
    const { dir } = s.repo();
    const token = fakeGithubToken();
    // 400 commits through fast-import; the secret sits in the very first one.
    let stream = "";
    for (let i = 1; i <= 400; i++) {
      const content = i === 1 ? `key=${token}\n` : `commit ${i}\n`;
      stream += `commit refs/heads/main\nmark :${i}\ncommitter T <t@example.invalid> ${1700000000 + i} +0000\ndata ${`c${i}`.length}\nc${i}\n${i > 1 ? `from :${i - 1}\n` : ""}M 100644 inline f${i % 7}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    }
    s.run("git", ["fast-import", "--quiet"], { cwd: dir, input: stream });
    s.git(dir, "reset", "-q", "--hard", "main");
    expect(s.hookpack(dir, ["install", "--agent", "claude-code", "--scope", "local"]).status).toBe(
      0,
    );
    const r = push(dir, "origin", "main");
    expectBlocked(r, token);
    expect(r.stderr).toMatch(/scanned 400 commits/);
    expect(r.stderr).toMatch(/f1\.txt:1:5/);
  });

  it("reports git's JSON format and fails closed on malformed input", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    const sha = commitFiles(s, dir, { "j.txt": `t=${token}\n` }, "json");
    const j = s.hookpack(
      dir,
      ["pre-push", "origin", "x", "--format", "json"],
      `refs/heads/main ${sha} refs/heads/main ${s.git(dir, "rev-parse", "origin/main")}\n`,
    );
    expect(j.status).toBe(1);
    const report = JSON.parse(j.stdout) as {
      findings: Array<{ commit: string; path: string; line: number; ruleId: string }>;
    };
    expect(report.findings).toMatchObject([
      { commit: sha, path: "j.txt", line: 1, ruleId: "github-pat" },
    ]);
    expect(j.stdout).not.toContain(token);
    const bad = s.hookpack(dir, ["pre-push", "origin"], "not a ref line\n");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("the push was stopped");
  });
});
