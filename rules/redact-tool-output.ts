// Pattern-detected secrets in a tool's output are replaced before the model sees it. The copy has
// exactly the output's shape (only string leaves change), which is what agents that can replace
// output require.
import { forEachString, mapStrings } from "../hooks/json-walk.js";
import type { Verdict } from "../hooks/event.js";
import type { Rule } from "./rule.js";
import type { Finding } from "./secretlint.js";

export const redactToolOutput: Rule = {
  id: "redact-tool-output",
  summary: "Redact secrets that secretlint finds in tool output, keeping the output's shape.",
  on: ["after-tool"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "after-tool") return { kind: "allow" };
    const hits = new Map<string, Finding[]>();
    const pending: Array<Promise<void>> = [];
    forEachString(event.output, (text, path) => {
      if (!context.scanner.mayContainSecret(text)) return;
      const filePath = event.tool.kind === "read-file" && event.tool.path ? event.tool.path : "tool-output.txt";
      pending.push(
        context.scanner.scan(text, filePath).then((findings) => {
          if (findings.length > 0) hits.set(path, findings);
        }),
      );
    });
    await Promise.all(pending);
    if (hits.size === 0) return { kind: "allow" };
    let count = 0;
    const output = mapStrings(event.output, (text, path) => {
      const findings = hits.get(path);
      if (!findings) return text;
      let out = text;
      let floor = Infinity; // ranges are applied from the end; an overlapping one is already covered
      for (const f of [...findings].sort((a, b) => b.start - a.start)) {
        context.noteSecret(text.slice(f.start, f.end));
        if (f.end > floor) continue;
        floor = f.start;
        out = `${out.slice(0, f.start)}[REDACTED:${f.ruleId}]${out.slice(f.end)}`;
        count++;
      }
      return out;
    });
    return { kind: "redact", output, count, reason: `hookpack redacted ${count} secret(s) from the ${event.tool.name} output.` };
  },
};
