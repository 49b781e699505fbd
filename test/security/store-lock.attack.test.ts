// Issue 21: the secret store's lock (core/fs-safe.ts acquireLock) under attack by a same-user agent
// that wants `hookpack secret …` (and every writer of the store) to hang or fail: it puts a FIFO,
// a symlink to a FIFO, a directory or a dangling symlink where $HOOKPACK_HOME/store.lock is. Every
// attempt runs a REAL `hookpack secret import` (dist/hookpack.cjs). Contained: the import finished
// within a bound far below the lock's 15 s timeout, with exit 0, and the secret is in the store
// (`hookpack secret list`). STORE_LOCK_ATTACK_BIN runs the same attempts against another build (the
// numbers before this change: see the commit message).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HOOKPACK_CJS, makeSandbox, type Sandbox } from "../helpers/sandbox.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const BIN = process.env.STORE_LOCK_ATTACK_BIN ?? HOOKPACK_CJS;
/** The store lock's own timeout is 15 s; a hung open waits forever (killed at 25 s here). */
const BOUND_MS = 8_000;

let s: Sandbox | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

function importOne(sb: Sandbox, name: string): { ms: number; status: number | null; out: string } {
  writeFileSync(join(sb.project, ".env"), `${name}=${"v".repeat(8)}${name.length}x${name}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, "secret", "import", ".env"], {
    cwd: sb.project,
    env: sb.env,
    encoding: "utf8",
    timeout: 25_000,
  });
  return { ms: Date.now() - t0, status: r.status, out: `${r.stdout}${r.stderr}`.slice(0, 400) };
}
function listed(sb: Sandbox, name: string): boolean {
  const r = spawnSync(process.execPath, [BIN, "secret", "list"], {
    cwd: sb.project,
    env: sb.env,
    encoding: "utf8",
    timeout: 25_000,
  });
  return r.stdout.includes(name);
}

const PLANTS: Record<string, (lock: string, root: string) => void> = {
  fifo: (lock) => execFileSync("mkfifo", [lock]),
  "symlink to a fifo": (lock, root) => {
    execFileSync("mkfifo", [join(root, "elsewhere.fifo")]);
    symlinkSync(join(root, "elsewhere.fifo"), lock);
  },
  directory: (lock) => mkdirSync(lock),
  "dangling symlink": (lock, root) => symlinkSync(join(root, "nowhere"), lock),
};

describe("store lock: a same-user agent plants something at store.lock", () => {
  for (const [what, plant] of Object.entries(PLANTS)) {
    it(`a ${what} at the lock path neither hangs nor blocks a store write`, () => {
      s = makeSandbox({ prefix: "hookpack-store-lock-", env: { HOOKPACK_KEY_BACKEND: "file" } });
      expect(importOne(s, "FIRST_SECRET").status).toBe(0);
      const lock = join(s.hookpackHome, "store.lock");
      expect(existsSync(lock)).toBe(false);
      plant(lock, s.root);
      const r = importOne(s, "SECOND_SECRET");
      const contained = r.status === 0 && r.ms < BOUND_MS && listed(s, "SECOND_SECRET");
      tally("store-lock").attempt(contained);
      expect(contained, `${what}: exit ${r.status} after ${r.ms} ms: ${r.out}`).toBe(true);
    }, 60_000);
  }
});
