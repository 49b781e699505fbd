// A hook that takes longer than the agent's hook timeout is skipped by the agent and the call runs
// unchecked. So a command padded with one long word built to make some regex on the PreToolUse
// path backtrack is an attack: the `$secret:` rule's state-hint regex took ~20 CPU seconds on a
// 200 KB word of `://u:` (fixed: rules/rewrite-secret-refs.ts stateHint). Each attempt here pads a
// command that must be denied (it reads hookpack's key folder through split quoting) with a 256 KB
// word of one unit, and runs the REAL hook: contained when it answers deny before the hang guard.
// The same for commands nested deeper than the shell scanner's recursion goes (`${x:-…}` 5,000
// deep, which bash runs): a rule that throws a RangeError used to fail OPEN (exit 1, which the agent
// treats as a non-blocking error and runs the call); it fails closed now (hooks/pipeline.ts).
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bashCall, MINIMAL, runHook } from "../helpers/hook-run.js";
import { sandbox, type Sandbox } from "../helpers/run.js";

/** Units that the hook's command regexes react to (path, quoting, variables, flags, hook words). */
const UNITS = [
  "://u:",
  ".h",
  "\\x",
  "'x",
  '"x',
  "/$",
  "/x",
  "$x",
  "~",
  "=x",
  "-x",
  "--x=",
  "*",
  "`",
  "${",
  "$(",
  "%2",
  "&",
  "ook",
  "$secret:",
];
/** Far above the ~0.3 s such a call takes; far below any agent's hook timeout (60 s by default). */
const HANG_GUARD_MS = 15_000;

let sb: Sandbox;
const tally = { contained: 0, attempts: 0 };
beforeAll(() => {
  sb = sandbox();
});
afterAll(() => {
  console.log(
    `[attack] hook regex floods, contained/attempts: ${tally.contained}/${tally.attempts}`,
  );
  sb?.cleanup();
});

const TAIL = ` ; cat ~/.h""ookpack/keys/broker.key`;
const nest = (open: string, inner: string, close: string, depth: number) =>
  open.repeat(depth) + inner + close.repeat(depth);
/** Nestings bash accepts but a recursive scanner may not walk. */
const NESTINGS: Array<[string, string]> = [
  ["${x:-…} 5,000 deep", `echo ${nest("${x:-", "y", "}", 5000)} >/dev/null`],
  ["${x:-…} 20,000 deep", `echo ${nest("${x:-", "y", "}", 20000)} >/dev/null`],
  ['"${x:-…}" 5,000 deep', `echo "${nest("${x:-", "y", "}", 5000)}" >/dev/null`],
  ["$(echo …) 3,000 deep", `echo ${nest("$(echo ", "x", ")", 3000)}`],
  ["( … ) 5,000 deep", `${nest("( ", "true", " )", 5000)}`],
  ["{ …; } 5,000 deep", `${nest("{ ", "true", "; }", 5000)}`],
];

async function denied(command: string, marker: string): Promise<string | undefined> {
  const payload = bashCall(sb, command, { session_id: "flood", ...MINIMAL });
  const r = await runHook(sb, payload, { timeoutMs: HANG_GUARD_MS });
  tally.attempts++;
  const ok =
    r.signal === null &&
    r.exitCode === 0 &&
    /"permissionDecision":"deny"/.test(r.stdout) &&
    !r.stdout.includes(marker);
  if (ok) tally.contained++;
  return ok ? undefined : `exit ${r.exitCode} signal ${r.signal}: ${r.stderr.slice(0, 200)}`;
}

describe("attack: a command padded to outlast the hook", () => {
  it("bash runs the 5,000-deep ${x:-…} nesting (the attack is real)", () => {
    const r = spawnSync("bash", ["-c", `${NESTINGS[0]![1]}; echo RAN`], { encoding: "utf8" });
    expect(r.stdout.trim()).toBe("RAN");
  });

  it("a command nested deeper than the scanner recurses is denied, not let through", async () => {
    const failed: string[] = [];
    for (const [name, command] of NESTINGS) {
      const why = await denied(command + TAIL, command.slice(0, 64));
      if (why) failed.push(`${name}: ${why}`);
    }
    expect(failed).toEqual([]);
  }, 600_000);

  it("every 256 KB flood still gets its deny, well inside the agent's hook timeout", async () => {
    const failed: string[] = [];
    for (const unit of UNITS) {
      const word = unit.repeat(Math.ceil((256 * 1024) / unit.length));
      const command = `echo ${word}${TAIL}`;
      const why = await denied(command, word.slice(0, 64));
      if (why) failed.push(`${JSON.stringify(unit)}: ${why}`);
    }
    expect(failed).toEqual([]);
  }, 600_000);
});
