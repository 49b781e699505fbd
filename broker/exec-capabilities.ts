// The capability part of `hookpack exec` (issue #19): after the grant is redeemed, mint one lease
// per capability the grant carries, give the values to broker/exec.ts as the variables the
// capability's policy names (set in the one program's environment, nothing else), mask them in
// its output, and revoke every lease when the program exits or its TTL passes. Fails closed: a
// capability that cannot be minted starts nothing.
import { HookpackError } from "../core/errors.js";
import type { ManagedValue } from "../rules/managed-values.js";
import type { CapabilityPolicy } from "../rules/policy.js";
import { commandSummary } from "./audit.js";
import type { Grant } from "./grants.js";
import type { KeyContext } from "./keys.js";
import {
  endLease,
  mintLeases,
  recordReuseRefused,
  sweepLeases,
  type MintedLease,
} from "./leases.js";

export interface CapabilityRun {
  /** The values, masked in the command's output. */
  values: ManagedValue[];
  /** The capability's variables (policy `env`) for the program's environment. */
  env: Record<string, string>;
  /** Removes what the agent's shell could have put in front of the program to redirect or read the credential. */
  scrub(env: NodeJS.ProcessEnv): void;
  /** Revokes every lease (at exit); safe to call more than once. */
  finish(): Promise<void>;
}

interface Io extends KeyContext {
  cwd: string;
  note(text: string): void;
}

const mismatch = (why: string) =>
  new HookpackError(
    "CAP_MISMATCH",
    `hookpack: ${why} The command was not started.`,
    "ask the agent to run its original command again (with $cap:NAME); the hook mints a fresh grant for each tool call.",
  );

/** Checks that `--cap` names exactly the grant's capabilities, sweeps orphans, mints, arms the TTL. */
export async function startCapabilities(
  grant: Grant | undefined,
  asked: readonly string[],
  io: Io,
  command: string,
): Promise<CapabilityRun | undefined> {
  const granted: CapabilityPolicy[] = grant?.capabilities ?? [];
  if (granted.length === 0 && asked.length === 0) return undefined;
  if (!grant)
    throw mismatch(
      "--cap needs a grant: capabilities are minted only for a tool call the hook approved.",
    );
  if (
    [...new Set(asked)].sort().join(",") !==
    granted
      .map((c) => c.name)
      .sort()
      .join(",")
  ) {
    throw mismatch(
      `grant ${grant.id} was issued for capabilities ${granted.map((c) => c.name).join(", ") || "none"}, not ${asked.join(", ") || "none"}.`,
    );
  }
  const ctx = {
    home: io.home,
    env: io.env,
    cwd: io.cwd,
    askPassphrase: io.askPassphrase,
    keyring: io.keyring,
    note: io.note,
  };
  // Orphans of an exec that died are revoked before anything new is minted.
  for (const r of await sweepLeases(io.home, ctx)) {
    if (r.outcome === "revoke_failed")
      io.note(
        `hookpack: lease ${r.lease.id} (${r.lease.capability}) of an earlier call could not be revoked: ${r.error}. \`hookpack leases\` lists it; \`hookpack revoke --leases\` retries.\n`,
      );
  }
  const minted: MintedLease[] = await mintLeases(io.home, granted, {
    ...ctx,
    grant: {
      id: grant.id,
      agent: grant.agent,
      session: grant.session,
      toolCallId: grant.toolCallId,
    },
    command,
  });
  const env: Record<string, string> = {};
  const values: ManagedValue[] = [];
  minted.forEach((m, i) => {
    const cap = granted[i]!;
    for (const e of cap.env) {
      const v = "field" in e ? m.fields[e.field]! : e.value;
      if (v.includes("\u0000"))
        throw new HookpackError(
          "LEASE_MINT_FAILED",
          `hookpack: the credential for ${cap.name} holds a NUL byte and cannot be put in an environment variable. The command was not started.`,
          "check the provider's output.",
        );
      env[e.var] = v;
    }
    // Every secret field is masked, whether or not it is delivered (a provider names the public ones).
    for (const [field, v] of Object.entries(m.fields))
      if (v.length >= 4 && !m.public.includes(field))
        values.push({ name: `cap:${cap.name}.${field}`, value: v });
  });
  let finished: Promise<void> | undefined;
  const end = (outcome: "revoked_at_exit" | "expired_without_reuse") =>
    Promise.all(
      minted.map(async (m) => {
        try {
          const r = await endLease(io.home, m.lease, outcome, ctx);
          if (r.outcome === "revoke_failed")
            io.note(
              r.lease.ttlOnly
                ? // Its source cannot revoke it: nothing retries on its own; it ends at its TTL.
                  `hookpack: lease ${m.lease.id} (${m.lease.capability}) could not be revoked: ${r.error}. The credential stays valid until ${r.lease.expiresAt} (its TTL); it stays listed in \`hookpack leases\` until then, and \`hookpack revoke --leases\` tries again.\n`
                : `hookpack: lease ${m.lease.id} (${m.lease.capability}) could not be revoked: ${r.error}. It stays listed in \`hookpack leases\`; the next hookpack run retries, or run \`hookpack revoke --leases\`.\n`,
            );
        } catch (error) {
          // The record stays (owned by this dead-soon process), so the next sweep revokes it.
          io.note(
            `hookpack: lease ${m.lease.id} (${m.lease.capability}) could not be ended: ${(error as Error).message}. The next hookpack run revokes it, or run \`hookpack revoke --leases\`.\n`,
          );
        }
      }),
    ).then(() => undefined);
  const soonest = Math.min(...minted.map((m) => Date.parse(m.lease.expiresAt)));
  const timer = setTimeout(
    () => {
      finished ??= end("expired_without_reuse");
    },
    Math.max(0, Math.min(soonest - Date.now(), 2 ** 31 - 1)),
  );
  timer.unref();
  return {
    values,
    env,
    scrub: (childEnv) => scrubInherited(childEnv, Object.keys(env)),
    finish: () => {
      clearTimeout(timer);
      finished ??= end("revoked_at_exit");
      return finished;
    },
  };
}

