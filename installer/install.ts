// `hookpack install` / `hookpack uninstall`: plan the file changes for each agent, then apply.
import { AIDER } from "../adapters/aider.js";
import { dirname, isAbsolute, join, relative } from "node:path";
import type { Adapter, ConfigLayout, Scope } from "../adapters/adapter.js";
import {
  addRegistrations,
  recordReversal,
  reverse,
  sha256,
  type Reversal,
} from "./agent-settings.js";
import { addIgnoreLocalEnv, removeIgnoreLocalEnv } from "./gemini-env.js";
import { HookpackError } from "../core/errors.js";
import { INSTALLS_FILE } from "../core/files.js";
import { planHookFiles, planHookFilesRemoval } from "./hook-files.js";
import { planHygiene, planHygieneRemoval, type HygieneOptions } from "./hygiene.js";
import { readIfExists, type FileChange, type Plan } from "./plan.js";
import { planPolicyFile, planPolicyFileRemoval } from "./policy-file.js";
import { doubleQuote } from "../core/shell-quote.js";
import { chooseRuntime } from "./runtime.js";
import { hasOurBlock, usesInlineHooks } from "./toml-hooks.js";
import { planAgentIgnore } from "./ignore-files.js";
import { credentialIgnoreLines } from "../rules/state-catalog.js";
import { RELOCATABLE_DIRS, relocatedDir } from "../rules/agent-dirs.js";
import { ourCommand } from "./hook-lists.js";
import { planSandbox, unsandbox, type SandboxState } from "./sandbox-plan.js";

