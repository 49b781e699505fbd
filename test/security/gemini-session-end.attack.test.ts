// Issue 16 item 5 (Gemini): Gemini CLI 0.61 keeps raw background-command output in
// ~/.gemini/tmp/background-processes/*.log and each chat in ~/.gemini/tmp/<project>/chats/*.jsonl.
// hookpack now registers Gemini's SessionEnd; through the REAL hook process (`hookpack hook gemini`)
// a SessionEnd payload cleans them. The attacker's side: the value in a background log, in the
// chat file (the payload's transcript_path), a detected token nobody stored, the macOS sandbox's
// log folder, a payload without a transcript path, and one with transcript_path null. Contained:
// afterwards no planted file holds the value, the chat is still one JSON record a line, and the
// hook's own answer neither holds a value nor blocks anything.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { runHook } from "../helpers/hook-run.js";
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
      const r = await runHook(sb, JSON.stringify(endPayload(extra(files.chat))), {
        agent: "gemini",
        env: env(),
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
        // Without a transcript path the chat is looked up by the session id; this one declares no
        // sessionId of its own, so it is not the session's to clean (scan --state --fix is).
        expect(chat.includes(value)).toBe(true);
      }
    });
  }

  it("a malformed SessionEnd (cwd not a string) is refused with a reason naming no value, and cleans nothing", async () => {
    const t = tally("state/gemini session-end");
    const files = plant();
    const r = await runHook(
      sb,
      JSON.stringify(endPayload({ cwd: 42, transcript_path: files.chat })),
      { agent: "gemini", env: env() },
    );
    const out = r.stdout + r.stderr;
    t.attempt(!out.includes(value) && /cwd/.test(out));
    expect(out.includes(value)).toBe(false);
    expect(out).toMatch(/cwd/);
    expect(readFileSync(files.bg, "utf8")).toContain(value);
  });

  // 0.61 sends `transcript_path: ""` when its chat recorder is gone: the chat is found by the
  // session id (file name `session-<time>-<first 8 of id>.jsonl` and its own first record's sessionId).
  const SID = "b17aa569-1342-488c-ad72-c65591b16cf9";
  const header = (sessionId: string) =>
    JSON.stringify({
      sessionId,
      projectHash: "5686e9c4",
      startTime: "2026-12-06T06:26:25.120Z",
      kind: "main",
    });
  function chatsById(home = sb.home) {
    const chats = join(home, ".gemini", "tmp", "proj", "chats");
    const other = join(home, ".gemini", "tmp", "other-proj", "chats");
    for (const d of [chats, other]) mkdirSync(d, { recursive: true });
    const outside = join(sb.root, "outside.jsonl");
    const files = {
      mine: join(other, "session-2026-12-06T06-26-b17aa569.jsonl"),
      legacy: join(chats, "session-2026-12-05T01-00-b17aa569.json"),
      // Same short id, another session: not this session's file.
      twin: join(chats, "session-2026-12-06T07-00-b17aa569.jsonl"),
      // A chat-named symlink to a file elsewhere, declaring the session id.
      link: join(chats, "session-2026-12-06T08-00-b17aa569.jsonl"),
      outside,
    };
    const line = JSON.stringify({
      $set: {
        messages: [
          {
            type: "gemini",
            toolCalls: [{ args: { command: `echo ${token}` }, result: `DEPLOY=${value}` }],
          },
        ],
      },
    });
    writeFileSync(files.mine, `${header(SID)}\n${line}\n`);
    writeFileSync(
      files.legacy,
      JSON.stringify({ sessionId: SID, messages: [{ content: `DEPLOY=${value}` }] }, null, 2),
    );
    writeFileSync(files.twin, `${header("b17aa569-0000-4000-8000-000000000000")}\n${line}\n`);
    writeFileSync(outside, `${header(SID)}\n${line}\n`);
    symlinkSync(outside, files.link);
    return files;
  }

  for (const [label, extra] of [
    ['transcript_path ""', { transcript_path: "" }],
    ["transcript_path missing", {}],
  ] as const)
    it(`${label}: the session's chats (found by id, any project dir, .jsonl and legacy .json) are cleaned; a twin short id and a symlink out are not touched`, async () => {
      const t = tally("state/gemini session-end by id");
      const files = chatsById();
      const before = {
        twin: readFileSync(files.twin, "utf8"),
        outside: readFileSync(files.outside, "utf8"),
      };
      const r = await runHook(sb, JSON.stringify(endPayload({ ...extra, session_id: SID })), {
        agent: "gemini",
        env: env(),
      });
      const out = r.stdout + r.stderr;
      expect(r.exitCode, r.stderr).toBe(0);
      expect(out.includes(value) || out.includes(token)).toBe(false);
      for (const k of ["mine", "legacy"] as const) {
        const text = readFileSync(files[k], "utf8");
        const clean = !text.includes(value) && !text.includes(token);
        t.attempt(clean);
        expect(clean, `${k} still holds a value`).toBe(true);
      }
      for (const l of readFileSync(files.mine, "utf8").trimEnd().split("\n")) JSON.parse(l);
      JSON.parse(readFileSync(files.legacy, "utf8"));
      const untouched =
        readFileSync(files.twin, "utf8") === before.twin &&
        readFileSync(files.outside, "utf8") === before.outside;
      t.attempt(untouched);
      expect(untouched, "a file that is not this session's chat was rewritten").toBe(true);
    });

  it("a hostile session id (a path, a glob, too short, a bare short id) cleans nothing and names no value", async () => {
    const t = tally("state/gemini session-end by id");
    const files = chatsById();
    const before = readFileSync(files.mine, "utf8");
    for (const id of [
      "../../../../tmp/x",
      "*",
      "b17aa569*",
      "b17aa569",
      "",
      "b17aa569-1342-488c-ad72-c65591b16cf9/../x",
    ]) {
      const r = await runHook(
        sb,
        JSON.stringify(endPayload({ transcript_path: "", session_id: id })),
        { agent: "gemini", env: env() },
      );
      const out = r.stdout + r.stderr;
      const ok =
        !out.includes(value) && !out.includes(token) && readFileSync(files.mine, "utf8") === before;
      t.attempt(ok);
      expect(ok, `session id ${JSON.stringify(id)}: ${out}`).toBe(true);
    }
  });

  it("GEMINI_CLI_HOME moves ~/.gemini: the chat is found there", async () => {
    const t = tally("state/gemini session-end by id");
    const moved = join(sb.root, "gemini-home");
    const files = chatsById(moved);
    const r = await runHook(
      sb,
      JSON.stringify(endPayload({ transcript_path: "", session_id: SID })),
      { agent: "gemini", env: { ...env(), GEMINI_CLI_HOME: moved } },
    );
    const text = readFileSync(files.mine, "utf8");
    t.attempt(!text.includes(value) && !text.includes(token));
    expect(text.includes(value) || text.includes(token), r.stdout + r.stderr).toBe(false);
  });
});
