// The harness shared by the attack files that drive the REAL agent clients (Claude Code with
// bubblewrap, Codex CLI, from .cache/e2e) against `hookpack install --sandbox`:
// test/security/sandbox.attack.test.ts, sandbox-settings.attack.test.ts and
// sandbox-agent-creds.attack.test.ts. What each file attacks (its roads, its families, its
// assertions) stays in the file; how a client is found, hookpack installed, a command run through
// a client and a tally printed lives here.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import type { FakeAnthropic } from "../e2e/fake-anthropic.js";
import { CLAUDE_ARGS, mainRequests } from "../e2e/harness.js";
import {
  baseEnv,
  e2eClient,
  HOOKPACK_CJS,
  run,
  runClaude,
  toolResults,
  toolResultText,
  type ClientInfo,
  type RunResult,
  type Sandbox,
} from "../e2e/helpers.js";

export const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

/**
 * Why the real clients' Linux sandboxes cannot run here (the tests then skip and say so), or
 * undefined: not Linux, a tool missing from PATH, or bubblewrap unable to make namespaces.
 */
export function sandboxUnavailable(o: {
  /** The reason given off Linux. */
  platform: string;
  /** Commands that must be on PATH (bwrap and socat first). */
  tools: readonly string[];
  /** How to get a missing tool (follows "<tool> is not installed "). */
  hint: string;
}): string | undefined {
  if (process.platform !== "linux") return o.platform;
  for (const tool of o.tools) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed ${o.hint}`;
  }
  const probe = spawnSync(
    "bwrap",
    ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net", "true"],
    { encoding: "utf8" },
  );
  if (probe.status !== 0) return `bubblewrap cannot create namespaces here: ${probe.stderr.trim()}`;
  return undefined;
}

/** The Codex CLI binary from .cache/e2e, or undefined when it is not there. */
export function optionalCodexBin(): string | undefined {
  try {
    return e2eClient("codex").bin;
  } catch {
    return undefined;
  }
}

/** Cleanups run after the enclosing describe (call inside a describe). */
export function useCleanups(): Array<() => void> {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.splice(0)) c();
  });
  return cleanups;
}

/** The environment hookpack and the clients run with in `sb`: a file key backend, CI, plus `extra`. */
export function hookpackEnv(
  sb: Sandbox,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...baseEnv(sb),
    HOOKPACK_HOME: sb.hookpackHome,
    HOOKPACK_KEY_BACKEND: "file",
    CI: "true",
    ...extra,
  };
}

/**
 * `node <bin> install --agent <agent> [--scope <scope>] [--sandbox]` in the project; fails the test
 * (with install's stderr) when it does not exit 0.
 */
export async function installAgent(o: {
  sb: Sandbox;
  env: Record<string, string>;
  agent: "claude-code" | "codex";
  scope?: "project" | "user" | "local";
  sandbox: boolean;
  /** Another build's hookpack.cjs (the "before" side); this tree's by default. */
  bin?: string;
}): Promise<RunResult> {
  const install = await run(
    process.execPath,
    [
      o.bin ?? HOOKPACK_CJS,
      "install",
      "--agent",
      o.agent,
      ...(o.scope ? ["--scope", o.scope] : []),
      ...(o.sandbox ? ["--sandbox"] : []),
    ],
    { cwd: o.sb.project, env: o.env, timeoutMs: 60_000 },
  );
  expect(install.code, install.stderr).toBe(0);
  return install;
}

/** Reads a JSON settings file, lets `edit` change it, writes it back; returns the edited object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function editJson(file: string, edit: (settings: Record<string, any>) => void) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const settings = JSON.parse(readFileSync(file, "utf8")) as Record<string, any>;
  edit(settings);
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  return settings;
}

/** The command run by bash, handed over base64-encoded by python (out of reach of Claude Code's prompt). */
export const viaPython = (cmd: string): string =>
  `python3 -c 'import base64,os; os.execvp("bash",["bash","-c",base64.b64decode("${Buffer.from(`${cmd}\ntrue\n`).toString("base64")}").decode()])'`;

/** One scripted Bash call of the fake Anthropic model. */
export const bashStep = (command: string, description: string, extra: object = {}) => ({
  tool_use: { name: "Bash", input: { command, description, ...extra } },
});

/**
 * A real Claude Code session (`--allowedTools Bash`, file key backend) against the fake model
 * `fake` (reached at `url`, the fake's own by default); fails the test when Claude Code does not
 * exit 0. Returns the text of every tool result of the last main request, oldest first.
 */
export async function claudeBashTexts(
  client: ClientInfo,
  sb: Sandbox,
  fake: FakeAnthropic,
  o: { url?: string; extraEnv?: Record<string, string> } = {},
): Promise<string[]> {
  const result = await runClaude(client, sb, o.url ?? fake.url, {
    extraArgs: CLAUDE_ARGS,
    extraEnv: { HOOKPACK_KEY_BACKEND: "file", ...o.extraEnv },
  });
  expect(result.code, result.stderr.slice(-2000)).toBe(0);
  return toolResults(mainRequests(fake).at(-1)!.body).map(toolResultText);
}

/** Trusts the sandbox's project in a fresh ~/.codex/config.toml; returns that CODEX_HOME. */
export function trustCodexProject(sb: Sandbox): string {
  const codexHome = join(sb.home, ".codex");
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(
    join(codexHome, "config.toml"),
    `[projects."${sb.project}"]\ntrust_level = "trusted"\n`,
  );
  return codexHome;
}

/**
 * `cmd` through Codex's own sandbox helper with hookpack's permission profile
 * (`codex sandbox -P hookpack`, what every shell call of Codex runs in), or through plain /bin/sh
 * when `codexBin` is undefined (the control).
 */
export function codexShell(
  codexBin: string | undefined,
  sb: Sandbox,
  env: Record<string, string>,
  cmd: string,
): SpawnSyncReturns<string> {
  const opts = { cwd: sb.project, env, encoding: "utf8" as const, timeout: 60_000 };
  return codexBin
    ? spawnSync(
        codexBin,
        ["sandbox", "-P", "hookpack", "-C", sb.project, "--", "/bin/sh", "-c", cmd],
        opts,
      )
    : spawnSync("/bin/sh", ["-c", cmd], opts);
}

/** ~/.codex/config.toml for a fake OpenAI provider at `url` (the Responses wire API). */
export function codexFakeProvider(
  url: string,
  o: {
    /** e.g. "danger-full-access" (the unsandboxed control). */
    sandboxMode?: string;
    /** "env": the key from FAKE_OPENAI_API_KEY; "openai": OpenAI auth (Codex sends the key from ~/.codex/auth.json). */
    auth: "env" | "openai";
    /** A project to trust (its .codex/ config loads only then). */
    trustedProject?: string;
  },
): string {
  return [
    'model = "gpt-fake"',
    'model_provider = "fake"',
    'approval_policy = "never"',
    ...(o.sandboxMode ? [`sandbox_mode = "${o.sandboxMode}"`] : []),
    "check_for_update_on_startup = false",
    "[analytics]",
    "enabled = false",
    "[feedback]",
    "enabled = false",
    "[model_providers.fake]",
    'name = "fake"',
    `base_url = "${url}/v1"`,
    'wire_api = "responses"',
    o.auth === "openai" ? "requires_openai_auth = true" : 'env_key = "FAKE_OPENAI_API_KEY"',
    ...(o.trustedProject ? [`[projects."${o.trustedProject}"]`, 'trust_level = "trusted"'] : []),
    "",
  ].join("\n");
}

/** `codex exec` with one prompt, the features that reach out switched off. */
export function codexExec(
  bin: string,
  cwd: string,
  env: Record<string, string>,
): Promise<RunResult> {
  return run(
    bin,
    [
      "exec",
      "--skip-git-repo-check",
      "--json",
      "--disable",
      "apps",
      "--disable",
      "plugins",
      "--disable",
      "remote_plugin",
      "run the step",
    ],
    { cwd, env, timeoutMs: 180_000 },
  );
}

/** The text of every function_call_output in an OpenAI Responses request body, oldest first. */
export function functionCallOutputs(body: unknown): string[] {
  const input = (body as { input?: unknown[] } | null)?.input ?? [];
  return input.flatMap((i) => {
    const item = i as { type?: string; output?: unknown };
    return item.type === "function_call_output"
      ? [typeof item.output === "string" ? item.output : JSON.stringify(item.output)]
      : [];
  });
}

/**
 * contained/attempts by family (and `total`): `held` says an outcome was contained. Families with
 * no outcome are shown as 0/0 unless `skipEmpty`.
 */
export function familyTally<O>(
  outcomes: readonly O[],
  families: readonly string[],
  familyOf: (o: O) => string,
  held: (o: O) => boolean,
  skipEmpty = false,
): Record<string, string> {
  const t: Record<string, string> = {};
  for (const fam of families) {
    const of = outcomes.filter((o) => familyOf(o) === fam);
    if (of.length || !skipEmpty) t[fam] = `${of.filter(held).length}/${of.length}`;
  }
  t.total = `${outcomes.filter(held).length}/${outcomes.length}`;
  return t;
}

/** One `attack tally <name>/<family>: N/M contained (<label>)` line a family. */
export function printFamilyTally(name: string, t: Record<string, string>, label: string): void {
  for (const [fam, v] of Object.entries(t))
    console.log(`attack tally ${name}/${fam}: ${v} contained (${label})`);
}
