// `hookpack doctor`: every check as data. Each check says what it looked at, what it found and,
// when something needs attention, one concrete fix. Reads files, asks git, opens the store and
// runs each registered hook command once with a harmless payload; never writes anything.
// The command (cli/commands/doctor.ts) does the wording around it and the exit code.
import { hookCachePath, loadHookCache } from "../broker/hook-cache.js";
import { spawn } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, relative } from "node:path";
import fg from "fast-glob";
import type { Adapter, ConfigLayout, Scope } from "../adapters/adapter.js";
import { ADAPTERS } from "../adapters/index.js";
import { entrySecrets, readAuditLog } from "../broker/audit-verify.js";
import { loadKeyring } from "../broker/keys.js";
import { openStore, type SecretStore } from "../broker/store.js";
import { createValueMatcher, type ManagedValue } from "../rules/managed-values.js";
import { describeFinding, secretScanner } from "../rules/secretlint.js";
import { STATE_PATHS } from "../rules/state-catalog.js";
import { groupCommands, isOurGroup } from "./agent-settings.js";
import { readHookFiles } from "./hook-files.js";
import { HookpackError } from "./errors.js";
import { planGitHook } from "./git-hook.js";
import { findBlock, planIgnoreFiles } from "./ignore-files.js";
import { readJsonDocument } from "./json-edit.js";
import { readIfExists } from "./plan.js";
import { shellWrapperPath, tomlLayout } from "./install.js";
import { shellQuote } from "./runtime.js";
import { readToml } from "./toml-hooks.js";
import { protectionChecks, type AgentProtection } from "./sandbox-doctor.js";

export type CheckStatus = "ok" | "info" | "warn" | "fail";

export interface DoctorCheck {
  /** Stable id: "node", "store", "audit-log", "hooks", "hook-runs", "ignore-files", … */
  id: string;
  status: CheckStatus;
  /** "machine", or the project directory the check is about. */
  subject: string;
  agent?: string;
  scope?: Scope;
  /** One line: what was found. */
  message: string;
  /** One concrete next step, present whenever status is warn or fail. */
  fix?: string;
}

export interface DoctorContext {
  /** The project to check (git top level or cwd). */
  root: string;
  home: string;
  hookpackHome: string;
  env: NodeJS.ProcessEnv;
  version: string;
  distDir: string;
  nodePath: string;
  /** Run each registered hook command (default true). */
  runHooks?: boolean;
  hookTimeoutMs?: number;
}

export interface DoctorReport {
  version: 1;
  hookpack: string;
  node: string;
  hookpackHome: string;
  projects: string[];
  checks: DoctorCheck[];
  /** Per project and installed agent: what holds against a hostile agent (installer/sandbox-doctor.ts). */
  protection: AgentProtection[];
  /** Checks with status warn or fail. */
  attention: number;
}

const MACHINE = "machine";

// ── machine ──

function nodeMajor(v: string): number {
  return Number(/^v?(\d+)/.exec(v)?.[1] ?? 0);
}

function checkNode(ctx: DoctorContext, hookNodes: ReadonlyMap<string, string>): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const [maj, min] = process.versions.node.split(".").map(Number) as [number, number];
  if (maj < 20 || (maj === 20 && min < 19)) {
    out.push({ id: "node", status: "fail", subject: MACHINE, message: `Node ${process.version} is older than hookpack needs (>= 20.19).`, fix: "install Node 22 LTS (or at least 20.19) and run `hookpack install` again with it." });
  } else out.push({ id: "node", status: "ok", subject: MACHINE, message: `Node ${process.version}.` });
  if (ctx.env.NODE_EXTRA_CA_CERTS) {
    const slow = [...hookNodes].filter(([, v]) => nodeMajor(v) === 20);
    if (slow.length > 0 || (hookNodes.size === 0 && maj === 20)) {
      out.push({
        id: "node-extra-ca-certs",
        status: "warn",
        subject: MACHINE,
        message: `NODE_EXTRA_CA_CERTS is set and the hooks run on Node 20${slow.length ? ` (${slow.map(([p]) => p).join(", ")})` : ""}: Node 20 loads the bundle at every start, about +47 ms on every tool call.`,
        fix: "run the hooks on Node 22 or newer (install it, then `hookpack install` again with it), or unset NODE_EXTRA_CA_CERTS in the environment that starts the agent.",
      });
    }
  }
  return out;
}

