// `$cap:NAME` in a shell command: the agent asks for a capability (a credential minted for this
// one call) in front of the one program that needs it, e.g.
//
//     $cap:read-staging-db psql -c 'select count(*) from orders'
//
// Pure: find the requests, check each against the capability's policy (allowed programs, hosts,
// no wrappers) and against what a `$secret:` delivery refuses (background jobs, detaching
// programs, builtins and functions, shell constructs, words expanded at run time), and plan the
// delivery the `$secret:` rewrite uses (issue 14): the request word is replaced by
// `hookpack exec --grant <id> --grant-key <key> --cap NAME -- ` in front of that one program. The
// broker mints the lease when the program starts and puts the capability's variables (the policy's
// `env`, several for a multi-part credential) in that program's environment only, then revokes the
// lease when it exits. No `bash -c`, no shell variable: the agent's shell, other stages of a
// pipeline and later commands never hold a value, and the program's output is masked before it
// enters a pipe.
import type { HookEvent, Verdict } from "../hooks/event.js";
import { matchPermissionRules, type PermissionRules } from "./agent-permissions.js";
import { offeredCallText, randomBase32, sha256Hex } from "./call-key.js";
import {
  describeCapabilityProvider,
  matchUse,
  PolicyError,
  type Policy,
  type SecretPolicy,
} from "./policy.js";
import type { SecretRefHost } from "./secret-ref-host.js";
import {
  brokerPrefix,
  BUILTINS,
  COMMAND_POSITION,
  DETACHING,
  functionsDefined,
  noConfigArg,
  programOf,
  shown,
  staticWord,
  type ProgramInfo,
} from "./secret-refs.js";
import { argvOf, scanShell, type SimpleCommand } from "./shell-scan.js";

export { CAP_ANYWHERE } from "./secret-ref.js";

/** A request as written: `$cap:` and a capability name (lowercase words joined by dashes). */
const CAP_RE = /\$cap:([a-z][a-z0-9]*(?:-[a-z0-9]+)*)/g;
const LEADING_KEYWORDS = new Set(["!", "{", "do", "then", "else", "elif", "if", "while", "until"]);
const placeholder = (i: number) => `__hookpack_capreq_${i}__`;

export interface CapabilityUse {
  capability: string;
  info: ProgramInfo;
  /** The program word as written (before basename). */
  programWord: string | undefined;
}

