// `hookpack-shell`: a $SHELL replacement for agents without hooks (Aider). Aider runs every shell
// command as `$SHELL -c "<cmd>"` (aider/run_cmd.py: subprocess with executable=$SHELL, or
// pexpect.spawn($SHELL, ["-c", cmd])), so `SHELL=/abs/hookpack-shell.cjs aider` routes them here.
//
// `hookpack-shell -c <cmd> [args…]`:
//   1. the hook's pipeline (hooks/pipeline.ts, with the Aider adapter of adapters/aider.ts) judges
//      the command as a before-tool shell call with the hook's own rules: deny-literal-secrets
//      (a literal secret: denied, exit 126, nothing runs) and rewrite-secret-refs (policy checks,
//      each program that receives a `$secret:NAME` runs under its own brokered exec with a
//      single-use grant);
//   2. the (rewritten) command runs in the real shell under the broker in this process
//      (broker/exec.ts runExec, no grant): every command's stdout/stderr passes through the
//      streaming masker (managed values in every encoding plus secretlint detections), and its
//      exit code is passed through; the brokered programs inside redeem their own grants.
// Anything else (no arguments, -i, -l, a script path) is handed to the real shell unchanged.
//
// There is no session or tool-call id in Aider: the grant is minted and redeemed in this process
// with agent "aider" and a synthetic session id, so it never lives longer than this one command.
// Aider cannot relay hookpack's approval prompt, so a policy entry whose approval is "ask" (the
// default without hookpack.json) or "once" is refused with a message saying how to allow it.
import { spawn } from "node:child_process";
import { accessSync, constants, realpathSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { runExec } from "../broker/exec.js";
import { isHomeError } from "../core/home.js";
import { AIDER, type ShellPayload } from "../adapters/aider.js";
import { runPipeline } from "../hooks/pipeline.js";
import { nodeRuleFiles } from "../hooks/rule-files.js";
import { hookpackHomeFrom } from "../hooks/managed-secrets.js";
import { createSecretRefHost } from "../hooks/secret-ref-host.js";
import { HookpackError } from "../core/errors.js";
import { denyLiteralSecrets } from "../rules/deny-literal-secrets.js";
import { rewriteSecretRefs, type GrantRequest } from "../rules/rewrite-secret-refs.js";
import { secretScanner } from "../rules/secretlint.js";

/** The agent label on grants and audit entries (Aider is not a hook agent, so not in AGENT_IDS). */
export const SHELL_AGENT = AIDER.id;
/** Exit code of a command hookpack refused to run (as a shell's "cannot execute"). */
export const DENIED_EXIT = 126;

/** The hook's rules hookpack-shell runs, in the hook's order: literal secrets, `$secret:` references. */
const SHELL_RULES = [denyLiteralSecrets, rewriteSecretRefs];

export const SHELL_MESSAGES = {
  NEEDS_APPROVAL: (names: readonly string[]) =>
    `hookpack blocked this command: the project policy asks a human to approve each use of ${names.map((n) => `$secret:${n}`).join(", ")}, and hookpack-shell cannot ask (Aider shows no hookpack prompt). Ask the user to set "approval": "auto" for ${names.length > 1 ? "these secrets" : "this secret"} in hookpack.json (with "commands" limiting where ${names.length > 1 ? "they go" : "it goes"}), or to run the command themselves with \`hookpack exec\`.`,
};

/** Thrown by the grant capability instead of minting a grant that would need a human. */
class NeedsApproval extends Error {
  readonly names: readonly string[];
  constructor(names: readonly string[]) {
    super("approval needed");
    this.names = names;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** HOOKPACK_REAL_SHELL, else /bin/bash, else /bin/sh; never this wrapper itself. */
export function realShell(env: NodeJS.ProcessEnv): string {
  const configured = env.HOOKPACK_REAL_SHELL;
  const shell = configured ? configured : isExecutable("/bin/bash") ? "/bin/bash" : "/bin/sh";
  const self = process.argv[1];
  try {
    if (self && realpathSync(shell) === realpathSync(self)) {
      throw new HookpackError(
        "USAGE",
        `hookpack-shell: HOOKPACK_REAL_SHELL (${shell}) is hookpack-shell itself.`,
        "point it at a real shell, e.g. /bin/bash.",
      );
    }
  } catch (error) {
    if (error instanceof HookpackError) throw error;
    // a missing shell is reported by spawn
  }
  return shell;
}

/** Runs argv with our stdio and resolves to its exit code (128+signal when killed). */
function passThrough(argv: readonly string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: "inherit" });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const handlers = (["SIGTERM", "SIGHUP"] as const).map((s) => [s, forward(s)] as const);
    // The terminal delivers SIGINT/SIGQUIT to the whole foreground group, the child included.
    const ignore = () => {};
    for (const [s, h] of handlers) process.on(s, h);
    process.on("SIGINT", ignore);
    process.on("SIGQUIT", ignore);
    child.once("error", (error: NodeJS.ErrnoException) => {
      process.stderr.write(`hookpack-shell: cannot run ${argv[0]}: ${error.message}.\n`);
      done(error.code === "ENOENT" ? 127 : 126);
    });
    child.once("exit", (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      process.off("SIGINT", ignore);
      process.off("SIGQUIT", ignore);
      done(signal ? 128 + (osConstants.signals[signal] ?? 0) : (code ?? 1));
    });
  });
}

