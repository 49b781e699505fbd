// Issue 21: the hook finds detected tokens in the inherited environment with ONE prefilter pass over
// the values joined by newlines (rules/inherited-env.ts detectEach) instead of one call per
// variable. An attacker who shapes the environment tries to hide a token from that pass: among
// many variables, behind 70 decoys holding the same literal (the prefilter confirms at most 64
// occurrences of a literal), across the 32 KB chunk boundary, first or last in the block, next to
// values that end or start with separators. Each attempt runs the REAL hook (Claude Code
// PostToolUse) on output that holds the token only base64-encoded — the form the output's own
// detector cannot see, so only the inherited-env matcher can redact it. Contained = the model's
// output carries neither the token nor its base64. A control run without the token in the
// environment shows the base64 form does pass otherwise (the test can fail).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { bashOutput, modelSees, MINIMAL, runHook } from "../helpers/hook-run.js";
import { sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let sb: Sandbox;
const t = fakeTokens(2121);
const TOKENS = { github: t.github, gitlab: t.gitlab, stripe: t.stripe, groq: t.groq };

beforeAll(() => {
  sb = sandbox();
});
afterAll(() => sb?.cleanup());

/** What the model reads after one PostToolUse call whose output is `stdout`, with `env` added. */
async function modelReads(stdout: string, env: Record<string, string>): Promise<string> {
  const r = await runHook(sb, bashOutput(sb, "env | base64", stdout, MINIMAL), { env });
  expect(r.exitCode, r.stderr).toBe(0);
  return modelSees(r, stdout);
}

const b64 = (v: string) => Buffer.from(v).toString("base64");
const benign = (n: number, prefix = "APP_SETTING") =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `${prefix}_${i}`,
      `value-${i}-${"x".repeat(20 + (i % 30))}`,
    ]),
  );

async function attempt(family: string, token: string, env: Record<string, string>) {
  const seen = await modelReads(`log line\n${b64(token)}\nend\n`, env);
  const contained = !seen.includes(token) && !seen.includes(b64(token));
  tally(family).attempt(contained);
  expect(contained, `${family}: ${Object.keys(env).length} variables`).toBe(true);
}

describe("attack: hiding an inherited token from the joined prefilter pass", () => {
  it("control: without the token in the environment, its base64 form reaches the model", async () => {
    const seen = await modelReads(`log line\n${b64(t.github)}\nend\n`, benign(20));
    expect(seen).toContain(b64(t.github));
  });

  it("a token among 150 ordinary variables, under an innocuous name, first or last", async () => {
    for (const [kind, token] of Object.entries(TOKENS)) {
      await attempt("among many", token, { ...benign(150), BUILD_LABEL: token });
      await attempt("among many", token, { ...benign(150), AAAA_FIRST: token });
      await attempt("among many", token, { ZZZZ_LAST: token, ...benign(150, `OTHER_${kind}`) });
    }
  }, 120_000);

  it("behind 70 decoys holding the same literal (past the prefilter's 64-occurrence cap)", async () => {
    const decoys = (literal: string) =>
      Object.fromEntries(
        Array.from({ length: 70 }, (_, i) => [`DECOY_${i}`, `${literal}!${i}-not-a-token`]),
      );
    await attempt("crowded literal", t.github, { ...decoys("ghp_"), BUILD_LABEL: t.github });
    await attempt("crowded literal", t.gitlab, { ...decoys("glpat-"), BUILD_LABEL: t.gitlab });
    await attempt("crowded literal", t.stripe, { ...decoys("sk_live_"), BUILD_LABEL: t.stripe });
    // One variable holding the decoys 70 times, the token in the next one.
    await attempt("crowded literal", t.github, {
      A_DECOYS: Array.from({ length: 70 }, () => "ghp_!").join(" "),
      B_LABEL: t.github,
    });
  }, 120_000);

  it("across the 32 KB chunk boundary and next to separator-shaped values", async () => {
    const big = Object.fromEntries(
      Array.from({ length: 7 }, (_, i) => [`BLOB_${i}`, `${i}`.repeat(5000)]),
    );
    await attempt("chunks and edges", t.github, { ...big, ZZ_LABEL: t.github });
    // The token inside a long value: the variable's whole value is what the matcher knows.
    const long = `${"3".repeat(4990)} ${t.groq}`;
    await attempt("chunks and edges", long, { ...big, BLOB_3: long });
    await attempt("chunks and edges", t.github, {
      A_EQ: "prefix=",
      B_LABEL: t.github,
      C_NL: "\n\n\n\n\n\n\n\n",
    });
    await attempt("chunks and edges", t.stripe, {
      A_TAIL: "x".repeat(40) + "sk_",
      B_LABEL: t.stripe,
    });
  }, 120_000);
});
