// `hookpack audit [--verify] [--json] [--since …] [--secret NAME]… [--agent ID]… [--kind KIND]… [--limit N]`:
// the audit log as a timeline, or (--verify) proof that nobody edited, removed, reordered, forged or
// cut off an entry. JSON output (version 1) is documented in the README ("Audit log").
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { AUDIT_KINDS, type AuditRecord } from "../../broker/audit.js";
import {
  filterRecords,
  parseSince,
  readAuditLog,
  type AuditVerification,
} from "../../broker/audit-verify.js";
import { NAME_RE } from "../../broker/store.js";
import { HookpackError } from "../../core/errors.js";
import { hookpackHome } from "../context.js";
import type { Command } from "../io.js";

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
const when = (ts: string) => ts.replace("T", " ").replace(/\.\d+Z$/, "Z");
const list = (xs: readonly string[] | undefined) => (xs && xs.length ? xs.join(", ") : "");

/** One human line for one entry (no values: entries never hold any). */
export function describeRecord(r: AuditRecord): string {
  const e = r as unknown as Record<string, unknown>;
  const cmd = typeof e.command === "string" && e.command ? ` \`${e.command}\`` : "";
  switch (r.kind) {
    case "exec":
      return r.refused
        ? `${list(r.secrets) || "no secrets"}:${cmd} refused (${r.refused})`
        : `${list(r.secrets) || "no secrets"}:${cmd} → exit ${r.exitCode}${r.signal ? ` (${r.signal})` : ""}, ${r.durationMs} ms${r.redactions ? `, ${plural(r.redactions, "redaction")} (${list(r.redactedNames)})` : ""}`;
    case "grant-issued":
      return `grant ${r.grant} for ${list(r.secrets)}:${cmd}${r.expires ? ` (until ${when(r.expires)})` : ""}`;
    case "grant-refused":
      return `grant refused for ${list(r.secrets)} (${r.code}):${cmd}`;
    case "grants-revoked":
      return `${plural(r.count, "outstanding grant")} for ${r.secret} invalidated`;
    case "read-blocked":
      return `read of ${r.path} blocked (${r.code})${r.secrets?.length ? ` holds ${list(r.secrets)}` : ""}`;
    case "output-redacted":
      return `${plural(r.count, "value")} redacted from ${r.tool ?? "tool"} output (${list([...r.secrets, ...(r.rules ?? [])])})`;
    case "state-cleaned":
      return `${r.path}: ${plural(r.findings, "finding")} cleaned${r.secrets?.length ? ` (${list(r.secrets)})` : ""}`;
    case "push-blocked":
      return `push${r.remote ? ` to ${r.remote}` : ""} blocked: ${plural(r.findings, "finding")} (${list(r.rules)}) in ${list(r.refs) || "the pushed refs"}`;
    case "pack-blocked":
      return `package ${r.target} blocked: ${plural(r.findings, "finding")} (${list(r.rules)})`;
    case "exposure-found":
      return `${r.secret ?? r.rule ?? "a secret"} exposed in ${r.where}${r.fingerprint ? ` ${r.fingerprint}` : ""}`;
    case "secret-revoked":
      return `${r.secret} revoked (${plural(r.grants, "grant")} invalidated)`;
    case "inject":
      return r.refused
        ? `${r.secret}: ${r.method} ${r.host}${r.path} refused (${r.refused}), the value was not sent`
        : `${r.secret} injected into ${r.method} ${r.host}${r.path}${r.status !== undefined ? ` → ${r.status}` : ""} (grant ${r.grant})`;
    case "audit-notice":
      return `log notice ${r.code}: ${r.message}`;
    case "lease-issued":
      return `lease ${r.lease} issued: ${r.capability} (${r.provider}; ${r.scope}) for grant ${r.grant}${r.toolCallId ? `, tool call ${r.toolCallId}` : ""}, until ${when(r.expires)}:${cmd}`;
    case "lease-ended":
      return `lease ${r.lease} (${r.capability}) ended: ${r.outcome}${r.verified ? `, source says ${r.verified}` : ""}${r.error ? ` (${r.error})` : ""}, held ${r.heldMs} ms`;
    case "lease-refused":
      return `capability ${list(r.capabilities)} refused (${r.outcome}, ${r.code})${r.leases?.length ? `: lease ${list(r.leases)}` : ""}: ${r.reason}`;
    default:
      return JSON.stringify(e);
  }
}

function stripChain(r: AuditRecord): Record<string, unknown> {
  const { mac: _m, kid: _k, prev: _p, v: _v, ...rest } = r as AuditRecord & Record<string, unknown>;
  return rest;
}

