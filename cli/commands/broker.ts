// `hookpack broker start|status|stop [--json]`: the per-user broker process (broker/daemon.ts) that holds
// grants and the values injected at the outbound request. It starts on demand; these only look
// at it or stop it (stopping drops every pending grant and injection session).
import { parseArgs } from "node:util";
import { brokerStatus, ensureBroker, stopBroker } from "../../broker/client.js";
import { HookpackError } from "../../core/errors.js";
import { hookpackHome } from "../context.js";
import type { Command } from "../io.js";

const USAGE = "hookpack broker start|status|stop [--json]";

export const broker: Command = {
  name: "broker",
  summary:
    "show or stop the per-user broker process (grants, injection proxy); it starts on demand",
  usage: USAGE,
  options: [
    [
      "start",
      "start it now (it also serves the model-request relay of `install --relay`, and then stays up)",
    ],
    [
      "status",
      "whether the broker runs: pid, version, socket, pending grants, injection sessions, idle time",
    ],
    [
      "stop",
      "stop it; pending grants and injection sessions are dropped (it starts again on demand)",
    ],
    ["--json", "machine output"],
  ],
  example: "hookpack broker status --format json",
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
    const [verb, extra] = positionals;
    if ((verb !== "status" && verb !== "stop" && verb !== "start") || extra !== undefined)
      throw new HookpackError(
        "USAGE",
        `hookpack: \`broker\` takes start, status or stop${verb ? `, not "${verb}"` : ""}.`,
        `usage: ${USAGE}`,
      );
    const home = hookpackHome(io);
    if (verb === "stop") {
      const stopped = await stopBroker(home, io.env);
      if (values.json) io.out(`${JSON.stringify({ version: 1, stopped })}\n`);
      else
        io.out(
          stopped
            ? `hookpack: the broker for ${home} stopped; pending grants and injection sessions are gone (the next call that needs a secret starts it again).\n`
            : `hookpack: no broker is running for ${home}.\n`,
        );
      return 0;
    }
    if (verb === "start") {
      const c = await ensureBroker(home, io.env, { restartOnMismatch: true });
      c.conn.close();
      // The relay starts with the broker (when relay.json has routes): wait for it briefly.
      let s = await brokerStatus(home, io.env);
      const { readRelayConfig } = await import("../../broker/relay-settings.js");
      const wanted = readRelayConfig(home);
      for (let i = 0; i < 40 && wanted && s.relayPort === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        s = await brokerStatus(home, io.env);
      }
      if (values.json) io.out(`${JSON.stringify({ version: 1, ...s })}\n`);
      else
        io.out(
          `hookpack: broker running for ${home} (pid ${s.pid})${s.relayPort ? `; model-request relay on 127.0.0.1:${s.relayPort}` : wanted ? "; the relay did NOT start: see `hookpack doctor` and the broker log" : ""}.\n`,
        );
      return wanted && s.relayPort === undefined ? 1 : 0;
    }
    const s = await brokerStatus(home, io.env);
    if (values.json) {
      io.out(`${JSON.stringify({ version: 1, ...s })}\n`);
      return 0;
    }
    if (!s.running) {
      io.out(
        `hookpack: no broker is running for ${home} (socket ${s.socket}); the first call that needs a secret starts it.\n`,
      );
      return 0;
    }
    const lines = [
      `hookpack: broker running for ${home}`,
      `  pid ${s.pid}, version ${s.version}${s.sameBuild ? "" : " (another build than this hookpack: the next hook call restarts it)"}, since ${s.startedAt ?? "?"}`,
      `  socket ${s.socket}`,
      `  pending grants ${s.grantsPending ?? 0}, injection sessions ${s.sessions ?? 0}${s.proxyPort ? `, proxy 127.0.0.1:${s.proxyPort}` : ""}${s.relayPort ? `, model-request relay 127.0.0.1:${s.relayPort}` : ""}`,
      `  idle ${Math.round((s.idleMs ?? 0) / 1000)} s (stops after ${Math.round((s.idleStopMs ?? 0) / 1000)} s idle with nothing pending)`,
    ];
    io.out(`${lines.join("\n")}\n`);
    return 0;
  },
};
