// The only module of the hook runtime that touches process streams and the exit code: one
// bounded read, one write to each stream, then `process.exitCode` (never process.exit, so the
// streams flush).
import { appendFileSync, fstatSync, writeSync } from "node:fs";
import { loadAdapter } from "../adapters/load.js";
import { createSecretRefHost } from "./secret-ref-host.js";
import type { AuditEvent } from "../broker/audit.js";
import { hookManagedSecrets, hookpackHomeFrom } from "./managed-secrets.js";
import { isHomeError } from "../core/home.js";
import { HookpackError } from "../core/errors.js";
import { DEFAULT_RULES } from "../rules/index.js";
import { inheritedEnv, withInherited } from "../rules/inherited-env.js";
import { secretScanner } from "../rules/secretlint.js";
import {
  isAgentId,
  AGENT_IDS,
  type AgentId,
  type Decision,
  type HookEvent,
  type HookResponse,
} from "./event.js";
import { FAILURE_MESSAGES, failureMode, judgeInvolvement } from "./failure-policy.js";
import { runPipeline } from "./pipeline.js";
import { settleEarlyRewrite } from "./rewrite-early-slot.js";
import {
  DEFAULT_MAX_STDIN_BYTES,
  DEFAULT_STDIN_TIMEOUT_MS,
  readStdin,
  type StdinPrefix,
  type StdinResult,
} from "./read-stdin.js";

