// The read guard: before a Read, a Grep that shows content, or a shell command that prints a file
// (`cat`, `head`, `grep`, `source`, `< file`, …) runs, decide from the file's content (managed
// values, secretlint findings, secret-named assignments in credential files) and from well-known
// secret paths whether the content may reach the model. This has to happen before the call: a
// large Read is sent to the provider's token counter before any post-tool hook runs.
//
// Outcomes, per file:
//   - hookpack's own files, SSH keys, key stores, git credentials: denied by name, whatever the content;
//   - an agent's own state file that holds a value (a persisted tool result, a background task's
//     output, a transcript): cleaned in place first, then the read goes ahead on the clean file;
//   - any other file holding a secret: denied, with the secrets named (never their values) and
//     how to use them instead ($secret:NAME, `hookpack secret import`, `hookpack secret set`);
//   - everything else: allowed without comment.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { HookEvent, Verdict } from "../hooks/event.js";
import type { SecretPath } from "./read-guard-paths.js";
import { shellReadTargets } from "./read-guard-shell.js";
import { cleanFileInPlace, findSecrets, type TextHit } from "./redact-tool-output.js";
import type { Rule, RuleContext } from "./rule.js";
import { describeFinding, suggestName, type Finding } from "./secretlint.js";

/** Bytes of a file the guard reads; a larger file is checked by its first MAX_SCAN_BYTES. */
export const MAX_SCAN_BYTES = 16 * 1024 * 1024;

interface Blocked {
  path: string;
  /** Names and labels only. */
  found: string[];
  names: string[];
  kind: SecretPath | undefined;
  strict: boolean;
}

function expandHome(word: string): string {
  return word.replace(/^~(?=\/|$)/, homedir()).replace(/^\$\{?HOME\}?(?=\/|$)/, homedir());
}

/** Resolves a word to existing regular files (a `*`/`?` in the last segment is expanded). */
function filesFor(word: string, cwd: string): string[] {
  const w = expandHome(word);
  if (w.includes("$")) return [];
  const abs = isAbsolute(w) ? w : resolve(cwd, w);
  const base = basename(abs);
  if (/[*?]/.test(base) && !/[*?]/.test(dirname(abs))) {
    const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    try {
      return readdirSync(dirname(abs))
        .filter((n) => re.test(n) && (base.startsWith(".") || !n.startsWith(".")))
        .map((n) => join(dirname(abs), n))
        .filter(isFile)
        .slice(0, 64);
    } catch {
      return [];
    }
  }
  return isFile(abs) ? [abs] : [];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readHead(path: string): string | undefined {
  try {
    const buf = readFileSync(path);
    const slice = buf.length > MAX_SCAN_BYTES ? buf.subarray(0, MAX_SCAN_BYTES) : buf;
    // Binary content (images, archives) is shown as such, not as text; paths still apply.
    if (slice.subarray(0, 8192).includes(0)) return undefined;
    return slice.toString("utf8");
  } catch {
    return undefined;
  }
}

/** The files a call would show the model, as absolute paths. */
export function readTargets(event: Extract<HookEvent, { kind: "before-tool" }>): string[] {
  const { tool, session } = event;
  const cwd = session.cwd;
  if (tool.kind === "read-file" && tool.path) return filesFor(tool.path, cwd).slice(0, 1);
  if (tool.kind === "search" && tool.showsContent && tool.path) return filesFor(tool.path, cwd).slice(0, 1);
  if (tool.kind === "shell" && tool.command) {
    if (/^\s*(\S*\/)?hookpack(\.cjs)?\s/.test(tool.command)) return [];
    return [...new Set(shellReadTargets(tool.command).flatMap((w) => filesFor(w, cwd)))];
  }
  return [];
}

async function inspect(path: string, context: RuleContext, cwd: string): Promise<{ blocked?: Blocked; cleaned?: TextHit[] }> {
  // Loaded only when a call reads a file: their tables (the state catalog's patterns) are compiled
  // at load, which a plain command should not pay for (they are bundles of their own).
  const [{ classifySecretPath, secretAssignments }, { matchStateLocation }] = await Promise.all([import("./read-guard-paths.js"), import("./state-catalog.js")]);
  const kind = classifySecretPath(path, homedir(), context.managed?.home);
  if (kind?.strict) return { blocked: { path, found: [kind.what], names: [], kind, strict: true } };
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const location = matchStateLocation(path, { project: cwd, home: homedir(), tmp: tmpdir() }, uid);
  if (location?.rewrite === "redact") {
    // An agent's own record (tool result, task output, transcript): clean it, then let the read go.
    const { hits, written } = await cleanFileInPlace(path, context);
    const names = [...new Set(hits.flatMap((h) => (h.managed ? [h.managed] : [])))];
    if (names.length > 0) context.managed?.exposed(names, `state-file:${path}`);
    if (hits.length > 0 && !written) {
      return { blocked: { path, found: [`${hits.length} secret value(s) hookpack could not remove yet (the file is still being written)`], names, kind, strict: false } };
    }
    return { cleaned: hits };
  }
  const text = readHead(path);
  if (text === undefined) return {};
  const hits = await findSecrets(text, path, context.scanner, context.managed);
  const found: string[] = [];
  const names = new Set<string>();
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
  for (const h of hits) {
    context.noteSecret(text.slice(h.start, h.end), h.managed ?? h.ruleId);
    if (h.managed) {
      found.push(`${h.managed} (a secret hookpack manages, line ${lineOf(h.start)})`);
      names.add(h.managed);
    } else {
      const f = { ruleId: h.ruleId, messageId: h.messageId ?? "" } as Finding;
      found.push(`a ${describeFinding(f)} (line ${lineOf(h.start)})`);
      names.add(suggestName(f));
    }
  }
  if (kind?.assignments) {
    for (const a of secretAssignments(text)) {
      if (hits.some((h) => h.start < a.end && a.start < h.end)) continue;
      context.noteSecret(text.slice(a.start, a.end), a.key);
      found.push(`${a.key} (line ${a.line})`);
      names.add(/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.key) ? a.key.toUpperCase() : "SECRET");
    }
  }
  if (found.length === 0) return {};
  return { blocked: { path, found: [...new Set(found)], names: [...names], kind, strict: false } };
}

