// The catalog of agent-state and secret-bearing paths: files that must never be committed or
// published. One list serves the ignore-file blocks, the pre-push scan (added paths), check-pack
// and the state scanner. Pure data plus a matcher; no I/O.
//
// Patterns use gitignore syntax and are written so that git, npm (ignore-walk) and our own matcher
// read them the same way: every pattern matches at any depth (slash-less, or led by `**/`), a
// trailing `/` means "this directory and everything under it", and matching is case-insensitive
// (as npm's is, and as macOS/Windows file systems are).

import { RELOCATABLE_DIRS, relocatedDir } from "./agent-dirs.js";

export type StateKind =
  /** Written by an agent for one user: allow-lists with inline tokens, transcripts, histories. */
  | "agent-state"
  /** Agent configuration that is often shared on purpose, but has no business in a tarball. */
  | "agent-config"
  /** Credentials by name: dotenv files, key files, .netrc, .npmrc with tokens. */
  | "secret-file";

export interface StatePath {
  id: string;
  /** gitignore-syntax pattern, depth-agnostic. */
  pattern: string;
  /** Base names that the pattern matches but are safe templates (`.env.example`). */
  except?: readonly string[];
  kind: StateKind;
  /** Who writes it. */
  owner: string;
  /** One line: why it must stay out. */
  why: string;
  /** Belongs in the `.gitignore` block; adding it in a pushed commit is a finding. */
  git: boolean;
  /** Belongs in the npm exclusions; finding it in a tarball is a finding. */
  npm: boolean;
  /** In a tarball: "error" fails the check, "warning" is reported only. */
  severity: "error" | "warning";
}

const ENV_TEMPLATES = [
  ".env.example",
  ".env.sample",
  ".env.template",
  ".env.dist",
  ".env.defaults",
  ".env.schema",
] as const;

/** A file that holds credentials by its name: never in git, never in the npm package. */
const secretFile = (e: {
  id: string;
  pattern: string;
  except?: readonly string[];
  owner: string;
  why: string;
}): StatePath => ({
  id: e.id,
  pattern: e.pattern,
  ...(e.except ? { except: e.except } : {}),
  kind: "secret-file",
  owner: e.owner,
  why: e.why,
  git: true,
  npm: true,
  severity: "error",
});