/** One program that receives capabilities: the broker goes in front of its program word. */
export interface CapabilityDelivery {
  capabilities: string[];
  /** Program and arguments after quote removal: what the grant binds. */
  argv: string[];
  /** Offsets in `text` of the request word(s) and the blanks after them: the broker prefix replaces them. */
  start: number;
  end: number;
  /** Text inserted right after the program word (curl's `-q`), at this offset of `text`. */
  after?: { at: number; text: string };
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
  | {
      ok: true;
      capabilities: string[];
      uses: CapabilityUse[];
      /** The command with each request replaced by a plain word (same offsets as the deliveries). */
      text: string;
      deliveries: CapabilityDelivery[];
    }
  | {
      ok: false;
      code: "CAP_UNSAFE" | "CAP_UNKNOWN" | "CAP_NOT_ALLOWED";
      reason: string;
      capabilities: string[];
    };

const HOW = (name: string) =>
  `Put $cap:${name} directly in front of the one program that needs it, in the foreground, with its arguments written out, e.g. \`$cap:${name} psql -c 'select 1'\`.`;

/** What a `$secret:` delivery refuses for its receiving program (rules/secret-refs.ts), said for a capability. */
function receivingProblem(
  text: string,
  name: string,
  info: ProgramInfo,
  command: SimpleCommand,
): string | undefined {
  const bad = info.keywords.find((k) => !COMMAND_POSITION.has(k));
  if (bad !== undefined)
    return `hookpack refused this command: $cap:${name} sits in a shell construct (\`${bad}\`), where the shell itself would run the program. ${HOW(name)}`;
  const program = info.program!;
  if (DETACHING.has(program))
    return `hookpack refused this command: \`${program}\` would run what receives $cap:${name} elsewhere or after this call ends. ${HOW(name)}`;
  if (BUILTINS.has(program) || functionsDefined(text).has(program))
    return `hookpack refused this command: \`${program}\` is a shell builtin or function, so the shell itself would hold the credential of ${name}. ${HOW(name)}`;
  const dynamic = [info.head!, ...info.args].find((w) => !staticWord(text, w));
  if (dynamic)
    return `hookpack refused this command: \`${program}\`, which receives $cap:${name}, has a word the shell expands at run time (\`${shown(dynamic)}\`). Write its arguments out in full (quoted, without $VAR, $(…), globs, ~ or {a,b}) so the grant binds exactly what runs, or compute them in a separate call.`;
  if (command.words.some((w) => w.redirect && w.refs.length > 0))
    return `hookpack refused this command: a redirection of the command that receives $cap:${name} holds a reference. ${HOW(name)}`;
  return undefined;
}

/** Finds `$cap:` requests, checks them against the policy and plans one brokered program per request. */
export function analyzeCapabilities(command: string, policy: Policy): CapabilityAnalysis {
  const found = [...command.matchAll(CAP_RE)];
  const capabilities = [...new Set(found.map((m) => m[1]!))];
  const refuse = (
    code: "CAP_UNSAFE" | "CAP_UNKNOWN" | "CAP_NOT_ALLOWED",
    reason: string,
  ): CapabilityAnalysis => ({ ok: false, code, reason, capabilities });
  if (command.includes("__hookpack_capreq_")) {
    return refuse(
      "CAP_UNSAFE",
      "hookpack refused this command: it names hookpack's internal capability words (__hookpack_capreq_…). Ask for the capability with $cap:NAME in front of the program instead.",
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
  if (scan.background.length > 0)
    return refuse(
      "CAP_UNSAFE",
      "hookpack refused this command: it starts a background job (`&` or `coproc`), which could outlive this call while a credential is live, or read it from the program that holds it. Run the command that uses the capability in the foreground, and anything else in a separate call.",
    );
  const uses: CapabilityUse[] = [];
  const deliveries: CapabilityDelivery[] = [];
  const seen = new Set<number>();
  let misplaced: string | undefined;
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
    const requests = c.words.filter((w) => /^__hookpack_capreq_\d+__$/.test(w.value ?? ""));
    if (requests.length === 0) continue;
    // The requests must be the first words of the command: `$cap:a $cap:b program …`.
    const mine: number[] = [];
    requests.forEach((w, k) => {
      const i = Number(/\d+/.exec(w.value!)![0]);
      if (w.shape !== w.value || argv[k] !== w) misplaced ??= found[i]![1]!;
      else mine.push(i);
    });
    if (misplaced !== undefined) break;
    mine.forEach((i) => seen.add(i));
    const rest: SimpleCommand = {
      ...c,
      words: c.words.filter((x) => !requests.includes(x)),
    };
    const info = programOf(rest);
    const names = [...new Set(mine.map((i) => found[i]![1]!))];
    for (const capability of names) uses.push({ capability, info, programWord: info.head?.value });
    if (info.program === undefined || info.head === undefined) continue; // refused below
    const why = receivingProblem(text, names[0]!, info, c);
    if (why) return refuse("CAP_NOT_ALLOWED", why);
    const words = [info.head, ...info.args].map((w) => w.value!);
    // psql reads ~/.psqlrc (the agent can write it, and `\!` there runs a shell with the credential): -X.
    const noConfig = info.program === "psql" ? "-X" : noConfigArg(info.program);
    if (noConfig !== undefined && words[1] !== noConfig) words.splice(1, 0, noConfig);
    let end = requests.at(-1)!.end;
    while (text[end] === " " || text[end] === "\t") end++;
    deliveries.push({
      capabilities: names,
      argv: words,
      start: requests[0]!.start,
      end,
      ...(noConfig !== undefined && info.args[0]?.value !== noConfig
        ? { after: { at: info.head.end, text: ` ${noConfig}` } }
        : {}),
    });
  }
  if (misplaced !== undefined || seen.size !== found.length) {
    const name = misplaced ?? found.find((_, i) => !seen.has(i))?.[1] ?? "";
    return refuse(
      "CAP_UNSAFE",
      `hookpack refused this command: $cap:${name} must stand unquoted at the start of the one command that needs it, e.g. \`$cap:${name} psql -c 'select 1'\` (not inside quotes, a here-document, a comment, or after \`env\`, \`sudo\`, \`timeout\` and the like). The program receives the credential in the environment variables the capability names, never as an argument or on stdin.`,
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
    const word = use.programWord;
    if (word !== undefined && word.includes("/")) {
      return refuse(
        "CAP_NOT_ALLOWED",
        `hookpack blocked this command: $cap:${use.capability} must name its program by name (found on PATH), not by path (\`${word}\`), so that it is the program the policy allows.`,
      );
    }
    if (use.info.assignments.length > 0) {
      return refuse(
        "CAP_NOT_ALLOWED",
        `hookpack blocked this command: the command that receives $cap:${use.capability} sets variables of its own (\`${use.info.assignments.map((a) => (a.value ?? a.shape).split("=")[0]).join(" ")}=…\`); PATH, LD_PRELOAD, BASH_ENV or PSQLRC could hand the credential to another program. Drop the assignments.`,
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
  return { ok: true, capabilities, uses, text, deliveries };
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
 * The rewritten command: each request replaced by the broker in front of its program (grant ids,
 * the call's key and capability names, never a value). The key (random per call, the broker keeps
 * its hash) lets only this call redeem the grants: the agent cannot take one that waits for the
 * user's approval, nor rebuild one from its id.
 */
export function capabilityCommand(
  analysis: Extract<CapabilityAnalysis, { ok: true }>,
  prefixes: readonly string[],
): string {
  const edits = analysis.deliveries
    .flatMap((d, i) => [
      { start: d.start, end: d.end, text: prefixes[i]! },
      ...(d.after ? [{ start: d.after.at, end: d.after.at, text: d.after.text }] : []),
    ])
    .sort((a, b) => b.start - a.start);
  let out = analysis.text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The grant TTL (until the command starts) when a human must approve: time to read the prompt. */
const ASK_GRANT_TTL_MS = 15 * 60_000;

/**
 * The verdict for a shell command that asks for capabilities: deny with a reason, or rewrite it so
 * that `hookpack exec --grant <id> --grant-key <key> --cap NAME… --` stands in front of each
 * receiving program, with a grant that carries the capabilities' (value-free) policy, so the broker
 * mints exactly what the policy said, for exactly that program.
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
  const all = analysis.capabilities.map((c) => policy.capabilities!.get(c)!);
  const needsHuman = ruled?.kind === "ask" || all.some((e) => e.approval === "ask");
  // One grant per receiving program, all bound to one key carried by this call only, and to the
  // whole rewritten call (an agent that cannot rewrite input runs it as offered).
  const key = randomBase32(26);
  const blank = analysis.deliveries.map((d) =>
    brokerPrefix(host.self, "g_", key, false, d.capabilities),
  );
  const callSha256 = await sha256Hex(offeredCallText(capabilityCommand(analysis, blank)));
  const prefixes: string[] = [];
  let expiresAt = "";
  for (const d of analysis.deliveries) {
    const grant = await host.mintGrant({
      names: [],
      argv: d.argv,
      agent: event.agent,
      session: event.session.id,
      toolCallId: event.tool.id,
      cwd: event.session.cwd,
      ttlMs: needsHuman ? Math.max(ASK_GRANT_TTL_MS, policy.defaults.ttlMs) : policy.defaults.ttlMs,
      approval: needsHuman ? "ask" : "auto",
      capabilities: d.capabilities.map((c) => policy.capabilities!.get(c)!),
      key,
      placeholders: {},
      callSha256,
    });
    expiresAt = grant.expiresAt;
    prefixes.push(brokerPrefix(host.self, grant.id, key, false, d.capabilities));
  }
  const described = describeCapabilities(policy, analysis.capabilities);
  const programs = [...new Set(analysis.deliveries.map((d) => `\`${d.argv[0]}\``))].join(", ");
  return {
    kind: "rewrite",
    patch: { command: capabilityCommand(analysis, prefixes) },
    reason: `hookpack: ${described} for this command only: \`${command.length > 300 ? `${command.slice(0, 300)}…` : command}\`. \`hookpack exec\` mints the credential when ${programs} starts (single-use grant, valid until ${expiresAt}), puts it in the environment of that program alone, and revokes it when the program exits${needsHuman ? ". Approve only if this command should have that access" : ""}.`,
    ...(needsHuman ? { approval: "ask" as const } : {}),
  };
}
