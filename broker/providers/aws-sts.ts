// AWS STS as a capability provider (Query API version 2011-06-15; IAM 2010-05-08; SigV4 signed
// with node:crypto, no AWS SDK: aws-sigv4.ts):
//   mint    AssumeRole on the capability's role with a session policy that narrows it (the
//           capability's "actions"/"resources", or its "policy"), RoleSessionName
//           hp.<expiry>.<agent>.<grant id>.<random> (STS charset, ≤ 64 chars) and DurationSeconds from
//           the capability's TTL, clamped to STS's minimum of 900 s (and maximum of 43200 s). Base
//           credentials: a key pair from hookpack's store/env/file, the user's AWS profile
//           (~/.aws/credentials and ~/.aws/config, AWS_PROFILE), or web identity
//           (AssumeRoleWithWebIdentity with a token file). Delivered fields: accessKeyId,
//           secretAccessKey, sessionToken (secret), expiration and assumedRoleArn (public).
//   revoke  STS cannot revoke one session. hookpack puts (iam:PutRolePolicy, with the base or the
//           "revokeCredentials" keys) an inline policy on the ROLE that denies everything to the
//           sessions it lists: aws:userid "*:<session name>" AND aws:TokenIssueTime DateLessThan
//           the revoke time, the documented "revoke active sessions" pattern narrowed to this
//           session. Entries are pruned once their session's own expiry has passed. If the deny
//           cannot be put (no iam:PutRolePolicy, web identity without revoke credentials,
//           "revoke": "none"), revoke fails LOUDLY with TtlOnlyError: the lease ends
//           "expires_at_ttl_only" and is never claimed revoked.
//   verify  reads the deny policy back (the session must be listed), then calls the capability's
//           "probe" action with the minted credentials and expects AccessDenied (or an expired /
//           invalid token). sts:GetCallerIdentity is no probe: AWS answers it even under an explicit
//           Deny. Without a probe, verify says "unknown".
// Tested against moto 5.2.4's server with IAM auth on (test/helpers/moto.ts): moto enforces role
// policies and Deny, but NOT session policies, conditions or expiry (see README).
import { createHash, randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { HookpackError } from "../../core/errors.js";
import { LEASES_DIR } from "../../core/files.js";
import type { AwsCredentialSource, StsProvider } from "../../rules/policy.js";
import {
  resolveSource,
  TtlOnlyError,
  type Lease,
  type LeaseProvider,
  type ProviderContext,
} from "../lease-provider.js";
import { readAwsProfile } from "./aws-profile.js";
import { awsQuery, xmlText, type AwsCredentials, type QueryReply } from "./aws-sigv4.js";

/** STS's shortest session. A shorter capability TTL is still ended by hookpack at its own TTL. */
export const STS_MIN_DURATION_S = 900;
export const STS_MAX_DURATION_S = 43_200;
/** The inline role policy that lists revoked sessions. */
export const DENY_POLICY_NAME = "hookpack-revoked-sessions";
/** An entry stays in the deny list this long past its session's expiry (clock skew). */
const PRUNE_SKEW_S = 300;
/** IAM's limit for all inline policies of a role together is 10,240 characters. */
const MAX_DENY_ENTRIES = 150;
/** AWS limits a session policy to 2,048 characters (packed). */
const MAX_SESSION_POLICY = 2048;

const failed = (
  what: string,
  hint = "check the role, the base credentials and the endpoint named in hookpack.json.",
) => new HookpackError("LEASE_MINT_FAILED", `hookpack: AWS STS ${what}.`, hint);

/**
 * Signed requests (and a base session token) go only to AWS (https, *.amazonaws.com[.cn],
 * *.api.aws: regional, FIPS and VPC endpoints) or to this machine (a local emulator). Checked at
 * every use, also for a lease record read back from disk, which hookpack's policy check never saw.
 */
export function allowedEndpoint(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    u = new URL("invalid://x");
  }
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const aws =
    u.protocol === "https:" && /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/.test(host);
  const local =
    (u.protocol === "http:" || u.protocol === "https:") &&
    (/^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || host === "localhost");
  if ((!aws && !local) || u.username || u.password)
    throw failed(
      `endpoint ${u.protocol}//${u.host} is neither an AWS endpoint (https://…amazonaws.com) nor this machine, so hookpack sends it no signed request`,
      'fix "endpoint"/"iamEndpoint" in hookpack.json.',
    );
  return url;
}
export function stsEndpoint(spec: StsProvider): string {
  return allowedEndpoint(spec.endpoint ?? `https://sts.${spec.region}.amazonaws.com`);
}
export function iamEndpoint(spec: StsProvider): string {
  return allowedEndpoint(spec.iamEndpoint ?? spec.endpoint ?? "https://iam.amazonaws.com");
}
/** IAM is a global service, signed for us-east-1 (for a local endpoint: the STS region). */
const iamRegion = (spec: StsProvider) =>
  spec.iamEndpoint || spec.endpoint ? spec.region : "us-east-1";
