// The shared scaffolding of the end-to-end tests: the per-file lifecycle (client, cleanups,
// HOOKPACK_E2E_KEEP), stored secrets and policies, the leak checks over the fake server's request
// log, one scenario runner for the clients that talk to fake-models.ts, and the scenario shapes
// every agent file repeats (literal token, token file, run-time token, harmless command, $secret:
// reference). What a real client does with each of them stays in its own test file.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, expect } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type ScriptStep } from "./fake-anthropic.js";
import type { FakeServer, Logged, Script, Step } from "./fake-models.js";
import {
  baseEnv,
  describeRun,
  e2eClient,
  fakeGithubToken,
  HOOKPACK_CJS,
  installHookpack,
  makeSandbox,
  requireBuild,
  runClaude,
  type ClaudeRun,
  type ClientInfo,
  type RunResult,
  type Sandbox,
} from "./helpers.js";
import { approvePolicy } from "../../broker/policy-approval.js";

/** HOOKPACK_E2E_KEEP=1 keeps each sandbox and writes the fake server's request log (requests.json) into it. */
export const KEEP = process.env.HOOKPACK_E2E_KEEP === "1";

export type ClientName = Parameters<typeof e2eClient>[0];
type Cleanup = () => Promise<void> | void;

// ---------------------------------------------------------------------------------------------
// Lifecycle.

export interface E2e {
  /** The installed client (known once beforeAll has run). */
  readonly client: ClientInfo;
  /** Runs after the current test, the latest first. */
  defer(cleanup: Cleanup): void;
  /** A fresh sandbox, removed after the test (kept, and its path printed, with HOOKPACK_E2E_KEEP=1). */
  sandbox(prefix?: string): Sandbox;
  /** With HOOKPACK_E2E_KEEP=1, writes these artifacts into the sandbox root. */
  keep(sb: Sandbox, files: Record<string, () => string>): void;
}

