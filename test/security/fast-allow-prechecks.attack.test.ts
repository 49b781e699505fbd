// Issue 21 (h21-allow4): the early-allow tests on the hook's allow path no longer run (and so no
// longer compile) a regex where the text lacks a substring every match of it holds:
// shellMayEditHookConfig (`uninstall`, `hookpack … allow`, RUNS_SCRIPT), mayChangeDir, mayRunCode
// (INTERPRETER), HIDING (mayHide), the prefilter's keyword pass (ASSIGNED_VALUE), and the fast
// stage's `$secret:` / `$cap:` tests. An agent that knows this builds commands around the cheap
// checks: a `cd` spelled with quotes or backslashes, a `.`-sourced script, an interpreter with a
// version suffix, a token behind a zero-width character or a backslash escape, a `$secret:` spelled
// with JSON escapes, a keyword assignment, stdin in pieces or a file.
//
// Two parts. (1) Differential, in process: each new test against the regex it stands in front of
// (copied here as it was), over a generated corpus of ~60,000 texts made of the very words and
// characters the prechecks look for: any text where they differ fails. (2) Through the REAL hook
// process, as Claude Code spawns it (dist/hookpack.cjs, and the installed command with its verifying
// launcher): every payload answered with the stage and with HOOKPACK_FAST_ALLOW=0; contained = the
// same answer, stopped where the rules stop it, no raw value in what the hook wrote.
// Family fast-allow-prechecks/differential, fast-allow-prechecks/dist, fast-allow-prechecks/installed.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveHookpackHome } from "../../core/home.js";
import { REF_ANYWHERE, CAP_ANYWHERE } from "../../rules/secret-ref.js";
import { HIDING, mayHide } from "../../rules/secretlint.js";
import { mayRunCode, shellMayEditHookConfig } from "../../rules/protect-state.js";
import { CHANGES_DIR, INTERPRETER, mayChangeDir } from "../../rules/state-words.js";
import { CLAUDE_HOOK_CONFIG_FILES } from "../../hooks/fast-allow.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import {
  answerKind,
  claudePayload,
  installedPreToolUseCommand,
  runHookRoute,
  type StreamedRun,
} from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

// ---- (1) differential -------------------------------------------------------------------------

