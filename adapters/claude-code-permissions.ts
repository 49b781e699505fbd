// Claude Code's own `permissions.deny` / `permissions.ask` rules for the Bash tool, read from every
// settings layer Claude Code merges (managed, user, project, local). Only read when a command is
// about to be rewritten; a file that is missing or not valid JSON contributes nothing (Claude Code
// reports a broken settings file itself).
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { PermissionRules } from "../core/permission-rules.js";

function settingsFiles(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const project = env.CLAUDE_PROJECT_DIR || cwd;
  const user = env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), ".claude");
  return [
    "/etc/claude-code/managed-settings.json",
    join(user, "settings.json"),
    join(project, ".claude", "settings.json"),
    join(project, ".claude", "settings.local.json"),
  ];
}

export function claudePermissionRules(cwd: string, env: NodeJS.ProcessEnv): PermissionRules {
  const rules: PermissionRules = { deny: [], ask: [] };
  for (const file of settingsFiles(cwd, env)) {
    let permissions: unknown;
    try {
      permissions = (JSON.parse(readFileSync(file, "utf8")) as { permissions?: unknown })
        .permissions;
    } catch {
      continue;
    }
    if (typeof permissions !== "object" || permissions === null) continue;
    for (const kind of ["deny", "ask"] as const) {
      const list = (permissions as Record<string, unknown>)[kind];
      if (!Array.isArray(list)) continue;
      for (const rule of list)
        if (typeof rule === "string" && /^\s*Bash\b/.test(rule))
          rules[kind].push({ rule, source: file });
    }
  }
  return rules;
}
