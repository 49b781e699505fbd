// The agent's own shell permission rules, applied to a command as the model wrote it.
//
// An agent matches its deny/ask rules against the command it is about to run. Once hookpack has
// rewritten `curl … $secret:X` into `node … hookpack.cjs exec … -- bash -c '…'`, a rule such as
// Claude Code's `Bash(curl:*)` no longer sees `curl` (reference: e2e-real-clients.md §3, "deny
// rules are matched against the REWRITTEN command"). So before rewriting, hookpack applies those
// rules itself to every simple command of the original, nested ones included: a deny rule denies,
// an ask rule makes the brokered call ask.
//
// Rule syntax (Claude Code, `permissions.deny|ask` entries for Bash): `Bash` / `Bash(*)` (every
// command), `Bash(npm run test)` (exactly that), `Bash(git push:*)` (that prefix, at a word
// boundary), `Bash(git * main)` (`*` matches any text).
import type { PermissionRule, PermissionRules } from "../core/permission-rules.js";
import type { SimpleCommand } from "./shell-scan.js";

export type { PermissionRule, PermissionRules };

export type RuleMatch = { kind: "deny" | "ask"; rule: PermissionRule; command: string } | undefined;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A matcher for one shell rule, or undefined when the entry is not about the shell tool. */
export function shellRuleMatcher(
  rule: string,
  tool = "Bash",
): ((command: string) => boolean) | undefined {
  const trimmed = rule.trim();
  if (trimmed === tool || trimmed === `${tool}()` || trimmed === `${tool}(*)`) return () => true;
  if (!trimmed.startsWith(`${tool}(`) || !trimmed.endsWith(")")) return undefined;
  const body = trimmed.slice(tool.length + 1, -1).trim();
  if (body.endsWith(":*")) {
    const prefix = body.slice(0, -2);
    return (command) =>
      command === prefix || command.startsWith(`${prefix} `) || command.startsWith(`${prefix}\t`);
  }
  if (body.includes("*")) {
    const re = new RegExp(`^${body.split("*").map(escapeRe).join("[\\s\\S]*")}$`);
    return (command) => re.test(command);
  }
  return (command) => command === body;
}

/**
 * The texts a simple command is matched as: its words as written (redirections dropped), and the
 * same without leading `NAME=value` assignments (so `FOO=1 curl …` is still `curl …`).
 */
export function commandTexts(source: string, command: SimpleCommand): string[] {
  const words = command.words.filter((w) => !w.redirect);
  const raw = (ws: typeof words) => ws.map((w) => source.slice(w.start, w.end)).join(" ");
  const all = raw(words);
  const firstProgram = words.findIndex((w) => !w.assignment);
  const program = firstProgram <= 0 ? all : raw(words.slice(firstProgram));
  return [...new Set([all, program].filter((t) => t.length > 0))];
}

/** The first deny rule, else the first ask rule, matching any simple command of the original. */
export function matchPermissionRules(
  source: string,
  commands: readonly SimpleCommand[],
  rules: PermissionRules,
  tool = "Bash",
): RuleMatch {
  const texts = commands.flatMap((c) => commandTexts(source, c));
  for (const kind of ["deny", "ask"] as const) {
    for (const rule of rules[kind]) {
      const matches = shellRuleMatcher(rule.rule, tool);
      if (!matches) continue;
      const hit = texts.find((t) => matches(t));
      if (hit !== undefined) return { kind, rule, command: hit };
    }
  }
  return undefined;
}
