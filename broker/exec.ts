// `hookpack exec`: resolve secrets, inject them into one child's environment, mask its output,
// forward signals, record an audit entry. This is an edge module: it owns the child process and
// the output streams it is given. Everything it decides is done by the pure modules it calls.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants as osConstants, userInfo } from "node:os";
import { resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { HookpackError } from "../core/errors.js";
import {
  createValueMatcher,
  DEFAULT_MIN_LENGTH,
  type ManagedValue,
  type ValueMatcher,
} from "../rules/managed-values.js";
import { secretScanner, type SecretScanner } from "../rules/secretlint.js";
import { appendAudit, commandSummary, type ExecAuditEntry } from "./audit.js";
import { parseDotenv } from "./dotenv.js";
import { recordSessionApproval, type Grant } from "./grants.js";
import type { Phantom, Redeemed } from "./client.js";
import type { KeyContext } from "./keys.js";
import { resolveValue, type ProviderSpec } from "./providers.js";
import { NAME_RE, openStore, type SecretStore } from "./store.js";
import { OutputRedactor } from "./redact-stream.js";

export interface SecretRequest {
  name: string;
  envVar: string;
}

export interface ExecRequest {
  argv: string[];
  secrets: SecretRequest[];
  envFile?: string;
  grant?: string;
  /** --grant-key: the key the rewritten call carries (a grant minted with a key needs it). */
  grantKey?: string;
  /** --stdin-refs: this program's stdin carries placeholders (a here-document or here-string). */
  stdinRefs?: boolean;
  /** Providers for names the store does not know (from a grant, i.e. the project policy). */
  providers?: Record<string, ProviderSpec>;
  /** Secrets the broker's proxy injects: the child gets their placeholder, never the value. */
  phantoms?: Record<string, Phantom>;
  /** `--cap NAME`: capabilities the grant carries, minted per call (broker/exec-capabilities.ts). */
  capabilities?: string[];
}

/** Largest stdin the broker reads to swap placeholders (a here-document, not a data stream). */
export const STDIN_REFS_MAX = 1 << 20;

export interface ExecIo extends Omit<KeyContext, "home"> {
  home: string;
  cwd: string;
  stdout: Writable;
  stderr: Writable;
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
  /** hookpack's own messages (always start with "hookpack:"). */
  note(text: string): void;
  /** Tests use a scanner stub; default is the secretlint wrapper. null turns detection off. */
  scanner?: SecretScanner | null;
  /** Idle time after which held-back output is released (default 25 ms). */
  idleMs?: number;
  /** How long to wait for output pipes after the child exits (default 1000 ms). */
  drainGraceMs?: number;
  /** Our stdin, read when a grant's placeholders arrive there (--stdin-refs). */
  stdin?: Readable;
}

/** The configured floor for secret length (HOOKPACK_MIN_SECRET_LENGTH, default 6, at least 4). */
export function minSecretLength(env: NodeJS.ProcessEnv): number {
  const raw = env.HOOKPACK_MIN_SECRET_LENGTH;
  if (raw === undefined || raw === "") return DEFAULT_MIN_LENGTH;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 4 || n > 1024) {
    throw new HookpackError(
      "USAGE",
      `hookpack: HOOKPACK_MIN_SECRET_LENGTH="${raw}" is not a whole number from 4 to 1024.`,
      "unset it to use the default of 6.",
    );
  }
  return n;
}

export const ENV_VAR_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `NAME` or `NAME=ENVVAR`. */
export function parseSecretFlag(flag: string): SecretRequest {
  const [name = "", envVar = name, extra] = flag.split("=");
  if (extra !== undefined || !NAME_RE.test(name) || !ENV_VAR_RE.test(envVar)) {
    throw new HookpackError(
      "USAGE",
      `hookpack: --secret "${flag}" is not NAME or NAME=ENVVAR.`,
      "names and variables use letters, digits and underscores, e.g. --secret GITHUB_TOKEN=GH_TOKEN.",
    );
  }
  return { name, envVar };
}

interface Resolved {
  env: Record<string, string>;
  names: string[];
  values: ManagedValue[];
}