function checkHomePermissions(ctx: DoctorContext): DoctorCheck[] {
  try {
    const mode = statSync(ctx.hookpackHome).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      // The key and store files inside are 0600 (checked with the store); a listable directory only shows names.
      return [{ id: "home-permissions", status: "info", subject: MACHINE, message: `${ctx.hookpackHome} can be listed by other users (mode ${mode.toString(8)}); the files in it are private. \`chmod 700 ${ctx.hookpackHome}\` hides the names too.` }];
    }
    return [];
  } catch {
    return [];
  }
}

interface StoreState {
  store: SecretStore | undefined;
  checks: DoctorCheck[];
}

async function checkStore(ctx: DoctorContext): Promise<StoreState> {
  const checks: DoctorCheck[] = [];
  let store: SecretStore | undefined;
  try {
    // No prompt: doctor never asks for a passphrase (HOOKPACK_PASSPHRASE is honoured).
    store = await openStore({ home: ctx.hookpackHome, env: ctx.env });
  } catch (error) {
    if (error instanceof HookpackError && error.code === "PASSPHRASE_REQUIRED") {
      checks.push({ id: "store", status: "info", subject: MACHINE, message: "the secret store is protected by a passphrase; doctor did not unlock it (set HOOKPACK_PASSPHRASE to include it)." });
      return { store, checks };
    }
    const e = error as HookpackError;
    checks.push({ id: "store", status: "fail", subject: MACHINE, message: (e.message ?? String(error)).replace(/^hookpack: /, ""), fix: e.hint ?? "see the message above." });
    return { store, checks };
  }
  if (!store) {
    checks.push({ id: "store", status: "info", subject: MACHINE, message: `no secret store yet in ${ctx.hookpackHome} (\`hookpack secret set NAME\` creates it).` });
    if ((ctx.env.HOOKPACK_KEY_BACKEND ?? "auto") !== "file" && !loadKeyring({ home: ctx.hookpackHome, env: ctx.env })) {
      checks.push({ id: "keychain", status: "info", subject: MACHINE, message: "the optional @napi-rs/keyring module is not available: a new store's key will go to a 0600 key file instead of the OS keychain." });
    }
    return { store, checks };
  }
  const where = { keychain: "in the OS keychain", file: "in a 0600 key file", passphrase: "derived from your passphrase" }[store.keyInfo.backend];
  checks.push({ id: "store", status: "ok", subject: MACHINE, message: `secret store ${store.path}: ${store.list().length} secret(s), integrity verified, key ${where}.` });
  if (store.keyInfo.backend === "keychain") checks.push({ id: "keychain", status: "ok", subject: MACHINE, message: "the OS keychain answered and holds the store's key." });
  // The hooks and scanners find stored secrets only through the hook cache (hashes, no values).
  if (store.list().length > 0) {
    const cache = loadHookCache(ctx.hookpackHome);
    if (!cache) {
      checks.push({ id: "hook-cache", status: "warn", subject: MACHINE, message: `the hook cache (${hookCachePath(ctx.hookpackHome)}) is missing: hooks, pre-push and check-pack cannot recognise stored secrets in output or files.`, fix: "run `hookpack scan --state` once (it rebuilds the cache), or set any secret again." });
    } else if (cache.stale) {
      checks.push({ id: "hook-cache", status: "warn", subject: MACHINE, message: "the hook cache is older than the secret store: secrets changed since may go unrecognised in tool output.", fix: "set any secret again (`hookpack secret set NAME`): every store write rebuilds the cache." });
    } else {
      checks.push({ id: "hook-cache", status: "ok", subject: MACHINE, message: `the hook cache knows ${cache.matcher.names.length} stored secret(s), by hash only.` });
    }
  }
  return { store, checks };
}

