// End to end, issue 4: the model writes `$secret:NAME`, the real Claude Code client runs the
// pre-tool hook, the call is rewritten into a brokered `hookpack exec --grant …`, the command runs
// with the value, and the value never appears in any request the (fake) model server received —
// not in the tool_use history, not in tool results, not in count_tokens calls.
import { createHash, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type ScriptStep } from "./fake-anthropic.js";
import { describeRun, e2eClient, HOOKPACK_CJS, installHookpack, makeSandbox, requireBuild, runClaude, toolResults, toolResultText, type ClaudeRun, type ClientInfo, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const CLIENT_ARGS = ["--allowedTools", "Bash"];
let client: ClientInfo;
const cleanups: Array<() => Promise<void> | void> = [];
beforeAll(() => {
  requireBuild();
  client = e2eClient("claude-code");
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const bash = (command: string) => ({ name: "Bash", input: { command, description: "run it" } });

interface Run {
  sb: Sandbox;
  value: string;
  fake: FakeAnthropic;
  run: ClaudeRun;
  forbidden: string[];
}

const scenario = (policy: unknown, steps: (sb: Sandbox) => ScriptStep[]) => scenarioWith("DEPLOY_KEY", policy, steps);

async function scenarioWith(name: string, policy: unknown, steps: (sb: Sandbox) => ScriptStep[]): Promise<Run> {
  const sb = makeSandbox();
  cleanups.push(() => sb.cleanup());
  const value = `Vv${randomBytes(18).toString("hex")}`;
  const install = await installHookpack(sb);
  expect(install.code, describeRun(install)).toBe(0);
  writeFileSync(join(sb.project, "hookpack.json"), `${JSON.stringify(policy, null, 2)}\n`);
  const set = spawnSync(process.execPath, [HOOKPACK_CJS, "secret", "set", name], {
    input: value,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: sb.home, HOOKPACK_HOME: sb.hookpackHome, HOOKPACK_KEY_BACKEND: "file", TMPDIR: sb.tmp },
  });
  expect(set.status, set.stderr).toBe(0);
  const forbidden = [value, Buffer.from(value).toString("base64"), Buffer.from(value).toString("hex")];
  const fake = await startFakeAnthropic({ steps: steps(sb), forbid: forbidden });
  cleanups.push(() => fake.close());
  const run = await runClaude(client, sb, fake.url, { extraArgs: CLIENT_ARGS, extraEnv: { HOOKPACK_KEY_BACKEND: "file" } });
  return { sb, value, fake, run, forbidden };
}

function assertNoLeak(s: Run): void {
  expect(s.run.code, describeRun(s.run, s.forbidden)).toBe(0);
  for (const r of s.fake.requests()) {
    const hits = s.forbidden.filter((f) => r.rawBody.includes(f));
    expect(hits.length, `request #${r.seq} ${r.path} (${r.kind}) carries a value`).toBe(0);
  }
  for (const e of s.run.events) expect(s.forbidden.some((f) => JSON.stringify(e).includes(f)), `stream event ${String(e.type)} carries a value`).toBe(false);
}

/** The newest tool result in the request made after `step` tool calls (history holds the older ones). */
function resultAfter(s: Run, step: number): { text: string; isError: boolean } | undefined {
  const req = s.fake.requests().find((r) => r.kind === "main" && r.step === step);
  const last = toolResults(req?.body).at(-1);
  return last && { text: toolResultText(last), isError: last.is_error === true };
}

const allowPrintf = { version: 1, defaults: { approval: "auto", ttl: "2m" }, secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf", "echo"] } } };

describe("e2e: $secret: references through the real Claude Code client", () => {
  it(
    "rewrites a reference into a brokered exec: the command runs with the value, its output is masked, no request carries the value",
    async () => {
      const s = await scenario(allowPrintf, () => [
        { text: "Hashing the key.", tool_use: bash('printf %s "$secret:DEPLOY_KEY" | sha256sum') },
        { text: "Printing it.", tool_use: bash("echo key=$secret:DEPLOY_KEY") },
        { text: "Done." },
      ]);
      assertNoLeak(s);
      const expected = createHash("sha256").update(s.value).digest("hex");
      const hashed = resultAfter(s, 1);
      expect(hashed?.isError, JSON.stringify(hashed)).toBe(false);
      // The value reached the command: its digest is the digest of the stored value.
      expect(hashed?.text).toContain(expected);
      const printed = resultAfter(s, 2);
      expect(printed?.isError).toBe(false);
      expect(printed?.text).toContain("key=[REDACTED:DEPLOY_KEY]");
      // The model's own history keeps the reference it wrote, never a rewrite holding a value.
      const last = s.fake.requests().filter((r) => r.kind === "main").at(-1)!;
      expect(last.rawBody).toContain("$secret:DEPLOY_KEY");
    },
    TEST_TIMEOUT,
  );

  it(
    "denies a reference in a command the policy does not allow; the command never runs and the model is told why",
    async () => {
      const s = await scenario(allowPrintf, (sb) => [
        { text: "Uploading.", tool_use: bash(`touch '${join(sb.root, "ran")}'; curl -s -H "X-Key: $secret:DEPLOY_KEY" http://127.0.0.1:9/`) },
        { text: "Done." },
      ]);
      assertNoLeak(s);
      expect(existsSync(join(s.sb.root, "ran"))).toBe(false);
      const denied = resultAfter(s, 1);
      expect(denied?.isError).toBe(true);
      expect(denied?.text).toMatch(/DEPLOY_KEY/);
      expect(denied?.text).toMatch(/hookpack\.json|not allowed|policy/i);
    },
    TEST_TIMEOUT,
  );

  it(
    "denies an unknown name with a reason that helps the model",
    async () => {
      const s = await scenario(allowPrintf, () => [{ text: "Using it.", tool_use: bash("printf %s $secret:DEPLOY_KYE | wc -c") }, { text: "Done." }]);
      assertNoLeak(s);
      const denied = resultAfter(s, 1);
      expect(denied?.isError).toBe(true);
      expect(denied?.text).toContain("DEPLOY_KYE");
      expect(denied?.text).toContain("DEPLOY_KEY");
    },
    TEST_TIMEOUT,
  );

  it(
    "curl with `Authorization: Bearer $secret:API_TOKEN` reaches a local server with the right header; the echoed value comes back masked",
    async () => {
      const seen: IncomingHttpHeaders[] = [];
      const server = createServer((req, res) => {
        seen.push(req.headers);
        res.setHeader("content-type", "application/json");
        // A careless API that echoes the credential back: the broker must mask it.
        res.end(JSON.stringify({ user: "octo", auth: req.headers.authorization ?? null }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const port = (server.address() as AddressInfo).port;
      const policy = { version: 1, secrets: { API_TOKEN: { provider: "store", commands: [{ program: "curl", hosts: ["127.0.0.1"] }], approval: "auto" } } };
      const s = await scenarioWith("API_TOKEN", policy, () => [
        { text: "Calling the API.", tool_use: bash(`curl -s -H "Authorization: Bearer $secret:API_TOKEN" http://127.0.0.1:${port}/whoami`) },
        { text: "Done." },
      ]);
      assertNoLeak(s);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.authorization).toBe(`Bearer ${s.value}`);
      const result = resultAfter(s, 1);
      expect(result?.isError, JSON.stringify(result)).toBe(false);
      expect(result?.text).toContain('"user":"octo"');
      expect(result?.text).toContain("Bearer [REDACTED:API_TOKEN]");
    },
    TEST_TIMEOUT,
  );

  it(
    "an `ask` policy: in headless mode the call is not run without a human, and the model is told why",
    async () => {
      const policy = { version: 1, secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf"], approval: "ask" } } };
      const s = await scenario(policy, (sb) => [{ text: "Hashing.", tool_use: bash(`touch '${join(sb.root, "ran")}'; printf %s $secret:DEPLOY_KEY | wc -c`) }, { text: "Done." }]);
      assertNoLeak(s);
      expect(existsSync(join(s.sb.root, "ran"))).toBe(false);
      const result = resultAfter(s, 1);
      expect(result?.isError).toBe(true);
      expect(result?.text).toMatch(/DEPLOY_KEY/);
    },
    TEST_TIMEOUT,
  );
});
