// `hookpack install --agent codex --sandbox`: a Codex CLI permission profile (config.toml,
// `default_permissions` + `[permissions.hookpack]`, Codex 0.138+; enforced by bubblewrap + seccomp
// on Linux, Seatbelt on macOS) that extends Codex's own `:workspace` profile and denies reading
// (`"none"`) hookpack's directory and credential files. Checked against the real Codex 0.169.0
// with `codex sandbox -P hookpack`.
//
// TOML has no "insert a top-level key anywhere": a key after a table header belongs to that table.
// So the edit is two marked blocks: one line at the very top (`default_permissions`, a top-level
// key before any table) and the profile's tables at the very end. Everything the user wrote stays
// byte for byte between them, and uninstall takes exactly the two blocks out. Codex ignores
// permission profiles when any layer sets the older `sandbox_mode`: install refuses then.
import { existsSync, readdirSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { credentialIgnoreLines } from "../rules/state-catalog.js";
import { HookpackError } from "../core/errors.js";
import { readIfExists } from "./plan.js";
import {
  AGENT_STATE_FILES,
  CODEX_DATABASES,
  CREDENTIAL_ENV_VARS,
  HOME_CREDENTIAL_FILES,
  relocatedDirs,
  withRelocatedEntries,
  type RelocatedDirs,
} from "./sandbox.js";
import { readToml } from "./toml-hooks.js";

export const CODEX_PROFILE = "hookpack";
const TOP_BEGIN =
  "# >>> hookpack sandbox: Codex permission profile (`hookpack install --sandbox`; `hookpack uninstall` removes it)";
const TOP_END = "# <<< hookpack sandbox";
const TAIL_BEGIN =
  "# >>> hookpack sandbox: profile tables (`hookpack install --sandbox`; `hookpack uninstall` removes them)";
const TAIL_END = "# <<< hookpack sandbox tables";
const TAIL_END_NL = "# <<< hookpack sandbox tables (added the final newline above)";

type Table = Record<string, unknown>;

const q = (s: string) => JSON.stringify(s);

/** Codex's config.toml for a scope. */
export function codexConfigPath(
  scope: "project" | "local" | "user",
  ctx: { root: string; home: string; env?: Readonly<Record<string, string | undefined>> },
): string {
  // $CODEX_HOME moves the user's folder (an absolute value; install refuses a relative one).
  const moved = relocatedDirs(ctx.env)[".codex"];
  return scope === "user"
    ? join(moved ?? join(ctx.home, ".codex"), "config.toml")
    : join(ctx.root, ".codex", "config.toml");
}

/** Whether the home sits under one of Codex's writable temp roots (/tmp, TMPDIR). */
export function homeUnderWritableRoot(home: string): boolean {
  return [tmpdir(), "/tmp", process.env.TMPDIR ?? ""].some(
    (t) => t !== "" && (home === t || home.startsWith(`${t}${sep}`)),
  );
}

/** The profile's filesystem entries: path → access. */
export function codexProfileEntries(p: {
  home: string;
  hookpackHome: string;
  projectScope: boolean;
  /** The agents' folders the environment moves ($CODEX_HOME, $CLAUDE_CONFIG_DIR; sec8). */
  relocated?: RelocatedDirs;
}): { absolute: Array<[string, string]>; project: Array<[string, string]> } {
  const absolute: Array<[string, string]> = [[p.hookpackHome, "none"]];
  // Only where the folder exists: for a path under a missing folder, Codex 0.169's bubblewrap
  // helper sometimes fails to mount its placeholder and the session does not start.
  const home: string[] = [];
  for (const f of HOME_CREDENTIAL_FILES) home.push(join(p.home, f.slice(2)));
  // SSH private keys by exact name: an absolute glob (~/.ssh/id_*) makes Codex 0.169 fail to start its file-system helper.
  for (const k of ["id_rsa", "id_ed25519", "id_ecdsa", "id_dsa", "id_ed25519_sk", "id_ecdsa_sk"])
    home.push(join(p.home, ".ssh", k));
  // The agents' own credentials and state (Codex's auth.json and transcripts, Claude Code's
  // credentials): Codex reads auth.json itself, outside the sandbox. At user scope install creates
  // ~/.codex (for the hooks) before Codex runs.
  // With $CODEX_HOME set, Codex's folder is that one (its auth.json, transcripts and hooks); the
  // default ~/.codex entries stay.
  const codexHome = p.relocated?.[".codex"] ?? join(p.home, ".codex");
  const abs = (f: string) => (f.startsWith("~/") ? join(p.home, f.slice(2)) : f);
  for (const f of withRelocatedEntries(
    [...AGENT_STATE_FILES, ...CODEX_DATABASES],
    p.relocated,
    p.home,
  ))
    home.push(abs(f));
  // Any other database there now (another Codex version's names).
  try {
    for (const name of readdirSync(codexHome))
      if (/\.sqlite(-wal|-shm)?$/.test(name) && !home.includes(join(codexHome, name)))
        home.push(join(codexHome, name));
  } catch {
    // no ~/.codex yet
  }
  // Under ~/.codex (read-only below) a missing path is a problem when ~/.codex sits under one of
  // Codex's writable roots (a home under /tmp or TMPDIR): Codex 0.169's bubblewrap helper then tries
  // to create a placeholder inside the read-only folder and no command starts. There, only the
  // files that exist at install are denied (install again after logging in to Codex).
  const tempHome = homeUnderWritableRoot(p.home);
  for (const path of home) {
    const folderThere =
      existsSync(dirname(path)) || (!p.projectScope && dirname(path) === codexHome);
    const inCodexHome = path.startsWith(`${codexHome}${sep}`);
    if (inCodexHome ? existsSync(path) || (!tempHome && folderThere) : folderThere)
      absolute.push([path, "none"]);
  }
  // Codex's own folder, where hookpack puts user-scope hooks (hooks.json / config.toml): read-only.
  // Codex already keeps it out of reach unless it sits under a writable root (a home under /tmp,
  // TMPDIR or the project), where a sandboxed command could rewrite or move the hook config away
  // (checked with `codex sandbox -P hookpack`, Codex 0.169). The folder itself, not its files: a
  // file-by-file entry still let `mv ~/.codex ~/.codex-old` through. At user scope install creates it.
  if (!p.projectScope || existsSync(codexHome)) absolute.push([codexHome, "read"]);
  // The default folder too when the hooks moved with $CODEX_HOME and it is there.
  const defaultHome = join(p.home, ".codex");
  if (defaultHome !== codexHome && existsSync(defaultHome)) absolute.push([defaultHome, "read"]);
  const project: Array<[string, string]> = [[".", "write"]];
  if (p.projectScope) {
    for (const line of credentialIgnoreLines()) {
      if (line.startsWith("!") || line === ".npmrc") continue;
      project.push([`**/${line}`, "none"]);
    }
  }
  return { absolute, project };
}

function tailBlock(
  eol: string,
  entries: ReturnType<typeof codexProfileEntries>,
  end: string,
  envPolicy: boolean,
): string {
  const lines = [
    TAIL_BEGIN,
    `[permissions.${CODEX_PROFILE}]`,
    'extends = ":workspace"',
    `[permissions.${CODEX_PROFILE}.filesystem]`,
    "glob_scan_max_depth = 4",
    ...entries.absolute.map(([path, access]) => `${q(path)} = ${q(access)}`),
    `[permissions.${CODEX_PROFILE}.filesystem.":project_roots"]`,
    ...entries.project.map(([path, access]) => `${q(path)} = ${q(access)}`),
    // Credential variables are not passed to the commands Codex runs.
    ...(envPolicy
      ? ["[shell_environment_policy]", `exclude = [${CREDENTIAL_ENV_VARS.map(q).join(", ")}]`]
      : []),
    end,
  ];
  return lines.join(eol) + eol;
}

function span(
  text: string,
  begin: string,
  ends: string[],
): { start: number; end: number; marker: string } | undefined {
  const start = text.indexOf(begin);
  if (start === -1 || (start > 0 && text[start - 1] !== "\n")) return undefined;
  let best: { at: number; marker: string } | undefined;
  for (const m of ends) {
    const found = text.indexOf(`\n${m}`, start);
    const at = found + 1;
    if (
      found !== -1 &&
      (!best || at < best.at || (at === best.at && m.length > best.marker.length))
    )
      best = { at, marker: m };
  }
  if (!best) return undefined;
  const lineEnd = text.indexOf("\n", best.at);
  return { start, end: lineEnd === -1 ? text.length : lineEnd + 1, marker: best.marker };
}

/** The text without our two blocks, byte for byte as before `withCodexSandbox`. */
export function withoutCodexSandbox(text: string): string {
  let out = text;
  const top = span(out, TOP_BEGIN, [TOP_END]);
  if (top) out = out.slice(0, top.start) + out.slice(top.end);
  const tail = span(out, TAIL_BEGIN, [TAIL_END_NL, TAIL_END]);
  if (tail) {
    let before = out.slice(0, tail.start);
    const eol = out.includes("\r\n") ? "\r\n" : "\n";
    // We appended "<eol><block>" (the separating blank line), or "<eol><eol><block>" when we also added the final newline.
    if (before !== "" && before.endsWith(eol + eol)) before = before.slice(0, -eol.length);
    if (tail.marker === TAIL_END_NL && before.endsWith(eol)) before = before.slice(0, -eol.length);
    out = before + out.slice(tail.end);
  }
  return out;
}

export function hasCodexSandbox(text: string): boolean {
  return text.includes(TOP_BEGIN) || text.includes(TAIL_BEGIN);
}

/** The text with our profile selected and defined (refused when the file cannot take it). */
export function withCodexSandbox(
  text: string,
  file: string,
  entries: ReturnType<typeof codexProfileEntries>,
): string {
  const base = withoutCodexSandbox(text);
  const doc = base.trim() === "" ? {} : readToml(base, file);
  if (doc.sandbox_mode !== undefined || doc.sandbox_workspace_write !== undefined) {
    throw new HookpackError(
      "SANDBOX_CONFLICT",
      `hookpack: ${file} sets sandbox_mode, and Codex ignores permission profiles while any config layer does; nothing was changed.`,
      "Remove sandbox_mode (and [sandbox_workspace_write]) from it, then run the command again; or install without --sandbox for codex.",
    );
  }
  if (doc.default_permissions !== undefined) {
    throw new HookpackError(
      "SANDBOX_CONFLICT",
      `hookpack: ${file} already selects a permission profile (default_permissions); nothing was changed.`,
      `Add a "none" entry for hookpack's directory to that profile by hand, or remove default_permissions and run the command again.`,
    );
  }
  if ((doc.permissions as Table | undefined)?.[CODEX_PROFILE] !== undefined) {
    throw new HookpackError(
      "SANDBOX_CONFLICT",
      `hookpack: ${file} already defines [permissions.${CODEX_PROFILE}]; nothing was changed.`,
      "Rename or remove that profile, then run the command again.",
    );
  }
  const eol = base.includes("\r\n") ? "\r\n" : "\n";
  const top = [TOP_BEGIN, `default_permissions = ${q(CODEX_PROFILE)}`, TOP_END].join(eol) + eol;
  // A shell_environment_policy of the user's own stays theirs (a second table would not parse).
  const envPolicy = doc.shell_environment_policy === undefined;
  let out = top + base;
  if (base === "" || base.endsWith("\n"))
    out += (base === "" ? "" : eol) + tailBlock(eol, entries, TAIL_END, envPolicy);
  else out += eol + eol + tailBlock(eol, entries, TAIL_END_NL, envPolicy);
  // The file must mean what it meant, plus our two keys.
  const after = readToml(out, file);
  const {
    default_permissions: dp,
    permissions,
    ...rest
  } = after as Table & { permissions?: Table };
  if (envPolicy) delete rest.shell_environment_policy;
  const restPermissions = { ...(permissions ?? {}) };
  delete restPermissions[CODEX_PROFILE];
  const expected = { ...doc };
  const expectedPermissions = (expected.permissions as Table | undefined) ?? {};
  delete expected.permissions;
  if (
    dp !== CODEX_PROFILE ||
    !isDeepStrictEqual(rest, expected) ||
    !isDeepStrictEqual(restPermissions, expectedPermissions)
  ) {
    throw new HookpackError(
      "SANDBOX_CONFLICT",
      `hookpack: ${file} cannot take hookpack's permission profile without changing what it means; nothing was changed.`,
      "Add the profile by hand (see the README, install --sandbox), or install without --sandbox for codex.",
    );
  }
  if (withoutCodexSandbox(out) !== base) throw new Error("codex sandbox block does not round-trip");
  return out;
}

/** Every Codex layer that sets sandbox_mode (which makes Codex ignore the profile). */
export function codexSandboxModeLayers(files: string[]): string[] {
  return files.filter((f) => {
    const text = readIfExists(f);
    if (!text) return false;
    try {
      return readToml(text, f).sandbox_mode !== undefined;
    } catch {
      return false;
    }
  });
}
