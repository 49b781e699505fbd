// The project policy, `hookpack.json`: parsed and validated here (ajv against the JSON Schema we
// ship in schemas/), matched against the commands that would receive a secret. Pure: the caller
// reads the file. ajv is loaded only when there is a policy text to validate, never on the
// hook's allow path.
import { normaliseInject, type InjectSpec } from "./inject.js";
import type { ProviderSpec } from "./provider-spec.js";
import { basename, type ProgramInfo, type RefUse } from "./secret-refs.js";

export const POLICY_FILE = "hookpack.json";

export type Approval = "auto" | "ask" | "once";

export interface CommandRule {
  program: string;
  args?: string[];
  hosts?: string[];
}

export interface SecretPolicy {
  name: string;
  description?: string;
  provider?: ProviderSpec;
  /** undefined: any program. */
  commands?: CommandRule[];
  approval: Approval;
  ttlMs: number;
  /** The value goes into outbound HTTPS requests to these hosts; the command gets a placeholder. */
  inject?: InjectSpec;
}

export interface Policy {
  /** Where it came from, for messages; undefined for the built-in default (no file). */
  path: string | undefined;
  /** undefined when there is no file: every stored secret, any command, approval "ask". */
  secrets: Map<string, SecretPolicy> | undefined;
  defaults: { approval: Approval; ttlMs: number };
  /** The file at this path has changes the user has not approved; what applies is the approved version (or the default). */
  pending?: string;
  /** Capabilities ($cap:NAME): credentials minted per call (broker/leases.ts). Absent without a policy file. */
  capabilities?: Map<string, CapabilityPolicy>;
}

/** Where a provider reads an authentication value: the hookpack store, the broker's env, a file. */
export type CredentialSource = { secret: string } | { env: string } | { file: string };

export type VaultAuth =
  | { token: CredentialSource }
  | { approle: { mount?: string; roleId: string; secretId: CredentialSource } }
  | { jwt: { mount?: string; role: string; token: CredentialSource } };

/** Value-free: which engine mints the credential and how hookpack logs in to it. */
export type CapabilityProvider =
  VaultProvider | GithubAppProvider | OAuthExchangeProvider | StsProvider;

/** The base credentials of the STS provider (value-free: where hookpack reads them). */
export type AwsCredentialSource =
  /** true: AWS_PROFILE, else "default". */
  | { profile: string | true }
  | {
      accessKeyId: CredentialSource;
      secretAccessKey: CredentialSource;
      sessionToken?: CredentialSource;
    }
  | { webIdentity: { token: CredentialSource } };

/** AWS STS AssumeRole with a session policy; revoked by a deny on the role (broker/providers/aws-sts.ts). */
export interface StsProvider {
  kind: "sts";
  roleArn: string;
  region: string;
  /** Default https://sts.<region>.amazonaws.com. */
  endpoint?: string;
  /** Default https://iam.amazonaws.com (or "endpoint" when that is set: a local emulator). */
  iamEndpoint?: string;
  credentials: AwsCredentialSource;
  /** The session policy: Allow these actions on these resources (default "*"). */
  actions?: string[];
  resources?: string[];
  /** Or a whole session policy document. */
  policy?: Record<string, unknown>;
  externalId?: string;
  /** "deny-session" (default): a deny on the role for this session at revoke; "none": TTL only. */
  revoke: "deny-session" | "none";
  /** Credentials with iam:PutRolePolicy/GetRolePolicy on the role, when the base ones lack it. */
  revokeCredentials?: Exclude<AwsCredentialSource, { webIdentity: unknown }>;
  /** An action the session may call, used to verify the revoke (it must then be denied). */
  probe?: { action: string; params?: Record<string, string> };
}

/** OAuth 2.0 token exchange (RFC 8693), revoked with RFC 7009, checked with RFC 7662 introspection. */
export interface OAuthExchangeProvider {
  kind: "oauth";
  tokenEndpoint: string;
  revocationEndpoint: string;
  introspectionEndpoint?: string;
  clientId: string;
  clientSecret: CredentialSource;
  /** The user's token, exchanged for a narrower one per call. */
  subjectToken: CredentialSource;
  scope: string;
  audience?: string;
  resource?: string;
}

