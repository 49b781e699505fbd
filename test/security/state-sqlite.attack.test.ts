// Issue 16 item 5: what the clients keep on their own. Codex CLI 0.169 keeps every thread item (raw
// tool output included) in ~/.codex/thread_history_N.sqlite, beside the rollout hookpack already
// cleans; Gemini CLI 0.61 keeps background-command output in ~/.gemini/tmp/background-processes/,
// chats as .jsonl, and its policy files (.gemini/policies/*.toml) keep "always allow" prefixes. The
// schema below is Codex 0.169's own (read from the database the real client wrote in the e2e run).
// The attacker's side: the value sits in a JSON cell, in an overflow page of a large cell, in an
// indexed column, in a row deleted before the clean (free pages), in the write-ahead log, and the
// agent holds a write lock while the clean runs. Through the real CLI (`scan --state [--fix]`) and
// the real hook process (Codex SessionEnd). Contained: afterwards no byte of the database, its
// -wal or -shm holds the value, SQLite's integrity_check answers ok, and every row is still there.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const HAVE_SQLITE = spawnSync("sqlite3", ["-version"]).status === 0;
if (!HAVE_SQLITE)
  console.warn(
    "hookpack: SKIPPED test/security/state-sqlite.attack.test.ts: the sqlite3 shell is not installed (test/rules/sqlite-deps.sh installs it as root on Debian/Ubuntu)",
  );

const value = `Sq${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}K`;
const token = fakeTokens(63).github;

// Codex CLI 0.169's thread_history_1.sqlite schema (tables and indexes as the client creates them).
const CODEX_SCHEMA = `
PRAGMA journal_mode=WAL;
CREATE TABLE thread_items (
    thread_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    rollout_ordinal INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    item_json TEXT NOT NULL, item_type TEXT NOT NULL DEFAULT '', updated_at_ordinal INTEGER NOT NULL DEFAULT 0, started_at_ms INTEGER, completed_at_ms INTEGER,
    PRIMARY KEY (thread_id, turn_id, item_id)
);
CREATE UNIQUE INDEX idx_thread_items_page ON thread_items(thread_id, rollout_ordinal);
CREATE INDEX idx_thread_items_by_turn_page ON thread_items(thread_id, turn_id, rollout_ordinal);
CREATE INDEX idx_thread_items_user_messages ON thread_items(thread_id, rollout_ordinal) WHERE item_type = 'userMessage';
CREATE TABLE notes (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
CREATE TABLE tagged (id INTEGER PRIMARY KEY, label TEXT, body BLOB);
CREATE INDEX idx_tagged_label ON tagged(label);
`;

let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The agent's writer: a sqlite3 process that takes `db`'s write lock (BEGIN IMMEDIATE), runs
 * `sql` inside it and commits `commitAfterMs` after it holds the lock. Resolves once the lock is
 * held (the process printed so: not a fixed sleep, which a loaded box may outrun), with the
 * promise of the process's end.
 */
async function lockedWriter(db: string, sql: string, commitAfterMs = 1500) {
  const writer = spawn("sqlite3", [db], { stdio: ["pipe", "pipe", "ignore"] });
  const closed = new Promise((res) => writer.on("close", res));
  let out = "";
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error("the sqlite3 writer never took the lock")),
      30_000,
    );
    writer.stdout.on("data", (b: Buffer) => {
      out += b.toString("utf8");
      if (out.includes("lock-held")) {
        clearTimeout(timer);
        res();
      }
    });
    writer.stdin.write(`BEGIN IMMEDIATE;\n${sql}\nSELECT 'lock-held';\n`);
  });
  setTimeout(() => writer.stdin.end("COMMIT;\n"), commitAfterMs);
  return closed;
}
const sqlite = (db: string, script: string) =>
  execFileSync("sqlite3", [db], { input: script, encoding: "utf8" });
const item = (ordinal: number, output: string) =>
  JSON.stringify({
    type: "commandExecution",
    id: `call_${ordinal}`,
    command: "sh show.sh",
    aggregatedOutput: output,
    exitCode: 0,
    status: "completed",
  });

