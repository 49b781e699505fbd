// hookpack's own directory ($HOOKPACK_HOME: the secret store and its key, grants, the audit log,
// the hook cache, the runtime the hooks run and its code cache) is never written by an agent's file
// tools. Reads are the read guard's business and shell commands that name the directory are
// refused by rewrite-secret-refs; this rule covers Write/Edit-style tools and Codex's apply_patch,
// whose patch text names its files. A prompt-injected agent could otherwise forge a grant, rewrite
// the hook runtime or truncate the audit log with one file edit.
import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import type { HookEvent, Verdict } from "../hooks/event.js";
import type { Rule, RuleFiles } from "./rule.js";
import { CHANGES_DIR, INTERPRETER, mayChangeDir, mayNameInterpreter } from "./state-words.js";
import { withoutBrokerPrefix } from "./broker-prefix.js";
import { relocatedDir } from "./agent-dirs.js";

/**
 * The hook settings `files` (relative: ".claude/settings.json") plus, for a user folder the agent's
 * environment moves (`$CLAUDE_CONFIG_DIR`, `$CODEX_HOME`: rules/agent-dirs.ts), the same files at
 * their absolute place there, and at that folder's real path when it is a symlink (sec8). The hook
 * runs with the agent's environment, so `env` is what the agent itself reads. Idempotent (absolute
 * entries are kept as they are); the answer is kept per list and environment.
 */
export function withRelocated(
  files: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): readonly string[] {
  const claude = env.CLAUDE_CONFIG_DIR;
  const codex = env.CODEX_HOME;
  if (!claude && !codex) return files;
  const key = `${claude ?? ""}\u0000${codex ?? ""}\u0000${files.join("\u0000")}`;
  const known = relocatedCache.get(key);
  if (known !== undefined) return known;
  const out = new Set(files);
  for (const f of files) {
    if (f.startsWith("/")) continue;
    const [folder, ...rest] = f.split("/");
    const dir = relocatedDir(folder!, env, process.cwd());
    if (dir === undefined || rest.length === 0) continue;
    const tail = rest.join("/");
    out.add(`${dir}/${tail}`);
    try {
      const realDir = realpathSync(dir);
      if (realDir !== dir) out.add(`${realDir}/${tail}`);
    } catch {
      // Not there (yet): its name is what the agent will use.
    }
  }
  const list = [...out];
  if (relocatedCache.size > 16) relocatedCache.clear();
  relocatedCache.set(key, list);
  return list;
}
const relocatedCache = new Map<string, readonly string[]>();

/** The folder a hook settings entry's own name is known by: `.claude` (relative), the relocated folder's base name (absolute). */
const folderOf = (f: string): string =>
  f.startsWith("/") ? basename(dirname(f.replace(/\/+$/, ""))) : f.split("/").filter(Boolean)[0]!;

/** File names an apply_patch text touches (`*** Add File: x`, `*** Update File: x`, `*** Move to: x`). */
export function patchPaths(text: string): string[] {
  return [...text.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm)].map(
    (m) => m[1]!.trim(),
  );
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** Does `path` (absolute) name one of the agent's hook settings (`files`: relative, "dir/" for a directory)? */
export function isHookConfig(path: string, files: readonly string[]): string | undefined {
  const p = path.replace(/\\/g, "/");
  return files.find((f) =>
    f.startsWith("/")
      ? f.endsWith("/")
        ? p === f.slice(0, -1) || p.startsWith(f)
        : p === f
      : f.endsWith("/")
        ? p.includes(`/${f}`)
        : p.endsWith(`/${f}`),
  );
}

/** Does `path` (absolute) name a folder that holds one of the agent's hook settings (`.claude`, `.codex`…)? */
function holdsHookConfig(path: string, files: readonly string[]): string | undefined {
  const p = path.replace(/\\/g, "/").replace(/\/+$/, "");
  for (const f of files) {
    // A relocated folder (an absolute entry): that folder itself.
    if (f.startsWith("/")) {
      if (p === dirname(f.replace(/\/+$/, ""))) return f;
      continue;
    }
    const parts = f.replace(/\/+$/, "").split("/");
    for (let k = 1; k < parts.length; k++)
      if (p.endsWith(`/${parts.slice(0, k).join("/")}`)) return f;
  }
  return undefined;
}