/** What the pipeline decided about one command: refused, or what to run instead. */
export type Judgement =
  | { kind: "denied"; message: string }
  | { kind: "run"; command: string; rewritten: boolean; note: string };

/**
 * One command through the hook pipeline (hooks/pipeline.ts) as a before-tool shell call of the
 * Aider adapter (adapters/aider.ts): deny-literal-secrets, then rewrite-secret-refs, folded,
 * degraded and masked as for every hook agent.
 */
export async function judge(
  command: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Judgement> {
  const session = `aider-shell-${process.pid}-${Date.now().toString(36)}`;
  const host = createSecretRefHost(env);
  const payload: ShellPayload = { command, cwd, session };
  const response = await runPipeline(
    { raw: JSON.stringify(payload) },
    {
      adapter: AIDER.pipeline,
      rules: SHELL_RULES,
      scanner: secretScanner,
      env,
      files: nodeRuleFiles(),
      secretRefs: {
        ...host,
        // Each command is its own session here: a "once" approval can never be on record.
        approvedForSession: () => false,
        mintGrant: async (req: GrantRequest) => {
          if (req.approval !== "auto") throw new NeedsApproval(req.names);
          return host.mintGrant({ ...req, agent: SHELL_AGENT });
        },
      },
      ruleError: (error) =>
        error instanceof NeedsApproval
          ? {
              kind: "deny",
              code: "APPROVAL_UNAVAILABLE",
              reason: SHELL_MESSAGES.NEEDS_APPROVAL(error.names),
            }
          : undefined,
      onDecision: async (_event, decision) => {
        if (decision.kind === "deny" && decision.codes.includes("SECRET_LITERAL_IN_INPUT"))
          await recordLiteral(env, cwd);
      },
    },
  );
  if (response.exitCode !== 0) return { kind: "denied", message: response.stderr };
  // Empty stdout: the pipeline failed open (nothing secret involved) and the command runs as given.
  const out = response.stdout
    ? (JSON.parse(response.stdout) as { command: string; rewritten: boolean })
    : { command, rewritten: false };
  return { kind: "run", ...out, note: response.stderr };
}

async function recordLiteral(env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  const { tryRecordAudit } = await import("../broker/audit.js");
  tryRecordAudit(hookpackHomeFrom(env), {
    kind: "exposure-found",
    agent: SHELL_AGENT,
    cwd,
    where: `${SHELL_AGENT} shell command`,
    rule: "deny-literal-secrets",
  });
}

/** `hookpack-shell -c <cmd> [args…]`; resolves to the exit code. */
export async function runShellCommand(
  command: string,
  extra: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<number> {
  const judged = await judge(command, env, cwd);
  if (judged.kind === "denied") {
    // Rule reasons name secrets, never hold a value (deny-literal-secrets describes, never quotes),
    // and the pipeline masks whatever it noted.
    process.stderr.write(judged.message);
    return DENIED_EXIT;
  }
  if (judged.note) process.stderr.write(judged.note);
  if (judged.rewritten && extra.length > 0) {
    process.stderr.write(
      "hookpack-shell: positional arguments after `-c <command>` cannot be combined with $secret: references; the command was not run.\n",
    );
    return DENIED_EXIT;
  }
  const script = judged.command;
  const argv = [realShell(env), "-c", script, ...extra];
  return runExec(
    { argv, secrets: [] },
    {
      home: hookpackHomeFrom(env),
      env: { ...env, HOOKPACK_AGENT: SHELL_AGENT },
      cwd,
      stdout: process.stdout,
      stderr: process.stderr,
      stdoutIsTTY: process.stdout.isTTY === true,
      stdinIsTTY: process.stdin.isTTY === true,
      note: (text) => process.stderr.write(text),
      // No prompt: a passphrase-protected store needs HOOKPACK_PASSPHRASE or the keychain.
      askPassphrase: () =>
        Promise.reject(
          new HookpackError(
            "NO_TERMINAL",
            "hookpack-shell: the secret store is locked and hookpack-shell cannot prompt for its passphrase.",
            "set HOOKPACK_PASSPHRASE for aider, or keep the key in the system keychain.",
          ),
        ),
    },
  );
}

/** The whole program: argv after the node and script paths. */
export async function main(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    if (args[0] === "-c" && args.length >= 2)
      return await runShellCommand(args[1]!, args.slice(2), env, process.cwd());
    // Interactive, -i, -l, a script: the user's own shell, unchanged.
    return await passThrough([realShell(env), ...args]);
  } catch (error) {
    if (error instanceof HookpackError || isHomeError(error)) {
      process.stderr.write(
        `${error.message.replace(/^hookpack:/, "hookpack-shell:")}\n${error.hint ? `hookpack-shell: ${error.hint}\n` : ""}`,
      );
      return DENIED_EXIT; // hookpack's own refusal: the command was not run
    }
    process.stderr.write(
      `hookpack-shell: internal error: ${(error as Error).message}. The command may not have run.\n`,
    );
    return DENIED_EXIT;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
