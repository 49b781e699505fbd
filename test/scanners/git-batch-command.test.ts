// objectSession (scanners/git.ts): one `git cat-file --batch-command` answers a push's object-type
// questions (`info`) and then its commit objects (`contents`), where two processes did
// (`--batch-check`, `--batch`). git's batch protocols are line-based, so the session must never send
// a name that reads as two commands, must read every answer of every kind the same way the fallback
// does, and on a git without the option (< 2.36) must fall back to the two processes with the same
// answers. Each case runs both ways and compares the answers object by object.
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  batchCommandSupport,
  GitError,
  objectSession,
  type GitObject,
  type GitObjectInfo,
} from "../../scanners/git.js";
import { commitFiles, makeSandbox, type Sandbox } from "../helpers/git-sandbox.js";

let s: Sandbox;
afterEach(() => {
  s?.cleanup();
  batchCommandSupport.known = undefined;
});

/** A repository with a commit, a tree, a blob, an annotated tag, a path with spaces and a 6 MB blob. */
function repo() {
  s = makeSandbox("hookpack-git-batch-command-");
  const { dir } = s.repo();
  const big = Buffer.alloc(6 * 1024 * 1024, "x\n");
  s.write(join(dir, "big.bin"), big);
  s.git(dir, "add", "big.bin");
  const head = commitFiles(
    s,
    dir,
    { "dir with space/a b.txt": "spaced\n", "plain.txt": "plain\n" },
    "first\n\nbody line",
  );
  s.git(dir, "tag", "-a", "-m", "tag message", "v1");
  return {
    dir,
    head,
    tree: s.git(dir, "rev-parse", "HEAD^{tree}"),
    blob: s.git(dir, "rev-parse", "HEAD:plain.txt"),
    spacedBlob: s.git(dir, "rev-parse", "HEAD:dir with space/a b.txt"),
    bigBlob: s.git(dir, "rev-parse", "HEAD:big.bin"),
    tag: s.git(dir, "rev-parse", "v1"),
    big,
  };
}

/** A directory holding a `git` that refuses `--batch-command` as git 2.35 did, and runs git otherwise. */
function oldGit(): string {
  const bin = join(s.root, "old-git-bin");
  mkdirSync(bin, { recursive: true });
  const real = s.run("sh", ["-c", "command -v git"]).stdout.trim();
  const script = join(bin, "git");
  writeFileSync(
    script,
    `#!/bin/sh\nfor a in "$@"; do case "$a" in --batch-command*) echo "error: unknown option \\\`batch-command'" >&2; exit 129;; esac; done\nexec "${real}" "$@"\n`,
  );
  chmodSync(script, 0o755);
  return bin;
}

async function ask(
  dir: string,
  infoNames: string[],
  contents: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ info: GitObjectInfo[]; objects: GitObject[] }> {
  const session = objectSession({ cwd: dir, env: env ?? s.env }, infoNames);
  for (const n of contents) session.add(n);
  const objects = await session.done();
  return { info: await session.info, objects };
}

/** Answers with each body as its length and SHA-256 (a deep compare of 6 MB Buffers takes minutes). */
const digest = (a: { info: GitObjectInfo[]; objects: GitObject[] }) => ({
  info: a.info,
  objects: a.objects.map((o) => ({
    name: o.name,
    type: o.type,
    bytes: o.body.length,
    sha256: createHash("sha256").update(o.body).digest("hex"),
  })),
});

