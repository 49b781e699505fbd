// End to end, issue 19: the REAL Claude Code client, a scripted fake model, hookpack installed by
// its own CLI. The model asks for the capability `read-staging-db` in a Bash call; the user
// approves (Claude Code's headless permission prompt, answered by a tiny MCP approver that
// records what it was shown); `hookpack exec` mints a PostgreSQL role through the fake Vault's
// database engine in a REAL PostgreSQL; psql runs with it; the role is gone after the call; the
// audit log pairs issue and revoke by lease id; no request to the model holds the credential.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  roleExists,
  startWorld,
  type World,
  POSTGRES_SKIP,
  skipWithoutPostgres,
} from "../broker/lease-fixture.js";
import { startFakeAnthropic } from "./fake-anthropic.js";
import { describeRun, runClaude, toolResults, toolResultText } from "./helpers.js";
import {
  CLAUDE_ARGS,
  expectNoRequestCarries,
  installForClaude,
  storeSecret,
  useE2e,
  writePolicy,
} from "./harness.js";

const TEST_TIMEOUT = 240_000;
const e2e = useE2e("claude-code");

let world: World;
beforeAll(async () => {
  if (POSTGRES_SKIP) return;
  world = await startWorld();
}, 120_000);
beforeEach((ctx) => skipWithoutPostgres(ctx));
afterAll(async () => world?.close());

/** An MCP stdio server with one tool, `approve`: Claude Code's --permission-prompt-tool. It allows, and logs what it was asked. */
const APPROVER = `
const fs = require("node:fs");
const log = process.argv[2];
let buf = "";
const send = (m) => process.stdout.write(JSON.stringify(m) + "\\n");
process.stdin.on("data", (c) => {
  buf += c;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (!line.trim()) continue;
    const m = JSON.parse(line);
    if (m.method === "initialize") send({ jsonrpc: "2.0", id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "approver", version: "1.0.0" } } });
    else if (m.method === "tools/list") send({ jsonrpc: "2.0", id: m.id, result: { tools: [{ name: "approve", description: "approve a tool call", inputSchema: { type: "object", properties: { tool_name: { type: "string" }, input: { type: "object" } } } }] } });
    else if (m.method === "tools/call") {
      fs.appendFileSync(log, JSON.stringify(m.params.arguments) + "\\n");
      send({ jsonrpc: "2.0", id: m.id, result: { content: [{ type: "text", text: JSON.stringify({ behavior: "allow", updatedInput: m.params.arguments.input }) }] } });
    } else if (m.id !== undefined) send({ jsonrpc: "2.0", id: m.id, result: {} });
  }
});
`;

function policyFor(): unknown {
  return {
    version: 1,
    secrets: {},
    capabilities: {
      "read-staging-db": {
        provider: {
          vault: {
            address: world.vault.address,
            auth: { token: { secret: "VAULT_TOKEN" } },
            path: "database/creds/readonly",
          },
        },
        scope: "read-only, staging database",
        ttl: "5m",
        commands: ["psql"],
        approval: "ask",
        env: {
          PGUSER: "username",
          PGPASSWORD: "password",
          PGHOST: { value: "127.0.0.1" },
          PGPORT: { value: String(world.pg.port) },
          PGDATABASE: { value: "postgres" },
        },
      },
    },
  };
}

