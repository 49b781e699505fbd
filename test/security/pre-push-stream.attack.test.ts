// Issue 21, the streaming pre-push: the agent tries to get a token past `hookpack pre-push` while
// git's `log -p` output is parsed as it streams. Every case is a REAL git repository in a temp dir
// with the REAL dist/hookpack.cjs installed as git's pre-push hook, pushing to a local bare remote;
// a case is contained when the push is refused (the remote keeps its old head) and nothing
// hookpack prints holds the value. Families: history, renames, binary-looking files, merges,
// messages and refs, line endings, stream chunk boundaries, patch-header look-alikes, rewritten
// history, deletions, git failing mid-stream, size.
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { LOG_FLAGS } from "../../scanners/push-range.js";
import { commitFiles, fakeGithubToken, type Sandbox } from "../helpers/git-sandbox.js";
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
  const made = prePushRepo("hookpack-prepush-stream-");
  s = made.s;
  return { dir: made.dir, remote: made.remote };
}

const push = (dir: string, args: string[], env?: NodeJS.ProcessEnv) =>
  s.run("git", ["push", ...args], { cwd: dir, ok: false, env });

/** The remote's head of `ref` (empty when it has none). */
const remoteHead = (dir: string, ref = "main") => remoteHeadOf(s, dir, ref);

/** Pushes and counts the attempt (test/helpers/pre-push-attack.ts judges it). */
function attempt(
  family: string,
  dir: string,
  args: string[],
  tokens: string[],
  opts: { ref?: string; env?: NodeJS.ProcessEnv; expect?: RegExp; hookpackOnly?: boolean } = {},
) {
  const { r, out, contained } = pushAttempt(s, dir, args, tokens, {
    ...opts,
    refused: /hookpack: (push blocked|pre-push could not scan)/,
  });
  tally(family).attempt(contained);
  expect(contained, out).toBe(true);
  return r;
}

