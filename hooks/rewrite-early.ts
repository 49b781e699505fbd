// The early `$secret:` rewrite request (issue 21). The entry (cli/bin.ts) has read the whole
// payload before any bundle loads; when it is a Claude Code PreToolUse Bash call that mentions
// `secret:`, this bundle sends the rewrite request to the running broker at once, so the broker
// decides while hook.cjs loads (≈ 4 ms) instead of after. Nothing here decides anything:
//  - the request is the hook's own (broker/rewrite-client.ts, signed with the broker key, fresh
//    nonce), marked `early`: the broker mints its grants HELD, redeemable by nobody;
//  - hook.cjs runs its whole pipeline as always; when its rewrite rule reaches the broker
//    (hooks/secret-ref-host.ts rewriteVia) with a call that is byte for byte the one sent here
//    (command, agent, session, cwd, tool call, the agent's permission rules, the hookpack entry,
//    the home), it takes this answer; when the hook's final answer carries the rewritten command
//    (hooks/run-hook.ts settleEarlyRewrite), it confirms on the same connection (an HMAC over the
//    request's nonce), which arms the grants. Any other call, or none (a deny before or after the
//    rewrite rule, a crash, a call the hook reads differently), closes the connection unconfirmed
//    and the broker revokes them.
import { claudePermissionRules } from "../adapters/claude-code-permissions.js";
import { resolveHookpackHome } from "../core/home.js";
import type { RewriteCall } from "../rules/secret-ref-host.js";
import { holdEarlyRewrite, putEarlyRewrite, selfInvocation } from "./rewrite-early-slot.js";
import { startRewrite } from "../broker/rewrite-client.js";

/** The exact text two calls are compared by (every field the broker's decision depends on). */
function callText(home: string, c: RewriteCall): string {
  const rules = (l: { rule: string; source: string }[] | undefined) =>
    l?.map((r) => [r.rule, r.source]) ?? null;
  return JSON.stringify([
    home,
    c.command,
    c.agent,
    c.session,
    c.cwd,
    c.toolCallId ?? null,
    c.agentRules ? [rules(c.agentRules.deny), rules(c.agentRules.ask)] : null,
    c.self.node,
    c.self.script,
  ]);
}

/** Sends the early request for this payload when it is one; never throws. */
export function startEarlyRewrite(raw: string, env: NodeJS.ProcessEnv): void {
  try {
    const p = JSON.parse(raw) as Record<string, unknown>;
    const input = p.tool_input as Record<string, unknown> | undefined;
    const command = input?.command;
    if (
      p.hook_event_name !== "PreToolUse" ||
      p.tool_name !== "Bash" ||
      typeof command !== "string" ||
      !command.includes("secret:") ||
      // `$cap:` calls take their own branch (rules/capability-refs.ts).
      command.includes("cap:") ||
      typeof p.session_id !== "string" ||
      typeof p.cwd !== "string"
    )
      return;
    const home = resolveHookpackHome(env);
    const call: RewriteCall = {
      command,
      agent: "claude-code",
      session: p.session_id,
      cwd: p.cwd,
      toolCallId: typeof p.tool_use_id === "string" ? p.tool_use_id : undefined,
      agentRules: claudePermissionRules(p.cwd, env),
      self: selfInvocation(),
    };
    const sent = callText(home, call);
    const request = startRewrite(home, env, call, true);
    if (!request) return;
    putEarlyRewrite({
      async take(h, c) {
        if (callText(h, c) !== sent) {
          request.close();
          return "unmatched";
        }
        const verdict = await request.answer();
        // Nothing held (an allow, a deny, no answer): nothing to confirm.
        if (verdict?.kind !== "rewrite") {
          request.close();
          return verdict;
        }
        // Armed only if the hook's final answer carries this command (settleEarlyRewrite): a later
        // rule's deny, or any other answer, revokes them.
        const key = /--grant-key ([a-z2-7]{26})\b/.exec(verdict.patch.command ?? "")?.[1];
        if (!key || !request.open()) {
          // No key to look for, or the connection is gone (the broker stopped or dropped it, its
          // grants with it): asked again, the ordinary way.
          request.close();
          return "unmatched";
        }
        holdEarlyRewrite({ key, confirm: () => request.confirm(), close: () => request.close() });
        return verdict;
      },
    });
  } catch {
    // Not sent: the hook asks the broker itself, as it would without this.
  }
}
