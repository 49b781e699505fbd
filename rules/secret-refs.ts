// `$secret:NAME` references in a shell command: find them, decide whether the command is one we
// can rewrite with certainty, and rewrite each reference into an expansion of an environment
// variable that is valid where it stands. Pure functions; no I/O.
//
// Semantics (documented in the README): a reference stands for the secret's value, verbatim, as
// one piece of text, wherever it appears — unquoted (no word splitting, no globbing), in "…",
// in '…' and $'…' (hookpack references are not shell syntax, so quotes do not hide them), in
// here-documents quoted or not. `\$secret:NAME` is never a reference. References in comments
// are ignored. A value is never re-parsed as shell code: references in eval, `sh -c` code,
// ${…} operands and arithmetic are refused.
import { argvOf, REF_ANYWHERE, scanShell, type RefSite, type ScanResult, type SimpleCommand, type Word } from "./shell-scan.js";

export { REF_ANYWHERE };

export const ENV_PREFIX = "HOOKPACK_SECRET_";
export const envVarFor = (name: string): string => `${ENV_PREFIX}${name}`;

/** Programs whose arguments become shell code (or arithmetic, which can run code). */
const CODE_RUNNERS = new Set(["eval", "trap", "let", "source", ".", "alias"]);
/** Builtins that would keep the value in the shell for every later command. */
const SHELL_STATE = new Set(["export", "declare", "typeset", "local", "readonly", "read", "printf"]);
const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "mksh", "fish", "busybox", "ash"]);
/** Wrappers that run the rest of their arguments as a command. */
const WRAPPERS: Record<string, { flagsWithValue: string[] }> = {
  env: { flagsWithValue: ["-u", "--unset", "-C", "--chdir", "-S", "--split-string"] },
  command: { flagsWithValue: [] },
  builtin: { flagsWithValue: [] },
  exec: { flagsWithValue: ["-a"] },
  nohup: { flagsWithValue: [] },
  time: { flagsWithValue: ["-f", "--format", "-o", "--output"] },
  nice: { flagsWithValue: ["-n", "--adjustment"] },
  stdbuf: { flagsWithValue: ["-i", "-o", "-e"] },
  timeout: { flagsWithValue: ["-s", "--signal", "-k", "--kill-after"] },
  sudo: { flagsWithValue: ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"] },
  doas: { flagsWithValue: ["-u", "-C"] },
  xargs: { flagsWithValue: ["-a", "-d", "-E", "-e", "-I", "-i", "-L", "-l", "-n", "-P", "-s", "--arg-file", "--delimiter", "--max-args", "--max-procs"] },
};
const KEYWORDS = new Set(["!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in", "case", "esac", "select", "function", "[[", "]]", "coproc"]);

export function basename(program: string): string {
  const i = program.lastIndexOf("/");
  return i === -1 ? program : program.slice(i + 1);
}

/** The program a simple command runs, after keywords and wrappers (env, command, timeout, …). */
export interface ProgramInfo {
  /** Basename of the program, or undefined when it is not a static word. */
  program: string | undefined;
  /** Arguments after the program. */
  args: Word[];
  /** Assignments that prefix the command (`A=b cmd`, `env A=b cmd`). */
  assignments: Word[];
  /** Wrappers passed on the way (`sudo`, `xargs`, …). */
  wrappers: string[];
}

export function programOf(command: SimpleCommand): ProgramInfo {
  const assignments = command.words.filter((w) => w.assignment);
  let words = argvOf(command);
  while (words.length > 0 && words[0]!.value !== undefined && KEYWORDS.has(words[0]!.value)) words = words.slice(1);
  const wrappers: string[] = [];
  for (let guard = 0; guard < 8 && words.length > 0; guard++) {
    const first = words[0]!.value;
    const wrapper = first !== undefined ? WRAPPERS[basename(first)] : undefined;
    if (!wrapper) break;
    wrappers.push(basename(first!));
    let i = 1;
    if (basename(first!) === "timeout") {
      while (i < words.length && words[i]!.value?.startsWith("-")) i += wrapper.flagsWithValue.includes(words[i]!.value!) ? 2 : 1;
      i++; // the duration
    } else {
      while (i < words.length) {
        const v = words[i]!.value;
        if (v === undefined) break;
        if (v === "--") {
          i++;
          break;
        }
        if (basename(first!) === "env" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
          assignments.push(words[i]!);
          i++;
          continue;
        }
        if (!v.startsWith("-") || v === "-") break;
        i += wrapper.flagsWithValue.includes(v) ? 2 : 1;
      }
    }
    // env's assignments may also be dynamic words holding references.
    while (basename(first!) === "env" && i < words.length && words[i]!.value === undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!.shape)) {
      assignments.push(words[i]!);
      i++;
    }
    words = words.slice(i);
  }
  const head = words[0];
  return { program: head?.value !== undefined ? basename(head.value) : undefined, args: words.slice(1), assignments, wrappers };
}