export interface InstallContext {
  /** Project root (the git top level, or the working directory outside git). */
  root: string;
  home: string;
  hookpackHome: string;
  distDir: string;
  version: string;
  nodePath: string;
  /**
   * The environment the agents run with: a user folder it moves (`$CLAUDE_CONFIG_DIR`,
   * `$CODEX_HOME`) is where user-scope settings go (installer/install.ts userFile).
   */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface InstallOptions extends HygieneOptions {
  adapters: readonly Adapter[];
  /** Defaults to "project" when hookpack is a dependency of the project, else "local". */
  scope: Scope | undefined;
  /** Aider: no hooks and no config; it is started with SHELL=<the runtime's hookpack-shell>. */
  aider?: boolean;
  /** Also configure the agent's own OS sandbox (installer/sandbox.ts), where it has one. */
  sandbox?: boolean;
}

export interface InstallPlan {
  plan: Plan;
  notes: string[];
  /** How to start Aider with hookpack-shell (shown even when nothing changed). */
  aiderCommand?: string;
}

/**
 * The per-user runtime's `hookpack-shell` (never npx, never the project's node_modules: SHELL must
 * be one stable absolute path): a two-line sh script that runs hookpack-shell.cjs with the absolute
 * node that installed hookpack, so Aider needs no `node` on its PATH.
 */
export function shellWrapperPath(ctx: Pick<InstallContext, "hookpackHome" | "version">): string {
  return join(ctx.hookpackHome, "runtime", ctx.version, "hookpack-shell");
}

function shellWrapperChange(ctx: InstallContext): FileChange {
  const path = shellWrapperPath(ctx);
  const script = join(ctx.hookpackHome, "runtime", ctx.version, "hookpack-shell.cjs");
  const after = `#!/bin/sh\n# Aider's SHELL (hookpack install --agent aider): hookpack-shell on the node that installed it.\nexec ${doubleQuote(ctx.nodePath)} ${doubleQuote(script)} "$@"\n`;
  return {
    path,
    before: readIfExists(path),
    after,
    mode: 0o755,
    summary: `write ${path} (Aider's SHELL)`,
  };
}

interface InstallState extends SandboxState {
  version: 1;
  files: Record<string, Reversal>;
}

const statePath = (ctx: InstallContext) => join(ctx.hookpackHome, INSTALLS_FILE);

function readState(ctx: InstallContext): { text: string | null; state: InstallState } {
  const text = readIfExists(statePath(ctx));
  if (text === null) return { text, state: { version: 1, files: {} } };
  try {
    const state = JSON.parse(text) as InstallState;
    if (state.version !== 1 || typeof state.files !== "object" || state.files === null)
      throw new Error("unexpected shape");
    return { text, state };
  } catch (error) {
    throw new HookpackError(
      "INSTALL_STATE_UNREADABLE",
      `hookpack: ${statePath(ctx)} is unreadable (${(error as Error).message}); nothing was changed.`,
      "It only records how to undo installs; move it aside and run the command again (uninstall then falls back to removing our entries structurally).",
    );
  }
}

function stateChange(ctx: InstallContext, before: string | null, state: InstallState): FileChange {
  const empty = Object.keys(state.files).length === 0;
  return {
    path: statePath(ctx),
    before,
    after: empty && before === null ? null : `${JSON.stringify(state, null, 2)}\n`,
    mode: 0o600,
    summary: "record how to undo the install",
  };
}

export function settingsPath(adapter: Adapter, scope: Scope, ctx: InstallContext): string {
  return scopeFile(scope, adapter.config.files[scope], ctx);
}

/**
 * A user-scope file (`rel` under the home, `.claude/settings.json`) where the agent reads it: in
 * the folder `$CLAUDE_CONFIG_DIR` / `$CODEX_HOME` moves it to when set (rules/agent-dirs.ts), so the
 * hooks land where the agent looks and protect-state / the sandbox cover them (sec8). A relative
 * value is refused: the agent resolves it from wherever it is started.
 */
export function userFile(rel: string, ctx: Pick<InstallContext, "home" | "env">): string {
  const [folder, ...rest] = rel.split("/");
  const variable = RELOCATABLE_DIRS[folder!];
  const value = variable === undefined ? undefined : ctx.env?.[variable]?.trim();
  if (value === undefined || value === "" || rest.length === 0) return join(ctx.home, rel);
  if (!isAbsolute(value))
    throw new HookpackError(
      "INSTALL_RELATIVE_CONFIG_DIR",
      `hookpack: ${variable} is a relative path (${value}); the agent resolves it from the folder it is started in, so hookpack cannot know where its settings are; nothing was changed.`,
      `Set ${variable} to an absolute path (e.g. ${variable}="$PWD/${value}") and run the command again.`,
    );
  return join(relocatedDir(folder!, ctx.env!, "/")!, ...rest);
}

/** A scope's file: project and local under the project root, user under the (possibly relocated) home folder. */
export function scopeFile(scope: Scope, rel: string, ctx: InstallContext): string {
  return scope === "user" ? userFile(rel, ctx) : join(ctx.root, rel);
}

/** The inline-TOML alternative of an adapter's layout (Codex `config.toml`), if it has one. */
export function tomlLayout(adapter: Adapter): ConfigLayout | undefined {
  const alt = adapter.config.inlineToml;
  return (
    alt && { ...adapter.config, format: "inline-toml", files: alt.files, inlineToml: undefined }
  );
}

/**
 * Where this scope's hooks go: the TOML config when it already holds our block, or keeps its hooks
 * inline while the JSON file holds none of ours (Codex warns about both forms in one layer);
 * otherwise the agent's JSON file.
 */
export function chooseLayout(
  adapter: Adapter,
  scope: Scope,
  ctx: InstallContext,
): { layout: ConfigLayout; file: string } {
  const json = { layout: adapter.config, file: settingsPath(adapter, scope, ctx) };
  const toml = tomlLayout(adapter);
  if (!toml) return json;
  const tomlFile = scopeFile(scope, toml.files[scope], ctx);
  const tomlText = readIfExists(tomlFile);
  if (tomlText === null) return json;
  if (hasOurBlock(tomlText)) return { layout: toml, file: tomlFile };
  const jsonText = readIfExists(json.file);
  const jsonHasOurs = jsonText !== null && ourCommand(adapter.id).test(jsonText);
  return !jsonHasOurs && usesInlineHooks(tomlText) ? { layout: toml, file: tomlFile } : json;
}

export function defaultScope(adapter: Adapter, ctx: InstallContext): Scope {
  const runtime = chooseRuntime({
    ...ctx,
    scope: "project",
    projectDirVariable: adapter.config.projectDirVariable,
  });
  return runtime.kind === "project-dependency" ? "project" : "local";
}

export function planInstall(options: InstallOptions, ctx: InstallContext): InstallPlan {
  const localExcludes: string[] = [];
  const plan: Plan = [];
  const notes: string[] = [];
  const { text: stateText, state } = readState(ctx);
  const copied = new Set<string>();
  for (const adapter of options.adapters) {
    const scope = options.scope ?? defaultScope(adapter, ctx);
    const runtime = chooseRuntime({
      ...ctx,
      scope,
      projectDirVariable: adapter.config.projectDirVariable,
    });
    for (const change of runtime.changes) {
      if (!copied.has(change.path)) plan.push(change);
      copied.add(change.path);
    }
    if (adapter.config.format === "hook-files") {
      const command = `${runtime.command} hook ${adapter.id}`;
      plan.push(...planHookFiles(adapter, settingsPath(adapter, scope, ctx), command, state.files));
      notes.push(
        ...(adapter.config.notes ?? []),
        `${adapter.displayName} (${scope} scope): hook files in ${adapter.config.files[scope]} run \`${command}\`.`,
      );
      if (options.sandbox)
        notes.push(
          ...planSandbox(adapter, scope, settingsPath(adapter, scope, ctx), "", plan, state, ctx),
        );
      continue;
    }
    const { layout, file } = chooseLayout(adapter, scope, ctx);
    const shown = scope === "user" ? file : relative(ctx.root, file) || file;
    const before = readIfExists(file);
    const command = `${runtime.command} hook ${adapter.id}`;
    const registered = addRegistrations(before ?? "", shown, layout, adapter.id, command);
    const { createdKeys } = registered;
    let after = registered.text;
    const envKeys: string[] = [];
    if (adapter.id === "gemini") {
      // Gemini loads the project's .env into its own environment: installer/gemini-env.ts.
      const env = addIgnoreLocalEnv(after, shown, envKeys);
      after = env.text;
      createdKeys.push(...envKeys);
      if (env.userValue !== undefined)
        notes.push(
          `${shown} sets advanced.ignoreLocalEnv to ${JSON.stringify(env.userValue)}, which hookpack leaves as it is: Gemini CLI then loads the project's .env into its own environment and every command it runs inherits those values. Set it to true, or keep no values in .env.`,
        );
      else
        notes.push(
          `Gemini CLI: ${shown} sets advanced.ignoreLocalEnv, so Gemini no longer loads the project's .env (or a parent folder's) into its own environment, where every command it runs would inherit it. It still loads .gemini/.env in a trusted project, ~/.gemini/.env and ~/.env: keep values in hookpack's store (\`hookpack secret set NAME\`).`,
        );
    }
    const final = before === null ? (after.endsWith("\n") ? after : `${after}\n`) : after;
    if (final !== (before ?? "")) {
      const previous = state.files[file];
      // Keep the first reversal: it knows the file as it was before hookpack ever touched it.
      const keepOld = previous !== undefined;
      state.files[file] = keepOld
        ? {
            ...previous,
            installed: recordReversal(before, final, []).installed,
            removed: null,
            createdKeys: [...new Set([...previous.createdKeys, ...envKeys])],
          }
        : recordReversal(before, final, createdKeys);
    }
    plan.push({
      path: file,
      before,
      after: before === null && final === "" ? null : final,
      summary: `register hookpack's ${adapter.displayName} hooks in ${shown}`,
    });
    notes.push(...(adapter.config.notes ?? []));
    notes.push(
      `${adapter.displayName} (${scope} scope): hooks run \`${command}\`${runtime.kind === "user-runtime" ? ` (a per-user copy of the runtime under ${join(ctx.hookpackHome, "runtime")})` : " (the project's own hookpack dependency)"}.`,
    );
    if (scope === "project" && runtime.kind === "user-runtime") {
      notes.push(
        `${shown} is usually committed, but this hook command holds paths from this machine. Add hookpack as a devDependency and re-run, or use --scope local.`,
      );
    }
    if (layout.format === "inline-toml")
      notes.push(
        `${shown} keeps its hooks inline, so hookpack's are there too, between two marked comment lines.`,
      );
    if (options.sandbox) notes.push(...planSandbox(adapter, scope, file, shown, plan, state, ctx));
    if (scope === "local" && adapter.config.files.local === adapter.config.files.project) {
      // Machine-specific paths in a file git would track: keep it out of git for this checkout.
      localExcludes.push(relative(ctx.root, file));
      notes.push(
        `${adapter.displayName} has no untracked local settings file, so ${shown} is the project's own: hookpack lists it in .git/info/exclude (this checkout only), since its hook command holds this machine's paths.`,
      );
    }
  }
  if (options.ignoreFiles !== false && options.scope !== "user") {
    for (const adapter of options.adapters) {
      if (!adapter.config.ignoreFile) continue;
      const changes = planAgentIgnore(ctx.root, adapter.config.ignoreFile, true);
      plan.push(...changes);
      if (changes.length > 0)
        notes.push(
          `${adapter.config.ignoreFile} lists credential files (.env, keys, .netrc…), so ${adapter.displayName}'s own file tools skip them too.`,
        );
    }
  }
  let aiderCommand: string | undefined;
  if (options.aider) {
    // No agent config to write: the runtime copy (for its hookpack-shell) and the hygiene below.
    const runtime = chooseRuntime({ ...ctx, scope: "user", projectDirVariable: undefined });
    for (const change of runtime.changes) {
      if (!copied.has(change.path)) plan.push(change);
      copied.add(change.path);
    }
    plan.push(shellWrapperChange(ctx));
    aiderCommand = AIDER.startCommand(doubleQuote(shellWrapperPath(ctx)));
    if (options.ignoreFiles !== false && options.scope !== "user")
      plan.push(
        ...planAgentIgnore(ctx.root, AIDER.ignoreFile, true, [
          ...AIDER.ignoreLines,
          ...credentialIgnoreLines(),
        ]),
      );
  }
  if (options.scope !== "user") plan.push(planPolicyFile(ctx.root));
  const hygiene = planHygiene(options, ctx);
  plan.push(...hygiene.changes.filter((c) => !plan.some((p) => p.path === c.path)));
  notes.push(...hygiene.notes);
  plan.push(stateChange(ctx, stateText, state));
  plan.push(...planLocalExclude(ctx.root, localExcludes, []));
  return { plan, notes, ...(aiderCommand ? { aiderCommand } : {}) };
}

/** What `install --agent aider` tells the user, one line each (adapters/aider.ts). */
export function aiderNotes(command: string): string[] {
  return AIDER.notes(command);
}

/** The folders a settings file at `rel` under `base` may have needed, innermost first (pruned only when empty). */
function createdDirs(rel: string, base: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(rel); dir !== "." && dir !== "/" && dir !== ""; dir = dirname(dir))
    dirs.push(join(base, dir));
  return dirs;
}

