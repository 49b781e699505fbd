// Contract tests for the Codex CLI, Gemini CLI and GitHub Copilot CLI hooks: every fixture payload goes through the
// real, built hook process, and each agent's answer is checked in that agent's own terms.
// Payload shapes were recorded from the real clients (test/e2e/codex.test.ts, gemini.test.ts).
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { loadFixtures, writeExpected, type ExpectedResponse } from "../helpers/fixtures.js";
import { hookpack, REPO, sandbox } from "../helpers/run.js";

const tokens = fakeTokens(3);
const box = sandbox();
afterAll(() => box.cleanup());

type Json = Record<string, unknown>;

/** What each outcome must look like on the agent's wire (beyond the recorded response.json). */
const CONTRACTS: Record<
  "codex" | "gemini" | "copilot" | "cline" | "opencode" | "cursor" | "windsurf" | "qwen",
  {
    deny(out: Json): string;
    redact(out: Json): string;
    /** false: the answer is a warning, never the redacted text; a function decides per answer. */
    redactsAsText?: false | ((out: Json) => boolean);
    /** Blocks with stdout JSON, not exit 2. */
    failClosed?(out: Json | null): void;
    /** Blocks only by exit 2 with the reason on stderr (no after-tool hook, so no redact outcome). */
    blocksByExitCode?: true;
    /** The exit code that lets a failed call through (1 unless the agent blocks on it). */
    failOpenExit?: 0;
  }
> = {
  codex: {
    deny(out) {
      const specific = out.hookSpecificOutput as Json;
      expect(specific.hookEventName).toBe("PreToolUse");
      expect(specific.permissionDecision).toBe("deny");
      return String(specific.permissionDecisionReason);
    },
    redact(out) {
      // PostToolUse block: the model reads the reason instead of the output.
      expect(out.decision).toBe("block");
      return String(out.reason);
    },
  },
  gemini: {
    deny(out) {
      expect(out.decision).toBe("deny");
      return String(out.reason);
    },
    redact(out) {
      // AfterTool deny: the model reads the reason instead of the output.
      expect(out.decision).toBe("deny");
      return String(out.reason);
    },
  },
  copilot: {
    deny(out) {
      expect(out.permissionDecision).toBe("deny");
      return String(out.permissionDecisionReason);
    },
    redact(out) {
      // Command hooks cannot replace or withhold the output: the model is told it saw a secret.
      expect(Object.keys(out)).toEqual(["additionalContext"]);
      expect(String(out.additionalContext)).toMatch(
        /may have reached you unredacted\. Do not repeat/,
      );
      return String(out.additionalContext);
    },
    redactsAsText: false,
    // Copilot 1.0.102 denies a preToolUse whose hook exits 1 (e2e): letting a call through is exit 0.
    failOpenExit: 0,
  },
  cline: {
    deny(out) {
      // cancel stops the task before the tool runs. Cline 3.0.65 shows errorMessage to no one: it
      // goes to ~/.cline/data/logs/cline.log only (test/e2e/cline.test.ts).
      expect(out.cancel).toBe(true);
      return String(out.errorMessage);
    },
    redact(out) {
      expect(Object.keys(out)).toEqual(["contextModification"]);
      expect(String(out.contextModification)).toMatch(/reached you unredacted\. Do not repeat/);
      return String(out.contextModification);
    },
    redactsAsText: false,
    failClosed(out) {
      // Cline ignores exit codes: only a cancel on stdout blocks.
      expect(out?.cancel).toBe(true);
      expect(String(out?.errorMessage)).toMatch(/^hookpack: .*blocked/);
    },
  },
  opencode: {
    deny(out) {
      // The plugin throws this as the tool's error.
      return String(out.block);
    },
    redact(out) {
      // Merged into the result in place: the model reads the redacted output.
      const output = out.output as Json;
      expect(String(output.output)).toContain("[REDACTED:");
      // bash keeps a copy in metadata.output, read in metadata.preview and metadata.display.text.
      expect(JSON.stringify(output.metadata)).toContain("[REDACTED:");
      return String(output.output);
    },
    redactsAsText: false,
  },
  cursor: {
    deny(out) {
      expect(out.permission).toBe("deny");
      expect(out.user_message).toBe(out.agent_message);
      return String(out.agent_message);
    },
    redact(out) {
      // Shell output cannot be replaced: the model is told it saw a secret.
      expect(Object.keys(out)).toEqual(["additional_context"]);
      expect(String(out.additional_context)).toMatch(/reached you unredacted\. Do not repeat/);
      return String(out.additional_context);
    },
    redactsAsText: false,
  },
  windsurf: {
    deny: () => "",
    redact: () => "",
    blocksByExitCode: true,
  },
  qwen: {
    deny(out) {
      const specific = out.hookSpecificOutput as Json;
      expect(specific.hookEventName).toBe("PreToolUse");
      expect(specific.permissionDecision).toBe("deny");
      return String(specific.permissionDecisionReason);
    },
    redact(out) {
      const specific = out.hookSpecificOutput as Json | undefined;
      if (specific?.hookEventName === "PostToolUseFailure") {
        // A failed call's output cannot be replaced or withheld: the model is warned next to it.
        expect(Object.keys(specific).sort()).toEqual(["additionalContext", "hookEventName"]);
        expect(String(specific.additionalContext)).toMatch(
          /reached you unredacted\. Do not repeat/,
        );
        return String(specific.additionalContext);
      }
      // continue:false turns the result into an error carrying stopReason: the model reads it instead.
      expect(out.continue).toBe(false);
      return String(out.stopReason);
    },
    redactsAsText: (out) => out.continue === false,
  },
};