/** A GitHub App installation token, narrowed to repositories and permissions. */
export interface GithubAppProvider {
  kind: "github";
  /** API base, default https://api.github.com (GitHub Enterprise: https://HOST/api/v3). */
  api: string;
  appId: string;
  installationId: number;
  privateKey: CredentialSource;
  /** Repository names (without owner); default: the current repository (git remote origin). */
  repositories?: string[];
  permissions: Record<string, "read" | "write">;
}

export type VaultProvider = {
  kind: "vault";
  address: string;
  namespace?: string;
  auth: VaultAuth;
  /** A dynamic secret (database/creds/<role>, aws/creds/<role>, …). */
  path?: string;
  /** A KV v2 read (a standing secret; nothing to revoke). */
  kv?: { mount: string; path: string; version?: number };
};

export interface CapabilityPolicy {
  name: string;
  description?: string;
  provider: CapabilityProvider;
  /** Shown in the approval prompt and `hookpack leases`. */
  scope: string;
  /** Longest life of a minted credential. */
  ttlMs: number;
  commands: CommandRule[];
  approval: "auto" | "ask";
  /** Env var → field of the minted credential, or a fixed non-secret value. In policy order. */
  env: Array<{ var: string; field: string } | { var: string; value: string }>;
}

export const DEFAULT_CAPABILITY_TTL_MS = 5 * 60_000;
export const CAP_NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** What a capability provider does, in a few value-free words. */
export function describeCapabilityProvider(p: CapabilityProvider): string {
  if (p.kind === "oauth")
    return `OAuth token exchange at ${p.tokenEndpoint} (scope ${p.scope}${p.audience ? `, audience ${p.audience}` : ""})`;
  if (p.kind === "sts") {
    const what = p.policy ? "a session policy" : (p.actions ?? []).join(", ");
    return `AWS STS AssumeRole ${p.roleArn} narrowed to ${what}${p.resources ? ` on ${p.resources.join(", ")}` : ""}; STS sessions last at least 15 min, hookpack ends it at exit with a deny on the role${p.revoke === "none" ? " (off: it lives until its TTL)" : ""}`;
  }
  if (p.kind === "github") {
    return `GitHub App ${p.appId} installation token (${Object.entries(p.permissions)
      .map(([k, v]) => `${k}:${v}`)
      .join(", ")}; ${p.repositories ? p.repositories.join(", ") : "this repository"})`;
  }
  return `vault ${p.path ?? `kv ${p.kv!.mount}/${p.kv!.path}`}${p.namespace ? ` (namespace ${p.namespace})` : ""}`;
}

export const DEFAULT_APPROVAL: Approval = "ask";
export const DEFAULT_TTL_MS = 120_000;
/** A human needs time to read an `ask` prompt. */
export const ASK_MIN_TTL_MS = 15 * 60_000;

export class PolicyError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = "PolicyError";
    this.path = path;
  }
}

function ttl(value: unknown, fallback: number): number {
  if (typeof value === "number") return value * 1000;
  if (typeof value === "string") {
    const n = Number(value.slice(0, -1));
    return n * { s: 1000, m: 60_000, h: 3_600_000 }[value.slice(-1) as "s" | "m" | "h"];
  }
  return fallback;
}

function provider(p: unknown): ProviderSpec | undefined {
  if (p === undefined) return undefined;
  if (p === "store") return { kind: "store" };
  const o = p as { env?: string; op?: string; exec?: string[] };
  if (o.env) return { kind: "env", var: o.env };
  if (o.op) return { kind: "op", ref: o.op };
  if (o.exec) return { kind: "exec", argv: o.exec };
  return undefined;
}

