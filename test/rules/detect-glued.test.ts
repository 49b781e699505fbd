// Glued tokens (rules/detect.ts GLUED): a token with a checksum or a fixed, specific structure is
// found with word characters touching it, its span the token alone; identifiers that merely start
// like one (no valid checksum, words, hashes, base64) are not reported. Fakes are built at run time.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { findings, RULES } from "../../rules/detect.js";
import { fakeFor, seeded } from "../helpers/fake-secrets.js";

const GLUED_IDS = [
  "github-pat",
  "github-oauth",
  "github-user-to-server",
  "github-server-to-server",
  "github-refresh-token",
  "github-fine-grained-pat",
  "npm-access-token",
  "gitlab-pat-routable",
  "grafana-service-account-token",
  "atlassian-api-token",
  "age-secret-key",
  "aws-access-key-id",
  "aws-access-key-id-asia",
  "aws-access-key-id-abia",
  "aws-access-key-id-acca",
  "anthropic-api-key",
  "anthropic-admin-api-key",
  "openai-api-key",
  "openai-project-key",
  "openai-service-account-key",
  "openai-admin-key",
];
const rule = (id: string) => {
  const r = RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};
const j = (...p: string[]) => p.join("");

describe("glued tokens are found, the span is the token", () => {
  for (const id of GLUED_IDS) {
    it(id, () => {
      for (let seed = 1; seed <= 6; seed++) {
        let tok = fakeFor(rule(id), 500 + seed);
        // AWS ids glue only when the body is not all letters (see GLUED): pick such a fake.
        for (let s = 0; id.startsWith("aws-") && !/\d/.test(tok.slice(4)); s++)
          tok = fakeFor(rule(id), 900 + seed * 50 + s);
        for (const [pre, post] of [
          ["", "x"],
          ["", "Q7"],
          ["", "_"],
          ["a", ""],
          ["Z9_", ""],
          ["pre", "post"],
        ] as const) {
          const text = `out: ${pre}${tok}${post} done`;
          const f = findings(text);
          const at = 5 + pre.length;
          // The span starts at the token; a variable-length body (OpenAI's newer keys) may take
          // glued characters of its own alphabet too, never fewer than the token's.
          const hit = f.find((x) => x.ruleId === id && x.start === at);
          expect(hit, `${id} ${pre}…${post}`).toBeDefined();
          expect(hit!.confidence).toBe("confirmed");
          if (rule(id).body.min === rule(id).body.max) expect(hit!.end).toBe(at + tok.length);
          else expect(hit!.end).toBeGreaterThanOrEqual(at + tok.length);
        }
      }
    });
  }
});

describe("identifiers that only look like a glued token are not reported", () => {
  const bad = (s: string) => {
    const last = s.at(-1)!;
    return s.slice(0, -1) + (last === "A" ? "B" : "A");
  };
  it("a token shape with a broken checksum, glued, gives no finding", () => {
    for (const id of [
      "github-pat",
      "npm-access-token",
      "gitlab-pat-routable",
      "grafana-service-account-token",
      "atlassian-api-token",
      "age-secret-key",
    ]) {
      for (let seed = 1; seed <= 5; seed++) {
        const tok = bad(fakeFor(rule(id), 700 + seed));
        for (const text of [`${tok}x`, `x${tok}`, `pre${tok}post`, `${tok}_value`]) {
          const f = findings(text).filter((x) => GLUED_IDS.includes(x.ruleId));
          expect(f, `${id}: ${text.length}`).toEqual([]);
        }
      }
    }
  });

  it("long identifiers with a token's prefix", () => {
    const texts = [
      j("npm_", "config_cache_dir_value_for_testing"),
      j("npm_", "config_cache_dir_value_for_testing_and_more_words_x"),
      j("const ", "npm_", "package_manager_configuration_value_of_this = 1"),
      j("gh", "p_", "token_placeholder_for_the_documentation_here_x"),
      j("gh", "s_", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789extra"),
      j("github", "_pat_", "fine_grained_token_environment_variable_name_here"),
      j("my", "ASIA", "PACIFICREGIONSETTINGS"),
      j("ASIA", "PACIFICREGIONSETTINGS_ENABLED"),
      j("AKIA", "EXAMPLEKEYIDENTIFIERVALUE"),
      j("ACCA", "UNTSPAYABLEREPORTINGQUEUE2"),
      j("glsa_", "serviceaccounttokenvariablename_", "deadbeef", "x"),
      j("AGE-SECRET-KEY-1", "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", "x"),
      j("xoxb", "_bot_token_setting_for_the_workspace_integration"),
      j("sk-ant-", "api03-", "placeholder_value_for_the_anthropic_key_in_tests_", "AAx"),
    ];
    for (const t of texts) expect(findings(t), t).toEqual([]);
  });

  it("hashes, UUIDs and base64 blobs", () => {
    const r = seeded(42);
    const rand = (n: number) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
      return b;
    };
    const texts = [
      rand(32).toString("hex"),
      rand(20).toString("hex") + rand(20).toString("hex"),
      "3f2504e0-4f89-11d3-9a0c-0305e82c3301_0b7e1c7a-55d2-4f8e-9a1e-2b5c8c3d9e10",
      rand(48 * 1024).toString("base64"),
      rand(48 * 1024).toString("base64url"),
      randomBytes(16 * 1024).toString("base64"),
    ];
    for (const t of texts)
      expect(
        findings(t).filter((x) => GLUED_IDS.includes(x.ruleId)),
        t.slice(0, 40),
      ).toEqual([]);
  });
});
