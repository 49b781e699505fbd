// The policy in force is the project's hookpack.json as the user approved it (broker/
// policy-approval.ts). A changed file already waited for approval, but a file that was GONE meant
// "no policy", and no policy means the built-in default, where every use of a stored secret asks:
// so an agent that deleted (or chmod 000'd, or replaced by a directory, or moved `.git` away from)
// the approved policy turned its next denied use into a question the user may wave through. Each
// attempt here weakens the approved policy from the agent's side, then sends the REAL hook the use
// the approved policy denies (a secret the policy gives to curl only, passed to wget): contained
// when the answer is still the deny. Controls: the intact policy denies; after the user approves the
// removal (what `hookpack policy approve` records) the default's ask applies; a project that never
// had an approved policy keeps the default.
import { chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { approvePolicy, approvePolicyRemoval } from "../../broker/policy-approval.js";
import {
  assertBuilt,
  fakeSecret,
  preToolUse,
  run,
  sandbox,
  setSecret,
  type Sandbox,
} from "../broker/helpers.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let sb: Sandbox;
let value: string;
const POLICY = {
  version: 1,
  defaults: { approval: "auto" },
  secrets: { API: { provider: "store", commands: [{ program: "curl", hosts: ["127.0.0.1"] }] } },
};
const USE = 'wget -q -O- --header="Authorization: Bearer $secret:API" http://127.0.0.1:9/';
/** The approved policy's own deny (not some other rule's). */
const POLICY_DENY =
  /does not allow this use of \$secret:API: `wget` is not among its allowed commands \(curl\)/;
let n = 0;

beforeAll(() => {
  assertBuilt();
  sb = sandbox();
  value = fakeSecret("weaken");
  setSecret(sb, "API", value);
});
afterAll(() => {
  run(sb, ["broker", "stop"]);
  sb?.cleanup();
});

/** A fresh project with the policy written and approved by the user; returns its directory. */
function approvedProject(): string {
  const dir = join(sb.dir, `proj-${++n}`);
  mkdirSync(join(dir, ".git"), { recursive: true });
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "hookpack.json"), `${JSON.stringify(POLICY, null, 2)}\n`);
  approvePolicy(sb.hookpackHome, dir);
  return dir;
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

function answer(cwd: string) {
  const a = preToolUse(sb, cwd, USE, { session: `weaken-${n}` });
  expect(a.raw.includes(value)).toBe(false);
  return a;
}

describe("control", () => {
  it("the approved policy denies the use (wget is not among its programs)", () => {
    const dir = approvedProject();
    const a = answer(dir);
    expect(a.decision, a.reason).toBe("deny");
    expect(a.reason).toMatch(POLICY_DENY);
  });

  it("a project that never had an approved policy keeps the built-in default: the use asks", () => {
    const dir = join(sb.dir, "never");
    mkdirSync(join(dir, ".git"), { recursive: true });
    const a = answer(dir);
    expect(a.decision, a.reason).toBe("ask");
  });

  it("after the user approves the removal, the built-in default applies: the use asks", () => {
    const dir = approvedProject();
    rmSync(join(dir, "hookpack.json"));
    expect(approvePolicyRemoval(sb.hookpackHome, dir)).toBe(true);
    const a = answer(dir);
    expect(a.decision, a.reason).toBe("ask");
  });
});