/** Everything that can fail before the child starts: store, env file, providers, lengths. */
export async function resolveRequest(req: ExecRequest, io: ExecIo): Promise<Resolved> {
  const floor = minSecretLength(io.env);
  const store = await openStore({
    home: io.home,
    env: io.env,
    askPassphrase: io.askPassphrase,
    keyring: io.keyring,
  });
  const env: Record<string, string> = {};
  const wanted: SecretRequest[] = [];
  if (req.envFile) {
    const path = resolve(io.cwd, req.envFile);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new HookpackError(
        "ENV_FILE",
        `hookpack: cannot read the env file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        "check the path given to --env-file.",
      );
    }
    const parsed = parseDotenv(text);
    if (parsed.errors.length > 0) {
      const e = parsed.errors[0]!;
      throw new HookpackError(
        "ENV_FILE",
        `hookpack: ${path}:${e.line}: ${e.message}.`,
        "fix the line (KEY=value, KEY=$secret:NAME) and retry.",
      );
    }
    for (const e of parsed.entries) {
      if (!ENV_VAR_RE.test(e.key))
        throw new HookpackError(
          "ENV_FILE",
          `hookpack: ${path}:${e.line}: "${e.key}" is not a valid environment variable name.`,
          "use letters, digits and underscores.",
        );
      if (e.ref) wanted.push({ name: e.ref, envVar: e.key });
      else if (/^\$\{?secret:/.test(e.value))
        throw new HookpackError(
          "ENV_FILE",
          `hookpack: ${path}:${e.line}: malformed secret reference.`,
          "write $secret:NAME or ${secret:NAME}, where NAME is letters, digits and underscores.",
        );
      else env[e.key] = e.value;
    }
  }
  wanted.push(...req.secrets);
  const phantom = (name: string) => req.phantoms?.[name]?.placeholder;
  for (const w of wanted) {
    const p = phantom(w.name);
    if (p !== undefined && w.envVar !== "") env[w.envVar] = p;
  }
  wanted.splice(0, wanted.length, ...wanted.filter((w) => phantom(w.name) === undefined));
  const unknown = [
    ...new Set(
      wanted.filter((w) => !store?.meta(w.name) && !req.providers?.[w.name]).map((w) => w.name),
    ),
  ];
  if (unknown.length > 0) {
    const known = store?.list().map((m) => m.name) ?? [];
    throw new HookpackError(
      "SECRET_UNKNOWN",
      `hookpack: unknown secret${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}${store ? ` (store: ${store.path})` : " (there is no secret store yet)"}. The command was not started.`,
      `add ${unknown.length > 1 ? "them" : "it"} with \`hookpack secret set ${unknown[0]}\`${known.length ? `; known: ${known.join(", ")}` : ""}.`,
    );
  }
  const revoked = [
    ...new Set(wanted.filter((w) => store!.meta(w.name)!.revoked).map((w) => w.name)),
  ];
  if (revoked.length > 0) {
    const name = revoked[0]!;
    throw new HookpackError(
      "SECRET_REVOKED",
      `hookpack: secret ${revoked.join(", ")} ${revoked.length > 1 ? "were" : "was"} revoked by \`hookpack revoke\` (${store!.meta(name)!.revoked}); every reference is refused until ${revoked.length > 1 ? "they are" : "it is"} set again. The command was not started.`,
      `rotate it at the source, then \`hookpack secret set ${name}\`.`,
    );
  }
  const cache = new Map<string, string>();
  const ctx = {
    home: io.home,
    env: io.env,
    cwd: io.cwd,
    store,
    askPassphrase: io.askPassphrase,
    keyring: io.keyring,
  };
  for (const w of wanted) {
    let value = cache.get(w.name);
    if (value === undefined) {
      value = await resolveValue(
        w.name,
        store?.meta(w.name)?.provider ?? req.providers![w.name]!,
        ctx,
      );
      if (value.length < floor) {
        throw new HookpackError(
          "SECRET_TOO_SHORT",
          `hookpack: secret ${w.name} resolved to a value shorter than ${floor} characters, too short to mask reliably. The command was not started.`,
          "use a longer secret, or lower HOOKPACK_MIN_SECRET_LENGTH (at least 4) if you accept false matches.",
        );
      }
      cache.set(w.name, value);
    }
    // An empty envVar: the value is delivered through placeholders (a grant's), not a variable.
    if (w.envVar !== "") env[w.envVar] = value;
  }
  const values: ManagedValue[] = [...cache].map(([name, value]) => ({ name, value }));
  values.push(...cheapValues(store, cache, io.env));
  return { env, names: [...cache.keys(), ...Object.keys(req.phantoms ?? {})], values };
}

