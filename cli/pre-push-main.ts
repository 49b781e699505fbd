// `hookpack pre-push` on its own: git runs it on every push, so it loads only the pre-push command
// and its scanners (dist/pre-push.cjs), not the whole CLI (cli.cjs: every command, every adapter).
// bin.ts hands `pre-push` here unless help is asked for; errors map exactly as in the CLI.
import { prePush } from "./commands/pre-push.js";
import { processIo, runCommand } from "./run-command.js";

export async function main(args: string[]): Promise<void> {
  process.exitCode = await runCommand(prePush, "pre-push", args, processIo());
}
