// `hookpack install` / `uninstall` for the project hygiene part: ignore-file blocks, package.json
// `files` negations, the git pre-push hook and its coexistence with other hook managers. Real git,
// real processes; install twice changes nothing; install then uninstall is byte-identical.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { planIgnoreFiles } from "../../installer/ignore-files.js";
import { withBlock, withoutBlock } from "../../installer/ignore-files.js";
import { commitFiles, fakeGithubToken, makeSandbox, type Sandbox } from "../helpers/git-sandbox.js";
import { snapshotWithModes as snapshot } from "./git-project.js";

let s: Sandbox;
afterEach(() => s?.cleanup());

const install = (dir: string, ...extra: string[]) =>
  s.hookpack(dir, ["install", "--agent", "claude-code", "--scope", "local", ...extra]);
const uninstall = (dir: string, ...extra: string[]) =>
  s.hookpack(dir, ["uninstall", "--agent", "claude-code", "--scope", "local", ...extra]);

describe("managed ignore blocks", () => {
  it("restores files byte for byte, with or without a final newline, LF or CRLF", () => {
    for (const text of [
      "",
      "node_modules",
      "node_modules\n",
      "node_modules\n\n",
      "a\r\nb\r\n",
      "a\r\nb",
    ]) {
      const withIt = withBlock(text, ["x", "y"]);
      expect(withBlock(withIt, ["x", "y"])).toBe(withIt);
      expect(withoutBlock(withIt)).toBe(text);
      if (text.includes("\r\n")) expect(withIt.replace(/\r\n/g, "")).not.toContain("\n");
    }
  });

  it("never creates a .npmignore, and keeps templates the user ignores on purpose ignored", () => {
    s = makeSandbox("hookpack-hygiene-");
    const dir = join(s.root, "p");
    s.write(join(dir, ".gitignore"), ".env.sample\n");
    const plan = planIgnoreFiles(dir);
    expect(plan.changes.map((c) => c.path)).toEqual([join(dir, ".gitignore")]);
    const after = plan.changes[0]!.after!;
    expect(after).toContain("!**/.env.example");
    expect(after).not.toContain("!**/.env.sample");
  });
});

