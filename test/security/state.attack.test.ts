// Issue 14, class 4, from the attacker's side: hookpack's own state (store, key, grants, audit log,
// runtime) and its broker, reached from the agent's shell by any spelling. Every command goes
// through the real hook process; a command the hook lets through would run as the agent's shell
// runs it, so each case asserts the hook denied it and that hookpack's files are unchanged. The
// audit log case deletes the log as an attacker would and runs the real `hookpack audit --verify`.
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bashCall, hookOutput, MINIMAL } from "../helpers/hook-run.js";
import { approvePolicy } from "../../broker/policy-approval.js";
import {
  assertBuilt,
  BIN,
  fakeSecret,
  run,
  sandbox,
  setSecret,
  type Sandbox,
} from "../broker/helpers.js";

const tally = new Map<string, { attempts: number; contained: number }>();
const count = (family: string, contained: boolean) => {
  const t = tally.get(family) ?? { attempts: 0, contained: 0 };
  t.attempts++;
  if (contained) t.contained++;
  tally.set(family, t);
};

let sb: Sandbox;
let proj: string;

function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (!p.includes("/audit") && !p.includes("/cache/"))
        out.set(p, createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(sb.hookpackHome);
  return out;
}

function decision(command: string): string | undefined {
  const r = run(sb, ["hook", "claude-code"], {
    input: JSON.stringify(
      bashCall({ root: sb.dir, project: proj }, command, {
        session_id: "s-state",
        ...MINIMAL,
        tool_use_id: `t${Math.random()}`,
      }),
    ),
    cwd: proj,
  });
  expect(r.status, r.stderr).toBe(0);
  return hookOutput(r)?.permissionDecision;
}

beforeAll(() => {
  assertBuilt();
  sb = sandbox();
  setSecret(sb, "TOK", fakeSecret("st"));
  proj = join(sb.dir, "proj");
  mkdirSync(join(proj, ".git"), { recursive: true });
  writeFileSync(
    join(proj, "hookpack.json"),
    JSON.stringify({
      version: 1,
      defaults: { approval: "auto" },
      secrets: { TOK: { provider: "store", commands: ["printf"] } },
    }),
  );
  approvePolicy(sb.hookpackHome, proj);
  // A symlink to the home, made earlier by a route the hook did not see (e.g. an interpreter).
  symlinkSync(sb.hookpackHome, join(sb.dir, "innocent"));
});

afterAll(() => {
  console.log(
    `[attack tally: state] ${[...tally].map(([f, t]) => `${f}: ${t.contained}/${t.attempts}`).join("; ")}`,
  );
  sb?.cleanup();
});

describe("attack: hookpack's state through the agent's shell (issue 14, class 4)", () => {
  it("reading or changing the store, key, grants, audit log or runtime by any spelling is denied", () => {
    const H = sb.hookpackHome;
    const parent = join(H, "..");
    const base = H.slice(parent.length + 1);
    const cases: Array<[string, string]> = [
      ["plain path", `cat ${H}/store.key`],
      ["glob", `cat ${parent}/h?/store.key`],
      ["glob in the last part", `cat ${H}/store.k*`],
      ["variable in the path", `d=${base}; cat ${parent}/$d/store.key`],
      ["$HOOKPACK_HOME", "cat $HOOKPACK_HOME/store.key"],
      ["${HOOKPACK_HOME}", 'base64 "${HOOKPACK_HOME}/store.json"'],
      ["split quoting", `cat ${parent}/'${base}'/store.key`],
      ["backslash", `cat ${parent}/\\${base}/store.key`],
      ["bash -c", `bash -c 'cat ${parent}/h*/store.key'`],
      ["bash -c with a dynamic script", 'bash -c "$(printf "cat %s" x)"'],
      ["$(…)", `echo $(cat ${parent}/h?/store.key)`],
      ["symlink made earlier", `cat ${join(sb.dir, "innocent")}/store.key`],
      ["delete the audit log", `rm -rf ${parent}/h*/audit`],
      ["overwrite the runtime", `cp /bin/true ${H}/runtime/x/hookpack.cjs`],
      ["forge a grant", `printf '{}' > ${parent}/h?/grants/g_${"a".repeat(26)}.json`],
      ["empty the hook cache", `: > ${parent}/$(echo ${base})/hook-cache.json`],
    ];
    const before = snapshot();
    for (const [family, command] of cases) {
      const d = decision(command);
      count(family, d === "deny");
      expect(d, command).toBe("deny");
    }
    expect(snapshot()).toEqual(before);
  });

  it("calling the broker directly by any spelling is denied", () => {
    for (const [family, command] of [
      ["by name", "hookpack exec --secret TOK -- env"],
      ["through npx", "npx hookpack exec --secret TOK -- env"],
      ["node and the bundle", `node ${BIN} exec --secret TOK -- env`],
      ["a copy of the bundle", `cp ${BIN} /tmp/x.cjs && node /tmp/x.cjs exec --secret TOK -- env`],
      ["a variable", "H=hookpack; $H exec --secret TOK -- env"],
      ["bash -c", "bash -c 'hookpack exec --secret TOK -- env'"],
      ["a pending grant", `node ${BIN} exec --grant g_${"b".repeat(26)} -- printf %s x`],
    ] as const) {
      const d = decision(command);
      count(`broker called directly (${family})`, d === "deny");
      expect(d, command).toBe("deny");
    }
  });

  it("audit --verify fails when the log and its anchor are gone while other state shows activity", () => {
    // Some activity: a rewritten call mints a grant, recorded in the audit log.
    decision("printf %s $secret:TOK");
    const ok = run(sb, ["audit", "--verify"], { cwd: proj });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    // The attacker deletes the log and its head anchor (text checks can be bypassed by an interpreter).
    rmSync(join(sb.hookpackHome, "audit"), { recursive: true, force: true });
    rmSync(join(sb.hookpackHome, "audit-head.json"), { force: true });
    const cut = run(sb, ["audit", "--verify"], { cwd: proj });
    count("audit log deleted with its anchor", cut.status !== 0);
    expect(cut.status).not.toBe(0);
    expect(cut.stdout + cut.stderr).toMatch(/log was removed|log is gone/);
  });
});
