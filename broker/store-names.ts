// The names in the store file, read without the key: names are not secret, values stay encrypted.
// Shared by the hook's `$secret:` host (hooks/secret-ref-host.ts) and the broker's rewrite service
// (broker/rewrite-service.ts), which must see the same set.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STORE_FILE } from "../core/files.js";

/** The store's names, sorted; undefined when there is no readable store. */
export function storedNames(home: string): string[] | undefined {
  try {
    const data = JSON.parse(readFileSync(join(home, STORE_FILE), "utf8")) as {
      entries?: Record<string, unknown>;
    };
    return Object.keys(data.entries ?? {}).sort();
  } catch {
    return undefined;
  }
}
