// The persistent relay's settings file, HOOKPACK_HOME/relay.json: its port (a per-user loopback
// port chosen once), one route per agent (its https upstream) and the record of what
// `install --relay` wrote into each agent's own config. Read by the broker process, which serves the
// relay while the file has routes (broker/daemon.ts), and by the CLI; written only by install
// (installer/relay-config.ts), so the broker layer never imports the installer.
import { readFileSync } from "node:fs";
import { connect as netRequest, createServer } from "node:net";
import { join } from "node:path";
import { HookpackError } from "../core/errors.js";

export const RELAY_CONFIG = "relay.json";
export const relayConfigPath = (home: string): string => join(home, RELAY_CONFIG);

export type RelayAgent = "claude-code" | "codex" | "gemini";
export const RELAY_AGENTS: readonly RelayAgent[] = ["claude-code", "codex", "gemini"];

export interface RelayEdit {
  file: string;
  /** What the user had there before (restored by uninstall), or null when hookpack added the setting. */
  previous: string | null;
  /** hookpack created the file: uninstall removes it when nothing else is left in it. */
  created?: boolean;
}

export interface RelayConfig {
  version: 1;
  port: number;
  routes: Record<string, { upstream: string; caFile?: string }>;
  edits: Record<string, RelayEdit>;
}

/** The provider each agent talks to when the user set no base URL of their own. */
export const DEFAULT_UPSTREAM: Record<RelayAgent, string> = {
  "claude-code": "https://api.anthropic.com",
  codex: "https://api.openai.com/v1",
  gemini: "https://generativelanguage.googleapis.com",
};

export const relayBaseUrl = (port: number, agent: string): string =>
  `http://127.0.0.1:${port}/${agent}`;

/** relay.json, or undefined when there is none; a malformed one is an error naming the file. */
export function readRelayConfig(home: string): RelayConfig | undefined {
  const path = relayConfigPath(home);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const c = JSON.parse(text) as RelayConfig;
    if (
      c.version !== 1 ||
      !Number.isInteger(c.port) ||
      c.port < 1024 ||
      c.port > 65535 ||
      typeof c.routes !== "object" ||
      c.routes === null ||
      typeof c.edits !== "object" ||
      c.edits === null
    )
      throw new Error("unexpected shape");
    for (const r of Object.values(c.routes))
      if (typeof r?.upstream !== "string") throw new Error("a route without an upstream");
    return c;
  } catch (error) {
    throw new HookpackError(
      "RELAY_CONFIG_UNREADABLE",
      `hookpack: ${path} is unreadable (${(error as Error).message}); the relay does not start.`,
      "run `hookpack install --agent <a> --relay` again, or move the file aside and reinstall.",
    );
  }
}

/** A free loopback port, for relay.json's first write. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Whether hookpack's relay answers on this port (its health path), within `ms`. */
export function relayAnswers(port: number, ms = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = netRequest({ host: "127.0.0.1", port });
    let buf = "";
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(ms, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () =>
      sock.write("GET /__hookpack/relay HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"),
    );
    sock.on("data", (c: Buffer) => {
      buf += c.toString("latin1");
      if (/\r\n\r\n/.test(buf))
        done(/^HTTP\/1\.1 200/.test(buf) && /x-hookpack-relay: ok/i.test(buf));
    });
    sock.on("end", () => done(false));
  });
}
