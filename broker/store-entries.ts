// What the secret store shows of its entries, apart from its file format: each entry's metadata,
// and the read view the hook cache is rebuilt from. A module of its own so that broker/store.ts
// (which refreshes the cache on every write) and broker/hook-cache.ts do not import each other.
import type { ProviderSpec } from "./providers.js";

export interface EntryMeta {
  name: string;
  provider: ProviderSpec;
  created: string;
  updated: string;
  /** Set by `hookpack revoke`: when the secret was revoked. Cleared by setting it again. */
  revoked?: string;
}

/** An open store, as far as the hook cache needs it (broker/store.ts SecretStore). */
export interface StoreEntries {
  list(): EntryMeta[];
  /** The plaintext of a stored ("store" provider) entry. */
  value(name: string): string;
}
