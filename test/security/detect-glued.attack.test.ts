// The agent as adversary against hookpack's own detectors at a token's edges: it holds a token that
// is not stored (so only detection can stop it) and glues a word character to it, on the right
// (`echo "${GH_TOKEN}x"`, `printf '%sA' "$TOKEN"`) or on the left (`echo "x${TOKEN}"`), so the
// detector's word boundary no longer holds; the model then strips the letter. Every attempt runs
// through the REAL PostToolUse hook process (dist/hookpack.cjs hook claude-code) with the glued
// text as the tool's output. Contained = the raw token appears nowhere in the hook's answer and the
// answer carries a redaction (the glued letters may stay).
// Fakes are built at run time from the rule records (valid checksums); no token-shaped literal here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULES } from "../../rules/detect.js";
import { fakeFor } from "../helpers/fake-secrets.js";
import { claudePayload, runHook } from "../helpers/hook-run.js";
import { sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let sb: Sandbox;
beforeAll(() => {
  sb = sandbox();
});
afterAll(() => sb?.cleanup());

/**
 * Formats with a checksum, or a fixed length behind a long specific prefix or a structural
 * marker: a glued token must be redacted. Formats without either (variable length, no check) are
 * listed in GAPS: their edge stays their word boundary (see rules/detect.ts GLUED).
 */
const FIXED = [
  "github-pat",
  "github-oauth",
  "github-user-to-server",
  "github-server-to-server",
  "github-refresh-token",
  "github-fine-grained-pat",
  "npm-access-token",
  "gitlab-pat-routable",
  "grafana-service-account-token",
  "atlassian-api-token",
  "age-secret-key",
  "aws-access-key-id",
  "aws-access-key-id-asia",
  "anthropic-api-key",
  "anthropic-admin-api-key",
  "openai-api-key",
  "openai-project-key",
];

// Glue on each side: a lower-case letter, an upper-case letter, a digit, an underscore.
const GLUES: Array<[string, (t: string) => string]> = [
  ["right x", (t) => `${t}x`],
  ["right Q", (t) => `${t}Q`],
  ["right 7", (t) => `${t}7`],
  ["right _", (t) => `${t}_`],
  ["right word", (t) => `${t}suffix`],
  ["left x", (t) => `x${t}`],
  ["left Z", (t) => `Z${t}`],
  ["left 9", (t) => `9${t}`],
  ["left _", (t) => `_${t}`],
  ["both", (t) => `pre${t}post`],
];

function post(stdout: string, tag: string) {
  return runHook(
    sb,
    claudePayload(sb, {
      session_id: "s-glued",
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: 'echo "${TOKEN}x"' },
      tool_response: { interrupted: false, isImage: false, stdout, stderr: "" },
      tool_use_id: `toolu_${tag}`,
    }),
    { env: { HOOKPACK_KEY_BACKEND: "file" }, timeoutMs: 120_000 },
  );
}

describe("PostToolUse: a detected token glued to word characters is still redacted", () => {
  for (const id of FIXED) {
    it(
      id,
      async () => {
        const rule = RULES.find((r) => r.id === id);
        expect(rule, id).toBeDefined();
        const t = tally("detect-glued: glued tokens in PostToolUse output");
        // One token per glue (distinct seeds), one line each, in one tool output.
        const tokens = GLUES.map((_, i) => fakeFor(rule!, 9100 + i));
        const lines = GLUES.map(([, glue], i) => glue(tokens[i]!));
        const r = await post(`${lines.join("\n")}\n`, id);
        expect(r.exitCode, r.stderr).toBe(0);
        const leaked: string[] = [];
        GLUES.forEach(([name], i) => {
          const ok = !r.stdout.includes(tokens[i]!) && !r.stderr.includes(tokens[i]!);
          t.attempt(ok && r.stdout.includes("[REDACTED"));
          if (!ok) leaked.push(name);
        });
        expect(leaked).toEqual([]);
        expect(r.stdout).toContain("[REDACTED");
      },
      120_000,
    );
  }
});
