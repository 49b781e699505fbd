// Real-process helpers for the broker tests: a temp HOME/HOOKPACK_HOME per test, the built
// CLI (npm run build first), and fake secrets made from random bytes at test time.
import { approvePolicy } from "../../broker/policy-approval.js";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { join } from "node:path";
import { distBundle, HOOKPACK_CJS, makeSandbox, REPO_ROOT } from "../helpers/sandbox.js";

export const ROOT = REPO_ROOT;
export const BIN = HOOKPACK_CJS;

/** The built broker client (dist/broker-client.cjs), as the hook and `hookpack exec` load it. */
export function brokerClient(): typeof import("../../broker/client.js") {
  return createRequire(import.meta.url)(
    distBundle("broker-client"),
  ) as typeof import("../../broker/client.js");
}

/** Mints a grant in the sandbox's broker (started on demand, in the sandbox's environment), as the hook does. */
export async function brokerMint(
  sb: Sandbox,
  req: Omit<import("../../broker/grants.js").MintRequest, "now">,
): Promise<{ id: string; expiresAt: string }> {
  return brokerClient().mintGrantVia(sb.hookpackHome, sb.env, { ...req, argv: [...req.argv] });
}

export function assertBuilt(): void {
  if (!existsSync(BIN))
    throw new Error("dist/hookpack.cjs is missing: run `npm run build` before the broker tests");
}

export interface Sandbox {
  dir: string;
  home: string;
  hookpackHome: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** A temp HOME and HOOKPACK_HOME (helpers/sandbox.ts); the key lives in a file unless a test asks otherwise. */
export function sandbox(extra: NodeJS.ProcessEnv = {}): Sandbox {
  // No TMPDIR of its own: the broker's socket may live under the temp directory (broker/paths.ts),
  // and an in-process client (brokerClient()) must find the one the CLI's broker made. No
  // NO_COLOR: exec's colour handling is tested with and without it.
  const base = makeSandbox({
    prefix: "hookpack-broker-",
    env: { HOOKPACK_KEY_BACKEND: "file", TMPDIR: undefined, NO_COLOR: undefined, ...extra },
  });
  return {
    dir: base.root,
    home: base.home,
    hookpackHome: base.hookpackHome,
    env: base.env,
    cleanup: base.cleanup,
  };
}

export function run(
  sb: Sandbox,
  args: string[],
  options: {
    input?: string | Buffer;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    timeout?: number;
  } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    env: { ...sb.env, ...options.env },
    cwd: options.cwd ?? sb.dir,
    input: options.input ?? "",
    encoding: "utf8",
    timeout: options.timeout ?? 30_000,
  });
}

export function runAsync(
  sb: Sandbox,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...sb.env, ...options.env },
    cwd: sb.dir,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
  child.stdin.end(options.input ?? "");
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((res) => child.on("close", (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done, out: () => stdout };
}

/** A random secret-like value (never committed; no known token prefix). */
export function fakeSecret(label = "t"): string {
  return `${label}${randomBytes(15).toString("base64url")}x`;
}

export function readAudit(sb: Sandbox): Array<Record<string, unknown>> {
  const p = join(sb.hookpackHome, "audit", "audit.jsonl");
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function setSecret(
  sb: Sandbox,
  name: string,
  value: string,
  env: NodeJS.ProcessEnv = {},
): void {
  const r = run(sb, ["secret", "set", name], { input: value, env });
  if (r.status !== 0) throw new Error(`secret set ${name} failed: ${r.stderr}`);
}

export async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A project under the sandbox (a .git directory and a hookpack.json with `policy`). */
export function project(sb: Sandbox, policy: unknown): string {
  const dir = join(sb.dir, "project");
  mkdirSync(join(dir, ".git"), { recursive: true });
  writeFileSync(join(dir, "hookpack.json"), `${JSON.stringify(policy, null, 2)}\n`);
  // The user wrote it: approved as `hookpack policy approve` (or install) would (an unapproved policy does not apply).
  approvePolicy(sb.hookpackHome, dir);
  return dir;
}

/**
 * The usual fixture of a suite: hookpack built, a sandbox, the secret `name` set to a fresh fake
 * value, a project under `policy` (call in beforeAll; closeSandbox in afterAll).
 */
export function secretProject(
  policy: unknown,
  name = "T",
): { sb: Sandbox; value: string; dir: string } {
  assertBuilt();
  const sb = sandbox();
  const value = fakeSecret();
  setSecret(sb, name, value);
  return { sb, value, dir: project(sb, policy) };
}

/** Stops the sandbox's broker (if one runs) and removes the sandbox. */
export function closeSandbox(sb: Sandbox): void {
  run(sb, ["broker", "stop"]);
  sb.cleanup();
}

export interface HookAnswer {
  decision: string | undefined;
  command: string | undefined;
  reason: string;
  raw: string;
  status: number | null;
}

/**
 * The real hook process (`hookpack hook <agent>`, dist/) on one payload (an object is JSON-encoded,
 * a string is sent as it is), run synchronously in the sandbox's environment plus `options.env`,
 * from `cwd` (run() above): the synchronous twin of helpers/hook-run.ts runHook, for the broker suites.
 */
export function hookSync(
  sb: Sandbox,
  cwd: string,
  payload: Record<string, unknown> | string,
  options: { env?: NodeJS.ProcessEnv; agent?: string; timeout?: number } = {},
): SpawnSyncReturns<string> {
  return run(sb, ["hook", options.agent ?? "claude-code"], {
    input: typeof payload === "string" ? payload : JSON.stringify(payload),
    env: options.env,
    cwd,
    timeout: options.timeout,
  });
}

/**
 * A Claude Code PreToolUse payload of a Bash call of `command` in `cwd`: session "s1", a transcript
 * under the sandbox; `fields` replace fields in place or add them at the end.
 */
export function bashPayload(
  sb: Sandbox,
  cwd: string,
  command: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    session_id: "s1",
    transcript_path: join(sb.dir, "t.jsonl"),
    cwd,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command },
    ...fields,
  };
}

