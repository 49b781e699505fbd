// `hookpack revoke NAME [--since 30d] [--json]`: pull the plug on one secret. Outstanding grants
// stop working, the store marks it revoked (every later reference is refused until it is set
// again), and the drill says what used it recently and how to rotate it at the source.
import { revokeApprovalsFor } from "../../broker/session-approvals.js";
import { revokeGrantsVia } from "../../broker/client.js";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { tryRecordAudit, type AuditRecord } from "../../broker/audit.js";
import { filterRecords, parseSince, readAuditLog } from "../../broker/audit-verify.js";
import type { ProviderSpec } from "../../broker/providers.js";
import { NAME_RE, openStore, updateStore, type StoreContext } from "../../broker/store.js";
import { HookpackError } from "../../core/errors.js";
import { hookpackHome } from "../context.js";
import type { Command, Io } from "../io.js";
import { passphrasePrompt } from "./secret-prompt.js";
import { findings, RULES, ruleById } from "../../rules/detect.js";

/** Where the credential is issued, from its name (and, for stored values, its shape, checked in memory). */
const ISSUERS: ReadonlyArray<{ id: string; name: RegExp; value?: RegExp; step: string }> = [
  {
    id: "github",
    name: /GITHUB|(^|_)GH_|^GH$/,
    value: /^(gh[pousr]_|github_pat_)/,
    step: "GitHub: delete the token at https://github.com/settings/tokens (fine-grained: https://github.com/settings/personal-access-tokens) and create a new one with the same scopes; for a GitHub App, generate a new private key and delete the old one.",
  },
  {
    id: "gitlab",
    name: /GITLAB|GL_TOKEN/,
    value: /^(glpat-|gl(c|sa)_)/,
    step: "GitLab: revoke the token at https://gitlab.com/-/user_settings/personal_access_tokens (or the project/group access-token page) and create a new one.",
  },
  {
    id: "npm",
    name: /NPM|NODE_AUTH/,
    value: /^npm_/,
    step: "npm: `npm token list`, then `npm token revoke <id>` for this token, and `npm token create` (granular tokens: https://www.npmjs.com/settings/~/tokens).",
  },
  {
    id: "aws",
    name: /AWS|AKIA/,
    value: /^(AKIA|ASIA)/,
    step: "AWS: `aws iam create-access-key --user-name <user>`, switch to the new key, then `aws iam delete-access-key --user-name <user> --access-key-id <old id>` (check CloudTrail for use of the old key).",
  },
  {
    id: "anthropic",
    name: /ANTHROPIC|CLAUDE/,
    value: /^sk-ant-/,
    step: "Anthropic: delete the key at https://console.anthropic.com/settings/keys and create a new one.",
  },
  {
    id: "openai",
    name: /OPENAI/,
    value: /^sk-(proj|svcacct|admin)-/,
    step: "OpenAI: revoke the key at https://platform.openai.com/api-keys and create a new one.",
  },
  {
    id: "stripe",
    name: /STRIPE/,
    value: /^[sr]k_(live|test)_/,
    step: 'Stripe: roll the key at https://dashboard.stripe.com/apikeys ("Roll key", expire the old one now).',
  },
  {
    id: "slack",
    name: /SLACK/,
    value: /^xox[bpaore]-|^xapp-/,
    step: "Slack: at https://api.slack.com/apps → your app → OAuth & Permissions, revoke the token (`auth.revoke`) and reinstall the app to get a new one.",
  },
  {
    id: "database",
    name: /DATABASE|(^|_)DB(_|$)|POSTGRES|PG_|MYSQL|MONGO|REDIS/,
    value: /^[a-z+]+:\/\/[^:/\s]+:[^@/\s]+@/,
    step: "Database: change the password of that database user (`ALTER USER <user> WITH PASSWORD '…'` or your provider's console) and update every client that connects with it.",
  },
];
const GENERIC_STEP =
  "Revoke it where it was issued (the service's console or API) and issue a new one. Revoking it in hookpack does not disable the credential itself.";

