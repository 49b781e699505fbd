// Every adapter, by agent id.
import type { AgentId } from "../hooks/event.js";
import type { Adapter } from "./adapter.js";
import { claudeCode } from "./claude-code.js";
import { cline } from "./cline.js";
import { codex } from "./codex.js";
import { copilot } from "./copilot.js";
import { cursor } from "./cursor.js";
import { gemini } from "./gemini.js";
import { skipUnderCursor } from "./host.js";
import { opencode } from "./opencode.js";
import { qwen } from "./qwen.js";
import { windsurf } from "./windsurf.js";

export const ADAPTERS: Record<AgentId, Adapter> = {
  // Cursor runs Claude Code hooks too: one check per call (./host.ts).
  "claude-code": skipUnderCursor(claudeCode),
  codex,
  gemini,
  copilot,
  cline,
  opencode,
  cursor,
  windsurf,
  qwen,
};
