// Agent state kept in SQLite (Codex CLI's thread_history_N.sqlite holds raw tool output; state_N,
// logs_N, memories_N the rest), scanned and cleaned without corrupting the database.
//
// Why the sqlite3 command-line shell: the package runs on Node >= 20.19, and `node:sqlite` exists
// only from Node 22.5 (unflagged from 22.13); byte-wise editing of the file would miss values split
// across overflow pages, leave the write-ahead log and free pages holding them, and break indexes on
// edited columns. SQLite itself does the edit instead, under its own locking:
//   1. every TEXT cell of every table is read, by rowid (a table WITHOUT ROWID: by its primary key,
//      each key value read as its type and hex) (`sqlite3 -json`, the database path as the only
//      argument; the SQL arrives on stdin, so no value is ever on a command line);
//   2. each cell is fixed like any other state text (JSON cells stay valid JSON);
//   3. one `BEGIN IMMEDIATE` transaction (waiting up to 5 s for the agent's own writer) replaces
//      each changed cell by hex literal, only where the cell still holds what was read, with
//      `secure_delete` on, so the space the old text occupied is zeroed; then the write-ahead log
//      is checkpointed and truncated, and `quick_check` must answer ok;
//   4. the raw bytes of the database and its -wal are scanned again; a value still there (free
//      pages written before the clean) is removed by VACUUM; if it still remains, the file is
//      reported as not cleaned.
// Without the sqlite3 shell on PATH the file is scanned as printable runs (report only) and the
// report says to install sqlite3.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Finder, FixResult, StateFinding } from "./state-fix.js";
import { fixStateText } from "./state-fix.js";

/** The sqlite3 shell to run (HOOKPACK_SQLITE3 overrides, for tests and odd installs). */
export const sqlite3Bin = (): string => process.env.HOOKPACK_SQLITE3 || "sqlite3";

let available: boolean | undefined;
/** Whether the sqlite3 shell runs here (checked once per process). */
export function sqliteAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(sqlite3Bin(), ["-version"], { encoding: "utf8", timeout: 5000 });
    available = r.status === 0 && /^3\.\d+/.test(r.stdout ?? "");
  }
  return available;
}

/** Test hook: forget the cached availability. */
export function resetSqliteAvailability(): void {
  available = undefined;
}

