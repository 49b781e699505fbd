// What a shell command may read, from the one shell front end (rules/shell-scan.ts): every word of
// every simple command (pipelines, lists, groups, `if`/`while` bodies, $(…), <(…), backticks),
// input redirections, the scripts of `bash -c`/`eval`, the code of `python -c`/`node -e`/… and the
// file names a command builds at run time. The guard decides from operands, not from program names:
//
//   - a fixed name (`.env`, `~/.aws/credentials`, `$'\x2eenv'`, `"$F"` after `F=.env` in the same
//     command) is a "path": the guard looks at the file if it exists, whatever the program;
//   - a word with an unquoted glob (`.en*`, `*.pem`) is a "glob": the guard expands it itself;
//   - a word built at run time ($(…), an unknown variable, `{}` of find/xargs, a brace expansion,
//     an interpreter's computed file name) is "dynamic": its static parts become a pattern (a
//     dynamic part matches anything, `/` included) that the guard matches against the credential
//     files within reach. A fully dynamic word counts only for a program known to read its
//     operands (or stdin names: xargs, find -exec), else every `git commit -m "$MSG"` would stop.
//
// Programs that never show a file's content (ls, stat, rm, wc, …) are the only ones skipped. Pure:
// the guard (read-guard.ts) resolves the words through the hook's file capability (context.files).

import { dirname, resolve } from "node:path";
import {
  argvOf,
  scanShell,
  type HeredocBody,
  type SimpleCommand,
  type Word,
} from "./shell-scan.js";

/** A dynamic part of a pattern: matches any text, `/` included. */
export const ANY = "\u0001";

export interface ReadOperand {
  /**
   * For "path": the name after quote removal and expansion (`~` expanded, relative paths kept).
   * For "glob"/"dynamic": a pattern where `*`, `?`, `[…]` are live glob characters, `\c` is a
   * literal `c` and ANY is a run-time part.
   */
  word: string;
  kind: "path" | "glob" | "dynamic";
  /** The program that receives it ("<" for an input redirection). */
  program: string;
  /** What made a dynamic word dynamic, for the deny message. */
  why?: string;
}

/** Programs that take file operands but never show their content. */
const NON_READERS = new Set([
  "ls",
  "dir",
  "vdir",
  "stat",
  "rm",
  "rmdir",
  "unlink",
  "touch",
  "chmod",
  "chown",
  "chgrp",
  "mkdir",
  "test",
  "[",
  "[[",
  "du",
  "df",
  "wc",
  "file",
  "realpath",
  "readlink",
  "basename",
  "dirname",
  "which",
  "type",
  "whereis",
  "echo",
  "printf",
  "cd",
  "pushd",
  "popd",
  "true",
  "false",
  ":",
  "exit",
  "return",
  "export",
  "unset",
  "alias",
  "shopt",
  "set",
  "sleep",
  "kill",
  "wait",
  "jobs",
  "pwd",
  "hookpack",
  "mkfifo",
  "getfacl",
  "lsattr",
  "namei",
]);

/** Programs whose operands (or stdin) are file names they read: a fully dynamic operand counts for them. */
const KNOWN_READERS = new Set([
  "cat",
  "tac",
  "nl",
  "less",
  "more",
  "most",
  "head",
  "tail",
  "bat",
  "batcat",
  "view",
  "strings",
  "od",
  "xxd",
  "hexdump",
  "hd",
  "base64",
  "base32",
  "basenc",
  "uuencode",
  "grep",
  "egrep",
  "fgrep",
  "rgrep",
  "rg",
  "ag",
  "ack",
  "zgrep",
  "zcat",
  "gzcat",
  "bzcat",
  "xzcat",
  "sed",
  "awk",
  "gawk",
  "mawk",
  "cut",
  "sort",
  "uniq",
  "paste",
  "column",
  "fold",
  "fmt",
  "pr",
  "expand",
  "rev",
  "diff",
  "cmp",
  "comm",
  "jq",
  "yq",
  "xq",
  "source",
  ".",
  "dos2unix",
  "iconv",
  "openssl",
  "envsubst",
  "cp",
  "mv",
  "ln",
  "install",
  "rsync",
  "scp",
  "dd",
  "tee",
  "tar",
  "zip",
  "gzip",
  "bzip2",
  "xz",
  "7z",
  "vim",
  "vi",
  "nvim",
  "nano",
  "emacs",
  "ed",
  "ex",
  "python",
  "python3",
  "node",
  "nodejs",
  "ruby",
  "perl",
  "php",
  "deno",
  "bun",
  "lua",
  "curl",
  "wget",
  "http",
  "sha256sum",
  "md5sum",
  "sha1sum",
  "sha512sum",
  "b2sum",
  "cksum",
  "gpg",
  "age",
  "split",
  "csplit",
  "join",
  "tr",
  "look",
  "sqlite3",
]);

/** Words that only wrap the real command (with their own options). */
const WRAPPERS = new Set([
  "sudo",
  "command",
  "builtin",
  "exec",
  "nohup",
  "time",
  "env",
  "doas",
  "nice",
  "stdbuf",
  "timeout",
  "setsid",
  "unbuffer",
  "flock",
  "chrt",
  "ionice",
  "taskset",
  "busybox",
  "toybox",
  "then",
  "do",
  "else",
  "elif",
  "if",
  "while",
  "until",
  "!",
  "{",
  "}",
]);
/** Wrapper options that take a value (`sudo -u root`, `env -u VAR`, `nice -n 5`, `timeout -s KILL`). */
const WRAPPER_VALUE_OPT = /^-[ugnCUprtkDsSwcg]$/;

/** Shells whose `-c` argument is a script; `eval`/`su -c`/`watch` join their arguments into one. */
const SHELLS = new Set(["bash", "sh", "dash", "zsh", "ksh", "mksh", "fish", "ash", "busybox-sh"]);

/** Interpreters whose code (`-c`, `-e`, a heredoc, a script file) may open files by name. */
export const INTERPRETERS = new Set([
  "python",
  "python2",
  "python3",
  "node",
  "nodejs",
  "deno",
  "bun",
  "ruby",
  "perl",
  "php",
  "lua",
  "luajit",
  "Rscript",
  "R",
  "osascript",
  "pwsh",
  "powershell",
  "tclsh",
  "awk",
  "gawk",
  "mawk",
  "nawk",
  "jq",
  "sqlite3",
  "irb",
  "julia",
  "groovy",
  "scala",
  "kotlin",
  "java",
  "jshell",
]);

const isPythonish = (p: string) => /^python[0-9.]*$/.test(p);

/** A program name as bash would find it (`/usr/bin/cat` → `cat`, `python3.12` stays). */
const programName = (w: string) => w.split("/").pop() ?? w;

interface Expanded {
  pattern: string;
  kind: ReadOperand["kind"];
  why?: string;
}

const GLOB_CHARS = /[*?[\]\\]/g;
export const escapeGlob = (s: string) => s.replace(GLOB_CHARS, "\\$&");

/** Decodes bash's $'…' escapes. */
function ansiC(body: string): string {
  return body.replace(
    /\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/g,
    (_, e: string) => {
      const k = e[0]!;
      if (k === "x" || k === "u" || k === "U")
        return String.fromCodePoint(parseInt(e.slice(1), 16));
      if (/[0-7]/.test(k)) return String.fromCharCode(parseInt(e, 8));
      if (k === "c") return String.fromCharCode(e.charCodeAt(1) & 31);
      return (
        (
          {
            n: "\n",
            t: "\t",
            r: "\r",
            a: "\u0007",
            b: "\b",
            e: "\u001b",
            E: "\u001b",
            f: "\f",
            v: "\v",
          } as Record<string, string>
        )[k] ?? k
      );
    },
  );
}

/** The index after the `)` that closes the `(` at `open` (quotes respected roughly). */
function closeParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (c === "'") i = Math.max(i, s.indexOf("'", i + 1));
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
    if (i < 0) return s.length;
  }
  return s.length;
}

/**
 * Expands a raw word the way bash would as far as it can be known before the command runs: quotes,
 * $'…', `~`, variables assigned earlier in the command (and HOME/PWD), globs. Anything else is ANY.
 */
