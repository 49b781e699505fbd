// The git pre-push hook: where it goes and what it holds. Git is asked where hooks live (this
// accounts for core.hooksPath and worktrees); hook managers get their own entry instead of a file
// they would delete or rename (husky: .husky/pre-push; lefthook: lefthook.yml with use_stdin;
// simple-git-hooks: its package.json config); a foreign hook is never clobbered: it is kept as
// pre-push.hookpack-prev and chained with the same arguments and stdin, and uninstall puts it back.
// Pure planning: may read files and ask git, never writes.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { setJson } from "./json-edit.js";
import { readIfExists as readFile, type FileChange } from "./plan.js";
import { doubleQuote } from "../core/shell-quote.js";
import { chooseRuntime } from "./runtime.js";

export const HOOK_MARKER = "# hookpack-managed-hook: pre-push";
export const PREV_SUFFIX = ".hookpack-prev";
const BLOCK_START =
  "# >>> hookpack pre-push (managed by `hookpack install`, removed by `hookpack uninstall`) >>>";
const BLOCK_END = "# <<< hookpack pre-push <<<";

export interface GitHookContext {
  root: string;
  hookpackHome: string;
  distDir: string;
  version: string;
  nodePath: string;
  env?: NodeJS.ProcessEnv;
  /** Reads a file as planned so far (another planner may already edit package.json). */
  read?: (path: string) => string | null;
}

export interface GitHookPlan {
  changes: FileChange[];
  notes: string[];
  /** How the hook is wired, for messages and tests. */
  mode: "none" | "hooks-dir" | "husky" | "lefthook" | "simple-git-hooks" | "skipped";
  /** The file the hook lives in, when there is one. */
  file?: string;
}

function gitOut(args: string[], ctx: GitHookContext): string | undefined {
  try {
    return execFileSync("git", args, {
      cwd: ctx.root,
      env: ctx.env ?? process.env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).replace(/\n$/, "");
  } catch {
    return undefined;
  }
}

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/** The runtime command (never npx) and how to check it is there before running it. */
export function hookRuntime(ctx: GitHookContext) {
  // Hooks run from the worktree root, so $PWD names the project for a project dependency.
  const runtime = chooseRuntime({
    root: ctx.root,
    hookpackHome: ctx.hookpackHome,
    scope: "project",
    projectDirVariable: "PWD",
    distDir: ctx.distDir,
    version: ctx.version,
    nodePath: ctx.nodePath,
  });
  const script =
    runtime.kind === "project-dependency"
      ? '"$PWD/node_modules/hookpack/dist/hookpack.cjs"'
      : doubleQuote(join(ctx.hookpackHome, "runtime", ctx.version, "hookpack.cjs"));
  const nodeCheck =
    runtime.kind === "project-dependency"
      ? `command -v node >/dev/null 2>&1 || { echo "hookpack: node was not found on the PATH this git client gives its hooks (GUI clients often lack nvm's PATH); the push was stopped. Put node on that PATH (for husky: ~/.config/husky/init.sh), or skip the check once with git push --no-verify." >&2; exit 1; }`
      : `[ -x ${doubleQuote(ctx.nodePath)} ] || { echo "hookpack: node is no longer at ${ctx.nodePath.replace(/["$`\\]/g, "")} (removed or upgraded?); the push was stopped. Run hookpack install again, or skip the check once with git push --no-verify." >&2; exit 1; }`;
  const scriptCheck = `[ -f ${script} ] || { echo "hookpack: the hookpack runtime ${runtime.kind === "project-dependency" ? "(node_modules/hookpack) is not installed; run npm install" : "is missing; run hookpack install again"}, or skip the check once with git push --no-verify. The push was stopped." >&2; exit 1; }`;
  return { runtime, command: `${runtime.plainCommand} pre-push`, checks: [nodeCheck, scriptCheck] };
}

/** The standalone hook file: buffer stdin, run hookpack, then the previous hook with the same args and stdin. */
export function hookScript(ctx: GitHookContext): string {
  const { command, checks } = hookRuntime(ctx);
  return [
    "#!/bin/sh",
    HOOK_MARKER,
    "# Scans every commit being pushed for secrets and agent state (hookpack pre-push).",
    `# A hook that was here before is kept as pre-push${PREV_SUFFIX} and runs after hookpack, with the same arguments and stdin.`,
    "# Skip once: git push --no-verify",
    ...checks,
    'hookpack_in=$(mktemp "${TMPDIR:-/tmp}/hookpack-pre-push.XXXXXX") || exit 1',
    "trap 'rm -f \"$hookpack_in\"' EXIT",
    'cat > "$hookpack_in"',
    `${command} "$@" < "$hookpack_in" || exit $?`,
    `hookpack_prev="$(dirname "$0")/pre-push${PREV_SUFFIX}"`,
    'if [ -x "$hookpack_prev" ]; then',
    '  "$hookpack_prev" "$@" < "$hookpack_in" || exit $?',
    "fi",
    "exit 0",
    "",
  ].join("\n");
}

