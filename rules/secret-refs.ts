// `$secret:NAME` references in a shell command: find them, decide whether the command is one we
// can rewrite with certainty, and plan the delivery: each reference becomes a random placeholder
// (plain letters and digits, literal in every quoting context), and each simple command that
// receives one is prefixed with a brokered exec (`hookpack exec --grant … --grant-key … --`) that
// swaps the placeholders for the value in that one program's argv, environment or stdin. The
// agent's shell, other pipeline stages, redirect targets and later commands only ever hold the
// placeholder; the program's output is masked by the broker before it enters a pipe or a file.
// Pure functions; no I/O.
//
// Semantics (documented in the README): a reference stands for the secret's value, verbatim, as
// one piece of text, wherever it appears — unquoted (no word splitting, no globbing), in "…",
// in '…' and $'…' (hookpack references are not shell syntax, so quotes do not hide them), in
// here-documents quoted or not. `\$secret:NAME` is never a reference. References in comments
// are ignored. A value is never re-parsed as shell code: references in eval, `sh -c` code,
// ${…} operands and arithmetic are refused.
import {
  argvOf,
  REF_ANYWHERE,
  scanShell,
  type RefSite,
  type ScanResult,
  type SimpleCommand,
  type Word,
} from "./shell-scan.js";

export { REF_ANYWHERE };

/** Programs whose arguments become shell code (or arithmetic, which can run code). */
const CODE_RUNNERS = new Set(["eval", "trap", "let", "source", ".", "alias"]);
/** Builtins that would keep the value in the shell for every later command. */
const SHELL_STATE = new Set([
  "export",
  "declare",
  "typeset",
  "local",
  "readonly",
  "read",
  "printf",
]);
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
  xargs: {
    flagsWithValue: [
      "-a",
      "-d",
      "-E",
      "-e",
      "-I",
      "-i",
      "-L",
      "-l",
      "-n",
      "-P",
      "-s",
      "--arg-file",
      "--delimiter",
      "--max-args",
      "--max-procs",
    ],
  },
};
const KEYWORDS = new Set([
  "!",
  "{",
  "}",
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "do",
  "done",
  "while",
  "until",
  "for",
  "in",
  "case",
  "esac",
  "select",
  "function",
  "[[",
  "]]",
  "coproc",
]);

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
  /** The word that names the program (undefined when there is none). */
  head?: Word;
  /** Keywords in front of it (`if`, `!`, `{`, `do`, …). */
  keywords: string[];
}

export function programOf(command: SimpleCommand): ProgramInfo {
  const assignments = command.words.filter((w) => w.assignment);
  let words = argvOf(command);
  const keywords: string[] = [];
  while (words.length > 0 && words[0]!.value !== undefined && KEYWORDS.has(words[0]!.value)) {
    keywords.push(words[0]!.value);
    words = words.slice(1);
  }
  const wrappers: string[] = [];
  for (let guard = 0; guard < 8 && words.length > 0; guard++) {
    const first = words[0]!.value;
    const wrapper = first !== undefined ? WRAPPERS[basename(first)] : undefined;
    if (!wrapper) break;
    wrappers.push(basename(first!));
    let i = 1;
    if (basename(first!) === "timeout") {
      while (i < words.length && words[i]!.value?.startsWith("-"))
        i += wrapper.flagsWithValue.includes(words[i]!.value!) ? 2 : 1;
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
    while (
      basename(first!) === "env" &&
      i < words.length &&
      words[i]!.value === undefined &&
      /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!.shape)
    ) {
      assignments.push(words[i]!);
      i++;
    }
    words = words.slice(i);
  }
  const head = words[0];
  return {
    program: head?.value !== undefined ? basename(head.value) : undefined,
    args: words.slice(1),
    assignments,
    wrappers,
    ...(head ? { head } : {}),
    keywords,
  };
}

/** One use of one secret: which command receives it and how. */
export interface RefUse {
  name: string;
  site: RefSite;
  info: ProgramInfo;
  /** How the value reaches the program. */
  via:
    | "argument"
    | "assignment"
    | "heredoc"
    | "herestring"
    | "program-name"
    | "redirect"
    | "bare-assignment";
}

