// The ahead-of-time compiled policy validator must match the shipped schema, and behave like it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validatePolicyData } from "../../rules/policy-validate.js";
// @ts-expect-error -- a plain .mjs build script without types
import { GENERATED, generate } from "../../scripts/gen-policy-validator.mjs";

describe("generated policy validator", () => {
  it("is up to date with schemas/hookpack.schema.json (run `node scripts/gen-policy-validator.mjs`)", () => {
    expect(readFileSync(GENERATED as string, "utf8")).toBe((generate as () => string)());
  });

  it("accepts a valid policy and names the field of an invalid one", () => {
    expect(validatePolicyData({ version: 1, secrets: { GITHUB_TOKEN: { provider: "store", commands: ["gh", { program: "curl", hosts: ["api.github.com"] }], approval: "once", ttl: "5m" } } })).toEqual([]);
    const problems = validatePolicyData({ version: 1, secrets: { GITHUB_TOKEN: { approval: "sometimes" } }, extra: true });
    expect(problems.join("\n")).toMatch(/\/secrets\/GITHUB_TOKEN\/approval must be equal to one of the allowed values \(auto, ask, once\)/);
    expect(problems.join("\n")).toMatch(/must NOT have additional properties \(extra\)/);
  });
});
