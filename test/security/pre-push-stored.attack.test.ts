// Issue 21, the pre-push row: the agent tries to get a STORED value (no token shape: only the
// managed-value matcher, the four-view search of scanners/managed.ts, can find it) past the
// streaming pre-push of a large push: in the 1,000th commit of git's stream, in commits it reverts,
// in merge resolutions, in renamed files, split over two hunks, in huge commits git streams in
// many pieces. Every case is a REAL git repository with the REAL dist/hookpack.cjs as its pre-push
// hook; contained = the push is refused, the remote does not move, and nothing printed holds the
// value. Each case also checks `hookpack pre-push --format json` names every planted instance.
// (Written for a worker-thread split of the search that was measured and reverted: see git log.)
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { commitFiles, fakeGithubToken, HOOKPACK, type Sandbox } from "../helpers/git-sandbox.js";
import { assertPrePushBuilt, prePushRepo, pushAttempt } from "../helpers/pre-push-attack.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let s: Sandbox;
beforeAll(assertPrePushBuilt);
afterEach(() => s?.cleanup());

/** A repository with the hook installed and one stored value (random: no token shape). */
function setup(): { dir: string; value: string } {
  const made = prePushRepo("hookpack-prepush-stored-");
  s = made.s;
  const value = `Vk${fakeGithubToken().slice(4, 32)}q7`;
  const set = s.hookpack(made.dir, ["secret", "set", "DEPLOY_KEY"], value);
  expect(set.status, set.stderr).toBe(0);
  return { dir: made.dir, value };
}

/** Ordinary source-looking lines (distinct per commit and line). */
const filler = (i: number, lines: number) =>
  Array.from(
    { length: lines },
    (_, k) => `export const item${i}_${k} = compute(${i}, ${k}); // step ${i}.${k}\n`,
  ).join("");

/** ~1.5 MB of source-looking text (the newest commits carry some: a large push). */
const ballast = (i: number) => filler(100000 + i, 24000);

/**
 * `count` commits on top of HEAD on `branch` by one `git fast-import`; commit i writes
 * `files(i)` (path -> text), and the newest four a large file each (git log streams them first,
 * so the scenario reaches the scanner deep into a multi-megabyte stream); HEAD then checks out
 * `branch`.
 */
function history(
  dir: string,
  branch: string,
  count: number,
  files: (i: number) => Record<string, string>,
  withBallast = true,
) {
  const parent = s.git(dir, "rev-parse", "HEAD");
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const msg = `step ${i}`;
    parts.push(
      `commit refs/heads/${branch}\nmark :${i + 1}\ncommitter T <t@example.invalid> ${1700000000 + i} +0000\ndata ${msg.length}\n${msg}\n`,
      i === 0 ? `from ${parent}\n` : `from :${i}\n`,
    );
    const written =
      withBallast && i >= count - 4 ? { ...files(i), [`ballast/b${i}.js`]: ballast(i) } : files(i);
    for (const [path, text] of Object.entries(written))
      parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  }
  s.run("git", ["fast-import", "--quiet"], { cwd: dir, input: parts.join("") });
  s.git(dir, "checkout", "-q", "-f", branch);
}

/** `hookpack pre-push --format json` for `branch`: its findings (at least `min` of them). */
function report(dir: string, branch: string, min: number) {
  const head = s.git(dir, "rev-parse", branch);
  const input = `refs/heads/${branch} ${head} refs/heads/${branch} ${"0".repeat(40)}\n`;
  const r = s.run(process.execPath, [HOOKPACK, "pre-push", "origin", "--format", "json"], {
    cwd: dir,
    input,
    ok: false,
  });
  expect(r.status, r.stderr).toBe(1);
  const found = (JSON.parse(r.stdout) as { findings: unknown[] }).findings;
  expect(found.length).toBeGreaterThanOrEqual(min);
  return found as Array<{ commit: string; path: string; line?: number; ruleId: string }>;
}

/** One real `git push` through the installed hook. */
function attempt(family: string, dir: string, branch: string, values: string[], expect_?: RegExp) {
  const { out, contained } = pushAttempt(s, dir, ["origin", branch], values, {
    ref: `refs/heads/${branch}`,
    expect: expect_,
  });
  tally(family).attempt(contained);
  expect(contained, out.split(values[0]!).join("<VALUE>")).toBe(true);
}

