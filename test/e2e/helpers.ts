// Helpers for the end-to-end tests that drive real agent clients against the fake model server.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOOKPACK_CJS, REPO_ROOT } from "../helpers/sandbox.js";

export { HOOKPACK_CJS, REPO_ROOT };
export { fakeGithubToken } from "../helpers/fake-secrets.js";
const CLIENTS_JSON = join(REPO_ROOT, ".cache", "e2e", "clients.json");

export interface ClientInfo {
  version: string;
  bin: string;
  /** The node binary that runs `bin`, when the machine's node is too old for it (Qwen Code: Node 22). */
  node?: string;
}

/** The installed client from .cache/e2e/clients.json, running scripts/setup-e2e.mjs first if needed. */
export function e2eClient(
  name: "claude-code" | "codex" | "gemini" | "copilot" | "opencode" | "cline" | "qwen",
): ClientInfo {
  const read = (): ClientInfo | undefined => {
    try {
      const all = JSON.parse(readFileSync(CLIENTS_JSON, "utf8")) as Record<string, ClientInfo>;
      const c = all[name];
      return c && existsSync(c.bin) ? c : undefined;
    } catch {
      return undefined;
    }
  };
  let client = read();
  if (!client) {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "scripts", "setup-e2e.mjs")], {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      timeout: 15 * 60_000,
      env: { ...process.env, CI: "true" },
    });
    client = read();
    if (!client)
      throw new Error(
        `e2e client ${name} is not installed and setup failed:\n${r.stdout}\n${r.stderr}`,
      );
  }
  return client;
}

/** The built CLI; the e2e tests run after `npm run build`. */
export function requireBuild(): string {
  if (!existsSync(HOOKPACK_CJS))
    throw new Error(`${HOOKPACK_CJS} is missing: run \`npm run build\` before the e2e tests`);
  return HOOKPACK_CJS;
}

export interface Sandbox {
  root: string;
  home: string;
  tmp: string;
  hookpackHome: string;
  project: string;
  cleanup(): void;
}

/** A temp dir with an empty HOME, TMPDIR, HOOKPACK_HOME and a fresh git repo as the project. */
export function makeSandbox(prefix = "hookpack-e2e-"): Sandbox {
  const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const home = join(root, "home");
  const tmp = join(root, "tmp");
  const hookpackHome = join(root, "hookpack-home");
  const project = join(root, "proj");
  for (const d of [home, tmp, hookpackHome, project]) mkdirSync(d, { recursive: true });
  const git = spawnSync("git", ["init", "-q", project], {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: baseEnv({ home, tmp }),
  });
  if (git.status !== 0) throw new Error(`git init failed: ${git.stderr}`);
  return {
    root,
    home,
    tmp,
    hookpackHome,
    project,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function baseEnv(p: { home: string; tmp: string }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: p.home,
    TMPDIR: p.tmp,
    TERM: "dumb",
    LANG: "C.UTF-8",
    GIT_CONFIG_NOSYSTEM: "1",
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `node dist/hookpack.cjs install --agent <agent> --scope project` inside the sandbox. */
export function installHookpack(sb: Sandbox, agent = "claude-code"): Promise<RunResult> {
  return run(
    process.execPath,
    [requireBuild(), "install", "--agent", agent, "--scope", "project"],
    {
      cwd: sb.project,
      env: { ...baseEnv(sb), HOOKPACK_HOME: sb.hookpackHome, CI: "true" },
      timeoutMs: 60_000,
    },
  );
}

export interface ClaudeRun extends RunResult {
  events: Array<Record<string, unknown>>;
}

/** Runs the real `claude -p` against the fake server, with an explicit (env -i style) environment. */
export async function runClaude(
  client: ClientInfo,
  sb: Sandbox,
  baseUrl: string,
  opts: { prompt?: string; extraArgs?: string[]; extraEnv?: Record<string, string> } = {},
): Promise<ClaudeRun> {
  const env: Record<string, string> = {
    ...baseEnv(sb),
    ANTHROPIC_BASE_URL: baseUrl,
    // A dummy key, assembled so that no key-shaped literal sits in the source.
    ANTHROPIC_API_KEY: ["sk", "ant", "e2e", "dummy"].join("-"),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_AUTOUPDATER: "1",
    HOOKPACK_HOME: sb.hookpackHome,
    ...opts.extraEnv,
  };
  const args = [
    "-p",
    opts.prompt ?? "run the step",
    "--output-format",
    "stream-json",
    "--verbose",
    "--no-session-persistence",
    "--include-hook-events",
    ...(opts.extraArgs ?? []),
  ];
  const r = await run(client.bin, args, { cwd: sb.project, env, timeoutMs: 120_000 });
  const events: Array<Record<string, unknown>> = [];
  for (const line of r.stdout.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      events.push(JSON.parse(t) as Record<string, unknown>);
    } catch {
      /* not an event line */
    }
  }
  return { ...r, events };
}

/** Text of a tool_result block's content (string or text blocks). */
export function toolResultText(block: Record<string, unknown>): string {
  const c = block.content;
  if (typeof c === "string") return c;
  if (Array.isArray(c))
    return c
      .map((x) =>
        x && typeof x === "object" && typeof (x as { text?: unknown }).text === "string"
          ? (x as { text: string }).text
          : "",
      )
      .join("\n");
  return "";
}

/** All tool_result blocks in a Messages API request body. */
export function toolResults(body: unknown): Array<Record<string, unknown>> {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return [];
  const out: Array<Record<string, unknown>> = [];
  for (const m of messages) {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const b of content)
      if (b && typeof b === "object" && (b as { type?: unknown }).type === "tool_result")
        out.push(b as Record<string, unknown>);
  }
  return out;
}

/** A short, value-free description of a run for assertion messages (the token is masked). */
export function describeRun(r: RunResult, mask: string[] = []): string {
  let s = `exit=${r.code} signal=${r.signal} ms=${r.ms}\n--- stdout (tail) ---\n${r.stdout.slice(-4000)}\n--- stderr (tail) ---\n${r.stderr.slice(-2000)}`;
  for (const m of mask) s = s.split(m).join("<FAKE-TOKEN>");
  return s;
}
