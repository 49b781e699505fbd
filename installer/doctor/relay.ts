// `doctor` on the persistent model-request relay (installer/relay-config.ts): for each agent
// `install --relay` pointed at it, whether the agent's setting still points there (the agent — or
// anything else — may have pointed it elsewhere, or at a plain-http upstream), and whether the
// relay answers (a relay that is down fails closed: the agent's requests fail, they never go out
// directly, so the user must be told to start it).
import { readIfExists } from "../plan.js";
import {
  agentSetting,
  readRelayConfig,
  relayAnswers,
  relayBaseUrl,
  type RelayAgent,
} from "../relay-config.js";
import { MACHINE, type DoctorCheck, type DoctorContext } from "./types.js";

export async function checkRelay(ctx: DoctorContext): Promise<DoctorCheck[]> {
  let config;
  try {
    config = readRelayConfig(ctx.hookpackHome);
  } catch (error) {
    return [
      {
        id: "relay",
        status: "fail",
        subject: MACHINE,
        message: (error as Error).message,
        fix: "run `hookpack install --agent <a> --relay` again",
      },
    ];
  }
  if (!config || Object.keys(config.routes).length === 0) return [];
  const out: DoctorCheck[] = [];
  const up = await relayAnswers(config.port);
  out.push(
    up
      ? {
          id: "relay",
          status: "ok",
          subject: MACHINE,
          message: `hookpack's model-request relay answers on 127.0.0.1:${config.port} (${Object.keys(config.routes).join(", ")})`,
        }
      : {
          id: "relay",
          status: "fail",
          subject: MACHINE,
          message: `hookpack's model-request relay is not running on 127.0.0.1:${config.port}: the agents pointed at it (${Object.keys(config.routes).join(", ")}) cannot reach their model (their requests fail; nothing is sent directly)`,
          fix: "start it: `hookpack broker start` (see the broker log in HOOKPACK_HOME/broker if it does not come up)",
        },
  );
  for (const agent of Object.keys(config.routes) as RelayAgent[]) {
    const setting = agentSetting(agent, ctx.home, ctx.env);
    let current: string | undefined;
    try {
      current = setting.read(readIfExists(setting.file));
    } catch {
      current = undefined;
    }
    const ours = relayBaseUrl(config.port, agent);
    if (current === ours) {
      // Codex: openai_base_url serves the built-in provider only; a custom one keeps its base_url.
      const provider =
        agent === "codex"
          ? /^[ \t]*model_provider[ \t]*=[ \t]*["']([^"'\n]+)["']/m.exec(
              (readIfExists(setting.file) ?? "").split(/^\s*\[/m)[0] ?? "",
            )?.[1]
          : undefined;
      if (provider && provider !== "openai")
        out.push({
          id: "relay-setting",
          status: "warn",
          subject: MACHINE,
          agent,
          message: `${setting.file} selects the model provider "${provider}", whose own base_url is not hookpack's relay: its requests are not checked`,
          fix: `set base_url = "${ours}" in [model_providers.${provider}] (and forward with \`hookpack install --agent codex --relay --relay-upstream <its https URL>\`), or use the built-in provider`,
        });
      continue;
    }
    let where = "nowhere (the setting is gone)";
    if (current) {
      try {
        const u = new URL(current);
        where =
          u.protocol === "https:"
            ? `${u.origin} (directly, past the relay)`
            : `${u.origin}, which is not https`;
      } catch {
        where = "something that is not a URL";
      }
    }
    out.push({
      id: "relay-setting",
      status: "fail",
      subject: MACHINE,
      agent,
      message: `${setting.file} no longer points ${agent}'s model API at hookpack's relay: it points ${where}, so requests are not checked for secrets`,
      fix: `run \`hookpack install --agent ${agent} --relay\` again (the relay then forwards to an https upstream you set with --relay-upstream)`,
    });
  }
  return out;
}
