// Shorthands that turn a token's shape into a full rule record, so a provider file stays data.
import type { DetectorRule, Part, Severity, ValidatorName, Confidence } from "./types.js";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
const quant = (p: Exclude<Part, string>) =>
  p.max === undefined || p.max === p.min ? `{${p.min}}` : `{${p.min},${p.max}}`;

interface Common {
  id: string;
  provider: string;
  label: string;
  severity?: Severity;
  secretName: string;
  rotate: { url?: string; steps: string };
  docs?: string;
  validator?: ValidatorName;
  onInvalid?: "drop" | "weak";
  confidence?: Confidence;
  entropyMin?: number;
  stopwords?: string[];
  examples?: string[];
  negatives?: string[];
}

/**
 * A token with a fixed prefix: `parts` starts with the prefix literal, then random runs and
 * literals. The longest random run is the body (entropy, placeholder tests).
 * `before`/`after`: characters that may not touch the token (default: word characters).
 */
export function token(
  spec: Common & { parts: Part[]; before?: string; after?: string; anchor?: string; back?: number },
): DetectorRule {
  const { parts } = spec;
  if (typeof parts[0] !== "string")
    throw new Error(`${spec.id}: a token rule starts with its prefix`);
  let bodyIdx = -1;
  parts.forEach((p, i) => {
    if (
      typeof p !== "string" &&
      p.random !== false &&
      (bodyIdx === -1 ||
        (p.max ?? p.min) >
          ((parts[bodyIdx] as Exclude<Part, string>).max ??
            (parts[bodyIdx] as Exclude<Part, string>).min))
    )
      bodyIdx = i;
  });
  const body = parts[bodyIdx] as Exclude<Part, string>;
  const src = parts
    .map((p, i) =>
      typeof p === "string"
        ? escape(p)
        : i === bodyIdx
          ? `(?<body>[${p.cls}]${quant(p)})`
          : `[${p.cls}]${quant(p)}`,
    )
    .join("");
  const before = spec.before ?? "A-Za-z0-9_";
  const after = spec.after ?? "A-Za-z0-9_";
  // A prefix followed by a small fixed class (`EAA` + [MC]) anchors on each spelled-out prefix:
  // far fewer anchor hits than the bare prefix in bulk scans.
  const next = parts[1];
  const anchors =
    spec.anchor !== undefined
      ? [spec.anchor]
      : typeof next !== "string" &&
          next !== undefined &&
          next.random === false &&
          next.min === 1 &&
          (next.max ?? 1) === 1 &&
          /^[A-Za-z0-9]{1,4}$/.test(next.cls)
        ? [...next.cls].map((c) => parts[0] + c)
        : [parts[0]];
  const maxLen = parts.reduce<number>(
    (n, p) => n + (typeof p === "string" ? p.length : (p.max ?? p.min)),
    0,
  );
  // Hook prefilter: the prefix, then the shape up to its first long random run.
  let pf = "";
  for (const p of parts) {
    if (typeof p === "string") pf += escape(p);
    else if (p.min >= 8) {
      pf += `[${p.cls}]{${Math.min(p.min, 16)}}`;
      break;
    } else pf += `[${p.cls}]${quant(p)}`;
  }
  // Near-misses: the whole shape x-filled or zero-filled (placeholders), and one character short.
  const fill = (c: string) =>
    parts.map((p) => (typeof p === "string" ? p : p.min > 0 ? `{${p.min}:${c}}` : "")).join("");
  const short = parts
    .map((p, i) =>
      typeof p === "string" ? p : i === bodyIdx ? `{${p.min - 1}}` : p.min > 0 ? `{${p.min}}` : "",
    )
    .join("");
  return {
    id: spec.id,
    provider: spec.provider,
    label: spec.label,
    kind: "prefix",
    anchors,
    regex: `${before ? `(?<![${before}])` : ""}(?<secret>${src})${after ? `(?![${after}])` : ""}`,
    back: spec.back ?? 0,
    maxLen,
    prefilter: spec.anchor ? anchorPrefilter(spec.anchor, parts) : pf,
    body: { cls: body.cls, min: body.min, max: body.max ?? body.min },
    shape: parts,
    entropyMin: spec.entropyMin ?? defaultEntropy(body.cls, body.min),
    validator: spec.validator,
    onInvalid: spec.onInvalid,
    confidence: spec.confidence,
    stopwords: spec.stopwords,
    severity: spec.severity ?? "high",
    secretName: spec.secretName,
    rotate: spec.rotate,
    docs: spec.docs,
    examples: spec.examples ?? [
      "{token}",
      `export ${spec.secretName}={token}`,
      `{"token": "{token}"}`,
    ],
    negatives: spec.negatives ?? [
      fill("x"),
      fill("0"),
      fill("X"),
      short,
      `${parts[0]}YOUR_TOKEN_HERE`,
      `${parts[0]}\${TOKEN}`,
    ],
  };
}

