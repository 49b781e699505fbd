// Scanning one text for secrets, shared by the pre-push and tarball scanners: the secretlint
// wrapper (prefilter first, so clean text costs one regex pass), an optional extra matcher for
// managed values, inline allow markers and the fingerprint allow-list. Findings never carry values:
// they carry offsets, a label and a fingerprint (sha256 of the value).
import type * as Crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { describeFinding, inBulkMode, secretScanner } from "../rules/secretlint.js";
import { matchStatePath, normalizeStatePath } from "../rules/state-catalog.js";

/** Finds managed values (the user's own stored secrets) in a text; plugged in by the broker. */
export type ExtraMatcher = (text: string) => Array<{ start: number; end: number; label: string }>;

export interface SecretHit {
  /** secretlint short rule id ("github"), or "managed-value" for the extra matcher. */
  ruleId: string;
  label: string;
  start: number;
  end: number;
  /** 1-based, within the scanned text. */
  line: number;
  column: number;
  /** "sha256:<hex>" of the value: stable across commits and files, never the value. */
  fingerprint: string;
  /** From the finding: weak ones are warnings in reports, never blocking on their own. */
  confidence?: "confirmed" | "likely" | "weak";
}

export interface ContentScanOptions {
  extraMatcher?: ExtraMatcher;
  /** Honour `gitleaks:allow`, `secretlint-disable-line`, `trufflehog:ignore`, `hookpack:allow` (default true). */
  inlineAllow?: boolean;
  allow?: AllowList;
}

export const INLINE_ALLOW_MARKERS = [
  "gitleaks:allow",
  "secretlint-disable-line",
  "trufflehog:ignore",
  "hookpack:allow",
] as const;

// node:crypto loads on the first fingerprint (a finding), not with the bundle: a clean push or scan
// never needs it, and loading it cost ~3-7 ms of every pre-push's start-up.
export const fingerprintOf = (value: string): string =>
  `sha256:${(process.getBuiltinModule("node:crypto") as typeof Crypto).createHash("sha256").update(value, "utf8").digest("hex")}`;

/** The allow-list file: fingerprints and path globs, never values. */
export interface AllowList {
  /** Where it was read from, for messages. */
  file: string | undefined;
  allowsSecret(ruleId: string, fingerprint: string): boolean;
  allowsPath(path: string): boolean;
}

export const ALLOW_FILE = ".hookpack-allow";

export const EMPTY_ALLOW_LIST: AllowList = {
  file: undefined,
  allowsSecret: () => false,
  allowsPath: () => false,
};

/**
 * Parses an allow-list. One entry per line, `#` starts a comment:
 *   sha256:<64 hex>            a value, whatever rule finds it
 *   <rule>:sha256:<64 hex>     a value, for one rule only
 *   path:<glob>                a file path (agent-state or secret-file name findings)
 * Lines that look like anything else are reported as errors, so a value pasted by mistake is seen.
 */
