// Issue 21, the audit log under attack by a same-user agent that cannot read the audit key but
// wants entries gone without `hookpack audit --verify` noticing:
// - pending-removed: it holds the append lock (so an entry waits in audit/pending/), then deletes
//   the waiting file (or the whole directory) before an append chains it; optionally lets another
//   entry wait there afterwards, so pending/ again looks as a pending write left it;
// - anchor-rollback: it keeps a copy (or a hard link) of the head anchor, lets more entries be
//   appended, cuts the log back to the copy's last entry (in place, or by replacing the file) and
//   puts the old anchor back; a valid HMAC'd anchor and a log that ends where it says.
// Every append is a REAL `hookpack pre-push` process (dist/hookpack.cjs) refusing a push of a token
// (one `push-blocked` entry tagged by `remote`); every check is a REAL `hookpack audit` process.
// Contained: `audit --verify` fails and says so, and still does after the next append (the log
// itself records it). Also: a waiting entry is listed by `hookpack audit` as pending, not as #0.
// AUDIT_WITNESS_ATTACK_BIN runs the same attempts against another build (the numbers before this
// change: see the commit message).
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  commitFiles,
  fakeGithubToken,
  HOOKPACK,
  makeSandbox,
  type Sandbox,
} from "../helpers/git-sandbox.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const BIN = process.env.AUDIT_WITNESS_ATTACK_BIN ?? HOOKPACK;

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
  hh: string;
  env: NodeJS.ProcessEnv;
}
let homes = 0;
function setup(): Ctx {
  s = makeSandbox("hookpack-audit-witness-");
  const { dir } = s.repo();
  const token = fakeGithubToken();
  const head = commitFiles(s, dir, { "config.js": `const t = "${token}";\n` }, "add config");
  const hh = join(s.root, `hh-${++homes}`);
  mkdirSync(hh, { recursive: true, mode: 0o700 });
  return {
    dir,
    input: `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n`,
    hh,
    env: { ...s.env, HOOKPACK_HOME: hh },
  };
}
function append(c: Ctx, tag: string): number | null {
  return spawnSync(process.execPath, [BIN, "pre-push", tag, "--format", "json"], {
    cwd: c.dir,
    env: c.env,
    input: c.input,
    encoding: "utf8",
    timeout: 45_000,
  }).status;
}
function cli(c: Ctx, args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, "audit", ...args], {
    cwd: c.dir,
    env: c.env,
    encoding: "utf8",
    timeout: 45_000,
  });
  return r.stdout;
}
interface Verification {
  ok: boolean;
  problems: Array<{ kind: string; message: string }>;
}
function verify(c: Ctx): Verification {
  try {
    return JSON.parse(cli(c, ["--verify", "--json"])) as Verification;
  } catch {
    return { ok: true, problems: [] };
  }
}
const logPath = (c: Ctx) => join(c.hh, "audit", "audit.jsonl");
const headPath = (c: Ctx) => join(c.hh, "audit-head.json");
const lockPath = (c: Ctx) => join(c.hh, "audit", "audit.lock");
const pendingDir = (c: Ctx) => join(c.hh, "audit", "pending");
const pendingNames = (c: Ctx) =>
  existsSync(pendingDir(c)) ? readdirSync(pendingDir(c)).filter((n) => n.endsWith(".jsonl")) : [];

/** The append lock held by a live process (what an agent's `sleep` does). */
function holdLock(c: Ctx): () => void {
  const child = spawn("sleep", ["600"], { stdio: "ignore", detached: true });
  const kill = () => {
    try {
      process.kill(child.pid!);
    } catch {
      // gone
    }
  };
  killers.push(kill);
  writeFileSync(lockPath(c), `${child.pid}\n`);
  return () => {
    kill();
    rmSync(lockPath(c), { force: true });
  };
}

/** Contained: verify fails now, and still fails after one more (legitimate) append. */
function contained(c: Ctx, family: string, what: string): void {
  const now = verify(c);
  expect(append(c, `after-${what}`)).toBe(1);
  const later = verify(c);
  const ok = !now.ok && !later.ok;
  tally(family).attempt(ok);
  expect.soft(ok, `${what}: now ${JSON.stringify(now)} later ${JSON.stringify(later)}`).toBe(true);
}

