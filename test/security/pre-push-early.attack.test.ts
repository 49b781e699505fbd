// Issue 21, the pre-push row: git log now starts before the stored-value matcher is read and the
// prefilter compiled (both overlap git's start), and before the object-type check it used to wait
// behind. The agent tries to use that: a stored value in the very first lines git streams (before
// the matcher could have been ready) and in that commit's message, token-shaped values in commit
// messages of a force push over a remote commit this repository lacks (the speculative log fails
// and runs again), of merges and their side branches, and of a branch whose older commits the remote
// already has (the range must be exactly the commits being pushed: no fewer, no more). Every case is
// a REAL git push through the REAL dist/hookpack.cjs hook; contained = refused, the remote unmoved,
// nothing printed holds the value; each case also checks `hookpack pre-push --format json` names
// every instance. (Measured and dropped on the way: commit objects from a `git rev-list | git
// cat-file` pipeline; one more process start cost more than the writes it saved.)
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { commitFiles, fakeGithubToken, HOOKPACK, type Sandbox } from "../helpers/git-sandbox.js";
import { assertPrePushBuilt, prePushRepo, pushAttempt } from "../helpers/pre-push-attack.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let s: Sandbox;
beforeAll(assertPrePushBuilt);
afterEach(() => s?.cleanup());

interface Finding {
  commit: string;
  path: string;
  ruleId: string;
}

/** `hookpack pre-push origin --format json` for one update line: exit status and findings. */
function report(dir: string, line: string) {
  const r = s.run(process.execPath, [HOOKPACK, "pre-push", "origin", "--format", "json"], {
    cwd: dir,
    input: `${line}\n`,
    ok: false,
  });
  expect([0, 1], r.stderr).toContain(r.status);
  return JSON.parse(r.stdout) as { commits: number; findings: Finding[]; notes: string[] };
}

function attempt(family: string, dir: string, args: string[], values: string[], ref: string) {
  const { out, contained } = pushAttempt(s, dir, args, values, { ref });
  tally(family).attempt(contained);
  let shown = out;
  for (const v of values) shown = shown.split(v).join("<VALUE>");
  expect(contained, shown).toBe(true);
}

describe("pre-push: git log started before the matcher and the type check", () => {
  it("a stored value in the first lines git streams (the newest commit) and in its message", () => {
    const made = prePushRepo("hookpack-prepush-early-");
    s = made.s;
    const value = `Vk${fakeGithubToken().slice(4, 32)}q7`;
    const set = s.hookpack(made.dir, ["secret", "set", "DEPLOY_KEY"], value);
    expect(set.status, set.stderr).toBe(0);
    for (let i = 0; i < 30; i++)
      commitFiles(s, made.dir, { [`src/f${i % 5}.js`]: `export const a${i} = ${i};\n` }, `c${i}`);
    // The newest commit is the first git streams: its first file's first added line holds it.
    const head = commitFiles(
      s,
      made.dir,
      { "a.js": `const k = "${value}";\n`, "z.js": "ok\n" },
      `deploy with ${value}`,
    );
    const r = report(made.dir, `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}`);
    const managed = r.findings.filter((f) => f.ruleId === "managed-value" && f.commit === head);
    expect(managed.map((f) => f.path).sort()).toEqual(["(commit message)", "a.js"]);
    attempt(
      "early start: stored value first in the stream",
      made.dir,
      ["origin", "main"],
      [value],
      "main",
    );
  });

  it("a force push over a remote commit this repository lacks: every new message is read", () => {
    const made = prePushRepo("hookpack-prepush-early-force-");
    s = made.s;
    // Someone else pushes a commit this repository never fetches.
    const other = `${made.dir}-other`;
    s.run("git", ["clone", "-q", made.remote, other]);
    commitFiles(s, other, { "theirs.txt": "theirs\n" }, "theirs");
    s.git(other, "push", "-q", "origin", "HEAD:main");
    const theirs = s.git(other, "rev-parse", "HEAD");
    const tokens = [fakeGithubToken(), fakeGithubToken(), fakeGithubToken()];
    const shas = tokens.map((t, i) =>
      commitFiles(s, made.dir, { [`mine${i}.txt`]: `mine ${i}\n` }, `work ${i}\n\nkey ${t}`),
    );
    const r = report(made.dir, `refs/heads/main ${shas[2]} refs/heads/main ${theirs}`);
    expect(r.notes.join(" ")).toMatch(/not in this repository/);
    const messages = r.findings.filter((f) => f.path === "(commit message)");
    expect(messages.map((f) => f.commit).sort()).toEqual([...shas].sort());
    attempt(
      "early start: messages of a force push over an unknown remote commit",
      made.dir,
      ["--force", "origin", "main"],
      tokens,
      "main",
    );
  });

  it("merge commits' own messages and their side branches' messages", () => {
    const made = prePushRepo("hookpack-prepush-early-merge-");
    s = made.s;
    const tokens: string[] = [];
    const expected: string[] = [];
    for (let m = 0; m < 3; m++) {
      s.git(made.dir, "checkout", "-q", "-b", `side${m}`, "main");
      const side = fakeGithubToken();
      tokens.push(side);
      expected.push(commitFiles(s, made.dir, { [`side${m}.txt`]: `s${m}\n` }, `side ${side}`));
      s.git(made.dir, "checkout", "-q", "main");
      commitFiles(s, made.dir, { [`main${m}.txt`]: `m${m}\n` }, `main ${m}`);
      const merge = fakeGithubToken();
      tokens.push(merge);
      s.git(made.dir, "merge", "-q", "--no-ff", "-m", `merge ${merge}`, `side${m}`);
      expected.push(s.git(made.dir, "rev-parse", "HEAD"));
    }
    const head = s.git(made.dir, "rev-parse", "HEAD");
    const base = s.git(made.dir, "rev-parse", "origin/main");
    const r = report(made.dir, `refs/heads/main ${head} refs/heads/main ${base}`);
    expect(r.commits).toBe(9);
    const messages = r.findings.filter((f) => f.path === "(commit message)");
    expect(messages.map((f) => f.commit).sort()).toEqual([...expected].sort());
    attempt(
      "early start: merge and side-branch messages",
      made.dir,
      ["origin", "main"],
      tokens,
      "main",
    );
  });

  it("a new branch whose older commits the remote already has: exactly the new commits", () => {
    const made = prePushRepo("hookpack-prepush-early-range-");
    s = made.s;
    // Already on the remote (pushed without the hook), a token in one of its messages.
    const old = fakeGithubToken();
    commitFiles(s, made.dir, { "old.txt": "old\n" }, `old ${old}`);
    s.run("git", ["push", "-q", "--no-verify", "origin", "main"], { cwd: made.dir });
    s.git(made.dir, "checkout", "-q", "-b", "topic");
    const tokens = [fakeGithubToken(), fakeGithubToken()];
    const shas = tokens.map((t, i) =>
      commitFiles(s, made.dir, { [`t${i}.txt`]: `t${i}\n` }, `topic ${i} ${t}`),
    );
    const r = report(made.dir, `refs/heads/topic ${shas[1]} refs/heads/topic ${"0".repeat(40)}`);
    expect(r.commits).toBe(2);
    expect(r.findings.map((f) => f.commit).sort()).toEqual([...shas].sort());
    attempt(
      "early start: a new branch's own commits",
      made.dir,
      ["origin", "topic"],
      tokens,
      "topic",
    );
  });
});