export const roleName = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

/** The session duration STS is asked for: the capability's TTL in whole seconds, within STS's limits. */
export function sessionDuration(ttlMs: number): number {
  return Math.min(STS_MAX_DURATION_S, Math.max(STS_MIN_DURATION_S, Math.ceil(ttlMs / 1000)));
}

/**
 * RoleSessionName: hp.<expiry, epoch seconds base 36>.<agent>.<grant id>.<random>. STS allows
 * [\w+=,.@-]{2,64}; the expiry in the name lets any hookpack process prune the deny list.
 */
export function sessionName(
  agent: string | undefined,
  grantId: string,
  expiresAtS: number,
): string {
  const clean = (s: string, n: number) => s.replace(/[^\w+=,@-]/g, "-").slice(0, n);
  const name = `hp.${expiresAtS.toString(36)}.${clean(agent ?? "agent", 16)}.${clean(grantId, 30)}.${randomBytes(3).toString("hex")}`;
  return name.slice(0, 64);
}

const expiryOfName = (name: string): number | undefined => {
  const m = /^hp\.([0-9a-z]+)\./.exec(name);
  return m ? parseInt(m[1]!, 36) : undefined;
};

/** The session policy document (value-free) that narrows the role for one call. */
export function sessionPolicy(spec: StsProvider): string {
  if (spec.policy) return JSON.stringify(spec.policy);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: spec.actions ?? [],
        Resource: spec.resources && spec.resources.length > 0 ? spec.resources : "*",
      },
    ],
  });
}

/** The role's deny policy listing revoked sessions (aws:userid of an assumed role is "<role id>:<session name>"). */
export function denyPolicy(sessions: readonly string[], revokedAt: Date): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "HookpackRevokedSessions",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: {
          StringLike: { "aws:userid": sessions.map((s) => `*:${s}`) },
          DateLessThan: { "aws:TokenIssueTime": revokedAt.toISOString().replace(/\.\d+Z$/, "Z") },
        },
      },
    ],
  });
}

/** The session names a deny policy document lists. */
export function deniedSessions(doc: string): string[] {
  try {
    const d = JSON.parse(doc) as {
      Statement?: Array<{ Condition?: { StringLike?: Record<string, string | string[]> } }>;
    };
    const v = d.Statement?.[0]?.Condition?.StringLike?.["aws:userid"];
    return (Array.isArray(v) ? v : v ? [v] : []).map((s) => s.replace(/^\*:/, ""));
  } catch {
    return [];
  }
}

/** An AWS error, first sentence only, with any credential part masked (SignatureDoesNotMatch can quote the canonical request). */
function why(reply: QueryReply, secrets: readonly string[]): string {
  let msg = (reply.message ?? "").split(/\.\s/)[0]!.slice(0, 160);
  if (reply.code === "SignatureDoesNotMatch") msg = "the request signature does not match";
  for (const s of secrets) if (s.length >= 4) msg = msg.split(s).join("[REDACTED]");
  return `HTTP ${reply.status}${reply.code ? ` ${reply.code}` : ""}${msg ? `: ${msg}` : ""}`;
}

async function query(opts: Parameters<typeof awsQuery>[0], what: string): Promise<QueryReply> {
  try {
    return await awsQuery(opts);
  } catch (error) {
    throw failed(
      `${what}: ${opts.endpoint} is not reachable (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name})`,
      'check the network, or the "endpoint" in hookpack.json.',
    );
  }
}

async function credentialsFrom(
  source: Exclude<AwsCredentialSource, { webIdentity: unknown }>,
  ctx: ProviderContext,
  what: string,
): Promise<AwsCredentials> {
  if ("profile" in source) {
    const r = readAwsProfile(ctx.env, source.profile === true ? undefined : source.profile);
    if (!r.credentials)
      throw failed(
        `has no ${what}: ${r.why}`,
        "run `aws configure` for that profile, or name another one in hookpack.json.",
      );
    return r.credentials;
  }
  return {
    accessKeyId: await resolveSource(source.accessKeyId, `the AWS access key id (${what})`, ctx),
    secretAccessKey: await resolveSource(
      source.secretAccessKey,
      `the AWS secret access key (${what})`,
      ctx,
    ),
    ...(source.sessionToken
      ? {
          sessionToken: await resolveSource(
            source.sessionToken,
            `the AWS session token (${what})`,
            ctx,
          ),
        }
      : {}),
  };
}

