// `$secret:NAME` in a tool call: a shell command is rewritten so that each program that receives a
// value runs under the broker (`hookpack exec --grant <id> --grant-key <key> -- program …`, the
// references replaced by random placeholders the broker swaps for the value in that program's
// argv, environment or stdin) after the project policy allowed every use; anything else that carries a reference is left as text (file
// content) or denied (MCP arguments, fetch URLs). Commands that call `hookpack exec` themselves or
// touch hookpack's private state are denied. The rule is pure: reading the policy, the names in
// the store and minting the grant are capabilities the hook entry injects.
import type { HookEvent, Verdict } from "../hooks/event.js";
import { matchPermissionRules, type PermissionRules } from "./agent-permissions.js";
import type { Approval, Policy, PolicyError } from "./policy.js";
import type { Rule } from "./rule.js";
import { offeredCallText, randomBase32 } from "./call-key.js";
import { sha256 } from "../core/sha256-wasm.js";
import { isSpace, isWordChar } from "./js-space.js";
import { CAP_ANYWHERE, REF_ANYWHERE } from "./secret-ref.js";

// The shell scanner, the policy and the rewriting are bundles of their own, loaded only for a call
// that carries a reference or names hookpack: a plain command never pays for them.
const heavy = () =>
  Promise.all([import("./policy.js"), import("./secret-refs.js"), import("./shell-scan.js")]);

// The host interface and the grant request live in ./secret-ref-host.ts (rule.ts needs the host
// type without importing this rule); re-exported here for the broker's client and grant table.
export type { GrantRequest, OfferedCall, SecretRefHost } from "./secret-ref-host.js";
import type { SecretRefHost } from "./secret-ref-host.js";

export { offeredCallText };

const REF_LIST = (names: readonly string[]) => names.map((n) => `$secret:${n}`).join(", ");

export const MESSAGES = {
  CALLS_BROKER: () =>
    "hookpack blocked this command: it runs `hookpack exec` itself. Write the command you want with `$secret:NAME` references instead; hookpack rewrites it into a brokered exec with a single-use grant.",
  TOUCHES_STATE: (home: string) =>
    `hookpack blocked this command: it refers to hookpack's private state (${home}: the secret store, key and grants). Refer to secrets as \`$secret:NAME\` instead; \`hookpack secret list\` shows the names.`,
  UNSAFE: (reason: string) =>
    `${reason} Rewrite the command in a simpler form (no eval, no references inside \${…} or $((…))), or ask the user to run it.`,
  NOT_IN_SHELL: (tool: string, names: readonly string[], kind: string) =>
    `hookpack blocked this ${tool} call: ${REF_LIST(names)} can only be used in a shell command, where hookpack injects the value at run time; ${kind === "mcp" ? "MCP tool arguments" : "this tool's input"} would carry the value itself. Use a shell command (e.g. curl) with the reference, or ask the user.`,
  // Nothing of the file's content is echoed: a value pasted there by mistake would reach the model.
  POLICY_INVALID: (error: PolicyError) =>
    `hookpack blocked this command: the project policy ${error.path} is not valid. Ask the user to run \`hookpack doctor\` in their terminal, which explains what to fix.`,
  PENDING: (path: string) =>
    ` (${path} has changes the user has not approved, so they do not apply yet; the user approves them with \`hookpack policy approve\` in their terminal)`,
  UNKNOWN: (names: readonly string[], policy: Policy, stored: string[] | undefined) => {
    // Every name the agent could use: the policy's entries and the store's (undeclared ones ask).
    const known = [...new Set([...(policy.secrets?.keys() ?? []), ...(stored ?? [])])];
    return (
      `hookpack blocked this command: ${REF_LIST(names)} ${names.length > 1 ? "are" : "is"} not in the hookpack store${policy.path ? ` and not declared in the project policy ${policy.path}` : ""}. ${known.length > 0 ? `Known secrets: ${known.join(", ")}. Use one of those, or ask` : "No secret is stored yet. Ask"} the user to run \`hookpack secret set ${names[0]}\` (the value is read from stdin, never from the command line).` +
      (policy.pending ? MESSAGES.PENDING(policy.pending) : "")
    );
  },
  NOT_ALLOWED: (name: string, why: string, policyPath: string | undefined, pending?: string) =>
    `hookpack blocked this command: the project policy${policyPath ? ` (${policyPath}${pending ? ", as the user last approved it" : ""})` : ""} does not allow this use of $secret:${name}: ${why}. Use an allowed command, or ask the user to change the policy.${pending ? MESSAGES.PENDING(pending) : ""}`,
  REWRITTEN: (
    names: readonly string[],
    programs: readonly string[],
    expiresAt: string,
    approval: Approval,
  ) =>
    `hookpack: ${REF_LIST(names)} ${names.length > 1 ? "are" : "is"} delivered by \`hookpack exec\` at run time to ${programs.map((p) => `\`${p}\``).join(", ")} only (single-use grant, valid until ${expiresAt}); the value never appears in the command${approval === "ask" ? ". The project policy or your permission rules ask you to approve this use" : ""}.`,
  // (A rule can only match text the command holds, so quoting it shows the model nothing new.)
  AGENT_RULE: (rule: string, source: string) =>
    `hookpack blocked this command: the permission rule ${rule} in ${source} denies it. hookpack applies your agent's deny rules to the command as written, before it brokers any secret; do not work around the rule.`,
  POLICY_EDIT: (path: string) =>
    `hookpack: this call changes the secret policy ${path}; the user must approve it.`,
};

