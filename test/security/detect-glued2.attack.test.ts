// The agent as adversary against hookpack's detectors for formats WITHOUT a checksum (Slack, Stripe
// and a few SaaS tokens with a long prefix and a fixed structure; rules/detect.ts GLUED_RULES): it
// holds a token that is not stored and glues word characters to it, on the left (`x${TOKEN}`), on
// the right, inside a JSON string, a URL query or a base64-ish run, so the word boundary of the
// record no longer holds. Every attempt goes through the REAL PostToolUse hook process
// (test/helpers/hook-run.ts) as tool output (PostToolUse) and as a Bash command (PreToolUse), and
// through `hookpack scan` on a file. Contained = the PostToolUse answer holds no raw token and
// carries a redaction; the PreToolUse call is denied; the scan reports a finding on its line.
// Negative controls: identifiers that hold a prefix but are no token are reported by neither.
// HOOKPACK_GLUED2_BIN=<other build>/dist/hookpack.cjs counts the same attempts against another build
// (the "before" figure); the tally lines are printed either way.
// Fakes are built at run time from the rule records; no token-shaped literal in this file.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detect, RULES } from "../../rules/detect.js";
import { fakeFor, seeded } from "../helpers/fake-secrets.js";
import { bashCall, bashOutput, hookOutput, runHook } from "../helpers/hook-run.js";
import { BIN, runCommand, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const bin = process.env.HOOKPACK_GLUED2_BIN || BIN;

let sb: Sandbox;
beforeAll(() => {
  sb = sandbox();
});
afterAll(() => sb?.cleanup());

/** Newly covered formats, by family (rules/detect.ts GLUED_RULES). */
const FAMILIES: Record<string, string[]> = {
  slack: [
    "slack-bot-token",
    "slack-user-token",
    "slack-session-token",
    "slack-app-token",
    "slack-config-token",
    "slack-config-refresh-token",
  ],
  stripe: [
    "stripe-secret-key-live",
    "stripe-restricted-key-live",
    "stripe-secret-key-test",
    "stripe-restricted-key-test",
    "stripe-webhook-secret",
  ],
  saas: [
    "sendgrid-api-token",
    "sendinblue-api-token",
    "postman-api-token",
    "digitalocean-pat",
    "digitalocean-oauth-token",
    "digitalocean-refresh-token",
    "sentry-user-token",
    "openrouter-api-key",
    "dynatrace-api-token",
    "sourcegraph-access-token",
    "circleci-pat",
    "langsmith-api-key",
  ],
};

// Where the token sits: glued on either side with letters, digits, `_`, or inside other text.
const GLUES: Array<[string, (t: string) => string]> = [
  ["left x", (t) => `x${t}`],
  ["left Z", (t) => `Z${t}`],
  ["left 9", (t) => `9${t}`],
  ["left _", (t) => `_${t}`],
  ["left word", (t) => `abc${t}`],
  ["left key=", (t) => `key=xyz${t}`],
  ["right _", (t) => `${t}_`],
  ["right _word", (t) => `${t}_suffix`],
  ["both", (t) => `pre${t}_post`],
  ["json", (t) => JSON.stringify({ token: `tok${t}`, n: 1 })],
  ["url", (t) => `https://api.example.test/v1/hook?auth=q${t}&next=1`],
  ["base64-ish", (t) => `QUJDREVGR0hJSktMTU5PUFFSU1RVVldY${t}`],
];

/** PreToolUse of a Bash command that carries the glued token: whether the hook denied it. */
async function preDenied(command: string): Promise<boolean> {
  const r = await runHook(sb, bashCall(sb, command), {
    env: { HOOKPACK_KEY_BACKEND: "file" },
    timeoutMs: 120_000,
    bin,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return hookOutput(r)?.permissionDecision === "deny";
}

function post(stdout: string, tag: string) {
  return runHook(sb, bashOutput(sb, 'echo "x${TOKEN}"', stdout, { tool_use_id: `toolu_${tag}` }), {
    env: { HOOKPACK_KEY_BACKEND: "file" },
    timeoutMs: 120_000,
    bin,
  });
}

async function scanLines(lines: string[], tag: string): Promise<Set<number>> {
  const file = join(sb.project, `glued2-${tag}.txt`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const r = await runCommand(process.execPath, [bin, "scan", "--json", file], {
    env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file" },
    cwd: sb.project,
    timeoutMs: 120_000,
  });
  expect(r.exitCode === 0 || r.exitCode === 1, r.stderr).toBe(true);
  const out = JSON.parse(r.stdout) as { findings: Array<{ line: number }> };
  return new Set(out.findings.map((f) => f.line));
}

for (const [family, ids] of Object.entries(FAMILIES)) {
  describe(`detect-glued2/${family}: a glued token is still caught`, () => {
    for (const id of ids) {
      it(
        id,
        async () => {
          const rule = RULES.find((r) => r.id === id);
          expect(rule, id).toBeDefined();
          const t = tally(`detect-glued2/${family}`);
          const tokens = GLUES.map((_, i) => fakeFor(rule!, 9300 + i));
          // Each fake is a token the bounded record finds on its own (else the test proves nothing).
          for (const tok of tokens) expect(detect(` ${tok} `).map((d) => d.rule.id)).toContain(id);
          const lines = GLUES.map(([, glue], i) => glue(tokens[i]!));
          const r = await post(`${lines.join("\n")}\n`, id);
          expect(r.exitCode, r.stderr).toBe(0);
          const lined = await scanLines(lines, id);
          const denied: boolean[] = [];
          for (const l of lines) denied.push(await preDenied(`echo '${l}' > out.txt`));
          const leaked: string[] = [];
          GLUES.forEach(([name], i) => {
            const hook =
              !r.stdout.includes(tokens[i]!) &&
              !r.stderr.includes(tokens[i]!) &&
              r.stdout.includes("[REDACTED");
            t.attempt(hook);
            if (!hook) leaked.push(`hook ${name}`);
            const scan = lined.has(i + 1);
            t.attempt(scan);
            if (!scan) leaked.push(`scan ${name}`);
            t.attempt(denied[i]!);
            if (!denied[i]) leaked.push(`PreToolUse ${name}`);
          });
          expect(leaked).toEqual([]);
        },
        240_000,
      );
    }
  });
}

/** Text that holds a covered prefix (or looks random) but is no token. Built at run time. */
function negatives(): string[] {
  const r = seeded(4242);
  const hex = (n: number) =>
    Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");
  const b64 = (n: number) =>
    Array.from(
      { length: n },
      () =>
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[Math.floor(r() * 64)],
    ).join("");
  const sk = ["sk", "live", ""].join("_");
  const rk = ["rk", "live", ""].join("_");
  const skt = ["sk", "test", ""].join("_");
  const xb = ["xo", "xb-"].join("");
  const xp = ["xo", "xp-"].join("");
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  return [
    `${sk}mode_enabled_for_tests`,
    `${xb}placeholder`,
    `my_${sk}key_name_here`,
    `const STRIPE_${sk.toUpperCase()}KEY_NAME = "x";`,
    `enable_${rk}mode_for_staging_environment = true`,
    `use${sk}ConfigurationForProductionModeHere`,
    `abc${sk}ThisIsAVeryLongCamelCaseName1`,
    `mock${skt}ValueUsedByTheIntegrationSuite2`,
    `${skt}${"x".repeat(30)}`,
    `prefix${sk}${"A".repeat(28)}`,
    `foo${xb}placeholder-token-value`,
    `foo${xb}1-2-placeholder`,
    `${xp}your-token-here`,
    `fn_${xb}handler_for_events()`,
    `whsec_placeholder_for_local_dev`,
    `slack_xoxb_token_env_name`,
    uuid(),
    `id=${uuid()}&other=${uuid()}`,
    `sha256:${hex(64)}`,
    `commit ${hex(40)} ${hex(40)}`,
    `data:application/octet-stream;base64,${b64(400)}==`,
    `-----BEGIN CERT-----\n${b64(64)}\n${b64(64)}\n-----END CERT-----`,
    `integrity: sha512-${b64(86)}==`,
  ];
}

describe("detect-glued2: negative controls (a prefix in an identifier is no token)", () => {
  it("in-process detect and `hookpack scan` report none of them", async () => {
    const neg = negatives();
    for (const n of neg) expect(detect(n).map((d) => `${d.rule.id}@${n}`)).toEqual([]);
    const lined = await scanLines(neg, "negatives");
    expect([...lined]).toEqual([]);
  }, 120_000);
});
