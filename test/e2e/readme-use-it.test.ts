// Issue 18, "Done means": the README's "Use it" section, walked literally. Its shell block runs
// line by line in a scratch git project (the packed tarball of this repository stands in for the
// clone's `npm pack`), then the real Claude Code client, against the fake model server, writes
// `$secret:GITHUB_TOKEN` in a curl command. The user approves (Claude Code's permission prompt,
// answered through --permission-prompt-tool by test/e2e/approver-mcp.mjs), the command runs with
// the value, its output comes back masked, and the value never reaches the fake model server.
// curl itself is a stand-in on PATH: api.github.com is not reachable from the tests.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "./fake-anthropic.js";
import { expectClaudeRunClean, forbiddenForms, randomValue, sha256, useE2e } from "./harness.js";
import { baseEnv, REPO_ROOT, runClaude, toolResults, toolResultText } from "./helpers.js";

const e2e = useE2e("claude-code");
const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

/** The first ```sh block under "## Use it". */
function useItBlock(): string[] {
  const section = README.slice(README.indexOf("\n## Use it\n"));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  expect(m, "README has no sh block under ## Use it").not.toBeNull();
  return m![1]!.split("\n").filter((l) => l.trim() !== "");
}

let packDir = "";
beforeAll(() => {
  // The clone's `npm ci && npm pack`: dist/ is already built by the suite (prepack would rebuild
  // the same bytes while other test files read them), so pack without scripts.
  packDir = e2e.sandbox("hookpack-readme-pack-").root;
  execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", packDir], {
    cwd: REPO_ROOT,
    stdio: "pipe",
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  expect(existsSync(join(packDir, `hookpack-${VERSION}.tgz`))).toBe(true);
}, 120_000);