function sql(db: string, script: string, json = false): { ok: boolean; out: string; err: string } {
  const args = [...(json ? ["-json"] : []), "-bail", "-batch", db];
  const r = spawnSync(sqlite3Bin(), args, {
    input: `.timeout 5000\n${script}`,
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    timeout: 60_000,
  });
  // stderr may quote a statement (hex literals of values): callers keep only the first line's error code text.
  const err =
    (r.stderr ?? "").split("\n").find((l) => /^(Error|Parse error|Runtime error)/.test(l)) ??
    (r.error ? r.error.message : "");
  return {
    ok: r.status === 0,
    out: r.stdout ?? "",
    err: err
      .replace(/X'[0-9A-Fa-f]*'/g, "X'…'")
      .replace(/near ".*$/, "")
      .slice(0, 200),
  };
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

interface Cell {
  table: string;
  column: string;
  /** The row's rowid; 0 for a table without rowid (findings then name no row number). */
  rowid: number;
  /** SQL that picks exactly this row: `rowid = N`, or the primary key's values (hex literals). */
  where: string;
  /** The cell is (part of) the row's primary key: its update runs after the row's other cells. */
  key: boolean;
  text: string;
}

/** A primary-key value as an SQL literal of its own type, read back from typeof() and hex(). */
function keyLiteral(type: string, hexValue: string): string | undefined {
  if (!/^[0-9A-F]*$/i.test(hexValue)) return undefined;
  if (type === "text") return `CAST(X'${hexValue}' AS TEXT)`;
  if (type === "blob") return `X'${hexValue}'`;
  if (type === "integer") return `CAST(CAST(X'${hexValue}' AS TEXT) AS INTEGER)`;
  if (type === "real") return `CAST(CAST(X'${hexValue}' AS TEXT) AS REAL)`;
  return undefined;
}

/**
 * Every TEXT cell of every table: rowid tables by rowid, tables WITHOUT ROWID by their primary key
 * (each key value read as typeof + hex, so no value is ever spliced into SQL as text).
 */
function readCells(db: string): { cells: Cell[]; error?: string } {
  const tables = sql(
    db,
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%';",
    true,
  );
  if (!tables.ok)
    return { cells: [], error: `sqlite3 could not read it (${tables.err || "unknown error"})` };
  const list = (
    tables.out.trim() ? (JSON.parse(tables.out) as Array<{ name: string; sql: string | null }>) : []
  ).filter((t) => !/^CREATE\s+VIRTUAL/i.test(t.sql ?? ""));
  const cells: Cell[] = [];
  for (const t of list) {
    const withoutRowid = /WITHOUT\s+ROWID\s*\)?\s*;?\s*$/i.test(t.sql ?? "");
    const cols = sql(db, `PRAGMA table_info(${ident(t.name)});`, true);
    if (!cols.ok || !cols.out.trim()) continue;
    const info = JSON.parse(cols.out) as Array<{ name: string; pk: number }>;
    const names = info.map((c) => c.name);
    const keys = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    if (withoutRowid && keys.length === 0) continue;
    const keySelect = keys
      .map((k, i) => `typeof(${ident(k)}) AS t${i}, hex(${ident(k)}) AS h${i}`)
      .join(", ");
    for (const column of names) {
      const rows = sql(
        db,
        withoutRowid
          ? `SELECT ${keySelect}, ${ident(column)} AS v FROM ${ident(t.name)} WHERE typeof(${ident(column)}) = 'text' AND length(${ident(column)}) >= 6;`
          : `SELECT rowid AS r, ${ident(column)} AS v FROM ${ident(t.name)} WHERE typeof(${ident(column)}) = 'text' AND length(${ident(column)}) >= 6;`,
        true,
      );
      if (!rows.ok)
        return {
          cells,
          error: `sqlite3 could not read ${t.name} (${rows.err || "unknown error"})`,
        };
      if (!rows.out.trim()) continue;
      for (const row of JSON.parse(rows.out) as Array<Record<string, unknown>>) {
        const text = row.v as string;
        if (!withoutRowid) {
          const rowid = row.r as number;
          cells.push({ table: t.name, column, rowid, where: `rowid = ${rowid}`, key: false, text });
          continue;
        }
        const parts = keys.map((k, i) => {
          const lit = keyLiteral(String(row[`t${i}`]), String(row[`h${i}`]));
          return lit === undefined ? undefined : `${ident(k)} = ${lit}`;
        });
        if (parts.some((p) => p === undefined))
          return { cells, error: `a row of ${t.name} has a primary key SQLite cannot name` };
        cells.push({
          table: t.name,
          column,
          rowid: 0,
          where: parts.join(" AND "),
          key: keys.includes(column),
          text,
        });
      }
    }
  }
  return { cells };
}

const hex = (s: string) => Buffer.from(s, "utf8").toString("hex");
const parses = (t: string) => {
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
};

/** The printable runs of the database and its write-ahead log, one per line (what a raw reader of the files sees). */
export function rawRuns(db: string): string {
  const parts: string[] = [];
  for (const p of [db, `${db}-wal`])
    if (existsSync(p))
      parts.push(
        readFileSync(p)
          .toString("latin1")
          .replace(/[^\t\x20-\x7e]+/g, "\n"),
      );
  return parts.join("\n");
}

export interface SqliteOutcome extends FixResult {
  written: boolean;
  /** Why the file was only scanned as raw text. */
  fallback?: string;
}

/**
 * Scans one SQLite database (and its -wal) for values; with `fix`, removes them through SQLite as
 * described above. Findings' `line` is the cell's rowid (column 1): a database has no lines.
 */
export async function cleanSqliteFile(
  db: string,
  find: Finder,
  fix: boolean,
): Promise<SqliteOutcome> {
  // The agent may write while we clean (a row committed after our read): a pass that made progress
  // but left values is repeated, up to three passes, before the file is reported as not clean.
  let first: SqliteOutcome | undefined;
  for (let pass = 0; pass < 3; pass++) {
    const r = await cleanPass(db, find, fix);
    if (!first) first = r;
    const merged =
      pass === 0
        ? r
        : {
            ...r,
            findings: [
              ...first.findings.filter(
                (f) => !r.findings.some((g) => g.line === f.line && g.value === f.value),
              ),
              ...r.findings,
            ].map((f) => (r.error ? f : { ...f, action: "redacted" as const })),
            changed: true,
            written: r.error ? false : true,
          };
    if (!fix || !r.error || !r.changed) return merged;
    first = merged;
  }
  return first!;
}

async function cleanPass(db: string, find: Finder, fix: boolean): Promise<SqliteOutcome> {
  const none: SqliteOutcome = { findings: [], text: "", changed: false, written: false };
  const rawScan = async (why?: string): Promise<SqliteOutcome> => ({
    ...none,
    ...(await fixStateText(rawRuns(db), "text", "report", find)),
    text: "",
    ...(why ? { fallback: why } : {}),
  });
  if (!sqliteAvailable()) {
    const r = await rawScan("the sqlite3 shell is not installed");
    return r.findings.length > 0 && fix
      ? {
          ...r,
          error:
            "it is a SQLite database and the sqlite3 shell is not installed; install sqlite3 (apt install sqlite3, brew install sqlite) and run the scan again",
        }
      : r;
  }
  const { cells, error } = readCells(db);
  if (error) return { ...(await rawScan()), error };
  const findings: StateFinding[] = [];
  const updates: string[] = [];
  // A primary-key cell changes how its row is named: those updates run after every other one.
  const keyUpdates: string[] = [];
  for (const cell of cells) {
    const format = /^\s*[[{]/.test(cell.text) && parses(cell.text) ? "json" : "text";
    const r = await fixStateText(cell.text, format, fix ? "redact" : "report", find);
    if (r.findings.length === 0) continue;
    for (const f of r.findings) findings.push({ ...f, line: cell.rowid, column: 1 });
    if (fix && r.changed)
      (cell.key ? keyUpdates : updates).push(
        `UPDATE ${ident(cell.table)} SET ${ident(cell.column)} = CAST(X'${hex(r.text)}' AS TEXT) WHERE ${cell.where} AND ${ident(cell.column)} = CAST(X'${hex(cell.text)}' AS TEXT);`,
      );
    else if (fix && r.error)
      return {
        ...none,
        findings,
        error: `a cell of ${cell.table}.${cell.column} could not be fixed safely (${r.error})`,
      };
  }
  // The raw bytes may hold values the cells no longer do (free pages, an old -wal frame).
  const rawLeft = async () => (await fixStateText(rawRuns(db), "text", "report", find)).findings;
  if (!fix) {
    if (findings.length > 0) return { ...none, findings };
    const raw = await rawLeft();
    return { ...none, findings: raw.map((f) => ({ ...f, line: 0, column: 1 })) };
  }
  updates.push(...keyUpdates);
  const before = statSync(db);
  if (updates.length > 0) {
    const w = sql(
      db,
      [
        "PRAGMA secure_delete = ON;",
        "BEGIN IMMEDIATE;",
        ...updates,
        "COMMIT;",
        "PRAGMA wal_checkpoint(TRUNCATE);",
        "",
      ].join("\n"),
    );
    if (!w.ok)
      return {
        ...none,
        findings,
        error: `sqlite3 could not rewrite it (${w.err || "unknown error"}); nothing was changed`,
      };
  }
  let left = await rawLeft();
  if (left.length > 0) {
    const v = sql(db, "PRAGMA secure_delete = ON;\nVACUUM;\nPRAGMA wal_checkpoint(TRUNCATE);\n");
    if (!v.ok && updates.length === 0)
      return {
        ...none,
        findings: left.map((f) => ({ ...f, line: 0, column: 1 })),
        error: `a value sits in the database's free space and VACUUM failed (${v.err || "busy"}); close the agent and run the scan again`,
      };
    left = await rawLeft();
  }
  const check = sql(db, "PRAGMA quick_check;");
  if (!check.ok || check.out.trim() !== "ok")
    return {
      ...none,
      findings,
      written: updates.length > 0,
      error:
        "SQLite's quick_check does not answer ok after the clean; keep a copy of the file and report it",
    };
  const all = findings.length > 0 ? findings : left.map((f) => ({ ...f, line: 0, column: 1 }));
  // Values remain: nothing is reported as fixed (the cells that were cleaned are cleaned; the run says to go again).
  if (left.length > 0)
    return {
      ...none,
      findings: all,
      changed: updates.length > 0,
      written: false,
      error:
        "the agent changed the database while it was being cleaned, or a value sits where SQLite cannot reach it; close the agent and run the scan again",
    };
  const changed = updates.length > 0 || statSync(db).mtimeMs !== before.mtimeMs;
  return {
    ...none,
    findings: all.map((f) => ({ ...f, action: "redacted" as const })),
    changed,
    written: changed,
  };
}
