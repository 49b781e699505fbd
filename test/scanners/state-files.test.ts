// `hookpack scan --state [--fix]` and the SessionEnd clean-up, through the real built CLI and hook,
// on real copies of each state-file format in a sandboxed HOME, project and TMPDIR.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { assertBuilt, run, sandbox, type Sandbox } from "../broker/helpers.js";

const tokens = fakeTokens(21);
let sb: Sandbox;
let project: string;
let tmp: string;
let managed: string;
let env: NodeJS.ProcessEnv;
const uid = process.getuid?.() ?? 0;

const SID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const slug = () => project.replace(/[^a-zA-Z0-9]/g, "-");
const settingsPath = () => join(project, ".claude", "settings.local.json");
const transcriptPath = () => join(sb.home, ".claude", "projects", slug(), `${SID}.jsonl`);
const toolResultPath = () =>
  join(sb.home, ".claude", "projects", slug(), SID, "tool-results", "toolu_1.txt");
const taskPath = () => join(tmp, `claude-${uid}`, slug(), SID, "tasks", "b1x2y3.output");
const claudeJson = () => join(sb.home, ".claude.json");

// Several entries, one with a managed token, one with a detected token; formatting is the user's.
const settingsText = () =>
  [
    "{",
    '  "permissions": {',
    '    "allow": [',
    '      "Bash(npm test)",',
    `      "Bash(curl -H \\"Authorization: Bearer ${managed}\\" https://api.example.com/v1/me)",`,
    '      "Bash(git status:*)",',
    `      "Bash(export GH_TOKEN=${tokens.github})",`,
    '      "Read(./docs/**)"',
    "    ],",
    '    "deny": ["Read(./.env)"]',
    "  },",
    '  "model": "opus"',
    "}",
    "",
  ].join("\n");

const transcriptLines = () => [
  JSON.stringify({ type: "user", sessionId: SID, message: { role: "user", content: "deploy it" } }),
  JSON.stringify({
    type: "assistant",
    sessionId: SID,
    message: {
      role: "assistant",
      content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "env" } }],
    },
  }),
  JSON.stringify({
    type: "user",
    sessionId: SID,
    message: {
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "toolu_1",
          content: `API=${managed}\nGH=${tokens.github}\nkey:\n${tokens.privateKey}\n`,
        },
      ],
    },
  }),
  JSON.stringify({ type: "summary", summary: "Deploy ✓ — ünïcode stays" }),
];

beforeEach(() => {
  assertBuilt();
  managed = `mk_${randomBytes(20).toString("hex")}`;
  sb = sandbox();
  project = join(sb.dir, "proj");
  tmp = join(sb.dir, "tmp");
  env = { TMPDIR: tmp };
  for (const d of [
    join(project, ".claude"),
    join(sb.home, ".claude", "projects", slug(), SID, "tool-results"),
    join(tmp, `claude-${uid}`, slug(), SID, "tasks"),
  ])
    mkdirSync(d, { recursive: true });
  expect(run(sb, ["secret", "set", "API_TOKEN"], { input: managed }).status).toBe(0);
  writeFileSync(settingsPath(), settingsText());
  writeFileSync(transcriptPath(), `${transcriptLines().join("\n")}\n`);
  writeFileSync(toolResultPath(), `${"y".repeat(40_000)}\nAPI=${managed}\n`);
  writeFileSync(
    taskPath(),
    `started\nbearer ${Buffer.from(`u:${managed}`).toString("base64")}\ndone\n`,
  );
  writeFileSync(
    claudeJson(),
    JSON.stringify({ mcpServers: { gh: { env: { GITHUB_TOKEN: tokens.github } } } }, null, 2),
  );
});
afterEach(() => sb.cleanup());

const allText = () =>
  [settingsPath(), transcriptPath(), toolResultPath(), taskPath()]
    .map((p) => readFileSync(p, "utf8"))
    .join("\n");
const scan = (args: string[]) => run(sb, ["scan", "--state", ...args], { cwd: project, env });

