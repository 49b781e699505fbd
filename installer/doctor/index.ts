// \`hookpack doctor\`: every check as data, one file per concern in this folder. Each check says
// what it looked at, what it found and, when something needs attention, one concrete fix. Reads
// files, asks git, opens the store and probes each registered hook command once in its agent's own
// wire format (Adapter.probe); never writes anything. The command (cli/commands/doctor.ts) does
// the wording around it and the exit code.
import { join } from "node:path";
import { ADAPTERS } from "../../adapters/index.js";
import type { SecretStore } from "../../broker/store.js";
import { readIfExists } from "../plan.js";
import { protectionChecks, type AgentProtection } from "../sandbox-doctor.js";
import { checkAider } from "./aider.js";
import { checkCodexTrust } from "./codex.js";
import { checkAgent } from "./hooks.js";
import { checkRelay } from "./relay.js";
import {
  checkHomePermissions,
  checkNode,
  checkSecrets,
  checkShellProfiles,
  checkStore,
} from "./machine.js";
import {
  checkIgnoreFiles,
  checkPrePush,
  checkStateFiles,
  checkUndeclared,
  isProject,
} from "./project.js";
import type { DoctorCheck, DoctorContext, DoctorReport } from "./types.js";

export type { CheckStatus, DoctorCheck, DoctorContext, DoctorReport } from "./types.js";
export { resolveHookCommand, runHookOnce, shellWords, type HookRun } from "./hooks.js";

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

async function projectChecks(
  ctx: DoctorContext,
  store: SecretStore | undefined,
  hookNodes: Map<string, string>,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const adapters = Object.values(ADAPTERS);
  for (const adapter of adapters) out.push(...(await checkAgent(ctx, adapter, hookNodes)));
  const aider = checkAider(ctx);
  // Agents you do not use are not a problem; no agent at all is (Aider counts once hookpack-shell is there).
  if (
    !out.some((c) => c.id === "hooks" && c.status !== "info") &&
    !aider.some((c) => c.id === "aider-shell" && c.status !== "warn")
  ) {
    out.unshift({
      id: "hooks",
      status: "warn",
      subject: ctx.root,
      message: `hookpack's hooks are not registered for any agent in this project (checked: ${adapters.map((a) => a.displayName).join(", ")}), so nothing stops a secret from reaching the model.`,
      fix: `hookpack install --agent ${adapters[0]!.id}`,
    });
  }
  out.push(...checkCodexTrust(ctx), ...aider, ...checkUndeclared(ctx, store));
  if (isProject(ctx.root))
    out.push(
      ...checkIgnoreFiles(ctx),
      ...checkPrePush(ctx),
      ...(await checkStateFiles(ctx, store)),
    );
  return out;
}

/** Every check, in a stable order: the machine, then each project (this one first), per agent. */
export async function runDoctor(
  ctx: DoctorContext,
  otherProjects: readonly string[] = [],
): Promise<DoctorReport> {
  const hookNodes = new Map<string, string>();
  const { store, checks: storeChecks } = await checkStore(ctx);
  const projects = [ctx.root, ...otherProjects.filter((p) => p !== ctx.root)];
  const perProject: DoctorCheck[] = [];
  const protection: AgentProtection[] = [];
  for (const root of projects) {
    const found = await projectChecks({ ...ctx, root }, store, hookNodes);
    const installed = new Set(
      found.filter((c) => c.id === "hooks" && c.status !== "info" && c.agent).map((c) => c.agent!),
    );
    const levels = protectionChecks(
      { ...ctx, root, probe: ctx.runHooks !== false },
      Object.values(ADAPTERS),
      installed,
    );
    perProject.push(...found, ...levels.checks);
    protection.push(...levels.protection);
  }
  const checks = [
    ...checkNode(ctx, hookNodes),
    ...checkHomePermissions(ctx),
    ...storeChecks,
    ...checkSecrets(ctx, store),
    ...checkShellProfiles(ctx),
    ...(await checkRelay(ctx)),
    ...perProject,
  ];
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
