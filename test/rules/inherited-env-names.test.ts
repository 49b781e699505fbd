// Which inherited variable names count as secret-bearing: the ASCII fast path (upper-cased, tested
// case-sensitively) and the non-ASCII path (case-insensitive regexes) must agree on what matters.
import { describe, expect, it } from "vitest";
import { isSecretName } from "../../rules/inherited-env.js";

describe("isSecretName", () => {
  it("counts secret words and parts whatever their case", () => {
    for (const name of [
      "GITHUB_TOKEN",
      "github_token",
      "Github_Token",
      "db_password",
      "OPENAI_API_KEY",
      "openai_apikey",
      "Stripe_Secret",
      "sentry_dsn",
      "MY_AUTH",
      "my_pw",
      "database_url",
      "PG_CONN_STRING",
      "jetón_token", // non-ASCII name: the case-insensitive path
      "ÉQUIPE_SECRET",
    ])
      expect(isSecretName(name), name).toBe(true);
  });

  it("leaves names that only look like it, whatever their case", () => {
    for (const name of [
      "GIT_AUTHOR_EMAIL",
      "git_author_email",
      "SSH_AUTH_SOCK",
      "ssh_auth_sock",
      "TOKEN_FILE",
      "token_file",
      "GIT_CONFIG_KEY_0",
      "git_config_key_12",
      "HOOKPACK_TOKEN",
      "hookpack_token",
      "npm_config_token",
      "KEYMAP",
      "PATH",
      "jetón_token_path", // non-ASCII, still a path
      "PASSAGE",
    ])
      expect(isSecretName(name), name).toBe(false);
  });
});
