// Issue 19, from the attacker's side: a `$cap:` capability now goes through the one-process
// delivery of `$secret:` (issue 14). The agent may use `read-staging-db` with psql; it tries to get
// the minted PostgreSQL credential anywhere else in its command: the shell's own variables (`set`,
// `declare -p`, `compgen -v`), `env`/`printenv`, groups, subshells, `$(…)`, `bash -c`, `eval`,
// functions, pipes into a second program, background jobs, another process's /proc, loader and
// start-up variables in front of or exported before the program, and the key or the rewritten call
// used again. Everything runs through the real hook process (dist/hookpack.cjs hook claude-code)
// and the real `hookpack exec`, against the fake Vault whose database engine drives a real
// PostgreSQL. A case is contained when the hook denies it before anything is minted, or when it
// runs and nothing the model would read holds the credential (raw, base64, hex, reversed, the
// role name), no lease stays open and the role is gone afterwards.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt } from "../broker/helpers.js";
import {
  BIN,
  POSTGRES_SKIP,
  project,
  roleExists,
  skipWithoutPostgres,
  startWorld,
  type Project,
  type World,
} from "../broker/lease-fixture.js";
import { reportTally, tally } from "./tally.js";

let world: World;
let p: Project;
beforeAll(async () => {
  assertBuilt();
  if (POSTGRES_SKIP) return;
  world = await startWorld();
  p = project(world);
}, 120_000);
beforeEach((ctx) => skipWithoutPostgres(ctx));
afterAll(async () => {
  p?.sb.cleanup();
  await world?.close();
});
reportTally();

const CAP = "$cap:read-staging-db";
const newest = () => [...world.vault.leases.values()].at(-1)!;
const forms = (l: { username: string; password: string }) => [
  l.password,
  Buffer.from(l.password).toString("base64").slice(0, 16),
  Buffer.from(l.password).toString("hex").slice(0, 24),
  [...l.password].reverse().join(""),
  l.username,
];
const leaks = (text: string) =>
  [...world.vault.leases.values()].some((l) => forms(l).some((f) => text.includes(f)));

/** The hook denies it, nothing is minted, the reason names no value. */
function refused(family: string, commands: string[]): void {
  const t = tally(`cap-delivery: ${family} (refused)`);
  for (const command of commands) {
    const before = world.vault.leases.size;
    const h = p.hook(command);
    const ok =
      h.status === 0 &&
      h.decision === "deny" &&
      h.command === undefined &&
      world.vault.leases.size === before &&
      !leaks(h.raw + h.stderr);
    t.attempt(ok);
    expect(ok, `${command} → ${h.decision}: ${h.reason}`).toBe(true);
  }
}

/** The hook rewrites it (no bash -c), it runs, psql did its work, and nothing holds the credential. */
async function runs(
  family: string,
  cases: Array<[command: string, ran: (out: string) => boolean]>,
): Promise<void> {
  const t = tally(`cap-delivery: ${family} (run)`);
  for (const [command, ran] of cases) {
    const before = world.vault.leases.size;
    const h = p.hook(command);
    expect(h.decision, `${command}: ${h.reason}`).toBe("rewrite");
    expect(h.command).toContain("exec --grant ");
    expect(h.command).not.toMatch(/-- bash -c|read -r -d ''/);
    const r = await p.bash(h.command!);
    const out = r.stdout + r.stderr;
    const minted = world.vault.leases.size === before + 1 ? newest() : undefined;
    const ok =
      minted !== undefined &&
      ran(r.stdout) &&
      !leaks(out) &&
      !roleExists(world.pg, minted.username) &&
      !world.pg.login(minted.username, minted.password).ok;
    t.attempt(ok);
    expect(ok, `${command}\n${out}`).toBe(true);
  }
}