describe("objectSession: git cat-file --batch-command, and its fallback", () => {
  it("answers info and contents of every kind exactly as --batch-check and --batch do", async () => {
    const r = repo();
    const missing = "0".repeat(39) + "1";
    const infoNames = [
      r.head,
      `${r.head}^{}`,
      `${r.tag}^{}`,
      r.tag,
      `${r.tree}^{commit}`, // a tree where a commit is expected
      `${r.blob}^{commit}`, // a blob where a commit is expected
      `${r.tag}^{commit}`,
      `${missing}^{commit}`, // an object this repository lacks
      "HEAD:dir with space/a b.txt", // a name with spaces
      "HEAD:no such file.txt",
    ];
    const contents = [
      r.head,
      r.tree,
      r.blob,
      r.tag,
      missing,
      r.bigBlob, // a huge object
      "HEAD:dir with space/a b.txt",
      r.head,
    ];
    const fast = await ask(r.dir, infoNames, contents);
    expect(batchCommandSupport.known).toBe(true);
    batchCommandSupport.known = false;
    const slow = await ask(r.dir, infoNames, contents);
    expect(digest(slow)).toEqual(digest(fast));

    // What the answers are (not only that both ways agree).
    expect(fast.info.map((a) => a.type)).toEqual([
      "commit",
      "commit",
      "commit",
      "tag",
      "missing",
      "missing",
      "commit",
      "missing",
      "blob",
      "missing",
    ]);
    expect(fast.info[0]!.oid).toBe(r.head);
    expect(fast.info[2]!.oid).toBe(r.head);
    expect(fast.info[3]!.oid).toBe(r.tag);
    expect(fast.info[8]!.oid).toBe(r.spacedBlob);
    expect(fast.objects.map((o) => o.type)).toEqual([
      "commit",
      "tree",
      "blob",
      "tag",
      "missing",
      "blob",
      "blob",
      "commit",
    ]);
    expect(fast.objects[0]!.body.toString()).toMatch(
      /^tree [0-9a-f]{40}\n[\s\S]*\n\nfirst\n\nbody line\n$/,
    );
    expect(fast.objects[2]!.body.toString()).toBe("plain\n");
    expect(fast.objects[3]!.body.toString()).toMatch(/\n\ntag message\n$/);
    expect(fast.objects[4]!.body.length).toBe(0);
    expect(fast.objects[5]!.body.equals(r.big)).toBe(true);
    expect(fast.objects[6]!.body.toString()).toBe("spaced\n");
    expect(fast.objects[7]!.body.equals(fast.objects[0]!.body)).toBe(true);
  });

  it("a git without --batch-command (< 2.36): detected once, same answers from two processes", async () => {
    const r = repo();
    const env = { ...s.env, PATH: `${oldGit()}:${s.env.PATH ?? process.env.PATH}` };
    const infoNames = [r.head, `${r.head}^{}`, `${r.tree}^{commit}`];
    const contents = [r.head, r.tag, r.bigBlob];
    const old = await ask(r.dir, infoNames, contents, env);
    expect(batchCommandSupport.known).toBe(false);
    // Later sessions of the process go straight to the fallback (with the real git, too).
    const again = await ask(r.dir, infoNames, contents);
    batchCommandSupport.known = undefined;
    const fast = await ask(r.dir, infoNames, contents);
    expect(batchCommandSupport.known).toBe(true);
    expect(digest(old)).toEqual(digest(fast));
    expect(digest(again)).toEqual(digest(fast));
    expect(fast.info.map((a) => a.type)).toEqual(["commit", "commit", "missing"]);
    expect(fast.objects[2]!.body.equals(r.big)).toBe(true);
  });

  it.each([
    ["a line feed", (h: string) => `${h}\ninfo ${h}`],
    ["a carriage return", (h: string) => `${h}\r`],
    ["a NUL byte", (h: string) => `${h}\0x`],
    ["nothing", (_h: string) => ""],
  ])("a name holding %s is never sent: the session fails closed", async (_what, make) => {
    const r = repo();
    for (const known of [undefined, false]) {
      batchCommandSupport.known = known;
      expect(() => objectSession({ cwd: r.dir, env: s.env }, [r.head, make(r.head)])).toThrow(
        GitError,
      );
      const session = objectSession({ cwd: r.dir, env: s.env }, [r.head]);
      expect(() => session.add(make(r.head))).toThrow(GitError);
      session.add(r.head);
      const objects = await session.done();
      // Only the clean name was asked: one answer, the commit.
      expect(objects.map((o) => [o.name, o.type])).toEqual([[r.head, "commit"]]);
      expect((await session.info).map((a) => a.type)).toEqual(["commit"]);
    }
  });

  it("aborted before its types are answered (a speculative git log failed), it still answers them", async () => {
    const r = repo();
    const session = objectSession({ cwd: r.dir, env: s.env }, [r.head, `${r.tree}^{commit}`]);
    session.add(r.head);
    session.abort();
    expect((await session.info).map((a) => a.type)).toEqual(["commit", "missing"]);
  });

  it("aborted before an old git's refusal is seen: the types still come from the fallback", async () => {
    const r = repo();
    const env = { ...s.env, PATH: `${oldGit()}:${s.env.PATH ?? process.env.PATH}` };
    const session = objectSession({ cwd: r.dir, env }, [r.head, `${r.blob}^{commit}`]);
    session.add(r.head);
    session.abort();
    expect((await session.info).map((a) => a.type)).toEqual(["commit", "missing"]);
    expect(batchCommandSupport.known).toBe(false);
  });

  it("outside a repository git fails, and so does the session (no answer taken for a missing one)", async () => {
    s = makeSandbox("hookpack-git-batch-command-norepo-");
    const dir = join(s.root, "not-a-repo");
    mkdirSync(dir);
    const session = objectSession(
      { cwd: dir, env: { ...s.env, GIT_CEILING_DIRECTORIES: s.root } },
      ["0".repeat(40)],
    );
    session.add("0".repeat(40));
    await expect(session.done()).rejects.toThrow(GitError);
    await expect(session.info).rejects.toThrow(GitError);
  });
});
