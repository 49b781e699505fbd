// The hook's view of managed secrets (RuleContext.managed): the hook cache the broker writes
// (broker/hook-cache.ts), read on first use only, and exposures recorded in the audit log.
import { resolveHookpackHome } from "../core/home.js";
import { loadHookCache, type LoadedCache } from "../broker/hook-cache.js";
import type { ManagedSecrets } from "../rules/rule.js";

/** hookpack's per-user directory as the hook sees it (same rule as the CLI). */
export function hookpackHomeFrom(env: NodeJS.ProcessEnv): string {
  return resolveHookpackHome(env);
}

/**
 * The hook's view of managed secrets: the cache is read on first use only (a clean PreToolUse
 * never touches it), and exposures go to the audit log, names only.
 */
export function hookManagedSecrets(
  env: NodeJS.ProcessEnv,
  who: { agent?: string; session?: () => string | undefined } = {},
  debug: (line: string) => void = () => {},
): ManagedSecrets {
  const home = hookpackHomeFrom(env);
  let loaded: LoadedCache | null | undefined;
  const matcher = () => {
    if (loaded === undefined) {
      loaded = loadHookCache(home) ?? null;
      if (loaded?.stale)
        debug(
          `the hook cache in ${home} is older than the store; run \`hookpack secret list\` to check`,
        );
    }
    return loaded?.matcher;
  };
  return {
    home,
    find: (text) => {
      const m = matcher();
      return m && m.size > 0 ? m.find(text) : [];
    },
    exposed: (names, where) => {
      // The exposure ledger: one entry per secret, names only, so `audit`/`doctor` can say what to
      // rotate. The audit module (and node:crypto) load only when something was exposed.
      void import("../broker/audit.js").then(({ tryRecordAudit }) => {
        for (const secret of new Set(names))
          tryRecordAudit(
            home,
            { kind: "exposure-found", agent: who.agent, session: who.session?.(), where, secret },
            (m) => debug(m),
          );
      });
    },
  };
}