/** Keywords after which a command starts: the broker can stand right behind them. */
export const COMMAND_POSITION = new Set([
  "!",
  "{",
  "if",
  "then",
  "else",
  "elif",
  "do",
  "while",
  "until",
]);
/** Wrappers that would run the program somewhere hookpack cannot follow, more than once, or after the call. */
const ESCAPING_WRAPPERS = new Set(["sudo", "doas", "xargs", "nohup"]);
/** Programs that detach what they run from the call (it would outlive it), or run it later. */
export const DETACHING = new Set([
  "setsid",
  "nohup",
  "disown",
  "daemonize",
  "screen",
  "tmux",
  "at",
  "batch",
  "systemd-run",
  "start-stop-daemon",
  "coproc",
]);
/** Shell builtins with no program of the same name: the broker cannot run them (functions neither). */
export const BUILTINS = new Set(
  "cd pushd popd dirs export declare typeset local readonly read mapfile readarray eval source . alias unalias trap let set unset shift exit return exec builtin command hash type ulimit umask wait jobs fg bg disown enable getopts caller compgen complete compopt shopt suspend times history fc help logout : bind".split(
    " ",
  ),
);

/** The receiving command's words must be what the broker will see: no expansion left to the shell. */
export function staticWord(command: string, w: Word): boolean {
  if (w.shape.includes(DYN)) return false;
  const raw = command.slice(w.start, w.end);
  // Tilde and brace expansion happen after the scanner's view of the word.
  if (/^~|[=:]~/.test(raw)) return false;
  if (/\{[^}]*(,|\.\.)[^}]*\}/.test(raw) && !/^(['"]).*\1$/s.test(raw)) return false;
  return true;
}
const DYN = "\u0001";
const NUL = String.fromCharCode(0);
const REF_MARK = new RegExp(`${NUL}([A-Za-z0-9_]+)${NUL}`, "g");
export const shown = (w: Word) => w.shape.replace(REF_MARK, "$secret:$1").split(DYN).join("…");

export type Analysis =
  | { ok: true; names: string[]; uses: RefUse[]; scan: ScanResult }
  | { ok: false; code: "REF_UNSAFE"; reason: string; names: string[] };

/** Finds references and the commands that would receive them; refuses what cannot be proven. */
export function analyzeCommand(command: string): Analysis {
  const scan = scanShell(command);
  const live = scan.refs.filter((r) => !r.comment);
  const names = [...new Set(live.map((r) => r.name))];
  if (live.length === 0) return { ok: true, names, uses: [], scan };
  const refuse = (what: string): Analysis => ({
    ok: false,
    code: "REF_UNSAFE",
    reason: what,
    names,
  });
  const problem = scan.problems[0];
  if (problem)
    return refuse(
      `hookpack cannot rewrite this command with certainty: it contains ${problem.what}.`,
    );
  if (scan.background.length > 0) {
    return refuse(
      "hookpack refused this command: it starts a background job (`&` or `coproc`), which could outlive this call while it holds a secret. Run the command that uses the reference in the foreground, and anything else in a separate call.",
    );
  }
  for (const h of scan.heredocs) {
    const has = live.some((r) => r.heredoc !== undefined && scan.heredocs[r.heredoc] === h);
    if (!has) continue;
    if (h.inBackticks)
      return refuse(
        "hookpack cannot rewrite this command with certainty: it contains a reference in a quoted here-document inside backticks.",
      );
    if (!/^[A-Za-z0-9_.-]+$/.test(h.delimiter))
      return refuse(
        `hookpack cannot rewrite this command with certainty: the quoted here-document delimiter "${h.delimiter}" is not a plain word (letters, digits, _ . -).`,
      );
  }
  for (const c of scan.commands) {
    const info = programOf(c);
    if (info.program === undefined) continue;
    const readsCode =
      CODE_RUNNERS.has(info.program) &&
      info.program !== "let" &&
      info.program !== "trap" &&
      info.program !== "alias";
    const hasC = info.args.some((a) => /^-[A-Za-z]*c[A-Za-z]*$/.test(a.value ?? ""));
    const hasScript = info.args.some((a) => a.value === undefined || !a.value.startsWith("-"));
    const stdinShell =
      SHELLS.has(info.program) &&
      (info.args.some((a) => a.value === "-s") || (!hasC && !hasScript));
    if (readsCode || stdinShell) {
      return refuse(
        `hookpack refused this command: it runs \`${info.program}\`, which could execute a secret's value as shell code. Keep commands that use $secret: references free of eval, source and shells reading their input.`,
      );
    }
  }
  const uses: RefUse[] = [];
  for (const site of live) {
    const info = programOf(site.command);
    const word = site.command.words.find((w) => w.start <= site.start && site.end <= w.end);
    let via: RefUse["via"];
    if (site.context === "heredoc" || site.context === "quoted-heredoc") via = "heredoc";
    else if (!word) via = "argument";
    else if (word.redirect && word.redirectOp === "<<<" && word.redirectFd === 0)
      via = "herestring";
    else if (word.redirect) via = "redirect";
    else if (info.assignments.includes(word))
      via =
        info.program === undefined && argvOf(site.command).length === 0
          ? "bare-assignment"
          : "assignment";
    else if (argvOf(site.command)[0] === word) via = "program-name";
    else via = "argument";
    if (via === "bare-assignment") {
      return refuse(
        `hookpack refused this command: \`${word?.shape.split("\u0000").join("") ?? "NAME=…"}\` without a command after it would leave the value of ${site.name} in the shell for every later command. Put the assignment in front of the one command that needs it, e.g. \`TOKEN=$secret:${site.name} curl …\`.`,
      );
    }
    if (
      info.program !== undefined &&
      SHELL_STATE.has(info.program) &&
      info.program !== "printf" &&
      via === "argument"
    ) {
      return refuse(
        `hookpack refused this command: \`${info.program}\` would keep the value of ${site.name} in the shell for every later command. Put an assignment in front of the one command that needs it instead, e.g. \`TOKEN=$secret:${site.name} curl …\`.`,
      );
    }
    if (info.program === "printf" && info.args[0]?.value === "-v") {
      return refuse(
        `hookpack refused this command: \`printf -v\` would keep the value of ${site.name} in a shell variable for every later command.`,
      );
    }
    const runsCode =
      info.program !== undefined &&
      (CODE_RUNNERS.has(info.program) ||
        (SHELLS.has(info.program) &&
          info.args.some((a) => a.value === "-c" || /^-[a-z]*c[a-z]*$/.test(a.value ?? ""))));
    if (
      (runsCode && via === "argument") ||
      (via === "heredoc" &&
        info.program !== undefined &&
        (CODE_RUNNERS.has(info.program) || SHELLS.has(info.program)))
    ) {
      return refuse(
        `hookpack refused this command: the value of ${site.name} would become shell code (\`${info.program}\` interprets its arguments), which hookpack does not allow. Pass it as data instead, e.g. \`TOKEN=$secret:${site.name} ${info.program === "eval" ? "your-command" : info.program} …\` and read "$TOKEN" inside.`,
      );
    }
    if (
      info.program === undefined &&
      via !== "heredoc" &&
      via !== "herestring" &&
      argvOf(site.command).length > 0
    ) {
      return refuse(
        `hookpack refused this command: the program that would receive ${site.name} is not a fixed word (it comes from an expansion), so the project policy cannot be checked.`,
      );
    }
    const why = deliveryProblem(command, site.name, info, via, word, site.command);
    if (why) return refuse(why);
    uses.push({ name: site.name, site, info, via });
  }
  return { ok: true, names, uses, scan };
}

const HOW = (name: string) =>
  `Pass it to one program, in the foreground: as an argument (\`curl -H "Authorization: Bearer $secret:${name}" https://…\`), an assignment in front of it (\`TOKEN=$secret:${name} program …\`) or its stdin (\`program <<< "$secret:${name}"\`).`;

/** Why the value of `name` could reach something other than the one program of `command`, if it could. */
function deliveryProblem(
  text: string,
  name: string,
  info: ProgramInfo,
  via: RefUse["via"],
  word: Word | undefined,
  command: SimpleCommand,
): string | undefined {
  if (via === "redirect") {
    return `hookpack refused this command: $secret:${name} is in a redirection (\`${word ? text.slice(word.start, word.end) : "…"}\`), so the value would name a file or descriptor instead of reaching a program. ${HOW(name)}`;
  }
  if (info.program === undefined || info.head === undefined) {
    return `hookpack refused this command: the here-document or here-string holding $secret:${name} is not attached to a program. ${HOW(name)}`;
  }
  if (via === "heredoc" && (command.heredocFds ?? []).some((fd) => fd !== 0)) {
    return `hookpack refused this command: the here-document holding $secret:${name} feeds a file descriptor other than stdin; hookpack delivers a value only on a program's stdin. ${HOW(name)}`;
  }
  const bad = info.keywords.find((k) => !COMMAND_POSITION.has(k));
  if (bad !== undefined) {
    return `hookpack refused this command: $secret:${name} sits in a shell construct (\`${bad}\`), where the shell itself would hold the value. ${HOW(name)}`;
  }
  const escaping = info.wrappers.find((w) => ESCAPING_WRAPPERS.has(w));
  if (escaping !== undefined || DETACHING.has(info.program)) {
    return `hookpack refused this command: \`${escaping ?? info.program}\` would run the program that receives $secret:${name} elsewhere, more than once or after this call ends. ${HOW(name)}`;
  }
  if (BUILTINS.has(info.program) || functionsDefined(text).has(info.program)) {
    return `hookpack refused this command: \`${info.program}\` is a shell builtin or function, so the value of ${name} would stay in the shell. ${HOW(name)}`;
  }
  if (via === "argument" || via === "assignment" || via === "program-name") {
    if (
      word !== undefined &&
      command.words.indexOf(word) < command.words.indexOf(info.head) &&
      !info.assignments.includes(word)
    ) {
      return `hookpack refused this command: $secret:${name} is an argument of \`${info.wrappers.at(-1) ?? "a wrapper"}\`, not of the program it runs. ${HOW(name)}`;
    }
  }
  const args = [info.head, ...info.args];
  const dynamic = args.find((w) => !staticWord(text, w));
  if (dynamic) {
    return `hookpack refused this command: \`${info.program}\`, which receives $secret:${name}, has a word the shell expands at run time (\`${shown(dynamic)}\`). Write its arguments out in full (quoted, without $VAR, $(…), globs, ~ or {a,b}) so the grant binds exactly what runs, or compute them in a separate call.`;
  }
  for (const a of info.assignments) {
    if (a.refs.length === 0) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(a.shape) || !staticWord(text, a)) {
      return `hookpack refused this command: the assignment \`${shown(a)}\` that carries $secret:${name} must be NAME=text with nothing else the shell expands. ${HOW(name)}`;
    }
  }
  return undefined;
}

