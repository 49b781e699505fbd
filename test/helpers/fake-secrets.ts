// Token-shaped fakes, assembled at run time from fragments so that no token-shaped string is ever
// committed (our own pre-push scan and GitHub push protection stay quiet on this repository).
// A seeded generator keeps every run identical.
import type { DetectorRule, Part } from "../../rules/detectors/types.js";
import {
  atlassianChecksum,
  bech32Checksum,
  crc32,
  base62,
  githubChecksum,
  grafanaChecksum,
} from "../../rules/detectors/validators.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(rand: () => number, alphabet: string, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(rand() * alphabet.length)];
  return out;
}

const j = (...parts: string[]) => parts.join("");

/** Appends the 6-char CRC32/base62 checksum GitHub (and npm) tokens end with. */
export const withGithubChecksum = (t: string): string => t + githubChecksum(t.slice(-30));

/** A fresh random fake GitHub personal access token (valid CRC32 checksum): a different value per call. */
export const fakeGithubToken = (): string => withGithubChecksum(j("gh", "p_") + randomBody(30));
/** A fresh random fake npm token (valid checksum). */
export const fakeNpmToken = (): string => withGithubChecksum(j("np", "m_") + randomBody(30));

function randomBody(n: number): string {
  const { randomInt } = process.getBuiltinModule("node:crypto");
  let out = "";
  for (let i = 0; i < n; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** One fake per provider the preset detects; `seed` varies the bodies. */
export function fakeTokens(seed = 1) {
  const r = seeded(seed);
  return {
    github: withGithubChecksum(j("gh", "p_", pick(r, ALNUM, 30))),
    githubFineGrained: j("github", "_pat_", pick(r, ALNUM, 22), "_", pick(r, ALNUM, 59)),
    awsAccessKeyId: j("AK", "IA", pick(r, UPPER32, 16)),
    awsSecretAccessKey: pick(r, ALNUM, 40),
    npm: withGithubChecksum(j("np", "m_", pick(r, ALNUM, 30))),
    slackBot: j(
      "xo",
      "xb-",
      String(1000000000 + Math.floor(r() * 8e9)),
      "-",
      String(1000000000 + Math.floor(r() * 8e9)),
      "-",
      pick(r, ALNUM, 24),
    ),
    slackApp: j(
      "xa",
      "pp-1-",
      pick(r, ALNUM, 11),
      "-",
      pick(r, ALNUM, 13),
      "-",
      pick(r, ALNUM, 30),
    ),
    openai: j("sk", "-proj-", pick(r, ALNUM, 74), "T3Blbk", "FJ", pick(r, ALNUM, 74)),
    anthropic: j("sk", "-ant-", "api03-", pick(r, ALNUM, 93), "AA"),
    gitlab: j("gl", "pat-", pick(r, ALNUM, 20)),
    stripe: j("sk", "_live_", pick(r, ALNUM, 24)),
    groq: j("gs", "k_", pick(r, ALNUM, 52)),
    huggingface: j("h", "f_", pick(r, ALPHA, 34)),
    linear: j("lin", "_api_", pick(r, ALNUM, 40)),
    shopify: j("shp", "at_", pick(r, "0123456789abcdef", 32)),
    docker: j("dck", "r_pat_", pick(r, ALNUM, 27)),
    figma: j("fig", "d_", pick(r, ALNUM, 40)),
    sendgrid: j("S", "G.", pick(r, ALNUM, 22), ".", pick(r, ALNUM, 43)),
    postgresUrl: j("postgres", "://admin:", pick(r, ALNUM, 16), "@db.internal.example:5432/app"),
    privateKey: [
      j("-----BEGIN ", "RSA PRIVATE", " KEY-----"),
      // The preset checks the DER magic ("MI…") so placeholders in docs do not count.
      ...Array.from({ length: 8 }, (_, i) =>
        i === 0 ? j("MII", "E", pick(r, ALNUM, 60)) : pick(r, ALNUM, 64),
      ),
      j("-----END ", "RSA PRIVATE", " KEY-----"),
    ].join("\n"),
  };
}

export type FakeTokens = ReturnType<typeof fakeTokens>;

/** Replaces {{FAKE_NAME}} placeholders (NAME as in fakeTokens, upper snake case) in fixture text. */
export function expandFakes(
  text: string,
  tokens: FakeTokens = fakeTokens(),
  escapeForJson = false,
): string {
  return text.replace(/\{\{FAKE_([A-Z_]+)\}\}/g, (_, name: string) => {
    const key = name
      .toLowerCase()
      .replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()) as keyof FakeTokens;
    const value = tokens[key];
    if (value === undefined) throw new Error(`unknown fake token placeholder {{FAKE_${name}}}`);
    return escapeForJson ? JSON.stringify(value).slice(1, -1) : value;
  });
}

// ---- per-record fakes -----------------------------------------------------------------------------
// A token for every rule record, built from the record's shape with a valid checksum where the
// format has one (GitHub/npm CRC32-base62, Grafana and Atlassian CRC32, age Bech32).

/** The characters of a regex class body such as `A-Za-z0-9_-`. */
export function alphabetOf(cls: string): string {
  let out = "";
  for (let i = 0; i < cls.length; i++) {
    if (cls[i] === "\\") {
      out += cls[i + 1];
      i++;
    } else if (cls[i + 1] === "-" && i + 2 < cls.length) {
      for (let c = cls.charCodeAt(i); c <= cls.charCodeAt(i + 2); c++)
        out += String.fromCharCode(c);
      i += 2;
    } else out += cls[i];
  }
  return [...new Set(out)].join("");
}

function fromShape(shape: readonly Part[], r: () => number): string {
  return shape
    .map((p) => {
      if (typeof p === "string") return p;
      const max = Math.min(p.max ?? p.min, p.min + 40);
      const n = p.min + Math.floor(r() * (max - p.min + 1));
      return pick(r, alphabetOf(p.cls), n);
    })
    .join("");
}

/** A fresh, valid-looking token for `rule` (seeded). */
export function fakeFor(rule: DetectorRule, seed = 1): string {
  let h = 0;
  for (const c of rule.id) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  const r = seeded(seed * 7919 + h);
  if (rule.sample) return rule.sample(r);
  let t = fromShape(rule.shape ?? [{ cls: rule.body.cls, min: rule.body.min }], r);
  switch (rule.validator) {
    case "github-crc32":
      t = t.slice(0, -6) + githubChecksum(t.slice(-36, -6));
      break;
    case "npm-crc32":
      t = t.slice(0, -6) + base62(crc32(t.slice(-36, -6)));
      break;
    case "grafana-sa-crc32": {
      const head = t.slice(0, t.lastIndexOf("_"));
      t = `${head}_${grafanaChecksum(head)}`;
      break;
    }
    case "atlassian-crc32":
      t = t.slice(0, -8) + atlassianChecksum(t.slice(0, -8)).toUpperCase();
      break;
    case "azure-client-secret": {
      // Version 8: 3 characters, `8Q~`, 34 characters (version 7 has 31).
      const at = t.indexOf("Q~");
      t = `${t.slice(0, at - 1)}8Q~${(t.slice(at + 2) + t.slice(0, at - 1).repeat(12)).slice(0, 34)}`;
      break;
    }
    case "base64-bytes": {
      // Canonical padding: the character before `==` carries only zero bits.
      const at = t.lastIndexOf("==");
      if (at > 0) t = `${t.slice(0, at - 1)}${"AQgw"[t.charCodeAt(at - 1) % 4]}${t.slice(at)}`;
      break;
    }
    case "bech32": {
      const hrp = "AGE-SECRET-KEY-";
      const data = t.slice(hrp.length + 1, -6);
      t = `${hrp}1${data}${bech32Checksum(hrp, data).toUpperCase()}`;
      break;
    }
    default:
  }
  return t;
}

/**
 * Expands a record's example or negative template: `{token}` (a fresh token), `{json}` (the same
 * token JSON-escaped), `{n}` (n random body characters), `{n:c}` (c repeated n times).
 */
export function expandTemplate(
  rule: DetectorRule,
  template: string,
  seed = 1,
): { text: string; token: string } {
  const token = fakeFor(rule, seed);
  const r = seeded(seed * 31 + 7);
  const alphabet = alphabetOf(rule.body.cls).replace(/[{}]/g, "");
  const text = template.replace(/\{(token|json|\d+(?::.)?)\}/g, (_, what: string) => {
    if (what === "token") return token;
    if (what === "json") return JSON.stringify(token).slice(1, -1);
    const [n, c] = what.split(":");
    return c !== undefined ? c.repeat(Number(n)) : pick(r, alphabet, Number(n));
  });
  return { text, token };
}