function parseStdout(stdout: string): Json | null {
  if (stdout === "") return null;
  expect(stdout.endsWith("\n")).toBe(true);
  expect(stdout.trimEnd().includes("\n")).toBe(false);
  return JSON.parse(stdout) as Json;
}

for (const agent of [
  "codex",
  "gemini",
  "copilot",
  "cline",
  "opencode",
  "cursor",
  "windsurf",
  "qwen",
] as const) {
  const fixtures = loadFixtures(join(REPO, "test", "fixtures", "payloads", agent), tokens);

  describe(`${agent} fixtures through the real hook`, () => {
    it("has fixtures for every outcome", () => {
      const outcomes = new Set(fixtures.map((f) => f.name.split(".")[0]));
      const all = ["allow", "deny", "fail-closed", "fail-open", "ignored", "redact"];
      expect([...outcomes].sort()).toEqual(
        CONTRACTS[agent].blocksByExitCode ? all.filter((o) => o !== "redact") : all,
      );
    });

    it.each(fixtures.map((f) => [f.name, f] as const))("%s", async (_name, fixture) => {
      const result = await hookpack(["hook", agent], {
        input: fixture.input,
        env: box.env,
        cwd: box.project,
      });
      const stdout = parseStdout(result.stdout);
      for (const [key, value] of Object.entries(tokens)) {
        expect(result.stdout.includes(value), `${key} leaked to stdout`).toBe(false);
        expect(result.stderr.includes(value), `${key} leaked to stderr`).toBe(false);
      }
      const outcome = fixture.name.split(".")[0];
      if (outcome === "allow" || outcome === "ignored") {
        expect(result.exitCode).toBe(0);
        expect(stdout).toBeNull();
      } else if (outcome === "deny" && CONTRACTS[agent].blocksByExitCode) {
        expect(result.exitCode).toBe(2);
        expect(stdout).toBeNull();
        expect(result.stderr).toMatch(/\$secret:[A-Z_]+/);
      } else if (outcome === "deny") {
        expect(result.exitCode).toBe(0);
        expect(CONTRACTS[agent].deny(stdout!)).toMatch(/\$secret:[A-Z_]+/);
      } else if (outcome === "redact") {
        expect(result.exitCode).toBe(0);
        const text = CONTRACTS[agent].redact(stdout!);
        const asText = CONTRACTS[agent].redactsAsText;
        if (typeof asText === "function" ? asText(stdout!) : asText !== false) {
          expect(text).toMatch(/^\[hookpack redacted \d+ secret/);
          expect(text).toContain("[REDACTED:");
        }
      } else if (outcome === "fail-open") {
        // Exit 1: a non-blocking failure (Gemini: "allow with a warning"); 0 where 1 would block.
        expect(result.exitCode).toBe(CONTRACTS[agent].failOpenExit ?? 1);
        expect(result.stderr).toMatch(/^hookpack: .*let through/);
      } else if (outcome === "fail-closed" && CONTRACTS[agent].failClosed) {
        CONTRACTS[agent].failClosed!(stdout);
      } else if (outcome === "fail-closed") {
        // Exit 2 with the reason on stderr blocks in these agents.
        expect(result.exitCode).toBe(2);
        expect(result.stderr).toMatch(/^hookpack: .*blocked/);
      }

      const actual: ExpectedResponse = {
        exitCode: result.exitCode ?? -1,
        stdout,
        stderrContains: result.stderr
          ? [result.stderr.split("\n")[0]!.split(" (")[0]!.split(". ")[0]!]
          : [],
      };
      if (process.env.UPDATE_FIXTURES === "1" || !fixture.expected) {
        writeExpected(fixture, actual, tokens);
        if (process.env.UPDATE_FIXTURES !== "1")
          throw new Error(
            `${fixture.name}: response.json was missing and has been written; review it and run again`,
          );
        return;
      }
      expect(actual.exitCode).toBe(fixture.expected.exitCode);
      expect(actual.stdout).toEqual(fixture.expected.stdout);
      for (const part of fixture.expected.stderrContains) expect(result.stderr).toContain(part);
    });
  });
}