/** Other managed values that cost nothing to know (stored, env): masked too, never injected. */
function cheapValues(
  store: SecretStore | undefined,
  have: ReadonlyMap<string, string>,
  env: NodeJS.ProcessEnv,
): ManagedValue[] {
  const out: ManagedValue[] = [];
  for (const m of store?.list() ?? []) {
    if (have.has(m.name)) continue;
    const p: ProviderSpec = m.provider;
    try {
      if (p.kind === "store") out.push({ name: m.name, value: store!.value(m.name) });
      else if (p.kind === "env" && env[p.var]) out.push({ name: m.name, value: env[p.var]! });
    } catch {
      // A damaged entry that was not asked for does not stop the command; it is not masked either.
    }
  }
  return out;
}

function buildMatcher(values: readonly ManagedValue[], floor: number): ValueMatcher {
  const shortest = values.reduce((m, v) => Math.min(m, v.value.length), floor);
  return createValueMatcher(values, { mode: "bytes", minLength: Math.max(1, shortest) });
}

function maskWith(matcher: ValueMatcher): (s: string) => string {
  return (s) =>
    Buffer.from(matcher.redact(Buffer.from(s, "utf8").toString("latin1")).text, "latin1").toString(
      "utf8",
    );
}

const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];

/** Runs the request; resolves to the exit code (the child's, 128+signal, or 126/127/2 for hookpack's own failures). */
export async function runExec(req: ExecRequest, io: ExecIo): Promise<number> {
  if (req.argv.length === 0)
    throw new HookpackError(
      "USAGE",
      "hookpack: no command given after `--`.",
      "hookpack exec [--secret NAME[=ENVVAR]]… [--env-file FILE] -- <cmd> [args…]",
    );
  const started = Date.now();
  let grant: Grant | undefined;
  let redeemed: Redeemed | undefined;
  if (req.grant !== undefined) {
    // Checked before anything else: a refused grant starts nothing and resolves nothing.
    try {
      if (req.envFile)
        throw new HookpackError(
          "GRANT_MISMATCH",
          "hookpack: --grant cannot be combined with --env-file. The command was not started.",
          "the hook's rewrite never uses --env-file.",
        );
      if (req.grantKey !== undefined && req.secrets.length > 0)
        throw new HookpackError(
          "GRANT_MISMATCH",
          "hookpack: --grant-key cannot be combined with --secret. The command was not started.",
          "the hook's rewrite delivers values through the grant's placeholders.",
        );
      // Grants live in the broker's memory; it takes this one (once) and, for secrets injected at
      // the outbound request, keeps the value and hands back a placeholder and its proxy. A
      // rewritten call's grant is bound to its key, the variables carrying its placeholders and
      // its stdin: the broker checks them.
      const { redeemVia } = await import("./client.js");
      redeemed = await redeemVia(io.home, io.env, {
        id: req.grant,
        argv: req.argv,
        names: req.secrets.map((s) => s.name),
        envVars: Object.fromEntries(req.secrets.map((s) => [s.name, s.envVar])),
        cwd: io.cwd,
        ...(req.grantKey !== undefined ? { key: req.grantKey, stdin: req.stdinRefs === true } : {}),
      });
      grant = redeemed.grant;
    } catch (error) {
      if (error instanceof HookpackError) {
        // ----- capabilities (issue #19): a refused grant that asked for them is a refused reuse -----
        if (req.capabilities?.length)
          (await import("./exec-capabilities.js")).noteRefusedReuse(
            io.home,
            req.grant,
            req.capabilities,
            error.code,
            io,
          );
        audit(io, {
          kind: "exec",
          ts: new Date(started).toISOString(),
          grant: req.grant.slice(0, 40),
          user: safeUser(),
          cwd: io.cwd,
          secrets: [...new Set(req.secrets.map((s) => s.name))],
          command: commandSummary(req.argv, (s) => s),
          exitCode: error.exitCode,
          durationMs: Date.now() - started,
          redactions: 0,
          redactedNames: [],
          refused: error.code,
        });
      }
      throw error;
    }
    if (grant.approval === "once") {
      try {
        recordSessionApproval(io.home, grant.agent, grant.session, grant.names);
      } catch (error) {
        io.note(
          `hookpack: could not record the session approval in ${io.home}: ${(error as Error).message}.\n`,
        );
      }
    }
    req = { ...req, providers: grant.providers, phantoms: redeemed?.phantoms };
    if (grant.placeholders)
      req = { ...req, secrets: grant.names.map((name) => ({ name, envVar: "" })) };
  }
  // The audit log shows a delivered program's argv with its references, not the random placeholders.
  const refsBack = Object.entries(grant?.placeholders ?? {});
  const shownArgv =
    refsBack.length === 0
      ? req.argv
      : req.argv.map((a) => refsBack.reduce((acc, [p, n]) => acc.split(p).join(`$secret:${n}`), a));
  const base: Omit<
    ExecAuditEntry,
    "command" | "exitCode" | "durationMs" | "redactions" | "redactedNames"
  > = {
    kind: "exec",
    ts: new Date(started).toISOString(),
    agent: grant?.agent ?? (io.env.HOOKPACK_AGENT || undefined),
    session: grant?.session ?? (io.env.HOOKPACK_SESSION || undefined),
    grant: grant?.id,
    user: safeUser(),
    cwd: io.cwd,
    secrets: [...new Set(req.secrets.map((s) => s.name))],
  };
  let resolved: Resolved;
  try {
    resolved = await resolveRequest(req, io);
  } catch (error) {
    redeemed?.release();
    if (error instanceof HookpackError) {
      audit(io, {
        ...base,
        command: commandSummary(shownArgv, (s) => s),
        exitCode: error.exitCode,
        durationMs: Date.now() - started,
        redactions: 0,
        redactedNames: [],
        refused: error.code,
      });
    }
    throw error;
  }
  // ----- capabilities (issue #19): mint the grant's leases; their variables go to this program only -----
  let caps: import("./exec-capabilities.js").CapabilityRun | undefined;
  if (grant?.capabilities?.length || req.capabilities?.length) {
    try {
      const capMod = await import("./exec-capabilities.js");
      caps = await capMod.startCapabilities(
        grant,
        req.capabilities ?? [],
        io,
        capMod.capabilityCommandSummary(
          req.argv,
          (grant?.capabilities ?? []).map((c) => c.name),
        ),
      );
    } catch (error) {
      if (error instanceof HookpackError) {
        audit(io, {
          ...base,
          command: commandSummary(shownArgv, (s) => s),
          exitCode: error.exitCode,
          durationMs: Date.now() - started,
          redactions: 0,
          redactedNames: [],
          refused: error.code,
        });
      }
      throw error;
    }
    if (caps) resolved.values.push(...caps.values);
  }
  // ----- end of the capability branch -----
  const matcher = buildMatcher(resolved.values, minSecretLength(io.env));
  const mask = maskWith(matcher);
  const inherited: NodeJS.ProcessEnv = { ...io.env };
  caps?.scrub(inherited);
  const childEnv: NodeJS.ProcessEnv = {
    ...inherited,
    ...(redeemed?.proxyEnv ?? {}),
    ...resolved.env,
    ...(caps?.env ?? {}),
  };
  // A grant's placeholders become values in exactly the places the grant binds: the program's argv,
  // the variables it names, its stdin. Nothing else (our own environment, other processes) holds one.
  // A secret the broker's proxy injects becomes its phantom placeholder instead of its value.
  let stdinText: Buffer | undefined;
  let runArgv = req.argv;
  if (grant?.placeholders) {
    // A secret the proxy injects is its phantom placeholder (checked first: resolved.values also
    // holds stored values that are only masked). Never an empty swap: a name without either fails.
    const byName = new Map(resolved.values.map((v) => [v.name, v.value]));
    const entries = Object.entries(grant.placeholders).map(([p, n]) => {
      const v =
        req.phantoms?.[n]?.placeholder ?? (resolved.names.includes(n) ? byName.get(n) : undefined);
      if (v === undefined)
        throw new HookpackError(
          "GRANT_MISMATCH",
          `hookpack: secret ${n} of grant ${grant!.id} could not be resolved for delivery. The command was not started.`,
          "run the original command again.",
        );
      return [p, v] as const;
    });
    const swap = (text: string) => entries.reduce((acc, [p, v]) => acc.split(p).join(v), text);
    runArgv = req.argv.map(swap);
    for (const name of grant.envNames ?? [])
      if (io.env[name] !== undefined) childEnv[name] = swap(io.env[name]!);
    if (grant.stdin) {
      try {
        stdinText = Buffer.from(
          swap((await readAll(io.stdin ?? process.stdin, STDIN_REFS_MAX)).toString("utf8")),
          "utf8",
        );
      } catch (error) {
        redeemed?.release();
        const e = new HookpackError(
          "STDIN_TOO_LARGE",
          `hookpack: ${(error as Error).message} The command was not started.`,
          "a here-document that carries a $secret: reference must be under 1 MiB.",
        );
        audit(io, {
          ...base,
          command: commandSummary(shownArgv, (x) => x),
          exitCode: e.exitCode,
          durationMs: Date.now() - started,
          redactions: 0,
          redactedNames: [],
          refused: e.code,
        });
        throw e;
      }
    }
  }
  delete childEnv.HOOKPACK_PASSPHRASE;
  if (io.stdoutIsTTY && !io.env.NO_COLOR) {
    // The child writes to a pipe, not our terminal; ask it to keep its colours anyway.
    childEnv.FORCE_COLOR ??= "1";
    childEnv.CLICOLOR_FORCE ??= "1";
  }
  // With a terminal on stdin the child stays in our process group (it must be able to read the
  // terminal, and Ctrl-C reaches it directly). Otherwise it gets its own group, and every signal
  // we receive is forwarded to the whole group.
  const ownGroup = !io.stdinIsTTY && process.platform !== "win32";
  const [cmd, ...args] = runArgv as [string, ...string[]];
  const stdio: Array<"inherit" | "pipe"> = [stdinText ? "pipe" : "inherit", "pipe", "pipe"];
  const child = spawn(cmd, args, {
    cwd: io.cwd,
    env: childEnv,
    stdio,
    detached: ownGroup,
    windowsHide: true,
  });
  if (stdinText && child.stdin) {
    child.stdin.on("error", () => {}); // the program may exit without reading it all
    child.stdin.end(stdinText);
  }

  const signalChild = (sig: NodeJS.Signals) => {
    try {
      if (ownGroup && child.pid !== undefined) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of FORWARDED) {
    // Terminal-generated signals already reach a child in our group; forwarding them again would
    // deliver them twice.
    const h = () => {
      if (ownGroup || (sig !== "SIGINT" && sig !== "SIGQUIT")) signalChild(sig);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  const scanner = io.scanner === undefined ? secretScanner : (io.scanner ?? undefined);
  const releaseBelow = Math.max(
    1,
    Math.min(minSecretLength(io.env), ...resolved.values.map((v) => v.value.length)),
  );
  const outR = new OutputRedactor(matcher, { releaseBelow, scanner, filePath: "stdout.txt" });
  const errR = new OutputRedactor(matcher, { releaseBelow, scanner, filePath: "stderr.txt" });
  // A reader that goes away (`… | head`) is the pump's to handle: the CLI's own EPIPE handler exits
  // at once, which would skip the end of the run (a lease's revocation, the group kill, the audit).
  const parked = [io.stdout, io.stderr].map((s) => [s, s.listeners("error")] as const);
  for (const [s, ls] of parked) for (const l of ls) s.off("error", l as (e: Error) => void);
  const quiet = () => {};
  for (const [s] of parked) s.on("error", quiet);
  try {
    const exited = waitExit(child);
    const pumps = [
      pump(child.stdout!, outR, io.stdout, io.idleMs ?? 25),
      pump(child.stderr!, errR, io.stderr, io.idleMs ?? 25),
    ];
    const result = await exited;
    // Capability leases are revoked as soon as the command is gone (not after the output drain).
    await caps?.finish();
    if (result.error) {
      const code = result.error.code === "ENOENT" ? 127 : 126;
      io.note(
        `hookpack: cannot run ${mask(req.argv[0]!)}: ${result.error.code === "ENOENT" ? "command not found" : result.error.message}.\nhookpack: check the command name and PATH.\n`,
      );
      await Promise.allSettled(pumps);
      audit(io, {
        ...base,
        secrets: resolved.names,
        command: commandSummary(shownArgv, mask),
        exitCode: code,
        durationMs: Date.now() - started,
        redactions: 0,
        redactedNames: [],
        refused: "SPAWN_FAILED",
      });
      return code;
    }
    // A program that received a value may have left processes behind in its group (a background
    // job): they must not outlive the call holding the value. Those that started a session of
    // their own (setsid, daemons) escape this; containing them needs an OS sandbox.
    if ((grant?.placeholders || caps) && ownGroup && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // the group is empty
      }
    }
    // Output pipes can outlive the child (a background grandchild holds them): wait a little, then stop reading.
    const grace = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, io.drainGraceMs ?? 1000);
    await Promise.allSettled(pumps);
    clearTimeout(grace);
    const exitCode = result.signal
      ? 128 + (osConstants.signals[result.signal] ?? 0)
      : (result.code ?? 1);
    audit(io, {
      ...base,
      secrets: resolved.names,
      command: commandSummary(shownArgv, mask),
      exitCode,
      signal: result.signal ?? undefined,
      durationMs: Date.now() - started,
      redactions: outR.count + errR.count,
      redactedNames: [...new Set([...outR.names, ...errR.names])],
    });
    return exitCode;
  } finally {
    await caps?.finish();
    for (const [s, ls] of parked) {
      s.off("error", quiet);
      for (const l of ls) s.on("error", l as (e: Error) => void);
    }
    for (const [sig, h] of handlers) process.off(sig, h);
    // The placeholder dies with the run: the broker forgets it when this connection closes.
    redeemed?.release();
  }
}

/** Reads a stream to its end, at most `max` bytes. */
async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > max) throw new Error(`stdin holds more than ${max} bytes.`);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function safeUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

