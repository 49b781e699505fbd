// The names of hookpack's files: the per-user state under HOOKPACK_HOME (core/home.ts) and the
// project files it reads. A module of strings only, so that even the hook's entry can import it.

/** The project's committed, value-free secret policy, at the project root. */
export const POLICY_FILE = "hookpack.json";
/** A project's allow-list of accepted scan findings (by fingerprint). */
export const ALLOW_FILE = ".hookpack-allow";

// Under HOOKPACK_HOME:
/** The embedded secret store (values encrypted). */
export const STORE_FILE = "store.json";
/** The store's key (0600), unless a passphrase or the OS keychain holds it. */
export const STORE_KEY_FILE = "store.key";
/** Hashes of stored values for the hook's matcher (no plaintext). */
export const HOOK_CACHE_FILE = "hook-cache.json";
/** What install wrote where, for uninstall and doctor. */
export const INSTALLS_FILE = "installs.json";
/** Per-call grants minted by the pre-tool hook. */
export const GRANTS_DIR = "grants";
/** Leases of minted credentials until they are revoked. */
export const LEASES_DIR = "leases";
/** The broker's private state (its key, the CA's key). */
export const BROKER_DIR = "broker";
/** The audit log's directory, current file, HMAC key and head anchor. */
export const AUDIT_DIR = "audit";
export const AUDIT_FILE = "audit.jsonl";
export const AUDIT_KEY_FILE = "audit.key";
export const AUDIT_HEAD_FILE = "audit-head.json";