export function functionsDefined(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(
    /(?:^|[\s;&|(){}])(?:function\s+)?([A-Za-z_][A-Za-z0-9_.:-]*)\s*\(\s*\)/g,
  ))
    out.add(m[1]!);
  for (const m of text.matchAll(/(?:^|[\s;&|(){}])function\s+([A-Za-z_][A-Za-z0-9_.:-]*)/g))
    out.add(m[1]!);
  return out;
}

// ----- the delivery plan ------------------------------------------------------------------------

/** One program that receives values: the broker goes in front of its program word. */
export interface Delivery {
  /** Index into scan.commands. */
  index: number;
  names: string[];
  /** Program and arguments after quote removal, placeholders in place of the references. */
  argv: string[];
  /** Assignments in front of it that carry a placeholder: variable → text. */
  env: Record<string, string>;
  /** A here-document or here-string on its stdin carries a placeholder. */
  stdin: boolean;
  /** Raw offset where the broker prefix goes. */
  at: number;
  /** Text inserted right after the program word (curl's `-q`: no ~/.curlrc), at this raw offset. */
  after?: { at: number; text: string };
}

export interface Plan {
  /** The command with every reference replaced by its placeholder (no broker prefixes yet). */
  text: string;
  deliveries: Delivery[];
  /** Placeholder → secret name. */
  placeholders: Record<string, string>;
}

