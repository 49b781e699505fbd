// Finding and removing secret values in an agent's state file, as text in → text out. The
// result keeps everything else byte-identical and stays valid in its format:
//   json (settings) — with rewrite "allow-list", an entry of permissions.allow/ask/deny that holds
//     only managed values gets their `$secret:NAME` references; an entry holding any other secret
//     is removed (jsonc-parser edits, so formatting and the other entries are untouched). Every
//     other string has its values replaced by [REDACTED:…] inside the string literal.
//   jsonl (transcripts) — line by line; each line stays one valid JSON document.
//   text — values replaced in place.
// Every rewrite is checked: it must parse as before and a re-scan must find nothing; otherwise
// the file is reported as not fixable and left alone.
import { forEachString, mapStrings, pathKey } from "../core/json-walk.js";
import { lineStarts, positionAt } from "../core/text-position.js";
import { applyHits, hitLabel, type TextHit } from "./redact-tool-output.js";

/**
 * Finds the secret values in one text. `mayFindEach`, when a finder has it, answers for many texts
 * at once whether the finder could find anything in each: false only where `find(text)` certainly
 * returns nothing (a bulk scan's one automaton pass over a JSON file's strings instead of a call
 * and a promise per string); true where unsure.
 */
export type Finder = ((text: string) => Promise<TextHit[]>) & {
  mayFindEach?: (texts: readonly string[]) => Promise<boolean[]>;
};

export type FixAction = "reference" | "removed-entry" | "redacted" | "reported";

export interface StateFinding {
  /** 1-based line in the original file. */
  line: number;
  column: number;
  ruleId: string;
  /** The managed secret's name, when it is one. */
  managed?: string;
  messageId?: string;
  /** sha256 fingerprint input: the value itself is never kept here. */
  value: string;
  /** What --fix does (or did) about it. */
  action: FixAction;
  /** For allow-list entries: the entry with values masked, for the report. */
  entry?: string;
}

export interface FixResult {
  findings: StateFinding[];
  /** The fixed text; equal to the input when nothing changed or rewrite is "report". */
  text: string;
  changed: boolean;
  /** Set when a fix was needed but could not be made safely. */
  error?: string;
}

const jsonEscaped = (s: string) => JSON.stringify(s).slice(1, -1);
const PERMISSION_LIST = /^permissions\.(allow|ask|deny)\.(\d+)$/;

/** Where in the raw text a decoded string value sits (first occurrence from `from`), for line numbers. */
function rawOffset(raw: string, decoded: string, from = 0): number {
  const i = raw.indexOf(jsonEscaped(decoded), from);
  return i === -1 ? from : i;
}

/**
 * The string leaves of a parsed JSON value that the scan looks at (at least 6 characters), in the
 * order forEachString visits them (depth first, children in order), without building a path per
 * leaf: a leaf records its container's node, and a path is built only for a leaf that is needed
 * (a hit, or the allow-list step's skip test). Nodes: `parent[n]`, `key[n]`; node 0 is the root.
 */
interface Leaves {
  text: string[];
  node: number[];
  leafKey: Array<string | number | undefined>;
  parent: number[];
  key: Array<string | number | undefined>;
}

function stringLeaves(doc: unknown, minLength: number): Leaves {
  const out: Leaves = { text: [], node: [], leafKey: [], parent: [-1], key: [undefined] };
  if (typeof doc === "string") {
    if (doc.length >= minLength) {
      out.text.push(doc);
      out.node.push(0);
      out.leafKey.push(undefined);
    }
    return out;
  }
  if (doc === null || typeof doc !== "object") return out;
  // An explicit stack (a value nested 100,000 deep parses): container, its keys, the next child.
  const values: object[] = [doc];
  const keyLists: Array<Array<string | number> | undefined> = [undefined];
  const at: number[] = [0];
  const nodes: number[] = [0];
  while (values.length > 0) {
    const top = values.length - 1;
    const value = values[top]!;
    const i = at[top]!;
    const isArray = Array.isArray(value);
    let keys = keyLists[top];
    // As forEachString: an array's indexes in order (JSON.parse makes no holes), an object's own
    // enumerable keys in Object.entries order.
    if (!isArray && keys === undefined) keys = keyLists[top] = Object.keys(value);
    const n = isArray ? (value as unknown[]).length : keys!.length;
    if (i === n) {
      values.pop();
      keyLists.pop();
      at.pop();
      nodes.pop();
      continue;
    }
    at[top] = i + 1;
    const k: string | number = isArray ? i : keys![i]!;
    if (isArray && !(i in value)) continue;
    const item = (value as Record<string | number, unknown>)[k];
    if (typeof item === "string") {
      if (item.length >= minLength) {
        out.text.push(item);
        out.node.push(nodes[top]!);
        out.leafKey.push(k);
      }
    } else if (item !== null && typeof item === "object") {
      out.parent.push(nodes[top]!);
      out.key.push(k);
      values.push(item);
      keyLists.push(undefined);
      at.push(0);
      nodes.push(out.parent.length - 1);
    }
  }
  return out;
}

