// The broker's side of the hook's `$secret:` rewrite (issue 21): the hook sends a shell call
// (broker/client.ts rewriteVia, signed with the broker key) and the broker decides it with the same
// rule the hook runs without a broker (rules/rewrite-secret-refs.ts rewriteShellCall), reading for
// itself, from its own HOOKPACK_HOME, what the decision depends on: the policy in force and its
// approval (broker/policy-approval.ts), the names in the store, the session approvals; and minting
// the grants straight into its table. Nothing of the policy is taken from the request. Parsed
// policies are kept by their exact text, so a warm broker validates a policy once, and an edit
// (approved or not) is read as it is on the next call.
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute } from "node:path";
import { HookpackError } from "../core/errors.js";
import type { Verdict } from "../hooks/event.js";
import type { PermissionRule, PermissionRules } from "../rules/agent-permissions.js";
import type { Approval, Policy, SecretPolicy } from "../rules/policy.js";
import { brokerMisuse, rewriteShellCall } from "../rules/rewrite-secret-refs.js";
import type { RewriteCall, SecretRefHost } from "../rules/secret-ref-host.js";
import type { GrantTable, MintRequest } from "./grants.js";
import { loadPolicyInForce } from "./policy-approval.js";
import { isApprovedForSession } from "./session-approvals.js";
import { storedNames } from "./store-names.js";

const MAX_PARSED = 64;

const isString = (v: unknown): v is string => typeof v === "string";
const isRuleList = (v: unknown): v is PermissionRule[] =>
  Array.isArray(v) &&
  v.every((r) => r && typeof r === "object" && isString(r.rule) && isString(r.source));

/** The request's call, checked for shape; undefined when anything is off. */
export function rewriteCallOf(v: unknown): RewriteCall | undefined {
  if (!v || typeof v !== "object") return undefined;
  const c = v as Record<string, unknown>;
  const self = c.self as Record<string, unknown> | undefined;
  if (
    !isString(c.command) ||
    !isString(c.agent) ||
    !isString(c.session) ||
    !isString(c.cwd) ||
    !isAbsolute(c.cwd) ||
    (c.toolCallId !== undefined && !isString(c.toolCallId)) ||
    !self ||
    !isString(self.node) ||
    !isString(self.script) ||
    !isAbsolute(self.node) ||
    !isAbsolute(self.script)
  )
    return undefined;
  let agentRules: PermissionRules | undefined;
  if (c.agentRules !== undefined) {
    const r = c.agentRules as Record<string, unknown> | null;
    if (!r || typeof r !== "object" || !isRuleList(r.deny) || !isRuleList(r.ask)) return undefined;
    agentRules = {
      deny: r.deny.map((x) => ({ rule: x.rule, source: x.source })),
      ask: r.ask.map((x) => ({ rule: x.rule, source: x.source })),
    };
  }
  return {
    command: c.command,
    agent: c.agent,
    session: c.session,
    cwd: c.cwd,
    toolCallId: c.toolCallId as string | undefined,
    ...(agentRules ? { agentRules } : {}),
    self: { node: self.node, script: self.script },
  };
}

export interface RewriteService {
  /**
   * The decision for a shell call. With `held` (an early request: hooks/rewrite-early.ts), its
   * grants are minted held (not redeemable until the hook confirms) and their ids pushed there.
   */
  decide(call: RewriteCall, held?: string[]): Promise<Verdict>;
  /**
   * The old `mint` request (a grant for a call the caller analysed itself: the hook without a
   * running broker, `$cap:` calls, hookpack-shell): decided again here against the policy in
   * force for the call's directory, with the providers, injections, capabilities and approval of
   * that policy, never the caller's. Throws a HookpackError (no value in it) when refused.
   */
  mint(req: unknown): Promise<{ id: string; expiresAt: string; approval: string }>;
  /** Loads the rule's modules (the broker calls it at start). */
  warm(): Promise<void>;
  /** How many calls it has decided (`hookpack broker status --json`: rewritesDecided). */
  decided(): number;
}

