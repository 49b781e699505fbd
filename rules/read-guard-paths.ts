// Well-known secret paths, and the secrets a credential file names in its own syntax
// (`KEY=value`, `key: value`, netrc `password x`). Pure: paths and text in, facts out.
import { basename } from "node:path";
import { matchStatePath } from "./state-catalog.js";

export interface SecretPath {
  id: string;
  /** Deny whatever the content (key material, hookpack's own files); else the content decides. */
  strict: boolean;
  what: string;
  /** Content is a list of assignments whose secret-looking keys name secrets (dotenv, .npmrc…). */
  assignments: boolean;
  dotenv?: boolean;
}

const norm = (p: string) => p.replace(/\\/g, "/");

/** Classifies an absolute path. `home` is the user's home, `hookpackHome` hookpack's own directory. */
export function classifySecretPath(
  absPath: string,
  home: string | undefined,
  hookpackHome: string | undefined,
): SecretPath | undefined {
  const p = norm(absPath);
  const base = basename(p).toLowerCase();
  const under = (dir: string | undefined, sub = "") =>
    dir !== undefined && p.startsWith(`${norm(dir).replace(/\/+$/, "")}/${sub}`);
  if (
    hookpackHome &&
    (under(hookpackHome) || p === norm(hookpackHome)) &&
    !under(hookpackHome, "runtime/")
  ) {
    return {
      id: "hookpack-state",
      strict: true,
      what: "one of hookpack's own files (secret store, keys, audit log, hook cache)",
      assignments: false,
    };
  }
  if (
    /^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/.test(base) ||
    (under(home, ".ssh/") && !/\.pub$|^known_hosts|^config$|^authorized_keys/.test(base))
  ) {
    return { id: "ssh-private-key", strict: true, what: "an SSH private key", assignments: false };
  }
  if (/\.(p12|pfx|jks|keystore)$/.test(base))
    return { id: "key-store", strict: true, what: "a key store", assignments: false };
  if (base === ".git-credentials" || under(home, ".config/git/credentials"))
    return {
      id: "git-credentials",
      strict: true,
      what: "stored git credentials",
      assignments: false,
    };
  if (under(home, ".aws/credentials") || under(home, ".aws/config"))
    return { id: "aws-credentials", strict: false, what: "AWS credentials", assignments: true };
  if (under(home, ".docker/config.json"))
    return {
      id: "docker-config",
      strict: false,
      what: "Docker registry credentials",
      assignments: true,
    };
  if (under(home, ".kube/") || /kubeconfig/.test(base))
    return { id: "kubeconfig", strict: false, what: "a Kubernetes config", assignments: true };
  if (under(home, ".config/gh/hosts.yml"))
    return { id: "gh-hosts", strict: false, what: "GitHub CLI credentials", assignments: true };
  if (base === ".netrc" || base === "_netrc")
    return { id: "netrc", strict: false, what: "login credentials (.netrc)", assignments: true };
  if (base === ".npmrc" || base === ".yarnrc.yml" || base === ".pypirc")
    return {
      id: base.slice(1).replace(/\..*$/, ""),
      strict: false,
      what: `registry credentials (${base})`,
      assignments: true,
    };
  if (/\.(pem|key)$/.test(base))
    return { id: "pem", strict: false, what: "a PEM/key file", assignments: false };
  const hit = matchStatePath(p, (e) => e.kind === "secret-file");
  if (hit?.id === "dotenv" || hit?.id === "dotenv-variant" || base.endsWith(".env"))
    return {
      id: "dotenv",
      strict: false,
      what: "an environment file",
      assignments: true,
      dotenv: true,
    };
  return undefined;
}

const SECRET_KEY =
  /(secret|token|passw(or)?d|passwd|pwd|api[-_]?key|apikey|auth|credential|private[-_]?key|access[-_]?key|client[-_]?key|signing[-_]?key|bearer|cookie|session[-_]?key|dsn|webhook)/i;
const PLACEHOLDER =
  /^(<[^>]*>|x{3,}|\*{3,}|\.{3,}|changeme|change[-_]me|your[-_ ].*|example.*|dummy|todo|tbd|none|null|nil|true|false|-?\d{1,6}|\$\{?[A-Za-z_][A-Za-z0-9_:-]*\}?|%[A-Za-z_]+%|\{\{.*\}\})$/i;
const REFERENCE = /^\$\{?secret:[A-Za-z_][A-Za-z0-9_]*\}?$/;

/** A secret named by a credential file's own syntax. */
export interface NamedAssignment {
  key: string;
  line: number;
  start: number;
  end: number;
}

/** `KEY=value`, `export KEY="value"`, `key: value`, `key = value`, `//host/:_authToken=…`, netrc `password x`. */
export function secretAssignments(text: string): NamedAssignment[] {
  const out: NamedAssignment[] = [];
  let offset = 0;
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const lineStart = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, "");
    if (/^\s*(#|;|\/\/\s)/.test(line)) return;
    const netrc = /\b(password|passwd|account)\s+(\S+)/.exec(line);
    const m = /^\s*(?:export\s+)?["']?([^\s="']+?)["']?\s*(?:=|:\s|:$)\s*(.*?)\s*$/.exec(line);
    let key: string | undefined;
    let value: string | undefined;
    let at = 0;
    if (m && SECRET_KEY.test(m[1]!)) {
      key = m[1]!;
      value = m[2]!;
      at = line.indexOf(value, line.indexOf(key) + key.length);
    } else if (netrc) {
      key = netrc[1]!;
      value = netrc[2]!;
      at = netrc.index + netrc[0].length - value.length;
    }
    if (key === undefined || value === undefined) return;
    let v = value.replace(/\s+#.*$/, "");
    let start = lineStart + at;
    if (/^(["']).*\1$/.test(v) && v.length >= 2) {
      v = v.slice(1, -1);
      start += 1;
    }
    if (v.length < 6 || REFERENCE.test(v) || PLACEHOLDER.test(v)) return;
    out.push({ key: key.replace(/^.*[:/]/, "") || key, line: i + 1, start, end: start + v.length });
  });
  return out;
}
