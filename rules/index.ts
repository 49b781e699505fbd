// hookpack's preset: the rules every hook runs, in order.
import { denyLiteralSecrets } from "./deny-literal-secrets.js";
import { redactToolOutput } from "./redact-tool-output.js";
import type { Rule } from "./rule.js";

export const DEFAULT_RULES: readonly Rule[] = [denyLiteralSecrets, redactToolOutput];