/** Lines for a husky script: runs first and gives the rest of the script the same stdin. */
function huskyBlock(ctx: GitHookContext): string[] {
  const { command, checks } = hookRuntime(ctx);
  return [
    BLOCK_START,
    ...checks,
    'hookpack_in=$(mktemp "${TMPDIR:-/tmp}/hookpack-pre-push.XXXXXX") || exit 1',
    'cat > "$hookpack_in"',
    `${command} "$@" < "$hookpack_in" || { hookpack_status=$?; rm -f "$hookpack_in"; exit $hookpack_status; }`,
    'exec < "$hookpack_in"; rm -f "$hookpack_in"',
    BLOCK_END,
  ];
}

function lefthookBlock(ctx: GitHookContext): string[] {
  const { command } = hookRuntime(ctx);
  return [
    BLOCK_START,
    "pre-push:",
    "  commands:",
    "    hookpack:",
    `      run: '${`${command} {1} {2}`.replace(/'/g, "''")}'`,
    "      use_stdin: true",
    BLOCK_END,
  ];
}

function blockSpan(text: string): { start: number; end: number } | undefined {
  const start = text.indexOf(BLOCK_START);
  const endAt = start === -1 ? -1 : text.indexOf(BLOCK_END, start);
  if (start === -1 || endAt === -1) return undefined;
  const nl = text.indexOf("\n", endAt);
  return { start, end: nl === -1 ? text.length : nl + 1 };
}

/** Inserts (or refreshes) a block: husky at the top (after a shebang), lefthook at the end. */
function withBlock(text: string | null, lines: string[], at: "top" | "end"): string {
  const original = text ?? "";
  const block = `${lines.join("\n")}\n`;
  const span = blockSpan(original);
  if (span) return original.slice(0, span.start) + block + original.slice(span.end);
  if (at === "end")
    return original === "" ? block : `${original}${original.endsWith("\n") ? "" : "\n"}${block}`;
  if (original.startsWith("#!")) {
    const nl = original.indexOf("\n");
    return nl === -1
      ? `${original}\n${block}`
      : original.slice(0, nl + 1) + block + original.slice(nl + 1);
  }
  return block + original;
}

function withoutBlock(text: string): string {
  const span = blockSpan(text);
  return span ? text.slice(0, span.start) + text.slice(span.end) : text;
}

const LEFTHOOK_FILES = [
  "lefthook.yml",
  "lefthook.yaml",
  ".lefthook.yml",
  ".lefthook.yaml",
  ".config/lefthook.yml",
  ".config/lefthook.yaml",
];

interface Layout {
  mode: GitHookPlan["mode"];
  file?: string;
  note?: string;
}