function checkSecrets(ctx: DoctorContext, store: SecretStore | undefined): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const { records, verification: v } = readAuditLog(ctx.hookpackHome);
  if (v.lines === 0 && v.problems.length === 0) out.push({ id: "audit-log", status: "info", subject: MACHINE, message: "the audit log is empty so far." });
  else if (v.ok) out.push({ id: "audit-log", status: "ok", subject: MACHINE, message: `audit log verified: ${v.verified} entries, chain and head anchor intact.` });
  else {
    const p = v.problems[0]!;
    out.push({ id: "audit-log", status: "fail", subject: MACHINE, message: `the audit log fails verification (${v.problems.length} problem(s)); first: ${p.message}.`, fix: `run \`hookpack audit --verify\`; keep a copy of ${v.dir} as evidence, and consider secrets used in that period exposed.` });
  }
  for (const m of store?.list() ?? []) {
    if (m.revoked) {
      out.push({ id: "secret-revoked", status: "warn", subject: MACHINE, message: `${m.name} is revoked (since ${m.revoked}): every reference to it is refused.`, fix: `rotate it at the source, then \`hookpack secret set ${m.name}\` (or \`hookpack secret rm ${m.name}\` if it is no longer needed).` });
      continue;
    }
    const exposures = records.filter((r) => r.kind === "exposure-found" && entrySecrets(r).includes(m.name) && r.ts > m.updated);
    if (exposures.length > 0) {
      const last = exposures[exposures.length - 1]!;
      out.push({
        id: "secret-exposed",
        status: "fail",
        subject: MACHINE,
        message: `${m.name} was exposed ${exposures.length}× since it was last set (last: ${(last as { where?: string }).where ?? "?"}, ${last.ts}).`,
        fix: `\`hookpack revoke ${m.name}\`, then rotate it at the source as it says.`,
      });
    }
  }
  return out;
}

// ── agents ──

interface Registration {
  scope: Scope;
  file: string;
  present: string[];
  missing: string[];
  commands: string[];
  disabled: boolean;
}

function readRegistrations(adapter: Adapter, layout: ConfigLayout, scope: Scope, file: string): Registration | { error: string } | undefined {
  if (layout.format === "hook-files") {
    const found = readHookFiles(adapter, file);
    return found && { scope, file, ...found, disabled: false };
  }
  const text = readIfExists(file);
  if (text === null) return undefined;
  let value: Record<string, unknown>;
  try {
    value = layout.format === "inline-toml" ? readToml(text, file) : readJsonDocument(text, file).value;
  } catch (error) {
    return { error: (error as Error).message.replace(/^hookpack: /, "") };
  }
  const hooks = (value.hooks ?? {}) as Record<string, unknown>;
  const present: string[] = [];
  const missing: string[] = [];
  const commands = new Set<string>();
  for (const reg of adapter.config.registrations) {
    const groups = Array.isArray(hooks[reg.event]) ? (hooks[reg.event] as unknown[]) : [];
    const ours = groups.filter((g) => isOurGroup(g, adapter.id));
    if (ours.length > 0) present.push(reg.event);
    else missing.push(reg.event);
    for (const g of ours) for (const c of groupCommands(g)) commands.add(c);
  }
  return { scope, file, present, missing, commands: [...commands], disabled: value.disableAllHooks === true };
}