const mint: LeaseProvider["mint"] = async (cap, grant, ctx) => {
  const spec = cap.provider as StsProvider;
  const duration = sessionDuration(grant.ttlMs);
  const policy = sessionPolicy(spec);
  if (policy.length > MAX_SESSION_POLICY)
    throw failed(
      `session policy for ${cap.name} is ${policy.length} characters; AWS allows ${MAX_SESSION_POLICY}`,
      'shorten "actions"/"resources" (wildcards) or the "policy" in hookpack.json.',
    );
  const name = sessionName(grant.agent, grant.id, Math.floor(Date.now() / 1000) + duration);
  const params: Record<string, string> = {
    RoleArn: spec.roleArn,
    RoleSessionName: name,
    DurationSeconds: String(duration),
    Policy: policy,
    ...(spec.externalId ? { ExternalId: spec.externalId } : {}),
  };
  let reply: QueryReply;
  let secrets: string[] = [];
  if ("webIdentity" in spec.credentials) {
    const token = await resolveSource(
      spec.credentials.webIdentity.token,
      "the web identity token",
      ctx,
    );
    secrets = [token];
    reply = await query(
      {
        endpoint: stsEndpoint(spec),
        region: spec.region,
        service: "sts",
        action: "AssumeRoleWithWebIdentity",
        params: { ...params, WebIdentityToken: token },
        credentials: undefined,
      },
      `AssumeRoleWithWebIdentity on ${spec.roleArn}`,
    );
  } else {
    const base = await credentialsFrom(spec.credentials, ctx, "base credentials");
    secrets = [base.secretAccessKey, base.sessionToken ?? ""];
    reply = await query(
      {
        endpoint: stsEndpoint(spec),
        region: spec.region,
        service: "sts",
        action: "AssumeRole",
        params,
        credentials: base,
      },
      `AssumeRole on ${spec.roleArn}`,
    );
  }
  const accessKeyId = xmlText(reply.body, "AccessKeyId");
  const secretAccessKey = xmlText(reply.body, "SecretAccessKey");
  const sessionToken = xmlText(reply.body, "SessionToken");
  const expiration = xmlText(reply.body, "Expiration") ?? "";
  if (reply.status !== 200 || !accessKeyId || !secretAccessKey || !sessionToken)
    throw failed(`refused to assume ${spec.roleArn} for ${cap.name} (${why(reply, secrets)})`);
  return {
    fields: {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration,
      assumedRoleArn: xmlText(reply.body, "Arn") ?? "",
    },
    handle: {
      roleArn: spec.roleArn,
      sessionName: name,
      durationSeconds: String(duration),
      ...(expiration ? { stsExpiration: expiration } : {}),
    },
    secretHandle: { accessKeyId, secretAccessKey, sessionToken },
    public: ["expiration", "assumedRoleArn"],
    // Not minted.expiresAt: hookpack ends the lease at the capability's own TTL (which may be
    // shorter than STS's 900 s minimum) by putting the deny.
    revocable: true,
  };
};

async function revokeCredentials(
  spec: StsProvider,
  ctx: ProviderContext,
): Promise<AwsCredentials | string> {
  if (spec.revoke === "none")
    return '"revoke" is "none" in hookpack.json, so hookpack does not put a deny on the role';
  const source = spec.revokeCredentials ?? spec.credentials;
  if ("webIdentity" in source)
    return 'the base credentials are a web identity and there are no "revokeCredentials" with iam:PutRolePolicy';
  return credentialsFrom(source, ctx, "credentials for iam:PutRolePolicy");
}

const ttlOnly = (lease: Lease, reason: string) =>
  new TtlOnlyError(
    `expires_at_ttl_only: ${reason}; STS cannot revoke one session, so its credentials stay valid until ${lease.handle.stsExpiration ?? "their STS expiry"}`,
    lease.handle.stsExpiration,
  );

/** "HTTP 403 AccessDenied" without the message (which names the caller's ARN at length). */
const brief = (reply: QueryReply) => `HTTP ${reply.status}${reply.code ? ` ${reply.code}` : ""}`;

async function readDeny(
  spec: StsProvider,
  creds: AwsCredentials,
): Promise<{ reply: QueryReply; sessions: string[] }> {
  const reply = await query(
    {
      endpoint: iamEndpoint(spec),
      region: iamRegion(spec),
      service: "iam",
      action: "GetRolePolicy",
      params: { RoleName: roleName(spec.roleArn), PolicyName: DENY_POLICY_NAME },
      credentials: creds,
    },
    "GetRolePolicy",
  );
  const doc = reply.status === 200 ? xmlText(reply.body, "PolicyDocument") : undefined;
  return { reply, sessions: doc ? deniedSessions(decodeURIComponent(doc)) : [] };
}

/**
 * The deny list is read-modify-write: hookpack processes of this user (one $HOOKPACK_HOME) take a
 * lock file per role around it, so none overwrites another's entry. Writers elsewhere (another
 * machine) are caught only by the read-back. A lock older than 30 s is taken as stale.
 */