const deny = (code: string, reason: string): Verdict => ({ kind: "deny", code, reason });

/**
 * Words that could name hookpack's home other than by its text: globs, `~`, `$HOME`, links, and
 * (word by word, in stateHint) split quoting and paths built from variables. What
 * `/HOOKPACK_HOME|\bc\s+["']?\$|~|\$\{?HOME\b|[*?[]|(^|[\s;&|(])ln\s/` matches, written out
 * (issue 21: that regex's first run cost every allowed call ≈ 0.05 ms;
 * test/rules/early-allow-scanners.test.ts compares the two).
 */
function stateHintWords(command: string): boolean {
  if (
    command.includes("~") ||
    command.includes("*") ||
    command.includes("?") ||
    command.includes("[") ||
    command.includes("HOOKPACK_HOME")
  )
    return true;
  const dollar = command.indexOf("$");
  for (let i = dollar; i !== -1; i = command.indexOf("$", i + 1)) {
    // `$HOME` or `${HOME`, the name ending there (`\b`).
    const j = command.charCodeAt(i + 1) === 123 ? i + 2 : i + 1;
    if (command.startsWith("HOME", j) && !isWordChar(command.charCodeAt(j + 4))) return true;
  }
  // `c` as a word of its own, whitespace, an optional quote, `$` (`c "$D"`).
  if (dollar !== -1)
    for (let i = command.indexOf("c"); i !== -1; i = command.indexOf("c", i + 1)) {
      if (isWordChar(command.charCodeAt(i - 1)) || !isSpace(command.charCodeAt(i + 1))) continue;
      let j = i + 2;
      while (isSpace(command.charCodeAt(j))) j++;
      const q = command.charCodeAt(j);
      if (q === 34 || q === 39) j++;
      if (command.charCodeAt(j) === 36) return true;
    }
  // `ln` as a program (`ln -s ~/.hookpack x`): at the start or after whitespace or `;&|(`, then whitespace.
  for (let i = command.indexOf("ln"); i !== -1; i = command.indexOf("ln", i + 1)) {
    const p = command.charCodeAt(i - 1);
    if (
      (i === 0 || isSpace(p) || p === 59 || p === 38 || p === 124 || p === 40) &&
      isSpace(command.charCodeAt(i + 2))
    )
      return true;
  }
  return false;
}

