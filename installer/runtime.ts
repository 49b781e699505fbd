// Where the hook runtime lives, and the exact command an agent's config calls.
//
// Never npx: it resolves the registry on every tool call and breaks once its cache is cleaned.
// - Project scope with hookpack as a dependency of the project: the project's own copy,
//   `node "$CLAUDE_PROJECT_DIR/node_modules/hookpack/dist/hookpack.cjs"`, so the committed
//   settings file works for every teammate after `npm install` (guarded by a file test that
//   blocks with a one-line reason while the package is missing).
// - Otherwise: a stable per-user copy of the self-contained bundles under
//   $HOOKPACK_HOME/runtime/<version>/, run by the absolute path of the node that installed it
//   (GUI-launched agents often have a PATH without node).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { FileChange } from "./plan.js";
import { readIfExists } from "./plan.js";
import { doubleQuote } from "../core/shell-quote.js";

export interface RuntimeChoice {
  /** The command prefix, to which " hook <agent>" is appended. */
  command: string;
  kind: "project-dependency" | "user-runtime";
  /** Files to copy for a user runtime. */
  changes: FileChange[];
}

// moved to core/shell-quote.ts (doubleQuote); kept for installer/doctor.ts until it migrates
export { doubleQuote as shellQuote } from "../core/shell-quote.js";

/** What the project-scope hook command says when the package is not installed (no quote characters). */
export const MISSING_PACKAGE =
  "hookpack: this tool call was blocked unchecked: hookpack is not installed in this project (node_modules/hookpack is missing). Run npm install; or, to stop using hookpack, remove its hook entries from the agent settings (next time run hookpack uninstall before npm uninstall).";

export function isProjectDependency(root: string): boolean {
  const manifest = readIfExists(join(root, "package.json"));
  if (!manifest) return false;
  try {
    const pkg = JSON.parse(manifest) as Record<string, Record<string, string> | undefined>;
    const declared = ["dependencies", "devDependencies", "optionalDependencies"].some((k) => pkg[k]?.hookpack !== undefined);
    return declared && readIfExists(join(root, "node_modules", "hookpack", "dist", "hookpack.cjs")) !== null;
  } catch {
    return false;
  }
}

export interface RuntimeOptions {
  root: string;
  hookpackHome: string;
  scope: "project" | "local" | "user";
  projectDirVariable: string | undefined;
  /** The directory holding the running bundles (dist/). */
  distDir: string;
  version: string;
  nodePath: string;
}

export function chooseRuntime(o: RuntimeOptions): RuntimeChoice {
  if (o.scope === "project" && o.projectDirVariable && isProjectDependency(o.root)) {
    const script = doubleQuote(`$${o.projectDirVariable}/node_modules/hookpack/dist/hookpack.cjs`, [o.projectDirVariable]);
    // After `npm uninstall hookpack`, or in a fresh clone before `npm install`, the file is missing:
    // say so in one line and block (exit 2), as the failure table does for a call that could not be
    // checked, instead of node's module-not-found stack and exit 1 (which agents let through).
    return { kind: "project-dependency", command: `[ -f ${script} ] || { echo '${MISSING_PACKAGE}' >&2; exit 2; }; node ${script}`, changes: [] };
  }
  const target = join(o.hookpackHome, "runtime", o.version);
  const changes: FileChange[] = [];
  for (const name of readdirSync(o.distDir).filter((f) => f.endsWith(".cjs")).sort()) {
    const after = readIfExists(join(o.distDir, name));
    const path = join(target, name);
    if (after === null || path === join(o.distDir, name)) continue;
    changes.push({ path, before: readIfExists(path), after, mode: 0o755, summary: `copy the hook runtime to ${path}` });
  }
  return {
    kind: "user-runtime",
    command: `${doubleQuote(o.nodePath)} ${doubleQuote(join(target, "hookpack.cjs"))}`,
    changes,
  };
}