/** Parses and validates a policy file's text; throws PolicyError with every problem listed. */
export async function parsePolicy(text: string, path: string): Promise<Policy> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // Not the parser's message: V8 quotes the offending text, and a value pasted there by mistake
    // would reach the model through the deny reason.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new PolicyError(path, `${path} is not valid JSON${at ? ` (at byte ${at})` : ""}`);
  }
  // ajv lives in its own bundle, loaded only here (never on the hook's allow path).
  const { validatePolicyData } = await import("./policy-validate.js");
  const problems = validatePolicyData(data);
  if (problems.length > 0)
    throw new PolicyError(
      path,
      `${path} does not match hookpack's policy schema: ${problems.join("; ")}`,
    );
  const d = data as {
    defaults?: { approval?: Approval; ttl?: unknown };
    secrets: Record<
      string,
      {
        description?: string;
        provider?: unknown;
        commands?: Array<string | CommandRule>;
        approval?: Approval;
        ttl?: unknown;
        inject?: Parameters<typeof normaliseInject>[0];
      }
    >;
  };
  const defaults = {
    approval: d.defaults?.approval ?? DEFAULT_APPROVAL,
    ttlMs: ttl(d.defaults?.ttl, DEFAULT_TTL_MS),
  };
  const secrets = new Map<string, SecretPolicy>();
  for (const [name, s] of Object.entries(d.secrets)) {
    const p = provider(s.provider);
    secrets.set(name, {
      name,
      description: s.description,
      ...(p ? { provider: p } : {}),
      commands: s.commands?.map((c) => (typeof c === "string" ? { program: c } : c)),
      approval: s.approval ?? defaults.approval,
      ttlMs: ttl(s.ttl, defaults.ttlMs),
      ...(s.inject ? { inject: normaliseInject(s.inject) } : {}),
    });
  }
  const capabilities = new Map<string, CapabilityPolicy>();
  const caps = (data as { capabilities?: Record<string, RawCapability> }).capabilities ?? {};
  for (const [name, c] of Object.entries(caps)) capabilities.set(name, capability(name, c));
  return { path, secrets, defaults, capabilities };
}

interface RawCapability {
  description?: string;
  provider: {
    oauth?: Omit<OAuthExchangeProvider, "kind">;
    sts?: Omit<StsProvider, "kind" | "region" | "revoke"> & {
      region?: string;
      revoke?: StsProvider["revoke"];
    };
    vault?: Omit<VaultProvider, "kind">;
    github?: Omit<GithubAppProvider, "kind" | "api" | "appId"> & {
      api?: string;
      appId: string | number;
    };
  };
  scope?: string;
  ttl?: unknown;
  commands: Array<string | CommandRule>;
  approval?: "auto" | "ask";
  env: Record<string, string | { value: string }>;
}

function capability(name: string, c: RawCapability): CapabilityPolicy {
  const g = c.provider.github;
  const sts = c.provider.sts;
  const provider: CapabilityProvider = c.provider.oauth
    ? { kind: "oauth", ...c.provider.oauth }
    : sts
      ? {
          kind: "sts",
          ...sts,
          region: sts.region ?? "us-east-1",
          revoke: sts.revoke ?? "deny-session",
          ...(sts.endpoint ? { endpoint: sts.endpoint.replace(/\/$/, "") } : {}),
          ...(sts.iamEndpoint ? { iamEndpoint: sts.iamEndpoint.replace(/\/$/, "") } : {}),
        }
      : g
        ? {
            kind: "github",
            ...g,
            appId: String(g.appId),
            api: (g.api ?? "https://api.github.com").replace(/\/$/, ""),
          }
        : {
            kind: "vault",
            ...c.provider.vault!,
            address: c.provider.vault!.address.replace(/\/$/, ""),
          };
  return {
    name,
    description: c.description,
    provider,
    scope: c.scope ?? describeCapabilityProvider(provider),
    ttlMs: ttl(c.ttl, DEFAULT_CAPABILITY_TTL_MS),
    commands: c.commands.map((x) => (typeof x === "string" ? { program: x } : x)),
    approval: c.approval ?? "ask",
    env: Object.entries(c.env).map(([v, f]) =>
      typeof f === "string" ? { var: v, field: f } : { var: v, value: f.value },
    ),
  };
}

export const NO_POLICY: Policy = {
  path: undefined,
  secrets: undefined,
  defaults: { approval: DEFAULT_APPROVAL, ttlMs: DEFAULT_TTL_MS },
};

export function secretPolicy(policy: Policy, name: string): SecretPolicy | undefined {
  if (!policy.secrets)
    return { name, approval: policy.defaults.approval, ttlMs: policy.defaults.ttlMs };
  return policy.secrets.get(name);
}

