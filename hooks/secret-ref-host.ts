// The hook's capability for rules/rewrite-secret-refs.ts (RuleContext.secretRefs): the policy in
// force, the names in the store, session approvals, grant minting through the broker, and how the
// rewritten command calls hookpack. Also used by hookpack-shell (cli/shell.ts).
import { homedir } from "node:os";
import { resolveHookpackHome } from "../core/home.js";
import { isApprovedForSession } from "../broker/session-approvals.js";
import { storedNames } from "../broker/store-names.js";
import type { Policy } from "../rules/policy.js";
import type { SecretRefHost } from "../rules/rewrite-secret-refs.js";
import type { RewriteCall } from "../rules/secret-ref-host.js";
import { selfInvocation, takeEarlyRewrite } from "./rewrite-early-slot.js";

// How the rewritten command calls hookpack (a leaf shared with the entry's early request).
export { selfInvocation };

export function createSecretRefHost(env: NodeJS.ProcessEnv): SecretRefHost {
  const home = resolveHookpackHome(env);
  const host: SecretRefHost = {
    home,
    userHome: env.HOME ?? homedir(),
    self: selfInvocation(),
    async loadPolicy(cwd): Promise<Policy> {
      // The repository root's hookpack.json as the user last approved it (a nearer file, or an
      // unapproved change, never applies): broker/policy-approval.ts.
      const [lib, { loadPolicyInForce }] = await Promise.all([
        import("../rules/policy.js"),
        import("../broker/policy-approval.js"),
      ]);
      return loadPolicyInForce(home, cwd, lib);
    },
    storedNames: () => storedNames(home),
    approvedForSession: (agent, session, name) => isApprovedForSession(home, agent, session, name),
    // The broker client is a bundle of its own, loaded only when a call carries a reference.
    mintGrant: async (req) => (await import("../broker/client.js")).mintGrantVia(home, env, req),
    isOffered: async (call) => (await import("../broker/client.js")).isOfferedVia(home, env, call),
  };
  // The whole decision in one request to a running broker (issue 21). Not enumerable on purpose: a
  // caller that narrows this host by spreading it and replacing mintGrant or approvedForSession
  // (hookpack-shell, cli/shell.ts) must keep deciding in-process with its own replacements.
  // (Not inlined into hook.cjs: with broker/rewrite-client.ts in hook.cjs every PostToolUse call
  // measured ~1.6 ms more CPU, 50 interleaved rounds, for ~0.6 ms less on a rewrite.)
  Object.defineProperty(host, "rewriteVia", {
    enumerable: false,
    value: async (call: RewriteCall) => {
      // The entry's early request for this payload (hooks/rewrite-early.ts), sent before
      // hook.cjs loaded: its answer counts only for exactly this call, and is confirmed then.
      const early = takeEarlyRewrite();
      if (early) {
        const verdict = await early.take(home, call);
        if (verdict !== "unmatched") return verdict;
      }
      return (await import("../broker/client.js")).rewriteVia(home, env, call);
    },
  });
  return host;
}
