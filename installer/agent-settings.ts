// Merging our hook registrations into an agent's settings file, and taking exactly them out again.
//
// Install records a reversal for each settings file in $HOOKPACK_HOME/installs.json: the hash of
// what we wrote plus the tiny span of original bytes our edit replaced (structural whitespace or a
// bracket, never values; a span that looks like a secret is not recorded). Uninstall of an
// untouched file restores it byte for byte; a file edited since is repaired structurally instead.
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { ConfigLayout, HookRegistration } from "../adapters/adapter.js";
import { PREFILTER } from "../rules/secretlint.js";
import { HookpackError } from "./errors.js";
import { addFlatRegistrations, entryCommands, isOurEntry, removeFlatRegistrations } from "./flat-hooks.js";
import { readJsonDocument, setJson } from "./json-edit.js";

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

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

type Group = { matcher?: string; hooks: Array<{ name?: string; type: string; command: string; timeout?: number }> };

function desiredGroup(reg: HookRegistration, command: string): Group {
  const hook = { ...(reg.name !== undefined ? { name: reg.name } : {}), type: "command", command, timeout: reg.timeout };
  return reg.matcher === undefined ? { hooks: [hook] } : { matcher: reg.matcher, hooks: [hook] };
}

/** A group is ours when every hook in it runs `hookpack … hook <agent>` (a flat entry: its own command). */
export function isOurGroup(group: unknown, agent: string): boolean {
  if (entryCommands(group).length > 0) return isOurEntry(group, agent);
  const hooks = (group as { hooks?: unknown } | null)?.hooks;
  if (!Array.isArray(hooks) || hooks.length === 0) return false;
  const ours = new RegExp(`hookpack(\\.cjs)?"?\\s+hook\\s+${agent}(\\s|$)`);
  return hooks.every((h) => typeof (h as { command?: unknown }).command === "string" && ours.test((h as { command: string }).command));
}

/** The commands a group (or flat entry) runs. */
export function groupCommands(group: unknown): string[] {
  const flat = entryCommands(group);
  if (flat.length > 0) return flat;
  const hooks = (group as { hooks?: unknown } | null)?.hooks;
  return Array.isArray(hooks) ? hooks.map((h) => (h as { command?: unknown }).command).filter((c): c is string => typeof c === "string") : [];
}

function shapeError(file: string, path: string, expected: string): HookpackError {
  return new HookpackError(
    "SETTINGS_SHAPE",
    `hookpack: ${file} has an unexpected ${path} (expected ${expected}); nothing was changed.`,
    "Fix that member by hand (see the agent's hook documentation), then run the command again.",
  );
}

function hookArrays(value: Record<string, unknown>, file: string): Record<string, unknown> | undefined {
  const hooks = value.hooks;
  if (hooks === undefined) return undefined;
  if (hooks === null || typeof hooks !== "object" || Array.isArray(hooks)) throw shapeError(file, "`hooks`", "an object");
  return hooks as Record<string, unknown>;
}

/** The settings text with our registrations present exactly once (and nothing else changed). */
export function addRegistrations(text: string, file: string, layout: ConfigLayout, agent: string, command: string): { text: string; createdKeys: string[] } {
  if (layout.format === "flat-hooks-json") return addFlatRegistrations(text, file, layout, agent, command);
  let doc = readJsonDocument(text, file);
  let out = text;
  const createdKeys: string[] = [];
  for (const reg of layout.registrations) {
    const hooks = hookArrays(doc.value, file);
    if (!hooks) createdKeys.push("hooks");
    const groups = hooks?.[reg.event];
    if (groups !== undefined && !Array.isArray(groups)) throw shapeError(file, `\`hooks.${reg.event}\``, "an array");
    const want = desiredGroup(reg, command);
    const list = (groups ?? []) as unknown[];
    const ours = list.map((g, i) => (isOurGroup(g, agent) ? i : -1)).filter((i) => i >= 0);
    if (ours.length === 1 && isDeepStrictEqual(list[ours[0]!], want)) continue;
    if (groups === undefined) {
      createdKeys.push(`hooks.${reg.event}`);
      out = setJson(out, ["hooks", reg.event], [want]);
    } else if (ours.length > 0) {
      // An older or duplicated registration of ours: replace the first, drop the rest.
      for (const i of ours.slice(1).reverse()) out = setJson(out, ["hooks", reg.event, i], undefined);
      out = setJson(out, ["hooks", reg.event, ours[0]!], want);
    } else {
      out = setJson(out, ["hooks", reg.event, list.length], want, list.length);
    }
    doc = readJsonDocument(out, file);
  }
  return { text: out, createdKeys };
}

/** The settings text without our registrations; containers we created are removed when empty. */
export function removeRegistrations(text: string, file: string, layout: ConfigLayout, agent: string, createdKeys: readonly string[]): string {
  if (layout.format === "flat-hooks-json") return removeFlatRegistrations(text, file, layout, agent, createdKeys);
  let doc = readJsonDocument(text, file);
  let out = text;
  for (const reg of layout.registrations) {
    const groups = hookArrays(doc.value, file)?.[reg.event];
    if (!Array.isArray(groups)) continue;
    const ours = groups.map((g, i) => (isOurGroup(g, agent) ? i : -1)).filter((i) => i >= 0);
    for (const i of ours.reverse()) out = setJson(out, ["hooks", reg.event, i], undefined);
    doc = readJsonDocument(out, file);
    const left = hookArrays(doc.value, file)?.[reg.event];
    if (Array.isArray(left) && left.length === 0 && createdKeys.includes(`hooks.${reg.event}`)) {
      out = setJson(out, ["hooks", reg.event], undefined);
      doc = readJsonDocument(out, file);
    }
  }
  const hooks = hookArrays(doc.value, file);
  if (hooks && Object.keys(hooks).length === 0 && createdKeys.includes("hooks")) out = setJson(out, ["hooks"], undefined);
  return out;
}

/** The single changed span between two texts, recorded so an untouched file can be restored exactly. */
export function recordReversal(before: string | null, after: string, createdKeys: string[]): Reversal {
  const original = before ?? "";
  let start = 0;
  while (start < original.length && start < after.length && original[start] === after[start]) start++;
  let tail = 0;
  while (
    tail < original.length - start &&
    tail < after.length - start &&
    original[original.length - 1 - tail] === after[after.length - 1 - tail]
  ) tail++;
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
export function reverse(current: string, file: string, layout: ConfigLayout, agent: string, reversal: Reversal | undefined): string | null {
  if (reversal && reversal.removed !== null && sha256(current) === reversal.installed) {
    if (reversal.createdFile) return null;
    return current.slice(0, reversal.start) + reversal.removed + current.slice(reversal.start + reversal.insertedLength);
  }
  const out = removeRegistrations(current, file, layout, agent, reversal?.createdKeys ?? []);
  if (reversal?.createdFile && Object.keys(readJsonDocument(out, file).value).length === 0) return null;
  return out;
}
