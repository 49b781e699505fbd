// A bash lexer that knows exactly as much of the shell grammar as `$secret:` rewriting needs:
// quoting contexts (unquoted, "…", '…', $'…', $"…", unquoted and quoted here-documents),
// nesting ($(…), `…`, ${…}, $((…))), comments, operators and the words of each simple command.
// It never executes or expands anything. Where it cannot be sure (a `case` inside $(…), a
// here-document opened inside a substitution, …) it records a problem instead of guessing; the
// caller denies a command with a reference and a problem. Pure; the oracle for all of this is
// bash itself (test/rules/shell-refs.property.test.ts).

/** `$secret:NAME` or `${secret:NAME}`; NAME is `[A-Za-z_][A-Za-z0-9_]*`. */
export const REF_AT = /\$(?:secret:([A-Za-z_][A-Za-z0-9_]*)|\{secret:([A-Za-z_][A-Za-z0-9_]*)\})/y;
/** A quick test before any parsing: does the text hold something that looks like a reference? */
export { REF_ANYWHERE } from "./secret-ref.js";

/** Where a reference sits, in bash's terms. */
export type RefContext =
  "unquoted" | "double-quoted" | "single-quoted" | "ansi-c" | "heredoc" | "quoted-heredoc";

export interface Word {
  /** Raw span in the original command. */
  start: number;
  end: number;
  /** The word after quote removal when it holds no expansion; undefined when it does. */
  value: string | undefined;
  /** The word with each reference replaced by `\u0000NAME\u0000`, other expansions by `\u0001`. */
  shape: string;
  refs: string[];
  /** NAME=… before the command name. */
  assignment: boolean;
  /** The target of a redirection (`> file`), or the word of a here-string (`<<< word`). */
  redirect: boolean;
  /** For a redirection target: its operator (`>`, `<`, `<<<`, `>&`, …) and the file descriptor written before it, if any. */
  redirectOp?: string;
  redirectFd?: number;
}

export interface SimpleCommand {
  words: Word[];
  /** 0 at top level; +1 inside each $(…), `…`, <(…). */
  level: number;
  /** Here-documents attached to this command: operator fd (0 unless written, e.g. `3<<EOF`). */
  heredocFds?: number[];
  /** Every here-document body of this command (quoted or not), as raw spans, with its fd. */
  heredocBodies?: HeredocBody[];
  /** The command whose output this one reads on stdin (`a | b`: b's pipeFrom is a). */
  pipeFrom?: SimpleCommand;
  /** The producer of the pipe is a compound command (`( … ) |`, `done |`): its output is not one command's. */
  pipeFromGroup?: boolean;
}

export interface HeredocBody {
  fd: number;
  quoted: boolean;
  /** `<<-`: leading tabs are stripped from each line. */
  dash: boolean;
  /** Raw span of the body, up to (not including) the delimiter line. */
  start: number;
  end: number;
}

export interface RefSite {
  /** Raw span in the original command (a `\$` escape inside backticks included). */
  start: number;
  end: number;
  name: string;
  context: RefContext;
  /** The simple command that receives the value (the one whose word or here-document holds it). */
  command: SimpleCommand;
  /** Inside a comment: bash ignores it, so it is neither rewritten nor granted. */
  comment: boolean;
  /** Index into `heredocs` for references in a quoted here-document body. */
  heredoc?: number;
  /** Inside backticks (the raw text is escaped one level per backtick). */
  inBackticks: boolean;
}

export interface QuotedHeredoc {
  /** Raw span of the delimiter word (`'EOF'`). */
  delimStart: number;
  delimEnd: number;
  /** The delimiter after quote removal. */
  delimiter: string;
  /** Raw span of the body, up to (not including) the delimiter line. */
  bodyStart: number;
  bodyEnd: number;
  inBackticks: boolean;
}

