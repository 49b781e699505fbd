// Where the store's 32-byte data key lives: the OS keychain when one is reachable, otherwise a
// 0600 key file under HOOKPACK_HOME, or (opt-in) wrapped by a passphrase through scrypt.
// @napi-rs/keyring is an optional native dependency, loaded lazily; every failure to load or
// reach it falls back (on creation) or explains itself (on open). It is never silently replaced.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { HookpackError } from "../core/errors.js";
import { STORE_KEY_FILE } from "../core/files.js";
import { writeFileAtomic } from "../core/fs-safe.js";

export type KeyBackend = "keychain" | "file" | "passphrase";

/** The value-free description of where the key is, stored in the store file. */
export interface KeyInfo {
  backend: KeyBackend;
  /** keychain: service and account. */
  service?: string;
  account?: string;
  /** passphrase: scrypt parameters and the wrapped data key. */
  kdf?: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  wrapped?: { nonce: string; data: string };
}

export interface KeyringEntry {
  getPassword(signal?: AbortSignal): Promise<string | null>;
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  deletePassword(signal?: AbortSignal): Promise<boolean>;
}
export type KeyringFactory = (service: string, account: string) => KeyringEntry;

export interface KeyContext {
  home: string;
  env: NodeJS.ProcessEnv;
  /** Asked for a passphrase when HOOKPACK_PASSPHRASE is not set (a no-echo prompt in the CLI). */
  askPassphrase?: (purpose: "new" | "unlock") => Promise<string>;
  /** Tests inject a keyring; default is @napi-rs/keyring, loaded lazily. */
  keyring?: KeyringFactory | null;
}

export const KEYCHAIN_SERVICE = "hookpack";
const KEYCHAIN_TIMEOUT_MS = 10_000;
const SCRYPT = { N: 1 << 17, r: 8, p: 1 }; // 128 MiB, ~0.3–1 s: memory-hard against offline guessing

let loaded: KeyringFactory | null | undefined;

/** @napi-rs/keyring's AsyncEntry, or null when the native module is not installed or fails to load. */
export function loadKeyring(ctx: KeyContext): KeyringFactory | null {
  if (ctx.keyring !== undefined) return ctx.keyring;
  if (loaded !== undefined) return loaded;
  try {
    // Kept external by scripts/build.mjs: a native addon cannot be bundled. A plain require keeps
    // it lazy and synchronous in the CJS bundle.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("@napi-rs/keyring") as {
      AsyncEntry: new (s: string, a: string) => KeyringEntry;
    };
    loaded = (service, account) => new mod.AsyncEntry(service, account);
  } catch {
    loaded = null;
  }
  return loaded;
}

const timeout = () => AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS);

function keyFilePath(home: string): string {
  return join(home, STORE_KEY_FILE);
}

function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) {
    throw new HookpackError(
      "KEY_INVALID",
      `hookpack: the store key in ${where} is not a 32-byte base64 key.`,
      "restore the original key; without it the store cannot be opened.",
    );
  }
  return key;
}

/** Which backend a new store uses: HOOKPACK_KEY_BACKEND, else the keychain when reachable, else a file. */
function requestedBackend(env: NodeJS.ProcessEnv): KeyBackend | "auto" {
  const v = (env.HOOKPACK_KEY_BACKEND ?? "auto").toLowerCase();
  if (v === "auto" || v === "keychain" || v === "file" || v === "passphrase") return v;
  throw new HookpackError(
    "USAGE",
    `hookpack: HOOKPACK_KEY_BACKEND="${v}" is not one of auto, keychain, file, passphrase.`,
    "unset it or pick one of those.",
  );
}

export interface NewKey {
  key: Buffer;
  info: KeyInfo;
  /** One line for the user: where the key went and why. */
  note: string;
}

/** Creates and saves a data key for a new store. */
export async function createKey(ctx: KeyContext, storeId: string): Promise<NewKey> {
  const key = randomBytes(32);
  const wanted = requestedBackend(ctx.env);
  let fallbackReason = "";
  if (wanted === "keychain" || wanted === "auto") {
    const factory = loadKeyring(ctx);
    const account = `store-${storeId}`;
    if (factory) {
      try {
        const entry = factory(KEYCHAIN_SERVICE, account);
        await entry.setPassword(key.toString("base64"), timeout());
        const back = await entry.getPassword(timeout());
        if (back !== key.toString("base64"))
          throw new Error("the keychain did not return the key it was given");
        return {
          key,
          info: { backend: "keychain", service: KEYCHAIN_SERVICE, account },
          note: `its key is in the OS keychain (service "${KEYCHAIN_SERVICE}", account "${account}")`,
        };
      } catch (error) {
        fallbackReason = `no usable OS keychain (${(error as Error).message})`;
      }
    } else {
      fallbackReason = "the optional @napi-rs/keyring module is not available";
    }
    if (wanted === "keychain") {
      throw new HookpackError(
        "KEYCHAIN_UNAVAILABLE",
        `hookpack: HOOKPACK_KEY_BACKEND=keychain, but ${fallbackReason}.`,
        "start your keychain (Secret Service, macOS Keychain, Windows Credential Manager) or unset HOOKPACK_KEY_BACKEND to use a key file.",
      );
    }
  }
  if (wanted === "passphrase") {
    const passphrase = await getPassphrase(ctx, "new");
    const salt = randomBytes(16);
    const kek = scryptSync(passphrase.normalize("NFC"), salt, 32, {
      ...SCRYPT,
      maxmem: 512 * 1024 * 1024,
    });
    const nonce = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", kek, nonce);
    c.setAAD(Buffer.from(`hookpack-key-v1|${storeId}`));
    const data = Buffer.concat([c.update(key), c.final(), c.getAuthTag()]);
    return {
      key,
      info: {
        backend: "passphrase",
        kdf: { name: "scrypt", ...SCRYPT, salt: salt.toString("base64") },
        wrapped: { nonce: nonce.toString("base64"), data: data.toString("base64") },
      },
      note: "its key is derived from your passphrase (scrypt); set HOOKPACK_PASSPHRASE or type it when asked",
    };
  }
  writeFileAtomic(keyFilePath(ctx.home), `${key.toString("base64")}\n`, 0o600);
  return {
    key,
    info: { backend: "file" },
    note: `its key is in ${keyFilePath(ctx.home)} (mode 0600)${fallbackReason ? `: ${fallbackReason}` : ""}`,
  };
}

