// Issue 18 item 16: the README's two CI recipes are complete, and the pull-request one finds a
// secret in a PR commit in a clone shaped like actions/checkout's (fetch-depth 0: the PR branch is
// on the remote-tracking refs too), running its `run:` line through a real shell and real git.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  commitFiles,
  fakeGithubToken,
  HOOKPACK,
  makeSandbox,
  REPO_ROOT,
  type Sandbox,
} from "../helpers/git-sandbox.js";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const yamlBlocks = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

let s: Sandbox | undefined;
afterEach(() => s?.cleanup());

describe("the README's CI recipes", () => {
  it("check-pack: a complete workflow (npm ci, the permission upload-sarif needs, the upload)", () => {
    const recipe = yamlBlocks.find((b) => b.includes("upload-sarif"));
    expect(recipe).toBeDefined();
    for (const line of [
      "- run: npm ci",
      "security-events: write",
      "actions/checkout@",
      "actions/setup-node@",
      "--format sarif",
      "github/codeql-action/upload-sarif@",
      "if: always()",
    ])
      expect(recipe, line).toContain(line);
    expect(recipe!.indexOf("npm ci")).toBeLessThan(recipe!.indexOf("npx hookpack"));
  });

  it("every workflow in the README installs hookpack with npm ci before it runs npx hookpack", () => {
    const workflows = yamlBlocks.filter((b) => b.includes("npx hookpack"));
    expect(workflows.length).toBeGreaterThanOrEqual(3);
    for (const w of workflows) {
      expect(w, w).toContain("- run: npm ci");
      expect(w.indexOf("npm ci")).toBeLessThan(w.indexOf("npx hookpack"));
    }
  });

  it("pull request: scans every PR commit although the remote has them, blocks a secret, passes a clean PR", () => {
    const recipe = yamlBlocks.find((b) => b.includes("pre-push --range"));
    expect(recipe).toBeDefined();
    for (const line of [
      "on: pull_request",
      "fetch-depth: 0",
      "- run: npm ci",
      "github.event.pull_request.base.sha",
      "github.event.pull_request.head.sha",
    ])
      expect(recipe, line).toContain(line);
    const run = /- run: (npx hookpack pre-push .*)$/m.exec(recipe!)![1]!;

    s = makeSandbox("hookpack-ci-recipe-");
    const { dir } = s.repo("dev");
    const base = commitFiles(s, dir, { "README.md": "# app\n" }, "initial");
    s.git(dir, "push", "-q", "origin", "main");
    s.git(dir, "checkout", "-q", "-b", "feature");
    const token = fakeGithubToken();
    commitFiles(
      s,
      dir,
      { "deploy.sh": `curl -H "Authorization: token ${token}" https://api.github.com/\n` },
      "add deploy",
    );
    commitFiles(
      s,
      dir,
      { "deploy.sh": "curl https://api.github.com/\n" },
      "remove the token again",
    );
    const head = s.git(dir, "rev-parse", "HEAD");
    s.git(dir, "push", "-q", "origin", "feature");
    // The CI runner's clone: everything fetched, the PR branch on origin/feature.
    const ci = join(s.root, "ci");
    s.run("git", ["clone", "-q", join(s.root, "dev-remote.git"), ci]);
    s.git(ci, "checkout", "-q", head);
    const sh = (baseSha: string, headSha: string) =>
      spawnSync("sh", ["-c", run.replace(/^npx hookpack/, `"${process.execPath}" "${HOOKPACK}"`)], {
        cwd: ci,
        env: { ...s!.env, BASE_SHA: baseSha, HEAD_SHA: headSha },
        encoding: "utf8",
      });
    const found = sh(base, head);
    expect(found.status, found.stderr).toBe(1);
    expect(found.stdout).toMatch(/^::error file=deploy\.sh,line=1/m);
    expect(found.stdout + found.stderr).not.toContain(token);
    // The same workflow on a clean pull request passes.
    s.git(dir, "checkout", "-q", "-b", "clean", base);
    const clean = commitFiles(s, dir, { "docs.md": "hello\n" }, "docs");
    s.git(dir, "push", "-q", "origin", "clean");
    s.git(ci, "fetch", "-q", "origin");
    const ok = sh(base, clean);
    expect(ok.status, ok.stderr + ok.stdout).toBe(0);
  });
});
