// Issue 21: the post-tool hook skips the pattern engine when what the model would get after the
// stored values are redacted no longer trips the prefilter (a `KEY=<stored value>` line trips it
// only through the value). The agent tries to get a pattern-detected token past that shortcut by
// putting it right next to, around or inside the context of a stored value, through the real hook
// process (dist/hookpack.cjs `hook claude-code`). Contained = no stored value and no token in the
// answer, and the answer is a redaction.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { bashOutput, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const tokens = fakeTokens(33);
const rand = () => Math.random().toString(36).slice(2, 10);
const mv = `mv${rand()}${rand()}Q7`;
// A database password: found by the connection-string detector, not a stored value.
const dbPassword = `Pw${rand()}${rand()}x9`;
let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file" });

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: mv,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

const secrets = () => [
  mv,
  Buffer.from(mv).toString("base64"),
  tokens.github,
  tokens.npm,
  tokens.stripe,
  tokens.anthropic,
  dbPassword,
];

describe("attack: a detected token hidden next to a stored value (engine-skip shortcut)", () => {
  const t = tally("managed-prefilter/token beside a stored value");
  const cases: Array<[string, () => string]> = [
    ["KEY=<stored> line, then a token line", () => `KEY=${mv}\nGH_TOKEN=${tokens.github}\n`],
    ["token glued after the stored value", () => `${mv}${tokens.github}\n`],
    // (A token glued to FOLLOWING letters, `npm_…<36>mv…`, is not found by the npm or Stripe
    // detectors with or without this shortcut: they need a boundary after the token.)
    ["token right before the stored value", () => `${tokens.npm}:${mv}\n`],
    [
      "stored value and token in one assignment",
      () => `api_key = "${mv}" stripe_key="${tokens.stripe}"\n`,
    ],
    [
      "stored value as the connection string's user, detected password",
      () => `DATABASE_URL=postgres://${mv}:${dbPassword}@db.example.invalid:5432/app\n`,
    ],
    [
      "base64 of the stored value glued to a token",
      () => `${Buffer.from(mv).toString("base64")}${tokens.anthropic}\n`,
    ],
    [
      "stored value between two halves of a line holding a token",
      () => `export A=${mv} B=${tokens.github} C=${mv}\n`,
    ],
    [
      "8 KB log, KEY=<stored> at the end, token in the middle",
      () => {
        const line = "2026-12-06T06:00:00Z INFO request served in 12 ms path=/api/items\n";
        const half = line.repeat(60);
        return `${half}token: ${tokens.github}\n${half}KEY=${mv}\n`;
      },
    ],
  ];
  for (const [label, output] of cases) {
    it(`${label}: both are redacted`, async () => {
      const text = output();
      const r = await runHook(
        sb,
        bashOutput(sb, "./run.sh", text, {
          session_id: "s-prefilter",
          tool_use_id: "toolu_x",
          tool_response: { stdout: text, stderr: "", interrupted: false },
        }),
        { env: env() },
      );
      const leaked = secrets().filter((s) => text.includes(s) && r.stdout.includes(s));
      const out = JSON.parse(r.stdout) as {
        hookSpecificOutput?: { updatedToolOutput?: { stdout?: string } };
      };
      const redacted = out.hookSpecificOutput?.updatedToolOutput?.stdout ?? "";
      const ok =
        leaked.length === 0 &&
        redacted.includes("[REDACTED:DEPLOY_KEY]") &&
        (redacted.match(/\[REDACTED:/g) ?? []).length >= 2 &&
        !r.stderr.includes(mv);
      t.attempt(ok);
      expect(leaked).toEqual([]);
      expect(redacted).toContain("[REDACTED:DEPLOY_KEY]");
      expect((redacted.match(/\[REDACTED:/g) ?? []).length).toBeGreaterThanOrEqual(2);
      expect(r.stderr).not.toContain(mv);
    });
  }
});