/**
 * A secret in the store that the policy file does not declare (README: "without a policy entry, a
 * stored secret may be used by any command and the user approves each use"): any program, and
 * always `ask`, whatever the file's defaults say. undefined when the store does not hold it.
 */
export function undeclaredStored(
  policy: Policy,
  name: string,
  stored: readonly string[] | undefined,
): SecretPolicy | undefined {
  if (!stored?.includes(name)) return undefined;
  // A capability's own login (an STS base key, a Vault token, an App key) is for its provider only:
  // no command may receive it as $secret:NAME unless the policy declares it so.
  if (capabilitySecretNames(policy).has(name))
    return { name, approval: "ask", ttlMs: policy.defaults.ttlMs, commands: [] };
  return { name, approval: "ask", ttlMs: policy.defaults.ttlMs };
}

/** Store names that capabilities' providers read ({"secret": NAME} anywhere in their config). */
export function capabilitySecretNames(policy: Policy): Set<string> {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (!v || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach(walk);
    for (const [k, x] of Object.entries(v)) {
      if (k === "secret" && typeof x === "string") names.add(x);
      else walk(x);
    }
  };
  for (const c of policy.capabilities?.values() ?? []) walk(c.provider);
  return names;
}

// ----- destination hosts ----------------------------------------------------------------------

const CURL_VALUE_FLAGS = new Set(
  "-A -b -c -C -d -D -e -E -F -H -K -m -o -P -Q -r -T -t -u -U -w -x -X -y -Y -z --data --data-raw --data-binary --data-ascii --data-urlencode --form --form-string --header --user --user-agent --referer --request --output --cookie --cookie-jar --max-time --connect-timeout --retry --retry-delay --retry-max-time --write-out --cacert --capath --cert --key --cert-type --key-type --pass --proxy --proxy-user --noproxy --limit-rate --max-filesize --range --upload-file --time-cond --interface --dns-servers --oauth2-bearer --aws-sigv4 --json --variable --expand-url --config --resolve --connect-to --url --unix-socket --abstract-unix-socket --ciphers --tls-max --hostpubmd5 --pubkey --keepalive-time --local-port --max-redirs --proto --proto-redir --proto-default --preproxy --proxy-header --socks4 --socks4a --socks5 --socks5-hostname --stderr --trace --trace-ascii --dump-header --etag-save --etag-compare --output-dir --login-options --sasl-authzid --service-name --happy-eyeballs-timeout-ms".split(
    " ",
  ),
);
const WGET_VALUE_FLAGS = new Set(
  "-O -o -a -e -U -P -t -T -w -Q -l -A -R -D -I -X -i -B --output-document --output-file --append-output --execute --user-agent --directory-prefix --tries --timeout --wait --quota --level --header --user --password --http-user --http-password --post-data --post-file --body-data --body-file --method --load-cookies --save-cookies --input-file --base --referer".split(
    " ",
  ),
);
/** Options that send the request somewhere else than the URL says, or read more URLs from a file. */
const REDIRECTING = new Set([
  "-x",
  "--proxy",
  "--preproxy",
  "--socks4",
  "--socks4a",
  "--socks5",
  "--socks5-hostname",
  "--resolve",
  "--connect-to",
  "-K",
  "--config",
  "--location-trusted",
  "--unix-socket",
  "--abstract-unix-socket",
  "-i",
  "--input-file",
  "-e",
  "--execute",
  "--next",
  "-:",
]);
const HTTP_METHODS = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/;

export const URL_TOOLS = new Set(["curl", "wget", "http", "https", "xh", "xhs", "gh"]);

export type Hosts = { ok: true; hosts: string[] } | { ok: false; why: string };

