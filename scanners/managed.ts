// Managed values (the user's own stored secrets) for the scanners: the same value-free hook
// cache the post-tool hook uses (salted window fingerprints + sha256), so a pre-push or a pack
// check finds a stored secret in any common encoding without opening the store or the keychain.
import { loadHookCache } from "../broker/hook-cache.js";
import type { ExtraMatcher } from "./content.js";

/** A matcher for every managed value, or undefined when none are stored. */
export function managedValueMatcher(hookpackHome: string): ExtraMatcher | undefined {
  const cache = loadHookCache(hookpackHome);
  if (!cache || cache.matcher.size === 0) return undefined;
  return (text) => cache.matcher.find(text).map((m) => ({ start: m.start, end: m.end, label: m.name }));
}
