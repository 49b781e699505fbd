// `hookpack exec`: run one command with secrets in its environment and its output masked.
import { parseArgs } from "node:util";
import { rejectPositionals, splitAtDashDash } from "../args.js";
import { parseSecretFlag, runExec } from "../../broker/exec.js";
import { hookpackHome } from "../context.js";
import type { Command } from "../io.js";
import { passphrasePrompt } from "./secret-prompt.js";

const USAGE =
  "hookpack exec [--secret NAME[=ENVVAR]]… [--cap NAME]… [--env-file FILE] -- <cmd> [args…]";

export const exec: Command = {
  name: "exec",
  options: [
    ["--secret NAME[=ENVVAR]", "put a stored secret into the child's environment (repeatable)"],
    ["--env-file FILE", "a dotenv file whose $secret:NAME references are resolved"],
    ["--grant <id>", "the single-use grant a hook's rewrite carries (not for people)"],
  ],
  example: "hookpack exec --secret GITHUB_TOKEN=GH_TOKEN -- gh api user",
  summary: "run a command with secrets injected into its environment only; its output is masked",
  usage: USAGE,
  async run(args, io) {
    const { own, command } = splitAtDashDash(
      args,
      "hookpack: `exec` needs `--` before the command.",
      USAGE,
    );
    const { values, positionals } = parseArgs({
      args: own,
      options: {
        secret: { type: "string", multiple: true },
        "env-file": { type: "string" },
        grant: { type: "string" },
        "grant-key": { type: "string" },
        "stdin-refs": { type: "boolean" },
        cap: { type: "string", multiple: true },
      },
      strict: true,
      allowPositionals: true,
    });
    rejectPositionals(positionals, USAGE);
    return runExec(
      {
        argv: command,
        secrets: (values.secret ?? []).map(parseSecretFlag),
        envFile: values["env-file"],
        grant: values.grant,
        ...(values["grant-key"] !== undefined ? { grantKey: values["grant-key"] } : {}),
        ...(values["stdin-refs"] ? { stdinRefs: true } : {}),
        ...(values.cap ? { capabilities: values.cap } : {}),
      },
      {
        home: hookpackHome(io),
        env: io.env,
        cwd: io.cwd,
        // Binary-safe output goes straight to our own streams (cli/ is allowed to touch them).
        stdout: process.stdout,
        stderr: process.stderr,
        stdoutIsTTY: process.stdout.isTTY === true,
        stdinIsTTY: process.stdin.isTTY === true,
        note: (text) => io.err(text),
        askPassphrase: passphrasePrompt,
        stdin: process.stdin,
      },
    );
  },
};
