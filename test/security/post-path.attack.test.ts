// Issue 21, the PostToolUse path (hooks/run-hook.ts, hooks/spill.ts, rules/redact-tool-output.ts,
// broker/audit.ts) attacked through the REAL hook process (dist/): where a value sits in the
// output (the 64 KB boundary, stderr vs stdout, nested shapes, object keys), what the agent can do
// to the audit chain the hook appends to (forge, cut, race, kill a hook mid-append), and symlinks
// planted where the spill pass looks. No value may appear in the answer or in any file under the
// sandbox; every audit attack must stay visible to `hookpack audit --verify` or leave the chain
// intact. Each contained attempt is counted.
//
// No audit request to the broker daemon was added (the hook appends in-process, as before), so
// there is no daemon socket request to forge: the agent's audit powers are what they were (it runs
// as the user: it can read audit.key and write the log; what it writes without the key fails the
// HMAC, and a cut or an edit is reported by --verify at the right entry).
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const value = `pa${randomBytes(20).toString("hex")}`;
const token = fakeTokens(2102).github;
/** Every form hookpack must never write: the value, its base64 and hex, and the detected token. */
const raw = [
  value,
  Buffer.from(value).toString("base64"),
  Buffer.from(value).toString("hex"),
  token,
];
const sandboxes: Sandbox[] = [];
afterAll(() => sandboxes.forEach((s) => s.cleanup()));

interface Home {
  sb: Sandbox;
  env: Record<string, string>;
}