/** A Codex-shaped database holding the value in every place a byte can sit; left open in WAL mode. */
function codexDb(): string {
  const dir = join(sb.home, ".codex");
  mkdirSync(dir, { recursive: true });
  const db = join(dir, "thread_history_1.sqlite");
  const rows = [
    item(1, "hello\n"),
    item(2, `GH_TOKEN=${token}\nDEPLOY=${value}\n`),
    item(3, `${"x".repeat(9000)} ${value} ${"y".repeat(9000)}`), // in an overflow page
    item(4, `gone soon ${value}`), // deleted below: its bytes stay in a free page
  ];
  sqlite(
    db,
    [
      CODEX_SCHEMA,
      "PRAGMA wal_autocheckpoint=0;",
      ...rows.map(
        (r, i) =>
          `INSERT INTO thread_items VALUES ('th', 'tu', 'it${i}', ${i}, 0, ${q(r)}, 'commandExecution', 0, NULL, NULL);`,
      ),
      `INSERT INTO tagged (label, body) VALUES (${q(`label ${value}`)}, X'00ff');`,
      `INSERT INTO tagged (label, body) VALUES ('plain', NULL);`,
      "DELETE FROM thread_items WHERE item_id = 'it3';",
      "",
    ].join("\n"),
  );
  return db;
}

const rawBytes = (db: string) =>
  [db, `${db}-wal`, `${db}-shm`]
    .filter(existsSync)
    .map((p) => readFileSync(p).toString("latin1"))
    .join("\n");
const leaks = (db: string) => {
  const raw = rawBytes(db);
  return raw.includes(value) || raw.includes(token);
};

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

