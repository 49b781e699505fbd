// The embedded secret store: one JSON file under HOOKPACK_HOME, values encrypted with
// AES-256-GCM (associated data binds each value to its store and name, so a swapped, moved or
// edited value fails to decrypt), the whole file authenticated with an HMAC (so a deleted entry,
// a changed provider command or a rolled-back value is detected). Writes are locked and atomic.
// A store that fails to parse or verify is reported, never rewritten.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HookpackError } from "../core/errors.js";
import { STORE_FILE } from "../core/files.js";
import { ensurePrivateDir, withLock, writeFileAtomic } from "../core/fs-safe.js";
import { refreshHookCache } from "./hook-cache.js";
import { createKey, loadKey, type KeyContext, type KeyInfo } from "./keys.js";
import type { ProviderSpec } from "./providers.js";
import type { EntryMeta, StoreEntries } from "./store-entries.js";

const FORMAT = "hookpack-store";
const VERSION = 1;

export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type { EntryMeta } from "./store-entries.js";

interface StoredEntry {
  provider: ProviderSpec;
  created: string;
  updated: string;
  revoked?: string;
  /** Present for provider "store": base64 nonce and base64 ciphertext+tag. */
  cipher?: { nonce: string; data: string };
}

interface StoreFile {
  format: typeof FORMAT;
  version: number;
  storeId: string;
  key: KeyInfo;
  keyCheck: string;
  entries: Record<string, StoredEntry>;
  mac: string;
}

export type StoreContext = KeyContext;

export function storePath(home: string): string {
  return join(home, STORE_FILE);
}

function damaged(path: string, what: string): HookpackError {
  return new HookpackError(
    "STORE_DAMAGED",
    `hookpack: the secret store ${path} ${what}. hookpack did not change it.`,
    `restore it from a backup; or move it aside (mv ${path} ${path}.damaged) and add your secrets again with \`hookpack secret set\`.`,
  );
}

/** Canonical JSON: sorted keys, so the MAC does not depend on property order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

class Keys {
  readonly enc: Buffer;
  readonly mac: Buffer;
  constructor(dataKey: Buffer) {
    this.enc = Buffer.from(hkdfSync("sha256", dataKey, "", "hookpack store encryption v1", 32));
    this.mac = Buffer.from(hkdfSync("sha256", dataKey, "", "hookpack store mac v1", 32));
  }
  hmac(text: string): string {
    return createHmac("sha256", this.mac).update(text).digest("base64");
  }
}

const aad = (storeId: string, name: string) => Buffer.from(`hookpack-store-v1|${storeId}|${name}`);

function macInput(file: Omit<StoreFile, "mac" | "keyCheck">): string {
  return canonical({
    format: file.format,
    version: file.version,
    storeId: file.storeId,
    key: file.key,
    entries: file.entries,
  });
}

function equalB64(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** An opened, verified store. Values are decrypted on demand. */
export class SecretStore implements StoreEntries {
  readonly path: string;
  private readonly file: StoreFile;
  private readonly keys: Keys;

  constructor(path: string, file: StoreFile, keys: Keys) {
    this.path = path;
    this.file = file;
    this.keys = keys;
  }

  get storeId(): string {
    return this.file.storeId;
  }

  get keyInfo(): KeyInfo {
    return this.file.key;
  }

  list(): EntryMeta[] {
    return Object.keys(this.file.entries)
      .sort()
      .map((name) => this.meta(name)!);
  }

  meta(name: string): EntryMeta | undefined {
    const e = Object.hasOwn(this.file.entries, name) ? this.file.entries[name] : undefined;
    return e
      ? {
          name,
          provider: e.provider,
          created: e.created,
          updated: e.updated,
          ...(e.revoked ? { revoked: e.revoked } : {}),
        }
      : undefined;
  }

  /** The stored value of a "store" entry. */
  value(name: string): string {
    const e = this.file.entries[name];
    if (!e?.cipher)
      throw new HookpackError(
        "SECRET_UNKNOWN",
        `hookpack: no stored value for ${name} in ${this.path}.`,
        "run `hookpack secret set " + name + "`.",
      );
    const data = Buffer.from(e.cipher.data, "base64");
    try {
      const d = createDecipheriv(
        "aes-256-gcm",
        this.keys.enc,
        Buffer.from(e.cipher.nonce, "base64"),
      );
      d.setAAD(aad(this.file.storeId, name));
      d.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString(
        "utf8",
      );
    } catch {
      throw damaged(
        this.path,
        `has an entry for ${name} that fails authentication (edited, swapped or corrupted)`,
      );
    }
  }

