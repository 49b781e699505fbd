// The hook's fast allow stage (issue 21): most tool calls are plain shell commands no rule has
// anything to say about (`ls -la`, `npm test`), and for those the full hook (hook.cjs: every rule,
// the adapters' rendering, the failure policy, the audit log) cost more than Node's own start-up.
// This stage runs first, in the entry's process, and answers "allow" (exit 0, nothing written,
// exactly what the full pipeline answers then) only when it can show that every rule the full
// pipeline would run on the call returns allow without looking further:
//
//   deny-literal-secrets     no field shows a sign of a hidden token (mayHide: HIDING) and the detection
//                            prefilter (secretScanner.mayContainSecret) finds nothing in any field
//   rewrite-secret-refs      no `$secret:` / `$cap:` reference in any field; the command names
//                            neither hookpack, nor its home, nor a state hint, nor a broker flag
//   protect-hookpack-state   shellMayEditHookConfig is false for this agent's hook settings
//   guard-reads              mayRead is false (no quoting, expansion or glob, no reading program,
//                            no word that is an existing file)
//   gate-push-publish        mayGate is false
//
// Each of these is the rule's OWN early-allow test, imported from the rule's module (never a copy
// written here), so a rule that widens its trigger widens this stage's with it. Anything else —
// another agent, another event or tool, a payload the hand-written Claude Code check cannot vouch
// for, a large or unfinished stdin, an unusable HOOKPACK_HOME, HOOKPACK_DEBUG, Cursor running Claude
// Code's hooks, characters outside printable ASCII in the command, any error — is handed on to the
// full pipeline in the same process, with the bytes read so far (hooks/read-stdin.ts StdinPrefix).
// test/hooks/fast-allow-equivalence.test.ts checks over a large corpus, through the built bundles,
// that this stage never allows what the full pipeline answers otherwise, and that FAST_RULES is
// the full list of before-tool rules (a new rule must be added here, or the stage hands on).
import { closeSync } from "node:fs";
import { fastValidate } from "../adapters/claude-code-fast.js";
import { underCursor } from "../adapters/host.js";
import { resolveHookpackHome } from "../core/home.js";
import { mayGate } from "../rules/gate-push-publish.js";
import { shellMayEditHookConfig } from "../rules/protect-state.js";
import { mayRead } from "../rules/read-guard.js";
import { brokerFlags, stateHint } from "../rules/rewrite-secret-refs.js";
import { CAP_ANYWHERE, REF_ANYWHERE } from "../rules/secret-ref.js";
import { mayHide, secretScanner } from "../rules/secretlint.js";
import { FAST_MAX_PAYLOAD, type Prelude } from "./fast-prelude.js";
import type { StdinPrefix } from "./read-stdin.js";

export { FAST_MAX_PAYLOAD };

/** The ids of the before-tool rules of rules/index.ts DEFAULT_RULES whose early allow this stage checks. */
export const FAST_RULES: readonly string[] = [
  "deny-literal-secrets",
  "rewrite-secret-refs",
  "protect-hookpack-state",
  "guard-reads",
  "gate-push-publish",
];

/** Commands longer than this are handed on. */
export const FAST_MAX_COMMAND = 8 * 1024;
/**
 * Printable ASCII, tab and newline only (`/^[\x20-\x7e\t\n]*$/`, written out for issue 21): a
 * command with anything else (NUL, unicode) is handed on.
 */
export function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || (c < 0x20 && c !== 9 && c !== 10)) return false;
  }
  return true;
}

/**
 * Claude Code's hook settings files as the full pipeline passes them to protect-hookpack-state
 * (hooks/pipeline.ts hookConfigFiles(claudeCode)): a constant here, so that the stage does not
 * load the whole adapter for two names (test/hooks/fast-allow-equivalence.test.ts checks that they
 * are equal).
 */
export const CLAUDE_HOOK_CONFIG_FILES: readonly string[] = [
  ".claude/settings.json",
  ".claude/settings.local.json",
];

/**
 * The strings of a Bash tool_input the rules see, or undefined when the input is not flat (a value
 * that is neither a string, a number nor a boolean): the adapter (adapters/claude-code.ts) gives
 * the rules every string of tool_input but an `old_string` as fields; this takes every string, a
 * superset (more to check, never less), and hands anything nested on instead of walking it.
 */
