// `hookpack install --sandbox`: the agent's own OS sandbox, configured so that the commands the
// agent runs cannot read or write hookpack's directory (store, key, grants, audit log) or the
// user's credential files. Hooks are text checks a determined shell user can evade; the sandbox is
// enforced by the OS (Claude Code: bubblewrap + seccomp on Linux, Seatbelt on macOS).
//
// Claude Code's sandbox is configured here; Codex CLI's permission profile in sandbox-codex.ts (see the
// README's agent table for the others).
// Key names are those of Claude Code 2.1.330's settings schema (checked against the binary):
//   sandbox.enabled / failIfUnavailable / allowUnsandboxedCommands
//   sandbox.filesystem.denyRead / denyWrite / allowRead (allowRead re-opens inside denyRead)
//   sandbox.network.allowUnixSockets (macOS only; Linux's seccomp cannot allow a socket by path)
//   sandbox.credentials.files[] / envVars[] with mode "deny" (2.1.187+)
//
// Merging follows the hook registrations: minimal edits inside the `sandbox` member, one recorded
// span so that an untouched file is restored byte for byte, and a structural undo (our array items
// out, our scalars back to what they were, containers we created removed when empty) otherwise.
import { existsSync } from "node:fs";
import { delimiter, isAbsolute, join, relative, sep } from "node:path";
import { applyEdits, findNodeAtLocation, modify, parseTree, type JSONPath } from "jsonc-parser";
import { brokerSocketPath, caBundlePath, caCertPath } from "../broker/paths.js";
import { credentialIgnoreLines } from "../rules/state-catalog.js";
import { RELOCATABLE_DIRS, relocatedDir } from "../rules/agent-dirs.js";
import { recordReversal, sha256 } from "./agent-settings.js";
import { HookpackError } from "../core/errors.js";
import { readJsonDocument, setJson } from "./json-edit.js";

/** Agents whose sandbox `install --sandbox` configures through their JSON settings (Codex: sandbox-codex.ts). */
export const SANDBOX_AGENTS = ["claude-code"] as const;

/** Credential files under the home directory, denied as Claude Code credentials (never re-opened by allowRead). */
export const HOME_CREDENTIAL_FILES = [
  "~/.netrc",
  "~/.git-credentials",
  "~/.config/git/credentials",
  "~/.aws/credentials",
  "~/.config/gh/hosts.yml",
  "~/.docker/config.json",
  "~/.kube/config",
  "~/.pypirc",
  "~/.npmrc",
];

/**
 * The coding agents' own credentials and state, read-denied to the commands any of them runs: each
 * client reads its own auth outside its sandbox (the sandbox applies to the commands it runs), so
 * a sandboxed command has no need of them. Codex: auth.json (its OpenAI API key / ChatGPT tokens),
 * .credentials.json (MCP OAuth tokens when no keyring), history.jsonl, sessions/ and
 * archived_sessions/ (transcripts: every value the agent saw), log/, memories/ and its SQLite
 * databases (CODEX_DATABASES). Claude Code: .credentials.json (its OAuth tokens on Linux),
 * ~/.claude.json and the backups it keeps of it (MCP servers with their env), history.jsonl,
 * projects/ (transcripts) and file-history/ (copies of the files it edited). Not its
 * shell-snapshots/: every Bash command sources one inside the sandbox. Measured in
 * test/security/sandbox-agent-creds.attack.test.ts: every one was readable from both sandboxes
 * before (Claude Code 2.1.330, Codex 0.169).
 */
export const AGENT_STATE_FILES = [
  "~/.codex/auth.json",
  "~/.codex/.credentials.json",
  "~/.codex/history.jsonl",
  "~/.codex/sessions",
  "~/.codex/archived_sessions",
  "~/.codex/log",
  "~/.codex/memories",
  "~/.claude/.credentials.json",
  "~/.claude.json",
  "~/.claude.json.backup",
  "~/.claude/backups",
  "~/.claude/history.jsonl",
  "~/.claude/projects",
  "~/.claude/file-history",
];

/**
 * Codex 0.169's SQLite databases in ~/.codex (thread history, logs, state, memories), with their
 * WAL and shared-memory files. By name: Codex's profile takes no absolute glob (Claude Code's
 * spec has `~/.codex/*.sqlite*`); sandbox-codex.ts adds any other `*.sqlite*` there at install.
 */
export const CODEX_DATABASES = [
  "state_5",
  "logs_2",
  "thread_history_1",
  "memories_1",
  "goals_1",
  "queue_1",
].flatMap((n) => ["", "-wal", "-shm"].map((x) => `~/.codex/${n}.sqlite${x}`));

