// One hook call, as data: raw payload text in, one HookResponse out. Nothing here touches a
// process stream; hooks/run-hook.ts does the single read and the single write.
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { isPayloadError, type Adapter, type RenderEdge } from "../adapters/adapter.js";
import { createMasker, MIN_MASK_LENGTH } from "../rules/mask.js";
import {
  foldVerdicts,
  type ManagedSecrets,
  type Rule,
  type RuleContext,
  type RuleFiles,
} from "../rules/rule.js";
import type { SecretRefHost } from "../rules/rewrite-secret-refs.js";
import type { SecretScanner } from "../rules/secretlint.js";
import type { InheritedEnv } from "../rules/inherited-env.js";
import type { Decision, EventKind, HookEvent, HookResponse, Verdict } from "./event.js";
import {
  FAILURE_MESSAGES,
  failureMode,
  failureText,
  judgeFailure,
  judgeInvolvement,
  type Involvement,
} from "./failure-policy.js";
import { nodeRuleFiles } from "./rule-files.js";
import { fitWithSpill } from "./spill.js";

/** The I/O an adapter's rendering may need, done here at the edge (an output too long for a response). */
const RENDER_EDGE: RenderEdge = { spill: fitWithSpill };

/** The push/publish gate's scanning (git, npm pack, tar): its own bundle, loaded only when a command may push or publish. */
const scanGated: RuleContext["scanGated"] = async (calls, home) =>
  (await import("./gate-push-publish-scan.js")).scanGatedCalls(calls, home, process.env);

export interface PipelineInput {
  raw: string;
  /** The payload was cut at the size cap or the read timed out. */
  overflow?: boolean;
  timedOut?: boolean;
}

export interface PipelineOptions {
  adapter: Adapter;
  rules: readonly Rule[];
  scanner: SecretScanner;
  debug?: (line: string) => void;
  /** Told the final decision for a parsed event (audit trail); never on a plain allow. */
  onDecision?: (event: HookEvent, decision: Decision) => void | Promise<void>;
  /** Told the parsed event as soon as the payload is read (the session id for audit entries). */
  onEvent?: (event: HookEvent) => void;
  /** Managed secrets from the hook cache (lazily loaded); absent in tests that need none. */
  managed?: ManagedSecrets;
  /** `$secret:` broker capabilities (policy, store names, grants). */
  secretRefs?: SecretRefHost;
  /** The environment the agent's own settings are located from (the hook's process.env). */
  env?: NodeJS.ProcessEnv;
  /** The secrets in the environment the agent inherited (names; values matched in memory). */
  inherited?: InheritedEnv;
  /** The rules' file access; the real file system (hooks/rule-files.ts) unless a test fakes it. */
  files?: RuleFiles;
  /**
   * Turns an error a rule threw into that rule's verdict (hookpack-shell: a grant that would need
   * a human becomes a deny saying how to allow it); any other error fails the call.
   */
  ruleError?: (error: unknown) => Verdict | undefined;
}

/** The agent's instruction and memory files for a session directory: each parent up to the repository root, then HOME. */
function contextFilesOf(
  adapter: Adapter,
  env: NodeJS.ProcessEnv,
): ((cwd: string) => string[]) | undefined {
  const layout = adapter.config.contextFiles;
  if (!layout) return undefined;
  return (cwd) => {
    const out: string[] = [];
    if (cwd && isAbsolute(cwd)) {
      let dir = resolve(cwd);
      for (let depth = 0; depth < 32; depth++) {
        for (const name of layout.project) out.push(join(dir, name));
        if (existsSync(join(dir, ".git")) || dirname(dir) === dir) break;
        dir = dirname(dir);
      }
    }
    const home = env.HOME;
    if (home) for (const rel of layout.user) out.push(join(home, rel));
    return [...new Set(out)];
  };
}

/** Where the agent keeps its hook registrations (settings files; hook directories end in "/"). */
export function hookConfigFiles(adapter: Adapter): string[] {
  const { files, inlineToml, format } = adapter.config;
  const all = [
    ...new Set([...Object.values(files), ...Object.values(inlineToml?.files ?? {})]),
  ].filter((f) => f !== "");
  return format === "hook-files" ? all.map((f) => `${f}/`) : all;
}

