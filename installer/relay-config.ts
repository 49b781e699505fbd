// The persistent relay's configuration and `install --agent <a> --relay`.
//
// HOOKPACK_HOME/relay.json holds the relay's port (a per-user loopback port chosen once), one route
// per agent (its https upstream: the provider, or the user's own base URL as it was) and the record
// of what install wrote into each agent's own config, so uninstall takes out exactly that and puts
// back what the user had. The broker process (broker/daemon.ts) serves the relay while relay.json
// has routes; each agent's base URL points at `http://127.0.0.1:<port>/<agent>`:
//
// - Claude Code: `env.ANTHROPIC_BASE_URL` in ~/.claude/settings.json;
// - Codex: the built-in provider's `openai_base_url` in $CODEX_HOME/config.toml (Codex 0.169
//   ignores the OPENAI_BASE_URL variable);
// - Gemini CLI: `GOOGLE_GEMINI_BASE_URL` in ~/.gemini/.env (Gemini reads the base URL only from its
//   environment; it loads that file even with advanced.ignoreLocalEnv).
//
// A relay that is not running fails closed by itself: the agent's requests meet a closed port and
// nothing falls back to the provider. `doctor` says so (installer/doctor/relay.ts).
import { join } from "node:path";
import { HookpackError } from "../core/errors.js";
import {
  relayConfigPath,
  type RelayAgent,
  type RelayConfig,
  DEFAULT_UPSTREAM,
  relayBaseUrl,
  readRelayConfig,
  freeLoopbackPort,
} from "../broker/relay-settings.js";
import { readJsonDocument, setJson } from "./json-edit.js";
import { readIfExists, type FileChange } from "./plan.js";

// relay.json itself (read by the broker too) lives in broker/relay-settings.ts.
export {
  RELAY_CONFIG,
  relayConfigPath,
  type RelayAgent,
  RELAY_AGENTS,
  type RelayEdit,
  type RelayConfig,
  DEFAULT_UPSTREAM,
  relayBaseUrl,
  readRelayConfig,
  freeLoopbackPort,
  relayAnswers,
} from "../broker/relay-settings.js";

// ---------------------------------------------------------------------------------------------
// Each agent's own base-URL setting.

export interface AgentSetting {
  file: string;
  /** The base URL set there now, if any. */
  read(text: string | null): string | undefined;
  /** The text with the base URL set to `url` (null: taken out; `previous` put back). */
  write(text: string | null, url: string | null, previous: string | null): string | null;
}

const CODEX_START =
  "# >>> hookpack relay (hookpack uninstall --agent codex --relay removes it) >>>";
const CODEX_END = "# <<< hookpack relay <<<";
const GEMINI_START = "# >>> hookpack relay >>>";
const GEMINI_END = "# <<< hookpack relay <<<";

function stripBlock(text: string, start: string, end: string): string {
  const a = text.indexOf(start);
  const b = a === -1 ? -1 : text.indexOf(end, a);
  if (a === -1 || b === -1) return text;
  return text.slice(0, a) + text.slice(b + end.length).replace(/^\n/, "");
}

