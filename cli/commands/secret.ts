// `hookpack secret set|list|rm|import`: the embedded store and provider references.
import { parseArgs } from "node:util";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { HookpackError } from "../../core/errors.js";
import { planImport } from "../../broker/dotenv.js";
import { minSecretLength } from "../../broker/exec.js";
import { writeFileAtomic } from "../../core/fs-safe.js";
import {
  describeProvider,
  resolveValue,
  validateProvider,
  type ProviderSpec,
} from "../../broker/providers.js";
import { estimatedBits, MIN_SEARCHABLE_BITS, noteResolvedValue } from "../../broker/hook-cache.js";
import { policyInForce } from "../../broker/policy-approval.js";
import {
  NAME_RE,
  openStore,
  storePath,
  updateStore,
  type StoreContext,
} from "../../broker/store.js";
import { hookpackHome } from "../context.js";
import type { Command, Io } from "../io.js";
import { passphrasePrompt, readSecretValue } from "./secret-prompt.js";

const USAGE = [
  "hookpack secret set NAME [--env VAR | --op op://vault/item/field | --keychain SERVICE/ACCOUNT | --exec [--timeout SEC] -- cmd args…] [--no-check]",
  "  hookpack secret list [--format text|json]",
  "  hookpack secret rm NAME",
  "  hookpack secret import <dotenv-file> [--dry-run] [--overwrite]",
  "  hookpack secret import --env NAME… [--dry-run] [--overwrite]",
].join("\n");

/**
 * What each value looks like, from hookpack's detector records: its label and the record's
 * suggested `$secret:` name, when that differs from the name it is imported under (`TOKEN=ghp_…`
 * → GITHUB_TOKEN; an AWS access key id → AWS_ACCESS_KEY_ID). Never prints the value.
 */
async function recordSuggestions(
  items: ReadonlyArray<{ key: string; name: string; value: string }>,
): Promise<string[]> {
  const { secretScanner, describeFinding, suggestName, deniable } =
    await import("../../rules/secretlint.js");
  const lines: string[] = [];
  for (const { key, name, value } of items) {
    // The value alone, then as an assignment (keyword rules such as AWS's secret key need the name).
    let found = (await secretScanner.scan(value, ".env")).find(
      (f) => f.start === 0 && f.end === value.length && deniable(f),
    );
    if (!found) {
      const line = `${key}=${value}`;
      found = (await secretScanner.scan(line, ".env")).find(
        (f) => f.start === key.length + 1 && f.end === line.length && deniable(f),
      );
    }
    if (!found) continue;
    const suggested = suggestName(found);
    if (suggested === name) continue;
    lines.push(
      `hookpack: ${key} looks like a ${describeFinding(found)}; hookpack's suggested name for it is ${suggested} (it is imported as ${name}: rename the key first to store it as ${suggested}).\n`,
    );
  }
  return lines;
}

function storeContext(io: Io): StoreContext {
  return { home: hookpackHome(io), env: io.env, askPassphrase: passphrasePrompt };
}

function checkName(name: string | undefined, usage = USAGE.split("\n")[0]!.trim()): string {
  if (!name)
    throw new HookpackError("USAGE", "hookpack: a secret NAME is required.", `usage: ${usage}`);
  if (!NAME_RE.test(name))
    throw new HookpackError(
      "USAGE",
      `hookpack: "${name}" is not a valid secret name.`,
      "use letters, digits and underscores, not starting with a digit (e.g. GITHUB_TOKEN).",
    );
  return name;
}

function tooShort(name: string, floor: number): HookpackError {
  return new HookpackError(
    "SECRET_TOO_SHORT",
    `hookpack: the value for ${name} is shorter than ${floor} characters. hookpack masks secrets by matching their value, and a value this short would match ordinary text, so it was not stored.`,
    "use a longer secret; or, if you accept false matches, set HOOKPACK_MIN_SECRET_LENGTH (at least 4) for every hookpack command.",
  );
}