async function withRoleLock<T>(home: string, roleArn: string, fn: () => Promise<T>): Promise<T> {
  const dir = join(home, LEASES_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(
    dir,
    `sts-${createHash("sha256").update(roleArn).digest("hex").slice(0, 16)}.lock`,
  );
  const start = Date.now();
  for (;;) {
    try {
      closeSync(openSync(path, "wx", 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(path).mtimeMs > 30_000) rmSync(path, { force: true });
      } catch {
        // released meanwhile
      }
      if (Date.now() - start > 20_000)
        throw new Error(`another hookpack process holds ${path} for more than 20 s`);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

const revoke: LeaseProvider["revoke"] = async (lease, ctx, _secret) => {
  const spec = lease.spec as StsProvider;
  const session = lease.handle.sessionName!;
  const expiry = expiryOfName(session);
  if (expiry !== undefined && expiry * 1000 < Date.now()) return; // STS ended it already
  const creds = await revokeCredentials(spec, ctx);
  if (typeof creds === "string") throw ttlOnly(lease, creds);
  const secrets = [creds.secretAccessKey, creds.sessionToken ?? ""];
  const role = roleName(spec.roleArn);
  const denyThis = async (): Promise<void> => {
    for (let attempt = 0; attempt < 6; attempt++) {
      // Jitter after a lost race, so concurrent writers on one role do not collide again.
      if (attempt > 0) await new Promise((r) => setTimeout(r, 20 + Math.random() * 80 * attempt));
      const current = await readDeny(spec, creds);
      if (current.reply.status !== 200 && current.reply.code !== "NoSuchEntity")
        throw current.reply.code === "AccessDenied"
          ? ttlOnly(lease, `iam:GetRolePolicy on role ${role} was denied (${brief(current.reply)})`)
          : new Error(`IAM GetRolePolicy on role ${role} failed (${why(current.reply, secrets)})`);
      if (current.sessions.includes(session)) return;
      const now = Math.floor(Date.now() / 1000);
      const keep = current.sessions.filter(
        (s) => (expiryOfName(s) ?? Infinity) + PRUNE_SKEW_S > now,
      );
      if (keep.length >= MAX_DENY_ENTRIES)
        throw ttlOnly(
          lease,
          `the deny list on role ${role} already holds ${keep.length} unexpired sessions (IAM limits a role's inline policies to 10,240 characters)`,
        );
      const put = await query(
        {
          endpoint: iamEndpoint(spec),
          region: iamRegion(spec),
          service: "iam",
          action: "PutRolePolicy",
          params: {
            RoleName: role,
            PolicyName: DENY_POLICY_NAME,
            PolicyDocument: denyPolicy([...keep, session], new Date()),
          },
          credentials: creds,
        },
        "PutRolePolicy",
      );
      if (put.status !== 200)
        throw put.code === "AccessDenied"
          ? ttlOnly(lease, `iam:PutRolePolicy on role ${role} was denied (${brief(put)})`)
          : new Error(`IAM PutRolePolicy on role ${role} failed (${why(put, secrets)})`);
      // Read back: another hookpack process may have written the list at the same time.
      if ((await readDeny(spec, creds)).sessions.includes(session)) return;
    }
    throw new Error(
      `the deny for session ${session} on role ${role} was overwritten six times by concurrent writers`,
    );
  };
  await withRoleLock(ctx.home, spec.roleArn, denyThis);
};

const verify: LeaseProvider["verify"] = async (lease, ctx, secret) => {
  const spec = lease.spec as StsProvider;
  const creds = await revokeCredentials(spec, ctx);
  if (typeof creds === "string") return "unknown";
  if (!(await readDeny(spec, creds)).sessions.includes(lease.handle.sessionName!)) return "active";
  if (!spec.probe || !secret?.sessionToken) return "unknown";
  const [service, action] = spec.probe.action.split(":") as ["sts" | "iam", string];
  const reply = await query(
    {
      endpoint: service === "iam" ? iamEndpoint(spec) : stsEndpoint(spec),
      region: service === "iam" ? iamRegion(spec) : spec.region,
      service,
      action,
      params: spec.probe.params ?? {},
      credentials: {
        accessKeyId: secret.accessKeyId!,
        secretAccessKey: secret.secretAccessKey!,
        sessionToken: secret.sessionToken,
      },
    },
    `the probe ${spec.probe.action}`,
  );
  if (reply.status === 200) return "active";
  if (
    reply.code === "AccessDenied" ||
    reply.code === "ExpiredToken" ||
    reply.code === "InvalidClientTokenId"
  )
    return "revoked";
  return "unknown";
};

export const stsProvider: LeaseProvider = { mint, revoke, verify };
