// End to end, the real Claude Code client (pinned in .cache/e2e) against the fake model server:
// does a hook settings file the agent edits in the middle of a session change which hooks run for
// the session's LATER tool calls? Answer (2.1.330): yes, once its settings watcher has seen the
// change (a later call within ~a second may still run the old hooks; after 3 s it does not). (sec-gaps7 investigation: if the client re-read its settings, an
// agent that got one edit of .claude/settings.json past hookpack would switch hookpack off for the
// rest of the session; if it keeps the hooks it started with, the edit only takes effect next start.)
//
// Each scenario registers a PreToolUse hook that appends one line per Bash call to a log outside the
// project, then has the model run three Bash calls: `echo one`, a command that removes the hook
// (rewrites the settings file to `{}`), `echo three`. The log tells how many calls ran the hook.
// No hookpack is installed: this is about the client, not about hookpack's rules.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "./helpers.js";
import { claudeScenario, useE2e } from "./harness.js";

const TEST_TIMEOUT = 180_000;
const e2e = useE2e("claude-code");

/** A settings file whose PreToolUse hook on Bash appends a line to `log`. */
const settingsWithHook = (log: string) =>
  `${JSON.stringify(
    {
      hooks: {
        PreToolUse: [
          {
            matcher: "Bash",
            hooks: [{ type: "command", command: `echo pre >> '${log}'`, timeout: 30 }],
          },
        ],
      },
    },
    null,
    2,
  )}\n`;

const bash = (command: string) => ({
  tool_use: { name: "Bash", input: { command, description: "step" } },
});

async function editMidSession(where: "project" | "user", edit: (file: string) => string) {
  let log = "";
  let file = "";
  let marker = "";
  const s = await claudeScenario(e2e, {
    hooks: false,
    setup: (sb: Sandbox) => {
      log = join(sb.root, "hook.log");
      marker = join(sb.root, "third-ran");
      const dir = where === "project" ? join(sb.project, ".claude") : join(sb.home, ".claude");
      mkdirSync(dir, { recursive: true });
      file = join(dir, "settings.json");
      writeFileSync(file, settingsWithHook(log));
    },
    steps: (sb) => [
      bash("echo one"),
      bash(
        edit(
          where === "project" ? ".claude/settings.json" : join(sb.home, ".claude", "settings.json"),
        ),
      ),
      bash(`echo three && touch '${join(sb.root, "third-ran")}'`),
      { text: "Done." },
    ],
  });
  const lines = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0;
  return { ...s, lines, file, marker };
}

describe("e2e: real Claude Code, hook settings edited in the middle of a session", () => {
  it(
    "project settings: a hook added by the second Bash call runs for the third",
    async () => {
      let log = "";
      let file = "";
      const s = await claudeScenario(e2e, {
        hooks: false,
        setup: (sb: Sandbox) => {
          log = join(sb.root, "hook.log");
          mkdirSync(join(sb.project, ".claude"), { recursive: true });
          file = join(sb.project, ".claude", "settings.json");
          writeFileSync(file, "{}\n");
          writeFileSync(join(sb.root, "with-hook.json"), settingsWithHook(log));
        },
        steps: (sb) => [
          bash("echo one"),
          bash(
            `python3 -c "import shutil; shutil.copy('${join(sb.root, "with-hook.json")}', '.claude/settings.json')" && sleep 3`,
          ),
          bash("echo three"),
          { text: "Done." },
        ],
      });
      const lines = existsSync(log)
        ? readFileSync(log, "utf8").split("\n").filter(Boolean).length
        : 0;
      console.log(
        `[e2e] claude ${e2e.client.version} hook added mid-session: hook ran ${lines} time(s) for the third call`,
      );
      expect(s.run.code, s.diag()).toBe(0);
      expect(readFileSync(file, "utf8"), s.diag()).toContain("PreToolUse");
      // Re-read: the hook the agent added runs for the third call.
      expect(lines, s.diag()).toBe(1);
    },
    TEST_TIMEOUT,
  );
  for (const where of ["project", "user"] as const)
    it(
      `${where} settings: the hook removed by the second Bash call no longer runs for the third`,
      async () => {
        const { run, lines, file, marker, diag } = await editMidSession(
          where,
          // (Claude Code 2.1.330 refuses a shell redirection onto its settings file by itself,
          // "Claude requested permissions to write to …/settings.json": a python write is not seen.)
          // The call then waits 3 s, time for a settings file watcher to see the change.
          (f) => `python3 -c "open('${f}', 'w').write('{}')" && sleep 3`,
        );
        console.log(
          `[e2e] claude ${e2e.client.version} ${where} settings edited mid-session: hook ran ${lines} time(s) for 3 Bash calls`,
        );
        expect(run.code, diag()).toBe(0);
        // The edit happened and the third call ran.
        expect(readFileSync(file, "utf8").trim(), diag()).toBe("{}");
        expect(existsSync(marker), diag()).toBe(true);
        // The client re-read its settings mid-session (a file watcher; the call waited 3 s):
        // the removed hook ran for the first two calls only. One edit switches a hook off.
        expect(lines, diag()).toBe(2);
      },
      TEST_TIMEOUT,
    );
});