/** Short curl options that take a value (the rest of a cluster, or the next word). */
const CURL_SHORT_VALUE = new Set("A b c C d D e E F H K m o P Q r T t u U w x X y Y z".split(" "));
const WGET_SHORT_VALUE = new Set("O o a e U P t T w Q l A R D I X i B".split(" "));
/** Options that could send the request, or what it carries, to another host than its URL names. */
const CURL_REFUSED = new Set([
  "--alt-svc",
  "--variable",
  "--expand-url",
  "--expand-header",
  "--expand-data",
  "--doh-url",
  "--proxy-header",
  "--haproxy-clientip",
  "--socks5-gssapi-service",
  "--ipfs-gateway",
  "--ftp-port",
  "-P",
]);
/** Variables that move a request elsewhere or read options from elsewhere (curl, wget, httpie, xh, gh). */
export const ROUTING_ENV =
  /^(https?_proxy|all_proxy|ftp_proxy|no_proxy|socks_proxy|HTTPS?_PROXY|ALL_PROXY|FTP_PROXY|NO_PROXY|SOCKS_PROXY|CURL_HOME|CURL_CA_BUNDLE|WGETRC|SYSTEM_WGETRC|HTTPIE_CONFIG_DIR|XH_CONFIG_DIR|XDG_CONFIG_HOME|GH_ENTERPRISE_TOKEN|GH_CONFIG_DIR|SSLKEYLOGFILE|HOME)=/;
/**
 * A URL both WHATWG and curl's parser read the same way: scheme http(s) (or none), a host of
 * letters, digits, dots and dashes (or a dotted IPv4), an optional port, then a path without
 * backslashes, whitespace, braces or brackets (curl globbing), and no user info.
 */
