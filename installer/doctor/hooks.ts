// Per agent: where hookpack's hooks are registered, whether each registered command starts, and
// whether it answers the agent's own probe (Adapter.probe) as a healthy hookpack hook would.
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, relative } from "node:path";
import type { Adapter, ConfigLayout, ProbeAnswer, Scope } from "../../adapters/adapter.js";
import { groupCommands, isOurGroup } from "../flat-hooks.js";
import { readHookFiles } from "../hook-files.js";
import { tomlLayout, userFile } from "../install.js";
import { readJsonDocument } from "../json-edit.js";
import { readIfExists } from "../plan.js";
import { readToml } from "../toml-hooks.js";
import type { DoctorCheck, DoctorContext } from "./types.js";

interface Registration {
  scope: Scope;
  file: string;
  present: string[];
  missing: string[];
  commands: string[];
  disabled: boolean;
}

function readRegistrations(
  adapter: Adapter,
  layout: ConfigLayout,
  scope: Scope,
  file: string,
): Registration | { error: string } | undefined {
  if (layout.format === "hook-files") {
    const found = readHookFiles(adapter, file);
    return found && { scope, file, ...found, disabled: false };
  }
  const text = readIfExists(file);
  if (text === null) return undefined;
  let value: Record<string, unknown>;
  try {
    value =
      layout.format === "inline-toml" ? readToml(text, file) : readJsonDocument(text, file).value;
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
  return {
    scope,
    file,
    present,
    missing,
    commands: [...commands],
    disabled: value.disableAllHooks === true,
  };
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
export function resolveHookCommand(
  command: string,
  root: string,
  env: NodeJS.ProcessEnv,
  projectDirVariable: string | undefined,
): { problem?: string; node?: string; script?: string } {
  if (/(^|[\s/])(npx|bunx|pnpx)(\s|$)|\b(pnpm|yarn) dlx\b/.test(command))
    return {
      problem:
        "it goes through npx/dlx, which resolves the registry on every tool call and breaks offline",
    };
  const expand = (w: string) =>
    projectDirVariable
      ? w.split(`$${projectDirVariable}`).join(root).split(`\${${projectDirVariable}}`).join(root)
      : w;
  const words = shellWords(command).map(expand);
  // The user runtime's launcher (`node -e <launcher> <script>`, installer/runtime.ts): the script follows it.
  const [first, second] = words[1] === "-e" ? [words[0], words[3]] : words;
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
      return {
        problem: `${script} does not exist${script.includes("node_modules") ? " (run npm install)" : ""}`,
        node,
      };
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

/** Runs a hook command once, as the agent would (`/bin/sh -c`, the project as cwd), with `payload` on stdin. */
function runHookCommand(
  command: string,
  root: string,
  env: NodeJS.ProcessEnv,
  projectDirVariable: string | undefined,
  timeoutMs: number,
  payload: unknown,
): Promise<ProbeAnswer & { ms: number; signal?: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      ...(projectDirVariable ? { [projectDirVariable]: root } : {}),
    };
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: root,
      env: childEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ exitCode: -1, stdout, stderr: e.message, ms: performance.now() - started });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? -1,
        stdout,
        stderr,
        ms: performance.now() - started,
        ...(signal ? { signal } : {}),
      });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(payload));
  });
}

/** hookpack's own failure notice (hooks/failure-policy.ts): the hook could not check the call. */
const HOOKPACK_FAILED = /hookpack: [^\n]*Run `hookpack doctor`/;
const firstLine = (text: string) => text.trim().split("\n")[0] ?? "";

/**
 * Probes a registered hook command in its agent's own wire format (Adapter.probe): the harmless
 * call must be run as asked, with no failure notice from hookpack; the malformed one must be
 * rejected by name, which only a hook that reads this agent's payloads does.
 */