describe("pre-push stream: the agent tries to get a token past the streaming scan", () => {
  it("history: a token added in one commit and removed in the next is still refused", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    commitFiles(s, dir, { "config.js": `const t = "${token}";\n` }, "add config");
    s.git(dir, "rm", "-q", "config.js");
    s.git(dir, "commit", "-q", "-m", "remove config");
    attempt("history", dir, ["origin", "main"], [token], { expect: /config\.js:1:12/ });
  });

  it("renames: a token in a file renamed later, and one that arrives with the rename", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    commitFiles(s, dir, { "a.txt": `x=${token}\n` }, "add a");
    s.git(dir, "mv", "a.txt", "b.txt");
    s.git(dir, "commit", "-q", "-m", "move a");
    attempt("renames", dir, ["origin", "main"], [token], { expect: /a\.txt:1:3/ });
    // Renamed and edited in one commit (the token arrives with the rename).
    s.git(dir, "reset", "-q", "--hard", "origin/main");
    const body = Array.from({ length: 20 }, (_, i) => `line ${i} of a file\n`).join("");
    commitFiles(s, dir, { "old.txt": body }, "old");
    s.git(dir, "push", "-q", "--no-verify", "origin", "main");
    const token2 = fakeGithubToken();
    s.git(dir, "mv", "old.txt", "new.txt");
    writeFileSync(join(dir, "new.txt"), `${body}k=${token2}\n`);
    s.git(dir, "add", "new.txt");
    s.git(dir, "commit", "-q", "-m", "rename and edit");
    attempt("renames", dir, ["origin", "main"], [token2], { expect: /new\.txt:21:3/ });
  });

  it("binary-looking files: a NUL byte first, a binary attribute, a tiny bigFileThreshold", () => {
    const { dir } = setup();
    const t1 = fakeGithubToken();
    commitFiles(s, dir, { "data.bin": `\0\0\0header\0\ntoken=${t1}\n\0tail` }, "nul first");
    attempt("binary", dir, ["origin", "main"], [t1], { expect: /data\.bin:2:7/ });
    s.git(dir, "reset", "-q", "--hard", "origin/main");
    const t2 = fakeGithubToken();
    commitFiles(
      s,
      dir,
      { ".gitattributes": "*.cfg binary\n", "app.cfg": `token=${t2}\n` },
      "binary attr",
    );
    attempt("binary", dir, ["origin", "main"], [t2], { expect: /app\.cfg:1:7/ });
    s.git(dir, "reset", "-q", "--hard", "origin/main");
    // core.bigFileThreshold turns every file above it into "Binary files differ" for git diff.
    s.git(dir, "config", "core.bigFileThreshold", "1k");
    const t3 = fakeGithubToken();
    const big = `${"filler line of text\n".repeat(400)}token=${t3}\n`;
    commitFiles(s, dir, { "big.txt": big }, "big file");
    expect(s.git(dir, "show", "--format=", "HEAD")).toContain("Binary files");
    attempt("binary", dir, ["origin", "main"], [t3], { expect: /big\.txt:401:7/ });
  });

  it("merges: a token that only the merge resolution adds", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    s.git(dir, "checkout", "-q", "-b", "side");
    commitFiles(s, dir, { "side.txt": "side\n" }, "side work");
    s.git(dir, "checkout", "-q", "main");
    commitFiles(s, dir, { "main.txt": "main\n" }, "main work");
    s.git(dir, "merge", "-q", "--no-commit", "side");
    writeFileSync(join(dir, "side.txt"), `side\nk=${token}\n`);
    s.git(dir, "add", "side.txt");
    s.git(dir, "commit", "-q", "-m", "merge side");
    attempt("merges", dir, ["origin", "main"], [token], { expect: /side\.txt:2:3/ });
  });

  it("messages and refs: a token in a commit subject, body, after a NUL byte, in an extra header, in a tag message, in a branch name", () => {
    const { dir } = setup();
    const inSubject = fakeGithubToken();
    commitFiles(s, dir, { "a.txt": "a\n" }, `fix deploy ${inSubject}`);
    attempt("messages", dir, ["origin", "main"], [inSubject], { expect: /\(commit message\)/ });
    s.git(dir, "reset", "-q", "--hard", "origin/main");

    const inBody = fakeGithubToken();
    writeFileSync(join(dir, "b.txt"), "b\n");
    s.git(dir, "add", "b.txt");
    s.run("git", ["commit", "-q", "-F", "-"], {
      cwd: dir,
      input: `subject\n\n${"\n".repeat(50)}diff --git a/x b/x\n@@ -0,0 +1 @@\ntoken ${inBody}\n`,
    });
    attempt("messages", dir, ["origin", "main"], [inBody], { expect: /\(commit message\)/ });
    s.git(dir, "reset", "-q", "--hard", "origin/main");

    // Objects git log cannot show: a message continuing after a NUL byte, and a header of its own.
    const afterNul = fakeGithubToken();
    const inHeader = fakeGithubToken();
    const tree = s.git(dir, "write-tree");
    const parent = s.git(dir, "rev-parse", "HEAD");
    const who = "T <t@example.invalid> 1700000000 +0000";
    for (const [raw, token] of [
      [
        `tree ${tree}\nparent ${parent}\nauthor ${who}\ncommitter ${who}\n\nok\n\0${afterNul}\n`,
        afterNul,
      ],
      [
        `tree ${tree}\nparent ${parent}\nauthor ${who}\ncommitter ${who}\nx-note ${inHeader}\n\nok\n`,
        inHeader,
      ],
    ] as const) {
      const sha = s
        .run("git", ["hash-object", "-t", "commit", "-w", "--stdin"], { cwd: dir, input: raw })
        .stdout.trim();
      expect(s.git(dir, "log", "-1", "--format=%B", sha)).not.toContain(token);
      s.git(dir, "reset", "-q", "--hard", sha);
      attempt("messages", dir, ["origin", "main"], [token], { expect: /\(commit message\)/ });
      s.git(dir, "reset", "-q", "--hard", parent);
    }

    // An annotated tag whose message holds the token; a tag of that tag.
    const inTag = fakeGithubToken();
    s.git(dir, "tag", "-a", "v1", "-m", `release\n\nkey ${inTag}`);
    attempt("messages", dir, ["origin", "refs/tags/v1"], [inTag], {
      ref: "refs/tags/v1",
      expect: /\(tag message\)/,
    });
    s.git(dir, "tag", "-d", "v1");
    const inner = fakeGithubToken();
    s.git(dir, "tag", "-a", "v2", "-m", `inner ${inner}`);
    s.git(dir, "tag", "-a", "v2-outer", "v2", "-m", "outer, clean");
    attempt("messages", dir, ["origin", "refs/tags/v2-outer"], [inner], {
      ref: "refs/tags/v2-outer",
      expect: /\(tag message\)/,
    });

    // A branch named after the token: the ref name is sent too.
    const inRef = fakeGithubToken();
    attempt("messages", dir, ["origin", `HEAD:refs/heads/${inRef}`], [inRef], {
      ref: `refs/heads/${inRef}`,
      expect: /\(ref names\)/,
      hookpackOnly: true,
    });
  });

  it("line endings: a token in a CRLF file, and in a file without a final newline", () => {
    const { dir } = setup();
    const t1 = fakeGithubToken();
    commitFiles(s, dir, { "win.txt": `first\r\nkey=${t1}\r\nlast\r\n` }, "crlf");
    const r = attempt("line endings", dir, ["origin", "main"], [t1], { expect: /win\.txt:2:5/ });
    expect(r.stderr).not.toMatch(/\r/);
    s.git(dir, "reset", "-q", "--hard", "origin/main");
    const t2 = fakeGithubToken();
    commitFiles(s, dir, { "end.txt": `a\nkey=${t2}` }, "no final newline");
    attempt("line endings", dir, ["origin", "main"], [t2], { expect: /end\.txt:2:5/ });
  });

  it("chunk boundaries: a token straddling every 4 KiB boundary of the stream up to 320 KiB (pipe reads are 64 KiB)", () => {
    const { dir } = setup();
    // The log output is measured with the very flags the hook uses, and the file built so that
    // token i is cut by the boundary (i + 1) * 4096 at a different offset each time.
    const log = () =>
      s.run("git", [...LOG_FLAGS, "--not", "--remotes"], {
        cwd: dir,
        input: `${s.git(dir, "rev-parse", "HEAD")}\n`,
      }).stdout;
    const boundaries = 80;
    const filler = (n: number) => `// ${"f".repeat(Math.max(0, n - 4))}\n`;
    const layout = (tokens: string[], pads: number[]) =>
      tokens.map((t, i) => filler(pads[i]!) + `k${String(i).padStart(3, "0")}="${t}"\n`).join("") +
      "end\n";
    const tokens = Array.from({ length: boundaries }, () => fakeGithubToken());
    // First pass: find where the file's first added line starts in the stream.
    commitFiles(
      s,
      dir,
      {
        "chunks.txt": layout(
          tokens,
          tokens.map(() => 100),
        ),
      },
      "chunks",
    );
    const first = Buffer.from(log(), "latin1").indexOf(Buffer.from("+// "));
    expect(first).toBeGreaterThan(0);
    // Each added line is "+" + line; choose each filler so token i straddles its boundary.
    const pads: number[] = [];
    let at = first; // stream offset of the next added line
    for (let i = 0; i < boundaries; i++) {
      const boundary = (i + 1) * 4096;
      const cut = 1 + (i % (tokens[i]!.length - 1)); // bytes of the token before the boundary
      const prefix = `+k${String(i).padStart(3, "0")}="`.length;
      const pad = boundary - cut - prefix - at - 1; // -1: the filler's own "+"
      expect(pad).toBeGreaterThanOrEqual(4);
      pads.push(pad);
      at += 1 + pad + prefix + tokens[i]!.length + 2; // "+" filler, "+k..="token"\n"
    }
    writeFileSync(join(dir, "chunks.txt"), layout(tokens, pads));
    s.git(dir, "add", "chunks.txt");
    s.git(dir, "commit", "-q", "--amend", "-m", "chunks");
    const stream = Buffer.from(log(), "latin1");
    tokens.forEach((t, i) => {
      const where = stream.indexOf(Buffer.from(t));
      expect(where).toBeLessThan((i + 1) * 4096);
      expect(where + t.length).toBeGreaterThan((i + 1) * 4096);
    });
    const r = attempt("chunk boundaries", dir, ["origin", "main"], tokens);
    // Every one of them found, none lost at a boundary.
    expect(r.stderr.match(/chunks\.txt:\d+:\d+ {2}GitHub personal access token/g)?.length).toBe(
      boundaries,
    );
  });

  it("patch-header look-alikes: tokens right after a hunk header, and lines that mimic headers", () => {
    const { dir } = setup();
    const base = Array.from({ length: 30 }, (_, i) => `line ${i}\n`);
    commitFiles(s, dir, { "h.txt": base.join("") }, "base");
    s.git(dir, "push", "-q", "--no-verify", "origin", "main");
    const t1 = fakeGithubToken();
    const t2 = fakeGithubToken();
    const t3 = fakeGithubToken();
    const edited = [...base];
    edited[2] = `k=${t1}\n`; // first line of the first hunk
    edited[20] = `@@ -1 +1 @@ k=${t2}\n`; // first line of the second hunk, shaped like a header
    edited.splice(25, 0, "diff --git a/x b/x\n", "\x01commit 0000 fake\n", `    k=${t3}\n`);
    commitFiles(s, dir, { "h.txt": edited.join("") }, "two hunks");
    const r = attempt("header look-alikes", dir, ["origin", "main"], [t1, t2, t3]);
    expect(r.stderr).toMatch(/h\.txt:3:3 /);
    expect(r.stderr).toMatch(/h\.txt:21:15 /);
    expect(r.stderr).toMatch(/h\.txt:28:7 /);
  });

  it("rewritten history: a force-push of a history rewritten to hold a token", () => {
    const { dir } = setup();
    commitFiles(s, dir, { "a.txt": "one\n" }, "one");
    commitFiles(s, dir, { "b.txt": "two\n" }, "two");
    s.git(dir, "push", "-q", "origin", "main");
    const token = fakeGithubToken();
    // Rewrite: the older commit gains the token, the newer one is replayed on top.
    s.git(dir, "reset", "-q", "--hard", "HEAD~2");
    commitFiles(s, dir, { "a.txt": `one\nk=${token}\n` }, "one");
    commitFiles(s, dir, { "b.txt": "two\n" }, "two");
    attempt("rewritten history", dir, ["--force", "origin", "main"], [token], {
      expect: /a\.txt:2:3/,
    });
    attempt("rewritten history", dir, ["--force-with-lease", "origin", "main"], [token]);
  });

  it("deletions: deleting a branch is let through without a scan or a crash", () => {
    const { dir } = setup();
    s.git(dir, "checkout", "-q", "-b", "feature");
    commitFiles(s, dir, { "f.txt": "feature\n" }, "feature");
    s.git(dir, "push", "-q", "origin", "feature");
    const r = push(dir, ["origin", "--delete", "feature"]);
    const ok =
      r.status === 0 && remoteHead(dir, "feature") === "" && !/internal error/.test(r.stderr);
    // A deletion is not an attack to contain, but the hook must not fail on it.
    expect(ok, r.stderr).toBe(true);
    expect(r.stderr).toMatch(/scanned 0 commits/);
  });

  it("git failing mid-stream: a missing object, git killed, git exiting non-zero after output, a bad object id", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    // Many commits so the failure comes after output has streamed; the token is in the newest.
    for (let i = 0; i < 30; i++)
      commitFiles(s, dir, { [`f${i}.txt`]: `file ${i}\n${"text\n".repeat(200)}` }, `c${i}`);
    const victim = s.git(dir, "rev-parse", "HEAD~25:f4.txt");
    commitFiles(s, dir, { "k.txt": `k=${token}\n` }, "token");
    // (1) A loose object of an old commit removed: git log dies with "unable to read" mid-stream.
    const objects = join(dir, ".git", "objects", victim.slice(0, 2), victim.slice(2));
    const saved = readFileSync(objects);
    rmSync(objects, { force: true });
    attempt("git fails", dir, ["origin", "main"], [token], {
      expect: /pre-push could not scan the push/,
    });
    writeFileSync(objects, saved);
    chmodSync(objects, 0o444);

    // (2)-(3) A `git log` that streams part of its output and then dies by a signal, or exits 1.
    // git puts its exec-path first on a hook's PATH, so the stand-in lives in a copy of it.
    const real = s.run("sh", ["-c", "command -v git"]).stdout.trim();
    const execPath = s.git(dir, "--exec-path");
    const bin = join(s.root, "git-exec");
    mkdirSync(bin, { recursive: true });
    for (const name of readdirSync(execPath))
      if (name !== "git") symlinkSync(join(execPath, name), join(bin, name));
    for (const how of ["kill -9 $$", "exit 1"]) {
      writeFileSync(
        join(bin, "git"),
        `#!/bin/sh\ncase " $* " in *" log "*) "${real}" "$@" | head -c 3000; ${how};; esac\nexec "${real}" "$@"\n`,
      );
      chmodSync(join(bin, "git"), 0o755);
      const r = attempt("git fails", dir, ["origin", "main"], [token], {
        env: { GIT_EXEC_PATH: bin, PATH: `${bin}:${process.env.PATH}` },
        expect: /pre-push could not scan the push/,
      });
      expect(r.stderr).toMatch(how === "exit 1" ? /exit 1/ : /exit signal|SIGKILL/);
    }
    // (4) A pushed object id git does not have.
    const missing = "1234567".repeat(5) + "12345";
    const r = s.hookpack(
      dir,
      ["pre-push", "origin"],
      `refs/heads/main ${missing} refs/heads/main ${"0".repeat(40)}\n`,
    );
    const contained = r.status === 2 && /the push was stopped/.test(r.stderr);
    tally("git fails").attempt(contained);
    expect(contained, r.stderr).toBe(true);
  });

  it("size: a 50 MB single commit is scanned to its last line without running out of memory", () => {
    const { dir } = setup();
    const token = fakeGithubToken();
    const line = "const filler = 'a line of ordinary source text, nothing secret in it';\n";
    const big = line.repeat(Math.ceil((50 * 1024 * 1024) / line.length));
    writeFileSync(join(dir, "huge.js"), `${big}const key = "${token}";\n`);
    writeFileSync(join(dir, "one-line.min.js"), `${"x".repeat(8 * 1024 * 1024)} ${token}`);
    s.git(dir, "add", "huge.js", "one-line.min.js");
    s.git(dir, "commit", "-q", "-m", "huge");
    // A bounded heap: the stream is held one file at a time, never the whole output.
    const r = attempt("size", dir, ["origin", "main"], [token], {
      env: { NODE_OPTIONS: "--max-old-space-size=512" },
      expect: /huge\.js:\d+:14 /,
    });
    expect(r.stderr).toMatch(/one-line\.min\.js:1:8388610 /);
  }, 180_000);
});
