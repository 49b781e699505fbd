// The agents' per-user folders that an environment variable moves. Pure data and a pure function;
// its own small module because the hook's fast allow stage (via rules/protect-state.ts) loads it.
import { resolve } from "node:path";

/**
 * An agent's per-user folder that an environment variable moves, as the agent itself reads it
 * (Claude Code 2.1.330: `$CLAUDE_CONFIG_DIR` holds settings.json, .credentials.json, projects/,
 * history.jsonl and .claude.json; Codex CLI 0.169: `$CODEX_HOME` holds hooks.json, config.toml,
 * auth.json, sessions/). Keyed by the folder's default name under the home.
 */
export const RELOCATABLE_DIRS: Readonly<Record<string, string>> = {
  ".claude": "CLAUDE_CONFIG_DIR",
  ".codex": "CODEX_HOME",
};

/**
 * Where `folder` (`.claude`, `.codex`) really is for an agent run with `env`: the variable's
 * directory when it is set and not empty (a relative value from `cwd`), else undefined (the
 * default place under the home). Pure: no file system access.
 */
export function relocatedDir(
  folder: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string | undefined {
  const name = RELOCATABLE_DIRS[folder];
  const value = name === undefined ? undefined : env[name];
  if (value === undefined || value.trim() === "") return undefined;
  // Normalised (`..`, `.`, repeated and trailing slashes), as the path a command names is.
  return resolve(cwd, value.trim());
}