export async function runHookOnce(
  adapter: Pick<Adapter, "displayName" | "probe">,
  command: string,
  root: string,
  env: NodeJS.ProcessEnv,
  projectDirVariable: string | undefined,
  timeoutMs: number,
): Promise<HookRun> {
  const harmless = await runHookCommand(
    command,
    root,
    env,
    projectDirVariable,
    timeoutMs,
    adapter.probe.harmless(root),
  );
  const { ms } = harmless;
  if (harmless.signal)
    return {
      ok: false,
      ms,
      detail:
        harmless.signal === "SIGKILL"
          ? `timed out after ${timeoutMs} ms`
          : `killed by ${harmless.signal}`,
    };
  if (harmless.exitCode === -1 && harmless.stdout === "")
    return { ok: false, ms, detail: `it did not start: ${firstLine(harmless.stderr)}` };
  const refusal = adapter.probe.refusal(harmless);
  if (refusal)
    return {
      ok: false,
      ms,
      detail: `${refusal}${harmless.exitCode !== 0 && harmless.stderr.trim() ? ` (${firstLine(harmless.stderr)})` : ""}`,
    };
  if (HOOKPACK_FAILED.test(harmless.stderr))
    return {
      ok: false,
      ms,
      detail: `hookpack could not check the call and let it through: ${firstLine(harmless.stderr).replace(/^hookpack: /, "")}`,
    };
  const malformed = await runHookCommand(
    command,
    root,
    env,
    projectDirVariable,
    timeoutMs,
    adapter.probe.malformed(root),
  );
  if (!/hookpack:/.test(malformed.stdout + malformed.stderr)) {
    return {
      ok: false,
      ms,
      detail: `it did not reject a ${adapter.displayName} payload with its tool input missing, so it does not read ${adapter.displayName}'s payloads (a hook for another agent, or not hookpack)`,
    };
  }
  return { ok: true, ms, detail: "" };
}

