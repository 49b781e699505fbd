// The shape every detection engine returns (hookpack's records in rules/detect.ts, secretlint's
// preset in rules/secretlint-engine.ts), in a module of its own so that the engines and the
// scanner that loads them (rules/secretlint.ts) do not import each other.

/** A pattern-detected secret. Never carries the value; `start`/`end` index the scanned text. */
export interface Finding {
  /** Short rule id, e.g. "github", "aws", "privatekey". */
  ruleId: string;
  /** secretlint's message id, e.g. "GITHUB_TOKEN", "AWSAccessKeyID". */
  messageId: string;
  start: number;
  end: number;
  line: number;
  column: number;
  /** confirmed / likely deny and redact; weak redacts and warns but never denies. Absent: likely. */
  confidence?: "confirmed" | "likely" | "weak";
  /** From the rule record: human label and suggested `$secret:` name. */
  label?: string;
  secretName?: string;
  /** Where to revoke and rotate it, from the record. */
  rotateUrl?: string;
  /** Which engine found it: hookpack's records or secretlint's preset. */
  engine?: "hookpack" | "secretlint";
}
