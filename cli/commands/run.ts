// `hookpack run [--keep NAME]… [--import] -- <agent> [args…]`: start an agent without the secrets
// its environment inherited. Removed variables are named (never their values); with --import
// their values go into the store first (a copy on disk, asked for), so `$secret:NAME` works.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { hookManagedSecrets } from "../../hooks/managed-secrets.js";
import { startRelay, type Relay } from "../../broker/relay.js";
import { inheritedEnv, withInherited } from "../../rules/inherited-env.js";
import { parseArgs } from "node:util";
import { HookpackError } from "../../core/errors.js";
import { rejectPositionals, splitAtDashDash } from "../args.js";
import { planAgentEnv } from "../../broker/agent-env.js";
import { secretScanner } from "../../rules/secretlint.js";
import { hookpackHome } from "../context.js";
import type { Command } from "../io.js";
import { importEnv } from "./secret.js";

const USAGE =
  "hookpack run [--keep NAME]… [--import] [--relay [--upstream URL] [--upstream-ca FILE]] -- <agent> [args…]";

/**
 * Where each agent takes its model API's base URL from, and the provider it talks to by default.
 * Codex 0.169 ignores OPENAI_BASE_URL (it then retries api.openai.com without end): its built-in
 * provider reads the `openai_base_url` config key, which `-c` sets for one run.
 */
export const BASE_URL: Array<{
  match: RegExp;
  variable: string;
  upstream: string;
  codexConfig?: true;
}> = [
  { match: /^claude$/, variable: "ANTHROPIC_BASE_URL", upstream: "https://api.anthropic.com" },
  {
    match: /^gemini$/,
    variable: "GOOGLE_GEMINI_BASE_URL",
    upstream: "https://generativelanguage.googleapis.com",
  },
  {
    match: /^codex$/,
    variable: "openai_base_url",
    upstream: "https://api.openai.com/v1",
    codexConfig: true,
  },
  { match: /.*/, variable: "OPENAI_BASE_URL", upstream: "https://api.openai.com/v1" },
];

const stripExt = (p: string) =>
  p
    .split(/[\\/]/)
    .pop()!
    .replace(/(\.exe|\.cmd|\.mjs|\.js|\.cjs)$/i, "");

/** The agent a command line starts: its executable's name, or the script's for `node gemini.js`. */
export function agentOf(cmd: string, rest: readonly string[]): string {
  const base = stripExt(cmd);
  if (/^(node|nodejs|bun|deno)$/.test(base)) {
    const script = rest.find((a) => !a.startsWith("-"));
    if (script) return stripExt(script);
  }
  return base;
}

const RELAY_ROUTE: Record<string, string> = {
  claude: "claude-code",
  codex: "codex",
  gemini: "gemini",
};

/** The persistent relay's base URL for this agent, when relay.json routes it and the relay answers. */
async function persistentRelay(home: string, agent: string): Promise<string | undefined> {
  const route = RELAY_ROUTE[agent];
  if (!route) return undefined;
  const { readRelayConfig, relayAnswers, relayBaseUrl } =
    await import("../../broker/relay-settings.js");
  let config;
  try {
    config = readRelayConfig(home);
  } catch {
    return undefined;
  }
  if (!config?.routes[route] || !(await relayAnswers(config.port))) return undefined;
  return relayBaseUrl(config.port, route);
}

