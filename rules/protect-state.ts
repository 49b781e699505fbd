// hookpack's own directory ($HOOKPACK_HOME: the secret store and its key, grants, the audit log,
// the hook cache, the runtime the hooks run and its code cache) is never written by an agent's file
// tools. Reads are the read guard's business and shell commands that name the directory are
// refused by rewrite-secret-refs; this rule covers Write/Edit-style tools and Codex's apply_patch,
// whose patch text names its files. A prompt-injected agent could otherwise forge a grant, rewrite
// the hook runtime or truncate the audit log with one file edit.
import { isAbsolute, relative, resolve } from "node:path";
import type { HookEvent, Verdict } from "../hooks/event.js";
import type { Rule, RuleFiles } from "./rule.js";
import { CHANGES_DIR, INTERPRETER, mayChangeDir, mayNameInterpreter } from "./state-words.js";
import { withoutBrokerPrefix } from "./broker-prefix.js";

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
  return files.find((f) => (f.endsWith("/") ? p.includes(`/${f}`) : p.endsWith(`/${f}`)));
}

/** Does `path` (absolute) name a folder that holds one of the agent's hook settings (`.claude`, `.codex`…)? */
function holdsHookConfig(path: string, files: readonly string[]): string | undefined {
  const p = path.replace(/\\/g, "/").replace(/\/+$/, "");
  for (const f of files) {
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
  // (Trailing slashes only add empty segments, which the filter drops.) Each regex below runs only
  // when the command holds a substring every match of it holds: the same answer, without compiling
  // the regexes on a plain command's call (issue 21: 0.3 ms CPU of the hook's allow path).
  const names = files.map((f) => f.split("/").filter(Boolean)[0]!);
  return (
    names.some((n) => command.includes(n)) ||
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
    mayRunCode(command)
  );
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
): Promise<string | undefined> {
  // (A script run from a directory a `cd` moved to names no hook folder when it does `rm *`.)
  if (!moved && !outerUnknown && !shellMayEditHookConfig(command, files)) return undefined;
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
  const hitAt = (path: string) => isHookConfig(path, files) ?? holdsHookConfig(path, files);
  // Variables the command itself sets to a fixed value (`D=.claude; rm $D/settings.json`).
  const scan = scanShell(command);
  const vars = new Map<string, string>();
  for (const c of scan.commands)
    for (const w of c.words)
      if (w.assignment && w.value !== undefined) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w.value);
        if (m) vars.set(m[1]!, m[2]!);
      }
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
    const name = text.replace(/^of=/, "");
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
  return undefined;
}

/** Does a hook settings file exist where this command could reach it (the project's from each directory up, the user's)? */
function hookConfigInReach(
  cwds: readonly string[],
  hookFiles: readonly string[],
  files: RuleFiles,
): boolean {
  const dirs = new Set<string>();
  for (const c of cwds)
    for (let d = resolve(c), k = 0; k < 32; k++) {
      dirs.add(d);
      const up = resolve(d, "..");
      if (up === d) break;
      d = up;
    }
  if (files.home) dirs.add(files.home);
  for (const d of dirs)
    for (const f of hookFiles) if (files.kind(resolve(d, f)) !== undefined) return true;
  return false;
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
      const hookFiles = context.hookConfigFiles?.() ?? [];
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
      let config = await shellEditsHookConfig(command, cwd, hookFiles, context.files.home);
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
        isHookConfig(resolve(cwd, p), context.hookConfigFiles?.() ?? []),
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