/** Decides where the hook belongs. */
function detect(ctx: GitHookContext): Layout {
  const readIfExists = ctx.read ?? readFile;
  if (gitOut(["rev-parse", "--is-inside-work-tree"], ctx) !== "true")
    return { mode: "none", note: "not inside a git work tree; no pre-push hook was installed." };
  const top = gitOut(["rev-parse", "--show-toplevel"], ctx) ?? ctx.root;
  const hooksPathRaw = gitOut(["config", "--show-scope", "--get", "core.hooksPath"], ctx);
  const [scope, hooksPath] = hooksPathRaw
    ? (hooksPathRaw.split("\t") as [string, string])
    : [undefined, undefined];
  if (hooksPath && /(^|\/)\.husky(\/_)?\/?$/.test(hooksPath))
    return { mode: "husky", file: join(top, ".husky", "pre-push") };
  const manifest = readIfExists(join(top, "package.json"));
  let sgh: unknown;
  try {
    sgh = manifest
      ? (JSON.parse(manifest) as Record<string, unknown>)["simple-git-hooks"]
      : undefined;
  } catch {
    sgh = undefined;
  }
  if (sgh !== undefined) return { mode: "simple-git-hooks", file: join(top, "package.json") };
  for (const f of [
    ".simple-git-hooks.json",
    "simple-git-hooks.json",
    ".simple-git-hooks.js",
    ".simple-git-hooks.cjs",
    "simple-git-hooks.js",
    "simple-git-hooks.cjs",
  ]) {
    if (readIfExists(join(top, f)) !== null) {
      return {
        mode: "skipped",
        note: `git hooks are managed by simple-git-hooks (${f}), which deletes hook files it does not know. Add "pre-push": "hookpack pre-push \\"$@\\"" to ${f} and run \`npx simple-git-hooks\`.`,
      };
    }
  }
  const lefthook = LEFTHOOK_FILES.find((f) => readIfExists(join(top, f)) !== null);
  if (lefthook) return { mode: "lefthook", file: join(top, lefthook) };
  if (hooksPath) {
    const expanded = hooksPath.startsWith("~/")
      ? join(ctx.env?.HOME ?? homedir(), hooksPath.slice(2))
      : hooksPath;
    const dir = isAbsolute(expanded) ? expanded : resolve(top, expanded);
    const rel = relative(top, dir);
    if (scope !== "local" && scope !== "worktree") {
      return {
        mode: "skipped",
        note: `core.hooksPath is set in your ${scope ?? "git"} config to ${hooksPath}, which every repository shares; hookpack does not write there. Add \`hookpack pre-push "$@"\` (stdin passed through) to ${join(dir, "pre-push")} yourself.`,
      };
    }
    if (rel.startsWith("..") || isAbsolute(rel)) {
      return {
        mode: "skipped",
        note: `core.hooksPath points outside this repository (${dir}); hookpack only writes inside the project. Add \`hookpack pre-push "$@"\` to ${join(dir, "pre-push")} yourself.`,
      };
    }
    return { mode: "hooks-dir", file: join(dir, "pre-push") };
  }
  const hooksDir = gitOut(["rev-parse", "--git-path", "hooks"], ctx);
  if (!hooksDir)
    return {
      mode: "skipped",
      note: "git did not say where its hooks live; no pre-push hook was installed.",
    };
  return { mode: "hooks-dir", file: join(resolve(top, hooksDir), "pre-push") };
}

/** Whether the file survives a round trip through a UTF-8 string (a compiled hook does not). */
const isUtf8 = (path: string, text: string) => {
  try {
    return Buffer.from(text, "utf8").equals(readFileSync(path));
  } catch {
    return false;
  }
};

