// Secrets in a tool's output are replaced before the model sees it: managed values (every
// encoding, found by hash through the hook cache) become [REDACTED:NAME], pattern-detected ones
// [REDACTED:<rule>]. The copy has exactly the output's shape (only string leaves change), which
// is what agents that can replace output require. Outputs the agent also keeps on disk for the
// model to read later (Claude Code persists Bash output over 30,000 chars) are cleaned in place.
import { forEachString, mapStrings, pathKey } from "../core/json-walk.js";
import type { Verdict } from "../hooks/event.js";
import type { ManagedSecrets, Rule, RuleContext } from "./rule.js";
import type { SecretScanner } from "./secretlint.js";

/** One secret in a text. `managed` is the secret's name for managed values. */
export interface TextHit {
  start: number;
  end: number;
  /** "managed-value" or secretlint's short rule id. */
  ruleId: string;
  managed?: string;
  /** secretlint message id (detections only), for human labels. */
  messageId?: string;
}

/** The label that replaces a hit: the secret's name when managed, the rule otherwise. */
export const hitLabel = (h: TextHit): string => h.managed ?? h.ruleId;

/** Managed values first, then secretlint; overlapping hits merge (the earlier label wins). */
export async function findSecrets(
  text: string,
  filePath: string,
  scanner: SecretScanner,
  managed: ManagedSecrets | undefined,
): Promise<TextHit[]> {
  const hits: TextHit[] = [];
  if (managed)
    for (const m of managed.find(text))
      hits.push({ start: m.start, end: m.end, ruleId: "managed-value", managed: m.name });
  // The pattern engine (a bundle loaded on first use) runs when what the model would get after the
  // stored values are redacted still trips the prefilter: a `KEY=<stored value>` line trips it only
  // through the value, which is redacted already. When it runs, it runs on the whole original text.
  const visible = hits.length > 0 ? applyHits(text, hits) : text;
  if (scanner.mayContainSecret(visible)) {
    for (const f of await scanner.scan(text, filePath))
      hits.push({ start: f.start, end: f.end, ruleId: f.ruleId, messageId: f.messageId });
  }
  if (hits.length < 2) return hits;
  hits.sort((a, b) => a.start - b.start || (a.managed ? -1 : 1));
  const out: TextHit[] = [];
  for (const h of hits) {
    const last = out[out.length - 1];
    if (last && h.start < last.end) {
      if (h.end > last.end) last.end = h.end;
      continue;
    }
    out.push({ ...h });
  }
  return out;
}

/** Replaces each hit (sorted, non-overlapping) by `[REDACTED:<label>]`, or by `replace(hit)`. */
export function applyHits(
  text: string,
  hits: readonly TextHit[],
  replace: (h: TextHit) => string = (h) => `[REDACTED:${hitLabel(h)}]`,
): string {
  let out = "";
  let at = 0;
  for (const h of hits) {
    out += text.slice(at, h.start) + replace(h);
    at = h.end;
  }
  return out + text.slice(at);
}

/** Files larger than this are not rewritten by the hook (the CLI scan reports them). */
const MAX_SPILL_BYTES = 64 * 1024 * 1024;

/**
 * Cleans a file the agent wrote for the model in place (same mode, atomic rename, no backup).
 * Returns the hits found and whether the clean copy replaced the file: it does not when the file
 * is too large, or kept changing while it was read (a writer still appending must not lose lines).
 */
export async function cleanFileInPlace(
  path: string,
  context: RuleContext,
  filePath = "tool-output.txt",
): Promise<{ hits: TextHit[]; written: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const read = context.files.readWhole(path, MAX_SPILL_BYTES);
    if (!read) return { hits: [], written: false };
    const { text, stamp } = read;
    const hits = await findSecrets(text, filePath, context.scanner, context.managed);
    if (hits.length === 0) return { hits, written: false };
    for (const h of hits) context.noteSecret(text.slice(h.start, h.end), hitLabel(h));
    if (context.files.replaceIfUnchanged(path, stamp, applyHits(text, hits)))
      return { hits, written: true };
  }
  const last = context.files.readWhole(path, Number.MAX_SAFE_INTEGER)?.text ?? "";
  return {
    hits: await findSecrets(last, filePath, context.scanner, context.managed),
    written: false,
  };
}

/** The distinct object keys of a JSON value that are long enough to hold a secret. */
function objectKeys(value: unknown, out = new Set<string>()): string[] {
  if (Array.isArray(value)) for (const item of value) objectKeys(item, out);
  else if (value !== null && typeof value === "object")
    for (const [key, item] of Object.entries(value)) {
      if (key.length >= 6) out.add(key);
      objectKeys(item, out);
    }
  return [...out];
}

