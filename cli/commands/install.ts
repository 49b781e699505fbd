// `hookpack install` and `hookpack uninstall`.
import { parseArgs } from "node:util";
import { dirname, relative, resolve as resolvePath } from "node:path";
import type { Adapter, Scope } from "../../adapters/adapter.js";
import { ADAPTERS } from "../../adapters/index.js";
import { AGENT_IDS, isAgentId } from "../../hooks/event.js";
import { HookpackError } from "../../core/errors.js";
import {
  aiderNotes,
  planInstall,
  planUninstall,
  type InstallContext,
} from "../../installer/install.js";
import { applyPlan, pending } from "../../installer/plan.js";
import {
  planRelayInstall,
  planRelayUninstall,
  RELAY_AGENTS,
  type RelayAgent,
} from "../../installer/relay-config.js";
import { packedStateReport } from "../../scanners/pack-list.js";
import { distDir, homeDir, hookpackHome, projectRoot, VERSION } from "../context.js";
import type { Command, Io } from "../io.js";

const SCOPES: readonly Scope[] = ["project", "local", "user"];
/** Product names people type for agents whose id is shorter. */
const AGENT_ALIASES: Record<string, string> = {
  "codex-cli": "codex",
  "gemini-cli": "gemini",
  "copilot-cli": "copilot",
  claude: "claude-code",
};
/** Agents without hooks, served by hookpack-shell instead of an adapter. */
const SHELL_AGENTS = ["aider"] as const;
const KNOWN = [...AGENT_IDS, ...SHELL_AGENTS].join(", ");

function parse(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      agent: { type: "string", multiple: true },
      scope: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "no-git-hook": { type: "boolean", default: false },
      "no-ignore-files": { type: "boolean", default: false },
      "publish-gate": { type: "boolean", default: false },
      sandbox: { type: "boolean", default: false },
      relay: { type: "boolean", default: false },
      "relay-upstream": { type: "string" },
      "relay-ca": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const ids = (values.agent ?? [])
    .flatMap((a) => a.split(","))
    .map((a) => a.trim())
    .filter(Boolean)
    .map((a) => AGENT_ALIASES[a] ?? a);
  if (ids.length === 0)
    throw new HookpackError("USAGE", `hookpack: --agent is required (one of: ${KNOWN}).`);
  const aider = ids.includes("aider");
  const adapters: Adapter[] = ids
    .filter((id) => id !== "aider")
    .map((id) => {
      if (!isAgentId(id))
        throw new HookpackError(
          "USAGE",
          `hookpack: unknown agent "${id}"; expected one of: ${KNOWN}.`,
        );
      return ADAPTERS[id];
    });
  const scope = values.scope;
  if (scope !== undefined && !(SCOPES as readonly string[]).includes(scope)) {
    throw new HookpackError(
      "USAGE",
      `hookpack: unknown scope "${scope}"; expected one of: ${SCOPES.join(", ")}.`,
    );
  }
  return {
    adapters,
    aider,
    scope: scope as Scope | undefined,
    dryRun: values["dry-run"] ?? false,
    gitHook: !values["no-git-hook"],
    ignoreFiles: !values["no-ignore-files"],
    publishGate: values["publish-gate"],
    sandbox: values.sandbox ?? false,
    relay: relayOptions(values, ids),
  };
}

/** `--relay` (installer/relay-config.ts): only for the agents whose base URL hookpack can set. */
function relayOptions(
  values: { relay?: boolean; "relay-upstream"?: string; "relay-ca"?: string },
  ids: readonly string[],
): { agents: RelayAgent[]; upstream?: string; caFile?: string } | undefined {
  if (!values.relay) {
    if (values["relay-upstream"] || values["relay-ca"])
      throw new HookpackError(
        "USAGE",
        "hookpack: --relay-upstream and --relay-ca go with --relay.",
        "add --relay, or leave them out.",
      );
    return undefined;
  }
  const other = ids.filter((id) => !(RELAY_AGENTS as readonly string[]).includes(id));
  if (other.length > 0)
    throw new HookpackError(
      "USAGE",
      `hookpack: --relay sets the model API's base URL of ${RELAY_AGENTS.join(", ")}; not of ${other.join(", ")}.`,
      `run it for those agents only, or start the others with \`hookpack run --relay -- <agent>\`.`,
    );
  return {
    agents: ids as RelayAgent[],
    ...(values["relay-upstream"] ? { upstream: values["relay-upstream"] } : {}),
    ...(values["relay-ca"] ? { caFile: resolvePath(values["relay-ca"]) } : {}),
  };
}

