// Merging our hook registrations into an agent's settings file, and taking exactly them out again.
//
// Install records a reversal for each settings file in $HOOKPACK_HOME/installs.json: the hash of
// what we wrote plus the tiny span of original bytes our edit replaced (structural whitespace or a
// bracket, never values; a span that looks like a secret is not recorded). Uninstall of an
// untouched file restores it byte for byte; a file edited since is repaired structurally instead.
import { createHash } from "node:crypto";
import type { ConfigLayout, HookRegistration } from "../adapters/adapter.js";
import { PREFILTER } from "../rules/secretlint.js";
import { addFlatRegistrations, isOurGroup, removeFlatRegistrations } from "./flat-hooks.js";
import { removeEntries, upsertEntries, type EntryKind } from "./hook-lists.js";
import { readJsonDocument } from "./json-edit.js";
import { addTomlRegistrations, removeTomlRegistrations } from "./toml-hooks.js";

export interface Reversal {
  /** sha256 of the file as we left it. */
  installed: string;
  /** The file did not exist before install. */
  createdFile: boolean;
  /** Byte span of the edit: original text [start, start+removed.length) became `insertedLength` chars. */
  start: number;
  removed: string | null;
  insertedLength: number;
  /** Members we created, as dotted paths ("hooks", "hooks.PreToolUse"). */
  createdKeys: string[];
}

// Which groups are ours lives in flat-hooks.ts, so toml-hooks.ts needs nothing from this file (no import cycle).
export { groupCommands, isOurGroup } from "./flat-hooks.js";

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

type Group = {
  matcher?: string;
  hooks: Array<{ name?: string; type: string; command: string; timeout?: number }>;
};

function desiredGroup(reg: HookRegistration, command: string): Group {
  const hook = {
    ...(reg.name !== undefined ? { name: reg.name } : {}),
    type: "command",
    command,
    timeout: reg.timeout,
  };
  return reg.matcher === undefined ? { hooks: [hook] } : { matcher: reg.matcher, hooks: [hook] };
}

/** The settings text with our registrations present exactly once (and nothing else changed). */
export function addRegistrations(
  text: string,
  file: string,
  layout: ConfigLayout,
  agent: string,
  command: string,
): { text: string; createdKeys: string[] } {
  if (layout.format === "flat-hooks-json")
    return addFlatRegistrations(text, file, layout, agent, command);
  if (layout.format === "inline-toml")
    return { text: addTomlRegistrations(text, file, layout, agent, command), createdKeys: [] };
  const createdKeys: string[] = [];
  return {
    text: upsertEntries(text, file, layout.registrations, groupKind(agent, command), createdKeys),
    createdKeys,
  };
}

/** Claude-shaped `{matcher, hooks:[…]}` groups. */
function groupKind(agent: string, command = ""): EntryKind {
  return { want: (reg) => desiredGroup(reg, command), isOurs: (group) => isOurGroup(group, agent) };
}

/** The settings text without our registrations; containers we created are removed when empty. */
export function removeRegistrations(
  text: string,
  file: string,
  layout: ConfigLayout,
  agent: string,
  createdKeys: readonly string[],
): string {
  if (layout.format === "flat-hooks-json")
    return removeFlatRegistrations(text, file, layout, agent, createdKeys);
  if (layout.format === "inline-toml") return removeTomlRegistrations(text, file, agent);
  return removeEntries(text, file, layout.registrations, groupKind(agent), createdKeys);
}

/** The single changed span between two texts, recorded so an untouched file can be restored exactly. */
export function recordReversal(
  before: string | null,
  after: string,
  createdKeys: string[],
): Reversal {
  const original = before ?? "";
  let start = 0;
  while (start < original.length && start < after.length && original[start] === after[start])
    start++;
  let tail = 0;
  while (
    tail < original.length - start &&
    tail < after.length - start &&
    original[original.length - 1 - tail] === after[after.length - 1 - tail]
  )
    tail++;
  const removed = original.slice(start, original.length - tail);
  return {
    installed: sha256(after),
    createdFile: before === null,
    start,
    removed: PREFILTER.test(removed) ? null : removed,
    insertedLength: after.length - tail - start,
    createdKeys,
  };
}

/** Undoes an install: exact restore when the file is as we left it, structural removal otherwise. */
export function reverse(
  current: string,
  file: string,
  layout: ConfigLayout,
  agent: string,
  reversal: Reversal | undefined,
): string | null {
  if (reversal && reversal.removed !== null && sha256(current) === reversal.installed) {
    if (reversal.createdFile) return null;
    return (
      current.slice(0, reversal.start) +
      reversal.removed +
      current.slice(reversal.start + reversal.insertedLength)
    );
  }
  const out = removeRegistrations(current, file, layout, agent, reversal?.createdKeys ?? []);
  if (
    reversal?.createdFile &&
    (layout.format === "inline-toml"
      ? out.trim() === ""
      : Object.keys(readJsonDocument(out, file).value).length === 0)
  )
    return null;
  return out;
}
