// The neutral vocabulary every layer speaks. Adapters translate an agent's wire format into
// these types and back; rules only ever see these. This module imports nothing.

export const AGENT_IDS = [
  "claude-code",
  "codex",
  "gemini",
  "copilot",
  "cline",
  "opencode",
  "cursor",
  "windsurf",
  "qwen",
] as const;
export type AgentId = (typeof AGENT_IDS)[number];

export function isAgentId(value: string): value is AgentId {
  return (AGENT_IDS as readonly string[]).includes(value);
}

/** Neutral tool kinds; rules match on these, never on an agent's tool name. */
export const TOOL_KINDS = [
  "shell",
  "read-file",
  "write-file",
  "search",
  "fetch",
  "mcp",
  "other",
] as const;
export type ToolKind = (typeof TOOL_KINDS)[number];

/**
 * One tool call, as far as rules care. `fields` holds the input's string leaves that carry
 * content the agent chose (command text, file content, MCP arguments), keyed by a dotted path
 * into the original input; adapters decide which leaves count.
 */
export interface ToolCall {
  kind: ToolKind;
  /** The agent's own tool name, for messages only ("Bash", "mcp__github__create_issue"). */
  name: string;
  /** Tool-call id when the agent gives one. */
  id: string | undefined;
  /** Shell command text (kind "shell"). */
  command?: string;
  /** File or directory the call targets (read-file, write-file, search). */
  path?: string;
  /** URL the call targets (fetch). */
  url?: string;
  /** Whether a shell command runs in the background. */
  background?: boolean;
  /** A search whose results carry file content, not only file names (kind "search"). */
  showsContent?: boolean;
  /** Content-bearing string leaves of the input, keyed by dotted path. */
  fields: ReadonlyArray<{ path: string; value: string }>;
}

export interface Session {
  id: string;
  cwd: string;
  transcriptPath: string | undefined;
}

export type HookEvent =
  | { kind: "before-tool"; agent: AgentId; session: Session; tool: ToolCall }
  | {
      kind: "after-tool";
      agent: AgentId;
      session: Session;
      tool: ToolCall;
      output: unknown;
      /** Files where the agent keeps this call's FULL output for the model to read later (a long output persisted to disk). */
      spill?: readonly string[];
      /**
       * The call failed (a non-zero exit) and the agent reports it on its failure event
       * (PostToolUseFailure): `output` is what the model reads, and the adapter says in
       * `capabilities.replaceFailedOutput` whether a hook can replace it.
       */
      failed?: boolean;
    }
  | {
      kind: "session-start";
      agent: AgentId;
      session: Session;
      /** Files the agent loads into the model's context at session start (instruction and memory files), when the adapter knows them. */
      contextFiles?: readonly string[];
    }
  | {
      /** The user submitted a prompt; the hook runs before the model sees it. */
      kind: "prompt-submit";
      agent: AgentId;
      session: Session;
      /** The prompt text as the agent will send it. */
      prompt: string;
    }
  | {
      kind: "session-end";
      agent: AgentId;
      session: Session;
      reason: string | undefined;
      /** The session's own state on disk: files, and directories whose files all belong to it. */
      state?: { files: readonly string[]; dirs: readonly string[] };
    };

export type EventKind = HookEvent["kind"];

/** A change to a tool call, in neutral terms; adapters map it onto the agent's input fields. */
export interface ToolPatch {
  command?: string;
}

/**
 * What a rule found, as data for the audit log (never parsed back out of a message): names of
 * managed secrets, detector ids (secretlint rules, `path:<kind>`, `assignment`), suggested names
 * for unmanaged secrets, file paths and a count. Never a value.
 */
export interface Evidence {
  secrets?: readonly string[];
  detectors?: readonly string[];
  suggested?: readonly string[];
  paths?: readonly string[];
  count?: number;
}

/** What one rule says about one event. */
export type Verdict =
  | { kind: "allow" }
  | {
      kind: "rewrite";
      patch: ToolPatch;
      reason: string;
      /** "ask": a human must approve the rewritten call. */ approval?: "ask";
    }
  | { kind: "redact"; output: unknown; reason: string; count: number; evidence?: Evidence }
  | { kind: "deny"; code: string; reason: string; evidence?: Evidence }
  | { kind: "ask"; code: string; reason: string }
  | { kind: "warn"; code: string; message: string; evidence?: Evidence };

/** The one decision for an event after all verdicts are folded. */
export type Decision =
  | {
      kind: "deny";
      codes: string[];
      reason: string;
      /** Per code, what the rule found (audit log). */ evidence?: Record<string, Evidence>;
    }
  | {
      kind: "proceed";
      /** "allow" skips the agent's prompt, "ask" forces one, "default" leaves it to the agent. */
      permission: "allow" | "ask" | "default";
      codes: string[];
      reason: string | undefined;
      patch: ToolPatch | undefined;
      /** Replacement tool output, same shape as the original. */
      output: unknown;
      hasOutput: boolean;
      warnings: string[];
      /** Per code ("REDACTED" for a redaction), what the rules found (audit log). */
      evidence?: Record<string, Evidence>;
    };

/** What the hook process does: exactly one write to each stream and one exit code. */
export interface HookResponse {
  exitCode: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}