  // ── mutations (only inside updateStore) ──
  setValue(name: string, value: string, now: string): void {
    const nonce = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.keys.enc, nonce);
    c.setAAD(aad(this.file.storeId, name));
    const data = Buffer.concat([c.update(value, "utf8"), c.final(), c.getAuthTag()]);
    const prev = this.file.entries[name];
    this.file.entries[name] = {
      provider: { kind: "store" },
      created: prev?.created ?? now,
      updated: now,
      cipher: { nonce: nonce.toString("base64"), data: data.toString("base64") },
    };
  }

  setProvider(name: string, provider: ProviderSpec, now: string): void {
    if (provider.kind === "store") throw new Error("use setValue for stored values");
    const prev = this.file.entries[name];
    this.file.entries[name] = { provider, created: prev?.created ?? now, updated: now };
  }

  /** Marks a secret revoked (`hookpack revoke`); every reference is refused until it is set again. */
  markRevoked(name: string, now: string): boolean {
    const e = Object.hasOwn(this.file.entries, name) ? this.file.entries[name] : undefined;
    if (!e) return false;
    e.revoked = now;
    return true;
  }

  remove(name: string): boolean {
    if (!Object.hasOwn(this.file.entries, name)) return false;
    delete this.file.entries[name];
    return true;
  }

  serialize(): string {
    const body = {
      format: this.file.format,
      version: this.file.version,
      storeId: this.file.storeId,
      key: this.file.key,
      entries: this.file.entries,
    };
    const file: StoreFile = {
      ...body,
      keyCheck: this.file.keyCheck,
      mac: this.keys.hmac(macInput(body)),
    };
    return `${JSON.stringify(file, null, 2)}\n`;
  }
}

function parse(path: string, text: string): StoreFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw damaged(path, text.length === 0 ? "is empty" : "is not valid JSON (truncated or edited)");
  }
  const f = raw as Partial<StoreFile>;
  if (!f || typeof f !== "object" || f.format !== FORMAT)
    throw damaged(path, "is not a hookpack store");
  if (f.version !== VERSION) {
    throw new HookpackError(
      "STORE_VERSION",
      `hookpack: the secret store ${path} has format version ${String(f.version)}; this hookpack reads version ${VERSION}.`,
      "upgrade hookpack.",
    );
  }
  if (
    typeof f.storeId !== "string" ||
    typeof f.keyCheck !== "string" ||
    typeof f.mac !== "string" ||
    !f.key ||
    typeof f.entries !== "object" ||
    f.entries === null
  ) {
    throw damaged(path, "is missing required fields");
  }
  return f as StoreFile;
}

/** Opens and verifies the store; undefined when there is none yet. */
export async function openStore(ctx: StoreContext): Promise<SecretStore | undefined> {
  const path = storePath(ctx.home);
  if (!existsSync(path)) return undefined;
  const file = parse(path, readFileSync(path, "utf8"));
  const keys = new Keys(await loadKey(ctx, file.storeId, file.key, path));
  if (!equalB64(keys.hmac(`key-check|${file.storeId}`), file.keyCheck)) {
    throw new HookpackError(
      "KEY_WRONG",
      `hookpack: the key found for the secret store ${path} does not open it (${file.key.backend} backend).`,
      "restore the key that belongs to this store (keychain entry or key file). The store was not changed.",
    );
  }
  if (!equalB64(keys.hmac(macInput(file)), file.mac))
    throw damaged(path, "fails its integrity check (edited, truncated or rolled back)");
  for (const [name, e] of Object.entries(file.entries)) {
    if (!NAME_RE.test(name) || !e || typeof e !== "object" || !e.provider)
      throw damaged(path, `has an invalid entry "${name}"`);
  }
  return new SecretStore(path, file, keys);
}

export interface UpdateResult<T> {
  result: T;
  /** Set when this update created the store: where its key went. */
  created?: string;
}

/**
 * Read-modify-write under the store lock: concurrent writers serialise and all land. Creates the
 * store (and its key) on first use. The new file replaces the old one atomically.
 */
export async function updateStore<T>(
  ctx: StoreContext,
  mutate: (store: SecretStore) => T,
): Promise<UpdateResult<T>> {
  ensurePrivateDir(ctx.home);
  const path = storePath(ctx.home);
  // Ask for a passphrase (if any) before taking the lock, so a slow typist blocks nobody.
  if (ctx.env.HOOKPACK_KEY_BACKEND === "passphrase" || existsSync(path)) await openStore(ctx);
  return withLock(join(ctx.home, "store.lock"), async () => {
    let store = await openStore(ctx);
    let created: string | undefined;
    if (!store) {
      const storeId = randomBytes(8).toString("hex");
      const made = await createKey(ctx, storeId);
      const keys = new Keys(made.key);
      const file: StoreFile = {
        format: FORMAT,
        version: VERSION,
        storeId,
        key: made.info,
        keyCheck: keys.hmac(`key-check|${storeId}`),
        entries: {},
        mac: "",
      };
      store = new SecretStore(path, file, keys);
      created = made.note;
    }
    const result = mutate(store);
    writeFileAtomic(path, store.serialize(), 0o600);
    // The hooks find managed values through a plaintext-free cache; keep it in step (still locked).
    refreshHookCache(ctx.home, store, ctx.env);
    return { result, created };
  });
}

/**
 * When `name` was revoked, from the store file's plaintext metadata, without the key: cheap enough
 * for the hook's rewrite rule. Unverified (the broker re-checks it in the authenticated store at
 * exec time, so removing the mark by hand fails closed there). Undefined when not revoked.
 */
export function isRevoked(home: string, name: string): string | undefined {
  return revokedSecrets(home).get(name);
}

/** Every revoked secret and when, from the store file's plaintext metadata (see isRevoked). */
export function revokedSecrets(home: string): Map<string, string> {
  const out = new Map<string, string>();
  let file: Partial<StoreFile>;
  try {
    file = JSON.parse(readFileSync(storePath(home), "utf8")) as Partial<StoreFile>;
  } catch {
    return out;
  }
  for (const [name, e] of Object.entries(file.entries ?? {}))
    if (typeof e?.revoked === "string") out.set(name, e.revoked);
  return out;
}