export function issuerStep(name: string, value?: string): { issuer: string; step: string } {
  // The rule records first: a stored value's shape names its rule exactly (checked in memory).
  const shaped =
    value !== undefined ? findings(value).find((f) => f.confidence !== "weak") : undefined;
  const record =
    (shaped && ruleById(shaped.ruleId)) ??
    RULES.find((r) => r.secretName === name.toUpperCase() && r.kind !== "generic");
  if (record && (shaped || !ISSUERS.some((i) => i.name.test(name.toUpperCase()))))
    return { issuer: record.id, step: `${record.provider}: ${record.rotate.steps}` };
  const hit =
    (value !== undefined ? ISSUERS.find((i) => i.value?.test(value)) : undefined) ??
    ISSUERS.find((i) => i.name.test(name.toUpperCase()));
  return hit ? { issuer: hit.id, step: hit.step } : { issuer: "unknown", step: GENERIC_STEP };
}

/** How to put the new value back, per provider; setting it again clears the revoked mark. */
export function providerStep(name: string, p: ProviderSpec | undefined): string {
  switch (p?.kind) {
    case undefined:
      return `store the new value: \`hookpack secret set ${name}\` (it is not in the store now).`;
    case "store":
      return `store the new value: \`hookpack secret set ${name}\` (type or pipe it; never on the command line). That clears the revoked mark.`;
    case "env":
      return `update ${p.var} wherever it is set (shell profile, .envrc, CI secrets), then \`hookpack secret set ${name} --env ${p.var}\` to clear the revoked mark.`;
    case "op":
      return `update the field in 1Password (\`op item edit\` or the app; reference ${p.ref}), then \`hookpack secret set ${name} --op ${p.ref}\` to clear the revoked mark.`;
    case "keychain":
      return `update the keychain item (macOS: \`security add-generic-password -U -s ${p.service} -a ${p.account} -w\`; Linux: \`secret-tool store --label=${name} service ${p.service} account ${p.account}\`), then \`hookpack secret set ${name} --keychain ${p.service}/${p.account}\` to clear the revoked mark.`;
    case "exec": {
      const tool = p.argv[0] ?? "";
      const where =
        tool === "vault" || tool === "bao"
          ? `write the new value with \`${tool} kv put\` (or \`kv patch\`) at the path \`${p.argv.join(" ")}\` reads`
          : tool === "pass"
            ? "update it with `pass edit <entry>`"
            : tool === "aws"
              ? "put the new value with `aws secretsmanager put-secret-value` (or `rotate-secret`)"
              : tool === "gcloud"
                ? "add a new version with `gcloud secrets versions add` and disable the old one"
                : `update it where \`${tool}\` reads it from`;
      return `${where}, then \`hookpack secret set ${name} --exec -- ${p.argv.join(" ")}\` to clear the revoked mark.`;
    }
  }
}

/** The nearest folder above `cwd` that looks like a project (git or package.json). */
function projectOf(cwd: string): string {
  let dir = cwd;
  for (;;) {
    if (existsSync(join(dir, ".git")) || existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) return cwd;
    dir = up;
  }
}

function tally<T>(items: readonly T[], key: (t: T) => string | undefined, ts: (t: T) => string) {
  const m = new Map<string, { count: number; last: string }>();
  for (const it of items) {
    const k = key(it);
    if (k === undefined) continue;
    const cur = m.get(k) ?? { count: 0, last: "" };
    cur.count += 1;
    if (ts(it) > cur.last) cur.last = ts(it);
    m.set(k, cur);
  }
  return [...m]
    .map(([k, v]) => ({ key: k, ...v }))
    .sort((a, b) => b.count - a.count || (a.last < b.last ? 1 : -1));
}

export interface RevocationDrill {
  since: string;
  entries: number;
  lastUsed: string | null;
  projects: Array<{ path: string; count: number; last: string }>;
  agents: Array<{ agent: string; count: number; last: string }>;
  commands: Array<{ command: string; count: number; last: string; exitCodes: number[] }>;
  refused: number;
  redactions: number;
  exposures: Array<{ where: string; ts: string }>;
  blocks: number;
}

