// Aider: no hooks; protected only when started with hookpack-shell as its $SHELL. What doctor
// knows about Aider (its ignore file, its files, how it is started) is adapters/aider.ts.
import { accessSync, constants, readdirSync } from "node:fs";
import { join } from "node:path";
import { AIDER } from "../../adapters/aider.js";
import { findBlock } from "../ignore-files.js";
import { shellWrapperPath } from "../install.js";
import { readIfExists } from "../plan.js";
import { doubleQuote as shellQuote } from "../../core/shell-quote.js";
import type { DoctorCheck, DoctorContext } from "./types.js";

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
  if (!runnable) {
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