describe("hookpack scan --state", () => {
  it("reports every state file's values by name and fingerprint, never the value, and changes nothing", () => {
    const before = allText();
    const r = scan(["--format", "json"]);
    expect(r.status, r.stderr).toBe(1);
    for (const v of [managed, tokens.github, tokens.privateKey.split("\n")[1]!])
      expect(r.stdout.includes(v)).toBe(false);
    const report = JSON.parse(r.stdout) as {
      findings: Array<{
        path: string;
        location: string;
        secret?: string;
        ruleId: string;
        status: string;
        fingerprint: string;
      }>;
    };
    const at = (loc: string) => report.findings.filter((f) => f.location === loc);
    expect(
      at("claude-settings-local")
        .map((f) => f.secret ?? f.ruleId)
        .sort(),
    ).toEqual(["API_TOKEN", "github-pat"]);
    expect(
      at("claude-transcripts")
        .map((f) => f.secret ?? f.ruleId)
        .sort(),
    ).toEqual(["API_TOKEN", "github-pat", "private-key"]);
    expect(at("claude-tool-results").map((f) => f.secret)).toEqual(["API_TOKEN"]);
    expect(at("claude-task-outputs").map((f) => f.secret)).toEqual(["API_TOKEN"]);
    expect(at("claude-json").map((f) => f.ruleId)).toEqual(["github-pat"]);
    expect(
      report.findings.every(
        (f) => f.status === "reported" && /^sha256:[0-9a-f]{64}$/.test(f.fingerprint),
      ),
    ).toBe(true);
    expect(allText()).toBe(before);
  });

  it("--fix: the allow-list keeps its other entries byte for byte, the managed one gets its reference, the detected one is removed", () => {
    const r = scan(["--fix"]);
    expect(r.stdout.includes(managed) || r.stdout.includes(tokens.github)).toBe(false);
    // .claude.json is report-only, so something is left: exit 1.
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/allow-list entry removed/);
    expect(r.stdout).toMatch(/API_TOKEN reached an agent's records: consider rotating/);
    const fixed = readFileSync(settingsPath(), "utf8");
    const expected = settingsText()
      .replace(managed, "$secret:API_TOKEN")
      .replace(`      "Bash(export GH_TOKEN=${tokens.github})",\n`, "");
    expect(fixed).toBe(expected);
    expect(JSON.parse(fixed).permissions.allow).toHaveLength(4);

    // Transcript: one valid JSON document per line, untouched lines identical, values gone.
    const lines = readFileSync(transcriptPath(), "utf8").split("\n");
    const original = transcriptLines();
    expect(lines).toHaveLength(original.length + 1);
    expect(lines[0]).toBe(original[0]);
    expect(lines[1]).toBe(original[1]);
    expect(lines[3]).toBe(original[3]);
    const result = (JSON.parse(lines[2]!) as { message: { content: Array<{ content: string }> } })
      .message.content[0]!.content;
    expect(result).toContain("API=[REDACTED:API_TOKEN]");
    expect(result).toContain("GH=[REDACTED:github-pat]");
    expect(result).toContain("[REDACTED:private-key]");

    expect(readFileSync(toolResultPath(), "utf8")).toBe(
      `${"y".repeat(40_000)}\nAPI=[REDACTED:API_TOKEN]\n`,
    );
    expect(readFileSync(taskPath(), "utf8")).not.toContain(
      Buffer.from(`u:${managed}`).toString("base64").slice(4, 20),
    );
    for (const v of [managed, tokens.github]) expect(allText().includes(v)).toBe(false);
    expect(readFileSync(claudeJson(), "utf8")).toContain(tokens.github);

    // No backup or temp file holds the value.
    const again = scan(["--format", "json"]);
    const left = (
      JSON.parse(again.stdout) as { findings: Array<{ location: string }> }
    ).findings.map((f) => f.location);
    expect(left).toEqual(["claude-json"]);
  });

  // OpenCode 1.18.33 keeps a tool's streamed output raw in its event log (`event.data`) while the
  // `part` row holds the redacted result; the store was report-only before issue 16 and is now
  // cleaned through SQLite (rules/state-sqlite.ts). Skipped, saying so, without the sqlite3 shell.
  it.skipIf(spawnSync("sqlite3", ["-version"]).status !== 0)(
    "OpenCode's SQLite session store is found and cleaned through SQLite: no byte of it holds a value afterwards, and it stays sound",
    () => {
      const dir = join(sb.home, ".local", "share", "opencode");
      mkdirSync(dir, { recursive: true });
      const db = join(dir, "opencode.db");
      const running = JSON.stringify({
        type: "message.part.updated",
        part: {
          type: "tool",
          state: {
            status: "running",
            metadata: { output: `API=${managed}\nGH=${tokens.github}\n` },
          },
        },
      });
      const hexOf = (t: string) => Buffer.from(t, "utf8").toString("hex");
      execFileSync("sqlite3", [db], {
        input: [
          "PRAGMA journal_mode=WAL;",
          "CREATE TABLE `event` (`id` text PRIMARY KEY, `aggregate_id` text NOT NULL, `seq` integer NOT NULL, `type` text NOT NULL, `data` text NOT NULL);",
          `INSERT INTO event VALUES ('evt_1', 'ses_1', 1, 'message.part.updated.1', CAST(X'${hexOf(running)}' AS TEXT));`,
          "",
        ].join("\n"),
      });
      const r = scan(["--format", "json", "--fix"]);
      expect(r.stdout.includes(managed) || r.stdout.includes(tokens.github)).toBe(false);
      const report = JSON.parse(r.stdout) as {
        findings: Array<{
          path: string;
          location: string;
          secret?: string;
          ruleId: string;
          status: string;
        }>;
      };
      const found = report.findings.filter((f) => f.location === "opencode-db");
      expect(found.map((f) => f.secret ?? f.ruleId).sort()).toEqual(["API_TOKEN", "github-pat"]);
      expect(found.every((f) => f.path === db && f.status === "fixed")).toBe(true);
      const raw = [db, `${db}-wal`]
        .filter((p) => existsSync(p))
        .map((p) => readFileSync(p).toString("latin1"))
        .join("");
      expect(raw.includes(managed) || raw.includes(tokens.github)).toBe(false);
      const sql = (q: string) => execFileSync("sqlite3", [db, q], { encoding: "utf8" }).trim();
      expect(sql("PRAGMA integrity_check;")).toBe("ok");
      const data = JSON.parse(sql("SELECT data FROM event WHERE id = 'evt_1';")) as {
        part: { state: { metadata: { output: string } } };
      };
      expect(data.part.state.metadata.output).toBe(
        "API=[REDACTED:API_TOKEN]\nGH=[REDACTED:github-pat]\n",
      );
    },
  );

  it("Qwen Code's per-session chat logs (0.24) are found and cleaned line by line", () => {
    const chats = join(sb.home, ".qwen", "projects", "-proj", "chats");
    mkdirSync(chats, { recursive: true });
    const file = join(chats, "0a1b2c3d-sess.jsonl");
    const lines = [
      JSON.stringify({ type: "user", message: { parts: [{ text: "run it" }] } }),
      JSON.stringify({
        type: "tool_result",
        toolCallResult: {
          callId: "c1",
          status: "error",
          resultDisplay: `Command: ./deploy\nOutput: API=${managed}\nExit Code: 1`,
        },
      }),
    ];
    writeFileSync(file, `${lines.join("\n")}\n`);
    const r = scan(["--format", "json", "--fix"]);
    const report = JSON.parse(r.stdout) as {
      findings: Array<{ path: string; location: string; secret?: string; status: string }>;
    };
    expect(report.findings.filter((f) => f.path === file)).toMatchObject([
      { location: "qwen-chats", secret: "API_TOKEN", status: "fixed" },
    ]);
    const after = readFileSync(file, "utf8").split("\n");
    expect(after[0]).toBe(lines[0]);
    expect(after[1]).toContain("API=[REDACTED:API_TOKEN]");
    expect(readFileSync(file, "utf8")).not.toContain(managed);
  });

  it("--format sarif is valid SARIF 2.1.0 with fingerprints and no values", () => {
    const r = scan(["--format", "sarif"]);
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: Array<{
        results: Array<{ ruleId: string; partialFingerprints: Record<string, string> }>;
      }>;
    };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0]!.results.length).toBeGreaterThanOrEqual(7);
    expect(
      sarif.runs[0]!.results.every((x) =>
        x.partialFingerprints["hookpackValue/v1"]?.startsWith("sha256:"),
      ),
    ).toBe(true);
    expect(r.stdout.includes(managed) || r.stdout.includes(tokens.github)).toBe(false);
  });
});