/** HOOKPACK_DEBUG=1 writes diagnostics to stderr; any other value is a file to append to. */
function debugSink(env: NodeJS.ProcessEnv): ((line: string) => void) | undefined {
  const target = env.HOOKPACK_DEBUG;
  if (!target || target === "0") return undefined;
  const stamp = (line: string) =>
    `hookpack[debug ${new Date().toISOString()} pid ${process.pid}]: ${line}\n`;
  if (target === "1" || target === "stderr") return (line) => process.stderr.write(stamp(line));
  return (line) => {
    try {
      appendFileSync(target, stamp(line));
    } catch {
      // Diagnostics must never change the hook's answer.
    }
  };
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export async function runHook(
  agent: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  /** What the fast allow stage (hooks/fast-allow.ts) read of stdin before handing the call on. */
  prefix?: StdinPrefix,
): Promise<void> {
  if (!agent || !isAgentId(agent)) {
    process.stderr.write(
      `hookpack: unknown agent "${agent ?? ""}" for \`hookpack hook\`; expected one of: ${AGENT_IDS.join(", ")}.\n`,
    );
    process.exitCode = 2;
    return;
  }
  if (isTerminal(0)) {
    process.stderr.write(
      "hookpack: `hookpack hook <agent>` reads one hook payload on stdin; the agent runs it for you.\n",
    );
    process.exitCode = 2;
    return;
  }
  const debug = debugSink(env);
  // Not performance.now(): the global getter loads perf_hooks, a measurable cost per call.
  const started = debug ? Date.now() : 0;
  const input = await readStdin(
    () => process.stdin,
    positiveInt(env.HOOKPACK_MAX_STDIN_BYTES, DEFAULT_MAX_STDIN_BYTES),
    positiveInt(env.HOOKPACK_STDIN_TIMEOUT_MS, DEFAULT_STDIN_TIMEOUT_MS),
    prefix,
  );
  const { response, audit } = await hookAnswer(agent, input, env, debug);
  // An early `$secret:` rewrite's grants count only if this answer carries them (issue 21).
  settleEarlyRewrite(response.stdout);
  if (audit.length > 0) {
    // The audit module loads only here, never on a plain allow (node:crypto not even here: it
    // hashes with core/sha256-wasm.ts, and node:crypto loads only to create a home's audit key).
    const { tryRecordAudit } = await import("../broker/audit.js");
    tryRecordAudit(hookpackHomeFrom(env), audit, (m) => debug?.(m), {
      looksSecret: secretScanner.mayContainSecret,
    });
  }
  debug?.(
    `${agent}: exit ${response.exitCode}, ${response.stdout.length} bytes out, ${Date.now() - started} ms`,
  );
  if (response.stdout) writeFully(1, response.stdout);
  if (response.stderr) writeFully(2, response.stderr);
  process.exitCode = response.exitCode;
}

/**
 * One hook call's answer for a payload already read: the response and the audit entries to append
 * (runHook writes both). Exported so test/hooks/fast-allow-equivalence.test.ts can hold the fast
 * allow stage against the full pipeline of the built bundle, payload by payload, in one process.
 */
export async function hookAnswer(
  agent: AgentId,
  input: StdinResult,
  env: NodeJS.ProcessEnv,
  debug?: (line: string) => void,
): Promise<{ response: HookResponse; audit: AuditEvent[] }> {
  const adapter = await loadAdapter(agent);
  // Each agent names its session differently (session_id, sessionId, taskId…): the adapter knows.
  let sessionId: string | undefined;
  // The agent's environment, which every command it runs inherits: variables that hold secrets are
  // matched like managed values (in memory only, nothing stored), and named at session start.
  const inherited = inheritedEnv(env, secretScanner.mayContainSecret);
  // Every audit entry of this call (exposures found by the rules, the decision's record) goes to
  // the log in ONE append at the end: one lock, one fsync, one anchor write instead of one each.
  const audit: AuditEvent[] = [];
  let response: HookResponse;
  try {
    // Inside the try: an unusable HOOKPACK_HOME (e.g. inside the project's git work tree) throws
    // here, and is answered below as the known misconfiguration it is, never as a crash.
    const managed = hookManagedSecrets(env, { agent, session: () => sessionId }, debug);
    response = await runPipeline(
      { raw: input.text, overflow: input.overflow, timedOut: input.timedOut },
      {
        adapter,
        rules: DEFAULT_RULES,
        scanner: secretScanner,
        debug,
        managed: withInherited(
          {
            home: managed.home,
            find: (text) => managed.find(text),
            // Names only, one entry per secret (what `audit` and `doctor` say to rotate).
            exposed: (names, where) => {
              for (const secret of new Set(names))
                audit.push({ kind: "exposure-found", agent, session: sessionId, where, secret });
            },
          },
          inherited,
        ),
        inherited,
        secretRefs: createSecretRefHost(env),
        env,
        onEvent: (event) => {
          sessionId = event.session.id || undefined;
          noteCodeCachePath(agent, event);
        },
        onDecision: (event, decision) => {
          // A tool output that was replaced (a redaction) or withheld ran code a clean output
          // never reaches (the redaction, the spill, the answer, the audit append): its own path.
          if (event.kind === "after-tool")
            noteCodeCachePath(agent, event, decision.kind === "deny" ? "withheld" : "replaced");
          audit.push(...auditEntries(agent, event, decision));
        },
      },
    );
  } catch (error) {
    // A bug: block rather than guess, and say where to look.
    debug?.(`internal error: ${(error as Error).stack ?? String(error)}`);
    const involvement = judgeInvolvement(input.text, secretScanner.mayContainSecret);
    const mode = failureMode("unknown", involvement);
    // A known misconfiguration (an unusable HOOKPACK_HOME) is said as it is, with its fix.
    const what =
      error instanceof HookpackError || isHomeError(error)
        ? `${error.message.replace(/^hookpack: /, "").replace(/\.$/, "")}; ${error.hint ?? ""}`.replace(
            /[;.\s]+$/,
            "",
          )
        : "internal error while checking this call (run with HOOKPACK_DEBUG=1 for details and please report it)";
    response = adapter.renderFailure(
      mode,
      mode === "closed" ? FAILURE_MESSAGES.closed(what, involvement) : FAILURE_MESSAGES.open(what),
    );
  }
  return { response, audit };
}

/**
 * The audit trail of a hook call that blocked or redacted something: names, paths, counts and rule
 * ids, never a value.
 */
function auditEntries(agent: string, event: HookEvent, decision: Decision): AuditEvent[] {
  const ctx = { agent, session: event.session.id, cwd: event.session.cwd };
  const tool = event.kind === "before-tool" || event.kind === "after-tool" ? event.tool : undefined;
  const entries: AuditEvent[] = [];
  // The rules' evidence, as data: never parsed back out of a message or the redacted output.
  const evidence = decision.evidence ?? {};
  if (decision.kind === "deny") {
    if (decision.codes.includes("READ_BLOCKED")) {
      const ev = evidence.READ_BLOCKED;
      const paths = ev?.paths && ev.paths.length > 0 ? ev.paths : [tool?.path ?? "(shell read)"];
      for (const path of paths) {
        entries.push({
          kind: "read-blocked",
          ...ctx,
          path,
          code: "READ_BLOCKED",
          tool: tool?.name,
          secrets: [...(ev?.secrets ?? [])],
          ...(ev?.detectors?.length ? { rules: [...ev.detectors] } : {}),
        });
      }
    }
    if (decision.codes.includes("SECRET_LITERAL_IN_INPUT")) {
      // The agent wrote a literal secret: it holds the value, which therefore needs rotating.
      entries.push({
        kind: "exposure-found",
        ...ctx,
        where: `${agent} ${tool?.name ?? "tool"} input`,
        rule: "deny-literal-secrets",
      });
    }
    if (decision.codes.includes("SECRET_IN_PROMPT")) {
      // The user pasted a value into a prompt: it sits in their terminal and the agent's history.
      // (Managed values are recorded by name by the rule itself.)
      entries.push({
        kind: "exposure-found",
        ...ctx,
        where: `${agent} prompt`,
        rule: "guard-prompt",
      });
    }
    for (const code of ["FAILED_OUTPUT_EXPOSED"]) {
      const ev = evidence[code];
      if (!decision.codes.includes(code) || !ev) continue;
      // A failed call's output the agent does not let a hook replace: the model saw these.
      // Managed names are recorded by the redaction rule (ManagedSecrets.exposed); detections here.
      for (const rule of ev.detectors ?? [])
        entries.push({
          kind: "exposure-found",
          ...ctx,
          where: `${agent} ${tool?.name ?? "tool"} failed-call output`,
          rule,
        });
    }
  } else if (decision.hasOutput) {
    const ev = evidence.REDACTED;
    if (ev && (ev.count ?? 0) > 0)
      entries.push({
        kind: "output-redacted",
        ...ctx,
        tool: tool?.name,
        count: ev.count ?? 0,
        secrets: [...(ev.secrets ?? [])],
        ...(ev.detectors?.length ? { rules: [...ev.detectors] } : {}),
      });
  }
  return entries;
}

/**
 * Tells the entry's code cache (cli/code-cache.ts, CODE_CACHE_TAG) which path this call took, so a
 * cache written by a session's first hook (SessionStart) is completed by the first plain allow
 * instead of leaving every later call compiling the rules. A registered symbol: this bundle must
 * not import the entry's module.
 *
 * `outcome` marks an after-tool call whose output was replaced or withheld: most tool outputs are
 * clean, so a home's cache was usually written by a clean PostToolUse and lacked the redaction,
 * spill, answer and audit functions; every later redacting call compiled them again (issue 21:
 * 64 KB with a value, cache from a clean call against one from a redacting call, 50 interleaved
 * rounds, process CPU 1.000 -> 0.964). The first redacting call now adds its path once.
 */
function noteCodeCachePath(agent: string, event: HookEvent, outcome?: string): void {
  const tool = event.kind === "before-tool" || event.kind === "after-tool" ? event.tool.kind : "";
  (globalThis as unknown as Record<symbol, string>)[Symbol.for("hookpack.code-cache.tag")] =
    `${agent}:${event.kind}${tool ? `:${tool}` : ""}${outcome ? `:${outcome}` : ""}`;
}

/**
 * Writes all of `text` to `fd`, synchronously, as process.stdout does for files and pipes on POSIX,
 * without process.stdout: its stream machinery (net, stream, duplex…) cost ~3 ms CPU to load for
 * every call that answers something (a redaction, a deny, a rewrite; issue 21). A non-blocking
 * pipe whose reader is slow (EAGAIN) is waited for, up to a minute; a reader that went away (EPIPE)
 * has nobody to tell.
 */
export function writeFully(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  const deadline = Date.now() + 60_000;
  let wait: Int32Array | undefined;
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return;
      if (code !== "EAGAIN" || Date.now() > deadline) throw error;
      Atomics.wait((wait ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, 1);
    }
  }
}

function isTerminal(fd: number): boolean {
  try {
    // /dev/null is a character device too, and means empty input, not a person at a terminal;
    // node:tty is asked only then (never on the piped path an agent uses).
    if (!fstatSync(fd).isCharacterDevice()) return false;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("node:tty") as typeof import("node:tty")).isatty(fd);
  } catch {
    return false;
  }
}