async function getPassphrase(ctx: KeyContext, purpose: "new" | "unlock"): Promise<string> {
  const fromEnv = ctx.env.HOOKPACK_PASSPHRASE;
  if (fromEnv) return fromEnv;
  if (!ctx.askPassphrase) {
    throw new HookpackError(
      "PASSPHRASE_REQUIRED",
      "hookpack: the secret store is protected by a passphrase, and none was given.",
      "set HOOKPACK_PASSPHRASE for this command, or run it in a terminal to be asked.",
    );
  }
  const p = await ctx.askPassphrase(purpose);
  if (purpose === "new" && p.length < 8) {
    throw new HookpackError(
      "PASSPHRASE_WEAK",
      "hookpack: the passphrase is shorter than 8 characters.",
      "choose a longer passphrase.",
    );
  }
  return p;
}

/** Loads the data key described by `info`. Never creates one. */
export async function loadKey(
  ctx: KeyContext,
  storeId: string,
  info: KeyInfo,
  storePath: string,
): Promise<Buffer> {
  if (info.backend === "keychain") {
    const factory = loadKeyring(ctx);
    if (!factory) {
      throw new HookpackError(
        "KEYCHAIN_UNAVAILABLE",
        `hookpack: the key of the secret store ${storePath} is in the OS keychain, but the optional @napi-rs/keyring module cannot be loaded.`,
        "reinstall hookpack with optional dependencies (npm install --include=optional).",
      );
    }
    let text: string | null;
    try {
      text = await factory(
        info.service ?? KEYCHAIN_SERVICE,
        info.account ?? `store-${storeId}`,
      ).getPassword(timeout());
    } catch (error) {
      throw new HookpackError(
        "KEYCHAIN_UNAVAILABLE",
        `hookpack: cannot read the key of the secret store ${storePath} from the OS keychain: ${(error as Error).message}.`,
        "unlock or start your keychain (on Linux: a Secret Service such as gnome-keyring) and retry.",
      );
    }
    if (text === null) {
      throw new HookpackError(
        "KEY_MISSING",
        `hookpack: the key of the secret store ${storePath} was not found in the OS keychain (service "${info.service}", account "${info.account}"): the keychain is locked or not reachable from this session, or the entry was deleted.`,
        "unlock or start your keychain in this session and retry; if the entry is gone, restore it or move the store aside and add your secrets again.",
      );
    }
    return decodeKey(text, "the OS keychain");
  }
  if (info.backend === "file") {
    const path = keyFilePath(ctx.home);
    if (!existsSync(path)) {
      throw new HookpackError(
        "KEY_MISSING",
        `hookpack: the key file ${path} of the secret store ${storePath} is missing.`,
        "restore it from a backup, or move the store aside and add your secrets again.",
      );
    }
    const mode = statSync(path).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw new HookpackError(
        "KEY_PERMISSIONS",
        `hookpack: the key file ${path} is readable by other users (mode ${mode.toString(8)}).`,
        `run \`chmod 600 ${path}\`, and consider the stored secrets exposed if others could read it.`,
      );
    }
    return decodeKey(readFileSync(path, "utf8"), path);
  }
  if (info.backend === "passphrase" && info.kdf && info.wrapped) {
    const passphrase = await getPassphrase(ctx, "unlock");
    const { N, r, p, salt } = info.kdf;
    if (N > 1 << 20 || r > 32 || p > 16)
      throw new HookpackError(
        "STORE_DAMAGED",
        `hookpack: the key parameters in ${storePath} are out of range.`,
        "the store file was edited; restore it from a backup.",
      );
    const kek = scryptSync(passphrase.normalize("NFC"), Buffer.from(salt, "base64"), 32, {
      N,
      r,
      p,
      maxmem: 1024 * 1024 * 1024,
    });
    const data = Buffer.from(info.wrapped.data, "base64");
    try {
      const d = createDecipheriv("aes-256-gcm", kek, Buffer.from(info.wrapped.nonce, "base64"));
      d.setAAD(Buffer.from(`hookpack-key-v1|${storeId}`));
      d.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
    } catch {
      throw new HookpackError(
        "KEY_WRONG",
        `hookpack: wrong passphrase for the secret store ${storePath}.`,
        "check HOOKPACK_PASSPHRASE or retype it.",
      );
    }
  }
  throw new HookpackError(
    "STORE_DAMAGED",
    `hookpack: the secret store ${storePath} names an unknown key backend.`,
    "the file was edited or written by a newer hookpack; restore it or upgrade.",
  );
}

/** Removes the keychain entry of a store (used by tests and a future `secret destroy`). */
export async function forgetKeychainKey(ctx: KeyContext, info: KeyInfo): Promise<void> {
  const factory = loadKeyring(ctx);
  if (factory && info.backend === "keychain" && info.service && info.account)
    await factory(info.service, info.account).deletePassword(timeout());
}
