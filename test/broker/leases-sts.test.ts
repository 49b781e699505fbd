// AWS STS capabilities through the real hook and `hookpack exec`, against moto 5.2.4's server with
// IAM auth on (test/helpers/moto.ts), with boto3 as the brokered AWS client. moto enforces the
// role's policies and Deny statements; it does not enforce session policies, conditions or expiry,
// so those are checked here by what reached moto (the session policy it stored) and, for expiry,
// with hookpack's sweep run on an injected clock.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sweepLeases } from "../../broker/leases.js";
import { assertBuilt, waitFor } from "./helpers.js";
import { startMoto } from "../helpers/moto.js";
import { leaseEntries, readAudit } from "./lease-fixture.js";
import {
  deniedOn,
  sessionsOf,
  skipWithoutMoto,
  startStsWorld,
  stsCapability,
  stsProject,
  tryCreds,
  MOTO_SKIP,
  type Project,
  type StsWorld,
} from "./sts-fixture.js";

// A key id of the right shape that is not moto's, joined at run time (no token-shaped literal in the source).
const OTHER_KEY_ID = ["AK", "IA", "NOTTHEONE", "0000000"].join("");

let world: StsWorld;
let p: Project | undefined;
beforeAll(async () => {
  assertBuilt();
  if (MOTO_SKIP) return;
  world = await startStsWorld();
}, 60_000);
beforeEach((ctx) => skipWithoutMoto(ctx));
afterAll(() => world?.close());
afterEach(() => {
  p?.sb.cleanup();
  p = undefined;
});

