// End to end, issue 5: what slips past references. The REAL Claude Code client against the fake
// model server, hookpack installed by its own CLI, one managed secret in the store (so in the hook
// cache) and one pattern-detected token. Every scenario asserts over the RAW request bodies the
// fake received (messages and count_tokens alike) that neither value nor an encoding of the
// managed one ever arrived, and that the model got a useful, value-free answer.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ScriptStep } from "./fake-anthropic.js";
import {
  claudeScenario,
  expectClaudeRunClean,
  mainRequests,
  storeSecret,
  useE2e,
  type ClaudeScenario,
} from "./harness.js";
import { fakeGithubToken, toolResults, toolResultText, type Sandbox } from "./helpers.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");

interface Scenario extends ClaudeScenario {
  value: string;
  token: string;
  /** Every forbidden string: the managed value, its common encodings, the detected token. */
  forbidden: string[];
}

/** Encodings of the managed value a careless tool could print (base64 incl. inside Basic auth, hex, URL). */
function encodings(value: string): string[] {
  return [
    value,
    Buffer.from(value).toString("base64"),
    Buffer.from(value).toString("hex"),
    encodeURIComponent(`${value}/x`).slice(0, -4),
    Buffer.from(`u:${value}`).toString("base64").slice(4, 28),
  ];
}

interface Setup {
  files?: (sb: Sandbox, value: string, token: string) => void;
  steps: (sb: Sandbox) => ScriptStep[];
  /** Extra environment for the client (and so for the commands it runs). */
  env?: (value: string) => Record<string, string>;
}

async function scenario(setup: Setup): Promise<Scenario> {
  // A random managed value (hex: no detector knows it) and a pattern-detected token.
  const value = `dk${randomBytes(20).toString("hex")}`;
  const token = fakeGithubToken();
  const forbidden = [...encodings(value), token];
  const s = await claudeScenario(e2e, {
    hooks: true,
    setup: (sb) => {
      storeSecret(sb, "DEPLOY_KEY", value);
      setup.files?.(sb, value, token);
    },
    steps: setup.steps,
    forbid: forbidden,
    env: { HOOKPACK_KEY_BACKEND: "file", ...setup.env?.(value) },
  });
  console.log(
    `[e2e] claude ${e2e.client.version}: ${s.run.ms} ms, ${s.fake.requests().length} requests (${s.fake.requests().filter((r) => r.kind === "count_tokens").length} count_tokens)`,
  );
  return { ...s, value, token, forbidden };
}

/** The one assertion that matters: no forbidden string in any raw request body, of any kind. */
function assertNoLeak(s: Scenario): void {
  expectClaudeRunClean(s, s.forbidden);
  expect(mainRequests(s.fake).length, s.diag()).toBeGreaterThan(1);
}

/** tool_result blocks of the last main request, in order. */
function lastResults(s: Scenario): Array<{ text: string; isError: boolean }> {
  const last = mainRequests(s.fake).at(-1);
  return toolResults(last?.body).map((b) => ({
    text: toolResultText(b),
    isError: b.is_error === true,
  }));
}

function outputFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".output")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const bash = (command: string, extra: Record<string, unknown> = {}): ScriptStep["tool_use"] => ({
  name: "Bash",
  input: { command, description: "step", ...extra },
});

