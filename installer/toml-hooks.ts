// Codex CLI also reads hooks inline from `config.toml` (`[[hooks.PreToolUse]]` tables), next to
// model, provider and trust settings the user wrote by hand, comments included. hookpack writes
// there only when that layer already keeps its hooks inline (Codex warns when one layer has both
// forms); otherwise it writes `hooks.json`.
//
// The edit is one marked block appended at the end of the file, so everything the user wrote —
// comments, key order, blank lines — stays byte for byte, and uninstall takes exactly that block
// out. Every edit is checked by parsing: the file must stay valid TOML and, apart from our own
// entries, mean exactly what it meant before. A file that does not parse is refused by line and
// column only (the parser's message quotes the file, which may hold credentials).
import { isDeepStrictEqual } from "node:util";
import { parse, TomlError } from "smol-toml";
import type { ConfigLayout } from "../adapters/adapter.js";
import { isOurGroup } from "./flat-hooks.js";
import { HookpackError } from "../core/errors.js";

const BEGIN =
  "# >>> hookpack: managed block (`hookpack uninstall` removes it; edits here are overwritten)";
const END = "# <<< hookpack";

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);

export function readToml(text: string, file: string): Table {
  try {
    return parse(text) as Table;
  } catch (error) {
    const where =
      error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : "";
    throw new HookpackError(
      "SETTINGS_UNREADABLE",
      `hookpack: ${file} is not valid TOML${where}; nothing was changed.`,
      "Fix the file by hand (Codex refuses to start with it as well), then run the command again.",
    );
  }
}

/** Whether the file keeps hooks inline: any `hooks.<event>` table besides Codex's own trust `hooks.state`. */
export function usesInlineHooks(text: string): boolean {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch {
    // A broken file: only claim it when it visibly declares hook tables, so the error is shown.
    return /^\s*\[\[?\s*hooks\s*\.\s*(?!state\b)/m.test(text);
  }
  return isTable(doc.hooks) && Object.keys(doc.hooks).some((k) => k !== "state");
}

export function hasOurBlock(text: string): boolean {
  return blockSpan(text) !== undefined;
}

/** A TOML basic string. */
function tomlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function block(layout: ConfigLayout, command: string, eol: string): string {
  const lines = [BEGIN];
  for (const reg of layout.registrations) {
    lines.push(`[[hooks.${reg.event}]]`);
    if (reg.matcher !== undefined) lines.push(`matcher = ${tomlString(reg.matcher)}`);
    lines.push(
      `[[hooks.${reg.event}.hooks]]`,
      'type = "command"',
      `command = ${tomlString(command)}`,
      `timeout = ${reg.timeout}`,
      "",
    );
  }
  lines[lines.length - 1] = END;
  return lines.join(eol) + eol;
}

/** [start, end) of our block including its line break, and of the blank line we put before it. */
function blockSpan(text: string): { start: number; end: number; lead: number } | undefined {
  const begin = text.indexOf(BEGIN);
  if (begin === -1 || (begin > 0 && text[begin - 1] !== "\n")) return undefined;
  const endAt = text.indexOf(END, begin);
  if (endAt === -1) return undefined;
  let end = endAt + END.length;
  if (text.startsWith("\r\n", end)) end += 2;
  else if (text[end] === "\n") end += 1;
  // The separator we added: one empty line before the block (when the file had content).
  let lead = begin;
  if (text.slice(0, begin).endsWith("\r\n\r\n")) lead -= 2;
  else if (text.slice(0, begin).endsWith("\n\n")) lead -= 1;
  return { start: begin, end, lead };
}

/** The document's meaning with hookpack's own hook groups taken out (what must not change). */
function withoutOurs(doc: Table, agent: string): Table {
  if (!isTable(doc.hooks)) return doc;
  const hooks: Table = {};
  for (const [event, groups] of Object.entries(doc.hooks)) {
    if (!Array.isArray(groups)) {
      hooks[event] = groups;
      continue;
    }
    const rest = groups.filter((g) => !isOurGroup(g, agent));
    if (rest.length > 0) hooks[event] = rest;
  }
  const out = { ...doc };
  if (Object.keys(hooks).length > 0) out.hooks = hooks;
  else delete out.hooks;
  return out;
}

function ourGroups(doc: Table, agent: string): number {
  if (!isTable(doc.hooks)) return 0;
  return Object.values(doc.hooks).reduce<number>(
    (n, groups) =>
      n + (Array.isArray(groups) ? groups.filter((g) => isOurGroup(g, agent)).length : 0),
    0,
  );
}

function checkSameMeaning(
  before: string,
  after: string,
  file: string,
  agent: string,
  expectOurs: number,
): void {
  const was = withoutOurs(readToml(before, file), agent);
  let now: Table;
  try {
    now = parse(after) as Table;
  } catch {
    throw new HookpackError(
      "SETTINGS_SHAPE",
      `hookpack: ${file} defines its hooks in a way a [[hooks.<event>]] table cannot extend (an inline array such as \`PreToolUse = [ … ]\`); nothing was changed.`,
      "Rewrite those hooks as [[hooks.<event>]] tables, or move them to .codex/hooks.json, then run the command again.",
    );
  }
  if (ourGroups(now, agent) !== expectOurs || !isDeepStrictEqual(withoutOurs(now, agent), was)) {
    throw new HookpackError(
      "SETTINGS_SHAPE",
      `hookpack: editing ${file} would change more than hookpack's own hooks; nothing was changed.`,
      "Check the file's [hooks] tables by hand.",
    );
  }
}

/** The file with our block present exactly once, holding the current command. */
export function addTomlRegistrations(
  text: string,
  file: string,
  layout: ConfigLayout,
  agent: string,
  command: string,
): string {
  const doc = readToml(text, file);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const span = blockSpan(text);
  let out: string;
  if (span) {
    out = text.slice(0, span.start) + block(layout, command, eol) + text.slice(span.end);
  } else {
    if (ourGroups(doc, agent) > 0) {
      throw new HookpackError(
        "SETTINGS_SHAPE",
        `hookpack: ${file} already runs hookpack's hooks outside a hookpack block; nothing was changed.`,
        "Remove those [[hooks.*]] entries by hand (or put them back between the hookpack markers), then run the command again.",
      );
    }
    const sep = text === "" ? "" : text.endsWith(eol) ? eol : eol + eol;
    out = text + sep + block(layout, command, eol);
  }
  if (out !== text) checkSameMeaning(text, out, file, agent, layout.registrations.length);
  return out;
}

/** The file without our block; entries of ours outside it are left (and reported by doctor). */
export function removeTomlRegistrations(text: string, file: string, agent: string): string {
  const span = blockSpan(text);
  if (!span) return text;
  // (A file that ended without a line break keeps the one install added; an untouched file is
  // restored byte for byte from the install record instead, see agent-settings.ts.)
  const out = text.slice(0, span.lead) + text.slice(span.end);
  try {
    checkSameMeaning(text, out, file, agent, 0);
  } catch {
    // The block was edited into something else: leave the file alone and say so.
    throw new HookpackError(
      "SETTINGS_SHAPE",
      `hookpack: the hookpack block in ${file} was edited; nothing was changed.`,
      "Delete the lines between the hookpack markers by hand.",
    );
  }
  return out;
}