/** Claude Code's user hook settings files (write-denied for every scope). */
export const HOOK_SETTINGS_USER = ["~/.claude/settings.json", "~/.claude/settings.local.json"];

/** Its project hook settings files, as globs against the project (project and local scope only). */
export const HOOK_SETTINGS_PROJECT = ["**/.claude/settings.json", "**/.claude/settings.local.json"];

/** Environment variables unset before every sandboxed command. */
export const CREDENTIAL_ENV_VARS = [
  "HOOKPACK_PASSPHRASE",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "GITLAB_TOKEN",
  "NPM_TOKEN",
  "NODE_AUTH_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEY",
  "HF_TOKEN",
];

export interface SandboxPaths {
  home: string;
  hookpackHome: string;
  /** Whether relative globs resolve against the project (project and local settings do). */
  projectScope: boolean;
  /** The agents' folders the environment moves (`$CLAUDE_CONFIG_DIR`, `$CODEX_HOME`), absolute. */
  relocated?: RelocatedDirs;
}

/** `.claude` / `.codex` where the environment moves them (absolute), from rules/agent-dirs.ts. */
export type RelocatedDirs = Partial<Record<".claude" | ".codex", string>>;

/** The agents' folders `env` moves (an absolute value only: install refuses a relative one). */
export function relocatedDirs(
  env: Readonly<Record<string, string | undefined>> | undefined,
): RelocatedDirs {
  const out: RelocatedDirs = {};
  if (!env) return out;
  for (const folder of [".claude", ".codex"] as const) {
    const dir = relocatedDir(folder, env, "/");
    const raw = env[RELOCATABLE_DIRS[folder]!]?.trim();
    if (dir !== undefined && raw !== undefined && isAbsolute(raw)) out[folder] = dir;
  }
  return out;
}

/**
 * `list` (`~/…` entries) plus each `~/.claude/…` / `~/.codex/…` entry at the folder the environment
 * moves it to, and `~/.claude.json*` inside a moved Claude Code folder (Claude Code 2.1.330 keeps
 * its global config there when $CLAUDE_CONFIG_DIR is set). The default places stay (sec8).
 */
export function withRelocatedEntries(
  list: readonly string[],
  relocated: RelocatedDirs | undefined,
  home: string,
): string[] {
  const out = [...list];
  if (!relocated) return out;
  for (const e of list)
    for (const folder of [".claude", ".codex"] as const) {
      const dir = relocated[folder];
      if (dir === undefined) continue;
      const at = claudePath(dir, home);
      if (e.startsWith(`~/${folder}/`)) out.push(`${at}/${e.slice(folder.length + 3)}`);
      else if (folder === ".claude" && /^~\/\.claude\.json/.test(e))
        out.push(`${at}/${e.slice(2)}`);
    }
  return [...new Set(out)];
}

/** A path as Claude Code reads it: `~/…` under the home directory, else absolute. */
export function claudePath(path: string, home: string): string {
  const rel = relative(home, path);
  if (rel === "") return "~";
  if (!rel.startsWith("..") && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel))
    return `~/${rel.split(sep).join("/")}`;
  return path.split(sep).join("/");
}

export interface SandboxSpec {
  scalars: Array<[JSONPath, unknown]>;
  arrays: Array<[JSONPath, unknown[]]>;
}

