// Argument shapes several commands share.
import { HookpackError } from "../core/errors.js";

/**
 * For a command that runs another (`exec`, `run`): its own words before `--` and the command after
 * it. Without `--` (or, when `needsCommand`, with nothing after it) a usage error saying `missing`.
 */
export function splitAtDashDash(
  args: readonly string[],
  missing: string,
  usage: string,
  needsCommand = false,
): { own: string[]; command: string[] } {
  const dd = args.indexOf("--");
  if (dd === -1 || (needsCommand && dd === args.length - 1))
    throw new HookpackError("USAGE", missing, `usage: ${usage}`);
  return { own: args.slice(0, dd), command: args.slice(dd + 1) };
}

/** A usage error for a word before `--` that is not an option. */
export function rejectPositionals(positionals: readonly string[], usage: string): void {
  if (positionals.length > 0)
    throw new HookpackError(
      "USAGE",
      `hookpack: unexpected "${positionals[0]}" before \`--\`.`,
      `usage: ${usage}`,
    );
}
