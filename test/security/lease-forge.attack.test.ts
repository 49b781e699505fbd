// Lease records are files under $HOOKPACK_HOME/leases (sec-gaps3). An agent that can write there
// (a text check slipped, no OS sandbox) edits or forges one so that hookpack revokes the wrong
// thing, sends its Vault login to an address of the agent's choosing, or skips a revocation. Real
// `hookpack exec` minting from a fake Vault (its documented lease API) that drives a real
// PostgreSQL; the sweep is the real `hookpack leases`. An "attacker" HTTP server on loopback
// records what reaches it. Contained: the attacker's server got nothing, no other Vault lease was
// revoked, the forged record was reported (not acted on), and the real credential was revoked.
import http from "node:http";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, waitFor } from "../broker/helpers.js";
import {
  POSTGRES_SKIP,
  project,
  roleExists,
  skipWithoutPostgres,
  startWorld,
  type Project,
  type World,
} from "../broker/lease-fixture.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let world: World;
let attacker: http.Server;
let attackerUrl: string;
const attackerSaw: Array<{ url: string; token: string | undefined }> = [];
beforeAll(async () => {
  assertBuilt();
  attacker = http.createServer((req, res) => {
    attackerSaw.push({ url: req.url ?? "", token: req.headers["x-vault-token"] as string });
    req.resume();
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", () => r()));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  if (POSTGRES_SKIP) return;
  world = await startWorld();
}, 120_000);
beforeEach((ctx) => skipWithoutPostgres(ctx));
afterAll(async () => {
  await world?.close();
  await new Promise<void>((r) => attacker.close(() => r()));
});

const leaseFiles = (p: Project) => {
  try {
    return readdirSync(join(p.sb.hookpackHome, "leases")).filter((f) => /^l_.*\.json$/.test(f));
  } catch {
    return [];
  }
};

/** Starts a brokered psql that holds its lease ~4 s; resolves when the lease record exists. */
async function midCall(p: Project) {
  const h = p.hook(`$cap:read-staging-db psql -tA -c 'select pg_sleep(4)'`);
  expect(h.command, h.raw).toBeDefined();
  const run = p.bashAsync(h.command!);
  await waitFor(() => leaseFiles(p).length === 1, 15_000);
  const file = join(p.sb.hookpackHome, "leases", leaseFiles(p)[0]!);
  const minted = [...world.vault.leases.values()].at(-1)!;
  return { run, file, minted };
}

type Record_ = Record<string, unknown> & { spec: Record<string, unknown>; owner: { pid: number } };

const EDITS: Array<[string, (lease: Record_, otherLeaseId: string) => void]> = [
  [
    "spec.address pointed at the agent's server",
    (l) => (l.spec = { ...l.spec, address: attackerUrl }),
  ],
  ["handle names another Vault lease", (l, other) => (l.handle = { leaseId: other })],
  ["revocable set to false", (l) => (l.revocable = false)],
  [
    "ttlOnly with a far expiry",
    (l) => ((l.ttlOnly = true), (l.expiresAt = "2099-01-01T00:00:00.000Z")),
  ],
];

describe("attack: an edited lease record (real exec, real sweep)", () => {
  for (const [label, edit] of EDITS) {
    it(`${label}: the sweep reports it and contacts no one; the exec still revokes its credential`, async () => {
      const t = tally("lease-forge/edited record");
      const p = project(world);
      const bystander = project(world);
      try {
        // Another live lease (another project's call), which a forged handle tries to revoke.
        const other = await midCall(bystander);
        const { run, file, minted } = await midCall(p);
        const sawBefore = attackerSaw.length;
        const lease = JSON.parse(readFileSync(file, "utf8")) as Record_;
        edit(lease, other.minted.leaseId);
        lease.owner = { ...lease.owner, pid: 0 }; // orphaned: the sweep acts on it
        writeFileSync(file, JSON.stringify(lease));
        const sweep = await p.cli(["leases", "--json"]);
        const out = JSON.parse(sweep.stdout) as {
          swept: Array<{ outcome: string; error: string | null }>;
        };
        const reported =
          out.swept.length === 1 &&
          out.swept[0]!.outcome === "revoke_failed" &&
          /changed outside hookpack/.test(String(out.swept[0]!.error));
        const nothingSent = attackerSaw.length === sawBefore;
        const bystanderAlive =
          !world.vault.leases.get(other.minted.leaseId)!.revoked &&
          roleExists(world.pg, other.minted.username);
        await run.done;
        await other.run.done;
        // At exit the exec revoked its own credential from its own copy, not from the file.
        const revoked =
          world.vault.leases.get(minted.leaseId)!.revoked && !roleExists(world.pg, minted.username);
        t.attempt(reported && nothingSent && bystanderAlive && revoked);
        expect(nothingSent, JSON.stringify(attackerSaw.slice(sawBefore))).toBe(true);
        expect(bystanderAlive, "the other project's lease was revoked").toBe(true);
        expect(reported, sweep.stdout + sweep.stderr).toBe(true);
        expect(revoked, "the exec's own credential is still valid").toBe(true);
        expect(sweep.stdout + sweep.stderr).not.toContain(world.rootToken);
      } finally {
        p.sb.cleanup();
        bystander.sb.cleanup();
      }
    }, 90_000);
  }
});

describe("attack: a forged record, and a removed one", () => {
  it("a record written from scratch, naming the agent's server: never contacted", async () => {
    const t = tally("lease-forge/forged record");
    const p = project(world);
    try {
      // A real record first (to copy its shape, and so the leases key exists).
      const { run, file } = await midCall(p);
      await run.done;
      const shape = JSON.parse(readFileSync(file.replace(/\.json$/, ".done"), "utf8")) as {
        id: string;
      };
      expect(shape.id).toMatch(/^l_/);
      const id = "l_aaaaaaaaaaaaaaaaaaaa";
      const forged = {
        version: 1,
        id,
        provider: "vault",
        capability: "read-staging-db",
        scope: "x",
        ttlMs: 300000,
        issuedAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 300000).toISOString(),
        grant: "g_aaaaaaaaaaaaaaaaaaaaaaaaaa",
        cwd: p.proj,
        command: "psql",
        owner: { pid: 0, host: "x" },
        spec: {
          kind: "vault",
          address: attackerUrl,
          auth: { token: { secret: "VAULT_TOKEN" } },
          path: "database/creds/readonly",
        },
        handle: { leaseId: "database/creds/readonly/forged" },
        revocable: true,
        mac: "0".repeat(64),
      };
      writeFileSync(join(p.sb.hookpackHome, "leases", `${id}.json`), JSON.stringify(forged));
      const before = attackerSaw.length;
      for (const args of [
        ["leases", "--json"],
        ["revoke", "--leases", "--json"],
      ]) {
        const r = await p.cli(args);
        const contained =
          attackerSaw.length === before &&
          /changed outside hookpack/.test(r.stdout) &&
          !(r.stdout + r.stderr).includes(world.rootToken);
        t.attempt(contained);
        expect(attackerSaw.length, JSON.stringify(attackerSaw.slice(before))).toBe(before);
        expect(r.stdout, r.stderr).toMatch(/changed outside hookpack/);
      }
    } finally {
      p.sb.cleanup();
    }
  }, 90_000);

  it("the record removed mid-call: the exec still revokes the credential at exit", async () => {
    const t = tally("lease-forge/removed record");
    const p = project(world);
    try {
      const { run, file, minted } = await midCall(p);
      rmSync(file);
      await run.done;
      const revoked =
        world.vault.leases.get(minted.leaseId)!.revoked && !roleExists(world.pg, minted.username);
      t.attempt(revoked);
      expect(revoked, "the credential outlived its command").toBe(true);
    } finally {
      p.sb.cleanup();
    }
  }, 90_000);
});
