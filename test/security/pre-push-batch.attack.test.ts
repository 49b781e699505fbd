// Issue 21, pre-push's batched passes: the commit messages of a push are prefiltered in ONE engine
// pass over all of them joined (rules/detect.ts mayHoldEach), and objects over the 4 MiB read limit
// (a tag of a blob, a tag of a tree, a huge tag message) are scanned in pieces as git streams them
// (they used to get a note "too large to read whole; it was not scanned" and the push went
// through). The agent tries to slip a token past both: in the first, middle and last message of
// hundreds, glued to the separator the batch joins messages with, as a token only secretlint finds,
// after a NUL byte among many commits, as a stored (managed) value in a message, and at the 4 MiB
// piece edge of a big blob, at its end, in a big tree and in a big tag message. Every case is a
// REAL git repository with the REAL dist/hookpack.cjs as its pre-push hook, pushing to a local
// bare remote; contained = the push is refused, the remote does not move, and no output holds
// the value.
import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeGithubToken, type Sandbox } from "../helpers/git-sandbox.js";
import {
  assertPrePushBuilt,
  prePushRepo,
  pushAttempt,
  remoteHead as remoteHeadOf,
} from "../helpers/pre-push-attack.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let s: Sandbox;
beforeAll(assertPrePushBuilt);
afterEach(() => s?.cleanup());

function setup() {
  const made = prePushRepo("hookpack-prepush-batch-");
  s = made.s;
  return made.dir;
}

const remoteHead = (dir: string, ref: string) => remoteHeadOf(s, dir, ref);

function attempt(
  family: string,
  dir: string,
  args: string[],
  ref: string,
  tokens: string[],
  expect_?: RegExp,
) {
  const { r, out, contained } = pushAttempt(s, dir, args, tokens, { ref, expect: expect_ });
  tally(family).attempt(contained);
  expect(contained, out).toBe(true);
  return r;
}

/**
 * `count` commits on top of HEAD made by one `git fast-import` (messages as given by `message(i)`,
 * which may hold any byte but NUL), then HEAD moved to the last one.
 */
function manyCommits(dir: string, branch: string, count: number, message: (i: number) => string) {
  const parent = s.git(dir, "rev-parse", "HEAD");
  let stream = "";
  for (let i = 0; i < count; i++) {
    const msg = Buffer.from(message(i));
    const body = `line ${i}\n`;
    stream += `commit refs/heads/${branch}\nmark :${i + 1}\ncommitter T <t@example.invalid> ${1700000000 + i} +0000\ndata ${msg.length}\n${msg.toString()}\n`;
    stream += i === 0 ? `from ${parent}\n` : `from :${i}\n`;
    stream += `M 100644 inline f${i % 7}.txt\ndata ${body.length}\n${body}\n`;
  }
  s.run("git", ["fast-import", "--quiet"], { cwd: dir, input: stream });
  s.git(dir, "checkout", "-q", branch);
}

const clean = (i: number) => `chore: step ${i}\n\nNothing to see in commit number ${i}.`;

