// The generic shape: a high-entropy value assigned to a secret-sounding name, in code, .env, YAML,
// JSON, TOML or shell. Always *weak*: redacted in output and reported in scans, never the reason a
// tool call is denied (a generic rule guesses; a provider rule knows).
import { ASSIGN } from "./define.js";
import type { DetectorRule } from "./types.js";

/** Secret-sounding name parts (case-insensitive). */
export const GENERIC_KEYWORDS = [
  "secret",
  "token",
  "passwd",
  "password",
  "pwd",
  "api_key",
  "apikey",
  "api-key",
  "access_key",
  "accesskey",
  "private_key",
  "privatekey",
  "client_secret",
  "auth_key",
  "credential",
  "signing_key",
  "encryption_key",
  "master_key",
];

const rules: DetectorRule[] = [
  {
    id: "generic-api-key",
    provider: "Generic",
    label: "secret-looking value assigned to a secret name",
    kind: "generic",
    anchors: GENERIC_KEYWORDS,
    // keyword, the rest of the name, an operator, then the value (quoted or bare).
    regex: String.raw`(?:${GENERIC_KEYWORDS.join("|").replace(/-/g, "\\-")})[\w.-]{0,30}?${ASSIGN}(?<secret>(?<body>[A-Za-z0-9+/=_.~!@#%^*-]{16,128}))(?![A-Za-z0-9+/=_.~!@#%^*(-])`,
    ignoreCase: true,
    maxLen: 240,
    prefilter: false,
    body: { cls: "A-Za-z0-9+/=_.~!@#%^*-", min: 16, max: 128 },
    entropyMin: 3.7,
    confidence: "weak",
    stopwords: [
      "example",
      "sample",
      "dummy",
      "placeholder",
      "redacted",
      "changeme",
      "your",
      "xxxx",
      "insert",
      "replace",
      "todo",
      "fixme",
      "secret",
      "token",
      "password",
      "undefined",
      "function",
      "process.env",
      "localhost",
      "foobar",
      "test",
      "mock",
      "fake",
    ],
    severity: "medium",
    secretName: "API_KEY",
    rotate: {
      steps:
        "Find where the value was issued, revoke it there and create a new one; then store it with `hookpack secret set <NAME>` and refer to it as `$secret:<NAME>`.",
    },
    examples: [
      'api_key = "{token}"',
      "CLIENT_SECRET={token}",
      "password: {token}",
      '{"accessToken": "{token}"}',
      "export SERVICE_TOKEN='{token}'",
    ],
    negatives: [
      'api_key = "{20:x}"',
      "password: ${DB_PASSWORD}",
      'token = "{{ .Values.token }}"',
      'const tokenizer = "abcdefghijklmnopqrstuvwxyz"',
      "password = process.env.DB_PASSWORD_VALUE",
      'secret_name = "projects/my-project/secrets/app"',
    ],
    shape: [{ cls: "A-Za-z0-9", min: 32 }],
  },
];
export default rules;
