// The broker's per-user certificate authority, for the TLS its injection proxy terminates:
// generated once under $HOOKPACK_HOME/broker (key 0600), never added to any system trust store,
// trusted only by the brokered children hookpack points at it (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS,
// …). Certificates are built here with node:crypto alone (ECDSA P-256, a small DER encoder): no
// dependency and no `openssl` binary needed.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import { join } from "node:path";
import { writeFileAtomic } from "../core/fs-safe.js";
import { caBundlePath, caCertPath } from "./paths.js";

// ── DER ──
const len = (n: number): number[] =>
  n < 0x80
    ? [n]
    : n < 0x100
      ? [0x81, n]
      : n < 0x10000
        ? [0x82, n >> 8, n & 255]
        : [0x83, n >> 16, (n >> 8) & 255, n & 255];
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...len(body.length)]), body]);
};
const seq = (...p: Buffer[]) => tlv(0x30, ...p);
const set = (...p: Buffer[]) => tlv(0x31, ...p);
function int(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && !(b[1]! & 0x80)) b = b.subarray(1);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}
function oid(s: string): Buffer {
  const parts = s.split(".").map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const bool = (b: boolean) => tlv(0x01, Buffer.from([b ? 0xff : 0]));
const octet = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const name = (cn: string) =>
  seq(set(seq(oid("2.5.4.10"), utf8("hookpack"))), set(seq(oid("2.5.4.3"), utf8(cn))));
const ext = (id: string, critical: boolean, value: Buffer) =>
  critical ? seq(oid(id), bool(true), octet(value)) : seq(oid(id), octet(value));
const keyId = (spki: Buffer) => createHash("sha1").update(spki).digest();

function certificate(opts: {
  subject: string;
  issuer: string;
  spki: Buffer;
  issuerSpki: Buffer;
  signer: KeyObject;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  hosts?: string[];
}): Buffer {
  const exts = [
    ext("2.5.29.19", true, opts.ca ? seq(bool(true), int(Buffer.from([0]))) : seq()),
    ext("2.5.29.15", true, opts.ca ? bits(Buffer.from([0x86]), 1) : bits(Buffer.from([0x80]), 7)),
    ext("2.5.29.14", false, octet(keyId(opts.spki))),
  ];
  if (!opts.ca) {
    exts.push(ext("2.5.29.35", false, seq(tlv(0x80, keyId(opts.issuerSpki)))));
    exts.push(ext("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))));
    const alt = (opts.hosts ?? []).map((h) => {
      const ip = isIP(h);
      if (ip === 4) return tlv(0x87, Buffer.from(h.split(".").map(Number)));
      if (ip === 6) return tlv(0x87, ipv6Bytes(h));
      return tlv(0x82, Buffer.from(h, "ascii"));
    });
    exts.push(ext("2.5.29.17", false, seq(...alt)));
  }
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = seq(
    explicit(0, int(Buffer.from([2]))),
    int(serial),
    ECDSA_SHA256,
    name(opts.issuer),
    seq(time(opts.notBefore), time(opts.notAfter)),
    name(opts.subject),
    opts.spki,
    explicit(3, seq(...exts)),
  );
  const sig = sign("sha256", tbs, opts.signer);
  return seq(tbs, ECDSA_SHA256, bits(sig));
}

function ipv6Bytes(ip: string): Buffer {
  const [head = "", tail = ""] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = ip.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

export const pem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;

export interface Authority {
  certPem: string;
  key: KeyObject;
  spki: Buffer;
}

/** A new self-signed CA (10 years). */
export function createAuthority(cn: string, now = new Date()): Authority {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const der = certificate({
    subject: cn,
    issuer: cn,
    spki,
    issuerSpki: spki,
    signer: privateKey,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 86400_000),
    ca: true,
  });
  return { certPem: pem(der), key: privateKey, spki };
}

/** A leaf for `hosts` (DNS names or IPs) signed by `ca`, valid 30 days, with one shared leaf key. */
export function issueLeaf(
  ca: Authority,
  hosts: string[],
  leafKey: KeyObject,
  now = new Date(),
): string {
  return issueLeafFrom(ca, CA_CN, hosts, leafKey, now);
}

/** Like issueLeaf, for any issuer name (tests make their own upstream CA with it). */
export function issueLeafFrom(
  ca: Authority,
  issuerCn: string,
  hosts: string[],
  leafKey: KeyObject,
  now = new Date(),
): string {
  const spki = createPublicKey(leafKey).export({ type: "spki", format: "der" });
  return pem(
    certificate({
      subject: hosts[0] ?? "localhost",
      issuer: issuerCn,
      spki,
      issuerSpki: ca.spki,
      signer: ca.key,
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + 30 * 86400_000),
      ca: false,
      hosts,
    }),
  );
}

export const CA_CN = "hookpack broker CA (local, this user only)";
/** The CA's key stays in the private broker directory; its certificates are public (broker/paths.ts). */
export const caKeyPath = (home: string) => join(home, "broker", "ca.key");
export { caBundlePath, caCertPath };

/** Loads this user's broker CA, creating it (key 0600) on first use. */
export function loadAuthority(home: string): Authority {
  if (existsSync(caKeyPath(home)) && existsSync(caCertPath(home))) {
    const key = createPrivateKey(readFileSync(caKeyPath(home), "utf8"));
    const certPem = readFileSync(caCertPath(home), "utf8");
    const spki = createPublicKey(key).export({ type: "spki", format: "der" });
    if (!existsSync(caBundlePath(home)))
      writeFileAtomic(caBundlePath(home), bundle(certPem), 0o600);
    return { certPem, key, spki };
  }
  const ca = createAuthority(CA_CN);
  writeFileAtomic(
    caKeyPath(home),
    ca.key.export({ type: "pkcs8", format: "pem" }) as string,
    0o600,
  );
  writeFileAtomic(caCertPath(home), ca.certPem, 0o600);
  writeFileAtomic(caBundlePath(home), bundle(ca.certPem), 0o600);
  return ca;
}

const bundle = (certPem: string) => `${rootCertificates.join("\n")}\n${certPem}`;
