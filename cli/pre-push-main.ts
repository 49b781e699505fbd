// `hookpack pre-push` on its own: git runs it on every push, so it loads only the pre-push command
// and its scanners (dist/pre-push.cjs), not the whole CLI (cli.cjs: every command, every adapter).
// bin.ts hands `pre-push` here unless help is asked for; errors map exactly as in the CLI.
import { prePush } from "./commands/pre-push.js";
import { processIo, runCommand } from "./run-command.js";
import { warmUpDetect } from "../rules/secretlint.js";

export async function main(args: string[]): Promise<void> {
  // The command first waits for git (`rev-parse --show-toplevel`, then the pushed objects' types):
  // the detection engine's automaton (~10 ms, cold) is built in that wait instead of after it.
  // (An immediate runs once the command's first git process is started and the loop is idle.)
  setImmediate(() => void warmUpDetect().catch(() => undefined));
  process.exitCode = await runCommand(prePush, "pre-push", args, processIo());
}
