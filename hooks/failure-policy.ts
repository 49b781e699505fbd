// What a hook does when hookpack itself fails (bad payload, a crashed rule, a stdin timeout).
// One table: fail closed when a secret reference or a finding is involved, open otherwise.
import type { EventKind } from "./event.js";

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