/** The real hook process (`hookpack hook claude-code`) on one Bash PreToolUse call. */
export function preToolUse(
  sb: Sandbox,
  cwd: string,
  command: string,
  options: { session?: string; toolUseId?: string; env?: NodeJS.ProcessEnv } = {},
): HookAnswer {
  const payload = {
    session_id: options.session ?? "s1",
    transcript_path: join(sb.dir, "transcript.jsonl"),
    cwd,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command, description: "d" },
    tool_use_id: options.toolUseId ?? "toolu_1",
  };
  const r = hookSync(sb, cwd, payload, { env: options.env });
  let out: {
    hookSpecificOutput?: {
      permissionDecision?: string;
      permissionDecisionReason?: string;
      updatedInput?: { command?: string };
    };
  } = {};
  try {
    out = r.stdout.trim() ? (JSON.parse(r.stdout) as typeof out) : {};
  } catch {
    out = {};
  }
  const h = out.hookSpecificOutput;
  return {
    decision: h?.permissionDecision,
    command: h?.updatedInput?.command,
    reason: `${h?.permissionDecisionReason ?? ""}${r.stderr}`,
    raw: r.stdout,
    status: r.status,
  };
}

/** Runs a (rewritten) command as the agent's Bash tool would. */
export function bash(
  sb: Sandbox,
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): SpawnSyncReturns<string> {
  return spawnSync("bash", ["-c", command], {
    env: { ...sb.env, ...env },
    cwd,
    encoding: "utf8",
    timeout: 60_000,
  });
}

/** Live broker-daemon processes serving `hookpackHome` (from /proc). */
export function brokerPids(hookpackHome: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.some((a) => a.endsWith("broker-daemon.cjs")) && argv.includes(hookpackHome))
        pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Like bash(), without blocking this process (for tests that serve the upstreams in process). */
export function bashAsync(
  sb: Sandbox,
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stdout: string; stderr: string; pid: number }> {
  const child = spawn("bash", ["-c", command], {
    env: { ...sb.env, ...env },
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((res) =>
    child.on("close", (status) => {
      clearTimeout(timer);
      res({ status, stdout, stderr, pid: child.pid ?? 0 });
    }),
  );
}

/**
 * One raw exchange on the broker's socket, as any same-user process can make it: reads the
 * broker's hello, sends `line(hello)`, resolves with the hello and the one answer line, then
 * closes the connection (rejects on a socket error).
 */
export function helloExchange(
  socket: string,
  line: (hello: { nonce: string }) => string,
): Promise<{ hello: { nonce: string }; answer: string }> {
  return new Promise((res, rej) => {
    const s = connect(socket);
    let buf = "";
    let hello: { nonce: string } | undefined;
    s.setEncoding("utf8");
    s.on("error", rej);
    s.on("data", (c: string) => {
      buf += c;
      let i;
      while ((i = buf.indexOf("\n")) !== -1) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!hello) {
          hello = JSON.parse(l) as { nonce: string };
          s.write(`${line(hello)}\n`);
        } else {
          s.destroy();
          res({ hello, answer: l });
        }
      }
    });
  });
}