describe("pending/: a waiting entry deleted before it is chained", () => {
  const variants: Record<string, (c: Ctx, release: () => void) => void> = {
    "the file deleted": (c) => {
      for (const n of pendingNames(c)) unlinkSync(join(pendingDir(c), n));
    },
    "the directory deleted": (c) => rmSync(pendingDir(c), { recursive: true }),
    "the file deleted, then another entry left waiting": (c) => {
      for (const n of pendingNames(c)) unlinkSync(join(pendingDir(c), n));
      expect(append(c, "second-waiting")).toBe(1);
      expect(pendingNames(c)).toHaveLength(1);
    },
    "the file deleted and the directory made again": (c) => {
      rmSync(pendingDir(c), { recursive: true });
      mkdirSync(pendingDir(c), { mode: 0o700 });
    },
  };
  for (const [what, attack] of Object.entries(variants)) {
    it(
      what,
      () => {
        const c = setup();
        expect(append(c, "seed")).toBe(1);
        expect(append(c, "seed-2")).toBe(1);
        const release = holdLock(c);
        expect(append(c, "waiting")).toBe(1);
        expect(pendingNames(c)).toHaveLength(1);
        attack(c, release);
        release();
        contained(c, "pending-removed", what);
      },
      120_000,
    );
  }

  it("a waiting entry is listed as pending, not as #0", () => {
    const c = setup();
    expect(append(c, "seed")).toBe(1);
    const release = holdLock(c);
    expect(append(c, "waiting")).toBe(1);
    const out = cli(c, ["--limit", "0"]);
    release();
    const line = out.split("\n").find((l) => l.includes("push-blocked") && l.includes("waiting"));
    const ok = !!line && /\bpending\b/.test(line) && !line.includes("#0");
    tally("pending-display").attempt(ok);
    expect(ok, out).toBe(true);
  }, 60_000);
});

describe("head anchor: an old, validly HMAC'd anchor put back beside a log cut back to it", () => {
  const keepLines = (c: Ctx, seq: number) =>
    readFileSync(logPath(c), "utf8")
      .split("\n")
      .filter(Boolean)
      .filter((l) => (JSON.parse(l) as { seq: number }).seq <= seq)
      .map((l) => `${l}\n`)
      .join("");
  const variants: Record<
    string,
    {
      save: (c: Ctx, saved: string) => void;
      cut: (c: Ctx, text: string) => void;
      put: (c: Ctx, saved: string) => void;
    }
  > = {
    "copied anchor, log truncated in place": {
      save: (c, saved) => copyFileSync(headPath(c), saved),
      cut: (c, text) => truncateSync(logPath(c), Buffer.byteLength(text)),
      put: (c, saved) => copyFileSync(saved, headPath(c)),
    },
    "hard-linked anchor renamed back, log truncated in place": {
      save: (c, saved) => linkSync(headPath(c), saved),
      cut: (c, text) => truncateSync(logPath(c), Buffer.byteLength(text)),
      put: (c, saved) => renameSync(saved, headPath(c)),
    },
    "copied anchor, log replaced by a cut copy": {
      save: (c, saved) => copyFileSync(headPath(c), saved),
      cut: (c, text) => {
        writeFileSync(`${logPath(c)}.new`, text, { mode: 0o600 });
        renameSync(`${logPath(c)}.new`, logPath(c));
      },
      put: (c, saved) => copyFileSync(saved, headPath(c)),
    },
  };
  for (const [what, v] of Object.entries(variants)) {
    it(
      what,
      () => {
        const c = setup();
        expect(append(c, "seed")).toBe(1);
        expect(append(c, "seed-2")).toBe(1);
        const saved = join(s.root, "saved-head.json");
        v.save(c, saved);
        const seq = (JSON.parse(readFileSync(saved, "utf8")) as { seq: number }).seq;
        expect(append(c, "to-hide-1")).toBe(1);
        expect(append(c, "to-hide-2")).toBe(1);
        const text = keepLines(c, seq);
        v.cut(c, text);
        v.put(c, saved);
        expect(readFileSync(logPath(c), "utf8")).toBe(text);
        contained(c, "anchor-rollback", what);
      },
      120_000,
    );
  }
});
