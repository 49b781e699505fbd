// `hookpack pre-push` on its own: git runs it on every push, so it loads only the pre-push command
// and its scanners (dist/pre-push.cjs), not the whole CLI (cli.cjs: every command, every adapter).
// bin.ts hands `pre-push` here unless help is asked for; errors map exactly as in the CLI.
import { prePush } from "./commands/pre-push.js";
import { processIo, runCommand } from "./run-command.js";
import { prefetchGitText } from "../scanners/git.js";

export async function main(args: string[]): Promise<void> {
  // The two questions every push asks git before its scan can start (where the top level is,
  // which remotes exist) go out now, side by side, instead of one after the other once the
  // command reaches them (the command takes the answers: scanners/git.ts prefetchGitText).
  const cwd = process.cwd();
  prefetchGitText(["rev-parse", "--show-toplevel"], { cwd, env: process.env, okCodes: [0, 128] });
  if (!args.some((a) => a === "--range" || a.startsWith("--range=")))
    prefetchGitText(["remote"], { cwd, env: process.env });
  // The detection engine's automaton (~10 ms, cold) is built once git log has started
  // (scanners/push-range.ts), while git walks the range: no longer in an immediate here, which
  // ran in the wait for these two answers and held them (and git log's start) up to ~10 ms.
  process.exitCode = await runCommand(prePush, "pre-push", args, processIo());
}
