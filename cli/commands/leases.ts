// `hookpack leases [--json]`: the credentials minted for capabilities ($cap:NAME) that are still
// open, and the drill `hookpack revoke --leases` (revoke them all now). Both first revoke orphans
// (leases whose `hookpack exec` died) and expired leases. Values never appear: a lease record has none.
import { parseArgs } from "node:util";
import type { Lease } from "../../broker/lease-provider.js";
import type { EndResult } from "../../broker/leases.js";
import { hookpackHome } from "../context.js";
import type { Command, Io } from "../io.js";
import { passphrasePrompt } from "./secret-prompt.js";

const when = (ts: string) => ts.replace("T", " ").replace(/\.\d+Z$/, "Z");

function leaseJson(l: Lease) {
  return {
    id: l.id,
    capability: l.capability,
    provider: l.provider,
    scope: l.scope,
    issuedAt: l.issuedAt,
    expiresAt: l.expiresAt,
    ttlMs: l.ttlMs,
    grant: l.grant,
    agent: l.agent ?? null,
    session: l.session ?? null,
    toolCallId: l.toolCallId ?? null,
    cwd: l.cwd,
    command: l.command,
    owner: l.owner.pid || null,
    lastError: l.lastError ?? null,
  };
}

function endedJson(r: EndResult) {
  return {
    ...leaseJson(r.lease),
    outcome: r.outcome,
    verified: r.verified ?? null,
    error: r.error ?? null,
  };
}

function ctxOf(io: Io) {
  return {
    home: hookpackHome(io),
    env: io.env,
    cwd: io.cwd,
    askPassphrase: passphrasePrompt,
    note: (t: string) => io.err(t),
  };
}

function belongsTo(l: Lease): string {
  return `grant ${l.grant}, ${l.agent ?? "no agent"} session ${l.session ?? "-"}, tool call ${l.toolCallId ?? "-"}, \`${l.command.length > 80 ? `${l.command.slice(0, 80)}…` : l.command}\``;
}

export const leases: Command = {
  name: "leases",
  summary: "list open leases: credentials minted for capabilities ($cap:NAME) and not yet revoked",
  usage: "hookpack leases [--json]",
  options: [["--json", "machine output"]],
  example: "hookpack leases --format json",
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { json: { type: "boolean", default: false } },
      strict: true,
    });
    const ctx = ctxOf(io);
    const { listLeases, sweepLeases } = await import("../../broker/leases.js");
    const swept = (await sweepLeases(ctx.home, ctx)).filter((r) => r.outcome !== "already_ended");
    const open = listLeases(ctx.home);
    if (values.json) {
      io.out(
        `${JSON.stringify({ version: 1, open: open.map(leaseJson), swept: swept.map(endedJson) }, null, 2)}\n`,
      );
      return 0;
    }
    for (const r of swept)
      io.out(
        `hookpack: ${r.outcome === "revoke_failed" ? "could not revoke" : r.outcome.replace(/_/g, " ")}: lease ${r.lease.id} (${r.lease.capability}; ${belongsTo(r.lease)})${r.error ? `: ${r.error}` : ""}\n`,
      );
    if (open.length === 0) {
      io.out("hookpack: no open leases.\n");
      return 0;
    }
    io.out(`hookpack: ${open.length} open lease${open.length > 1 ? "s" : ""}:\n`);
    for (const l of open) {
      io.out(
        `hookpack:   ${l.id}  ${l.capability} (${l.provider}; ${l.scope})  issued ${when(l.issuedAt)}, expires ${when(l.expiresAt)}; ${belongsTo(l)}${l.owner.pid ? `; held by pid ${l.owner.pid}` : ""}${l.lastError ? `; revoke failed: ${l.lastError}` : ""}\n`,
      );
    }
    return 0;
  },
};

/** `hookpack revoke --leases [--json]`: the drill. Exit 1 when a lease could not be revoked. */
export async function revokeLeasesDrill(json: boolean, io: Io): Promise<number> {
  const ctx = ctxOf(io);
  const { revokeAllLeases } = await import("../../broker/leases.js");
  const results = (await revokeAllLeases(ctx.home, ctx)).filter(
    (r) => r.outcome !== "already_ended",
  );
  const failed = results.filter((r) => r.outcome === "revoke_failed");
  if (json) {
    io.out(
      `${JSON.stringify({ version: 1, revoked: results.filter((r) => r.outcome !== "revoke_failed").map(endedJson), failed: failed.map(endedJson) }, null, 2)}\n`,
    );
    return failed.length ? 1 : 0;
  }
  if (results.length === 0) io.out("hookpack: no open leases; nothing to revoke.\n");
  for (const r of results) {
    io.out(
      `hookpack: ${r.outcome === "revoke_failed" ? "FAILED to revoke" : r.outcome === "released_not_revocable" ? "released (a standing secret; rotate it at the source)" : `revoked${r.verified === "revoked" ? " (verified gone)" : ""}`} lease ${r.lease.id}: ${r.lease.capability} (${r.lease.provider}; ${r.lease.scope}); it belonged to ${belongsTo(r.lease)}${r.error ? `: ${r.error}` : ""}\n`,
    );
  }
  if (failed.length)
    io.out(
      `hookpack: ${failed.length} lease${failed.length > 1 ? "s" : ""} could not be revoked; they stay listed in \`hookpack leases\`. Fix the provider (reachable? login valid?) and run \`hookpack revoke --leases\` again; each still ends at its TTL at the source.\n`,
    );
  return failed.length ? 1 : 0;
}