describe("the shell around the program never holds the credential", () => {
  it("set, declare -p, compgen -v, env and printenv in the same command, before, after and beside it", async () => {
    await runs("shell variables and environment", [
      [`${CAP} psql -tA -c 'select 41+1'; set`, (o) => o.startsWith("42\n")],
      [`${CAP} psql -tA -c 'select 41+1'; declare -p`, (o) => o.startsWith("42\n")],
      [`${CAP} psql -tA -c 'select 41+1'; compgen -v; compgen -e`, (o) => o.startsWith("42\n")],
      [`${CAP} psql -tA -c 'select 41+1' && env`, (o) => o.startsWith("42\n")],
      [
        `${CAP} psql -tA -c 'select 41+1'; printenv PGPASSWORD PGUSER; echo "[$PGPASSWORD][$PGUSER]"`,
        (o) => o.includes("42\n") && o.includes("[][]"),
      ],
      [`env; ${CAP} psql -tA -c 'select 41+1'`, (o) => o.includes("42\n")],
      [`${CAP} psql -tA -c 'select 41+1' | env | sort`, (o) => !o.includes("PGPASSWORD=")],
      [
        `${CAP} psql -tA -c 'select pg_sleep(0.5), 42' | { set; declare -p; printenv; cat; }`,
        (o) => o.includes("|42"),
      ],
    ]);
  }, 120_000);

  it("groups, subshells, $(…) and conditionals: the credential is in psql alone", async () => {
    await runs("groups, subshells, substitutions", [
      [
        `{ ${CAP} psql -tA -c 'select 41+1'; printenv PGPASSWORD; set; }`,
        (o) => o.includes("42\n"),
      ],
      [`{ ${CAP} psql -tA -c 'select 41+1'; }; declare -p`, (o) => o.includes("42\n")],
      [`( ${CAP} psql -tA -c 'select 41+1'; printenv PGPASSWORD; env )`, (o) => o.includes("42\n")],
      [
        `echo "got $(${CAP} psql -tA -c 'select 41+1'; printenv PGPASSWORD PGUSER; set)"`,
        (o) => o.startsWith("got 42"),
      ],
      [
        `if ${CAP} psql -tA -c 'select 41+1'; then printenv PGPASSWORD || echo none; fi`,
        (o) => o === "42\nnone\n",
      ],
    ]);
  }, 120_000);

  it("bash -c, eval, source, functions and builtins are refused before anything is minted", () => {
    refused("code runners and functions", [
      `${CAP} bash -c 'echo $PGPASSWORD'`,
      `${CAP} sh -c 'psql -c "select 1"; env'`,
      `bash -c '${CAP} psql -c "select 1"; env'`,
      `bash -c "${CAP} psql -tA -c 'select 1'"`,
      `eval '${CAP} psql -c "select 1"'`,
      `${CAP} eval psql -c 'select 1'`,
      `${CAP} source ./x.sh`,
      `${CAP} . ./x.sh`,
      `psql() { printenv PGPASSWORD; }; ${CAP} psql -c 'select 1'`,
      `function psql { env; }; ${CAP} psql -c 'select 1'`,
      `psql() { env; }; export -f psql; ${CAP} psql -c 'select 1'`,
      `${CAP} export PGPASSWORD`,
      `${CAP} declare -p`,
      `${CAP} set`,
      `${CAP} read -r X`,
      `${CAP} command psql -c 'select 1'`,
      `${CAP} builtin psql`,
      `${CAP} exec psql -c 'select 1'`,
    ]);
  });
});