/** One use of one secret: which command receives it and how. */
export interface RefUse {
  name: string;
  site: RefSite;
  info: ProgramInfo;
  /** How the value reaches the program. */
  via: "argument" | "assignment" | "heredoc" | "program-name" | "redirect" | "bare-assignment";
}

export type Analysis =
  | { ok: true; names: string[]; uses: RefUse[]; scan: ScanResult }
  | { ok: false; code: "REF_UNSAFE"; reason: string; names: string[] };

/** Finds references and the commands that would receive them; refuses what cannot be proven. */
export function analyzeCommand(command: string): Analysis {
  const scan = scanShell(command);
  const live = scan.refs.filter((r) => !r.comment);
  const names = [...new Set(live.map((r) => r.name))];
  if (live.length === 0) return { ok: true, names, uses: [], scan };
  const refuse = (what: string): Analysis => ({ ok: false, code: "REF_UNSAFE", reason: what, names });
  const problem = scan.problems[0];
  if (problem) return refuse(`hookpack cannot rewrite this command with certainty: it contains ${problem.what}.`);
  for (const h of scan.heredocs) {
    const has = live.some((r) => r.heredoc !== undefined && scan.heredocs[r.heredoc] === h);
    if (!has) continue;
    if (h.inBackticks) return refuse("hookpack cannot rewrite this command with certainty: it contains a reference in a quoted here-document inside backticks.");
    if (!/^[A-Za-z0-9_.-]+$/.test(h.delimiter)) return refuse(`hookpack cannot rewrite this command with certainty: the quoted here-document delimiter "${h.delimiter}" is not a plain word (letters, digits, _ . -).`);
  }
  for (const c of scan.commands) {
    const info = programOf(c);
    if (info.program === undefined) continue;
    const readsCode = CODE_RUNNERS.has(info.program) && info.program !== "let" && info.program !== "trap" && info.program !== "alias";
    const hasC = info.args.some((a) => /^-[A-Za-z]*c[A-Za-z]*$/.test(a.value ?? ""));
    const hasScript = info.args.some((a) => a.value === undefined || !a.value.startsWith("-"));
    const stdinShell = SHELLS.has(info.program) && (info.args.some((a) => a.value === "-s") || (!hasC && !hasScript));
    if (readsCode || stdinShell) {
      return refuse(`hookpack refused this command: it runs \`${info.program}\`, which could execute a secret's value as shell code. Keep commands that use $secret: references free of eval, source and shells reading their input.`);
    }
  }
  const uses: RefUse[] = [];
  for (const site of live) {
    const info = programOf(site.command);
    const word = site.command.words.find((w) => w.start <= site.start && site.end <= w.end);
    let via: RefUse["via"];
    if (site.context === "heredoc" || site.context === "quoted-heredoc") via = "heredoc";
    else if (!word) via = "argument";
    else if (word.redirect) via = "redirect";
    else if (info.assignments.includes(word)) via = info.program === undefined && argvOf(site.command).length === 0 ? "bare-assignment" : "assignment";
    else if (argvOf(site.command)[0] === word) via = "program-name";
    else via = "argument";
    if (via === "bare-assignment") {
      return refuse(
        `hookpack refused this command: \`${word?.shape.split("\u0000").join("") ?? "NAME=…"}\` without a command after it would leave the value of ${site.name} in the shell for every later command. Put the assignment in front of the one command that needs it, e.g. \`TOKEN=$secret:${site.name} curl …\`.`,
      );
    }
    if (info.program !== undefined && SHELL_STATE.has(info.program) && info.program !== "printf" && via === "argument") {
      return refuse(
        `hookpack refused this command: \`${info.program}\` would keep the value of ${site.name} in the shell for every later command. Put an assignment in front of the one command that needs it instead, e.g. \`TOKEN=$secret:${site.name} curl …\`.`,
      );
    }
    if (info.program === "printf" && info.args[0]?.value === "-v") {
      return refuse(`hookpack refused this command: \`printf -v\` would keep the value of ${site.name} in a shell variable for every later command.`);
    }
    const runsCode = info.program !== undefined && (CODE_RUNNERS.has(info.program) || (SHELLS.has(info.program) && info.args.some((a) => a.value === "-c" || /^-[a-z]*c[a-z]*$/.test(a.value ?? ""))));
    if ((runsCode && via === "argument") || (via === "heredoc" && info.program !== undefined && (CODE_RUNNERS.has(info.program) || SHELLS.has(info.program)))) {
      return refuse(
        `hookpack refused this command: the value of ${site.name} would become shell code (\`${info.program}\` interprets its arguments), which hookpack does not allow. Pass it as data instead, e.g. \`TOKEN=$secret:${site.name} ${info.program === "eval" ? "your-command" : info.program} …\` and read "$TOKEN" inside.`,
      );
    }
    if (info.program === undefined && via !== "heredoc" && argvOf(site.command).length > 0) {
      return refuse(`hookpack refused this command: the program that would receive ${site.name} is not a fixed word (it comes from an expansion), so the project policy cannot be checked.`);
    }
    uses.push({ name: site.name, site, info, via });
  }
  return { ok: true, names, uses, scan };
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Rewrites every live reference; the result expects HOOKPACK_SECRET_<NAME> in its environment. */
export function rewriteReferences(command: string, scan: ScanResult): string {
  const live = scan.refs.filter((r) => !r.comment);
  type Edit = { start: number; end: number; text: string };
  const edits: Edit[] = [];
  const heredocRefs = new Map<number, RefSite[]>();
  for (const r of live) {
    const v = envVarFor(r.name);
    switch (r.context) {
      case "unquoted":
        edits.push({ start: r.start, end: r.end, text: `"\${${v}}"` });
        break;
      case "double-quoted":
      case "heredoc":
        edits.push({ start: r.start, end: r.end, text: `\${${v}}` });
        break;
      case "single-quoted":
        edits.push({ start: r.start, end: r.end, text: `'"\${${v}}"'` });
        break;
      case "ansi-c":
        edits.push({ start: r.start, end: r.end, text: `'"\${${v}}"$'` });
        break;
      case "quoted-heredoc": {
        const list = heredocRefs.get(r.heredoc!) ?? [];
        list.push(r);
        heredocRefs.set(r.heredoc!, list);
        break;
      }
    }
  }
  for (const [index, refs] of heredocRefs) {
    // A quoted here-document cannot expand anything: it becomes an unquoted one whose body is
    // escaped (\ $ ` are the only specials there), with the references as expansions.
    const h = scan.heredocs[index]!;
    edits.push({ start: h.delimStart, end: h.delimEnd, text: h.delimiter });
    let body = "";
    let at = h.bodyStart;
    for (const r of [...refs].sort((a, b) => a.start - b.start)) {
      body += command.slice(at, r.start).replace(/[\\$`]/g, "\\$&") + `\${${envVarFor(r.name)}}`;
      at = r.end;
    }
    body += command.slice(at, h.bodyEnd).replace(/[\\$`]/g, "\\$&");
    edits.push({ start: h.bodyStart, end: h.bodyEnd, text: body });
  }
  edits.sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const e of edits) {
    out += command.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + command.slice(at);
}

/** The inner script run by `bash -c`: the variables are un-exported first, so only this shell holds them. */
export function innerScript(command: string, scan: ScanResult, names: readonly string[]): string {
  const rewritten = rewriteReferences(command, scan);
  return `declare +x ${names.map(envVarFor).join(" ")}; ${rewritten}`;
}

export interface SelfInvocation {
  /** Absolute path of the node binary running the hook. */
  node: string;
  /** Absolute path of hookpack's CLI bundle (dist/hookpack.cjs). */
  script: string;
}

/** The argv `hookpack exec` runs after `--`; the grant binds its hash. */
export function brokeredArgv(inner: string): string[] {
  return ["bash", "-c", inner];
}

/** The full rewritten command line: names, a grant id and paths only — never a value. */
export function brokeredCommand(self: SelfInvocation, grantId: string, names: readonly string[], argv: readonly string[]): string {
  const secrets = names.map((n) => `--secret ${n}=${envVarFor(n)}`).join(" ");
  return `${sq(self.node)} ${sq(self.script)} exec --grant ${grantId} ${secrets} -- ${argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : sq(a))).join(" ")}`;
}

export { sq as shellSingleQuote };