function flatStrings(input: Record<string, unknown>): string[] | undefined {
  const out: string[] = [];
  for (const key of Object.keys(input)) {
    const value = input[key];
    if (typeof value === "string") out.push(value);
    else if (typeof value !== "number" && typeof value !== "boolean") return undefined;
  }
  return out;
}

/**
 * Whether every before-tool rule provably allows this Claude Code payload text, with nothing to
 * answer: true means the full pipeline would exit 0 writing nothing. Throws on what it cannot
 * judge (the caller hands on).
 */
export async function fastAllows(raw: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (raw.length > FAST_MAX_PAYLOAD) return false;
  const payload: unknown = JSON.parse(raw);
  // Only what the hand-written check vouches for (never zod here), and not under Cursor (the
  // adapter may step aside there: hooks/../adapters/host.ts). What the adapter then makes of a
  // PreToolUse of Bash (adapters/claude-code.ts parseClaudePayload: a before-tool event of a shell
  // call, its command tool_input.command, its cwd the payload's) is read here directly: the
  // adapter bundle is a third of the stage's code, and fastValidate has checked the shapes.
  if (!fastValidate(payload) || underCursor(payload, env)) return false;
  const p = payload as {
    hook_event_name: string;
    tool_name: string;
    tool_input: Record<string, unknown>;
    cwd: string;
  };
  if (p.hook_event_name !== "PreToolUse" || p.tool_name !== "Bash") return false;
  const command = p.tool_input.command;
  const fields = flatStrings(p.tool_input);
  if (typeof command !== "string" || fields === undefined || typeof p.cwd !== "string")
    return false;
  if (command.length > FAST_MAX_COMMAND || !isPlain(command)) return false;
  // deny-literal-secrets and the references of rewrite-secret-refs: every field (the command is one).
  // The three patterns look at all fields at once, joined by line breaks: none is anchored, so a
  // match in one field is a match in the whole (the joints can only add matches, and hand more on),
  // and each runs once: V8 compiles a regex to machine code on its second run (0.1 ms CPU for these).
  // The prefilter counts hits per text, so it still sees each field on its own.
  const values = [...new Set([command, ...fields])];
  const all = values.join("\n");
  // (Each regex only where the text holds what every match of it holds: a regex is compiled anew
  // in every process, 0.1 ms CPU for these three; issue 21.)
  if (
    mayHide(all) ||
    (all.includes("secret:") && REF_ANYWHERE.test(all)) ||
    (all.includes("cap:") && CAP_ANYWHERE.test(all))
  )
    return false;
  for (const value of values) if (secretScanner.mayContainSecret(value)) return false;
  // rewrite-secret-refs' brokerMisuse look: the home as the hook resolves it (throws when unusable,
  // which the full hook answers as a misconfiguration).
  const home = resolveHookpackHome(env);
  if (
    (home !== "" && command.includes(home)) ||
    command.includes("hookpack") ||
    stateHint(command) ||
    brokerFlags(command)
  )
    return false;
  if (shellMayEditHookConfig(command, CLAUDE_HOOK_CONFIG_FILES)) return false;
  if (mayGate(command)) return false;
  if (mayRead(command, p.cwd)) return false;
  return true;
}

/**
 * The stage itself, on what hooks/fast-prelude.ts read in the entry: answers an allow when
 * fastAllows says so (undefined: done, exit 0, nothing written); otherwise returns the prefix,
 * for runHook.
 */
export async function fastAllow(
  prelude: Prelude,
  env: NodeJS.ProcessEnv,
): Promise<StdinPrefix | undefined> {
  const { prefix, raw } = prelude;
  if (raw === undefined) return prefix;
  try {
    if (await fastAllows(raw, env)) {
      if (prefix.direct?.close) closeQuietly(prefix.direct.fd);
      // The path this call took, for the entry's code cache (cli/code-cache.ts CODE_CACHE_TAG): a
      // cache of this bundle first written by a call it handed on (a SessionStart) lacks the
      // functions an allow runs, and is completed by the first allow instead of never.
      (globalThis as unknown as Record<symbol, string>)[Symbol.for("hookpack.code-cache.tag")] =
        "claude-code:fast-allow";
      process.exitCode = 0;
      return undefined;
    }
  } catch {
    // Anything this stage cannot judge is the full pipeline's.
  }
  return prefix;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closing is tidiness only.
  }
}