describe.skipIf(!HAVE_SQLITE)(
  "attack: values in an agent's SQLite state (Codex thread history)",
  () => {
    it("scan --state reports them by name without printing them and changes nothing", async () => {
      const t = tally("state/sqlite report");
      const db = codexDb();
      expect(leaks(db), "the fixture must hold the value").toBe(true);
      const before = rawBytes(db);
      const r = await hookpack(["scan", "--state", "--format", "json"], {
        env: env(),
        cwd: sb.project,
      });
      const out = r.stdout + r.stderr;
      const report = JSON.parse(r.stdout) as {
        findings: Array<{ location: string; secret?: string; ruleId: string }>;
      };
      const mine = report.findings.filter((f) => f.location === "codex-thread-history");
      t.attempt(
        r.exitCode === 1 && !out.includes(value) && !out.includes(token) && mine.length > 0,
      );
      expect(r.exitCode, out).toBe(1);
      expect(out.includes(value) || out.includes(token)).toBe(false);
      expect(mine.map((f) => f.secret ?? f.ruleId)).toEqual(
        expect.arrayContaining(["DEPLOY_KEY", "github-pat"]),
      );
      expect(rawBytes(db)).toBe(before);
    });

    it("scan --state --fix: no byte of the database, its -wal or -shm holds a value; integrity ok; every row kept, JSON cells still JSON", async () => {
      const t = tally("state/sqlite fix");
      const db = codexDb();
      const r = await hookpack(["scan", "--state", "--fix"], { env: env(), cwd: sb.project });
      const out = r.stdout + r.stderr;
      t.attempt(!leaks(db) && !out.includes(value));
      expect(out.includes(value) || out.includes(token)).toBe(false);
      expect(leaks(db), `a value is still in the database's bytes\n${out}`).toBe(false);
      expect(sqlite(db, "PRAGMA integrity_check;").trim()).toBe("ok");
      expect(sqlite(db, "SELECT count(*) FROM thread_items;").trim()).toBe("3");
      expect(sqlite(db, "SELECT count(*) FROM tagged;").trim()).toBe("2");
      const items = sqlite(
        db,
        ".mode json\nSELECT item_json FROM thread_items ORDER BY rollout_ordinal;",
      );
      const parsed = (JSON.parse(items) as Array<{ item_json: string }>).map(
        (x) => JSON.parse(x.item_json) as { aggregatedOutput: string },
      );
      expect(parsed[0]!.aggregatedOutput).toBe("hello\n");
      expect(parsed[1]!.aggregatedOutput).toBe(
        "GH_TOKEN=[REDACTED:github-pat]\nDEPLOY=[REDACTED:DEPLOY_KEY]\n",
      );
      expect(parsed[2]!.aggregatedOutput).toBe(
        `${"x".repeat(9000)} [REDACTED:DEPLOY_KEY] ${"y".repeat(9000)}`,
      );
      // The indexed column was edited through SQLite: the index agrees with the table.
      expect(
        sqlite(
          db,
          "SELECT label FROM tagged INDEXED BY idx_tagged_label WHERE label LIKE 'label%';",
        ).trim(),
      ).toBe("label [REDACTED:DEPLOY_KEY]");
      expect(sqlite(db, "SELECT hex(body) FROM tagged WHERE id = 1;").trim()).toBe("00FF");
      // A second run finds nothing left.
      const again = await hookpack(["scan", "--state", "--format", "json"], {
        env: env(),
        cwd: sb.project,
      });
      const rest = (
        JSON.parse(again.stdout) as { findings: Array<{ location: string }> }
      ).findings.filter((f) => f.location === "codex-thread-history");
      t.attempt(rest.length === 0);
      expect(rest).toEqual([]);
    });

    // Tables WITHOUT ROWID are cleaned by their primary key (read as type + hex, never as SQL text).
    it("a value in a WITHOUT ROWID table (text key, composite key with integer and blob parts, the value in the key itself) is cleaned; every row kept; integrity ok", async () => {
      const t = tally("state/sqlite without rowid");
      const db = codexDb();
      sqlite(
        db,
        [
          `INSERT INTO notes VALUES ('n', ${q(`note ${value}`)});`,
          `INSERT INTO notes VALUES (${q(`key-${value}`)}, 'plain');`,
          "CREATE TABLE kv (a INTEGER, b BLOB, c TEXT, body TEXT, PRIMARY KEY (a, b, c)) WITHOUT ROWID;",
          `INSERT INTO kv VALUES (7, X'00ff10', 'it''s', ${q(JSON.stringify({ out: `GH=${token}` }))});`,
          `INSERT INTO kv VALUES (8, X'00', 'x', 'nothing here');`,
          "",
        ].join("\n"),
      );
      const r = await hookpack(["scan", "--state", "--fix", "--format", "json"], {
        env: env(),
        cwd: sb.project,
      });
      const out = r.stdout + r.stderr;
      const left = leaks(db);
      t.attempt(!left && !out.includes(value) && !out.includes(token));
      expect(out.includes(value) || out.includes(token)).toBe(false);
      expect(left, out).toBe(false);
      expect(sqlite(db, "PRAGMA integrity_check;").trim()).toBe("ok");
      expect(sqlite(db, "SELECT count(*) FROM notes;").trim()).toBe("2");
      expect(sqlite(db, "SELECT v FROM notes WHERE k = 'n';").trim()).toBe(
        "note [REDACTED:DEPLOY_KEY]",
      );
      expect(sqlite(db, "SELECT k FROM notes WHERE v = 'plain';").trim()).toBe(
        "key-[REDACTED:DEPLOY_KEY]",
      );
      expect(JSON.parse(sqlite(db, "SELECT body FROM kv WHERE a = 7;").trim())).toEqual({
        out: "GH=[REDACTED:github-pat]",
      });
      expect(sqlite(db, "SELECT hex(b) || '|' || c FROM kv WHERE a = 7;").trim()).toBe(
        "00FF10|it's",
      );
      expect(sqlite(db, "SELECT count(*) FROM kv;").trim()).toBe("2");
    });

    it("a redacted key that collides with an existing key: nothing is changed, the file is reported as not cleaned, no value printed", async () => {
      const t = tally("state/sqlite without rowid");
      const db = codexDb();
      // Two keys whose redacted forms are the same text: the second UPDATE would break the key's uniqueness.
      sqlite(
        db,
        [
          `INSERT INTO notes VALUES (${q(`k ${value}`)}, 'one');`,
          "INSERT INTO notes VALUES ('k [REDACTED:DEPLOY_KEY]', 'two');",
          "",
        ].join("\n"),
      );
      const r = await hookpack(["scan", "--state", "--fix", "--format", "json"], {
        env: env(),
        cwd: sb.project,
      });
      const out = r.stdout + r.stderr;
      const report = JSON.parse(r.stdout) as {
        findings: Array<{ location: string; status: string }>;
      };
      const mine = report.findings.filter((f) => f.location === "codex-thread-history");
      const ok =
        r.exitCode === 1 &&
        !out.includes(value) &&
        mine.some((f) => f.status !== "fixed") &&
        sqlite(db, "PRAGMA integrity_check;").trim() === "ok" &&
        sqlite(db, "SELECT count(*) FROM notes;").trim() === "2";
      t.attempt(ok);
      expect(out.includes(value)).toBe(false);
      expect(ok, out).toBe(true);
    });

    it("the agent holds a write lock while the clean runs: the clean waits for it, then cleans (no lost write, no corruption)", async () => {
      const t = tally("state/sqlite race");
      const db = codexDb();
      // The "agent": a writer that takes the lock, writes a new item holding the value, and commits 1.5 s later.
      const closed = await lockedWriter(
        db,
        `INSERT INTO thread_items VALUES ('th', 'tu', 'late', 9, 0, ${q(item(9, `late ${value}`))}, 'commandExecution', 0, NULL, NULL);`,
      );
      const r = await hookpack(["scan", "--state", "--fix"], { env: env(), cwd: sb.project });
      await closed;
      const left = leaks(db);
      const rows = sqlite(db, "SELECT count(*) FROM thread_items;").trim();
      const ok = sqlite(db, "PRAGMA integrity_check;").trim();
      // Either the clean ran after the commit (the late row is cleaned) or it said it could not: never silent.
      const contained =
        ok === "ok" &&
        rows === "4" &&
        (!left || /could not|run the scan again/.test(r.stdout + r.stderr));
      t.attempt(contained && !(r.stdout + r.stderr).includes(value));
      expect(ok).toBe("ok");
      expect(rows).toBe("4");
      expect(left, r.stdout).toBe(false);
    });

    it("Codex's SessionEnd (the real hook process) cleans the thread history database too", async () => {
      const t = tally("state/sqlite session end");
      const db = codexDb();
      const transcript = join(sb.root, "rollout.jsonl");
      writeFileSync(
        transcript,
        `${JSON.stringify({ type: "response_item", payload: { output: `x ${value}` } })}\n`,
      );
      const payload = {
        session_id: "s-1",
        transcript_path: transcript,
        cwd: sb.project,
        hook_event_name: "SessionEnd",
        model: "m",
        reason: "exit",
      };
      const r = await runHook(sb, JSON.stringify(payload), { agent: "codex", env: env() });
      const out = r.stdout + r.stderr;
      t.attempt(
        !leaks(db) && !readFileSync(transcript, "utf8").includes(value) && !out.includes(value),
      );
      expect(out.includes(value)).toBe(false);
      expect(leaks(db), out).toBe(false);
      expect(readFileSync(transcript, "utf8").includes(value)).toBe(false);
      expect(sqlite(db, "PRAGMA integrity_check;").trim()).toBe("ok");
    });

    it("without the sqlite3 shell: the database is still scanned (raw bytes) and --fix says what to install instead of claiming it clean", async () => {
      const t = tally("state/sqlite fix");
      const db = codexDb();
      const r = await hookpack(["scan", "--state", "--fix", "--format", "json"], {
        env: { ...env(), HOOKPACK_SQLITE3: join(sb.root, "no-such-sqlite3") },
        cwd: sb.project,
      });
      const report = JSON.parse(r.stdout) as {
        findings: Array<{ location: string; secret?: string; status: string }>;
        problems: Array<{ path: string; message: string }>;
      };
      const mine = report.findings.filter((f) => f.location === "codex-thread-history");
      t.attempt(r.exitCode === 1 && mine.length > 0 && !r.stdout.includes(value));
      expect(r.exitCode).toBe(1);
      expect(mine.some((f) => f.secret === "DEPLOY_KEY")).toBe(true);
      expect(mine.every((f) => f.status !== "fixed")).toBe(true);
      expect(JSON.stringify(report.problems)).toMatch(/sqlite3 shell is not installed/);
      expect(leaks(db)).toBe(true);
    });
  },
);