/** A placeholder per name: plain letters and digits (literal in every quoting context), random per call. */
export function placeholderFor(nonce: string, index: number): string {
  return `HPK${nonce}_${index}_`;
}

/** Plans the delivery of an analysed command (analysis.ok). `nonce`: [a-z2-7]{16,}, random per call. */
export function planDelivery(
  command: string,
  analysis: Extract<Analysis, { ok: true }>,
  nonce: string,
): Plan {
  const { scan, uses, names } = analysis;
  const ph = new Map(names.map((n, i) => [n, placeholderFor(nonce, i)]));
  const placeholders = Object.fromEntries([...ph].map(([n, p]) => [p, n]));
  const live = scan.refs.filter((r) => !r.comment).sort((a, b) => a.start - b.start);
  let text = "";
  let at = 0;
  for (const r of live) {
    text += command.slice(at, r.start) + ph.get(r.name)!;
    at = r.end;
  }
  text += command.slice(at);
  const fill = (shape: string) => shape.replace(REF_MARK, (_, n: string) => ph.get(n)!);
  const byCommand = new Map<SimpleCommand, RefUse[]>();
  for (const u of uses)
    byCommand.set(u.site.command, [...(byCommand.get(u.site.command) ?? []), u]);
  const deliveries: Delivery[] = [];
  for (const [c, list] of byCommand) {
    const info = list[0]!.info;
    const env: Record<string, string> = {};
    for (const a of info.assignments) {
      if (a.refs.length === 0) continue;
      const filled = fill(a.shape);
      const eq = filled.indexOf("=");
      env[filled.slice(0, eq)] = filled.slice(eq + 1);
    }
    const argv = [info.head!, ...info.args].map((w) => fill(w.shape));
    // A config file the agent can write (~/.curlrc, ~/.wgetrc) could add a proxy, a URL or a
    // header: the brokered curl and wget read none (`-q` must be curl's first argument).
    const noConfig = noConfigArg(info.program);
    if (noConfig !== undefined && argv[1] !== noConfig) argv.splice(1, 0, noConfig);
    deliveries.push({
      index: scan.commands.indexOf(c),
      names: [...new Set(list.map((u) => u.name))].sort(),
      argv,
      env,
      stdin: list.some((u) => u.via === "heredoc" || u.via === "herestring"),
      at: info.head!.start,
      ...(noConfig !== undefined && argv[1] === noConfig && info.args[0]?.value !== noConfig
        ? { after: { at: info.head!.end, text: ` ${noConfig}` } }
        : {}),
    });
  }
  return { text, deliveries, placeholders };
}

