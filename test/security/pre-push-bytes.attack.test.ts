// Issue 21, pre-push reading git's bytes: the added lines of `git log -p` are gathered as bytes
// (each line's `+` column left out) and decoded once per file. The agent tries to get a token or a
// stored value past that: in the root commit, in a large file of multi-byte UTF-8 whose lines cross
// git's pipe reads, in a renamed and edited file, in binary-looking and UTF-16 files, in an "evil
// merge" resolution, on a last line without LF, on CRLF lines, on added lines that look like patch
// headers (`+++`, `diff --git`, `@@`), and a stored value split over two added lines. Every planted
// value must come back from the REAL dist/hookpack.cjs at its exact place (path, line, column where
// git's text has one) with the value's own fingerprint, once; and the real `git push` through the
// installed hook is refused. Fake tokens and the stored value are made at run time.
import { createHash } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeGithubToken, HOOKPACK, type Sandbox } from "../helpers/git-sandbox.js";
import { assertPrePushBuilt, prePushRepo, pushAttempt } from "../helpers/pre-push-attack.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let s: Sandbox;
beforeAll(assertPrePushBuilt);
afterEach(() => s?.cleanup());

const fp = (value: string) => `sha256:${createHash("sha256").update(value, "utf8").digest("hex")}`;

interface Planted {
  family: string;
  value: string;
  path: string;
  /** 1-based line and column (UTF-16 units) in the file; undefined where git's text has none. */
  line?: number;
  column?: number;
  /** The value is found through the stored-value matcher (a split value: its own fingerprint is of the joined text). */
  stored?: boolean;
}

interface Finding {
  commit: string;
  path: string;
  line?: number;
  column?: number;
  ruleId: string;
  fingerprint?: string;
}

/** Multi-byte filler: 2-, 3- and 4-byte UTF-8 characters (4-byte ones are two UTF-16 units). */
const WIDE = ["é", "ß", "日本", "語", "😀", "𝔸", "ü", "€"];