function audit(io: ExecIo, entry: ExecAuditEntry): void {
  try {
    appendAudit(io.home, entry);
  } catch (error) {
    io.note(
      `hookpack: could not write the audit log in ${io.home}: ${(error as Error).message}.\nhookpack: check that HOOKPACK_HOME is writable.\n`,
    );
  }
}

interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
}

function waitExit(child: ChildProcess): Promise<ExitResult> {
  return new Promise((res) => {
    child.once("error", (error: NodeJS.ErrnoException) => res({ code: null, signal: null, error }));
    child.once("exit", (code, signal) => res({ code, signal }));
  });
}

/** Copies one child stream to `target` through the redactor, one chunk at a time, in order. */
async function pump(
  source: Readable,
  redactor: OutputRedactor,
  target: Writable,
  idleMs: number,
): Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  let broken = false;
  const onError = () => {
    // Our reader went away (EPIPE): stop reading so the child gets SIGPIPE like it would in a shell.
    broken = true;
    source.destroy();
  };
  target.on("error", onError);
  const write = async (text: string) => {
    if (!text || broken) return;
    if (!target.write(Buffer.from(text, "latin1"))) {
      await new Promise<void>((r) => {
        const done = () => {
          target.off("drain", done);
          target.off("error", done);
          target.off("close", done);
          r();
        };
        target.on("drain", done);
        target.on("error", done);
        target.on("close", done);
      });
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    if (redactor.holding) {
      timer = setTimeout(() => {
        chain = chain.then(async () => write(await redactor.releaseIdle()));
      }, idleMs);
    }
  };
  try {
    for await (const chunk of source) {
      clearTimeout(timer);
      await chain;
      await write(await redactor.push((chunk as Buffer).toString("latin1")));
      arm();
    }
  } catch {
    // destroyed after the grace period or on EPIPE: flush what we have
  } finally {
    clearTimeout(timer);
    await chain;
    await write(await redactor.flush());
    target.off("error", onError);
  }
}