async function set(args: string[], io: Io): Promise<number> {
  const dd = args.indexOf("--");
  const own = dd === -1 ? args : args.slice(0, dd);
  const argv = dd === -1 ? [] : args.slice(dd + 1);
  const { values, positionals } = parseArgs({
    args: own,
    options: {
      env: { type: "string" },
      op: { type: "string" },
      keychain: { type: "string" },
      exec: { type: "boolean", default: false },
      timeout: { type: "string" },
      "no-check": { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const name = checkName(positionals[0]);
  if (positionals.length > 1)
    throw new HookpackError(
      "USAGE",
      "hookpack: `secret set` takes the value from stdin or a prompt, never from the command line.",
      `run \`hookpack secret set ${name}\` and type or pipe the value.`,
    );
  const chosen = [
    values.env !== undefined,
    values.op !== undefined,
    values.keychain !== undefined,
    values.exec,
  ].filter(Boolean).length;
  if (chosen > 1)
    throw new HookpackError(
      "USAGE",
      "hookpack: choose one of --env, --op, --keychain, --exec.",
      USAGE.split("\n")[0],
    );
  if (!values.exec && argv.length > 0)
    throw new HookpackError(
      "USAGE",
      "hookpack: a command after `--` needs --exec.",
      "e.g. hookpack secret set NAME --exec -- pass show api/token",
    );
  const floor = minSecretLength(io.env);
  const ctx = storeContext(io);
  let spec: ProviderSpec | undefined;
  if (values.env !== undefined) spec = { kind: "env", var: values.env };
  else if (values.op !== undefined) spec = { kind: "op", ref: values.op };
  else if (values.keychain !== undefined) {
    const i = values.keychain.indexOf("/");
    spec = {
      kind: "keychain",
      service: i < 0 ? "" : values.keychain.slice(0, i),
      account: i < 0 ? "" : values.keychain.slice(i + 1),
    };
  } else if (values.exec) {
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const s = Number(values.timeout);
      if (!(s > 0 && s <= 600))
        throw new HookpackError(
          "USAGE",
          `hookpack: --timeout "${values.timeout}" is not a number of seconds from 0 to 600.`,
        );
      timeoutMs = Math.round(s * 1000);
    }
    spec = { kind: "exec", argv, timeoutMs };
  }
  if (spec) {
    validateProvider(spec);
    if (!values["no-check"]) {
      const existing = await openStore(ctx);
      const v = await resolveValue(name, spec, { ...ctx, cwd: io.cwd, store: existing });
      if (v.length < floor) throw tooShort(name, floor);
      noteResolvedValue(name, v);
    }
    const provider = spec;
    const { created } = await updateStore(ctx, (store) =>
      store.setProvider(name, provider, new Date().toISOString()),
    );
    if (created) io.out(`hookpack: created the secret store ${storePath(ctx.home)}; ${created}.\n`);
    io.out(
      `hookpack: ${name} now comes from ${describeProvider(provider)}${values["no-check"] ? " (not checked)" : ""}.\n`,
    );
    return 0;
  }
  const value = await readSecretValue(io, name);
  if (value === "")
    throw new HookpackError(
      "USAGE",
      `hookpack: no value given for ${name}; nothing was stored.`,
      `pipe the value in or type it at the prompt: \`hookpack secret set ${name}\`.`,
    );
  if (value.length < floor) throw tooShort(name, floor);
  const stored = await updateStore(ctx, (store) => {
    const existed = store.meta(name) !== undefined;
    store.setValue(name, value, new Date().toISOString());
    return existed;
  }).then((r) => ({ created: r.created, existed: r.result }));
  const { created, existed } = stored;
  if (created) io.out(`hookpack: created the secret store ${storePath(ctx.home)}; ${created}.\n`);
  io.out(
    `hookpack: ${existed ? "replaced the value of" : "stored"} ${name} (encrypted) in ${storePath(ctx.home)}.\n`,
  );
  if (estimatedBits(value) < MIN_SEARCHABLE_BITS)
    io.out(
      `hookpack: ${name} is short or simple enough to guess (about ${Math.floor(estimatedBits(value))} bits), so the hook cache keeps no fingerprint of it: hooks and scans will not recognise it in tool output or files; \`hookpack exec\` still masks it in the output of the commands it runs. Use a longer random value to have it found everywhere.\n`,
    );
  io.out(nextSteps(name, io, ctx.home));
  return 0;
}

/**
 * What to do with a newly stored secret: the agent's reference, and the policy entry that narrows
 * it. The policy meant is the one in force: the repository root's hookpack.json as the user last
 * approved it (broker/policy-approval.ts), not whatever file is nearest or on disk now.
 */
function nextSteps(name: string, io: Io, home: string): string {
  const policy = policyInForce(home, io.cwd);
  const approved = policy.state === "none" ? undefined : policy.text;
  let declared = false;
  try {
    declared =
      approved !== undefined &&
      name in ((JSON.parse(approved) as { secrets?: object }).secrets ?? {});
  } catch {
    // an unreadable policy is reported where it is used
  }
  const where = policy.state === "none" ? "a hookpack.json" : policy.path;
  return [
    `hookpack: next: the agent writes $secret:${name} in a shell command; you run \`hookpack exec --secret ${name} -- <cmd>\`.`,
    declared
      ? `hookpack: ${where} (as you approved it) declares ${name}: its commands and approval apply.`
      : `hookpack: ${name} is not in ${where} yet, so any command may use it and you approve each use. Narrow it: \`hookpack allow ${name} --command <program> [--host <host>] --approval once\`.`,
    ...(policy.state === "pending"
      ? [
          `hookpack: ${policy.path} has changes you have not approved; they apply after \`hookpack policy approve\`.`,
        ]
      : []),
    "",
  ].join("\n");
}

async function list(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: "boolean", default: false }, format: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  // One spelling of machine output: `--format json`, with `--json` as its alias.
  if (values.format !== undefined && values.format !== "json" && values.format !== "text")
    throw new HookpackError(
      "USAGE",
      `hookpack: unknown format "${values.format}" for \`hookpack secret list\`; expected text or json.`,
      "usage: hookpack secret list [--format text|json]",
    );
  if (values.format === "json") values.json = true;
  const ctx = storeContext(io);
  const store = await openStore(ctx);
  const rows = store?.list() ?? [];
  if (values.json) {
    const out = {
      store: storePath(ctx.home),
      exists: store !== undefined,
      keyBackend: store?.keyInfo.backend ?? null,
      secrets: rows.map((r) => ({
        name: r.name,
        provider: r.provider.kind,
        source: describeProvider(r.provider),
        created: r.created,
        updated: r.updated,
        revoked: r.revoked ?? null,
      })),
    };
    io.out(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.out(
      `hookpack: no secrets yet (${storePath(ctx.home)}). Add one with \`hookpack secret set NAME\`.\n`,
    );
    return 0;
  }
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const s = Math.max(6, ...rows.map((r) => describeProvider(r.provider).length));
  io.out(
    `${"NAME".padEnd(w)}  ${"SOURCE".padEnd(s)}  UPDATED${rows.some((r) => r.revoked) ? "                   STATE" : ""}\n`,
  );
  for (const r of rows)
    io.out(
      `${r.name.padEnd(w)}  ${describeProvider(r.provider).padEnd(s)}  ${r.updated}${r.revoked ? `  REVOKED since ${r.revoked} (every use refused; set it again after rotating)` : ""}\n`,
    );
  return 0;
}

async function rm(args: string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true });
  const name = checkName(positionals[0], "hookpack secret rm NAME");
  const ctx = storeContext(io);
  const store = await openStore(ctx);
  if (!store?.meta(name))
    throw new HookpackError(
      "SECRET_UNKNOWN",
      `hookpack: no secret named ${name} in ${storePath(ctx.home)}.`,
      "see `hookpack secret list`.",
    );
  await updateStore(ctx, (st) => st.remove(name));
  io.out(
    `hookpack: removed ${name} from ${storePath(ctx.home)}. Rotate it at its issuer if it may have leaked.\n`,
  );
  return 0;
}

/**
 * `secret import --env NAME…`: the values of environment variables this shell inherited go into
 * the store under the same names (the variables themselves are left alone: remove their exports).
 */
export async function importEnv(
  names: string[],
  values: { "dry-run"?: boolean; overwrite?: boolean },
  io: Io,
): Promise<number> {
  if (names.length === 0)
    throw new HookpackError(
      "USAGE",
      "hookpack: `secret import --env` needs the names of the variables to import.",
      "hookpack secret import --env OPENAI_API_KEY GITHUB_TOKEN",
    );
  for (const n of names) checkName(n);
  const missing = names.filter((n) => !io.env[n]);
  if (missing.length > 0)
    throw new HookpackError(
      "USAGE",
      `hookpack: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set in this environment; nothing was imported.`,
      "run the command in a shell that has them (e.g. after `source ~/.bashrc`).",
    );
  const floor = minSecretLength(io.env);
  const short = names.filter((n) => io.env[n]!.length < floor);
  if (short.length > 0)
    throw new HookpackError(
      "USAGE",
      `hookpack: the value of ${short.join(", ")} is shorter than ${floor} characters, too short to be matched safely; nothing was imported.`,
      "import longer values only (HOOKPACK_MIN_SECRET_LENGTH sets the floor).",
    );
  const ctx = storeContext(io);
  const store = await openStore(ctx);
  const clash = values.overwrite ? [] : names.filter((n) => store?.meta(n));
  if (clash.length > 0)
    throw new HookpackError(
      "USAGE",
      `hookpack: ${clash.join(", ")} already ${clash.length === 1 ? "exists" : "exist"} in the store; nothing was imported.`,
      "add --overwrite to replace them.",
    );
  const verb = values["dry-run"] ? "would " : "";
  for (const n of names)
    io.out(`hookpack: ${verb}import the value of $${n} into the store as ${n}\n`);
  for (const line of await recordSuggestions(
    names.map((n) => ({ key: n, name: n, value: io.env[n]! })),
  ))
    io.out(line);
  if (values["dry-run"]) return 0;
  const { created } = await updateStore(ctx, (st) => {
    const now = new Date().toISOString();
    for (const n of names) st.setValue(n, io.env[n]!, now);
  });
  if (created) io.out(`hookpack: created the secret store ${storePath(ctx.home)}; ${created}.\n`);
  io.out(
    `hookpack: imported ${names.length} secret${names.length > 1 ? "s" : ""}. Now remove the \`export\` lines from your shell profile (\`hookpack doctor\` lists them), open a new shell, and refer to them as ${names.map((n) => `$secret:${n}`).join(", ")}.\n`,
  );
  io.out(
    "hookpack: if an agent ever ran with these variables, rotate them: every command it ran could read them.\n",
  );
  return 0;
}

async function importFile(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      "dry-run": { type: "boolean", default: false },
      overwrite: { type: "boolean", default: false },
      env: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.env) return importEnv(positionals, values, io);
  const file = positionals[0];
  if (!file || positionals.length > 1)
    throw new HookpackError(
      "USAGE",
      "hookpack: `secret import` takes one dotenv file.",
      "hookpack secret import .env [--dry-run]",
    );
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new HookpackError(
      "USAGE",
      `hookpack: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
      "check the path.",
    );
  }
  const ctx = storeContext(io);
  const store = await openStore(ctx);
  const existing = new Set(values.overwrite ? [] : (store?.list().map((m) => m.name) ?? []));
  const plan = planImport(text, { minLength: minSecretLength(io.env), existing });
  if (plan.errors.length > 0) {
    const e = plan.errors[0]!;
    throw new HookpackError(
      "USAGE",
      `hookpack: ${path}:${e.line}: ${e.message}; nothing was imported.`,
      "fix the line and retry.",
    );
  }
  const verb = values["dry-run"] ? "would " : "";
  for (const s of plan.steps) {
    if (s.action === "import")
      io.out(
        `hookpack: ${verb}import ${s.key} (line ${s.line}) into the store as ${s.name}, and write ${s.key}=$secret:${s.name}\n`,
      );
    else io.out(`hookpack: ${verb}skip ${s.key} (line ${s.line}): ${s.reason}\n`);
  }
  const todo = plan.steps.filter((s) => s.action === "import");
  for (const line of await recordSuggestions(
    todo.map((s) => ({ key: s.key, name: s.name, value: s.value! })),
  ))
    io.out(line);
  if (todo.length === 0) {
    // Importing a file again is a no-op, not a failure: it already holds references.
    if (plan.steps.some((st) => st.reason === "already a reference")) {
      io.out(
        `hookpack: nothing to import from ${path}: it already holds $secret: references, and no other value can be imported.\n`,
      );
      return 0;
    }
    io.err(
      `hookpack: nothing to import from ${path}: ${plan.steps.length === 0 ? "it holds no KEY=value lines" : "every line was skipped (see above)"}; nothing was changed.\n`,
    );
    return 1;
  }
  if (values["dry-run"]) return 0;
  const mode = statSync(path).mode & 0o777;
  const { created } = await updateStore(ctx, (st) => {
    const now = new Date().toISOString();
    for (const s of todo) st.setValue(s.name, s.value!, now);
  });
  if (created) io.out(`hookpack: created the secret store ${storePath(ctx.home)}; ${created}.\n`);
  // The store is written first: if rewriting the file fails, no value is lost.
  writeFileAtomic(path, plan.rewritten, mode);
  io.out(
    `hookpack: imported ${todo.length} secret${todo.length > 1 ? "s" : ""}; ${file} now holds references. Run commands with \`hookpack exec --env-file ${file} -- <cmd>\`.\n`,
  );
  io.out(
    `hookpack: if ${file} was ever committed, shared or read by an agent, rotate these secrets: old copies still hold the values.\n`,
  );
  return 0;
}

