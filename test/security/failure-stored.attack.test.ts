// When hookpack cannot read a payload (malformed JSON, a shape the adapter refuses), its failure
// table decides: closed when the call carries a `$secret:` reference or something that looks like a
// secret, open otherwise. A stored value has no recognisable shape, so the detector alone let a
// malformed payload holding one through ("nothing looks like a secret"). The attacker's side,
// through the real hook process: payloads hookpack cannot check, each carrying the stored value in
// a different spot, must fail closed, naming no value; the same payloads without it stay open (the
// controls, so the test can fail).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHook } from "../helpers/hook-run.js";
import { assertBuilt } from "../broker/helpers.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

// A stored value with no token shape (the detectors cannot see it), built at run time.
const value = `Mv${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}Q`;
let sb: Sandbox;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });

beforeAll(async () => {
  assertBuilt();
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DB_PASSWORD"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

const send = (agent: string, text: string) => runHook(sb, text, { agent, env: env() });

/** Payloads hookpack cannot check, with `v` placed where the agent's value would be. */
const unreadable = (v: string): Array<[string, string, string]> => [
  [
    "claude-code",
    "truncated JSON",
    `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"psql -W ${v}"`,
  ],
  [
    "claude-code",
    "tool_input a string",
    JSON.stringify({
      hook_event_name: "PreToolUse",
      session_id: "s",
      cwd: "/tmp",
      tool_name: "Bash",
      tool_input: `printf %s ${v} | wc -c`,
    }),
  ],
  [
    "claude-code",
    "no event name",
    JSON.stringify({ tool_name: "Bash", tool_input: { command: `echo ${v}` } }),
  ],
  [
    "gemini",
    "truncated JSON",
    `{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":"echo ${v}`,
  ],
  ["codex", "not JSON at all", `PreToolUse Bash echo ${v}`],
];

describe("attack: a payload hookpack cannot check, carrying a stored value, fails closed", () => {
  for (const [agent, label, text] of unreadable(value))
    it(`${agent}: ${label}`, async () => {
      const f = tally("failure/stored value");
      const r = await send(agent, text);
      const out = r.stdout + r.stderr;
      const blocked = r.exitCode === 2 || /"(deny|block)"/.test(r.stdout);
      f.attempt(blocked && !out.includes(value));
      expect(out.includes(value), "the value is echoed").toBe(false);
      expect(blocked, out).toBe(true);
      expect(out).toMatch(/looks like a secret/);
    });

  // Controls: the same payloads with a harmless word instead fail open, as the table says.
  for (const [agent, label, text] of unreadable("harmless-word"))
    it(`control, ${agent}: ${label} without the value is let through`, async () => {
      const r = await send(agent, text);
      const out = r.stdout + r.stderr;
      expect(r.exitCode === 2 || /"(deny|block)"/.test(r.stdout), out).toBe(false);
      expect(out).toMatch(/let through/);
    });
});
