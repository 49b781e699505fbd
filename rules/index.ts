// hookpack's preset: the rules every hook runs, in order.
import { guardContextFiles } from "./guard-context-files.js";
import { guardPrompt } from "./guard-prompt.js";
import {
  denyLiteralSecrets,
  gatePushPublish,
  guardReads,
  protectHookpackState,
  rewriteSecretRefs,
} from "./before-tool-lazy.js";
import { redactToolOutput } from "./redact-tool-output.js";
import type { Rule } from "./rule.js";
import { lazyRule } from "./rule.js";

// The session-end cleaner (state catalog, JSON/JSONL rewriting) is its own bundle, loaded only when
// a session ends.
const cleanSessionState = lazyRule({
  id: "clean-session-state",
  summary:
    "At session end, remove secret values from the session's transcript, persisted tool results, background task outputs and the project's allow-list.",
  on: ["session-end"],
  load: async () => (await import("./state-clean.js")).cleanSessionState,
});

export const DEFAULT_RULES: readonly Rule[] = [
  denyLiteralSecrets,
  rewriteSecretRefs,
  protectHookpackState,
  guardReads,
  gatePushPublish,
  redactToolOutput,
  guardPrompt,
  guardContextFiles,
  cleanSessionState,
];
