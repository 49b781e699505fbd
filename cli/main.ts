// `hookpack <command>`: dispatch, help, and the mapping of errors to exit codes
// (0 done, 1 findings or a failed check, 2 usage or fatal error).
import { COMMANDS } from "./commands/index.js";
import { VERSION } from "./context.js";
import type { Command, Io } from "./io.js";
import { displayUsage, processIo, runCommand } from "./run-command.js";

export { displayUsage, machineOutputArgs } from "./run-command.js";

/** Every environment variable hookpack reads, for `hookpack help` (the README lists the same). */
export const ENVIRONMENT: ReadonlyArray<[string, string]> = [
  ["HOOKPACK_HOME", "per-user state (default ~/.hookpack); absolute, outside any project"],
  ["HOOKPACK_KEY_BACKEND", "where a new store's key goes: keychain (default), file, passphrase"],
  ["HOOKPACK_PASSPHRASE", "the store passphrase for the passphrase backend (else a prompt)"],
  ["HOOKPACK_MIN_SECRET_LENGTH", "shortest value `secret set` accepts (default 6, at least 4)"],
  ["HOOKPACK_DEBUG", "1 for diagnostics on stderr, or a file path to append them to"],
  ["HOOKPACK_CODE_CACHE", "0 turns off the hook's V8 code cache (Node 20)"],
  [
    "HOOKPACK_FAST_ALLOW",
    "0 makes every Claude Code hook call take the full rules (no fast allow)",
  ],
  [
    "HOOKPACK_SQLITE3",
    "the sqlite3 shell that cleans agent state kept in SQLite (default sqlite3 on PATH)",
  ],
  ["HOOKPACK_MAX_STDIN_BYTES", "largest hook payload read (default 64 MiB)"],
  ["HOOKPACK_STDIN_TIMEOUT_MS", "how long a hook waits for its payload (default 10000)"],
  ["HOOKPACK_AUDIT_MAX_BYTES", "audit log file size before it rotates (default 8 MiB)"],
  ["HOOKPACK_AUDIT_KEEP", "rotated audit files kept (default 8; 0 keeps all)"],
  ["HOOKPACK_REAL_SHELL", "the shell hookpack-shell runs (default /bin/bash)"],
  ["HOOKPACK_AGENT", "the agent name the audit log records for exec, pre-push, check-pack"],
  ["HOOKPACK_SESSION", "the session id the audit log records for a plain `hookpack exec`"],
  [
    "HOOKPACK_BROKER_IDLE_MS",
    "how long the broker process waits idle before it stops (default 10 min)",
  ],
  ["HOOKPACK_BROKER_UPSTREAM_CA", "a CA file the injection proxy also trusts for upstream servers"],
  ["NO_COLOR", "honoured (hookpack prints no colour)"],
];

const EXIT_STATUS = [
  "Exit status:",
  "  0  done, nothing found",
  "  1  findings, a block, or a failed check",
  "  2  usage error or fatal error",
  "  130  cancelled with Ctrl-C at a prompt",
];

