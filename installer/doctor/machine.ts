// Checks about this machine: Node, HOOKPACK_HOME, the secret store and its key, the audit log,
// stored secrets revoked or exposed, and secrets exported from the user's shell profiles.
import { statSync } from "node:fs";
import {
  hookCacheFileInUse,
  hookCacheIsOld,
  hookCacheState,
  loadHookCache,
  VERSION as HOOK_CACHE_VERSION,
} from "../../broker/hook-cache.js";
import { entrySecrets, readAuditLog } from "../../broker/audit-verify.js";
import { loadKeyring } from "../../broker/keys.js";
import { openStore, type SecretStore } from "../../broker/store.js";
import { secretScanner } from "../../rules/secretlint.js";
import { HookpackError } from "../../core/errors.js";
import { scanShellProfiles } from "../shell-profiles.js";
import { MACHINE, type DoctorCheck, type DoctorContext } from "./types.js";

function nodeMajor(v: string): number {
  return Number(/^v?(\d+)/.exec(v)?.[1] ?? 0);
}

export function checkNode(
  ctx: DoctorContext,
  hookNodes: ReadonlyMap<string, string>,
): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const [maj, min] = process.versions.node.split(".").map(Number) as [number, number];
  if (maj < 20 || (maj === 20 && min < 19)) {
    out.push({
      id: "node",
      status: "fail",
      subject: MACHINE,
      message: `Node ${process.version} is older than hookpack needs (>= 20.19).`,
      fix: "install Node 22 LTS (or at least 20.19) and run `hookpack install` again with it.",
    });
  } else
    out.push({ id: "node", status: "ok", subject: MACHINE, message: `Node ${process.version}.` });
  if (ctx.env.NODE_EXTRA_CA_CERTS) {
    const slow = [...hookNodes].filter(([, v]) => nodeMajor(v) === 20);
    if (slow.length > 0 || (hookNodes.size === 0 && maj === 20)) {
      out.push({
        id: "node-extra-ca-certs",
        status: "warn",
        subject: MACHINE,
        message: `NODE_EXTRA_CA_CERTS is set and the hooks run on Node 20${slow.length ? ` (${slow.map(([p]) => p).join(", ")})` : ""}: Node 20 loads the bundle at every start, about +47 ms on every tool call.`,
        fix: "run the hooks on Node 22 or newer (install it, then `hookpack install` again with it), or unset NODE_EXTRA_CA_CERTS in the environment that starts the agent.",
      });
    }
  }
  return out;
}

export function checkHomePermissions(ctx: DoctorContext): DoctorCheck[] {
  try {
    const mode = statSync(ctx.hookpackHome).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      // The key and store files inside are 0600 (checked with the store); a listable directory only shows names.
      return [
        {
          id: "home-permissions",
          status: "info",
          subject: MACHINE,
          message: `${ctx.hookpackHome} can be listed by other users (mode ${mode.toString(8)}); the files in it are private. \`chmod 700 ${ctx.hookpackHome}\` hides the names too.`,
        },
      ];
    }
    return [];
  } catch {
    return [];
  }
}

interface StoreState {
  store: SecretStore | undefined;
  checks: DoctorCheck[];
}