/** Splits a POSIX command line into words (double and single quotes, backslash escapes; no expansion). */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let cur = "";
  let started = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      cur += command.slice(i + 1, end === -1 ? undefined : end);
      i = end === -1 ? command.length : end;
      started = true;
    } else if (c === '"') {
      i++;
      for (; i < command.length && command[i] !== '"'; i++) {
        if (command[i] === "\\" && /["\\$`]/.test(command[i + 1] ?? "")) i++;
        cur += command[i];
      }
      started = true;
    } else if (c === "\\") {
      cur += command[++i] ?? "";
      started = true;
    } else if (/\s/.test(c)) {
      if (started) words.push(cur);
      cur = "";
      started = false;
    } else {
      cur += c;
      started = true;
    }
  }
  if (started) words.push(cur);
  return words;
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Why a hook command would not start, or undefined when its node and script are there. */
export function resolveHookCommand(command: string, root: string, env: NodeJS.ProcessEnv, projectDirVariable: string | undefined): { problem?: string; node?: string; script?: string } {
  if (/(^|[\s/])(npx|bunx|pnpx)(\s|$)|\b(pnpm|yarn) dlx\b/.test(command)) return { problem: "it goes through npx/dlx, which resolves the registry on every tool call and breaks offline" };
  const expand = (w: string) => (projectDirVariable ? w.split(`$${projectDirVariable}`).join(root).split(`\${${projectDirVariable}}`).join(root) : w);
  const words = shellWords(command).map(expand);
  const [first, second] = words;
  if (!first) return { problem: "it is empty" };
  const node = isAbsolute(first) ? first : onPath(first, env);
  if (!node) return { problem: `\`${first}\` is not on the PATH the agent gives its hooks` };
  try {
    accessSync(node, constants.X_OK);
  } catch {
    return { problem: `${node} does not exist or is not executable (node removed or upgraded?)` };
  }
  if (/node(\.exe)?$/.test(node) && second) {
    const script = isAbsolute(second) ? second : join(root, second);
    try {
      statSync(script);
    } catch {
      return { problem: `${script} does not exist${script.includes("node_modules") ? " (run npm install)" : ""}`, node };
    }
    return { node, script };
  }
  return { node };
}

export interface HookRun {
  ok: boolean;
  ms: number;
  detail: string;
}

/** Runs a registered hook command once, as the agent would, with a harmless PreToolUse payload. */
export function runHookOnce(command: string, root: string, env: NodeJS.ProcessEnv, projectDirVariable: string | undefined, timeoutMs: number): Promise<HookRun> {
  const payload = JSON.stringify({
    session_id: "hookpack-doctor",
    transcript_path: join(root, ".hookpack-doctor.jsonl"),
    cwd: root,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "true", description: "hookpack doctor: harmless probe" },
    tool_use_id: "toolu_hookpack_doctor",
  });
  return new Promise((resolve) => {
    const started = performance.now();
    const childEnv: NodeJS.ProcessEnv = { ...env, ...(projectDirVariable ? { [projectDirVariable]: root } : {}) };
    const child = spawn("/bin/sh", ["-c", command], { cwd: root, env: childEnv, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ ok: false, ms: performance.now() - started, detail: e.message });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const firstErr = err.trim().split("\n")[0] ?? "";
      if (signal) return resolve({ ok: false, ms, detail: signal === "SIGKILL" ? `timed out after ${timeoutMs} ms` : `killed by ${signal}` });
      if (code !== 0) return resolve({ ok: false, ms, detail: `exit ${code}${firstErr ? `: ${firstErr}` : ""}` });
      if (out.trim()) {
        try {
          const parsed = JSON.parse(out) as { hookSpecificOutput?: { permissionDecision?: string } };
          if (parsed.hookSpecificOutput?.permissionDecision === "deny") return resolve({ ok: false, ms, detail: "it denied a harmless `true` command" });
        } catch {
          return resolve({ ok: false, ms, detail: "it printed something that is not JSON on stdout (the agent would reject it)" });
        }
      }
      resolve({ ok: true, ms, detail: "" });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(payload);
  });
}