export async function runPipeline(
  input: PipelineInput,
  options: PipelineOptions,
): Promise<HookResponse> {
  const { adapter, scanner } = options;
  const debug = options.debug ?? (() => {});
  const masker = createMasker();
  // A payload that could not be checked is judged on its raw text: a reference or a detected token,
  // and then a stored value (which carries no recognisable shape), make it fail closed.
  /** A key of a withheld output that holds a value found in this call, a stored value or a token. */
  const keyHoldsValue = (key: string): boolean => {
    if (key.length < MIN_MASK_LENGTH) return false;
    if (masker.mask(key) !== key || scanner.mayContainSecret(key)) return true;
    try {
      return (options.managed?.find(key).length ?? 0) > 0;
    } catch {
      return true;
    }
  };
  const involvement = (): Involvement => {
    const judged = judgeInvolvement(input.raw, scanner.mayContainSecret);
    if (judged !== "none" || !options.managed) return judged;
    try {
      return options.managed.find(input.raw).length > 0 ? "finding" : "none";
    } catch {
      return "unverifiable";
    }
  };

  const fail = (
    kind: EventKind | "unknown",
    what: string,
    known: Involvement,
    event?: HookEvent,
    payload?: unknown,
  ): HookResponse => {
    const mode = failureMode(kind, known);
    debug(`failure (${mode}) in ${kind}: ${what}`);
    const message = masker.mask(
      mode === "closed" ? FAILURE_MESSAGES.closed(what, known) : FAILURE_MESSAGES.open(what),
    );
    if (
      event &&
      mode === "closed" &&
      (event.kind === "before-tool" ||
        event.kind === "after-tool" ||
        event.kind === "prompt-submit")
    ) {
      const decision: Decision = { kind: "deny", codes: ["HOOKPACK_FAILED"], reason: message };
      try {
        // A withheld output keeps its keys (a built-in tool's schema): a key that is a value goes.
        const shown =
          event.kind === "after-tool"
            ? { ...event, output: screenKeys(event.output, keyHoldsValue) }
            : event;
        return guard(adapter.render(decision, shown, payload, RENDER_EDGE));
      } catch (error) {
        // The withheld answer itself could not be built (the output nested too deep to copy).
        debug(`rendering the failure answer failed: ${(error as Error).name}`);
      }
    }
    return adapter.renderFailure(mode, message);
  };
  // Last line of defence: nothing we found may leave the process, whatever a rule or adapter did.
  const guard = (response: HookResponse): HookResponse => {
    if (masker.size > 0 && (masker.leaks(response.stdout) || masker.leaks(response.stderr))) {
      debug("response still held a secret value after masking; replaced by a block");
      return adapter.renderFailure(
        "closed",
        "hookpack: internal error: a response still held a secret value and was withheld. Please report this.",
      );
    }
    return response;
  };

  if (input.overflow)
    return fail(
      "unknown",
      "the hook payload is larger than the size limit (HOOKPACK_MAX_STDIN_BYTES)",
      "unverifiable",
    );
  if (input.timedOut)
    return fail(
      "unknown",
      "the hook payload did not arrive in time (stdin stayed open)",
      involvement(),
    );
  if (input.raw.trim() === "") {
    debug("empty stdin: nothing to decide");
    return { exitCode: 0, stdout: "", stderr: "" };
  }

  let payload: unknown;
  try {
    payload = JSON.parse(input.raw);
  } catch (error) {
    // Never the parser's message: V8 quotes the start of the offending text, which may be a secret.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    return fail(
      "unknown",
      `the hook payload is not valid JSON${at ? ` (at byte ${at})` : ""}`,
      involvement(),
    );
  }

  let event: HookEvent;
  try {
    const parsed = await adapter.parse(payload);
    if (parsed.kind === "ignored") {
      debug(`event ${parsed.eventName} is not one hookpack handles`);
      return { exitCode: 0, stdout: "", stderr: "" };
    }
    event = parsed.event;
    options.onEvent?.(event);
  } catch (error) {
    let kind: EventKind | "unknown";
    try {
      kind = adapter.classify(payload);
    } catch {
      kind = "unknown";
    }
    // The adapter crashed reading the payload (tool input nested thousands deep): nothing is known
    // of what the call does (hooks/failure-policy.ts judgeFailure). An output is withheld in the
    // agent's own answer: a failed hook's exit code does not keep it from the model (Claude Code
    // shows a PostToolUse's output whatever the hook's exit).
    if (!isPayloadError(error))
      return fail(
        kind,
        `the ${adapter.displayName} hook payload could not be read (${(error as Error).name})`,
        judgeFailure(error, undefined, involvement),
        withholdable(adapter, kind) ? afterToolStub(adapter, payload) : undefined,
        payload,
      );
    // A prompt we could not read is held back in the agent's own prompt answer (some agents, e.g.
    // Copilot's userPromptSubmitted, have no exit code that blocks).
    const stub: HookEvent | undefined =
      kind === "prompt-submit"
        ? {
            kind,
            agent: adapter.id,
            session: { id: "", cwd: "", transcriptPath: undefined },
            prompt: "",
          }
        : withholdable(adapter, kind)
          ? afterToolStub(adapter, payload)
          : undefined;
    return fail(
      kind,
      `the ${adapter.displayName} hook payload is malformed: ${error.message}`,
      involvement(),
      stub,
      payload,
    );
  }

  const context: RuleContext = {
    scanner,
    files: options.files ?? nodeRuleFiles(),
    noteSecret: (value, label) => masker.add(value, label ?? "secret"),
    managed: options.managed,
    secretRefs: options.secretRefs,
    inherited: options.inherited,
    contextFiles: contextFilesOf(adapter, options.env ?? {}),
    hookConfigFiles: () => hookConfigFiles(adapter),
    scanGated,
    ...(adapter.permissionRules
      ? { agentPermissions: (cwd: string) => adapter.permissionRules!(cwd, options.env ?? {}) }
      : {}),
  };
  let decision: Decision;
  try {
    decision = foldVerdicts(await runRules(event, options.rules, context, options.ruleError));
  } catch (error) {
    // A RangeError (e.g. a command nesting `${x:-…}` 5,000 deep that bash runs but the shell
    // scanner cannot walk), or any crash on a call whose rules read files or judge effects, fails
    // closed; hooks/failure-policy.ts judgeFailure says which and why.
    return fail(
      event.kind,
      `a rule failed: ${failureText(error)}`,
      judgeFailure(error, event, involvement),
      event,
      payload,
    );
  }

  decision = degrade(decision, event, adapter);
  if (decision.kind === "deny" || decision.hasOutput) await options.onDecision?.(event, decision);
  let response: HookResponse;
  try {
    // A withheld output (its saved copy could not be cleaned) keeps its keys, but none that holds a value.
    const shown =
      decision.kind === "deny" && event.kind === "after-tool"
        ? { ...event, output: screenKeys(event.output, keyHoldsValue) }
        : event;
    response = adapter.render(masker.maskDeep(decision), shown, payload, RENDER_EDGE);
  } catch (error) {
    // The answer could not be built (an output nested too deep to copy): judged like a rule's crash.
    return fail(
      event.kind,
      `the answer could not be built (${(error as Error).name})`,
      judgeFailure(error, event, involvement),
      event,
      payload,
    );
  }
  return guard({ ...response, stderr: masker.mask(response.stderr) });
}