// The forms before issue 21's prechecks, verbatim. RUNS_SCRIPT and CODE_FLAG are module-private in
// rules/protect-state.ts: copied; if the rule's own changes, this copy (and the precheck in front
// of it) must be looked at again, which the differential then says.
// (sec-gaps6 added `eval` to RUNS_SCRIPT and the dot-glob test DOT_GLOB_WORD: copied here too.)
const RUNS_SCRIPT =
  /(^|[\s;&|(/'"`])(sh|bash|dash|zsh|ksh|mksh|fish|ash|source|eval)(\s|['"`)]|$)|(^|[\s;&|(])\.\s/;
const DOT_GLOB_WORD = /(^|[\s/'"=<>;&|(])\.[^\s/;&|()]*[*?[]|dotglob|GLOBIGNORE|globdots|GLOB_DOTS/;
const CODE_FLAG = /\s(-(?=[A-Za-z]*[ceEpr])[A-Za-z]+|--eval|--print|eval|-)(?=[\s=]|$)|<<|\|/;
const MAY_WRITE =
  /[>$`'"\\]|(^|[\s;&|({/])(rm|rmdir|mv|cp|tee|truncate|ln|install|chmod|chown|unlink|shred|rsync|dd|find|tar|git|touch|mkdir|chattr|setfacl|xargs|sed|gsed|perl|eval|exec|command|builtin|sudo|doas|env|nohup|nice|time|timeout|busybox|python[0-9.]*|node|nodejs|ruby|php|deno|bun)(?=[\s;&|)}]|$)/;
// sec-gaps7: a whole tree removed or rewritten (`rm -rf .`, `git clean`), copied from the rule.
const REWRITES_TREE =
  /(^|[\s;&|({])(?:(?:rm|chmod|chown|shred|find|mv|rsync)\s(?:[^;&|\n]*\s)?['"]?(?:\.\.|~|\/|\.(?:\/?(?=['"]?(?:[\s;&|)]|$))|\/?[*?[]|\/\.))|find\s+-|git\s[^;&|\n]*\bclean\b|git\s[^;&|\n]*\bstash\b(?!\s+(?:list|show)\b)|git\s[^;&|\n]*\breset\b[^;&|\n]*\s--(?:hard|merge)\b|git\s[^;&|\n]*\b(?:checkout|restore)\b[^;&|\n]*(?:\s['"]?\.|:\/|\*|\/(?=['"]?(?:\s|$))))/;
const oldMayChangeDir = (c: string) => /[$`]/.test(c) || CHANGES_DIR.test(c.replace(/['"\\]/g, ""));
const oldMayRunCode = (c: string) => INTERPRETER.test(c) && CODE_FLAG.test(c);
function oldShellMayEditHookConfig(command: string, files: readonly string[]): boolean {
  const names = files.map((f) => f.replace(/\/+$/, "").split("/").filter(Boolean)[0]!);
  return (
    names.some((n) => command.includes(n)) ||
    names.some((n) => command.replace(/['"\\]/g, "").includes(n)) ||
    DOT_GLOB_WORD.test(command) ||
    /\buninstall\b/.test(command) ||
    (/\ballow\b/.test(command) && command.includes("hookpack")) ||
    RUNS_SCRIPT.test(command) ||
    (oldMayChangeDir(command) && MAY_WRITE.test(command)) ||
    oldMayRunCode(command) ||
    REWRITES_TREE.test(command)
  );
}
const ASSIGNED_VALUE = /[=:][=>]?[ \t]{0,4}(?:["'`]|\\")?[^\s"'`]{16}/;

/** Pieces the prechecks look for, and their near misses. */
const PIECES = [
  "cd",
  "c'd",
  'c"d',
  "c\\d",
  "C",
  "d",
  "pushd",
  "popd",
  "CDPATH",
  "-C",
  "--chdir",
  "--directory",
  "--",
  "-",
  "=",
  ":",
  " ",
  "\t",
  "\n",
  "\r",
  "\v",
  "\f",
  "\u00a0",
  "\u2028",
  "\u3000",
  ";",
  "&",
  "|",
  "(",
  ")",
  "{",
  "}",
  "/",
  ".",
  "..",
  "./x.sh",
  "sh",
  "s",
  "h",
  "bash",
  "dash",
  "source",
  "sourc",
  "zsh",
  "ksh",
  "mksh",
  "fish",
  "ash",
  "python",
  "python3.11",
  "pytho",
  "pypy3",
  "node",
  "nodejs",
  "nod",
  "perl",
  "ruby",
  "php",
  "deno",
  "bun",
  "lua5.4",
  "tclsh",
  "Rscript",
  "osascript",
  "-c",
  "-e",
  "-pe",
  "--eval",
  "--print",
  "eval",
  "<<",
  "<",
  ">",
  ">>",
  "uninstall",
  "uninstal",
  "allow",
  "allo",
  "hookpack",
  "hookpac",
  "rm",
  "tee",
  "git",
  "'",
  '"',
  "`",
  "$",
  "${",
  "%4",
  "%41",
  "%41%42%43",
  "%41%42%43%44",
  "\\x4",
  "\\x41",
  "\\u004",
  "\\u0041",
  "\\101",
  "\\",
  "a",
  "Z",
  "0",
  "+",
  "_",
  "ABCDEFGHIJKLMN",
  "OPQRSTUVWXYZab",
  "0123456789abcdef",
  "\u200b",
  "\u034f",
  "\u00ad",
  "\u180e",
  "\ufeff",
  "é",
  ".claude",
  ".claude/",
  "settings.json",
  // sec-gaps7: whole trees removed or rewritten, and their near misses.
  "rm -rf .",
  "find -",
  "git clean",
  "git stash",
  "reset --hard",
  "checkout .",
  "mv ~",
  "chmod -R /",
  "shre",
  // sec-gaps6: globs that may name a hook settings folder, `eval`'s near miss.
  "*",
  "?",
  "[",
  ".cl*",
  "dotglob",
  "GLOBIGNORE",
  "evl",
  "secret:",
  "${secret:",
  "$secret:A",
  "cap:",
  "$cap:",
];
function corpus(n: number, seed: number): string[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let t = "";
    const k = 1 + Math.floor(rnd() * 10);
    for (let j = 0; j < k; j++) t += PIECES[Math.floor(rnd() * PIECES.length)];
    out.push(t);
  }
  return out;
}

describe("attack: the allow path's prechecks against the regexes they stand in front of", () => {
  const t = tally("fast-allow-prechecks/differential");
  const texts = corpus(60_000, 2104);
  const cases: Array<[string, (c: string) => boolean, (c: string) => boolean]> = [
    ["mayChangeDir", mayChangeDir, oldMayChangeDir],
    ["mayRunCode", mayRunCode, oldMayRunCode],
    [
      "shellMayEditHookConfig (Claude Code's files)",
      (c) => shellMayEditHookConfig(c, CLAUDE_HOOK_CONFIG_FILES),
      (c) => oldShellMayEditHookConfig(c, CLAUDE_HOOK_CONFIG_FILES),
    ],
    [
      "shellMayEditHookConfig (files with trailing slashes)",
      (c) => shellMayEditHookConfig(c, ["x//", "/.claude//settings.json/", "a/b/"]),
      (c) => oldShellMayEditHookConfig(c, ["x//", "/.claude//settings.json/", "a/b/"]),
    ],
    ["mayHide (HIDING)", mayHide, (c) => HIDING.test(c)],
  ];
  for (const [name, next, old] of cases)
    it(`${name}: the same answer on ${texts.length} generated texts`, () => {
      const differ = texts.filter((c) => next(c) !== old(c));
      t.attempt(differ.length === 0);
      expect(differ.slice(0, 5)).toEqual([]);
      // The corpus reaches both answers (a corpus that never matched would prove nothing).
      expect(texts.some(old) && texts.some((c) => !old(c))).toBe(true);
    });
  it("the keyword pass and the stage's reference tests: every match holds what the precheck asks", () => {
    const missed = texts.filter(
      (c) =>
        (ASSIGNED_VALUE.test(c) && !c.includes("=") && !c.includes(":")) ||
        (REF_ANYWHERE.test(c) && !c.includes("secret:")) ||
        (CAP_ANYWHERE.test(c) && !c.includes("cap:")),
    );
    t.attempt(missed.length === 0);
    expect(missed.slice(0, 5)).toEqual([]);
    expect(
      texts.some((c) => ASSIGNED_VALUE.test(c)) && texts.some((c) => REF_ANYWHERE.test(c)),
    ).toBe(true);
  });
  it("HOOKPACK_HOME: trailing separators dropped exactly as before (the regex now only behind one)", () => {
    const root = mkdtempSync(join(tmpdir(), "hookpack-home-trail-"));
    try {
      const differ: string[] = [];
      let answered = 0;
      for (const tail of ["", "/", "//", "\\", "/\\/", "x", "x/", "x\\\\"])
        for (const dir of [join(root, "hp"), "/"]) {
          const explicit = dir === "/" ? `/${tail}` : `${dir}${tail}`;
          let got: string;
          try {
            got = resolveHookpackHome({ HOOKPACK_HOME: explicit, HOME: root });
          } catch (error) {
            got = `error: ${(error as Error).name}`;
          }
          const before = explicit.replace(/(.)[/\\]+$/, "$1");
          // Either the same directory, or the same refusal for it (a place that cannot hold state).
          if (!got.startsWith("error")) answered++;
          if (!got.startsWith("error") && got !== before) differ.push(`${explicit} -> ${got}`);
        }
      t.attempt(differ.length === 0);
      expect(differ).toEqual([]);
      expect(answered).toBeGreaterThanOrEqual(8);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("mayHide: a 28-character run cut short by one other character is not one", () => {
    const run = "A".repeat(27);
    expect(mayHide(`${run} ${run}`)).toBe(HIDING.test(`${run} ${run}`));
    expect(mayHide(`${run}B`)).toBe(true);
    expect(mayHide(`x ${run}`)).toBe(false);
  });
});

// ---- (2) through the real hook process ------------------------------------------------------

let sb: Sandbox;
let installed: string;
const tokens = fakeTokens(2144);
const token = tokens.github;
const env = (extra: Record<string, string> = {}) => ({
  ...sb.env,
  HOOKPACK_KEY_BACKEND: "file",
  PATH: process.env.PATH!,
  ...extra,
});

beforeAll(async () => {
  sb = sandbox();
  spawnSync("git", ["init", "-q"], { cwd: sb.project });
  const p = (...parts: string[]) => join(sb.project, ...parts);
  writeFileSync(p(".env"), `GH_TOKEN=${token}\n`);
  mkdirSync(p("src"));
  // Scripts a shell or `source` would run: they change the agent's hook settings.
  writeFileSync(p("x.sh"), "rm -f .claude/settings.local.json .claude/settings.json\n");
  writeFileSync(p("y"), "rm -f .claude/settings.local.json .claude/settings.json\n");
  const r = await hookpack(
    ["install", "--agent", "claude-code", "--no-git-hook", "--no-ignore-files"],
    { env: env(), cwd: sb.project },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  const s = await hookpack(["secret", "set", "API_KEY"], {
    env: env(),
    cwd: sb.project,
    input: `${tokens.stripe}\n`,
  });
  expect(s.exitCode, s.stderr).toBe(0);
  installed = installedPreToolUseCommand(sb.project);
  expect(installed).toContain(" -e "); // the verifying launcher
}, 120_000);
afterAll(() => sb?.cleanup());

const bash = (cmd: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify(
    claudePayload(sb, {
      tool_use_id: "toolu_1",
      tool_name: "Bash",
      tool_input: { command: cmd, ...extra },
    }),
  );

interface CallOptions {
  chunks?: number;
  delayMs?: number;
  stdinFile?: boolean;
}
const call = (
  raw: string,
  route: "dist" | "installed",
  extraEnv: Record<string, string>,
  o: CallOptions = {},
): Promise<StreamedRun> => runHookRoute(sb, raw, route, { env: env(extraEnv), installed, ...o });
type Answer = StreamedRun;
const decisionOf = answerKind;
const stopped = (d: string) => d === "deny" || d === "ask" || d === "blocked";
const RAW = () => [token, tokens.stripe, tokens.npm, tokens.gitlab];
const noValue = (a: Answer) => RAW().every((v) => !a.stdout.includes(v) && !a.stderr.includes(v));
/** A JSON string literal with every character of `text` as a \u escape. */
const escaped = (text: string) =>
  [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

/** `stop`: the rules stop it; otherwise the stage must only answer what the full pipeline answers. */
const ATTACKS: Array<{ name: string; raw: () => string; stop: boolean; o?: CallOptions }> = [
  { name: "control: a plain ls", raw: () => bash("ls -la src"), stop: false },
  {
    name: "control: a plain ls, stdin a file",
    raw: () => bash("ls -la src"),
    stop: false,
    o: { stdinFile: true },
  },
  {
    name: "control: a plain ls, in pieces",
    raw: () => bash("ls -la src"),
    stop: false,
    o: { chunks: 9, delayMs: 3 },
  },
  // shellMayEditHookConfig: a script a shell or `source` runs, however the shell is named.
  { name: "source x.sh (removes the hook settings)", raw: () => bash("source x.sh"), stop: true },
  { name: ". x.sh", raw: () => bash(". x.sh"), stop: true },
  { name: ".\tx.sh (a tab)", raw: () => bash(".\tx.sh"), stop: true },
  { name: "true;. y (glued, a file without a dot)", raw: () => bash("true;. y"), stop: true },
  { name: "zsh y", raw: () => bash("zsh y"), stop: true },
  // The full rules let this through today (before this change too: a shell reading its script
  // from a `<` redirection is not followed): the stage must answer the same.
  { name: "fish<y", raw: () => bash("fish<y"), stop: false },
  { name: "/bin/ash y", raw: () => bash("/bin/ash y"), stop: true },
  {
    name: "bash y, in pieces",
    raw: () => bash("bash y"),
    stop: true,
    o: { chunks: 40, delayMs: 2 },
  },
  { name: "sh y, stdin a file", raw: () => bash("sh y"), stop: true, o: { stdinFile: true } },
  { name: "x uninstall", raw: () => bash("npx hookpack uninstall --yes"), stop: true },
  {
    name: "hookpack allow after a tab",
    raw: () => bash("hookpack\tallow API_KEY curl"),
    stop: true,
  },
  // mayChangeDir / mayRunCode: the directory changed or code given to an interpreter.
  // The full rules let these two through today (before this change too: a glob after a `cd` is
  // not expanded against the hook settings): the stage must answer the same.
  { name: "cd .claude && rm *", raw: () => bash("cd .claude && rm *"), stop: false },
  { name: "pushd .claude; rm -f *", raw: () => bash("pushd .claude; rm -f *"), stop: false },
  { name: "git -C .claude rm x", raw: () => bash("git -C .claude rm settings.json"), stop: true },
  {
    name: "cd src && rm ../.claude/settings.json",
    raw: () => bash("cd src && rm ../.claude/settings.json"),
    stop: true,
  },
  { name: "cd src && rm -rf ..", raw: () => bash("cd src && rm -rf .."), stop: false },
  { name: "python3.11 - < x.py", raw: () => bash("python3.11 - < x.py"), stop: false },
  {
    name: "nodejs -e (code on the line)",
    raw: () => bash("nodejs -e process.exit(0)"),
    stop: false,
  },
  { name: "lua5.4 -e", raw: () => bash("lua5.4 -e os.exit(0)"), stop: false },
  // HIDING / mayHide: a token behind a sign of hiding, in the command or in another field.
  {
    name: "a token behind a zero-width space (description)",
    raw: () => bash("ls", { description: `${token.slice(0, 6)}\u200b${token.slice(6)}` }),
    stop: true,
  },
  {
    name: "a token behind a soft hyphen (command)",
    raw: () => bash(`echo ${token.slice(0, 6)}\u00ad${token.slice(6)}`),
    stop: false,
  },
  {
    name: "a token as \\x escapes",
    raw: () =>
      bash(`printf ${[...token].map((c) => `\\x${c.charCodeAt(0).toString(16)}`).join("")}`),
    stop: true,
  },
  {
    name: "a token as octal escapes",
    raw: () =>
      bash(
        `printf ${[...token].map((c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`).join("")}`,
      ),
    stop: true,
  },
  {
    name: "a token joined by + of quotes",
    raw: () => bash(`echo '${token.slice(0, 9)}'+'${token.slice(9)}'`),
    stop: true,
  },
  {
    name: "a GitLab token (28-character run)",
    raw: () => bash(`echo ${tokens.gitlab}`),
    stop: true,
  },
  {
    name: "a token split by a line continuation",
    raw: () => bash(`echo ${token.slice(0, 10)}\\\n${token.slice(10)}`),
    stop: true,
  },
  {
    name: "a long run of token characters in a note field",
    raw: () => bash("ls", { note: "Q".repeat(4000) }),
    stop: false,
  },
  // The prefilter's keyword pass (ASSIGNED_VALUE): an assigned value after `=` or `:`.
  {
    name: "a Stripe key assigned in the command",
    raw: () => bash(`STRIPE_KEY=${tokens.stripe} ls`),
    stop: true,
  },
  {
    name: "an npm token in a note: field",
    raw: () => bash("ls", { note: `npm_token: ${tokens.npm}` }),
    stop: true,
  },
  // The stage's own $secret: / $cap: tests, with the payload's spelling hidden from the prelude.
  {
    name: "$secret: spelled with JSON escapes",
    raw: () => bash("echo X").replace('"echo X"', `"${escaped("echo $secret:API_KEY")}"`),
    stop: false,
  },
  {
    name: "${secret:…} spelled with JSON escapes",
    raw: () => bash("echo X").replace('"echo X"', `"${escaped("echo ${secret:API_KEY}")}"`),
    stop: false,
  },
  {
    name: "$cap: spelled with JSON escapes",
    raw: () => bash("echo X").replace('"echo X"', `"${escaped("run $cap:deploy")}"`),
    stop: false,
  },
  {
    name: "$secret: escaped, in pieces",
    raw: () => bash("echo X").replace('"echo X"', `"${escaped("echo $secret:API_KEY")}"`),
    stop: false,
    o: { chunks: 30, delayMs: 2 },
  },
  // Non-ASCII and long payloads.
  { name: "cat .env with a non-breaking space", raw: () => bash("cat\u00a0.env"), stop: false },
  {
    name: "a token after 60 KB of padding in the description",
    raw: () => bash("ls", { description: `${"ab ".repeat(20_000)}${token}` }),
    stop: true,
  },
];

for (const route of ["dist", "installed"] as const) {
  describe(`attack: payloads around the allow path's prechecks (${route})`, () => {
    const t = tally(`fast-allow-prechecks/${route}`);
    for (const a of ATTACKS) {
      it(
        a.name,
        async () => {
          const raw = a.raw();
          const withStage = await call(raw, route, {}, a.o);
          const full = await call(raw, route, { HOOKPACK_FAST_ALLOW: "0" }, a.o);
          const d = decisionOf(withStage);
          const same = d === decisionOf(full) && withStage.code === full.code;
          const ok = same && (!a.stop || stopped(d)) && noValue(withStage);
          if (!a.name.startsWith("control")) t.attempt(ok);
          else expect(d).toBe("allow");
          expect(d, `${withStage.stdout.slice(0, 300)} ${withStage.stderr.slice(0, 300)}`).toBe(
            decisionOf(full),
          );
          if (a.stop) expect(stopped(d), d).toBe(true);
          expect(noValue(withStage)).toBe(true);
        },
        60_000,
      );
    }
  });
}
