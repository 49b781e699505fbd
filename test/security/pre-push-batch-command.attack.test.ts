// Issue 21, the pre-push row: the object types of a push and its commit objects now come from one
// `git cat-file --batch-command` (was `--batch-check` and `--batch`), started right after git log;
// a git without the option (< 2.36) falls back to the two processes. The agent tries what a line-
// based protocol and a merged process invite: an object this repository lacks among the type
// questions (a force push over someone else's commit), tag, tree and blob names where a commit is
// expected (tags of a blob, of a tree whose paths hold spaces and a line break, an annotated tag),
// a huge commit object (a 5 MB message, the token at its end). Every case is a REAL git push
// through the REAL dist/hookpack.cjs hook, once with this git and once with a git that refuses
// `--batch-command` as git 2.35 does (a wrapper first on PATH): contained = refused, the remote
// unmoved, nothing printed holds a token; and `hookpack pre-push --format json` gives the same
// report byte for byte both ways, naming every instance.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
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
  ref?: string;
}
const ZERO = "0".repeat(40);

/**
 * The environments of both runs: this git, and a git that refuses --batch-command (git < 2.36).
 * git puts its exec path first on a hook's PATH, so the wrapper sits in a copy of it (every other
 * entry a link to the real one) named by GIT_EXEC_PATH: the hook's `git` is the wrapper too.
 */
function gits(): Array<[string, NodeJS.ProcessEnv]> {
  const bin = join(s.root, "old-git-bin");
  const real = s.run("sh", ["-c", "command -v git"]).stdout.trim();
  if (!existsSync(bin)) {
    mkdirSync(bin, { recursive: true });
    const exec = s.run("git", ["--exec-path"]).stdout.trim();
    for (const e of readdirSync(exec)) if (e !== "git") symlinkSync(join(exec, e), join(bin, e));
  }
  const log = join(s.root, "old-git.log");
  writeFileSync(
    join(bin, "git"),
    `#!/bin/sh\nfor a in "$@"; do case "$a" in --batch-command*) echo refused >> "${log}"; echo "error: unknown option \\\`batch-command'" >&2; exit 129;; esac; done\nexec "${real}" "$@"\n`,
  );
  chmodSync(join(bin, "git"), 0o755);
  return [
    ["git with --batch-command", {}],
    [
      "git without --batch-command",
      { PATH: `${bin}:${s.env.PATH ?? process.env.PATH}`, GIT_EXEC_PATH: bin },
    ],
  ];
}

/** How many times the wrapper refused --batch-command so far (the fallback taken that often). */
const refusals = () => {
  const log = join(s.root, "old-git.log");
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0;
};

/** `hookpack pre-push origin --format json` for the update lines, both ways: the same bytes. */
function reports(dir: string, lines: string[]) {
  const out = gits().map(([how, env]) => {
    const before = refusals();
    const r = s.run(process.execPath, [HOOKPACK, "pre-push", "origin", "--format", "json"], {
      cwd: dir,
      input: `${lines.join("\n")}\n`,
      ok: false,
      env,
    });
    expect([0, 1], r.stderr).toContain(r.status);
    // The old git refused the option once (the fallback was taken); this git was never refused.
    expect(refusals() - before, how).toBe(how.includes("without") ? 1 : 0);
    return r.stdout;
  });
  expect(out[1]).toBe(out[0]);
  return JSON.parse(out[0]!) as { commits: number; findings: Finding[]; notes: string[] };
}

function attempts(family: string, dir: string, args: string[], values: string[], ref: string) {
  for (const [how, env] of gits()) {
    const before = refusals();
    const { out, contained } = pushAttempt(s, dir, args, values, { ref, env });
    expect(refusals() - before, how).toBe(how.includes("without") ? 1 : 0);
    tally(family).attempt(contained);
    let shown = out;
    for (const v of values) shown = shown.split(v).join("<VALUE>");
    expect(contained, `${how}: ${shown}`).toBe(true);
  }
}