describe("pre-push bytes: every planted value is reported at its place", () => {
  it("root commit, multi-byte lines across pipe reads, renames, binary, UTF-16, merges, line ends, header look-alikes, split stored value", () => {
    const made = prePushRepo("hookpack-prepush-bytes-");
    s = made.s;
    const dir = made.dir;
    const stored = `Zq${fakeGithubToken().slice(4, 30)}w9`;
    const set = s.hookpack(dir, ["secret", "set", "BYTES_KEY"], stored);
    expect(set.status, set.stderr).toBe(0);

    const planted: Planted[] = [];
    const parts: string[] = [];
    let mark = 0;
    /** One commit by fast-import: `ops` are its file commands (M/R lines with inline data). */
    const commit = (from: string | undefined, ops: string[], merge?: string): number => {
      mark++;
      const msg = `c${mark}`;
      parts.push(
        `commit refs/heads/exact\nmark :${mark}\ncommitter T <t@example.invalid> ${1700000000 + mark} +0000\ndata ${msg.length}\n${msg}\n`,
        from ? `from ${from}\n` : "",
        merge ? `merge ${merge}\n` : "",
        ...ops,
      );
      return mark;
    };
    const file = (path: string, text: string) =>
      `M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`;

    // 1. The root commit (no parent: git shows it whole with --root).
    const t1 = fakeGithubToken();
    planted.push({ family: "root commit", value: t1, path: "root.txt", line: 3, column: 7 });
    const root = commit(undefined, [file("root.txt", `one\ntwo\ntoken=${t1}\nfour\n`)]);

    // 2. ~600 KB of multi-byte lines of every length, a token every 97 lines after a run of wide
    // characters: git's output reaches the scanner in many reads, and their ends fall inside lines,
    // inside characters and inside tokens.
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) {
      const wide = Array.from(
        { length: 1 + (i % 23) },
        (_, k) => WIDE[(i + k) % WIDE.length]!,
      ).join("");
      if (i % 97 === 41) {
        const t = fakeGithubToken();
        const before = `${wide} k${i} = "`;
        planted.push({
          family: "multi-byte lines over pipe reads",
          value: t,
          path: "wide.txt",
          line: i + 1,
          column: before.length + 1,
        });
        lines.push(`${before}${t}";`);
      } else lines.push(`${wide} line ${i} ${"x".repeat(i % 131)} ${wide}`);
    }
    const c2 = commit(`:${root}`, [file("wide.txt", `${lines.join("\n")}\n`)]);

    // 3. A file renamed and edited in one commit: the token arrives with the rename.
    const body = Array.from({ length: 20 }, (_, i) => `line ${i} of a file\n`).join("");
    const c3 = commit(`:${c2}`, [file("old.txt", body)]);
    const t3 = fakeGithubToken();
    planted.push({ family: "rename", value: t3, path: "new.txt", line: 21, column: 3 });
    const c4 = commit(`:${c3}`, ["R old.txt new.txt\n", file("new.txt", `${body}k=${t3}\n`)]);

    // 4. Binary-looking (NUL bytes) and UTF-16LE files.
    const t4 = fakeGithubToken();
    planted.push({ family: "binary-looking", value: t4, path: "data.bin", line: 2, column: 7 });
    const t5 = fakeGithubToken();
    planted.push({ family: "UTF-16", value: t5, path: "wide16.txt" });
    const c5 = commit(`:${c4}`, [
      file("data.bin", `\0\0\0header\0\ntoken=${t4}\n\0tail`),
      // (UTF-16LE of ASCII: ASCII bytes and NULs, the same bytes as this string in UTF-8.)
      file("wide16.txt", Buffer.from(`hello\nkey=${t5}\nbye\n`, "utf16le").toString("latin1")),
    ]);

    // 5. Line ends and lines that look like patch headers.
    const t6 = fakeGithubToken();
    planted.push({
      family: "last line without LF",
      value: t6,
      path: "nonl.txt",
      line: 2,
      column: 3,
    });
    const t7 = fakeGithubToken();
    planted.push({ family: "CRLF", value: t7, path: "crlf.txt", line: 2, column: 3 });
    const t8 = fakeGithubToken();
    planted.push({ family: "header look-alike", value: t8, path: "look.txt", line: 1, column: 6 });
    const t9 = fakeGithubToken();
    planted.push({ family: "header look-alike", value: t9, path: "look.txt", line: 2, column: 20 });
    const t10 = fakeGithubToken();
    planted.push({ family: "header look-alike", value: t10, path: "look.txt", line: 3, column: 8 });
    const c6 = commit(`:${c5}`, [
      file("nonl.txt", `x\nk=${t6}`),
      file("crlf.txt", `a\r\nk=${t7}\r\nb\r\n`),
      file("look.txt", `++ k=${t8}\ndiff --git a/x b/x ${t9}\n@@ -1 +${t10}\n`),
    ]);

    // 6. An evil merge: the resolution adds a line neither parent has (a combined diff's `++`).
    const base = commit(`:${c6}`, [file("merged.txt", "a\nb\n")]);
    const left = commit(`:${base}`, [file("merged.txt", "a\nb1\n")]);
    const right = commit(`:${base}`, [file("merged.txt", "a\nb2\n")]);
    const t11 = fakeGithubToken();
    planted.push({ family: "evil merge", value: t11, path: "merged.txt", line: 4, column: 3 });
    const merged = commit(`:${left}`, [file("merged.txt", `a\nb1\nb2\nk=${t11}\n`)], `:${right}`);

    // 7. The stored value split over two added lines (only the squeezed view joins it), and whole.
    const half = Math.floor(stored.length / 2);
    planted.push({ family: "stored value", value: stored, path: "stored.js", stored: true });
    planted.push({
      family: "stored value",
      value: stored,
      path: "plain.js",
      line: 2,
      column: 12,
      stored: true,
    });
    commit(`:${merged}`, [
      file("stored.js", `const k =\n  '${stored.slice(0, half)}' +\n  '${stored.slice(half)}';\n`),
      file("plain.js", `// key\nconst k = "${stored}";\n`),
    ]);

    s.run("git", ["fast-import", "--quiet"], { cwd: dir, input: parts.join("") });
    s.git(dir, "checkout", "-q", "-f", "exact");
    // fast-import wrote the file data as given: check one line.
    expect(s.read(`${dir}/wide.txt`).split("\n")[41]).toBe(lines[41]);

    const head = s.git(dir, "rev-parse", "exact");
    const r = s.run(process.execPath, [HOOKPACK, "pre-push", "origin", "--format", "json"], {
      cwd: dir,
      input: `refs/heads/exact ${head} refs/heads/exact ${"0".repeat(40)}\n`,
      ok: false,
    });
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { commits: number; findings: Finding[] };
    expect(report.commits).toBe(mark);
    const findings = report.findings;

    for (const p of planted) {
      const at = findings.filter(
        (f) =>
          f.path === p.path &&
          (p.line === undefined || f.line === p.line) &&
          (p.column === undefined || f.column === p.column) &&
          (p.stored ? f.ruleId === "managed-value" : f.fingerprint === fp(p.value)),
      );
      const ok = at.length === 1;
      tally(`exact place: ${p.family}`).attempt(ok);
      expect(ok, `${p.family}: ${p.path}:${p.line}:${p.column} found ${at.length} times`).toBe(
        true,
      );
    }
    // Nothing reported twice, and no token finding that was not planted.
    const tokenFindings = findings.filter((f) => f.ruleId !== "managed-value");
    const plantedTokens = new Set(planted.filter((p) => !p.stored).map((p) => fp(p.value)));
    expect(tokenFindings.filter((f) => !plantedTokens.has(f.fingerprint ?? "")).length).toBe(0);
    expect(new Set(tokenFindings.map((f) => f.fingerprint)).size).toBe(plantedTokens.size);

    // The real push through the installed hook: refused, the remote unmoved, no value printed.
    const values = [...new Set(planted.map((p) => p.value))];
    const { out, contained } = pushAttempt(s, dir, ["origin", "exact"], values, {
      ref: "refs/heads/exact",
    });
    tally("exact place: git push refused").attempt(contained);
    expect(
      contained,
      values.reduce((o, v) => o.split(v).join("<VALUE>"), out),
    ).toBe(true);
  });
});