/** Top-level (before any table) `openai_base_url = "…"` of a Codex config.toml. */
function codexTopLevel(text: string): { line: string; value: string } | undefined {
  const head = text.split(/^\s*\[/m)[0] ?? "";
  const m = /^[ \t]*openai_base_url[ \t]*=[ \t]*["']([^"'\n]*)["'][ \t]*(#.*)?$/m.exec(head);
  return m ? { line: m[0], value: m[1]! } : undefined;
}

export function agentSetting(
  agent: RelayAgent,
  home: string,
  env: NodeJS.ProcessEnv,
): AgentSetting {
  if (agent === "claude-code") {
    const file = join(home, ".claude", "settings.json");
    return {
      file,
      read(text) {
        if (!text?.trim()) return undefined;
        const doc = readJsonDocument(text, file).value as { env?: Record<string, unknown> };
        const v = doc?.env?.ANTHROPIC_BASE_URL;
        return typeof v === "string" ? v : undefined;
      },
      write(text, url, previous) {
        const base = text ?? "";
        const value = url ?? previous ?? undefined;
        let out = setJson(base, ["env", "ANTHROPIC_BASE_URL"], value);
        const doc = readJsonDocument(out, file).value as { env?: Record<string, unknown> };
        if (value === undefined && doc.env && Object.keys(doc.env).length === 0)
          out = setJson(out, ["env"], undefined);
        return text === null && value === undefined ? null : out;
      },
    };
  }
  if (agent === "codex") {
    const file = join(env.CODEX_HOME || join(home, ".codex"), "config.toml");
    return {
      file,
      read: (text) => (text ? codexTopLevel(text)?.value : undefined),
      write(text, url, previous) {
        let body = stripBlock(text ?? "", CODEX_START, CODEX_END);
        const own = codexTopLevel(body);
        if (own) body = body.replace(`${own.line}\n`, "").replace(own.line, "");
        const line =
          url !== null
            ? `${CODEX_START}\nopenai_base_url = ${JSON.stringify(url)}\n${CODEX_END}\n`
            : previous !== null
              ? `openai_base_url = ${JSON.stringify(previous)}\n`
              : "";
        const out = line + body;
        return text === null && out === "" ? null : out;
      },
    };
  }
  const file = join(home, ".gemini", ".env");
  return {
    file,
    read(text) {
      const m = /^[ \t]*(?:export[ \t]+)?GOOGLE_GEMINI_BASE_URL[ \t]*=[ \t]*["']?([^"'\n#]*)/m.exec(
        text ?? "",
      );
      return m ? m[1]!.trim() : undefined;
    },
    write(text, url, previous) {
      let body = stripBlock(text ?? "", GEMINI_START, GEMINI_END);
      body = body.replace(/^[ \t]*(?:export[ \t]+)?GOOGLE_GEMINI_BASE_URL[ \t]*=.*\n?/m, "");
      const line =
        url !== null
          ? `${GEMINI_START}\nGOOGLE_GEMINI_BASE_URL=${url}\n${GEMINI_END}\n`
          : previous !== null
            ? `GOOGLE_GEMINI_BASE_URL=${previous}\n`
            : "";
      const out = line + body;
      return text === null && out === "" ? null : out;
    },
  };
}

const isLoopback = (u: URL) => /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(u.hostname);

export interface RelayInstallOptions {
  agents: readonly RelayAgent[];
  /** The upstream to forward to instead of the agent's own (e.g. a test server). */
  upstream?: string;
  /** A PEM CA file trusted for the upstream. */
  caFile?: string;
}

/** The changes for `install --agent <a> --relay`: relay.json, and each agent's base-URL setting. */
export async function planRelayInstall(
  options: RelayInstallOptions,
  ctx: { home: string; hookpackHome: string; env: NodeJS.ProcessEnv },
): Promise<{ plan: FileChange[]; notes: string[] }> {
  const existing = readRelayConfig(ctx.hookpackHome);
  const config: RelayConfig = existing
    ? structuredClone(existing)
    : { version: 1, port: await freeLoopbackPort(), routes: {}, edits: {} };
  const plan: FileChange[] = [];
  const notes: string[] = [];
  for (const agent of options.agents) {
    const setting = agentSetting(agent, ctx.home, ctx.env);
    const before = readIfExists(setting.file);
    const current = setting.read(before);
    const ours = relayBaseUrl(config.port, agent);
    let upstream = options.upstream;
    const recorded = config.edits[agent];
    if (!upstream && current && current !== ours) {
      // Keep the user's own upstream: the relay forwards to it, over TLS only.
      let u: URL;
      try {
        u = new URL(current);
      } catch {
        throw new HookpackError(
          "USAGE",
          `hookpack: ${setting.file} sets the base URL to something that is not a URL; nothing was changed.`,
          "fix or remove it, then run the command again.",
        );
      }
      if (u.protocol !== "https:")
        throw new HookpackError(
          "USAGE",
          `hookpack: ${setting.file} sends ${agent}'s model requests to ${u.origin}, which is not https${isLoopback(u) ? " (another local proxy?)" : ""}; the relay forwards over TLS only, so nothing was changed.`,
          "point it at an https:// upstream, or pass --relay-upstream https://….",
        );
      upstream = current;
    }
    upstream ??= config.routes[agent]?.upstream ?? DEFAULT_UPSTREAM[agent];
    const checked = new URL(upstream);
    if (checked.protocol !== "https:")
      throw new HookpackError(
        "USAGE",
        `hookpack: the relay's upstream ${checked.origin} is not https; nothing was changed.`,
        "the relay forwards over TLS only: pass an https:// URL.",
      );
    config.routes[agent] = {
      upstream,
      ...(options.caFile
        ? { caFile: options.caFile }
        : config.routes[agent]?.caFile
          ? { caFile: config.routes[agent].caFile }
          : {}),
    };
    if (current !== ours) {
      config.edits[agent] = {
        file: setting.file,
        previous: recorded ? recorded.previous : (current ?? null),
        ...((recorded ? recorded.created : before === null) ? { created: true } : {}),
      };
      plan.push({
        path: setting.file,
        before,
        after: setting.write(before, ours, null),
        summary: `point ${agent}'s model API at hookpack's relay (${ours})`,
      });
    }
    notes.push(
      `${agent}: model requests go to hookpack's relay at ${ours}, which replaces secrets and forwards to ${upstream}. The broker process serves it: \`hookpack broker start\` (and at login); while it is not running the agent's requests fail, they never go out directly.`,
    );
    if (agent === "gemini")
      notes.push(
        'Gemini CLI: with GOOGLE_GEMINI_BASE_URL set, pin the auth type (`security.auth.selectedType: "gemini-api-key"` in settings), or Gemini 0.61 refuses it as a gateway.',
      );
    if (agent === "codex")
      notes.push(
        "Codex: openai_base_url applies to its built-in OpenAI provider; a custom [model_providers] entry keeps its own base_url (`hookpack doctor` reports it).",
      );
  }
  const path = relayConfigPath(ctx.hookpackHome);
  const before = readIfExists(path);
  const after = `${JSON.stringify(config, null, 2)}\n`;
  plan.push({
    path,
    before,
    after,
    mode: 0o600,
    summary: "record the relay's port, routes and edits",
  });
  return { plan, notes };
}

/** The changes for `uninstall --agent <a> --relay`: each recorded setting taken out (or the user's put back). */
export function planRelayUninstall(
  agents: readonly RelayAgent[],
  ctx: { home: string; hookpackHome: string; env: NodeJS.ProcessEnv },
): FileChange[] {
  const config = readRelayConfig(ctx.hookpackHome);
  if (!config) return [];
  const next = structuredClone(config);
  const plan: FileChange[] = [];
  for (const agent of agents) {
    const edit = config.edits[agent];
    delete next.routes[agent];
    delete next.edits[agent];
    if (!edit) continue;
    const setting = agentSetting(agent, ctx.home, ctx.env);
    const before = readIfExists(edit.file);
    // Only our own value is taken out: a base URL the user set since is theirs.
    if (setting.read(before) !== relayBaseUrl(config.port, agent)) continue;
    let after = setting.write(before, null, edit.previous);
    if (edit.created && after !== null && /^\s*(\{\s*\})?\s*$/.test(after)) after = null;
    plan.push({
      path: edit.file,
      before,
      after,
      summary:
        edit.previous !== null
          ? `point ${agent}'s model API back at ${edit.previous}`
          : `take hookpack's relay out of ${agent}'s config`,
    });
  }
  const path = relayConfigPath(ctx.hookpackHome);
  plan.push({
    path,
    before: readIfExists(path),
    after: Object.keys(next.routes).length === 0 ? null : `${JSON.stringify(next, null, 2)}\n`,
    mode: 0o600,
    summary: "update the relay's record",
  });
  return plan;
}