describe("a second program, a background job or another process", () => {
  it("pipes into a second program carry only psql's masked output, whatever the transform", async () => {
    await runs("pipe into a second program", [
      [`${CAP} psql -tA -c '\\! printenv PGPASSWORD' | rev`, (o) => o.includes(":DETCADER[")],
      [
        `${CAP} psql -tA -c '\\! printenv PGPASSWORD PGUSER' | base64 | base64 -d`,
        (o) => o.includes("[REDACTED"),
      ],
      [`${CAP} psql -tA -c '\\! printenv PGPASSWORD' | od -c`, (o) => o.includes("R   E   D")],
      [
        `${CAP} psql -tA -c 'select current_user' | tr a-z A-Z | sed 's/./& /g'`,
        (o) => o.includes("R E D A C T E D"),
      ],
      [
        `${CAP} psql -tA -c 'select 41+1' | tee /dev/stderr | sh -c 'echo "[$PGPASSWORD]"; cat'`,
        (o) => o.includes("[]") && o.includes("42"),
      ],
    ]);
  }, 120_000);

  it("background jobs, coproc and detaching programs are refused before anything is minted", () => {
    refused("background jobs and detaching", [
      `${CAP} psql -tA -c 'select pg_sleep(3)' &`,
      `${CAP} psql -tA -c 'select pg_sleep(1)' & wait; env`,
      `(sleep 1; cat /proc/*/environ) & ${CAP} psql -tA -c 'select pg_sleep(2)'`,
      `coproc ${CAP} psql -tA -c 'select 1'`,
      `${CAP} nohup psql -c 'select 1'`,
      `${CAP} setsid psql -c 'select 1'`,
      `nohup ${CAP} psql -c 'select 1'`,
      `${CAP} xargs psql -c <<< 'select 1'`,
      `${CAP} timeout 5 psql -c 'select 1'`,
      `${CAP} sudo psql -c 'select 1'`,
    ]);
  });

  it("a sibling reading /proc: the shell and the broker hold nothing; psql's own environment holds the live credential only while it runs", async () => {
    // The agent's shell ($$) and the broker (node) are read while psql runs.
    await runs("shell and broker /proc", [
      [
        `${CAP} psql -tA -c 'select pg_sleep(1), 42' | { sleep 0.5; b=$(pgrep -P $$ -f '^[^ ]*/node '); tr '\\0' '\\n' < /proc/$b/environ; tr '\\0' '\\n' < /proc/$b/cmdline; tr '\\0' '\\n' < /proc/$$/environ; cat; }`,
        // the broker's /proc was read (its command line names the capability), and psql ran
        (o) => o.includes("|42") && o.includes("--cap\nread-staging-db\n"),
      ],
    ]);
    // psql's own environment, read by the next stage of the pipeline while psql runs: the same user
    // can read it (README: what needs an OS sandbox). What the model reads is a dead credential:
    // the lease is revoked when psql exits, before the command returns.
    const t = tally("cap-delivery: sibling reads the receiving program's /proc (revoked first)");
    const h = p.hook(
      `${CAP} psql -tA -c 'select pg_sleep(2)' | { b=$(pgrep -P $$ -f '^[^ ]*/node '); for i in $(seq 100); do q=$(pgrep -P $b -x psql) && break; sleep 0.1; done; tr '\\0' '\\n' < /proc/$q/environ | grep '^PGPASSWORD='; cat; }`,
    );
    expect(h.decision).toBe("rewrite");
    const r = await p.bash(h.command!);
    const minted = newest();
    const printed = r.stdout.includes(`PGPASSWORD=${minted.password}`);
    const dead =
      !roleExists(world.pg, minted.username) &&
      !world.pg.login(minted.username, minted.password).ok;
    t.attempt(dead);
    expect(dead, r.stdout + r.stderr).toBe(true);
    // Recorded so that the README claim stays honest: the value is printed (raw) by the sibling.
    expect(printed, r.stdout + r.stderr).toBe(true);
  }, 120_000);
});

