// `hookpack scan` on its own: the command and its scanners (dist/scan.cjs), not the whole CLI
// (cli.cjs: every command, every adapter, the broker's TLS and HTTP clients). A scan's fixed start
// was ~60 ms over `node -e 0`, much of it reading and deserialising cli.cjs (1 MB) and the Node
// built-ins other commands need. bin.ts hands `scan` here unless help is asked for; errors map
// exactly as in the CLI (run-command.ts).
import { scan } from "./commands/scan.js";
import { processIo, runCommand } from "./run-command.js";

export async function main(args: string[]): Promise<void> {
  process.exitCode = await runCommand(scan, "scan", args, processIo());
}
