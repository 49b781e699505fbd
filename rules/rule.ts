// The rule contract and the one place verdict precedence is written down.
import type {
  Decision,
  EventKind,
  Evidence,
  HookEvent,
  ToolPatch,
  Verdict,
} from "../hooks/event.js";
import { HookpackError } from "../core/errors.js";
import type { PermissionRules } from "./agent-permissions.js";
import type { GatedCall } from "./read-guard-shell.js";
import type { SecretRefHost } from "./secret-ref-host.js";
import type { SecretScanner } from "./secretlint.js";

export interface RuleContext {
  /** Pattern detection (secretlint behind a prefilter). */
  scanner: SecretScanner;
  /**
   * The only way a rule touches files: bounded reads, listings, stat and a rewrite that never
   * loses a concurrent writer's lines. The hook entry implements it (hooks/rule-files.ts); unit
   * tests pass an in-memory fake (test/helpers/fake-files.ts).
   */
  files: RuleFiles;
  /** Records a value found during this call so the masker hides it in everything we write. */
  noteSecret(value: string, label?: string): void;
  /** Managed secrets (the user's stored ones), found by hash; undefined when none are known. */
  managed?: ManagedSecrets;
  /** Policy, store names and grant minting for `$secret:` rewriting; absent where no broker runs. */
  secretRefs?: SecretRefHost;
  /**
   * Where this agent keeps its hook registrations (settings files relative to the project root or
   * HOME, hook directories ending in "/"), from the adapter's config layout.
   */
  hookConfigFiles?: () => readonly string[];
  /** The instruction and memory files the agent loads for a session directory (absolute paths, existing or not). */
  contextFiles?: (cwd: string) => readonly string[];
  /** Secrets in the environment the agent inherited (names; values matched in memory only). */
  inherited?: InheritedSecrets;
  /** The agent's own shell deny/ask rules for a project directory (read on demand). */
  agentPermissions?: (cwd: string) => PermissionRules | undefined;
  /**
   * Scans what gated calls (`git push`, `npm publish` / `npm pack`) would send, as the pre-push
   * hook and check-pack do: git, npm pack and tar run at the edge (hooks/gate-push-publish-scan.ts,
   * loaded only when called). `home` is HOOKPACK_HOME, for the managed values. Absent, the
   * push/publish gate cannot scan and fails closed.
   */
  scanGated?: (calls: readonly GatedCall[], home: string | undefined) => Promise<GateResult>;
}

/** What the push/publish gate's scan found (never a value). */
export interface GateResult {
  /** Findings, one line each (names, rules, paths, commits: never a value). */
  findings: string[];
  /** Why a call could not be scanned (the gate fails closed). */
  errors: string[];
  evidence: Evidence;
}

/** Which version of a file a rule read: a rewrite goes ahead only if the file is still that one. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  /** Permission bits, kept by a rewrite. */
  mode: number;
}

/** A directory entry; `link` is a symbolic link (not followed). */
export interface DirEntry {
  name: string;
  type: "file" | "dir" | "link" | "other";
}

/**
 * File access for rules. Every method fails soft (undefined / false), as a read the rule cannot
 * make is a file the call cannot show the model either.
 */
export interface RuleFiles {
  /** The user's home directory (what `~` and `$HOME` expand to in a shell word). */
  home: string;
  /** What `path` is, symbolic links followed; undefined when it does not exist or cannot be seen. */
  kind(path: string): "file" | "dir" | "other" | undefined;
  /** Where `path`'s links lead; undefined when it does not exist. */
  realpath(path: string): string | undefined;
  /** The entries of a directory, unsorted; undefined when it cannot be listed. */
  list(dir: string): DirEntry[] | undefined;
  /**
   * The first `maxBytes` of a regular file as UTF-8 text; undefined when it is missing,
   * unreadable, not a regular file, or binary (a NUL byte in its first 8 KiB).
   */
  readHead(path: string, maxBytes: number): string | undefined;
  /** A whole regular file of at most `maxBytes` (UTF-8) and the stamp of the version read. */
  readWhole(path: string, maxBytes: number): { text: string; stamp: FileStamp } | undefined;
  /**
   * Replaces the file with `text` (same mode, atomic rename) only if it is still the version
   * `stamp` describes; false (and the file untouched) when it changed meanwhile. Throws when the
   * copy cannot be written.
   */
  replaceIfUnchanged(path: string, stamp: FileStamp, text: string): boolean;
}

/**
 * What rules know of the secrets in the environment the agent inherited: their names and where
 * their values occur in a text. rules/inherited-env.ts builds it (its InheritedEnv); declared here
 * so this contract imports no rule.
 */
export interface InheritedSecrets {
  readonly secrets: ReadonlyArray<{ readonly name: string }>;
  find(text: string): Array<{ start: number; end: number; name: string }>;
}

