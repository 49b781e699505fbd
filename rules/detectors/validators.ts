// Checksum and structure checks for rule records (by name, see types.ts ValidatorName). Pure and
// small: the engine bundle and the test faker both use them. Each returns true (the check passed),
// false (it failed) or undefined (the check does not apply to this shape).
import { placeholderReason } from "./placeholders.js";
import type { ValidatorName } from "./types.js";

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC32-IEEE of a string's UTF-8 bytes (token texts are ASCII). */
export function crc32(text: string): number {
  let c = -1;
  for (let i = 0; i < text.length; i++) c = CRC_TABLE[(c ^ text.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Base62 (`0-9A-Za-z`), left-padded with `0` to `width`: GitHub's and npm's checksum encoding. */
export function base62(n: number, width = 6): string {
  let out = "";
  let v = n;
  do {
    out = B62[v % 62]! + out;
    v = Math.floor(v / 62);
  } while (v > 0);
  return out.padStart(width, "0");
}

/** The 6-char checksum GitHub appends to a classic token's 30-char body. */
export const githubChecksum = (body30: string): string => base62(crc32(body30));

/** Grafana service-account token checksum: CRC32 of `glsa_<32>`, little-endian bytes, hex. */
export function grafanaChecksum(head: string): string {
  const c = crc32(head);
  return [c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** Atlassian API token checksum: CRC32 of everything before the last 8 chars, big-endian hex. */
export const atlassianChecksum = (head: string): string =>
  crc32(head).toString(16).padStart(8, "0");

/**
 * GitLab routable tokens (GitLab's own generator, `Authn::TokenField::Generator::RoutableToken`):
 * `<prefix><base64url payload>.<payload length, 2 base36><CRC32 of everything before, 7 base36>`;
 * the payload is `key:value` routing lines (keys c g o p u), 16 random bytes and a byte 16.
 */
export function gitlabRoutableChecksum(head: string): string {
  return crc32(head).toString(36).padStart(7, "0");
}
function gitlabRoutable(token: string): boolean {
  const dot = token.lastIndexOf(".");
  if (dot === -1 || token.length - dot - 1 !== 9) return false;
  const payload = token.slice(token.indexOf("-") + 1, dot);
  const len = token.slice(dot + 1, dot + 3);
  if (parseInt(len, 36) !== payload.length) return false;
  if (gitlabRoutableChecksum(token.slice(0, dot + 3)) !== token.slice(dot + 3)) return false;
  const bytes = Buffer.from(payload.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (bytes.length < 18 || bytes[bytes.length - 1] !== 16) return false;
  const routing = bytes.subarray(0, bytes.length - 17).toString("latin1");
  return /^[cgopu]:[0-9a-z_-]{1,40}(?:\n[cgopu]:[0-9a-z_-]{1,40})*$/.test(routing);
}

/**
 * GitHub fine-grained PAT structure (GitHub documents the `github_pat_` prefix; the body is a
 * 22-character id part and a 59-character secret part, both base62, joined by `_`). No checksum
 * is asserted: the sources disagree on it (detection.md §2.1).
 */
function githubFineGrained(token: string): boolean {
  const m = /^github_pat_([0-9A-Za-z]{22})_([0-9A-Za-z]{59})$/.exec(token);
  if (!m) return false;
  // Two random parts: neither may be one repeated character, and they are not the same text.
  return !/^(.)\1+$/.test(m[1]!) && !/^(.)\1+$/.test(m[2]!) && !m[2]!.startsWith(m[1]!);
}

/**
 * A base64 key of a known byte length (Azure storage account keys: 64 bytes = 86 chars + `==`;
 * 32-byte keys: 43 + `=`): canonical padding, so the last character before `=` carries zero bits.
 */
function base64Bytes(secret: string): boolean | undefined {
  const m = /^([A-Za-z0-9+/]+)(={1,2})$/.exec(secret);
  if (!m) return undefined;
  const last = m[1]!.at(-1)!;
  return m[2] === "==" ? "AQgw".includes(last) : "AEIMQUYcgkosw048".includes(last);
}

/**
 * Entra ID client secrets (Microsoft's security-utilities, AadClientAppIdentifiableCredentials):
 * 3 characters, a version digit and `Q~`, then 31 characters for version 7 or 34 for version 8.
 */
const AZURE_CLIENT_SECRET = /^[A-Za-z0-9_~.-]{3}(?:7Q~[A-Za-z0-9_~.-]{31}|8Q~[A-Za-z0-9_~.-]{34})$/;

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
function bech32Polymod(values: number[]): number {
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const b = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((b >>> i) & 1) chk ^= G[i]!;
  }
  return chk >>> 0;
}
const hrpExpand = (hrp: string) => [
  ...[...hrp].map((c) => c.charCodeAt(0) >> 5),
  0,
  ...[...hrp].map((c) => c.charCodeAt(0) & 31),
];

/** Whether `s` (e.g. `AGE-SECRET-KEY-1…`, case-insensitive) is valid Bech32. */
export function bech32Valid(s: string): boolean {
  const lower = s.toLowerCase();
  const sep = lower.lastIndexOf("1");
  if (sep < 1 || lower.length - sep < 7) return false;
  const data: number[] = [];
  for (const c of lower.slice(sep + 1)) {
    const v = BECH32.indexOf(c);
    if (v === -1) return false;
    data.push(v);
  }
  return bech32Polymod([...hrpExpand(lower.slice(0, sep)), ...data]) === 1;
}

/** The 6 checksum characters that make `hrp1<data>` valid Bech32 (for the test faker). */
export function bech32Checksum(hrp: string, data: string): string {
  const values = [
    ...hrpExpand(hrp.toLowerCase()),
    ...[...data.toLowerCase()].map((c) => BECH32.indexOf(c)),
    0,
    0,
    0,
    0,
    0,
    0,
  ];
  const mod = bech32Polymod(values) ^ 1;
  let out = "";
  for (let i = 0; i < 6; i++) out += BECH32[(mod >>> (5 * (5 - i))) & 31];
  return out;
}

function b64decode(s: string): string | undefined {
  const clean = s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) return undefined;
  return Buffer.from(clean, "base64").toString("latin1");
}

const looksJson = (s: string | undefined) => s !== undefined && /^\s*\{\s*"[\w-]+"\s*:/.test(s);

/** JWT: a base64url JSON header naming an algorithm, a JSON payload, and a signature part. */
function jwt(token: string): boolean {
  const [h, p, sig] = token.split(".");
  if (!h || !p || sig === undefined) return false;
  const header = b64decode(h);
  if (!looksJson(header) || !/"(alg|typ|kid|enc)"/.test(header!)) return false;
  const payload = b64decode(p);
  return payload !== undefined && (looksJson(payload) || /^\s*\{/.test(payload));
}

/** A PEM/OpenSSH private key block whose body decodes to DER (a SEQUENCE) or openssh-key-v1. */
function pem(block: string): boolean | undefined {
  const m = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----([\s\S]*?)-----END /.exec(block);
  if (!m) return false;
  const body = m[3]!.replace(/^[\w-]+:.*$/gm, "").replace(/[\s\\n"',]+|\\n/g, "");
  if (m[1]!.includes("PGP")) return body.length >= 64 ? true : false;
  const bytes = b64decode(body.slice(0, 64));
  if (bytes === undefined || body.length < 64) return false;
  return bytes.charCodeAt(0) === 0x30 || bytes.startsWith("openssh-key-v1");
}

export function validate(name: ValidatorName, secret: string): boolean | undefined {
  switch (name) {
    case "github-crc32": {
      const body = secret.slice(-36);
      return githubChecksum(body.slice(0, 30)) === body.slice(30);
    }
    case "npm-crc32": {
      // npm's docs do not say whether the prefix is hashed: accept either (detection.md §2.1).
      const body = secret.slice(-36);
      const sum = body.slice(30);
      return (
        base62(crc32(body.slice(0, 30))) === sum ||
        base62(crc32(`npm_${body.slice(0, 30)}`)) === sum
      );
    }
    case "grafana-sa-crc32": {
      const at = secret.lastIndexOf("_");
      return grafanaChecksum(secret.slice(0, at)) === secret.slice(at + 1).toLowerCase();
    }
    case "atlassian-crc32":
      return atlassianChecksum(secret.slice(0, -8)) === secret.slice(-8).toLowerCase();
    case "gitlab-routable-crc32":
      return gitlabRoutable(secret);
    case "github-fine-grained":
      return githubFineGrained(secret);
    case "base64-bytes":
      return base64Bytes(secret);
    case "azure-client-secret":
      return AZURE_CLIENT_SECRET.test(secret);
    case "jwt":
      return jwt(secret);
    case "base64-json": {
      const m = /eyJ[A-Za-z0-9_+/-]{8,}/.exec(secret);
      if (!m) return false;
      const decoded = b64decode(m[0].slice(0, m[0].length - (m[0].length % 4)));
      return decoded !== undefined && /^\{"/.test(decoded);
    }
    case "pypi-macaroon": {
      const decoded = b64decode(secret.slice(5, 5 + 40));
      return decoded !== undefined && /pypi\.org/.test(decoded);
    }
    case "openai-marker":
      return secret.includes("T3BlbkFJ");
    case "anthropic-trailer":
      return secret.endsWith("AA");
    case "aws-key-id":
      return /^(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z2-7]{16}$/.test(
        secret,
      );
    case "bech32":
      return bech32Valid(secret);
    case "pem":
      return pem(secret);
    case "pkcs12":
      return true;
    case "base64-secret": {
      // A Kubernetes Secret's data value: base64 of the secret; placeholders are judged decoded.
      const decoded = b64decode(secret);
      if (decoded === undefined || decoded.length < 8) return false;
      // eslint-disable-next-line no-control-regex -- binary bytes mark a non-text value
      if (/[\x00-\x08\x0e-\x1f]/.test(decoded) && decoded.length < 32) return false;
      return placeholderReason(decoded) === undefined;
    }
  }
}