describe("variables that would hand the credential to other code", () => {
  it("BASH_ENV, LD_PRELOAD, PATH or PSQLRC in front of the program, or env in between, are refused", () => {
    refused("loader and start-up variables in front", [
      `BASH_ENV=/tmp/x ${CAP} psql -c 'select 1'`,
      `LD_PRELOAD=/tmp/spy.so ${CAP} psql -c 'select 1'`,
      `${CAP} LD_PRELOAD=/tmp/spy.so psql -c 'select 1'`,
      `${CAP} BASH_ENV=/tmp/x psql -c 'select 1'`,
      `${CAP} PATH=/tmp/evil:/usr/bin psql -c 'select 1'`,
      `${CAP} PSQLRC=/tmp/rc psql -c 'select 1'`,
      `${CAP} env LD_PRELOAD=/tmp/spy.so psql -c 'select 1'`,
      `env LD_PRELOAD=/tmp/spy.so ${CAP} psql -c 'select 1'`,
      `${CAP} PGHOSTADDR=192.0.2.1 psql -c 'select 1'`,
    ]);
  });

  it("exported by the agent's shell before the request: the program gets none of them, and connects where the policy says", async () => {
    await runs("exported loader, start-up and PG variables", [
      [
        `export LD_PRELOAD=/nonexistent/spy.so BASH_ENV=/tmp/benv ENV=/tmp/env PGHOSTADDR=192.0.2.1 PGSERVICE=evil PGOPTIONS='-c search_path=evil'; ${CAP} psql -tA -c '\\! echo "[$LD_PRELOAD][$BASH_ENV][$ENV][$PGHOSTADDR][$PGSERVICE][$PGOPTIONS]"' -c 'select 41+1'`,
        (o) => o.includes("[][][][][][]") && o.includes("42"),
      ],
    ]);
  }, 60_000);
});

describe("the key, the grant and the rewritten call, used again", () => {
  it("a replayed rewritten call, the key with another grant, and the same grant after exit are refused; nothing new is minted", async () => {
    const t = tally("cap-delivery: reuse of the key or the rewritten call (refused)");
    const h = p.hook(`${CAP} psql -tA -c 'select 41+1'`);
    const first = await p.bash(h.command!);
    expect(first.stdout).toBe("42\n");
    const minted = newest();
    const size = world.vault.leases.size;
    const key = /--grant-key ([a-z2-7]{26})/.exec(h.command!)![1]!;
    const id = /--grant (g_[a-z2-7]{26})/.exec(h.command!)![1]!;
    const attempts: Array<[string, string, RegExp]> = [
      ["replay of the rewritten call", h.command!, /already used/],
      [
        "the same grant and key, another program",
        h.command!.replace("-- psql", "-- printenv"),
        /already used/,
      ],
    ];
    // A fresh pending call, attacked with the old key or without it, then with its own key but
    // another program: each is refused, and the refusal burns the grant.
    const next = () => p.hook(`${CAP} psql -tA -c 'select 7'`).command!;
    const withOldKey = next().replace(/--grant-key [a-z2-7]{26}/, `--grant-key ${key}`);
    attempts.push(["another grant with the old key", withOldKey, /without its key/]);
    attempts.push([
      "another grant without a key",
      next().replace(/ --grant-key [a-z2-7]{26}/, ""),
      /without its key/,
    ]);
    attempts.push([
      "its own key, another program",
      next().replace("-- psql -X -tA -c 'select 7'", "-- printenv PGPASSWORD"),
      /different command/,
    ]);
    attempts.push([
      "the old grant id by hand",
      `${process.execPath} ${BIN} exec --grant ${id} --grant-key ${key} --cap read-staging-db -- psql -X -tA -c 'select 41+1'`,
      /already used/,
    ]);
    for (const [label, command, why] of attempts) {
      const r = await p.bash(command);
      const out = r.stdout + r.stderr;
      const ok = world.vault.leases.size === size && !leaks(out) && r.status !== 0 && why.test(out);
      t.attempt(ok);
      expect(ok, `${label}\n${out}`).toBe(true);
    }
    // The credential itself, after its program exited.
    const login = world.pg.login(minted.username, minted.password);
    t.attempt(!login.ok && !roleExists(world.pg, minted.username));
    expect(login.ok).toBe(false);
  }, 120_000);
});
