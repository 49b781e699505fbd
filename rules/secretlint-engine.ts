// The heavy half of the secretlint wrapper. Built as its own bundle and loaded only when the
// prefilter in ./secretlint.ts says a text could hold a secret. Nothing else imports secretlint.
import { lintSource } from "@secretlint/core";
import { secretLintProfiler } from "@secretlint/profiler";
import { creator as preset } from "@secretlint/secretlint-rule-preset-recommend";
import type { SecretLintCoreConfig } from "@secretlint/types";
import type { Finding } from "./finding.js";

// The profiler is on by default for library users and costs O(rules) marks per lint.
secretLintProfiler.setEnabled(false);

const FILTER_COMMENTS = "@secretlint/secretlint-rule-filter-comments";
const AWS = "@secretlint/secretlint-rule-aws";

// Rules are registered one by one: `disabled` inside a preset is ignored by @secretlint/core, and
// filter-comments must go (a `secretlint-disable` comment inside scanned text is data, not an
// instruction). AWS access-key-id scanning is off upstream by default; we turn it on, and drop
// AWSAccountID, which is an identifier rather than a credential.
const CONFIG: SecretLintCoreConfig = {
  rules: preset.rules
    .filter((rule) => rule.meta.id !== FILTER_COMMENTS)
    .map((rule) =>
      rule.meta.id === AWS
        ? {
            id: rule.meta.id,
            rule,
            options: { enableIDScanRule: true },
            allowMessageIds: ["AWSAccountID"],
          }
        : { id: rule.meta.id, rule },
    ),
};

export const ENGINE_RULE_IDS: readonly string[] = CONFIG.rules.map((r) => r.id);

/** Lints one text; `filePath` lets the path-gated rules (.npmrc, package.json, *.json) fire. */
export async function lint(content: string, filePath: string): Promise<Finding[]> {
  const result = await lintSource({
    source: { content, filePath, contentType: "text" },
    options: { config: CONFIG, noPhysicFilePath: true, maskSecrets: false },
  });
  return result.messages.map((m) => ({
    ruleId: m.ruleId.replace(/^@secretlint\/secretlint-rule-/, ""),
    messageId: m.messageId,
    start: m.range[0],
    end: m.range[1],
    line: m.loc.start.line,
    column: m.loc.start.column + 1,
  }));
}
