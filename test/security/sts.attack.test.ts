// The agent attacks AWS STS capabilities, through the real hook process and the real
// `hookpack exec`, against moto 5.2.4's server with IAM auth on (test/helpers/moto.ts) and boto3
// as the brokered client. Each family counts contained / attempts; every attempt must be contained.
// What moto cannot show (it enforces no session policy, condition or expiry) is said where it matters.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, waitFor } from "../broker/helpers.js";
import { leaseEntries } from "../broker/lease-fixture.js";
import { cleanupAfterBroker } from "../helpers/broker-exit.js";
import {
  MOTO_SKIP,
  sessionsOf,
  skipWithoutMoto,
  startStsWorld,
  stsCapability,
  stsProject,
  tryCreds,
  type Project,
  type StsWorld,
} from "../broker/sts-fixture.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let world: StsWorld;
beforeAll(async () => {
  assertBuilt();
  if (MOTO_SKIP) return;
  world = await startStsWorld();
}, 60_000);
beforeEach((ctx) => skipWithoutMoto(ctx));
afterAll(() => world?.close());

const openLeases = (p: Project) => {
  try {
    return readdirSync(join(p.sb.hookpackHome, "leases")).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
};
const valuesIn = (text: string, secrets: readonly string[]) =>
  secrets.some((s) => s.length >= 8 && text.includes(s));

describe("attack: the agent reaches for the base credentials", () => {
  it("$secret: references to them, the AWS profile file, the store and the lease records", async () => {
    const t = tally("sts/base-credentials");
    const role = await world.role();
    const p = stsProject(world, { "aws-read": stsCapability(world, role) });
    const base = [world.moto.admin.accessKeyId, world.moto.admin.secretAccessKey];
    try {
      const before = (await sessionsOf(world, role)).length;
      const commands = [
        `printenv X $secret:AWS_BASE_SECRET`,
        `echo $secret:AWS_BASE_SECRET`,
        `$cap:aws-read awsq iam list_roles $secret:AWS_BASE_SECRET`,
        `awsq iam list_roles # \${secret:AWS_BASE_KEY_ID}`,
        `cat ${p.sb.hookpackHome}/store.json`,
        `cat ${p.sb.hookpackHome}/leases/*.json`,
        `cat ~/.aws/credentials`,
        `grep -r aws_secret ~/.aws`,
      ];
      // The user's own AWS profile (what `{"profile": …}` base credentials read).
      mkdirSync(join(p.sb.home, ".aws"), { recursive: true });
      writeFileSync(
        join(p.sb.home, ".aws", "credentials"),
        `[default]\naws_access_key_id = ${base[0]}\naws_secret_access_key = ${base[1]}\n`,
      );
      for (const command of commands) {
        const h = p.hook(command);
        // A capability's base keys are for its provider only: no command may receive them.
        const held = h.decision === "deny";
        let leaked = valuesIn(h.raw, base);
        if (!held && h.command) {
          const ran = await p.bash(h.command);
          leaked ||= valuesIn(ran.stdout + ran.stderr, base);
        } else if (!held) {
          const ran = await p.bash(command);
          leaked ||= valuesIn(ran.stdout + ran.stderr, base);
        }
        const contained = !leaked;
        if (!contained) console.log(`LEAK ${command} → ${h.decision}`);
        t.attempt(contained);
        expect(contained, `${command} → ${h.decision}: ${h.reason}`).toBe(true);
      }
      // The capability's minted session is used; the base keys never reach the command.
      const h = p.hook(`$cap:aws-read awsq sts get_caller_identity`);
      const ran = await p.bash(h.command!);
      const ok =
        /assumed-role\/hp-test-\S+\/hp\./.test(ran.stdout) &&
        !valuesIn(ran.stdout + ran.stderr, base);
      t.attempt(ok);
      expect(ok, ran.stdout + ran.stderr).toBe(true);
      expect((await sessionsOf(world, role)).length).toBe(before + 1);
    } finally {
      await cleanupAfterBroker(p.sb);
    }
  }, 120_000);
});

describe("attack: the agent keeps or reuses a minted session", () => {
  it("the printed/sniffed session after exit, a replayed grant, an edited brokered command, exec by hand", async () => {
    const t = tally("sts/reuse");
    const role = await world.role();
    const p = stsProject(world, { "aws-read": stsCapability(world, role) });
    try {
      // The agent sniffs its own child's environment (/proc) while the call runs: masked.
      const h = p.hook(
        // (a background job is refused now; the receiving program's own /proc is covered in
        // test/security/cap-delivery.attack.test.ts): the shell's environment, after the program
        `$cap:aws-read awsq iam list_roles >/dev/null; tr '\\0' '\\n' < /proc/$$/environ | grep '^AWS_S' || true; printenv AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN || true`,
      );
      expect(h.decision, h.reason).toBe("rewrite");
      const ran = await p.bash(h.command!);
      const [s] = await sessionsOf(world, role);
      const secrets = [s!.credentials.secretAccessKey, s!.credentials.sessionToken!];
      const masked = !valuesIn(ran.stdout + ran.stderr, secrets);
      t.attempt(masked);
      expect(masked, ran.stdout).toBe(true);
      // 1. Had it got them anyway (moto's state here): after exit they are denied.
      const reuse = await tryCreds(world, s!.credentials);
      t.attempt(reuse === "AccessDenied");
      expect(reuse).toBe("AccessDenied");
      // 2. The grant, replayed as is: refused, nothing minted.
      const n = (await sessionsOf(world, role)).length;
      const replay = await p.bash(h.command!);
      // (the command's own status is its last part's, `… || true`; the exec's refusal is on stderr)
      const replayed =
        /already used/.test(replay.stderr) && (await sessionsOf(world, role)).length === n;
      t.attempt(replayed);
      expect(replayed, replay.stderr).toBe(true);
      // 3. A fresh grant whose brokered command is edited to print the variables.
      const h2 = p.hook(`$cap:aws-read awsq iam list_roles`);
      const edited = h2.command!.replace("awsq iam list_roles", "printenv AWS_SECRET_ACCESS_KEY");
      expect(edited).not.toBe(h2.command);
      const forged = await p.bash(edited);
      const refused =
        forged.status === 2 &&
        /different command/.test(forged.stderr) &&
        (await sessionsOf(world, role)).length === n;
      t.attempt(refused);
      expect(refused, forged.stderr).toBe(true);
      // 4. `hookpack exec --cap` by hand, with no grant.
      const direct = await p.bash(
        `${h2.command!.split(" exec ")[0]} exec --cap aws-read -- printenv AWS_SECRET_ACCESS_KEY`,
      );
      const noGrant =
        direct.status === 2 &&
        /--cap needs a grant/.test(direct.stderr) &&
        (await sessionsOf(world, role)).length === n;
      t.attempt(noGrant);
      expect(noGrant, direct.stderr).toBe(true);
      expect(
        leaseEntries(p.sb).some((e) => e.kind === "lease-refused" && e.outcome === "reuse_refused"),
      ).toBe(true);
    } finally {
      await cleanupAfterBroker(p.sb);
    }
  }, 120_000);

  it("kill -9 of its own exec mid-call: the next hookpack process denies the session", async () => {
    const t = tally("sts/reuse");
    const role = await world.role();
    const p = stsProject(world, { "aws-read": stsCapability(world, role) });
    try {
      const h = p.hook(
        `set -o pipefail; $cap:aws-read awsq-slow iam list_roles | { sleep 2; kill -9 $(pgrep -P $$ -f '^[^ ]*/node '); cat; }`,
      );
      await p.bash(h.command!);
      const [s] = await sessionsOf(world, role);
      const sweep = await p.cli(["leases", "--json"]);
      const out = JSON.parse(sweep.stdout) as { swept: Array<{ outcome: string }> };
      const denied = await tryCreds(world, s!.credentials);
      const contained =
        out.swept[0]?.outcome === "revoked_after_crash" &&
        denied === "AccessDenied" &&
        openLeases(p).length === 0;
      t.attempt(contained);
      expect(contained, `${sweep.stdout} ${denied}`).toBe(true);
    } finally {
      await cleanupAfterBroker(p.sb);
    }
  }, 60_000);
});

describe("attack: kill -9 the exec and the broker mid-call, so no one revokes the session", () => {
  it("the next broker denies it at start (no exec, no `hookpack leases` sweeping first)", async () => {
    const t = tally("sts/orphan at broker start");
    const role = await world.role();
    const p = stsProject(world, { "aws-read": stsCapability(world, role) });
    const brokerPid = (): number | undefined => {
      try {
        return (
          JSON.parse(readFileSync(join(p.sb.hookpackHome, "broker", "broker.json"), "utf8")) as {
            pid?: number;
          }
        ).pid;
      } catch {
        return undefined;
      }
    };
    try {
      const h = p.hook(
        `set -o pipefail; $cap:aws-read awsq-slow iam list_roles | { sleep 2; kill -9 $(pgrep -P $$ -f '^[^ ]*/node '); cat; }`,
      );
      const { done } = p.bashAsync(h.command!);
      await waitFor(() => openLeases(p).length === 1, 15_000);
      const broker = brokerPid();
      expect(broker, "the hook's grant started a broker").toBeDefined();
      process.kill(broker!, "SIGKILL");
      await done;
      const [s] = await sessionsOf(world, role);
      expect(await tryCreds(world, s!.credentials)).toBe("ok");
      expect(leaseEntries(p.sb).some((e) => e.kind === "lease-ended")).toBe(false);
      // The next hook call that needs a grant starts a new broker, which sweeps at start.
      const next = p.hook(`$cap:aws-read awsq iam list_roles`);
      expect(next.command, next.raw).toBeDefined();
      expect(brokerPid()).not.toBe(broker);
      await waitFor(() => leaseEntries(p.sb).some((e) => e.kind === "lease-ended"), 20_000);
      const ended = leaseEntries(p.sb).filter((e) => e.kind === "lease-ended");
      const denied = await tryCreds(world, s!.credentials);
      const contained =
        ended.length === 1 &&
        ended[0]!.outcome === "revoked_after_crash" &&
        ended[0]!.verified === "revoked" &&
        denied === "AccessDenied" &&
        openLeases(p).length === 0;
      t.attempt(contained);
      expect(contained, `${JSON.stringify(ended)} ${denied}`).toBe(true);
    } finally {
      await cleanupAfterBroker(p.sb);
    }
  }, 90_000);
});

describe("attack: the agent widens the capability", () => {
  it("other programs, wrappers, assignments, an undeclared capability, and an edited hookpack.json", async () => {
    const t = tally("sts/widen-scope");
    const role = await world.role(["iam:ListRoles", "iam:ListUsers", "iam:CreateUser"]);
    const p = stsProject(world, { "aws-read": stsCapability(world, role) });
    try {
      const before = (await sessionsOf(world, role)).length;
      const denied = [
        `$cap:aws-read env`,
        `$cap:aws-read printenv AWS_SECRET_ACCESS_KEY`,
        `$cap:aws-read bash -c 'awsq iam list_users'`,
        `$cap:aws-read sh -c awsq`,
        `$cap:aws-read python3 -c 'import os; print(os.environ)'`,
        `$cap:aws-read aws iam create-user --user-name evil`,
        `$cap:aws-read env awsq iam list_roles`,
        `env $cap:aws-read awsq iam list_roles`,
        `AWS_ENDPOINT_URL=http://127.0.0.1:1 $cap:aws-read awsq iam list_roles`,
        `PYTHONPATH=/tmp/evil $cap:aws-read awsq iam list_roles`,
        `PATH=/tmp/evil:$PATH $cap:aws-read awsq iam list_roles`,
        `$cap:aws-read ./awsq iam list_roles`,
        `$cap:aws-admin awsq iam create_user`,
        `\${cap:aws-read} awsq iam list_roles`,
        `eval '$cap:aws-read awsq iam list_roles'`,
        `$cap:aws-read`,
      ];
      for (const command of denied) {
        const h = p.hook(command);
        const contained = h.status === 0 && h.decision === "deny" && h.command === undefined;
        t.attempt(contained);
        expect(contained, `${command} → ${h.decision}: ${h.reason}`).toBe(true);
      }
      expect((await sessionsOf(world, role)).length).toBe(before);
      // The agent edits hookpack.json to widen the session policy to "*": the change is not
      // approved, so the approved (narrow) capability still applies.
      const file = join(p.proj, "hookpack.json");
      const policy = JSON.parse(readFileSync(file, "utf8")) as {
        capabilities: Record<string, { provider: { sts: Record<string, unknown> } }>;
      };
      policy.capabilities["aws-read"]!.provider.sts.actions = ["*"];
      writeFileSync(file, JSON.stringify(policy));
      const h = p.hook(`$cap:aws-read awsq iam list_roles`);
      if (h.command) await p.bash(h.command);
      const last = (await sessionsOf(world, role)).at(-1);
      const narrow =
        last === undefined ||
        JSON.stringify(JSON.parse(last.policy).Statement[0].Action) === '["iam:ListRoles"]';
      t.attempt(narrow);
      expect(narrow, `${h.decision}: ${h.reason} ${last?.policy}`).toBe(true);
    } finally {
      await cleanupAfterBroker(p.sb);
    }
  }, 120_000);
});

describe("attack: the agent forges a lease record to make hookpack sign for another endpoint", () => {
  it("a lease file whose provider points at a non-AWS host: the sweep refuses to contact it", async () => {
    const t = tally("sts/forged-lease");
    const role = await world.role();
    const p = stsProject(world, { "aws-read": stsCapability(world, role) });
    try {
      const h = p.hook(`$cap:aws-read awsq-slow iam list_roles`);
      const bg = p.bashAsync(h.command!);
      const start = Date.now();
      while (openLeases(p).length === 0 && Date.now() - start < 15_000)
        await new Promise((r) => setTimeout(r, 100));
      const [name] = openLeases(p);
      const path = join(p.sb.hookpackHome, "leases", name!);
      const lease = JSON.parse(readFileSync(path, "utf8")) as {
        spec: Record<string, unknown>;
        owner: { pid: number };
      };
      for (const endpoint of [
        "https://sts.attacker.example",
        "http://sts.amazonaws.com.attacker.example",
        "http://user:pw@127.0.0.1:9",
      ]) {
        lease.spec = {
          ...lease.spec,
          endpoint,
          iamEndpoint: endpoint,
          credentials: {
            accessKeyId: { secret: "AWS_BASE_KEY_ID" },
            secretAccessKey: { secret: "AWS_BASE_SECRET" },
            sessionToken: { secret: "AWS_BASE_SECRET" },
          },
        };
        lease.owner.pid = 0; // orphaned: the next sweep acts on it
        writeFileSync(path, JSON.stringify(lease));
        const sweep = await p.cli(["leases", "--json"]);
        const out = JSON.parse(sweep.stdout) as {
          swept: Array<{ outcome: string; error: string | null }>;
          open: Array<{ lastError: string | null }>;
        };
        const refused =
          out.swept[0]?.outcome === "revoke_failed" &&
          // The edited record no longer verifies (sec-gaps3: lease records carry a MAC), so the
          // sweep contacts nothing; it used to get as far as the provider's endpoint check
          // ("is neither an AWS endpoint"), which still guards a record that verifies.
          /changed outside hookpack/.test(String(out.swept[0]?.error)) &&
          !valuesIn(sweep.stdout + sweep.stderr, [world.moto.admin.secretAccessKey]);
        t.attempt(refused);
        expect(refused, sweep.stdout).toBe(true);
      }
      bg.child.kill("SIGKILL");
      await bg.done;
    } finally {
      await cleanupAfterBroker(p.sb);
    }
  }, 90_000);
});