const runtimeVersion = (command: string) => /[/\\]runtime[/\\]([^/\\"']+)[/\\]hookpack\.cjs/.exec(command)?.[1];

async function checkAgent(ctx: DoctorContext, adapter: Adapter, hookNodes: Map<string, string>): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const subject = ctx.root;
  const base = (s: Scope) => (s === "user" ? ctx.home : ctx.root);
  const shown = (file: string) => (file.startsWith(`${ctx.home}/`) && !file.startsWith(`${ctx.root}/`) ? file : relative(ctx.root, file));
  const layouts = [adapter.config, tomlLayout(adapter)].filter((l): l is ConfigLayout => l !== undefined);
  const regs: Registration[] = [];
  const seen = new Set<string>();
  for (const scope of ["project", "local", "user"] as const) {
    for (const layout of layouts) {
      const file = join(base(scope), layout.files[scope]);
      // Some agents have no separate local layer: the same file serves two scopes.
      if (seen.has(file)) continue;
      seen.add(file);
      const r = readRegistrations(adapter, layout, scope, file);
      if (!r) continue;
      if ("error" in r) {
        out.push({ id: "settings", status: "fail", subject, agent: adapter.id, scope, message: `${shown(file)} cannot be read: ${r.error}`, fix: `fix ${file} by hand (the agent cannot read it either).` });
        continue;
      }
      if (r.disabled) out.push({ id: "hooks-disabled", status: "fail", subject, agent: adapter.id, scope, message: `${shown(file)} sets "disableAllHooks": true, so no hook runs.`, fix: `remove "disableAllHooks" from ${file}.` });
      if (r.present.length > 0) regs.push(r);
    }
  }
  if (regs.length === 0) {
    out.push({ id: "hooks", status: "info", subject, agent: adapter.id, message: `${adapter.displayName}: not installed (${[...seen].map(shown).join(", ")}).`, fix: `hookpack install --agent ${adapter.id}` });
    return out;
  }
  for (const r of regs) {
    if (r.missing.length > 0) {
      out.push({ id: "hooks", status: "fail", subject, agent: adapter.id, scope: r.scope, message: `${adapter.displayName}: half-installed in ${shown(r.file)}: ${r.present.join(", ")} registered, ${r.missing.join(", ")} missing.`, fix: `hookpack install --agent ${adapter.id} --scope ${r.scope}` });
    } else {
      out.push({ id: "hooks", status: "ok", subject, agent: adapter.id, scope: r.scope, message: `${adapter.displayName}: hooks registered in ${shown(r.file)} (${r.present.join(", ")}).` });
    }
  }
  if (regs.length > 1) {
    const [keep, ...extra] = regs;
    out.push({
      id: "hooks-duplicated",
      status: "warn",
      subject,
      agent: adapter.id,
      message: `${adapter.displayName}: registered in ${regs.map((r) => shown(r.file)).join(" and ")}; every tool call runs hookpack ${regs.length} times in parallel, and rewrites can race.`,
      fix: `hookpack uninstall --agent ${adapter.id} --scope ${extra[0]!.scope} (keeps ${shown(keep!.file)})`,
    });
  }
  const pv = adapter.config.projectDirVariable;
  for (const r of regs) {
    for (const command of r.commands) {
      const res = resolveHookCommand(command, ctx.root, ctx.env, pv);
      if (res.problem) {
        out.push({ id: "hook-command", status: "fail", subject, agent: adapter.id, scope: r.scope, message: `${adapter.displayName}: the hook command in ${shown(r.file)} cannot run: ${res.problem}.`, fix: `hookpack install --agent ${adapter.id} --scope ${r.scope}` });
        continue;
      }
      out.push({ id: "hook-command", status: "ok", subject, agent: adapter.id, scope: r.scope, message: `${adapter.displayName}: the hook command resolves without npx (${res.node}${res.script ? ` ${res.script}` : ""}).` });
      if (res.node && !hookNodes.has(res.node)) hookNodes.set(res.node, await nodeVersion(res.node, ctx.env));
      const rv = runtimeVersion(command);
      if (rv && rv !== ctx.version) {
        out.push({ id: "hook-runtime-version", status: "warn", subject, agent: adapter.id, scope: r.scope, message: `${adapter.displayName}: the hooks run hookpack ${rv}; this is hookpack ${ctx.version}.`, fix: `hookpack install --agent ${adapter.id} --scope ${r.scope}` });
      }
      if (ctx.runHooks !== false) {
        const run = await runHookOnce(command, ctx.root, ctx.env, pv, ctx.hookTimeoutMs ?? 15_000);
        out.push(
          run.ok
            ? { id: "hook-runs", status: "ok", subject, agent: adapter.id, scope: r.scope, message: `${adapter.displayName}: the hook answered a harmless call in ${Math.round(run.ms)} ms.` }
            : { id: "hook-runs", status: "fail", subject, agent: adapter.id, scope: r.scope, message: `${adapter.displayName}: the hook failed a harmless call: ${run.detail}.`, fix: `run it by hand to see why: echo '{}' | ${command}; then \`hookpack install --agent ${adapter.id} --scope ${r.scope}\`.` },
        );
      }
    }
  }
  return out;
}

function nodeVersion(node: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (node === process.execPath) return Promise.resolve(process.version);
  return new Promise((resolve) => {
    const c = spawn(node, ["-p", "process.version"], { env: { ...env, NODE_EXTRA_CA_CERTS: "" }, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    c.stdout.on("data", (b: Buffer) => (out += b.toString()));
    c.on("error", () => resolve(""));
    c.on("close", () => resolve(out.trim()));
  });
}

// ── Codex: hooks are skipped silently until the user trusts them (reference §3.1) ──

function checkCodexTrust(ctx: DoctorContext): DoctorCheck[] {
  const codexHome = ctx.env.CODEX_HOME ?? join(ctx.home, ".codex");
  const sources = [join(ctx.root, ".codex", "hooks.json"), join(ctx.root, ".codex", "config.toml"), join(codexHome, "hooks.json"), join(codexHome, "config.toml")];
  const userConfig = readIfExists(join(codexHome, "config.toml")) ?? "";
  const out: DoctorCheck[] = [];
  if (/^\s*\[features\][^[]*^\s*(codex_)?hooks\s*=\s*false/m.test(userConfig)) {
    out.push({ id: "codex-hooks-disabled", status: "fail", subject: ctx.root, agent: "codex", message: `Codex hooks are switched off ([features] hooks = false in ${join(codexHome, "config.toml")}).`, fix: `remove that line from ${join(codexHome, "config.toml")}.` });
  }
  // Trust is recorded per hook: [hooks.state."<source>:<event>:<group>:<handler>"] trusted_hash = …
  const events = ADAPTERS.codex.config.registrations.map((r) => r.event);
  for (const src of sources) {
    const text = readIfExists(src);
    if (!text || !/hookpack/.test(text)) continue;
    const key = src.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
    const trustedFor = (event: string) => {
      const at = userConfig.indexOf(`[hooks.state."${key}:${event}:`);
      if (at === -1) return false;
      const next = userConfig.indexOf("\n[", at + 1);
      return /trusted_hash\s*=/.test(userConfig.slice(at, next === -1 ? undefined : next));
    };
    const untrusted = events.filter((e) => !trustedFor(e));
    out.push(
      untrusted.length === 0
        ? { id: "codex-trust", status: "ok", subject: ctx.root, agent: "codex", message: `Codex: hookpack's hooks in ${src} are trusted (${events.join(", ")}).` }
        : {
            id: "codex-trust",
            status: "warn",
            subject: ctx.root,
            agent: "codex",
            message: `Codex: hookpack's ${untrusted.join(", ")} ${untrusted.length > 1 ? "hooks" : "hook"} in ${src} ${untrusted.length > 1 ? "are" : "is"} not trusted yet; Codex skips untrusted hooks without a word.`,
            fix: `start \`codex\` in this project, run \`/hooks\` and trust hookpack's ${untrusted.join(", ")} ${untrusted.length > 1 ? "entries" : "entry"}.`,
          },
    );
  }
  return out;
}

// ── Aider: no hooks; protected only when started with hookpack-shell as its $SHELL ──

function checkAider(ctx: DoctorContext): DoctorCheck[] {
  let names: string[];
  try {
    names = readdirSync(ctx.root);
  } catch {
    return [];
  }
  const aiderFiles = names.filter((n) => n.startsWith(".aider") && n !== ".aiderignore");
  const ignoreText = readIfExists(join(ctx.root, ".aiderignore"));
  const installed = ignoreText !== null && findBlock(ignoreText) !== undefined;
  // Aider not used here, and never installed for: nothing to say.
  if (aiderFiles.length === 0 && !installed) return [];
  const out: DoctorCheck[] = [];
  const base = { subject: ctx.root, agent: "aider" };
  const seen = aiderFiles.length > 0 ? `Aider is used here (${aiderFiles.slice(0, 2).join(", ")})` : "Aider was set up here";
  const shell = shellWrapperPath(ctx);
  let runnable = false;
  try {
    accessSync(shell, constants.X_OK);
    runnable = true;
  } catch {
    runnable = false;
  }
  if (!runnable) {
    out.push({ id: "aider-shell", status: "warn", ...base, message: `${seen}, but hookpack-shell ${ctx.version} is not installed (${shell}); Aider's shell commands are not checked.`, fix: "hookpack install --agent aider" });
  } else if (ctx.env.SHELL === shell) {
    out.push({ id: "aider-shell", status: "ok", ...base, message: `${seen}; this environment's SHELL is hookpack-shell, so an Aider started from it is protected.` });
  } else {
    // Doctor cannot see how Aider gets started; say what protects it.
    out.push({ id: "aider-shell", status: "info", ...base, message: `${seen}. Aider has no hooks: it is protected only when started as SHELL=${shellQuote(shell)} aider.` });
  }
  out.push(
    installed
      ? { id: "aider-ignore", status: "ok", ...base, message: ".aiderignore keeps credential files out of Aider's reach." }
      : { id: "aider-ignore", status: "warn", ...base, message: "Aider reads files itself (/add, its repo map) and no .aiderignore block keeps .env and key files from it.", fix: "hookpack install --agent aider" },
  );
  return out;
}

// ── project hygiene ──

function isProject(root: string): boolean {
  return readIfExists(join(root, "package.json")) !== null || readIfExists(join(root, ".git", "HEAD")) !== null || readIfExists(join(root, ".git")) !== null;
}

function checkIgnoreFiles(ctx: DoctorContext): DoctorCheck[] {
  const { changes } = planIgnoreFiles(ctx.root);
  const pending = changes.filter((c) => c.before !== c.after);
  if (pending.length === 0) return [{ id: "ignore-files", status: "ok", subject: ctx.root, message: "ignore files keep agent state and credential files out of git and the package." }];
  return pending.map((c) => ({
    id: "ignore-files",
    status: "warn" as const,
    subject: ctx.root,
    message: `${relative(ctx.root, c.path)}: ${c.before === null ? "missing" : c.before.includes("# >>> hookpack") ? "hookpack's block is out of date" : "does not keep agent state out"} (${c.summary}).`,
    fix: "hookpack install --agent claude-code (adds the managed block), or add the lines `hookpack install --dry-run` shows.",
  }));
}

function checkPrePush(ctx: DoctorContext): DoctorCheck[] {
  const plan = planGitHook({ root: ctx.root, hookpackHome: ctx.hookpackHome, distDir: ctx.distDir, version: ctx.version, nodePath: ctx.nodePath, env: ctx.env });
  if (plan.mode === "none") return [{ id: "pre-push", status: "info", subject: ctx.root, message: "not a git work tree: no pre-push scan applies." }];
  if (plan.mode === "skipped") return [{ id: "pre-push", status: "warn", subject: ctx.root, message: `no pre-push scan: ${plan.notes[0] ?? "hookpack cannot install it here"}`, fix: plan.notes[0] ?? "add `hookpack pre-push \"$@\"` to your pre-push hook." }];
  const file = plan.file!;
  const hook = plan.changes.find((c) => c.path === file);
  const runtime = plan.changes.filter((c) => c.path !== file && c.path !== `${file}.hookpack-prev` && c.before !== c.after);
  const out: DoctorCheck[] = [];
  if (hook && hook.before !== hook.after) {
    const installed = hook.before !== null && /hookpack/.test(hook.before);
    out.push({
      id: "pre-push",
      status: "warn",
      subject: ctx.root,
      message: installed ? `the pre-push hook (${relative(ctx.root, file) || file}) runs an outdated hookpack command.` : `pushes are not scanned: ${relative(ctx.root, file) || file} ${hook.before === null ? "does not exist" : "does not run hookpack"}.`,
      fix: "hookpack install --agent claude-code (installs or refreshes the pre-push hook; a hook already there keeps running after it).",
    });
  } else {
    let executable = true;
    if (plan.mode === "hooks-dir") {
      try {
        executable = (statSync(file).mode & 0o111) !== 0;
      } catch {
        executable = false;
      }
    }
    out.push(
      executable
        ? { id: "pre-push", status: "ok", subject: ctx.root, message: `pushes are scanned (${plan.mode === "hooks-dir" ? relative(ctx.root, file) || file : plan.mode}).` }
        : { id: "pre-push", status: "fail", subject: ctx.root, message: `${file} is not executable, so git skips it.`, fix: `chmod +x ${file}` },
    );
  }
  if (runtime.length > 0) {
    out.push({ id: "runtime", status: "warn", subject: ctx.root, message: `the per-user hook runtime in ${dirname(runtime[0]!.path)} is missing or differs from hookpack ${ctx.version}.`, fix: "hookpack install --agent claude-code (copies the runtime again)." });
  }
  return out;
}

/** Agent state files in the project (the catalog's agent-state entries) that hold secret values. */
async function checkStateFiles(ctx: DoctorContext, store: SecretStore | undefined): Promise<DoctorCheck[]> {
  const patterns = STATE_PATHS.filter((e) => e.kind === "agent-state").map((e) => e.pattern.replace(/\/$/, "/**"));
  const files = await fg(patterns, { cwd: ctx.root, dot: true, caseSensitiveMatch: false, onlyFiles: true, deep: 6, ignore: ["**/node_modules/**", "**/.git/**"], absolute: true, suppressErrors: true });
  if (files.length === 0) return [{ id: "state-files", status: "ok", subject: ctx.root, message: "no agent state files in the project." }];
  const values: ManagedValue[] = [];
  for (const m of store?.list() ?? []) {
    if (m.provider.kind !== "store") continue;
    try {
      values.push({ name: m.name, value: store!.value(m.name) });
    } catch {
      // a damaged entry is reported by the store check
    }
  }
  const matcher = values.length ? createValueMatcher(values) : undefined;
  const out: DoctorCheck[] = [];
  let tracked = new Set<string>();
  try {
    const { execFileSync } = await import("node:child_process");
    tracked = new Set(execFileSync("git", ["ls-files", "-z", "--full-name", "--", ...files.map((f) => relative(ctx.root, f))], { cwd: ctx.root, env: ctx.env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\0").filter(Boolean));
  } catch {
    // not git
  }
  for (const file of files.slice(0, 200)) {
    const rel = relative(ctx.root, file);
    let text: string;
    try {
      if (statSync(file).size > 8 * 1024 * 1024) continue;
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const names = new Set<string>();
    for (const m of matcher?.find(text) ?? []) names.add(m.name);
    for (const f of await secretScanner.scan(text, rel)) names.add(describeFinding(f));
    if (names.size > 0) {
      out.push({
        id: "state-files",
        status: "fail",
        subject: ctx.root,
        message: `${rel} holds secret values (${[...names].join(", ")}); the agent reads this file and may send it to the model.`,
        fix: `remove those values from ${rel} (for an allow-list, delete the entries holding them), then \`hookpack revoke NAME\` for each managed secret it held.`,
      });
    }
    if (tracked.has(rel)) out.push({ id: "state-files-committed", status: "fail", subject: ctx.root, message: `${rel} is agent state and is committed to git.`, fix: `git rm --cached ${rel} && hookpack install --agent claude-code (ignores it from now on).` });
  }
  if (out.length === 0) out.push({ id: "state-files", status: "ok", subject: ctx.root, message: `${files.length} agent state file(s) checked; none holds a secret value.` });
  return out;
}

/** Projects hookpack was installed into, from $HOOKPACK_HOME/installs.json (settings files it wrote). */
export function installedProjects(ctx: Pick<DoctorContext, "hookpackHome" | "home">): string[] {
  const text = readIfExists(join(ctx.hookpackHome, "installs.json"));
  if (!text) return [];
  let files: string[];
  try {
    files = Object.keys((JSON.parse(text) as { files?: Record<string, unknown> }).files ?? {});
  } catch {
    return [];
  }
  const roots = new Set<string>();
  for (const f of files) {
    for (const adapter of Object.values(ADAPTERS)) {
      for (const scope of ["project", "local"] as const) {
        const suffix = `/${adapter.config.files[scope]}`;
        if (f.endsWith(suffix)) roots.add(f.slice(0, -suffix.length));
      }
    }
  }
  return [...roots].sort();
}

async function projectChecks(ctx: DoctorContext, store: SecretStore | undefined, hookNodes: Map<string, string>): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const adapters = Object.values(ADAPTERS);
  for (const adapter of adapters) out.push(...(await checkAgent(ctx, adapter, hookNodes)));
  const aider = checkAider(ctx);
  // Agents you do not use are not a problem; no agent at all is (Aider counts once hookpack-shell is there).
  if (!out.some((c) => c.id === "hooks" && c.status !== "info") && !aider.some((c) => c.id === "aider-shell" && c.status !== "warn")) {
    out.unshift({ id: "hooks", status: "warn", subject: ctx.root, message: `hookpack's hooks are not registered for any agent in this project (checked: ${adapters.map((a) => a.displayName).join(", ")}), so nothing stops a secret from reaching the model.`, fix: `hookpack install --agent ${adapters[0]!.id}` });
  }
  out.push(...checkCodexTrust(ctx), ...aider);
  if (isProject(ctx.root)) out.push(...checkIgnoreFiles(ctx), ...checkPrePush(ctx), ...(await checkStateFiles(ctx, store)));
  return out;
}

/** Every check, in a stable order: the machine, then each project (this one first), per agent. */
export async function runDoctor(ctx: DoctorContext, otherProjects: readonly string[] = []): Promise<DoctorReport> {
  const hookNodes = new Map<string, string>();
  const { store, checks: storeChecks } = await checkStore(ctx);
  const projects = [ctx.root, ...otherProjects.filter((p) => p !== ctx.root)];
  const perProject: DoctorCheck[] = [];
  const protection: AgentProtection[] = [];
  for (const root of projects) {
    const found = await projectChecks({ ...ctx, root }, store, hookNodes);
    const installed = new Set(found.filter((c) => c.id === "hooks" && c.status !== "info" && c.agent).map((c) => c.agent!));
    const levels = protectionChecks({ ...ctx, root, probe: ctx.runHooks !== false }, Object.values(ADAPTERS), installed);
    perProject.push(...found, ...levels.checks);
    protection.push(...levels.protection);
  }
  const checks = [...checkNode(ctx, hookNodes), ...checkHomePermissions(ctx), ...storeChecks, ...checkSecrets(ctx, store), ...perProject];
  return {
    version: 1,
    hookpack: ctx.version,
    node: process.version,
    hookpackHome: ctx.hookpackHome,
    projects,
    checks,
    protection,
    attention: checks.filter((c) => c.status === "warn" || c.status === "fail").length,
  };
}