/**
 * stateHintWords, or a word with `.h` then a quote or backslash (`.h"ookpack"`), a quote or backslash
 * then `ookpack` (`'.h'ookpack`), or `/` then `$` in one unquoted run (`~/$D`). These three were
 * regex alternatives (`\.h[^\s]*['"\\]`, `['"\\][^\s]*ookpack`, `\/[^\s'"]*\$`) that backtracked
 * over the rest of the word at every start: one 200 KB word cost the hook ~20 CPU seconds, so a
 * padded command could outlast the agent's hook timeout. Checked word by word they are linear.
 */
export function stateHint(command: string): boolean {
  if (stateHintWords(command)) return true;
  // The common command has none of the three: answered without splitting it into words.
  const slashDollar = command.includes("/") && command.includes("$");
  if (!slashDollar && !command.includes(".h") && !command.includes("ookpack")) return false;
  for (const word of command.split(/\s+/)) {
    const quotes = [word.indexOf("'"), word.indexOf('"'), word.indexOf("\\")].filter((i) => i >= 0);
    const lastQuote = Math.max(
      word.lastIndexOf("'"),
      word.lastIndexOf('"'),
      word.lastIndexOf("\\"),
    );
    const dotH = word.indexOf(".h");
    if (dotH !== -1 && lastQuote > dotH + 1) return true;
    if (quotes.length > 0 && word.lastIndexOf("ookpack") > Math.min(...quotes)) return true;
    for (const run of word.split(/['"]/)) {
      const slash = run.indexOf("/");
      if (slash !== -1 && run.lastIndexOf("$") > slash) return true;
    }
  }
  return false;
}
/**
 * Arguments only the broker takes: whatever the program is called (a copy, a variable, `node
 * x.cjs`). What `/(^|\s)--(grant|grant-key|secret|env-file|stdin-refs)(=|\s|$)/` matches, written
 * out (issue 21: the regex's first run cost every allowed call ≈ 0.1 ms; most commands have no
 * `--` at all; test/rules/early-allow-scanners.test.ts compares the two).
 */
export function brokerFlags(command: string): boolean {
  const n = command.length;
  for (let i = command.indexOf("--"); i !== -1; i = command.indexOf("--", i + 1)) {
    if (i > 0 && !isSpace(command.charCodeAt(i - 1))) continue;
    // The name runs to `=`, whitespace or the end; no broker flag is longer than 10 characters,
    // so the look stops there (linear on a run of dashes).
    let j = i + 2;
    for (; j < n && j - i <= 13; j++) {
      const c = command.charCodeAt(j);
      if (c === 61 || isSpace(c)) break;
    }
    if (BROKER_FLAG_NAMES.has(command.slice(i + 2, j))) return true;
  }
  return false;
}
const BROKER_FLAG_NAMES = new Set(["grant", "grant-key", "secret", "env-file", "stdin-refs"]);

/** Does the command run `hookpack exec` or reach hookpack's home? (Cheap pre-check first.) */
export async function brokerMisuse(
  command: string,
  home: string,
  cwd: string,
  userHome: string,
  depth = 0,
): Promise<Verdict | undefined> {
  const homeMentioned = home !== "" && command.includes(home);
  if (
    !homeMentioned &&
    !command.includes("hookpack") &&
    !stateHint(command) &&
    !brokerFlags(command)
  )
    return undefined;
  const [, { programOf }, { scanShell }] = await heavy();
  const scan = scanShell(command);
  for (const c of scan.commands) {
    const info = programOf(c);
    const words = [info.program, ...info.args.map((a) => a.value ?? a.shape)];
    const run = (i: number) =>
      words[i] !== undefined &&
      /(^|\/)hookpack(\.c?js)?$/.test(words[i]!) &&
      words.slice(i + 1).includes("exec");
    const brokerArgs =
      words.includes("exec") &&
      words.some(
        (w) => w !== undefined && /^--(grant|grant-key|secret|env-file|stdin-refs)(=|$)/.test(w),
      );
    if (
      run(0) ||
      (info.program === "npx" && run(1)) ||
      (info.program === "node" && words.some((w, i) => i > 0 && run(i))) ||
      brokerArgs
    ) {
      return deny("BROKER_SELF_CALL", MESSAGES.CALLS_BROKER());
    }
    for (const w of c.words) {
      const text = w.value ?? w.shape;
      if ((home !== "" && text.includes(home)) || /(^|[/~])\.hookpack(\/|$)/.test(text))
        return deny("HOOKPACK_STATE", MESSAGES.TOUCHES_STATE(home || "~/.hookpack"));
    }
    // `bash -c '<script>'`: the script is a command of its own.
    if (info.program !== undefined && /^(ba|z|da|k|mk|a)?sh$/.test(info.program) && depth < 3) {
      const i = info.args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a.value ?? ""));
      const script = i === -1 ? undefined : info.args[i + 1]?.value;
      if (script !== undefined) {
        const inner = await brokerMisuse(script, home, cwd, userHome, depth + 1);
        if (inner) return inner;
      }
    }
  }
  if (home !== "") {
    // Resolved through the parser: globs, `~`, `$HOME`, symlinks, `bash -c` scripts (rules/state-paths.ts).
    const { reachesHome } = await import("./state-paths.js");
    if (reachesHome(command, { home, cwd, userHome }))
      return deny("HOOKPACK_STATE", MESSAGES.TOUCHES_STATE(home));
  }
  return undefined;
}