export function parseAllowList(text: string, file?: string): { list: AllowList; errors: string[] } {
  const any = new Set<string>();
  const byRule = new Set<string>();
  const paths: RegExp[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw
      .replace(/\s+#.*$/, "")
      .replace(/^#.*$/, "")
      .trim();
    if (line === "") return;
    let m: RegExpExecArray | null;
    if ((m = /^sha256:([0-9a-f]{64})$/i.exec(line))) any.add(m[1]!.toLowerCase());
    else if ((m = /^([\w.-]+):sha256:([0-9a-f]{64})$/i.exec(line)))
      byRule.add(`${m[1]}:${m[2]!.toLowerCase()}`);
    else if ((m = /^path:(.+)$/.exec(line))) paths.push(pathGlob(m[1]!.trim()));
    else
      errors.push(
        `line ${i + 1} is not a fingerprint (sha256:<hex>, <rule>:sha256:<hex>) or path:<glob>`,
      );
  });
  return {
    list: {
      file,
      allowsSecret: (ruleId, fingerprint) => {
        const hex = fingerprint.replace(/^sha256:/, "");
        return any.has(hex) || byRule.has(`${ruleId}:${hex}`);
      },
      allowsPath: (path) => paths.some((re) => re.test(normalizeStatePath(path))),
    },
    errors,
  };
}

/** Reads an allow-list file; a missing file is an empty list. */
export function readAllowFile(file: string): { list: AllowList; errors: string[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { list: EMPTY_ALLOW_LIST, errors: [] };
    throw error;
  }
  return parseAllowList(text, file);
}

function pathGlob(glob: string): RegExp {
  const g = normalizeStatePath(glob);
  let re = "";
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === "*" && g[i + 1] === "*") {
      re += g[i + 2] === "/" ? "(?:[^/]*/)*" : ".*";
      i += g[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(g.includes("/") ? `^${re}(?:/.*)?$` : `^(?:.*/)?${re}(?:/.*)?$`, "i");
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function locate(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** Before a bulk scan: the prefilter compiled to machine code up front (see warmUpPrefilter). */
export { warmUpPrefilter } from "../rules/secretlint.js";

/** Whether a text could hold anything the scanner reports; false means skip it. */
export function mayHoldSecret(text: string, options: ContentScanOptions = {}): boolean {
  // In bulk mode the engine's own anchor pass is the prefilter (the hook's would hit most code).
  return (
    inBulkMode() ||
    secretScanner.mayContainSecret(text) ||
    (options.extraMatcher !== undefined && options.extraMatcher(text).length > 0)
  );
}

/** All secrets in `text`, minus allowed ones. `filePath` lets path-gated rules fire. */
export async function scanText(
  text: string,
  filePath: string,
  options: ContentScanOptions = {},
): Promise<SecretHit[]> {
  const raw: Array<Omit<SecretHit, "fingerprint" | "line" | "column">> = [];
  // (scan runs the prefilter itself: no second pass here.)
  for (const f of await secretScanner.scan(text, filePath))
    raw.push({
      ruleId: f.ruleId,
      label: describeFinding(f),
      start: f.start,
      end: f.end,
      ...(f.confidence ? { confidence: f.confidence } : {}),
    });
  for (const m of options.extraMatcher?.(text) ?? []) {
    // A managed value also found by a pattern rule is one finding, not two, and it carries the
    // secret's own name (more than any rule knows).
    for (let i = raw.length - 1; i >= 0; i--)
      if (raw[i]!.start < m.end && m.start < raw[i]!.end) raw.splice(i, 1);
    raw.push({
      ruleId: "managed-value",
      label: `managed secret ${m.label}`,
      start: m.start,
      end: m.end,
    });
  }
  if (raw.length === 0) return [];
  const starts = lineStarts(text);
  const inline = options.inlineAllow ?? true;
  const out: SecretHit[] = [];
  for (const r of raw.sort((a, b) => a.start - b.start)) {
    const { line, column } = locate(starts, r.start);
    if (inline) {
      const lineText = text.slice(starts[line - 1]!, starts[line] ?? text.length);
      if (INLINE_ALLOW_MARKERS.some((m) => lineText.includes(m))) continue;
    }
    const fingerprint = fingerprintOf(text.slice(r.start, r.end));
    if (options.allow?.allowsSecret(r.ruleId, fingerprint)) continue;
    out.push({ ...r, line, column, fingerprint });
  }
  return out;
}

/** One line of `text` with every hit on it replaced by a label, cut to `width` characters. */
export function maskedLine(
  text: string,
  line: number,
  hits: readonly SecretHit[],
  width = 160,
): string {
  const starts = lineStarts(text);
  const from = starts[line - 1] ?? 0;
  const to = (starts[line] ?? text.length + 1) - 1;
  let out = "";
  let pos = from;
  for (const h of [...hits]
    .filter((h) => h.end > from && h.start < to)
    .sort((a, b) => a.start - b.start)) {
    out += text.slice(pos, Math.max(pos, h.start));
    out += `[REDACTED:${h.label}]`;
    pos = Math.max(pos, h.end);
  }
  out += text.slice(pos, to);
  out = out
    .replace(/\r$/, "")
    // eslint-disable-next-line no-control-regex -- terminal control characters must not reach the report
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "?")
    .trim();
  return out.length > width ? `${out.slice(0, width - 1)}…` : out;
}

/** Names a file by the catalog: agent state or a credential file, unless allowed by path. */
export function classifyPath(
  path: string,
  allow: AllowList,
  filter: Parameters<typeof matchStatePath>[1],
) {
  if (allow.allowsPath(path)) return undefined;
  return matchStatePath(path, filter);
}
