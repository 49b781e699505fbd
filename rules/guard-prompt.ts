// A prompt the user submits goes to the model as it is: a token pasted into it is in the
// provider's logs and the agent's history before any tool hook runs. This rule holds such a
// prompt back (the adapter blocks it, and erases it from the context where the client does that),
// tells the user in words what was found and how to store it, and records the exposure: a value
// that was pasted must be rotated.
//
// What counts: managed values (every encoding the hook cache knows) and detected tokens, in the
// prompt as typed, in the prompt with line breaks, spaces, quotes and `+` taken out (a value split
// across lines or string pieces), and inside base64 runs (a value or token encoded once more).
import type { Verdict } from "../hooks/event.js";
import { findSecrets, type TextHit } from "./redact-tool-output.js";
import type { Rule, RuleContext } from "./rule.js";
import { describeFinding, suggestName, type Finding } from "./secretlint.js";

/** Prompts longer than this are checked whole but not in their derived views (compact, base64). */
const MAX_DERIVED_CHARS = 256 * 1024;
/** At most this many base64 runs are decoded per prompt. */
const MAX_BASE64_RUNS = 64;

/** One thing found in a prompt, value-free. */
export interface PromptFinding {
  /** "the value of the stored secret DEPLOY_KEY", "a GitHub token". */
  what: string;
  /** The name to store it under (managed: its own name). */
  name: string;
  managed: boolean;
  /** How it appeared, when not plainly: "split across lines", "base64-encoded". */
  how?: string;
  line?: number;
}

const lineOf = (text: string, at: number): number => {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < at; i = text.indexOf("\n", i + 1)) line++;
  return line;
};

/** Findings in one view of the prompt; every value found is handed to the masker. */
async function findIn(
  view: string,
  how: string | undefined,
  context: RuleContext,
  withLines: boolean,
): Promise<PromptFinding[]> {
  const hits: TextHit[] = await findSecrets(view, "prompt.txt", context.scanner, context.managed);
  return hits.map((h) => {
    context.noteSecret(view.slice(h.start, h.end), h.managed ?? h.ruleId);
    if (h.managed) {
      const fromEnv = context.inherited?.secrets.some((s) => s.name === h.managed) === true;
      const what = fromEnv
        ? `the value of the environment variable ${h.managed}`
        : `the value of the stored secret ${h.managed}`;
      return {
        what,
        name: h.managed,
        managed: !fromEnv,
        how,
        ...(withLines ? { line: lineOf(view, h.start) } : {}),
      };
    }
    const f = { ruleId: h.ruleId, messageId: h.messageId ?? h.ruleId } as Finding;
    return {
      what: `a ${describeFinding(f)}`,
      name: suggestName(f),
      managed: false,
      how,
      ...(withLines ? { line: lineOf(view, h.start) } : {}),
    };
  });
}

/** The text a base64 run decodes to, when it is mostly printable text (else undefined). */
function decodeBase64(run: string): string | undefined {
  const b64 = run.replace(/-/g, "+").replace(/_/g, "/");
  let text: string;
  try {
    text = Buffer.from(b64, "base64").toString("utf8");
  } catch {
    return undefined;
  }
  if (text.length < 8) return undefined;
  let printable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  }
  return printable / text.length >= 0.9 ? text : undefined;
}

/** Everything secret in a prompt, deduplicated by what and name. */
export async function findPromptSecrets(
  prompt: string,
  context: RuleContext,
): Promise<PromptFinding[]> {
  const found: PromptFinding[] = await findIn(prompt, undefined, context, true);
  if (prompt.length <= MAX_DERIVED_CHARS) {
    // A value split across lines, indented, quoted in pieces or joined with `+`.
    const views = new Set([prompt.replace(/\s+/g, ""), prompt.replace(/[\s"'`+\\]+/g, "")]);
    views.delete(prompt);
    for (const view of views)
      found.push(...(await findIn(view, "split across lines or pieces", context, false)));
    // A value or token encoded once more than the managed forms cover.
    let runs = 0;
    for (const m of prompt.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
      if (++runs > MAX_BASE64_RUNS) break;
      const decoded = decodeBase64(m[0]);
      if (decoded !== undefined)
        found.push(...(await findIn(decoded, "base64-encoded", context, false)));
    }
  }
  // One line per distinct secret: the plain sighting first (it carries a line number).
  const seen = new Map<string, PromptFinding>();
  for (const f of found) {
    const key = `${f.managed ? "m" : "d"}:${f.name}:${f.what}`;
    if (!seen.has(key)) seen.set(key, f);
  }
  return [...seen.values()];
}

export const PROMPT_MESSAGES = {
  SECRET_IN_PROMPT: (found: readonly PromptFinding[]) => {
    const items = found.map(
      (f) =>
        `${f.what}${f.line !== undefined ? ` (line ${f.line})` : ""}${f.how ? ` (${f.how})` : ""}`,
    );
    const managed = [...new Set(found.filter((f) => f.managed).map((f) => f.name))];
    const detected = [...new Set(found.filter((f) => !f.managed).map((f) => f.name))];
    const lines = [
      `hookpack held back this prompt: it contains ${items.join("; ")}. The model has not seen it.`,
    ];
    if (detected.length > 0) {
      lines.push(
        `Store the value with \`hookpack secret set ${detected[0]}\` (it reads the value from stdin, never from the command line), then write \`$secret:${detected[0]}\` in your prompt instead of the value: commands the agent runs get the value at run time, the model never does.`,
      );
    }
    if (managed.length > 0)
      lines.push(
        `${managed.join(", ")} ${managed.length === 1 ? "is" : "are"} already stored: write ${managed.map((n) => `\`$secret:${n}\``).join(", ")} instead of the value.`,
      );
    lines.push(
      "A value pasted into a prompt may already sit in your terminal and in the agent's prompt history: rotate it, and run `hookpack scan --state --fix` to clean the agent's history files. Then send the prompt again without the value.",
    );
    return lines.join("\n");
  },
};

export const guardPrompt: Rule = {
  id: "guard-prompt",
  summary:
    "Hold back a prompt that holds a managed value or a detected token before the model sees it, tell the user how to store it, and record the exposure.",
  on: ["prompt-submit"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "prompt-submit") return { kind: "allow" };
    const found = await findPromptSecrets(event.prompt, context);
    if (found.length === 0) return { kind: "allow" };
    const managed = [...new Set(found.filter((f) => f.managed).map((f) => f.name))];
    if (managed.length > 0) context.managed?.exposed(managed, `${event.agent} prompt`);
    return {
      kind: "deny",
      code: "SECRET_IN_PROMPT",
      reason: PROMPT_MESSAGES.SECRET_IN_PROMPT(found),
    };
  },
};