function anchorPrefilter(anchor: string, parts: Part[]): string {
  const i = parts.indexOf(anchor);
  const next = i === -1 ? undefined : parts[i + 1];
  return (
    escape(anchor) +
    (next === undefined
      ? ""
      : typeof next === "string"
        ? escape(next)
        : `[${next.cls}]{${Math.min(next.min, 16)}}`)
  );
}

/** Entropy floor for a random run: ~80% of what a random string of that alphabet and length has. */
export function defaultEntropy(cls: string, len: number): number {
  const size = alphabetSize(cls);
  const ideal = Math.min(Math.log2(size), Math.log2(Math.max(len, 2)));
  // Short random strings repeat characters by chance: allow them more slack.
  return Math.round(ideal * (len < 24 ? 0.6 : 0.72) * 100) / 100;
}

export function alphabetSize(cls: string): number {
  let n = 0;
  for (let i = 0; i < cls.length; i++) {
    if (cls[i + 1] === "-" && i + 2 < cls.length) {
      n += cls.charCodeAt(i + 2) - cls.charCodeAt(i) + 1;
      i += 2;
    } else if (cls[i] === "\\") {
      const c = cls[i + 1];
      n += c === "w" ? 63 : c === "d" ? 10 : 1;
      i++;
    } else n++;
  }
  return n;
}

/** The operator between a name and its value: `=`, `:`, `:=`, `=>`, with optional quotes. */
export const ASSIGN = String.raw`["'\]]{0,2}[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}(?:["'\x60]|\\")?`;

/**
 * A value with no fixed prefix, found from a provider keyword near an assignment:
 * `DATADOG_API_KEY = "<value>"`. Keyword-first, case-insensitive.
 */
export function keyed(
  spec: Common & {
    keywords: string[];
    nameTail?: string;
    value: { cls: string; min: number; max?: number };
    tailBoundary?: string;
    sampleName?: string;
    shape?: Part[];
  },
): DetectorRule {
  const v = spec.value;
  const tail = spec.nameTail ?? String.raw`[\w.-]{0,40}?`;
  const boundary = spec.tailBoundary ?? v.cls;
  const name = spec.sampleName ?? spec.secretName;
  return {
    id: spec.id,
    provider: spec.provider,
    label: spec.label,
    kind: "context",
    anchors: spec.keywords,
    regex: `(?:${spec.keywords.map(escape).join("|")})${tail}${ASSIGN}(?<secret>(?<body>[${v.cls}]${quant(v)}))(?![${boundary}])`,
    ignoreCase: true,
    maxLen: 120 + (v.max ?? v.min),
    prefilter: false,
    body: { cls: v.cls, min: v.min, max: v.max ?? v.min },
    shape: spec.shape ?? [{ cls: v.cls, min: v.min, max: v.max }],
    // The floor follows the real token's alphabet where the shape is narrower than the value class
    // (hex keys in an alphanumeric slot), and its fixed parts lower the whole value's entropy.
    entropyMin: spec.entropyMin ?? shapeEntropy(spec.shape) ?? defaultEntropy(v.cls, v.min),
    validator: spec.validator,
    onInvalid: spec.onInvalid,
    confidence: spec.confidence,
    stopwords: spec.stopwords,
    severity: spec.severity ?? "high",
    secretName: spec.secretName,
    rotate: spec.rotate,
    docs: spec.docs,
    examples: spec.examples ?? [
      `${name}={token}`,
      `export ${name}="{token}"`,
      `${name.toLowerCase()}: {token}`,
    ],
    negatives: spec.negatives ?? [
      `${name}={${v.min}:x}`,
      `${name}="{${v.min}:0}"`,
      `${name}=\${${name}}`,
      `${name}=<your-key-here>`,
    ],
  };
}

function shapeEntropy(shape: Part[] | undefined): number | undefined {
  if (!shape) return undefined;
  const runs = shape.filter(
    (p): p is Exclude<Part, string> => typeof p !== "string" && p.random !== false,
  );
  if (runs.length === 0) return undefined;
  const longest = runs.reduce((a, b) => (b.min > a.min ? b : a));
  return Math.round(defaultEntropy(longest.cls, longest.min) * 0.85 * 100) / 100;
}

export const rotateAt = (url: string, what = "the key") => ({
  url,
  steps: `Revoke ${what} at ${url} and create a new one.`,
});

/** One entry of a provider's data file (rules/detectors/data/<provider>.json): a shorthand and its spec. */
export type DataEntry =
  { token: Parameters<typeof token>[0] } | { keyed: Parameters<typeof keyed>[0] };

/**
 * The records of a provider kept as data: each entry is the spec of one shorthand (`token` or
 * `keyed`), in order. JSON holds no function and no string built at load time, so a provider whose
 * examples must be assembled from fragments (no token-shaped string in the source) stays a module.
 */
export function fromData(entries: readonly object[]): DetectorRule[] {
  return (entries as readonly DataEntry[]).map((e, i) => {
    if ("token" in e && !("keyed" in e)) return token(e.token);
    if ("keyed" in e && !("token" in e)) return keyed(e.keyed);
    throw new Error(`detector data entry ${i}: expected one of "token" or "keyed"`);
  });
}