describe("attack: Gemini CLI's own files (background-process logs, .jsonl chats, policy files)", () => {
  it("scan --state --fix finds and cleans each; none keeps a value", async () => {
    const t = tally("state/gemini files");
    const bg = join(sb.home, ".gemini", "tmp", "background-processes");
    const chats = join(sb.home, ".gemini", "tmp", "proj", "chats");
    const policies = join(sb.project, ".gemini", "policies");
    const userPolicies = join(sb.home, ".gemini", "policies");
    for (const d of [bg, chats, policies, userPolicies]) mkdirSync(d, { recursive: true });
    const files = {
      bg: join(bg, "background-4242.log"),
      chat: join(chats, "session-2026-12-06T03-01-abcd1234.jsonl"),
      policy: join(policies, "team.toml"),
      userPolicy: join(userPolicies, "mine.toml"),
    };
    writeFileSync(files.bg, `starting\nexport TOKEN=${token}\nkey ${value}\n`);
    writeFileSync(
      files.chat,
      `${JSON.stringify({ type: "user", content: "run it" })}\n${JSON.stringify({ type: "tool", output: `DEPLOY=${value}` })}\n`,
    );
    writeFileSync(
      files.policy,
      `[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "curl -H 'Authorization: Bearer ${token}'"\ndecision = "allow"\n`,
    );
    writeFileSync(
      files.userPolicy,
      `[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "deploy --key ${value}"\ndecision = "allow"\n`,
    );
    const r = await hookpack(["scan", "--state", "--fix", "--format", "json"], {
      env: env(),
      cwd: sb.project,
    });
    expect(r.stdout.includes(value) || r.stdout.includes(token)).toBe(false);
    const report = JSON.parse(r.stdout) as {
      findings: Array<{ location: string; status: string }>;
    };
    for (const [k, p] of Object.entries(files)) {
      const text = readFileSync(p, "utf8");
      const clean = !text.includes(value) && !text.includes(token);
      t.attempt(clean);
      expect(clean, `${k} still holds a value`).toBe(true);
    }
    const locations = new Set(
      report.findings.filter((f) => f.status === "fixed").map((f) => f.location),
    );
    expect([...locations].sort()).toEqual(
      expect.arrayContaining([
        "gemini-background-logs",
        "gemini-chats-jsonl",
        "gemini-policies-project",
        "gemini-policies-user",
      ]),
    );
    for (const line of readFileSync(files.chat, "utf8").trimEnd().split("\n")) JSON.parse(line);
  });
});

