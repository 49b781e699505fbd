// Ignore-file hygiene: one managed block per file listing the agent-state and credential paths of
// the state catalog. `.gitignore` always (created when missing); `.npmignore` only where one exists,
// because creating one switches the `.gitignore` off for npm, pnpm, yarn and bun alike; and when
// package.json has `files` (which makes both root ignore files dead), negations in `files` when an
// entry is broad enough to pick up agent state, or a note saying why nothing is needed.
// Pure planning: reads files, never writes.
import { statSync } from "node:fs";
import { join } from "node:path";
import { parseTree, findNodeAtLocation } from "jsonc-parser";
import { credentialIgnoreLines, ignoreLines, STATE_PATHS } from "../rules/state-catalog.js";
import { setJson } from "./json-edit.js";
import { readIfExists as readFile, type FileChange } from "./plan.js";

export const BLOCK_START =
  "# >>> hookpack: agent state and credentials; never commit or publish (managed by `hookpack install`, removed by `hookpack uninstall`) >>>";
export const BLOCK_END = "# <<< hookpack <<<";
/** End marker used when the file had no final newline and we added one before the block. */
export const BLOCK_END_ADDED_NEWLINE = "# <<< hookpack (added the final newline above) <<<";

const eolOf = (text: string) => (text.includes("\r\n") ? "\r\n" : "\n");

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

interface BlockSpan {
  start: number;
  end: number;
  addedNewline: boolean;
}

/** Where our block sits (start of the start marker line to after the end marker line). */
export function findBlock(text: string): BlockSpan | undefined {
  const start = text.indexOf(BLOCK_START);
  if (start === -1 || (start > 0 && text[start - 1] !== "\n")) return undefined;
  let endAt = text.indexOf(BLOCK_END, start);
  let addedNewline = false;
  const alt = text.indexOf(BLOCK_END_ADDED_NEWLINE, start);
  if (alt !== -1 && (endAt === -1 || alt < endAt)) {
    endAt = alt;
    addedNewline = true;
  }
  if (endAt === -1) return undefined;
  const lineEnd = text.indexOf("\n", endAt);
  return { start, end: lineEnd === -1 ? text.length : lineEnd + 1, addedNewline };
}

/** The text with our block holding exactly `lines` (replaced in place, or appended). */
export function withBlock(text: string | null, lines: readonly string[]): string {
  const original = text ?? "";
  const eol = eolOf(original);
  const span = findBlock(original);
  const body = (end: string) => [BLOCK_START, ...lines, end].join(eol) + eol;
  if (span)
    return (
      original.slice(0, span.start) +
      body(span.addedNewline ? BLOCK_END_ADDED_NEWLINE : BLOCK_END) +
      original.slice(span.end)
    );
  if (original === "") return body(BLOCK_END);
  if (!original.endsWith("\n")) return `${original}${eol}${eol}${body(BLOCK_END_ADDED_NEWLINE)}`;
  return `${original}${eol}${body(BLOCK_END)}`;
}

/** The text without our block, byte for byte as it was before `withBlock`; null for an emptied file. */
export function withoutBlock(text: string): string {
  const span = findBlock(text);
  if (!span) return text;
  let before = text.slice(0, span.start);
  const after = text.slice(span.end);
  const eol = eolOf(text);
  if (after === "") {
    // We appended "<eol><block>" (or "<eol><eol><block>" when we also added the final newline).
    if (before.endsWith(eol + eol)) before = before.slice(0, -eol.length);
    if (span.addedNewline && before.endsWith(eol)) before = before.slice(0, -eol.length);
  }
  return before + after;
}