describe("e2e: the README's Use it section, literally, with the real Claude Code client", () => {
  it("install from the tarball, secret set, allow; the agent's $secret: command runs after the user approves; the value never reaches the model", async () => {
    const lines = useItBlock();
    // The block is what a user types; keep the test honest about which lines it runs.
    expect(lines).toContain(`npm i -D /path/to/hookpack/hookpack-${VERSION}.tgz`);
    const projectLines = lines
      .slice(lines.findIndex((l) => l.startsWith("# in your project")) + 1)
      .filter((l) => !l.startsWith("#"));
    expect(projectLines.length).toBeGreaterThanOrEqual(4);

    const sb = e2e.sandbox("hookpack-readme-");
    const value = randomValue();
    const forbidden = forbiddenForms(value);
    writeFileSync(
      join(sb.project, "package.json"),
      `${JSON.stringify({ name: "my-app", version: "1.0.0", private: true }, null, 2)}\n`,
    );
    const fakeBin = join(sb.root, "fakebin");
    mkdirSync(fakeBin);
    // Stands in for curl (no network): prints the header it received and the digest of the token.
    writeFileSync(
      join(fakeBin, "curl"),
      '#!/bin/sh\nfor a in "$@"; do case "$a" in Authorization:*) h="$a";; esac; done\nprintf "fake-curl: %s\\n" "$h"\nprintf "%s" "${h#Authorization: token }" | sha256sum\n',
    );
    chmodSync(join(fakeBin, "curl"), 0o755);
    const env = {
      ...baseEnv(sb),
      PATH: `${fakeBin}:${process.env.PATH}`,
      HOOKPACK_HOME: sb.hookpackHome,
      HOOKPACK_KEY_BACKEND: "file",
      GITHUB_TOKEN: value,
      npm_config_offline: "true",
      npm_config_cache: join(sb.root, "npm-cache"),
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    };
    const said: string[] = [];
    for (const line of projectLines) {
      const command = line.split("/path/to/hookpack/").join(`${packDir}/`);
      const r = spawnSync("sh", ["-c", command], {
        cwd: sb.project,
        env,
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(r.status, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
      said.push(r.stdout + r.stderr);
    }
    expect(said.join("\n")).not.toContain(value);
    // What the README says these lines leave behind.
    const settings = JSON.parse(
      readFileSync(join(sb.project, ".claude", "settings.json"), "utf8"),
    ) as { hooks: { PreToolUse: Array<{ hooks: Array<{ command: string }> }> } };
    expect(settings.hooks.PreToolUse[0]!.hooks[0]!.command).toContain(
      'node "$CLAUDE_PROJECT_DIR/node_modules/hookpack/dist/hookpack.cjs" hook claude-code',
    );
    const policy = JSON.parse(readFileSync(join(sb.project, "hookpack.json"), "utf8")) as {
      secrets: Record<string, unknown>;
    };
    expect(policy.secrets.GITHUB_TOKEN).toEqual({
      commands: [
        { program: "gh", hosts: ["api.github.com"] },
        { program: "curl", hosts: ["api.github.com"] },
      ],
      approval: "once",
    });
    expect(said.join("\n")).toMatch(/next: the agent writes \$secret:GITHUB_TOKEN/);

    // The agent's turn: Claude Code, the fake model, and the user approving the prompt.
    const approvals = join(sb.root, "approvals.jsonl");
    const mcp = join(sb.root, "mcp.json");
    writeFileSync(
      mcp,
      JSON.stringify({
        mcpServers: {
          approver: {
            type: "stdio",
            command: process.execPath,
            args: [join(REPO_ROOT, "test", "e2e", "approver-mcp.mjs")],
            env: { APPROVER_LOG: approvals },
          },
        },
      }),
    );
    const fake = await startFakeAnthropic({
      steps: [
        {
          text: "Checking who the token belongs to.",
          tool_use: {
            name: "Bash",
            input: {
              command:
                'curl -s -H "Authorization: token $secret:GITHUB_TOKEN" https://api.github.com/user',
              description: "who am I",
            },
          },
        },
        { text: "Done." },
      ],
      forbid: forbidden,
    });
    e2e.defer(() => fake.close());
    const run = await runClaude(e2e.client, sb, fake.url, {
      extraArgs: [
        "--allowedTools",
        "Bash",
        "--mcp-config",
        mcp,
        "--strict-mcp-config",
        "--permission-prompt-tool",
        "mcp__approver__approve",
      ],
      extraEnv: { PATH: env.PATH, HOOKPACK_KEY_BACKEND: "file" },
    });
    const s = { sb, fake, run, diag: () => "" };
    e2e.keep(sb, {
      "requests.json": () => JSON.stringify(fake.requests(), null, 2),
      "claude-stdout.jsonl": () => run.stdout,
      "claude-stderr.txt": () => run.stderr,
    });
    expectClaudeRunClean(s, forbidden);

    // The user was asked once, and saw the brokered, value-free command.
    expect(
      existsSync(approvals),
      `no permission prompt reached the user\n${run.stdout.slice(-3000)}`,
    ).toBe(true);
    const asked = readFileSync(approvals, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { tool_name: string; input: { command: string } });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.tool_name).toBe("Bash");
    // One-process delivery (issue 14): the broker stands in front of curl alone, with the call's key.
    expect(asked[0]!.input.command).toMatch(
      /hookpack\.cjs'? exec --grant g_[a-z2-7]{26} --grant-key [a-z2-7]{26} -- curl -q /,
    );
    expect(asked[0]!.input.command).not.toContain(value);

    // The command ran with the value (its digest), and the model got the output masked.
    const after = fake
      .requests()
      .filter((r) => r.kind === "main" && r.step === 1)
      .at(-1);
    const result = toolResults(after?.body).at(-1);
    const text = result ? toolResultText(result) : "";
    expect(result?.is_error, text).not.toBe(true);
    expect(text).toContain("fake-curl: Authorization: token [REDACTED:GITHUB_TOKEN]");
    expect(text).toContain(sha256(value));
  }, 240_000);
});
