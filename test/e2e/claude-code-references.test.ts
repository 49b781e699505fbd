// End to end, issue 4: the model writes `$secret:NAME`, the real Claude Code client runs the
// pre-tool hook, the call is rewritten into a brokered `hookpack exec --grant …`, the command runs
// with the value, and the value never appears in any request the (fake) model server received —
// not in the tool_use history, not in tool results, not in count_tokens calls.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ScriptStep } from "./fake-anthropic.js";
import {
  claudeScenario,
  DEPLOY_KEY_POLICY_TTL as allowPrintf,
  expectClaudeRunClean,
  forbiddenForms,
  randomValue,
  sha256,
  storeSecret,
  useE2e,
  writePolicy,
  type ClaudeScenario,
} from "./harness.js";
import { toolResults, toolResultText, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");

const bash = (command: string) => ({ name: "Bash", input: { command, description: "run it" } });

interface Run extends ClaudeScenario {
  value: string;
  forbidden: string[];
}

const scenario = (policy: unknown, steps: (sb: Sandbox) => ScriptStep[], args?: string[]) =>
  scenarioWith("DEPLOY_KEY", policy, steps, args);

async function scenarioWith(
  name: string,
  policy: unknown,
  steps: (sb: Sandbox) => ScriptStep[],
  args?: string[],
): Promise<Run> {
  const value = randomValue();
  const forbidden = forbiddenForms(value);
  const s = await claudeScenario(e2e, {
    hooks: true,
    setup: (sb) => {
      writePolicy(sb, policy);
      storeSecret(sb, name, value);
    },
    steps,
    forbid: forbidden,
    env: { HOOKPACK_KEY_BACKEND: "file" },
    ...(args ? { args } : {}),
  });
  return { ...s, value, forbidden };
}

const assertNoLeak = (s: Run): void => expectClaudeRunClean(s, s.forbidden);

/** The newest tool result in the request made after `step` tool calls (history holds the older ones). */
function resultAfter(s: Run, step: number): { text: string; isError: boolean } | undefined {
  const req = s.fake.requests().find((r) => r.kind === "main" && r.step === step);
  const last = toolResults(req?.body).at(-1);
  return last && { text: toolResultText(last), isError: last.is_error === true };
}

describe("e2e: $secret: references through the real Claude Code client", () => {
  it(
    "a reference never upgrades the permission decision: without a rule allowing Bash, a brokered call is not run in headless mode",
    async () => {
      // No --allowedTools: Claude Code would ask about any Bash call, and `claude -p` cannot ask.
      // Before issue 14 the rewrite answered "allow" and one harmless reference ran anything.
      const s = await scenario(
        allowPrintf,
        (sb) => [
          {
            text: "Printing.",
            tool_use: bash(`touch '${join(sb.root, "ran")}'; echo $secret:DEPLOY_KEY`),
          },
          { text: "Done." },
        ],
        [],
      );
      assertNoLeak(s);
      expect(existsSync(join(s.sb.root, "ran"))).toBe(false);
      expect(resultAfter(s, 1)?.isError).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "an `ask` rule of the user's for a program next to the reference: the call is not run unasked",
    async () => {
      const s = await scenario(allowPrintf, (sb) => {
        mkdirSync(join(sb.project, ".claude"), { recursive: true });
        const file = join(sb.project, ".claude", "settings.local.json");
        const current = existsSync(file)
          ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
          : {};
        writeFileSync(
          file,
          JSON.stringify({ ...current, permissions: { ask: ["Bash(touch:*)"] } }),
        );
        return [
          {
            text: "Printing.",
            tool_use: bash(`touch '${join(sb.root, "ran")}'; echo $secret:DEPLOY_KEY`),
          },
          { text: "Done." },
        ];
      });
      assertNoLeak(s);
      expect(existsSync(join(s.sb.root, "ran"))).toBe(false);
      expect(resultAfter(s, 1)?.isError).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "rewrites a reference into a brokered exec: the command runs with the value, its output is masked, no request carries the value",
    async () => {
      // The value reaches only the program the reference is given to (here sha256sum, on its
      // stdin); what that program prints is masked before it enters a pipe (issue 14).
      const policy = {
        ...allowPrintf,
        secrets: {
          DEPLOY_KEY: { ...allowPrintf.secrets.DEPLOY_KEY, commands: ["sha256sum", "echo"] },
        },
      };
      const s = await scenario(policy, () => [
        {
          text: "Hashing the key.",
          tool_use: bash('sha256sum <<< "$secret:DEPLOY_KEY" | cut -c1-64'),
        },
        { text: "Printing it.", tool_use: bash("echo key=$secret:DEPLOY_KEY | cat") },
        { text: "Done." },
      ]);
      assertNoLeak(s);
      const expected = sha256(`${s.value}\n`);
      const hashed = resultAfter(s, 1);
      expect(hashed?.isError, JSON.stringify(hashed)).toBe(false);
      // The value reached the command: its digest is the digest of the stored value.
      expect(hashed?.text).toContain(expected);
      const printed = resultAfter(s, 2);
      expect(printed?.isError).toBe(false);
      expect(printed?.text).toContain("key=[REDACTED:DEPLOY_KEY]");
      // Nothing of the broker's command line (grant id, key) reaches the model.
      for (const r of s.fake.requests())
        expect(r.rawBody).not.toMatch(/--grant(-key)? [a-z0-9_]{20,}/);
      // The model's own history keeps the reference it wrote, never a rewrite holding a value.
      const last = s.fake
        .requests()
        .filter((r) => r.kind === "main")
        .at(-1)!;
      expect(last.rawBody).toContain("$secret:DEPLOY_KEY");
    },
    TEST_TIMEOUT,
  );

  it(
    "denies a reference in a command the policy does not allow; the command never runs and the model is told why",
    async () => {
      const s = await scenario(allowPrintf, (sb) => [
        {
          text: "Uploading.",
          tool_use: bash(
            `touch '${join(sb.root, "ran")}'; curl -s -H "X-Key: $secret:DEPLOY_KEY" http://127.0.0.1:9/`,
          ),
        },
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
      const s = await scenario(allowPrintf, () => [
        { text: "Using it.", tool_use: bash("printf %s $secret:DEPLOY_KYE | wc -c") },
        { text: "Done." },
      ]);
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
      e2e.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const port = (server.address() as AddressInfo).port;
      const policy = {
        version: 1,
        secrets: {
          API_TOKEN: {
            provider: "store",
            commands: [{ program: "curl", hosts: ["127.0.0.1"] }],
            approval: "auto",
          },
        },
      };
      const s = await scenarioWith("API_TOKEN", policy, () => [
        {
          text: "Calling the API.",
          tool_use: bash(
            `curl -s -H "Authorization: Bearer $secret:API_TOKEN" http://127.0.0.1:${port}/whoami`,
          ),
        },
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
      const policy = {
        version: 1,
        secrets: { DEPLOY_KEY: { provider: "store", commands: ["printf"], approval: "ask" } },
      };
      const s = await scenario(policy, (sb) => [
        {
          text: "Hashing.",
          tool_use: bash(`touch '${join(sb.root, "ran")}'; printf %s $secret:DEPLOY_KEY | wc -c`),
        },
        { text: "Done." },
      ]);
      assertNoLeak(s);
      expect(existsSync(join(s.sb.root, "ran"))).toBe(false);
      const result = resultAfter(s, 1);
      expect(result?.isError).toBe(true);
      expect(result?.text).toMatch(/DEPLOY_KEY/);
    },
    TEST_TIMEOUT,
  );
});
