// The JSON Schema check of hookpack.json, with ajv. Its own bundle (dist/policy-validate.cjs):
// ajv is large, and the hook loads this only when a command carries a $secret: reference and the
// project has a policy file. The schema is compiled once per process.
import { Ajv } from "ajv";
import schema from "../schemas/hookpack.schema.json" with { type: "json" };

type Validate = ReturnType<Ajv["compile"]>;
let compiled: Validate | undefined;

/** Problems with `data` as "<json pointer> <message>" lines; empty when it is valid. */
export function validatePolicyData(data: unknown, max = 5): string[] {
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(schema);
  if (compiled(data)) return [];
  return (compiled.errors ?? []).slice(0, max).map((e) => {
    const extra = e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : e.params && "allowedValues" in e.params ? ` (${(e.params.allowedValues as unknown[]).join(", ")})` : "";
    return `${e.instancePath || "/"} ${e.message ?? "is invalid"}${extra}`;
  });
}
