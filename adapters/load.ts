// The hook's way to an adapter: only the one agent's module is loaded (each is a bundle of its
// own), so a Claude Code hook never parses the other agents' code. Claude Code's adapter and the
// Cursor check it makes (./host.ts) are the exception: scripts/build.mjs inlines them into
// hook.cjs, the most frequent hook saving two bundle loads per call. adapters/index.ts is the
// static registry the CLI uses; test/adapters/load.test.ts keeps the two in step.
import type { AgentId } from "../hooks/event.js";
import type { Adapter } from "./adapter.js";

const LOADERS: Record<AgentId, () => Promise<Adapter>> = {
  // Cursor runs Claude Code hooks too: one check per call (./host.ts).
  "claude-code": async () => {
    const [{ claudeCode }, { skipUnderCursor }] = await Promise.all([
      import("./claude-code.js"),
      import("./host.js"),
    ]);
    return skipUnderCursor(claudeCode);
  },
  codex: async () => (await import("./codex.js")).codex,
  gemini: async () => (await import("./gemini.js")).gemini,
  copilot: async () => (await import("./copilot.js")).copilot,
  cline: async () => (await import("./cline.js")).cline,
  opencode: async () => (await import("./opencode.js")).opencode,
  cursor: async () => (await import("./cursor.js")).cursor,
  windsurf: async () => (await import("./windsurf.js")).windsurf,
  qwen: async () => (await import("./qwen.js")).qwen,
};

export function loadAdapter(id: AgentId): Promise<Adapter> {
  return LOADERS[id]();
}
