// hookpack's rule records as a secretlint rule, for `secretlint` CLI users (issue 17 item 4):
//   .secretlintrc.json: { "rules": [{ "id": "hookpack/dist/secretlint-rule-hookpack.cjs" }] }
// Built as dist/secretlint-rule-hookpack.cjs; it runs the same engine as hookpack (records,
// validators, placeholders), so both tools report the same values. Weak findings (a generic
// guess, a failed checksum) are reported only with the option `{ "weak": true }`.
import type { SecretLintRuleCreator } from "@secretlint/types";
import { findings } from "./detect.js";

const messages = {
  SECRET: {
    en: (props: { label: string; rule: string; confidence: string }) =>
      `found ${props.label} [${props.rule}] (${props.confidence})`,
  },
};

export const creator: SecretLintRuleCreator<{ weak?: boolean }> = {
  messages,
  meta: {
    id: "@hookpack/secretlint-rule-hookpack",
    recommended: true,
    type: "scanner",
    supportedContentTypes: ["text"],
    docs: { url: "https://www.npmjs.com/package/hookpack" },
  },
  create(context, options) {
    const t = context.createTranslator(messages);
    return {
      file(source) {
        for (const f of findings(source.content)) {
          if (f.confidence === "weak" && !options?.weak) continue;
          context.report({
            message: t("SECRET", {
              label: f.label ?? f.ruleId,
              rule: f.ruleId,
              confidence: f.confidence ?? "likely",
            }),
            range: [f.start, f.end],
          });
        }
      },
    };
  },
};
export default creator;
