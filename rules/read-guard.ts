// The read guard: before a Read, a Grep that shows content, or a shell command that prints a file
// (`cat`, `head`, `grep`, `source`, `< file`, …) runs, decide from the file's content (managed
// values, secretlint findings, secret-named assignments in credential files) and from well-known
// secret paths whether the content may reach the model. This has to happen before the call: a
// large Read is sent to the provider's token counter before any post-tool hook runs.
//
// Outcomes, per file:
//   - hookpack's own files, SSH keys, key stores, git credentials: denied by name, whatever the content;
//   - an agent's own state file that holds a value (a persisted tool result, a background task's
//     output, a transcript): cleaned in place first, then the read goes ahead on the clean file;
//   - any other file holding a secret: denied, with the secrets named (never their values) and
//     how to use them instead ($secret:NAME, `hookpack secret import`, `hookpack secret set`);
//   - everything else: allowed without comment.
// File access goes through context.files (hooks/rule-files.ts), except mayRead's own stats (its
// fast check runs before any context is consulted).
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { Evidence, HookEvent, Verdict } from "../hooks/event.js";
import type { SecretPath } from "./read-guard-paths.js";
import { cleanFileInPlace, findSecrets, type TextHit } from "./redact-tool-output.js";
import type { Rule, RuleContext, RuleFiles } from "./rule.js";
import { isSpace } from "./js-space.js";
import { withoutBrokerPrefix } from "./broker-prefix.js";
import { describeFinding, suggestName, type Finding } from "./secretlint.js";

/**
 * Bytes of a file the guard scans at once (one window). A larger file is scanned window by window,
 * each window overlapping the one before by SCAN_OVERLAP_BYTES (a value across an edge is whole in
 * one of them), up to MAX_FILE_SCAN_BYTES.
 */
export const MAX_SCAN_BYTES = 16 * 1024 * 1024;
/** Bytes each window repeats of the one before: longer than any value or assignment line we find. */
export const SCAN_OVERLAP_BYTES = 64 * 1024;
/**
 * The largest file the guard scans whole; a larger one is denied as unchecked (fail closed): the
 * value could be anywhere in it, and the call (`tail`, `grep`, a Read with an offset) may show
 * any part of it.
 */
export const MAX_FILE_SCAN_BYTES = 256 * 1024 * 1024;
/**
 * A file whose name says it holds credentials (dotenv, .npmrc, .netrc, kubeconfig, AWS, PEM…)
 * and is larger than this is denied without reading: no real one is that large, and scanning it
 * would let a padded file pass for the time it costs.
 */
export const MAX_CREDENTIAL_FILE_BYTES = MAX_SCAN_BYTES;
/**
 * A file with a NUL byte in its first 8 KiB ("binary") and no credential name is content-checked
 * up to this size: the text around the NUL is shown by `cat` as any text is. Larger binaries
 * (executables, images, archives) are not read (their reads would cost the scan of megabytes).
 */
export const MAX_BINARY_SCAN_BYTES = 1024 * 1024;
/** Files of one shell command the guard inspects one by one; past this, by name (readPlan). */
export const MAX_PLAN_FILES = 1024;
/**
 * U+FFFD in a listed name: the name's bytes were not UTF-8, so the decoded name opens nothing (the
 * guard cannot read the file it would check). Such a file is denied by name (fail closed).
 */
export const UNDECODABLE_NAME_CHAR = "\uFFFD";

interface Blocked {
  path: string;
  /** Names and labels only. */
  found: string[];
  names: string[];
  kind: SecretPath | undefined;
  strict: boolean;
  /** For a name the command builds at run time: what made it unknown (`$(…)`, `$F`, xargs…). */
  dynamic?: string;
  /** Evidence for the audit log: managed secrets found (by name) and detector ids. */
  managed?: string[];
  detectors?: string[];
}

/** The audit evidence of a READ_BLOCKED deny: names, detector ids and paths, never a value. */
function readEvidence(blocked: readonly Blocked[]): Evidence {
  return {
    secrets: [...new Set(blocked.flatMap((b) => b.managed ?? []))],
    detectors: [
      ...new Set(
        blocked
          .flatMap((b) => b.detectors ?? [])
          .concat(blocked.filter((b) => b.kind).map((b) => `path:${b.kind!.id}`)),
      ),
    ],
    paths: [...new Set(blocked.map((b) => b.path))],
    count: blocked.length,
  };
}

function expandHome(word: string, home: string): string {
  return word.replace(/^~(?=\/|$)/, home).replace(/^\$\{?HOME\}?(?=\/|$)/, home);
}

