// Issue 21: dist/audit.cjs evaluates its copy of the hook prefilter (rules/secretlint.ts, the
// audit's default value filter) on first use instead of at load (scripts/lazy-prefilter.mjs; the
// hook passes its own prefilter and never triggers it). An agent that gets a token-shaped string
// into an audit entry (a command, a name, a key of a map) from a caller that relies on the default
// filter (pre-push, check-pack, the CLI, the broker) wants it written to the log in clear.
// Every attempt runs the REAL bundle in its own process (dist/audit.cjs, required cold: the lazy
// part is evaluated by the append itself). Contained: the log holds no token, and holds the
// withheld marker in its place. Fail closed: a copy of the bundle whose lazily evaluated part
// throws (a corrupt install) writes nothing at all rather than an unfiltered entry.
// Before this change (the prefilter evaluated at load; AUDIT_PREFILTER_ATTACK_DIST=<old dist>):
// 6/6 contained too, the corrupt copy failing at load instead of at the append.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeGithubToken, fakeNpmToken } from "../helpers/fake-secrets.js";
import { reportTally, tally } from "./tally.js";

reportTally();

/** AUDIT_PREFILTER_ATTACK_DIST runs the same attempts against another build's dist/. */
const DIST =
  process.env.AUDIT_PREFILTER_ATTACK_DIST ?? join(import.meta.dirname, "..", "..", "dist");
const WITHHELD = "[withheld: looked like a secret]";

let dirs: string[] = [];
beforeAll(() => {
  if (!existsSync(join(DIST, "audit.cjs"))) throw new Error("run `npm run build` first");
});
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "hookpack-audit-pf-"));
  dirs.push(d);
  return d;
};

/** Appends `events` with the bundle in `dist` (default filter), in a fresh process. */
function append(
  dist: string,
  home: string,
  events: unknown[],
): { status: number | null; err: string } {
  const script = `
    const a = require(${JSON.stringify(join(dist, "audit.cjs"))});
    const events = JSON.parse(process.env.EVENTS);
    try { a.recordAudit(process.env.HP, events); process.stdout.write("written"); }
    catch (e) { process.stdout.write("refused"); process.exitCode = 3; }`;
  const r = spawnSync(process.execPath, ["-e", script], {
    env: { ...process.env, HP: home, EVENTS: JSON.stringify(events), HOOKPACK_HOME: home },
    encoding: "utf8",
  });
  return { status: r.status, err: `${r.stdout}${r.stderr}` };
}
/** Every byte hookpack left under the home (the log, pending entries, the anchor). */
function everything(home: string): string {
  if (!existsSync(home)) return "";
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(readFileSync(p, "latin1"));
    }
  };
  walk(home);
  return out.join("\n");
}

const attempts = (token: string) => [
  {
    label: "a token in a command",
    events: [
      { kind: "push-blocked", agent: "cli", command: `curl -H 'Authorization: token ${token}'` },
    ],
  },
  {
    label: "a token as a secret's name",
    events: [{ kind: "exposure-found", agent: "cli", where: "tool-output:Bash", secret: token }],
  },
  {
    label: "a token as a key of a nested map",
    events: [{ kind: "exec", agent: "cli", grants: [{ host: "h", [token]: 1 }] }],
  },
];

describe("attack: a token-shaped string in an audit entry from a default-filter caller", () => {
  for (const [i, { label, events }] of attempts(fakeGithubToken()).entries())
    it(`${label}: withheld by the real bundle's lazily evaluated prefilter`, () => {
      const t = tally("audit-prefilter");
      const home = join(temp(), "hp");
      const token = JSON.stringify(events).match(/gh[p]_[A-Za-z0-9_]+/)![0];
      const r = append(DIST, home, events);
      const log = everything(home);
      const contained =
        r.status === 0 && !log.includes(token) && log.includes(i === 2 ? "withheld key" : WITHHELD);
      t.attempt(contained);
      expect(r.err).toContain("written");
      expect(log).not.toContain(token);
      expect(log).toContain(i === 2 ? "[withheld key 1: looked like a secret]" : WITHHELD);
    });

  it("control: a plain entry is written as it is (the filter is not withholding everything)", () => {
    const home = join(temp(), "hp");
    const r = append(DIST, home, [
      { kind: "exposure-found", agent: "cli", where: "x", secret: "API_TOKEN" },
    ]);
    expect(r.status).toBe(0);
    const log = everything(home);
    expect(log).toContain('"secret":"API_TOKEN"');
    expect(log).not.toContain(WITHHELD);
  });
});

describe("attack: the lazily evaluated part of the bundle is corrupt", () => {
  /**
   * A copy of dist/ whose prefilter tables throw when evaluated (audit.cjs still loads). hook-split:
   * the tables are audit-prefilter.cjs, which audit.cjs requires on its first PREFILTER.test
   * (before, they were a lazily evaluated part of audit.cjs itself); `missing` leaves it out.
   */
  function corruptDist(missing = false): string {
    const d = temp();
    for (const f of ["audit.cjs", "errors.cjs", "audit-prefilter.cjs"])
      copyFileSync(join(DIST, f), join(d, f));
    const file = join(d, "audit-prefilter.cjs");
    if (missing) {
      rmSync(file);
      return d;
    }
    const text = readFileSync(file, "utf8");
    const at = text.indexOf('[["_authToken"');
    expect(at).toBeGreaterThan(0);
    writeFileSync(
      file,
      `${text.slice(0, at + 1)}(()=>{throw new Error("corrupt")})(),${text.slice(at + 1)}`,
    );
    return d;
  }

  for (const [i, { label, events }] of [
    ...attempts(fakeNpmToken()),
    ...attempts(fakeNpmToken()).map((a) => ({
      ...a,
      label: `${a.label}, the tables' bundle missing`,
    })),
  ].entries())
    it(`${label}: nothing is written (fail closed), never the raw token`, () => {
      const t = tally("audit-prefilter-corrupt");
      const d = corruptDist(i >= 3);
      const home = join(temp(), "hp");
      const token = JSON.stringify(events).match(/np[m]_[A-Za-z0-9_]+/)![0];
      const r = append(d, home, events);
      const log = everything(home);
      const contained = r.status !== 0 && !log.includes(token);
      t.attempt(contained);
      expect(r.err).toContain("refused");
      expect(log).not.toContain(token);
    });
});