export function verificationLines(v: AuditVerification): string[] {
  const out: string[] = [];
  if (v.lines === 0 && v.problems.length === 0)
    return [`no audit log yet in ${v.dir}: nothing has been recorded.`];
  if (v.ok) {
    out.push(
      `audit log verified: ${plural(v.verified, "entry", "entries")} in ${plural(v.files.length, "file")}${v.first !== undefined && v.last ? ` (#${v.first}–#${v.last.seq})` : ""}; every HMAC and link checks out, and the head anchor matches the tail.`,
    );
  } else {
    const p = v.problems[0]!;
    out.push(
      `audit log FAILED verification: ${plural(v.problems.length, "problem")}; the first at ${p.seq !== undefined ? `entry #${p.seq}` : "the log as a whole"}:`,
    );
    for (const q of v.problems.slice(0, 20)) out.push(`  [${q.kind}] ${q.message}`);
    if (v.problems.length > 20)
      out.push(`  … and ${v.problems.length - 20} more (--json lists all).`);
    out.push(
      `fix: treat the log as evidence: copy it first (cp -a ${v.dir} ${v.dir}.evidence), find out what changed it, and consider secrets used in that period exposed (\`hookpack revoke NAME\`). To start a new chain afterwards: mv ${v.dir} ${v.dir}.old and delete ${basename(v.dir)}-head.json beside it.`,
    );
  }
  for (const n of v.notes) out.push(`note: ${n.message}.`);
  return out;
}

export const audit: Command = {
  name: "audit",
  options: [
    ["--verify", "check the hash chain and HMACs; exit 1 at the first bad entry"],
    ["--json", "machine output"],
    ["--since <time>", "e.g. 7d, 12h, 2026-01-31"],
    ["--secret NAME", "only entries about this secret (repeatable)"],
    ["--agent <id>", "only this agent's entries (repeatable)"],
    ["--kind <kind>", "exec, grant, read-blocked, output-redacted, exposure-found, … (repeatable)"],
    ["--limit N", "at most N entries, newest last"],
  ],
  example: "hookpack audit --secret GITHUB_TOKEN --since 7d",
  summary: "show the audit log as a timeline, or verify that it is intact (--verify)",
  usage:
    "hookpack audit [--verify] [--json] [--since <time>] [--secret NAME]… [--agent <id>]… [--kind <kind>]… [--limit N]",
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        verify: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        since: { type: "string" },
        secret: { type: "string", multiple: true },
        agent: { type: "string", multiple: true },
        kind: { type: "string", multiple: true },
        limit: { type: "string" },
      },
      strict: true,
      allowPositionals: true,
    });
    // `hookpack audit verify` reads as naturally as --verify.
    const verify = values.verify || positionals[0] === "verify";
    if (positionals.length > (positionals[0] === "verify" ? 1 : 0))
      throw new HookpackError(
        "USAGE",
        `hookpack: unexpected argument "${positionals.at(-1)}".`,
        `usage: ${audit.usage}`,
      );
    for (const s of values.secret ?? [])
      if (!NAME_RE.test(s))
        throw new HookpackError("USAGE", `hookpack: "${s}" is not a valid secret name.`);
    for (const k of values.kind ?? [])
      if (!(AUDIT_KINDS as readonly string[]).includes(k))
        throw new HookpackError(
          "USAGE",
          `hookpack: unknown kind "${k}"; expected one of: ${AUDIT_KINDS.join(", ")}.`,
        );
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 0)
      throw new HookpackError(
        "USAGE",
        "hookpack: --limit takes a whole number (0 shows everything).",
      );
    const since = values.since ? parseSince(values.since) : undefined;

    const home = hookpackHome(io);
    const { records, verification: v } = readAuditLog(home);
    if (verify) {
      if (values.json) io.out(`${JSON.stringify({ version: 1, ...v }, null, 2)}\n`);
      else for (const l of verificationLines(v)) io.out(`hookpack: ${l}\n`);
      return v.ok ? 0 : 1;
    }

    const matched = filterRecords(records, {
      since,
      secrets: values.secret,
      agents: values.agent,
      kinds: values.kind,
    });
    const shown = limit === 0 ? matched : matched.slice(-limit);
    if (values.json) {
      io.out(
        `${JSON.stringify(
          {
            version: 1,
            dir: v.dir,
            integrity: { ok: v.ok, problems: v.problems, notes: v.notes },
            filters: {
              since: since?.toISOString() ?? null,
              secrets: values.secret ?? [],
              agents: values.agent ?? [],
              kinds: values.kind ?? [],
              limit,
            },
            total: records.length,
            matched: matched.length,
            entries: shown.map(stripChain),
          },
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    if (records.length === 0 && v.lines === 0) {
      io.out(`hookpack: no audit log yet in ${v.dir}: nothing has been recorded.\n`);
      return 0;
    }
    const filtered = since || values.secret || values.agent || values.kind;
    io.out(
      `hookpack: audit log ${v.dir}: ${plural(records.length, "entry", "entries")}${filtered ? `, ${matched.length} matching` : ""}${shown.length < matched.length ? `; the last ${shown.length} (--limit 0 shows all)` : ""}.\n`,
    );
    const agentW = Math.max(5, ...shown.map((r) => (r.agent ?? "-").length));
    const kindW = Math.max(4, ...shown.map((r) => r.kind.length));
    for (const r of shown) {
      io.out(
        `hookpack: ${when(r.ts)}  ${((r as { pending?: unknown }).pending === true ? "pending" : `#${r.seq}`).padEnd(6)} ${r.kind.padEnd(kindW)}  ${(r.agent ?? "-").padEnd(agentW)}  ${describeRecord(r)}${r.cwd ? `  (${r.cwd})` : ""}\n`,
      );
    }
    if (shown.length === 0) io.out("hookpack: no entries match.\n");
    if (!v.ok)
      io.err(
        `hookpack: warning: the audit log fails verification (${v.problems[0]!.message}); run \`hookpack audit --verify\`.\n`,
      );
    return 0;
  },
};