export const secret: Command = {
  name: "secret",
  options: [
    [
      "set NAME",
      "store a value from stdin or a hidden prompt (never argv); says if it replaced one",
    ],
    ["set NAME --env VAR", "store a reference to $VAR (read at each use), not its value"],
    ["set NAME --op op://v/i/f", "a 1Password reference (or --keychain SVC/ACCT, --exec -- cmd …)"],
    [
      "list [--format text|json]",
      "names, sources, dates and revoked marks; never values (--json is the same as --format json)",
    ],
    ["rm NAME", "remove a secret"],
    ["import FILE [--dry-run]", "move a dotenv file's values into the store, leaving references"],
  ],
  example: 'printf %s "$TOKEN" | hookpack secret set GITHUB_TOKEN',
  summary: "manage secrets: set (stdin or hidden prompt), list, rm, import a dotenv file",
  usage: "hookpack secret set|list|rm|import … (see `hookpack secret`)",
  async run(args, io) {
    const [sub, ...rest] = args;
    switch (sub) {
      case "set":
        return set(rest, io);
      case "list":
      case "ls":
        return list(rest, io);
      case "rm":
      case "remove":
        return rm(rest, io);
      case "import":
        return importFile(rest, io);
      default:
        throw new HookpackError(
          "USAGE",
          sub
            ? `hookpack: unknown subcommand "secret ${sub}".`
            : "hookpack: `secret` needs a subcommand.",
          `usage: ${USAGE.split("\n")
            .map((l) => l.trim())
            .join(" | ")}`,
        );
    }
  },
};
