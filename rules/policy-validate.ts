// The JSON Schema check of hookpack.json. Its own bundle (dist/policy-validate.cjs), loaded only
// when a command carries a $secret: reference and the project has a policy file. The schema is
// compiled ahead of time by ajv's standalone mode (scripts/gen-policy-validator.mjs): compiling it
// at run time would cost every brokered call about 90 ms.
import compiled from "./policy-validator.generated.cjs";

/** Problems with `data` as "<json pointer> <message>" lines; empty when it is valid. */
export function validatePolicyData(data: unknown, max = 5): string[] {
  if (compiled(data)) return [];
  return (compiled.errors ?? []).slice(0, max).map((e) => {
    const extra =
      e.params && "additionalProperty" in e.params
        ? ` (${String(e.params.additionalProperty)})`
        : e.params && "allowedValues" in e.params
          ? ` (${(e.params.allowedValues as unknown[]).join(", ")})`
          : "";
    return `${e.instancePath || "/"} ${e.message ?? "is invalid"}${extra}`;
  });
}