/** Registers the file's beforeAll (build present, client installed, `check`) and afterEach (cleanups). */
export function useE2e(name: ClientName, check?: (client: ClientInfo) => void): E2e {
  let client: ClientInfo | undefined;
  const cleanups: Cleanup[] = [];
  beforeAll(() => {
    requireBuild();
    client = e2eClient(name);
    check?.(client);
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return {
    get client(): ClientInfo {
      if (!client) throw new Error(`the ${name} client is not set up yet (beforeAll has not run)`);
      return client;
    },
    defer: (cleanup) => void cleanups.push(cleanup),
    sandbox(prefix) {
      const sb = makeSandbox(prefix);
      if (!KEEP) cleanups.push(() => sb.cleanup());
      else console.log(`[e2e] keeping ${sb.root}`);
      return sb;
    },
    keep(sb, files) {
      if (!KEEP) return;
      for (const [name, text] of Object.entries(files)) writeFileSync(join(sb.root, name), text());
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Managed secrets and policies.

/** A random managed value (hex: no detector knows it). */
export const randomValue = (): string => `Vv${randomBytes(18).toString("hex")}`;
/** The forms of a value no request may carry: raw, base64 and hex. */
export const forbiddenForms = (value: string): string[] => [
  value,
  Buffer.from(value).toString("base64"),
  Buffer.from(value).toString("hex"),
];
export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** DEPLOY_KEY from the store, for printf and echo, without asking. */
export const DEPLOY_KEY_POLICY = {
  version: 1,
  secrets: {
    DEPLOY_KEY: { provider: "store", commands: ["printf", "echo", "sha256sum"], approval: "auto" },
  },
};
/** The same through `defaults`, with a two-minute grant ttl. */
export const DEPLOY_KEY_POLICY_TTL = {
  version: 1,
  defaults: { approval: "auto", ttl: "2m" },
  secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf", "echo", "sha256sum"] } },
};

/** The project's hookpack.json. */
export function writePolicy(sb: Sandbox, policy: unknown): void {
  writeFileSync(join(sb.project, "hookpack.json"), `${JSON.stringify(policy, null, 2)}\n`);
  // As the user would in their terminal (`hookpack policy approve`): an unapproved policy does not apply.
  approvePolicy(sb.hookpackHome, sb.project);
}

/** `hookpack secret set NAME` with the value on stdin, into the sandbox's file-backed store. */
export function storeSecret(sb: Sandbox, name: string, value: string): void {
  const set = spawnSync(process.execPath, [HOOKPACK_CJS, "secret", "set", name], {
    input: value,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH,
      HOME: sb.home,
      HOOKPACK_HOME: sb.hookpackHome,
      HOOKPACK_KEY_BACKEND: "file",
      TMPDIR: sb.tmp,
    },
  });
  expect(set.status, set.stderr).toBe(0);
}

// ---------------------------------------------------------------------------------------------
// Leak checks over a fake server's request log.

interface LoggedBody {
  seq: number;
  path: string;
  kind: string;
  rawBody: string;
  body: unknown;
}

/**
 * No request carries any of `forbid`, anywhere (raw body or parsed body), not even inside the fake
 * model's own tool calls. Only counts are printed, never the strings.
 */
export function expectNoRequestCarries(
  requests: LoggedBody[],
  forbid: string[],
  what = "forbidden string",
): void {
  for (const q of requests) {
    const hits = forbid.filter((f) => q.rawBody.includes(f) || JSON.stringify(q.body).includes(f));
    expect(
      hits.length,
      `request #${q.seq} ${q.path} (${q.kind}) carries ${hits.length} ${what}(s)`,
    ).toBe(0);
  }
}

/** Nothing forbidden reached any request outside the tool calls the fake model itself made. */
export function expectNoLeak(fake: FakeServer): void {
  for (const r of fake.requests())
    expect(
      r.leaksOutsideOwnToolCall,
      `request #${r.seq} ${r.path} (${r.kind}) carries the secret`,
    ).toEqual([]);
}

export const mainRequests = <R extends { kind: string }>(fake: { requests(): R[] }): R[] =>
  fake.requests().filter((r) => r.kind === "main");

/** The main request made after `step` tool calls of the script, which must exist. */
export function requestAtStep<R extends { kind: string; step: number | null }>(
  fake: { requests(): R[] },
  step: number,
  diag: string,
): R {
  const request = mainRequests(fake).find((r) => r.step === step);
  expect(request, `no model request after ${step} tool call(s)\n${diag}`).toBeDefined();
  return request!;
}

// ---------------------------------------------------------------------------------------------
// Clients against fake-models.ts (Codex, Gemini, Qwen Code, OpenCode, Cline, Copilot).

export type ToolCall = NonNullable<Step["call"]>;

export interface ScenarioOptions {
  /** Install hookpack for the agent; false is the negative control. */
  hooks: boolean;
  /** Strings that must not reach the model (the fake server logs where they appear). */
  forbid?: string[];
  /** Files written into the project first. */
  files?: Record<string, string>;
  /** Runs before `hookpack install`. */
  beforeInstall?: (sb: Sandbox) => void;
  /** Runs after `hookpack install`, before the client. */
  setup?: (sb: Sandbox) => void;
  /** Extra environment for the client (and so for its hooks and the commands it runs). */
  env?: Record<string, string>;
  /** The prompt the client is started with (default "run the step"). */
  prompt?: string;
}

export interface Scenario {
  sb: Sandbox;
  fake: FakeServer;
  run: RunResult;
  /** The run's exit and output tails, the forbidden strings masked. */
  diag: () => string;
}

export interface AgentRun<O> {
  client: ClientInfo;
  sb: Sandbox;
  fake: FakeServer;
  /** baseEnv, HOOKPACK_HOME, the agent's `env` and the scenario's `env`. */
  env: Record<string, string>;
  opts: ScenarioOptions & O;
}

/** What is really agent-specific about driving a client. */
export interface AgentSpec<X extends object, O extends object> {
  /** The client (.cache/e2e/clients.json), the installer's --agent, and the label of log lines. */
  name: ClientName;
  /** Extra checks of the installed client, in beforeAll. */
  check?: (client: ClientInfo) => void;
  /** The fake model server the client talks to. */
  startFake: (script: Script) => Promise<FakeServer>;
  /** The client's own environment variables. */
  env?: (sb: Sandbox, fake: FakeServer) => Record<string, string>;
  /** The client's user configuration (before hookpack is installed). */
  configure?: (c: AgentRun<O>) => void | Promise<void>;
  /** What `hookpack install --agent <name>` must have written. */
  checkInstall?: (sb: Sandbox, install: RunResult, opts: ScenarioOptions & O) => void;
  /** One headless run of the client on "run the step". */
  run: (c: AgentRun<O>) => Promise<RunResult>;
  /** What else a scenario reports (events, logs), and checks every run must pass. */
  collect?: (c: AgentRun<O> & { run: RunResult; diag: () => string }) => X;
  /** The tool results in a request to the model, oldest first, as text. */
  toolOutputs: (r: Logged) => string[];
}

export interface Agent<X extends object = object, O extends object = object> {
  name: ClientName;
  readonly client: ClientInfo;
  e2e: E2e;
  toolOutputs: (r: Logged) => string[];
  /** A sandbox, the fake server on `script`, the client's config, hookpack (when `hooks`), one run. */
  scenario(
    script: Step[] | ((sb: Sandbox) => Step[]),
    opts: ScenarioOptions & O,
  ): Promise<Scenario & X>;
}

export function defineAgent<X extends object = object, O extends object = object>(
  spec: AgentSpec<X, O>,
): Agent<X, O> {
  const e2e = useE2e(spec.name, spec.check);
  return {
    name: spec.name,
    get client() {
      return e2e.client;
    },
    e2e,
    toolOutputs: spec.toolOutputs,
    async scenario(script, opts) {
      const sb = e2e.sandbox(`hookpack-e2e-${spec.name}-`);
      for (const [name, text] of Object.entries(opts.files ?? {}))
        writeFileSync(join(sb.project, name), text);
      const fake = await spec.startFake({
        steps: typeof script === "function" ? script(sb) : script,
        forbid: opts.forbid,
      });
      e2e.defer(() => fake.close());
      const env = {
        ...baseEnv(sb),
        HOOKPACK_HOME: sb.hookpackHome,
        ...spec.env?.(sb, fake),
        ...opts.env,
      };
      const c: AgentRun<O> = { client: e2e.client, sb, fake, env, opts };
      await spec.configure?.(c);
      opts.beforeInstall?.(sb);
      if (opts.hooks) {
        const r = await installHookpack(sb, spec.name);
        expect(r.code, `hookpack install failed:\n${describeRun(r)}`).toBe(0);
        spec.checkInstall?.(sb, r, opts);
      }
      opts.setup?.(sb);
      const result = await spec.run(c);
      e2e.keep(sb, { "requests.json": () => JSON.stringify(fake.requests(), null, 2) });
      const mask = opts.forbid ?? [];
      const diag = () => describeRun(result, mask);
      const extra = spec.collect?.({ ...c, run: result, diag }) ?? ({} as X);
      return { ...extra, sb, fake, run: result, diag };
    },
  };
}

/** The main request after `calls` tool calls, which must exist and carry one tool result per call. */
export function afterCalls(
  agent: Pick<Agent, "toolOutputs">,
  s: Scenario,
  calls: number,
): { request: Logged; outputs: string[] } {
  const request = requestAtStep(s.fake, calls, s.diag());
  const outputs = agent.toolOutputs(request);
  expect(outputs, s.diag()).toHaveLength(calls);
  return { request, outputs };
}

/** Common options; an agent's own options (O) are all optional. */
const options = <O extends object>(o: ScenarioOptions): ScenarioOptions & O =>
  o as ScenarioOptions & O;

const logLine = (agent: Agent<object, object>, what: string, s: Scenario) =>
  console.log(
    `[e2e] ${agent.name} ${agent.client.version} ${what}: ${s.run.ms} ms, ${s.fake.requests().length} requests`,
  );

/**
 * The model asks to run `touch ran-marker && echo <token>`: the client exits 0 and the command
 * never ran (the marker is missing).
 */
export async function literalTokenRun<X extends object, O extends object>(
  agent: Agent<X, O>,
  call: (command: string) => ToolCall,
) {
  const token = fakeGithubToken();
  const marker = "ran-marker";
  const cmd = `touch ${marker} && echo ${token}`;
  const s = await agent.scenario(
    [{ text: "Checking.", call: call(cmd) }, { text: "Done." }],
    options<O>({ hooks: true, forbid: [token] }),
  );
  logLine(agent, "literal-token scenario", s);
  expect(s.run.code, s.diag()).toBe(0);
  expect(existsSync(join(s.sb.project, marker)), `the command ran\n${s.diag()}`).toBe(false);
  return { ...s, token, cmd };
}

/** literalTokenRun, and the model is told: one tool result, after which the token is only in the model's own call. */
export async function literalTokenBlocked<X extends object, O extends object>(
  agent: Agent<X, O>,
  call: (command: string) => ToolCall,
) {
  const s = await literalTokenRun(agent, call);
  const { request: second, outputs } = afterCalls(agent, s, 1);
  // The check is live: the raw body carries the token inside the fake model's own call.
  expect(second.leaks).toEqual([s.token]);
  return { ...s, second, outputs };
}

/**
 * The project holds `file` with a GitHub token (next to a harmless line); the model reads it with
 * the calls `steps` makes. The client exits 0.
 */
export async function tokenFileRun<X extends object, O extends object>(
  agent: Agent<X, O>,
  steps: (sb: Sandbox) => Step[],
  opts: { hooks: boolean; file?: string; label?: string },
) {
  const token = fakeGithubToken();
  const { hooks, file = "config.env", label = "file-read scenario" } = opts;
  const s = await agent.scenario(
    steps,
    options<O>({
      hooks,
      forbid: [token],
      files: { [file]: `HOST=example.test\nGH_TOKEN=${token}\n` },
    }),
  );
  if (hooks) logLine(agent, label, s);
  expect(s.run.code, s.diag()).toBe(0);
  return { ...s, token };
}

/** Without hookpack the token file's content reaches the model: the leak check is live. */
export async function tokenFileLeaks<X extends object, O extends object>(
  agent: Agent<X, O>,
  steps: (sb: Sandbox) => Step[],
  opts: { calls: number; file?: string },
) {
  const s = await tokenFileRun(agent, steps, { hooks: false, file: opts.file });
  const { request: last, outputs } = afterCalls(agent, s, opts.calls);
  expect(last.leaksOutsideOwnToolCall).toEqual([s.token]);
  return { ...s, last, outputs };
}

/** show.sh prints HOST=example.test and a GitHub token held in two halves, so nothing before the run can see it. */
export const runTimeTokenScript = (token: string, name = "GH_TOKEN", tail = "") =>
  `printf 'HOST=example.test\\n${name}=%s%s\\n' '${token.slice(0, 10)}' '${token.slice(10)}'\n${tail}`;

/** The model runs `sh show.sh`, whose output carries a token only at run time. The client exits 0. */
export async function runTimeTokenRun<X extends object, O extends object>(
  agent: Agent<X, O>,
  call: ToolCall,
  opts: { script?: (token: string) => string; label?: string } = {},
) {
  const token = fakeGithubToken();
  const { script = runTimeTokenScript, label = "output-redaction scenario" } = opts;
  const s = await agent.scenario(
    [{ text: "Running.", call }, { text: "Done." }],
    options<O>({ hooks: true, forbid: [token], files: { "show.sh": script(token) } }),
  );
  logLine(agent, label, s);
  expect(s.run.code, s.diag()).toBe(0);
  return { ...s, token };
}

/** The redacted copy of show.sh's output, as hookpack's notice. */
export function expectRedactedNotice(output: string | undefined): void {
  expect(output).toContain("hookpack redacted");
  expect(output).toContain("HOST=example.test");
  expect(output).toContain("GH_TOKEN=[REDACTED:");
}

/** tokenFileRun with hookpack: every read's result says hookpack blocked or redacted it; the token reached no request. */
export async function tokenFileGuarded<X extends object, O extends object>(
  agent: Agent<X, O>,
  steps: (sb: Sandbox) => Step[],
  calls: number,
) {
  const s = await tokenFileRun(agent, steps, { hooks: true });
  const { request, outputs } = afterCalls(agent, s, calls);
  // Either the read guard stopped the read up front, or the output was redacted afterwards.
  for (const o of outputs) expect(o).toMatch(/hookpack (blocked|redacted)/);
  expect(request.leaks).toEqual([]);
  expectNoLeak(s.fake);
  return { ...s, request, outputs };
}

/** runTimeTokenRun where hookpack's redacted copy replaces the output: the token reached no request. */
export async function runTimeTokenRedacted<X extends object, O extends object>(
  agent: Agent<X, O>,
  call: ToolCall,
) {
  const s = await runTimeTokenRun(agent, call);
  const { request, outputs } = afterCalls(agent, s, 1);
  expectRedactedNotice(outputs[0]);
  expect(request.leaks).toEqual([]);
  expectNoLeak(s.fake);
  return { ...s, request, outputs };
}

/** The model runs `echo hello-e2e` with hookpack installed; the client exits 0. */
export async function harmlessRun<X extends object, O extends object>(
  agent: Agent<X, O>,
  call: ToolCall,
) {
  const s = await agent.scenario(
    [{ text: "Hello.", call }, { text: "Done." }],
    options<O>({ hooks: true }),
  );
  console.log(`[e2e] ${agent.name} ${agent.client.version} allow path: ${s.run.ms} ms`);
  expect(s.run.code, s.diag()).toBe(0);
  return s;
}

/**
 * DEPLOY_KEY is stored (file backend) under `policy`; the model makes the calls `steps` makes. The
 * client exits 0 and no request carries the value in any of its forms, not even the model's own calls.
 */
export async function brokerRun<X extends object, O extends object>(
  agent: Agent<X, O>,
  steps: Step[] | ((sb: Sandbox) => Step[]),
  opts: { policy?: unknown; label?: string } = {},
) {
  const value = randomValue();
  const forbid = forbiddenForms(value);
  const { policy = DEPLOY_KEY_POLICY, label } = opts;
  const s = await agent.scenario(steps, {
    ...options<O>({ hooks: true }),
    forbid,
    env: { HOOKPACK_KEY_BACKEND: "file" },
    setup: (sb) => {
      writePolicy(sb, policy);
      storeSecret(sb, "DEPLOY_KEY", value);
    },
  });
  if (label) logLine(agent, label, s);
  expect(s.run.code, s.diag()).toBe(0);
  expectNoRequestCarries(s.fake.requests(), forbid, "form of the value");
  // The hashing steps give the value to sha256sum on its stdin (a here-string adds a newline).
  return { ...s, value, forbid, digest: sha256(`${value}\n`) };
}

// ---------------------------------------------------------------------------------------------
// Claude Code against fake-anthropic.ts.

// The same permission flags for every run, hooked or not, so that hooks are the only difference.
// (As root, --dangerously-skip-permissions exits 1; --allowedTools is the reference's way.)
export const CLAUDE_ARGS = ["--allowedTools", "Bash"];

export interface ClaudeScenario {
  sb: Sandbox;
  fake: FakeAnthropic;
  run: ClaudeRun;
  diag: () => string;
}

/** What every hooked Claude Code scenario checks of `hookpack install`. */
export async function installForClaude(sb: Sandbox): Promise<void> {
  const r = await installHookpack(sb);
  expect(r.code, `hookpack install failed:\n${describeRun(r)}`).toBe(0);
  const settings = join(sb.project, ".claude", "settings.json");
  expect(existsSync(settings), "install wrote no .claude/settings.json").toBe(true);
  const hooks =
    (JSON.parse(readFileSync(settings, "utf8")) as { hooks?: Record<string, unknown> }).hooks ?? {};
  for (const ev of [
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "SessionEnd",
    "UserPromptSubmit",
    "SessionStart",
  ])
    expect(Object.keys(hooks), `settings.json lacks hooks.${ev}`).toContain(ev);
}

/** A sandbox, hookpack (when `hooks`), `setup`, the fake Anthropic server on `steps`, one `claude -p` run. */
export async function claudeScenario(
  e2e: E2e,
  opts: {
    hooks: boolean;
    steps: ScriptStep[] | ((sb: Sandbox) => ScriptStep[]);
    forbid?: string[];
    setup?: (sb: Sandbox) => void;
    env?: Record<string, string>;
    prompt?: string;
    /** Instead of CLAUDE_ARGS. */ args?: string[];
  },
): Promise<ClaudeScenario> {
  const sb = e2e.sandbox();
  if (opts.hooks) await installForClaude(sb);
  opts.setup?.(sb);
  const fake = await startFakeAnthropic({
    steps: typeof opts.steps === "function" ? opts.steps(sb) : opts.steps,
    forbid: opts.forbid,
  });
  e2e.defer(() => fake.close());
  const run = await runClaude(e2e.client, sb, fake.url, {
    extraArgs: opts.args ?? CLAUDE_ARGS,
    extraEnv: opts.env,
    prompt: opts.prompt,
  });
  e2e.keep(sb, {
    "requests.json": () => JSON.stringify(fake.requests(), null, 2),
    "claude-stdout.jsonl": () => run.stdout,
    "claude-stderr.txt": () => run.stderr,
  });
  const mask = opts.forbid ?? [];
  return { sb, fake, run, diag: () => describeRun(run, mask) };
}

/** The run exited 0, and neither a request (raw or parsed body, of any kind) nor a stream-json event carries a forbidden string. */
export function expectClaudeRunClean(s: ClaudeScenario, forbidden: string[]): void {
  expect(s.run.code, describeRun(s.run, forbidden)).toBe(0);
  expectNoRequestCarries(s.fake.requests(), forbidden);
  for (const e of s.run.events)
    expect(
      forbidden.some((f) => JSON.stringify(e).includes(f)),
      `stream event ${String(e.type)} carries a value`,
    ).toBe(false);
}

// ---------------------------------------------------------------------------------------------
// The prompt road: a token or a managed value the user pastes into the prompt.

/** The prompt the user types, with a GitHub token pasted into it. */
export const promptWithToken = (token: string): string =>
  `${PROMPT_LEAD} ${token} and tell me when done.`;
/** The words before the token: a client that blocks the prompt sends none of it to the model. */
export const PROMPT_LEAD = "Deploy with this token:";
/** No request carries any part of the prompt: the client never sent it. */
export function expectPromptNeverSent(requests: LoggedBody[]): void {
  for (const q of requests)
    expect(
      q.rawBody.includes(PROMPT_LEAD),
      `request #${q.seq} ${q.path} (${q.kind}) carries the prompt`,
    ).toBe(false);
}

/**
 * The user starts the client with a token in the prompt. With hookpack no request (of any kind:
 * main, side, classifier, token counting) carries it; without, the leak check fires.
 */
export async function promptTokenRun<X extends object, O extends object>(
  agent: Agent<X, O>,
  hooks: boolean,
) {
  const token = fakeGithubToken();
  const s = await agent.scenario(
    [{ text: "Done." }],
    options<O>({ hooks, forbid: [token], prompt: promptWithToken(token) }),
  );
  logLine(agent, hooks ? "prompt-token scenario" : "prompt-token control", s);
  if (hooks) {
    expectNoRequestCarries(s.fake.requests(), [token], "pasted token");
    // The exposure is on record (so the hook ran and held it back).
    const entries = auditRecords(s.sb);
    expect(
      entries.some((e) => e.kind === "exposure-found" && e.where === `${agent.name} prompt`),
      JSON.stringify(entries),
    ).toBe(true);
    expect(JSON.stringify(entries).includes(token)).toBe(false);
  } else
    expect(
      s.fake.requests().some((r) => r.leaks.includes(token)),
      `the unhooked prompt never reached the fake server\n${s.diag()}`,
    ).toBe(true);
  return { ...s, token };
}

/** A managed value (stored with `hookpack secret set`) pasted into the prompt, base64-encoded: no request carries any form of it. */
export async function promptManagedValueRun<X extends object, O extends object>(
  agent: Agent<X, O>,
) {
  const value = randomValue();
  const forbid = forbiddenForms(value);
  const s = await agent.scenario([{ text: "Done." }], {
    ...options<O>({
      hooks: true,
      forbid,
      prompt: `Use the key ${Buffer.from(value).toString("base64")} for the upload.`,
    }),
    env: { HOOKPACK_KEY_BACKEND: "file" },
    setup: (sb) => storeSecret(sb, "DEPLOY_KEY", value),
  });
  logLine(agent, "prompt-managed-value scenario", s);
  expectNoRequestCarries(s.fake.requests(), forbid, "form of the value");
  return { ...s, value };
}

/** The audit log of a sandbox as JSON records (names and kinds only ever). */
export function auditRecords(sb: Sandbox): Array<Record<string, unknown>> {
  const r = spawnSync(process.execPath, [HOOKPACK_CJS, "audit", "--json"], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: sb.home, HOOKPACK_HOME: sb.hookpackHome, TMPDIR: sb.tmp },
  });
  const parsed = JSON.parse(r.stdout || "{}") as { entries?: Array<Record<string, unknown>> };
  return parsed.entries ?? [];
}
