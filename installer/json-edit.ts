// Minimal-diff edits of JSON settings files: only the bytes of the changed member move; key
// order, indentation, line endings and the trailing newline of everything else stay as they were.
import {
  applyEdits,
  findNodeAtLocation,
  modify,
  parse,
  parseTree,
  printParseErrorCode,
  type JSONPath,
  type ParseError,
} from "jsonc-parser";
import { HookpackError } from "../core/errors.js";
import { lineStarts, positionAt } from "../core/text-position.js";

export interface JsonDocument {
  text: string;
  value: Record<string, unknown>;
}

/** Parses strict JSON (no comments, no trailing commas); an error names the file, line and column. */
export function readJsonDocument(text: string, file: string): JsonDocument {
  if (text.trim() === "") return { text, value: {} };
  const errors: ParseError[] = [];
  const value = parse(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  }) as unknown;
  if (errors.length > 0) {
    const first = errors[0]!;
    const { line, column } = positionAt(lineStarts(text), first.offset);
    if (printParseErrorCode(first.error) === "InvalidCommentToken") {
      throw new HookpackError(
        "SETTINGS_COMMENTS",
        `hookpack: comments are not allowed in ${file} (line ${line}, column ${column}): hookpack edits it as plain JSON and would not keep them; nothing was changed.`,
        "remove the comments and run the command again, or choose another --scope whose settings file has none (--scope local uses a file of its own).",
      );
    }
    throw new HookpackError(
      "SETTINGS_UNREADABLE",
      `hookpack: ${file} is not valid JSON (${printParseErrorCode(first.error)} at line ${line}, column ${column}); nothing was changed.`,
      `Fix the file by hand, or move it aside and run the command again.`,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HookpackError(
      "SETTINGS_UNREADABLE",
      `hookpack: ${file} does not hold a JSON object; nothing was changed.`,
      "Fix the file by hand, or move it aside.",
    );
  }
  return { text, value: value as Record<string, unknown> };
}

function formatting(text: string) {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? "  ";
  return {
    insertSpaces: !indent.startsWith("\t"),
    tabSize: indent.startsWith("\t") ? 1 : indent.length,
    eol: text.includes("\r\n") ? "\r\n" : "\n",
  };
}

/** Sets (or with `undefined`, removes) the member at `path`, touching nothing else. */
export function setJson(text: string, path: JSONPath, value: unknown, insertAt?: number): string {
  if (text.trim() === "") {
    const seed = value === undefined ? {} : {};
    text = `${JSON.stringify(seed)}\n`;
  }
  const edits = modify(text, path, value, {
    formattingOptions: formatting(text),
    ...(insertAt !== undefined ? { isArrayInsertion: true } : {}),
  });
  return applyEdits(text, edits);
}

/**
 * Sets `key` in the object at `path` (which must exist) to `value`, written on one line: a new
 * member goes after the last one at its indentation, an existing member's value is replaced in
 * place. Every other byte stays (jsonc-parser's `modify` would re-indent the whole object).
 */
export function setObjectMember(text: string, path: JSONPath, key: string, value: unknown): string {
  const tree = parseTree(text);
  const parent = tree && findNodeAtLocation(tree, path);
  if (!parent || parent.type !== "object") return setJson(text, [...path, key], value);
  const json = JSON.stringify(value);
  const existing = parent.children?.find((p) => p.children?.[0]?.value === key);
  if (existing?.children?.[1]) {
    const v = existing.children[1];
    return text.slice(0, v.offset) + json + text.slice(v.offset + v.length);
  }
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lineIndent = (offset: number) =>
    /^[ \t]*/.exec(text.slice(text.lastIndexOf("\n", offset - 1) + 1))![0];
  const member = `${JSON.stringify(key)}: ${json}`;
  const last = parent.children?.at(-1);
  if (last)
    return `${text.slice(0, last.offset + last.length)},${eol}${lineIndent(last.offset)}${member}${text.slice(last.offset + last.length)}`;
  const outer = lineIndent(parent.offset);
  const unit = /^([ \t]+)\S/m.exec(text)?.[1] ?? "  ";
  return `${text.slice(0, parent.offset)}{${eol}${outer}${unit}${member}${eol}${outer}}${text.slice(parent.offset + parent.length)}`;
}