export function createRewriteService(home: string, grants: GrantTable): RewriteService {
  const parsed = new Map<string, Promise<Policy>>();
  let count = 0;
  const lib = async () => {
    const { NO_POLICY, parsePolicy } = await import("../rules/policy.js");
    return {
      NO_POLICY,
      parsePolicy: (text: string, path: string): Promise<Policy> => {
        const k = `${path}\u0000${text}`;
        let p = parsed.get(k);
        if (!p) {
          p = parsePolicy(text, path);
          parsed.set(k, p);
          if (parsed.size > MAX_PARSED) parsed.delete(parsed.keys().next().value!);
        }
        return p;
      },
    };
  };
  return {
    async warm() {
      await Promise.all([
        lib(),
        import("../rules/secret-refs.js"),
        import("../rules/shell-scan.js"),
        import("../rules/policy-validate.js"),
      ]);
    },
    decided: () => count,
    async mint(raw) {
      const req = mintRequestOf(raw);
      const policy = await loadPolicyInForce(home, req.cwd, await lib()).catch((error: Error) => {
        if (error.name === "PolicyError")
          throw refusedMint(
            "POLICY_INVALID",
            `the project policy for ${req.cwd} is not valid (\`hookpack doctor\` explains it)`,
          );
        throw error;
      });
      const checked = await checkMint(home, req, policy);
      const g = grants.mint({ ...checked, now: undefined });
      return { id: g.id, expiresAt: g.expiresAt, approval: g.approval };
    },
    async decide(call, held) {
      count++;
      const host: SecretRefHost = {
        home,
        self: call.self,
        loadPolicy: async (cwd) => loadPolicyInForce(home, cwd, await lib()),
        storedNames: () => storedNames(home),
        approvedForSession: (agent, session, name) =>
          isApprovedForSession(home, agent, session, name),
        mintGrant: (req) => {
          const g = grants.mint({
            ...req,
            ttlMs: Number.isFinite(req.ttlMs) ? req.ttlMs : 24 * 3600 * 1000,
            held: held !== undefined,
          });
          held?.push(g.id);
          return { id: g.id, expiresAt: g.expiresAt };
        },
      };
      // What the hook checks before it asks (a command that runs `hookpack exec` itself or reaches
      // HOOKPACK_HOME), checked again here: a caller on the socket need not be the hook. (The hook
      // allows an offered call before asking; nothing offered reaches this request.)
      const misuse = await brokerMisuse(call.command, home, call.cwd, homedir());
      if (misuse) return misuse;
      return rewriteShellCall(
        {
          command: call.command,
          agent: call.agent,
          session: call.session,
          cwd: call.cwd,
          toolCallId: call.toolCallId,
        },
        host,
        call.agentRules,
      );
    },
  };
}

// ----- the `mint` request, decided here (issue 21, goal 2) ---------------------------------------

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ARGV = 4096;
const MAX_NAMES = 64;
const STRENGTH = { auto: 0, once: 1, ask: 2 } as const;
/** What the hook inserts after the program word so it reads no config file the agent can write. */
const NO_CONFIG = new Set(["-q", "--no-config", "-X"]);

const refusedMint = (code: string, why: string): HookpackError =>
  new HookpackError(
    code,
    `hookpack: the broker refused to mint this grant: ${why}. No grant was issued.`,
    "the agent writes `$secret:NAME` (or `$cap:NAME`) in its command and the hook asks the broker for the grant; the broker checks it against the project policy the user approved.",
  );

