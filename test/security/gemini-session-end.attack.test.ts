// Issue 16 item 5 (Gemini): Gemini CLI 0.61 keeps raw background-command output in
// ~/.gemini/tmp/background-processes/*.log and each chat in ~/.gemini/tmp/<project>/chats/*.jsonl.
// hookpack now registers Gemini's SessionEnd; through the REAL hook process (`hookpack hook gemini`)
// a SessionEnd payload cleans them. The attacker's side: the value in a background log, in the
// chat file (the payload's transcript_path), a detected token nobody stored, the macOS sandbox's
// log folder, a payload without a transcript path, and one with transcript_path null. Contained:
// afterwards no planted file holds the value, the chat is still one JSON record a line, and the
// hook's own answer neither holds a value nor blocks anything.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const value = `Gm${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}Q`;
const token = fakeTokens(64).github;
let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });

beforeEach(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterEach(() => sb?.cleanup());

function plant() {
  const bg = join(sb.home, ".gemini", "tmp", "background-processes");
  const macBg = join(sb.home, ".cache", ".gemini", "tmp", "background-processes");
  const chats = join(sb.home, ".gemini", "tmp", "proj", "chats");
  for (const d of [bg, macBg, chats]) mkdirSync(d, { recursive: true });
  const files = {
    bg: join(bg, "background-4242.log"),
    bgToken: join(bg, "background-4243.log"),
    macBg: join(macBg, "background-77.log"),
    chat: join(chats, "session-2026-12-06T04-30-abcd1234.jsonl"),
  };
  writeFileSync(files.bg, `starting\nDEPLOY=${value}\ndone\n`);
  writeFileSync(files.bgToken, `export GH_TOKEN=${token}\n`);
  writeFileSync(files.macBg, `key ${value}\n`);
  writeFileSync(
    files.chat,
    `${JSON.stringify({ type: "user", content: "run it" })}\n${JSON.stringify({ type: "gemini", toolCalls: [{ result: `DEPLOY=${value}` }] })}\n`,
  );
  return files;
}

const endPayload = (extra: Record<string, unknown>) => ({
  session_id: "s-gem",
  cwd: sb.project,
  hook_event_name: "SessionEnd",
  timestamp: "2026-12-06T04:30:00.000Z",
  reason: "exit",
  ...extra,
});

describe("attack: Gemini CLI's own session files, cleaned by its SessionEnd hook", () => {
  for (const [label, extra, chatCleaned] of [
    ["transcript_path is the chat file", (chat: string) => ({ transcript_path: chat }), true],
    ["no transcript_path", () => ({}), false],
    ["transcript_path null", () => ({ transcript_path: null }), false],
  ] as const) {
    it(`${label}: the background logs hold no value afterwards${chatCleaned ? ", nor the chat" : ""}; the answer blocks nothing`, async () => {
      const t = tally("state/gemini session-end");
      const files = plant();
      const r = await hookpack(["hook", "gemini"], {
        input: JSON.stringify(endPayload(extra(files.chat))),
        env: env(),
        cwd: sb.project,
      });
      const out = r.stdout + r.stderr;
      expect(r.exitCode, r.stderr).toBe(0);
      expect(out.includes(value) || out.includes(token)).toBe(false);
      // Nothing that blocks or stops Gemini: an empty answer or a JSON one without a decision.
      if (r.stdout.trim() !== "") {
        const answer = JSON.parse(r.stdout) as Record<string, unknown>;
        expect(answer.decision).toBeUndefined();
        expect(answer.continue).not.toBe(false);
      }
      for (const k of ["bg", "bgToken", "macBg"] as const) {
        const text = readFileSync(files[k], "utf8");
        const clean = !text.includes(value) && !text.includes(token);
        t.attempt(clean);
        expect(clean, `${k} still holds a value`).toBe(true);
      }
      expect(readFileSync(files.bg, "utf8")).toContain("DEPLOY=[REDACTED:DEPLOY_KEY]");
      const chat = readFileSync(files.chat, "utf8");
      if (chatCleaned) {
        t.attempt(!chat.includes(value));
        expect(chat.includes(value), "the chat file still holds the value").toBe(false);
        for (const line of chat.trimEnd().split("\n")) JSON.parse(line);
      } else {
        // Without a transcript path the chat is not the session's to clean (scan --state --fix is).
        expect(chat.includes(value)).toBe(true);
      }
    });
  }

  it("a malformed SessionEnd (cwd not a string) is refused with a reason naming no value, and cleans nothing", async () => {
    const t = tally("state/gemini session-end");
    const files = plant();
    const r = await hookpack(["hook", "gemini"], {
      input: JSON.stringify(endPayload({ cwd: 42, transcript_path: files.chat })),
      env: env(),
      cwd: sb.project,
    });
    const out = r.stdout + r.stderr;
    t.attempt(!out.includes(value) && /cwd/.test(out));
    expect(out.includes(value)).toBe(false);
    expect(out).toMatch(/cwd/);
    expect(readFileSync(files.bg, "utf8")).toContain(value);
  });
});