export interface ScanResult {
  refs: RefSite[];
  commands: SimpleCommand[];
  heredocs: QuotedHeredoc[];
  /** Constructs the scanner does not handle with certainty, each with the raw offset. */
  problems: Array<{ at: number; what: string; ref: boolean }>;
  /** Raw offsets of every `&` that puts a job in the background (not `&&`, `&>`, `>&`, `|&`), and of `coproc`. */
  background: number[];
}

interface PendingHeredoc {
  fd: number;
  quoted: boolean;
  dash: boolean;
  delimiter: string;
  delimStart: number;
  delimEnd: number;
  command: SimpleCommand;
}

const BLANK = new Set([" ", "\t"]);
const META = new Set([" ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">"]);
const NAME_CHAR = /[A-Za-z0-9_]/;
const NAME_START = /[A-Za-z_]/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const DYN = "\u0001";

/** Shared state of one scan; nested scanners (backticks) write into the same result. */
interface Shared {
  result: ScanResult;
  /** Pending here-documents of enclosing lists (a newline inside a substitution cannot serve them). */
  outerPending: number;
}

class Scanner {
  private pos = 0;
  /** Current word being built. */
  private word: Word | undefined;
  private cmd: SimpleCommand;
  private readonly pending: PendingHeredoc[] = [];
  /** >0 while inside ${…} or $((…)): a reference there is a problem. */
  private exprDepth = 0;
  private inComment = false;

  private readonly text: string;
  /** Raw start offset of each character of `text` (its escape included); past the end → the raw end. */
  private readonly rawStart: (i: number) => number;
  private readonly rawEnd: (i: number) => number;
  private readonly shared: Shared;
  private readonly level: number;
  private readonly inBackticks: boolean;

  constructor(
    text: string,
    rawStart: (i: number) => number,
    rawEnd: (i: number) => number,
    shared: Shared,
    level: number,
    inBackticks: boolean,
  ) {
    this.text = text;
    this.rawStart = rawStart;
    this.rawEnd = rawEnd;
    this.shared = shared;
    this.level = level;
    this.inBackticks = inBackticks;
    this.cmd = { words: [], level };
  }

  private problem(at: number, what: string, ref = false): void {
    this.shared.result.problems.push({
      at: this.rawStart(Math.min(at, this.text.length - 1)),
      what,
      ref,
    });
  }

  // ----- words and commands -------------------------------------------------------------------

  private startWord(): Word {
    if (!this.word)
      this.word = {
        start: this.rawStart(this.pos),
        end: this.rawStart(this.pos),
        value: "",
        shape: "",
        refs: [],
        assignment: false,
        redirect: false,
      };
    return this.word;
  }

  private lit(s: string): void {
    const w = this.startWord();
    if (w.value !== undefined) w.value += s;
    w.shape += s;
  }

  private dyn(): void {
    const w = this.startWord();
    w.value = undefined;
    w.shape += DYN;
  }

  private nextIsRedirectTarget = false;
  private nextRedirectOp: string | undefined;
  private nextRedirectFd: number | undefined;

  private endWord(): void {
    const w = this.word;
    if (!w) return;
    this.word = undefined;
    w.end = this.rawEnd(this.pos - 1);
    if (this.nextIsRedirectTarget) {
      w.redirect = true;
      if (this.nextRedirectOp !== undefined) w.redirectOp = this.nextRedirectOp;
      if (this.nextRedirectFd !== undefined) w.redirectFd = this.nextRedirectFd;
      this.nextIsRedirectTarget = false;
      this.nextRedirectOp = undefined;
      this.nextRedirectFd = undefined;
    } else if (
      !this.cmd.words.some((x) => !x.assignment && !x.redirect) &&
      ASSIGNMENT.test(w.shape)
    ) {
      w.assignment = true;
    }
    this.cmd.words.push(w);
    if (
      w.value === "coproc" &&
      !w.redirect &&
      this.cmd.words.filter((x) => !x.assignment && !x.redirect).length === 1
    )
      this.shared.result.background.push(w.start);
    if (
      this.level > 0 &&
      w.value === "case" &&
      this.cmd.words.filter((x) => !x.assignment && !x.redirect).length === 1
    ) {
      this.problem(this.pos - 1, "a `case` statement inside a command substitution");
    }
  }

  /** The last command ended (for a pipe's producer). */
  private lastCmd: SimpleCommand | undefined;

  private endCommand(): void {
    this.endWord();
    const pipe = this.cmd.words.length === 0 ? this.cmd : undefined;
    if (this.cmd.words.length > 0) {
      this.shared.result.commands.push(this.cmd);
      this.lastCmd = this.cmd;
    }
    this.cmd = { words: [], level: this.level };
    // `a |` then a newline: the pipe still feeds the next command.
    if (pipe?.pipeFrom) this.cmd.pipeFrom = pipe.pipeFrom;
    if (pipe?.pipeFromGroup) this.cmd.pipeFromGroup = true;
  }

  private ref(at: number, name: string, end: number, context: RefContext, heredoc?: number): void {
    const comment = this.inComment;
    if (!comment && this.exprDepth > 0) this.problem(at, "a reference inside ${…} or $((…))", true);
    // A `\$` escape inside backticks belongs to the reference's raw span.
    this.shared.result.refs.push({
      start: this.rawStart(at),
      end: this.rawEnd(end - 1),
      name,
      context,
      command: this.cmd,
      comment,
      heredoc,
      inBackticks: this.inBackticks,
    });
    if (!comment && context !== "heredoc" && context !== "quoted-heredoc") {
      const w = this.startWord();
      w.value = undefined;
      w.shape += `\u0000${name}\u0000`;
      w.refs.push(name);
    }
  }

  /** Matches a reference at `this.pos`; returns true and advances when one is there. */
  private tryRef(context: RefContext, heredoc?: number): boolean {
    REF_AT.lastIndex = this.pos;
    const m = REF_AT.exec(this.text);
    if (!m) return false;
    const end = this.pos + m[0].length;
    this.ref(this.pos, (m[1] ?? m[2])!, end, context, heredoc);
    this.pos = end;
    return true;
  }

  // ----- command level ------------------------------------------------------------------------

  /** Scans a command list until EOF or, when `close` is ")", the `)` that ends it. */
  list(close: ")" | undefined): void {
    const t = this.text;
    let depth = 0;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (BLANK.has(c)) {
        this.endWord();
        this.pos++;
      } else if (c === "\n") {
        this.endCommand();
        this.pos++;
        if (this.pending.length > 0) this.readHeredocs();
        else if (this.shared.outerPending > 0)
          this.problem(
            this.pos - 1,
            "a newline inside a substitution while a here-document is pending",
          );
      } else if (c === "#" && !this.word) {
        this.comment();
      } else if (c === "&" && t[this.pos + 1] === ">") {
        this.redirection();
      } else if (c === ";" || c === "&" || c === "|") {
        this.endCommand();
        const op = /^(;;&|;;|;&|&&|\|\||\|&|[;&|])/.exec(t.slice(this.pos, this.pos + 3))![0];
        if ((op === "|" || op === "|&") && this.lastCmd) {
          this.cmd.pipeFrom = this.lastCmd;
          const before = t.slice(0, this.pos).trimEnd();
          const last = argvOf(this.lastCmd);
          const head = last.length === 1 ? (last[0]!.value ?? "") : "";
          if (before.endsWith(")") || /^(\}|done|fi|esac)$/.test(head))
            this.cmd.pipeFromGroup = true;
        }
        if (op === "&" && !this.inComment)
          this.shared.result.background.push(this.rawStart(this.pos));
        this.pos += op.length;
      } else if (c === "(") {
        this.endCommand();
        depth++;
        this.pos++;
      } else if (c === ")") {
        this.endCommand();
        this.pos++;
        if (depth === 0 && close === ")") return;
        depth = Math.max(0, depth - 1);
      } else if (c === "<" || c === ">") {
        this.redirection();
      } else {
        this.wordPart("unquoted");
      }
    }
    this.endCommand();
    if (close === ")") this.problem(t.length - 1, "an unterminated $(…)");
    if (this.pending.length > 0) this.problem(t.length - 1, "a here-document without a body");
  }

  private comment(): void {
    const t = this.text;
    const nl = t.indexOf("\n", this.pos);
    const end = nl === -1 ? t.length : nl;
    this.inComment = true;
    // References in comments are recorded (as comments) so the caller can tell they were seen.
    for (let i = this.pos; i < end; i++) {
      if (t[i] === "$") {
        REF_AT.lastIndex = i;
        const m = REF_AT.exec(t);
        if (m && !(i > 0 && t[i - 1] === "\\")) {
          this.ref(i, (m[1] ?? m[2])!, i + m[0].length, "unquoted");
          i += m[0].length - 1;
        }
      }
    }
    this.inComment = false;
    this.pos = end;
  }

  private redirection(): void {
    const t = this.text;
    const c = t[this.pos]!;
    // A word of digits right before the operator is a file descriptor, not an argument.
    let fd: number | undefined;
    if (this.word && this.word.value !== undefined && /^\d+$/.test(this.word.value)) {
      fd = Number(this.word.value);
      this.word = undefined;
    }
    this.endWord();
    if (t[this.pos + 1] === "(") {
      // Process substitution <(…) / >(…): a nested list; the word's raw span starts at `<`.
      this.startWord();
      this.pos += 2;
      this.nested(")");
      this.dyn();
      return;
    }
    if (c === "<" && t.startsWith("<<<", this.pos)) {
      this.pos += 3;
      // The here-string's word is read by the command on fd 0 (or the fd written before it).
      while (BLANK.has(t[this.pos] ?? "")) this.pos++;
      this.nextIsRedirectTarget = true;
      this.nextRedirectOp = "<<<";
      this.nextRedirectFd = fd ?? 0;
      return;
    }
    if (c === "<" && t[this.pos + 1] === "<") {
      const dash = t[this.pos + 2] === "-";
      this.pos += dash ? 3 : 2;
      (this.cmd.heredocFds ??= []).push(fd ?? 0);
      this.heredocOperator(dash, fd ?? 0);
      return;
    }
    const op = /^(&>>|&>|>>|>&|>\||<&|<>|[<>])/.exec(t.slice(this.pos, this.pos + 3))![0];
    this.pos += op.length;
    this.nextIsRedirectTarget = true;
    this.nextRedirectOp = op;
    if (fd !== undefined) this.nextRedirectFd = fd;
  }

  private heredocOperator(dash: boolean, fd: number): void {
    const t = this.text;
    while (BLANK.has(t[this.pos] ?? "")) this.pos++;
    const start = this.pos;
    let delimiter = "";
    let quoted = false;
    while (this.pos < t.length && !META.has(t[this.pos]!)) {
      const c = t[this.pos]!;
      if (c === "$" && (t.startsWith("$secret:", this.pos) || t.startsWith("${secret:", this.pos)))
        this.problem(this.pos, "a reference in a here-document delimiter", true);
      if (c === "\\") {
        quoted = true;
        delimiter += t[this.pos + 1] ?? "";
        this.pos += 2;
      } else if (c === "'" || c === '"') {
        quoted = true;
        const close = t.indexOf(c, this.pos + 1);
        if (close === -1) {
          this.problem(this.pos, "an unterminated quote in a here-document delimiter");
          this.pos = t.length;
          break;
        }
        delimiter += t.slice(this.pos + 1, close);
        this.pos = close + 1;
      } else if (c === "$" && (t[this.pos + 1] === "'" || t[this.pos + 1] === '"')) {
        this.problem(this.pos, "a $'…' here-document delimiter");
        quoted = true;
        this.pos++;
      } else {
        delimiter += c;
        this.pos++;
      }
    }
    if (this.pos === start) {
      this.problem(start, "a here-document operator without a delimiter");
      return;
    }
    this.pending.push({
      fd,
      quoted,
      dash,
      delimiter,
      delimStart: this.rawStart(start),
      delimEnd: this.rawEnd(this.pos - 1),
      command: this.cmd,
    });
    this.shared.outerPending++;
  }

  private readHeredocs(): void {
    const t = this.text;
    for (const h of this.pending.splice(0)) {
      this.shared.outerPending--;
      const bodyStart = this.pos;
      const isDelimiterLine = (from: number): number | undefined => {
        const nl = t.indexOf("\n", from);
        const end = nl === -1 ? t.length : nl;
        let line = t.slice(from, end);
        if (h.dash) line = line.replace(/^\t+/, "");
        if (line === h.delimiter) return nl === -1 ? t.length : nl + 1;
        return undefined;
      };
      const saved = this.cmd;
      this.cmd = h.command;
      let index: number | undefined;
      if (h.quoted) {
        index = this.shared.result.heredocs.length;
        this.shared.result.heredocs.push({
          delimStart: h.delimStart,
          delimEnd: h.delimEnd,
          delimiter: h.delimiter,
          bodyStart: this.rawStart(bodyStart),
          bodyEnd: this.rawStart(bodyStart),
          inBackticks: this.inBackticks,
        });
      }
      let done = false;
      let bodyEnd = t.length;
      while (this.pos < t.length) {
        const after = isDelimiterLine(this.pos);
        if (after !== undefined) {
          bodyEnd = this.pos;
          this.pos = after;
          done = true;
          break;
        }
        if (h.quoted) this.quotedHeredocLine(index!);
        else this.heredocLine();
      }
      if (!done) bodyEnd = t.length;
      if (index !== undefined) this.shared.result.heredocs[index]!.bodyEnd = this.rawStart(bodyEnd);
      (h.command.heredocBodies ??= []).push({
        fd: h.fd,
        quoted: h.quoted,
        dash: h.dash,
        start: this.rawStart(bodyStart),
        end: this.rawStart(bodyEnd),
      });
      this.cmd = saved;
      this.word = undefined;
    }
  }

  /** One line of a quoted here-document: literal, a reference is recognised unless `\` precedes it. */
  private quotedHeredocLine(index: number): void {
    const t = this.text;
    while (this.pos < t.length && t[this.pos] !== "\n") {
      if (
        t[this.pos] === "$" &&
        !(this.pos > 0 && t[this.pos - 1] === "\\") &&
        this.tryRef("quoted-heredoc", index)
      )
        continue;
      this.pos++;
    }
    this.pos++;
  }

  /** One logical line of an unquoted here-document body (expansions, `\` escapes). */
  private heredocLine(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === "\n") {
        this.pos++;
        return;
      }
      if (c === "\\") {
        this.pos += 2; // \$ \` \\ escape; \<newline> joins lines; \x stays \x
        continue;
      }
      if (c === "$") {
        this.dollar("heredoc");
        continue;
      }
      if (c === "`") {
        this.backtick(false);
        continue;
      }
      this.pos++;
    }
  }

  // ----- word parts ---------------------------------------------------------------------------

  /** One piece of a word in unquoted context. */
  private wordPart(context: "unquoted"): void {
    const t = this.text;
    const c = t[this.pos]!;
    this.startWord();
    if (c === "\\") {
      if (t[this.pos + 1] === "\n") {
        this.pos += 2;
        return;
      }
      this.lit(t[this.pos + 1] ?? "");
      this.pos += 2;
    } else if (c === "'") {
      this.singleQuoted();
    } else if (c === '"') {
      this.pos++;
      this.doubleQuoted();
    } else if (c === "$") {
      this.dollar(context);
    } else if (c === "`") {
      this.backtick(false);
    } else {
      if (c === "*" || c === "?" || c === "[") {
        // A glob may expand to file names: the word's value is not static.
        this.dyn();
      } else {
        this.lit(c);
      }
      this.pos++;
    }
  }

  private singleQuoted(): void {
    const t = this.text;
    this.pos++;
    let buf = "";
    while (this.pos < t.length && t[this.pos] !== "'") {
      if (t[this.pos] === "$" && t[this.pos - 1] !== "\\") {
        if (buf) this.lit(buf);
        buf = "";
        if (this.tryRef("single-quoted")) continue;
      }
      buf += t[this.pos];
      this.pos++;
    }
    if (buf) this.lit(buf);
    if (this.pos >= t.length) this.problem(t.length - 1, "an unterminated single quote");
    this.pos++;
  }

  private ansiQuoted(): void {
    const t = this.text;
    this.pos += 2;
    while (this.pos < t.length && t[this.pos] !== "'") {
      const c = t[this.pos]!;
      if (c === "\\") {
        // Escapes are decoded by bash; the value is not worth reproducing here.
        this.dyn();
        this.pos += 2;
        continue;
      }
      if (c === "$" && this.tryRef("ansi-c")) continue;
      this.lit(c);
      this.pos++;
    }
    if (this.pos >= t.length) this.problem(t.length - 1, "an unterminated $'…'");
    this.pos++;
  }

  /** After the opening `"`; consumes the closing one. */
  private doubleQuoted(): void {
    const t = this.text;
    this.startWord();
    while (this.pos < t.length && t[this.pos] !== '"') {
      const c = t[this.pos]!;
      if (c === "\\") {
        const n = t[this.pos + 1] ?? "";
        if (n === "\n") {
          this.pos += 2;
          continue;
        }
        this.lit('$`"\\'.includes(n) ? n : `\\${n}`);
        this.pos += 2;
      } else if (c === "$") {
        this.dollar("double-quoted");
      } else if (c === "`") {
        this.backtick(true);
      } else {
        this.lit(c);
        this.pos++;
      }
    }
    if (this.pos >= t.length) this.problem(t.length - 1, "an unterminated double quote");
    this.pos++;
  }

  /** At a `$` in the given context. */
  private dollar(context: "unquoted" | "double-quoted" | "heredoc"): void {
    const t = this.text;
    if (this.tryRef(context)) return;
    const n = t[this.pos + 1] ?? "";
    if (n === "'" && context === "unquoted") {
      this.ansiQuoted();
    } else if (n === '"' && context === "unquoted") {
      this.pos += 2;
      this.doubleQuoted();
    } else if (n === "(" && t[this.pos + 2] === "(") {
      this.arithmetic();
    } else if (n === "(") {
      this.pos += 2;
      this.nested(")");
      this.dyn();
    } else if (n === "{") {
      this.parameter();
    } else if (NAME_START.test(n)) {
      this.pos++;
      while (this.pos < t.length && NAME_CHAR.test(t[this.pos]!)) this.pos++;
      this.dyn();
    } else if (/[0-9@*#?$!-]/.test(n)) {
      this.pos += 2;
      this.dyn();
    } else {
      this.lit("$");
      this.pos++;
    }
  }

  /** `$((…))`: skipped to the matching `))`; references inside are problems. */
  private arithmetic(): void {
    const t = this.text;
    const at = this.pos;
    this.pos += 3;
    let depth = 0;
    this.exprDepth++;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === "(") depth++;
      else if (c === ")") {
        if (depth === 0 && t[this.pos + 1] === ")") {
          this.pos += 2;
          this.exprDepth--;
          this.dyn();
          return;
        }
        depth--;
      } else if (c === "$") {
        if (this.tryRef("unquoted")) continue;
        if (t[this.pos + 1] === "(" && t[this.pos + 2] !== "(") {
          this.pos += 2;
          this.nested(")");
          continue;
        }
      } else if (c === "`") {
        this.backtick(false);
        continue;
      } else if (c === "'" || c === '"' || c === "\\") {
        this.problem(this.pos, "quoting inside $((…))");
      }
      this.pos++;
    }
    this.exprDepth--;
    this.problem(at, "an unterminated $((…))");
  }

  /** `${…}` other than `${secret:NAME}`: nested words are scanned; references inside are problems. */
  private parameter(): void {
    const t = this.text;
    const at = this.pos;
    this.pos += 2;
    this.exprDepth++;
    const saved = this.word;
    this.word = undefined;
    while (this.pos < t.length && t[this.pos] !== "}") {
      const c = t[this.pos]!;
      if (c === "\\") this.pos += 2;
      else if (c === "'") this.singleQuoted();
      else if (c === '"') {
        this.pos++;
        this.doubleQuoted();
      } else if (c === "$") this.dollar("unquoted");
      else if (c === "`") this.backtick(false);
      else this.pos++;
    }
    this.word = saved;
    this.exprDepth--;
    if (this.pos >= t.length) this.problem(at, "an unterminated ${…}");
    this.pos++;
    this.dyn();
  }

  /** A nested command list ($(…), <(…)) in the same text; consumes the closing `)`. */
  private nested(close: ")"): void {
    const inner = new Scanner(
      this.text,
      this.rawStart,
      this.rawEnd,
      this.shared,
      this.level + 1,
      this.inBackticks,
    );
    inner.pos = this.pos;
    inner.exprDepth = this.exprDepth;
    inner.list(close);
    this.pos = inner.pos;
  }

  /** `…`: the body is de-escaped (\$ \` \\, and \" inside double quotes) and scanned as a list. */
  private backtick(inDoubleQuotes: boolean): void {
    const t = this.text;
    const open = this.pos;
    let i = this.pos + 1;
    let body = "";
    const starts: number[] = [];
    const ends: number[] = [];
    for (; i < t.length && t[i] !== "`"; i++) {
      if (t[i] === "\\" && i + 1 < t.length) {
        const n = t[i + 1]!;
        if (n === "$" || n === "`" || n === "\\" || (inDoubleQuotes && n === '"')) {
          body += n;
          starts.push(this.rawStart(i));
          ends.push(this.rawEnd(i + 1));
          i++;
          continue;
        }
        body += "\\" + n;
        starts.push(this.rawStart(i), this.rawStart(i + 1));
        ends.push(this.rawEnd(i), this.rawEnd(i + 1));
        i++;
        continue;
      }
      body += t[i];
      starts.push(this.rawStart(i));
      ends.push(this.rawEnd(i));
    }
    if (i >= t.length) {
      this.problem(open, "an unterminated backtick");
      this.pos = t.length;
      return;
    }
    // bash finds the end of `…` and of $(…) inside it on the raw text, before de-escaping, and
    // its rules for that differ between versions: anything beyond plain words is refused.
    if (/\$\(|\$\{(?!secret:)|`|\\/.test(body) || (inDoubleQuotes && body.includes('"'))) {
      this.problem(
        open,
        'backticks holding $(…), ${…}, nested backticks, escapes or (inside "…") quotes — use $(…) instead',
      );
    }
    const closeRaw = this.rawStart(i);
    const inner = new Scanner(
      body,
      (k) => (k < starts.length ? starts[k]! : closeRaw),
      (k) => (k < ends.length ? ends[k]! : closeRaw),
      this.shared,
      this.level + 1,
      true,
    );
    inner.exprDepth = this.exprDepth;
    inner.list(undefined);
    this.pos = i + 1;
    this.dyn();
  }
}

/** Scans a command; never throws. */
export function scanShell(command: string): ScanResult {
  const result: ScanResult = { refs: [], commands: [], heredocs: [], problems: [], background: [] };
  const scanner = new Scanner(
    command,
    (i) => i,
    (i) => i + 1,
    { result, outerPending: 0 },
    0,
    false,
  );
  scanner.list(undefined);
  return result;
}

/** The words that make up the program and its arguments (assignments and redirections left out). */
export function argvOf(command: SimpleCommand): Word[] {
  return command.words.filter((w) => !w.assignment && !w.redirect);
}
