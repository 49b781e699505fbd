// `hookpack doctor`: each agent's protection level against a hostile agent, and for Claude Code a
// check of the live sandbox configuration with a probe that must FAIL to read a file inside
// HOOKPACK_HOME through the same bubblewrap profile the settings describe.
//
//   sandboxed    the agent's commands cannot read hookpack's state or credential files (OS-enforced)
//   brokered     values never enter the agent's processes for HTTP secrets (an `inject` policy)
//   hooks only   text checks, which a determined shell user can evade
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { Adapter } from "../adapters/adapter.js";
import { readJsonDocument } from "./json-edit.js";
import { readIfExists } from "./plan.js";
import {
  AGENT_STATE_FILES,
  claudePath,
  HOOK_SETTINGS_PROJECT,
  HOOK_SETTINGS_USER,
  missingSandboxPrograms,
  relocatedDirs,
  sandboxWeaknesses,
  SANDBOX_AGENTS,
  withRelocatedEntries,
} from "./sandbox.js";
import { codexConfigPath, CODEX_PROFILE } from "./sandbox-codex.js";
import { readToml } from "./toml-hooks.js";

export type ProtectionLevel = "sandboxed" | "brokered" | "hooks only";

export interface AgentProtection {
  /** The project directory. */
  subject: string;
  agent: string;
  /** The strongest level that holds. */
  protection: ProtectionLevel;
  /** Every level that holds, strongest first. */
  holds: ProtectionLevel[];
  /** The agent's own sandbox as hookpack sees it. */
  sandbox: "verified" | "configured" | "broken" | "absent" | "unsupported";
  /** Why, one phrase each (never a value). */
  reasons: string[];
}

interface Check {
  id: string;
  status: "ok" | "info" | "warn" | "fail";
  subject: string;
  agent?: string;
  message: string;
  fix?: string;
}

export interface SandboxDoctorContext {
  root: string;
  home: string;
  hookpackHome: string;
  env: NodeJS.ProcessEnv;
  /** Run the bubblewrap probe (default true). */
  probe?: boolean;
  /** A project layer (.claude/settings*.json) holds a sandbox block: its hook settings must be in denyWrite. */
  projectSandbox?: boolean;
  platform?: NodeJS.Platform;
}

type Json = Record<string, unknown>;

/** Claude Code's settings layers that configure the sandbox, lowest precedence first. */
function claudeLayers(
  ctx: SandboxDoctorContext,
): Array<{ file: string; value: Json } | { file: string; error: string }> {
  // $CLAUDE_CONFIG_DIR moves the user's layer (sec8).
  const user = relocatedDirs(ctx.env)[".claude"] ?? join(ctx.home, ".claude");
  const files = [
    join(user, "settings.json"),
    join(ctx.root, ".claude", "settings.json"),
    join(ctx.root, ".claude", "settings.local.json"),
  ];
  const out: Array<{ file: string; value: Json } | { file: string; error: string }> = [];
  for (const file of files) {
    const text = readIfExists(file);
    if (text === null) continue;
    try {
      out.push({ file, value: readJsonDocument(text, file).value });
    } catch (error) {
      out.push({ file, error: (error as Error).message });
    }
  }
  return out;
}

/** Merges the sandbox members of the layers as Claude Code does: arrays join, scalars take the last layer's. */
export function mergedSandbox(layers: readonly Json[]): Json {
  const merge = (a: unknown, b: unknown): unknown => {
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (
      a &&
      b &&
      typeof a === "object" &&
      typeof b === "object" &&
      !Array.isArray(a) &&
      !Array.isArray(b)
    ) {
      const out: Json = { ...(a as Json) };
      for (const [k, v] of Object.entries(b as Json)) out[k] = k in out ? merge(out[k], v) : v;
      return out;
    }
    return b;
  };
  let sandbox: unknown = {};
  for (const l of layers) if (l.sandbox !== undefined) sandbox = merge(sandbox, l.sandbox);
  return (sandbox && typeof sandbox === "object" ? sandbox : {}) as Json;
}