/**
 * An after-tool event whose output the agent lets a hook replace (in shape, or by a reason in its
 * place): there an unreadable payload's output is withheld by the agent's own answer. Elsewhere
 * the answer could only warn beside the output, and the failure keeps its exit code.
 */
const withholdable = (adapter: Adapter, kind: EventKind | "unknown"): boolean =>
  kind === "after-tool" &&
  (adapter.capabilities.replaceOutput || adapter.capabilities.replaceOutputAsText === true);

/**
 * An after-tool call the adapter could not read (a malformed payload, an input nested too deep to
 * walk), as far as withholding its output needs: the tool's name and its output, taken from the
 * payload's top level only (no walk). Agents whose answer withholds without the output (a
 * reason in its place) ignore `output`; Claude Code's answer needs its shape, and declines when
 * there is none.
 */
function afterToolStub(adapter: Adapter, payload: unknown): HookEvent {
  const p = (payload !== null && typeof payload === "object" ? payload : {}) as Record<
    string,
    unknown
  >;
  const name = typeof p.tool_name === "string" ? p.tool_name : "";
  return {
    kind: "after-tool",
    agent: adapter.id,
    session: { id: "", cwd: "", transcriptPath: undefined },
    tool: { kind: name.startsWith("mcp__") ? "mcp" : "other", name, id: undefined, fields: [] },
    output: Object.hasOwn(p, "tool_response") ? p.tool_response : undefined,
  };
}

/** Deeper than any answer keeps (adapters/claude-code.ts WITHHOLD_DEPTH): below it, nothing is copied. */
const SCREEN_DEPTH = 64;