/** Outside ASCII, a name's characters are compared as "some non-ASCII run" (see undecodable). */
const nonAsciiShape = (name: string) => name.replace(/[\u0080-\uffff]+/g, "\u0000");

/** A listed name that opens nothing: its bytes were not UTF-8 (the listing decoded them to U+FFFD). */
function undecodable(path: string, files: RuleFiles): boolean {
  return basename(path).includes(UNDECODABLE_NAME_CHAR) && files.kind(path) === undefined;
}

/**
 * The entries of `dir` whose names are not UTF-8 and have the shape of `name` (the same ASCII, any
 * non-ASCII run for any other): `$'\xff'.env` is parsed to `ÿ.env`, while bash opens the byte 0xff.
 */
function undecodableSiblings(dir: string, name: string, files: RuleFiles): string[] {
  const shape = nonAsciiShape(name);
  const out: string[] = [];
  for (const e of files.list(dir) ?? []) {
    const p = join(dir, e.name);
    if (nonAsciiShape(e.name) === shape && undecodable(p, files)) out.push(p);
  }
  return out;
}

/** Resolves a fixed name to an existing regular file (symlinks followed by stat). */
function fileFor(word: string, cwd: string, files: RuleFiles): string[] {
  const w = expandHome(word, files.home);
  const abs = isAbsolute(w) ? w : resolve(cwd, w);
  const out = files.kind(abs) === "file" ? [abs] : [];
  // A name with bytes outside ASCII may be one whose bytes are not UTF-8.
  if (/[\u0080-\uffff]/.test(basename(abs)))
    out.push(...undecodableSiblings(dirname(abs), basename(abs), files));
  return out;
}

/** Expands a glob pattern segment by segment, as bash would (at most 256 files). */
function expandGlob(
  pattern: string,
  cwd: string,
  dotglob: boolean,
  patternRegExp: (p: string, dot: boolean) => RegExp,
  files: RuleFiles,
): string[] {
  const abs = pattern.startsWith("/") ? pattern : `${cwd.replace(/\/+$/, "")}/${pattern}`;
  const segments = abs.split("/").filter((s, i) => i === 0 || s !== "");
  let bases = ["/"];
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    const next: string[] = [];
    if (!/(^|[^\\])[*?[]/.test(seg)) {
      const lit = seg.replace(/\\(.)/g, "$1");
      for (const b of bases) next.push(join(b, lit));
    } else {
      const re = patternRegExp(seg, dotglob);
      for (const b of bases) {
        const entries = files.list(b);
        if (!entries) continue;
        for (const { name } of entries) if (re.test(name)) next.push(join(b, name));
        if (next.length > 256) break;
      }
    }
    bases = last ? next : next.filter((b) => files.kind(b) === "dir");
    if (bases.length === 0) return [];
  }
  // A match whose name is not UTF-8 is kept: the shell opens it, the guard cannot (inspect denies it).
  return bases.filter((b) => files.kind(b) === "file" || undecodable(b, files)).slice(0, 256);
}

const SKIP_DIRS = new Set([
  "node_modules",
  ".git",
  "dist",
  "build",
  "target",
  ".venv",
  "venv",
  "__pycache__",
  ".next",
  ".cache",
]);
const HOME_CREDENTIALS = [
  ".aws/credentials",
  ".aws/config",
  ".netrc",
  "_netrc",
  ".npmrc",
  ".pypirc",
  ".git-credentials",
  ".config/git/credentials",
  ".docker/config.json",
  ".config/gh/hosts.yml",
  ".kube/config",
  ".yarnrc.yml",
];

/**
 * The files a name built at run time could be, among those that can hold credentials: well-known
 * names in the project (4 levels, build and dependency folders skipped), the home's credential
 * files and SSH keys, and hookpack's own directory.
 */
function credentialFilesInReach(
  cwd: string,
  hookpackHome: string | undefined,
  classify: (p: string) => SecretPath | undefined,
  files: RuleFiles,
): string[] {
  const out: string[] = [];
  let seen = 0;
  const isFileAt = (p: string) => files.kind(p) === "file";
  const walk = (dir: string, depth: number) => {
    for (const e of files.list(dir) ?? []) {
      if (++seen > 5000) return;
      const p = join(dir, e.name);
      if (e.type === "dir") {
        if (depth < 4 && !SKIP_DIRS.has(e.name)) walk(p, depth + 1);
      } else if ((e.type === "file" || e.type === "link") && (classify(p) || undecodable(p, files)))
        out.push(p);
    }
  };
  walk(cwd, 0);
  const home = files.home;
  for (const rel of HOME_CREDENTIALS) if (isFileAt(join(home, rel))) out.push(join(home, rel));
  // no ~/.ssh, no hookpack home yet: nothing listed
  for (const { name } of files.list(join(home, ".ssh")) ?? [])
    if (isFileAt(join(home, ".ssh", name)) && classify(join(home, ".ssh", name)))
      out.push(join(home, ".ssh", name));
  if (hookpackHome)
    for (const { name } of files.list(hookpackHome) ?? [])
      if (isFileAt(join(hookpackHome, name))) out.push(join(hookpackHome, name));
  return [...new Set(out)];
}