describe("pre-push batches: the agent tries to slip a token past the batched passes", () => {
  it("messages: first, middle and last of 300 commits, glued to the joining LF, no final newline", () => {
    const dir = setup();
    const cases: Array<[number, (t: string) => string]> = [
      [0, (t) => `${t}`], // the very first text of the batch, nothing around it
      [150, (t) => `subject\n\nkey=${t}`], // no final newline: glued to the next message's start
      [299, (t) => `${t}\n`], // the last text of the batch
      [42, (t) => `\n${t}`], // right after the separator
    ];
    for (const [k, [at, shape]] of cases.entries()) {
      s.git(dir, "checkout", "-q", "main");
      const token = fakeGithubToken();
      manyCommits(dir, `m${k}`, 300, (i) => (i === at ? shape(token) : clean(i)));
      attempt(
        "messages batch",
        dir,
        ["origin", `m${k}`],
        `refs/heads/m${k}`,
        [token],
        /\(commit message\)/,
      );
    }
  });

  it("messages: a token only secretlint knows, among 200 clean messages", () => {
    const dir = setup();
    // A Slack user token (xoxa-): none of hookpack's own records anchors on it, secretlint does.
    // (Not 2345678901: a run of consecutive digits reads as a placeholder and is dropped by design.)
    const token = ["xo", "xa-", "7302948156-", "9184720365-", fakeGithubToken().slice(4, 28)].join(
      "",
    );
    manyCommits(dir, "sl", 200, (i) => (i === 120 ? `ops: rotate ${token} today` : clean(i)));
    attempt(
      "messages batch",
      dir,
      ["origin", "sl"],
      "refs/heads/sl",
      [token],
      /\(commit message\)/,
    );
  });

  it("messages: a token after a NUL byte in one commit object among 100", () => {
    const dir = setup();
    manyCommits(dir, "nul", 100, clean);
    const tree = s.git(dir, "write-tree");
    const parent = s.git(dir, "rev-parse", "HEAD");
    const who = "T <t@example.invalid> 1700000000 +0000";
    const token = fakeGithubToken();
    const raw = `tree ${tree}\nparent ${parent}\nauthor ${who}\ncommitter ${who}\n\nok\n\0${token}\n`;
    const sha = s
      .run("git", ["hash-object", "-t", "commit", "-w", "--stdin"], { cwd: dir, input: raw })
      .stdout.trim();
    s.git(dir, "reset", "-q", "--hard", sha);
    // Then more clean commits on top, so the object sits inside the batch.
    manyCommits(dir, "nul2", 50, (i) => clean(1000 + i));
    attempt(
      "messages batch",
      dir,
      ["origin", "nul2"],
      "refs/heads/nul2",
      [token],
      /\(commit message\)/,
    );
  });

  it("messages: a stored (managed) value in one message among 200", () => {
    const dir = setup();
    // Random, no known token shape: only the managed-value matcher can find it.
    const value = `Zq${fakeGithubToken().slice(4, 30)}x9`;
    const set = s.hookpack(dir, ["secret", "set", "DEPLOY_KEY"], value);
    expect(set.status, set.stderr).toBe(0);
    manyCommits(dir, "mv", 200, (i) => (i === 77 ? `deploy with ${value}` : clean(i)));
    attempt(
      "messages batch",
      dir,
      ["origin", "mv"],
      "refs/heads/mv",
      [value],
      /\(commit message\)/,
    );
  });

  it("objects over 4 MiB: a tag of a blob (token at the piece edge and at the end), of a tree, a huge tag message", () => {
    const dir = setup();
    const line = "const value = compute(items); // padding\n";
    const edge = fakeGithubToken();
    const last = fakeGithubToken();
    // The first piece ends at the first line end past 4 MiB: the token straddles it.
    const head = line.repeat(Math.floor((4 * 1024 * 1024 - 20) / line.length));
    const big = `${head}key="${edge}"\n${line.repeat(30000)}end="${last}"`;
    writeFileSync(join(dir, "big.txt"), big);
    const blob = s.git(dir, "hash-object", "-w", "big.txt");
    s.git(dir, "tag", "blobtag", blob);
    const edgeLine = head.split("\n").length;
    attempt(
      "objects over 4 MiB",
      dir,
      ["origin", "refs/tags/blobtag"],
      "refs/tags/blobtag",
      [edge, last],
      new RegExp(`blobtag:${edgeLine}:6[\\s\\S]*blobtag:${edgeLine + 30001}:6`),
    );

    // A tree holding the big file, pushed by a tag.
    s.git(dir, "add", "big.txt");
    const tree = s.git(dir, "write-tree");
    s.git(dir, "reset", "-q");
    s.git(dir, "tag", "treetag", tree);
    attempt(
      "objects over 4 MiB",
      dir,
      ["origin", "refs/tags/treetag"],
      "refs/tags/treetag",
      [edge, last],
      /big\.txt:\d+:6/,
    );

    // An annotated tag whose message is over 4 MiB, the token at its end.
    const inTag = fakeGithubToken();
    s.run("git", ["tag", "-a", "bigmsg", "-F", "-"], {
      cwd: dir,
      input: `release\n\n${line.repeat(110000)}key ${inTag}\n`,
    });
    attempt(
      "objects over 4 MiB",
      dir,
      ["origin", "refs/tags/bigmsg"],
      "refs/tags/bigmsg",
      [inTag],
      /\(tag message\)/,
    );
  });

  it("objects over 4 MiB: git failing part-way through the pieces refuses the push", () => {
    const dir = setup();
    const token = fakeGithubToken();
    writeFileSync(
      join(dir, "big.txt"),
      `${"const value = compute(items); // padding\n".repeat(150000)}end="${token}"\n`,
    );
    s.git(dir, "tag", "bigfail", s.git(dir, "hash-object", "-w", "big.txt"));
    // A `git cat-file blob` that streams 1 MB and then dies by a signal or exits 1 (the token is
    // past that point: a partial scan would let it through). git puts its exec-path first on a
    // hook's PATH, so the stand-in lives in a copy of it.
    const real = s.run("sh", ["-c", "command -v git"]).stdout.trim();
    const execPath = s.git(dir, "--exec-path");
    const bin = join(s.root, "git-exec");
    mkdirSync(bin, { recursive: true });
    for (const name of readdirSync(execPath))
      if (name !== "git") symlinkSync(join(execPath, name), join(bin, name));
    for (const how of ["kill -9 $$", "exit 1"]) {
      writeFileSync(
        join(bin, "git"),
        `#!/bin/sh\ncase " $* " in *" cat-file blob "*) "${real}" "$@" | head -c 1000000; ${how};; esac\nexec "${real}" "$@"\n`,
      );
      chmodSync(join(bin, "git"), 0o755);
      const before = remoteHead(dir, "refs/tags/bigfail");
      const r = s.run("git", ["push", "origin", "refs/tags/bigfail"], {
        cwd: dir,
        ok: false,
        env: { GIT_EXEC_PATH: bin, PATH: `${bin}:${process.env.PATH}` },
      });
      const contained =
        r.status !== 0 &&
        remoteHead(dir, "refs/tags/bigfail") === before &&
        /hookpack: pre-push could not scan the push/.test(r.stderr) &&
        !(r.stdout + r.stderr).includes(token);
      tally("objects over 4 MiB").attempt(contained);
      expect(contained, r.stderr).toBe(true);
    }
  });

  it("clean: 300 clean messages and a clean 5 MiB tagged blob are let through", () => {
    const dir = setup();
    manyCommits(dir, "ok", 300, clean);
    const r = s.run("git", ["push", "origin", "ok"], { cwd: dir, ok: false });
    expect(r.status, r.stderr).toBe(0);
    writeFileSync(join(dir, "big.txt"), "plain text line\n".repeat(350000));
    s.git(dir, "tag", "bigok", s.git(dir, "hash-object", "-w", "big.txt"));
    const t = s.run("git", ["push", "origin", "refs/tags/bigok"], { cwd: dir, ok: false });
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).not.toMatch(/not scanned/);
  });
});
