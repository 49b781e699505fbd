// A tool input that carries a literal secret is denied before it runs or lands anywhere: in the
// shell, in a file, in an MCP call, in the agent's transcript or its "don't ask again" allow-list.
import type { Verdict } from "../hooks/event.js";
import type { Rule } from "./rule.js";
import { deniable, describeFinding, suggestName, type Finding } from "./secretlint.js";

export const MESSAGES = {
  SECRET_LITERAL_IN_INPUT: (
    tool: string,
    found: string[],
    names: string[],
    rotate: string[] = [],
  ) =>
    [
      `hookpack blocked this ${tool} call: its input contains ${found.join("; ")}.`,
      `Never put secret values in tool input. Refer to the secret by name instead, e.g. ${names.map((n) => `$secret:${n}`).join(", ")}:`,
      `hookpack injects the value into that one command at run time and masks it in the output.`,
      `If the secret is not stored yet, ask the user to run \`hookpack secret set ${names[0]}\` (the value is read from stdin, never from the command line).`,
      ...(rotate.length > 0
        ? [
            `If it is a real credential it is now in this conversation: rotate it (${rotate.join("; ")}).`,
          ]
        : []),
    ].join(" "),
};

export const denyLiteralSecrets: Rule = {
  id: "deny-literal-secrets",
  summary:
    "Deny tool calls whose input contains a literal secret (hookpack's rule records, secretlint's preset); weak guesses only redact.",
  on: ["before-tool"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "before-tool") return { kind: "allow" };
    const found: string[] = [];
    const names = new Set<string>();
    const rotate = new Set<string>();
    for (const field of event.tool.fields) {
      // A token spliced, escaped or encoded to slip past the literal scan is still a token.
      for (const h of (await context.scanner.scanHidden?.(field.value)) ?? []) {
        context.noteSecret(h.value);
        if (field.value.includes(h.value)) continue; // in plain sight: reported by the scan below
        found.push(
          `a ${describeFinding(h.finding)} (hidden by quoting, escaping or encoding) in \`${field.path}\``,
        );
        names.add(suggestName(h.finding));
        if (h.finding.rotateUrl) rotate.add(h.finding.rotateUrl);
      }
      if (!context.scanner.mayContainSecret(field.value)) continue;
      const filePath =
        event.tool.kind === "write-file" && event.tool.path ? event.tool.path : "tool-input.txt";
      const findings: Finding[] = await context.scanner.scan(field.value, filePath);
      for (const f of findings) {
        context.noteSecret(field.value.slice(f.start, f.end));
        // Weak findings (a generic guess, a failed checksum) are masked wherever hookpack writes
        // them, but never the reason a call is denied.
        if (!deniable(f)) continue;
        if (f.rotateUrl) rotate.add(f.rotateUrl);
        found.push(`a ${describeFinding(f)} in \`${field.path}\` (line ${f.line})`);
        names.add(suggestName(f));
      }
    }
    if (found.length === 0) return { kind: "allow" };
    return {
      kind: "deny",
      code: "SECRET_LITERAL_IN_INPUT",
      reason: MESSAGES.SECRET_LITERAL_IN_INPUT(event.tool.name, found, [...names], [...rotate]),
    };
  },
};