/**
 * `output` with every object key that `holdsValue` (down to SCREEN_DEPTH) renamed `withheld_N`
 * and its subtree replaced by "": a withheld answer keeps the output's keys (a built-in tool's
 * schema must stay, or the agent shows the original), but never a key that is a secret. Unchanged
 * subtrees are returned as they were.
 */
export function screenKeys(
  output: unknown,
  holdsValue: (key: string) => boolean,
  depth = 0,
  count = { n: 0 },
): unknown {
  if (output === null || typeof output !== "object" || depth >= SCREEN_DEPTH) return output;
  if (Array.isArray(output)) {
    let changed = false;
    const out = output.map((item) => {
      const next = screenKeys(item, holdsValue, depth + 1, count);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? out : output;
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(output)) {
    const value = holdsValue(key);
    const name = value ? `withheld_${++count.n}` : key;
    const next = value ? "" : screenKeys(item, holdsValue, depth + 1, count);
    if (value || next !== item) changed = true;
    // Defined, not assigned: a "__proto__" key stays a key.
    Object.defineProperty(out, name, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return changed ? out : output;
}

async function runRules(
  event: HookEvent,
  rules: readonly Rule[],
  context: RuleContext,
  ruleError: PipelineOptions["ruleError"],
): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  let current = event;
  for (const rule of rules) {
    if (!rule.on.includes(current.kind)) continue;
    let verdict: Verdict;
    try {
      verdict = await rule.check(current, context);
    } catch (error) {
      const instead = ruleError?.(error);
      if (!instead) throw error;
      verdict = instead;
    }
    verdicts.push(verdict);
    // Later rules see the call as rewritten so far.
    if (
      verdict.kind === "rewrite" &&
      current.kind === "before-tool" &&
      verdict.patch.command !== undefined
    ) {
      current = { ...current, tool: { ...current.tool, command: verdict.patch.command } };
    } else if (verdict.kind === "redact" && current.kind === "after-tool") {
      current = { ...current, output: verdict.output };
    }
  }
  return verdicts;
}

/** A capability the agent lacks turns into an explicit, explained outcome — never a silent drop. */
function degrade(decision: Decision, event: HookEvent, adapter: Adapter): Decision {
  if (decision.kind !== "proceed") return decision;
  if (decision.patch && !adapter.capabilities.rewriteInput) {
    return {
      kind: "deny",
      codes: [...decision.codes, "REWRITE_UNSUPPORTED"],
      reason: `hookpack cannot rewrite tool input for ${adapter.displayName}. Run this instead: ${decision.patch.command ?? ""}`,
    };
  }
  if (
    decision.hasOutput &&
    event.kind === "after-tool" &&
    event.failed &&
    !adapter.capabilities.replaceFailedOutput
  ) {
    // A failed call's output the agent does not let a hook replace: the model has read it. Record
    // the exposure and warn; keeping values out of such output is the read guard's job, at input.
    const evidence = decision.evidence?.REDACTED;
    return {
      kind: "deny",
      codes: [...decision.codes, "FAILED_OUTPUT_EXPOSED"],
      reason: `hookpack found ${evidence?.count ?? "some"} secret(s) in the output of this failed ${event.tool.name} call.`,
      ...(evidence ? { evidence: { FAILED_OUTPUT_EXPOSED: evidence } } : {}),
    };
  }
  if (decision.hasOutput && !adapter.capabilities.replaceOutput && event.kind === "after-tool") {
    const notice = decision.reason ?? "hookpack withheld this output.";
    // The agent shows the model the deny reason in place of the output: the redacted copy goes there.
    if (adapter.capabilities.replaceOutputAsText && adapter.outputText) {
      return {
        kind: "deny",
        codes: [...decision.codes, "OUTPUT_REPLACED_AS_TEXT"],
        reason: `[${notice}]\n${adapter.outputText(decision.output)}`,
      };
    }
    return { kind: "deny", codes: [...decision.codes, "OUTPUT_WITHHELD"], reason: notice };
  }
  if (
    decision.permission === "ask" &&
    adapter.capabilities.askUser === false &&
    event.kind === "before-tool"
  ) {
    return {
      kind: "deny",
      codes: [...decision.codes, "ASK_UNSUPPORTED"],
      reason: `${decision.reason ?? "hookpack needs the user's approval for this call."} ${adapter.displayName} hooks cannot ask the user, so hookpack blocked it; ask the user to run it.`,
    };
  }
  return decision;
}