export const STATE_PATHS: readonly StatePath[] = [
  // Claude Code
  {
    id: "claude-settings-local",
    pattern: "**/.claude/settings.local.json",
    kind: "agent-state",
    owner: "Claude Code",
    why: 'the "always allow" list, with literal command strings that can hold inline tokens',
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "claude-local-json",
    pattern: "**/.claude/*.local.json",
    kind: "agent-state",
    owner: "Claude Code",
    why: "personal settings",
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "claude-local-md",
    pattern: "CLAUDE.local.md",
    kind: "agent-state",
    owner: "Claude Code",
    why: "personal project memory",
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "claude-transcripts",
    pattern: "**/.claude/**/*.jsonl",
    kind: "agent-state",
    owner: "Claude Code",
    why: "session transcripts: tool inputs and outputs, file contents",
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "claude-logs",
    pattern: "**/.claude/**/*.log",
    kind: "agent-state",
    owner: "Claude Code",
    why: "logs of tool calls",
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "claude-agent-memory-local",
    pattern: "**/.claude/agent-memory-local/",
    kind: "agent-state",
    owner: "Claude Code",
    why: "personal agent memory",
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "claude-worktrees",
    pattern: "**/.claude/worktrees/",
    kind: "agent-state",
    owner: "Claude Code",
    why: "agent worktrees (copies of the working tree)",
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "claude-dir",
    pattern: "**/.claude/",
    kind: "agent-config",
    owner: "Claude Code",
    why: "agent configuration; shared in git on purpose, but not meant for package consumers",
    git: false,
    npm: true,
    severity: "warning",
  },
  // Aider
  {
    id: "aider-files",
    pattern: ".aider.*",
    kind: "agent-state",
    owner: "Aider",
    why: "chat, input and LLM histories, tag caches, and a config that may hold API keys",
    git: true,
    npm: true,
    severity: "error",
  },
  // Gemini CLI
  {
    id: "gemini-auto-policy",
    pattern: "**/.gemini/policies/auto-saved.toml",
    kind: "agent-state",
    owner: "Gemini CLI",
    why: '"always allow" rules with command prefixes',
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "gemini-debug-log",
    pattern: "gemini-debug.log",
    kind: "agent-state",
    owner: "Gemini CLI",
    why: "debug log of a session",
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "gemini-clipboard",
    pattern: ".gemini-clipboard/",
    kind: "agent-state",
    owner: "Gemini CLI",
    why: "pasted clipboard content",
    git: true,
    npm: true,
    severity: "error",
  },
  {
    id: "gemini-dir",
    pattern: "**/.gemini/",
    kind: "agent-config",
    owner: "Gemini CLI",
    why: "agent configuration (watch mcpServers.env)",
    git: false,
    npm: true,
    severity: "warning",
  },
  // Codex CLI, Cursor, Continue, OpenCode
  {
    id: "codex-dir",
    pattern: "**/.codex/",
    kind: "agent-config",
    owner: "Codex CLI",
    why: "agent configuration (MCP env, hook trust)",
    git: false,
    npm: true,
    severity: "warning",
  },
  {
    id: "cursor-dir",
    pattern: "**/.cursor/",
    kind: "agent-config",
    owner: "Cursor",
    why: "agent configuration (mcp.json may hold literal tokens, cli.json permission tokens)",
    git: false,
    npm: true,
    severity: "warning",
  },
  {
    id: "continue-dir",
    pattern: "**/.continue/",
    kind: "agent-config",
    owner: "Continue",
    why: "agent configuration",
    git: false,
    npm: true,
    severity: "warning",
  },
  // Secret-bearing files by name
  secretFile({
    id: "dotenv",
    pattern: ".env",
    owner: "dotenv",
    why: "environment files hold credentials",
  }),
  secretFile({
    id: "dotenv-variant",
    pattern: ".env.*",
    except: ENV_TEMPLATES,
    owner: "dotenv",
    why: "environment files hold credentials",
  }),
  secretFile({
    id: "pem",
    pattern: "*.pem",
    owner: "TLS/SSH",
    why: "PEM files often hold private keys",
  }),
  secretFile({
    id: "ssh-private-key",
    pattern: "id_rsa*",
    except: ["id_rsa.pub"],
    owner: "SSH",
    why: "SSH private key",
  }),
  secretFile({
    id: "ssh-private-key-ed25519",
    pattern: "id_ed25519*",
    except: ["id_ed25519.pub"],
    owner: "SSH",
    why: "SSH private key",
  }),
  secretFile({
    id: "ssh-private-key-ecdsa",
    pattern: "id_ecdsa*",
    except: ["id_ecdsa.pub"],
    owner: "SSH",
    why: "SSH private key",
  }),
  secretFile({ id: "pkcs12", pattern: "*.p12", owner: "PKCS#12", why: "key store" }),
  secretFile({ id: "pfx", pattern: "*.pfx", owner: "PKCS#12", why: "key store" }),
  secretFile({ id: "netrc", pattern: ".netrc", owner: "curl/git", why: "login credentials" }),
  secretFile({
    id: "netrc-windows",
    pattern: "_netrc",
    owner: "curl/git",
    why: "login credentials",
  }),
  secretFile({
    id: "git-credentials",
    pattern: ".git-credentials",
    owner: "git",
    why: "stored git credentials",
  }),
  secretFile({ id: "pypirc", pattern: ".pypirc", owner: "PyPI", why: "upload credentials" }),
  // hookpack's own per-user state, wherever it ended up (an empty HOME once put it in the project).
  // store.json and the audit log have generic names: they are recognised by content as well.
  secretFile({
    id: "hookpack-home",
    pattern: "**/.hookpack/",
    owner: "hookpack",
    why: "hookpack's per-user state: the secret store, its key, grants and the audit log",
  }),
  secretFile({
    id: "hookpack-store-key",
    pattern: "store.key",
    owner: "hookpack",
    why: "the key that decrypts hookpack's secret store",
  }),
  secretFile({
    id: "hookpack-audit-key",
    pattern: "audit.key",
    owner: "hookpack",
    why: "the key of hookpack's audit log",
  }),
  secretFile({
    id: "hookpack-hook-cache",
    pattern: "hook-cache.json",
    owner: "hookpack",
    why: "hookpack's fingerprints of stored secrets",
  }),
  // The version 5 hook cache (broker/hook-cache.ts HOOK_CACHE_V5_FILE), beside hook-cache.json.
  secretFile({
    id: "hookpack-hook-cache-v5",
    pattern: "hook-cache.v5",
    owner: "hookpack",
    why: "hookpack's fingerprints of stored secrets (version 5)",
  }),
  // .npmrc is often committed (registry settings); whether it holds a token is a content question.
  // npm never packs it, but yarn 4 and pnpm 10 (via `files`) can.
  {
    id: "npmrc",
    pattern: ".npmrc",
    kind: "secret-file",
    owner: "npm",
    why: "registry config that may hold an _authToken",
    git: false,
    npm: true,
    severity: "warning",
  },
];

