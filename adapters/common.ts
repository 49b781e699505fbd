// Small pieces several adapters share. No agent's wire format lives here.
import type { HookResponse, ToolCall, ToolKind } from "../hooks/event.js";
import { forEachString } from "../hooks/json-walk.js";

export const jsonResponse = (value: unknown): HookResponse => ({ exitCode: 0, stdout: `${JSON.stringify(value)}\n`, stderr: "" });
export const EMPTY_RESPONSE: HookResponse = { exitCode: 0, stdout: "", stderr: "" };

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** A neutral tool call: every string leaf of the input is a field, except those `skip` matches. */
export function neutralToolCall(kind: ToolKind, name: string, input: Record<string, unknown>, id: string | undefined, skip?: RegExp): ToolCall {
  const fields: Array<{ path: string; value: string }> = [];
  forEachString(input, (value, path) => {
    if (!skip?.test(path)) fields.push({ path, value });
  });
  return { kind, name, id, fields };
}

/** Joins the text a model reads from an output: a string as is, text parts joined, else JSON. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((part) => (typeof part === "string" ? part : typeof (part as { text?: unknown })?.text === "string" ? (part as { text: string }).text : JSON.stringify(part))).join("\n");
  return value === undefined ? "" : JSON.stringify(value);
}
