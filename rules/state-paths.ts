// Does a shell command reach hookpack's own directory ($HOOKPACK_HOME: store, key, grants, audit
// log, runtime)? Text matching of command words is not enough (globs, `~`, variables, symlinks,
// `bash -c`), so every word of every simple command (nested ones and `sh -c` scripts included) is
// resolved through the one shell parser: a static path is resolved with its symlinks; a glob is
// matched against the file system; a path-like word with a part the shell fills in at run time
// (`~/$d/store.key`, `$HOME/.h*`) is denied when its static parts could lead into the directory.
// This is a text check made as sound as a shell allows, not a boundary (README: what needs an OS sandbox).
import { readdirSync, realpathSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { scanShell, type ScanResult, type Word } from "./shell-scan.js";
import { programOf } from "./secret-refs.js";
import { INTERPRETER, mayChangeDir } from "./state-words.js";

const DYN = "\u0001";
const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "busybox"]);

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** real() answers for the command being checked (reset by each top-level reachesHome). */
const reals = new Map<string, string>();
function real(path: string): string {
  let r = reals.get(path);
  if (r === undefined) {
    if (reals.size >= 4096) reals.clear();
    r = realUncached(path);
    reals.set(path, r);
  }
  return r;
}

function realUncached(path: string): string {
  // Longer than PATH_MAX: no system call resolves it (ENAMETOOLONG), so no symlink in it is followed.
  if (path.length > 4096) return path;
  // The longest existing prefix, resolved (a symlink to the home counts), plus the rest.
  let p = path;
  const rest: string[] = [];
  for (let i = 0; i < 64; i++) {
    try {
      return join(realpathSync(p), ...rest.reverse());
    } catch {
      const up = resolve(p, "..");
      if (up === p) return path;
      rest.push(p.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
      p = up;
    }
  }
  return path;
}

const globRe = (segment: string) =>
  new RegExp(
    `^${[...segment]
      .map((c) =>
        c === "*"
          ? "[^/]*"
          : c === "?"
            ? "[^/]"
            : c === DYN
              ? "[^/]*"
              : c.replace(/[.+^${}()|\\\\[\]]/g, "\\$&"),
      )
      .join("")}$`,
  );

/** Paths a glob word can name now (bounded); `[` classes are treated as `?`. */
export function expandGlob(pattern: string, cwd: string, dotted = true): string[] {
  const abs = isAbsolute(pattern) ? pattern : join(cwd, pattern);
  const parts = abs.split("/").filter(Boolean);
  let current = ["/"];
  for (const part of parts) {
    const next: string[] = [];
    if (!/[*?[]/.test(part) && !part.includes(DYN)) {
      for (const c of current) next.push(join(c, part));
    } else {
      const re = globRe(part.replace(/\[[^\]]*\]/g, "?"));
      for (const c of current) {
        let entries: string[] = [];
        try {
          entries = readdirSync(c);
        } catch {
          continue;
        }
        // Without dotglob a glob part matches a leading dot only when it starts with one itself.
        for (const e of entries)
          if (re.test(e) && (dotted || !e.startsWith(".") || part.startsWith(".")))
            next.push(join(c, e));
      }
    }
    current = next.slice(0, 2000);
    if (current.length === 0) break;
  }
  return current;
}

export interface StateContext {
  home: string;
  cwd: string;
  /** The user's home directory, for `~`. */
  userHome: string;
  /** CDPATH as the command's shell inherits it (default: this process's environment). */
  cdpath?: string;
  /** BASH_ENV (or ENV) as the command's shell inherits it (default: this process's environment). */
  startupFile?: string;
}

/** One parse per command text: cwdsOf, reachesHome (once per directory) and the rest share it. */
const parses = new Map<string, ScanResult>();
function scanned(command: string): ScanResult {
  let scan = parses.get(command);
  if (scan === undefined) {
    if (parses.size >= 8) parses.clear();
    scan = scanShell(command);
    parses.set(command, scan);
  }
  return scan;
}

/** The command may make globs match names with a leading dot. */
export const DOTGLOB = /dotglob|GLOBIGNORE|globdots|GLOB_DOTS/;
/** A word that is a glob as written: no quotes, no expansions. */
const PLAIN_WORD = /^[\w.\-*?[\]/]*$/;
const plainGlob = (raw: string) => PLAIN_WORD.test(raw) && /[*?[]/.test(raw);
const CD_TOKEN = /(^|[^\w.-])(cd|pushd|popd)(?![\w.-])/g;
const CD_PROGRAMS = new Set(["cd", "pushd", "popd"]);
/** Programs that remove, move, change or overwrite what they are given (or what a name leads to). */
const DESTRUCTIVE = new Set([
  ...["rm", "rmdir", "mv", "cp", "tee", "truncate", "ln", "install", "chmod", "chown", "unlink"],
  ...["shred", "rsync", "dd", "find", "tar", "git", "touch", "mkdir", "chattr", "setfacl", "xargs"],
]);

/** The command without empty CDPATH / BASH_ENV / ENV assignments (`CDPATH= cd x`), which set nothing. */
export const withoutEmptyStartupVars = (command: string): string =>
  /(?:CDPATH|ENV)=/.test(command)
    ? command.replace(/(^|[\s;&|(])(?:CDPATH|BASH_ENV|ENV)=(?:''|"")?(?=[\s;&|)]|$)/g, "$1")
    : command;

/**
 * The directories each simple command of `command` may run in: the session's cwd and every `cd` /
 * `pushd` target, applied to each such directory in turn (order and subshells ignored: a superset).
 * `unknown` when a target cannot be known here (`cd "$X"`, `cd -`, a `popd` with no `pushd`,
 * CDPATH, too many directories): a relative path may then start anywhere.
 */
export function cwdsOf(command: string, ctx: StateContext): { cwds: string[]; unknown: boolean } {
  if (!mayChangeDir(command)) return { cwds: [ctx.cwd], unknown: false };
  const scan = scanned(command);
  const targets: string[] = [];
  // CDPATH, BASH_ENV or ENV in the command (`BASH_ENV=f bash -c 'cd x …'`), or BASH_ENV / ENV
  // inherited (sec-gaps6): a non-interactive bash runs $BASH_ENV first (sh and dash $ENV), a file
  // that may set CDPATH or define a `cd` function, so where a `cd` goes is not known here.
  // An empty assignment (`BASH_ENV= bash …`, `CDPATH= cd x`) sets nothing and does not count
  // (sec-gaps7); an empty inherited value is not set either.
  let unknown =
    /CDPATH|BASH_ENV|\bENV=|\beval\b/.test(withoutEmptyStartupVars(command)) ||
    (ctx.startupFile !== undefined
      ? ctx.startupFile !== ""
      : !!(process.env.BASH_ENV || process.env.ENV));
  const cdpath = (ctx.cdpath ?? process.env.CDPATH ?? "").split(":").filter((e) => e !== "");
  let pushd = false;
  let seen = 0;
  const target = (w: Word | undefined) => {
    if (w === undefined) return;
    const raw = command.slice(w.start, w.end);
    let text = w.value ?? w.shape;
    if (/^--[a-z-]+=/.test(raw)) text = text.slice(text.indexOf("=") + 1);
    const lead = raw.replace(/^--[a-z-]+=/, "");
    if (lead.startsWith("~/") || lead === "~") text = ctx.userHome + text.slice(1);
    else if (text.startsWith(DYN) && /^"?\$\{?HOME\}?"?(\/|$)/.test(lead))
      text = ctx.userHome + text.slice(1);
    else if (text.startsWith(DYN) && /^"?\$\{?HOOKPACK_HOME\}?"?(\/|$)/.test(lead))
      text = ctx.home + text.slice(1);
    if (text === "-" || text.startsWith("+") || text.includes(DYN) || /^~[^/]/.test(lead)) {
      unknown = true;
      return;
    }
    const globbed = /[*?[]/.test(lead.replace(/'[^']*'|"[^"]*"/g, ""));
    targets.push(globbed ? DYN + text : text);
    // CDPATH inherited from the environment (the agent's, which its shells and this hook share):
    // `cd NAME` may go to ENTRY/NAME for every entry (CDPATH in the command text is unknown above).
    if (cdpath.length > 0 && !/^(\/|\.\.?(\/|$))/.test(text))
      for (const entry of cdpath) targets.push((globbed ? DYN : "") + join(entry, text));
  };
  for (const c of scan.commands) {
    const info = programOf(c);
    // A program the shell fills in at run time (`$X ..` with X=cd): it may change directory.
    const first = c.words.find((w) => !w.assignment && !w.redirect);
    if (first !== undefined && first.value === undefined) unknown = true;
    // `env -C dir`, `tar -C dir`, `git -C dir`, `make -C dir`, `--chdir=dir`, `--directory dir`:
    // a program run elsewhere (a superset: every such word counts as a directory).
    const all = c.words.filter((w) => !w.redirect);
    all.forEach((w, k) => {
      const v = command.slice(w.start, w.end);
      if (v === "-C" || v === "--chdir" || v === "--directory") target(all[k + 1]);
      else if (/^--(chdir|directory)=/.test(v)) target(w);
    });
    if (!info.program || !CD_PROGRAMS.has(info.program)) continue;
    seen++;
    if (info.program === "pushd") pushd = true;
    const args = info.args.slice();
    while (args.length > 0 && /^-[A-Za-z@]+$/.test(args[0]!.value ?? "")) args.shift();
    if (args[0]?.value === "--") args.shift();
    if (info.program === "popd") {
      if (!pushd) unknown = true;
      continue;
    }
    if (args.length === 0) {
      if (info.program === "pushd") unknown = true;
      else targets.push(ctx.userHome);
      continue;
    }
    target(args[0]);
  }
  // A `cd` the parser did not see as a command (in a string run later, `$(echo cd)`): unknown.
  if ([...command.replace(/['"\\]/g, "").matchAll(CD_TOKEN)].length > seen) unknown = true;
  let cwds = new Set([ctx.cwd]);
  // Many directories (a padded command): relative paths may start anywhere.
  if (targets.length > 32) return { cwds: [ctx.cwd], unknown: true };
  for (let round = 0; round < targets.length; round++) {
    const next = new Set(cwds);
    for (const from of cwds)
      for (const t of targets)
        if (t.startsWith(DYN))
          for (const p of expandGlob(t.slice(1), from).slice(0, 16)) next.add(p);
        else next.add(resolve(from, t));
    if (next.size > 64) {
      unknown = true;
      break;
    }
    if (next.size === cwds.size) break;
    cwds = next;
  }
  return { cwds: [...cwds], unknown };
}

/**
 * After a `cd` to somewhere unknown: could the relative path `text` (globs allowed), started from
 * some directory, name the home, a file in it, or a directory that holds it? True when it is `.`,
 * climbs (`..`), or its parts match consecutive parts of the home's path.
 */
export function relativeCouldReach(text: string, home: string, dotted: boolean): boolean {
  const parts = text.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0 || parts.includes("..")) return true;
  const homeParts = home.split("/").filter(Boolean);
  for (let j = 0; j < homeParts.length; j++) {
    let ok = true;
    for (let k = 0; k < parts.length && j + k < homeParts.length; k++)
      if (
        !globRe(parts[k]!.replace(/\[[^\]]*\]/g, "?")).test(homeParts[j + k]!) ||
        (!dotted && homeParts[j + k]!.startsWith(".") && !parts[k]!.startsWith("."))
      )
        ok = false;
    if (ok) return true;
  }
  return false;
}

/** The first word that could reach `ctx.home`, with why; undefined when none can. */
export function reachesHome(command: string, ctx: StateContext, depth = 0): string | undefined {
  if (depth === 0) reals.clear();
  const { cwds, unknown } = cwdsOf(command, ctx);
  for (const cwd of cwds) {
    const hit = reachesFrom(command, { ...ctx, cwd }, depth);
    if (hit) return hit;
  }
  if (unknown) {
    // A `cd` to a directory not known here: a relative path a destructive program is given (or a
    // redirection writes) may start anywhere, the home's parents included.
    const home = real(resolve(ctx.home));
    for (const c of scanned(command).commands) {
      const info = programOf(c);
      const destructive = info.program !== undefined && DESTRUCTIVE.has(basename(info.program));
      for (const w of c.words) {
        if (!destructive && !(w.redirect && w.redirectOp !== "<" && w.redirectOp !== "<<<"))
          continue;
        if (w.assignment) continue;
        const raw = command.slice(w.start, w.end);
        const text = plainGlob(raw) ? raw : (w.value ?? w.shape);
        if (text === info.program || text.startsWith("-") || raw.startsWith("~")) continue;
        if (text.startsWith("/") || text.includes(DYN)) continue;
        const dotted = DOTGLOB.test(command);
        if (
          relativeCouldReach(text, home, dotted) ||
          relativeCouldReach(text, resolve(ctx.home), dotted)
        )
          return raw;
      }
    }
  }
  return undefined;
}

function reachesFrom(command: string, ctx: StateContext, depth: number): string | undefined {
  const home = real(resolve(ctx.home));
  const scan: ScanResult = scanned(command);
  for (const c of scan.commands) {
    for (const w of c.words) {
      const raw = command.slice(w.start, w.end);
      if (/\$\{?HOOKPACK_HOME\b/.test(raw)) return raw;
      let text = w.value ?? w.shape;
      if (w.assignment) text = text.slice(text.indexOf("=") + 1);
      if (text.startsWith("of=") || text.startsWith("if=")) text = text.slice(3);
      if (/^--[a-z-]+=/.test(text)) text = text.slice(text.indexOf("=") + 1);
      // `~` is expanded by bash only when unquoted, but a quoted `~` is no path to the home either way.
      if (raw.startsWith("~")) text = ctx.userHome + text.slice(1);
      if (text.startsWith(`${DYN}/`) && /^"?\$\{?HOME\b/.test(raw))
        text = ctx.userHome + text.slice(1);
      if (!text.includes("/") && !text.includes(DYN) && !/[*?[]/.test(raw)) {
        // A bare name: relative to cwd (e.g. `cd ~; cat .hookpack/store.key` is caught by the `.hookpack` word).
        if (inside(home, real(resolve(ctx.cwd, text))) && text !== "" && text !== ".") return raw;
        continue;
      }
      const dynamic = text.includes(DYN);
      const globbing = /[*?[]/.test(raw.replace(/'[^']*'|"[^"]*"/g, ""));
      if (!dynamic && !globbing) {
        if (inside(home, real(resolve(ctx.cwd, text)))) return raw;
        continue;
      }
      // A glob the scanner reports as an expansion (`*`, `hookpack-*`): matched as written.
      if (globbing && dynamic && plainGlob(raw))
        for (const p of expandGlob(raw, ctx.cwd, DOTGLOB.test(command)))
          if (inside(home, real(p))) return raw;
      if (globbing && !dynamic) {
        for (const p of expandGlob(text, ctx.cwd)) if (inside(home, real(p))) return raw;
        continue;
      }
      // A part filled in at run time: deny when the static parts could lead into the home.
      if ((text.includes("/") || globbing) && couldLead(text, home, ctx.cwd)) return raw;
    }
    const info = programOf(c);
    // Programs that delete inside a directory they are given or run in, without naming the home:
    // `git clean` (its `-C` directory or the cwd), `find <dirs> … -delete / -exec …`.
    const argv = info.args.map((a) => {
      const raw = command.slice(a.start, a.end);
      const text = a.value ?? a.shape;
      if (raw === "~" || raw.startsWith("~/")) return ctx.userHome + text.slice(1);
      if (text.startsWith(DYN) && /^"?\$\{?HOME\}?"?(\/|$)/.test(raw))
        return ctx.userHome + text.slice(1);
      return text;
    });
    const holdsHome = (dir: string) =>
      !dir.includes(DYN) && inside(real(resolve(ctx.cwd, dir)), home);
    if (info.program === "git" && argv.includes("clean")) {
      const at = argv.indexOf("-C");
      if (holdsHome(at === -1 ? "." : (argv[at + 1] ?? "."))) return "git clean";
    }
    if (
      info.program === "find" &&
      argv.some((a) => /^-(delete|exec|execdir|ok|okdir|fprint|fls|fprintf)$/.test(a))
    ) {
      const starts = argv.slice(
        0,
        Math.max(
          0,
          argv.findIndex((a) => /^[-!(]/.test(a)),
        ),
      );
      if ((starts.length === 0 ? ["."] : starts).some(holdsHome)) return "find";
    }
    // `bash -c '<script>'`: the script is a command too.
    if (depth < 3 && info.program !== undefined && SHELLS.has(info.program)) {
      const i = info.args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a.value ?? ""));
      const script = i === -1 ? undefined : info.args[i + 1];
      if (script?.value !== undefined) {
        const hit = reachesHome(script.value, ctx, depth + 1);
        if (hit) return hit;
      } else if (script) {
        return command.slice(script.start, script.end);
      }
    }
  }
  return undefined;
}

/**
 * Could a path with parts filled in at run time name the home or a file in it? Its static prefix
 * (up to the first such part) must then be a prefix of the home's path, or lie inside it. A word
 * that starts with an unknown variable (`"$dir/x"`) cannot be resolved and is let through: only
 * `$HOME`, `~` and `$HOOKPACK_HOME` are known here (README: what remains).
 */
function couldLead(pattern: string, home: string, cwd: string): boolean {
  if (pattern.startsWith(DYN)) return false;
  const abs = isAbsolute(pattern) ? pattern : join(cwd, pattern);
  const at = [abs.indexOf(DYN), abs.search(/[*?[]/)].filter((i) => i !== -1);
  const cut = at.length === 0 ? -1 : Math.min(...at);
  const prefix = cut === -1 ? abs : abs.slice(0, cut);
  return (
    home.startsWith(prefix) ||
    inside(home, real(prefix.endsWith("/") ? prefix.slice(0, -1) || "/" : resolve(prefix, "..")))
  );
}

const INTERPRETER_PROGRAM =
  /^(python[0-9.]*|pypy[0-9]*|node|nodejs|perl|ruby|php|deno|bun|lua[0-9.]*|tclsh|Rscript|osascript)$/;
/** Calls that remove, move, change or write files, or run another program, in those languages. */
const CODE_WRITES =
  /rmtree|remove|unlink|rmdir|\brm(_rf|_r|_f|Sync|dir|dirSync)?\b|rename|truncate|write|open|chmod|chown|symlink|link|copy|move|\bmv\b|FileUtils|delete|system|exec|spawn|popen|subprocess|child_process|Deno\.|File\.|Dir\.|glob|put_contents|`|\$\(|qx/;

/**
 * Interpreter code on the command line that names hookpack's home (its path, its name, `~` or
 * `$HOME` with its name, `HOOKPACK_HOME`) and calls an API that deletes or writes: a conservative
 * look at the text, not a reading of the language. Returns the interpreter's word when it does.
 */
export function interpreterReachesHome(command: string, ctx: StateContext): string | undefined {
  if (!INTERPRETER.test(command)) return undefined;
  const home = resolve(ctx.home);
  const names = new Set([home, real(home), ".hookpack"]);
  for (const h of [home, real(home)]) {
    names.add(basename(h));
    const rel = relative(resolve(ctx.userHome || "/"), h);
    if (ctx.userHome && rel && !rel.startsWith("..") && !isAbsolute(rel))
      names.add(rel.split(sep)[0]!);
  }
  const token = (code: string, name: string) => {
    for (let at = code.indexOf(name); at !== -1; at = code.indexOf(name, at + 1)) {
      const before = code[at - 1] ?? " ";
      const after = code[at + name.length] ?? " ";
      if (!/[A-Za-z0-9_-]/.test(before) && !/[A-Za-z0-9_-]/.test(after)) return true;
    }
    return false;
  };
  for (const c of scanned(command).commands) {
    const info = programOf(c);
    if (!info.program || !INTERPRETER_PROGRAM.test(basename(info.program))) continue;
    // The code: the whole command as written (a quoted script, a `-e` value, `deno eval …`, a
    // here-document or a pipe it reads, a variable set before it that holds the code).
    const code = command;
    if (!CODE_WRITES.test(code)) continue;
    if (code.includes("HOOKPACK_HOME") || [...names].some((n) => n !== "" && token(code, n)))
      return info.program;
  }
  return undefined;
}
