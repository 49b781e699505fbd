// Minimal-diff edits of JSON settings files: only the bytes of the changed member move; key
// order, indentation, line endings and the trailing newline of everything else stay as they were.
import { applyEdits, modify, parse, printParseErrorCode, type JSONPath, type ParseError } from "jsonc-parser";
import { HookpackError } from "./errors.js";

export interface JsonDocument {
  text: string;
  value: Record<string, unknown>;
}

/** Parses strict JSON (no comments, no trailing commas); an error names the file, line and column. */
export function readJsonDocument(text: string, file: string): JsonDocument {
  if (text.trim() === "") return { text, value: {} };
  const errors: ParseError[] = [];
  const value = parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false }) as unknown;
  if (errors.length > 0) {
    const first = errors[0]!;
    const before = text.slice(0, first.offset);
    const line = before.split("\n").length;
    const column = first.offset - before.lastIndexOf("\n");
    throw new HookpackError(
      "SETTINGS_UNREADABLE",
      `hookpack: ${file} is not valid JSON (${printParseErrorCode(first.error)} at line ${line}, column ${column}); nothing was changed.`,
      `Fix the file by hand, or move it aside and run the command again.`,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HookpackError("SETTINGS_UNREADABLE", `hookpack: ${file} does not hold a JSON object; nothing was changed.`, "Fix the file by hand, or move it aside.");
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
