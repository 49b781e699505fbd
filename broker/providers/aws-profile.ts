// The user's AWS profile as the base credentials of the STS provider: the shared credentials file
// (~/.aws/credentials, or AWS_SHARED_CREDENTIALS_FILE) and the config file (~/.aws/config, or
// AWS_CONFIG_FILE), INI as the AWS CLI writes them: "[name]" sections in the credentials file,
// "[profile name]" (and "[default]") in the config file; "key = value" lines; "#" and ";"
// comments; indented lines continue a nested block (skipped). The profile is the one named in
// hookpack.json, else AWS_PROFILE, else "default". Only static keys are read (aws_access_key_id,
// aws_secret_access_key, aws_session_token); SSO, credential_process and role chaining are not.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { AwsCredentials } from "./aws-sigv4.js";

export type Ini = Map<string, Map<string, string>>;

/** Parses AWS-style INI text. Later duplicate keys win, as in the AWS CLI. */
export function parseIni(text: string): Ini {
  const out: Ini = new Map();
  let section: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;].*)?$/.test(raw)) continue;
    const head = /^\s*\[\s*([^\]]+?)\s*\]\s*([#;].*)?$/.exec(raw);
    if (head) {
      const name = head[1]!.replace(/\s+/g, " ");
      section = out.get(name) ?? new Map();
      out.set(name, section);
      continue;
    }
    if (/^\s/.test(raw)) continue; // a nested sub-block (e.g. s3 =\n  max_concurrent_requests = …)
    const kv = /^([^=]+?)\s*=\s*(.*?)\s*$/.exec(raw);
    if (kv && section) section.set(kv[1]!.trim().toLowerCase(), kv[2]!.replace(/\s+[#;].*$/, ""));
  }
  return out;
}

function readIni(path: string): Ini | undefined {
  try {
    return parseIni(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

export interface ProfileResult {
  credentials?: AwsCredentials;
  region?: string;
  /** Why no credentials were found (value-free). */
  why?: string;
}

/** Reads one profile's static keys (and region) from the AWS shared files. */
export function readAwsProfile(env: NodeJS.ProcessEnv, name?: string): ProfileResult {
  const home = env.HOME || homedir();
  const profile = name ?? env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? "default";
  const credPath = env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials");
  const confPath = env.AWS_CONFIG_FILE || join(home, ".aws", "config");
  const creds = readIni(credPath);
  const conf = readIni(confPath);
  const fromCreds = creds?.get(profile);
  const fromConf = conf?.get(profile === "default" ? "default" : `profile ${profile}`);
  const pick = (k: string) => fromCreds?.get(k) || fromConf?.get(k) || undefined;
  const region = fromConf?.get("region") || undefined;
  const id = pick("aws_access_key_id");
  const secret = pick("aws_secret_access_key");
  if (!id || !secret) {
    const other = fromConf?.get("sso_session")
      ? "it uses SSO"
      : fromConf?.get("credential_process")
        ? "it uses credential_process"
        : fromConf?.get("role_arn")
          ? "it assumes a role itself"
          : undefined;
    return {
      region,
      why:
        !fromCreds && !fromConf
          ? `AWS profile "${profile}" is not in ${credPath} or ${confPath}`
          : `AWS profile "${profile}" has no aws_access_key_id and aws_secret_access_key${other ? ` (${other}, which hookpack does not read)` : ""}`,
    };
  }
  const token = pick("aws_session_token");
  return {
    credentials: {
      accessKeyId: id,
      secretAccessKey: secret,
      ...(token ? { sessionToken: token } : {}),
    },
    region,
  };
}