/**
 * A cheap look before parsing: could this command read a file at all? (The allow path stays parse-free.)
 * The prefix of hookpack's own brokered exec does not count (h21-start): its words are this node,
 * this entry and fixed tokens, which read nothing the guard looks at (the full analysis drops
 * hookpack's own bundles, and a program word is not an operand), but the two paths are files, so
 * every rewritten `$secret:` call went through the full shell parser for nothing (≈2 ms). What
 * follows the prefix, the program that gets the value and its operands, is checked as before;
 * the prefix holds none of the characters or program names readingWords looks for, so only
 * the stat loop sees a difference. A command that may read still gets the full analysis, prefix
 * and all.
 */
export function mayRead(command: string, cwd: string): boolean {
  command = withoutBrokerPrefix(command);
  if (readingWords(command)) return true;
  // After `cd DIR` a relative name is DIR/name too (`cd src && cat ../.env`): stat'ed from there.
  const bases = command.includes("cd") || command.includes("pushd") ? cdBases(command, cwd) : [cwd];
  if (bases === undefined) return true;
  // `python -m x` runs x.py, `node x` runs x.js: names an interpreter completes are stat'ed too.
  const py = RUNS_PY.test(command);
  const js = RUNS_JS.test(command);
  const completed = py
    ? js
      ? [...PY_SUFFIXES, ...JS_SUFFIXES]
      : PY_SUFFIXES
    : js
      ? JS_SUFFIXES
      : undefined;
  // Each distinct path is stat'ed once, without an exception for the usual ENOENT (a word is
  // mostly a program name or an option: `ls -la src` was 8 throwing stats, now 3 quiet ones).
  // The words are the runs between whitespace and `;&|()` (what `split(/[\s;&|()]+/)` gave), cut
  // by hand: a regex run once per word is compiled to machine code on its second run (issue 21).
  const seen = new Set<string>();
  const n = command.length;
  for (let i = 0; i < n;) {
    const c = command.charCodeAt(i);
    if (isSpace(c) || c === 59 || c === 38 || c === 124 || c === 40 || c === 41) {
      i++;
      continue;
    }
    let end = i + 1;
    for (; end < n; end++) {
      const d = command.charCodeAt(end);
      if (isSpace(d) || d === 59 || d === 38 || d === 124 || d === 40 || d === 41) break;
    }
    const w = command.slice(i, end);
    i = end;
    // An option's value (`--file=x`, `-fx`), a `host:path` or `KEY=path` word's path.
    const candidates = w.startsWith("-")
      ? [w.slice(2), afterFirst(w, "=")]
      : [w, afterFirst(w, ":"), afterFirst(w, "=")];
    for (const c of candidates) {
      if (!c || seen.has(c)) continue;
      seen.add(c);
      const suffixes =
        completed !== undefined &&
        c === w &&
        !w.startsWith("-") &&
        !/^(python|pypy|node|bun)/.test(w)
          ? completed
          : NO_SUFFIX;
      for (const base of isAbsolute(c) ? [cwd] : bases)
        for (const x of suffixes)
          try {
            // A python module name's dots are directories (`-m a.b` → a/b.py).
            const stem = x.endsWith(".py") ? c.replace(/\./g, "/") : c;
            const p = resolve(base, stem + x);
            if (statSync(p, { throwIfNoEntry: false })?.isFile()) return true;
          } catch {
            // ENOTDIR, EACCES, a name too long…: not a file this command can read.
          }
    }
  }
  return false;
}

