// The rule record: what hookpack knows about one kind of credential. One file per provider under
// rules/detectors/ exports an array of these; scripts/gen-detectors.mjs compiles them into the hook
// prefilter (rules/detectors/prefilter.generated.ts), the metadata table and the README table.
// Records are data: the only code they carry is the optional `sample` generator for test tokens.

/** How sure a finding is. confirmed: a checksum or structure check passed. likely: shape, entropy
 * and not a placeholder, no check exists. weak: a generic rule, or a failed checksum: redacted in
 * output and warned about in scans, but never the reason a tool call is denied. */
export type Confidence = "confirmed" | "likely" | "weak";

export type Severity = "critical" | "high" | "medium" | "low";

/** Checks implemented in rules/detectors/validators.ts (the test faker computes the same ones). */
export type ValidatorName =
  | "github-crc32"
  | "npm-crc32"
  | "grafana-sa-crc32"
  | "atlassian-crc32"
  | "gitlab-routable-crc32"
  | "github-fine-grained"
  | "base64-bytes"
  | "azure-client-secret"
  | "jwt"
  | "base64-json"
  | "pypi-macaroon"
  | "openai-marker"
  | "anthropic-trailer"
  | "aws-key-id"
  | "bech32"
  | "pem"
  | "pkcs12"
  | "base64-secret";

/** A piece of a token's shape: a literal, or a run of random characters from a class. */
export type Part = string | { cls: string; min: number; max?: number; random?: false };

export interface DetectorRule {
  /** Stable id, kebab-case: "github-pat". Also the SARIF rule id and the redaction label. */
  id: string;
  provider: string;
  /** Human label: "GitHub personal access token (classic)". */
  label: string;
  /**
   * prefix: a literal every token starts with (case-sensitive anchor); context: no fixed prefix,
   * found from a keyword near an assignment; structure: a decodable shape (JWT, PEM, URL);
   * generic: any high-entropy value assigned to a secret-sounding name.
   */
  kind: "prefix" | "context" | "structure" | "generic";
  /**
   * Literals every match contains. prefix/structure: matched case-sensitively; context/generic:
   * keywords, matched case-insensitively (give them in lower case).
   */
  anchors: string[];
  /**
   * The confirming regex (JS syntax, no flags but `i` via `ignoreCase`). The secret is the group
   * named `secret` (else the whole match). Prefix rules start at the anchor; context rules start at
   * the keyword. Bounded quantifiers only.
   */
  regex: string;
  ignoreCase?: boolean;
  /** How far before the anchor a match may start (prefix rules whose anchor is inside the token). */
  back?: number;
  /** Longest match, for the confirm window. */
  maxLen: number;
  /**
   * For the hook prefilter: the regex source that must occur for this rule to match (default: the
   * anchor followed by the first random run's class, e.g. `ghp_[A-Za-z0-9]{36}`). Generic and
   * keyword rules share the assignment-candidate alternative instead (`prefilter: false`).
   */
  prefilter?: string | false;
  /** The random part: its alphabet (a regex class body) and length; for entropy, placeholders, samples. */
  body: { cls: string; min: number; max: number };
  /** The token's shape for the test faker; parts with `random: false` are constant. */
  shape?: Part[];
  /** Minimum Shannon entropy of the random part, bits per character. */
  entropyMin?: number;
  validator?: ValidatorName;
  /** What a failed validator means: drop (verified format) or grade weak (default). */
  onInvalid?: "drop" | "weak";
  /** Default grade when no validator applies (default: likely; generic rules: weak). */
  confidence?: Confidence;
  /** Substrings (case-insensitive) that mark a value as not secret. */
  stopwords?: string[];
  severity: Severity;
  /** Suggested `$secret:` name. */
  secretName: string;
  /** Where and how to revoke and rotate it. */
  rotate: { url?: string; steps: string };
  /** Provider documentation of the format. */
  docs?: string;
  /**
   * Templates that must be found (the whole reported secret is the `{token}`): `{token}` is a
   * token the faker builds from `shape` (valid checksum included).
   */
  examples: string[];
  /**
   * Templates that must not produce a deny: `{n}` = n random body characters, `{n:c}` = c
   * repeated n times, `{token}` as above.
   */
  negatives: string[];
  /** Test-token generator for shapes `shape` cannot express (JWT, PEM, URLs). */
  sample?: (rand: () => number) => string;
}

export const ALNUM = "A-Za-z0-9";
export const HEX = "a-f0-9";
export const B64 = "A-Za-z0-9+/";
export const B64URL = "A-Za-z0-9_-";