export async function checkStore(ctx: DoctorContext): Promise<StoreState> {
  const checks: DoctorCheck[] = [];
  let store: SecretStore | undefined;
  try {
    // No prompt: doctor never asks for a passphrase (HOOKPACK_PASSPHRASE is honoured).
    store = await openStore({ home: ctx.hookpackHome, env: ctx.env });
  } catch (error) {
    if (error instanceof HookpackError && error.code === "PASSPHRASE_REQUIRED") {
      checks.push({
        id: "store",
        status: "info",
        subject: MACHINE,
        message:
          "the secret store is protected by a passphrase; doctor did not unlock it (set HOOKPACK_PASSPHRASE to include it).",
      });
      return { store, checks };
    }
    const e = error as HookpackError;
    checks.push({
      id: "store",
      status: "fail",
      subject: MACHINE,
      message: (e.message ?? String(error)).replace(/^hookpack: /, ""),
      fix: e.hint ?? "see the message above.",
    });
    return { store, checks };
  }
  if (!store) {
    checks.push({
      id: "store",
      status: "info",
      subject: MACHINE,
      message: `no secret store yet in ${ctx.hookpackHome} (\`hookpack secret set NAME\` creates it).`,
    });
    if (
      (ctx.env.HOOKPACK_KEY_BACKEND ?? "auto") !== "file" &&
      !loadKeyring({ home: ctx.hookpackHome, env: ctx.env })
    ) {
      checks.push({
        id: "keychain",
        status: "info",
        subject: MACHINE,
        message:
          "the optional @napi-rs/keyring module is not available: a new store's key will go to a 0600 key file instead of the OS keychain.",
      });
    }
    return { store, checks };
  }
  const where = {
    keychain: "in the OS keychain",
    file: "in a 0600 key file",
    passphrase: "derived from your passphrase",
  }[store.keyInfo.backend];
  checks.push({
    id: "store",
    status: "ok",
    subject: MACHINE,
    message: `secret store ${store.path}: ${store.list().length} secret(s), integrity verified, key ${where}.`,
  });
  if (store.keyInfo.backend === "keychain")
    checks.push({
      id: "keychain",
      status: "ok",
      subject: MACHINE,
      message: "the OS keychain answered and holds the store's key.",
    });
  // The hooks and scanners find stored secrets only through the hook cache (hashes, no values).
  if (store.list().length > 0) {
    const cache = loadHookCache(ctx.hookpackHome);
    if (!cache && hookCacheIsOld(ctx.hookpackHome)) {
      checks.push({
        id: "hook-cache",
        status: "warn",
        subject: MACHINE,
        message: `the hook cache (${hookCacheFileInUse(ctx.hookpackHome)}) was written by an older hookpack (cache format 1–3), which this version refuses: hooks, pre-push and check-pack cannot recognise stored secrets in output or files until it is rebuilt.`,
        fix: "run `hookpack scan --state` once, or set any secret again (`hookpack secret set NAME`): either rebuilds the cache in the current format.",
      });
    } else if (!cache && hookCacheState(ctx.hookpackHome) === "damaged") {
      checks.push({
        id: "hook-cache",
        status: "warn",
        subject: MACHINE,
        message: `the hook cache (${hookCacheFileInUse(ctx.hookpackHome)}) is damaged (cut short or edited): the hooks withhold tool output and block calls they cannot check for stored secrets until it is rebuilt.`,
        fix: "run `hookpack scan --state` once (it rebuilds the cache), or set any secret again.",
      });
    } else if (!cache) {
      checks.push({
        id: "hook-cache",
        status: "warn",
        subject: MACHINE,
        message: `the hook cache (${hookCacheFileInUse(ctx.hookpackHome)}) is missing: hooks, pre-push and check-pack cannot recognise stored secrets in output or files.`,
        fix: "run `hookpack scan --state` once (it rebuilds the cache), or set any secret again.",
      });
    } else if (cache.stale) {
      checks.push({
        id: "hook-cache",
        status: "warn",
        subject: MACHINE,
        message:
          "the hook cache is older than the secret store: secrets changed since may go unrecognised in tool output.",
        fix: "set any secret again (`hookpack secret set NAME`): every store write rebuilds the cache.",
      });
    } else {
      checks.push({
        id: "hook-cache",
        status: "ok",
        subject: MACHINE,
        message: `the hook cache knows ${cache.matcher.names.length} stored secret(s), by hash only.${cache.version < HOOK_CACHE_VERSION ? ` It is in format ${cache.version} (an older hookpack's, still used; \`hookpack scan --state\` or any \`secret set\` rewrites it in format ${HOOK_CACHE_VERSION}, which the hooks read faster).` : ""}`,
      });
    }
  }
  return { store, checks };
}

export function checkSecrets(ctx: DoctorContext, store: SecretStore | undefined): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const { records, verification: v } = readAuditLog(ctx.hookpackHome);
  if (v.lines === 0 && v.problems.length === 0)
    out.push({
      id: "audit-log",
      status: "info",
      subject: MACHINE,
      message: "the audit log is empty so far.",
    });
  else if (v.ok)
    out.push({
      id: "audit-log",
      status: "ok",
      subject: MACHINE,
      message: `audit log verified: ${v.verified} entries, chain and head anchor intact.`,
    });
  else {
    const p = v.problems[0]!;
    out.push({
      id: "audit-log",
      status: "fail",
      subject: MACHINE,
      message: `the audit log fails verification (${v.problems.length} problem(s)); first: ${p.message}.`,
      fix: `run \`hookpack audit --verify\`; keep a copy of ${v.dir} as evidence, and consider secrets used in that period exposed.`,
    });
  }
  for (const m of store?.list() ?? []) {
    if (m.revoked) {
      out.push({
        id: "secret-revoked",
        status: "warn",
        subject: MACHINE,
        message: `${m.name} is revoked (since ${m.revoked}): every reference to it is refused.`,
        fix: `rotate it at the source, then \`hookpack secret set ${m.name}\` (or \`hookpack secret rm ${m.name}\` if it is no longer needed).`,
      });
      continue;
    }
    const exposures = records.filter(
      (r) => r.kind === "exposure-found" && entrySecrets(r).includes(m.name) && r.ts > m.updated,
    );
    if (exposures.length > 0) {
      const last = exposures[exposures.length - 1]!;
      out.push({
        id: "secret-exposed",
        status: "fail",
        subject: MACHINE,
        message: `${m.name} was exposed ${exposures.length}× since it was last set (last: ${(last as { where?: string }).where ?? "?"}, ${last.ts}).`,
        fix: `\`hookpack revoke ${m.name}\`, then rotate it at the source as it says.`,
      });
    }
  }
  return out;
}

/** Secrets `export`ed from the shell profiles: every agent started from that shell inherits them. */
export function checkShellProfiles(ctx: DoctorContext): DoctorCheck[] {
  const found = scanShellProfiles(ctx.home, secretScanner.mayContainSecret);
  if (found.length === 0)
    return [
      {
        id: "shell-profiles",
        status: "ok",
        subject: MACHINE,
        message: "no shell profile exports a secret.",
      },
    ];
  const names = [...new Set(found.map((f) => f.name))];
  const where = found.map((f) => `${f.name} (${f.file}:${f.line})`).join(", ");
  return [
    {
      id: "shell-profiles",
      status: "warn",
      subject: MACHINE,
      message: `your shell profile exports secrets: ${where}. Every agent started from that shell, and every command it runs, inherits them (hookpack redacts them from tool output, but the agent's processes still hold them).`,
      fix: `move them into the store: \`hookpack secret import --env ${names.join(" ")}\` (in a shell that has them), delete those export lines, rotate the values if an agent ever ran with them, and use $secret:NAME (or start agents with \`hookpack run -- <agent>\`).`,
    },
  ];
}