export function drill(records: readonly AuditRecord[], name: string, since: Date): RevocationDrill {
  const mine = filterRecords(records, { since, secrets: [name] }).filter(
    (r) => r.kind !== "secret-revoked" && r.kind !== "grants-revoked",
  );
  const uses = mine.filter((r) => r.kind === "exec" || r.kind === "grant-issued");
  const execs = mine.filter(
    (r): r is Extract<AuditRecord, { kind: "exec" }> =>
      r.kind === "exec" && !r.refused && r.secrets.includes(name),
  );
  const commands = tally(
    execs,
    (r) => r.command,
    (r) => r.ts,
  )
    .slice(0, 10)
    .map((c) => ({
      command: c.key,
      count: c.count,
      last: c.last,
      exitCodes: [...new Set(execs.filter((e) => e.command === c.key).map((e) => e.exitCode))].sort(
        (a, b) => a - b,
      ),
    }));
  return {
    since: since.toISOString(),
    entries: mine.length,
    lastUsed: execs.length
      ? execs
          .map((r) => r.ts)
          .sort()
          .at(-1)!
      : null,
    projects: tally(
      uses,
      (r) => (r.cwd ? projectOf(r.cwd) : undefined),
      (r) => r.ts,
    ).map((t) => ({ path: t.key, count: t.count, last: t.last })),
    agents: tally(
      uses,
      (r) => r.agent ?? "(by hand / no agent)",
      (r) => r.ts,
    ).map((t) => ({ agent: t.key, count: t.count, last: t.last })),
    commands,
    refused: mine.filter((r) => (r.kind === "exec" && r.refused) || r.kind === "grant-refused")
      .length,
    redactions: mine.filter(
      (r) => r.kind === "output-redacted" || (r.kind === "exec" && r.redactedNames.includes(name)),
    ).length,
    exposures: mine
      .filter(
        (r): r is Extract<AuditRecord, { kind: "exposure-found" }> => r.kind === "exposure-found",
      )
      .map((r) => ({ where: r.where, ts: r.ts })),
    blocks: mine.filter(
      (r) => r.kind === "push-blocked" || r.kind === "pack-blocked" || r.kind === "read-blocked",
    ).length,
  };
}