/** The request's fields, checked for shape (anything off is refused, never repaired). */
function mintRequestOf(v: unknown): MintRequest {
  const bad = (what: string) =>
    refusedMint("BROKER_PROTOCOL", `a malformed grant request (${what})`);
  if (!v || typeof v !== "object" || Array.isArray(v)) throw bad("not an object");
  const r = v as Record<string, unknown>;
  if (
    !Array.isArray(r.names) ||
    r.names.length > MAX_NAMES ||
    !r.names.every((n) => isString(n) && NAME_RE.test(n))
  )
    throw bad("names");
  if (
    !Array.isArray(r.argv) ||
    r.argv.length === 0 ||
    r.argv.length > MAX_ARGV ||
    !r.argv.every(isString)
  )
    throw bad("argv");
  if (
    !isString(r.agent) ||
    !isString(r.session) ||
    (r.toolCallId !== undefined && !isString(r.toolCallId))
  )
    throw bad("agent, session or tool call");
  if (!isString(r.cwd) || !isAbsolute(r.cwd)) throw bad("the working directory is not absolute");
  if (typeof r.ttlMs !== "number" || !(r.ttlMs > 0)) throw bad("ttlMs");
  if (r.approval !== "auto" && r.approval !== "ask" && r.approval !== "once") throw bad("approval");
  if (r.key !== undefined && !isString(r.key)) throw bad("key");
  if (r.callSha256 !== undefined && !isString(r.callSha256)) throw bad("callSha256");
  if (r.stdin !== undefined && typeof r.stdin !== "boolean") throw bad("stdin");
  const strings = (o: unknown) =>
    o === undefined ||
    (!!o && typeof o === "object" && !Array.isArray(o) && Object.values(o).every(isString));
  if (!strings(r.placeholders) || !strings(r.env)) throw bad("placeholders or env");
  if (
    r.placeholders !== undefined &&
    !Object.values(r.placeholders as Record<string, string>).every((n) =>
      (r.names as string[]).includes(n),
    )
  )
    throw bad("a placeholder for a name the request does not carry");
  if (
    r.capabilities !== undefined &&
    (!Array.isArray(r.capabilities) ||
      r.capabilities.length > MAX_NAMES ||
      !r.capabilities.every(
        (c) => c && typeof c === "object" && isString((c as { name?: unknown }).name),
      ))
  )
    throw bad("capabilities");
  return r as unknown as MintRequest;
}

/**
 * The grant the policy in force allows for this request, or a refusal: every name known (stored or
 * declared with a provider) and allowed for this program, these arguments and hosts; every
 * capability declared and allowed for this program; nothing that reaches hookpack's own state.
 * Providers, injections, capabilities and the approval come from the policy; the caller can only
 * ask for more (a stronger approval, a shorter life, a tighter binding), never for less.
 */
