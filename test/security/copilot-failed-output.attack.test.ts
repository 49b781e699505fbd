// Attacker's test for Copilot's postToolUseFailure road (issue 14, "every output road"): the agent
// runs a command that prints a secret and then fails, so the output reaches the model through the
// failure event. Copilot command hooks cannot replace that output; what must hold: hookpack sees
// the failure (not mistaking it for a preToolUse), warns the model to have the secret rotated, and
// never echoes the value. Real hook process (dist/hookpack.cjs hook copilot).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHook } from "../helpers/hook-run.js";
import { assertBuilt } from "../broker/helpers.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { sandbox, type Sandbox } from "../helpers/run.js";

let sb: Sandbox;
beforeAll(() => {
  assertBuilt();
  sb = sandbox();
});
afterAll(() => sb.cleanup());

const t = fakeTokens(11);
const ATTEMPTS: Array<[string, string, unknown]> = [
  [
    "plain token, then exit 1",
    `${t.github}\n<shellId: 0 completed with exit code 1>`,
    { command: "echo $TOK; false" },
  ],
  [
    "inside JSON text",
    JSON.stringify({ auth: { token: t.npm } }),
    { command: "cat cfg.json; exit 2" },
  ],
  ["a Slack bot token", `${t.slackBot}\nerror`, { command: "printf ...; exit 3" }],
  [
    "an export line in a long failing log",
    `${"noise line\n".repeat(200)}export AWS_ACCESS_KEY_ID=${t.awsAccessKeyId}\nfatal`,
    { command: "make deploy" },
  ],
  [
    "arguments given as a JSON text",
    `key=${t.stripe}`,
    JSON.stringify({ command: "node leak.js" }),
  ],
  [
    "a private key block on stderr",
    `${t.privateKey}\nssh: exit 255`,
    { command: "cat ~/.ssh/id_rsa >&2; exit 255" },
  ],
];

describe("Copilot postToolUseFailure: a failing command's output that holds a secret", () => {
  const results: boolean[] = [];
  it.each(ATTEMPTS)("%s", async (_label, error, toolArgs) => {
    const payload = {
      sessionId: "attack",
      timestamp: 1795391165643,
      cwd: sb.project,
      toolName: "bash",
      toolArgs,
      error,
    };
    const r = await runHook(sb, JSON.stringify(payload), { agent: "copilot" });
    const secret = error.match(/(ghp_|npm_|xoxb-|AKIA|sk_live_|BEGIN RSA)[^\s"\\]*/)?.[0] ?? "";
    expect(secret.length).toBeGreaterThan(8);
    const answer = r.stdout
      ? (JSON.parse(r.stdout) as { additionalContext?: string; permissionDecision?: string })
      : {};
    const contained =
      r.exitCode === 0 &&
      !`${r.stdout}${r.stderr}`.includes(secret) &&
      /rotate/.test(answer.additionalContext ?? "") &&
      answer.permissionDecision === undefined;
    results.push(contained);
    expect(contained, JSON.stringify({ exit: r.exitCode, stdout: r.stdout.slice(0, 300) })).toBe(
      true,
    );
  });
  // An ANSI colour code right before a token ("\e[31mghp_…") once hid it from the detector (the
  // code's final letter joined the token); the detector now blanks such sequences.
  it("wrapped in ANSI colour codes", async () => {
    const error = `\u001b[31m${t.github}\u001b[0m\nerror`;
    const payload = {
      sessionId: "attack",
      timestamp: 1795391165643,
      cwd: sb.project,
      toolName: "bash",
      toolArgs: { command: "printf ...; exit 3" },
      error,
    };
    const r = await runHook(sb, JSON.stringify(payload), { agent: "copilot" });
    expect(r.stdout + r.stderr).not.toContain(t.github);
    const contained = !`${r.stdout}${r.stderr}`.includes(t.github) && /rotate/.test(r.stdout);
    results.push(contained);
    expect(r.stdout).toMatch(/rotate/);
  });
  afterAll(() => {
    console.log(
      `copilot failed-output: contained ${results.filter(Boolean).length} / ${ATTEMPTS.length + 1} attempts`,
    );
  });
});