describe("e2e: a capability through the real Claude Code client", () => {
  it(
    "without anyone to approve (headless, no prompt tool), the ask is a denial: nothing is minted and the model is told why",
    async () => {
      const sb = e2e.sandbox();
      await installForClaude(sb);
      storeSecret(sb, "VAULT_TOKEN", world.rootToken);
      writePolicy(sb, policyFor());
      const before = world.vault.leases.size;
      const fake = await startFakeAnthropic({
        steps: [
          {
            text: "Counting.",
            tool_use: {
              name: "Bash",
              input: {
                command: `$cap:read-staging-db psql -tA -c 'select 1'`,
                description: "count",
              },
            },
          },
          { text: "Done." },
        ],
      });
      e2e.defer(() => fake.close());
      const run = await runClaude(e2e.client, sb, fake.url, {
        extraArgs: CLAUDE_ARGS,
        extraEnv: { HOOKPACK_KEY_BACKEND: "file" },
      });
      expect(run.code, describeRun(run)).toBe(0);
      expect(world.vault.leases.size).toBe(before);
      const req = fake.requests().find((r) => r.kind === "main" && r.step === 1);
      const result = toolResults(req?.body).at(-1);
      expect(result?.is_error, describeRun(run)).toBe(true);
      expect(result && toolResultText(result)).toContain("read-staging-db");
    },
    TEST_TIMEOUT,
  );

  it(
    "the user approves read-staging-db; psql runs with a freshly minted role that no longer exists afterwards; issue and revoke share one lease id; no request holds the credential",
    async () => {
      const sb = e2e.sandbox();
      await installForClaude(sb);
      storeSecret(sb, "VAULT_TOKEN", world.rootToken);
      writePolicy(sb, policyFor());
      const approverJs = join(sb.root, "approver.cjs");
      const approvals = join(sb.root, "approvals.jsonl");
      writeFileSync(approverJs, APPROVER);
      writeFileSync(approvals, "");
      const mcpConfig = join(sb.root, "mcp.json");
      writeFileSync(
        mcpConfig,
        JSON.stringify({
          mcpServers: {
            approver: { type: "stdio", command: process.execPath, args: [approverJs, approvals] },
          },
        }),
      );
      const leasesBefore = world.vault.leases.size;
      const command = `$cap:read-staging-db psql -tA -c 'select count(*) from orders'`;
      const fake = await startFakeAnthropic({
        steps: [
          {
            text: "Counting the orders in staging.",
            tool_use: { name: "Bash", input: { command, description: "count staging orders" } },
          },
          { text: "There are 42 orders." },
        ],
      });
      e2e.defer(() => fake.close());
      const run = await runClaude(e2e.client, sb, fake.url, {
        extraArgs: [
          ...CLAUDE_ARGS,
          "--mcp-config",
          mcpConfig,
          "--strict-mcp-config",
          "--permission-prompt-tool",
          "mcp__approver__approve",
        ],
        extraEnv: { HOOKPACK_KEY_BACKEND: "file" },
      });
      const diag = () => describeRun(run);
      expect(run.code, diag()).toBe(0);

      // The user was asked, and saw the capability, its scope and the command.
      const asked = readFileSync(approvals, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { tool_name: string; input: { command: string } });
      expect(asked, diag()).toHaveLength(1);
      expect(asked[0]!.tool_name).toBe("Bash");
      expect(asked[0]!.input.command).toContain("--cap read-staging-db");
      // One-process delivery: the broker stands in front of psql itself (no bash -c script).
      expect(asked[0]!.input.command).toMatch(
        / exec --grant g_[a-z2-7]{26} --grant-key [a-z2-7]{26} --cap read-staging-db -- psql -X -tA -c 'select count\(\*\) from orders'$/,
      );
      expect(asked[0]!.input.command).not.toContain("bash -c");

      // psql ran with a freshly minted role, and saw the data.
      expect(world.vault.leases.size, diag()).toBe(leasesBefore + 1);
      const minted = [...world.vault.leases.values()].at(-1)!;
      const req = fake.requests().find((r) => r.kind === "main" && r.step === 1);
      const result = toolResults(req?.body).at(-1);
      expect(result && toolResultText(result), diag()).toContain("42");
      // The role no longer exists after the call; its password is refused.
      expect(roleExists(world.pg, minted.username)).toBe(false);
      expect(world.pg.login(minted.username, minted.password).ok).toBe(false);

      // The audit log shows issue and revoke with the same lease id.
      const audit = readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => String(e.kind).startsWith("lease-"));
      expect(audit.map((e) => [e.kind, e.outcome ?? null])).toEqual([
        ["lease-issued", null],
        ["lease-ended", "revoked_at_exit"],
      ]);
      expect(audit[1]!.lease).toBe(audit[0]!.lease);
      expect(audit[0]).toMatchObject({ capability: "read-staging-db", agent: "claude-code" });

      // No request to the model holds the credential (raw, base64 or hex), nor the username.
      const forms = [
        minted.password,
        Buffer.from(minted.password).toString("base64"),
        Buffer.from(minted.password).toString("hex"),
        minted.username,
      ];
      expectNoRequestCarries(fake.requests(), forms);
      for (const e of run.events)
        expect(forms.some((f) => JSON.stringify(e).includes(f))).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
