// A real local AWS STS/IAM endpoint for the STS capability tests: moto 5.2.4's server
// (python3-moto from Debian sid, unpacked into .cache/moto by test/broker/moto-deps.sh), started on
// 127.0.0.1 on a free port with IAM auth ON after a bootstrap (INITIAL_NO_AUTH_ACTION_COUNT): the
// first calls create an admin user with Allow * and its access key; every later call is
// signature-checked and policy-checked. Stopped by pid.
// What moto enforces (checked): signatures, unknown keys, a role's own policies and Deny statements
// (for its sessions too). What it does NOT: session policies (AssumeRole's Policy), policy
// conditions (aws:TokenIssueTime, aws:userid: a conditional Deny applies to every session of the
// role), and expiry (Expiration is only stored). sts:GetCallerIdentity is answered under any Deny.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  awsQuery,
  xmlText,
  type AwsCredentials,
  type QueryReply,
} from "../../broker/providers/aws-sigv4.js";

// The repository (bench/leases.mjs bundles this file elsewhere and names the root).
const ROOT =
  process.env.HOOKPACK_REPO_ROOT ?? resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MOTO_ROOT = join(ROOT, ".cache", "moto", "root");
export const MOTO_SITE = join(MOTO_ROOT, "usr", "lib", "python3", "dist-packages");
export const ACCOUNT = "123456789012";
const PYTHON = "/usr/bin/python3";

/** Why moto cannot run, or undefined. */
export function motoMissing(): string | undefined {
  if (!existsSync(join(MOTO_ROOT, "usr", "bin", "moto_server")))
    return "moto is not unpacked in .cache/moto (run `bash test/broker/moto-deps.sh`, which `npm test` runs)";
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  return undefined;
}

/**
 * Why the STS tests skip, or undefined: only when moto is missing because the set-up was told to
 * install nothing (HOOKPACK_NO_SYSTEM_PACKAGES=1). Missing otherwise, the tests fail with the reason.
 */
export const MOTO_SKIP: string | undefined =
  motoMissing() && process.env.HOOKPACK_NO_SYSTEM_PACKAGES === "1"
    ? `skipped: HOOKPACK_NO_SYSTEM_PACKAGES=1 and ${motoMissing()}`
    : undefined;

/** PYTHONPATH and interpreter for clients that use moto's boto3 (the test's `awsq`). */
export const PYTHON_ENV = { python: PYTHON, pythonPath: MOTO_SITE };

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface Moto {
  endpoint: string;
  admin: AwsCredentials;
  /** A signed Query API call (admin credentials unless given). */
  call(
    service: "sts" | "iam",
    action: string,
    params?: Record<string, string>,
    credentials?: AwsCredentials,
  ): Promise<QueryReply>;
  /** A user with this identity policy and an access key; returns its ARN and key pair. */
  createUser(
    name: string,
    actions: string[],
  ): Promise<{ arn: string; credentials: AwsCredentials }>;
  /** A role that `trusted` user ARNs may assume, whose inline policy allows `actions`. */
  createRole(name: string, actions: string[], trusted: string[]): Promise<string>;
  /** Everything moto's state holds (its /moto-api/data.json), to check what a request carried. */
  data(): Promise<Record<string, Record<string, unknown[]>>>;
  stop(): void;
}

const policy = (actions: string[]) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }],
  });

/** `auth: false`: a permissive server (no signature or policy checks), for AssumeRoleWithWebIdentity, which is unsigned and which moto cannot route with auth on. */
export async function startMoto(opts: { auth?: boolean } = {}): Promise<Moto> {
  const auth = opts.auth ?? true;
  const missing = motoMissing();
  if (missing) throw new Error(missing);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PYTHON,
    [join(MOTO_ROOT, "usr", "bin", "moto_server"), "-H", "127.0.0.1", "-p", String(port)],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PYTHONPATH: MOTO_SITE,
        // The bootstrap below makes exactly three unauthenticated calls; from the 4th on, auth is on.
        ...(auth ? { INITIAL_NO_AUTH_ACTION_COUNT: "3" } : {}),
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => {
    if (stderr.length < 8000) stderr += b.toString("utf8");
  });
  const stop = () => {
    if (child.exitCode === null && child.pid) child.kill("SIGTERM");
  };
  const start = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${stderr.slice(-2000)}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await r.text();
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - start > 30_000) {
      stop();
      throw new Error(`moto_server did not start within 30 s: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const boot: AwsCredentials = {
    accessKeyId: ["AK", "IA", "BOOTSTRAP000000"].join(""),
    secretAccessKey: "boot",
  };
  const raw = (
    service: "sts" | "iam",
    action: string,
    params: Record<string, string>,
    credentials: AwsCredentials,
  ) => awsQuery({ endpoint, region: "us-east-1", service, action, params, credentials });
  const must = async (r: Promise<QueryReply>, what: string) => {
    const x = await r;
    if (x.status !== 200) throw new Error(`moto ${what}: HTTP ${x.status} ${x.body.slice(0, 500)}`);
    return x;
  };
  await must(raw("iam", "CreateUser", { UserName: "admin" }, boot), "CreateUser admin");
  await must(
    raw(
      "iam",
      "PutUserPolicy",
      { UserName: "admin", PolicyName: "all", PolicyDocument: policy(["*"]) },
      boot,
    ),
    "PutUserPolicy admin",
  );
  const key = await must(
    raw("iam", "CreateAccessKey", { UserName: "admin" }, boot),
    "CreateAccessKey admin",
  );
  const admin: AwsCredentials = {
    accessKeyId: xmlText(key.body, "AccessKeyId")!,
    secretAccessKey: xmlText(key.body, "SecretAccessKey")!,
  };
  // Auth is on now: a bogus key must be refused, or the tests would prove nothing.
  const bogus = await raw("iam", "ListRoles", {}, boot);
  if (auth && bogus.status === 200) {
    stop();
    throw new Error("moto did not turn IAM auth on after the bootstrap");
  }
  const call: Moto["call"] = (service, action, params = {}, credentials = admin) =>
    raw(service, action, params, credentials);
  return {
    endpoint,
    admin,
    call,
    async createUser(name, actions) {
      const u = await must(call("iam", "CreateUser", { UserName: name }), `CreateUser ${name}`);
      await must(
        call("iam", "PutUserPolicy", {
          UserName: name,
          PolicyName: "p",
          PolicyDocument: policy(actions),
        }),
        `PutUserPolicy ${name}`,
      );
      const k = await must(call("iam", "CreateAccessKey", { UserName: name }), "CreateAccessKey");
      return {
        arn: xmlText(u.body, "Arn")!,
        credentials: {
          accessKeyId: xmlText(k.body, "AccessKeyId")!,
          secretAccessKey: xmlText(k.body, "SecretAccessKey")!,
        },
      };
    },
    async createRole(name, actions, trusted) {
      const trust = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/admin`, ...trusted] },
            Action: "sts:AssumeRole",
          },
        ],
      });
      const r = await must(
        call("iam", "CreateRole", { RoleName: name, AssumeRolePolicyDocument: trust }),
        `CreateRole ${name}`,
      );
      await must(
        call("iam", "PutRolePolicy", {
          RoleName: name,
          PolicyName: "role-permissions",
          PolicyDocument: policy(actions),
        }),
        `PutRolePolicy ${name}`,
      );
      return xmlText(r.body, "Arn")!;
    },
    async data() {
      const r = await fetch(`${endpoint}/moto-api/data.json`);
      return (await r.json()) as Record<string, Record<string, unknown[]>>;
    },
    stop,
  };
}