/**
 * Is this command, byte for byte, the rewritten command hookpack itself offered in this agent
 * session (an agent that cannot rewrite input is told to run it instead), with its grants pending?
 * Anything else that runs `hookpack exec` stays denied: the grants bind the exact text.
 */
async function offeredBrokerCall(
  command: string,
  event: HookEvent,
  host: SecretRefHost,
): Promise<boolean> {
  if (!host.isOffered) return false;
  const ids = [...command.matchAll(/--grant (g_[a-z2-7]{26})\b/g)].map((m) => m[1]!);
  if (ids.length === 0) return false;
  if (!command.includes(" --grant-key ")) return false;
  // A `$secret:` or a `$cap:` call alike: every grant it carries was minted for exactly this text.
  return host.isOffered({
    text: offeredCallText(command),
    ids,
    agent: event.agent,
    session: event.session.id,
  });
}

const STRENGTH: Record<Approval, number> = { auto: 0, once: 1, ask: 2 };

export const rewriteSecretRefs: Rule = {
  id: "rewrite-secret-refs",
  summary:
    "Rewrite shell commands with $secret:NAME references into a brokered exec with a single-use grant, as the project policy allows.",
  on: ["before-tool"],
  async check(event: HookEvent, context): Promise<Verdict> {
    if (event.kind !== "before-tool") return { kind: "allow" };
    const host = context.secretRefs;
    const tool = event.tool;
    if (tool.kind === "write-file") {
      // References in file content stay references; a policy edit needs a human.
      if (tool.path && /(^|[/\\])hookpack\.json$/.test(tool.path))
        return { kind: "ask", code: "POLICY_EDIT", reason: MESSAGES.POLICY_EDIT(tool.path) };
      return { kind: "allow" };
    }
    if (tool.kind === "shell" && tool.command !== undefined && host) {
      const misuse = await brokerMisuse(
        tool.command,
        host.home,
        event.session.cwd,
        host.userHome ?? "",
      );
      if (
        misuse?.kind === "deny" &&
        misuse.code === "BROKER_SELF_CALL" &&
        (await offeredBrokerCall(tool.command, event, host))
      )
        return { kind: "allow" };
      if (misuse) return misuse;
    }
    // ----- capabilities: `$cap:NAME` (issue #19) — one delimited branch; rules/capability-refs.ts ---
    if (tool.kind === "shell" && tool.command !== undefined && CAP_ANYWHERE.test(tool.command)) {
      if (!host) throw new Error("the capability broker is not available in this hook");
      const { capabilityVerdict } = await import("./capability-refs.js");
      return capabilityVerdict(
        tool.command,
        event,
        host,
        context.agentPermissions?.(event.session.cwd),
      );
    }
    // ----- end of the capability branch --------------------------------------------------------
    const carrying = tool.fields.filter((f) => REF_ANYWHERE.test(f.value));
    if (carrying.length === 0) return { kind: "allow" };
    if (tool.kind === "mcp" || tool.kind === "fetch" || tool.kind === "other") {
      const names = [
        ...new Set(
          carrying.flatMap((f) =>
            [...f.value.matchAll(/\$\{?secret:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!),
          ),
        ),
      ];
      return deny("REF_OUTSIDE_SHELL", MESSAGES.NOT_IN_SHELL(tool.name, names, tool.kind));
    }
    if (tool.kind !== "shell" || tool.command === undefined || !REF_ANYWHERE.test(tool.command))
      return { kind: "allow" };
    if (!host) {
      // No broker here: the failure policy's "fail closed" applies.
      throw new Error("the $secret: broker is not available in this hook");
    }

    // The agent's own deny/ask rules would only see the brokered command: they apply to this one.
    const agentRules = context.agentPermissions?.(event.session.cwd);
    const call: ShellCall = {
      command: tool.command,
      agent: event.agent,
      session: event.session.id,
      cwd: event.session.cwd,
      toolCallId: tool.id,
    };
    // A running broker of this build decides the call in one request (its policy, approvals and
    // grants are warm there: broker/rewrite-service.ts); without one, the same decision is made here.
    if (host.rewriteVia) {
      const verdict = await host.rewriteVia({
        ...call,
        ...(agentRules ? { agentRules } : {}),
        self: host.self,
      });
      if (verdict) return verdict;
    }
    return rewriteShellCall(call, host, agentRules);
  },
};

/** The part of a shell call the rewrite depends on (the hook's event, or a broker request). */
export interface ShellCall {
  command: string;
  agent: string;
  session: string;
  cwd: string;
  toolCallId: string | undefined;
}

/**
 * A shell command that carries `$secret:` references (brokerMisuse already ruled out): analysed,
 * checked against the agent's rules and the policy in force, and rewritten with one grant per
 * program that receives a value. Runs in the hook (no broker yet) or in the broker itself.
 */
export async function rewriteShellCall(
  call: ShellCall,
  host: SecretRefHost,
  agentRules: PermissionRules | undefined,
): Promise<Verdict> {
  const tool = { command: call.command, id: call.toolCallId };
  const event = { agent: call.agent, session: { id: call.session, cwd: call.cwd } };
  const [
    { ASK_MIN_TTL_MS, PolicyError, matchUse, secretPolicy, undeclaredStored },
    { analyzeCommand, brokerPrefix, deliveredCommand, planDelivery },
  ] = await heavy();
  const analysis = analyzeCommand(tool.command);
  if (!analysis.ok) return deny(analysis.code, MESSAGES.UNSAFE(analysis.reason));
  if (analysis.names.length === 0) return { kind: "allow" }; // references only in comments

  const ruled =
    agentRules && matchPermissionRules(tool.command, analysis.scan.commands, agentRules);
  if (ruled?.kind === "deny")
    return deny("AGENT_RULE_DENIED", MESSAGES.AGENT_RULE(ruled.rule.rule, ruled.rule.source));

  let policy: Policy;
  try {
    policy = await host.loadPolicy(event.session.cwd);
  } catch (error) {
    if (error instanceof PolicyError) return deny("POLICY_INVALID", MESSAGES.POLICY_INVALID(error));
    throw error;
  }
  const stored = host.storedNames();
  const entries = analysis.names.map((name) => ({
    name,
    entry: secretPolicy(policy, name) ?? undeclaredStored(policy, name, stored),
  }));
  const unknown = entries
    .filter(({ name, entry }) => !entry || (!entry.provider && !(stored ?? []).includes(name)))
    .map((e) => e.name);
  if (unknown.length > 0) return deny("REF_UNKNOWN", MESSAGES.UNKNOWN(unknown, policy, stored));

  for (const use of analysis.uses) {
    const entry = entries.find((e) => e.name === use.name)!.entry!;
    const match = matchUse(entry, use);
    if (!match.ok)
      return deny(
        "REF_NOT_ALLOWED",
        MESSAGES.NOT_ALLOWED(use.name, match.reason, policy.path, policy.pending),
      );
  }

  let approval: Approval = "auto";
  let ttlMs = Infinity;
  const providers: Record<string, import("./provider-spec.js").ProviderSpec> = {};
  const inject: Record<string, import("./inject.js").InjectSpec> = {};
  let once = false;
  for (const { name, entry } of entries) {
    let a = entry!.approval;
    if (a === "once") {
      if (host.approvedForSession(event.agent, event.session.id, name)) a = "auto";
      else once = true;
    }
    if (STRENGTH[a] > STRENGTH[approval]) approval = a;
    ttlMs = Math.min(ttlMs, entry!.ttlMs);
    if (entry!.provider) providers[name] = entry!.provider;
    if (entry!.inject) inject[name] = entry!.inject;
  }
  if (ruled?.kind === "ask") approval = "ask";
  const needsHuman = approval !== "auto";
  if (needsHuman) ttlMs = Math.max(ttlMs, ASK_MIN_TTL_MS);

  // One grant per program that receives a value, all bound to one key carried by this call only.
  const plan = planDelivery(tool.command, analysis, randomBase32(16));
  const key = randomBase32(26);
  const blank = plan.deliveries.map((d) => brokerPrefix(host.self, "g_", key, d.stdin));
  // Synchronous (core/sha256-wasm.ts, the same bytes as WebCrypto's digest): no thread-pool hop,
  // which cost the broker's decision ~0.2 ms CPU and a wake-up per call (issue 21).
  const callSha256 = Buffer.from(
    sha256(Buffer.from(offeredCallText(deliveredCommand(tool.command, analysis, plan, blank)))),
  ).toString("hex");
  let expiresAt = "";
  const prefixes: string[] = [];
  for (const d of plan.deliveries) {
    const only = <T>(map: Record<string, T>) =>
      Object.fromEntries(Object.entries(map).filter(([n]) => d.names.includes(n)));
    const grant = await host.mintGrant({
      names: d.names,
      argv: d.argv,
      agent: event.agent,
      session: event.session.id,
      toolCallId: tool.id,
      cwd: event.session.cwd,
      ttlMs,
      approval: once ? "once" : needsHuman ? "ask" : "auto",
      ...(Object.keys(only(providers)).length > 0 ? { providers: only(providers) } : {}),
      ...(Object.keys(only(inject)).length > 0 ? { inject: only(inject) } : {}),
      key,
      placeholders: Object.fromEntries(
        Object.entries(plan.placeholders).filter(([, n]) => d.names.includes(n)),
      ),
      ...(Object.keys(d.env).length > 0 ? { env: d.env } : {}),
      ...(d.stdin ? { stdin: true } : {}),
      callSha256,
    });
    expiresAt = grant.expiresAt;
    prefixes.push(brokerPrefix(host.self, grant.id, key, d.stdin));
  }
  const command = deliveredCommand(tool.command, analysis, plan, prefixes);
  return {
    kind: "rewrite",
    patch: { command },
    reason: MESSAGES.REWRITTEN(
      analysis.names,
      [...new Set(plan.deliveries.map((d) => d.argv[0]!))],
      expiresAt,
      needsHuman ? "ask" : "auto",
    ),
    ...(needsHuman ? { approval: "ask" as const } : {}),
  };
}
