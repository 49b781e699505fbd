// Issue 18 item 17: `npm run demo` (scripts/demo.mjs, on the built dist/) shows what the agent
// wrote next to the outcome in plain words, includes the policy step a user takes, and never
// prints the token it plays with.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { REPO } from "../helpers/run.js";

it("the demo reads as input → outcome, with `hookpack allow` as the policy step, and no raw hook JSON or token", () => {
  const r = spawnSync(process.execPath, [join(REPO, "scripts", "demo.mjs")], {
    cwd: REPO,
    encoding: "utf8",
    env: { PATH: process.env.PATH },
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const out = r.stdout;
  expect(out.match(/^ {2}the agent wrote: {5}/gm)?.length).toBeGreaterThanOrEqual(4);
  expect(out).toMatch(/the agent wrote: {5}ls -la\n {2}outcome: {13}allowed, untouched/);
  expect(out).toMatch(
    /outcome: {13}DENIED before it ran\n {2}the model is told: {3}hookpack blocked this Bash call/,
  );
  expect(out).toMatch(
    /the model gets back: "HOME=\/home\/u\\nGH_TOKEN=\[REDACTED:github[a-z-]*\]\\n"/,
  );
  expect(out).toMatch(
    /hookpack: added the entry for DEMO_TOKEN in .*hookpack\.json: commands printf, echo, approval auto/,
  );
  // One-process delivery (issue 14): the value reaches printf alone; wc counts its masked output.
  expect(out).toMatch(/the model gets back: "token=\[REDACTED:DEMO_TOKEN\]\\n21\\n"/);
  expect(out).not.toContain("hookSpecificOutput");
  // The demo's fake token (its body; the checksum is computed at run time) never appears whole.
  expect(out + r.stderr).not.toContain(["dEm0", "k7Rq2ZpX", "9vT0k3n", "L4wY8sB1cNa"].join(""));
}, 130_000);
