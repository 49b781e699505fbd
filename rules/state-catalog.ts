// The catalog of agent-state and secret-bearing paths: files that must never be committed or
// published. One list serves the ignore-file blocks, the pre-push scan (added paths), check-pack
// and the state scanner. Pure data plus a matcher; no I/O.
//
// Patterns use gitignore syntax and are written so that git, npm (ignore-walk) and our own matcher
// read them the same way: every pattern matches at any depth (slash-less, or led by `**/`), a
// trailing `/` means "this directory and everything under it", and matching is case-insensitive
// (as npm's is, and as macOS/Windows file systems are).

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

const ENV_TEMPLATES = [".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults", ".env.schema"] as const;

export const STATE_PATHS: readonly StatePath[] = [
  // Claude Code
  { id: "claude-settings-local", pattern: "**/.claude/settings.local.json", kind: "agent-state", owner: "Claude Code", why: "the \"always allow\" list, with literal command strings that can hold inline tokens", git: true, npm: true, severity: "error" },
  { id: "claude-local-json", pattern: "**/.claude/*.local.json", kind: "agent-state", owner: "Claude Code", why: "personal settings", git: true, npm: true, severity: "error" },
  { id: "claude-local-md", pattern: "CLAUDE.local.md", kind: "agent-state", owner: "Claude Code", why: "personal project memory", git: true, npm: true, severity: "error" },
  { id: "claude-transcripts", pattern: "**/.claude/**/*.jsonl", kind: "agent-state", owner: "Claude Code", why: "session transcripts: tool inputs and outputs, file contents", git: true, npm: true, severity: "error" },
  { id: "claude-logs", pattern: "**/.claude/**/*.log", kind: "agent-state", owner: "Claude Code", why: "logs of tool calls", git: true, npm: true, severity: "error" },
  { id: "claude-agent-memory-local", pattern: "**/.claude/agent-memory-local/", kind: "agent-state", owner: "Claude Code", why: "personal agent memory", git: true, npm: true, severity: "error" },
  { id: "claude-worktrees", pattern: "**/.claude/worktrees/", kind: "agent-state", owner: "Claude Code", why: "agent worktrees (copies of the working tree)", git: true, npm: true, severity: "error" },
  { id: "claude-dir", pattern: "**/.claude/", kind: "agent-config", owner: "Claude Code", why: "agent configuration; shared in git on purpose, but not meant for package consumers", git: false, npm: true, severity: "warning" },
  // Aider
  { id: "aider-files", pattern: ".aider.*", kind: "agent-state", owner: "Aider", why: "chat, input and LLM histories, tag caches, and a config that may hold API keys", git: true, npm: true, severity: "error" },
  // Gemini CLI
  { id: "gemini-auto-policy", pattern: "**/.gemini/policies/auto-saved.toml", kind: "agent-state", owner: "Gemini CLI", why: "\"always allow\" rules with command prefixes", git: true, npm: true, severity: "error" },
  { id: "gemini-debug-log", pattern: "gemini-debug.log", kind: "agent-state", owner: "Gemini CLI", why: "debug log of a session", git: true, npm: true, severity: "error" },
  { id: "gemini-clipboard", pattern: ".gemini-clipboard/", kind: "agent-state", owner: "Gemini CLI", why: "pasted clipboard content", git: true, npm: true, severity: "error" },
  { id: "gemini-dir", pattern: "**/.gemini/", kind: "agent-config", owner: "Gemini CLI", why: "agent configuration (watch mcpServers.env)", git: false, npm: true, severity: "warning" },
  // Codex CLI, Cursor, Continue, OpenCode
  { id: "codex-dir", pattern: "**/.codex/", kind: "agent-config", owner: "Codex CLI", why: "agent configuration (MCP env, hook trust)", git: false, npm: true, severity: "warning" },
  { id: "cursor-dir", pattern: "**/.cursor/", kind: "agent-config", owner: "Cursor", why: "agent configuration (mcp.json may hold literal tokens, cli.json permission tokens)", git: false, npm: true, severity: "warning" },
  { id: "continue-dir", pattern: "**/.continue/", kind: "agent-config", owner: "Continue", why: "agent configuration", git: false, npm: true, severity: "warning" },
  // Secret-bearing files by name
  { id: "dotenv", pattern: ".env", kind: "secret-file", owner: "dotenv", why: "environment files hold credentials", git: true, npm: true, severity: "error" },
  { id: "dotenv-variant", pattern: ".env.*", except: ENV_TEMPLATES, kind: "secret-file", owner: "dotenv", why: "environment files hold credentials", git: true, npm: true, severity: "error" },
  { id: "pem", pattern: "*.pem", kind: "secret-file", owner: "TLS/SSH", why: "PEM files often hold private keys", git: true, npm: true, severity: "error" },
  { id: "ssh-private-key", pattern: "id_rsa*", except: ["id_rsa.pub"], kind: "secret-file", owner: "SSH", why: "SSH private key", git: true, npm: true, severity: "error" },
  { id: "ssh-private-key-ed25519", pattern: "id_ed25519*", except: ["id_ed25519.pub"], kind: "secret-file", owner: "SSH", why: "SSH private key", git: true, npm: true, severity: "error" },
  { id: "ssh-private-key-ecdsa", pattern: "id_ecdsa*", except: ["id_ecdsa.pub"], kind: "secret-file", owner: "SSH", why: "SSH private key", git: true, npm: true, severity: "error" },
  { id: "pkcs12", pattern: "*.p12", kind: "secret-file", owner: "PKCS#12", why: "key store", git: true, npm: true, severity: "error" },
  { id: "pfx", pattern: "*.pfx", kind: "secret-file", owner: "PKCS#12", why: "key store", git: true, npm: true, severity: "error" },
  { id: "netrc", pattern: ".netrc", kind: "secret-file", owner: "curl/git", why: "login credentials", git: true, npm: true, severity: "error" },
  { id: "netrc-windows", pattern: "_netrc", kind: "secret-file", owner: "curl/git", why: "login credentials", git: true, npm: true, severity: "error" },
  { id: "git-credentials", pattern: ".git-credentials", kind: "secret-file", owner: "git", why: "stored git credentials", git: true, npm: true, severity: "error" },
  { id: "pypirc", pattern: ".pypirc", kind: "secret-file", owner: "PyPI", why: "upload credentials", git: true, npm: true, severity: "error" },
  // .npmrc is often committed (registry settings); whether it holds a token is a content question.
  // npm never packs it, but yarn 4 and pnpm 10 (via `files`) can.
  { id: "npmrc", pattern: ".npmrc", kind: "secret-file", owner: "npm", why: "registry config that may hold an _authToken", git: false, npm: true, severity: "warning" },
];

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
export function matchStatePaths(path: string, filter: (e: StatePath) => boolean = () => true): StatePath[] {
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
export function matchStatePath(path: string, filter?: (e: StatePath) => boolean): StatePath | undefined {
  return matchStatePaths(path, filter)[0];
}

/**
 * Ignore-file lines for one target. For git, safe templates (`.env.example`) stay committable
 * through a negation after their pattern, unless `keepIgnored` says the user ignores them on
 * purpose. A tarball needs no templates, so the npm lines carry no negations.
 */
export function ignoreLines(target: "git" | "npm", keepIgnored: (name: string) => boolean = () => false): string[] {
  const lines: string[] = [];
  for (const e of STATE_PATHS) {
    if (!e[target]) continue;
    lines.push(e.pattern);
    if (target === "git") for (const ex of e.except ?? []) if (!keepIgnored(ex)) lines.push(`!**/${ex}`);
  }
  return lines;
}
