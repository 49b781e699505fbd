// Aider: no hooks; protected only when started with hookpack-shell as its $SHELL. What doctor
// knows about Aider (its ignore file, its files, how it is started) is adapters/aider.ts.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import { join } from "node:path";
import { AIDER } from "../../adapters/aider.js";
import { findBlock } from "../ignore-files.js";
import { shellWrapperPath } from "../install.js";
import { readIfExists } from "../plan.js";
import { doubleQuote as shellQuote } from "../../core/shell-quote.js";
import type { DoctorCheck, DoctorContext } from "./types.js";

/** What hookpack-shell prints for doctor's probe: it must really run the command it is given. */
const PROBE_MARKER = "hookpack-doctor-probe";

/**
 * Probes hookpack-shell in its own wire format, the way Aider runs every command (`$SHELL -c
 * <cmd>`): a harmless `printf` must run (its output comes back) and exit 0. Says what went wrong,
 * or undefined for a healthy wrapper.
 */
export function probeShellWrapper(shell: string, ctx: DoctorContext): string | undefined {
  const r = spawnSync(shell, ["-c", `printf ${PROBE_MARKER}`], {
    cwd: ctx.root,
    env: ctx.env,
    encoding: "utf8",
    timeout: ctx.hookTimeoutMs ?? 15_000,
  });
  if (r.error) return `it could not be started (${r.error.message.slice(0, 200)})`;
  const said = (r.stderr ?? "").trim().split("\n")[0]?.slice(0, 200);
  if (r.status !== 0)
    return `it answered a harmless \`printf\` with ${r.status === null ? `signal ${r.signal}` : `exit ${r.status}`}${said ? ` (${said})` : ""}`;
  if (r.stdout !== PROBE_MARKER) return "it exited 0 without running a harmless `printf`";
  return undefined;
}

export function checkAider(ctx: DoctorContext): DoctorCheck[] {
  let names: string[];
  try {
    names = readdirSync(ctx.root);
  } catch {
    return [];
  }
  const aiderFiles = names.filter(
    (n) => n.startsWith(AIDER.stateFilePrefix) && n !== AIDER.ignoreFile,
  );
  const ignoreText = readIfExists(join(ctx.root, AIDER.ignoreFile));
  const installed = ignoreText !== null && findBlock(ignoreText) !== undefined;
  // Aider not used here, and never installed for: nothing to say.
  if (aiderFiles.length === 0 && !installed) return [];
  const out: DoctorCheck[] = [];
  const base = { subject: ctx.root, agent: AIDER.id };
  const seen =
    aiderFiles.length > 0
      ? `${AIDER.displayName} is used here (${aiderFiles.slice(0, 2).join(", ")})`
      : `${AIDER.displayName} was set up here`;
  const shell = shellWrapperPath(ctx);
  let runnable = false;
  try {
    accessSync(shell, constants.X_OK);
    runnable = true;
  } catch {
    runnable = false;
  }
  const broken = runnable && ctx.runHooks !== false ? probeShellWrapper(shell, ctx) : undefined;
  if (broken) {
    out.push({
      id: "aider-shell",
      status: "fail",
      ...base,
      message: `${seen}, but hookpack-shell (${shell}) is broken: ${broken}. An Aider started with it cannot run its shell commands.`,
      fix: `run it by hand to see why: ${shellQuote(shell)} -c true; then \`hookpack install --agent ${AIDER.id}\`.`,
    });
  } else if (!runnable) {
    out.push({
      id: "aider-shell",
      status: "warn",
      ...base,
      message: `${seen}, but hookpack-shell ${ctx.version} is not installed (${shell}); Aider's shell commands are not checked.`,
      fix: `hookpack install --agent ${AIDER.id}`,
    });
  } else if (ctx.env[AIDER.shellVariable] === shell) {
    out.push({
      id: "aider-shell",
      status: "ok",
      ...base,
      message: `${seen}; this environment's ${AIDER.shellVariable} is hookpack-shell, so an Aider started from it is protected.`,
    });
  } else {
    // Doctor cannot see how Aider gets started; say what protects it.
    out.push({
      id: "aider-shell",
      status: "info",
      ...base,
      message: `${seen}. Aider has no hooks: it is protected only when started as ${AIDER.startCommand(shellQuote(shell))}.`,
    });
  }
  out.push(
    installed
      ? {
          id: "aider-ignore",
          status: "ok",
          ...base,
          message: `${AIDER.ignoreFile} keeps credential files out of ${AIDER.displayName}'s reach.`,
        }
      : {
          id: "aider-ignore",
          status: "warn",
          ...base,
          message:
            "Aider reads files itself (/add, its repo map) and no .aiderignore block keeps .env and key files from it.",
          fix: `hookpack install --agent ${AIDER.id}`,
        },
  );
  return out;
}
