// The project-level part of `hookpack install`: ignore-file blocks, the git pre-push hook and the
// opt-in publish gate. One entry point per direction so install.ts needs only a line each.
import { join } from "node:path";
import { planGitHook, planGitHookRemoval, hookRuntime, type GitHookContext } from "./git-hook.js";
import { planIgnoreFiles, planIgnoreFilesRemoval } from "./ignore-files.js";
import { setJson } from "./json-edit.js";
import { readIfExists, type FileChange } from "./plan.js";
import { isProjectDependency } from "./runtime.js";

export interface HygieneOptions {
  /** Install the git pre-push hook (default true; `--no-git-hook`). */
  gitHook?: boolean;
  /** Maintain the ignore-file blocks (default true; `--no-ignore-files`). */
  ignoreFiles?: boolean;
  /** Add `hookpack check-pack` to package.json prepublishOnly (default false; `--publish-gate`). */
  publishGate?: boolean;
}

/** Where hookpack runs from and the project it plans for: the git hook's context without a reader. */
export type HygieneContext = Omit<GitHookContext, "read">;

type Reader = (path: string) => string | null;

const isProject = (root: string) =>
  readIfExists(join(root, "package.json")) !== null ||
  readIfExists(join(root, ".git", "HEAD")) !== null ||
  readIfExists(join(root, ".git")) !== null;

function gateCommand(ctx: HygieneContext): string {
  // npm puts node_modules/.bin on PATH for scripts; without the dependency, the per-user runtime.
  return isProjectDependency(ctx.root)
    ? "hookpack check-pack ."
    : `${hookRuntime(ctx).runtime.plainCommand} check-pack .`;
}

const GATE_RE = /(?:^| && )(?:hookpack|"[^"]*node[^"]*" "[^"]*hookpack\.cjs") check-pack \.$/;

function planGate(ctx: HygieneContext, install: boolean, read: Reader): FileChange[] {
  const path = join(ctx.root, "package.json");
  const before = read(path);
  if (before === null) return [];
  let current: unknown;
  let scripts: Record<string, unknown> | undefined;
  try {
    scripts = (JSON.parse(before) as { scripts?: Record<string, unknown> }).scripts;
    current = scripts?.prepublishOnly;
  } catch {
    return [];
  }
  const existing = typeof current === "string" ? current : undefined;
  const ours = existing !== undefined && GATE_RE.test(existing);
  const base = existing === undefined ? undefined : existing.replace(GATE_RE, "") || undefined;
  const want = install ? (base ? `${base} && ${gateCommand(ctx)}` : gateCommand(ctx)) : base;
  if (want === existing || (!install && !ours)) return [];
  // Removing the only script takes out the "scripts" object too (install created it), not leaving `"scripts": {}`.
  const onlyScript =
    want === undefined && scripts !== undefined && Object.keys(scripts).length === 1;
  const after = onlyScript
    ? setJson(before, ["scripts"], undefined)
    : setJson(before, ["scripts", "prepublishOnly"], want);
  return [
    {
      path,
      before,
      after,
      summary: install
        ? "check the tarball before every npm publish (prepublishOnly runs hookpack check-pack)"
        : "remove hookpack check-pack from prepublishOnly",
    },
  ];
}

/** Collects changes from planners run in turn; a later edit of the same file builds on the earlier one. */
function collector() {
  const changes: FileChange[] = [];
  const read: Reader = (path) => {
    const planned = changes.find((c) => c.path === path);
    return planned ? planned.after : readIfExists(path);
  };
  const add = (next: readonly FileChange[]) => {
    for (const n of next) {
      const earlier = changes.find((c) => c.path === n.path);
      if (!earlier) changes.push({ ...n });
      else if (n.after !== earlier.after) {
        earlier.after = n.after;
        earlier.summary = `${earlier.summary}; ${n.summary}`;
      }
    }
  };
  return { changes, read, add };
}

export function planHygiene(
  options: HygieneOptions,
  ctx: HygieneContext,
): { changes: FileChange[]; notes: string[] } {
  const { changes, read, add } = collector();
  const notes: string[] = [];
  if (!isProject(ctx.root)) return { changes, notes };
  if (options.ignoreFiles !== false) {
    const p = planIgnoreFiles(ctx.root, read);
    add(p.changes);
    notes.push(...p.notes);
  }
  if (options.gitHook !== false) {
    const p = planGitHook({ ...ctx, read });
    add(p.changes);
    notes.push(...p.notes);
  }
  if (options.publishGate) add(planGate(ctx, true, read));
  return { changes, notes };
}

export function planHygieneRemoval(
  options: HygieneOptions,
  ctx: HygieneContext,
): { changes: FileChange[]; notes: string[] } {
  const { changes, read, add } = collector();
  if (!isProject(ctx.root)) return { changes, notes: [] };
  if (options.ignoreFiles !== false) add(planIgnoreFilesRemoval(ctx.root, read).changes);
  if (options.gitHook !== false) add(planGitHookRemoval({ ...ctx, read }).changes);
  add(planGate(ctx, false, read));
  return { changes, notes: [] };
}
