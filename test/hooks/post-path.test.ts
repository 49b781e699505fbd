// Issue 21, the PostToolUse path through the REAL hook process (dist/): one audit append per hook
// call (the exposures and the decision's entry together, the chain intact), spill pruning at most
// once an hour per directory, and secrets in object KEYS of a tool's output. Not timed.
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hookpack, REPO, sandbox, type Sandbox } from "../helpers/run.js";

const value = `pp${randomBytes(20).toString("hex")}`;
let sb: Sandbox;
let n = 0;
const env = (extra: Record<string, string> = {}) => ({
  ...sb.env,
  HOOKPACK_KEY_BACKEND: "file",
  ...extra,
});

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "POST_KEY"], {
    input: value,
    env: env(),
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

async function post(toolResponse: unknown, extra: Record<string, unknown> = {}, tmp?: string) {
  const r = await hookpack(["hook", "claude-code"], {
    input: JSON.stringify({
      session_id: "s-post",
      cwd: sb.project,
      permission_mode: "default",
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "./run.sh" },
      tool_response: toolResponse,
      tool_use_id: "toolu_post",
      ...extra,
    }),
    env: env(tmp ? { TMPDIR: tmp } : {}),
    cwd: sb.project,
    timeoutMs: 60_000,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
}

const auditLines = () =>
  readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("audit: one append per hook call", () => {
  it("a redaction's exposure and output-redacted entries land together (one time stamp, consecutive seq), the chain verifies, no value", async () => {
    const before = existsSync(join(sb.hookpackHome, "audit", "audit.jsonl"))
      ? auditLines().length
      : 0;
    const r = await post({ stdout: `ok\nKEY=${value}\n`, stderr: "", interrupted: false });
    expect(r.stdout).toContain("[REDACTED:POST_KEY]");
    const added = auditLines().slice(before);
    expect(added.map((e) => e.kind)).toEqual(["exposure-found", "output-redacted"]);
    expect(added[0]!.secret).toBe("POST_KEY");
    expect(added[1]!.secrets).toEqual(["POST_KEY"]);
    expect(added[1]!.seq).toBe((added[0]!.seq as number) + 1);
    expect(added[1]!.prev).not.toBe(added[0]!.prev);
    // One append writes every entry with the same `now`: two appends would each take their own.
    expect(added[1]!.ts).toBe(added[0]!.ts);
    const head = JSON.parse(readFileSync(join(sb.hookpackHome, "audit-head.json"), "utf8")) as {
      seq: number;
    };
    expect(head.seq).toBe(added[1]!.seq);
    const v = await hookpack(["audit", "--verify"], { env: env(), cwd: sb.project });
    expect(v.exitCode, v.stdout + v.stderr).toBe(0);
    expect(readFileSync(join(sb.hookpackHome, "audit", "audit.jsonl"), "utf8")).not.toContain(
      value,
    );
  });

  it("recordAudit with several entries chains them in order; with none it refuses (nothing written)", () => {
    const require = createRequire(import.meta.url);
    const audit = require(join(REPO, "dist", "audit.cjs")) as {
      recordAudit(home: string, e: unknown, o?: unknown): { seq: number };
    };
    const home = join(sb.root, `audit-home-${n++}`);
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const r = audit.recordAudit(home, [
      { kind: "exposure-found", where: "a", secret: "A" },
      { kind: "exposure-found", where: "b", secret: "B" },
      { kind: "exposure-found", where: "c", secret: "C" },
    ]);
    expect(r.seq).toBe(3);
    const lines = readFileSync(join(home, "audit", "audit.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { secret: string }).secret)).toEqual(["A", "B", "C"]);
    expect(() => audit.recordAudit(home, [])).toThrow(/no entry/);
    expect(
      readFileSync(join(home, "audit", "audit.jsonl"), "utf8")
        .trim()
        .split("\n"),
    ).toHaveLength(3);
  });

  it("a clean output writes no audit entry", async () => {
    const before = existsSync(join(sb.hookpackHome, "audit", "audit.jsonl"))
      ? auditLines().length
      : 0;
    const r = await post({ stdout: "all tests passed\n".repeat(100), stderr: "" });
    expect(r.stdout).toBe("");
    const after = existsSync(join(sb.hookpackHome, "audit", "audit.jsonl"))
      ? auditLines().length
      : 0;
    expect(after).toBe(before);
  });
});

describe("spill pruning: at most one pass an hour per directory", () => {
  const big = () => `${"compile step ok\n".repeat(3000)}KEY=${value}\n`;
  const week = 8 * 24 * 3600 * 1000;
  const setup = () => {
    const tmp = join(sb.root, `tmp-${n++}`);
    const dir = join(tmp, `hookpack-${process.getuid?.() ?? "user"}`, "outputs");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const old = join(dir, "hookpack-old-output-1.txt");
    writeFileSync(old, "redacted text of an old call\n", { mode: 0o600 });
    const t = new Date(Date.now() - week);
    utimesSync(old, t, t);
    return { tmp, dir, old };
  };
  const saved = (stdout: string) => /saved to: (\S+)/.exec(stdout)?.[1];

  it("the first spill in a directory prunes week-old spill files and leaves a 0600 stamp", async () => {
    const { tmp, dir, old } = setup();
    const r = await post({ stdout: big(), stderr: "" }, {}, tmp);
    expect(saved(r.stdout)).toBeDefined();
    expect(existsSync(old)).toBe(false);
    const stamp = lstatSync(join(dir, ".hookpack-pruned"));
    expect(stamp.isFile()).toBe(true);
    expect(stamp.mode & 0o777).toBe(0o600);
  });

  it("within the hour after a pass no pass runs (an old file stays); once the stamp is old, it does", async () => {
    const { tmp, dir, old } = setup();
    writeFileSync(join(dir, ".hookpack-pruned"), "", { mode: 0o600 });
    await post({ stdout: big(), stderr: "" }, {}, tmp);
    expect(existsSync(old)).toBe(true);
    const t = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(join(dir, ".hookpack-pruned"), t, t);
    await post({ stdout: big(), stderr: "" }, {}, tmp);
    expect(existsSync(old)).toBe(false);
  });

  it("a stamp dated in the future does not stop pruning", async () => {
    const { tmp, dir, old } = setup();
    writeFileSync(join(dir, ".hookpack-pruned"), "", { mode: 0o600 });
    const t = new Date(Date.now() + 365 * 24 * 3600 * 1000);
    utimesSync(join(dir, ".hookpack-pruned"), t, t);
    await post({ stdout: big(), stderr: "" }, {}, tmp);
    expect(existsSync(old)).toBe(false);
    expect(readdirSync(dir).some((f) => f.startsWith("hookpack-s-post"))).toBe(true);
  });
});

describe("secrets in object keys of a tool's output", () => {
  it("an MCP tool's structuredContent keyed by a stored value: every key holding it is redacted, the shape kept, no raw value answered", async () => {
    const r = await post(
      {
        content: [{ type: "text", text: "ok" }],
        structuredContent: { [value]: true, [`x-${value}-y`]: { [value]: 1, plain_key: 2 } },
      },
      { tool_name: "mcp__srv__lookup", tool_input: {} },
    );
    expect(r.stdout).not.toContain(value);
    const out = (
      JSON.parse(r.stdout) as { hookSpecificOutput: { updatedToolOutput: Record<string, unknown> } }
    ).hookSpecificOutput.updatedToolOutput;
    expect(out).toEqual({
      content: [{ type: "text", text: "ok" }],
      structuredContent: {
        "[REDACTED:POST_KEY]": true,
        "x-[REDACTED:POST_KEY]-y": { "[REDACTED:POST_KEY]": 1, plain_key: 2 },
      },
    });
  });

  it("clean keys are left alone (no answer at all)", async () => {
    const r = await post(
      {
        content: [{ type: "text", text: "ok" }],
        structuredContent: { account_id: 1, region: "x" },
      },
      { tool_name: "mcp__srv__lookup", tool_input: {} },
    );
    expect(r.stdout).toBe("");
  });
});

describe("code cache: a redacting call completes a cache written by a clean one", () => {
  // Most tool outputs are clean, so a home's hook-lean.cjs cache is usually written by a clean
  // PostToolUse; the redaction, spill, answer and audit functions were then compiled again on every
  // redacting call. The first redacting call adds its own path (":replaced") once.
  let own: Sandbox;
  beforeAll(async () => {
    own = sandbox();
    const set = await hookpack(["secret", "set", "POST_KEY"], {
      input: value,
      env: { ...own.env, HOOKPACK_KEY_BACKEND: "file" },
      cwd: own.project,
    });
    expect(set.exitCode, set.stderr).toBe(0);
  });
  afterAll(() => own?.cleanup());
  const call = async (stdout: string) => {
    const r = await hookpack(["hook", "claude-code"], {
      input: JSON.stringify({
        session_id: "s-cache",
        cwd: own.project,
        permission_mode: "default",
        hook_event_name: "PostToolUse",
        tool_name: "Bash",
        tool_input: { command: "./run.sh" },
        tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
        tool_use_id: "toolu_cache",
      }),
      env: { ...own.env, HOOKPACK_KEY_BACKEND: "file" },
      cwd: own.project,
      timeoutMs: 60_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    return r;
  };
  const leanCache = () => {
    const dir = join(own.env.HOOKPACK_HOME!, "cache", "v8", `${process.version}-${process.arch}`);
    const f = existsSync(dir) ? readdirSync(dir).filter((x) => x.startsWith("hook-lean.cjs-")) : [];
    expect(f.length).toBeLessThanOrEqual(1);
    if (f.length === 0) return undefined;
    const path = join(dir, f[0]!);
    const head = readFileSync(path).subarray(0, 300).toString("latin1");
    return { header: head.slice(0, head.indexOf("\n")), ino: lstatSync(path).ino };
  };

  it("clean call: tag after-tool:shell; redacting call: rewritten once with :replaced; a later one leaves it", async () => {
    expect(leanCache()).toBeUndefined();
    const clean = await call("clean output\n");
    expect(clean.stdout).toBe("");
    const afterClean = leanCache();
    expect(afterClean?.header).toBe("hookpack-v8-cache claude-code:after-tool:shell");

    const r = await call(`KEY=${value}\n`);
    expect(r.stdout).toContain("[REDACTED:POST_KEY]");
    expect(r.stdout).not.toContain(value);
    const afterRedact = leanCache();
    expect(afterRedact?.header).toBe(
      "hookpack-v8-cache claude-code:after-tool:shell,claude-code:after-tool:shell:replaced",
    );
    // Written anew (atomically: a new file renamed over the old one).
    expect(afterRedact?.ino).not.toBe(afterClean?.ino);

    const again = await call(`x ${value} y\n`);
    expect(again.stdout).toContain("[REDACTED:POST_KEY]");
    expect(again.stdout).not.toContain(value);
    expect(leanCache()).toEqual(afterRedact);
  });
});