/** A path part that starts with a dot and holds a glob character, or a dotglob setting. */
const DOT_GLOB_WORD = /(^|[\s/'"=<>;&|(])\.[^\s/;&|()]*[*?[]|dotglob|GLOBIGNORE|globdots|GLOB_DOTS/;

/** Programs that change or remove the files they are given (sed and perl only with -i). */
const WRITERS = new Set([
  "rm",
  "mv",
  "cp",
  "tee",
  "truncate",
  "ln",
  "install",
  "chmod",
  "chown",
  "unlink",
  "shred",
  "rsync",
  "dd",
]);
const IN_PLACE = new Set(["sed", "perl", "gsed"]);
const COPIES = new Set(["cp", "ln", "install", "rsync"]);
const UNINSTALL = "hookpack uninstall";
const ALLOW = "hookpack allow";
const GIT_WRITES = new Set(["rm", "mv", "checkout", "restore", "reset", "clean", "stash"]);

/** A program that removes, moves, changes or writes what it is given, a redirection, or a word the shell fills in. */
const MAY_WRITE =
  /[>$`'"\\]|(^|[\s;&|({/])(rm|rmdir|mv|cp|tee|truncate|ln|install|chmod|chown|unlink|shred|rsync|dd|find|tar|git|touch|mkdir|chattr|setfacl|xargs|sed|gsed|perl|eval|exec|command|builtin|sudo|doas|env|nohup|nice|time|timeout|busybox|python[0-9.]*|node|nodejs|ruby|php|deno|bun)(?=[\s;&|)}]|$)/;
/**
 * A command that changes directory and then may write: relative paths in it are resolved from
 * every directory it may change to (rules/state-paths.ts cwdsOf). `cd src && ls` is not.
 */
export const mayChangeDirAndWrite = (command: string): boolean =>
  mayChangeDir(command) && MAY_WRITE.test(command);
/** … given code on its command line (`-c`, `-e`, `-pe`, `-r`, `--eval`, `deno eval`), or on stdin (`<<`, `|`, `-`). */
const CODE_FLAG = /\s(-(?=[A-Za-z]*[ceEpr])[A-Za-z]+|--eval|--print|eval|-)(?=[\s=]|$)|<<|\|/;
export { CHANGES_DIR, INTERPRETER, mayChangeDir };
export const mayRunCode = (command: string): boolean =>
  mayNameInterpreter(command) && INTERPRETER.test(command) && CODE_FLAG.test(command);

/**
 * The cheap look before parsing: false means shellEditsHookConfig finds nothing (the command names
 * no hook settings folder, no `uninstall`, no `hookpack allow`). Exported for the hook's fast
 * allow stage (hooks/fast-allow.ts), which hands a command on to the full rules when this is true.
 */
export function shellMayEditHookConfig(command: string, files: readonly string[]): boolean {
  // The user's hook folder moved by the agent's environment (`$CLAUDE_CONFIG_DIR`): its files too.
  const all = withRelocated(files);
  // (Trailing slashes only add empty segments, which the filter drops.) Each regex below runs only
  // when the command holds a substring every match of it holds: the same answer, without compiling
  // the regexes on a plain command's call (issue 21: 0.3 ms CPU of the hook's allow path).
  const names = all.map(folderOf);
  return (
    names.some((n) => command.includes(n)) ||
    // A relocated folder need not start with a dot, so any glob may name it (sec8).
    (all.length !== files.length &&
      (command.includes("*") || command.includes("?") || command.includes("["))) ||
    // The name spelled with quotes or backslashes (`rm .cl''aude/settings.json`) (sec-gaps6).
    ((command.includes("'") || command.includes('"') || command.includes("\\")) &&
      names.some((n) => command.replace(/['"\\]/g, "").includes(n))) ||
    // A glob that may name a hook settings folder (each starts with a dot, which a glob matches
    // only when written: `.cl*/settings.json`, `.[c]laude/*`), or dotglob (sec-gaps6).
    ((command.includes("*") ||
      command.includes("?") ||
      command.includes("[") ||
      command.includes("glob") ||
      command.includes("GLOB")) &&
      DOT_GLOB_WORD.test(command)) ||
    (command.includes("uninstall") && /\buninstall\b/.test(command)) ||
    (command.includes("hookpack") && /\ballow\b/.test(command)) ||
    // Every shell name of RUNS_SCRIPT holds "sh" but `source` and `eval`; its `.` alternative holds ".".
    ((command.includes("sh") ||
      command.includes("source") ||
      command.includes(".") ||
      command.includes("eval")) &&
      RUNS_SCRIPT.test(command)) ||
    // A `cd` (relative paths then start elsewhere) or interpreter code: checked against hookpack's home.
    mayChangeDirAndWrite(command) ||
    mayRunCode(command) ||
    // A name only known when the command runs (`rm "$f"`), or a whole tree removed or rewritten
    // (`rm -rf .`, `git clean -fdx`) where a folder holding hook settings may be (sec-gaps7).
    mayWriteRunTimeName(command) ||
    mayRewriteTree(command)
  );
}

/**
 * `rm`, `chmod`, `chown`, `shred`, `find`, `mv`, `rsync` with a word that may name the working
 * directory, one above it or the home (`.`, `..`, `./`, `~`, `/…`; a plain relative name is below
 * the working directory, where no hook settings file in reach is), `find` with no start directory,
 * `git clean`, `git stash`, `git reset --hard|--merge`, `git checkout|restore` of a directory.
 */
const REWRITES_TREE =
  /(^|[\s;&|({])(?:(?:rm|chmod|chown|shred|find|mv|rsync)\s(?:[^;&|\n]*\s)?['"]?(?:\.\.|~|\/|\.(?:\/?(?=['"]?(?:[\s;&|)]|$))|\/?[*?[]|\/\.))|find\s+-|git\s[^;&|\n]*\bclean\b|git\s[^;&|\n]*\bstash\b(?!\s+(?:list|show)\b)|git\s[^;&|\n]*\breset\b[^;&|\n]*\s--(?:hard|merge)\b|git\s[^;&|\n]*\b(?:checkout|restore)\b[^;&|\n]*(?:\s['"]?\.|:\/|\*|\/(?=['"]?(?:\s|$))))/;
/** The cheap look for a whole tree removed, moved or rewritten (gap (c) of sec-gaps7). */
export const mayRewriteTree = (command: string): boolean =>
  (command.includes("rm") ||
    command.includes("ch") ||
    command.includes("find") ||
    command.includes("mv") ||
    command.includes("rsync") ||
    command.includes("git") ||
    command.includes("shred")) &&
  REWRITES_TREE.test(command);

/** A program that writes what it is given (or a redirection) next to a name the shell fills in at run time. */
const WRITES_LATE =
  /(^|[\s;&|({/])(rm|rmdir|mv|cp|tee|truncate|ln|install|chmod|chown|unlink|shred|rsync|dd|find|sed|gsed|perl|git)(?=[\s;&|)}]|$)|>/;
/**
 * The cheap look for gap (a) of sec-gaps7: a command with an expansion (`$`, a backquote) and a
 * writing program or a redirection may write a name only known when it runs (`rm "$f"`).
 */
export const mayWriteRunTimeName = (command: string): boolean =>
  (command.includes("$") || command.includes("`")) && WRITES_LATE.test(command);

/** Interpreter calls that write, remove, move, copy or link a file, or run a program that may. */
const CODE_WRITES =
  /\bopen\w*\s*\([^)]*['"]\s*(?:[wax]|r\+|\+|>|\|)|write_text|write_bytes|writeFile\w*|appendFile\w*|createWriteStream|outputFile\w*|\b(?:os|fs|shutil|Path|FileUtils|File|Dir|fsPromises|promises|Deno|Bun|io)\s*\.\s*\w*(?:remove|unlink|rm|rename|replace|copy|move|truncate|chmod|symlink|link|write|touch|mkdir|cp|mv|delete)\w*|\.\s*(?:unlink|rmdir|rm|rename|symlink|link|hardlink_to|touch|write_text|write_bytes|writeFile|appendFile|copy|cp|truncate|chmod|chown|mkdir|move|remove|delete)\w*\s*\(|file_put_contents|fwrite|\bunlink\b|\brename\b|\bsystem\b|popen|subprocess|spawn\w*|execSync|execFile\w*|child_process|\bexec\s*\(|`/;
/** Interpreter code that spells a file name so that it is not in the text (char codes, base64, hex, reversal) or takes it from the environment, stdin or a listing. */
const CODE_HIDES_NAME =
  /fromCharCode|\bchr\b|\bpack\s*\(|b64decode|\batob\s*\(|base64|unhexlify|fromhex|\[\s*:\s*:\s*-1\s*\]|\.reverse\s*\(|\breverse\b|rot13|codecs|\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\[0-7]{3}|environ|getenv|process\.env|ENV\[|\$ENV|\bsys\.stdin|\binput\s*\(|<STDIN>|\bgets\b|listdir|readdir|scandir|\bglob\b|\bwalk\s*\(|iterdir|opendir|Dir\[|Dir\.(?:glob|entries|children|each_child)/;

/**
 * An interpreter's own file writes in code on its command line or stdin (`python3 -c "open(…,'w')"`,
 * `node -e "fs.writeFileSync(…)"`, a here-document): the code's string literals are names (also
 * glued together: `'.cl' + 'aude'`), the interpreter's other words too (`sys.argv[1]`); a name the
 * code hides (char codes, base64, reversal, the environment, a directory listing) is a run-time
 * name, which needs approval where a hook settings file is within reach (sec-gaps7).
 */
async function interpreterWrites(
  command: string,
  files: readonly string[],
  named: (text: string, raw?: string) => string | undefined,
  reach: () => string[],
  tree: (on: boolean) => void,
): Promise<string | undefined> {
  if (!CODE_WRITES.test(command)) return undefined;
  const { codeReads } = await import("./read-guard-shell.js");
  const { literals } = codeReads(command);
  tree(
    /rmtree|recursive|rm_r|rm_rf|remove_dir_all|rmdir|removedirs|\bmove\b|rename/i.test(command),
  );
  for (const l of literals) {
    // perl's `open(F, ">x")`, `+<x`: the mode is not part of the name.
    const name = l.replace(/^\s*[+<>|]+\s*|\s+$/g, "");
    if (name === "" || name.length > 512 || /\n/.test(name)) continue;
    const hit = named(name);
    if (hit) return hit;
  }
  // The words outside quotes too (`sys.argv[1]`, `process.argv[2]` take them from there).
  for (const w of command.split(/[\s;&|()]+/)) {
    if (w === "" || /['"`$]/.test(w) || w.startsWith("-")) continue;
    const hit = named(w);
    if (hit) return hit;
  }
  const folders = [...new Set(files.map(folderOf))];
  const glued = literals.join("");
  const hidden = folders.some((n) => glued.includes(n)) || CODE_HIDES_NAME.test(command);
  if (hidden) {
    const c = reach()[0];
    if (c !== undefined)
      return `${files.find((h) => c.endsWith(`/${h.replace(/\/+$/, "")}`)) ?? c} (the interpreter code builds the name of a file it writes at run time)`;
  }
  return undefined;
}

/**
 * A shell or `source` that may run a script the command line does not spell out as its own words
 * (a here-document, a here-string, a pipe, a descriptor, a file, `env -S 'bash -s'`): its script is
 * checked like a command of its own (the read guard's analysis finds the scripts).
 */
const RUNS_SCRIPT =
  /(^|[\s;&|(/'"`])(sh|bash|dash|zsh|ksh|mksh|fish|ash|source|eval)(\s|['"`)]|$)|(^|[\s;&|(])\.\s/;

/**
 * The texts of the scripts the shells in `command` run (here-documents, pipes, descriptors, `-c`
 * and `eval` strings, files on disk as they are now: `bash < y`, `cat y | sh`, `. y`), and why one
 * cannot be known at hook time (a file an earlier part of the command may change, too large, named
 * at run time), if one cannot.
 */
async function scriptsRun(
  command: string,
  cwd: string,
  files: RuleFiles,
): Promise<{ texts: string[]; unknown: string | undefined }> {
  if (!RUNS_SCRIPT.test(command)) return { texts: [], unknown: undefined };
  const { shellReads, scriptReader } = await import("./read-guard-shell.js");
  const texts: string[] = [];
  let unknown: string | undefined;
  shellReads(command, {
    home: files.home,
    cwd,
    script: scriptReader(cwd, files),
    onScript: (t) => texts.push(t),
    onUnknownScript: (why) => (unknown ??= why),
  });
  return { texts: [...new Set(texts)], unknown };
}

/**
 * The hook settings a shell command would change: the target of a redirection, or a file argument
 * of a program that writes or removes what it is given. Reading them (`cat`, `jq .`) is fine.
 * (Best effort: an interpreter's own file writes, `python -c …`, are not seen.)
 */
async function shellEditsHookConfig(
  command: string,
  cwd: string,
  files: readonly string[],
  userHome = "",
  outerUnknown = false,
  moved = false,
  exists: (path: string) => boolean = () => false,
): Promise<string | undefined> {
  // (A script run from a directory a `cd` moved to names no hook folder when it does `rm *`.)
  if (
    !moved &&
    !outerUnknown &&
    !shellMayEditHookConfig(command, files) &&
    !mayWriteRunTimeName(command)
  )
    return undefined;
  const [{ scanShell }, { programOf }, paths] = await Promise.all([
    import("./shell-scan.js"),
    import("./secret-refs.js"),
    import("./state-paths.js"),
  ]);
  // After a `cd` a relative name may start in any directory the command changes to; where a `cd`
  // goes may be unknown (`cd "$X"`, `eval`, CDPATH or BASH_ENV/ENV: rules/state-paths.ts cwdsOf).
  const found = mayChangeDirAndWrite(command)
    ? paths.cwdsOf(command, { home: "", cwd, userHome })
    : { cwds: [cwd], unknown: false };
  const { cwds } = found;
  // A script run after a `cd` to somewhere unknown (`cd "$D" && bash y`): its names start anywhere.
  const unknown = found.unknown || outerUnknown;
  const dotted = paths.DOTGLOB.test(command);
  // Every hook settings file and folder as an absolute path (the project's from each directory the
  // command may be in, the user's from home), for a relative name after a `cd` to somewhere unknown.
  const configPaths = () => [
    ...new Set(
      [...cwds, ...(userHome ? [userHome] : [])].flatMap((d) => files.map((f) => resolve(d, f))),
    ),
  ];
  // The hook settings that exist within reach (the project's from each directory the command may
  // be in and every directory up, the user's), for a name known only at run time (sec-gaps7).
  // Where such a file could be is known without a stat (`potential`); whether one is there is
  // asked only of a place a name could reach (`there`, each path stat'ed once).
  let potentialCache: string[] | undefined;
  const potential = () =>
    (potentialCache ??= configsInReach(
      unknown ? [...cwds, "/"] : cwds,
      files,
      userHome,
      () => true,
    ));
  const seen = new Map<string, boolean>();
  const there = (p: string) => {
    let e = seen.get(p);
    if (e === undefined) seen.set(p, (e = exists(p)));
    return e;
  };
  const reach = () => potential().filter(there);
  // A recursive removal, a move or a git command that rewrites a tree (`rm -rf .`, `rm -rf ~`,
  // `find . -delete`, `git clean -fdx`): a directory that holds a hook settings file counts.
  let recursive = false;
  const hitAt = (path: string) =>
    isHookConfig(path, files) ??
    holdsHookConfig(path, files) ??
    (recursive ? holdsExisting(path, potential(), there) : undefined);
  // A name known only at run time (`rm "$f"`, `> "$(cat n)"`, `cp x "$DEST"`, a loop variable, an
  // environment variable): its pattern (fixed parts kept) is matched against the hook settings in
  // reach, as the read guard matches a run-time name against credential files (sec-gaps7).
  let shell: typeof import("./read-guard-shell.js") | undefined;
  const runTimeHit = (raw: string): string | undefined => {
    if (!/[$`]/.test(raw) || shell === undefined) return undefined;
    const e = shell.expandWord(raw.replace(/^of=/, ""), staticVars(), {
      home: userHome || "/nonexistent-home",
      cwd,
    });
    if (e.kind === "path") {
      for (const from of cwds) {
        const hit = hitAt(resolve(from, e.pattern));
        if (hit) return hit;
      }
      return undefined;
    }
    if (e.kind !== "dynamic") return undefined;
    const sh = shell;
    const starts = e.pattern.startsWith("/") || e.pattern.startsWith(sh.ANY);
    const res = (starts ? [""] : unknown ? [sh.ANY] : cwds.map((d) => sh.escapeGlob(d))).map(
      (from) => sh.patternRegExp(from === "" ? e.pattern : `${from}/${e.pattern}`, dotted),
    );
    for (const c of potential())
      for (const target of candidatesOf(c, files, recursive))
        for (const re of res) {
          const ok = re.test(target);
          if (ok && there(c))
            return `${displayOf(c, files)} (a name only known when the command runs: ${e.why ?? raw})`;
        }
    return undefined;
  };
  // Variables the command itself sets to a fixed value (`D=.claude; rm $D/settings.json`).
  const scan = scanShell(command);
  const vars = new Map<string, string>();
  for (const c of scan.commands)
    for (const w of c.words)
      if (w.assignment && w.value !== undefined) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w.value);
        if (m) vars.set(m[1]!, m[2]!);
      }
  let staticCache: Map<string, string> | undefined;
  // The variables the command sets to a fixed text (quotes removed); one set twice or from an
  // expansion is not fixed (`f=x; f=$(cat n)`).
  const staticVars = () => {
    if (staticCache) return staticCache;
    staticCache = new Map();
    const seen = new Set<string>();
    for (const c of scan.commands)
      for (const w of c.words)
        if (w.assignment) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)\+?=(.*)$/s.exec(command.slice(w.start, w.end));
          if (!m) continue;
          const value = w.value === undefined ? undefined : /^[^=]*=(.*)$/s.exec(w.value)?.[1];
          if (seen.has(m[1]!) || value === undefined) staticCache.delete(m[1]!);
          else staticCache.set(m[1]!, value);
          seen.add(m[1]!);
        }
    return staticCache;
  };
  if (/[$`]/.test(command)) shell = await import("./read-guard-shell.js");
  const withVars = (raw: string): string | undefined => {
    const m = /^"?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(.*)$/s.exec(raw);
    const value = m ? vars.get(m[1] ?? m[2]!) : undefined;
    return value === undefined ? undefined : value + m![3]!.replace(/['"\\]/g, "");
  };
  const named = (text: string, raw = text): string | undefined => {
    const set = vars.size > 0 ? withVars(raw) : undefined;
    if (set !== undefined && set !== raw) {
      const hit = named(set, set);
      if (hit) return hit;
    }
    // `~` as the shell expands it (`rm -rf ~`, `rm -rf ~/`), unquoted only.
    const name = /^(of=)?~(\/|$)/.test(raw)
      ? text.replace(/^of=/, "").replace(/^~(?=\/|$)/, userHome || "~")
      : text.replace(/^of=/, "");
    const late = runTimeHit(raw);
    if (late) return late;
    // A glob as the shell expands it (`cd .claude && rm *`, `rm .claude/settings.*`): matched
    // against the file system from every directory the command may be in (sec-gaps6).
    const glob = /[*?[]/.test(raw.replace(/'[^']*'|"[^"]*"|\\./g, ""));
    const pattern = raw
      .replace(/^of=/, "")
      .replace(/^~(?=\/|$)/, userHome || "~")
      .replace(/['"\\]/g, "");
    for (const from of cwds) {
      const hit = hitAt(resolve(from, name));
      if (hit) return hit;
      if (glob)
        for (const p of paths.expandGlob(pattern, from, dotted).slice(0, 256)) {
          const h = hitAt(p);
          if (h) return h;
        }
    }
    // A `cd` to somewhere unknown: a relative name (`*`, `.`, `settings.json`) that could name a
    // hook settings file or a folder holding one from some directory counts as naming it.
    if (
      unknown &&
      !pattern.startsWith("/") &&
      !raw.startsWith("~") &&
      (glob || !name.includes("\u0001"))
    )
      for (const p of configPaths())
        if (paths.relativeCouldReach(glob ? pattern : name, p, dotted))
          return files.find((f) => p.endsWith(f.replace(/\/+$/, ""))) ?? p;
    return undefined;
  };
  for (const c of scan.commands) {
    recursive = false;
    for (const w of c.words) {
      // Only a redirection that writes (`>`, `>>`, `&>`, `<>`, …) changes its target; `<` and `<<<` read.
      if (!w.redirect || w.redirectOp === "<" || w.redirectOp === "<<<" || w.redirectOp === "<&")
        continue;
      const hit = named(w.value ?? w.shape, command.slice(w.start, w.end));
      if (hit) return hit;
    }
    const info = programOf(c);
    const program = info.program ?? "";
    const args = info.args.map((a) => a.value ?? a.shape);
    const raws = new Map(info.args.map((a) => [a.value ?? a.shape, command.slice(a.start, a.end)]));
    // `hookpack uninstall` (directly, through npx, or node …/hookpack.cjs) takes the hooks out.
    const hookpackAt = [program, ...args].findIndex((w) => /(^|\/)hookpack(\.c?js)?$/.test(w));
    if (hookpackAt !== -1 && [program, ...args][hookpackAt + 1] === "uninstall") return UNINSTALL;
    // `hookpack allow` widens what a secret may be used for: the project policy is the user's call.
    if (hookpackAt !== -1 && [program, ...args][hookpackAt + 1] === "allow") return ALLOW;
    // `find DIR… -delete` / `-exec …`: the directories it starts from (`.` when none is given).
    if (program === "find" && args.some((a) => /^-(delete|exec|execdir|ok|okdir)$/.test(a))) {
      // A whole tree, unless its tests (`-name '*.o'`) match no hook settings file or folder in reach.
      recursive = findMayMatch(args, potential(), files);
      const at = args.findIndex((a) => /^[-!(]/.test(a));
      const starts = args.slice(0, at === -1 ? args.length : at);
      for (const a of starts.length === 0 ? ["."] : starts) {
        const hit = named(a, raws.get(a));
        if (hit) return hit;
      }
    }
    const writes =
      WRITERS.has(program) ||
      (IN_PLACE.has(program) && args.some((a) => /^-[a-zA-Z]*i|^--in-place/.test(a))) ||
      (program === "git" && args.some((a) => GIT_WRITES.has(a)));
    if (!writes) continue;
    // A tree removed, moved or rewritten as a whole (sec-gaps7): `rm -r`, `mv`, `chmod -R`,
    // `rsync --delete`, `shred -r`; a folder that holds hook settings counts as naming them.
    recursive =
      program === "mv" ||
      (/^(rm|chmod|chown|shred)$/.test(program) &&
        args.some((a) => /^-[a-zA-Z]*[rR]|^--recursive$/.test(a))) ||
      (program === "rsync" && args.some((a) => a.startsWith("--del")));
    if (program === "git") {
      const git = gitRewrites(args);
      if (git === "repo") {
        // `git stash` (`-u` too), `git reset --hard`: the whole work tree, wherever the command is.
        // The project's hook settings from each directory up (not the user's home, seldom a repository).
        const project = reach().filter(
          (r) => !userHome || !files.some((f) => resolve(userHome, f) === r),
        );
        if (project.length > 0) return displayOf(project[0]!, files);
        continue;
      }
      if (git !== undefined) {
        // `git clean` (from the directory it runs in, or its pathspecs), `git checkout .`.
        recursive = true;
        for (const a of git.length === 0 ? ["."] : git) {
          const hit = named(a, raws.get(a));
          if (hit) return hit;
        }
        continue;
      }
    }
    const operands = args.filter((a) => !a.startsWith("-") || a.startsWith("of="));
    // A copy or link only changes its destination (the last operand); dd its `of=`.
    const targets = COPIES.has(program)
      ? operands.slice(-1)
      : program === "dd"
        ? operands.filter((a) => a.startsWith("of="))
        : operands;
    for (const a of targets) {
      const hit = named(a, raws.get(a));
      if (hit) return hit;
    }
  }
  if (mayRunCode(command)) {
    recursive = false;
    return interpreterWrites(
      command,
      files,
      (t, r) => named(t, r ?? t),
      reach,
      (on) => {
        recursive = on;
      },
    );
  }
  return undefined;
}

/** fnmatch as find's `-name` uses it (`*` matches a leading dot too). */
function nameMatches(pattern: string, name: string, fold: boolean): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
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
    } else if (c === "\\") re += (pattern[++i] ?? "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  try {
    return new RegExp(`^${re}$`, fold ? "is" : "s").test(name);
  } catch {
    return true;
  }
}

/**
 * Could `find … -delete` / `-exec` with these arguments act on a hook settings file or its folder
 * in `reach`? Its `-name`/`-iname` tests are matched against their names; anything it cannot
 * follow (`-o`, `!`, `-not`, `-regex`, `-path`…) counts as yes.
 */
function findMayMatch(
  args: readonly string[],
  reach: readonly string[],
  files: readonly string[],
): boolean {
  if (
    args.some((a) =>
      /^(-o|-or|!|-not|-regex|-iregex|-path|-ipath|-wholename|-iwholename|-lname|-ilname)$/.test(a),
    )
  )
    return true;
  const tests: Array<[boolean, string]> = [];
  for (let k = 0; k < args.length - 1; k++)
    if (args[k] === "-name" || args[k] === "-iname")
      tests.push([args[k] === "-iname", args[k + 1]!]);
  if (
    tests.length === 0 ||
    tests.some(([, pat]) => pat.includes("\u0000") || pat.includes("\u0001"))
  )
    return true;
  return reach.some((c) =>
    candidatesOf(c, files, false).some((t) => {
      const base = t.split("/").pop() ?? "";
      return tests.every(([fold, pat]) => nameMatches(pat, base, fold));
    }),
  );
}

/**
 * What a git command rewrites as a tree: "repo" for the whole work tree (`git stash` but its
 * list/show/apply/pop/drop/branch/clear forms, `git reset --hard`), the pathspecs of `git clean`
 * (none: the directory it runs in) and of `git checkout`/`git restore` given a directory (`.`);
 * undefined otherwise (`git checkout main`, `git rm x`: checked as operands).
 */
function gitRewrites(args: readonly string[]): "repo" | string[] | undefined {
  const at = args.findIndex((a) => !a.startsWith("-"));
  const sub = args[at];
  const rest = args.slice(at + 1);
  const paths = rest.filter((a) => !a.startsWith("-"));
  if (sub === "stash")
    return /^(list|show|apply|pop|drop|branch|clear|create|store)$/.test(paths[0] ?? "")
      ? undefined
      : "repo";
  if (sub === "reset")
    return rest.includes("--hard") || rest.includes("--merge") ? "repo" : undefined;
  if (sub === "clean") return paths;
  if (sub === "checkout" || sub === "restore") {
    const dash = rest.indexOf("--");
    const spec = dash === -1 ? paths : rest.slice(dash + 1);
    const dirs = spec.filter(
      (a) => a === "." || a === "./" || a.endsWith("/") || a === ":/" || a === "*",
    );
    return dirs.length > 0 ? dirs.map((d) => (d === ":/" || d === "*" ? "." : d)) : undefined;
  }
  return undefined;
}

/** Every hook settings file (or hook folder) that exists where the command could reach it: from each directory up, and the user's. */
function configsInReach(
  cwds: readonly string[],
  hookFiles: readonly string[],
  userHome: string,
  exists: (path: string) => boolean,
): string[] {
  const dirs = new Set<string>();
  for (const c of cwds)
    for (let d = resolve(c), k = 0; k < 32; k++) {
      dirs.add(d);
      const up = resolve(d, "..");
      if (up === d) break;
      d = up;
    }
  if (userHome) dirs.add(userHome);
  const out: string[] = [];
  for (const d of dirs)
    for (const f of hookFiles) {
      const p = resolve(d, f);
      if (exists(p)) out.push(p);
    }
  return out;
}

/** An existing hook settings path (of `reach`, `there` says which exist) at or below `dir`. */
function holdsExisting(
  dir: string,
  reach: readonly string[],
  there: (p: string) => boolean,
): string | undefined {
  const d = dir.replace(/\/+$/, "") || "/";
  return reach.find((r) => (r === d || r.startsWith(d === "/" ? "/" : `${d}/`)) && there(r));
}

/** The names a run-time name may take to change hook settings file `c`: the file, its hook folder, for a tree every folder above. */
function candidatesOf(c: string, hookFiles: readonly string[], tree: boolean): string[] {
  const out = [c];
  const f = hookFiles.find((h) => c.endsWith(`/${h.replace(/\/+$/, "")}`));
  const parts = (f ?? "").replace(/\/+$/, "").split("/");
  let d = c;
  for (let k = parts.length - 1; k > 0; k--) out.push((d = resolve(d, "..")));
  // A relocated folder's file (an absolute entry, sec8): that folder too.
  if (f === undefined && hookFiles.some((h) => h.replace(/\/+$/, "") === c))
    out.push((d = dirname(c)));
  if (tree)
    for (let k = 0; k < 64; k++) {
      const up = resolve(d, "..");
      if (up === d) break;
      out.push((d = up));
    }
  return out;
}

/** A hook settings path as the message names it (`.claude/settings.json`). */
function displayOf(c: string, hookFiles: readonly string[]): string {
  return hookFiles.find((h) => c.endsWith(`/${h.replace(/\/+$/, "")}`)) ?? c;
}

/** Does a hook settings file exist where this command could reach it (the project's from each directory up, the user's)? */
function hookConfigInReach(
  cwds: readonly string[],
  hookFiles: readonly string[],
  files: RuleFiles,
): boolean {
  return configsInReach(cwds, hookFiles, files.home, (p) => files.kind(p) !== undefined).length > 0;
}

export const protectHookpackState: Rule = {
  id: "protect-hookpack-state",
  summary:
    "Deny file-writing tool calls that target hookpack's own directory (store, key, grants, audit log, runtime); ask before the agent edits its own hook settings.",
  on: ["before-tool"],
  async check(event: HookEvent, context): Promise<Verdict> {
    if (event.kind !== "before-tool") return { kind: "allow" };
    if (event.tool.kind === "shell" && event.tool.command !== undefined) {
      const cwd = event.session.cwd;
      const hookFiles = withRelocated(context.hookConfigFiles?.() ?? []);
      const stateHome = context.managed?.home ?? context.secretRefs?.home ?? "";
      // hookpack's own brokered-exec prefix (a rewritten `$secret:` call runs `node <home>/runtime/
      // …/hookpack.cjs exec --grant …`) is not the agent's code: what follows it is checked (its
      // `node` and a `|` after it made every rewritten call look like interpreter code).
      const command = withoutBrokerPrefix(event.tool.command);
      if (stateHome !== "") {
        // A relative path after a `cd` / `pushd` chain, or interpreter code naming the home with a
        // call that deletes or writes: denied as `rm -rf <home>` is (rewrite-secret-refs).
        const ctx = { home: stateHome, cwd, userHome: context.files.home };
        const changesDir = mayChangeDirAndWrite(command);
        const runsCode = mayRunCode(command);
        const paths = changesDir || runsCode ? await import("./state-paths.js") : undefined;
        const hit =
          (changesDir ? paths?.reachesHome(command, ctx) : undefined) ??
          (runsCode ? paths?.interpreterReachesHome(command, ctx) : undefined);
        if (hit !== undefined) {
          const { MESSAGES } = await import("./rewrite-secret-refs.js");
          return {
            kind: "deny",
            code: "HOOKPACK_STATE",
            reason: MESSAGES.TOUCHES_STATE(stateHome),
          };
        }
      }
      const exists = (p: string) => context.files.kind(p) !== undefined;
      let config = await shellEditsHookConfig(
        command,
        cwd,
        hookFiles,
        context.files.home,
        false,
        false,
        exists,
      );
      if (config === undefined) {
        // A script a shell runs from stdin, a descriptor or a file (`bash <<EOF … EOF`,
        // `echo '…' | sh`, `bash s.sh`): checked as rewrite-secret-refs checks a command (hookpack's
        // home, `hookpack exec`) and as above (hook settings, `hookpack uninstall`).
        const home = context.managed?.home ?? context.secretRefs?.home ?? "";
        const scripts = await scriptsRun(event.tool.command, cwd, context.files);
        // A script runs where the command is when it starts it (`cd .claude && bash ../y`): its
        // relative names are resolved from every directory the command may change to.
        const outer =
          scripts.texts.length > 0 && mayChangeDir(command)
            ? (await import("./state-paths.js")).cwdsOf(command, {
                home: "",
                cwd,
                userHome: context.files.home,
              })
            : { cwds: [cwd], unknown: false };
        for (const text of scripts.texts) {
          const { brokerMisuse } = await import("./rewrite-secret-refs.js");
          const misuse = await brokerMisuse(text, home, cwd, context.files.home);
          if (misuse?.kind === "deny")
            return {
              ...misuse,
              reason: `${misuse.reason} (This is in a script the command hands to a shell.)`,
            };
          for (const from of outer.cwds)
            config ??= await shellEditsHookConfig(
              text,
              from,
              hookFiles,
              context.files.home,
              outer.unknown,
              from !== cwd,
              exists,
            );
        }
        // A script a shell runs that cannot be read now (`cp x y; bash < y`: an earlier part of the
        // command may change y; `curl … | sh`; a file over 1 MiB; a name built at run time) may
        // edit the hook settings or hookpack's home like any script: fail closed (sec-gaps6). An
        // ask, not a deny: the user sees the command, and such scripts are run for real work too.
        // Decided by what is within reach, as the read guard decides such a script: only where a
        // hook settings file exists (the project's, from each directory up, or the user's).
        if (
          config === undefined &&
          scripts.unknown !== undefined &&
          hookConfigInReach(outer.cwds, hookFiles, context.files)
        )
          return {
            kind: "ask",
            code: "HOOK_CONFIG_EDIT",
            reason: `hookpack (protect-hookpack-state): this command hands a shell a script hookpack cannot read before it runs (${scripts.unknown}); it could change ${hookFiles.join(", ")}, where this agent's hooks are registered, or hookpack's own directory. The user must approve it; or write the script to a file in one call and run it in the next.`,
          };
      }
      return config === undefined
        ? { kind: "allow" }
        : {
            kind: "ask",
            code: "HOOK_CONFIG_EDIT",
            reason:
              config === UNINSTALL
                ? "hookpack: this command runs `hookpack uninstall`, which takes hookpack's hooks out of this agent; the user must approve it."
                : config === ALLOW
                  ? "hookpack: this command runs `hookpack allow`, which changes which commands may receive a secret (hookpack.json); the user must approve it."
                  : `hookpack: this command changes ${config}, where this agent's hooks (hookpack's among them) are registered; the user must approve it.`,
          };
    }
    if (event.tool.kind !== "write-file") return { kind: "allow" };
    const home = context.managed?.home ?? context.secretRefs?.home;
    if (!home) return { kind: "allow" };
    const cwd = event.session.cwd;
    const targets =
      event.tool.path !== undefined
        ? [event.tool.path]
        : event.tool.fields.flatMap((f) => patchPaths(f.value));
    const hit = targets.find((p) => inside(resolve(home), resolve(cwd, p)));
    if (!hit) {
      // The agent editing where its own hooks are registered could switch hookpack off: a human decides.
      const config = targets.find((p) =>
        isHookConfig(resolve(cwd, p), withRelocated(context.hookConfigFiles?.() ?? [])),
      );
      if (config === undefined) return { kind: "allow" };
      return {
        kind: "ask",
        code: "HOOK_CONFIG_EDIT",
        reason: `hookpack: this ${event.tool.name} call changes ${config}, where this agent's hooks (hookpack's among them) are registered; the user must approve it.`,
      };
    }
    return {
      kind: "deny",
      code: "HOOKPACK_STATE_WRITE",
      reason: `hookpack blocked this ${event.tool.name} call: ${hit} is inside hookpack's own directory (${home}: the secret store, grants, audit log and the hook runtime), which no agent tool may change. Ask the user to run hookpack commands (\`hookpack secret set\`, \`hookpack install\`) instead.`,
    };
  },
};
