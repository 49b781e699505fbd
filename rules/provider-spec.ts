// Where a secret's value comes from, as value-free data: the spec kept in the store file and named by
// the policy (hookpack.json `provider`). Pure: resolving a spec to a value is the broker's
// (broker/providers.ts), which re-exports these.
import { HookpackError } from "../core/errors.js";

export type ProviderSpec =
  | { kind: "store" }
  | { kind: "env"; var: string }
  | { kind: "exec"; argv: string[]; timeoutMs?: number }
  | { kind: "op"; ref: string }
  | { kind: "keychain"; service: string; account: string };

/** One line, value-free: what `secret list` shows. */
export function describeProvider(p: ProviderSpec): string {
  switch (p.kind) {
    case "store":
      return "store";
    case "env":
      return `env:${p.var}`;
    case "exec":
      return `exec:${p.argv[0] ?? ""}${p.argv.length > 1 ? " …" : ""}`;
    case "op":
      return p.ref;
    case "keychain":
      return `keychain:${p.service}/${p.account}`;
  }
}

/** `op://vault/item[/section]/field`, as 1Password's CLI accepts it. */
export const OP_REF_RE = /^op:\/\/[^/\s]+\/[^/\s]+(\/[^/\s]+){1,2}(\?[^\s]*)?$/;

/** Parses `--from`-style provider flags into a spec (used by `secret set`). */
export function validateProvider(spec: ProviderSpec): ProviderSpec {
  if (spec.kind === "env" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.var))
    throw new HookpackError(
      "USAGE",
      `hookpack: "${spec.var}" is not an environment variable name.`,
      "use letters, digits and underscores.",
    );
  if (spec.kind === "op" && !OP_REF_RE.test(spec.ref))
    throw new HookpackError(
      "USAGE",
      `hookpack: "${spec.ref}" is not a 1Password reference.`,
      "use op://vault/item/field (or op://vault/item/section/field).",
    );
  if (spec.kind === "exec" && spec.argv.length === 0)
    throw new HookpackError(
      "USAGE",
      "hookpack: --exec needs a command after `--`.",
      "e.g. hookpack secret set NAME --exec -- pass show api/token",
    );
  if (spec.kind === "keychain" && (!spec.service || !spec.account))
    throw new HookpackError(
      "USAGE",
      "hookpack: --keychain needs SERVICE/ACCOUNT.",
      "e.g. --keychain my-service/my-account",
    );
  return spec;
}
