// `$cap:NAME` in a shell command: the agent asks for a capability (a credential minted for this
// one call) in front of the one program that needs it, e.g.
//
//     $cap:read-staging-db psql -c 'select count(*) from orders'
//
// Pure: find the requests, check each against the capability's policy (allowed programs, hosts,
// no wrappers), and write the inner script `hookpack exec` runs. The credential never travels
// through the environment of that script's shell: the broker writes the values to file
// descriptor 3, the script reads them into unexported shell variables, closes the descriptor, and
// puts them in front of exactly the requested program as assignments (`PGPASSWORD="$v" psql …`).
// Other stages of a pipeline, other commands and the shell's own environment never hold them.
import type { HookEvent, Verdict } from "../hooks/event.js";
import { matchPermissionRules, type PermissionRules } from "./agent-permissions.js";
import {
  describeCapabilityProvider,
  matchUse,
  PolicyError,
  type CapabilityPolicy,
  type Policy,
  type SecretPolicy,
} from "./policy.js";
import type { SecretRefHost } from "./secret-ref-host.js";
import { programOf, shellSingleQuote as sq, type ProgramInfo } from "./secret-refs.js";
import { argvOf, scanShell, type SimpleCommand } from "./shell-scan.js";

export { CAP_ANYWHERE } from "./secret-ref.js";

/** A request as written: `$cap:` and a capability name (lowercase words joined by dashes). */
const CAP_RE = /\$cap:([a-z][a-z0-9]*(?:-[a-z0-9]+)*)/g;
/** The shell variables that hold values inside the brokered script; the agent may not name them. */
export const CAP_VAR_PREFIX = "__hookpack_cap_";
const LEADING_KEYWORDS = new Set(["!", "{", "do", "then", "else", "elif", "if", "while", "until"]);
const placeholder = (i: number) => `__hookpack_capreq_${i}__`;

export interface CapabilityUse {
  capability: string;
  info: ProgramInfo;
  /** The program word as written (before basename). */
  programWord: string | undefined;
}

/** psql options whose value follows as the next word (-c SQL, -f FILE, -v NAME=VALUE, …). */
function takesValue(v: string | undefined): boolean {
  if (v === undefined) return false;
  if (
    /^--(command|file|set|variable|pset|output|log-file|field-separator|record-separator|table-attr)$/.test(
      v,
    )
  )
    return true;
  return /^-[a-zA-Z]*[cfvPoLTFR]$/.test(v) && !/^-[a-zA-Z]*[hpdU]/.test(v);
}

/** psql options that pick the server or database itself (a conninfo string or URI counts too). */
function psqlElsewhere(info: ProgramInfo): string | undefined {
  const args = info.args;
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value;
    if (v === undefined) {
      if (i > 0 && takesValue(args[i - 1]!.value)) continue; // -c "$(…)" is SQL, not a destination
      return "an argument of psql is not a fixed word";
    }
    if (takesValue(v)) {
      i++;
      continue;
    }
    if (/^(-h|--host|-p|--port|-d|--dbname|-U|--username)(=|$)/.test(v) || /^-[hpdU]./.test(v))
      return `psql's \`${v.split("=")[0]!.slice(0, 12)}\` chooses the server, database or user`;
    if (/=|:\/\//.test(v) && !v.startsWith("-")) return "a psql argument is a connection string";
  }
  return undefined;
}

export type CapabilityAnalysis =
  | { ok: true; capabilities: string[]; uses: CapabilityUse[]; inner: string }
  | {
      ok: false;
      code: "CAP_UNSAFE" | "CAP_UNKNOWN" | "CAP_NOT_ALLOWED";
      reason: string;
      capabilities: string[];
    };

/** The variables (in order) a capability delivers; the broker writes the values to fd 3 in this order. */
export function capabilityVars(entry: CapabilityPolicy): string[] {
  return entry.env.map((e) => e.var);
}

const varName = (capIndex: number, varIndex: number) => `${CAP_VAR_PREFIX}${capIndex}_${varIndex}`;