function context(io: Io): InstallContext {
  return {
    root: projectRoot(io),
    home: homeDir(io),
    hookpackHome: hookpackHome(io),
    distDir: distDir(),
    version: VERSION,
    nodePath: process.execPath,
    env: io.env,
  };
}

function report(
  io: Io,
  ctx: InstallContext,
  changes: ReturnType<typeof pending>,
  dryRun: boolean,
): void {
  const would = dryRun ? "would " : "";
  // The runtime copy is many bundles in one directory: one line for all of them.
  const runtime = changes.filter((c) => c.summary.startsWith("copy the hook runtime"));
  if (runtime.length > 0)
    io.out(
      `hookpack: ${would}copy the hook runtime (${runtime.length} files) to ${dirname(runtime[0]!.path)}\n`,
    );
  for (const c of changes) {
    if (runtime.includes(c)) continue;
    const where = c.path.startsWith(ctx.root) ? relative(ctx.root, c.path) : c.path;
    const verb = c.after === null ? "remove" : c.before === null ? "create" : "update";
    io.out(`hookpack: ${would}${verb} ${where}: ${c.summary}\n`);
  }
}

/** What the user must still do, per agent (the one step that otherwise hides in the notes). */
const AGENT_STEP: Partial<Record<string, string>> = {
  codex:
    "start `codex` here, type `/hooks` and trust the three hookpack entries: until then Codex runs none of them",
  gemini: "start Gemini CLI here and accept the hookpack hooks it asks about",
  copilot: "trust this folder in Copilot CLI: repository hooks load only there",
  cursor: "trust this workspace in Cursor (`cursor-agent --trust`)",
  opencode: "restart OpenCode: the plugin loads when it starts",
};

/** A short block at the end of install: the steps left, in order. */
function nextSteps(
  adapters: readonly Adapter[],
  applied: ReturnType<typeof pending>,
  ctx: InstallContext,
  aider: boolean,
): string {
  const steps: string[] = [];
  for (const a of adapters) {
    const step = AGENT_STEP[a.id];
    if (step) steps.push(`${a.displayName}: ${step}.`);
  }
  if (aider) steps.push("Aider: start it with the SHELL=… line above.");
  const committed = applied.filter(
    (c) =>
      c.after !== null &&
      c.path.startsWith(ctx.root) &&
      /(^|\/)(hookpack\.json|\.gitignore|\.claude\/settings\.json|\.gemini\/settings\.json|\.qwen\/settings\.json|\.github\/hooks\/hookpack\.json|\.cursor\/hooks\.json)$/.test(
        c.path,
      ),
  );
  if (committed.length > 0)
    steps.push(
      `commit ${committed.map((c) => relative(ctx.root, c.path)).join(", ")} so teammates get the same protection.`,
    );
  steps.push(
    'store a secret the agent may use: `printf %s "$TOKEN" | hookpack secret set NAME` (the agent writes $secret:NAME).',
  );
  steps.push("check the set-up: `hookpack doctor`.");
  return ["hookpack: next steps:", ...steps.map((t, i) => `hookpack:   ${i + 1}. ${t}`), ""].join(
    "\n",
  );
}

