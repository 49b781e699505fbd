// The agent's own shell deny/ask rules applied to the command as the model wrote it: the matcher on
// its own (Claude Code's rule syntax), then through the real hook process with real settings files.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  matchPermissionRules,
  shellRuleMatcher,
  type PermissionRules,
} from "../../rules/agent-permissions.js";
import { scanShell } from "../../rules/shell-scan.js";
import {
  assertBuilt,
  fakeSecret,
  run,
  sandbox,
  setSecret,
  type Sandbox,
} from "../broker/helpers.js";
import { approvePolicy } from "../../broker/policy-approval.js";

describe("shellRuleMatcher (Claude Code Bash rule syntax)", () => {
  const cases: Array<[string, string, boolean]> = [
    ["Bash", "anything at all", true],
    ["Bash(*)", "rm -rf /", true],
    ["Bash(curl:*)", "curl -s http://x", true],
    ["Bash(curl:*)", "curl", true],
    ["Bash(curl:*)", "curlie http://x", false],
    ["Bash(git push:*)", "git push origin main", true],
    ["Bash(git push:*)", "git pull", false],
    ["Bash(npm run test)", "npm run test", true],
    ["Bash(npm run test)", "npm run test -- --watch", false],
    ["Bash(git * main)", "git push origin main", true],
    ["Bash(git * main)", "git push origin dev", false],
  ];
  it.each(cases)("%s against %j → %s", (rule, command, want) => {
    expect(shellRuleMatcher(rule)!(command)).toBe(want);
  });

  it("ignores rules for other tools", () => {
    expect(shellRuleMatcher("Read(./.env)")).toBeUndefined();
    expect(shellRuleMatcher("WebFetch(domain:example.com)")).toBeUndefined();
    expect(shellRuleMatcher("Bashful(x)")).toBeUndefined();
  });
});

describe("matchPermissionRules over every simple command of the original", () => {
  const rules: PermissionRules = {
    deny: [{ rule: "Bash(curl:*)", source: "settings.json" }],
    ask: [{ rule: "Bash(printf:*)", source: "settings.local.json" }],
  };
  const match = (command: string) =>
    matchPermissionRules(command, scanShell(command).commands, rules);

  it("finds a denied program anywhere: compound, piped, nested, behind assignments", () => {
    for (const command of [
      'curl -H "x: $secret:K" http://127.0.0.1/',
      'echo start && curl -H "x: $secret:K" http://127.0.0.1/',
      "printf %s $secret:K | curl --data-binary @- http://127.0.0.1/",
      'echo "$(curl -H "x: $secret:K" http://127.0.0.1/)"',
      'HTTPS_PROXY= curl -H "x: $secret:K" http://127.0.0.1/',
    ]) {
      expect(match(command), command).toMatchObject({
        kind: "deny",
        rule: { rule: "Bash(curl:*)" },
      });
    }
  });

  it("an ask rule asks; nothing matching is nothing", () => {
    expect(match("printf %s $secret:K | sha256sum")).toMatchObject({ kind: "ask" });
    expect(match("echo $secret:K | sha256sum")).toBeUndefined();
  });
});

describe("through the real hook (Claude Code settings files)", () => {
  let sb: Sandbox;
  beforeAll(() => assertBuilt());
  afterEach(() => sb?.cleanup());

  const payload = (cwd: string, command: string) =>
    JSON.stringify({
      session_id: "s-perm",
      transcript_path: "/tmp/t.jsonl",
      cwd,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command, description: "d" },
      tool_use_id: "toolu_p",
    });

  function project(settings: Record<string, unknown> | undefined, file = "settings.json"): string {
    sb = sandbox();
    setSecret(sb, "API_TOKEN", fakeSecret("perm"));
    const proj = join(sb.dir, "proj");
    mkdirSync(join(proj, ".claude"), { recursive: true });
    writeFileSync(
      join(proj, "hookpack.json"),
      JSON.stringify({
        version: 1,
        secrets: { API_TOKEN: { approval: "auto", commands: ["curl", "printf", "sha256sum"] } },
      }),
    );
    mkdirSync(join(proj, ".git"), { recursive: true }); // the policy in force is the repository root's
    approvePolicy(sb.hookpackHome, proj);
    if (settings) writeFileSync(join(proj, ".claude", file), JSON.stringify(settings));
    return proj;
  }
  const hook = (proj: string, command: string) => {
    const r = run(sb, ["hook", "claude-code"], {
      input: payload(proj, command),
      cwd: proj,
      env: { CLAUDE_PROJECT_DIR: proj },
    });
    return {
      ...r,
      out: r.stdout
        ? (
            JSON.parse(r.stdout) as {
              hookSpecificOutput: {
                permissionDecision: string;
                permissionDecisionReason?: string;
                updatedInput?: { command: string };
              };
            }
          ).hookSpecificOutput
        : undefined,
    };
  };
  const CURL = 'echo go && curl -s -H "X: $secret:API_TOKEN" http://127.0.0.1:9/';

  it("control: no rule, the reference is brokered (rewrite; Claude Code's own mode and rules decide, issue 14)", () => {
    const proj = project(undefined);
    const r = hook(proj, CURL);
    expect(r.status, r.stderr).toBe(0);
    expect(r.out!.permissionDecision).toBeUndefined();
    expect(r.out!.updatedInput!.command).toContain(" exec --grant ");
  });

  it("a deny rule for the original program denies, though the brokered command would not match it", () => {
    const proj = project({ permissions: { deny: ["Bash(curl:*)"] } });
    const r = hook(proj, CURL);
    expect(r.status, r.stderr).toBe(0);
    expect(r.out!.permissionDecision).toBe("deny");
    expect(r.out!.permissionDecisionReason).toContain("Bash(curl:*)");
    expect(r.out!.permissionDecisionReason).toContain(join(proj, ".claude", "settings.json"));
    expect(r.out!.updatedInput).toBeUndefined();
  });

  it("an ask rule (local settings) makes the brokered call ask", () => {
    const proj = project({ permissions: { ask: ["Bash(curl:*)"] } }, "settings.local.json");
    const r = hook(proj, CURL);
    expect(r.status, r.stderr).toBe(0);
    expect(r.out!.permissionDecision).toBe("ask");
    expect(r.out!.updatedInput!.command).toContain(" exec --grant ");
  });

  it("a settings file that is not JSON contributes no rule and breaks nothing", () => {
    const proj = project(undefined);
    writeFileSync(join(proj, ".claude", "settings.json"), "{ not json");
    const r = hook(proj, CURL);
    expect(r.status, r.stderr).toBe(0);
    expect(r.out!.permissionDecision).toBeUndefined();
    expect(r.out!.updatedInput!.command).toContain(" exec --grant ");
  });
});
