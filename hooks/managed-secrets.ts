// What the hook entry needs to know of hookpack's per-user directory and the managed secrets in
// it. The view of managed secrets itself (hookManagedSecrets: the hook cache, read on first use,
// exposures to the audit log) stays beside the cache in broker/hook-cache.ts, because the broker's
// model-request relay (broker/daemon.ts) uses it too; re-exported here for the hook and the CLI.
import { resolveHookpackHome } from "../core/home.js";

export { hookManagedSecrets } from "../broker/hook-cache.js";

/** hookpack's per-user directory as the hook sees it (same rule as the CLI). */
export function hookpackHomeFrom(env: NodeJS.ProcessEnv): string {
  return resolveHookpackHome(env);
}
