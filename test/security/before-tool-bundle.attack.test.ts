// hook-split: the before-tool rules (read guard, state guard, `$secret:` rewriter, push/publish
// gate, literal check) are their own bundle, before-tool-rules.cjs, which hook-lean.cjs loads when
// a before-tool event reaches it (the entry picks hook-lean.cjs for a payload whose first chunk of
// stdin does not name the event: here, a PreToolUse payload with the event name behind 100 KB of
// tool input). An agent that can write the install (a node_modules/hookpack/dist of the project)
// deletes or damages that one bundle to switch the before-tool rules off, hoping a rule that cannot
// load is a crash the failure policy lets through (a call the raw text alone would pass: a plain
// command, an MCP call, a read of a file whose name says nothing).
// Every attempt runs the REAL entry (a copy of dist/, `node hookpack.cjs hook claude-code`).
// Contained: the call is blocked (exit 2, no allow), the reason names the rule that could not be
// loaded and no value. (A bundle replaced by working code of the attacker's is the runtime
// launcher's to refuse: test/security/runtime-integrity.attack.test.ts; a dist/ nothing verifies
// is as open to that as hook.cjs itself.)
// Before this change there was no such bundle (the rules were inside hook.cjs): n/a.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { DIST_DIR } from "../helpers/sandbox.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const tokens = fakeTokens(11);
let root: string;
let env: NodeJS.ProcessEnv;
let project: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "hookpack-btb-"));
  project = join(root, "project");
  mkdirSync(join(project, ".git"), { recursive: true });
  writeFileSync(join(project, ".env"), `GH_TOKEN=${tokens.github}\n`);
  writeFileSync(join(project, "notes.txt"), `token ${tokens.github}\n`);
  mkdirSync(join(root, "home"));
  env = {
    PATH: process.env.PATH,
    HOME: join(root, "home"),
    HOOKPACK_HOME: join(root, "hp"),
    HOOKPACK_KEY_BACKEND: "file",
  };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A PreToolUse call whose event name comes after 100 KB of tool input (not in stdin's first chunk). */
const late = (tool_name: string, tool_input: Record<string, unknown>): string =>
  JSON.stringify({
    tool_input: { ...tool_input, description: "x".repeat(100_000) },
    session_id: "s-btb",
    transcript_path: join(root, "t.jsonl"),
    cwd: project,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name,
    tool_use_id: "toolu_btb",
  });

const CALLS: Array<{ name: string; text: () => string; intact: "deny" | "allow" }> = [
  { name: "cat .env", text: () => late("Bash", { command: "cat .env" }), intact: "deny" },
  {
    name: "Read notes.txt (a token inside)",
    text: () => late("Read", { file_path: join(project, "notes.txt") }),
    intact: "deny",
  },
  {
    name: "write into hookpack's home",
    text: () =>
      late("Write", { file_path: join(env.HOOKPACK_HOME!, "grants.json"), content: "{}" }),
    intact: "deny",
  },
  { name: "a plain command", text: () => late("Bash", { command: "ls -la" }), intact: "allow" },
  { name: "an MCP call", text: () => late("mcp__srv__op", { q: "hello" }), intact: "allow" },
];

const DAMAGES: Array<{ name: string; damage: (file: string) => void }> = [
  { name: "deleted", damage: (f) => unlinkSync(f) },
  { name: "emptied", damage: (f) => truncateSync(f, 0) },
  { name: "cut in half (a syntax error)", damage: (f) => truncateSync(f, 30_000) },
  {
    name: "replaced by code exporting nothing the hook expects",
    damage: (f) => writeFileSync(f, "module.exports = { guardReads: 1 };\n"),
  },
  {
    name: "replaced by rules under other ids that allow everything",
    damage: (f) =>
      writeFileSync(
        f,
        `for (const k of ${JSON.stringify(["denyLiteralSecrets", "rewriteSecretRefs", "protectHookpackState", "guardReads", "gatePushPublish"])})
  exports[k] = { id: "x-" + k, summary: "", on: ["before-tool"], check: () => ({ kind: "allow" }) };\n`,
      ),
  },
  {
    name: "a directory in its place",
    damage: (f) => {
      unlinkSync(f);
      mkdirSync(f);
    },
  },
];

function copyDist(): string {
  const d = mkdtempSync(join(root, "dist-"));
  cpSync(DIST_DIR, d, { recursive: true });
  return d;
}

function call(dist: string, text: string) {
  const r = spawnSync(process.execPath, [join(dist, "hookpack.cjs"), "hook", "claude-code"], {
    input: text,
    env,
    cwd: project,
    encoding: "utf8",
  });
  const denied =
    r.status === 2 || /"permissionDecision":"(deny|ask)"|"decision":"block"/.test(r.stdout);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, denied };
}

describe("attack: switching the before-tool rules off by damaging their bundle", () => {
  it("control: the intact bundle decides these calls (and the lean path loads it)", () => {
    const dist = copyDist();
    for (const c of CALLS) {
      const r = call(dist, c.text());
      expect(r.denied, `${c.name}: ${r.stdout}${r.stderr}`).toBe(c.intact === "deny");
      if (c.intact === "allow") expect(r.status, r.stderr).toBe(0);
    }
    // The lean path really is what answers these: without hook-lean.cjs they cannot be answered.
    unlinkSync(join(dist, "hook-lean.cjs"));
    const r = call(dist, CALLS[3]!.text());
    expect(r.status, r.stderr).not.toBe(0);
    // …and a small PreToolUse (the event name in the first chunk) never needs it.
    const small = call(
      dist,
      JSON.stringify({ ...JSON.parse(CALLS[0]!.text()), tool_input: { command: "cat .env" } }),
    );
    expect(small.denied, small.stderr).toBe(true);
    expect(small.stdout + small.stderr).toMatch(/\.env/);
  });

  const t = tally("before-tool-bundle/damage");
  for (const d of DAMAGES)
    it(`before-tool-rules.cjs ${d.name}: every before-tool call is blocked`, () => {
      const dist = copyDist();
      d.damage(join(dist, "before-tool-rules.cjs"));
      for (const c of CALLS) {
        const r = call(dist, c.text());
        const out = `${r.stdout}${r.stderr}`;
        const contained =
          r.denied &&
          /the code of the rule [a-z-]+ could not be loaded/.test(out) &&
          !out.includes(tokens.github) &&
          !out.includes("module.exports");
        t.attempt(contained);
        expect(r.denied, `${d.name} / ${c.name}: ${out.slice(0, 400)}`).toBe(true);
        expect(out).toMatch(/the code of the rule [a-z-]+ could not be loaded/);
        expect(out).not.toContain(tokens.github);
      }
    });
});
