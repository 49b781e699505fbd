// Placeholder tests, applied to a token's random part only (never to fixed prefixes or runs a
// format declares constant). A value that fails them is documentation, a test fixture or a
// template, not a credential.

// Words of five letters or more, any case (a random body holds one by chance about once in 10^5);
// shorter ones only in one case, where chance is negligible.
const WORDS =
  /example|sample|dummy|placeholder|redacted|changeme|change_me|insert|replace|your.{0,20}here|yourkey|your_?(?:api|token|key|secret)|fixme|notreal|not_real|testtoken|secretkey|s3cr3t/i;
const SHORT_WORDS =
  /xxxx|XXXX|(?:^|[^A-Za-z0-9])(?:fake|mock|todo|your|test)|(?:^|[^A-Za-z0-9])(?:FAKE|MOCK|TODO|YOUR|TEST)/;
const TEMPLATE =
  /\$\{|\$\(|\{\{|\}\}|<[^>]{0,40}>|%[A-Z_]{3,}%|^\$[A-Za-z_]|\$[A-Z_]{3,}|\*{3,}|\.\.\./;
const SEQ = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";

/** Why `body` looks like a placeholder, or undefined. */
export function placeholderReason(body: string): string | undefined {
  if (TEMPLATE.test(body)) return "template";
  if (WORDS.test(body) || SHORT_WORDS.test(body)) return "word";
  if (/(.)\1{5,}/.test(body)) return "repeated";
  const lower = body.toLowerCase();
  for (let i = 0; i + 6 <= lower.length; i++) {
    const w = lower.slice(i, i + 6);
    if (
      SEQ.includes(w) ||
      DIGITS.includes(w) ||
      [...SEQ].reverse().join("").includes(w) ||
      [...DIGITS].reverse().join("").includes(w)
    )
      return "sequence";
  }
  // Separators do not count: `abcd-abcd-abcd` repeats as much as `abcdabcdabcd`.
  const joined = body.replace(/[-_.:]/g, "");
  if (joined.length >= 12 && new Set(joined).size <= 4) return "few-distinct";
  // A 2–4 character block repeated at least 4 times in a row.
  if (/(.{2,4})\1{3,}/.test(joined)) return "block-repeat";
  if (/EXAMPLE$/.test(body)) return "aws-docs";
  return undefined;
}

/** Shannon entropy in bits per character. */
export function shannon(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * For generic values: does it read as code or words rather than a random string? (identifiers in
 * camelCase or snake_case, dotted paths, file paths, URLs, all-letter strings.)
 */
export function readsAsWords(value: string): boolean {
  if (/^[a-z]+(?:[A-Z][a-z]+)+$/.test(value) || /^[A-Za-z]+(?:[_.-][A-Za-z]+)+$/.test(value))
    return true;
  if (/^[A-Za-z]+$/.test(value)) return true;
  // A dotted property path or qualified name: utils_1.ESLintUtils.nullThrows, process.env.TOKEN.
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value)) return true;
  if (
    /^(?:https?|file):|^\.{0,2}\/|\/[a-z]+\/|\.(?:js|ts|json|py|rb|go|java|html|css|md|txt|yml|yaml)$/i.test(
      value,
    )
  )
    return true;
  // Mostly long lower-case runs (words) with few digits/upper: e.g. "my-service-account-key-v2".
  const letters = value.replace(/[^a-z]/g, "");
  const words = value.match(/[a-z]{4,}/g) ?? [];
  if (letters.length / value.length > 0.75 && words.join("").length / value.length > 0.6)
    return true;
  if (!/[0-9]/.test(value) && !/[A-Z].*[a-z].*[A-Z]|[a-z].*[A-Z].*[a-z].*[A-Z]/.test(value))
    return true;
  return false;
}