/**
 * What a hook may know of managed secrets: where they occur in a text (every encoding), never
 * their values. Loaded lazily from the hook cache the broker writes.
 */
export interface ManagedSecrets {
  /** hookpack's per-user directory (HOOKPACK_HOME): its files are never shown to an agent. */
  home: string;
  /** Occurrences of managed values in `text`, sorted and non-overlapping. */
  find(text: string): Array<{ start: number; end: number; name: string }>;
  /** Records that managed secrets showed up where they should not (audit log, names only). */
  exposed(names: readonly string[], where: string): void;
}

export interface Rule {
  /** kebab-case, verb then object: "deny-literal-secrets". */
  id: string;
  /** One line for `--help`, doctor and the README. */
  summary: string;
  on: ReadonlyArray<EventKind>;
  check(event: HookEvent, context: RuleContext): Verdict | Promise<Verdict>;
}

/**
 * Precedence: deny > ask > rewrite/redact > warn > allow. Rewrites and redactions compose in
 * rule order (the pipeline hands each rule the event the previous one produced), so the last
 * patch and output seen here already include the earlier ones.
 */
export function foldVerdicts(verdicts: ReadonlyArray<Verdict>): Decision {
  const denies = verdicts.filter((v) => v.kind === "deny");
  const evidence: Record<string, Evidence> = {};
  for (const v of verdicts) {
    if ((v.kind === "deny" || v.kind === "warn") && v.evidence) evidence[v.code] = v.evidence;
    else if (v.kind === "redact" && v.evidence) evidence.REDACTED = v.evidence;
  }
  const withEvidence = Object.keys(evidence).length > 0 ? { evidence } : {};
  if (denies.length > 0) {
    return {
      kind: "deny",
      codes: denies.map((d) => d.code),
      reason: denies.map((d) => d.reason).join("\n\n"),
      ...withEvidence,
    };
  }
  const asks = verdicts.filter(
    (v) => v.kind === "ask" || (v.kind === "rewrite" && v.approval === "ask"),
  );
  let patch: ToolPatch | undefined;
  let output: unknown = undefined;
  let hasOutput = false;
  const reasons: string[] = [];
  const codes: string[] = [];
  const warnings: string[] = [];
  for (const v of verdicts) {
    if (v.kind === "rewrite") {
      patch = { ...patch, ...v.patch };
      reasons.push(v.reason);
    } else if (v.kind === "redact") {
      output = v.output;
      hasOutput = true;
      reasons.push(v.reason);
    } else if (v.kind === "warn") {
      warnings.push(v.message);
      codes.push(v.code);
    }
  }
  if (asks.length > 0) {
    for (const a of asks) {
      if (a.kind !== "ask") continue;
      codes.push(a.code);
      reasons.unshift(a.reason);
    }
  }
  return {
    kind: "proceed",
    // A rewrite never answers "allow": the agent's own permission mode and rules decide about the
    // rewritten call exactly as they would without hookpack (an adapter whose agent applies a
    // rewrite only together with "allow", Codex, says so itself).
    permission: asks.length > 0 ? "ask" : "default",
    codes,
    reason: reasons.length > 0 ? reasons.join("\n") : undefined,
    patch,
    output,
    hasOutput,
    warnings,
    ...withEvidence,
  };
}

/** The code of HookpackError a lazy rule throws when its bundle cannot be loaded (hooks/failure-policy.ts). */
export const RULE_NOT_LOADED = "RULE_NOT_LOADED";

/**
 * A rule whose module is loaded on its first event only (its own bundle; see scripts/build.mjs).
 * A bundle that cannot be loaded (missing, damaged, or not the rule it should be) throws a
 * HookpackError RULE_NOT_LOADED naming the rule, never the loader's message (a syntax error quotes
 * source): the rule did not run, so the call is unverifiable and a blocking event fails closed
 * (hooks/failure-policy.ts judgeFailure).
 */
export function lazyRule(
  spec: Pick<Rule, "id" | "summary" | "on"> & { load: () => Promise<Rule> },
): Rule {
  let loaded: Promise<Rule> | undefined;
  const load = async (): Promise<Rule> => {
    let rule: Rule | undefined;
    let why = "";
    try {
      rule = await spec.load();
    } catch (error) {
      why = error instanceof Error ? ` (${error.name})` : "";
    }
    if (!rule || rule.id !== spec.id || typeof rule.check !== "function")
      throw new HookpackError(
        RULE_NOT_LOADED,
        `hookpack: the code of the rule ${spec.id} could not be loaded${why}`,
        "reinstall hookpack (`npm ci`, then `hookpack install`) and run `hookpack doctor`",
      );
    return rule;
  };
  return {
    id: spec.id,
    summary: spec.summary,
    on: spec.on,
    async check(event, context) {
      const rule = await (loaded ??= load());
      return rule.check(event, context);
    },
  };
}