export function expandWord(
  raw: string,
  vars: ReadonlyMap<string, string>,
  env: { home: string; cwd: string },
): Expanded {
  let out = "";
  let glob = false;
  const why: string[] = [];
  const dynamic = (what: string) => {
    if (!out.endsWith(ANY)) out += ANY;
    why.push(what);
  };
  const variable = (name: string, quoted: boolean) => {
    const v = name === "HOME" ? env.home : name === "PWD" ? env.cwd : vars.get(name);
    if (v === undefined) return dynamic(`$${name}`);
    if (quoted) out += escapeGlob(v);
    else {
      if (/[*?[]/.test(v)) glob = true;
      out += v;
    }
  };
  /** At a `$` (index i); returns the index after the expansion. */
  const dollar = (i: number, quoted: boolean): number => {
    const n = raw[i + 1] ?? "";
    if (n === "(") {
      const end = closeParen(raw, i + 1);
      dynamic(raw.slice(i, Math.min(end, i + 40)));
      return end;
    }
    if (n === "{") {
      const end = raw.indexOf("}", i);
      const inner = raw.slice(i + 2, end === -1 ? raw.length : end);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) variable(inner, quoted);
      else dynamic(`\${${inner}}`);
      return end === -1 ? raw.length : end + 1;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(raw.slice(i + 1));
    if (m) {
      variable(m[0], quoted);
      return i + 1 + m[0].length;
    }
    if (/[0-9@*#?$!-]/.test(n)) {
      dynamic(`$${n}`);
      return i + 2;
    }
    out += "$";
    return i + 1;
  };
  let i = 0;
  if (raw.startsWith("~")) {
    const m = /^~([A-Za-z0-9_.-]*)(?=\/|$)/.exec(raw);
    if (m && m[1] === "") {
      out += escapeGlob(env.home);
      i = 1;
    } else if (m) {
      dynamic(`~${m[1]}`);
      i = m[0].length;
    }
  }
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === "\\") {
      if (raw[i + 1] === "\n") i += 2;
      else {
        out += escapeGlob(raw[i + 1] ?? "");
        i += 2;
      }
    } else if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      out += escapeGlob(raw.slice(i + 1, end === -1 ? raw.length : end));
      i = end === -1 ? raw.length : end + 1;
    } else if (c === "$" && raw[i + 1] === "'") {
      let j = i + 2;
      while (j < raw.length && raw[j] !== "'") j += raw[j] === "\\" ? 2 : 1;
      out += escapeGlob(ansiC(raw.slice(i + 2, j)));
      i = j + 1;
    } else if (c === '"' || (c === "$" && raw[i + 1] === '"')) {
      i += c === "$" ? 2 : 1;
      while (i < raw.length && raw[i] !== '"') {
        const d = raw[i]!;
        if (d === "\\" && '$`"\\\n'.includes(raw[i + 1] ?? "")) {
          if (raw[i + 1] !== "\n") out += escapeGlob(raw[i + 1]!);
          i += 2;
        } else if (d === "$") i = dollar(i, true);
        else if (d === "`") {
          const end = raw.indexOf("`", i + 1);
          dynamic("`…`");
          i = end === -1 ? raw.length : end + 1;
        } else {
          out += escapeGlob(d);
          i++;
        }
      }
      i++;
    } else if (c === "$") {
      i = dollar(i, false);
    } else if (c === "`") {
      const end = raw.indexOf("`", i + 1);
      dynamic("`…`");
      i = end === -1 ? raw.length : end + 1;
    } else if (c === "{" && /^\{[^{}\s]*,[^{}\s]*\}/.test(raw.slice(i))) {
      // Brace expansion: any of the alternatives.
      const end = raw.indexOf("}", i);
      dynamic(raw.slice(i, end + 1));
      i = end + 1;
    } else if ((c === "<" || c === ">") && raw[i + 1] === "(") {
      const end = closeParen(raw, i + 1);
      dynamic(raw.slice(i, Math.min(end, i + 40)));
      i = end;
    } else {
      if (c === "*" || c === "?" || c === "[") glob = true;
      out += c;
      i++;
    }
  }
  if (out.includes(ANY)) return { pattern: out, kind: "dynamic", why: why.join(", ") };
  if (glob) return { pattern: out, kind: "glob" };
  return { pattern: out.replace(/\\(.)/g, "$1"), kind: "path" };
}

