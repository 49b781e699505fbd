// Issue 21, the audit log under attack by a same-user agent that wants an entry kept out of it (or
// every hook slowed): it holds the append lock with a live process, puts a symlink, directory or
// FIFO where the lock or the log is, cuts the log, races many appenders, or hands the log a token
// as an object key. Every append is a REAL `hookpack pre-push` process (dist/hookpack.cjs) blocking
// a push of a token in a real git repository, which writes one `push-blocked` entry whose `remote`
// is the attempt's tag; every check is a REAL `hookpack audit` process. An attempt is contained
// when the append finished within a bound far below the old 30 s wait, its entry is in the log
// (chained, or HMAC-checked in pending/), `hookpack audit --verify` says what was done to the lock
// or log, and no value is in anything hookpack wrote.
// AUDIT_ATTACK_BIN / AUDIT_ATTACK_SRC run the same attacks against another build (the numbers
// before this change: see the commit message).
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  commitFiles,
  fakeGithubToken,
  HOOKPACK,
  makeSandbox,
  type Sandbox,
} from "../helpers/git-sandbox.js";
import { REPO_ROOT } from "../helpers/sandbox.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const BIN = process.env.AUDIT_ATTACK_BIN ?? HOOKPACK;
const SRC = process.env.AUDIT_ATTACK_SRC ?? join(REPO_ROOT, "broker", "audit.ts");
/** An append that takes this long waited on the lock the old way (30 s) or hung. */
const BOUND_MS = 10_000;

let s: Sandbox;
const killers: Array<() => void> = [];
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error("run `npm run build` first");
});
afterEach(() => {
  for (const k of killers.splice(0)) k();
  s?.cleanup();
});

interface Ctx {
  dir: string;
  input: string;
  token: string;
  /** A HOOKPACK_HOME of its own. */
  hh: string;
  env: NodeJS.ProcessEnv;
}

let homes = 0;
/** A repo whose push carries a token (pre-push blocks it and writes an audit entry). */
function setup(): Omit<Ctx, "hh" | "env"> {
  s = makeSandbox("hookpack-audit-lock-");
  const { dir } = s.repo();
  const token = fakeGithubToken();
  const head = commitFiles(s, dir, { "config.js": `const t = "${token}";\n` }, "add config");
  return { dir, token, input: `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n` };
}
function home(base: Omit<Ctx, "hh" | "env">): Ctx {
  const hh = join(s.root, `hh-${++homes}`);
  mkdirSync(hh, { recursive: true, mode: 0o700 });
  return { ...base, hh, env: { ...s.env, HOOKPACK_HOME: hh } };
}

/** One real append: `hookpack pre-push <tag>` refusing the push. */
function append(c: Ctx, tag: string): { ms: number; status: number | null; out: string } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, "pre-push", tag, "--format", "json"], {
    cwd: c.dir,
    env: c.env,
    input: c.input,
    encoding: "utf8",
    timeout: 45_000,
  });
  return { ms: Date.now() - t0, status: r.status, out: r.stdout + r.stderr };
}

interface Entry {
  kind: string;
  seq?: number;
  remote?: string;
  [k: string]: unknown;
}
function auditEntries(c: Ctx): Entry[] {
  const r = spawnSync(process.execPath, [BIN, "audit", "--json", "--limit", "0"], {
    cwd: c.dir,
    env: c.env,
    encoding: "utf8",
    timeout: 45_000,
  });
  try {
    return (JSON.parse(r.stdout) as { entries: Entry[] }).entries;
  } catch {
    return [];
  }
}
interface Verification {
  ok: boolean;
  problems: Array<{ kind: string; message: string }>;
  notes: Array<{ code: string; message: string }>;
  pending?: number;
}
function verify(c: Ctx): Verification {
  const r = spawnSync(process.execPath, [BIN, "audit", "--verify", "--json"], {
    cwd: c.dir,
    env: c.env,
    encoding: "utf8",
    timeout: 45_000,
  });
  try {
    return JSON.parse(r.stdout) as Verification;
  } catch {
    return {
      ok: false,
      problems: [{ kind: "unreadable", message: r.stdout + r.stderr }],
      notes: [],
    };
  }
}

/** Everything hookpack wrote under HOOKPACK_HOME (the log, pending/, the anchor), as text. */
function written(c: Ctx): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(readFileSync(p, "latin1"));
    }
  };
  walk(c.hh);
  return out.join("\n");
}

const has = (c: Ctx, tag: string) =>
  auditEntries(c).some((e) => e.kind === "push-blocked" && e.remote === tag);

/** A live process that holds the lock (what an agent's `sleep` does); killed after the test. */
function liveHolder(): number {
  const child = spawn("sleep", ["600"], { stdio: "ignore", detached: true });
  killers.push(() => {
    try {
      process.kill(child.pid!);
    } catch {
      // gone
    }
  });
  return child.pid!;
}
const lockPath = (c: Ctx) => join(c.hh, "audit", "audit.lock");