/** hookpack's own files recognised by content, whatever they are called now. */
const OWN_CONTENT: ReadonlyArray<{ re: RegExp; id: string; why: string }> = [
  {
    re: /"format"\s*:\s*"hookpack-store"/,
    id: "hookpack-store",
    why: "hookpack's encrypted secret store (with its key, every value in it can be read)",
  },
  {
    re: /"format"\s*:\s*"hookpack-hook-cache"/,
    id: "hookpack-hook-cache",
    why: "hookpack's fingerprints of stored secrets",
  },
  {
    re: /^\{"v":1,"seq":\d+,"ts":"[^"]+","kind":"[a-z-]+"/m,
    id: "hookpack-audit-log",
    why: "hookpack's audit log (which secrets were used where)",
  },
];

/** Is this text one of hookpack's own state files (the store, the hook cache, the audit log)? Looks at the first 4 KB. */
export function hookpackFileByContent(text: string): StatePath | undefined {
  const head = text.slice(0, 4096);
  const hit = OWN_CONTENT.find((c) => c.re.test(head));
  return (
    hit && {
      id: hit.id,
      pattern: "",
      kind: "secret-file",
      owner: "hookpack",
      why: hit.why,
      git: true,
      npm: true,
      severity: "error",
    }
  );
}

function globToRegExp(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // "**/" = zero or more directories; a trailing "**" = anything.
        if (glob[i + 2] === "/") {
          out += "(?:[^/]*/)*";
          i += 2;
        } else {
          out += ".*";
          i += 1;
        }
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return out;
}

interface Compiled {
  entry: StatePath;
  re: RegExp;
  except: ReadonlySet<string>;
}

const compile = (entry: StatePath): Compiled => {
  const dir = entry.pattern.endsWith("/");
  const body = dir ? entry.pattern.slice(0, -1) : entry.pattern;
  // A slash-less pattern matches a base name at any depth (gitignore and npm matchBase).
  const anchored = body.includes("/") ? globToRegExp(body) : `(?:[^/]*/)*${globToRegExp(body)}`;
  // A directory pattern matches everything below that directory.
  const re = new RegExp(`^${anchored}${dir ? "/.+" : "(?:/.+)?"}$`, "i");
  return { entry, re, except: new Set((entry.except ?? []).map((e) => e.toLowerCase())) };
};

const COMPILED: readonly Compiled[] = STATE_PATHS.map(compile);

/** Normalises a path for matching: forward slashes, no leading "./" or "/". */
export function normalizeStatePath(path: string): string {
  return path.replace(/\\/g, "/").replace(/^(?:\.\/|\/)+/, "");
}

/** Every catalog entry a relative file path falls under, most specific (first listed) first. */
export function matchStatePaths(
  path: string,
  filter: (e: StatePath) => boolean = () => true,
): StatePath[] {
  const p = normalizeStatePath(path);
  const base = (p.split("/").pop() ?? p).toLowerCase();
  const hits: StatePath[] = [];
  for (const c of COMPILED) {
    if (!filter(c.entry) || !c.re.test(p)) continue;
    if (c.except.has(base)) continue;
    hits.push(c.entry);
  }
  return hits;
}

/** The first (most specific) catalog entry for a path, or undefined. */
export function matchStatePath(
  path: string,
  filter?: (e: StatePath) => boolean,
): StatePath | undefined {
  return matchStatePaths(path, filter)[0];
}

/**
 * Ignore-file lines for one target. For git, safe templates (`.env.example`) stay committable
 * through a negation after their pattern, unless `keepIgnored` says the user ignores them on
 * purpose. A tarball needs no templates, so the npm lines carry no negations.
 */
