// The ahead-of-time compiled policy validator must match the shipped schema, and behave like it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../rules/policy.js";
import { validatePolicyData } from "../../rules/policy-validate.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
// @ts-expect-error -- a plain .mjs build script without types
import { GENERATED, generate } from "../../scripts/gen-policy-validator.mjs";

describe("generated policy validator", () => {
  it("is up to date with schemas/hookpack.schema.json (run `node scripts/gen-policy-validator.mjs`)", () => {
    expect(readFileSync(GENERATED as string, "utf8")).toBe((generate as () => string)());
  });

  it("accepts a valid policy and names the field of an invalid one", () => {
    expect(
      validatePolicyData({
        version: 1,
        secrets: {
          GITHUB_TOKEN: {
            provider: "store",
            commands: ["gh", { program: "curl", hosts: ["api.github.com"] }],
            approval: "once",
            ttl: "5m",
          },
        },
      }),
    ).toEqual([]);
    const problems = validatePolicyData({
      version: 1,
      secrets: { GITHUB_TOKEN: { approval: "sometimes" } },
      extra: true,
    });
    expect(problems.join("\n")).toMatch(
      /\/secrets\/GITHUB_TOKEN\/approval must be equal to one of the allowed values \(auto, ask, once\)/,
    );
    expect(problems.join("\n")).toMatch(/must NOT have additional properties \(extra\)/);
  });

  it("a policy that is not JSON is refused without quoting its text (a pasted value would leak)", async () => {
    const token = fakeTokens(41).github;
    const error = await parsePolicy(`${token}\n`, "/p/hookpack.json").then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/hookpack\.json is not valid JSON/);
    for (let i = 0; i + 6 <= token.length; i++)
      expect(error?.message).not.toContain(token.slice(i, i + 6));
  });
});