function check(family: string, contained: boolean, detail: string) {
  tally(family).attempt(contained);
  // Soft: every attempt of a family is counted even when one gets through.
  expect.soft(contained, detail).toBe(true);
}

describe("audit lock: a same-user agent tries to keep an entry out of the log", () => {
  it("lock held by a live process: fresh, old, refreshed, pid 1; then released", () => {
    const base = setup();
    const c = home(base);
    expect(append(c, "seed").status).toBe(1);
    const pid = liveHolder();
    writeFileSync(lockPath(c), `${pid}\n`);
    const tags: string[] = [];
    // Fresh lock of a live process.
    let r = append(c, "held-fresh");
    tags.push("held-fresh");
    check(
      "lock-held",
      r.status === 1 && r.ms < BOUND_MS && has(c, "held-fresh"),
      `${r.ms} ms ${r.out}`,
    );
    // An old lock of a live process (mtime a minute back): also reported by verify.
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPath(c), old, old);
    r = append(c, "held-old");
    tags.push("held-old");
    let v = verify(c);
    check(
      "lock-held",
      r.status === 1 &&
        r.ms < BOUND_MS &&
        has(c, "held-old") &&
        v.problems.some((p) => p.kind === "lock-held"),
      `${r.ms} ms ${JSON.stringify(v.problems)}`,
    );
    // The holder keeps the lock fresh (touches it), as an agent in a loop would.
    utimesSync(lockPath(c), new Date(), new Date());
    r = append(c, "held-touched");
    tags.push("held-touched");
    check("lock-held", r.status === 1 && r.ms < BOUND_MS && has(c, "held-touched"), `${r.ms} ms`);
    // The lock names pid 1 (always alive).
    writeFileSync(lockPath(c), "1\n");
    r = append(c, "held-pid1");
    tags.push("held-pid1");
    check("lock-held", r.status === 1 && r.ms < BOUND_MS && has(c, "held-pid1"), `${r.ms} ms`);
    // Released: the next append chains every waiting entry, in order, and the chain verifies.
    unlinkSync(lockPath(c));
    r = append(c, "after");
    v = verify(c);
    const entries = auditEntries(c);
    const chained = tags.every((t) =>
      entries.some((e) => e.kind === "push-blocked" && e.remote === t && (e.seq ?? 0) > 0),
    );
    const pendingLeft = existsSync(join(c.hh, "audit", "pending"))
      ? readdirSync(join(c.hh, "audit", "pending")).filter((n) => n.endsWith(".jsonl")).length
      : 0;
    check(
      "lock-held",
      r.status === 1 &&
        chained &&
        pendingLeft === 0 &&
        v.problems.every((p) => p.kind !== "lock-held") &&
        !written(c).includes(base.token),
      `${JSON.stringify(v.problems)} pending ${pendingLeft} ${JSON.stringify(entries.map((e) => [e.remote, e.seq]))}`,
    );
  }, 300_000);

  it("lock path forged: a symlink to a FIFO, a dangling symlink, a symlink to the log, a directory, a full directory, a FIFO", () => {
    const base = setup();
    const forgeries: Array<[string, (c: Ctx) => void]> = [
      [
        "symlink-to-fifo",
        (c) => {
          const fifo = join(c.hh, "trap.fifo");
          spawnSync("mkfifo", [fifo]);
          symlinkSync(fifo, lockPath(c));
        },
      ],
      ["dangling-symlink", (c) => symlinkSync(join(c.hh, "nowhere"), lockPath(c))],
      ["symlink-to-log", (c) => symlinkSync(join(c.hh, "audit", "audit.jsonl"), lockPath(c))],
      ["directory", (c) => mkdirSync(lockPath(c))],
      [
        "full-directory",
        (c) => {
          mkdirSync(lockPath(c));
          writeFileSync(join(lockPath(c), "x"), "x");
        },
      ],
      ["fifo", (c) => spawnSync("mkfifo", [lockPath(c)])],
    ];
    for (const [name, forge] of forgeries) {
      const c = home(base);
      expect(append(c, "seed").status).toBe(1);
      forge(c);
      const r = append(c, name);
      const v = verify(c);
      const logBefore = existsSync(join(c.hh, "audit", "audit.jsonl"))
        ? statSync(join(c.hh, "audit", "audit.jsonl")).isFile()
        : false;
      check(
        "lock-forged",
        r.status === 1 &&
          r.ms < BOUND_MS &&
          has(c, name) &&
          logBefore &&
          v.problems.some((p) => p.kind === "lock-forged") &&
          !written(c).includes(base.token),
        `${name}: ${r.ms} ms ${r.out.slice(-400)} ${JSON.stringify(v.problems)}`,
      );
    }
  }, 600_000);

  it("log damaged: cut mid-line, cut by whole lines, replaced by a FIFO, a symlink, a directory; anchor replaced by a FIFO", () => {
    const base = setup();
    const log = (c: Ctx) => join(c.hh, "audit", "audit.jsonl");
    const damages: Array<[string, (c: Ctx) => void]> = [
      ["cut-mid-line", (c) => truncateSync(log(c), statSync(log(c)).size - 40)],
      [
        "cut-lines",
        (c) => {
          const lines = readFileSync(log(c), "utf8").split("\n").filter(Boolean);
          writeFileSync(log(c), `${lines.slice(0, 1).join("\n")}\n`);
        },
      ],
      [
        "log-fifo",
        (c) => {
          unlinkSync(log(c));
          spawnSync("mkfifo", [log(c)]);
        },
      ],
      [
        "log-symlink",
        (c) => {
          unlinkSync(log(c));
          symlinkSync("/dev/null", log(c));
        },
      ],
      [
        "log-directory",
        (c) => {
          unlinkSync(log(c));
          mkdirSync(log(c));
        },
      ],
      [
        "anchor-fifo",
        (c) => {
          unlinkSync(join(c.hh, "audit-head.json"));
          spawnSync("mkfifo", [join(c.hh, "audit-head.json")]);
        },
      ],
    ];
    for (const [name, damage] of damages) {
      const c = home(base);
      for (const k of [1, 2, 3]) expect(append(c, `seed-${k}`).status).toBe(1);
      damage(c);
      const r = append(c, name);
      const v = verify(c);
      check(
        "log-damaged",
        r.status === 1 &&
          r.ms < BOUND_MS &&
          has(c, name) &&
          !v.ok &&
          v.problems.length > 0 &&
          !written(c).includes(base.token),
        `${name}: ${r.ms} ms ${r.out.slice(-400)} ${JSON.stringify(v)}`,
      );
    }
  }, 600_000);

  it("interleaved appenders: 6 processes × 4 entries, with the lock held by an agent for part of the run", async () => {
    const base = setup();
    const c = home(base);
    expect(append(c, "seed").status).toBe(1);
    const pid = liveHolder();
    writeFileSync(lockPath(c), `${pid}\n`);
    // Released while the appenders run.
    const release = setTimeout(() => {
      try {
        unlinkSync(lockPath(c));
      } catch {
        // gone
      }
    }, 1500);
    const N = 6;
    const M = 4;
    const runs = Array.from(
      { length: N },
      (_, k) =>
        new Promise<number | null>((res) => {
          const script = `for i in $(seq 1 ${M}); do printf '%s' "$INPUT" | "${process.execPath}" "${BIN}" pre-push "p${k}-$i" --format json >/dev/null 2>&1; done`;
          const child = spawn("bash", ["-c", script], {
            cwd: c.dir,
            env: { ...c.env, INPUT: c.input },
            stdio: "ignore",
          });
          child.on("close", res);
        }),
    );
    await Promise.all(runs);
    clearTimeout(release);
    if (existsSync(lockPath(c))) unlinkSync(lockPath(c));
    append(c, "final");
    const entries = auditEntries(c);
    const v = verify(c);
    for (let k = 0; k < N; k++)
      for (let i = 1; i <= M; i++) {
        const mine = entries.filter((e) => e.kind === "push-blocked" && e.remote === `p${k}-${i}`);
        check(
          "interleaved",
          mine.length === 1 && (mine[0]!.seq ?? 0) > 0 && v.ok,
          `p${k}-${i}: ${mine.length} ${JSON.stringify(v.problems)}`,
        );
      }
    // Seqs are consecutive: nothing chained twice, nothing skipped.
    const seqs = entries.map((e) => e.seq ?? 0).filter((n) => n > 0);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(written(c).includes(base.token)).toBe(false);
  }, 300_000);

  it("a token as an object key: chained and pending, nested and at the top level", () => {
    const base = setup();
    const bundle = join(s.root, "audit-append.cjs");
    buildSync({
      entryPoints: [SRC],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      outfile: bundle,
      logLevel: "error",
    });
    const cases: Array<[string, boolean]> = [
      ["nested", false],
      ["top", false],
      ["nested", true],
      ["top", true],
    ];
    for (const [where, locked] of cases) {
      const c = home(base);
      expect(append(c, "seed").status).toBe(1);
      const token = fakeGithubToken();
      if (locked) writeFileSync(lockPath(c), `${liveHolder()}\n`);
      const script = `const a = require(${JSON.stringify(bundle)});
        const [home, token, where] = process.argv.slice(1);
        const ev = { kind: "read-blocked", path: "x", code: "T" };
        if (where === "top") ev[token] = 1; else ev.extra = { [token]: "v", ok: { [token]: 2 } };
        a.recordAudit(home, ev);`;
      const r = spawnSync(process.execPath, ["-e", script, c.hh, token, where], {
        encoding: "utf8",
        timeout: 45_000,
      });
      const listed = spawnSync(process.execPath, [BIN, "audit", "--json", "--limit", "0"], {
        cwd: c.dir,
        env: c.env,
        encoding: "utf8",
      }).stdout;
      check(
        "token-key",
        r.status === 0 &&
          /read-blocked/.test(listed) &&
          !written(c).includes(token) &&
          !listed.includes(token),
        `${where} ${locked ? "pending" : "chained"}: ${r.stderr}`,
      );
    }
  }, 300_000);
});