/** Finds `$cap:` requests, checks them against the policy and builds the script for `bash -c`. */
export function analyzeCapabilities(command: string, policy: Policy): CapabilityAnalysis {
  const found = [...command.matchAll(CAP_RE)];
  const capabilities = [...new Set(found.map((m) => m[1]!))];
  const refuse = (
    code: "CAP_UNSAFE" | "CAP_UNKNOWN" | "CAP_NOT_ALLOWED",
    reason: string,
  ): CapabilityAnalysis => ({ ok: false, code, reason, capabilities });
  if (command.includes(CAP_VAR_PREFIX) || command.includes("__hookpack_capreq_")) {
    return refuse(
      "CAP_UNSAFE",
      `hookpack refused this command: it names hookpack's internal capability variables (${CAP_VAR_PREFIX}…). Ask for the capability with $cap:NAME in front of the program instead.`,
    );
  }
  if (/\$\{cap:/.test(command) || /\$cap:(?![a-z])/.test(command)) {
    return refuse(
      "CAP_UNSAFE",
      "hookpack refused this command: a capability request is written `$cap:NAME` (lowercase name, e.g. $cap:read-staging-db) directly in front of the program that needs it.",
    );
  }
  const unknown = capabilities.filter((c) => !policy.capabilities?.has(c));
  if (unknown.length > 0) {
    const known = [...(policy.capabilities?.keys() ?? [])];
    return refuse(
      "CAP_UNKNOWN",
      `hookpack blocked this command: ${unknown.map((c) => `$cap:${c}`).join(", ")} ${unknown.length > 1 ? "are" : "is"} not a capability of ${policy.path ? `the project policy ${policy.path}` : "this project (there is no hookpack.json)"}. Known capabilities: ${known.join(", ") || "none"}. Use one of those, or ask the user to declare it.`,
    );
  }
  // Each request becomes a plain word that the scanner can place; the scan then proves it stands,
  // unquoted, as the first word of a simple command.
  let text = "";
  let at = 0;
  found.forEach((m, i) => {
    text += command.slice(at, m.index) + placeholder(i);
    at = m.index! + m[0].length;
  });
  text += command.slice(at);
  const scan = scanShell(text);
  if (scan.refs.some((r) => !r.comment)) {
    return refuse(
      "CAP_UNSAFE",
      "hookpack refused this command: it mixes $cap: capabilities and $secret: references. Run them as two separate commands.",
    );
  }
  const problem = scan.problems[0];
  if (problem)
    return refuse(
      "CAP_UNSAFE",
      `hookpack cannot rewrite this command with certainty: it contains ${problem.what}. Write the capability command in a simpler form.`,
    );
  const order = capabilities;
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const uses: CapabilityUse[] = [];
  const seen = new Set<number>();
  for (const c of scan.commands) {
    let argv = argvOf(c);
    // Reserved words that may stand before a command (`if`, `do`, `!`, …) are not its program.
    while (
      argv.length > 0 &&
      argv[0]!.value !== undefined &&
      LEADING_KEYWORDS.has(argv[0]!.value) &&
      argv[0]!.shape === argv[0]!.value
    )
      argv = argv.slice(1);
    c.words.forEach((w) => {
      const m = /^__hookpack_capreq_(\d+)__$/.exec(w.value ?? "");
      if (!m || w.shape !== w.value) return;
      const i = Number(m[1]);
      const capability = found[i]![1]!;
      if (argv[0] !== w) {
        edits.push({ start: -1, end: -1, text: capability });
        return;
      }
      seen.add(i);
      const rest: SimpleCommand = {
        ...c,
        words: c.words.filter(
          (x) =>
            x !== w &&
            !(argvOf(c).indexOf(x) < argvOf(c).indexOf(w) && LEADING_KEYWORDS.has(x.value ?? "")),
        ),
      };
      const info = programOf(rest);
      const head = argvOf(rest)[0];
      uses.push({ capability, info, programWord: head?.value });
      const ci = order.indexOf(capability);
      const entry = policy.capabilities!.get(capability)!;
      const assigns = entry.env.map((e, vi) => `${e.var}="\${${varName(ci, vi)}}"`).join(" ");
      // The request word (and the blank after it) becomes the assignments.
      let end = w.end;
      while (text[end] === " " || text[end] === "\t") end++;
      edits.push({ start: w.start, end, text: `${assigns} ` });
    });
  }
  const misplaced = edits.find((e) => e.start === -1);
  if (misplaced || seen.size !== found.length) {
    const name = misplaced?.text ?? found.find((_, i) => !seen.has(i))?.[1] ?? "";
    return refuse(
      "CAP_UNSAFE",
      `hookpack refused this command: $cap:${name} must stand unquoted at the start of the one command that needs it, e.g. \`$cap:${name} psql -c 'select 1'\` (not inside quotes, a here-document, a comment, or after \`env\`, \`sudo\`, \`timeout\` and the like).`,
    );
  }
  for (const use of uses) {
    const entry = policy.capabilities!.get(use.capability)!;
    if (use.info.program === undefined)
      return refuse(
        "CAP_NOT_ALLOWED",
        `hookpack blocked this command: the program after $cap:${use.capability} is not a fixed word, so the project policy cannot be checked.`,
      );
    if (use.info.wrappers.length > 0) {
      return refuse(
        "CAP_NOT_ALLOWED",
        `hookpack blocked this command: $cap:${use.capability} goes through \`${use.info.wrappers.join(" ")}\`; a capability is delivered to exactly one program, so put $cap:${use.capability} directly in front of it.`,
      );
    }
    const word = use.info.args.length >= 0 ? use.programWord : undefined;
    if (word !== undefined && word.includes("/")) {
      return refuse(
        "CAP_NOT_ALLOWED",
        `hookpack blocked this command: $cap:${use.capability} must name its program by name (found on PATH), not by path (\`${word}\`), so that it is the program the policy allows.`,
      );
    }
    if (use.info.assignments.length > 0) {
      return refuse(
        "CAP_NOT_ALLOWED",
        `hookpack blocked this command: the command that receives $cap:${use.capability} sets variables of its own (\`${use.info.assignments.map((a) => (a.value ?? a.shape).split("=")[0]).join(" ")}=…\`); PATH, LD_PRELOAD or PSQLRC could hand the credential to another program. Drop the assignments.`,
      );
    }
    const redirect = use.info.program === "psql" && psqlElsewhere(use.info);
    if (redirect)
      return refuse(
        "CAP_NOT_ALLOWED",
        `hookpack blocked this command: ${redirect}; the capability's provider fixes where psql connects (its PGHOST/PGPORT/PGDATABASE), so the credential cannot be sent to another server.`,
      );
    const asSecret: SecretPolicy = {
      name: use.capability,
      commands: entry.commands,
      approval: "ask",
      ttlMs: entry.ttlMs,
    };
    const match = matchUse(asSecret, {
      name: use.capability,
      site: undefined as never,
      info: use.info,
      via: "assignment",
    });
    if (!match.ok) {
      return refuse(
        "CAP_NOT_ALLOWED",
        `hookpack blocked this command: the project policy${policy.path ? ` (${policy.path})` : ""} does not allow $cap:${use.capability} here: ${match.reason}. Use an allowed command, or ask the user to change the policy.`,
      );
    }
  }
  edits.sort((a, b) => a.start - b.start);
  let rewritten = "";
  at = 0;
  for (const e of edits) {
    rewritten += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  rewritten += text.slice(at);
  const reads = order.flatMap((cap, ci) =>
    capabilityVars(policy.capabilities!.get(cap)!).map(
      (_, vi) => `IFS= read -r -d '' ${varName(ci, vi)}`,
    ),
  );
  const inner = `{ ${reads.join(" && ")}; } <&3 || { echo 'hookpack: the broker did not deliver the capability values; nothing was run.' >&2; exit 125; }; exec 3<&-; ${rewritten}`;
  return { ok: true, capabilities: order, uses, inner };
}

/** One line per capability for the approval prompt: name, what mints it, scope, TTL. */
export function describeCapabilities(policy: Policy, capabilities: readonly string[]): string {
  return capabilities
    .map((c) => {
      const e = policy.capabilities!.get(c)!;
      const minutes =
        e.ttlMs >= 60_000
          ? `${Math.round(e.ttlMs / 60_000)} min`
          : `${Math.round(e.ttlMs / 1000)} s`;
      return `$cap:${c} (${describeCapabilityProvider(e.provider)}; scope: ${e.scope}; lease at most ${minutes}, revoked when the command exits)`;
    })
    .join(", ");
}

/**
 * The rewritten command line: capability names, a grant id, the call's key and paths only, never a
 * value. The key (random per call, the broker keeps its hash) is what lets only this call redeem
 * the grant: the agent sees neither, so it cannot take a grant that waits for the user's approval.
 */
export function capabilityCommand(
  self: { node: string; script: string },
  grantId: string,
  capabilities: readonly string[],
  inner: string,
  key?: string,
): string {
  return `${sq(self.node)} ${sq(self.script)} exec --grant ${grantId}${key !== undefined ? ` --grant-key ${key}` : ""} ${capabilities.map((c) => `--cap ${c}`).join(" ")} -- bash -c ${sq(inner)}`;
}

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
/** 26 random base32 characters (130 bits) from the platform's CSPRNG. */
function newKey(): string {
  let out = "";
  for (const b of globalThis.crypto.getRandomValues(new Uint8Array(26))) out += B32[b & 31];
  return out;
}

/** The grant TTL (until the command starts) when a human must approve: time to read the prompt. */
const ASK_GRANT_TTL_MS = 15 * 60_000;

/**
 * The verdict for a shell command that asks for capabilities: deny with a reason, or rewrite into
 * `hookpack exec --grant <id> --cap NAME… -- bash -c '<script>'` with a grant that carries the
 * capabilities' (value-free) policy, so the broker mints exactly what the policy said.
 */
export async function capabilityVerdict(
  command: string,
  event: Extract<HookEvent, { kind: "before-tool" }>,
  host: SecretRefHost,
  agentRules: PermissionRules | undefined,
): Promise<Verdict> {
  const deny = (code: string, reason: string): Verdict => ({ kind: "deny", code, reason });
  let policy: Policy;
  try {
    policy = await host.loadPolicy(event.session.cwd);
  } catch (error) {
    if (error instanceof PolicyError)
      return deny(
        "POLICY_INVALID",
        `hookpack blocked this command: the project policy is invalid: ${error.message}. Ask the user to fix ${error.path} (\`hookpack doctor\` explains it).`,
      );
    throw error;
  }
  const analysis = analyzeCapabilities(command, policy);
  if (!analysis.ok) return deny(analysis.code, analysis.reason);
  const ruled =
    agentRules && matchPermissionRules(command, scanShell(command).commands, agentRules);
  if (ruled?.kind === "deny")
    return deny(
      "AGENT_RULE_DENIED",
      `hookpack blocked this command: the permission rule ${ruled.rule.rule} in ${ruled.rule.source} denies it. hookpack applies your agent's deny rules to the command as written, before it mints any credential; do not work around the rule.`,
    );
  const entries = analysis.capabilities.map((c) => policy.capabilities!.get(c)!);
  const needsHuman = ruled?.kind === "ask" || entries.some((e) => e.approval === "ask");
  const argv = ["bash", "-c", analysis.inner];
  const key = newKey();
  const grant = await host.mintGrant({
    names: [],
    argv,
    agent: event.agent,
    session: event.session.id,
    toolCallId: event.tool.id,
    cwd: event.session.cwd,
    ttlMs: needsHuman ? Math.max(ASK_GRANT_TTL_MS, policy.defaults.ttlMs) : policy.defaults.ttlMs,
    approval: needsHuman ? "ask" : "auto",
    capabilities: entries,
    key,
  });
  const described = describeCapabilities(policy, analysis.capabilities);
  return {
    kind: "rewrite",
    patch: {
      command: capabilityCommand(host.self, grant.id, analysis.capabilities, analysis.inner, key),
    },
    reason: `hookpack: ${described} for this command only: \`${command.length > 300 ? `${command.slice(0, 300)}…` : command}\`. \`hookpack exec\` mints the credential when the command starts (single-use grant, valid until ${grant.expiresAt}), hands it to that program alone, and revokes it when the command exits${needsHuman ? ". Approve only if this command should have that access" : ""}.`,
    ...(needsHuman ? { approval: "ask" as const } : {}),
  };
}