/** Loader and shell start-up variables: they run code of the agent's choosing inside the program. */
const CODE_VARS =
  /^(LD_[A-Z_]+|BASH_ENV|ENV|BASH_FUNC_.*|PERL5OPT|PYTHONSTARTUP|NODE_OPTIONS|RUBYOPT)$/;

/**
 * The program's environment comes from the agent's shell, which may have exported anything before
 * the request (`export PGHOSTADDR=…; $cap:… psql`, `export AWS_ENDPOINT_URL=…`, LD_PRELOAD). Every
 * inherited variable of a capability variable's family (libpq's `PG…`, else its prefix up to the
 * first `_`: `AWS_…`, `GH_…`; a name without one is its own family) is removed, so only the policy
 * says where the credential goes, and so are the variables that load code into the program.
 */
export function scrubInherited(env: NodeJS.ProcessEnv, capVars: readonly string[]): void {
  const families = capVars.map((v) =>
    v.startsWith("PG") ? "PG" : v.includes("_") ? v.slice(0, v.indexOf("_") + 1) : v,
  );
  for (const name of Object.keys(env))
    if (
      CODE_VARS.test(name) ||
      families.some((f) => (f === "PG" || f.endsWith("_") ? name.startsWith(f) : name === f))
    )
      delete env[name];
}

/**
 * The command as the agent wrote it, for lease records, `hookpack leases` and the audit log: the
 * requests in front of the one program the broker runs, e.g. `$cap:read-staging-db psql -c '…'`.
 */
export function capabilityCommandSummary(
  argv: readonly string[],
  capabilities: readonly string[],
): string {
  return commandSummary(argv, (s) => `${capabilities.map((c) => `$cap:${c} `).join("")}${s}`);
}

/** A refused grant that was for capabilities: say which leases it had, as a refused reuse. */
export function noteRefusedReuse(
  home: string,
  grant: string,
  asked: readonly string[],
  code: string,
  io: { cwd: string; note(text: string): void },
): void {
  if (asked.length === 0) return;
  recordReuseRefused(home, grant, asked, code, io);
}
