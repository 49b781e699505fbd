// Hook files where `hooks.<event>` lists one entry per hook instead of Claude's `{matcher, hooks}`
// groups: GitHub Copilot CLI (`.github/hooks/*.json`, `{"type":"command","bash":…,"timeoutSec":…}`),
// Cursor and Windsurf (`{"command":…}`). The adapter builds each entry (ConfigLayout.entry); this
// module adds exactly ours, minimal-diff, and takes exactly ours out again. The exact-restore
// bookkeeping (installs.json) is shared with agent-settings.ts.
import type { ConfigLayout } from "../adapters/adapter.js";
import {
  ourCommand,
  removeEntries,
  shapeError,
  upsertEntries,
  type EntryKind,
} from "./hook-lists.js";
import { readJsonDocument, setJson } from "./json-edit.js";

/** The command strings of one hook entry (Copilot: `bash`/`powershell`, or `command`). */
export function entryCommands(entry: unknown): string[] {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return [];
  const e = entry as Record<string, unknown>;
  return ["command", "bash", "powershell"]
    .map((k) => e[k])
    .filter((v): v is string => typeof v === "string");
}

/** An entry is ours when every command in it runs `hookpack … hook <agent>`. */
export function isOurEntry(entry: unknown, agent: string): boolean {
  const commands = entryCommands(entry);
  const ours = ourCommand(agent);
  return commands.length > 0 && commands.every((c) => ours.test(c));
}

/** A group is ours when every hook in it runs `hookpack … hook <agent>` (a flat entry: its own command). */
export function isOurGroup(group: unknown, agent: string): boolean {
  if (entryCommands(group).length > 0) return isOurEntry(group, agent);
  const hooks = (group as { hooks?: unknown } | null)?.hooks;
  if (!Array.isArray(hooks) || hooks.length === 0) return false;
  const ours = ourCommand(agent);
  return hooks.every(
    (h) =>
      typeof (h as { command?: unknown }).command === "string" &&
      ours.test((h as { command: string }).command),
  );
}

/** The commands a group (or flat entry) runs. */
export function groupCommands(group: unknown): string[] {
  const flat = entryCommands(group);
  if (flat.length > 0) return flat;
  const hooks = (group as { hooks?: unknown } | null)?.hooks;
  return Array.isArray(hooks)
    ? hooks
        .map((h) => (h as { command?: unknown }).command)
        .filter((c): c is string => typeof c === "string")
    : [];
}

export function addFlatRegistrations(
  text: string,
  file: string,
  layout: ConfigLayout,
  agent: string,
  command: string,
): { text: string; createdKeys: string[] } {
  if (!layout.entry) throw new Error(`flat-hooks-json layout without an entry builder (${file})`);
  const doc = readJsonDocument(text, file);
  let out = text;
  const createdKeys: string[] = [];
  if (layout.version !== undefined && doc.value.version === undefined) {
    createdKeys.push("version");
    out = setJson(out, ["version"], layout.version);
  } else if (layout.version !== undefined && doc.value.version !== layout.version) {
    throw shapeError(file, "`version`", String(layout.version));
  }
  const entry = layout.entry;
  const kind: EntryKind = {
    want: (reg) => entry(reg, command),
    isOurs: (e) => isOurEntry(e, agent),
  };
  return { text: upsertEntries(out, file, layout.registrations, kind, createdKeys), createdKeys };
}

export function removeFlatRegistrations(
  text: string,
  file: string,
  layout: ConfigLayout,
  agent: string,
  createdKeys: readonly string[],
): string {
  const out = removeEntries(
    text,
    file,
    layout.registrations,
    { want: () => undefined, isOurs: (e) => isOurEntry(e, agent) },
    createdKeys,
  );
  // The `version` member goes too when we added it and nothing of the hooks is left.
  if (readJsonDocument(out, file).value.hooks === undefined && createdKeys.includes("version"))
    return setJson(out, ["version"], undefined);
  return out;
}
