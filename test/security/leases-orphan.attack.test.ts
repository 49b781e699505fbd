// Issue 19: orphaned leases. The agent kills the process that minted a credential (the brokered
// exec, with kill -9 from inside its own command) and the broker that served the call, so nobody is
// left to revoke it at exit. The next broker to start must revoke it at its source and verify it
// gone, with no other hookpack process sweeping first. Fake Vault (its documented lease API) minting
// real PostgreSQL roles (test/broker/lease-fixture.ts). Contained: the role no longer exists, a login
// with the minted password fails, the Vault lease is revoked, the lease record is gone, and the
// audit log records `revoked_after_crash` for that lease id.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, waitFor } from "../broker/helpers.js";
import {
  leaseEntries,
  project,
  roleExists,
  startWorld,
  type Project,
  type World,
} from "../broker/lease-fixture.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let world: World;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
}, 120_000);
afterAll(async () => world?.close());

const openLeases = (p: Project) => {
  try {
    return readdirSync(join(p.sb.hookpackHome, "leases")).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
};
const brokerPid = (p: Project): number | undefined => {
  const f = join(p.sb.hookpackHome, "broker", "broker.json");
  if (!existsSync(f)) return undefined;
  return (JSON.parse(readFileSync(f, "utf8")) as { pid?: number }).pid;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("attack: kill -9 the exec and the broker mid-call, so no one revokes the lease", () => {
  it("the next broker revokes it at start, verified against PostgreSQL and Vault", async () => {
    const t = tally("leases/orphan at broker start");
    const p = project(world);
    try {
      const h = p.hook(
        // (A background job is refused: the exec is killed from the next stage of the pipeline.)
        `$cap:read-staging-db psql -tA -c 'select pg_sleep(3)' | { sleep 1; kill -9 $(pgrep -P $$ -f '^[^ ]*/node '); cat; }`,
      );
      expect(h.command, h.raw).toBeDefined();
      const { done } = p.bashAsync(h.command!);
      // Mid-call: the exec has minted (a lease record exists) and psql is still running.
      await waitFor(() => openLeases(p).length === 1, 10_000);
      const minted = [...world.vault.leases.values()].at(-1)!;
      const broker = brokerPid(p);
      expect(broker, "the hook's grant started a broker").toBeDefined();
      process.kill(broker!, "SIGKILL");
      await done;
      await waitFor(() => !alive(broker!), 5000);
      // Both are dead; the credential is live and its record orphaned.
      expect(openLeases(p)).toHaveLength(1);
      expect(roleExists(world.pg, minted.username)).toBe(true);
      expect(leaseEntries(p.sb).some((e) => e.kind === "lease-ended")).toBe(false);
      // A new broker starts (the next hook call that needs a grant starts it); no exec, no `hookpack leases`.
      const next = p.hook(`$cap:read-staging-db psql -tA -c 'select 1'`);
      expect(next.command, next.raw).toBeDefined(); // rewritten: its grant is minted in the (new) broker
      const restarted = brokerPid(p);
      expect(restarted).toBeDefined();
      expect(restarted).not.toBe(broker);
      // The sweep claims the record (renames it), revokes, verifies, then records the end.
      await waitFor(() => leaseEntries(p.sb).some((e) => e.kind === "lease-ended"), 20_000);
      expect(openLeases(p)).toHaveLength(0);
      const ended = leaseEntries(p.sb).filter((e) => e.kind === "lease-ended");
      const login = world.pg.login(minted.username, minted.password);
      const contained =
        !roleExists(world.pg, minted.username) &&
        !login.ok &&
        ended.length === 1 &&
        ended[0]!.outcome === "revoked_after_crash";
      t.attempt(contained);
      expect(
        ended.map((e) => `${String(e.outcome)} ${String(e.verified)} ${String(e.error)}`),
      ).toEqual(["revoked_after_crash revoked undefined"]);
      expect(roleExists(world.pg, minted.username), "the PostgreSQL role is still there").toBe(
        false,
      );
      expect(login.ok).toBe(false);
      expect(ended).toHaveLength(1);
      expect(ended[0]!.outcome).toBe("revoked_after_crash");
      expect(ended[0]!.verified).toBe("revoked");
      // Nothing the broker wrote names the value.
      const audit = readFileSync(join(p.sb.hookpackHome, "audit", "audit.jsonl"), "utf8");
      expect(audit.includes(minted.password)).toBe(false);
    } finally {
      p.sb.cleanup();
    }
  }, 90_000);
});
