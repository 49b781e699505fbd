// Issue 21: isSecretName (rules/inherited-env.ts) answers "not a secret's name" without its three
// regexes when the name holds no SECRET_WORD marker and no whole `_`-part that SECRET_PART names
// (PATH, PWD and most of an environment then cost no regex compile). An attacker who wants an
// inherited secret to reach the model picks names at the shortcut's edge: a SECRET_PART word as a
// whole part in any case and position (MY_PAT, db_pw, Auth, X_DSN_Y), a marker inside a longer
// word (MYTOKENS, APIKEYRING), and values that no detector sees (a passphrase, so only the name
// makes it a secret). Each attempt runs the REAL hook (Claude Code PostToolUse, dist/hookpack.cjs;
// HOOKPACK_ATTACK_BIN runs another build, e.g. main's, for the before count) on output that holds
// the value raw and JSON-escaped. Contained = the model's output holds the value in neither form.
// Controls: the same value under names the regexes do not take (PATH_X, XPAT, PWD2, SOCK_AUTHOR)
// reaches the model, so the test can fail.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seeded } from "../helpers/fake-secrets.js";
import { bashOutput, MINIMAL, modelSees, runHook } from "../helpers/hook-run.js";
import { sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const BIN = process.env.HOOKPACK_ATTACK_BIN ?? join(__dirname, "..", "..", "dist", "hookpack.cjs");
let sb: Sandbox;
beforeAll(() => {
  sb = sandbox();
});
afterAll(() => sb?.cleanup());

const rnd = seeded(2124);
/** A passphrase no detector takes for a token: only its variable's name makes it a secret. */
const passphrase = () =>
  ["amber", "river", "stone", "cloud", "maple", "quiet", "north", "ember"]
    .map((w) => `${w}${Math.floor(rnd() * 90 + 10)}`)
    .slice(0, 4)
    .join("-");

async function modelReads(stdout: string, env: Record<string, string>): Promise<string> {
  const r = await runHook(sb, bashOutput(sb, "env", stdout, MINIMAL), { env, bin: BIN });
  expect(r.exitCode, r.stderr).toBe(0);
  return modelSees(r, stdout);
}

const shown = (value: string) =>
  `config loaded\nvalue: ${value}\njson: ${JSON.stringify({ value })}\n`;

describe("attack: an inherited secret under a name at the edge of isSecretName's shortcut", () => {
  it("control: under names the regexes do not take, the value reaches the model", async () => {
    for (const name of ["PATH_X", "XPAT", "PWD2", "SOCK_AUTHOR", "PATS", "DSNX", "MY_PAW"]) {
      const value = passphrase();
      expect(await modelReads(shown(value), { [name]: value }), name).toContain(value);
    }
  }, 120_000);

  it("a SECRET_PART word as a whole part, any case, any position", async () => {
    const names = [
      "MY_PAT",
      "PAT",
      "db_pw",
      "Pw",
      "Auth",
      "SVC_AUTH_HEADER",
      "X_DSN_Y",
      "APP_COOKIE",
      "SLACK_WEBHOOK",
      "A_KEY_B",
      "LEGACY_PASS",
      "__PAT__",
      "PATH_PAT",
      "pwd_PW",
    ];
    for (const name of names) {
      const value = passphrase();
      const seen = await modelReads(shown(value), { [name]: value });
      const contained = !seen.includes(value);
      tally("whole-part names").attempt(contained);
      expect(contained, name).toBe(true);
    }
  }, 120_000);

  it("a SECRET_WORD marker inside a longer word or name", async () => {
    const names = [
      "MYTOKENS",
      "apikeyring",
      "X_SECRETS_Y",
      "DB_PASSWORD2",
      "CONNSTRING",
      "GCP_CREDENTIALS_JSON",
      "DATABASE_URL_RO",
      "SIGNINGKEY",
      "MonkeyPassphrase",
    ];
    for (const name of names) {
      const value = passphrase();
      const seen = await modelReads(shown(value), { [name]: value });
      const contained = !seen.includes(value);
      tally("marker names").attempt(contained);
      expect(contained, name).toBe(true);
    }
  }, 120_000);
});