describe("e2e: real Claude Code + hookpack: redaction, read guard, persisted and background outputs", () => {
  it(
    "`cat` of a file holding a managed value and a detected token is denied before it runs; the model is told the names and what to do",
    async () => {
      const s = await scenario({
        files: (sb, value, token) => {
          mkdirSync(join(sb.project, "deploy"), { recursive: true });
          writeFileSync(
            join(sb.project, "deploy", "creds.txt"),
            `deploy_key: ${value}\ngithub: ${token}\n`,
          );
        },
        steps: () => [
          { text: "Reading the credentials.", tool_use: bash("cat deploy/creds.txt") },
          { text: "Done." },
        ],
      });
      assertNoLeak(s);
      const [result] = lastResults(s);
      expect(result?.isError, s.diag()).toBe(true);
      expect(result!.text).toContain("DEPLOY_KEY");
      expect(result!.text).toContain("GitHub personal access token (classic)");
      expect(result!.text).toContain("$secret:DEPLOY_KEY");
    },
    TEST_TIMEOUT,
  );

  it(
    "a Bash command printing a managed value (raw and base64) reaches the model as [REDACTED:DEPLOY_KEY]",
    async () => {
      const s = await scenario({
        steps: () => [
          {
            text: "Checking.",
            tool_use: bash('echo "key=$DEPLOY_ENV"; printf %s "$DEPLOY_ENV" | base64; echo end'),
          },
          { text: "Done." },
        ],
        env: (value) => ({ DEPLOY_ENV: value }),
      });
      assertNoLeak(s);
      const [result] = lastResults(s);
      expect(result?.isError ?? false, s.diag()).toBe(false);
      expect(result!.text).toContain("key=[REDACTED:DEPLOY_KEY]");
      expect(result!.text).toContain("end");
    },
    TEST_TIMEOUT,
  );

  it(
    "Read of a .env is denied by content, naming its secrets and the import command",
    async () => {
      const s = await scenario({
        files: (sb, value, token) =>
          writeFileSync(
            join(sb.project, ".env"),
            `APP_NAME=demo\nDEPLOY_KEY=${value}\nGITHUB_TOKEN=${token}\n`,
          ),
        steps: (sb) => [
          {
            text: "Reading the env file.",
            tool_use: { name: "Read", input: { file_path: join(sb.project, ".env") } },
          },
          { text: "Done." },
        ],
      });
      assertNoLeak(s);
      const [read] = lastResults(s);
      expect(read?.isError, s.diag()).toBe(true);
      expect(read!.text).toMatch(/DEPLOY_KEY.*GitHub personal access token \(classic\)/);
      expect(read!.text).toContain("hookpack secret import .env");
    },
    TEST_TIMEOUT,
  );

  it(
    "a recursive grep over the project that matches the token shows the match redacted (2.1.330 searches through Bash: it offers no Grep tool)",
    async () => {
      const s = await scenario({
        files: (sb, _value, token) =>
          writeFileSync(
            join(sb.project, "config.yml"),
            `github:\n  token: ${token}\n  org: acme\n`,
          ),
        steps: () => [
          {
            text: "Searching.",
            tool_use: bash("grep -rn token --exclude-dir=.git --exclude-dir=.claude ."),
          },
          { text: "Done." },
        ],
      });
      assertNoLeak(s);
      const [grep] = lastResults(s);
      expect(grep?.isError ?? false, s.diag()).toBe(false);
      expect(grep!.text).toContain("config.yml:2:  token: [REDACTED:github-pat]");
    },
    TEST_TIMEOUT,
  );

  it(
    "Bash output over 30,000 chars with the value after char 30,000: the persisted tool-results file is cleaned and a later Read of it is value-free",
    async () => {
      const s = await scenario({
        steps: () => [
          {
            text: "Big output.",
            tool_use: bash('head -c 31000 /dev/zero | tr "\\0" x; echo; echo "tail=$DEPLOY_ENV"'),
          },
          {
            text: "Reading the saved output.",
            tool_use: {
              name: "Read",
              input: { file_path: "/nonexistent" },
              input_from_result: { file_path: "saved to: (\\S+)" },
            },
          },
          { text: "Done." },
        ],
        env: (value) => ({ DEPLOY_ENV: value }),
      });
      assertNoLeak(s);
      const results = lastResults(s);
      const saved = /saved to: (\S+)/.exec(results[0]?.text ?? "");
      expect(saved, s.diag()).not.toBeNull();
      // The Read of the persisted file, made while it existed, saw it cleaned …
      expect(results[1]?.isError ?? false, s.diag()).toBe(false);
      expect(results[1]!.text).toContain("tail=[REDACTED:DEPLOY_KEY]");
      // … and after the run it is gone: with --no-session-persistence the client deletes the session directory on exit.
      expect(existsSync(saved![1]!), `${saved![1]} outlived the session`).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    "a background command's output file is cleaned before the model reads it",
    async () => {
      const s = await scenario({
        steps: () => [
          {
            text: "In the background.",
            tool_use: bash('echo "bg=$DEPLOY_ENV"', { run_in_background: true }),
          },
          {
            text: "Reading its output.",
            tool_use: {
              name: "Read",
              input: { file_path: "/nonexistent" },
              input_from_result: { file_path: "(\\/\\S+\\.output)" },
            },
          },
          { text: "Done." },
        ],
        env: (value) => ({ DEPLOY_ENV: value }),
      });
      assertNoLeak(s);
      // The Read may race the echo: it saw either nothing yet or the redacted line, never the value.
      const read = lastResults(s)[1];
      expect(read, s.diag()).toBeDefined();
      const seen = !read!.text.includes("bg=")
        ? "not yet written"
        : read!.text.includes("bg=[REDACTED:DEPLOY_KEY]")
          ? "redacted"
          : "unredacted";
      expect(["not yet written", "redacted"], read!.text).toContain(seen);
      // Once written, the output file holds the redacted line, whichever way the race went.
      const outputs = outputFiles(s.sb.tmp);
      expect(outputs.length, s.diag()).toBeGreaterThan(0);
      for (const o of outputs)
        expect(readFileSync(o, "utf8").includes(s.value), `${o} still holds the value`).toBe(false);
      expect(outputs.map((o) => readFileSync(o, "utf8")).join("\n")).toContain(
        "bg=[REDACTED:DEPLOY_KEY]",
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "a 120 KB file with the value at its end: the Read is denied before the count_tokens pre-flight could carry it",
    async () => {
      const s = await scenario({
        files: (sb, value) =>
          writeFileSync(
            join(sb.project, "dump.log"),
            `${"2026-11-22 INFO request served in 12ms\n".repeat(3100)}config key=${value}\n`,
          ),
        steps: (sb) => [
          {
            text: "Reading the log.",
            tool_use: { name: "Read", input: { file_path: join(sb.project, "dump.log") } },
          },
          { text: "Done." },
        ],
      });
      assertNoLeak(s);
      const [read] = lastResults(s);
      expect(read?.isError, s.diag()).toBe(true);
      expect(read!.text).toContain("DEPLOY_KEY");
    },
    TEST_TIMEOUT,
  );
});