export function ignoreLines(
  target: "git" | "npm",
  keepIgnored: (name: string) => boolean = () => false,
): string[] {
  const lines: string[] = [];
  for (const e of STATE_PATHS) {
    if (!e[target]) continue;
    lines.push(e.pattern);
    if (target === "git")
      for (const ex of e.except ?? []) if (!keepIgnored(ex)) lines.push(`!**/${ex}`);
  }
  return lines;
}

/** Agent ignore-file lines (`.aiderignore`, `.clineignore`, …): the credential files of the catalog. */
export function credentialIgnoreLines(): string[] {
  const lines: string[] = [];
  for (const e of STATE_PATHS) {
    if (e.kind !== "secret-file") continue;
    lines.push(e.pattern);
    for (const ex of e.except ?? []) lines.push(`!**/${ex}`);
  }
  return lines;
}

// ── Where agents keep state on this machine: what `hookpack scan --state` reads and what it may
// rewrite. One entry per agent path. `root` is the project, the user's home, or the temp dir;
// `glob` is relative to it (`*` one segment, `**` any depth, `{uid}` the numeric user id).
// `rewrite` says what `--fix` (and the SessionEnd hook) may do:
//   allow-list  a settings file: an allow/ask/deny entry holding a managed value gets its
//               `$secret:NAME` reference instead; an entry holding any other secret is removed
//   redact      values are replaced by [REDACTED:…] in place; the format stays valid
//   report      never rewritten (config the user owns, backups, binary stores): reported only
// `session` marks files that belong to one agent session (cleaned at that session's end).

export type StateRoot = "project" | "home" | "tmp";
export type StateRewrite = "allow-list" | "redact" | "report";
/**
 * "auto": by extension (.json, .jsonl/.ndjson, anything else is text). "strings": a binary store
 * (SQLite and its write-ahead log) read as its printable runs, always report-only. "sqlite": a
 * SQLite database read and cleaned through SQLite itself (rules/state-sqlite.ts), its -wal included.
 */
export type StateFormat = "json" | "jsonl" | "text" | "strings" | "sqlite" | "auto";

export interface StateLocation {
  id: string;
  agent: string;
  root: StateRoot;
  glob: string;
  format: StateFormat;
  rewrite: StateRewrite;
  why: string;
  session?: boolean;
  /**
   * For a per-user file that is not the session's transcript but holds its raw tool output (Codex's
   * thread history): the agent whose SessionEnd also cleans it.
   */
  sessionAgent?: string;
  /** The client version this entry was last checked against, end to end, where it was. */
  checked?: string;
}

const L = (
  agent: string,
  root: StateRoot,
  glob: string,
  format: StateFormat,
  rewrite: StateRewrite,
  why: string,
  id: string,
  session = false,
  extra: Pick<StateLocation, "sessionAgent" | "checked"> = {},
): StateLocation => ({
  id,
  agent,
  root,
  glob,
  format,
  rewrite,
  why,
  ...(session ? { session } : {}),
  ...extra,
});