/** createdDirs for a scope's file; a relocated user folder is the one folder (sec8). */
function createdDirsOf(scope: Scope, rel: string, ctx: InstallContext): string[] {
  const file = scopeFile(scope, rel, ctx);
  if (scope === "user" && file !== join(ctx.home, rel)) return [dirname(file)];
  return createdDirs(rel, scope === "user" ? ctx.home : ctx.root);
}

export function planUninstall(options: InstallOptions, ctx: InstallContext): InstallPlan {
  const plan: Plan = [];
  const notes: string[] = [];
  const { text: stateText, state } = readState(ctx);
  for (const adapter of options.adapters) {
    const scopes: Scope[] = options.scope ? [options.scope] : ["project", "local", "user"];
    const seen = new Set<string>();
    const layouts = [adapter.config, tomlLayout(adapter)].filter(
      (l): l is ConfigLayout => l !== undefined,
    );
    for (const scope of scopes) {
      if (adapter.config.format === "hook-files") {
        if (!seen.has(settingsPath(adapter, scope, ctx)))
          plan.push(
            ...planHookFilesRemoval(
              adapter,
              scope,
              scope === "user" ? ctx.home : ctx.root,
              state.files,
            ),
          );
        seen.add(settingsPath(adapter, scope, ctx));
        continue;
      }
      for (const layout of layouts) {
        const file = scopeFile(scope, layout.files[scope], ctx);
        // Agents without a separate local file use one file for two scopes.
        if (seen.has(file)) continue;
        seen.add(file);
        const before = readIfExists(file);
        if (before === null) continue;
        const shown = scope === "user" ? file : relative(ctx.root, file) || file;
        const unsandboxed = unsandbox(before, shown, file, state);
        const recorded = state.files[file];
        // Unless reverse() restores the recorded span: take out the Gemini .env setting hookpack added (and nothing else).
        const exact =
          recorded !== undefined &&
          recorded.removed !== null &&
          sha256(unsandboxed.text) === recorded.installed;
        const text =
          adapter.id === "gemini" && !exact
            ? removeIgnoreLocalEnv(unsandboxed.text, shown, recorded?.createdKeys ?? [])
            : unsandboxed.text;
        let after = reverse(text, shown, layout, adapter.id, recorded);
        if (unsandboxed.created && after !== null && after.trim() === "") after = null;
        if (after !== before) {
          plan.push({
            path: file,
            before,
            after,
            summary: `remove hookpack's ${adapter.displayName} hooks from ${shown}`,
            pruneDirs:
              state.files[file]?.createdFile || unsandboxed.created
                ? createdDirsOf(scope, layout.files[scope], ctx)
                : [],
          });
        }
        delete state.files[file];
      }
    }
  }
  if (options.aider && options.ignoreFiles !== false)
    plan.push(...planAgentIgnore(ctx.root, AIDER.ignoreFile, false));
  if (options.ignoreFiles !== false && options.scope !== "user") {
    for (const adapter of options.adapters)
      if (adapter.config.ignoreFile)
        plan.push(...planAgentIgnore(ctx.root, adapter.config.ignoreFile, false));
  }
  plan.push(...planHygieneRemoval(options, ctx).changes);
  const localFiles = options.adapters
    .filter(
      (a) =>
        a.config.files.local === a.config.files.project &&
        (!options.scope || options.scope === "local"),
    )
    .map((a) => a.config.files.local);
  plan.push(...planLocalExclude(ctx.root, [], localFiles));
  plan.push(planPolicyFileRemoval(ctx.root));
  plan.push(stateChange(ctx, stateText, state));
  if (plan.length === 1 && plan[0]!.before === plan[0]!.after)
    notes.push("no hookpack hooks were installed; nothing to change.");
  return { plan, notes };
}

