// hookpack's preset: the rules every hook runs, in order.
import { denyLiteralSecrets } from "./deny-literal-secrets.js";
import { guardReads } from "./read-guard.js";
import { redactToolOutput } from "./redact-tool-output.js";
import { rewriteSecretRefs } from "./rewrite-secret-refs.js";
import type { Rule } from "./rule.js";
import { cleanSessionState } from "./state-clean.js";

export const DEFAULT_RULES: readonly Rule[] = [denyLiteralSecrets, rewriteSecretRefs, guardReads, redactToolOutput, cleanSessionState];