/** A settings path as an absolute path (`~/` the home directory, relative paths against the project). */
function absolutePath(p: string, ctx: SandboxDoctorContext): string | undefined {
  if (/[*?[\]{}]/.test(p)) return undefined;
  if (p === "~") return ctx.home;
  if (p.startsWith("~/")) return join(ctx.home, p.slice(2));
  if (p.startsWith("//")) return p.slice(1);
  return isAbsolute(p) ? p : resolve(ctx.root, p);
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
const within = (path: string, dir: string) =>
  path === dir || path.startsWith(`${dir.replace(/\/+$/, "")}/`);

interface SandboxView {
  problems: string[];
  denyRead: string[];
  allowRead: string[];
}

/** What is wrong with the merged sandbox settings, for hookpack's state (empty: nothing). */
export function claudeSandboxProblems(sandbox: Json, ctx: SandboxDoctorContext): SandboxView {
  const problems: string[] = [];
  const fs = (sandbox.filesystem ?? {}) as Json;
  const hh = ctx.hookpackHome;
  const denyRead = strings(fs.denyRead)
    .map((p) => absolutePath(p, ctx))
    .filter((p): p is string => p !== undefined);
  const denyWrite = strings(fs.denyWrite)
    .map((p) => absolutePath(p, ctx))
    .filter((p): p is string => p !== undefined);
  const allowRead = strings(fs.allowRead)
    .map((p) => absolutePath(p, ctx))
    .filter((p): p is string => p !== undefined);
  if (sandbox.enabled !== true) problems.push("sandbox.enabled is not true");
  if (sandbox.failIfUnavailable !== true)
    problems.push(
      "sandbox.failIfUnavailable is not true (commands run unsandboxed when the sandbox cannot start)",
    );
  if (sandbox.allowUnsandboxedCommands !== false)
    problems.push(
      "sandbox.allowUnsandboxedCommands is not false (the agent can ask to run a command outside the sandbox)",
    );
  if (!denyRead.some((d) => within(hh, d)))
    problems.push(`sandbox.filesystem.denyRead does not cover ${claudePath(hh, ctx.home)}`);
  if (!denyWrite.some((d) => within(hh, d)))
    problems.push(`sandbox.filesystem.denyWrite does not cover ${claudePath(hh, ctx.home)}`);
  const allowed = [join(hh, "runtime"), join(hh, "run")];
  for (const a of allowRead) {
    if ((within(a, hh) || within(hh, a)) && !allowed.some((ok) => within(a, ok)))
      problems.push(
        `sandbox.filesystem.allowRead re-opens ${claudePath(a, ctx.home)} inside hookpack's directory`,
      );
  }
  // The entries install adds for the agent's own hook settings (denyWrite: a sandboxed command
  // could otherwise switch hookpack off) and the agents' credentials and transcripts (denyRead):
  // each missing one, or re-opened by allowRead, is reported (sec8). At their moved places too.
  const relocated = relocatedDirs(ctx.env);
  const abs = (list: readonly string[]) =>
    withRelocatedEntries(list, relocated, ctx.home)
      .map((p) => absolutePath(p, ctx))
      .filter((p): p is string => p !== undefined);
  const unwritable = abs(HOOK_SETTINGS_USER).filter((f) => !denyWrite.some((d) => within(f, d)));
  if (unwritable.length > 0)
    problems.push(
      `sandbox.filesystem.denyWrite does not cover the hook settings ${unwritable.map((f) => claudePath(f, ctx.home)).join(", ")}`,
    );
  const rawWrite = strings(fs.denyWrite);
  if (
    ctx.projectSandbox === true &&
    HOOK_SETTINGS_PROJECT.some(
      (g) => !rawWrite.includes(g) && !denyWrite.some((d) => within(join(ctx.root, g.slice(3)), d)),
    )
  )
    problems.push(
      `sandbox.filesystem.denyWrite does not cover the project's hook settings (${HOOK_SETTINGS_PROJECT.join(", ")})`,
    );
  const creds = abs(AGENT_STATE_FILES);
  const unread = creds.filter((f) => !denyRead.some((d) => within(f, d)));
  if (unread.length > 0)
    problems.push(
      `sandbox.filesystem.denyRead does not cover the agents' credentials or transcripts ${unread.map((f) => claudePath(f, ctx.home)).join(", ")}`,
    );
  const reopened = creds.filter((f) => allowRead.some((a) => within(f, a) || within(a, f)));
  if (reopened.length > 0)
    problems.push(
      `sandbox.filesystem.allowRead re-opens ${reopened.map((f) => claudePath(f, ctx.home)).join(", ")}`,
    );
  problems.push(...sandboxWeaknesses({ sandbox }));
  return { problems, denyRead, allowRead };
}

/** A regular file inside HOOKPACK_HOME (outside the runtime) to probe with; never read by hookpack itself. */
function canary(hh: string): string | undefined {
  for (const name of [
    "installs.json",
    "store.json",
    "key",
    "audit.key",
    "hook-cache.json",
    "hook-cache.v5",
  ]) {
    const p = join(hh, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* absent */
    }
  }
  try {
    for (const name of readdirSync(hh)) {
      const p = join(hh, name);
      if (name !== "runtime" && statSync(p).isFile()) return p;
    }
  } catch {
    /* unreadable */
  }
  return undefined;
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const d of (env.PATH ?? "").split(delimiter).filter(Boolean))
    if (existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
}

export interface ProbeResult {
  /** "contained": the canary could not be read; "read": it could; "cannot-run": bubblewrap did not start. */
  outcome: "contained" | "read" | "cannot-run" | "skipped";
  detail: string;
}

/**
 * Reads `file` through bubblewrap with the filesystem view the settings describe (each denied
 * directory under a fresh tmpfs, each allowRead re-bound read-only, no network), the way Claude
 * Code's Linux sandbox builds it. The probe never prints the file: only whether `cat` succeeded.
 */
export function probeRead(
  file: string,
  view: Pick<SandboxView, "denyRead" | "allowRead">,
  env: NodeJS.ProcessEnv,
): ProbeResult {
  const bwrap = onPath("bwrap", env);
  if (!bwrap) return { outcome: "cannot-run", detail: "bwrap is not on PATH" };
  const args = [
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--unshare-net",
    "--unshare-pid",
    "--die-with-parent",
  ];
  const dirs = view.denyRead
    .filter((d) => existsSync(d))
    .sort((a, b) => a.split("/").length - b.split("/").length);
  for (const d of dirs) {
    if (statSync(d).isDirectory()) args.push("--tmpfs", d);
    else args.push("--ro-bind", "/dev/null", d);
    for (const a of view.allowRead)
      if (within(a, d) && a !== d && existsSync(a)) args.push("--ro-bind", a, a);
  }
  const r = spawnSync(
    bwrap,
    [
      ...args,
      "--",
      "/bin/sh",
      "-c",
      'cat -- "$1" >/dev/null 2>&1 && echo READ || echo DENIED',
      "probe",
      file,
    ],
    { encoding: "utf8", timeout: 10_000, env: { PATH: env.PATH ?? "/usr/bin:/bin" } },
  );
  const out = (r.stdout ?? "").trim();
  if (out === "DENIED") return { outcome: "contained", detail: "the probe could not read it" };
  if (out === "READ") return { outcome: "read", detail: "the probe read it" };
  const why =
    (r.stderr ?? "")
      .trim()
      .split("\n")[0]
      ?.replace(/^bwrap: /, "") ||
    r.error?.message ||
    `exit ${r.status}`;
  return { outcome: "cannot-run", detail: `bubblewrap did not start (${why})` };
}

/** Codex: whether the layers select hookpack's permission profile with HOOKPACK_HOME denied, and a probe through `codex sandbox`. */
function codexSandbox(ctx: SandboxDoctorContext): {
  state: AgentProtection["sandbox"];
  reasons: string[];
} {
  const files = [codexConfigPath("user", ctx), codexConfigPath("project", ctx)];
  const layers: Json[] = [];
  for (const f of files) {
    const text = readIfExists(f);
    if (!text) continue;
    try {
      layers.push(readToml(text, f));
    } catch {
      return { state: "broken", reasons: [`${f} is not valid TOML`] };
    }
  }
  const selected = layers
    .map((l) => l.default_permissions)
    .filter((v) => v !== undefined)
    .at(-1);
  if (selected === undefined)
    return {
      state: "absent",
      reasons: [
        "Codex selects no permission profile that keeps its commands out of hookpack's directory",
      ],
    };
  const problems: string[] = [];
  if (layers.some((l) => l.sandbox_mode !== undefined))
    problems.push("a config layer sets sandbox_mode, so Codex ignores permission profiles");
  if (selected !== CODEX_PROFILE)
    problems.push(`default_permissions selects "${String(selected)}", not hookpack's profile`);
  const fsTable =
    layers
      .map(
        (l) =>
          ((l.permissions as Json | undefined)?.[CODEX_PROFILE] as Json | undefined)?.filesystem as
            Json | undefined,
      )
      .filter(Boolean)
      .at(-1) ?? {};
  const denied = Object.entries(fsTable).some(
    ([path, access]) => access === "none" && isAbsolute(path) && within(ctx.hookpackHome, path),
  );
  if (!denied) problems.push(`the profile does not deny ${ctx.hookpackHome} ("none")`);
  // The agents' credentials that exist now (install lists those): the most specific entry that
  // covers each must be "none" (sec8; the moved $CODEX_HOME / $CLAUDE_CONFIG_DIR too).
  const relocated = relocatedDirs(ctx.env);
  const entries = Object.entries(fsTable).filter(([path]) => isAbsolute(path));
  const access = (file: string) =>
    entries
      .filter(([path]) => within(file, path))
      .sort((a, b) => b[0].length - a[0].length)[0]?.[1];
  const credentials = withRelocatedEntries(
    AGENT_STATE_FILES.filter((f) => /credentials|auth\.json|\.claude\.json$/.test(f)),
    relocated,
    ctx.home,
  )
    .map((f) => (f.startsWith("~/") ? join(ctx.home, f.slice(2)) : f))
    .filter((f) => existsSync(f));
  const open = credentials.filter((f) => access(f) !== "none");
  if (open.length > 0)
    problems.push(
      `the profile does not deny the agents' credentials ${open.map((f) => claudePath(f, ctx.home)).join(", ")} ("none")`,
    );
  // The folder that holds Codex's user hooks stays read-only (a sandboxed command could otherwise
  // move it away) when hookpack's hooks are there.
  const codexHome = relocated[".codex"] ?? join(ctx.home, ".codex");
  const hooks = readIfExists(join(codexHome, "hooks.json"));
  if (
    hooks !== null &&
    /hookpack/.test(hooks) &&
    !["read", "none"].includes(String(access(codexHome)))
  )
    problems.push(
      `the profile does not keep ${claudePath(codexHome, ctx.home)} read-only ("read")`,
    );
  if (problems.length > 0) return { state: "broken", reasons: problems };
  const codex = onPath("codex", ctx.env);
  const file = canary(ctx.hookpackHome);
  if (ctx.probe === false || !codex || !file)
    return {
      state: "configured",
      reasons: [
        ctx.probe === false
          ? "configured (probe not run)"
          : !codex
            ? "configured (codex is not on PATH, so no probe)"
            : "configured (no file in HOOKPACK_HOME to probe with)",
      ],
    };
  const r = spawnSync(
    codex,
    [
      "sandbox",
      "-P",
      CODEX_PROFILE,
      "-C",
      ctx.root,
      "--",
      "/bin/sh",
      "-c",
      'cat -- "$1" >/dev/null 2>&1 && echo READ || echo DENIED',
      "probe",
      file,
    ],
    { encoding: "utf8", timeout: 20_000, env: { ...ctx.env } },
  );
  const out = (r.stdout ?? "").trim().split("\n").at(-1);
  if (out === "DENIED")
    return {
      state: "verified",
      reasons: [
        `a probe through \`codex sandbox -P ${CODEX_PROFILE}\` could not read ${claudePath(file, ctx.home)}`,
      ],
    };
  if (out === "READ")
    return {
      state: "broken",
      reasons: [
        `a probe through \`codex sandbox -P ${CODEX_PROFILE}\` read ${claudePath(file, ctx.home)}`,
      ],
    };
  return {
    state: "configured",
    reasons: [
      `configured (the probe through codex sandbox did not run: ${((r.stderr ?? "").trim().split("\n").at(-1) ?? "").slice(0, 160) || `exit ${r.status}`})`,
    ],
  };
}

function policyInjects(root: string): boolean {
  const text = readIfExists(join(root, "hookpack.json"));
  if (!text) return false;
  try {
    const secrets = (JSON.parse(text) as { secrets?: Record<string, unknown> }).secrets ?? {};
    return Object.values(secrets).some(
      (s) =>
        s !== null && typeof s === "object" && (s as { inject?: unknown }).inject !== undefined,
    );
  } catch {
    return false;
  }
}

/** Protection per agent with hooks installed (`installed`), plus Claude Code's sandbox checks. */
export function protectionChecks(
  ctx: SandboxDoctorContext,
  adapters: readonly Adapter[],
  installed: ReadonlySet<string>,
): { checks: Check[]; protection: AgentProtection[] } {
  const checks: Check[] = [];
  const protection: AgentProtection[] = [];
  const subject = ctx.root;
  const brokered = policyInjects(ctx.root);
  for (const adapter of adapters) {
    const id = adapter.id;
    const supported = (SANDBOX_AGENTS as readonly string[]).includes(id);
    const reasons: string[] = [];
    let sandbox: AgentProtection["sandbox"] =
      supported || id === "codex" ? "absent" : "unsupported";
    if (id === "codex") {
      if (!installed.has(id)) continue;
      const c = codexSandbox(ctx);
      sandbox = c.state;
      reasons.push(...c.reasons);
      if (sandbox === "verified" || sandbox === "configured")
        checks.push({
          id: "sandbox",
          status: "ok",
          subject,
          agent: id,
          message: `${adapter.displayName}: its permission profile keeps commands out of ${claudePath(ctx.hookpackHome, ctx.home)} and credential files (${reasons.join("; ")}).`,
        });
      else if (sandbox === "broken")
        checks.push({
          id: "sandbox",
          status: "warn",
          subject,
          agent: id,
          message: `${adapter.displayName}: its sandbox does not keep commands out of hookpack's state: ${reasons.join("; ")}.`,
          fix: `hookpack install --agent codex --sandbox (and remove sandbox_mode from every Codex config layer)`,
        });
      else
        checks.push({
          id: "sandbox",
          status: "info",
          subject,
          agent: id,
          message: `${adapter.displayName}: no permission profile keeps its commands out of ${claudePath(ctx.hookpackHome, ctx.home)}; against a hostile agent only the hooks' text checks hold.`,
          fix: "hookpack install --agent codex --sandbox",
        });
    } else if (supported) {
      const layers = claudeLayers(ctx);
      const bad = layers.find((l): l is { file: string; error: string } => "error" in l);
      const merged = mergedSandbox(
        layers.filter((l): l is { file: string; value: Json } => "value" in l).map((l) => l.value),
      );
      const touched = Object.keys(merged).length > 0;
      if (!installed.has(id) && !touched) continue;
      if (bad) {
        sandbox = "broken";
        reasons.push(`a settings file cannot be read (${bad.file})`);
      } else if (!touched || merged.enabled !== true) {
        reasons.push("Claude Code's sandbox is not enabled");
      } else {
        const projectSandbox = layers.some(
          (l) => "value" in l && l.file.startsWith(`${ctx.root}/`) && l.value.sandbox !== undefined,
        );
        const view = claudeSandboxProblems(merged, { ...ctx, projectSandbox });
        const missing = missingSandboxPrograms(ctx.env, ctx.platform ?? process.platform);
        if (missing.length > 0)
          view.problems.push(
            `${missing.join(" and ")} not found on PATH (Claude Code's Linux sandbox needs them)`,
          );
        if (view.problems.length > 0) {
          sandbox = "broken";
          reasons.push(...view.problems);
        } else if ((ctx.platform ?? process.platform) === "linux" && ctx.probe !== false) {
          const file = canary(ctx.hookpackHome);
          const probe = file
            ? probeRead(file, view, ctx.env)
            : { outcome: "skipped" as const, detail: "no file in HOOKPACK_HOME to probe with" };
          if (probe.outcome === "contained") {
            sandbox = "verified";
            reasons.push(
              `a probe through bubblewrap could not read ${claudePath(file!, ctx.home)}`,
            );
          } else if (probe.outcome === "skipped") {
            sandbox = "configured";
            reasons.push(probe.detail);
          } else {
            sandbox = "broken";
            reasons.push(
              probe.outcome === "read"
                ? `a probe through bubblewrap read ${claudePath(file!, ctx.home)}`
                : probe.detail,
            );
          }
        } else {
          sandbox = "configured";
          reasons.push("configured (the probe runs on Linux only)");
        }
      }
      if (sandbox === "verified" || sandbox === "configured") {
        checks.push({
          id: "sandbox",
          status: "ok",
          subject,
          agent: id,
          message: `${adapter.displayName}: its sandbox keeps commands out of ${claudePath(ctx.hookpackHome, ctx.home)} and credential files (${reasons.join("; ")}).`,
        });
      } else if (sandbox === "broken") {
        checks.push({
          id: "sandbox",
          status: "warn",
          subject,
          agent: id,
          message: `${adapter.displayName}: its sandbox does not keep commands out of hookpack's state: ${reasons.join("; ")}.`,
          fix: `hookpack install --agent ${id} --sandbox (and remove the settings named above that weaken it)`,
        });
      } else {
        checks.push({
          id: "sandbox",
          status: "info",
          subject,
          agent: id,
          message: `${adapter.displayName}: no sandbox keeps its commands out of ${claudePath(ctx.hookpackHome, ctx.home)}; against a hostile agent only the hooks' text checks hold.`,
          fix: `hookpack install --agent ${id} --sandbox`,
        });
      }
    } else {
      if (!installed.has(id)) continue;
      reasons.push("hookpack cannot configure an OS sandbox for this agent");
    }
    const holds: ProtectionLevel[] = [];
    if (sandbox === "verified" || sandbox === "configured") holds.push("sandboxed");
    if (brokered) holds.push("brokered");
    holds.push("hooks only");
    protection.push({ subject, agent: id, protection: holds[0]!, holds, sandbox, reasons });
  }
  return { checks, protection };
}
