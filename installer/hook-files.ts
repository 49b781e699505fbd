// Agents whose hooks are executable files named after the event in a hooks directory (Cline:
// `.clinerules/hooks/PreToolUse.sh`). hookpack owns the files it writes (they run `hookpack hook
// <agent>`); a file of the same name that is not ours is never overwritten. Each file's reversal
// is recorded like a settings file's, so uninstall deletes exactly what install created.
import { dirname, join } from "node:path";
import type { Adapter, Scope } from "../adapters/adapter.js";
import { recordReversal, type Reversal } from "./agent-settings.js";
import { HookpackError } from "../core/errors.js";
import { ourCommand } from "./hook-lists.js";
import { readIfExists, type FileChange } from "./plan.js";

const ours = (text: string, agent: string) => ourCommand(agent, "m").test(text);

function files(
  adapter: Adapter,
  dir: string,
): Array<{ event: string; path: string; text: (command: string) => string }> {
  const build = adapter.config.hookFile;
  if (!build) throw new Error(`hook-files layout without a hookFile builder (${adapter.id})`);
  return adapter.config.registrations.map((reg) => ({
    event: reg.event,
    path: join(dir, build(reg, "").name),
    text: (command) => build(reg, command).text,
  }));
}

/** Folders under `base` a hooks directory `rel` may have needed, innermost first. */
function createdDirs(rel: string, base: string): string[] {
  const dirs: string[] = [];
  for (let dir = rel; dir !== "." && dir !== "/" && dir !== ""; dir = dirname(dir))
    dirs.push(join(base, dir));
  return dirs;
}

export function planHookFiles(
  adapter: Adapter,
  dir: string,
  command: string,
  state: Record<string, Reversal>,
): FileChange[] {
  return files(adapter, dir).map(({ event, path, text }) => {
    const before = readIfExists(path);
    if (before !== null && !ours(before, adapter.id)) {
      throw new HookpackError(
        "HOOK_FILE_EXISTS",
        `hookpack: ${path} is a ${adapter.displayName} ${event} hook of your own; nothing was changed.`,
        `Rename it (${adapter.displayName} runs every hook file named after the event, e.g. ${event}.py next to ours), then run the command again.`,
      );
    }
    const after = text(command);
    if (after !== before) {
      const previous = state[path];
      state[path] = previous
        ? { ...previous, installed: recordReversal(before, after, []).installed, removed: null }
        : recordReversal(before, after, []);
    }
    return {
      path,
      before,
      after,
      mode: 0o755,
      summary: `write hookpack's ${adapter.displayName} ${event} hook ${path}`,
    };
  });
}

export function planHookFilesRemoval(
  adapter: Adapter,
  scope: Scope,
  base: string,
  state: Record<string, Reversal>,
): FileChange[] {
  const dir = join(base, adapter.config.files[scope]);
  const out: FileChange[] = [];
  for (const { event, path } of files(adapter, dir)) {
    const before = readIfExists(path);
    if (before !== null && ours(before, adapter.id)) {
      out.push({
        path,
        before,
        after: null,
        summary: `remove hookpack's ${adapter.displayName} ${event} hook ${path}`,
        pruneDirs: createdDirs(adapter.config.files[scope], base),
      });
    }
    delete state[path];
  }
  return out;
}

/** Which of an agent's hook files are ours (for doctor), and the commands they run. */
export function readHookFiles(
  adapter: Adapter,
  dir: string,
): { present: string[]; missing: string[]; commands: string[] } | undefined {
  const present: string[] = [];
  const missing: string[] = [];
  const commands = new Set<string>();
  for (const { event, path } of files(adapter, dir)) {
    const text = readIfExists(path);
    if (text !== null && ours(text, adapter.id)) {
      present.push(event);
      const m = /^exec (.+)$/m.exec(text);
      if (m) commands.add(m[1]!);
    } else missing.push(event);
  }
  return present.length > 0 ? { present, missing, commands: [...commands] } : undefined;
}