describe("pre-push: one cat-file --batch-command for types and commits, and its fallback", () => {
  it("an object this repository lacks among the type questions (a force push)", () => {
    const made = prePushRepo("hookpack-prepush-bc-missing-");
    s = made.s;
    const other = `${made.dir}-other`;
    s.run("git", ["clone", "-q", made.remote, other]);
    commitFiles(s, other, { "theirs.txt": "theirs\n" }, "theirs");
    s.git(other, "push", "-q", "origin", "HEAD:main");
    const theirs = s.git(other, "rev-parse", "HEAD");
    const tokens = [fakeGithubToken(), fakeGithubToken()];
    const a = commitFiles(s, made.dir, { "cfg.js": `const k = "${tokens[0]}";\n` }, "config");
    const b = commitFiles(s, made.dir, { "x.txt": "x\n" }, `note\n\n${tokens[1]}`);
    const r = reports(made.dir, [`refs/heads/main ${b} refs/heads/main ${theirs}`]);
    expect(r.notes.join(" ")).toMatch(/not in this repository/);
    expect(r.findings.map((f) => `${f.commit} ${f.path}`).sort()).toEqual(
      [`${a} cfg.js`, `${b} (commit message)`].sort(),
    );
    attempts(
      "batch-command: a missing object",
      made.dir,
      ["--force", "origin", "main"],
      tokens,
      "main",
    );
  });

  it("tag, tree and blob names where a commit is expected; paths with spaces and a line break", () => {
    const made = prePushRepo("hookpack-prepush-bc-kinds-");
    s = made.s;
    const [inBlob, inTree, inTag, inCommit] = [1, 2, 3, 4].map(() => fakeGithubToken()) as [
      string,
      string,
      string,
      string,
    ];
    // A blob pushed by a tag.
    s.write(join(made.dir, "loose.txt"), `token ${inBlob}\n`);
    const blob = s.git(made.dir, "hash-object", "-w", "loose.txt");
    s.git(made.dir, "tag", "blobtag", blob);
    // A tree pushed by a tag: its file's path holds spaces and a line break.
    s.git(made.dir, "checkout", "-q", "-b", "side");
    commitFiles(s, made.dir, { "dir with space/new\nline.txt": `k = ${inTree}\n` }, "side");
    const tree = s.git(made.dir, "rev-parse", "HEAD^{tree}");
    s.git(made.dir, "checkout", "-q", "main");
    s.git(made.dir, "tag", "treetag", tree);
    // An annotated tag (its message holds one) of a new commit (so does a file of it).
    const head = commitFiles(s, made.dir, { "app.js": `const t = "${inCommit}";\n` }, "app");
    s.git(made.dir, "tag", "-a", "-m", `release ${inTag}`, "annotated");
    const annotated = s.git(made.dir, "rev-parse", "annotated");
    const base = s.git(made.dir, "rev-parse", "origin/main");
    const r = reports(made.dir, [
      `refs/heads/main ${head} refs/heads/main ${base}`,
      `refs/tags/blobtag ${blob} refs/tags/blobtag ${ZERO}`,
      `refs/tags/treetag ${tree} refs/tags/treetag ${ZERO}`,
      `refs/tags/annotated ${annotated} refs/tags/annotated ${ZERO}`,
    ]);
    expect(r.findings.map((f) => `${f.ref ?? ""}|${f.path}`).sort()).toEqual(
      [
        "|app.js",
        "refs/tags/annotated|(tag message)",
        "refs/tags/blobtag|refs/tags/blobtag",
        "refs/tags/treetag|dir with space/new\nline.txt",
      ].sort(),
    );
    attempts(
      "batch-command: a blob where a commit is expected",
      made.dir,
      ["origin", "refs/tags/blobtag"],
      [inBlob],
      "refs/tags/blobtag",
    );
    attempts(
      "batch-command: a tree where a commit is expected",
      made.dir,
      ["origin", "refs/tags/treetag"],
      [inTree],
      "refs/tags/treetag",
    );
    attempts(
      "batch-command: an annotated tag and its commit",
      made.dir,
      ["origin", "main", "refs/tags/annotated"],
      [inTag, inCommit],
      "refs/tags/annotated",
    );
  });

  it("a huge commit object: a 5 MB message with the token at its end", () => {
    const made = prePushRepo("hookpack-prepush-bc-huge-");
    s = made.s;
    const token = fakeGithubToken();
    const filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit\n".repeat(92_000);
    s.write(join(made.dir, "f.txt"), "f\n");
    s.git(made.dir, "add", "f.txt");
    s.run("git", ["commit", "-q", "-F", "-"], {
      cwd: made.dir,
      input: `huge\n\n${filler}${token}\n`,
    });
    const head = s.git(made.dir, "rev-parse", "HEAD");
    const base = s.git(made.dir, "rev-parse", "origin/main");
    const r = reports(made.dir, [`refs/heads/main ${head} refs/heads/main ${base}`]);
    expect(r.findings.map((f) => `${f.commit} ${f.path}`)).toEqual([`${head} (commit message)`]);
    attempts("batch-command: a huge commit object", made.dir, ["origin", "main"], [token], "main");
  });
});