const openLeases = (q: Project) => {
  try {
    return readdirSync(join(q.sb.hookpackHome, "leases")).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
};
const noValue = (text: string, creds: { secretAccessKey: string; sessionToken?: string }) =>
  !text.includes(creds.secretAccessKey) && !text.includes(creds.sessionToken ?? "\u0000");

describe("AWS STS capabilities (moto with IAM auth on)", () => {
  it("mints a narrowed session that works within the role, is named for agent and grant, lasts at least 900 s, and is denied after the call (verified)", async () => {
    const role = await world.role(["iam:ListRoles", "iam:ListUsers"]);
    p = stsProject(world, {
      "aws-read": stsCapability(world, role),
      "aws-long": stsCapability(world, role, {}, { ttl: "20m" }),
    });
    const h = p.hook(`$cap:aws-read awsq iam list_roles,list_users,list_groups`);
    expect(h.decision, h.reason).toBe("rewrite");
    const t0 = Date.now();
    const ran = await p.bash(h.command!);
    expect(ran.stderr).toBe("");
    // Works for what the role allows; moto denies what the role does not allow.
    expect(ran.stdout).toContain("OK list_roles");
    expect(ran.stdout).toContain("ERR list_groups AccessDenied");
    // TTL 5m is below STS's minimum: asked for 900 s.
    const exp = Date.parse(/EXP (\S+)/.exec(ran.stdout)![1]!);
    expect(exp - t0).toBeGreaterThan(880_000);
    expect(exp - t0).toBeLessThan(930_000);
    const [s] = await sessionsOf(world, role);
    expect(s!.sessionName).toMatch(/^hp\.[0-9a-z]{6}\.claude-code\.g_[a-z2-7]{26}\.[0-9a-f]{6}$/);
    expect(s!.sessionName.length).toBeLessThanOrEqual(64);
    // The session policy that reached STS narrows the role to the capability's actions. moto
    // stores it but does not enforce it (list_users, allowed by the role, went through).
    expect(JSON.parse(s!.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["iam:ListRoles"], Resource: "*" }],
    });
    // Revoked at exit: the deny lists this session, and the credentials are refused.
    expect(await deniedOn(world, role)).toEqual([s!.sessionName]);
    expect(await tryCreds(world, s!.credentials)).toBe("AccessDenied");
    const ended = leaseEntries(p.sb).filter((e) => e.kind === "lease-ended");
    expect(ended).toMatchObject([
      { outcome: "revoked_at_exit", verified: "revoked", provider: "sts" },
    ]);
    expect(openLeases(p)).toEqual([]);
    // Longer TTLs are passed through (20 min).
    const role2 = await world.role();
    p.sb.cleanup();
    p = stsProject(world, { "aws-long": stsCapability(world, role2, {}, { ttl: "20m" }) });
    const t1 = Date.now();
    const long = await p.bash(p.hook(`$cap:aws-long awsq iam list_roles`).command!);
    const exp2 = Date.parse(/EXP (\S+)/.exec(long.stdout)![1]!);
    expect(exp2 - t1).toBeGreaterThan(1_180_000);
    expect(exp2 - t1).toBeLessThan(1_230_000);
    // No value in anything hookpack wrote or printed.
    const all = JSON.stringify(readAudit(p.sb)) + ran.stdout + ran.stderr + h.raw + long.stdout;
    for (const x of await sessionsOf(world, role)) expect(noValue(all, x.credentials)).toBe(true);
  }, 60_000);

  it("the approval prompt and `hookpack leases` name the role, the narrowing and STS's 900 s minimum", async () => {
    const role = await world.role();
    p = stsProject(world, { "aws-read": stsCapability(world, role, {}, { approval: "ask" }) });
    const h = p.hook(`$cap:aws-read awsq iam list_roles`);
    expect(h.decision).toBe("ask");
    expect(h.reason).toContain(`AWS STS AssumeRole ${role} narrowed to iam:ListRoles`);
    expect(h.reason).toContain("at least 15 min");
  });

  it("base credentials from the user's AWS profile (AWS_PROFILE, ~/.aws/credentials)", async () => {
    const role = await world.role();
    p = stsProject(
      world,
      { "aws-read": stsCapability(world, role, { credentials: { profile: true } }) },
      { env: { AWS_PROFILE: "work" } },
    );
    mkdirSync(join(p.sb.home, ".aws"), { recursive: true });
    writeFileSync(
      join(p.sb.home, ".aws", "credentials"),
      `# comment\n[default]\naws_access_key_id = ${OTHER_KEY_ID}\naws_secret_access_key = nope\n\n[work]\naws_access_key_id = ${world.moto.admin.accessKeyId}\naws_secret_access_key = ${world.moto.admin.secretAccessKey}\n`,
    );
    writeFileSync(join(p.sb.home, ".aws", "config"), `[profile work]\nregion = us-east-1\n`);
    const ran = await p.bash(p.hook(`$cap:aws-read awsq iam list_roles`).command!);
    expect(ran.stdout + ran.stderr).toContain("OK list_roles");
    expect(leaseEntries(p.sb).filter((e) => e.kind === "lease-ended")).toMatchObject([
      { outcome: "revoked_at_exit", verified: "revoked" },
    ]);
  }, 30_000);

  it("web identity (AssumeRoleWithWebIdentity with a token file; moto without auth, which is the only way it routes this unsigned call): mints, and without revoke credentials ends expires_at_ttl_only", async () => {
    const open = await startMoto({ auth: false });
    try {
      const role = await open.createRole(`web-${Date.now()}`, ["iam:ListRoles"], []);
      const tokenFile = join(world.bin, "web-token");
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
      writeFileSync(tokenFile, `${b64({ alg: "none" })}.${b64({ sub: "ci" })}.`);
      const cap = stsCapability(world, role, {
        endpoint: open.endpoint,
        credentials: { webIdentity: { token: { file: tokenFile } } },
      });
      (cap.env as Record<string, unknown>).AWS_ENDPOINT_URL = { value: open.endpoint };
      p = stsProject(world, { "aws-web": cap });
      const ran = await p.bash(p.hook(`$cap:aws-web awsq sts get_caller_identity`).command!);
      expect(ran.stdout).toMatch(
        /OK get_caller_identity arn:aws:sts::\d+:assumed-role\/web-\d+\/hp\./,
      );
      expect(ran.stderr).toMatch(/expires_at_ttl_only: the base credentials are a web identity/);
      expect(leaseEntries(p.sb).filter((e) => e.kind === "lease-ended")).toMatchObject([
        { outcome: "expires_at_ttl_only" },
      ]);
    } finally {
      open.stop();
    }
  }, 60_000);

  it("without iam:PutRolePolicy the lease ends expires_at_ttl_only, loudly, and is never claimed revoked", async () => {
    const minter = await world.moto.createUser(`minter-${Date.now()}`, ["sts:AssumeRole"]);
    const role = await world.role(["iam:ListRoles"], [minter.arn]);
    p = stsProject(world, { "aws-read": stsCapability(world, role) }, { base: minter.credentials });
    const ran = await p.bash(p.hook(`$cap:aws-read awsq iam list_roles`).command!);
    expect(ran.stdout).toContain("OK list_roles");
    expect(ran.stderr).toMatch(
      /could not be revoked: expires_at_ttl_only: iam:GetRolePolicy on role hp-test-\S+ was denied \(HTTP 403 AccessDenied\); STS cannot revoke one session, so its credentials stay valid until 20\d\d-/,
    );
    // Nothing retries a lease its source cannot revoke: the note says when it ends instead.
    expect(ran.stderr).toMatch(/The credential stays valid until 20\d\d-\S+ \(its TTL\)/);
    expect(ran.stderr).not.toMatch(/the next hookpack run retries/);
    const ended = leaseEntries(p.sb).filter((e) => e.kind === "lease-ended");
    expect(ended).toMatchObject([{ outcome: "expires_at_ttl_only" }]);
    expect(ended[0]!.verified).toBeUndefined();
    // Honest: the credentials still work, and `hookpack leases` keeps listing the lease.
    const [s] = await sessionsOf(world, role);
    expect(await tryCreds(world, s!.credentials)).toBe("ok");
    const listed = await p.cli(["leases", "--json"]);
    const out = JSON.parse(listed.stdout) as { open: Array<Record<string, unknown>> };
    expect(out.open).toHaveLength(1);
    expect(String(out.open[0]!.lastError)).toContain("expires_at_ttl_only");
    // Not retried (no new audit entry) by the sweep of later hookpack runs.
    await p.cli(["leases"]);
    expect(leaseEntries(p.sb).filter((e) => e.kind === "lease-ended")).toHaveLength(1);
    // The drill tries again and still does not claim it revoked.
    const drill = await p.cli(["revoke", "--leases"]);
    expect(drill.stdout + drill.stderr).toMatch(/FAILED to revoke lease .*expires_at_ttl_only/);
    expect(
      leaseEntries(p.sb)
        .filter((e) => e.kind === "lease-ended")
        .map((e) => e.outcome),
    ).toEqual(["expires_at_ttl_only", "expires_at_ttl_only"]);
    expect(await tryCreds(world, s!.credentials)).toBe("ok");
    // Separate revoke credentials fix it.
    p.sb.cleanup();
    const role2 = await world.role(["iam:ListRoles"], [minter.arn]);
    p = stsProject(
      world,
      {
        "aws-read": stsCapability(world, role2, {
          revokeCredentials: {
            accessKeyId: { secret: "AWS_IAM_KEY_ID" },
            secretAccessKey: { secret: "AWS_IAM_SECRET" },
          },
        }),
      },
      {
        base: minter.credentials,
        secrets: {
          AWS_IAM_KEY_ID: world.moto.admin.accessKeyId,
          AWS_IAM_SECRET: world.moto.admin.secretAccessKey,
        },
      },
    );
    await p.bash(p.hook(`$cap:aws-read awsq iam list_roles`).command!);
    expect(leaseEntries(p.sb).filter((e) => e.kind === "lease-ended")).toMatchObject([
      { outcome: "revoked_at_exit", verified: "revoked" },
    ]);
  }, 60_000);

  it("a provider that cannot mint fails the call closed, naming no value, with no fallback to standing AWS keys", async () => {
    const role = await world.role();
    const wrong = {
      ...world.moto.admin,
      secretAccessKey: `wrong${world.moto.admin.secretAccessKey}`,
    };
    // Standing keys in the environment must not be used instead.
    p = stsProject(
      world,
      { "aws-read": stsCapability(world, role) },
      {
        base: wrong,
        env: {
          AWS_ACCESS_KEY_ID: world.moto.admin.accessKeyId,
          AWS_SECRET_ACCESS_KEY: world.moto.admin.secretAccessKey,
        },
      },
    );
    let ran = await p.bash(p.hook(`$cap:aws-read awsq iam list_roles`).command!);
    expect(ran.status).toBe(2);
    expect(ran.stdout).toBe("");
    expect(ran.stderr).toMatch(
      /capability aws-read could not be minted: AWS STS refused to assume .* \(HTTP 403 SignatureDoesNotMatch: the request signature does not match\)\. The command was not started \(hookpack never falls back to a standing secret\)/,
    );
    expect(ran.stderr.includes(wrong.secretAccessKey)).toBe(false);
    expect(ran.stderr.includes(world.moto.admin.secretAccessKey)).toBe(false);
    expect(leaseEntries(p.sb)).toMatchObject([{ kind: "lease-refused", outcome: "mint_failed" }]);
    expect(await sessionsOf(world, role)).toEqual([]);
    // A role that does not trust the base user; base keys missing from the store.
    p.sb.cleanup();
    const other = await world.moto.createUser(`other-${Date.now()}`, ["sts:AssumeRole"]);
    p = stsProject(world, { "aws-read": stsCapability(world, role) }, { base: other.credentials });
    ran = await p.bash(p.hook(`$cap:aws-read awsq iam list_roles`).command!);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toMatch(/HTTP 403 AccessDenied/);
    p.sb.cleanup();
    p = stsProject(world, {
      "aws-read": stsCapability(world, role, {
        credentials: {
          accessKeyId: { secret: "NOT_STORED" },
          secretAccessKey: { secret: "AWS_BASE_SECRET" },
        },
      }),
    });
    ran = await p.bash(p.hook(`$cap:aws-read awsq iam list_roles`).command!);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toMatch(/secret NOT_STORED is not in the hookpack store/);
    expect(await sessionsOf(world, role)).toEqual([]);
  }, 60_000);

  it("crash orphan: a SIGKILLed exec's session is denied by the next hookpack process", async () => {
    const role = await world.role();
    p = stsProject(world, { "aws-read": stsCapability(world, role) });
    const bg = p.bashAsync(p.hook(`$cap:aws-read awsq-slow iam list_roles`).command!);
    await waitFor(() => openLeases(p!).length === 1, 15_000);
    bg.child.kill("SIGKILL");
    await bg.done;
    const [s] = await sessionsOf(world, role);
    expect(await tryCreds(world, s!.credentials)).toBe("ok");
    const sweep = await p.cli(["leases", "--json"]);
    const out = JSON.parse(sweep.stdout) as { swept: Array<Record<string, unknown>> };
    expect(out.swept).toMatchObject([
      { outcome: "revoked_after_crash", verified: "revoked", provider: "sts" },
    ]);
    expect(await tryCreds(world, s!.credentials)).toBe("AccessDenied");
    expect(noValue(sweep.stdout + sweep.stderr, s!.credentials)).toBe(true);
  }, 60_000);

  it("expiry on hookpack's side (injected clock; moto does not enforce Expiration): a lease past its TTL is ended and its session denied", async () => {
    const role = await world.role();
    p = stsProject(world, { "aws-read": stsCapability(world, role, {}, { ttl: "2m" }) });
    const bg = p.bashAsync(p.hook(`$cap:aws-read awsq-slow iam list_roles`).command!);
    await waitFor(() => openLeases(p!).length === 1, 15_000);
    const [s] = await sessionsOf(world, role);
    // The owner is alive: at the real time the sweep leaves it alone…
    const ctx = { home: p.sb.hookpackHome, env: p.sb.env, cwd: p.proj };
    expect(await sweepLeases(p.sb.hookpackHome, ctx)).toEqual([]);
    expect(await tryCreds(world, s!.credentials)).toBe("ok");
    // …three minutes later its TTL has passed, and the sweep denies the session at the source.
    const r = await sweepLeases(p.sb.hookpackHome, ctx, Date.now() + 3 * 60_000);
    expect(r.map((x) => `${x.outcome} ${x.verified}`)).toEqual(["expired_without_reuse revoked"]);
    expect(await tryCreds(world, s!.credentials)).toBe("AccessDenied");
    bg.child.kill("SIGKILL");
    await bg.done;
  }, 60_000);

  it("concurrent revokes on one role (other hookpack processes at the same time) all end up in its deny list", async () => {
    const role = await world.role();
    const { stsProvider } = await import("../../broker/providers/aws-sts.js");
    const spec = {
      kind: "sts" as const,
      roleArn: role,
      region: "us-east-1",
      endpoint: world.moto.endpoint,
      credentials: { profile: "base" },
      actions: ["iam:ListRoles"],
      revoke: "deny-session" as const,
    };
    const home = mkdtempSync(join(tmpdir(), "hookpack-stsrace-"));
    try {
      mkdirSync(join(home, ".aws"));
      writeFileSync(
        join(home, ".aws", "credentials"),
        `[base]\naws_access_key_id = ${world.moto.admin.accessKeyId}\naws_secret_access_key = ${world.moto.admin.secretAccessKey}\n`,
      );
      const ctx = { home, env: { HOME: home }, cwd: home };
      const exp = (Math.floor(Date.now() / 1000) + 900).toString(36);
      const names = [1, 2, 3, 4, 5].map((i) => `hp.${exp}.race.g_${i}.00000${i}`);
      await Promise.all(
        names.map((sessionName, i) =>
          stsProvider.revoke(
            { id: `l_race${i}`, spec, handle: { sessionName } } as unknown as Parameters<
              typeof stsProvider.revoke
            >[0],
            ctx,
            undefined,
          ),
        ),
      );
      expect((await deniedOn(world, role)).sort()).toEqual([...names].sort());
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  it("`hookpack revoke --leases` (the drill) denies every open STS session and reports whose it was", async () => {
    const role = await world.role();
    p = stsProject(world, { "aws-read": stsCapability(world, role) });
    const bg = p.bashAsync(p.hook(`$cap:aws-read awsq-slow iam list_roles`).command!);
    await waitFor(() => openLeases(p!).length === 1, 15_000);
    const [s] = await sessionsOf(world, role);
    const drill = await p.cli(["revoke", "--leases"]);
    expect(drill.stdout + drill.stderr).toMatch(
      /revoked \(verified gone\) lease l_[a-z2-7]{20}: aws-read \(sts; list IAM roles\); it belonged to grant g_/,
    );
    expect(await tryCreds(world, s!.credentials)).toBe("AccessDenied");
    bg.child.kill("SIGKILL");
    await bg.done;
  }, 60_000);
});