/** Leaf `i`'s path array (forEachString's `keys`). */
function leafKeys(leaves: Leaves, i: number): Array<string | number> {
  const keys: Array<string | number> = [];
  if (leaves.leafKey[i] !== undefined) keys.push(leaves.leafKey[i]!);
  for (let n = leaves.node[i]!; n > 0; n = leaves.parent[n]!) keys.push(leaves.key[n]!);
  return keys.reverse();
}

/** forEachString's dotted path for a path array. */
const dottedPath = (keys: ReadonlyArray<string | number>) =>
  keys.reduce<string>((path, key) => (path ? `${path}.${key}` : String(key)), "");

/** Redacts the values inside one JSON document's strings; raw replacement first, re-serialise as a fallback. */
async function redactJsonDocument(
  raw: string,
  find: Finder,
  base: number,
  starts: () => number[],
  findings: StateFinding[],
  rewrite: boolean,
  skip?: (path: string) => boolean,
): Promise<string> {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return redactText(raw, find, base, starts, findings, rewrite);
  }
  const leaves = stringLeaves(doc, 6);
  // Which strings to look at: all of them, or (a bulk scan) those the finder could find anything
  // in, decided for all of them in one pass. Either way each looked-at string is found on its own,
  // exactly as before.
  let look: boolean[] | undefined;
  if (skip) look = leaves.text.map((_, i) => !skip(dottedPath(leafKeys(leaves, i))));
  if (find.mayFindEach && leaves.text.length > 0) {
    const may = await find.mayFindEach(leaves.text);
    look = look ? look.map((l, i) => l && may[i] === true) : may;
  }
  const perString: Array<{ key: string; text: string; hits: TextHit[] }> = [];
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < leaves.text.length; i++) {
    if (look && !look[i]) continue;
    const text = leaves.text[i]!;
    pending.push(
      find(text).then(
        (hits) =>
          void (
            hits.length > 0 && perString.push({ key: pathKey(leafKeys(leaves, i)), text, hits })
          ),
      ),
    );
  }
  await Promise.all(pending);
  if (perString.length === 0) return raw;
  let out = raw;
  for (const s of perString) {
    for (const h of s.hits) {
      const value = s.text.slice(h.start, h.end);
      findings.push({
        ...positionAt(starts(), base + rawOffset(raw, value)),
        ruleId: h.ruleId,
        managed: h.managed,
        messageId: h.messageId,
        value,
        action: rewrite ? "redacted" : "reported",
      });
      if (rewrite) out = out.split(jsonEscaped(value)).join(`[REDACTED:${hitLabel(h)}]`);
    }
  }
  if (!rewrite) return raw;
  // The writer may escape differently from JSON.stringify (\u003c, \/): fall back to re-serialising.
  if (!(await stillHolds(out, find)) && parses(out)) return out;
  // By path array: a key "a.b" and a nested a → b share a dotted path.
  const byPath = new Map(perString.map((s) => [s.key, s] as const));
  const fixed = mapStrings(doc, (text, _path, keys) => {
    const s = byPath.get(pathKey(keys));
    return s ? applyHits(text, s.hits) : text;
  });
  return JSON.stringify(fixed);
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function stillHolds(json: string, find: Finder): Promise<boolean> {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return true;
  }
  const texts: string[] = [];
  forEachString(doc, (t) => void (t.length >= 6 && texts.push(t)));
  for (const t of texts) if ((await find(t)).length > 0) return true;
  return false;
}

async function redactText(
  text: string,
  find: Finder,
  base: number,
  starts: () => number[],
  findings: StateFinding[],
  rewrite: boolean,
): Promise<string> {
  const hits = await find(text);
  for (const h of hits)
    findings.push({
      ...positionAt(starts(), base + h.start),
      ruleId: h.ruleId,
      managed: h.managed,
      messageId: h.messageId,
      value: text.slice(h.start, h.end),
      action: rewrite ? "redacted" : "reported",
    });
  return rewrite && hits.length > 0 ? applyHits(text, hits) : text;
}

