// isSecretName answers a name holding none of its marker words without running its three regexes
// (issue 21): the shortcut must give the regexes' own answer on every name. Random names built from
// the markers' letters, fragments of real variable names, separators and mixed case, plus a list
// of real environment names.
import { describe, expect, it } from "vitest";
import { isSecretName, isSecretNameByRegex } from "../../rules/inherited-env.js";

const PIECES = [
  "TOKEN",
  "SECRET",
  "PASS",
  "PASSWORD",
  "PASSWD",
  "PASSPHRASE",
  "CREDENTIAL",
  "CREDENTIALS",
  "KEY",
  "API",
  "APIKEY",
  "ACCESS",
  "PRIVATE",
  "SIGNING",
  "DATABASE",
  "URL",
  "CONN",
  "CONNECTION",
  "STR",
  "STRING",
  "AUTH",
  "COOKIE",
  "PAT",
  "DSN",
  "WEBHOOK",
  "PW",
  "PATH",
  "FILE",
  "DIR",
  "HOME",
  "SOCK",
  "MODE",
  "TYPE",
  "ID",
  "HOOKPACK",
  "NPM",
  "CONFIG",
  "GIT",
  "KEYMAP",
  "XAUTHORITY",
  "PA",
  "T",
  "TOK",
  "EN",
  "SEC",
  "RET",
  "CRED",
  "K",
  "EY",
  "P",
  "W",
  "AUT",
  "H",
  "COO",
  "KIE",
  "DS",
  "N",
  "WEB",
  "HOOK",
  "LANG",
  "TERM",
  "SHELL",
  "USER",
  "é",
  "ſ",
  "K",
  "0",
  "1",
  "2",
];
const SEPARATORS = ["_", "", "_", "-", ".", " "];

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe("isSecretName's marker shortcut", () => {
  it("agrees with the regexes on 50,000 random names", () => {
    const r = seeded(21);
    let secret = 0;
    for (let i = 0; i < 50_000; i++) {
      let name = "";
      const parts = 1 + Math.floor(r() * 4);
      for (let p = 0; p < parts; p++) {
        if (p > 0) name += SEPARATORS[Math.floor(r() * SEPARATORS.length)];
        let piece = PIECES[Math.floor(r() * PIECES.length)]!;
        if (r() < 0.3) piece = piece.toLowerCase();
        else if (r() < 0.2) piece = piece[0]! + piece.slice(1).toLowerCase();
        name += piece;
      }
      const expected = isSecretNameByRegex(name);
      if (expected) secret++;
      expect(isSecretName(name), name).toBe(expected);
    }
    // Both answers occur often: the comparison is not vacuous.
    expect(secret).toBeGreaterThan(5_000);
    expect(secret).toBeLessThan(45_000);
  });

  it("agrees on real environment names", () => {
    for (const name of [
      "PATH",
      "HOME",
      "LANG",
      "TERM",
      "SHELL",
      "PWD",
      "OLDPWD",
      "SHLVL",
      "_",
      "USER",
      "SSH_AUTH_SOCK",
      "GPG_AGENT_INFO",
      "XAUTHORITY",
      "DBUS_SESSION_BUS_ADDRESS",
      "GITHUB_TOKEN",
      "GH_TOKEN",
      "NPM_TOKEN",
      "NPM_CONFIG_USERCONFIG",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_ACCESS_KEY_ID",
      "OPENAI_API_KEY",
      "ANTHROPIC_API_KEY",
      "DATABASE_URL",
      "PGPASSWORD",
      "MYSQL_PWD",
      "SENTRY_DSN",
      "SLACK_WEBHOOK_URL",
      "GIT_CONFIG_KEY_0",
      "HOOKPACK_HOME",
      "CLAUDE_CODE_OAUTH_TOKEN",
      "KEYTIMEOUT",
      "REQUESTS_CA_BUNDLE",
      "PIP_CERT",
      "CURL_CA_BUNDLE",
      "PYENV_ROOT",
      "PAT",
    ])
      expect(isSecretName(name), name).toBe(isSecretNameByRegex(name));
  });
});
