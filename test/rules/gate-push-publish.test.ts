// The push/publish gate decides; the scanning (git, npm pack, tar) is the edge's, handed in as
// context.scanGated (hooks/gate-push-publish-scan.ts in the hook). Here the scan is faked, so the
// rule's decisions are checked without a repository: which calls it hands over, and what it makes
// of findings, errors, a clean scan and a missing scanner. The real scan runs in
// test/security/gates*.attack.test.ts through the hook process.
import { describe, expect, it } from "vitest";
import type { HookEvent, Verdict } from "../../hooks/event.js";
import { gatePushPublish } from "../../rules/gate-push-publish.js";
import type { GatedCall } from "../../rules/read-guard-shell.js";
import type { GateResult, RuleContext } from "../../rules/rule.js";
import { secretScanner } from "../../rules/secretlint.js";
import { fakeFiles } from "../helpers/fake-files.js";

const PROJ = "/nonexistent-hookpack-proj";
const HOME = "/nonexistent-hookpack-home";

const shell = (command: string): HookEvent => ({
  kind: "before-tool",
  agent: "claude-code",
  session: { id: "s1", cwd: PROJ, transcriptPath: undefined },
  tool: {
    kind: "shell",
    name: "Bash",
    id: "t1",
    command,
    fields: [{ path: "command", value: command }],
  },
});

const clean = (): GateResult => ({
  findings: [],
  errors: [],
  evidence: { secrets: [], detectors: [], paths: [], count: 0 },
});

/** A context whose scan is a fake that records what it was asked to scan. */
function context(result: GateResult | undefined) {
  const asked: Array<{ calls: readonly GatedCall[]; home: string | undefined }> = [];
  const ctx: RuleContext = {
    scanner: secretScanner,
    files: fakeFiles({}, HOME),
    noteSecret: () => {},
    managed: { home: "/nonexistent-hookpack-state" } as RuleContext["managed"],
    ...(result
      ? {
          scanGated: async (calls: readonly GatedCall[], home: string | undefined) => {
            asked.push({ calls, home });
            return result;
          },
        }
      : {}),
  };
  return { ctx, asked };
}

const check = (command: string, ctx: RuleContext) =>
  gatePushPublish.check(shell(command), ctx) as Promise<Verdict>;

describe("gate-push-publish decides on what the edge's scan reports", () => {
  it("a plain command never reaches the scanner", async () => {
    const { ctx, asked } = context(clean());
    expect(await check("ls -la && npm test", ctx)).toEqual({ kind: "allow" });
    expect(asked).toEqual([]);
  });

  it("a push hands the scanner the resolved call and HOOKPACK_HOME; a clean scan allows", async () => {
    const { ctx, asked } = context(clean());
    expect(await check("git push --no-verify origin main", ctx)).toEqual({ kind: "allow" });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.home).toBe("/nonexistent-hookpack-state");
    expect(asked[0]!.calls).toEqual([
      expect.objectContaining({
        kind: "git-push",
        cwd: PROJ,
        args: ["--no-verify", "origin", "main"],
      }),
    ]);
  });

  it("a publish through bash -c is handed over as npm publish", async () => {
    const { ctx, asked } = context(clean());
    await check(`bash -c 'npm publish --ignore-scripts'`, ctx);
    expect(asked[0]!.calls).toEqual([
      expect.objectContaining({ kind: "npm-publish", tool: "npm", verb: "publish" }),
    ]);
  });

  it("findings deny with the findings and the scan's evidence, whatever else failed", async () => {
    const found: GateResult = {
      findings: ["commit 0123456789ab .env:1: GitHub token [github-pat]"],
      errors: ["git push: something else failed"],
      evidence: { secrets: [], detectors: ["github-pat"], paths: [".env"], count: 1 },
    };
    const { ctx } = context(found);
    const v = await check("git push", ctx);
    expect(v).toMatchObject({ kind: "deny", code: "PUSH_PUBLISH_BLOCKED" });
    if (v.kind !== "deny") throw new Error("not a deny");
    expect(v.reason).toContain("holds 1 secret(s)");
    expect(v.reason).toContain(".env:1: GitHub token [github-pat]");
    expect(v.evidence).toEqual(found.evidence);
  });

  it("a scan that failed fails closed, naming why", async () => {
    const { ctx } = context({ ...clean(), errors: ["npm publish: npm pack exited 1"] });
    const v = await check("npm publish", ctx);
    expect(v).toMatchObject({ kind: "deny", code: "GATE_SCAN_FAILED" });
    if (v.kind === "deny") expect(v.reason).toContain("npm pack exited 1");
  });

  it("without a scanner in the context a push is denied, not let through unscanned", async () => {
    const { ctx } = context(undefined);
    expect(await check("git push origin main", ctx)).toMatchObject({
      kind: "deny",
      code: "GATE_SCAN_FAILED",
    });
  });

  it("a push the shell front end cannot resolve is denied before any scan", async () => {
    const { ctx, asked } = context(clean());
    const v = await check('git "$(cat verb)" origin', ctx);
    expect(v).toMatchObject({ kind: "deny", code: "GATE_UNRESOLVED" });
    expect(asked).toEqual([]);
  });
});