// OpenCode 1.18.33 keeps every session in one SQLite file (`opencode.db`, `opencode-<channel>.db`,
// or $OPENCODE_DB) under $XDG_DATA_HOME/opencode; its `event` table keeps a command's output raw as it
// streamed (schema as the real client creates it). hookpack's plugin hands session.idle to the real
// hook process (`hookpack hook opencode`), which cleans those files through SQLite.
const OPENCODE_SCHEMA = `
PRAGMA journal_mode=WAL;
CREATE TABLE \`event\` (\`id\` text PRIMARY KEY, \`aggregate_id\` text NOT NULL, \`seq\` integer NOT NULL, \`type\` text NOT NULL, \`data\` text NOT NULL);
CREATE TABLE \`part\` (\`id\` text PRIMARY KEY, \`message_id\` text NOT NULL, \`session_id\` text NOT NULL, \`time_created\` integer NOT NULL, \`time_updated\` integer NOT NULL, \`data\` text NOT NULL);
`;
const running = (output: string) =>
  JSON.stringify({
    type: "message.part.updated",
    part: { type: "tool", tool: "bash", state: { status: "running", metadata: { output } } },
  });

function opencodeDb(dir: string, name = "opencode.db"): string {
  mkdirSync(dir, { recursive: true });
  const db = join(dir, name);
  sqlite(
    db,
    [
      OPENCODE_SCHEMA,
      "PRAGMA wal_autocheckpoint=0;",
      `INSERT INTO event VALUES ('e1', 'ses_1', 1, 'message.part.updated.1', ${q(running(`GH_TOKEN=${token}\n`))});`,
      `INSERT INTO event VALUES ('e2', 'ses_1', 2, 'message.part.updated.1', ${q(running(`${"z".repeat(7000)} ${value}`))});`,
      `INSERT INTO event VALUES ('e3', 'ses_1', 3, 'message.part.updated.1', ${q(running(`gone ${value}`))});`,
      `INSERT INTO part VALUES ('p1', 'm1', 'ses_1', 0, 0, ${q(JSON.stringify({ type: "tool", state: { output: "DEPLOY=[REDACTED:DEPLOY_KEY]" } }))});`,
      "DELETE FROM event WHERE id = 'e3';",
      "",
    ].join("\n"),
  );
  return db;
}

const idle = (sessionID: unknown = "ses_1") =>
  JSON.stringify({ hook: "session.idle", sessionID, cwd: sb.project });