const PLAIN_URL =
  /^(?:(https?):\/\/)?([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?(?:[/?#][^\s\\{}[\]@]*)?$/;

function hostOf(url: string, defaultScheme: string): string | undefined {
  // Parser differences (WHATWG vs curl: `\\`, `@`, globbing, odd schemes) are refused, not guessed.
  const m = PLAIN_URL.exec(url);
  if (!m) return undefined;
  const withScheme = m[1] ? url : `${defaultScheme}${url}`;
  try {
    const u = new URL(withScheme);
    if (u.username || u.password) return undefined;
    if (u.hostname.toLowerCase() !== m[2]!.toLowerCase()) return undefined;
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return undefined;
  }
}

/** The options of a curl or wget argv, clusters split (`-sSLx` = -s -S -L -x), with their values. */
function optionsOf(
  program: string,
  args: readonly ProgramInfo["args"][number][],
):
  | {
      flags: Array<{ flag: string; value: string | undefined; at: number }>;
      operands: Array<{ value: string | undefined; at: number }>;
    }
  | string {
  const shortValue = program === "wget" ? WGET_SHORT_VALUE : CURL_SHORT_VALUE;
  const longValue = program === "wget" ? WGET_VALUE_FLAGS : CURL_VALUE_FLAGS;
  const flags: Array<{ flag: string; value: string | undefined; at: number }> = [];
  const operands: Array<{ value: string | undefined; at: number }> = [];
  let end = false;
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value;
    if (end || v === undefined || !v.startsWith("-") || v === "-") {
      operands.push({ value: v, at: i });
      continue;
    }
    if (v === "--") {
      end = true;
      continue;
    }
    if (v.startsWith("--")) {
      const eq = v.indexOf("=");
      const flag = eq === -1 ? v : v.slice(0, eq);
      if (eq !== -1) flags.push({ flag, value: v.slice(eq + 1), at: i });
      else if (longValue.has(flag)) flags.push({ flag, value: args[++i]?.value, at: i });
      else flags.push({ flag, value: undefined, at: i });
      continue;
    }
    for (let k = 1; k < v.length; k++) {
      const c = v[k]!;
      if (!/[A-Za-z0-9:#]/.test(c)) return `the option cluster "${v}" is not plain letters`;
      if (shortValue.has(c)) {
        const rest = v.slice(k + 1);
        flags.push({ flag: `-${c}`, value: rest !== "" ? rest : args[++i]?.value, at: i });
        break;
      }
      flags.push({ flag: `-${c}`, value: undefined, at: i });
    }
  }
  return { flags, operands };
}

/** Destination hosts of a URL-taking command, from its static argv; refuses what it cannot see. */
export function destinationHosts(info: ProgramInfo): Hosts {
  const program = info.program ?? "";
  const args = info.args;
  const hosts: string[] = [];
  for (const a of info.assignments) {
    const text = a.value ?? a.shape;
    if (ROUTING_ENV.test(text))
      return {
        ok: false,
        why: `\`${text.split("=")[0]}=\` can send the request elsewhere or load options from elsewhere`,
      };
  }
  if (program === "gh") {
    if (args[0]?.value !== "api")
      return { ok: false, why: "only `gh api` has a checkable destination" };
    let host = "github.com";
    for (let i = 1; i < args.length; i++) {
      const v = args[i]!.value;
      if (v === "--hostname") host = args[i + 1]?.value ?? "";
      else if (v?.startsWith("--hostname=")) host = v.slice(11);
      // `gh api https://host/…` names its own host.
      else if (
        v !== undefined &&
        /^[a-z]+:/i.test(v) &&
        args[i - 1]?.value !== "-H" &&
        args[i - 1]?.value !== "--header"
      )
        return {
          ok: false,
          why: "`gh api` with a full URL is not checked; give the path and --hostname",
        };
    }
    for (const a of info.assignments) if (a.value?.startsWith("GH_HOST=")) host = a.value.slice(8);
    if (!host || !/^[A-Za-z0-9.-]+(:\d+)?$/.test(host))
      return { ok: false, why: "the --hostname of `gh api` is not a plain host name" };
    return { ok: true, hosts: [host === "github.com" ? "api.github.com" : host] };
  }
  if (program === "http" || program === "https" || program === "xh" || program === "xhs") {
    let positional = 0;
    for (let i = 0; i < args.length; i++) {
      const v = args[i]!.value;
      if (v !== undefined && v.startsWith("-")) {
        if (
          /^--(proxy|session|session-read-only|unix-socket|offline)/.test(v) ||
          v === "--follow" ||
          v === "-F" ||
          /^-[a-zA-Z]*F/.test(v)
        )
          return {
            ok: false,
            why: `\`${v.split("=")[0]}\` can send the request, or what it carries, elsewhere`,
          };
        continue;
      }
      if (positional === 0 && v !== undefined && HTTP_METHODS.test(v)) continue;
      positional++;
      if (positional > 1) break;
      if (v === undefined) return { ok: false, why: "the URL is not a fixed word" };
      const h = hostOf(v, program.endsWith("s") ? "https://" : "http://");
      if (!h)
        return {
          ok: false,
          why: `"${v}" is not a plain http(s) URL both parsers read the same way`,
        };
      hosts.push(h);
    }
    if (hosts.length === 0) return { ok: false, why: "no URL found" };
    return { ok: true, hosts };
  }
  if (program !== "curl" && program !== "wget")
    return { ok: false, why: `\`${program}\` has no destination hookpack can check` };
  const parsed = optionsOf(program, args);
  if (typeof parsed === "string") return { ok: false, why: parsed };
  for (const f of parsed.flags) {
    if (
      REDIRECTING.has(f.flag) ||
      (program === "curl" && CURL_REFUSED.has(f.flag)) ||
      (program === "wget" && /^--(config|use-askpass|input-file|base|execute)$/.test(f.flag))
    ) {
      return { ok: false, why: `\`${f.flag}\` can send the request to another host` };
    }
    if (f.flag === "--url") {
      const h = f.value === undefined ? undefined : hostOf(f.value, "http://");
      if (!h)
        return {
          ok: false,
          why: "a --url is not a plain http(s) URL both parsers read the same way",
        };
      hosts.push(h);
    }
  }
  for (const o of parsed.operands) {
    if (o.value === undefined)
      return { ok: false, why: "an argument that may be a URL is not a fixed word" };
    const h = hostOf(o.value, "http://");
    if (!h)
      return {
        ok: false,
        why: `"${o.value}" is not a plain http(s) URL both parsers read the same way`,
      };
    hosts.push(h);
  }
  if (hosts.length === 0) return { ok: false, why: "no URL found" };
  return { ok: true, hosts };
}

/**
 * With redirects followed, where may the value go? curl drops `Authorization:`/`Cookie:` headers
 * and `-u` credentials when a redirect leaves the host, and re-sends everything else (other
 * headers, the body on 307/308, the URL's own query). wget follows redirects by default.
 */
export function redirectProblem(
  info: ProgramInfo,
  refWord: ProgramInfo["args"][number] | undefined,
  via: string,
): string | undefined {
  const program = info.program ?? "";
  if (program !== "curl" && program !== "wget") return undefined;
  const parsed = optionsOf(program, info.args);
  if (typeof parsed === "string") return parsed;
  const follows =
    program === "wget"
      ? !parsed.flags.some((f) => f.flag === "--max-redirect" && f.value === "0")
      : parsed.flags.some((f) => f.flag === "-L" || f.flag === "--location");
  if (!follows) return undefined;
  const at = refWord ? info.args.indexOf(refWord) : -1;
  const holder = parsed.flags.find((f) => f.at === at);
  const dropped =
    program === "curl" &&
    via === "argument" &&
    holder !== undefined &&
    (((holder.flag === "-H" || holder.flag === "--header") &&
      /^\s*(authorization|cookie)\s*:/i.test(refWord?.shape ?? "")) ||
      holder.flag === "-u" ||
      holder.flag === "--user" ||
      holder.flag === "--oauth2-bearer");
  if (dropped) return undefined;
  return program === "wget"
    ? "wget follows redirects, and would carry it to whatever host a redirect names; add --max-redirect=0"
    : "with --location, curl re-sends it to whatever host a redirect names; drop -L, or pass it only in an `Authorization:` or `Cookie:` header or with -u, which curl drops when a redirect leaves the host";
}

export function hostMatches(host: string, pattern: string): boolean {
  const [hName = "", hPort] = splitPort(host.toLowerCase());
  const [pName = "", pPort] = splitPort(pattern.toLowerCase());
  if (pPort !== undefined && pPort !== hPort) return false;
  if (pName.startsWith("*."))
    return hName.endsWith(pName.slice(1)) && hName.length > pName.length - 1;
  return hName === pName;
}

function splitPort(h: string): [string, string | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(h.startsWith("[") ? h.replace(/^\[([^\]]+)\]/, "$1") : h);
  return [m?.[1] ?? h, m?.[2]];
}

export type Match = { ok: true } | { ok: false; reason: string };

/** Is this use of a secret allowed by its policy entry? */
export function matchUse(entry: SecretPolicy, use: RefUse): Match {
  if (entry.commands === undefined) return { ok: true };
  const program = use.info.program;
  if (!program) return { ok: false, reason: "the program is not a fixed word" };
  // The policy names programs; a path (`./curl`, `/tmp/x/curl`) could be any file of that name.
  if (use.info.head?.value?.includes("/"))
    return {
      ok: false,
      reason: `the program is given as a path (\`${use.info.head.value}\`); write its name (\`${program}\`) so it is found on PATH`,
    };
  if (use.info.wrappers.some((w) => w === "sudo" || w === "doas" || w === "xargs"))
    return { ok: false, reason: `it goes through \`${use.info.wrappers.join(" ")}\`` };
  const candidates = entry.commands.filter((c) => c.program === basename(program));
  if (candidates.length === 0)
    return {
      ok: false,
      reason: `\`${program}\` is not among its allowed commands (${entry.commands.map((c) => c.program).join(", ") || "none"})`,
    };
  let why = "";
  for (const c of candidates) {
    if (c.args && !c.args.every((a, i) => use.info.args[i]?.value === a)) {
      why = `\`${program}\` is allowed only as \`${[program, ...c.args].join(" ")}\``;
      continue;
    }
    if (c.hosts) {
      const hosts = destinationHosts(use.info);
      const refWord = use.info.args.find((w) => w.start <= use.site.start && use.site.end <= w.end);
      const redirect = hosts.ok ? redirectProblem(use.info, refWord, use.via) : undefined;
      if (redirect) {
        why = `its destination host cannot be held: ${redirect}`;
        continue;
      }
      if (!hosts.ok) {
        why = `its destination host cannot be checked: ${hosts.why}`;
        continue;
      }
      const bad = hosts.hosts.filter((h) => !c.hosts!.some((p) => hostMatches(h, p)));
      if (bad.length > 0) {
        why = `\`${program}\` may send it only to ${c.hosts.join(", ")}, not ${bad.join(", ")}`;
        continue;
      }
    }
    return { ok: true };
  }
  return { ok: false, reason: why };
}
