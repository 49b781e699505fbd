// The one merge of hookpack's entries into `hooks.<event>` lists, shared by the Claude-shaped
// settings files ({matcher, hooks} groups) and the flat hooks files (one entry per hook): put ours
// in exactly once, minimal-diff, and take exactly ours out again, removing only containers we made.
import { isDeepStrictEqual } from "node:util";
import type { HookRegistration } from "../adapters/adapter.js";
import { HookpackError } from "../core/errors.js";
import { readJsonDocument, setJson, type JsonDocument } from "./json-edit.js";

/** Matches a hook command line that runs hookpack's hook for `agent` (any runtime: node_modules, per-user copy, bin). */
export function ourCommand(agent: string, flags = ""): RegExp {
  return new RegExp(`hookpack(\\.cjs)?"?\\s+hook\\s+${agent}(\\s|$)`, flags);
}

export function shapeError(file: string, path: string, expected: string): HookpackError {
  return new HookpackError(
    "SETTINGS_SHAPE",
    `hookpack: ${file} has an unexpected ${path} (expected ${expected}); nothing was changed.`,
    "Fix that member by hand (see the agent's hook documentation), then run the command again.",
  );
}

export function hookArrays(
  value: Record<string, unknown>,
  file: string,
): Record<string, unknown> | undefined {
  const hooks = value.hooks;
  if (hooks === undefined) return undefined;
  if (hooks === null || typeof hooks !== "object" || Array.isArray(hooks))
    throw shapeError(file, "`hooks`", "an object");
  return hooks as Record<string, unknown>;
}

export interface EntryKind {
  /** Our entry for one registration. */
  want(reg: HookRegistration): unknown;
  /** Whether an entry found in the file is one of ours. */
  isOurs(entry: unknown): boolean;
}

/** `text` with our entry present exactly once per registration; `createdKeys` records what we made. */
export function upsertEntries(
  text: string,
  file: string,
  registrations: readonly HookRegistration[],
  kind: EntryKind,
  createdKeys: string[],
): string {
  let doc: JsonDocument = readJsonDocument(text, file);
  let out = text;
  for (const reg of registrations) {
    const hooks = hookArrays(doc.value, file);
    if (!hooks && !createdKeys.includes("hooks")) createdKeys.push("hooks");
    const list = hooks?.[reg.event];
    if (list !== undefined && !Array.isArray(list))
      throw shapeError(file, `\`hooks.${reg.event}\``, "an array");
    const want = kind.want(reg);
    const entries = (list ?? []) as unknown[];
    const ours = entries.map((e, i) => (kind.isOurs(e) ? i : -1)).filter((i) => i >= 0);
    if (ours.length === 1 && isDeepStrictEqual(entries[ours[0]!], want)) continue;
    if (list === undefined) {
      createdKeys.push(`hooks.${reg.event}`);
      out = setJson(out, ["hooks", reg.event], [want]);
    } else if (ours.length > 0) {
      // An older or duplicated registration of ours: replace the first, drop the rest.
      for (const i of ours.slice(1).reverse())
        out = setJson(out, ["hooks", reg.event, i], undefined);
      out = setJson(out, ["hooks", reg.event, ours[0]!], want);
    } else {
      out = setJson(out, ["hooks", reg.event, entries.length], want, entries.length);
    }
    doc = readJsonDocument(out, file);
  }
  return out;
}

/** `text` without our entries; lists and the `hooks` object we created go when left empty. */
export function removeEntries(
  text: string,
  file: string,
  registrations: readonly HookRegistration[],
  kind: EntryKind,
  createdKeys: readonly string[],
): string {
  let doc = readJsonDocument(text, file);
  let out = text;
  for (const reg of registrations) {
    const list = hookArrays(doc.value, file)?.[reg.event];
    if (!Array.isArray(list)) continue;
    const ours = list.map((e, i) => (kind.isOurs(e) ? i : -1)).filter((i) => i >= 0);
    for (const i of ours.reverse()) out = setJson(out, ["hooks", reg.event, i], undefined);
    doc = readJsonDocument(out, file);
    const left = hookArrays(doc.value, file)?.[reg.event];
    if (Array.isArray(left) && left.length === 0 && createdKeys.includes(`hooks.${reg.event}`)) {
      out = setJson(out, ["hooks", reg.event], undefined);
      doc = readJsonDocument(out, file);
    }
  }
  const hooks = hookArrays(doc.value, file);
  if (hooks && Object.keys(hooks).length === 0 && createdKeys.includes("hooks"))
    out = setJson(out, ["hooks"], undefined);
  return out;
}
