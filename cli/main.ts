// `hookpack <command>`: dispatch, help, and the mapping of errors to exit codes
// (0 done, 1 findings or a failed check, 2 usage or fatal error).
import { isHomeError } from "../broker/home.js";
import { HookpackError } from "../installer/errors.js";
import { COMMANDS } from "./commands/index.js";
import { VERSION } from "./context.js";
import type { Io } from "./io.js";

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length), "hookpack hook <agent>".length);
  const lines = [
    `hookpack ${VERSION}: keep secrets out of AI coding agents.`,
    "",
    "Usage:",
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    `  ${"hookpack hook <agent>".padEnd(width)}  what an agent's hook config runs; one payload on stdin`,
    "",
    "Environment:",
    "  HOOKPACK_HOME    per-user state (default ~/.hookpack)",
    "  HOOKPACK_DEBUG   1 for diagnostics on stderr, or a file path to append them to",
    "  NO_COLOR         honoured (hookpack prints no colour)",
    "",
    "Exit status:",
    "  0  done, nothing found",
    "  1  findings, a block, or a failed check",
    "  2  usage error or fatal error",
    "",
  ];
  return lines.join("\n");
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.out(helpText());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`hookpack: unknown command "${name}". Run \`hookpack help\` for the list.\n`);
    return 2;
  }
  // Only hookpack's own arguments: after `--` they belong to a child command (`exec -- cmd --help`).
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (own.includes("--help") || own.includes("-h")) {
    io.out(`${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof HookpackError || isHomeError(error)) {
      io.err(`${error.message}\n${error.hint ? `hookpack: ${error.hint}\n` : ""}`);
      return error.exitCode;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`hookpack: ${error.message}. Usage: ${command.usage}\n`);
      return 2;
    }
    io.err(`hookpack: internal error in \`${name}\`: ${(error as Error).stack ?? String(error)}\nhookpack: please report this with the output of \`hookpack --version\` and \`node --version\`.\n`);
    return 2;
  }
}

export async function main(argv: string[]): Promise<void> {
  // A reader that goes away (`hookpack audit | head`) is not an error worth a stack trace.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await run(argv, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
  });
}