describe("SessionEnd hook", () => {
  it("cleans the session's transcript, tool results, task outputs and the project allow-list", () => {
    const payload = JSON.stringify({
      session_id: SID,
      transcript_path: transcriptPath(),
      cwd: project,
      hook_event_name: "SessionEnd",
      reason: "exit",
    });
    const r = run(sb, ["hook", "claude-code"], { input: payload, env, cwd: project });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed \d+ secret value\(s\) from 4 file\(s\)/);
    expect(r.stdout.includes(managed) || r.stdout.includes(tokens.github)).toBe(false);
    for (const v of [managed, tokens.github]) expect(allText().includes(v)).toBe(false);
    expect(readFileSync(settingsPath(), "utf8")).toContain("$secret:API_TOKEN");
  });

  it("Codex CLI: SessionEnd cleans that session's rollout (payload as 0.169.0 sends it), and only that file", () => {
    const day = join(sb.home, ".codex", "sessions", "2026", "11", "23");
    mkdirSync(day, { recursive: true });
    const rollout = join(day, "rollout-2026-11-23T02-01-54-01a2-sess.jsonl");
    const other = join(day, "rollout-2026-11-23T01-00-00-01a2-other.jsonl");
    const line = JSON.stringify({
      type: "response_item",
      payload: { type: "function_call_output", call_id: "c1", output: `API=${managed}\n` },
    });
    writeFileSync(rollout, `${line}\n`);
    writeFileSync(other, `${line}\n`);
    const payload = JSON.stringify({
      session_id: "01a2-sess",
      transcript_path: rollout,
      cwd: project,
      hook_event_name: "SessionEnd",
      reason: "other",
    });
    const r = run(sb, ["hook", "codex"], { input: payload, env, cwd: project });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(rollout, "utf8")).not.toContain(managed);
    expect(readFileSync(rollout, "utf8")).toContain("API=[REDACTED:API_TOKEN]");
    expect(readFileSync(other, "utf8")).toBe(`${line}\n`);
  });

  it("Qwen Code: SessionEnd cleans that session's chat log, and only that file", () => {
    const chats = join(sb.home, ".qwen", "projects", "-proj", "chats");
    mkdirSync(chats, { recursive: true });
    const log = join(chats, "qsess.jsonl");
    const other = join(chats, "other.jsonl");
    const line = JSON.stringify({ type: "tool_call", args: { command: `echo ${tokens.github}` } });
    writeFileSync(log, `${line}\n`);
    writeFileSync(other, `${line}\n`);
    const payload = JSON.stringify({
      session_id: "qsess",
      transcript_path: log,
      cwd: project,
      hook_event_name: "SessionEnd",
      reason: "prompt_input_exit",
      timestamp: "2026-11-23T00:00:00.000Z",
      permission_mode: "yolo",
    });
    const r = run(sb, ["hook", "qwen"], { input: payload, env, cwd: project });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.includes(tokens.github)).toBe(false);
    expect(readFileSync(log, "utf8")).not.toContain(tokens.github);
    expect(readFileSync(log, "utf8")).toContain("[REDACTED:github-pat]");
    expect(readFileSync(other, "utf8")).toBe(`${line}\n`);
  });
});