export function planGitHook(ctx: GitHookContext): GitHookPlan {
  const readIfExists = ctx.read ?? readFile;
  const layout = detect(ctx);
  const notes = layout.note ? [layout.note] : [];
  const changes: FileChange[] = [];
  if (!layout.file) return { changes, notes, mode: layout.mode };
  const file = layout.file;
  const before = readIfExists(file);
  const { runtime } = hookRuntime(ctx);
  const committed = layout.mode !== "hooks-dir";
  if (committed && runtime.kind === "user-runtime") {
    notes.push(
      `${relative(ctx.root, file)} is usually committed, but the pre-push command holds paths from this machine. Add hookpack as a devDependency and run install again so it uses node_modules/hookpack.`,
    );
  }
  changes.push(...runtime.changes);
  switch (layout.mode) {
    case "husky": {
      const after = withBlock(before, huskyBlock(ctx), "top");
      changes.push({
        path: file,
        before,
        after,
        mode: modeOf(file) ?? 0o755,
        summary: "run hookpack's pre-push scan from husky (core.hooksPath=.husky/_)",
      });
      break;
    }
    case "lefthook": {
      const text = before ?? "";
      if (!blockSpan(text) && /^pre-push\s*:/m.test(text)) {
        notes.push(
          `${relative(ctx.root, file)} already has a pre-push section; add this command to it (use_stdin is required, or the command gets no refs):\n    hookpack:\n      run: ${hookRuntime(ctx).command} {1} {2}\n      use_stdin: true`,
        );
        return { changes: [], notes, mode: "skipped" };
      }
      changes.push({
        path: file,
        before,
        after: withBlock(before, lefthookBlock(ctx), "end"),
        mode: modeOf(file),
        summary:
          "run hookpack's pre-push scan from lefthook (use_stdin: true); run `lefthook install` if git does not call lefthook for pre-push yet",
      });
      break;
    }
    case "simple-git-hooks": {
      const value = `${hookRuntime(ctx).command} "$@"`;
      const text = before ?? "{}";
      const config = (JSON.parse(text) as Record<string, Record<string, unknown> | undefined>)[
        "simple-git-hooks"
      ];
      const current = config?.["pre-push"];
      if (typeof current === "string" && !current.includes("hookpack") && current.trim() !== "") {
        notes.push(
          `simple-git-hooks already runs "${current}" for pre-push; append \` && ${value}\` is not enough (stdin is read once). Replace it with a script that buffers stdin, or run hookpack first: see \`hookpack pre-push --help\`.`,
        );
        return { changes: [], notes, mode: "skipped" };
      }
      if (current !== value) {
        changes.push({
          path: file,
          before,
          after: setJson(text, ["simple-git-hooks", "pre-push"], value),
          mode: modeOf(file),
          summary:
            "add hookpack's pre-push scan to the simple-git-hooks config; run `npx simple-git-hooks` to apply it",
        });
      }
      break;
    }
    case "hooks-dir": {
      const script = hookScript(ctx);
      const prev = `${file}${PREV_SUFFIX}`;
      const prevText = readIfExists(prev);
      if (before !== null && !before.includes(HOOK_MARKER)) {
        if (prevText !== null) {
          notes.push(
            `${file} was replaced since hookpack installed its hook (the original is still in ${prev}); nothing was changed. Move one of them aside and run install again.`,
          );
          return { changes: [], notes, mode: "skipped" };
        }
        if (!isUtf8(file, before)) {
          notes.push(
            `${file} is not a text script; hookpack cannot keep it byte for byte, so nothing was changed. Chain \`hookpack pre-push "$@"\` from it yourself.`,
          );
          return { changes: [], notes, mode: "skipped" };
        }
        if (before.includes("pre-commit"))
          notes.push(
            `${relative(ctx.root, file) || file} was written by pre-commit; it now runs after hookpack. Alternatively add a \`repo: local\` hook running \`hookpack pre-push\` to .pre-commit-config.yaml.`,
          );
        changes.push({
          path: prev,
          before: null,
          after: before,
          mode: modeOf(file),
          summary: `keep the existing pre-push hook as ${relative(ctx.root, prev) || prev}; hookpack's hook runs it with the same arguments and stdin`,
        });
      }
      changes.push({
        path: file,
        before,
        after: script,
        mode: 0o755,
        summary: "install hookpack's git pre-push scan",
      });
      break;
    }
    default:
      break;
  }
  return { changes, notes, mode: layout.mode, file };
}

export function planGitHookRemoval(ctx: GitHookContext): GitHookPlan {
  const readIfExists = ctx.read ?? readFile;
  const layout = detect(ctx);
  const changes: FileChange[] = [];
  if (!layout.file) return { changes, notes: [], mode: layout.mode };
  const file = layout.file;
  const before = readIfExists(file);
  if (before === null) return { changes, notes: [], mode: layout.mode, file };
  switch (layout.mode) {
    case "husky":
    case "lefthook": {
      if (!blockSpan(before)) break;
      const after = withoutBlock(before);
      changes.push({
        path: file,
        before,
        after: after.trim() === "" ? null : after,
        mode: modeOf(file),
        summary: `remove hookpack's pre-push entry from ${relative(ctx.root, file)}`,
      });
      break;
    }
    case "simple-git-hooks": {
      const config = (JSON.parse(before) as Record<string, Record<string, unknown> | undefined>)[
        "simple-git-hooks"
      ];
      const current = config?.["pre-push"];
      if (
        typeof current === "string" &&
        current.includes("hookpack") &&
        current.includes(" pre-push")
      ) {
        changes.push({
          path: file,
          before,
          after: setJson(before, ["simple-git-hooks", "pre-push"], undefined),
          mode: modeOf(file),
          summary:
            "remove hookpack's pre-push entry from the simple-git-hooks config; run `npx simple-git-hooks` to apply it",
        });
      }
      break;
    }
    case "hooks-dir": {
      if (!before.includes(HOOK_MARKER)) break;
      const prev = `${file}${PREV_SUFFIX}`;
      const prevText = readIfExists(prev);
      if (prevText !== null) {
        changes.push({
          path: file,
          before,
          after: prevText,
          mode: modeOf(prev),
          summary: "put the previous pre-push hook back",
        });
        changes.push({
          path: prev,
          before: prevText,
          after: null,
          summary: `remove ${relative(ctx.root, prev) || prev}`,
        });
      } else {
        changes.push({
          path: file,
          before,
          after: null,
          summary: "remove hookpack's git pre-push hook",
        });
      }
      break;
    }
    default:
      break;
  }
  return { changes, notes: [], mode: layout.mode, file };
}