/** Invalidates outstanding grants for a secret, so they stay dead even after it is set again. */
async function revokeOutstandingGrants(
  home: string,
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<{ count: number }> {
  const count = await revokeGrantsVia(home, name, env);
  revokeApprovalsFor(home, name);
  return { count };
}

const when = (ts: string) => ts.replace("T", " ").replace(/\.\d+Z$/, "Z");

export const revoke: Command = {
  name: "revoke",
  options: [
    ["--since <time>", "how far back to list its uses (default 30d)"],
    ["--leases", "revoke every open lease now (no NAME)"],
    ["--json", "machine output"],
  ],
  example: "hookpack revoke GITHUB_TOKEN",
  summary:
    "revoke a secret: refuse every reference, invalidate grants, show what used it and how to rotate it; --leases: revoke every open lease now",
  usage: "hookpack revoke NAME [--since <time>] [--json] | hookpack revoke --leases [--json]",
  async run(args, io: Io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        json: { type: "boolean", default: false },
        since: { type: "string", default: "30d" },
        leases: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    // The lease drill (issue #19): every open capability lease, revoked now.
    if (values.leases) {
      if (positionals.length > 0)
        throw new HookpackError(
          "USAGE",
          "hookpack: --leases revokes every open lease and takes no NAME.",
          `usage: ${revoke.usage}`,
        );
      return (await import("./leases.js")).revokeLeasesDrill(values.json!, io);
    }
    const name = positionals[0];
    if (!name || positionals.length > 1)
      throw new HookpackError(
        "USAGE",
        "hookpack: revoke takes exactly one secret NAME.",
        `usage: ${revoke.usage}`,
      );
    if (!NAME_RE.test(name))
      throw new HookpackError(
        "USAGE",
        `hookpack: "${name}" is not a valid secret name.`,
        "use letters, digits and underscores (e.g. GITHUB_TOKEN).",
      );
    const since = parseSince(values.since!);
    const home = hookpackHome(io);
    const ctx: StoreContext = { home, env: io.env, askPassphrase: passphrasePrompt };

    const { records, verification } = readAuditLog(home);
    const usage = drill(records, name, since);
    const store = await openStore(ctx);
    const meta = store?.meta(name);
    if (
      !meta &&
      usage.entries === 0 &&
      !records.some((r) => r.kind === "secret-revoked" && r.secret === name)
    ) {
      const known = store?.list().map((m) => m.name) ?? [];
      throw new HookpackError(
        "SECRET_UNKNOWN",
        `hookpack: ${name} is not in the secret store and the audit log never saw it; nothing was revoked.`,
        known.length
          ? `known secrets: ${known.join(", ")}.`
          : "check the name (`hookpack secret list`).",
        1,
      );
    }

    // The shape of a stored value says who issued it; it is looked at in memory and dropped.
    let value: string | undefined;
    if (meta?.provider.kind === "store") {
      try {
        value = store!.value(name);
      } catch {
        value = undefined;
      }
    }
    const issuer = issuerStep(name, value);
    value = undefined;

    const already = meta?.revoked;
    const now = new Date().toISOString();
    if (meta && !already) await updateStore(ctx, (s) => s.markRevoked(name, now));
    const grants = await revokeOutstandingGrants(home, name, io.env);
    const auditErrors: string[] = [];
    if (!already) {
      if (grants.count)
        tryRecordAudit(
          home,
          { kind: "grants-revoked", secret: name, count: grants.count, user: io.env.USER },
          (m) => auditErrors.push(m),
        );
      tryRecordAudit(
        home,
        {
          kind: "secret-revoked",
          secret: name,
          grants: grants.count,
          user: io.env.USER,
          cwd: io.cwd,
        },
        (m) => auditErrors.push(m),
      );
    }
    const rotation = [issuer.step, providerStep(name, meta?.provider)];

    if (values.json) {
      io.out(
        `${JSON.stringify(
          {
            version: 1,
            secret: name,
            inStore: !!meta,
            revoked: meta ? (already ?? now) : null,
            alreadyRevoked: !!already,
            grants: { invalidated: grants.count },
            usage,
            rotation: { issuer: issuer.issuer, steps: rotation },
            integrity: { ok: verification.ok, problems: verification.problems },
          },
          null,
          2,
        )}\n`,
      );
      for (const m of auditErrors) io.err(`${m}\n`);
      return 0;
    }
    const out = (l = "") => io.out(`hookpack: ${l}\n`);
    if (!meta)
      out(
        `${name} is not in the secret store, so there is nothing to mark; rotate it anyway if it was used (below).`,
      );
    else if (already)
      out(
        `${name} was already revoked (${when(already)}): every $secret:${name} reference is refused until it is set again.`,
      );
    else
      out(`revoked ${name}: every $secret:${name} reference is now refused until it is set again.`);
    out(`outstanding grants: ${grants.count} invalidated.`);
    out();
    if (usage.entries === 0)
      out(
        `the audit log shows no use of ${name} since ${when(usage.since)} (--since widens the window).`,
      );
    else {
      out(
        `what used ${name} since ${when(usage.since)} (audit log, ${usage.entries} entr${usage.entries === 1 ? "y" : "ies"}${usage.lastUsed ? `; last used ${when(usage.lastUsed)}` : ""}):`,
      );
      if (usage.projects.length)
        out(
          `  projects: ${usage.projects.map((p) => `${p.path} (${p.count}×, last ${when(p.last)})`).join("; ")}`,
        );
      if (usage.agents.length)
        out(`  agents:   ${usage.agents.map((a) => `${a.agent} (${a.count}×)`).join("; ")}`);
      for (const c of usage.commands)
        out(
          `  command:  ${c.count}× \`${c.command}\` (last ${when(c.last)}, exit ${c.exitCodes.join("/")})`,
        );
      if (usage.exposures.length)
        out(`  EXPOSED:  ${usage.exposures.map((e) => `${e.where} (${when(e.ts)})`).join("; ")}`);
      if (usage.redactions) out(`  redacted from tool output ${usage.redactions}×`);
      if (usage.refused) out(`  refused  ${usage.refused}×`);
      if (usage.blocks) out(`  blocked reads, pushes or packs: ${usage.blocks}`);
    }
    if (!verification.ok)
      out(
        `warning: the audit log fails verification (${verification.problems[0]!.message}), so this list may be incomplete; run \`hookpack audit --verify\`.`,
      );
    out();
    out(
      "rotate it at the source now (revoking in hookpack does not disable the credential itself):",
    );
    rotation.forEach((s, i) => out(`  ${i + 1}. ${s}`));
    if (usage.projects.length)
      out(
        `  3. update the projects above that use it (CI secrets, deploy config), then check \`hookpack audit --secret ${name}\`.`,
      );
    for (const m of auditErrors) io.err(`${m}\n`);
    return 0;
  },
};