export const MESSAGES = {
  READ_BLOCKED: (tool: string, blocked: readonly Blocked[], cwd: string) => {
    const show = (p: string) => (p.startsWith(`${cwd}/`) ? p.slice(cwd.length + 1) : p);
    const parts = blocked.map((b) => (b.strict ? `${show(b.path)} is ${b.found[0]}` : `${show(b.path)} holds ${b.found.join("; ")}`));
    const lines = [`hookpack blocked this ${tool} call before it read anything: ${parts.join(". ")}.`, "Secret values must not reach the model or the model provider."];
    const names = [...new Set(blocked.flatMap((b) => b.names))];
    if (names.length > 0) {
      lines.push(`To use a secret in a command, refer to it by name, e.g. ${names.slice(0, 4).map((n) => `$secret:${n}`).join(", ")}: hookpack injects the value into that one command at run time and masks it in the output.`);
    }
    const dotenv = blocked.filter((b) => !b.strict && b.kind?.dotenv);
    if (dotenv.length > 0) {
      lines.push(`To work with ${dotenv.map((b) => show(b.path)).join(", ")}, ask the user to run \`hookpack secret import ${show(dotenv[0]!.path)}\`: the values move into hookpack's encrypted store and the file keeps $secret: references, which can be read.`);
    }
    if (blocked.some((b) => !b.strict && !b.kind?.dotenv)) {
      lines.push(`For a literal secret in any other file, ask the user to store it with \`hookpack secret set ${names.find((n) => n !== "SECRET") ?? "NAME"}\` and replace it in the file with its $secret: reference.`);
    }
    if (blocked.some((b) => b.kind?.id === "hookpack-state")) lines.push("hookpack's own files are never shown to an agent; `hookpack secret list` names the secrets that exist.");
    lines.push("Do not try to read the file another way.");
    return lines.join(" ");
  },
};

export const guardReads: Rule = {
  id: "guard-reads",
  summary: "Deny reads (Read, content Grep, cat/head/grep/source… in a shell) of files holding secrets, before their content reaches the model or the provider.",
  on: ["before-tool"],
  async check(event, context): Promise<Verdict> {
    if (event.kind !== "before-tool") return { kind: "allow" };
    const targets = readTargets(event);
    if (targets.length === 0) return { kind: "allow" };
    const blocked: Blocked[] = [];
    let cleaned = 0;
    for (const path of targets) {
      const r = await inspect(path, context, event.session.cwd);
      if (r.blocked) blocked.push(r.blocked);
      cleaned += r.cleaned?.length ?? 0;
    }
    if (blocked.length > 0) return { kind: "deny", code: "READ_BLOCKED", reason: MESSAGES.READ_BLOCKED(event.tool.name, blocked, event.session.cwd) };
    if (cleaned > 0) return { kind: "warn", code: "STATE_FILE_CLEANED", message: `hookpack redacted ${cleaned} secret(s) in an agent state file before it was read.` };
    return { kind: "allow" };
  },
};