/** A copy of `value` with every object key passed through `rename` (a clash gets " (2)", " (3)"…). */
function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, rename));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const base = rename(key);
    let name = base;
    for (let n = 2; Object.hasOwn(out, name); n++) name = `${base} (${n})`;
    out[name] = renameKeys(item, rename);
  }
  return out;
}

export const redactToolOutput: Rule = {
  id: "redact-tool-output",
  summary:
    "Redact managed values (every encoding) and secretlint findings in tool output, keeping the output's shape; clean persisted copies.",
  on: ["after-tool"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "after-tool") return { kind: "allow" };
    const filePath =
      event.tool.kind === "read-file" && event.tool.path ? event.tool.path : "tool-output.txt";
    const hits = new Map<string, TextHit[]>();
    const pending: Array<Promise<void>> = [];
    // Keyed by the leaf's path array: a key "a.b" and a nested a → b share a dotted path.
    forEachString(event.output, (text, _path, keys) => {
      if (text.length < 6) return;
      pending.push(
        findSecrets(text, filePath, context.scanner, context.managed).then((found) => {
          if (found.length > 0) hits.set(pathKey(keys), found);
        }),
      );
    });
    await Promise.all(pending);

    // Object KEYS reach the model too (an MCP tool's structuredContent built from an API's data):
    // all keys in one pass, each hit mapped back onto the key(s) it covers.
    const keyHits = new Map<string, TextHit[]>();
    const keys = objectKeys(event.output);
    if (keys.length > 0) {
      const joined = keys.join("\n");
      const found = await findSecrets(joined, filePath, context.scanner, context.managed);
      let from = 0;
      let k = 0;
      for (const h of found) {
        while (k < keys.length && from + keys[k]!.length <= h.start) from += keys[k++]!.length + 1;
        for (let i = k, at = from; i < keys.length && at < h.end; at += keys[i++]!.length + 1) {
          const start = Math.max(h.start, at) - at;
          const end = Math.min(h.end, at + keys[i]!.length) - at;
          if (end <= start) continue;
          const list = keyHits.get(keys[i]!) ?? [];
          list.push({ ...h, start, end });
          keyHits.set(keys[i]!, list);
        }
      }
    }

    const names = new Set<string>();
    const detectors = new Set<string>();
    let count = 0;
    // The full output the model may Read later: clean it even when the inline part is clean.
    let spilled = 0;
    const unclean: string[] = [];
    for (const file of event.spill ?? []) {
      const cleaned = await cleanFileInPlace(file, context);
      if (cleaned.written) spilled += cleaned.hits.length;
      else if (cleaned.hits.length > 0) unclean.push(file);
      for (const h of cleaned.hits) if (h.managed) names.add(h.managed);
      for (const h of cleaned.hits) if (!h.managed) detectors.add(h.ruleId);
    }

    let output = event.output;
    if (hits.size > 0) {
      output = mapStrings(event.output, (text, _path, keys) => {
        const found = hits.get(pathKey(keys));
        if (!found) return text;
        for (const h of found) {
          context.noteSecret(text.slice(h.start, h.end), hitLabel(h));
          if (h.managed) names.add(h.managed);
          else detectors.add(h.ruleId);
        }
        count += found.length;
        return applyHits(text, found);
      });
    }
    if (keyHits.size > 0) {
      for (const [key, found] of keyHits) {
        for (const h of found) {
          context.noteSecret(key.slice(h.start, h.end), hitLabel(h));
          if (h.managed) names.add(h.managed);
          else detectors.add(h.ruleId);
        }
        count += found.length;
      }
      output = renameKeys(output, (key) => {
        const found = keyHits.get(key);
        return found ? applyHits(key, found) : key;
      });
    }
    if (names.size > 0) context.managed?.exposed([...names], `tool-output:${event.tool.name}`);
    if (unclean.length > 0) {
      // The model will be pointed at that file; if it cannot be cleaned, keep it from the model.
      return {
        kind: "deny",
        code: "PERSISTED_OUTPUT_UNCLEAN",
        reason: `hookpack withheld this ${event.tool.name} output: its saved full copy holds secrets and could not be cleaned (it was still changing). Do not read ${unclean.join(", ")}; run the command again with less output.`,
      };
    }
    if (count === 0) {
      if (spilled === 0) return { kind: "allow" };
      return {
        kind: "warn",
        code: "PERSISTED_OUTPUT_CLEANED",
        message: `hookpack redacted ${spilled} secret(s) in the saved full output of this ${event.tool.name} call.`,
      };
    }
    const spill = spilled > 0 ? ` and ${spilled} in its saved full output` : "";
    return {
      kind: "redact",
      output,
      count,
      reason: `hookpack redacted ${count} secret(s) from the ${event.tool.name} output${spill}.`,
      evidence: { secrets: [...names], detectors: [...detectors], count },
    };
  },
};
