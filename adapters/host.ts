// Cursor also runs Claude Code's hooks from .claude/settings*.json [3p: reference §6.1], so a
// project with hookpack installed for both agents would check every Cursor call twice, in
// parallel, with racing rewrites. The Claude Code hook steps aside when it runs under Cursor
// (CURSOR_VERSION in the environment, or `cursor_version` in the payload, both [3p]) AND
// hookpack's own Cursor hooks are installed for this project or user; otherwise it keeps
// protecting the call (Cursor accepts Claude-format answers [3p]).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Adapter, Parsed } from "./adapter.js";

const OURS = /hookpack(\.cjs)?(\\?")?\s+hook\s+cursor(\s|\\?"|$)/;

export function underCursor(payload: unknown, env: NodeJS.ProcessEnv): boolean {
  return (
    Boolean(env.CURSOR_VERSION) ||
    typeof (payload as { cursor_version?: unknown } | null)?.cursor_version === "string"
  );
}

/** Whether hookpack's Cursor hooks are registered in a hooks.json Cursor reads for this call. */
export function cursorHooksInstalled(payload: unknown, env: NodeJS.ProcessEnv): boolean {
  const p = (payload ?? {}) as { cwd?: unknown; workspace_roots?: unknown };
  const roots = [
    env.CURSOR_PROJECT_DIR,
    typeof p.cwd === "string" ? p.cwd : undefined,
    ...(Array.isArray(p.workspace_roots) ? p.workspace_roots : []),
    env.CLAUDE_PROJECT_DIR,
  ];
  const files = [
    ...new Set(
      roots
        .filter((r): r is string => typeof r === "string" && r !== "")
        .map((r) => join(r, ".cursor", "hooks.json")),
    ),
  ];
  if (env.HOME) files.push(join(env.HOME, ".cursor", "hooks.json"));
  return files.some((file) => {
    try {
      return OURS.test(readFileSync(file, "utf8"));
    } catch {
      return false;
    }
  });
}

/** The Claude Code adapter, stepping aside under Cursor when hookpack's Cursor hooks run instead. */
export function skipUnderCursor(adapter: Adapter, env: NodeJS.ProcessEnv = process.env): Adapter {
  return {
    ...adapter,
    parse(payload: unknown): Parsed | Promise<Parsed> {
      if (underCursor(payload, env) && cursorHooksInstalled(payload, env))
        return {
          kind: "ignored",
          eventName: "a Claude Code hook run by Cursor (hookpack's Cursor hooks check this call)",
        };
      return adapter.parse(payload);
    },
  };
}
