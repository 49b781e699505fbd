// hookpack's own directory ($HOOKPACK_HOME: the secret store and its key, grants, the audit log,
// the hook cache, the runtime the hooks run and its code cache) is never written by an agent's file
// tools. Reads are the read guard's business and shell commands that name the directory are
// refused by rewrite-secret-refs; this rule covers Write/Edit-style tools and Codex's apply_patch,
// whose patch text names its files. A prompt-injected agent could otherwise forge a grant, rewrite
// the hook runtime or truncate the audit log with one file edit.
import { isAbsolute, relative, resolve } from "node:path";
import type { HookEvent, Verdict } from "../hooks/event.js";
import type { Rule } from "./rule.js";

/** File names an apply_patch text touches (`*** Add File: x`, `*** Update File: x`, `*** Move to: x`). */
export function patchPaths(text: string): string[] {
  return [...text.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm)].map((m) => m[1]!.trim());
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** Does `path` (absolute) name one of the agent's hook settings (`files`: relative, "dir/" for a directory)? */
export function isHookConfig(path: string, files: readonly string[]): string | undefined {
  const p = path.replace(/\\/g, "/");
  return files.find((f) => (f.endsWith("/") ? p.includes(`/${f}`) : p.endsWith(`/${f}`)));
}

export const protectHookpackState: Rule = {
  id: "protect-hookpack-state",
  summary: "Deny file-writing tool calls that target hookpack's own directory (store, key, grants, audit log, runtime); ask before the agent edits its own hook settings.",
  on: ["before-tool"],
  check(event: HookEvent, context): Verdict {
    if (event.kind !== "before-tool" || event.tool.kind !== "write-file") return { kind: "allow" };
    const home = context.managed?.home ?? context.secretRefs?.home;
    if (!home) return { kind: "allow" };
    const cwd = event.session.cwd;
    const targets = event.tool.path !== undefined ? [event.tool.path] : event.tool.fields.flatMap((f) => patchPaths(f.value));
    const hit = targets.find((p) => inside(resolve(home), resolve(cwd, p)));
    if (!hit) {
      // The agent editing where its own hooks are registered could switch hookpack off: a human decides.
      const config = targets.find((p) => isHookConfig(resolve(cwd, p), context.hookConfigFiles ?? []));
      if (config === undefined) return { kind: "allow" };
      return {
        kind: "ask",
        code: "HOOK_CONFIG_EDIT",
        reason: `hookpack: this ${event.tool.name} call changes ${config}, where this agent's hooks (hookpack's among them) are registered; the user must approve it.`,
      };
    }
    return {
      kind: "deny",
      code: "HOOKPACK_STATE_WRITE",
      reason: `hookpack blocked this ${event.tool.name} call: ${hit} is inside hookpack's own directory (${home}: the secret store, grants, audit log and the hook runtime), which no agent tool may change. Ask the user to run hookpack commands (\`hookpack secret set\`, \`hookpack install\`) instead.`,
    };
  },
};
