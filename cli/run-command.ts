// Running one command: its arguments (the one spelling of machine output) and the mapping of its
// errors to messages and exit codes. Shared by the CLI (main.ts) and the entries that load a single
// command on their own (pre-push-main.ts), so every command fails the same way wherever it starts.
import { HookpackError } from "../core/errors.js";
import { isHomeError } from "../core/home.js";
import type { Command, Io } from "./io.js";

/**
 * One spelling of machine output: `--format json` is what help and the README document for every
 * command; `--json` is accepted as its alias. Commands written with a boolean `--json` get
 * `--format text|json` translated for them, commands with `--format` get `--json` translated.
 */
export function machineOutputArgs(
  c: Pick<Command, "name" | "options" | "usage">,
  args: readonly string[],
): string[] {
  const opts = c.options ?? [];
  const hasFormat = opts.some(([f]) => f.startsWith("--format"));
  const hasJson = opts.some(([f]) => f === "--json");
  if (!hasFormat && !hasJson) return [...args];
  const end = args.includes("--") ? args.indexOf("--") : args.length;
  const out: string[] = [];
  for (let i = 0; i < end; i++) {
    const a = args[i]!;
    if (hasFormat && a === "--json") out.push("--format", "json");
    else if (!hasFormat && (a === "--format" || a.startsWith("--format="))) {
      const value = a === "--format" ? args[++i] : a.slice("--format=".length);
      if (value === "json") out.push("--json");
      else if (value !== "text")
        throw new HookpackError(
          "USAGE",
          `hookpack: unknown format "${value ?? ""}" for \`hookpack ${c.name}\`; expected text or json.`,
          `usage: ${displayUsage(c.usage)}`,
        );
    } else out.push(a);
  }
  return [...out, ...args.slice(end)];
}

/** A usage line with the documented spelling of machine output. */
export function displayUsage(usage: string): string {
  return usage.replace(/\[--json\]/g, "[--format text|json]");
}

/** Runs `command` with `args` (after its name); errors become messages and exit codes. */
export async function runCommand(
  command: Command,
  name: string,
  args: string[],
  io: Io,
): Promise<number> {
  try {
    return await command.run(machineOutputArgs(command, args), io);
  } catch (error) {
    if (error instanceof HookpackError || isHomeError(error)) {
      io.err(`${error.message}\n${error.hint ? `hookpack: ${error.hint}\n` : ""}`);
      return error.exitCode;
    }
    if (
      error instanceof TypeError &&
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      // Our own words, not parseArgs' ("To specify a positional argument starting with a '-' …").
      const code = (error as { code?: string }).code;
      const option = /'(-{1,2}[^']*)'/.exec(error.message)?.[1];
      const what =
        code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option
          ? `unknown option ${option} for \`hookpack ${name}\``
          : code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option
            ? `option ${option.split(" ")[0]} of \`hookpack ${name}\` ${/argument missing/.test(error.message) ? "needs a value" : "takes no value"}`
            : code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL"
              ? `\`hookpack ${name}\` takes no such argument (${/'([^']*)'/.exec(error.message)?.[1] ?? "?"})`
              : `bad arguments for \`hookpack ${name}\``;
      io.err(
        `hookpack: ${what}.\nhookpack: usage: ${displayUsage(command.usage)} (\`hookpack ${name} --help\` lists the options)\n`,
      );
      return 2;
    }
    io.err(
      `hookpack: internal error in \`${name}\`: ${(error as Error).stack ?? String(error)}\nhookpack: please report this with the output of \`hookpack --version\` and \`node --version\`.\n`,
    );
    return 2;
  }
}

/** The process's own streams as an Io, with a reader that goes away (`| head`) not an error. */
export function processIo(): Io {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
  };
}
