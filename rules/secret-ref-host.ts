// What rules/rewrite-secret-refs.ts (and rules/capability-refs.ts) need from outside to rewrite a
// `$secret:` reference: the policy in force, the names in the store, session approvals, grant
// minting. Types only: the hook entry implements the host (hooks/secret-ref-host.ts), hookpack-shell
// narrows it (cli/shell.ts), tests fake it.
import type { Verdict } from "../hooks/event.js";
import type { PermissionRules } from "./agent-permissions.js";
import type { Approval, CapabilityPolicy, Policy, SecretPolicy } from "./policy.js";
import type { SelfInvocation } from "./secret-refs.js";

/**
 * One shell call with `$secret:` references, as the hook sends it to a running broker, which
 * decides it with its own policy reading, store and grants (broker/rewrite-service.ts): only what
 * the decision depends on. The agent's permission rules are the hook's reading of the agent's
 * settings; the policy, approvals and store are read by the broker itself, never taken from here.
 */
export interface RewriteCall {
  command: string;
  agent: string;
  session: string;
  cwd: string;
  toolCallId: string | undefined;
  agentRules?: PermissionRules;
  self: SelfInvocation;
}

export interface GrantRequest {
  names: string[];
  argv: string[];
  agent: string;
  session: string;
  toolCallId: string | undefined;
  cwd: string;
  ttlMs: number;
  approval: Approval;
  providers?: Record<string, NonNullable<SecretPolicy["provider"]>>;
  /** Secrets the broker's proxy injects at the outbound request (policy `inject`). */
  inject?: Record<string, NonNullable<SecretPolicy["inject"]>>;
  /** The key the rewritten call carries (the grant stores its hash). */
  key?: string;
  /** Placeholder → secret name. */
  placeholders?: Record<string, string>;
  /** Variables in front of the program that carry a placeholder, with their exact texts. */
  env?: Record<string, string>;
  /** The program's stdin carries a placeholder. */
  stdin?: boolean;
  /** sha256 hex of the rewritten call with grant ids blanked (see offeredCallText). */
  callSha256?: string;
  /** Capabilities the broker mints for this call ($cap:NAME; rules/capability-refs.ts). */
  capabilities?: CapabilityPolicy[];
}

/** A brokered command as hookpack offered it to an agent that cannot rewrite input ("Run this instead"). */
export interface OfferedCall {
  /** The command text with every grant id blanked (`--grant g_`): a `$secret:` or a `$cap:` call. */
  text: string;
  /** The grant ids it carries. */
  ids: string[];
  agent: string;
  session: string;
}

/** What the rule needs from outside; the hook entry provides it (hooks/secret-ref-host.ts). */
export interface SecretRefHost {
  /** hookpack.json for a project directory (NO_POLICY when there is none); throws PolicyError. */
  loadPolicy(cwd: string): Promise<Policy>;
  /** Names in this machine's store (never values); undefined when there is no store. */
  storedNames(): string[] | undefined;
  approvedForSession(agent: string, session: string, name: string): boolean;
  mintGrant(
    req: GrantRequest,
  ): { id: string; expiresAt: string } | Promise<{ id: string; expiresAt: string }>;
  /**
   * Does a pending (unused, unexpired) grant cover exactly this brokered call for this agent
   * session? Read only: the broker still redeems the grant. Absent: no offered call is allowed.
   */
  isOffered?(call: OfferedCall): boolean | Promise<boolean>;
  /**
   * The whole decision for a shell call with references, made by a running broker of this build in
   * one request; undefined when none answers (then the rule decides in this process).
   */
  rewriteVia?(call: RewriteCall): Promise<Verdict | undefined>;
  self: SelfInvocation;
  /** HOOKPACK_HOME, to keep the agent's commands away from it. */
  home: string;
  /** The user's home directory (what `~` and `$HOME` mean in the agent's shell). */
  userHome?: string;
}
