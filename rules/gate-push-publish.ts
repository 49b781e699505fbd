// The agent's own `git push` and `npm publish` / `npm pack` meet hookpack's gate in the pre-tool
// hook, before they run: an agent client that runs git with an empty core.hooksPath (Gemini CLI
// 0.61 does), an agent passing `--no-verify`, `-c core.hooksPath=` or `--ignore-scripts`, or a push
// through `bash -c`, an alias or a variable, another repository named by `-C`, `--git-dir` or
// GIT_DIR, and `gh pr create` (which pushes the branch first), are all scanned exactly as the git pre-push hook and
// `hookpack check-pack` would scan them. A plain command pays one cheap look (mayGate): the shell front end
// and the scanners load only when a command may push or publish. The rule decides; the scanning
// (git, npm pack, tar) is done at the hook's edge and handed in as `context.scanGated`.
import type { Verdict } from "../hooks/event.js";
import { isWordChar } from "./js-space.js";
import type { Rule } from "./rule.js";

/**
 * Anything that could spell a push or a publish, or hide one (quotes, escapes, expansions): what
 * `/push|publish|\bpack\b|\bgh\b|[\\'"$`]/` matches, written out (issue 21: the regex's first
 * run cost every allowed call ≈ 0.05 ms; test/rules/early-allow-scanners.test.ts compares the two).
 */
export function mayGate(command: string): boolean {
  return (
    command.includes("push") ||
    command.includes("publish") ||
    command.includes("\\") ||
    command.includes("'") ||
    command.includes('"') ||
    command.includes("$") ||
    command.includes("`") ||
    hasWord(command, "pack") ||
    hasWord(command, "gh")
  );
}

/** `\bword\b`: `word` with no `[A-Za-z0-9_]` on either side. */
function hasWord(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i !== -1; i = text.indexOf(word, i + 1))
    if (!isWordChar(text.charCodeAt(i - 1)) && !isWordChar(text.charCodeAt(i + word.length)))
      return true;
  return false;
}

export const gatePushPublish: Rule = {
  id: "gate-push-publish",
  summary:
    "Scan what the agent's own git push / npm publish / npm pack would send (as the pre-push hook and check-pack do), whatever flags or client settings skip git hooks; deny on a finding.",
  on: ["before-tool"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "before-tool" || event.tool.kind !== "shell" || !event.tool.command)
      return { kind: "allow" };
    const command = event.tool.command;
    if (
      !mayGate(command) ||
      (!/push|publish|pack|send-pack|\bgh\b/.test(command.replace(/[\\'"]/g, "")) &&
        !/\$|`/.test(command))
    )
      return { kind: "allow" };
    const { gatedCalls } = await import("./read-guard-shell.js");
    const { homedir } = await import("node:os");
    const calls = gatedCalls(command, { home: homedir(), cwd: event.session.cwd });
    if (calls.length === 0) return { kind: "allow" };
    const unknown = calls.filter((c) => c.kind === "unknown");
    if (unknown.length > 0) {
      return {
        kind: "deny",
        code: "GATE_UNRESOLVED",
        reason: `hookpack blocked this command: it may push or publish, but ${unknown.map((u) => (u.kind === "unknown" ? u.why : "")).join("; ")}, so hookpack cannot scan what it would send. Write the git push / npm publish command out plainly.`,
      };
    }
    const what = [
      ...new Set(
        calls.map((c) =>
          c.kind === "git-push"
            ? "git push"
            : c.kind === "npm-publish"
              ? `${c.tool} ${c.verb}`
              : "",
        ),
      ),
    ].join(" / ");
    if (!context.scanGated)
      return {
        kind: "deny",
        code: "GATE_SCAN_FAILED",
        reason: `hookpack blocked this ${what}: it could not scan what would be sent (no scanner here). Ask the user to run it.`,
      };
    const result = await context.scanGated(
      calls,
      context.managed?.home ?? context.secretRefs?.home,
    );
    if (result.findings.length > 0) {
      const shown = result.findings.slice(0, 12);
      return {
        kind: "deny",
        code: "PUSH_PUBLISH_BLOCKED",
        reason: [
          `hookpack blocked this ${what}: what it would send holds ${result.findings.length} secret(s) or credential file(s): ${shown.join("; ")}${result.findings.length > shown.length ? "; …" : ""}.`,
          "This check runs before the command, so --no-verify, core.hooksPath and --ignore-scripts do not skip it.",
          "Take the secret out of what is sent (rewrite the commits that added it, or keep the file out of the package), and tell the user so they can rotate it; a false positive: the user adds its fingerprint to .hookpack-allow.",
        ].join(" "),
        evidence: result.evidence,
      };
    }
    if (result.errors.length > 0) {
      return {
        kind: "deny",
        code: "GATE_SCAN_FAILED",
        reason: `hookpack blocked this ${what}: it could not scan what would be sent (${result.errors.join("; ")}). Fix the cause, or ask the user to run it.`,
      };
    }
    return { kind: "allow" };
  },
};
