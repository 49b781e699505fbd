// A private, real PostgreSQL cluster for a test file: initdb in a temp dir, listening on 127.0.0.1
// only, password (scram) logins, stopped by pid-file (pg_ctl) at the end. Debian's `postgresql`
// package provides the binaries (scripts/setup-backends.mjs installs it). As root, the cluster runs
// as the `postgres` system user (PostgreSQL refuses to run as root).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Postgres {
  host: string;
  port: number;
  admin: { user: string; password: string };
  /** Runs SQL as the admin; returns stdout (tuples only, unaligned). Throws on error. */
  sql(query: string, db?: string): string;
  /** Tries a login as `user` and runs `query`; ok=false with the server's message on failure. */
  login(user: string, password: string, query?: string): { ok: boolean; out: string; err: string };
  stop(): void;
}

/** The directory holding initdb/pg_ctl/postgres, or a reason why there is none. */
export function postgresBin(): { dir: string } | { missing: string } {
  const base = process.env.HOOKPACK_TEST_PG_BASE ?? "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return { dir: join(base, versions[0], "bin") };
  }
  return {
    missing:
      "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (install the Debian package `postgresql`: `node scripts/setup-backends.mjs`)",
  };
}

/**
 * Why the PostgreSQL tests skip, or undefined: only when the server is missing because the set-up
 * was told to install nothing (HOOKPACK_NO_SYSTEM_PACKAGES=1). A server missing otherwise fails
 * those tests with its reason (the set-up should have installed it).
 */
export const POSTGRES_SKIP: string | undefined = (() => {
  const bin = postgresBin();
  return "missing" in bin && process.env.HOOKPACK_NO_SYSTEM_PACKAGES === "1"
    ? `skipped: HOOKPACK_NO_SYSTEM_PACKAGES=1 and ${bin.missing}`
    : undefined;
})();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin();
  if ("missing" in bin) throw new Error(bin.missing);
  const root = mkdtempSync(join(tmpdir(), "hookpack-pg-"));
  const password = `adm${randomBytes(12).toString("hex")}`;
  const pwfile = join(root, "pw");
  writeFileSync(pwfile, `${password}\n`);
  const asRoot = process.getuid?.() === 0;
  let runAs: string[] = [];
  if (asRoot) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (id.status !== 0)
      throw new Error(
        "running as root, but there is no `postgres` user to run the cluster as (install the Debian package `postgresql`)",
      );
    chownSync(root, Number(id.stdout.trim()), Number(gid.stdout.trim()));
    chownSync(pwfile, Number(id.stdout.trim()), Number(gid.stdout.trim()));
    chmodSync(root, 0o700);
    runAs = ["runuser", "-u", "postgres", "--"];
  }
  const run = (argv: string[]) => {
    const [cmd, ...args] = [...runAs, ...argv];
    const r = spawnSync(cmd!, args, {
      encoding: "utf8",
      cwd: root,
      env: { PATH: process.env.PATH, LANG: "C.UTF-8" },
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`${argv[0]} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const data = join(root, "data");
  run([
    join(bin.dir, "initdb"),
    "-D",
    data,
    "-A",
    "scram-sha-256",
    "-U",
    "admin",
    `--pwfile=${pwfile}`,
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  let port = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    try {
      run([
        join(bin.dir, "pg_ctl"),
        "-D",
        data,
        "-w",
        "-t",
        "30",
        "-l",
        join(root, "pg.log"),
        "-o",
        `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`,
        "start",
      ]);
      break;
    } catch (error) {
      if (attempt === 2) throw error;
    }
  }
  const psql = (user: string, pw: string, query: string, db = "postgres") =>
    spawnSync(
      "psql",
      [
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        user,
        "-d",
        db,
        "-tA",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        query,
      ],
      {
        encoding: "utf8",
        env: { PATH: process.env.PATH, PGPASSWORD: pw, PGCONNECT_TIMEOUT: "5" },
        timeout: 30_000,
      },
    );
  return {
    host: "127.0.0.1",
    port,
    admin: { user: "admin", password },
    sql(query, db) {
      const r = psql("admin", password, query, db);
      if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    login(user, pw, query = "select current_user") {
      const r = psql(user, pw, query);
      return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
    },
    stop() {
      try {
        run([join(bin.dir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
