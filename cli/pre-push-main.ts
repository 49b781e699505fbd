// `hookpack pre-push` on its own: git runs it on every push, so it loads only the pre-push command
// and its scanners (dist/pre-push.cjs), not the whole CLI (cli.cjs: every command, every adapter).
// bin.ts hands `pre-push` here unless help is asked for; errors map exactly as in the CLI.
import { prePush } from "./commands/pre-push.js";
import { processIo, runCommand } from "./run-command.js";
import { warmUpDetect } from "../rules/secretlint.js";
import { prefetchGitText } from "../scanners/git.js";
import { useViewsWorker } from "../scanners/push-range.js";

// The worker thread's entry (scanners/push-views-pool.ts): it loads this same bundle.
export { runPushViewsWorker } from "../scanners/push-views-pool.js";

export async function main(args: string[]): Promise<void> {
  // The two questions every push asks git before its scan can start (where the top level is,
  // which remotes exist) go out now, side by side, instead of one after the other once the
  // command reaches them (the command takes the answers: scanners/git.ts prefetchGitText).
  const cwd = process.cwd();
  prefetchGitText(["rev-parse", "--show-toplevel"], { cwd, env: process.env, okCodes: [0, 128] });
  if (!args.some((a) => a === "--range" || a.startsWith("--range=")))
    prefetchGitText(["remote"], { cwd, env: process.env });
  // The command then waits for git (the top level, the pushed objects' types): the detection
  // engine's automaton (~10 ms, cold) is built in that wait instead of after it.
  // (An immediate runs once the command's first git process is started and the loop is idle.)
  setImmediate(() => void warmUpDetect().catch(() => undefined));
  // Built (dist/pre-push.cjs): a large push's stored-value search may also run on a worker thread
  // that loads this bundle (scanners/push-views-pool.ts).
  if (typeof __filename === "string" && /[/\\]pre-push\.cjs$/.test(__filename))
    useViewsWorker(__filename);
  process.exitCode = await runCommand(prePush, "pre-push", args, processIo());
}