export const STATE_LOCATIONS: readonly StateLocation[] = [
  // Project: files that can be committed or published.
  L(
    "Claude Code",
    "project",
    ".claude/settings.local.json",
    "json",
    "allow-list",
    '"don\'t ask again" allow-list with literal command strings',
    "claude-settings-local",
  ),
  L(
    "Claude Code",
    "project",
    ".claude/settings.json",
    "json",
    "allow-list",
    "shared settings: allow-list and env block",
    "claude-settings-project",
  ),
  L(
    "Claude Code",
    "project",
    "CLAUDE.local.md",
    "text",
    "redact",
    "personal project memory",
    "claude-local-md",
  ),
  L(
    "Aider",
    "project",
    ".aider.chat.history.md",
    "text",
    "redact",
    "chat history incl. /run output",
    "aider-chat-history",
  ),
  L(
    "Aider",
    "project",
    ".aider.input.history",
    "text",
    "redact",
    "every line typed",
    "aider-input-history",
  ),
  L(
    "Aider",
    "project",
    ".aider.llm.history",
    "text",
    "redact",
    "raw LLM traffic",
    "aider-llm-history",
  ),
  L(
    "Aider",
    "project",
    ".aider.conf.yml",
    "text",
    "report",
    "config that may hold API keys",
    "aider-conf",
  ),
  L(
    "Gemini CLI",
    "project",
    ".gemini/policies/auto-saved.toml",
    "text",
    "redact",
    '"always allow" rules with command prefixes',
    "gemini-auto-policy-project",
  ),
  L(
    "Gemini CLI",
    "project",
    ".gemini/policies/*.toml",
    "text",
    "redact",
    'policy rules, "always allow" command prefixes among them',
    "gemini-policies-project",
    false,
    { checked: "0.61.0" },
  ),
  L(
    "Gemini CLI",
    "project",
    ".gemini/settings.json",
    "json",
    "report",
    "settings: env and MCP server env",
    "gemini-settings-project",
  ),
  // Gemini CLI 0.61 loads the first of .gemini/.env (trusted folder), .env up from the project, then
  // ~/.gemini/.env, ~/.env into its own environment: every command it runs inherits those values.
  // `advanced.ignoreLocalEnv: true` (or --ignore-env) stops the project's .env files.
  L(
    "Gemini CLI",
    "project",
    ".gemini/.env",
    "text",
    "report",
    "loaded into Gemini CLI's own environment (every command it runs inherits it); keep values in hookpack's store",
    "gemini-env-project",
    false,
    { checked: "0.61.0" },
  ),
  L(
    "Codex CLI",
    "project",
    ".codex/**/*",
    "auto",
    "report",
    "project config (MCP env)",
    "codex-project",
  ),
  L(
    "Cursor",
    "project",
    ".cursor/mcp.json",
    "json",
    "report",
    "MCP servers, often with literal tokens",
    "cursor-mcp",
  ),
  L(
    "Cursor",
    "project",
    ".cursor/cli.json",
    "json",
    "report",
    "CLI permission tokens",
    "cursor-cli-project",
  ),
  // Instruction and memory files each agent loads into the model's context (with every prompt): a
  // value there reaches the provider before any tool runs. Cleaned in place; the prompt hook holds
  // prompts back while one still holds a secret.
  L(
    "Claude Code",
    "project",
    "CLAUDE.md",
    "text",
    "redact",
    "instructions loaded into the model's context",
    "claude-md",
  ),
  L(
    "Claude Code",
    "project",
    ".claude/CLAUDE.md",
    "text",
    "redact",
    "instructions loaded into the model's context",
    "claude-md-dir",
  ),
  L(
    "Codex CLI",
    "project",
    "AGENTS.md",
    "text",
    "redact",
    "instructions loaded into the model's context",
    "agents-md",
  ),
  L(
    "Codex CLI",
    "project",
    "AGENTS.override.md",
    "text",
    "redact",
    "instructions loaded into the model's context",
    "agents-override-md",
  ),
  L(
    "Gemini CLI",
    "project",
    "GEMINI.md",
    "text",
    "redact",
    "instructions loaded into the model's context",
    "gemini-md",
  ),
  L(
    "Qwen Code",
    "project",
    "QWEN.md",
    "text",
    "redact",
    "instructions loaded into the model's context",
    "qwen-md",
  ),
  L(
    "Copilot CLI",
    "project",
    ".github/copilot-instructions.md",
    "text",
    "redact",
    "instructions loaded into the model's context",
    "copilot-instructions",
  ),
  L(
    "Cursor",
    "project",
    ".cursorrules",
    "text",
    "redact",
    "rules loaded into the model's context",
    "cursorrules",
  ),
  L(
    "Cursor",
    "project",
    ".cursor/rules/**/*",
    "text",
    "redact",
    "rules loaded into the model's context",
    "cursor-rules",
  ),
  L(
    "Cline",
    "project",
    ".clinerules/*.md",
    "text",
    "redact",
    "rules loaded into the model's context",
    "clinerules",
  ),
  L(
    "Windsurf",
    "project",
    ".windsurfrules",
    "text",
    "redact",
    "rules loaded into the model's context",
    "windsurfrules",
  ),
  L(
    "Claude Code",
    "home",
    ".claude/CLAUDE.md",
    "text",
    "redact",
    "user instructions loaded into every session's context",
    "claude-md-user",
  ),
  L(
    "Claude Code",
    "home",
    ".claude/projects/*/memory/*.md",
    "text",
    "redact",
    "auto memory loaded into the model's context",
    "claude-memory",
  ),
  L(
    "Codex CLI",
    "home",
    ".codex/AGENTS.md",
    "text",
    "redact",
    "user instructions loaded into every session's context",
    "agents-md-user",
  ),
  L(
    "Gemini CLI",
    "home",
    ".gemini/GEMINI.md",
    "text",
    "redact",
    "user instructions loaded into every session's context",
    "gemini-md-user",
  ),
  L(
    "Qwen Code",
    "home",
    ".qwen/QWEN.md",
    "text",
    "redact",
    "user instructions loaded into every session's context",
    "qwen-md-user",
  ),
  L(
    "Windsurf",
    "home",
    ".codeium/windsurf/memories/global_rules.md",
    "text",
    "redact",
    "global rules loaded into every session's context",
    "windsurf-global-rules",
  ),
  // Claude Code, per user.
  L(
    "Claude Code",
    "home",
    ".claude/settings.json",
    "json",
    "allow-list",
    "user settings: allow-list and env block",
    "claude-settings-user",
  ),
  L(
    "Claude Code",
    "home",
    ".claude/settings.local.json",
    "json",
    "allow-list",
    "user-local settings",
    "claude-settings-user-local",
  ),
  L(
    "Claude Code",
    "home",
    ".claude/projects/*/*.jsonl",
    "jsonl",
    "redact",
    "session transcripts: tool inputs and outputs",
    "claude-transcripts",
    true,
  ),
  L(
    "Claude Code",
    "home",
    ".claude/projects/*/*/subagents/*.jsonl",
    "jsonl",
    "redact",
    "subagent transcripts",
    "claude-subagent-transcripts",
    true,
  ),
  L(
    "Claude Code",
    "home",
    ".claude/projects/*/*/tool-results/*",
    "auto",
    "redact",
    "full copies of long tool outputs (> 30,000 chars)",
    "claude-tool-results",
    true,
  ),
  L(
    "Claude Code",
    "tmp",
    "claude-{uid}/*/*/tasks/*.output",
    "text",
    "redact",
    "background command output",
    "claude-task-outputs",
    true,
  ),
  L(
    "Claude Code",
    "home",
    ".claude/history.jsonl",
    "jsonl",
    "redact",
    "every prompt typed",
    "claude-history",
  ),
  L(
    "Claude Code",
    "home",
    ".claude/shell-snapshots/*",
    "text",
    "redact",
    "shell functions, aliases, exports",
    "claude-shell-snapshots",
  ),
  L(
    "Claude Code",
    "home",
    ".claude/session-env/**/*",
    "text",
    "redact",
    "env written through CLAUDE_ENV_FILE",
    "claude-session-env",
  ),
  L("Claude Code", "home", ".claude/todos/*.json", "json", "redact", "task lists", "claude-todos"),
  L(
    "Claude Code",
    "home",
    ".claude/debug/*",
    "text",
    "redact",
    "debug logs with tool I/O",
    "claude-debug",
  ),
  L(
    "Claude Code",
    "home",
    ".claude/file-history/**/*",
    "text",
    "report",
    "pre-edit backups of files the agent changed (rewind needs them as they were)",
    "claude-file-history",
  ),
  L(
    "Claude Code",
    "home",
    ".claude.json",
    "json",
    "report",
    "per-project state; MCP server env",
    "claude-json",
  ),
  // Codex CLI
  L(
    "Codex CLI",
    "home",
    ".codex/sessions/**/*.jsonl",
    "jsonl",
    "redact",
    "session rollouts incl. command output",
    "codex-sessions",
  ),
  L(
    "Codex CLI",
    "home",
    ".codex/session_index.jsonl",
    "jsonl",
    "redact",
    "session index",
    "codex-session-index",
  ),
  L("Codex CLI", "home", ".codex/history.jsonl", "jsonl", "redact", "prompts", "codex-history"),
  L(
    "Codex CLI",
    "home",
    ".codex/rules/*.rules",
    "text",
    "redact",
    "approved command prefixes",
    "codex-rules",
  ),
  L("Codex CLI", "home", ".codex/log/*.log", "text", "redact", "TUI log", "codex-log"),
  L(
    "Codex CLI",
    "home",
    ".codex/config.toml",
    "text",
    "report",
    "config: MCP env, hook trust",
    "codex-config",
  ),
  // 0.169: SQLite stores beside the rollouts; thread_history_N keeps every item's JSON, tool output
  // raw, after the rollout was cleaned (seen end to end). Cleaned through SQLite (rules/state-sqlite.ts).
  L(
    "Codex CLI",
    "home",
    ".codex/thread_history_*.sqlite",
    "sqlite",
    "redact",
    "thread history (SQLite): every item of every thread, raw tool output included",
    "codex-thread-history",
    false,
    { sessionAgent: "codex", checked: "0.169.0" },
  ),
  L(
    "Codex CLI",
    "home",
    ".codex/*.sqlite",
    "sqlite",
    "redact",
    "state, logs, memories and queues (SQLite)",
    "codex-sqlite",
    false,
    { checked: "0.169.0" },
  ),
  // Gemini CLI
  L(
    "Gemini CLI",
    "home",
    ".gemini/tmp/*/chats/*.json",
    "json",
    "redact",
    "chat sessions",
    "gemini-chats",
  ),
  L(
    "Gemini CLI",
    "home",
    ".gemini/tmp/*/chats/*.jsonl",
    "jsonl",
    "redact",
    "chat sessions (one JSON record a line)",
    "gemini-chats-jsonl",
    false,
    { checked: "0.61.0" },
  ),
  L(
    "Gemini CLI",
    "home",
    ".gemini/tmp/background-processes/*.log",
    "text",
    "redact",
    "output of background shell commands, raw",
    "gemini-background-logs",
    false,
    { sessionAgent: "gemini", checked: "0.61.0" },
  ),
  L(
    "Gemini CLI",
    "home",
    ".cache/.gemini/tmp/background-processes/*.log",
    "text",
    "redact",
    "output of background shell commands (macOS sandbox runtime dir)",
    "gemini-background-logs-sandbox",
    false,
    { sessionAgent: "gemini" },
  ),
  L("Gemini CLI", "home", ".gemini/tmp/*/logs.json", "json", "redact", "prompt log", "gemini-logs"),
  L(
    "Gemini CLI",
    "home",
    ".gemini/tmp/*/shell_history",
    "text",
    "redact",
    "!-mode shell commands",
    "gemini-shell-history",
  ),
  L(
    "Gemini CLI",
    "home",
    ".gemini/policies/auto-saved.toml",
    "text",
    "redact",
    '"always allow" rules',
    "gemini-auto-policy-user",
  ),
  L(
    "Gemini CLI",
    "home",
    ".gemini/policies/*.toml",
    "text",
    "redact",
    'policy rules, "always allow" command prefixes among them',
    "gemini-policies-user",
    false,
    { checked: "0.61.0" },
  ),
  L(
    "Gemini CLI",
    "home",
    ".gemini/.env",
    "text",
    "report",
    "loaded into Gemini CLI's own environment (every command it runs inherits it); keep values in hookpack's store",
    "gemini-env-user",
    false,
    { checked: "0.61.0" },
  ),
  L(
    "Gemini CLI",
    "home",
    ".gemini/settings.json",
    "json",
    "report",
    "settings: env and MCP server env",
    "gemini-settings-user",
  ),
  // Copilot CLI
  L(
    "Copilot CLI",
    "home",
    ".copilot/session-state/**/*.jsonl",
    "jsonl",
    "redact",
    "session events",
    "copilot-session-state",
  ),
  L(
    "Copilot CLI",
    "home",
    ".copilot/command-history-state/**/*",
    "auto",
    "redact",
    "command history",
    "copilot-command-history",
  ),
  L("Copilot CLI", "home", ".copilot/logs/*", "text", "redact", "logs", "copilot-logs"),
  // Cursor, Cline, OpenCode, Qwen Code, Windsurf, Amp
  L(
    "Cursor",
    "home",
    ".cursor/projects/*/agent-transcripts/*.jsonl",
    "jsonl",
    "redact",
    "CLI agent transcripts",
    "cursor-agent-transcripts",
  ),
  L(
    "Cursor",
    "home",
    ".cursor/cli-config.json",
    "json",
    "report",
    "CLI permission tokens",
    "cursor-cli-config",
  ),
  L(
    "Cline",
    "home",
    ".cline/data/**/*.json",
    "json",
    "redact",
    "task history and conversations",
    "cline-data",
  ),
  L(
    "Cline",
    "home",
    ".cline/data/logs/*.log",
    "text",
    "redact",
    "CLI logs (hook results, errors)",
    "cline-logs",
  ),
  L(
    "OpenCode",
    "home",
    ".local/share/opencode/storage/**/*.json",
    "json",
    "redact",
    "sessions, messages, parts",
    "opencode-storage",
  ),
  L("OpenCode", "home", ".local/share/opencode/log/*", "text", "redact", "logs", "opencode-log"),
  // 1.18+: sessions live in SQLite (`opencode.db`; `opencode-<channel>.db` on other release
  // channels; $OPENCODE_DB moves it). A running command's output is stored as it streams, before
  // any hook has redacted it: the `event` table's `data` (message.part.updated with the tool part
  // still "running") keeps it raw while `part` holds the redacted result (seen end to end with
  // 1.18.33). Cleaned through SQLite (rules/state-sqlite.ts) when the session goes idle (the
  // plugin's session.idle event, adapters/opencode.ts) and by `scan --state --fix`.
  L(
    "OpenCode",
    "home",
    ".local/share/opencode/opencode*.db",
    "sqlite",
    "redact",
    "session database (SQLite): tool output as it streamed, unredacted",
    "opencode-db",
    false,
    { sessionAgent: "opencode", checked: "1.18.33" },
  ),
  L(
    "Qwen Code",
    "home",
    ".qwen/tmp/**/*",
    "auto",
    "redact",
    "chats, logs, shell history",
    "qwen-tmp",
  ),
  // 0.24: one JSONL chat log per session; it keeps a blocked call's input and a failed call's output raw.
  L(
    "Qwen Code",
    "home",
    ".qwen/projects/*/chats/*.jsonl",
    "jsonl",
    "redact",
    "chat logs (blocked inputs, failed calls' raw output)",
    "qwen-chats",
  ),
  L(
    "Windsurf",
    "home",
    ".windsurf/transcripts/*.jsonl",
    "jsonl",
    "redact",
    "transcripts (transcript hook)",
    "windsurf-transcripts",
  ),
  L("Amp", "home", ".cache/amp/logs/*", "text", "redact", "logs", "amp-logs"),
];

