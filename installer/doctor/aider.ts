// Aider: no hooks; protected only when started with hookpack-shell as its $SHELL.
import { accessSync, constants, readdirSync } from "node:fs";
import { join } from "node:path";
import { findBlock } from "../ignore-files.js";
import { shellWrapperPath } from "../install.js";
import { readIfExists } from "../plan.js";
import { shellQuote } from "../runtime.js";
import type { DoctorCheck, DoctorContext } from "./types.js";

export function checkAider(ctx: DoctorContext): DoctorCheck[] {
  let names: string[];
  try {
    names = readdirSync(ctx.root);
  } catch {
    return [];
  }
  const aiderFiles = names.filter((n) => n.startsWith(".aider") && n !== ".aiderignore");
  const ignoreText = readIfExists(join(ctx.root, ".aiderignore"));
  const installed = ignoreText !== null && findBlock(ignoreText) !== undefined;
  // Aider not used here, and never installed for: nothing to say.
  if (aiderFiles.length === 0 && !installed) return [];
  const out: DoctorCheck[] = [];
  const base = { subject: ctx.root, agent: "aider" };
  const seen = aiderFiles.length > 0 ? `Aider is used here (${aiderFiles.slice(0, 2).join(", ")})` : "Aider was set up here";
  const shell = shellWrapperPath(ctx);
  let runnable = false;
  try {
    accessSync(shell, constants.X_OK);
    runnable = true;
  } catch {
    runnable = false;
  }
  if (!runnable) {
    out.push({ id: "aider-shell", status: "warn", ...base, message: `${seen}, but hookpack-shell ${ctx.version} is not installed (${shell}); Aider's shell commands are not checked.`, fix: "hookpack install --agent aider" });
  } else if (ctx.env.SHELL === shell) {
    out.push({ id: "aider-shell", status: "ok", ...base, message: `${seen}; this environment's SHELL is hookpack-shell, so an Aider started from it is protected.` });
  } else {
    // Doctor cannot see how Aider gets started; say what protects it.
    out.push({ id: "aider-shell", status: "info", ...base, message: `${seen}. Aider has no hooks: it is protected only when started as SHELL=${shellQuote(shell)} aider.` });
  }
  out.push(
    installed
      ? { id: "aider-ignore", status: "ok", ...base, message: ".aiderignore keeps credential files out of Aider's reach." }
      : { id: "aider-ignore", status: "warn", ...base, message: "Aider reads files itself (/add, its repo map) and no .aiderignore block keeps .env and key files from it.", fix: "hookpack install --agent aider" },
  );
  return out;
}

