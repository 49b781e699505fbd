// Hook files where `hooks.<event>` lists one entry per hook instead of Claude's `{matcher, hooks}`
// groups: GitHub Copilot CLI (`.github/hooks/*.json`, `{"type":"command","bash":…,"timeoutSec":…}`),
// Cursor and Windsurf (`{"command":…}`). The adapter builds each entry (ConfigLayout.entry); this
// module adds exactly ours, minimal-diff, and takes exactly ours out again. The exact-restore
// bookkeeping (installs.json) is shared with agent-settings.ts.
import { isDeepStrictEqual } from "node:util";
import type { ConfigLayout } from "../adapters/adapter.js";
import { HookpackError } from "./errors.js";
import { readJsonDocument, setJson } from "./json-edit.js";

/** The command strings of one hook entry (Copilot: `bash`/`powershell`, or `command`). */
export function entryCommands(entry: unknown): string[] {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return [];
  const e = entry as Record<string, unknown>;
  return ["command", "bash", "powershell"].map((k) => e[k]).filter((v): v is string => typeof v === "string");
}

/** An entry is ours when every command in it runs `hookpack … hook <agent>`. */
export function isOurEntry(entry: unknown, agent: string): boolean {
  const commands = entryCommands(entry);
  const ours = new RegExp(`hookpack(\\.cjs)?"?\\s+hook\\s+${agent}(\\s|$)`);
  return commands.length > 0 && commands.every((c) => ours.test(c));
}

function shapeError(file: string, path: string, expected: string): HookpackError {
  return new HookpackError(
    "SETTINGS_SHAPE",
    `hookpack: ${file} has an unexpected ${path} (expected ${expected}); nothing was changed.`,
    "Fix that member by hand (see the agent's hook documentation), then run the command again.",
  );
}

function hooksOf(value: Record<string, unknown>, file: string): Record<string, unknown> | undefined {
  const hooks = value.hooks;
  if (hooks === undefined) return undefined;
  if (hooks === null || typeof hooks !== "object" || Array.isArray(hooks)) throw shapeError(file, "`hooks`", "an object");
  return hooks as Record<string, unknown>;
}

export function addFlatRegistrations(text: string, file: string, layout: ConfigLayout, agent: string, command: string): { text: string; createdKeys: string[] } {
  if (!layout.entry) throw new Error(`flat-hooks-json layout without an entry builder (${file})`);
  let doc = readJsonDocument(text, file);
  let out = text;
  const createdKeys: string[] = [];
  if (layout.version !== undefined && doc.value.version === undefined) {
    createdKeys.push("version");
    out = setJson(out, ["version"], layout.version);
    doc = readJsonDocument(out, file);
  } else if (layout.version !== undefined && doc.value.version !== layout.version) {
    throw shapeError(file, "`version`", String(layout.version));
  }
  for (const reg of layout.registrations) {
    const hooks = hooksOf(doc.value, file);
    if (!hooks && !createdKeys.includes("hooks")) createdKeys.push("hooks");
    const entries = hooks?.[reg.event];
    if (entries !== undefined && !Array.isArray(entries)) throw shapeError(file, `\`hooks.${reg.event}\``, "an array");
    const want = layout.entry(reg, command);
    const list = (entries ?? []) as unknown[];
    const ours = list.map((e, i) => (isOurEntry(e, agent) ? i : -1)).filter((i) => i >= 0);
    if (ours.length === 1 && isDeepStrictEqual(list[ours[0]!], want)) continue;
    if (entries === undefined) {
      createdKeys.push(`hooks.${reg.event}`);
      out = setJson(out, ["hooks", reg.event], [want]);
    } else if (ours.length > 0) {
      for (const i of ours.slice(1).reverse()) out = setJson(out, ["hooks", reg.event, i], undefined);
      out = setJson(out, ["hooks", reg.event, ours[0]!], want);
    } else {
      out = setJson(out, ["hooks", reg.event, list.length], want, list.length);
    }
    doc = readJsonDocument(out, file);
  }
  return { text: out, createdKeys };
}

export function removeFlatRegistrations(text: string, file: string, layout: ConfigLayout, agent: string, createdKeys: readonly string[]): string {
  let doc = readJsonDocument(text, file);
  let out = text;
  for (const reg of layout.registrations) {
    const entries = hooksOf(doc.value, file)?.[reg.event];
    if (!Array.isArray(entries)) continue;
    const ours = entries.map((e, i) => (isOurEntry(e, agent) ? i : -1)).filter((i) => i >= 0);
    for (const i of ours.reverse()) out = setJson(out, ["hooks", reg.event, i], undefined);
    doc = readJsonDocument(out, file);
    const left = hooksOf(doc.value, file)?.[reg.event];
    if (Array.isArray(left) && left.length === 0 && createdKeys.includes(`hooks.${reg.event}`)) {
      out = setJson(out, ["hooks", reg.event], undefined);
      doc = readJsonDocument(out, file);
    }
  }
  const hooks = hooksOf(doc.value, file);
  if (hooks && Object.keys(hooks).length === 0 && createdKeys.includes("hooks")) {
    out = setJson(out, ["hooks"], undefined);
    doc = readJsonDocument(out, file);
  }
  if (doc.value.hooks === undefined && createdKeys.includes("version")) out = setJson(out, ["version"], undefined);
  return out;
}