async function freshHome(): Promise<Home> {
  const sb = sandbox();
  sandboxes.push(sb);
  const tmp = join(sb.root, "tmp");
  mkdirSync(tmp, { recursive: true });
  const env = { ...sb.env, HOOKPACK_KEY_BACKEND: "file", TMPDIR: tmp };
  const set = await hookpack(["secret", "set", "ATTACK_KEY"], {
    input: value,
    env,
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  return { sb, env };
}

const payload = (h: Home, toolResponse: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    session_id: "s-attack",
    transcript_path: join(h.sb.root, "t.jsonl"),
    cwd: h.sb.project,
    permission_mode: "default",
    hook_event_name: "PostToolUse",
    tool_name: "Bash",
    tool_input: { command: "./run.sh" },
    tool_response: toolResponse,
    tool_use_id: "toolu_attack",
    ...extra,
  });

const postHook = (h: Home, toolResponse: unknown, extra: Record<string, unknown> = {}) =>
  hookpack(["hook", "claude-code"], {
    input: payload(h, toolResponse, extra),
    env: h.env,
    cwd: h.sb.project,
    timeoutMs: 60_000,
  });

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** No raw form in `texts` nor in any file under the sandbox. */
function nothingRaw(h: Home, ...texts: string[]): boolean {
  for (const t of texts) for (const form of raw) if (t.includes(form)) return false;
  for (const f of allFiles(h.sb.root)) {
    if (f.endsWith(".gitconfig")) continue;
    const text = readFileSync(f, "latin1");
    for (const form of raw) if (text.includes(form)) return false;
  }
  return true;
}

/** What the model can reach: the answer, plus every spill file it points at. */
function reachable(stdout: string): string {
  let all = stdout;
  for (const m of stdout.matchAll(/saved (?:as JSON )?to: (\S+?)(?= \(read)/g))
    all += readFileSync(m[1]!, "utf8");
  return all;
}

const verify = (h: Home) => hookpack(["audit", "--verify"], { env: h.env, cwd: h.sb.project });
const auditFile = (h: Home) => join(h.sb.hookpackHome, "audit", "audit.jsonl");

describe("attack: where the value sits in the output", () => {
  const t = tally("post/value placement");
  let h: Home;
  beforeAll(async () => {
    h = await freshHome();
  });
  const filler = (n: number) => "ok line of build output\n".repeat(Math.ceil(n / 24)).slice(0, n);

  for (const at of [65536 - value.length, 65536 - 20, 65535, 65536, 65536 + 7]) {
    it(`value at char ${at} of stdout (around the 64 KB boundary): redacted, nothing raw anywhere`, async () => {
      const stdout = `${filler(at)}${value}\n${filler(2000)}`;
      const r = await postHook(h, { stdout, stderr: "", interrupted: false, isImage: false });
      const seen = reachable(r.stdout);
      const contained =
        r.exitCode === 0 &&
        seen.includes("[REDACTED:ATTACK_KEY]") &&
        nothingRaw(h, r.stdout, r.stderr, seen);
      t.attempt(contained);
      expect(contained, r.stdout.slice(0, 300)).toBe(true);
    });
  }

  for (const [label, response] of [
    ["value in stderr only", { stdout: "fine\n", stderr: `warn: key ${value}\n` }],
    [
      "base64 form in stdout, hex form in stderr",
      {
        stdout: `x=${Buffer.from(value).toString("base64")}\n`,
        stderr: `y=${Buffer.from(value).toString("hex")}\n`,
      },
    ],
    [
      "token in stderr, value in stdout, 64 KB each",
      {
        stdout: `${filler(65536)}${value}\n`,
        stderr: `${filler(65536)}token ${token}\n`,
      },
    ],
  ] as const) {
    it(`${label}: both fields redacted, nothing raw anywhere`, async () => {
      const r = await postHook(h, { ...response, interrupted: false, isImage: false });
      const seen = reachable(r.stdout);
      const contained =
        r.exitCode === 0 && /\[REDACTED:/.test(seen) && nothingRaw(h, r.stdout, r.stderr, seen);
      t.attempt(contained);
      expect(contained, r.stdout.slice(0, 300)).toBe(true);
    });
  }

  for (const [label, response] of [
    ["MCP content array", [{ type: "text", text: `${filler(70000)}v=${value}` }]],
    ["deep nesting", { a: { b: [{ c: { d: [`${filler(30000)}${value}`, token] } }] } }],
    [
      "many short strings",
      { rows: Array.from({ length: 3000 }, (_, i) => `row ${i} ${i === 2999 ? value : "ok"}`) },
    ],
    ["value as an object key", { structuredContent: { [value]: { [token]: true } } }],
    ["value JSON-escaped inside a string", [{ type: "text", text: JSON.stringify({ k: value }) }]],
  ] as const) {
    it(`nested tool_response (${label}): redacted, nothing raw anywhere`, async () => {
      const r = await postHook(h, response, { tool_name: "mcp__srv__tool", tool_input: {} });
      const seen = reachable(r.stdout);
      const contained =
        r.exitCode === 0 &&
        r.stdout !== "" &&
        nothingRaw(h, r.stdout, r.stderr, seen) &&
        !raw.some((form) => seen.includes(form));
      t.attempt(contained);
      expect(contained, r.stdout.slice(0, 300)).toBe(true);
    });
  }
});

describe("attack: the audit chain the hook appends to", () => {
  const t = tally("post/audit chain");
  const redacting = { stdout: `KEY=${value}\n`, stderr: "", interrupted: false, isImage: false };

  it("a forged entry appended by the agent (no key): --verify names it; the hook's next entries still land", async () => {
    const h = await freshHome();
    expect((await postHook(h, redacting)).exitCode).toBe(0);
    const last = JSON.parse(readFileSync(auditFile(h), "utf8").trim().split("\n").pop()!) as {
      seq: number;
    };
    appendFileSync(
      auditFile(h),
      `${JSON.stringify({ v: 1, seq: last.seq + 1, ts: new Date().toISOString(), kind: "output-redacted", agent: "claude-code", count: 0, secrets: [], kid: "0000000000000000", prev: "0".repeat(64), mac: Buffer.alloc(32).toString("base64") })}\n`,
    );
    const r = await postHook(h, redacting);
    const v = await verify(h);
    const lines = readFileSync(auditFile(h), "utf8").trim().split("\n");
    const contained =
      r.exitCode === 0 &&
      r.stdout.includes("[REDACTED:ATTACK_KEY]") &&
      v.exitCode !== 0 &&
      /FAILED verification/.test(v.stdout + v.stderr) &&
      new RegExp(`#${last.seq + 1}`).test(v.stdout + v.stderr) &&
      lines.length >= 5;
    t.attempt(contained);
    expect(contained, v.stdout + v.stderr).toBe(true);
  });

  it("the agent cuts the last entries off the log: --verify reports the cut", async () => {
    const h = await freshHome();
    for (let i = 0; i < 3; i++) expect((await postHook(h, redacting)).exitCode).toBe(0);
    const text = readFileSync(auditFile(h), "utf8");
    const lines = text.trim().split("\n");
    truncateSync(auditFile(h), Buffer.byteLength(lines.slice(0, -2).join("\n") + "\n"));
    const v = await verify(h);
    const contained = v.exitCode !== 0 && /FAILED verification/.test(v.stdout + v.stderr);
    t.attempt(contained);
    expect(contained, v.stdout + v.stderr).toBe(true);
  });

  it("8 redacting hooks at once: every entry recorded once, the chain verifies", async () => {
    const h = await freshHome();
    const runs = await Promise.all(Array.from({ length: 8 }, () => postHook(h, redacting)));
    const entries = readFileSync(auditFile(h), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; seq: number });
    const v = await verify(h);
    const contained =
      runs.every((r) => r.exitCode === 0 && r.stdout.includes("[REDACTED:ATTACK_KEY]")) &&
      entries.filter((e) => e.kind === "output-redacted").length === 8 &&
      entries.filter((e) => e.kind === "exposure-found").length === 8 &&
      entries.every((e, i) => e.seq === i + 1) &&
      v.exitCode === 0;
    t.attempt(contained);
    expect(contained, v.stdout + v.stderr).toBe(true);
  }, 120_000);

  it("hooks SIGKILLed at random points of a redaction: no answer with a value, and the log afterwards shows only crash notes, never tampering", async () => {
    const h = await freshHome();
    const big = {
      stdout: `${"compile ok\n".repeat(20000)}KEY=${value}\n`,
      stderr: "",
      interrupted: false,
      isImage: false,
    };
    const outs: string[] = [];
    for (let i = 0; i < 12; i++) {
      const child = spawn(process.execPath, [BIN, "hook", "claude-code"], {
        env: { PATH: process.env.PATH, ...h.env },
        cwd: h.sb.project,
        stdio: ["pipe", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
      child.stdin.on("error", () => {});
      child.stdin.end(payload(h, big));
      const delay = 30 + Math.floor(Math.random() * 250);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), delay);
        child.on("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      outs.push(out);
    }
    // A later hook still records (a dead writer's lock is taken over), and the chain holds.
    const after = await postHook(h, redacting);
    const v = await verify(h);
    const entries = readFileSync(auditFile(h), "utf8").trim().split("\n");
    const contained =
      after.exitCode === 0 &&
      after.stdout.includes("[REDACTED:ATTACK_KEY]") &&
      JSON.parse(entries[entries.length - 1]!).kind === "output-redacted" &&
      v.exitCode === 0 &&
      nothingRaw(h, after.stdout, ...outs);
    t.attempt(contained);
    expect(contained, v.stdout + v.stderr).toBe(true);
  }, 120_000);

  it("a torn last line (a writer killed mid-write): the next hook closes it with a TORN_LINE note and --verify passes", async () => {
    const h = await freshHome();
    expect((await postHook(h, redacting)).exitCode).toBe(0);
    appendFileSync(auditFile(h), '{"v":1,"seq":99,"ts":"2026-');
    const r = await postHook(h, redacting);
    const v = await verify(h);
    const contained =
      r.exitCode === 0 &&
      v.exitCode === 0 &&
      readFileSync(auditFile(h), "utf8").includes('"code":"TORN_LINE"');
    t.attempt(contained);
    expect(contained, v.stdout + v.stderr).toBe(true);
  });
});

describe("attack: symlinks where the spill pass looks", () => {
  const t = tally("post/spill symlinks");
  const big = { stdout: `${"compile step ok\n".repeat(3000)}KEY=${value}\n`, stderr: "" };
  const old = new Date(Date.now() - 30 * 24 * 3600 * 1000);

  it("a week-old symlink named like a spill file, pointing at a file of the user's: the link may go, the file stays whole", async () => {
    const h = await freshHome();
    const dir = join(h.sb.root, "s-attack", "tool-results");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const precious = join(h.sb.home, "precious.txt");
    writeFileSync(precious, "the user's notes\n");
    utimesSync(precious, old, old);
    const link = join(dir, "hookpack-s-attack-toolu_attack-zzz.txt");
    symlinkSync(precious, link);
    const r = await postHook(h, big);
    const contained =
      r.exitCode === 0 &&
      /saved to: /.test(r.stdout) &&
      readFileSync(precious, "utf8") === "the user's notes\n" &&
      nothingRaw(h, r.stdout);
    t.attempt(contained);
    expect(contained, r.stdout.slice(0, 300)).toBe(true);
  });

  it("the prune stamp planted as a symlink to a file of the user's: the file is neither written nor touched; the stamp becomes a plain file", async () => {
    const h = await freshHome();
    const dir = join(h.sb.root, "s-attack", "tool-results");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const precious = join(h.sb.home, "precious.txt");
    writeFileSync(precious, "the user's notes\n");
    utimesSync(precious, old, old);
    symlinkSync(precious, join(dir, ".hookpack-pruned"));
    const r = await postHook(h, big);
    const st = lstatSync(join(dir, ".hookpack-pruned"));
    const contained =
      r.exitCode === 0 &&
      /saved to: /.test(r.stdout) &&
      readFileSync(precious, "utf8") === "the user's notes\n" &&
      Math.abs(statSync(precious).mtimeMs - old.getTime()) < 2000 &&
      st.isFile() &&
      !st.isSymbolicLink();
    t.attempt(contained);
    expect(contained).toBe(true);
  });

  it("the prune stamp planted as a directory: the spill still works and prunes (nothing thrown)", async () => {
    const h = await freshHome();
    const dir = join(h.sb.root, "s-attack", "tool-results");
    mkdirSync(join(dir, ".hookpack-pruned"), { recursive: true, mode: 0o700 });
    const stale = join(dir, "hookpack-stale.txt");
    writeFileSync(stale, "old redacted text\n", { mode: 0o600 });
    utimesSync(stale, old, old);
    const r = await postHook(h, big);
    const contained = r.exitCode === 0 && /saved to: /.test(r.stdout) && !existsSync(stale);
    t.attempt(contained);
    expect(contained, r.stdout.slice(0, 300)).toBe(true);
  });
});
