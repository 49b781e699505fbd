// Instruction and memory files (CLAUDE.md, AGENTS.md, GEMINI.md, …) go into the model's context
// with every prompt, before any tool runs. A secret in one of them is reported at session start,
// and a prompt is held back while one of them still holds a secret (the client would send the file
// with it). The inherited environment is reported at session start too (names only).
// `hookpack scan --state --fix` cleans the files (rules/state-catalog.ts).
import type { Verdict } from "../hooks/event.js";
import { findSecrets } from "./redact-tool-output.js";
import type { Rule, RuleContext } from "./rule.js";
import { describeFinding, suggestName, type Finding } from "./secretlint.js";

/** Context files larger than this are not read by the hook (`hookpack scan --state` reads them). */
const MAX_CONTEXT_FILE_BYTES = 1024 * 1024;

export interface ContextFileFinding {
  path: string;
  /** "a GitHub token (line 3)", "the value of DEPLOY_KEY (line 1)". */
  what: string[];
  names: string[];
}

export async function scanContextFiles(
  paths: readonly string[],
  context: RuleContext,
): Promise<ContextFileFinding[]> {
  const out: ContextFileFinding[] = [];
  for (const path of paths) {
    const text = context.files.readWhole(path, MAX_CONTEXT_FILE_BYTES)?.text;
    if (text === undefined) continue;
    const hits = await findSecrets(text, path, context.scanner, context.managed);
    if (hits.length === 0) continue;
    const what: string[] = [];
    const names = new Set<string>();
    for (const h of hits) {
      context.noteSecret(text.slice(h.start, h.end), h.managed ?? h.ruleId);
      let line = 1;
      for (let i = text.indexOf("\n"); i !== -1 && i < h.start; i = text.indexOf("\n", i + 1))
        line++;
      if (h.managed) {
        what.push(`the value of ${h.managed} (line ${line})`);
        names.add(h.managed);
      } else {
        const f = { ruleId: h.ruleId, messageId: h.messageId ?? h.ruleId } as Finding;
        what.push(`a ${describeFinding(f)} (line ${line})`);
        names.add(suggestName(f));
      }
    }
    out.push({ path, what, names: [...names] });
  }
  return out;
}

export const CONTEXT_MESSAGES = {
  held: (found: readonly ContextFileFinding[]) =>
    [
      `hookpack held back this prompt: ${found.map((f) => `${f.path} holds ${f.what.join(", ")}`).join("; ")}. The agent loads ${found.length === 1 ? "that file" : "those files"} into the model's context with every prompt, so the model has not been asked.`,
      `Run \`hookpack scan --state --fix\` to replace the value by [REDACTED:…] there (store it first with \`hookpack secret set ${found[0]!.names[0]}\` if you still need it, and write \`$secret:${found[0]!.names[0]}\` instead). Rotate the value if the file was ever shared or committed. Then send the prompt again.`,
    ].join("\n"),
  sessionFiles: (found: readonly ContextFileFinding[]) =>
    `hookpack: ${found.map((f) => `${f.path} holds ${f.what.join(", ")}`).join("; ")}. The agent loads ${found.length === 1 ? "it" : "them"} into the model's context, so hookpack withholds every prompt until ${found.length === 1 ? "it is" : "they are"} cleaned: run \`hookpack scan --state --fix\`.`,
  sessionEnv: (names: readonly string[]) =>
    `hookpack: the environment this session inherited holds secrets in ${names.join(", ")} (names only; every command the agent runs inherits them). hookpack redacts their values from tool output. To keep them out of the agent altogether: \`hookpack secret import --env ${names.join(" ")}\`, remove the exports from your shell profile, and start the agent with \`hookpack run -- <agent>\`; refer to them as $secret:NAME.`,
};

export const guardContextFiles: Rule = {
  id: "guard-context-files",
  summary:
    "Report secrets in the instruction and memory files the agent loads (CLAUDE.md, AGENTS.md, GEMINI.md, …) and in the inherited environment at session start; hold back prompts while such a file holds a secret.",
  on: ["session-start", "prompt-submit"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "session-start" && event.kind !== "prompt-submit") return { kind: "allow" };
    const found = await scanContextFiles(context.contextFiles?.(event.session.cwd) ?? [], context);
    if (event.kind === "prompt-submit") {
      if (found.length === 0) return { kind: "allow" };
      const managed = [
        ...new Set(
          found.flatMap((f) =>
            f.what
              .filter((w) => w.startsWith("the value of "))
              .map((w) => w.slice(13).replace(/ \(line \d+\)$/, "")),
          ),
        ),
      ];
      if (managed.length > 0) context.managed?.exposed(managed, `${event.agent} context file`);
      return { kind: "deny", code: "SECRET_IN_CONTEXT_FILE", reason: CONTEXT_MESSAGES.held(found) };
    }
    const lines: string[] = [];
    if (found.length > 0) lines.push(CONTEXT_MESSAGES.sessionFiles(found));
    const env = context.inherited?.secrets.map((s) => s.name) ?? [];
    if (env.length > 0) lines.push(CONTEXT_MESSAGES.sessionEnv(env));
    if (lines.length === 0) return { kind: "allow" };
    return {
      kind: "warn",
      code: found.length > 0 ? "SECRET_IN_CONTEXT_FILE" : "SECRET_IN_INHERITED_ENV",
      message: lines.join("\n"),
    };
  },
};