const HOOK_USAGE = "hookpack hook <agent>";
const HOOK_SUMMARY = "what an agent's hook config runs; one payload on stdin";

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length), HOOK_USAGE.length);
  const envWidth = Math.max(...ENVIRONMENT.map(([n]) => n.length));
  const lines = [
    `hookpack ${VERSION}: keep secrets out of AI coding agents.`,
    "",
    "Usage (`hookpack <command> --help` for each command's options):",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`),
    `  ${"hook".padEnd(11)} ${HOOK_SUMMARY}`,
    "",
    "Environment:",
    ...ENVIRONMENT.map(([n, d]) => `  ${n.padEnd(envWidth)}  ${d}`),
    "",
    ...EXIT_STATUS,
    "",
  ];
  void width;
  return lines.map((l) => wrap(l)).join("\n");
}

/** Fits a help line into 100 columns: continuation lines are indented under its text column. */
export function wrap(line: string, max = 100): string {
  if (line.length <= max) return line;
  const indent = " ".repeat(
    Math.min(40, /^(\s*\S+(?:\s\S+)*?\s{2,}|\s*Usage: \S+ \S+ |\s*)/.exec(line)?.[0].length ?? 2),
  );
  const out: string[] = [];
  let rest = line;
  while (rest.length > max) {
    const cut = rest.lastIndexOf(" ", max);
    if (cut <= indent.length) break;
    out.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut + 1).trimStart();
  }
  out.push(rest);
  return out.join("\n");
}

const ALIAS_NOTE = "(--json is the same as --format json)";

/** One command's help: usage, summary, options (one line each), exit status, example. */
export function commandHelp(c: Pick<Command, "usage" | "summary" | "options" | "example">): string {
  const opts = (c.options ?? []).map(([f, d]): readonly [string, string] =>
    f === "--json"
      ? ["--format text|json", `output format ${ALIAS_NOTE}`]
      : f.startsWith("--format") && f.includes("json") && !d.includes("--json")
        ? [f, `${d} ${ALIAS_NOTE}`]
        : [f, d],
  );
  const w = Math.max(0, ...opts.map(([f]) => f.length));
  return [
    `Usage: ${displayUsage(c.usage)}`,
    "",
    c.summary,
    ...(opts.length > 0 ? ["", "Options:", ...opts.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`)] : []),
    "",
    ...EXIT_STATUS,
    ...(c.example ? ["", "Example:", `  ${c.example}`] : []),
    "",
  ]
    .map((l) => wrap(l))
    .join("\n");
}

const HOOK_HELP = {
  usage: `${HOOK_USAGE}   (agent: claude-code, codex, gemini, copilot, cline, opencode, cursor, windsurf, qwen)`,
  summary: `${HOOK_SUMMARY}. \`hookpack install\` registers it; you do not run it by hand.`,
  example: "echo '{}' | hookpack hook claude-code",
};

/** The closest command name, for "did you mean …". */
function closest(name: string): string | undefined {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [
      i,
      ...Array<number>(b.length).fill(0),
    ]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length]![b.length]!;
  };
  const names = [...COMMANDS.map((c) => c.name), "hook", "help"];
  const best = names
    .map((n) => ({ n, d: n.startsWith(name) && name.length >= 2 ? 0 : distance(name, n) }))
    .sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(1, Math.floor(best.n.length / 3)) ? best.n : undefined;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? args[0] : undefined;
    if (topic !== undefined) {
      const c = COMMANDS.find((x) => x.name === topic);
      if (c) io.out(commandHelp(c));
      else if (topic === "hook") io.out(commandHelp(HOOK_HELP));
      else {
        const guess = closest(topic);
        io.err(
          `hookpack: no command "${topic}"${guess ? `; did you mean \`hookpack help ${guess}\`?` : ""} Run \`hookpack help\` for the list.\n`,
        );
        return 2;
      }
      return 0;
    }
    io.out(helpText());
    return name === undefined ? 2 : 0;
  }
  if (name === "hook") {
    // Reached only for `hook --help` (bin.ts hands `hook <agent>` straight to the hook runtime).
    io.out(commandHelp(HOOK_HELP));
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const guess = closest(name);
    io.err(
      `hookpack: unknown command "${name}".${guess ? ` Did you mean \`hookpack ${guess}\`?` : ""} Run \`hookpack help\` for the list.\n`,
    );
    return 2;
  }
  // Only hookpack's own arguments: after `--` they belong to a child command (`exec -- cmd --help`).
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (own.includes("--help") || own.includes("-h")) {
    io.out(commandHelp(command));
    return 0;
  }
  return runCommand(command, name, args, io);
}

export async function main(argv: string[]): Promise<void> {
  // A reader that goes away (`hookpack audit | head`) is not an error worth a stack trace.
  process.exitCode = await run(argv, processIo());
}