/** The allow-list step: references for managed-only entries, removal for the rest. */
async function fixPermissions(
  raw: string,
  find: Finder,
  starts: () => number[],
  findings: StateFinding[],
  rewrite: boolean,
): Promise<string> {
  let doc: { permissions?: Record<string, unknown> };
  try {
    doc = JSON.parse(raw) as typeof doc;
  } catch {
    return raw;
  }
  const edits: Array<{ list: string; index: number; value: string | undefined }> = [];
  for (const list of ["allow", "ask", "deny"]) {
    const entries = doc?.permissions?.[list];
    if (!Array.isArray(entries)) continue;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (typeof entry !== "string") continue;
      const hits = await find(entry);
      if (hits.length === 0) continue;
      const managedOnly = hits.every((h) => h.managed);
      const masked = applyHits(entry, hits);
      const at = positionAt(starts(), rawOffset(raw, entry));
      for (const h of hits) {
        findings.push({
          ...at,
          ruleId: h.ruleId,
          managed: h.managed,
          messageId: h.messageId,
          value: entry.slice(h.start, h.end),
          action: rewrite ? (managedOnly ? "reference" : "removed-entry") : "reported",
          entry: masked,
        });
      }
      edits.push({
        list,
        index: i,
        value: managedOnly ? applyHits(entry, hits, (h) => `$secret:${h.managed}`) : undefined,
      });
    }
  }
  if (!rewrite || edits.length === 0) return raw;
  // Loaded here, not at the top: the hook bundle must not pay for it on every tool call.
  const { applyEdits, modify } = await import("jsonc-parser");
  let out = raw;
  const options = { formattingOptions: { insertSpaces: true, tabSize: 2 } };
  // Replacements keep indexes; removals go last, from the highest index down.
  for (const e of edits.filter((x) => x.value !== undefined))
    out = applyEdits(out, modify(out, ["permissions", e.list, e.index], e.value, options));
  for (const e of edits.filter((x) => x.value === undefined).sort((a, b) => b.index - a.index)) {
    out = applyEdits(out, modify(out, ["permissions", e.list, e.index], undefined, options));
  }
  return out;
}

/**
 * Finds (and with `rewrite`, removes) secret values in one state file's text. `mode` is the
 * catalog's rewrite rule; "report" never changes the text.
 */
export async function fixStateText(
  text: string,
  format: "json" | "jsonl" | "text",
  mode: "allow-list" | "redact" | "report",
  find: Finder,
): Promise<FixResult> {
  const rewrite = mode !== "report";
  // Line starts only when something is found (most scanned files hold nothing).
  let lines: number[] | undefined;
  const starts = () => (lines ??= lineStarts(text));
  const findings: StateFinding[] = [];
  let out: string;
  if (format === "jsonl") {
    const lines = text.split("\n");
    let offset = 0;
    const fixed: string[] = [];
    for (const line of lines) {
      const trimmed = line.replace(/\r$/, "");
      const cr = line.length - trimmed.length;
      fixed.push(
        trimmed.trim() === ""
          ? line
          : (await redactJsonDocument(trimmed, find, offset, starts, findings, rewrite)) +
              "\r".repeat(cr),
      );
      offset += line.length + 1;
    }
    out = fixed.join("\n");
  } else if (format === "json") {
    out = text;
    if (mode === "allow-list") out = await fixPermissions(text, find, starts, findings, rewrite);
    const skip = mode === "allow-list" ? (path: string) => PERMISSION_LIST.test(path) : undefined;
    // (redactJsonDocument reads text that does not parse as text: one parse, not two.)
    out = await redactJsonDocument(out, find, 0, starts, findings, rewrite, skip);
  } else {
    out = await redactText(text, find, 0, starts, findings, rewrite);
  }
  findings.sort((a, b) => a.line - b.line || a.column - b.column);
  if (!rewrite || out === text) return { findings, text, changed: false };
  // Never write something that is broken or still holds a value.
  if (format === "json" && parses(text) && !parses(out))
    return { findings, text, changed: false, error: "the fixed file would not be valid JSON" };
  if (format === "jsonl") {
    const before = text.split("\n");
    const after = out.split("\n");
    if (before.length !== after.length || before.some((l, i) => parses(l) && !parses(after[i]!)))
      return { findings, text, changed: false, error: "a fixed line would not be valid JSON" };
  }
  return { findings, text: out, changed: true };
}
