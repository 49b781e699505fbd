// Where the broker's proxy puts a secret's value in an outbound HTTPS request (policy `inject`),
// and which hosts may receive it. Pure data and matching: the policy (rules/policy.ts) normalises it,
// the broker's proxy (broker/proxy.ts) applies it.

/** The normalised `inject` entry of one secret in hookpack.json. */
export interface InjectSpec {
  /** Host patterns as in `commands[].hosts`: "api.example.com", "*.example.com", "host:8443". */
  hosts: string[];
  to:
    | { kind: "header"; name: string; format: string }
    | { kind: "basic"; username: string }
    | { kind: "query"; name: string };
}

export const DEFAULT_INJECT_HEADER = "Authorization";
export const DEFAULT_INJECT_FORMAT = "Bearer {value}";

/** From the validated policy JSON (`inject: { hosts, header?, format?, basic?, query? }`). */
export function normaliseInject(raw: {
  hosts: string[];
  header?: string;
  format?: string;
  basic?: { username?: string };
  query?: string;
}): InjectSpec {
  const hosts = raw.hosts.map((h) => h.toLowerCase());
  if (raw.basic) return { hosts, to: { kind: "basic", username: raw.basic.username ?? "" } };
  if (raw.query) return { hosts, to: { kind: "query", name: raw.query } };
  return {
    hosts,
    to: {
      kind: "header",
      name: raw.header ?? DEFAULT_INJECT_HEADER,
      format: raw.format ?? DEFAULT_INJECT_FORMAT,
    },
  };
}

/** Does `host` (no brackets for IPv6) on `port` match one of the patterns? Without :port a pattern means 443. */
export function hostAllowed(patterns: readonly string[], host: string, port: number): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  for (const raw of patterns) {
    const m = raw.startsWith("[")
      ? /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(raw)
      : /^([^:]+)(?::(\d{1,5}))?$/.exec(raw);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    const p = m[2] ? Number(m[2]) : 443;
    if (p !== port) continue;
    if (
      name.startsWith("*.") ? h.endsWith(name.slice(1)) && h.length > name.length - 1 : h === name
    )
      return true;
  }
  return false;
}
