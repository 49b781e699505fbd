// Which files a shell command reads and shows: `cat .env`, `head -n 5 ~/.aws/credentials`,
// `grep TOKEN config/app.env`, `source .env && …`, `< .env`, `$(cat .env)`. A small POSIX-ish
// lexer (quotes, escapes, `$(…)`/backticks, operators), not a shell: it errs towards listing
// a word as a path; the guard then looks at files that exist only.

/** Commands whose file operands end up in their output (or in the shell, for `source`). */
const READERS = new Set([
  "cat", "tac", "nl", "less", "more", "most", "head", "tail", "bat", "batcat", "view", "strings", "od", "xxd", "hexdump", "hd",
  "base64", "base32", "basenc", "uuencode", "grep", "egrep", "fgrep", "rg", "ag", "ack", "zgrep", "zcat", "gzcat", "bzcat", "xzcat",
  "sed", "awk", "gawk", "mawk", "cut", "sort", "uniq", "paste", "column", "fold", "fmt", "pr", "expand", "rev", "diff", "cmp", "comm",
  "jq", "yq", "xq", "source", ".", "dos2unix", "iconv", "openssl", "envsubst",
]);
/** Readers whose first operand is a program or pattern, not a file. */
const PATTERN_FIRST = new Set(["grep", "egrep", "fgrep", "rg", "ag", "ack", "zgrep", "sed", "awk", "gawk", "mawk", "jq", "yq", "xq"]);
/** Words that only wrap the real command. */
const WRAPPERS = new Set(["sudo", "command", "builtin", "exec", "nohup", "time", "env", "xargs", "doas", "nice", "stdbuf", "timeout"]);

type Token = { word: string } | { op: string };

/** Splits a command into words and operators; `$(…)` and backticks are returned as nested commands. */
export function lex(command: string, nested: string[] = []): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const push = () => {
    if (word !== undefined) tokens.push({ word });
    word = undefined;
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "\\" && i + 1 < command.length) {
      word = (word ?? "") + command[++i];
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      const stop = end === -1 ? command.length : end;
      word = (word ?? "") + command.slice(i + 1, stop);
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      while (j < command.length && command[j] !== '"') {
        if (command[j] === "\\" && j + 1 < command.length) text += command[++j];
        else if (command[j] === "$" && command[j + 1] === "(") {
          const end = matchParen(command, j + 1);
          nested.push(command.slice(j + 2, end));
          text += "$(…)";
          j = end;
        } else text += command[j];
        j++;
      }
      word = (word ?? "") + text;
      i = j;
    } else if (c === "$" && command[i + 1] === "(") {
      const end = matchParen(command, i + 1);
      nested.push(command.slice(i + 2, end));
      word = (word ?? "") + "$(…)";
      i = end;
    } else if (c === "`") {
      const end = command.indexOf("`", i + 1);
      const stop = end === -1 ? command.length : end;
      nested.push(command.slice(i + 1, stop));
      word = (word ?? "") + "$(…)";
      i = stop;
    } else if (c === "\n" || c === ";" || c === "|" || c === "&" || c === "(" || c === ")") {
      push();
      let op = c;
      if ((c === "|" || c === "&") && command[i + 1] === c) op += command[++i];
      tokens.push({ op });
    } else if (c === "<" || c === ">") {
      push();
      let op = c;
      while (command[i + 1] === "<" || command[i + 1] === ">" || command[i + 1] === "&") op += command[++i];
      // A redirection's fd prefix ("2>") was pushed as a word; it is harmless as a word.
      tokens.push({ op });
    } else if (c === " " || c === "\t") {
      push();
    } else if (c === "#" && word === undefined) {
      const end = command.indexOf("\n", i);
      i = end === -1 ? command.length : end - 1;
    } else {
      word = (word ?? "") + c;
    }
  }
  push();
  return tokens;
}

function matchParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i;
  }
  return s.length;
}

/** Files a command may show, as written (relative paths stay relative; `~/` is kept). */
export function shellReadTargets(command: string, depth = 0): string[] {
  const nested: string[] = [];
  const tokens = lex(command, nested);
  const out: string[] = [];
  let words: string[] = [];
  let pendingRedirect: string | undefined;
  const flush = () => {
    out.push(...readersOperands(words));
    words = [];
  };
  for (const t of tokens) {
    if ("op" in t) {
      if (t.op === "<" || t.op === "<<<" || t.op === "<>" || t.op.startsWith(">") || t.op === "&>" || t.op === "<&" || t.op === ">&") {
        pendingRedirect = t.op;
        continue;
      }
      flush();
      continue;
    }
    if (pendingRedirect !== undefined) {
      if (pendingRedirect === "<" || pendingRedirect === "<>") out.push(t.word);
      pendingRedirect = undefined;
      continue;
    }
    words.push(t.word);
  }
  flush();
  if (depth < 3) for (const n of nested) out.push(...shellReadTargets(n, depth + 1));
  return [...new Set(out.filter((w) => w !== "" && w !== "-" && !w.includes("$(…)")))];
}

function readersOperands(words: string[]): string[] {
  let i = 0;
  // Leading VAR=value assignments and wrappers (with their own options).
  for (;;) {
    const w = words[i];
    if (w === undefined) return [];
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++;
    else if (WRAPPERS.has(w)) {
      i++;
      for (;;) {
        const o = words[i];
        if (o === undefined) break;
        if (/^-[ugnCUprtkDs]$/.test(o)) i += 2; // an option with a value: sudo -u root, env -u VAR, nice -n 5
        else if (o.startsWith("-") || (w === "timeout" && /^\d/.test(o))) i++;
        else break;
      }
    } else break;
  }
  const cmd = words[i]!.split("/").pop()!;
  if (!READERS.has(cmd)) return [];
  const rest = words.slice(i + 1);
  const operands: string[] = [];
  let skipFirst = PATTERN_FIRST.has(cmd);
  for (let k = 0; k < rest.length; k++) {
    const w = rest[k]!;
    if (w === "--") {
      operands.push(...rest.slice(k + 1).filter((x, n) => !(skipFirst && n === 0)));
      break;
    }
    if (w.startsWith("-") && w !== "-") {
      // `grep -e PATTERN` / `-f FILE`: the pattern comes from an option, so the first operand is a file.
      if (skipFirst && /^-[A-Za-z]*[ef]$/.test(w)) {
        if (w.endsWith("f") && rest[k + 1]) operands.push(rest[k + 1]!);
        skipFirst = false;
        k++;
      } else if (/^-[nc]$/.test(w) && (cmd === "head" || cmd === "tail")) k++;
      continue;
    }
    if (skipFirst) {
      skipFirst = false;
      continue;
    }
    operands.push(w);
  }
  return operands;
}
