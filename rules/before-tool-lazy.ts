// The before-tool rules as lazy stand-ins (rules/index.ts DEFAULT_RULES lists these).
import type { Rule } from "./rule.js";
import { lazyRule } from "./rule.js";

/**
 * The before-tool rules live in their own bundle (rules/before-tool-rules.ts), loaded on the first
 * before-tool event: a PostToolUse call (the most frequent call that gets past the fast allow
 * stage) then loads 70 KB less. Each stand-in carries its rule's id, summary and events
 * (test/hooks/hook-lean.test.ts holds them equal) and runs the loaded rule itself, in the
 * same place of the order. A bundle that cannot be loaded throws on the call, which the pipeline
 * answers as a crashed rule: a before-tool call fails closed (hooks/failure-policy.ts judgeFailure,
 * RULE_NOT_LOADED).
 *
 * hook.cjs, which the entry loads for a call that may be a before-tool event, is built with this
 * module replaced by rules/before-tool-rules.ts itself (scripts/build.mjs eagerBeforeTool: the same
 * export names, the rules instead of stand-ins), so a PreToolUse call there pays no stand-in.
 */
type BeforeToolRules = typeof import("./before-tool-rules.js");
const beforeTool = (id: string, summary: string, name: keyof BeforeToolRules): Rule =>
  lazyRule({
    id,
    summary,
    on: ["before-tool"],
    load: async () => (await import("./before-tool-rules.js"))[name],
  });

export const denyLiteralSecrets = beforeTool(
  "deny-literal-secrets",
  "Deny tool calls whose input contains a literal secret (hookpack's rule records, secretlint's preset); weak guesses only redact.",
  "denyLiteralSecrets",
);
export const rewriteSecretRefs = beforeTool(
  "rewrite-secret-refs",
  "Rewrite shell commands with $secret:NAME references into a brokered exec with a single-use grant, as the project policy allows.",
  "rewriteSecretRefs",
);
export const protectHookpackState = beforeTool(
  "protect-hookpack-state",
  "Deny file-writing tool calls that target hookpack's own directory (store, key, grants, audit log, runtime); ask before the agent edits its own hook settings.",
  "protectHookpackState",
);
export const guardReads = beforeTool(
  "guard-reads",
  "Deny reads of files holding secrets (Read, content Grep, and any shell command with such a file as an operand, input redirection, interpreter string or run-time name), before their content reaches the model or the provider.",
  "guardReads",
);
export const gatePushPublish = beforeTool(
  "gate-push-publish",
  "Scan what the agent's own git push / npm publish / npm pack would send (as the pre-push hook and check-pack do), whatever flags or client settings skip git hooks; deny on a finding.",
  "gatePushPublish",
);