export const install: Command = {
  name: "install",
  options: [
    [
      "--agent <id>[,<id>…]",
      "claude-code, codex, gemini, copilot, cline, opencode, cursor, windsurf, qwen, aider",
    ],
    [
      "--scope project|local|user",
      "which settings file: committed, this checkout only, or all your projects",
    ],
    ["--dry-run", "print the plan; write nothing"],
    ["--no-git-hook", "do not install git's pre-push hook"],
    ["--no-ignore-files", "do not add the agent-state block to .gitignore and friends"],
    ["--publish-gate", "also run `hookpack check-pack .` in package.json's prepublishOnly"],
    [
      "--relay",
      "claude-code, codex, gemini: also point the agent's model API at hookpack's persistent relay (served by `hookpack broker start`)",
    ],
    ["--relay-upstream URL", "with --relay: forward to this https upstream instead of the agent's"],
    ["--relay-ca FILE", "with --relay: a PEM CA file also trusted for the upstream"],
  ],
  example: "hookpack install --agent claude-code",
  summary: "register hookpack's hooks in an agent's config",
  usage:
    "hookpack install --agent <id>[,<id>…] [--scope project|local|user] [--dry-run] [--no-git-hook] [--no-ignore-files] [--publish-gate] [--sandbox] [--relay [--relay-upstream URL] [--relay-ca FILE]]",
  async run(args, io) {
    const options = parse(args);
    const ctx = context(io);
    const { plan, notes, aiderCommand } = planInstall(options, ctx);
    const changes = pending(plan).filter(
      (c) => !c.path.endsWith("installs.json") || pending(plan).length > 1,
    );
    const aider = aiderCommand ? aiderNotes(aiderCommand) : [];
    // The relay's settings are planned after the hooks are written (both may edit one settings file).
    const relayStep = async () => {
      if (!options.relay) return;
      const r = await planRelayInstall(options.relay, { ...ctx, env: io.env });
      const relayChanges = pending(r.plan);
      report(io, ctx, options.dryRun ? relayChanges : applyPlan(r.plan), options.dryRun);
      for (const note of r.notes) io.out(`hookpack: ${note}\n`);
    };
    if (changes.length === 0) {
      io.out(`hookpack: already installed; nothing to change.\n`);
      for (const note of aider) io.out(`hookpack: ${note}\n`);
      await relayStep();
      return 0;
    }
    if (options.dryRun) {
      report(io, ctx, changes, true);
      io.out(await (await import("../../installer/plan.js")).planDiff(changes, ctx.root));
      for (const note of aider) io.out(`hookpack: ${note}\n`);
      await relayStep();
      return 0;
    }
    const applied = applyPlan(plan);
    report(io, ctx, applied, false);
    // The user ran install in their terminal: the project policy as it stands now is theirs.
    const { approvePolicy } = await import("../../broker/policy-approval.js");
    if (approvePolicy(ctx.hookpackHome, ctx.root))
      io.out(
        `hookpack: approved the project policy hookpack.json as it is now; later changes need \`hookpack policy approve\`.\n`,
      );
    for (const note of [...notes, ...aider]) io.out(`hookpack: ${note}\n`);
    await relayStep();
    if (options.ignoreFiles)
      for (const line of await packedStateReport(ctx.root, io.env)) io.out(`hookpack: ${line}\n`);
    io.out(nextSteps(options.adapters, applied, ctx, options.aider));
    return 0;
  },
};

export const uninstall: Command = {
  name: "uninstall",
  options: [
    ["--agent <id>[,<id>…]", "the agents to take hookpack out of"],
    ["--scope project|local|user", "the settings file install wrote"],
    ["--dry-run", "print the plan; write nothing"],
    ["--publish-gate", "also take check-pack out of prepublishOnly"],
    ["--relay", "take out only the relay settings install --relay wrote (no --scope: both)"],
  ],
  example: "hookpack uninstall --agent claude-code",
  summary: "remove exactly what install added",
  usage: "hookpack uninstall --agent <id>[,<id>…] [--scope project|local|user] [--dry-run]",
  async run(args, io) {
    const options = parse(args);
    const ctx = context(io);
    // The relay's settings are per user: `--relay` takes out only them; no --scope takes out both.
    const relayAgents = options.adapters
      .map((a) => a.id as string)
      .filter((id): id is RelayAgent => (RELAY_AGENTS as readonly string[]).includes(id));
    if (options.relay || options.scope === undefined) {
      const relayPlan = planRelayUninstall(relayAgents, { ...ctx, env: io.env });
      const relayChanges = pending(relayPlan);
      if (relayChanges.length > 0)
        report(io, ctx, options.dryRun ? relayChanges : applyPlan(relayPlan), options.dryRun);
      if (options.relay) return 0;
    }
    const { plan, notes } = planUninstall(options, ctx);
    const changes = pending(plan).filter((c) => !c.path.endsWith("installs.json"));
    if (changes.length === 0) {
      io.out(`hookpack: no hookpack hooks found; nothing to change.\n`);
      if (!options.dryRun) applyPlan(plan);
      return 0;
    }
    if (options.dryRun) {
      report(io, ctx, changes, true);
      return 0;
    }
    report(
      io,
      ctx,
      applyPlan(plan).filter((c) => !c.path.endsWith("installs.json")),
      false,
    );
    for (const note of notes) io.out(`hookpack: ${note}\n`);
    return 0;
  },
};