const runtimeVersion = (command: string) =>
  /[/\\]runtime[/\\]([^/\\"']+)[/\\]hookpack\.cjs/.exec(command)?.[1];

export async function checkAgent(
  ctx: DoctorContext,
  adapter: Adapter,
  hookNodes: Map<string, string>,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const subject = ctx.root;
  // A user folder the environment moves ($CLAUDE_CONFIG_DIR, $CODEX_HOME) is where the agent reads
  // its user settings (installer/install.ts userFile; sec8).
  const fileOf = (s: Scope, rel: string) =>
    s === "user" ? userFile(rel, ctx) : join(ctx.root, rel);
  const shown = (file: string) =>
    !file.startsWith(`${ctx.root}/`) ? file : relative(ctx.root, file);
  const layouts = [adapter.config, tomlLayout(adapter)].filter(
    (l): l is ConfigLayout => l !== undefined,
  );
  const regs: Registration[] = [];
  const seen = new Set<string>();
  for (const scope of ["project", "local", "user"] as const) {
    for (const layout of layouts) {
      let file: string;
      try {
        file = fileOf(scope, layout.files[scope]);
      } catch (error) {
        out.push({
          id: "settings",
          status: "fail",
          subject,
          agent: adapter.id,
          scope,
          message: (error as Error).message
            .replace(/^hookpack: /, "")
            .replace(/; nothing was changed\.$/, "."),
          fix: (error as { hint?: string }).hint ?? "set the variable to an absolute path.",
        });
        continue;
      }
      // Some agents have no separate local layer: the same file serves two scopes.
      if (seen.has(file)) continue;
      seen.add(file);
      // Hooks left at the default place while the variable moves the agent's folder: the agent
      // does not read them (an install made without the variable; sec8).
      const usual = join(ctx.home, layout.files[scope]);
      if (scope === "user" && usual !== file) {
        const left = readRegistrations(adapter, layout, scope, usual);
        if (left && !("error" in left) && left.present.length > 0)
          out.push({
            id: "settings",
            status: "warn",
            subject,
            agent: adapter.id,
            scope,
            message: `hookpack's hooks are in ${usual}, which ${adapter.displayName} does not read while its folder is moved to ${dirname(file)}.`,
            fix: `run \`hookpack install --agent ${adapter.id} --scope user\` with the same environment the agent runs with.`,
          });
      }
      const r = readRegistrations(adapter, layout, scope, file);
      if (!r) continue;
      if ("error" in r) {
        out.push({
          id: "settings",
          status: "fail",
          subject,
          agent: adapter.id,
          scope,
          message: `${shown(file)} cannot be read: ${r.error}`,
          fix: `fix ${file} by hand (the agent cannot read it either).`,
        });
        continue;
      }
      if (r.disabled)
        out.push({
          id: "hooks-disabled",
          status: "fail",
          subject,
          agent: adapter.id,
          scope,
          message: `${shown(file)} sets "disableAllHooks": true, so no hook runs.`,
          fix: `remove "disableAllHooks" from ${file}.`,
        });
      if (r.present.length > 0) regs.push(r);
    }
  }
  if (regs.length === 0) {
    out.push({
      id: "hooks",
      status: "info",
      subject,
      agent: adapter.id,
      message: `${adapter.displayName}: not installed (${[...seen].map(shown).join(", ")}).`,
      fix: `hookpack install --agent ${adapter.id}`,
    });
    return out;
  }
  for (const r of regs) {
    if (r.missing.length > 0) {
      out.push({
        id: "hooks",
        status: "fail",
        subject,
        agent: adapter.id,
        scope: r.scope,
        message: `${adapter.displayName}: half-installed in ${shown(r.file)}: ${r.present.join(", ")} registered, ${r.missing.join(", ")} missing.`,
        fix: `hookpack install --agent ${adapter.id} --scope ${r.scope}`,
      });
    } else {
      out.push({
        id: "hooks",
        status: "ok",
        subject,
        agent: adapter.id,
        scope: r.scope,
        message: `${adapter.displayName}: hooks registered in ${shown(r.file)} (${r.present.join(", ")}).`,
      });
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
        out.push({
          id: "hook-command",
          status: "fail",
          subject,
          agent: adapter.id,
          scope: r.scope,
          message: `${adapter.displayName}: the hook command in ${shown(r.file)} cannot run: ${res.problem}.`,
          fix: `hookpack install --agent ${adapter.id} --scope ${r.scope}`,
        });
        continue;
      }
      out.push({
        id: "hook-command",
        status: "ok",
        subject,
        agent: adapter.id,
        scope: r.scope,
        message: `${adapter.displayName}: the hook command resolves without npx (${res.node}${res.script ? ` ${res.script}` : ""}).`,
      });
      if (res.node && !hookNodes.has(res.node))
        hookNodes.set(res.node, await nodeVersion(res.node, ctx.env));
      const rv = runtimeVersion(command);
      if (rv && rv !== ctx.version) {
        out.push({
          id: "hook-runtime-version",
          status: "warn",
          subject,
          agent: adapter.id,
          scope: r.scope,
          message: `${adapter.displayName}: the hooks run hookpack ${rv}; this is hookpack ${ctx.version}.`,
          fix: `hookpack install --agent ${adapter.id} --scope ${r.scope}`,
        });
      }
      if (ctx.runHooks !== false) {
        const run = await runHookOnce(
          adapter,
          command,
          ctx.root,
          ctx.env,
          pv,
          ctx.hookTimeoutMs ?? 15_000,
        );
        out.push(
          run.ok
            ? {
                id: "hook-runs",
                status: "ok",
                subject,
                agent: adapter.id,
                scope: r.scope,
                message: `${adapter.displayName}: the hook answered a harmless ${adapter.displayName} call in ${Math.round(run.ms)} ms, and read its payload.`,
              }
            : {
                id: "hook-runs",
                status: "fail",
                subject,
                agent: adapter.id,
                scope: r.scope,
                message: `${adapter.displayName}: the hook failed a harmless call: ${run.detail}.`,
                fix: `run it by hand to see why: echo '${JSON.stringify(adapter.probe.harmless(ctx.root))}' | ${command}; then \`hookpack install --agent ${adapter.id} --scope ${r.scope}\`.`,
              },
        );
      }
    }
  }
  return out;
}

function nodeVersion(node: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (node === process.execPath) return Promise.resolve(process.version);
  return new Promise((resolve) => {
    const c = spawn(node, ["-p", "process.version"], {
      env: { ...env, NODE_EXTRA_CA_CERTS: "" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    c.stdout.on("data", (b: Buffer) => (out += b.toString()));
    c.on("error", () => resolve(""));
    c.on("close", () => resolve(out.trim()));
  });
}