describe("pre-push: the agent tries to get a stored value past the streaming scan", () => {
  it("the 1,000th commit of 1,000 in git's stream (the oldest), the newest, and a token every 100", () => {
    const { dir, value } = setup();
    history(dir, "last", 1000, (i) => ({
      [`src/f${i % 40}.js`]:
        filler(i, 12) +
        (i % 100 === 50 ? `const t = "${fakeGithubToken()}";\n` : "") +
        (i === 0 || i === 999 ? `const deploy = "${value}";\n` : ""),
    }));
    const found = report(dir, "last", 12);
    expect(found.filter((f) => f.ruleId === "managed-value").length).toBe(2);
    attempt("stored value", dir, "last", [value], /managed secret DEPLOY_KEY/);
  });

  // Every scenario below sits under 300 newer commits (the newest carry the ballast), so git
  // streams it megabytes into the push; each is repeated at several depths.
  it("commits that add the value and the next ones that revert it, 6 times among 300", () => {
    const { dir, value } = setup();
    history(dir, "revert", 300, (i) => ({
      [`src/f${i % 30}.js`]: filler(i, 10),
      "config.js":
        i % 50 === 25 ? `module.exports = { key: "${value}", at: ${i} };\n` : "// none\n",
    }));
    const found = report(dir, "revert", 6);
    expect(found.filter((f) => f.path === "config.js" && f.ruleId === "managed-value").length).toBe(
      6,
    );
    attempt("stored value", dir, "revert", [value], /config\.js:1:/);
  });

  it("merges whose resolution alone adds the value, 3 times, under 300 commits", () => {
    const { dir, value } = setup();
    for (let m = 0; m < 3; m++) {
      s.git(dir, "checkout", "-q", m === 0 ? "main" : "merged");
      history(
        dir,
        `side${m}`,
        20,
        (i) => ({ [`src/s${m}-${i % 5}.js`]: filler(m * 100 + i, 10) }),
        false,
      );
      s.git(dir, "checkout", "-q", "-B", "merged", m === 0 ? "main" : "merged");
      commitFiles(s, dir, { [`main${m}.txt`]: filler(9000 + m, 5) }, `main work ${m}`);
      s.git(dir, "merge", "-q", "--no-commit", `side${m}`);
      writeFileSync(
        join(dir, `src/s${m}-2.js`),
        `${filler(m * 100 + 17, 10)}const k = "${value}";\n`,
      );
      s.git(dir, "add", `src/s${m}-2.js`);
      s.git(dir, "commit", "-q", "-m", `merge side ${m}`);
    }
    history(dir, "merged", 300, (i) => ({ [`src/t${i % 20}.js`]: filler(5000 + i, 10) }));
    const found = report(dir, "merged", 3);
    expect(found.filter((f) => /^src\/s\d-2\.js$/.test(f.path) && f.line === 11).length).toBe(3);
    attempt("stored value", dir, "merged", [value], /src\/s\d-2\.js:11:/);
  });

  it("files renamed and edited in one commit bring the value, 3 times, under 300 commits", () => {
    const { dir, value } = setup();
    s.git(dir, "checkout", "-q", "-b", "moved");
    for (let m = 0; m < 3; m++) {
      const body = filler(5000 + m, 30);
      history(
        dir,
        "moved",
        20,
        (i) => ({
          [`src/m${i % 5}.js`]: filler(m * 100 + i, 10),
          ...(i === 0 ? { [`old${m}.js`]: body } : {}),
        }),
        false,
      );
      s.git(dir, "mv", `old${m}.js`, `new${m}.js`);
      writeFileSync(join(dir, `new${m}.js`), `${body}const k = "${value}";\n`);
      s.git(dir, "add", `new${m}.js`);
      s.git(dir, "commit", "-q", "-m", `rename and edit ${m}`);
    }
    history(dir, "moved", 300, (i) => ({ [`src/t${i % 20}.js`]: filler(7000 + i, 10) }));
    const found = report(dir, "moved", 3);
    expect(found.filter((f) => /^new\d\.js$/.test(f.path) && f.line === 31).length).toBe(3);
    attempt("stored value", dir, "moved", [value], /new\d\.js:31:/);
  });

  it("the value split over two hunks (an unchanged line between its halves), 3 times, under 300 commits", () => {
    const { dir, value } = setup();
    const half = Math.floor(value.length / 2);
    s.git(dir, "checkout", "-q", "-b", "hunks");
    for (let m = 0; m < 3; m++) {
      const base = filler(7000 + m, 20).split("\n");
      history(
        dir,
        "hunks",
        20,
        (i) => ({
          [`src/h${i % 5}.js`]: filler(m * 100 + i, 10),
          ...(i === 0 ? { [`split${m}.js`]: base.join("\n") } : {}),
        }),
        false,
      );
      const edited = [...base];
      edited[9] = `const k = "${value.slice(0, half)}" +`;
      edited[11] = `  "${value.slice(half)}";`;
      writeFileSync(join(dir, `split${m}.js`), edited.join("\n"));
      s.git(dir, "add", `split${m}.js`);
      s.git(dir, "commit", "-q", "-m", `split ${m}`);
      // Two hunks: line 11 is unchanged between the halves.
      expect(s.git(dir, "show", "-U0", "--format=", "HEAD").match(/^@@ /gm)?.length).toBe(2);
    }
    history(dir, "hunks", 300, (i) => ({ [`src/t${i % 20}.js`]: filler(8000 + i, 10) }));
    const found = report(dir, "hunks", 3);
    expect(found.filter((f) => /^split\d\.js$/.test(f.path)).length).toBe(3);
    attempt("stored value", dir, "hunks", [value.slice(0, half), value.slice(half)], /split\d\.js/);
  });

  it("huge commits (3 MB each, streamed in many pieces) with the value in the middle and at the end", () => {
    const { dir, value } = setup();
    const line = "const value = compute(items, options); // padding of a huge file\n";
    const half = line.repeat(Math.floor((1.5 * 1024 * 1024) / line.length));
    history(dir, "huge", 60, (i) => ({
      [`src/g${i % 10}.js`]: filler(i, 10),
      ...(i % 20 === 10 ? { [`big${i}.js`]: `${half}a = "${value}";\n${half}b = "${value}"` } : {}),
    }));
    const found = report(dir, "huge", 6);
    expect(found.filter((f) => /^big\d+\.js$/.test(f.path)).length).toBe(6);
    attempt("stored value", dir, "huge", [value], /big\d+\.js/);
  });
});