/**
 * The argument that keeps a brokered program from reading a config file the agent can write
 * (~/.curlrc, ~/.wgetrc could add a proxy, a URL or a header): curl's `-q` (it must be the first
 * argument), wget's `--no-config`.
 */
export function noConfigArg(program: string | undefined): string | undefined {
  return program === "curl" ? "-q" : program === "wget" ? "--no-config" : undefined;
}

/** Where the raw offsets of `command` land in `plan.text` (references shrink or grow). */
function shift(
  command: string,
  analysis: Extract<Analysis, { ok: true }>,
  plan: Plan,
  offset: number,
): number {
  let delta = 0;
  for (const r of analysis.scan.refs) {
    if (r.comment || r.start >= offset) continue;
    const p = Object.entries(plan.placeholders).find(([, n]) => n === r.name)![0];
    delta += p.length - (r.end - r.start);
  }
  return offset + delta;
}

/** The broker prefix for one delivery: names, a grant id and a key (never a value). */
export function brokerPrefix(
  self: SelfInvocation,
  grantId: string,
  key: string,
  stdin: boolean,
  capabilities: readonly string[] = [],
): string {
  const q = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : sq(a));
  return `${q(self.node)} ${q(self.script)} exec --grant ${grantId} --grant-key ${key}${stdin ? " --stdin-refs" : ""}${capabilities.map((c) => ` --cap ${c}`).join("")} -- `;
}

/** The rewritten command: the planned text with each delivery's broker prefix in front of its program. */
export function deliveredCommand(
  command: string,
  analysis: Extract<Analysis, { ok: true }>,
  plan: Plan,
  prefixes: readonly string[],
): string {
  const inserts = plan.deliveries
    .flatMap((d, i) => [
      { at: shift(command, analysis, plan, d.at), text: prefixes[i]! },
      ...(d.after ? [{ at: shift(command, analysis, plan, d.after.at), text: d.after.text }] : []),
    ])
    .sort((a, b) => b.at - a.at);
  let out = plan.text;
  for (const ins of inserts) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return out;
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface SelfInvocation {
  /** Absolute path of the node binary running the hook. */
  node: string;
  /** Absolute path of hookpack's CLI bundle (dist/hookpack.cjs). */
  script: string;
}

export { sq as shellSingleQuote };
