// The one wrapper around secretlint. The hot path only runs a literal prefilter (validated
// against the pinned preset by test/rules/prefilter.test.ts); secretlint itself is loaded
// lazily, from its own bundle, when the prefilter hits.

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
}

export interface SecretScanner {
  /** Cheap check: false means the pinned preset cannot find anything in `text`. */
  mayContainSecret(text: string): boolean;
  /** Full scan; runs secretlint only when the prefilter hits. */
  scan(text: string, filePath?: string): Promise<Finding[]>;
}

// Literal prefilter for @secretlint/secretlint-rule-preset-recommend 13.0.7 with AWS key-id
// scanning on. Each alternative is a substring every match of some preset rule must contain.
// Alternatives sharing a first character are grouped: the regex engine then rejects most
// positions after one comparison per group (about 1.3x faster on large sources than a flat list).
const R = String.raw;
export const PREFILTER = new RegExp(
  [
    R`g(?:h[pousr]_[A-Za-z0-9_]{36}|ithub_pat_[A-Za-z0-9_]{36}|lpat-|l(?:c|sa)_|sk_)`,
    R`x(?:ox[bpaore]-|app-|-oauth-basic)`,
    R`h(?:ooks\.slack\.com|f_[a-zA-Z]{34}|v[sbr]\.)`,
    R`s(?:k-ant-|k-(?:proj|svcacct|admin)-|k_(?:live|test)_|hp(?:pa|ca|at|ss)_)`,
    R`rk_(?:live|test)_`,
    R`T3BlbkFJ`,
    R`SG\.[\w-]{1,128}\.`,
    R`lin_api_`,
    R`ntn_\d`,
    R`npm_[A-Za-z0-9_]{36}`,
    R`_authToken`,
    R`ops_ey`,
    R`vc[pickr]_[A-Za-z0-9]{20}`,
    R`d(?:api[a-fA-F0-9]{32}|ckr_pat_)`,
    R`figd_`,
    R`c(?:fk|fut|fat)_`,
    R`tskey-`,
    R`PRIVATE KEY`,
    R`:\/\/[^\s:\/]{1,256}:[^\s@\/]{1,256}@`,
    R`[Ss][Ee][Cc][Rr][Ee][Tt]_?[Aa][Cc][Cc][Ee][Ss][Ss]`,
    R`A(?:3T[A-Z0-9]|KIA|GPA|IDA|ROA|IPA|NPA|NVA|SIA)`,
    R`"private_key"`,
  ].join("|"),
);

type Engine = typeof import("./secretlint-engine.js");
let engine: Promise<Engine> | undefined;

function loadEngine(): Promise<Engine> {
  // In the published bundle this import stays a separate file (scripts/build.mjs).
  engine ??= import("./secretlint-engine.js");
  return engine;
}

export const secretScanner: SecretScanner = {
  mayContainSecret(text) {
    return PREFILTER.test(text);
  },
  async scan(text, filePath = "tool-input.txt") {
    if (!PREFILTER.test(text)) return [];
    const { lint } = await loadEngine();
    return lint(text, filePath);
  },
};

/** Human label for a finding, e.g. "GitHub token". Never includes the value. */
export function describeFinding(f: Finding): string {
  return LABELS[f.messageId] ?? LABELS[f.ruleId] ?? `${f.ruleId} secret`;
}

/** A reference name to suggest for a detected secret, e.g. GITHUB_TOKEN. */
export function suggestName(f: Finding): string {
  return NAMES[f.ruleId] ?? `${f.ruleId.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_TOKEN`;
}

const LABELS: Record<string, string> = {
  GITHUB_TOKEN: "GitHub token",
  github: "GitHub token",
  AWSAccessKeyID: "AWS access key id",
  AWSSecretAccessKey: "AWS secret access key",
  aws: "AWS credential",
  privatekey: "private key",
  npm: "npm token",
  slack: "Slack token",
  openai: "OpenAI API key",
  anthropic: "Anthropic API key",
  gitlab: "GitLab token",
  stripe: "Stripe key",
  basicauth: "password in a URL",
  "database-connection-string": "database connection string with a password",
  gcp: "GCP service-account key",
};

const NAMES: Record<string, string> = {
  github: "GITHUB_TOKEN",
  aws: "AWS_SECRET_ACCESS_KEY",
  privatekey: "PRIVATE_KEY",
  npm: "NPM_TOKEN",
  slack: "SLACK_TOKEN",
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  gitlab: "GITLAB_TOKEN",
  stripe: "STRIPE_SECRET_KEY",
  basicauth: "URL_PASSWORD",
  "database-connection-string": "DATABASE_URL",
  gcp: "GCP_CREDENTIALS",
  huggingface: "HF_TOKEN",
  sendgrid: "SENDGRID_API_KEY",
};