export const run: Command = {
  name: "run",
  summary:
    "start an agent without the secrets its environment inherited (names are reported, values never)",
  usage: USAGE,
  options: [
    [
      "--keep NAME",
      "keep this inherited variable although it looks like a secret (repeatable; e.g. the agent's own API key)",
    ],
    [
      "--import",
      "store the removed variables' values first (asked for), so the agent can use them as $secret:NAME",
    ],
    [
      "--relay",
      "send the agent's model requests through a local relay that replaces secrets before they leave",
    ],
    [
      "--upstream URL",
      "with --relay: the model API the relay forwards to (default: the agent's usual one)",
    ],
    ["--upstream-ca FILE", "with --relay: a PEM CA file also trusted for the upstream server"],
    [
      "--agent NAME",
      "with --relay: which agent this is (claude, codex, gemini, …) when its executable's name does not say",
    ],
    ["-- <agent> [args…]", "the agent to start and its own arguments (required)"],
  ],
  example: "hookpack run --import -- claude",
  async run(args, io) {
    const { own, command } = splitAtDashDash(
      args,
      "hookpack: `run` needs `--` and the agent to start.",
      USAGE,
      true,
    );
    const { values, positionals } = parseArgs({
      args: own,
      options: {
        keep: { type: "string", multiple: true },
        import: { type: "boolean", default: false },
        relay: { type: "boolean", default: false },
        upstream: { type: "string" },
        "upstream-ca": { type: "string" },
        agent: { type: "string" },
      },
      strict: true,
      allowPositionals: true,
    });
    rejectPositionals(positionals, USAGE);
    const [cmd, ...agentArgs] = command as [string, ...string[]];
    let rest = agentArgs;
    const agentName = values.agent ?? agentOf(cmd, rest);
    const plan = planAgentEnv(io.env, agentName, values.keep ?? [], secretScanner.mayContainSecret);
    if (plan.removed.length > 0 && values.import) {
      const code = await importEnv(plan.removed, { overwrite: false }, io);
      if (code !== 0) return code;
    }
    if (plan.removed.length > 0) {
      io.err(
        `hookpack: started without ${plan.removed.join(", ")} (they hold secrets).${values.import ? "" : ` To use them from the agent, store them (\`hookpack run --import -- …\` or \`hookpack secret import --env ${plan.removed.join(" ")}\`) and refer to them as $secret:NAME.`}\n`,
      );
    }
    if (plan.kept.length > 0)
      io.err(
        `hookpack: kept ${plan.kept.join(", ")} (the agent's own credential; hookpack redacts its value from tool output).\n`,
      );
    for (const note of plan.notes) io.err(`hookpack: ${note}\n`);
    let relay: Relay | undefined;
    if (values.relay) {
      const base = agentName;
      const target = BASE_URL.find((b) => b.match.test(base))!;
      const current = target.codexConfig ? undefined : io.env[target.variable];
      const upstream =
        values.upstream ?? (current && current.startsWith("https://") ? current : target.upstream);
      // The persistent relay of the broker process (`install --relay`), when it runs and has a
      // route for this agent, and this run needs nothing of its own: no other upstream, and no
      // inherited secret kept with --keep (only this process knows those values; the agent's own
      // provider key, kept by default, is the one credential that provider holds already).
      const persistent =
        values.upstream === undefined &&
        values["upstream-ca"] === undefined &&
        (values.keep ?? []).length === 0
          ? await persistentRelay(hookpackHome(io), base)
          : undefined;
      if (persistent) {
        if (target.codexConfig) rest = ["-c", `openai_base_url="${persistent}"`, ...rest];
        else plan.env[target.variable] = persistent;
        io.err(
          `hookpack: the agent's model requests go through hookpack's persistent relay (${target.variable}=${persistent}); secrets in them are replaced before they leave.\n`,
        );
      } else {
        let ca: Buffer | undefined;
        if (values["upstream-ca"]) {
          try {
            ca = readFileSync(resolve(io.cwd, values["upstream-ca"]));
          } catch (error) {
            throw new HookpackError(
              "USAGE",
              `hookpack: cannot read the CA file ${values["upstream-ca"]}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
              "pass a PEM file.",
            );
          }
        }
        const managed = withInherited(
          hookManagedSecrets(io.env, { agent: base }),
          inheritedEnv(io.env, secretScanner.mayContainSecret),
        );
        let redacted = 0;
        relay = await startRelay({
          upstream,
          ca,
          scanner: secretScanner,
          managed,
          onRedacted: (n) => (redacted += n),
        });
        if (target.codexConfig) rest = ["-c", `openai_base_url="${relay.url}"`, ...rest];
        else plan.env[target.variable] = relay.url;
        io.err(
          `hookpack: the agent's model requests go through hookpack's relay (${target.variable}=${relay.url}) to ${upstream}; secrets in them are replaced before they leave.\n`,
        );
        const stop = relay;
        process.once("exit", () => void stop.close());
        const report = () =>
          redacted > 0 &&
          io.err(`hookpack: the relay replaced ${redacted} secret(s) in model requests.\n`);
        process.once("beforeExit", report);
      }
    }
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(cmd, rest, { cwd: io.cwd, env: plan.env, stdio: "inherit" });
      const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
      const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map(
        (s) => [s, forward(s)] as const,
      );
      for (const [s, h] of handlers) process.on(s, h);
      child.on("error", (error) => {
        for (const [s, h] of handlers) process.off(s, h);
        reject(
          new HookpackError(
            "USAGE",
            `hookpack: cannot start ${cmd}: ${(error as NodeJS.ErrnoException).code ?? error.message}.`,
            "check that the agent is installed and on PATH.",
          ),
        );
      });
      child.on("close", (code, signal) => {
        for (const [s, h] of handlers) process.off(s, h);
        void relay?.close();
        resolve(
          code ??
            (signal
              ? 128 +
                (({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 } as Record<string, number>)[
                  signal
                ] ?? 1)
              : 1),
        );
      });
    });
  },
};
