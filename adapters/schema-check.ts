// zod validation with hookpack's error shape: a PayloadError naming the first bad field's path.
// Imported only by the lazily loaded schema bundles, never by the hot path.
import type * as z from "zod/mini";
import { PayloadError } from "./adapter.js";

export function checkSchema(schema: z.ZodMiniType, value: unknown, prefix = ""): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  const issue = result.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join(".");
  let got: unknown = value;
  for (const key of issue?.path ?? []) got = got !== null && typeof got === "object" ? (got as Record<PropertyKey, unknown>)[key] : undefined;
  const gotType = got === undefined ? "nothing" : got === null ? "null" : Array.isArray(got) ? "an array" : typeof got;
  const expectation =
    issue?.code === "invalid_type" ? `expected ${issue.expected}, got ${gotType}` : issue?.code === "too_small" ? "expected a non-empty string" : (issue?.message ?? "invalid");
  throw new PayloadError(path, expectation);
}