/** What `--sandbox` puts into Claude Code's settings. */
export function claudeSandboxSpec(p: SandboxPaths): SandboxSpec {
  const hp = claudePath(p.hookpackHome, p.home);
  const socket = claudePath(brokerSocketPath(p.hookpackHome), p.home);
  const runtime = claudePath(join(p.hookpackHome, "runtime"), p.home);
  const deny: string[] = [
    hp,
    "~/.ssh/id_*",
    ...withRelocatedEntries([...AGENT_STATE_FILES, "~/.codex/*.sqlite*"], p.relocated, p.home),
  ];
  // The broker's CA certificates (public) too: brokered commands with phantom tokens trust them.
  const reopen: string[] = [
    runtime,
    socket,
    claudePath(caCertPath(p.hookpackHome), p.home),
    claudePath(caBundlePath(p.hookpackHome), p.home),
    "~/.ssh/*.pub",
  ];
  if (p.projectScope) {
    for (const line of credentialIgnoreLines()) {
      // A project's .npmrc is mostly registry settings npm must read; a token in it is the read guard's.
      if (line === ".npmrc") continue;
      if (line.startsWith("!")) reopen.push(line.slice(1).replace(/^\*\*\//, "**/"));
      else deny.push(`**/${line}`);
    }
  }
  // The hook settings files, write-denied (the agent must still read them). Claude Code re-reads
  // its hook settings mid-session, so one write would switch the hooks off. Claude Code 2.1.330's
  // sandbox already mounts its own settings files read-only (test/security/sandbox-settings.attack
  // measured every road contained with or without these entries); they are here so that the
  // boundary does not rest on that alone (a later client, a home directory opened by allowWrite).
  const denyWrite: string[] = [
    ...deny,
    ...withRelocatedEntries(HOOK_SETTINGS_USER, p.relocated, p.home),
  ];
  if (p.projectScope) denyWrite.push(...HOOK_SETTINGS_PROJECT);
  return {
    scalars: [
      [["sandbox", "enabled"], true],
      [["sandbox", "failIfUnavailable"], true],
      [["sandbox", "allowUnsandboxedCommands"], false],
    ],
    arrays: [
      [["sandbox", "filesystem", "denyRead"], deny],
      [["sandbox", "filesystem", "denyWrite"], denyWrite],
      [["sandbox", "filesystem", "allowRead"], reopen],
      [["sandbox", "network", "allowUnixSockets"], [socket]],
      [
        ["sandbox", "credentials", "files"],
        HOME_CREDENTIAL_FILES.map((path) => ({ path, mode: "deny" })),
      ],
      [
        ["sandbox", "credentials", "envVars"],
        CREDENTIAL_ENV_VARS.map((name) => ({ name, mode: "deny" })),
      ],
    ],
  };
}

/** Array items are the same entry when equal strings, or objects naming the same path / variable. */
function sameItem(a: unknown, b: unknown): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  const key = (x: unknown) => {
    const o = x as { path?: unknown; name?: unknown } | null;
    return o && typeof o === "object"
      ? typeof o.path === "string"
        ? `path:${o.path}`
        : typeof o.name === "string"
          ? `name:${o.name}`
          : undefined
      : undefined;
  };
  const ka = key(a);
  return ka !== undefined && ka === key(b);
}

const ABSENT = { absent: true } as const;

export interface SandboxReversal {
  /** sha256 of the file as the sandbox edit left it. */
  installed: string;
  start: number;
  /** Original bytes of the edited span (null when they could not be recorded). */
  removed: string | null;
  insertedLength: number;
  /** Members we created, as dotted paths. */
  createdKeys: string[];
  /** Items we appended, by dotted array path. */
  added: Record<string, unknown[]>;
  /** Scalars we set, with what they were before (`{absent:true}` when missing). */
  previous: Record<string, unknown>;
  /** The record spans more than one install: undo structurally. */
  merged?: boolean;
}

function valueAt(text: string, path: JSONPath): { found: boolean; value: unknown } {
  const tree = parseTree(text);
  const node = tree && findNodeAtLocation(tree, path);
  if (!node) return { found: false, value: undefined };
  const doc = readJsonDocument(text, "settings").value;
  let v: unknown = doc;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return { found: true, value: v };
}

function typeProblem(
  text: string,
  file: string,
  path: JSONPath,
  want: "object" | "array",
): string | undefined {
  const { found, value } = valueAt(text, path);
  if (!found) return undefined;
  const ok =
    want === "array"
      ? Array.isArray(value)
      : value !== null && typeof value === "object" && !Array.isArray(value);
  return ok
    ? undefined
    : `hookpack: ${file}: \`${path.join(".")}\` is not ${want === "array" ? "an array" : "an object"}; nothing was changed. Fix it by hand (Claude Code's settings schema wants ${want === "array" ? "a list" : "an object"} there), then run the command again.`;
}

/** The settings text with our sandbox settings present (everything else untouched). */
export function addSandbox(
  text: string,
  file: string,
  spec: SandboxSpec,
): {
  text: string;
  createdKeys: string[];
  added: Record<string, unknown[]>;
  previous: Record<string, unknown>;
} {
  readJsonDocument(text, file);
  const createdKeys: string[] = [];
  const added: Record<string, unknown[]> = {};
  const previous: Record<string, unknown> = {};
  for (const container of [
    ["sandbox"],
    ["sandbox", "filesystem"],
    ["sandbox", "network"],
    ["sandbox", "credentials"],
  ]) {
    const problem = typeProblem(text, file, container, "object");
    if (problem) throw new HookpackError("SETTINGS_UNREADABLE", problem);
  }
  for (const [path] of spec.arrays) {
    const problem = typeProblem(text, file, path, "array");
    if (problem) throw new HookpackError("SETTINGS_UNREADABLE", problem);
  }
  let out = text;
  if (!valueAt(out, ["sandbox"]).found) {
    // One new member, in a readable order.
    const fresh: Record<string, unknown> = {};
    for (const [path, value] of spec.scalars) fresh[path[1] as string] = value;
    for (const [path, items] of spec.arrays) {
      const group = (fresh[path[1] as string] ??= {}) as Record<string, unknown>;
      group[path[2] as string] = items;
    }
    out = setJson(out, ["sandbox"], fresh);
    createdKeys.push("sandbox");
    for (const [path] of spec.scalars) previous[path.join(".")] = ABSENT;
    for (const [path, items] of spec.arrays) added[path.join(".")] = items;
    return { text: out, createdKeys, added, previous };
  }
  for (const [path, value] of spec.scalars) {
    const cur = valueAt(out, path);
    if (cur.found && cur.value === value) continue;
    previous[path.join(".")] = cur.found ? cur.value : ABSENT;
    out = setJson(out, path, value);
  }
  for (const [path, items] of spec.arrays) {
    for (let depth = 2; depth <= path.length; depth++) {
      const sub = path.slice(0, depth);
      if (!valueAt(out, sub).found) createdKeys.push(sub.join("."));
    }
    const cur = valueAt(out, path);
    const have = cur.found ? (cur.value as unknown[]) : [];
    const missing = items.filter((item) => !have.some((h) => sameItem(h, item)));
    if (missing.length === 0) continue;
    added[path.join(".")] = missing;
    if (!cur.found) {
      out = setJson(out, path, missing);
      continue;
    }
    let index = have.length;
    for (const item of missing) out = setJson(out, [...path, index], item, index++);
  }
  return { text: out, createdKeys: [...new Set(createdKeys)], added, previous };
}

/** The recorded undo of one sandbox edit (before → after). */
export function sandboxReversal(
  before: string,
  after: string,
  edit: Omit<ReturnType<typeof addSandbox>, "text">,
): SandboxReversal {
  const span = recordReversal(before, after, []);
  return {
    installed: span.installed,
    start: span.start,
    removed: span.removed,
    insertedLength: span.insertedLength,
    createdKeys: edit.createdKeys,
    added: edit.added,
    previous: edit.previous,
  };
}

/** Folds a second edit into an earlier record: the undo then goes structurally back to the first state. */
export function mergeReversal(old: SandboxReversal, next: SandboxReversal): SandboxReversal {
  const added: Record<string, unknown[]> = { ...old.added };
  for (const [k, v] of Object.entries(next.added)) added[k] = [...(added[k] ?? []), ...v];
  return {
    ...next,
    createdKeys: [...new Set([...old.createdKeys, ...next.createdKeys])],
    added,
    previous: { ...next.previous, ...old.previous },
    merged: true,
  };
}

const isAbsent = (v: unknown) =>
  v !== null && typeof v === "object" && (v as { absent?: unknown }).absent === true;

function remove(text: string, path: JSONPath): string {
  return applyEdits(
    text,
    modify(text, path, undefined, {
      formattingOptions: {
        insertSpaces: true,
        tabSize: 2,
        eol: text.includes("\r\n") ? "\r\n" : "\n",
      },
    }),
  );
}

/** Takes our sandbox settings out of an edited file: our items, our scalars, our empty containers. */
export function removeSandbox(text: string, file: string, rev: SandboxReversal): string {
  readJsonDocument(text, file);
  let out = text;
  for (const [dotted, items] of Object.entries(rev.added)) {
    const path = dotted.split(".");
    const cur = valueAt(out, path);
    if (!cur.found || !Array.isArray(cur.value)) continue;
    const values = cur.value as unknown[];
    for (let i = values.length - 1; i >= 0; i--)
      if (items.some((item) => sameItem(values[i], item))) out = remove(out, [...path, i]);
  }
  for (const [dotted, before] of Object.entries(rev.previous)) {
    const path = dotted.split(".");
    if (!valueAt(out, path).found) continue;
    out = isAbsent(before) ? remove(out, path) : setJson(out, path, before);
  }
  const created = [...rev.createdKeys].sort((a, b) => b.split(".").length - a.split(".").length);
  for (const dotted of created) {
    const path = dotted.split(".");
    const cur = valueAt(out, path);
    if (!cur.found) continue;
    const empty = Array.isArray(cur.value)
      ? cur.value.length === 0
      : cur.value !== null && typeof cur.value === "object" && Object.keys(cur.value).length === 0;
    if (empty) out = remove(out, path);
  }
  return out;
}

/** Undoes `--sandbox`: exact restore when the file is as we left it, structural removal otherwise. */
export function reverseSandbox(current: string, file: string, rev: SandboxReversal): string {
  if (!rev.merged && rev.removed !== null && sha256(current) === rev.installed) {
    return (
      current.slice(0, rev.start) + rev.removed + current.slice(rev.start + rev.insertedLength)
    );
  }
  return removeSandbox(current, file, rev);
}

/** Programs Claude Code's Linux sandbox needs on PATH, and which of them are missing. */
export function missingSandboxPrograms(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string[] {
  if (platform !== "linux") return [];
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  return ["bwrap", "socat"].filter((p) => !dirs.some((d) => existsSync(join(d, p))));
}

/** What install says about `--sandbox` for Claude Code, one line each. */
export function sandboxNotes(o: {
  shown: string;
  hookpackHome: string;
  previous: Record<string, unknown>;
  missing: string[];
  platform: NodeJS.Platform;
  userSettings: Record<string, unknown>;
}): string[] {
  const notes = [
    `Claude Code's sandbox is configured in ${o.shown} (--sandbox), because hookpack's hooks are text checks a determined shell user can evade, while the sandbox is enforced by the operating system: commands the agent runs can no longer read or write ${o.hookpackHome} (store, key, grants, audit log) or credential files (.env*, keys, .netrc, ~/.aws/credentials, …) and the agents' own credentials and transcripts (~/.claude/.credentials.json, ~/.claude.json, ~/.claude/projects, ~/.codex/auth.json, …), credential variables (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, …) are unset inside it, and a command that cannot be sandboxed is refused instead of run outside it.`,
  ];
  const was = o.previous["sandbox.enabled"];
  if (was === false)
    notes.push(
      `sandbox.enabled was false in ${o.shown}; --sandbox turns it on (uninstall turns it off again).`,
    );
  if (o.previous["sandbox.allowUnsandboxedCommands"] === true)
    notes.push(
      `sandbox.allowUnsandboxedCommands was true in ${o.shown}; it is now false (the agent could otherwise ask to run a command outside the sandbox). Uninstall restores it.`,
    );
  if (o.missing.length > 0)
    notes.push(
      `Claude Code's Linux sandbox needs ${o.missing.join(" and ")}, not found on PATH: install them (Debian/Ubuntu: apt-get install bubblewrap socat). Until then Claude Code refuses to run shell commands (failIfUnavailable).`,
    );
  if (o.platform === "linux")
    notes.push(
      `Not covered: Claude Code's own file tools (Read, Edit, Grep) and MCP servers run outside the sandbox (hookpack's read guard covers the file tools); on Linux the sandbox cannot open one unix socket by path, so hookpack's broker socket is out of reach of sandboxed commands and a \`$secret:\` reference cannot be used from inside the sandbox.`,
    );
  else
    notes.push(
      `Not covered: Claude Code's own file tools (Read, Edit, Grep) and MCP servers run outside the sandbox (hookpack's read guard covers the file tools).`,
    );
  const weak = sandboxWeaknesses(o.userSettings);
  if (weak.length > 0) notes.push(`Your settings weaken the sandbox: ${weak.join("; ")}.`);
  return notes;
}

/** Settings (merged view) that open a way around the sandbox, one phrase each. */
export function sandboxWeaknesses(settings: Record<string, unknown>): string[] {
  const sb = (settings.sandbox ?? {}) as Record<string, unknown>;
  const fs = (sb.filesystem ?? {}) as Record<string, unknown>;
  const net = (sb.network ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  if (Array.isArray(sb.excludedCommands) && sb.excludedCommands.length > 0)
    out.push(
      `sandbox.excludedCommands runs ${sb.excludedCommands.length} command pattern(s) outside the sandbox`,
    );
  if (fs.disabled === true) out.push("sandbox.filesystem.disabled turns the file rules off");
  if (net.allowAllUnixSockets === true)
    out.push(
      "sandbox.network.allowAllUnixSockets opens every unix socket (D-Bus, where the OS keychain lives; ssh-agent; docker)",
    );
  if (sb.allowNestedUserNamespaces === true)
    out.push("sandbox.allowNestedUserNamespaces lets a command undo the write denies");
  if (sb.enableWeakerNestedSandbox === true)
    out.push("sandbox.enableWeakerNestedSandbox weakens the sandbox");
  return out;
}
