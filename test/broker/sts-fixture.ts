// Shared setup for the AWS STS capability tests: moto's server with IAM auth on (a real local
// STS/IAM endpoint, test/helpers/moto.ts), a real AWS SDK as the brokered command (`awsq`: boto3
// from the same Debian packages, reading AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN
// from its environment), and a sandboxed project whose hookpack.json declares STS capabilities.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { xmlText, type AwsCredentials } from "../../broker/providers/aws-sigv4.js";
import { MOTO_SKIP, PYTHON_ENV, startMoto, type Moto } from "../helpers/moto.js";
import { projectWith, type Project } from "./lease-fixture.js";

export { MOTO_SKIP };

export function skipWithoutMoto(ctx: { skip: (note?: string) => never }): void {
  if (MOTO_SKIP) ctx.skip(MOTO_SKIP);
}

export interface StsWorld {
  moto: Moto;
  /** A directory with `awsq` for PATH. */
  bin: string;
  /** A fresh role (moto ignores policy conditions, so a revoke deny hits every session of a role: one role per test). */
  role(actions?: string[], trusted?: string[]): Promise<string>;
  close(): void;
}

// `awsq SERVICE OP[,OP…]`: calls each operation with boto3 and prints "OK op" or "ERR op Code".
const AWSQ = `import os, sys, boto3, botocore
svc, ops = sys.argv[1], sys.argv[2].split(",")
c = boto3.client(svc, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1"))
if os.environ.get("AWS_CREDENTIAL_EXPIRATION"):
    print("EXP", os.environ["AWS_CREDENTIAL_EXPIRATION"])
for op in ops:
    try:
        r = getattr(c, op)()
        print("OK", op, r.get("Arn", ""))
    except botocore.exceptions.ClientError as e:
        print("ERR", op, e.response["Error"]["Code"])
    except botocore.exceptions.NoCredentialsError:
        print("ERR", op, "NoCredentials")
`;

let roles = 0;

export async function startStsWorld(): Promise<StsWorld> {
  const moto = await startMoto();
  const bin = mkdtempSync(join(tmpdir(), "hookpack-awsbin-"));
  writeFileSync(join(bin, "awsq.py"), AWSQ);
  writeFileSync(
    join(bin, "awsq"),
    `#!/bin/sh\nPYTHONPATH='${PYTHON_ENV.pythonPath}' exec '${PYTHON_ENV.python}' '${join(bin, "awsq.py")}' "$@"\n`,
  );
  chmodSync(join(bin, "awsq"), 0o755);
  // `awsq-slow …`: the same calls, then a wait, so a test can kill the exec while its program runs
  // (one-process delivery: the exec lives exactly as long as the program that holds the session).
  writeFileSync(join(bin, "awsq-slow"), `#!/bin/sh\nawsq "$@"\nsleep 30\n`);
  chmodSync(join(bin, "awsq-slow"), 0o755);
  return {
    moto,
    bin,
    role: (actions = ["iam:ListRoles", "iam:ListUsers", "iam:GetRole"], trusted = []) =>
      moto.createRole(`hp-test-${process.pid}-${++roles}`, actions, trusted),
    close() {
      moto.stop();
      rmSync(bin, { recursive: true, force: true });
    },
  };
}

/** An STS capability (read IAM roles) on `roleArn`, base credentials from the store. */
export function stsCapability(
  world: StsWorld,
  roleArn: string,
  sts: Record<string, unknown> = {},
  cap: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    description: "list the account's IAM roles",
    provider: {
      sts: {
        roleArn,
        region: "us-east-1",
        endpoint: world.moto.endpoint,
        credentials: {
          accessKeyId: { secret: "AWS_BASE_KEY_ID" },
          secretAccessKey: { secret: "AWS_BASE_SECRET" },
        },
        actions: ["iam:ListRoles"],
        probe: { action: "iam:ListRoles" },
        ...sts,
      },
    },
    scope: "list IAM roles",
    ttl: "5m",
    commands: ["awsq", "awsq-slow"],
    approval: "auto",
    env: {
      AWS_ACCESS_KEY_ID: "accessKeyId",
      AWS_SECRET_ACCESS_KEY: "secretAccessKey",
      AWS_SESSION_TOKEN: "sessionToken",
      AWS_CREDENTIAL_EXPIRATION: "expiration",
      AWS_ENDPOINT_URL: { value: world.moto.endpoint },
      AWS_REGION: { value: "us-east-1" },
    },
    ...cap,
  };
}

export function stsProject(
  world: StsWorld,
  capabilities: Record<string, unknown>,
  opts: { base?: AwsCredentials; env?: NodeJS.ProcessEnv; secrets?: Record<string, string> } = {},
): Project {
  const base = opts.base ?? world.moto.admin;
  return projectWith(capabilities, {
    secrets: {
      AWS_BASE_KEY_ID: base.accessKeyId,
      AWS_BASE_SECRET: base.secretAccessKey,
      ...opts.secrets,
    },
    env: { PATH: `${world.bin}:${process.env.PATH}`, ...opts.env },
  });
}

export interface AssumedSession {
  sessionName: string;
  policy: string;
  credentials: AwsCredentials;
}

/** The sessions moto handed out for a role (from its state), newest last. */
export async function sessionsOf(world: StsWorld, roleArn: string): Promise<AssumedSession[]> {
  const data = await world.moto.data();
  const roles = (data.sts?.AssumedRole ?? []) as Array<Record<string, string>>;
  return roles
    .filter((r) => r.role_arn === roleArn)
    .map((r) => ({
      sessionName: r.session_name!,
      policy: r.policy!,
      credentials: {
        accessKeyId: r.access_key_id!,
        secretAccessKey: r.secret_access_key!,
        sessionToken: r.session_token!,
      },
    }));
}

/** Calls iam:ListRoles with a session's credentials: "ok" or the error code. */
export async function tryCreds(world: StsWorld, creds: AwsCredentials): Promise<string> {
  const r = await world.moto.call("iam", "ListRoles", {}, creds);
  return r.status === 200 ? "ok" : (r.code ?? `HTTP ${r.status}`);
}

/** The session names the role's hookpack deny policy lists. */
export async function deniedOn(world: StsWorld, roleArn: string): Promise<string[]> {
  const r = await world.moto.call("iam", "GetRolePolicy", {
    RoleName: roleArn.slice(roleArn.lastIndexOf("/") + 1),
    PolicyName: "hookpack-revoked-sessions",
  });
  if (r.status !== 200) return [];
  const doc = JSON.parse(decodeURIComponent(xmlText(r.body, "PolicyDocument")!)) as {
    Statement: Array<{ Condition: { StringLike: { "aws:userid": string[] } } }>;
  };
  return doc.Statement[0]!.Condition.StringLike["aws:userid"].map((s) => s.replace(/^\*:/, ""));
}

export type { Project };