/** A pattern as a RegExp over absolute or relative paths. `dotglob`: `*` also matches a leading dot. */
export function patternRegExp(pattern: string, dotglob = false): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const segStart = i === 0 || pattern[i - 1] === "/";
    if (c === "\\") re += (pattern[++i] ?? "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    else if (c === ANY) re += ".*";
    else if (c === "*") re += segStart && !dotglob ? "(?!\\.)[^/]*" : "[^/]*";
    else if (c === "?") re += segStart && !dotglob ? "(?!\\.)[^/]" : "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) re += "\\[";
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

/** Calls that open, copy or run something by name, in the languages interpreters speak. */
const OPENS =
  /\b(open|read|readFile\w*|read_text|read_bytes|readlines|fopen|file_get_contents|readfile|createReadStream|getline|slurp|File\.(read|open|new)|IO\.read|Path|symlink\w*|link\w*|copy\w*|copyfile|rename\w*|cp|spawn\w*|exec\w*|system|popen|subprocess|child_process|Deno\.readTextFile|Bun\.file|io\.open|loadfile|dofile|source|cat)\b|<\s*\$?\w+\s*>|\$\(<|`/;

/** String literals in interpreter code ('…', "…", `…`), and whether the code computes a file name. */
export function codeReads(code: string): { literals: string[]; computed: string | undefined } {
  const literals: string[] = [];
  // One pass per quote character, so a literal inside another kind of quotes is still seen.
  for (const re of [/'([^'\n]{1,512})'/g, /"([^"\n]{1,512})"/g, /`([^`\n]{1,512})`/g])
    for (const m of code.matchAll(re)) literals.push(m[1]!);
  const opens = OPENS;
  const computes =
    /(\+\s*["'`]|["'`]\s*\+|\.join\s*\(|\bjoin\s*\(|fromCharCode|\bchr\s*\(|\bord\s*\(|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\[0-7]{3}|b64decode|atob|Buffer\.from|decode\s*\(|unhexlify|fromhex|\[::-1\]|reverse|\.replace\s*\(|format\s*\(|f["']|\$\{|%s|\bsprintf|listdir|readdir|scandir|\bglob\b|walk\s*\(|os\.walk|Dir\[|Dir\.glob|opendir|iterdir|rglob|environ|getenv|process\.env|ENV\[|\$ENV|argv|\bsys\.stdin|input\s*\()/i;
  const computed =
    opens.test(code) && computes.test(code)
      ? "the code computes a file name at run time"
      : undefined;
  return { literals, computed };
}

/** A script file as the guard found it at hook time: its text, or why it cannot be known. */
export type ScriptFile = { text: string } | { why: string };

/** The largest script file (`bash f`, `source f`, `sh < f`) whose commands are analysed. */
export const MAX_SCRIPT_BYTES = 1024 * 1024;
/** Script files followed in one command (nested `source`s included). */
const MAX_SCRIPTS = 32;

/**
 * Reads the script file a shell in the command runs, as it is on disk now (an earlier call may
 * have written it), through the hook's file capability: links followed, at most MAX_SCRIPT_BYTES.
 * A file that does not exist yet, is not a regular file, is too large or cannot be read is a
 * script built at run time (the guard denies it when a credential file holding a secret is within
 * reach).
 */
/**
 * What scriptReader needs of rule.ts's RuleFiles (written out here: rule.ts imports this file's
 * types, and a type import back would be a cycle).
 */
export interface ScriptFiles {
  home: string;
  kind(path: string): "file" | "dir" | "other" | undefined;
  readWhole(path: string, maxBytes: number): { text: string } | undefined;
}

export function scriptReader(cwd: string, fs: ScriptFiles): (path: string) => ScriptFile {
  let n = 0;
  return (word) => {
    const abs = resolve(cwd, word.replace(/^~(?=\/|$)/, fs.home));
    const kind = fs.kind(abs);
    // Nothing earlier in the command writes it (the caller checks): the shell finds no script.
    // (A name that finds no file, `import os` looked up beside a script, counts no file read.)
    if (kind === undefined) return { text: "" };
    if (++n > MAX_SCRIPTS)
      return { why: `more than ${MAX_SCRIPTS} script files, which hookpack does not follow` };
    if (kind === "dir") return { text: "" };
    if (kind !== "file") return { why: `a script read from ${word}, which is not a regular file` };
    const whole = fs.readWhole(abs, MAX_SCRIPT_BYTES);
    if (whole === undefined)
      return {
        why: `a script file (${word}) larger than ${MAX_SCRIPT_BYTES / 1024 / 1024} MiB or unreadable, which hookpack does not analyse`,
      };
    return { text: whole.text };
  };
}

export interface Env {
  home: string;
  cwd: string;
  /**
   * Reads a script file a shell runs (`bash f`, `source f`, `sh < f`, `cat f | sh`), named by a
   * static path (relative to cwd, `~` expanded), at hook time: bounded, links followed. Without
   * it, a script file's own reads are not followed (only the name is checked as a read).
   */
  script?: (path: string) => ScriptFile;
  /** Called with the text of every script the analysis follows (protect-state reuses the shapes). */
  onScript?: (text: string) => void;
  /** Called when a shell, `source` or `eval` runs a script not known at hook time (why it is not). */
  onUnknownScript?: (why: string) => void;
  /** What a shell's stdin carries when its own command gives it none (a `-c` script's inherited stdin). */
  stdin?: Script;
}

/** Everything a shell command may read, for the guard to resolve. Never throws. */
export function shellReads(command: string, env: Env, depth = 0): ReadOperand[] {
  const out: ReadOperand[] = [];
  const scan = scanShell(command);
  const raw = (w: Word) => command.slice(w.start, w.end);
  const vars = new Map<string, string>();
  const dotglob = /\bdotglob\b|\bGLOBIGNORE\b/.test(command);
  const add = (w: string, program: string, known: boolean) => {
    const e = expandWord(w, vars, env);
    if (e.kind === "dynamic") {
      // A fully dynamic word only counts for a program known to read its operands.
      if (e.pattern.replace(/\\./g, "x").split(ANY).join("") === "" && !known) return;
      out.push({ word: e.pattern, kind: "dynamic", program, why: e.why });
    } else if (e.pattern !== "" && e.pattern !== "-") {
      out.push({
        word: e.kind === "glob" && dotglob ? `${e.pattern}` : e.pattern,
        kind: e.kind,
        program,
      });
    } else return;
    // After `cd DIR`: a relative name is also DIR/name (every directory the command may be in).
    if (e.pattern.startsWith("/") || (persisted.dirs === undefined && !persisted.dirsUnknown))
      return;
    const glob = e.kind !== "path";
    const rel = glob ? e.pattern : escapeGlob(e.pattern);
    for (const d of persisted.dirs ?? [])
      if (d !== env.cwd)
        out.push({
          word: glob ? `${escapeGlob(d)}/${rel}` : `${d}/${e.pattern}`,
          kind: e.kind,
          program,
          ...(e.why !== undefined ? { why: e.why } : {}),
        });
    if (persisted.dirsUnknown)
      out.push({
        word: `${ANY}/${rel}`,
        kind: "dynamic",
        program,
        why: "a name relative to a directory only known when the command runs (cd)",
      });
  };
  /** The operand parts of one word: itself, `--opt=VALUE`, `-fVALUE`, `@file`, `REV:path`, `file://path`. */
  const operandParts = (w: string): string[] => {
    const parts = /^-/.test(w) ? [] : [w];
    const eq = /^--?[A-Za-z0-9][A-Za-z0-9_-]*=(.+)$/s.exec(w);
    if (eq) parts.push(eq[1]!);
    else if (/^-[A-Za-z]./.test(w)) parts.push(w.slice(2));
    if (w.startsWith("@")) parts.push(w.slice(1));
    const colon = /^[^/:'"$]*:(.+)$/s.exec(w);
    if (colon && !/^[a-z][a-z0-9+.-]*:\/\//i.test(w)) parts.push(colon[1]!);
    const kv = /^[A-Za-z][A-Za-z0-9_]*=(.+)$/s.exec(w);
    if (kv) parts.push(kv[1]!);
    const url = /^file:\/\/(?:localhost)?(\/.*)$/is.exec(w);
    if (url) parts.push(url[1]!);
    return parts;
  };

  // `exec 3<<EOF`: a here-document or here-string that stays open on a descriptor for later
  // commands; `cat > s.sh <<EOF`: a file the command writes before a shell runs it.
  const persisted: Carried = { fds: new Map(), files: new Map(), touched: [] };
  for (const cmd of scan.commands) {
    // Input redirections read whatever the command is.
    for (const w of cmd.words)
      if (w.redirect && (w.redirectOp === "<" || w.redirectOp === "<>")) add(raw(w), "<", true);
    // Assignments (NAME=value) remember static values for later words.
    for (const w of cmd.words) if (w.assignment) remember(raw(w), vars, env);
    const words = argvOf(cmd).map(raw);
    if (words.length === 1 && stripQuotes(words[0]!) === "exec")
      for (const fd of new Set([
        ...(cmd.heredocBodies ?? []).map((h) => h.fd),
        ...cmd.words
          .filter((w) => w.redirect && /^(<<<|<|<>|<&)$/.test(w.redirectOp ?? ""))
          .map((w) => w.redirectFd ?? 0),
      ]))
        persisted.fds.set(fd, fdScript(cmd, fd, command, vars, env, persisted));
    for (const w of cmd.words) {
      if (!w.redirect || !/^(>|>>|>\|)$/.test(w.redirectOp ?? "") || (w.redirectFd ?? 1) !== 1)
        continue;
      const target = expandWord(raw(w), vars, env);
      if (target.kind === "path")
        persisted.files.set(scriptKey(target.pattern), producedBy(cmd, command, vars, env));
    }
    handleCommand(words, cmd, command, env, depth, vars, add, operandParts, out, persisted);
    noteWrites(cmd, words, command, persisted);
    trackDir(words, persisted, vars, env, command);
  }
  // The broker in front of a program (`node …/hookpack.cjs exec --grant … -- program`, what a rewrite
  // produces) is not interpreter code; the program after `--` still counts.
  const interpreterIn = (c: SimpleCommand) => {
    const ws = argvOf(c).map(raw);
    return ws.some(
      (w, i) =>
        INTERPRETERS.has(programName(w)) &&
        !(
          programName(w) === "node" &&
          /\/hookpack\.cjs'?$/.test(ws[i + 1] ?? "") &&
          ws[i + 2] === "exec"
        ),
    );
  };
  if (depth < 3 && scan.commands.some(interpreterIn)) {
    // Interpreter code anywhere in the command (-c/-e strings, here-documents): its literals.
    const { literals, computed } = codeReads(command);
    for (const l of literals)
      if (/^[^\n]{1,512}$/.test(l) && !/^\s|\s$/.test(l))
        add(`'${l.replace(/'/g, "")}'`, "interpreter code", false);
    if (computed)
      out.push({ word: ANY, kind: "dynamic", program: "interpreter code", why: computed });
  }
  return dedupe(out);
}

function remember(word: string, vars: Map<string, string>, env: Env): void {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\+?=(.*)$/s.exec(word);
  if (!m) return;
  const e = expandWord(m[2]!, vars, env);
  if (e.kind === "path") vars.set(m[1]!, e.pattern);
  else vars.delete(m[1]!);
}

function handleCommand(
  words: string[],
  cmd: SimpleCommand,
  command: string,
  env: Env,
  depth: number,
  vars: Map<string, string>,
  add: (w: string, program: string, known: boolean) => void,
  operandParts: (w: string) => string[],
  out: ReadOperand[],
  persisted: Carried,
): void {
  let i = 0;
  let viaXargs = false;
  // Leading wrappers (with their own options) and `xargs`, which appends names read from stdin.
  for (;;) {
    const w = words[i];
    if (w === undefined) return;
    const name = programName(stripQuotes(w));
    if (WRAPPERS.has(name)) {
      i++;
      for (;;) {
        const o = words[i];
        if (o === undefined) break;
        // `env -S 'bash -s'`: the string is split into the words that follow.
        const split =
          name === "env" ? /^(?:-S|--split-string)(?:=?(.+))?$/s.exec(stripQuotes(o)) : null;
        if (split) {
          const rawValue = /^(?:-S|--split-string)=?(.+)$/s.exec(o)?.[1] ?? words[i + 1];
          const taken = /^(?:-S|--split-string)=?(.+)$/s.test(o) ? 1 : 2;
          if (rawValue === undefined) break;
          const e = expandWord(rawValue, vars, env);
          if (e.kind !== "path") {
            out.push({
              word: ANY,
              kind: "dynamic",
              program: "env",
              why: "a command built at run time (env -S)",
            });
            return;
          }
          // Split as env does (quotes group words): through the shell front end when it is one command.
          const sub = scanShell(e.pattern).commands;
          const parts =
            sub.length === 1
              ? argvOf(sub[0]!).map((w) => e.pattern.slice(w.start, w.end))
              : e.pattern
                  .split(/\s+/)
                  .filter((p) => p !== "")
                  .map(quoteWord);
          words = [...words.slice(0, i), ...parts, ...words.slice(i + taken)];
          continue;
        }
        if (WRAPPER_VALUE_OPT.test(o)) i += 2;
        else if (
          o.startsWith("-") ||
          (name === "timeout" && /^\d/.test(o)) ||
          (name === "env" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(o))
        )
          i++;
        else break;
      }
    } else if (name === "xargs" || name === "parallel") {
      viaXargs = true;
      i++;
      while (words[i]?.startsWith("-")) i += /^-[aEdIiLlnPs]$/.test(words[i]!) ? 2 : 1;
    } else if (["export", "declare", "typeset", "local", "readonly"].includes(name)) {
      for (const a of words.slice(i + 1)) remember(a, vars, env);
      return;
    } else break;
  }
  const program = programName(stripQuotes(words[i]!));
  const args = words.slice(i + 1);
  if (NON_READERS.has(program)) {
    // `cp x /dev/stdout`-style tricks do not apply to these; `echo`/`printf` print names only.
    return;
  }
  const known = KNOWN_READERS.has(program) || INTERPRETERS.has(program);
  if (viaXargs)
    out.push({ word: ANY, kind: "dynamic", program, why: "file names read from stdin (xargs)" });
  // A script this shell runs: analysed with the shell's own stdin as the stdin its commands
  // inherit (`bash -c bash <<EOF`, `sh -c 'sh -s' <<EOF`), each text handed to env.onScript.
  const run = (s: Script) => {
    if (s.texts.length > 0) {
      const inner: Env = { ...env, stdin: fdScript(cmd, 0, command, vars, env, persisted) };
      for (const text of s.texts) {
        env.onScript?.(text);
        out.push(...shellReads(text, inner, depth + 1));
      }
    }
    if (s.dynamic) {
      env.onUnknownScript?.(s.why ?? "a script built at run time");
      out.push({ word: ANY, kind: "dynamic", program, why: s.why ?? "a script built at run time" });
    }
  };
  if (
    depth < 3 &&
    (SHELLS.has(program) ||
      program === "eval" ||
      program === "su" ||
      program === "watch" ||
      program === "ssh")
  ) {
    const c =
      program === "eval" || program === "watch"
        ? args.join(" ")
        : args[args.findIndex((a) => /^-[a-z]*c$/.test(a)) + 1];
    if (c !== undefined && (program !== "ssh" || args.length > 0)) {
      const script = program === "ssh" ? undefined : c;
      const e = script === undefined ? undefined : expandWord(script, vars, env);
      if (e && e.kind === "path") run({ texts: [e.pattern], dynamic: false });
      else if (e) run({ texts: [], dynamic: true });
    }
    // A shell (or `source`) whose script comes from stdin or a descriptor: a here-document, a
    // here-string, a pipe, a process substitution. A literal script is analysed like a `-c` one.
    const stdin = SHELLS.has(program) ? stdinScriptFd(program, args) : undefined;
    if (stdin !== undefined && !stdin.noexec) {
      // `bash script.sh`: the file this same command wrote (`cat > s.sh <<EOF … EOF; sh s.sh`), else
      // the file as it is on disk now (written by an earlier call), read through env.script.
      run(
        stdin.file === undefined
          ? fdScript(cmd, stdin.fd, command, vars, env, persisted, stdin.word)
          : fileScript(stdin.file, cmd, command, vars, env, persisted, stdin.rest),
      );
    }
  }
  if (depth < 3 && (program === "source" || program === ".")) {
    const stdin = stdinScriptFd("source", args);
    if (stdin !== undefined)
      run(
        stdin.file === undefined
          ? fdScript(cmd, stdin.fd, command, vars, env, persisted, stdin.word)
          : fileScript(stdin.file, cmd, command, vars, env, persisted, stdin.rest ?? [], true),
      );
  }
  // `./s.sh`: a file run by its path (an earlier call wrote it and made it executable). A shell
  // script (a shell's `#!`, or text with none: the shell runs it itself) has its fixed reads
  // followed (`cat .env`); its names built at run time are not (a wrapper's `eval "$(…)"` would
  // deny `./gradlew` in every project). A binary or another interpreter's script is not read.
  const direct = stripQuotes(words[i]!);
  if (
    depth < 3 &&
    env.script &&
    direct.includes("/") &&
    !SHELLS.has(program) &&
    !INTERPRETERS.has(program) &&
    !KNOWN_READERS.has(program)
  ) {
    const e = expandWord(words[i]!, vars, env);
    const known = e.kind === "path" ? persisted.files.get(scriptKey(e.pattern)) : undefined;
    const r = e.kind === "path" && !known ? env.script(e.pattern) : undefined;
    if (known) run(known);
    else if (r && "text" in r && isShellScript(r.text)) {
      const s = fileScript(words[i]!, cmd, command, vars, env, persisted, args);
      for (const text of s.dynamic ? [] : s.texts) {
        env.onScript?.(text);
        out.push(...shellReads(text, env, depth + 1).filter((o) => o.kind !== "dynamic"));
      }
    }
  }
  // `python3 x.py`, `node x.js`, `ruby x.rb`, `perl x.pl`…: a script file an earlier call (or this
  // command) may have written. Its text is read at hook time and checked as interpreter code.
  if (depth < 3 && env.script && SCRIPT_RUNNERS.test(program))
    for (const w of interpreterScriptWords(program, args)) {
      const label = `${program} ${stripQuotes(w)}`;
      const fd = FD_PATH.exec(stripQuotes(w));
      const s = fd
        ? fdScript(cmd, Number(fd[1] ?? fd[2] ?? 0), command, vars, env, persisted)
        : interpreterScript(w, program, cmd, command, vars, env, persisted);
      // The script's own code, then the local code it runs (sec-gaps6): a module next to it
      // (`import x`, `from .x import y`, `require('./x')`, `import … from './x.mjs'`), a file it
      // executes (`exec(open('y').read())`, `runpy.run_path('y')`, `load 'y'`), MAX_LOCAL_LEVELS down.
      const scriptDir = fd
        ? env.cwd
        : dirname(resolve(env.cwd, stripQuotes(w).replace(/^~(?=\/|$)/, env.home)));
      const queue = s.texts.map((text) => ({ text, dir: scriptDir, level: 0 }));
      const followed = new Set<string>();
      for (let q = queue.shift(); q !== undefined; q = queue.shift()) {
        const { literals, computed } = scriptFileReads(q.text);
        // A literal that is a glob (`glob.glob('.e*')`) is expanded as the shell would.
        for (const l of literals)
          add(
            /^[\w./~*?[\]-]+$/.test(l) && /[*?[]/.test(l) ? l : `'${l.replace(/'/g, "")}'`,
            label,
            false,
          );
        if (computed) out.push({ word: ANY, kind: "dynamic", program: label, why: computed });
        if (q.level >= MAX_LOCAL_LEVELS) continue;
        const code = localCode(q.text, literals, q.dir, env.cwd);
        if (code.length > MAX_LOCAL_CODE) {
          out.push({
            word: ANY,
            kind: "dynamic",
            program: label,
            why: `more than ${MAX_LOCAL_CODE} local module names, which hookpack does not follow`,
          });
          continue;
        }
        for (const abs of code) {
          if (followed.has(abs)) continue;
          followed.add(abs);
          const r = env.script(abs);
          if ("why" in r) {
            // Too many files, too large or unreadable: its reads are not known (fail closed).
            out.push({ word: ANY, kind: "dynamic", program: label, why: r.why });
            continue;
          }
          if (r.text !== "") queue.push({ text: r.text, dir: dirname(abs), level: q.level + 1 });
        }
      }
      if (s.dynamic)
        out.push({
          word: ANY,
          kind: "dynamic",
          program: label,
          why: s.why ?? "a script built at run time",
        });
    }
  // `grep -r PATTERN` with no file operand searches the working directory (as rg/ag/ack do);
  // `git grep --untracked`/`--no-index` reads untracked files (`.env`) too. The directory goes on
  // as an operand of a program that reads what is inside it (read-guard.ts DIR_READERS).
  if (GREP_FAMILY.has(program) && grepSearchesCwd(program, args)) add(".", "grep", true);
  if (program === "git") for (const w of gitGrepDirs(args)) add(w, "grep", true);
  // find … -exec PROG … {} … ;  →  PROG receives every name find prints.
  if (program === "find" || program === "fd" || program === "fdfind") {
    const at = args.findIndex((a) =>
      /^-(exec|execdir|ok|okdir|x|X|-exec|-exec-batch)$/.test(stripQuotes(a)),
    );
    if (at !== -1) {
      const inner = programName(stripQuotes(args[at + 1] ?? ""));
      if (!NON_READERS.has(inner))
        out.push({
          word: ANY,
          kind: "dynamic",
          program: inner || program,
          why: `the names ${program} finds`,
        });
    }
    for (const a of args)
      if (/^-(fprint|fprintf|fls|fprint0)$/.test(a))
        out.push({ word: ANY, kind: "dynamic", program, why: "find output to a file" });
    return;
  }
  let codeNext = false;
  for (const a of args) {
    if (a === "{}") {
      out.push({ word: ANY, kind: "dynamic", program, why: "{}" });
      continue;
    }
    // `python -c CODE` / `node -e CODE`: the code is checked as text (shellReads, interpreter code).
    if (codeNext) {
      codeNext = false;
      continue;
    }
    if (
      INTERPRETERS.has(program) &&
      /^(-[a-zA-Z]*[ceErp]|--eval|--print|--command|--exec)$/.test(stripQuotes(a)) &&
      !isPythonish(program)
    )
      codeNext = true;
    if (
      (isPythonish(program) || SHELLS.has(program) || program === "su") &&
      /^-[a-z]*c$/.test(stripQuotes(a))
    )
      codeNext = true;
    for (const part of operandParts(a)) add(part, program, known);
  }
}

/** How many levels of local code below a script are followed (sec-gaps6: 2; sec-gaps7: 4). */
const MAX_LOCAL_LEVELS = 4;
/** Local module file names looked up for one script (each a stat); more is a script not known. */
const MAX_LOCAL_CODE = 512;
/** A file name that is code an interpreter may run or import. */
const CODE_FILE = /\.(py|pyw|js|mjs|cjs|ts|mts|cts|jsx|tsx|rb|pl|pm|php|lua|tcl|R|awk)$/;
/** Calls that run or load the code in a file they are given (Python, node, Ruby, Perl, PHP, Lua). */
const RUNS_CODE =
  /\b(?:exec|execfile|run_path|compile|load|require|require_relative|do|source|include|include_once|require_once|dofile|loadfile|import)\s*\(?\s*(?:open\s*\(\s*|Path\s*\(\s*|readFileSync\s*\(\s*)?['"`]([^'"`\n]{1,256})['"`]/g;
const RUNS_CODE_HINT = /exec|run_path|compile|load|require|\bdo\b|source|include|dofile|import/;
/** Python's `import a.b, c` / `from .a.b import x` (relative dots kept). */
const PY_IMPORT =
  /^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b|import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*))/gm;

/**
 * Local code files a script runs or imports (absolute, existing or not): string literals that
 * are a code file or a relative module path (`'./x'`, `'../lib/y.js'`: tried as node resolves them,
 * from the script's directory), and Python modules (`import x` → x.py or x/__init__.py beside the
 * script or in the working directory). Names of installed packages find no file and add nothing.
 */
function localCode(text: string, literals: readonly string[], dir: string, cwd: string): string[] {
  const out: string[] = [];
  // A name handed to a call that runs or loads code, whatever its extension (`exec(open('y').read())`).
  const runs = new Set<string>();
  if (RUNS_CODE_HINT.test(text)) for (const m of text.matchAll(RUNS_CODE)) runs.add(m[1]!);
  for (const l of literals) {
    if (l.length > 256 || /[\s*?[\]]/.test(l)) continue;
    const rel = /^\.\.?\//.test(l);
    if (!rel && !CODE_FILE.test(l) && !runs.has(l)) continue;
    for (const base of rel ? [dir] : [cwd, dir]) {
      const abs = resolve(base, l);
      out.push(abs);
      if (!CODE_FILE.test(l))
        for (const x of [".js", ".cjs", ".mjs", ".ts", ".py", ".rb", ".pl", ".php", "/index.js"])
          out.push(abs + x);
    }
  }
  if (text.includes("import"))
    for (const m of text.matchAll(PY_IMPORT))
      for (const name of (m[1] ?? m[2] ?? "").split(",")) {
        const n = name.trim();
        const dots = /^\.*/.exec(n)![0].length;
        const path = n.slice(dots).replace(/\./g, "/");
        if (path === "" || !/^[\w/]+$/.test(path)) continue;
        let from = dir;
        for (let k = 1; k < dots; k++) from = dirname(from);
        for (const base of dots > 0 ? [from] : [dir, cwd])
          out.push(resolve(base, `${path}.py`), resolve(base, path, "__init__.py"));
      }
  return [...new Set(out)];
}

/** Interpreters that run a script file named on their command line. */
const SCRIPT_RUNNERS =
  /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|ruby|perl|php|lua[0-9.]*|luajit|tclsh|Rscript|awk|gawk|mawk|nawk)$/;

/**
 * The script files an interpreter runs: its first operand (after `run` for deno and bun), the
 * modules node preloads (`-r ./x.js`, `--import=./x.mjs`), `php -f x`, `awk -f x`; `-` when it
 * reads its script from stdin. None when it runs code given on the command line (`-c`, `-e`,
 * `-m module`), which is checked as text already.
 */
export function interpreterScriptWords(program: string, args: readonly string[]): string[] {
  const out: string[] = [];
  const python = /^(python|pypy)/.test(program);
  const awk = /awk$/.test(program);
  const code = python
    ? /^-[a-zA-Z]*[cm]$/
    : awk
      ? /^$/
      : program === "php"
        ? /^(-[a-zA-Z]*r|--run)$/
        : /^(-[a-zA-Z]*[eEp]|--eval|--print)$/;
  const scriptOpt = /^(-r|--require|--import|--loader|--experimental-loader|-f|--file)$/;
  const valueOpt = python
    ? /^-[WXQ]$/
    : /^(-[ICEr]|--(title|conditions|inspect-port|env-file|config|import-map|cert|lock|v8-flags|location|preload|cwd|tsconfig-override))$/;
  let verb = /^(deno|bun)$/.test(program);
  for (let k = 0; k < args.length; k++) {
    const a = stripQuotes(args[k]!);
    if (a === "--") {
      if (!awk && args[k + 1] !== undefined) out.push(args[k + 1]!);
      break;
    }
    const long = /^(--(?:require|import|loader|experimental-loader|file|preload))=(.+)$/s.exec(
      args[k]!,
    );
    if (long) {
      out.push(long[2]!);
      continue;
    }
    if (a.startsWith("-") && a !== "-") {
      // node's `-r` preloads a module; ruby's `-r lib` and perl's `-e`… are code or libraries.
      if (
        scriptOpt.test(a) &&
        (program.startsWith("node") || /php|awk|bun/.test(program) || a !== "-r")
      ) {
        if (args[k + 1] !== undefined) out.push(args[k + 1]!);
        k++;
        continue;
      }
      // `python -m NAME` runs NAME.py (or NAME/__main__.py) from the working directory first.
      const mod = python ? /^-[bBdEhiIOPqsSuvVxR]*m(.*)$/s.exec(a) : null;
      if (mod) {
        const name = (mod[1] || stripQuotes(args[k + 1] ?? "")).replace(/\./g, "/");
        if (/^[\w/]+$/.test(name)) out.push(`${name}.py`, `${name}/__main__.py`);
        return out;
      }
      if (code.test(a)) return out;
      // A value is skipped only where the option surely takes one (a word wrongly kept is only
      // checked as a script too).
      if (valueOpt.test(a) || (program === "php" && /^-[cdz]$/.test(a))) k++;
      continue;
    }
    if (verb) {
      verb = false;
      if (a === "run" || a === "x") continue;
      if (program === "deno") return out;
    }
    if (!awk) out.push(args[k]!);
    return out;
  }
  // No script operand: the script comes on stdin (`python3 < x.py`, `cat x.js | node`).
  if (!awk && out.length === 0) out.push("-");
  return out;
}

/**
 * What an interpreter's script file names: its string literals (as `python -c` code gets them) and,
 * when it both opens something and spells the name in a way meant to hide it (char codes, base64,
 * hex escapes, a reversed string) or lists the working or home directory, a name built at run time.
 * An ordinary script's computed paths (`path.join(__dirname, …)`, `f"{x}.json"`) are not counted: a
 * script file would otherwise stop every `node build.js` in a project with a secret in reach.
 */
export function scriptFileReads(text: string): {
  literals: string[];
  computed: string | undefined;
} {
  const { literals } = codeReads(text);
  const kept = literals.filter((l) => /^[^\n]{1,512}$/.test(l) && !/^\s|\s$/.test(l));
  const hidden =
    /fromCharCode|\bchr\s*\(|b64decode|\batob\s*\(|base64|unhexlify|fromhex|\[\s*:\s*:\s*-1\s*\]|\.reverse\(\s*\)\s*\.join|rot13|\\x2e|\\u002e|\\056|\\x2E|\\u002E/;
  const listing =
    /\b(listdir|readdir\w*|scandir\w*|walk|iterdir|rglob|opendir|glob(?:Sync)?|Dir\.(?:glob|entries|children|each_child)|Dir)\s*[([]\s*(\)|\]|["'`](?:\.|\.\/|~|\/|\*|\.\*|\*\*\/\*|~\/[^"'`]*|\.\/\*)["'`]|os\.getcwd\(\)|process\.cwd\(\)|os\.curdir|os\.homedir\(\)|os\.path\.expanduser|Path\.(?:cwd|home)\(\)|__dirname)|Path\(\s*(?:["'`]\.?["'`])?\s*\)\.(?:iterdir|glob|rglob)|Path\.(?:cwd|home)\(\)\.(?:iterdir|glob|rglob)/;
  const computed =
    OPENS.test(text) && (hidden.test(text) || listing.test(text))
      ? "the script spells or lists the file names it opens at run time"
      : undefined;
  return { literals: kept, computed };
}

/** grep and its aliases; `rgrep` is `grep -r`. */
const GREP_FAMILY = new Set(["grep", "egrep", "fgrep", "rgrep"]);
/** grep's short options that take a value (`-e PAT`, `-A 3`, `-d ACTION`…). */
const GREP_SHORT_VALUE = new Set([..."efdDABCm"]);
/** grep's long options that take the next word as their value when written without `=`. */
const GREP_LONG_VALUE = new Set([
  "--regexp",
  "--file",
  "--max-count",
  "--after-context",
  "--before-context",
  "--context",
  "--directories",
  "--devices",
  "--label",
  "--include",
  "--exclude",
  "--exclude-from",
  "--exclude-dir",
  "--binary-files",
  "--group-separator",
]);
/** A long option as getopt reads it: any unambiguous prefix of its name (`--rec` is `--recursive`). */
const longIs = (given: string, full: string) => given.length >= 4 && full.startsWith(given);

/**
 * Does this grep call search the working directory: recursive (`-r`, `-R`, `-rn`, `--recursive`,
 * `-d recurse`, `--directories=rec`, `rgrep`) with no file operand after the pattern? Options may
 * come after operands (GNU getopt permutes them) until `--`. A superset: an ambiguous spelling
 * grep would refuse counts as recursive.
 */
function grepSearchesCwd(program: string, args: readonly string[]): boolean {
  let recursive = program === "rgrep";
  let patternGiven = false;
  const operands: string[] = [];
  const recurse = (v: string | undefined) => v !== undefined && v !== "" && "recurse".startsWith(v);
  for (let k = 0; k < args.length; k++) {
    const a = stripQuotes(args[k]!);
    if (a === "--") {
      operands.push(...args.slice(k + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq === -1 ? a : a.slice(0, eq);
      let value = eq === -1 ? undefined : a.slice(eq + 1);
      const full = [...GREP_LONG_VALUE].find((f) => longIs(name, f));
      if (full !== undefined && value === undefined) value = stripQuotes(args[++k] ?? "");
      if (longIs(name, "--recursive") || longIs(name, "--dereference-recursive")) recursive = true;
      if (longIs(name, "--directories") && recurse(value)) recursive = true;
      if (longIs(name, "--regexp") || longIs(name, "--file")) patternGiven = true;
      continue;
    }
    if (a.startsWith("-") && a !== "-") {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === "r" || c === "R") recursive = true;
        if (GREP_SHORT_VALUE.has(c)) {
          const value = j + 1 < a.length ? a.slice(j + 1) : stripQuotes(args[++k] ?? "");
          if (c === "e" || c === "f") patternGiven = true;
          if (c === "d" && recurse(value)) recursive = true;
          break;
        }
      }
      continue;
    }
    operands.push(args[k]!);
  }
  return recursive && (patternGiven ? operands : operands.slice(1)).length === 0;
}

/**
 * `git [-C dir] grep --untracked|--no-index …` (or with grep.fallbackToNoIndex set on the command
 * line): the directories it searches, untracked files included: its pathspecs, else `.` (the -C
 * directory when one is given). Plain `git grep` searches tracked files only and is not followed.
 */
function gitGrepDirs(args: readonly string[]): string[] {
  let k = 0;
  let dir: string | undefined;
  let noIndexConfig = false;
  for (; k < args.length; k++) {
    const a = stripQuotes(args[k]!);
    if (!a.startsWith("-")) break;
    if (a === "-C") dir = args[++k];
    else if (a === "-c") noIndexConfig ||= /fallbacktonoindex/i.test(args[++k] ?? "");
    else if (/^--(git-dir|work-tree|namespace|exec-path|config-env|super-prefix)$/.test(a)) k++;
    else if (/fallbacktonoindex/i.test(a)) noIndexConfig = true;
  }
  if (stripQuotes(args[k] ?? "") !== "grep") return [];
  const rest = args.slice(k + 1);
  const stripped = rest.map(stripQuotes);
  if (!noIndexConfig && !stripped.some((a) => a === "--untracked" || a === "--no-index")) return [];
  // Pathspecs: the words after `--`, else the non-option words after the pattern.
  let specs: string[];
  const dd = stripped.indexOf("--");
  if (dd !== -1) specs = rest.slice(dd + 1);
  else {
    const patternGiven = stripped.some((a) => /^(-[a-zA-Z]*[ef]|--regexp|--file)/.test(a));
    const words: string[] = [];
    for (let j = 0; j < rest.length; j++) {
      const a = stripped[j]!;
      if (
        /^-[ABCmef]$|^--(max-depth|threads|max-count|after-context|before-context|context|regexp|file)$/.test(
          a,
        )
      )
        j++;
      else if (!a.startsWith("-")) words.push(rest[j]!);
    }
    specs = patternGiven ? words : words.slice(1);
  }
  if (specs.length === 0) return [dir ?? "."];
  return dir === undefined ? specs : [dir];
}

/**
 * The text of an interpreter's script file: what this command wrote to it, else the file on disk at
 * hook time (env.script, bounded), resolved from every directory an earlier `cd` may have moved
 * to. A name built at run time, a file an earlier part of the command names or may write without
 * naming (`cp x f`, `tar x`, `git checkout`) or a `cd` to somewhere unknown is a script built at
 * run time. A file that does not exist, is too large or cannot be read adds nothing.
 */
function interpreterScript(
  word: string,
  program: string,
  cmd: SimpleCommand,
  command: string,
  vars: ReadonlyMap<string, string>,
  env: Env,
  persisted: Carried,
): Script {
  const e = expandWord(word, vars, env);
  if (e.kind !== "path") return { texts: [], dynamic: false }; // the operand itself is checked
  const known = persisted.files.get(scriptKey(e.pattern));
  if (known) return known;
  // hookpack's own bundles (a brokered call runs `node <runtime>/hookpack.cjs exec …`; a command
  // with two brokered calls names the entry twice, which the check below took for a script an
  // earlier part may change): not agent code, as below.
  const own = process.argv[1] ? dirname(resolve(process.argv[1])) : undefined;
  if (
    own !== undefined &&
    e.pattern.startsWith("/") &&
    e.pattern.endsWith(".cjs") &&
    dirname(resolve(e.pattern)) === own
  )
    return { texts: [], dynamic: false };
  const base = e.pattern.replace(/\/+$/, "").split("/").pop() ?? "";
  const changed = (why: string): Script => ({
    texts: [],
    dynamic: true,
    why: `a script file (${e.pattern}) ${why}`,
  });
  if (
    persisted.touchedAll === "all" ||
    (base !== "" &&
      (persisted.touched ?? [command.slice(0, startOf(cmd))]).some((t) => t.includes(base)))
  )
    return changed("an earlier part of the command may change");
  const relative = !e.pattern.startsWith("/") && !e.pattern.startsWith("~");
  if (relative && persisted.dirsUnknown)
    return changed("run from a directory only known when the command runs");
  const dirs = relative ? (persisted.dirs ?? [env.cwd]) : [env.cwd];
  // node finds `x` as x.js, x.cjs, x.mjs or x/index.js too.
  const names =
    /^(node|nodejs|bun)$/.test(program) && !/\.[A-Za-z0-9]+$/.test(base)
      ? ["", ".js", ".cjs", ".mjs", "/index.js"].map((x) => e.pattern + x)
      : [e.pattern];
  const texts: string[] = [];
  // hookpack's own bundles, by a relative name: not agent code either.
  for (const d of dirs)
    for (const name of names) {
      const abs = resolve(d, name);
      if (own !== undefined && dirname(abs) === own && abs.endsWith(".cjs")) continue;
      const r = env.script!(abs);
      // More script files than the guard follows in one command: built at run time (fail closed).
      if ("why" in r && r.why.startsWith("more than")) return { texts, dynamic: true, why: r.why };
      // Larger than MAX_SCRIPT_BYTES (a bundled program), not a regular file, or unreadable: the
      // name is checked as a read, its code is not (README: what remains).
      if ("text" in r && r.text !== "") texts.push(r.text);
    }
  return { texts, dynamic: false };
}

/** The command without empty CDPATH / BASH_ENV / ENV assignments (`CDPATH= cd x`), which set nothing (as rules/state-paths.ts). */
const withoutEmptyStartupVars = (command: string): string =>
  /(?:CDPATH|ENV)=/.test(command)
    ? command.replace(/(^|[\s;&|(])(?:CDPATH|BASH_ENV|ENV)=(?:''|"")?(?=[\s;&|)]|$)/g, "$1")
    : command;

/**
 * After `cd DIR`/`pushd DIR`: the directories later commands may run in (a superset: every one
 * reached so far, order and subshells ignored). A target built at run time, `cd -`, `popd`, a bare
 * name CDPATH may send elsewhere (CDPATH in the command or the environment), or too many makes the
 * directory unknown.
 */
function trackDir(
  words: readonly string[],
  c: Carried,
  vars: ReadonlyMap<string, string>,
  env: Env,
  command: string,
): void {
  let k = 0;
  while (k < words.length && /^(builtin|command)$/.test(stripQuotes(words[k]!))) k++;
  const p = programName(stripQuotes(words[k] ?? ""));
  if (p !== "cd" && p !== "pushd" && p !== "popd") return;
  const rest = words.slice(k + 1).filter((w) => !/^(-[LPe@]+|--)$/.test(stripQuotes(w)));
  const dirs = c.dirs ?? [env.cwd];
  let target: string | undefined;
  if (p === "popd" || (p === "pushd" && rest.length === 0)) target = undefined;
  else if (rest.length === 0) target = env.home;
  else {
    const e = expandWord(rest[0]!, vars, env);
    const bare = !/^(\/|\.\.?(\/|$))/.test(e.pattern);
    // CDPATH, or a startup file a non-interactive shell runs first (BASH_ENV, ENV), which may set it.
    const cdpath =
      /CDPATH|BASH_ENV|\bENV=/.test(withoutEmptyStartupVars(command)) ||
      !!(process.env.CDPATH || process.env.BASH_ENV || process.env.ENV);
    if (e.kind === "path" && e.pattern !== "-" && !(bare && cdpath)) target = e.pattern;
  }
  if (target === undefined) {
    c.dirsUnknown = true;
    return;
  }
  const next = new Set(dirs);
  for (const d of dirs) next.add(resolve(d, target));
  if (next.size > 16) c.dirsUnknown = true;
  c.dirs = [...next].slice(0, 16);
}

/** A script a shell would read from a descriptor: literal texts, and whether part of it is built at run time. */
interface Script {
  texts: string[];
  dynamic: boolean;
  /** For a dynamic script: what made it unknown (default: "a script built at run time"). */
  why?: string;
}

/** What earlier commands of the same command line left for a later shell to run as its script. */
interface Carried {
  fds: Map<number, Script>;
  files: Map<string, Script>;
  /** The text of earlier commands that may write a file (not `[ -f x ]`, `echo`, `ls`…). */
  touched?: string[];
  /** An earlier command may write files it does not name (`tar x`, `git checkout`, a `$(…)` name), or `cd` moved. */
  touchedAll?: "all" | "cwd";
  /** The directories a later command may run in after a `cd` (trackDir); unknown after a dynamic one. */
  dirs?: string[];
  dirsUnknown?: boolean;
}

/** Programs that only read (without an output redirection they write no file). */
const READ_ONLY = new Set([
  "cat",
  "tac",
  "head",
  "tail",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "less",
  "more",
  "nl",
  "diff",
  "cmp",
  "source",
  ".",
]);
/** Programs that write files their words do not name. */
const WRITES_UNNAMED = new Set([
  "tar",
  "bsdtar",
  "unzip",
  "7z",
  "cpio",
  "git",
  "rsync",
  "patch",
  "wget",
  "curl",
  "ar",
  "unrar",
  "gunzip",
  "bunzip2",
  "unxz",
  "svn",
  "hg",
]);

/** What an earlier command could have done to a script file a later one runs. */
function noteWrites(cmd: SimpleCommand, words: readonly string[], command: string, c: Carried) {
  if (cmd.words.length === 0) return;
  const program = programName(stripQuotes(words[0] ?? ""));
  const writes = cmd.words.some(
    (w) => w.redirect && /^(>|>>|>\||&>|&>>|<>|>&)$/.test(w.redirectOp ?? ""),
  );
  if (/^(cd|pushd|popd)$/.test(program)) c.touchedAll ??= "cwd";
  if (WRITES_UNNAMED.has(program)) c.touchedAll = "all";
  if (!writes && (words.length === 0 || NON_READERS.has(program) || READ_ONLY.has(program))) return;
  const text = command.slice(startOf(cmd), Math.max(...cmd.words.map((w) => w.end)));
  if (/[$`*?{]/.test(text)) c.touchedAll = "all";
  (c.touched ??= []).push(text);
}

const scriptKey = (p: string) => p.replace(/^(\.\/)+/, "");

/** Script names that are a descriptor (`/dev/stdin`, `/dev/fd/3`, `/proc/$$/fd/0`, `-`). */
const FD_PATH = /^(?:\/dev\/stdin|\/dev\/fd\/(\d+)|\/proc\/[^/]+\/fd\/(\d+)|-)$/;

/**
 * Where a shell (or `source`) takes its script from when it is not a file: the descriptor, or the
 * process-substitution word. `undefined` when it runs `-c` or a script file (or `source FILE`).
 */
function stdinScriptFd(
  program: string,
  args: string[],
): { fd: number; word?: string; file?: string; noexec?: boolean; rest?: string[] } | undefined {
  let k = 0;
  let noexec = false;
  if (program !== "source") {
    for (; k < args.length; k++) {
      const a = stripQuotes(args[k]!);
      if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a) && !a.startsWith("--")) return undefined;
      if (a === "--") {
        k++;
        break;
      }
      // `bash -n f` reads the script without running a command of it.
      if (/^-[a-zA-Z]*n[a-zA-Z]*$/.test(a) && !a.startsWith("--")) noexec = true;
      if (/^-[a-zA-Z]*s[a-zA-Z]*$/.test(a)) return { fd: 0, noexec };
      if (/^[-+]O$|^[-+]o$|^--(rcfile|init-file)$/.test(a)) k++;
      else if (!/^[-+]/.test(a) || a === "-") break;
    }
  }
  const op = args[k];
  if (op === undefined) return program === "source" ? undefined : { fd: 0, noexec };
  if (op.startsWith("<(")) return { fd: -1, word: op, noexec };
  const m = FD_PATH.exec(stripQuotes(op));
  if (!m) return { fd: -1, file: op, noexec, rest: args.slice(k + 1) };
  return { fd: Number(m[1] ?? m[2] ?? 0), noexec };
}

/** A text a shell runs when it is executed by its path: a shell's `#!` line, or no `#!` and no NUL. */
function isShellScript(text: string): boolean {
  if (text === "") return false;
  if (text.startsWith("#!"))
    return /^#!\s*\S*\/(?:env\s+(?:-\S+\s+)*)?(?:ba|da|z|k|mk|a|busybox\s+)?sh\b/.test(text);
  return !text.slice(0, 4096).includes("\u0000");
}

/** Where a command starts in the command line (its first word). */
const startOf = (cmd: SimpleCommand) => Math.min(...cmd.words.map((w) => w.start));

/**
 * The script in a file a shell runs or reads on stdin (`bash f`, `. f`, `sh < f`, `cat f | sh`):
 * what this same command wrote to it, else its content on disk at hook time (env.script). A name
 * built at run time, a file that does not exist yet, one an earlier part of the command names
 * (`cp x f; bash f`: it may change before it runs), or one that cannot be read is a script built
 * at run time.
 */
function fileScript(
  word: string,
  cmd: SimpleCommand,
  command: string,
  vars: ReadonlyMap<string, string>,
  env: Env,
  persisted: Carried,
  runArgs?: readonly string[],
  sourced = false,
): Script {
  const e = expandWord(word, vars, env);
  if (e.kind !== "path")
    return { texts: [], dynamic: true, why: "a script file named at run time" };
  const known = persisted.files.get(scriptKey(e.pattern));
  if (known) return known;
  if (!env.script) return { texts: [], dynamic: false };
  const base = e.pattern.replace(/\/+$/, "").split("/").pop() ?? "";
  const relative = !e.pattern.startsWith("/") && !e.pattern.startsWith("~");
  // After a `cd` to directories known here (`cd build && bash ../build.sh`), a relative name is
  // read from each of them (sec-gaps6; it was a script built at run time); after one to somewhere
  // unknown it still is.
  const movedKnown =
    persisted.touchedAll === "cwd" && persisted.dirs !== undefined && !persisted.dirsUnknown;
  if (
    persisted.touchedAll === "all" ||
    (persisted.touchedAll === "cwd" && relative && !movedKnown) ||
    (base !== "" &&
      (persisted.touched ?? [command.slice(0, startOf(cmd))]).some((t) => t.includes(base)))
  )
    return {
      texts: [],
      dynamic: true,
      why: `a script file (${e.pattern}) an earlier part of the command may change`,
    };
  const texts: string[] = [];
  for (const d of relative && movedKnown ? persisted.dirs! : [undefined]) {
    const r = env.script(d === undefined ? e.pattern : resolve(d, e.pattern));
    if ("why" in r) return { texts: [], dynamic: true, why: r.why };
    if (d !== undefined && r.text === "") continue;
    let text =
      runArgs === undefined
        ? r.text
        : asRun(
            r.text,
            d === undefined ? e.pattern : resolve(d, e.pattern),
            runArgs,
            vars,
            env,
            sourced,
          );
    // It runs in the directory the `cd` moved to: its own names start there (a `cd` in front says so).
    if (d !== undefined && resolve(d) !== resolve(env.cwd)) text = `cd ${quoteWord(d)}\n${text}`;
    texts.push(text);
    if (text.includes("\r")) texts.push(text.replace(/\r/g, ""));
  }
  return { texts, dynamic: false };
}

/**
 * A script file's text as run with `args` (`bash f a b`, `. f a b`): where its own directory is
 * computed from `$0`/`BASH_SOURCE` (`$(dirname "$0")`, `$(cd "$(dirname "$0")" && pwd)`, `${0%/*}`),
 * the directory itself; a word that is exactly a positional parameter (`"$1"`, `$@`), when every
 * argument is a fixed word, an empty word: each argument is already checked as an operand of the
 * shell, so the script can only name one of them there.
 */
function asRun(
  text: string,
  path: string,
  args: readonly string[],
  vars: ReadonlyMap<string, string>,
  env: Env,
  sourced: boolean,
): string {
  const abs = path.startsWith("/") ? path : `${env.cwd.replace(/\/+$/, "")}/${path}`;
  const dir = abs.slice(0, abs.lastIndexOf("/")) || "/";
  let out = text;
  if (/^[A-Za-z0-9_./+@%:,=-]+$/.test(dir)) {
    // A sourced file's `$0` is its caller's: only BASH_SOURCE names the file then.
    const zero = sourced ? "" : String.raw`"\$0"|\$0|"\$\{0\}"|\$\{0\}|`;
    const self = String.raw`(?:${zero}"\$\{BASH_SOURCE(?:\[0\])?\}"|\$\{BASH_SOURCE(?:\[0\])?\})`;
    const dirOf = new RegExp(
      String.raw`\$\(\s*dirname\s+(?:--\s+)?${self}\s*\)|\$\{(?:${sourced ? "" : "0|"}BASH_SOURCE(?:\[0\])?)%/\*\}`,
      "g",
    );
    out = out.replace(dirOf, dir);
    const cdPwd = new RegExp(
      String.raw`\$\(\s*cd\s+(?:-P\s+)?(?:--\s+)?"?${dir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"?\s*(?:&?>\s*/dev/null\s*)?(?:2>&1\s*)?(?:&&|;)\s*pwd(?:\s+-P)?\s*\)`,
      "g",
    );
    out = out.replace(cdPwd, dir);
  }
  // `. f` without arguments keeps its caller's parameters (unknown below the top level).
  if ((!sourced || args.length > 0) && args.every((a) => expandWord(a, vars, env).kind === "path"))
    out = out.replace(
      /(^|[\s;&|(])("?)\$(?:[1-9@*]|\{[1-9@*]\})\2(?=[\s;&|)]|$)/gm,
      (_, lead: string) => `${lead}""`,
    );
  return out;
}

/** A here-document body as the shell passes it on (tabs of `<<-` stripped, an unquoted one expanded). */
function heredocScript(
  h: HeredocBody,
  command: string,
  vars: ReadonlyMap<string, string>,
  env: Env,
): Script {
  let body = command.slice(h.start, h.end);
  if (h.dash) body = body.replace(/^\t+/gm, "");
  if (h.quoted) return { texts: [body], dynamic: false };
  // Unquoted: expansions as in "…" (a `\` only escapes $ ` \ and a newline; a `"` is literal).
  const asDouble = body.replace(/\\([$`\\\n])|(\\)|(")/g, (m, e: string | undefined, b, q) =>
    e !== undefined ? m : b !== undefined ? "\\\\" : q !== undefined ? '\\"' : m,
  );
  const e = expandWord(`"${asDouble}"`, vars, env);
  if (e.kind === "path") return { texts: [e.pattern], dynamic: false };
  // Built at run time: the raw text is still analysed (its literal reads), and the rest is dynamic.
  return { texts: [body], dynamic: true };
}

/** What one command writes to stdout, when that is known before it runs (`echo`, `printf`, `cat <<EOF`). */
function producedBy(
  cmd: SimpleCommand,
  command: string,
  vars: ReadonlyMap<string, string>,
  env: Env,
  persisted: Carried = { fds: new Map(), files: new Map() },
): Script {
  const dyn: Script = { texts: [], dynamic: true };
  const words = argvOf(cmd).map((w) => command.slice(w.start, w.end));
  while (words.length > 0 && /^(command|builtin)$/.test(stripQuotes(words[0]!))) words.shift();
  const program = programName(stripQuotes(words[0] ?? ""));
  const literal = (ws: string[]): string[] | undefined => {
    const out: string[] = [];
    for (const w of ws) {
      const e = expandWord(w, vars, env);
      if (e.kind !== "path") return undefined;
      out.push(e.pattern);
    }
    return out;
  };
  if (program === "true" || program === ":") return { texts: [], dynamic: false };
  if (program === "echo") {
    let k = 1;
    while (k < words.length && /^-[neE]+$/.test(stripQuotes(words[k]!))) k++;
    const parts = literal(words.slice(k));
    return parts ? { texts: [parts.join(" ")], dynamic: false } : dyn;
  }
  if (program === "printf") {
    const parts = literal(words.slice(1));
    if (!parts || parts.length !== 1 || /%(?!%)/.test(parts[0]!)) return dyn;
    return { texts: [parts[0]!.replace(/%%/g, "%")], dynamic: false };
  }
  if (program === "cat" && words.slice(1).every((w) => stripQuotes(w) === "-"))
    return fdScript(cmd, 0, command, vars, env, persisted);
  // `cat f … | sh`: the files' content (a `-` among them is cat's own stdin).
  if (program === "cat" && words.slice(1).every((w) => !/^-./.test(stripQuotes(w)))) {
    const out: Script = { texts: [], dynamic: false };
    for (const w of words.slice(1)) {
      const s =
        stripQuotes(w) === "-"
          ? fdScript(cmd, 0, command, vars, env, persisted)
          : fileScript(w, cmd, command, vars, env, persisted);
      out.texts.push(...s.texts);
      if (s.dynamic) {
        out.dynamic = true;
        out.why ??= s.why;
      }
    }
    return out;
  }
  return dyn;
}

/** Everything a command reads on descriptor `fd` that could be a script. */
function fdScript(
  cmd: SimpleCommand,
  fd: number,
  command: string,
  vars: ReadonlyMap<string, string>,
  env: Env,
  persisted: Carried,
  substitution?: string,
  seen: ReadonlySet<number> = new Set(),
): Script {
  const texts: string[] = [];
  let dynamic = false;
  let why: string | undefined;
  let given = false;
  const take = (s: Script) => {
    texts.push(...s.texts);
    dynamic ||= s.dynamic;
    if (s.dynamic) why ??= s.why;
  };
  const subst = (word: string) => {
    // `<(…)`: the output of the list inside.
    const inner = word.slice(2, word.endsWith(")") ? -1 : undefined);
    const scan = scanShell(inner);
    const top = scan.commands.filter((c) => c.level === 0);
    if (top.length === 1 && scan.commands.length === 1 && !top[0]!.pipeFrom)
      take(producedBy(top[0]!, inner, vars, env));
    else dynamic = true;
  };
  if (substitution !== undefined) subst(substitution);
  else {
    for (const h of cmd.heredocBodies ?? [])
      if (h.fd === fd) {
        given = true;
        take(heredocScript(h, command, vars, env));
      }
    for (const w of cmd.words) {
      if (!w.redirect || (w.redirectFd ?? 0) !== fd) continue;
      const raw = command.slice(w.start, w.end);
      if (/^[<>]/.test(w.redirectOp ?? "") || /^[<>]&$/.test(w.redirectOp ?? "")) given = true;
      if (w.redirectOp === "<&" || w.redirectOp === ">&") {
        // `bash 0<&3 3<<EOF`, `exec 3< f; bash <&3`: fd is a copy of another descriptor.
        const from = stripQuotes(raw);
        if (/^\d+$/.test(from) && Number(from) !== fd && !seen.has(Number(from)))
          take(
            fdScript(
              cmd,
              Number(from),
              command,
              vars,
              env,
              persisted,
              undefined,
              new Set([...seen, fd]),
            ),
          );
        else if (!/^(\d+|-)$/.test(from)) take({ texts: [], dynamic: true });
      } else if (w.redirectOp === "<<<") {
        const e = expandWord(raw, vars, env);
        if (e.kind === "path") texts.push(e.pattern);
        else take({ texts: [raw.replace(/^(['"])(.*)\1$/s, "$2")], dynamic: true });
      } else if ((w.redirectOp === "<" || w.redirectOp === "<>") && raw.startsWith("<("))
        subst(raw);
      else if (w.redirectOp === "<" || w.redirectOp === "<>")
        // `< file`: the file is checked as a read, and its content as the script (as `bash file`).
        take(fileScript(raw, cmd, command, vars, env, persisted));
    }
    if (fd === 0 && cmd.pipeFrom) {
      given = true;
      if (cmd.pipeFromGroup) dynamic = true;
      else take(producedBy(cmd.pipeFrom, command, vars, env, persisted));
    }
    const kept = persisted.fds.get(fd);
    if (kept) {
      given = true;
      take(kept);
    }
    // Nothing of its own on stdin: what the shell around this script was given (`bash -c bash <<EOF`).
    if (fd === 0 && !given && env.stdin) take(env.stdin);
  }
  // Variants the shell may run: `echo`/`printf` escapes decoded, CRs of a CRLF text dropped.
  for (const t of [...texts]) {
    if (t.includes("\\")) texts.push(ansiC(t));
    if (t.includes("\r")) texts.push(t.replace(/\r/g, ""));
  }
  return {
    texts: [...new Set(texts)].filter((t) => t.trim() !== ""),
    dynamic,
    ...(why !== undefined ? { why } : {}),
  };
}

/** A word that the shell reads back as `s` (single-quoted). */
const quoteWord = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** Quote removal for a program name (`"cat"` → cat); expansions are left as they are. */
function stripQuotes(w: string): string {
  return w.replace(/^(['"])(.*)\1$/s, "$2").replace(/\\(.)/g, "$1");
}

function dedupe(ops: ReadOperand[]): ReadOperand[] {
  const seen = new Set<string>();
  return ops.filter((o) => {
    const k = `${o.kind}\u0000${o.word}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A call the push/publish gate must scan before it runs. */
export type GatedCall =
  | {
      kind: "git-push";
      cwd: string;
      args: string[];
      config: string[];
      env?: Record<string, string>;
    }
  | { kind: "npm-publish"; cwd: string; tool: string; verb: "publish" | "pack"; args: string[] }
  | { kind: "unknown"; why: string };

/** git subcommands that never send anything anywhere (a `git p` alias is looked up, these are not). */
const GIT_LOCAL = new Set([
  "status",
  "diff",
  "log",
  "add",
  "commit",
  "show",
  "branch",
  "checkout",
  "switch",
  "fetch",
  "pull",
  "merge",
  "rebase",
  "reset",
  "stash",
  "tag",
  "remote",
  "config",
  "rev-parse",
  "ls-files",
  "init",
  "clone",
  "restore",
  "rm",
  "mv",
  "blame",
  "grep",
  "cherry-pick",
  "describe",
  "worktree",
  "submodule",
  "apply",
  "am",
  "format-patch",
  "reflog",
  "clean",
  "bisect",
  "notes",
  "shortlog",
  "cat-file",
  "for-each-ref",
  "symbolic-ref",
  "update-index",
  "hash-object",
  "ls-tree",
  "ls-remote",
  "rev-list",
  "version",
  "help",
  "revert",
  "gc",
  "fsck",
  "var",
  "check-ignore",
  "whatchanged",
]);
/** git's global options that take a value as the next word. */
const GIT_VALUE_OPTS = new Set([
  "-c",
  "-C",
  "--git-dir",
  "--work-tree",
  "--namespace",
  "--exec-path",
  "--config-env",
  "--super-prefix",
]);
const PACKAGERS = new Set(["npm", "pnpm", "yarn", "bun"]);

/**
 * The `git push` and `npm publish`/`npm pack` calls of a command, however they are spelled (`git -c
 * core.hooksPath= push`, `--no-verify`, through `bash -c`, `env`, a variable, a git alias set in the
 * same command), with the directory each runs in. A call whose program or verb cannot be known
 * before it runs while it could be one of these is `unknown`.
 */
export function gatedCalls(command: string, env: Env, depth = 0): GatedCall[] {
  const out: GatedCall[] = [];
  const scan = scanShell(command);
  const raw = (w: Word) => command.slice(w.start, w.end);
  const vars = new Map<string, string>();
  let cwd = env.cwd;
  const expand = (w: string) => expandWord(w, vars, { home: env.home, cwd });
  const resolveDir = (d: string) => (d.startsWith("/") ? d : `${cwd.replace(/\/+$/, "")}/${d}`);
  const aliases = new Map<string, string>();
  // GIT_* variables git would see (which repository, work tree, config): exported earlier in the
  // command, or given to this one call as a prefix or through `env`. (gates: git push elsewhere)
  const exported: Record<string, string> = {};
  let unresolvedGitEnv: string | undefined;
  const gitVar = (word: string, into: Record<string, string>) => {
    const m = /^(GIT_[A-Z_]+)=(.*)$/s.exec(word);
    if (!m) return;
    const e = expand(m[2]!);
    if (e.kind === "path")
      into[m[1]!] =
        /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY)$/.test(m[1]!) &&
        !e.pattern.startsWith("/")
          ? resolveDir(e.pattern)
          : e.pattern;
    else unresolvedGitEnv = m[1]!;
  };
  for (const cmd of scan.commands) {
    const callEnv: Record<string, string> = { ...exported };
    const hasArgv = argvOf(cmd).length > 0;
    for (const w of cmd.words) {
      if (!w.assignment) continue;
      if (hasArgv) gitVar(raw(w), callEnv);
      remember(raw(w), vars, { home: env.home, cwd });
    }
    const words = argvOf(cmd).map(raw);
    if (/^(export|declare|typeset|local|readonly)$/.test(programName(stripQuotes(words[0] ?? ""))))
      for (const w of words.slice(1)) gitVar(w, exported);
    let i = 0;
    while (i < words.length) {
      const name = programName(stripQuotes(words[i]!));
      if (!WRAPPERS.has(name) && name !== "xargs") break;
      i++;
      while (
        i < words.length &&
        (words[i]!.startsWith("-") ||
          (name === "env" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) ||
          (name === "timeout" && /^\d/.test(words[i]!)))
      ) {
        if (name === "env") gitVar(words[i]!, callEnv);
        i += WRAPPER_VALUE_OPT.test(words[i]!) ? 2 : 1;
      }
    }
    if (i >= words.length) continue;
    const argv = words.slice(i).map(expand);
    const text = argv.map((a) => a.pattern);
    const program = programName(text[0]!);
    if (program === "gh") {
      // `gh pr create` pushes the current branch before it opens the pull request; `gh repo create --push` pushes too.
      if (argv.slice(1, 3).some((a) => a.kind === "dynamic"))
        out.push({
          kind: "unknown",
          why: `the gh command \`${words.slice(i).join(" ")}\` is only known when it runs`,
        });
      else if (
        (text[1] === "pr" && text[2] === "create") ||
        (text[1] === "repo" && text[2] === "create" && text.includes("--push"))
      )
        out.push({
          kind: "git-push",
          cwd,
          args: [],
          config: [],
          ...(Object.keys(callEnv).length > 0 ? { env: callEnv } : {}),
        });
      continue;
    }
    const pushy = text.some((t) => /^(push|publish|pack|send-pack)$/.test(t));
    if (argv[0]!.kind === "dynamic") {
      if (pushy)
        out.push({
          kind: "unknown",
          why: `the program \`${words[i]}\` is only known when the command runs`,
        });
      continue;
    }
    if (program === "cd" && argv[1]?.kind === "path") cwd = resolveDir(argv[1].pattern);
    if (depth < 3 && (SHELLS.has(program) || program === "eval")) {
      const at =
        program === "eval" ? 1 : text.findIndex((t, k) => k > 0 && /^-[a-z]*c$/.test(t)) + 1;
      if (at > 0 && at < text.length) {
        const script = program === "eval" ? text.slice(1).join(" ") : text[at]!;
        if (argv.slice(at).some((a) => a.kind === "dynamic")) {
          if (/push|publish|pack|\$|`/.test(script))
            out.push({
              kind: "unknown",
              why: `the script given to ${program} is only known when the command runs`,
            });
        } else out.push(...gatedCalls(script, { home: env.home, cwd }, depth + 1));
      }
      continue;
    }
    if (program === "git") {
      let k = 1;
      const config: string[] = [];
      let dir = cwd;
      while (k < text.length && text[k]!.startsWith("-")) {
        const opt = text[k]!.replace(/=.*$/s, "");
        const inline = text[k]!.includes("=") && text[k]!.startsWith("--");
        const value = inline ? text[k]!.slice(text[k]!.indexOf("=") + 1) : text[k + 1];
        if (opt === "-c" && value !== undefined) config.push(value);
        if (opt === "-C" && value !== undefined)
          dir = value.startsWith("/") ? value : `${dir.replace(/\/+$/, "")}/${value}`;
        if (opt === "--git-dir" && value !== undefined)
          callEnv.GIT_DIR = value.startsWith("/") ? value : `${dir.replace(/\/+$/, "")}/${value}`;
        if (opt === "--work-tree" && value !== undefined)
          callEnv.GIT_WORK_TREE = value.startsWith("/")
            ? value
            : `${dir.replace(/\/+$/, "")}/${value}`;
        k += GIT_VALUE_OPTS.has(opt) && !inline ? 2 : 1;
      }
      const sub = text[k];
      if (sub === undefined) continue;
      if (argv[k]!.kind === "dynamic") {
        out.push({
          kind: "unknown",
          why: `the git subcommand \`${words[i + k]}\` is only known when the command runs`,
        });
        continue;
      }
      // An alias set in this command (git config alias.p push; git -c alias.p=push p).
      if (sub === "config") {
        const m = text.slice(k + 1).filter((t) => !t.startsWith("-"));
        if (/^alias\./.test(m[0] ?? "") && m[1] !== undefined) aliases.set(m[0]!.slice(6), m[1]);
      }
      for (const c of config) {
        const m = /^alias\.([^=]+)=(.*)$/s.exec(c);
        if (m) aliases.set(m[1]!, m[2]!);
      }
      const alias = aliases.get(sub);
      const isPush =
        sub === "push" ||
        sub === "send-pack" ||
        (alias !== undefined && /(^|\s|!)(git\s+)?push\b/.test(alias));
      const withEnv = Object.keys(callEnv).length > 0 ? { env: callEnv } : {};
      const pushes = isPush || (alias === undefined && !GIT_LOCAL.has(sub) && !sub.startsWith("-"));
      if (pushes && unresolvedGitEnv)
        out.push({
          kind: "unknown",
          why: `${unresolvedGitEnv} is only known when the command runs`,
        });
      else if (isPush)
        out.push({ kind: "git-push", cwd: dir, args: text.slice(k + 1), config, ...withEnv });
      else if (alias !== undefined && /push|publish/.test(alias))
        out.push({ kind: "unknown", why: `the git alias \`${sub}\`` });
      else if (!GIT_LOCAL.has(sub) && !sub.startsWith("-"))
        out.push({
          kind: "git-push",
          cwd: dir,
          args: ["--hookpack-alias", sub],
          config,
          ...withEnv,
        });
      continue;
    }
    if (PACKAGERS.has(program)) {
      const rest = text.slice(1).filter((t) => !t.startsWith("-"));
      const verb = rest[0] === "npm" && program === "yarn" ? rest[1] : rest[0];
      if (verb === "publish" || verb === "pack")
        out.push({ kind: "npm-publish", cwd, tool: program, verb, args: text.slice(1) });
      else if (argv.slice(1).some((a) => a.kind === "dynamic") && /publish|pack/.test(command))
        out.push({
          kind: "unknown",
          why: `the ${program} command is only known when the command runs`,
        });
    }
  }
  return out;
}