/** gitignore lines the user's own text already mentions (outside our block). */
function userMentions(text: string): Set<string> {
  const span = findBlock(text);
  const own = span ? text.slice(0, span.start) + text.slice(span.end) : text;
  return new Set(
    own.split(/\r?\n/).map((l) =>
      l
        .trim()
        .replace(/^(\*\*)?\//, "")
        .toLowerCase(),
    ),
  );
}

/** `files` entries broad enough to pack agent state or credential files at the package root. */
export function broadFilesEntries(files: readonly unknown[]): string[] {
  return files
    .filter((f): f is string => typeof f === "string")
    .filter((f) => {
      const e = f.replace(/^\.\//, "").replace(/\/+$/, "");
      if (e.startsWith("!")) return false;
      if (e === "" || e === "." || e.split("/")[0]!.includes("*")) return true;
      return /^(\.claude|\.codex|\.gemini|\.cursor|\.continue|\.aider|\.env|\.npmrc|\.netrc|claude\.local\.md)/i.test(
        e,
      );
    });
}

/** Negations for package.json `files`, from the catalog's secret-bearing and agent-state entries. */
export function filesNegations(): string[] {
  const out: string[] = [];
  for (const e of STATE_PATHS) {
    if (!e.npm || e.severity !== "error") continue;
    const p = e.pattern.replace(/\/$/, "");
    out.push(`!${p.startsWith("**/") ? p : `**/${p}`}`);
  }
  return out;
}

/** Our negations appended to a `files` array, in the array's own style; undefined when not applicable. */
function insertNegations(text: string, negations: readonly string[]): string | undefined {
  const tree = parseTree(text);
  const node = tree && findNodeAtLocation(tree, ["files"]);
  if (!node || node.type !== "array") return undefined;
  const have = new Set((node.children ?? []).map((c) => c.value as unknown));
  const add = negations.filter((n) => !have.has(n));
  if (add.length === 0) return text;
  const close = node.offset + node.length - 1;
  const inner = text.slice(node.offset + 1, close);
  const last = node.children?.[node.children.length - 1];
  if (!last) return setJson(text, ["files"], add);
  const insertAt = last.offset + last.length;
  const multiline = inner.includes("\n");
  const indent = multiline
    ? (/\n([ \t]*)\S/.exec(text.slice(node.offset, last.offset + 1))?.[1] ?? "  ")
    : "";
  const sep = multiline ? `,${eolOf(text)}${indent}` : ", ";
  return (
    text.slice(0, insertAt) +
    add.map((n) => `${sep}${JSON.stringify(n)}`).join("") +
    text.slice(insertAt)
  );
}

function removeNegations(text: string, negations: readonly string[]): string {
  const tree = parseTree(text);
  const node = tree && findNodeAtLocation(tree, ["files"]);
  if (!node || node.type !== "array") return text;
  // Exact reversal when our run of entries is intact: cut from the end of the entry before it.
  const children = node.children ?? [];
  const idx = children.findIndex((c, i) => negations.every((n, k) => children[i + k]?.value === n));
  if (idx > 0) {
    const prev = children[idx - 1]!;
    const lastOurs = children[idx + negations.length - 1]!;
    return text.slice(0, prev.offset + prev.length) + text.slice(lastOurs.offset + lastOurs.length);
  }
  let out = text;
  for (let i = children.length - 1; i >= 0; i--) {
    if (negations.includes(children[i]!.value as string))
      out = setJson(out, ["files", i], undefined);
  }
  return out;
}

export interface IgnorePlan {
  changes: FileChange[];
  notes: string[];
}

/** Plans the ignore blocks (and `files` negations) for the package or project at `root`. */
export function planIgnoreFiles(
  root: string,
  readIfExists: (path: string) => string | null = readFile,
): IgnorePlan {
  const changes: FileChange[] = [];
  const notes: string[] = [];
  const gitignore = join(root, ".gitignore");
  const gitBefore = readIfExists(gitignore);
  const mentions = userMentions(gitBefore ?? "");
  const gitAfter = withBlock(
    gitBefore,
    ignoreLines("git", (name) => mentions.has(name.toLowerCase())),
  );
  changes.push({
    path: gitignore,
    before: gitBefore,
    after: gitAfter,
    mode: modeOf(gitignore),
    summary:
      "keep agent state and credential files out of git (and out of npm packs that fall back to .gitignore)",
  });

  const npmignore = join(root, ".npmignore");
  const npmBefore = readIfExists(npmignore);
  if (npmBefore !== null) {
    changes.push({
      path: npmignore,
      before: npmBefore,
      after: withBlock(npmBefore, ignoreLines("npm")),
      mode: modeOf(npmignore),
      summary:
        "keep agent state and credential files out of the published package (.npmignore switches .gitignore off for npm)",
    });
  }

  const manifestPath = join(root, "package.json");
  const manifest = readIfExists(manifestPath);
  if (manifest !== null) {
    let files: unknown;
    try {
      files = (JSON.parse(manifest) as { files?: unknown }).files;
    } catch {
      notes.push('package.json is not valid JSON; its "files" list was not checked.');
    }
    if (Array.isArray(files)) {
      const broad = broadFilesEntries(files);
      if (broad.length > 0) {
        const after = insertNegations(manifest, filesNegations());
        if (after !== undefined) {
          changes.push({
            path: manifestPath,
            before: manifest,
            after,
            mode: modeOf(manifestPath),
            summary: `exclude agent state and credential files from "files" (${broad.map((b) => JSON.stringify(b)).join(", ")} would pack them; root ignore files do not apply when "files" is set)`,
          });
        }
      } else {
        notes.push(
          `package.json "files" lists only ${
            files
              .filter((f) => typeof f === "string")
              .map((f) => JSON.stringify(f))
              .join(", ") || "nothing"
          }, so root-level agent state cannot ship and no negations are needed; \`hookpack check-pack\` still checks nested folders such as dist/.claude/.`,
        );
      }
    } else if (npmBefore === null) {
      notes.push(
        'npm packs this package using .gitignore (there is no .npmignore), so the .gitignore block also keeps agent state out of the tarball. Agent configuration that git should keep (.claude/settings.json, .cursor/, …) still ships unless package.json has "files"; `hookpack check-pack` lists it.',
      );
    }
  }
  return { changes, notes };
}

/**
 * The agent's own ignore file (`.aiderignore`, `.clineignore`, `.geminiignore`, `.cursorignore`;
 * gitignore syntax): files listed there are kept from the agent's file tools, a second line of
 * defence behind the read guard. Creating one has no side effect, so it is created when missing and
 * removed again when our block was all it held.
 */
export function planAgentIgnore(
  root: string,
  name: string,
  install: boolean,
  lines: readonly string[] = credentialIgnoreLines(),
  readIfExists: (path: string) => string | null = readFile,
): FileChange[] {
  const path = join(root, name);
  const before = readIfExists(path);
  if (install) {
    const after = withBlock(before, lines);
    return after === before
      ? []
      : [
          {
            path,
            before,
            after,
            mode: modeOf(path),
            summary: `keep credential files out of the agent's file tools (${name})`,
          },
        ];
  }
  if (before === null || !findBlock(before)) return [];
  const after = withoutBlock(before);
  return [
    {
      path,
      before,
      after: after === "" ? null : after,
      mode: modeOf(path),
      summary: `remove hookpack's block from ${name}`,
    },
  ];
}

/** Plans removing exactly our blocks and negations; a file we created and that is now empty goes. */
export function planIgnoreFilesRemoval(
  root: string,
  readIfExists: (path: string) => string | null = readFile,
): IgnorePlan {
  const changes: FileChange[] = [];
  for (const name of [".gitignore", ".npmignore"]) {
    const path = join(root, name);
    const before = readIfExists(path);
    if (before === null || !findBlock(before)) continue;
    const after = withoutBlock(before);
    changes.push({
      path,
      before,
      after: after === "" ? null : after,
      mode: modeOf(path),
      summary: `remove hookpack's block from ${name}`,
    });
  }
  const manifestPath = join(root, "package.json");
  const manifest = readIfExists(manifestPath);
  if (manifest !== null) {
    const after = removeNegations(manifest, filesNegations());
    if (after !== manifest)
      changes.push({
        path: manifestPath,
        before: manifest,
        after,
        mode: modeOf(manifestPath),
        summary: 'remove hookpack\'s negations from "files"',
      });
  }
  return { changes, notes: [] };
}
