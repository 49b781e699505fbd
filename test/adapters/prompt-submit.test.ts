// The prompt-submit event of every agent that has one, through the real built hook process: a
// clean prompt passes with an empty answer (the fast path), a prompt with a token is held back in
// the agent's own words, and the answer never carries the value. Payload shapes: Claude Code and
// Codex from their shipped schemas, Gemini BeforeAgent and Qwen UserPromptSubmit from their
// bundles, Copilot userPromptSubmitted recorded by test/e2e/copilot.test.ts, Cursor
// beforeSubmitPrompt and Cline prompt_submit from their bundles (the Cline CLI runs it detached).
import { afterAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox } from "../helpers/run.js";

const box = sandbox();
afterAll(() => box.cleanup());
const token = fakeTokens(21).github;

type Json = Record<string, unknown>;
const CASES: Record<
  string,
  { payload: (prompt: string) => Json; held: (out: Json, exit: number | null) => string }
> = {
  "claude-code": {
    payload: (prompt) => ({
      session_id: "s",
      transcript_path: "/home/u/.claude/projects/-app/s.jsonl",
      cwd: "/home/u/app",
      permission_mode: "default",
      hook_event_name: "UserPromptSubmit",
      prompt,
    }),
    held: (out) => {
      expect(out.decision).toBe("block");
      // The block message the user sees must not quote the prompt (and the value in it).
      expect(out.hookSpecificOutput).toEqual({
        hookEventName: "UserPromptSubmit",
        suppressOriginalPrompt: true,
      });
      return String(out.reason);
    },
  },
  codex: {
    payload: (prompt) => ({
      session_id: "s",
      turn_id: "t",
      transcript_path: null,
      cwd: "/home/u/app",
      hook_event_name: "UserPromptSubmit",
      model: "gpt-5",
      permission_mode: "default",
      prompt,
    }),
    held: (out) => {
      expect(Object.keys(out).sort()).toEqual(["decision", "reason"]);
      expect(out.decision).toBe("block");
      return String(out.reason);
    },
  },
  qwen: {
    payload: (prompt) => ({
      session_id: "s",
      transcript_path: "/home/u/.qwen/projects/app/chats/s.jsonl",
      cwd: "/home/u/app",
      hook_event_name: "UserPromptSubmit",
      timestamp: "2026-12-05T00:00:00Z",
      prompt,
    }),
    held: (out) => {
      expect(out.decision).toBe("block");
      return String(out.reason);
    },
  },
  gemini: {
    payload: (prompt) => ({
      session_id: "s",
      transcript_path: "/home/u/.gemini/tmp/app/chats/s.json",
      cwd: "/home/u/app",
      hook_event_name: "BeforeAgent",
      timestamp: "2026-12-05T00:00:00Z",
      prompt,
    }),
    held: (out) => {
      // "deny" ends the turn without adding the prompt to the history; continue:false would add it.
      expect(out.decision).toBe("deny");
      expect(out.continue).toBeUndefined();
      return String(out.reason);
    },
  },
  copilot: {
    payload: (prompt) => ({ sessionId: "s", timestamp: 1795391165643, cwd: "/home/u/app", prompt }),
    held: (out) => {
      expect(Object.keys(out)).toEqual(["modifiedPrompt"]);
      return String(out.modifiedPrompt);
    },
  },
  cursor: {
    payload: (prompt) => ({
      hook_event_name: "beforeSubmitPrompt",
      conversation_id: "c",
      generation_id: "g",
      workspace_roots: ["/home/u/app"],
      cursor_version: "2.0",
      prompt,
      attachments: [],
    }),
    held: (out) => {
      expect(out.continue).toBe(false);
      return String(out.user_message);
    },
  },
  cline: {
    payload: (prompt) => ({
      clineVersion: "3.0.65",
      hookName: "prompt_submit",
      timestamp: "1",
      taskId: "t",
      workspaceRoots: ["/home/u/app"],
      userPromptSubmit: { prompt, attachments: [] },
    }),
    held: (out) => {
      expect(out.cancel).toBe(true);
      return String(out.errorMessage);
    },
  },
};

describe("prompt-submit events, per adapter (real hook process)", () => {
  for (const [agent, c] of Object.entries(CASES)) {
    it(`${agent}: a clean prompt passes with an empty answer; a pasted token is held back and named, never echoed`, async () => {
      const clean = await hookpack(["hook", agent], {
        input: JSON.stringify(c.payload("refactor the parser, please")),
        env: box.env,
      });
      expect(clean.exitCode, clean.stderr).toBe(0);
      expect(clean.stdout).toBe("");

      const held = await hookpack(["hook", agent], {
        input: JSON.stringify(c.payload(`deploy with ${token}`)),
        env: box.env,
      });
      expect(held.exitCode, held.stderr).toBe(0);
      const reason = c.held(JSON.parse(held.stdout) as Json, held.exitCode);
      expect(reason).toContain("GitHub personal access token (classic)");
      expect(reason).toContain("hookpack secret set GITHUB_TOKEN");
      expect(reason).toContain("$secret:GITHUB_TOKEN");
      expect(reason).toMatch(/rotate it/);
      expect(held.stdout + held.stderr).not.toContain(token);
    });

    it(`${agent}: a malformed prompt payload carrying a token is held back too (fail closed)`, async () => {
      const payload = c.payload("x");
      const bad = JSON.parse(
        JSON.stringify(payload).replace('"x"', JSON.stringify([token])),
      ) as Json;
      const r = await hookpack(["hook", agent], { input: JSON.stringify(bad), env: box.env });
      expect(r.stdout + r.stderr).not.toContain(token);
      if (r.stdout.trim()) c.held(JSON.parse(r.stdout) as Json, r.exitCode);
      else expect(r.exitCode).toBe(2);
    });
  }
});
