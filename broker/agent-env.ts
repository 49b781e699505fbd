// The environment `hookpack run -- <agent>` starts an agent with: every inherited variable that
// holds a secret (rules/inherited-env.ts) is removed, except the agent's own model credential,
// which the agent needs to talk to its provider (and which Claude Code's subprocess scrubbing, where
// available, keeps from the commands it runs). Pure: env in, env out.
import { delimiter, join } from "node:path";
import { existsSync } from "node:fs";
import { inheritedEnv } from "../rules/inherited-env.js";

/** Each agent's own provider credentials, by the executable's base name. */
const OWN_CREDENTIALS: Record<string, readonly string[]> = {
  claude: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"],
  codex: ["OPENAI_API_KEY", "CODEX_API_KEY"],
  gemini: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
  qwen: ["OPENAI_API_KEY", "DASHSCOPE_API_KEY", "QWEN_API_KEY"],
  copilot: ["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"],
  opencode: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"],
  cline: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"],
  aider: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"],
};

export interface AgentEnvPlan {
  env: Record<string, string>;
  removed: string[];
  kept: string[];
  notes: string[];
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, cmd)));
}

export function planAgentEnv(
  env: NodeJS.ProcessEnv,
  agent: string,
  keep: readonly string[],
  detect: (text: string) => boolean,
): AgentEnvPlan {
  const base = agent
    .split(/[\\/]/)
    .pop()!
    .replace(/(\.exe|\.cmd|\.js|\.cjs)$/i, "");
  const own = new Set([...(OWN_CREDENTIALS[base] ?? []), ...keep]);
  const secrets = inheritedEnv(env, detect).secrets.map((s) => s.name);
  const removed = secrets.filter((n) => !own.has(n));
  const kept = secrets.filter((n) => own.has(n));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (typeof v === "string" && !removed.includes(k)) out[k] = v;
  const notes: string[] = [];
  if (base === "claude" && out.CLAUDE_CODE_SUBPROCESS_ENV_SCRUB === undefined) {
    // Claude Code 2.1.330 strips its own and cloud credentials from the commands it runs when this
    // is set; on Linux it needs bubblewrap and refuses to start without it.
    if (process.platform !== "linux" || onPath("bwrap", env)) {
      out.CLAUDE_CODE_SUBPROCESS_ENV_SCRUB = "1";
      notes.push(
        "Claude Code's own subprocess scrubbing is on (CLAUDE_CODE_SUBPROCESS_ENV_SCRUB=1): the commands it runs do not get its credentials.",
      );
    } else
      notes.push(
        "Claude Code's subprocess scrubbing (CLAUDE_CODE_SUBPROCESS_ENV_SCRUB) needs bubblewrap on Linux, which is not installed: the commands Claude runs can read its own credential.",
      );
  }
  return { env: out, removed, kept, notes };
}
