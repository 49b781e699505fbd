// Shared setup for the capability/lease tests: a real PostgreSQL cluster, the fake Vault whose
// database engine drives it, and a sandboxed hookpack home + project whose hookpack.json declares
// `read-staging-db`. Everything runs through the real hook process and the real `hookpack exec`.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeVault, type FakeVault, type FakeVaultOptions } from "../helpers/fake-vault.js";
import { POSTGRES_SKIP, startPostgres, type Postgres } from "../helpers/postgres.js";
import { BIN, readAudit, run, sandbox, setSecret, type Sandbox } from "./helpers.js";
import { approvePolicy } from "../../broker/policy-approval.js";

export { BIN, readAudit, run };

/**
 * For a lease test file: beforeAll starts nothing and every test skips with the reason when
 * PostgreSQL is missing on purpose (HOOKPACK_NO_SYSTEM_PACKAGES=1), never a silent pass.
 */
export { POSTGRES_SKIP };
export function skipWithoutPostgres(ctx: { skip: (note?: string) => never }): void {
  if (POSTGRES_SKIP) ctx.skip(POSTGRES_SKIP);
}

export interface World {
  pg: Postgres;
  vault: FakeVault;
  rootToken: string;
  close(): Promise<void>;
}

export async function startWorld(extra: Partial<FakeVaultOptions> = {}): Promise<World> {
  const pg = await startPostgres();
  pg.sql(
    "CREATE TABLE orders (id int primary key, total int); INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 42) g;",
  );
  const rootToken = `hvs.root${Math.random().toString(36).slice(2)}${Date.now()}`;
  const vault = await startFakeVault({
    postgres: pg,
    rootToken,
    dbRoles: {
      readonly: { grants: ['GRANT pg_read_all_data TO "{{name}}"'], defaultTtlSeconds: 600 },
    },
    ...extra,
  });
  return {
    pg,
    vault,
    rootToken,
    async close() {
      await vault.close();
      pg.stop();
    },
  };
}

export interface Project {
  sb: Sandbox;
  proj: string;
  /** Runs the Claude Code PreToolUse hook on a Bash command; returns the parsed response. */
  hook(
    command: string,
    toolUseId?: string,
  ): {
    status: number | null;
    stderr: string;
    decision: string;
    reason: string;
    command: string | undefined;
    raw: string;
  };
  /** Runs a (rewritten) command the way the agent's Bash tool would (async: the fake Vault lives in this process). */
  bash(
    command: string,
    timeoutMs?: number,
  ): Promise<{ status: number | null; stdout: string; stderr: string }>;
  /** `hookpack <args>` in the project, async. */
  cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }>;
  /** The same, in the background. */
  bashAsync(command: string): {
    child: import("node:child_process").ChildProcess;
    done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  };
}

export type CapabilityOverrides = Record<string, unknown>;

/** A project whose policy declares read-staging-db (Vault database/creds/readonly → PG env vars). */
export function project(
  world: World,
  cap: CapabilityOverrides = {},
  more: Record<string, unknown> = {},
): Project {
  return projectWith(
    {
      "read-staging-db": {
        description: "read the staging database",
        provider: {
          vault: {
            address: world.vault.address,
            auth: { token: { secret: "VAULT_TOKEN" } },
            path: "database/creds/readonly",
          },
        },
        scope: "read-only, staging database",
        ttl: "5m",
        commands: ["psql"],
        approval: "auto",
        env: {
          PGUSER: "username",
          PGPASSWORD: "password",
          PGHOST: { value: "127.0.0.1" },
          PGPORT: { value: String(world.pg.port) },
          PGDATABASE: { value: "postgres" },
        },
        ...cap,
      },
      ...more,
    },
    { secrets: { VAULT_TOKEN: world.rootToken } },
  );
}

/** A sandbox and a project whose policy declares `capabilities`; `secrets` go into the store first. */
export function projectWith(
  capabilities: Record<string, unknown>,
  opts: {
    secrets?: Record<string, string>;
    env?: NodeJS.ProcessEnv;
    gitInit?: (proj: string) => void;
  } = {},
): Project {
  const sb = sandbox({ PGCONNECT_TIMEOUT: "5", ...opts.env });
  for (const [name, value] of Object.entries(opts.secrets ?? {})) setSecret(sb, name, value);
  const proj = join(sb.dir, "proj");
  mkdirSync(proj, { recursive: true });
  if (opts.gitInit) opts.gitInit(proj);
  else mkdirSync(join(proj, ".git"), { recursive: true });
  const policy = { version: 1, secrets: {}, capabilities };
  writeFileSync(join(proj, "hookpack.json"), JSON.stringify(policy, null, 2));
  // As the user would in their terminal: an unapproved policy does not apply (issue 14).
  approvePolicy(sb.hookpackHome, proj);
  const payload = (command: string, id: string) =>
    JSON.stringify({
      session_id: "s-lease",
      transcript_path: "/tmp/t.jsonl",
      cwd: proj,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command, description: "d" },
      tool_use_id: id,
    });
  let n = 0;
  return {
    sb,
    proj,
    hook(command, toolUseId = `toolu_${++n}`) {
      const r = run(sb, ["hook", "claude-code"], { input: payload(command, toolUseId), cwd: proj });
      let decision = "";
      let reason = "";
      let cmd: string | undefined;
      try {
        const o = JSON.parse(r.stdout) as {
          hookSpecificOutput?: {
            permissionDecision?: string;
            permissionDecisionReason?: string;
            updatedInput?: { command?: string };
          };
        };
        // A rewrite carries no permission decision (issue 14: the agent's own rules decide): "rewrite".
        decision =
          o.hookSpecificOutput?.permissionDecision ??
          (o.hookSpecificOutput?.updatedInput ? "rewrite" : "");
        reason = o.hookSpecificOutput?.permissionDecisionReason ?? "";
        cmd = o.hookSpecificOutput?.updatedInput?.command;
      } catch {
        decision = r.stdout ? "unparsed" : "none";
      }
      return { status: r.status, stderr: r.stderr, decision, reason, command: cmd, raw: r.stdout };
    },
    async bash(command, timeoutMs = 60_000) {
      const { child, done } = this.bashAsync(command);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const r = await done;
      clearTimeout(timer);
      return { status: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    async cli(args) {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: sb.env,
        cwd: proj,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
      const status = await new Promise<number | null>((res) =>
        child.on("close", (code) => res(code)),
      );
      return { status, stdout, stderr };
    },
    bashAsync(command) {
      const child = spawn("bash", ["-c", command], {
        env: sb.env,
        cwd: proj,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
      return {
        child,
        done: new Promise((res) => child.on("close", (code) => res({ code, stdout, stderr }))),
      };
    },
  };
}

export function roleExists(pg: Postgres, username: string): boolean {
  return pg.sql(`SELECT count(*) FROM pg_roles WHERE rolname = '${username}'`) === "1";
}

export type AuditEntry = Record<string, unknown>;
export const leaseEntries = (sb: Sandbox): AuditEntry[] =>
  readAudit(sb).filter((e) => String(e.kind).startsWith("lease-"));