const EXCLUDE_START = "# >>> hookpack: local-scope hook settings (this machine's paths) >>>";
const EXCLUDE_END = "# <<< hookpack <<<";

/**
 * hookpack's block in .git/info/exclude: `add` paths go in, `remove` paths go out; an empty block
 * goes, and a file that held only the block goes too. Nothing for a checkout whose .git is not a
 * directory (a worktree or submodule: git keeps info/exclude elsewhere).
 */
export function planLocalExclude(
  root: string,
  add: readonly string[],
  remove: readonly string[],
): FileChange[] {
  if (add.length === 0 && remove.length === 0) return [];
  const gitDir = join(root, ".git");
  if (readIfExists(join(gitDir, "HEAD")) === null) return [];
  const path = join(gitDir, "info", "exclude");
  const before = readIfExists(path);
  const text = before ?? "";
  const start = text.indexOf(EXCLUDE_START);
  const end = start === -1 ? -1 : text.indexOf(EXCLUDE_END, start);
  const current =
    start === -1 || end === -1
      ? []
      : text
          .slice(start + EXCLUDE_START.length, end)
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean);
  const wanted = [...new Set([...current, ...add.map((p) => `/${p.replace(/\\/g, "/")}`)])].filter(
    (p) => !remove.some((r) => p === `/${r}`),
  );
  const outside =
    start === -1 || end === -1
      ? text
      : text.slice(0, start) + text.slice(end + EXCLUDE_END.length).replace(/^\n/, "");
  let after: string | null =
    wanted.length === 0
      ? outside
      : `${outside}${outside === "" || outside.endsWith("\n") ? "" : "\n"}${EXCLUDE_START}\n${wanted.join("\n")}\n${EXCLUDE_END}\n`;
  if (before === null && after === "") after = null;
  if (after === before) return [];
  return [
    {
      path,
      before,
      after,
      summary:
        wanted.length > 0
          ? `keep ${wanted.join(", ")} out of git in this checkout (.git/info/exclude)`
          : "take hookpack's lines out of .git/info/exclude",
    },
  ];
}
