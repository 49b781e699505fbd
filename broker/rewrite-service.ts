// The broker's side of the hook's `$secret:` rewrite (issue 21): the hook sends a shell call
// (broker/client.ts rewriteVia, signed with the broker key) and the broker decides it with the same
// rule the hook runs without a broker (rules/rewrite-secret-refs.ts rewriteShellCall), reading for
// itself, from its own HOOKPACK_HOME, what the decision depends on: the policy in force and its
// approval (broker/policy-approval.ts), the names in the store, the session approvals; and minting
// the grants straight into its table. Nothing of the policy is taken from the request. Parsed
// policies are kept by their exact text, so a warm broker validates a policy once, and an edit
// (approved or not) is read as it is on the next call.
import { isAbsolute } from "node:path";
import type { Verdict } from "../hooks/event.js";
import type { PermissionRule, PermissionRules } from "../rules/agent-permissions.js";
import type { Policy } from "../rules/policy.js";
import { rewriteShellCall } from "../rules/rewrite-secret-refs.js";
import type { RewriteCall, SecretRefHost } from "../rules/secret-ref-host.js";
import type { GrantTable } from "./grants.js";
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
  decide(call: RewriteCall): Promise<Verdict>;
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
    async decide(call) {
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
          });
          return { id: g.id, expiresAt: g.expiresAt };
        },
      };
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