async function checkMint(home: string, req: MintRequest, policy: Policy): Promise<MintRequest> {
  let dir = false;
  try {
    dir = statSync(req.cwd).isDirectory();
  } catch {
    // gone
  }
  if (!dir)
    throw refusedMint(
      "BROKER_PROTOCOL",
      `the working directory ${req.cwd.slice(0, 200)} does not exist`,
    );
  const names = [...new Set(req.names)];
  const caps = [...new Set((req.capabilities ?? []).map((c) => c.name))];
  if (names.length === 0 && caps.length === 0)
    throw refusedMint("BROKER_PROTOCOL", "it carries neither a secret nor a capability");
  if (names.length > 0 && caps.length > 0)
    throw refusedMint("BROKER_PROTOCOL", "it mixes secrets and capabilities");
  const inHome = (t: string) =>
    (home !== "" && t.includes(home)) || /(^|[/~])\.hookpack(\/|$)/.test(t);
  if (inHome(req.cwd) || req.argv.some(inHome) || Object.values(req.env ?? {}).some(inHome))
    throw refusedMint("HOOKPACK_STATE", "the command refers to hookpack's private state");
  const [
    { ASK_MIN_TTL_MS, matchUse, secretPolicy, undeclaredStored },
    { programOf, shellSingleQuote },
    { scanShell },
  ] = await Promise.all([
    import("../rules/policy.js"),
    import("../rules/secret-refs.js"),
    import("../rules/shell-scan.js"),
  ]);
  // The program as the policy sees it: the argv as one command of fixed words (the hook also puts
  // `-q`, `--no-config` or `-X` after curl, wget or psql: judged with and without it).
  const infos = [
    req.argv,
    ...(NO_CONFIG.has(req.argv[1] ?? "") ? [[req.argv[0]!, ...req.argv.slice(2)]] : []),
  ].map((argv) => {
    const text = argv.map(shellSingleQuote).join(" ");
    const scan = scanShell(text);
    const command =
      scan.commands.length === 1 && scan.problems.length === 0 ? scan.commands[0] : undefined;
    return { text, info: command ? programOf(command) : undefined };
  });
  if (
    infos.some(
      (i) =>
        !i.info ||
        i.info.program === undefined ||
        i.info.wrappers.length > 0 ||
        i.info.assignments.length > 0,
    )
  )
    throw refusedMint("REF_NOT_ALLOWED", "its program is not one fixed word of its own");
  const placeholderOf = Object.fromEntries(
    Object.entries(req.placeholders ?? {}).map(([p, n]) => [n, p]),
  );
  const allowed = (entry: SecretPolicy, name: string) =>
    infos.some(({ info }) => {
      const ph = placeholderOf[name];
      const word =
        ph === undefined ? undefined : info!.args.find((w) => (w.value ?? "").includes(ph));
      return matchUse(entry, {
        name,
        info: info!,
        site: (word ? { start: word.start, end: word.end } : { start: -1, end: -1 }) as never,
        via: word ? "argument" : "assignment",
      }).ok;
    });

  let approval: Approval = req.approval;
  let ttlMs = Infinity;
  const providers: NonNullable<MintRequest["providers"]> = {};
  const inject: NonNullable<MintRequest["inject"]> = {};
  let capabilities: NonNullable<MintRequest["capabilities"]> | undefined;
  const stronger = (a: Approval) => {
    if (STRENGTH[a] > STRENGTH[approval]) approval = a;
  };
  if (names.length > 0) {
    const stored = storedNames(home);
    for (const name of names) {
      const entry = secretPolicy(policy, name) ?? undeclaredStored(policy, name, stored);
      if (!entry || (!entry.provider && !(stored ?? []).includes(name)))
        throw refusedMint(
          "REF_UNKNOWN",
          `$secret:${name} is not in the store nor declared with a provider in the policy in force`,
        );
      if (!allowed(entry, name))
        throw refusedMint(
          "REF_NOT_ALLOWED",
          `the policy in force${policy.path ? ` (${policy.path})` : ""} does not allow this use of $secret:${name}`,
        );
      let a = entry.approval;
      if (a === "once" && isApprovedForSession(home, req.agent, req.session, name)) a = "auto";
      stronger(a);
      ttlMs = Math.min(ttlMs, entry.ttlMs);
      if (entry.provider) providers[name] = entry.provider;
      if (entry.inject) inject[name] = entry.inject;
    }
  } else {
    capabilities = [];
    for (const name of caps) {
      const entry = policy.capabilities?.get(name);
      if (!entry)
        throw refusedMint("CAP_UNKNOWN", `$cap:${name} is not a capability of the policy in force`);
      const asSecret: SecretPolicy = {
        name,
        commands: entry.commands,
        approval: "ask",
        ttlMs: entry.ttlMs,
      };
      if (!allowed(asSecret, name))
        throw refusedMint(
          "CAP_NOT_ALLOWED",
          `the policy in force does not allow $cap:${name} for this program`,
        );
      stronger(entry.approval);
      ttlMs = Math.min(ttlMs, Math.max(entry.ttlMs, policy.defaults.ttlMs));
      capabilities.push(entry);
    }
  }
  const human = approval !== "auto";
  const longest = Math.max(ttlMs, policy.defaults.ttlMs, human ? ASK_MIN_TTL_MS : 0);
  return {
    names,
    argv: [...req.argv],
    agent: req.agent,
    session: req.session,
    toolCallId: req.toolCallId,
    cwd: req.cwd,
    ttlMs: Math.min(req.ttlMs, longest),
    approval,
    ...(Object.keys(providers).length > 0 ? { providers } : {}),
    ...(Object.keys(inject).length > 0 ? { inject } : {}),
    ...(capabilities ? { capabilities } : {}),
    ...(req.key !== undefined ? { key: req.key } : {}),
    ...(req.placeholders !== undefined ? { placeholders: req.placeholders } : {}),
    ...(req.env !== undefined ? { env: req.env } : {}),
    ...(req.stdin === true ? { stdin: true } : {}),
    ...(req.callSha256 !== undefined ? { callSha256: req.callSha256 } : {}),
  };
}