/** The format a location's file is read as. */
export function stateFormatOf(location: StateLocation, path: string): Exclude<StateFormat, "auto"> {
  if (location.format !== "auto") return location.format;
  if (/\.(sqlite3?|db)$/i.test(path)) return "sqlite";
  if (/\.(jsonl|ndjson)$/i.test(path)) return "jsonl";
  if (/\.json$/i.test(path)) return "json";
  return "text";
}

/** The location's glob with `{uid}` filled in (for enumerating files). */
export function stateGlob(location: StateLocation, uid: number | undefined): string {
  return location.glob.replace("{uid}", uid === undefined ? "*" : String(uid));
}

/** The catalog entry an absolute path falls under, given the roots; undefined when none. */
export function matchStateLocation(
  absPath: string,
  roots: Partial<Record<StateRoot, string>>,
  uid?: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): StateLocation | undefined {
  const p = absPath.replace(/\\/g, "/");
  for (const loc of STATE_LOCATIONS) {
    const root = roots[loc.root]?.replace(/\\/g, "/").replace(/\/+$/, "");
    if (!root || !p.startsWith(`${root}/`)) continue;
    const rel = p.slice(root.length + 1);
    if (new RegExp(`^${globToRegExp(stateGlob(loc, uid))}$`).test(rel)) return loc;
  }
  // Under a folder the agent's environment moves ($CLAUDE_CONFIG_DIR, $CODEX_HOME): matched as the
  // same file under ~/.claude or ~/.codex (Claude Code keeps `.claude.json` in the moved folder too).
  for (const folder of Object.keys(RELOCATABLE_DIRS)) {
    const dir = relocatedDir(folder, env, roots.project ?? "/");
    if (dir === undefined || !p.startsWith(`${dir}/`)) continue;
    const rest = p.slice(dir.length + 1);
    const rel = folder === ".claude" && /^\.claude\.json/.test(rest) ? rest : `${folder}/${rest}`;
    for (const loc of STATE_LOCATIONS)
      if (loc.root === "home" && new RegExp(`^${globToRegExp(stateGlob(loc, uid))}$`).test(rel))
        return loc;
  }
  return undefined;
}

// The agents' folders an environment variable moves (rules/agent-dirs.ts: kept small, the hook's
// fast allow stage loads it).
export { RELOCATABLE_DIRS, relocatedDir };