/** Each weakening, applied as the agent's shell or file tools would; `cwd` where the agent then works. */
const weakenings: Array<[string, (dir: string) => string]> = [
  ["Bash: rm hookpack.json", (d) => (rmSync(join(d, "hookpack.json")), d)],
  ["Bash: mv hookpack.json away", (d) => (renameSync(join(d, "hookpack.json"), join(d, "x")), d)],
  ["Bash: truncate to 0 bytes", (d) => (writeFileSync(join(d, "hookpack.json"), ""), d)],
  ["Write: {}", (d) => (writeFileSync(join(d, "hookpack.json"), "{}\n"), d)],
  ["Write: invalid JSON", (d) => (writeFileSync(join(d, "hookpack.json"), "{"), d)],
  [
    "Edit: wget added to the programs",
    (d) => {
      const loose = structuredClone(POLICY);
      loose.secrets.API.commands.push({ program: "wget", hosts: [] } as never);
      writeFileSync(join(d, "hookpack.json"), JSON.stringify(loose));
      return d;
    },
  ],
  [
    "MultiEdit: any program",
    (d) => {
      writeFileSync(
        join(d, "hookpack.json"),
        JSON.stringify({ version: 1, secrets: { API: { provider: "store" } } }),
      );
      return d;
    },
  ],
  [
    "Bash: symlink to /dev/null",
    (d) => (
      rmSync(join(d, "hookpack.json")),
      symlinkSync("/dev/null", join(d, "hookpack.json")),
      d
    ),
  ],
  [
    "Bash: dangling symlink",
    (d) => (
      rmSync(join(d, "hookpack.json")),
      symlinkSync(join(d, "nowhere"), join(d, "hookpack.json")),
      d
    ),
  ],
  [
    "Bash: replaced by a directory",
    (d) => (rmSync(join(d, "hookpack.json")), mkdirSync(join(d, "hookpack.json")), d),
  ],
  [
    "Bash: chmod 000",
    (d) => {
      const f = join(d, "hookpack.json");
      chmodSync(f, 0);
      restore = () => chmodSync(f, 0o644);
      return d;
    },
  ],
  ["apply_patch: *** Delete File: hookpack.json", (d) => (rmSync(join(d, "hookpack.json")), d)],
  [
    "Bash: mv .git away, work in a subdirectory",
    (d) => (renameSync(join(d, ".git"), join(d, "g")), join(d, "sub")),
  ],
  ["Bash: mv .git away, work at the root", (d) => (renameSync(join(d, ".git"), join(d, "g")), d)],
  ["Bash: git init in a subdirectory", (d) => (mkdirSync(join(d, "sub", ".git")), join(d, "sub"))],
  [
    "Bash: git init in a subdirectory with its own permissive hookpack.json",
    (d) => {
      mkdirSync(join(d, "sub", ".git"));
      writeFileSync(
        join(d, "sub", "hookpack.json"),
        JSON.stringify({
          version: 1,
          defaults: { approval: "auto" },
          secrets: { API: { provider: "store" } },
        }),
      );
      return join(d, "sub");
    },
  ],
  [
    "Bash: rm hookpack.json, then `hookpack allow API --command wget` writes a fresh one",
    (d) => {
      rmSync(join(d, "hookpack.json"));
      const r = run(sb, ["allow", "API", "--command", "wget", "--approval", "auto"], { cwd: d });
      expect(r.status, r.stderr).toBe(0);
      return d;
    },
  ],
];

describe("attack: weakening the approved policy from the agent's side does not take effect", () => {
  for (const [label, weaken] of weakenings)
    it(label, () => {
      const t = tally("policy-weaken/next call");
      const dir = approvedProject();
      expect(answer(dir).decision).toBe("deny");
      const cwd = weaken(dir);
      const a = answer(cwd);
      t.attempt(a.decision === "deny" && POLICY_DENY.test(a.reason));
      expect(a.decision, a.reason).toBe("deny");
      expect(a.reason).toMatch(POLICY_DENY);
    });

  it("`hookpack policy status` says the approved version applies while the file is gone", () => {
    const dir = approvedProject();
    rmSync(join(dir, "hookpack.json"));
    const r = run(sb, ["policy", "status"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/is gone or cannot be read; your last approved version applies/);
  });

  it("`hookpack policy approve` of a removal needs the user's terminal (an agent has none)", () => {
    const t = tally("policy-weaken/approve without a terminal");
    const dir = approvedProject();
    rmSync(join(dir, "hookpack.json"));
    const r = run(sb, ["policy", "approve"], { cwd: dir });
    t.attempt(r.status !== 0);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/needs your answer in a terminal/);
    expect(answer(dir).decision).toBe("deny");
  });
});
