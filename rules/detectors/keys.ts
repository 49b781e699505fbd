// Key material recognised by structure: PEM/OpenSSH/PGP private keys (incl. inside JSON such as a
// GCP service-account file), PuTTY keys, JWTs, PKCS#12 bundles, Kubernetes Secret manifests.
import type { DetectorRule } from "./types.js";

const KEY_ROTATE = {
  steps:
    "Replace the key pair: generate a new key, install the new public key / certificate wherever the old one is trusted, then remove the old one (SSH: authorized_keys and your Git host; GCP: IAM → Service accounts → Keys → delete).",
};
const rules: DetectorRule[] = [
  {
    id: "private-key",
    provider: "Cryptographic keys",
    label: "private key",
    kind: "structure",
    anchors: ["-----BEGIN"],
    regex: String.raw`(?<secret>-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?<body>[\s\S]{40,16384}?)-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)`,
    maxLen: 16600,
    prefilter: String.raw`PRIVATE KEY`,
    body: { cls: "A-Za-z0-9+/=", min: 64, max: 16384 },
    validator: "pem",
    onInvalid: "drop",
    severity: "critical",
    secretName: "PRIVATE_KEY",
    rotate: KEY_ROTATE,
    examples: ["{token}", '{"type": "service_account", "private_key": "{json}"}'],
    negatives: [
      "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
      "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----",
    ],
    sample: (r) => {
      const pick = (n: number) =>
        Array.from(
          { length: n },
          () =>
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[
              Math.floor(r() * 64)
            ],
        ).join("");
      const begin = ["-----BEGIN ", "RSA PRIVATE", " KEY-----"].join("");
      const end = ["-----END ", "RSA PRIVATE", " KEY-----"].join("");
      return [begin, `MIIE${pick(60)}`, ...Array.from({ length: 7 }, () => pick(64)), end].join(
        "\n",
      );
    },
  },
  {
    id: "putty-private-key",
    provider: "Cryptographic keys",
    label: "PuTTY private key",
    kind: "structure",
    anchors: ["PuTTY-User-Key-File-"],
    regex: String.raw`(?<secret>PuTTY-User-Key-File-[23]: [\s\S]{0,2000}?Private-Lines: \d+\r?\n(?<body>(?:[A-Za-z0-9+/=]{1,64}\r?\n){1,64}))`,
    maxLen: 8000,
    prefilter: "PuTTY-User-Key-File-",
    body: { cls: "A-Za-z0-9+/=", min: 64, max: 8000 },
    severity: "critical",
    secretName: "PUTTY_PRIVATE_KEY",
    rotate: KEY_ROTATE,
    examples: ["{token}"],
    negatives: ["PuTTY-User-Key-File-3: ssh-ed25519\nPrivate-Lines: 1\n"],
    sample: (r) => {
      const pick = (n: number) =>
        Array.from(
          { length: n },
          () =>
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[
              Math.floor(r() * 64)
            ],
        ).join("");
      return `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: demo\nPublic-Lines: 2\n${pick(64)}\n${pick(20)}\nPrivate-Lines: 1\n${pick(44)}\n`;
    },
  },
  {
    id: "jwt",
    provider: "JSON Web Token",
    label: "JSON Web Token",
    kind: "structure",
    anchors: ["eyJ"],
    regex: String.raw`(?<![A-Za-z0-9_-])(?<secret>eyJ[A-Za-z0-9_-]{12,4096}\.eyJ(?<body>[A-Za-z0-9_-]{8,8192})\.[A-Za-z0-9_-]{16,1024})(?![A-Za-z0-9_-])`,
    maxLen: 13400,
    prefilter: String.raw`eyJ[A-Za-z0-9_-]{12}`,
    body: { cls: "A-Za-z0-9_-", min: 8, max: 8192 },
    validator: "jwt",
    onInvalid: "drop",
    // jwt.io's published demo token (HS256 "your-256-bit-secret"): documentation, not a credential.
    stopwords: ["SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"],
    severity: "medium",
    secretName: "JWT",
    rotate: {
      steps:
        "JWT: revoke the session or refresh token it came from at its issuer; if its signing key leaked, rotate that key (every token it signed becomes invalid).",
    },
    examples: ["{token}", "Authorization: Bearer {token}"],
    negatives: ["eyJhbGciOiJIUzI1NiJ9.eyJ.x", "eyJ{40:x}.eyJ{20:x}.{20:x}"],
    sample: (r) => {
      const b64 = (s: string) => Buffer.from(s).toString("base64url");
      const pick = (n: number) =>
        Array.from(
          { length: n },
          () =>
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"[
              Math.floor(r() * 64)
            ],
        ).join("");
      return [
        b64('{"alg":"HS256","typ":"JWT"}'),
        b64(
          `{"sub":"${Math.floor(r() * 1e9)}","iat":${1700000000 + Math.floor(r() * 1e7)},"jti":"${pick(12)}"}`,
        ),
        pick(43),
      ].join(".");
    },
  },
  {
    id: "pkcs12-file",
    provider: "Cryptographic keys",
    label: "PKCS#12 key store (base64)",
    kind: "structure",
    anchors: ["IBAzCC"],
    back: 8,
    regex: String.raw`(?<![A-Za-z0-9+/])(?<secret>MII[A-Za-z0-9+/]{2}[AQgw]IBAzCC(?<body>[A-Za-z0-9+/\r\n]{200,400000})={0,2})`,
    maxLen: 400100,
    prefilter: "IBAzCC",
    body: { cls: "A-Za-z0-9+/", min: 200, max: 400000 },
    validator: "pkcs12",
    severity: "critical",
    secretName: "PKCS12_BUNDLE",
    rotate: KEY_ROTATE,
    examples: ["{token}"],
    negatives: ["MIIDEQIBAzCC"],
    sample: (r) => {
      const bytes = Buffer.alloc(600);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
      Buffer.from([0x30, 0x82, 0x02, 0x54, 0x02, 0x01, 0x03, 0x30, 0x82]).copy(bytes);
      return bytes.toString("base64");
    },
  },
  {
    id: "kubernetes-secret-yaml",
    provider: "Kubernetes",
    label: "Kubernetes Secret value",
    kind: "structure",
    anchors: ["kind: Secret", 'kind: "Secret"', '"kind": "Secret"', '"kind":"Secret"'],
    back: 3000,
    regex: String.raw`(?:^|\n)[ \t]{1,12}"?[\w.-]{1,128}"?[ \t]*:[ \t]*"?(?<secret>(?<body>[A-Za-z0-9+/]{16,4096}={0,2}))"?[ \t]*,?(?=\r?\n|$)`,
    maxLen: 6000,
    prefilter: '(?:kind: Secret|"kind": ?"Secret")',
    body: { cls: "A-Za-z0-9+/=", min: 16, max: 4096 },
    validator: "base64-secret",
    onInvalid: "drop",
    severity: "high",
    secretName: "K8S_SECRET",
    rotate: {
      steps:
        "Kubernetes: change the credential the Secret holds at its source, update the Secret (`kubectl create secret … --dry-run=client -o yaml | kubectl apply -f -`), and keep Secret manifests out of Git (Sealed Secrets, SOPS, External Secrets).",
    },
    examples: [
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo\ntype: Opaque\ndata:\n  password: {token}\n",
    ],
    // A placeholder ("changeme" twice) in base64, built here so no token-shaped string is committed.
    negatives: [
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo\ndata:\n  password: ${Buffer.from("changeme".repeat(2)).toString("base64")}\n`,
    ],
    sample: (r) =>
      Buffer.from(
        Array.from(
          { length: 24 },
          () =>
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(r() * 62)],
        ).join(""),
      ).toString("base64"),
  },
];
export default rules;