describe("hookpack install: ignore files and the pre-push hook", () => {
  it("installs once, changes nothing the second time, and uninstall leaves every file byte-identical", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir } = s.repo();
    s.write(join(dir, ".gitignore"), "node_modules");
    s.write(join(dir, ".npmignore"), "test/\n");
    s.write(
      join(dir, "package.json"),
      '{\n  "name": "p",\n  "version": "1.0.0",\n  "files": ["dist", "*.js"]\n}\n',
    );
    s.write(
      join(dir, ".git", "hooks", "pre-push"),
      '#!/bin/sh\necho "previous hook: $1 $2"; cat > "$(dirname "$0")/../prev-stdin"\n',
      0o750,
    );
    const before = snapshot(dir);
    const first = install(dir);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/update \.gitignore/);
    expect(first.stdout).toMatch(/update \.npmignore/);
    expect(first.stdout).toMatch(/update package\.json: exclude agent state/);
    expect(first.stdout).toMatch(/pre-push\.hookpack-prev/);
    expect(first.stdout).toMatch(/npm would (pack|still pack)/);
    const hook = readFileSync(join(dir, ".git", "hooks", "pre-push"), "utf8");
    expect(hook.startsWith("#!/bin/sh\n")).toBe(true);
    expect(hook).not.toContain("\r");
    expect(hook).not.toMatch(/\bnpx\b/);
    expect(statSync(join(dir, ".git", "hooks", "pre-push")).mode & 0o111).toBe(0o111);
    expect(statSync(join(dir, ".git", "hooks", "pre-push.hookpack-prev")).mode & 0o777).toBe(0o750);
    const once = snapshot(dir);
    const second = install(dir);
    expect(second.stdout).toContain("nothing to change");
    expect(snapshot(dir)).toEqual(once);
    const out = uninstall(dir);
    expect(out.status, out.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it("agents with an ignore file of their own (Gemini, Cline, Cursor) get a credential block there; the user's lines stay; uninstall is byte-identical", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir } = s.repo();
    const mine = "# mine\r\nbuild/"; // CRLF, no final newline
    s.write(join(dir, ".geminiignore"), mine);
    const before = snapshot(dir);
    const r = s.hookpack(dir, ["install", "--agent", "gemini,cline,cursor", "--scope", "local"]);
    expect(r.status, r.stderr).toBe(0);
    for (const name of [".geminiignore", ".clineignore", ".cursorignore"]) {
      const text = readFileSync(join(dir, name), "utf8");
      const lines = text.split(/\r?\n/);
      for (const line of [
        ".env",
        ".env.*",
        "!**/.env.example",
        "*.pem",
        "id_rsa*",
        ".netrc",
        ".git-credentials",
      ])
        expect(lines, `${name}: ${line}`).toContain(line);
      expect(r.stdout).toContain(`${name} lists credential files`);
    }
    expect(readFileSync(join(dir, ".geminiignore"), "utf8").startsWith(mine)).toBe(true);
    const once = snapshot(dir);
    expect(
      s.hookpack(dir, ["install", "--agent", "gemini,cline,cursor", "--scope", "local"]).status,
    ).toBe(0);
    expect(snapshot(dir)).toEqual(once);
    const u = s.hookpack(dir, ["uninstall", "--agent", "gemini,cline,cursor"]);
    expect(u.status, u.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it("chains an existing hand-written hook with the same arguments and stdin on a real push", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir, remote } = s.repo();
    commitFiles(s, dir, { "a.txt": "a\n" }, "a");
    s.write(
      join(dir, ".git", "hooks", "pre-push"),
      '#!/bin/sh\necho "$1 $2" > "$(git rev-parse --git-dir)/prev-args"; cat > "$(git rev-parse --git-dir)/prev-stdin"\n',
      0o755,
    );
    expect(install(dir).status).toBe(0);
    const r = s.run("git", ["push", "origin", "main"], { cwd: dir, ok: false });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("hookpack: pre-push to origin");
    expect(readFileSync(join(dir, ".git", "prev-args"), "utf8").trim()).toBe(`origin ${remote}`);
    expect(readFileSync(join(dir, ".git", "prev-stdin"), "utf8")).toBe(
      `refs/heads/main ${s.git(dir, "rev-parse", "HEAD")} refs/heads/main ${"0".repeat(40)}\n`,
    );
    // A failing previous hook still fails the push.
    s.write(join(dir, ".git", "hooks", "pre-push.hookpack-prev"), "#!/bin/sh\nexit 3\n", 0o755);
    commitFiles(s, dir, { "b.txt": "b\n" }, "b");
    expect(s.run("git", ["push", "origin", "main"], { cwd: dir, ok: false }).status).not.toBe(0);
  });

  it("respects core.hooksPath set in the repository", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir } = s.repo();
    s.git(dir, "config", "core.hooksPath", "githooks");
    expect(install(dir).status).toBe(0);
    expect(readFileSync(join(dir, "githooks", "pre-push"), "utf8")).toContain(
      "hookpack-managed-hook",
    );
    expect(() => statSync(join(dir, ".git", "hooks", "pre-push"))).toThrow();
  });

  it("does not write into a global core.hooksPath, and says what to do", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir } = s.repo();
    s.run("git", ["config", "--global", "core.hooksPath", join(s.home, "global-hooks")]);
    const r = install(dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/core\.hooksPath is set in your global config/);
    expect(() => statSync(join(s.home, "global-hooks", "pre-push"))).toThrow();
  });

  it("husky: adds a block to .husky/pre-push that a real push runs, and later husky commands still get stdin", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir } = s.repo();
    // husky 9's layout: core.hooksPath=.husky/_, a stub per hook that runs `sh -e .husky/<hook> "$@"`.
    s.write(
      join(dir, ".husky", "_", "h"),
      '#!/usr/bin/env sh\nn=$(basename "$0")\ns=$(dirname "$(dirname "$0")")/$n\n[ ! -f "$s" ] && exit 0\nsh -e "$s" "$@"\n',
      0o755,
    );
    s.write(
      join(dir, ".husky", "_", "pre-push"),
      '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n',
      0o755,
    );
    s.write(join(dir, ".husky", "pre-push"), "cat > .git/husky-stdin\n");
    s.git(dir, "config", "core.hooksPath", ".husky/_");
    commitFiles(s, dir, { "a.txt": "a\n" }, "a");
    const before = snapshot(dir);
    const r = install(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\.husky\/pre-push: run hookpack's pre-push scan from husky/);
    expect(() => statSync(join(dir, ".git", "hooks", "pre-push"))).toThrow();
    const token = fakeGithubToken();
    commitFiles(s, dir, { "b.txt": `t=${token}\n` }, "b");
    const blocked = s.run("git", ["push", "origin", "main"], { cwd: dir, ok: false });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stderr).toContain("hookpack: push blocked");
    s.git(dir, "reset", "-q", "--hard", "HEAD~1");
    const ok = s.run("git", ["push", "origin", "main"], { cwd: dir, ok: false });
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, ".git", "husky-stdin"), "utf8")).toMatch(
      /^refs\/heads\/main [0-9a-f]{40} refs\/heads\/main 0{40}\n$/,
    );
    expect(uninstall(dir).status).toBe(0);
    const after = snapshot(dir);
    delete after[".git/husky-stdin"];
    expect(after).toEqual(before);
  });

  it("lefthook: adds a pre-push command with use_stdin, or explains when a pre-push section exists", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir } = s.repo();
    s.write(
      join(dir, "lefthook.yml"),
      "pre-commit:\n  commands:\n    lint:\n      run: npm run lint\n",
    );
    const before = snapshot(dir);
    expect(install(dir).status).toBe(0);
    const yml = readFileSync(join(dir, "lefthook.yml"), "utf8");
    expect(yml).toMatch(
      /^pre-push:\n {2}commands:\n {4}hookpack:\n {6}run: '.* pre-push \{1\} \{2\}'\n {6}use_stdin: true$/m,
    );
    expect(() => statSync(join(dir, ".git", "hooks", "pre-push"))).toThrow();
    expect(uninstall(dir).status).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    s.write(join(dir, "lefthook.yml"), "pre-push:\n  commands:\n    test:\n      run: npm test\n");
    const r = install(dir);
    expect(r.stdout).toContain("already has a pre-push section");
    expect(readFileSync(join(dir, "lefthook.yml"), "utf8")).toBe(
      "pre-push:\n  commands:\n    test:\n      run: npm test\n",
    );
  });

  it("simple-git-hooks: adds pre-push to its config instead of a hook file it would delete", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir } = s.repo();
    s.write(
      join(dir, "package.json"),
      '{\n  "name": "p",\n  "version": "1.0.0",\n  "simple-git-hooks": {\n    "pre-commit": "npm test"\n  }\n}\n',
    );
    const before = snapshot(dir);
    expect(install(dir).status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      "simple-git-hooks": Record<string, string>;
    };
    expect(pkg["simple-git-hooks"]["pre-push"]).toMatch(/ pre-push "\$@"$/);
    expect(uninstall(dir).status).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it("--no-git-hook and --no-ignore-files opt out; --publish-gate adds and removes a prepublishOnly check", () => {
    s = makeSandbox("hookpack-hygiene-");
    const { dir } = s.repo();
    s.write(
      join(dir, "package.json"),
      '{\n  "name": "p",\n  "version": "1.0.0",\n  "scripts": {\n    "prepublishOnly": "npm test"\n  }\n}\n',
    );
    const before = snapshot(dir);
    expect(install(dir, "--no-git-hook", "--no-ignore-files").status).toBe(0);
    expect(() => statSync(join(dir, ".git", "hooks", "pre-push"))).toThrow();
    expect(() => statSync(join(dir, ".gitignore"))).toThrow();
    expect(uninstall(dir).status).toBe(0);
    expect(install(dir, "--publish-gate").status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prepublishOnly).toMatch(/^npm test && .*check-pack \.$/);
    expect(uninstall(dir).status).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });
});