/** An interpreter that completes a name it is given (`python -m x` → x.py, `node x` → x.js). */
const RUNS_PY = /(^|[\s;&|(/])(python[0-9.]*|pypy[0-9.]*)(\s|$)/;
const RUNS_JS = /(^|[\s;&|(/])(node|nodejs|bun)(\s|$)/;
const PY_SUFFIXES = ["", ".py", "/__main__.py"];
const JS_SUFFIXES = ["", ".js", ".cjs", ".mjs", "/index.js"];
const NO_SUFFIX = [""];

/** A `cd`/`pushd`/`popd` word and the word after it (mayRead). */
const CD_WORD = /(?:^|[\s;&|(])(cd|pushd|popd)(?:[ \t]+([^\s;&|()]+))?(?=[\s;&|()]|$)/g;

/**
 * The directories a command's relative names may start from: the cwd and every `cd`/`pushd`
 * target (a superset, order ignored). undefined when one cannot be known cheaply (`cd -`, `popd`,
 * an option, CDPATH in the command or the environment): the command then gets the full analysis.
 */
function cdBases(command: string, cwd: string): string[] | undefined {
  const bases = [cwd];
  for (const m of command.matchAll(CD_WORD)) {
    const t = m[2];
    if (m[1] === "popd" || t === "-" || t?.startsWith("-") || t?.startsWith("+")) return undefined;
    if (command.includes("CDPATH") || process.env.CDPATH) return undefined;
    const dir = t === undefined ? (process.env.HOME ?? "/") : t;
    for (const b of [...bases]) bases.push(resolve(b, dir));
    if (bases.length > 16) return undefined;
  }
  return bases;
}

/** `word` after its first `sep` (all of it when there is none): `w.replace(/^[^=]*=/, "")`. */
function afterFirst(word: string, sep: string): string {
  const i = word.indexOf(sep);
  return i === -1 ? word : word.slice(i + 1);
}

/** Programs that read the files inside a directory operand. */
const DIR_READERS = new Set([
  "grep",
  "rgrep",
  "egrep",
  "fgrep",
  "zgrep",
  "rg",
  "ag",
  "ack",
  "tar",
  "zip",
  "7z",
  "cp",
  "rsync",
  "scp",
]);
/** Programs that may read files the command does not name as plain words (mayRead). */
const READING_PROGRAMS = new Set([
  "xargs",
  "parallel",
  "find",
  "fd",
  "fdfind",
  "eval",
  "source",
  ".",
  "watch",
  "su",
  "ssh",
  ...DIR_READERS,
]);
/** Shells that may read their script from a pipe or a file (mayRead). */
const SHELL_NAMES = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "ash"]);

/**
 * mayRead's tests before the stats, in one pass over the command (issue 21; they were five
 * regexes, whose first runs cost ≈0.4 ms of every allowed call). True when the command has
 *   - quoting, an expansion, a glob, `~`, `<` or `@`: a character of `[$\`*?[{~<@\\'"]`;
 *   - a shell reading its script from a pipe (`curl … | sh`, `base64 -d x | bash`):
 *     `\|[^;&|]*(^|[\s/])(SHELL)(\s|$)`;
 *   - or from a file the same command writes first (`base64 -d x > s; sh s`): a `>` and
 *     `(^|[\s;&|(/])(SHELL)(\s|$)`;
 *   - or from a file named after it (`bash s.sh`, which may not exist yet: `curl -o s.sh …; sh
 *     s.sh`): `(^|[\s;&|(/])(SHELL)\s+[^\s;&|)]`;
 *   - a program that reads files it is not given as plain words (`find`, `xargs`, `grep -r`, `tar`,
 *     `source`, …): `(^|[\s;&|(])(PROGRAM)(\s|$)`.
 * Each name ends at whitespace or the end, and none holds a separator, so a name can only be the
 * tail of a whitespace-delimited token after its last `;&|(` (a program) or `;&|(/` (a shell).
 * test/rules/read-guard-words.test.ts checks this against those regexes over a generated corpus.
 */
export function readingWords(command: string): boolean {
  const n = command.length;
  let lastSep = 0; // the last of `;&|` seen so far
  let shellWord = false;
  let redirect = false;
  for (let i = 0; i < n;) {
    const c = command.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    let cut = start; // after the token's last `;&|(`
    let cutSlash = start; // after its last `;&|(/`
    for (; i < n; i++) {
      const d = command.charCodeAt(i);
      if (isSpace(d)) break;
      switch (d) {
        case 36: // $
        case 96: // `
        case 42: // *
        case 63: // ?
        case 91: // [
        case 123: // {
        case 126: // ~
        case 60: // <
        case 64: // @
        case 92: // \
        case 39: // '
        case 34: // "
          return true;
        case 59: // ;
        case 38: // &
        case 124: // |
          lastSep = d;
          cut = cutSlash = i + 1;
          break;
        case 40: // (
          cut = cutSlash = i + 1;
          break;
        case 47: // /
          cutSlash = i + 1;
          break;
        case 62: // >
          redirect = true;
          break;
      }
    }
    if (i - cut <= 8 && READING_PROGRAMS.has(command.slice(cut, i))) return true;
    if (i - cutSlash <= 4 && SHELL_NAMES.has(command.slice(cutSlash, i))) {
      shellWord = true;
      // From a pipe: a `|` is the last of `;&|` before the name, which follows whitespace or `/`.
      if (lastSep === 124 && (cutSlash === start || command.charCodeAt(cutSlash - 1) === 47))
        return true;
      // From a file named after it: the next word does not start with `;&|)`.
      let j = i;
      while (j < n && isSpace(command.charCodeAt(j))) j++;
      if (j > i && j < n) {
        const e = command.charCodeAt(j);
        if (e !== 59 && e !== 38 && e !== 124 && e !== 41) return true;
      }
    }
  }
  return shellWord && redirect;
}

type ShellPlan = {
  files: string[];
  dynamic: Array<{ word: string; program: string; why: string | undefined }>;
};

/**
 * A run-time name pattern with `.` and `..` segments resolved where they can be: `x/..` goes, and
 * `..` after a part built at run time (`$(dirname $0)/../.env`) makes everything from that part
 * on run-time text, so the pattern still matches the file the shell would open.
 */
function normalizeDots(pattern: string): string {
  const out: string[] = [];
  for (const seg of pattern.split("/")) {
    if (seg === "." && out.length > 0) continue;
    if (seg === ".." && out.length > 0) {
      const prev = out[out.length - 1]!;
      if (prev.includes("\u0001")) {
        // The parent of `a…` is the directory above it, or anything below that.
        out.pop();
        if (out.length === 0) out.push("\u0001");
        else if (!out[out.length - 1]!.endsWith("\u0001")) out[out.length - 1] += "\u0001";
        continue;
      }
      if (prev !== ".." && prev !== "" && !/(^|[^\\])[*?[]/.test(prev)) {
        out.pop();
        continue;
      }
    }
    out.push(seg);
  }
  return out.join("/") || "/";
}

/** The files a call would show the model, as absolute paths, plus names a shell command builds at run time. */
async function readPlan(
  event: Extract<HookEvent, { kind: "before-tool" }>,
  fs: RuleFiles,
): Promise<ShellPlan> {
  const { tool, session } = event;
  const cwd = session.cwd;
  const home = fs.home;
  const isDir = (p: string) => fs.kind(p) === "dir";
  if (tool.kind === "read-file" && tool.path)
    return { files: fileFor(tool.path, cwd, fs), dynamic: [] };
  if (tool.kind === "search" && tool.showsContent && tool.path)
    return { files: fileFor(tool.path, cwd, fs), dynamic: [] };
  if (tool.kind === "shell" && tool.command) {
    if (/^\s*(\S*\/)?hookpack(\.cjs)?\s[^;&|<>`$()]*$/.test(tool.command))
      return { files: [], dynamic: [] };
    if (!mayRead(tool.command, cwd)) return { files: [], dynamic: [] };
    // Loaded only for a command that may read a file: the one shell front end (its own bundle).
    const { shellReads, patternRegExp, scriptReader } = await import("./read-guard-shell.js");
    const dotglob = /\bdotglob\b|\bGLOBIGNORE\b/.test(tool.command);
    const files = new Set<string>();
    const dynamic: ShellPlan["dynamic"] = [];
    const ops = shellReads(tool.command, { home, cwd, script: scriptReader(cwd, fs) });
    // Searchers with no path operand search the working directory.
    const searcher = /(^|[\s;&|(])(rg|ag|ack)(\s|$)/.exec(tool.command);
    if (
      searcher &&
      !ops.some(
        (o) =>
          o.program === searcher[2] &&
          o.kind === "path" &&
          isDir(resolve(cwd, expandHome(o.word, home))),
      )
    )
      ops.push({ word: ".", kind: "path", program: searcher[2]! });
    for (const op of ops) {
      if (
        op.kind === "path" &&
        DIR_READERS.has(op.program) &&
        isDir(resolve(cwd, expandHome(op.word, home)))
      ) {
        // A directory given to a program that reads what is inside it (grep -r, rg, tar, zip, cp -r…).
        const dir = resolve(cwd, expandHome(op.word, home)).replace(/[*?[\]\\]/g, "\\$&");
        const hidden =
          !/^(rg|ag)$/.test(op.program) ||
          /\s(-[a-zA-Z]*[u.]|--hidden|--no-ignore|--unrestricted)\b/.test(tool.command);
        dynamic.push({
          word: `${dir}/${hidden ? "\u0001" : "[!.]\u0001"}`,
          program: op.program,
          why: `everything under ${op.word}`,
        });
      } else if (op.kind === "path") for (const f of fileFor(op.word, cwd, fs)) files.add(f);
      else if (op.kind === "glob") {
        const matched = expandGlob(op.word, cwd, dotglob, patternRegExp, fs);
        for (const f of matched) files.add(f);
        // Cut at 256: the credential files the glob could also match are checked by name.
        if (matched.length >= 256)
          dynamic.push({
            word: op.word,
            program: op.program,
            why: "a glob matching over 256 files",
          });
      } else dynamic.push({ word: op.word, program: op.program, why: op.why });
    }
    // hookpack's own bundles (the brokered command a rewrite produced runs `node …/hookpack.cjs`) hold no secret.
    const own = process.argv[1] ? dirname(resolve(process.argv[1])) : undefined;
    const named = [...files].filter(
      (f) => own === undefined || dirname(f) !== own || !f.endsWith(".cjs"),
    );
    // More files than the guard inspects one by one (a padded command: `cat f1 … f300 .env`): every
    // credential file in reach is checked instead of the ones past the cut (fail closed).
    if (named.length > MAX_PLAN_FILES)
      dynamic.push({ word: "\u0001", program: "the command", why: `over ${MAX_PLAN_FILES} files` });
    return { files: named.slice(0, MAX_PLAN_FILES), dynamic };
  }
  return { files: [], dynamic: [] };
}

/** A file's size in bytes (links followed); 0 when it cannot be stat'ed (nothing is read then). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Bytes [at, at + MAX_SCAN_BYTES) of a regular file as UTF-8 text (a character cut at an edge
 * decodes to U+FFFD; the overlap keeps whole what we look for); undefined past its end. The head
 * window comes through context.files; the rest is read here, so a window is never held twice.
 */
function readWindow(path: string, at: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.allocUnsafe(MAX_SCAN_BYTES);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, at + n);
      if (r === 0) break;
      n += r;
    }
    return n === 0 ? undefined : buf.subarray(0, n).toString("utf8");
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Newlines in the part of `chunk` that `bytes` UTF-8 bytes cover (the next window starts there). */
function countLines(chunk: string, bytes: number): number {
  const head = Buffer.from(chunk, "utf8").subarray(0, bytes);
  let n = 0;
  for (let i = head.indexOf(10); i !== -1; i = head.indexOf(10, i + 1)) n++;
  return n;
}

/** A file and where its link points: both are classified (a link named notes.txt to ~/.ssh/id_rsa). */
function withRealPath(path: string, files: RuleFiles): string[] {
  const real = files.realpath(path);
  return real === undefined || real === path ? [path] : [path, real];
}

async function inspect(
  path: string,
  context: RuleContext,
  cwd: string,
): Promise<{ blocked?: Blocked; cleaned?: TextHit[] }> {
  // Loaded only when a call reads a file: their tables (the state catalog's patterns) are compiled
  // at load, which a plain command should not pay for (they are bundles of their own).
  const [{ classifySecretPath, secretAssignments }, { matchStateLocation }] = await Promise.all([
    import("./read-guard-paths.js"),
    import("./state-catalog.js"),
  ]);
  const home = context.files.home;
  if (undecodable(path, context.files))
    return {
      blocked: {
        path,
        found: [
          "a file whose name is not valid UTF-8, which hookpack cannot open to check (rename it)",
        ],
        names: [],
        kind: undefined,
        strict: true,
      },
    };
  const kind = withRealPath(path, context.files)
    .map((p) => classifySecretPath(p, home, context.managed?.home))
    .reduce<SecretPath | undefined>((a, b) => (a?.strict ? a : (b ?? a)), undefined);
  if (kind?.strict) return { blocked: { path, found: [kind.what], names: [], kind, strict: true } };
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const location = matchStateLocation(path, { project: cwd, home, tmp: tmpdir() }, uid);
  if (location?.rewrite === "redact") {
    // An agent's own record (tool result, task output, transcript): clean it, then let the read go.
    const { hits, written } = await cleanFileInPlace(path, context);
    const names = [...new Set(hits.flatMap((h) => (h.managed ? [h.managed] : [])))];
    if (names.length > 0) context.managed?.exposed(names, `state-file:${path}`);
    if (hits.length > 0 && !written) {
      return {
        blocked: {
          path,
          found: [
            `${hits.length} secret value(s) hookpack could not remove yet (the file is still being written)`,
          ],
          names,
          kind,
          strict: false,
        },
      };
    }
    return { cleaned: hits };
  }
  const size = sizeOf(path);
  const tooLarge = (what: string) => ({
    blocked: { path, found: [what], names: [], kind, strict: false },
  });
  const mib = (n: number) => `${Math.ceil(n / (1024 * 1024))} MiB`;
  // Fail closed on size: a credential file is small, and any file may be shown from any offset.
  if (kind && size > MAX_CREDENTIAL_FILE_BYTES)
    return tooLarge(
      `${kind.what} of ${mib(size)}, too large for hookpack to check (it checks up to ${mib(MAX_CREDENTIAL_FILE_BYTES)} of a credential file)`,
    );
  if (size > MAX_FILE_SCAN_BYTES)
    return tooLarge(
      `a file of ${mib(size)}, too large for hookpack to check (it checks files up to ${mib(MAX_FILE_SCAN_BYTES)}); split it or show a part of it written to a new file`,
    );
  // Binary content (images, archives) is shown as such, not as text: undefined; paths still apply.
  // A NUL byte near the front (which makes readHead call the file binary) does not hide what
  // follows it (`cat` shows the rest): such a file is checked by its content too, whole up to
  // MAX_BINARY_SCAN_BYTES (a dotenv, a note, a small database), a credential-named one up to
  // MAX_CREDENTIAL_FILE_BYTES. A larger binary (an executable, an image) is not content-checked.
  const binaryBound = kind ? MAX_CREDENTIAL_FILE_BYTES : MAX_BINARY_SCAN_BYTES;
  const text =
    context.files.readHead(path, MAX_SCAN_BYTES) ??
    (size <= binaryBound ? context.files.readWhole(path, binaryBound)?.text : undefined);
  if (text === undefined) return {};
  const found: string[] = [];
  const names = new Set<string>();
  const managedNames = new Set<string>();
  const detectors = new Set<string>();
  // The head, then (a file larger than one window) the rest, window by window.
  let lines = 0;
  let headHits: TextHit[] = [];
  for (let window = 0, at = 0; ; window++) {
    const chunk = window === 0 ? text : readWindow(path, at);
    if (chunk === undefined) break;
    const hits = await findSecrets(chunk, path, context.scanner, context.managed);
    if (window === 0) headHits = hits;
    const lineOf = (offset: number) => lines + chunk.slice(0, offset).split("\n").length;
    for (const h of hits) {
      context.noteSecret(chunk.slice(h.start, h.end), h.managed ?? h.ruleId);
      if (h.managed) {
        found.push(`${h.managed} (a secret hookpack manages, line ${lineOf(h.start)})`);
        names.add(h.managed);
        managedNames.add(h.managed);
      } else {
        const f = { ruleId: h.ruleId, messageId: h.messageId ?? "" } as Finding;
        found.push(`a ${describeFinding(f)} (line ${lineOf(h.start)})`);
        names.add(suggestName(f));
        detectors.add(h.ruleId);
      }
    }
    if (size <= MAX_SCAN_BYTES) break;
    // The next window starts SCAN_OVERLAP_BYTES before this one's end (lines: those before it).
    at += MAX_SCAN_BYTES - SCAN_OVERLAP_BYTES;
    if (at + SCAN_OVERLAP_BYTES >= size) break;
    lines += countLines(chunk, MAX_SCAN_BYTES - SCAN_OVERLAP_BYTES);
  }
  if (kind?.assignments) {
    for (const a of secretAssignments(text)) {
      if (headHits.some((h) => h.start < a.end && a.start < h.end)) continue;
      context.noteSecret(text.slice(a.start, a.end), a.key);
      found.push(`${a.key} (line ${a.line})`);
      detectors.add("assignment");
      names.add(/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.key) ? a.key.toUpperCase() : "SECRET");
    }
  }
  if (found.length === 0) return {};
  return {
    blocked: {
      path,
      found: [...new Set(found)],
      names: [...names],
      kind,
      strict: false,
      managed: [...managedNames],
      detectors: [...detectors],
    },
  };
}

export const MESSAGES = {
  READ_BLOCKED: (tool: string, blocked: readonly Blocked[], cwd: string) => {
    const show = (p: string) => (p.startsWith(`${cwd}/`) ? p.slice(cwd.length + 1) : p);
    const parts = blocked.map((b) =>
      b.strict ? `${show(b.path)} is ${b.found[0]}` : `${show(b.path)} holds ${b.found.join("; ")}`,
    );
    const lines = [
      `hookpack blocked this ${tool} call before it read anything: ${parts.join(". ")}.`,
      "Secret values must not reach the model or the model provider.",
    ];
    const dynamic = blocked.filter((b) => b.dynamic);
    if (dynamic.length > 0) {
      lines.splice(
        1,
        0,
        `The command builds a file name at run time (${[...new Set(dynamic.map((b) => b.dynamic))].join("; ")}) that could be ${dynamic.map((b) => show(b.path)).join(", ")}: hookpack checks a name before the command runs, so write the file names out literally, without the credential files.`,
      );
    }
    const names = [...new Set(blocked.flatMap((b) => b.names))];
    if (names.length > 0) {
      lines.push(
        `To use a secret in a command, refer to it by name, e.g. ${names
          .slice(0, 4)
          .map((n) => `$secret:${n}`)
          .join(
            ", ",
          )}: hookpack injects the value into that one command at run time and masks it in the output.`,
      );
    }
    const dotenv = blocked.filter((b) => !b.strict && b.kind?.dotenv);
    if (dotenv.length > 0) {
      lines.push(
        `To work with ${dotenv.map((b) => show(b.path)).join(", ")}, ask the user to run \`hookpack secret import ${show(dotenv[0]!.path)}\`: the values move into hookpack's encrypted store and the file keeps $secret: references, which can be read.`,
      );
    }
    if (blocked.some((b) => !b.strict && !b.kind?.dotenv)) {
      lines.push(
        `For a literal secret in any other file, ask the user to store it with \`hookpack secret set ${names.find((n) => n !== "SECRET") ?? "NAME"}\` and replace it in the file with its $secret: reference.`,
      );
    }
    if (blocked.some((b) => b.kind?.id === "hookpack-state"))
      lines.push(
        "hookpack's own files are never shown to an agent; `hookpack secret list` names the secrets that exist.",
      );
    lines.push("Do not try to read the file another way.");
    return lines.join(" ");
  },
};

export const guardReads: Rule = {
  id: "guard-reads",
  summary:
    "Deny reads of files holding secrets (Read, content Grep, and any shell command with such a file as an operand, input redirection, interpreter string or run-time name), before their content reaches the model or the provider.",
  on: ["before-tool"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "before-tool") return { kind: "allow" };
    const plan = await readPlan(event, context.files);
    if (plan.files.length === 0 && plan.dynamic.length === 0) return { kind: "allow" };
    const blocked: Blocked[] = [];
    let cleaned = 0;
    const cwd = event.session.cwd;
    for (const path of plan.files) {
      const r = await inspect(path, context, cwd);
      if (r.blocked) blocked.push(r.blocked);
      cleaned += r.cleaned?.length ?? 0;
    }
    if (plan.dynamic.length > 0) {
      // A name built at run time: which credential files could it be? Each that holds a secret denies.
      const [{ classifySecretPath }, { patternRegExp }] = await Promise.all([
        import("./read-guard-paths.js"),
        import("./read-guard-shell.js"),
      ]);
      const reach = credentialFilesInReach(
        cwd,
        context.managed?.home,
        (p) => classifySecretPath(p, context.files.home, context.managed?.home),
        context.files,
      );
      const done = new Set(blocked.map((b) => b.path));
      for (const d of plan.dynamic) {
        const abs = normalizeDots(
          d.word.startsWith("/") || d.word.startsWith("\u0001")
            ? d.word
            : `${cwd.replace(/\/+$/, "")}/${d.word}`,
        );
        const re = patternRegExp(abs, true);
        const reRel = patternRegExp(d.word, true);
        for (const file of reach) {
          if (done.has(file) || !(re.test(file) || reRel.test(file))) continue;
          done.add(file);
          const r = await inspect(file, context, cwd);
          if (r.blocked)
            blocked.push({
              ...r.blocked,
              dynamic: `${d.program}: ${d.why ?? "a name built at run time"}`,
            });
        }
      }
    }
    if (blocked.length > 0)
      return {
        kind: "deny",
        code: "READ_BLOCKED",
        reason: MESSAGES.READ_BLOCKED(event.tool.name, blocked, cwd),
        evidence: readEvidence(blocked),
      };
    if (cleaned > 0)
      return {
        kind: "warn",
        code: "STATE_FILE_CLEANED",
        message: `hookpack redacted ${cleaned} secret(s) in an agent state file before it was read.`,
      };
    return { kind: "allow" };
  },
};
