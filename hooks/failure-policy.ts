// What a hook does when hookpack itself fails (bad payload, a crashed rule, a stdin timeout).
// One table: fail closed when a secret reference or a finding is involved, open otherwise.
import type { EventKind, HookEvent, ToolKind } from "./event.js";

/** What the failed call carried, judged from the raw payload text. */
export type Involvement = "secret-reference" | "finding" | "unverifiable" | "none";
export type FailureMode = "closed" | "open";

export const FAILURE_POLICY: Record<EventKind | "unknown", Record<Involvement, FailureMode>> = {
  // A tool call we could not check: block it if it carries a reference (it would run without the
  // broker and the shell would mangle it) or something that looks like a secret.
  "before-tool": {
    "secret-reference": "closed",
    finding: "closed",
    unverifiable: "closed",
    none: "open",
  },
  // An output we could not check: withhold it if it may hold a secret. A reference alone in an
  // output names a secret but carries no value.
  "after-tool": {
    "secret-reference": "open",
    finding: "closed",
    unverifiable: "closed",
    none: "open",
  },
  // A prompt we could not check: hold it back if it may hold a secret; a `$secret:NAME` reference in
  // a prompt names a secret but carries no value.
  "prompt-submit": {
    "secret-reference": "open",
    finding: "closed",
    unverifiable: "closed",
    none: "open",
  },
  // Session events block nothing; a failure there is reported, never enforced.
  "session-start": {
    "secret-reference": "open",
    finding: "open",
    unverifiable: "open",
    none: "open",
  },
  "session-end": {
    "secret-reference": "open",
    finding: "open",
    unverifiable: "open",
    none: "open",
  },
  // We could not even tell what the event was.
  unknown: {
    "secret-reference": "closed",
    finding: "closed",
    unverifiable: "closed",
    none: "open",
  },
};

const REFERENCE = /\$\{?secret:[A-Za-z_]/;

export function judgeInvolvement(
  raw: string,
  mayContainSecret: (text: string) => boolean,
): Involvement {
  if (REFERENCE.test(raw)) return "secret-reference";
  if (mayContainSecret(raw)) return "finding";
  return "none";
}

/**
 * The before-tool kinds whose rules look past the payload's text: the read guard opens the files a
 * read, a search or a command names and decides on their content; the state guard and the
 * push/publish gate decide on what a command or a write does to files. A crash in any of them on
 * such a call leaves a question the raw text cannot answer ("does this read a secret-bearing file,
 * write hookpack's state, push unscanned commits?"), so the call fails closed, whatever it looks
 * like.
 *
 * The other kinds (fetch, mcp, other) meet only the literal-value and `$secret:` rules, which look
 * at the call's own text, so judging the raw payload (a reference, a detected token, a stored
 * value: `judgeInvolvement` and the managed matcher) answers exactly what the crashed rule would
 * have asked. Such a call passes when that judgement finds nothing: it is provably irrelevant to
 * every rule, and a benign crash there (a bug on odd but harmless input) does not block the agent.
 */
const CHECKED_BEYOND_TEXT: ReadonlySet<ToolKind> = new Set([
  "shell",
  "read-file",
  "write-file",
  "search",
]);

/**
 * What a failed check leaves unknown: `error` is what a rule, the adapter's parse or its render
 * threw; `event` the parsed call (undefined when parsing itself failed); `fromText` judges the raw
 * payload (called only when the raw text can answer).
 *
 * - A RangeError (call stack or string length exhausted) is provoked by the input's shape (nesting
 *   thousands deep): the call was not checked at all, so it is unverifiable.
 * - No event: the payload could not be read into a call, so nothing is known of what it does.
 * - A rule whose bundle could not be loaded (rules/rule.ts lazyRule, RULE_NOT_LOADED): that rule
 *   did not run at all, whatever the call; a missing or damaged before-tool bundle blocks every
 *   before-tool call instead of letting the calls through that the raw text alone would pass.
 * - before-tool on a kind whose rules read files or judge effects (CHECKED_BEYOND_TEXT): unverifiable.
 * - prompt-submit: the context-file guard reads instruction files the raw prompt does not contain.
 *   The user (not the agent) submits prompts and sees the reason at once, so holding one back costs
 *   one retyped prompt, never a silent loss.
 * - after-tool: the only rule is the output redactor, and the raw text is the output, judged by the
 *   same detectors and stored values: a finding fails closed (the output is withheld), nothing found
 *   lets it through with a warning.
 * - session events: `fromText`; the table above never enforces on them.
 */
export function judgeFailure(
  error: unknown,
  event: HookEvent | undefined,
  fromText: () => Involvement,
): Involvement {
  if (error instanceof RangeError || !event || ruleNotLoaded(error)) return "unverifiable";
  if (event.kind === "before-tool" && CHECKED_BEYOND_TEXT.has(event.tool.kind)) {
    const judged = fromText();
    return judged === "none" ? "unverifiable" : judged;
  }
  if (event.kind === "prompt-submit") {
    const judged = fromText();
    return judged === "none" ? "unverifiable" : judged;
  }
  return fromText();
}

/** rules/rule.ts RULE_NOT_LOADED, by name and code (the class may come from another bundle's copy). */
function ruleNotLoaded(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === "HookpackError" &&
    (error as { code?: unknown }).code === "RULE_NOT_LOADED"
  );
}

/**
 * What a crash is called in a reason the model reads: hookpack's own errors (HookpackError, whose
 * messages are written to name no value) by their message, anything else by its class only. A
 * runtime's message may quote its input (V8's JSON.parse quotes the text it choked on), and that
 * input may be a file's secret.
 */
export function failureText(error: unknown): string {
  if (error instanceof Error && error.name === "HookpackError")
    return error.message.replace(/^hookpack: /, "").replace(/\.$/, "");
  return error instanceof Error ? error.name : "a non-error was thrown";
}

export function failureMode(kind: EventKind | "unknown", involvement: Involvement): FailureMode {
  return FAILURE_POLICY[kind][involvement];
}

export const FAILURE_MESSAGES = {
  closed: (what: string, involvement: Involvement) =>
    `hookpack: ${what}. The call was blocked because it ${INVOLVED[involvement]}. Run \`hookpack doctor\` to find the cause.`,
  open: (what: string) =>
    `hookpack: ${what}. The call was let through because it carries no secret reference and nothing that looks like a secret. Run \`hookpack doctor\` to find the cause.`,
};

const INVOLVED: Record<Involvement, string> = {
  "secret-reference": "contains a $secret: reference",
  finding: "contains something that looks like a secret",
  unverifiable: "could not be checked for secrets",
  none: "could not be checked",
};