describe.skipIf(!HAVE_SQLITE)(
  "attack: OpenCode's session database, cleaned on session.idle by the real hook process",
  () => {
    it("the default data dir: no byte of opencode.db or its -wal holds a value; integrity ok; every live row kept", async () => {
      const t = tally("state/sqlite opencode idle");
      const db = opencodeDb(join(sb.home, ".local", "share", "opencode"));
      expect(leaks(db), "the fixture must hold the values").toBe(true);
      const r = await runHook(sb, idle(), { agent: "opencode", env: env() });
      const out = r.stdout + r.stderr;
      t.attempt(r.exitCode === 0 && !leaks(db) && !out.includes(value) && !out.includes(token));
      expect(r.exitCode, out).toBe(0);
      expect(out.includes(value) || out.includes(token)).toBe(false);
      expect(leaks(db), out).toBe(false);
      expect(sqlite(db, "PRAGMA integrity_check;").trim()).toBe("ok");
      expect(sqlite(db, "SELECT count(*) FROM event;").trim()).toBe("2");
      const e1 = JSON.parse(sqlite(db, "SELECT data FROM event WHERE id = 'e1';")) as {
        part: { state: { metadata: { output: string } } };
      };
      expect(e1.part.state.metadata.output).toBe("GH_TOKEN=[REDACTED:github-pat]\n");
    });

    it("a data dir moved by XDG_DATA_HOME, a release-channel database and $OPENCODE_DB elsewhere are all found and cleaned", async () => {
      const t = tally("state/sqlite opencode idle");
      const xdg = join(sb.root, "xdg-data");
      const channel = opencodeDb(join(xdg, "opencode"), "opencode-beta.db");
      const main = opencodeDb(join(xdg, "opencode"));
      const custom = opencodeDb(join(sb.root, "elsewhere"), "mine.sqlite");
      const r = await runHook(sb, idle(), {
        agent: "opencode",
        env: { ...env(), XDG_DATA_HOME: xdg, OPENCODE_DB: custom },
      });
      for (const db of [channel, main, custom]) {
        t.attempt(!leaks(db));
        expect(leaks(db), `${db}\n${r.stdout}${r.stderr}`).toBe(false);
        expect(sqlite(db, "PRAGMA integrity_check;").trim()).toBe("ok");
      }
    });

    it("$OPENCODE_DB pointed at a file that is not a database: never rewritten, the hook still answers, no value printed", async () => {
      const t = tally("state/sqlite opencode idle");
      const victim = join(sb.root, "notes.db");
      const text = `not sqlite\nDEPLOY=${value}\n`;
      writeFileSync(victim, text);
      const r = await runHook(sb, idle(), {
        agent: "opencode",
        env: { ...env(), OPENCODE_DB: victim },
      });
      const out = r.stdout + r.stderr;
      t.attempt(r.exitCode === 0 && readFileSync(victim, "utf8") === text && !out.includes(value));
      expect(r.exitCode, out).toBe(0);
      expect(readFileSync(victim, "utf8")).toBe(text);
      expect(out.includes(value)).toBe(false);
    });

    it("the agent holds a write lock and commits a new streamed row holding the value while the clean runs: cleaned or said, never corrupt", async () => {
      const t = tally("state/sqlite opencode idle");
      const db = opencodeDb(join(sb.home, ".local", "share", "opencode"));
      const closed = await lockedWriter(
        db,
        `INSERT INTO event VALUES ('e9', 'ses_1', 9, 'message.part.updated.1', ${q(running(`late ${value}`))});`,
      );
      const r = await runHook(sb, idle(), { agent: "opencode", env: env() });
      await closed;
      const ok = sqlite(db, "PRAGMA integrity_check;").trim();
      const rows = sqlite(db, "SELECT count(*) FROM event;").trim();
      t.attempt(
        ok === "ok" && rows === "3" && !leaks(db) && !(r.stdout + r.stderr).includes(value),
      );
      expect(ok).toBe("ok");
      expect(rows).toBe("3");
      expect(leaks(db), r.stdout + r.stderr).toBe(false);
    });

    it("hostile session.idle payloads (no session id, a path as the id, a non-string id) neither crash the hook nor print a value", async () => {
      const t = tally("state/sqlite opencode idle");
      const db = opencodeDb(join(sb.home, ".local", "share", "opencode"));
      for (const input of [
        JSON.stringify({ hook: "session.idle", cwd: sb.project }),
        idle("../../../../etc/passwd"),
        idle(42),
        JSON.stringify({ hook: "session.idle", sessionID: "s", cwd: 7 }),
      ]) {
        const r = await runHook(sb, input, { agent: "opencode", env: env() });
        const out = r.stdout + r.stderr;
        // Malformed: a clear `hookpack:` error and exit 1, which the plugin ignores (a session end blocks nothing).
        const clear = r.exitCode === 0 || (r.exitCode === 1 && /^hookpack: /.test(r.stderr));
        t.attempt(clear && !out.includes(value) && !out.includes(token));
        expect(out.includes(value) || out.includes(token)).toBe(false);
        expect(clear, out).toBe(true);
      }
      expect(sqlite(db, "PRAGMA integrity_check;").trim()).toBe("ok");
    });
  },
);
