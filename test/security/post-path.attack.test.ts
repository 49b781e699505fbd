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
import { spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudePayload, runHook } from "../helpers/hook-run.js";
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
  JSON.stringify(
    claudePayload(h.sb, {
      session_id: "s-attack",
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "./run.sh" },
      tool_response: toolResponse,
      tool_use_id: "toolu_attack",
      ...extra,
    }),
  );

const postHook = (h: Home, toolResponse: unknown, extra: Record<string, unknown> = {}) =>
  runHook(h.sb, payload(h, toolResponse, extra), { env: h.env, timeoutMs: 60_000 });

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

// ── Issue 21, the PostToolUse payload itself (hooks/pipeline.ts): a payload the adapter cannot
// walk, values hidden by JSON escapes or held in keys, outputs around the 15,000-char response
// limit, and the spill directory prepared or raced by the agent. ──

/**
 * `"__DEEP__"` in `text` replaced by raw JSON nested `n` deep (too deep for JSON.stringify to build).
 * "strings" puts a string at every level: more leaf depth than core/json-walk.ts's budget, so the
 * walk refuses it (JsonTooDeepError) and the payload cannot be read; a bare chain is walked.
 */
const withDeep = (text: string, n: number, kind: "object" | "array" | "strings", inner = '"x"') =>
  text.replace(
    '"__DEEP__"',
    kind === "object"
      ? `${'{"a":'.repeat(n)}${inner}${"}".repeat(n)}`
      : kind === "strings"
        ? `${'{"s":"x","a":'.repeat(n)}${inner}${"}".repeat(n)}`
        : `${"[".repeat(n)}${inner}${"]".repeat(n)}`,
  );

const answerOf = (stdout: string) =>
  stdout
    ? (JSON.parse(stdout) as {
        hookSpecificOutput?: { updatedToolOutput?: Record<string, unknown> };
      })
    : {};

const hookText = (h: Home, text: string) => runHook(h.sb, text, { env: h.env, timeoutMs: 60_000 });

// A chain the iterative walk (core/json-walk.ts) reads is answered like any payload: the output
// redacted in Bash's shape. One it refuses (a string at every level) or a crash is withheld in
// Bash's shape. Either way nothing raw reaches the model; what is not contained is an exit code
// (Claude Code then shows the output) or the raw value anywhere.
describe("attack: a payload too deep to walk still has its output withheld", () => {
  const t = tally("post/deep payload");
  let h: Home;
  beforeAll(async () => {
    h = await freshHome();
  });
  const bash = (stdout: string) => ({ stdout, stderr: "", interrupted: false, isImage: false });

  for (const [where, n, kind] of [
    ["tool_input", 2_000, "array"],
    ["tool_input", 6_000, "object"],
    ["tool_input", 30_000, "object"],
    ["tool_input", 200_000, "array"],
    ["tool_input", 100_000, "strings"],
    ["tool_response sibling", 6_000, "object"],
    ["tool_response sibling", 100_000, "array"],
  ] as const) {
    for (const [label, secret] of [
      ["a stored value", value],
      ["a token", token],
    ] as const) {
      it(`Bash, ${where} nested ${n} deep (${kind}), ${label} in stdout: ${kind === "strings" ? "withheld" : "redacted or withheld"} in Bash's shape, nothing raw`, async () => {
        const response = {
          ...bash(`KEY=${secret}\n`),
          ...(where === "tool_response sibling" ? { x: "__DEEP__" } : {}),
        };
        const extra =
          where === "tool_input" ? { tool_input: { command: "./run.sh", x: "__DEEP__" } } : {};
        const r = await hookText(h, withDeep(payload(h, response, extra), n, kind));
        const out = answerOf(r.stdout).hookSpecificOutput?.updatedToolOutput;
        const contained =
          r.exitCode === 0 &&
          out !== undefined &&
          typeof out.stdout === "string" &&
          out.stderr === "" &&
          out.interrupted === false &&
          out.isImage === false &&
          (/could not be (read|checked)|rule failed/.test(String(out.stdout)) ||
            (kind !== "strings" && /^KEY=\[REDACTED[^\]]*\]\n$/.test(String(out.stdout)))) &&
          nothingRaw(h, r.stdout, r.stderr);
        t.attempt(contained);
        expect(contained, `exit ${r.exitCode}: ${r.stdout.slice(0, 300)} ${r.stderr}`).toBe(true);
      });
    }
  }

  it("MCP tool, tool_input 30,000 deep, a stored value under a key and as a key: withheld, no key holds it", async () => {
    const response = [{ type: "text", text: `rows: ${value}` }, { [value]: { password: value } }];
    const text = withDeep(
      payload(h, response, { tool_name: "mcp__db__query", tool_input: { sql: "__DEEP__" } }),
      30_000,
      "object",
    );
    const r = await hookText(h, text);
    const out = answerOf(r.stdout).hookSpecificOutput?.updatedToolOutput;
    const contained = r.exitCode === 0 && out !== undefined && nothingRaw(h, r.stdout, r.stderr);
    t.attempt(contained);
    expect(contained, `exit ${r.exitCode}: ${r.stdout.slice(0, 300)} ${r.stderr}`).toBe(true);
  });

  it("a malformed PostToolUse (tool_input a string) with a value in stdout: withheld, not answered by an exit code", async () => {
    const r = await hookText(h, payload(h, bash(`KEY=${value}\n`), { tool_input: "./run.sh" }));
    const out = answerOf(r.stdout).hookSpecificOutput?.updatedToolOutput;
    const contained =
      r.exitCode === 0 &&
      out !== undefined &&
      out.isImage === false &&
      nothingRaw(h, r.stdout, r.stderr);
    t.attempt(contained);
    expect(contained, `exit ${r.exitCode}: ${r.stdout.slice(0, 300)} ${r.stderr}`).toBe(true);
  });

  for (const [agent, event, tool] of [
    ["gemini", "AfterTool", "run_shell_command"],
    ["codex", "PostToolUse", "Bash"],
    ["qwen", "PostToolUse", "run_shell_command"],
  ] as const) {
    it(`${agent} ${event}, tool_input 30,000 deep, a stored value in the output: the agent's own withholding answer, nothing raw`, async () => {
      const text = withDeep(
        JSON.stringify({
          session_id: "s-attack",
          transcript_path: join(h.sb.root, "t.jsonl"),
          cwd: h.sb.project,
          hook_event_name: event,
          tool_name: tool,
          tool_input: { command: "./run.sh", x: "__DEEP__" },
          tool_response:
            agent === "gemini"
              ? { llmContent: `Output: KEY=${value}`, returnDisplay: `KEY=${value}` }
              : `KEY=${value}\n`,
          ...(agent === "codex" ? { turn_id: "t1", tool_use_id: "c1", model: "m" } : {}),
        }),
        30_000,
        "object",
      );
      const r = await runHook(h.sb, text, { agent, env: h.env, timeoutMs: 60_000 });
      const answer = r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
      const withheld =
        answer.decision === "deny" || answer.decision === "block" || answer.continue === false;
      const contained = r.exitCode === 0 && withheld && nothingRaw(h, r.stdout, r.stderr);
      t.attempt(contained);
      expect(contained, `exit ${r.exitCode}: ${r.stdout.slice(0, 300)} ${r.stderr}`).toBe(true);
    });
  }

  it("control: the same Bash output without the nesting is redacted, not withheld", async () => {
    const r = await postHook(h, bash(`KEY=${value}\n`));
    expect(r.exitCode).toBe(0);
    expect(answerOf(r.stdout).hookSpecificOutput?.updatedToolOutput?.stdout).toBe(
      "KEY=[REDACTED:ATTACK_KEY]\n",
    );
  });
});

describe("attack: a value hidden by JSON escapes or held in a key", () => {
  const t = tally("post/escapes and keys");
  let h: Home;
  beforeAll(async () => {
    h = await freshHome();
  });
  const escapeAll = (s: string) =>
    [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

  for (const [label, encode] of [
    ["every char \\u-escaped", (s: string) => escapeAll(s)],
    ["second half \\u-escaped", (s: string) => s.slice(0, 10) + escapeAll(s.slice(10))],
    [
      "one char escaped in the middle",
      (s: string) => `${s.slice(0, 7)}${escapeAll(s[7]!)}${s.slice(8)}`,
    ],
    ["upper-case hex escapes", (s: string) => escapeAll(s).toUpperCase().replace(/\\U/g, "\\u")],
  ] as const) {
    it(`the value in stdout with ${label} in the payload text: redacted, nothing raw`, async () => {
      const text = payload(h, {
        stdout: "KEY=__V__\n",
        stderr: "",
        interrupted: false,
        isImage: false,
      }).replace("__V__", encode(value));
      const r = await hookText(h, text);
      const out = answerOf(r.stdout).hookSpecificOutput?.updatedToolOutput;
      const contained =
        r.exitCode === 0 &&
        out?.stdout === "KEY=[REDACTED:ATTACK_KEY]\n" &&
        nothingRaw(h, r.stdout, r.stderr);
      t.attempt(contained);
      expect(contained, r.stdout.slice(0, 300)).toBe(true);
    });
  }

  it("the value as a Bash output key, JSON-escaped in the payload: the key is redacted", async () => {
    const text = payload(h, {
      stdout: "ok",
      stderr: "",
      interrupted: false,
      isImage: false,
      __K__: 1,
    }).replace('"__K__"', `"${escapeAll(value)}"`);
    const r = await hookText(h, text);
    const contained =
      r.exitCode === 0 &&
      r.stdout.includes("[REDACTED:ATTACK_KEY]") &&
      nothingRaw(h, r.stdout, r.stderr);
    t.attempt(contained);
    expect(contained, r.stdout.slice(0, 300)).toBe(true);
  });

  for (const [label, secret] of [
    ["a stored value", value],
    ["a token", token],
  ] as const) {
    it(`${label} as a key of a Bash output that is withheld (a 6,000-deep sibling): the key is renamed, the schema keys stay`, async () => {
      const response = {
        stdout: "ok",
        stderr: "",
        interrupted: false,
        isImage: false,
        [secret]: "v",
        nested: { [`${secret}-suffix`]: { k: 1 } },
        x: "__DEEP__",
      };
      const r = await hookText(h, withDeep(payload(h, response), 6_000, "object"));
      const out = answerOf(r.stdout).hookSpecificOutput?.updatedToolOutput;
      const contained =
        r.exitCode === 0 &&
        out !== undefined &&
        ["stdout", "stderr", "interrupted", "isImage", "nested"].every((k) => k in out) &&
        nothingRaw(h, r.stdout, r.stderr);
      t.attempt(contained);
      expect(contained, r.stdout.slice(0, 400)).toBe(true);
    });
  }

  it("a stored value as a Read output key, with tool_input 20,000 deep: withheld, the key does not survive", async () => {
    const response = {
      type: "text",
      file: {
        filePath: "/p/x",
        content: "c",
        numLines: 1,
        startLine: 1,
        totalLines: 1,
        [value]: 2,
      },
    };
    const text = withDeep(
      payload(h, response, { tool_name: "Read", tool_input: { file_path: "/p/x", x: "__DEEP__" } }),
      20_000,
      "array",
    );
    const r = await hookText(h, text);
    const out = answerOf(r.stdout).hookSpecificOutput?.updatedToolOutput as
      { type?: string; file?: Record<string, unknown> } | undefined;
    const contained =
      r.exitCode === 0 &&
      out?.type === "text" &&
      out.file?.filePath === "/p/x" &&
      nothingRaw(h, r.stdout, r.stderr);
    t.attempt(contained);
    expect(contained, r.stdout.slice(0, 400)).toBe(true);
  });
});

describe("attack: outputs at and around the spill threshold (15,000 chars of answer)", () => {
  const t = tally("post/spill threshold");
  let h: Home;
  beforeAll(async () => {
    h = await freshHome();
  });
  // The JSON of {stdout, stderr:"", interrupted:false, isImage:false} is 59 chars plus stdout's.
  for (const size of [14_800, 14_900, 14_940, 14_941, 14_942, 14_960, 15_000, 15_100, 16_384]) {
    it(`stdout of ${size} chars ending in the value: all of it reachable, redacted; nothing raw anywhere`, async () => {
      const line = "ok line of build output\n";
      const tail = `KEY=${value}\n`;
      const stdout = `${line.repeat(Math.ceil(size / line.length)).slice(0, size - tail.length)}${tail}`;
      const r = await postHook(h, { stdout, stderr: "", interrupted: false, isImage: false });
      const out = answerOf(r.stdout).hookSpecificOutput?.updatedToolOutput;
      const want = stdout.replace(value, "[REDACTED:ATTACK_KEY]");
      const saved = /saved to: (\S+?)(?= \(read)/.exec(String(out?.stdout ?? ""))?.[1];
      const whole = saved ? readFileSync(saved, "utf8") : String(out?.stdout ?? "");
      const contained =
        r.exitCode === 0 &&
        r.stdout.length <= 16_000 &&
        whole === want &&
        (saved === undefined || (statSync(saved).mode & 0o777) === 0o600) &&
        nothingRaw(h, r.stdout, r.stderr);
      t.attempt(contained);
      expect(contained, `${size}: ${r.stdout.length} ${saved ?? "inline"}`).toBe(true);
    });
  }
});

describe("attack: an output of thousands of medium strings (one file each would take the hook past its timeout)", () => {
  const t = tally("post/many strings");
  for (const [n, len] of [
    [2_000, 600],
    [30, 20_000],
  ] as const) {
    it(`${n} strings of ${len} chars, a value in one: spilled in at most 8 files, all of it reachable, redacted`, async () => {
      const h = await freshHome();
      const rows = Array.from(
        { length: n },
        (_, i) => `row ${i} ${"x".repeat(len)}${i === 7 ? value : ""}`,
      );
      const r = await postHook(h, [{ type: "text", text: "rows" }, { rows }], {
        tool_name: "mcp__db__query",
        tool_input: {},
      });
      const dir = join(h.sb.root, "s-attack", "tool-results");
      const files = existsSync(dir)
        ? readdirSync(dir).filter((f) => f.startsWith("hookpack-"))
        : [];
      // Too many strings for a file each: the whole output, redacted, in one JSON file.
      const saved = /saved as JSON to: (\S+?)(?= \(read)/.exec(r.stdout)?.[1];
      const whole = saved ? (JSON.parse(readFileSync(saved, "utf8")) as unknown) : undefined;
      const want = [
        { type: "text", text: "rows" },
        { rows: rows.map((row) => row.replace(value, "[REDACTED:ATTACK_KEY]")) },
      ];
      const contained =
        r.exitCode === 0 &&
        files.length <= 8 &&
        JSON.stringify(whole) === JSON.stringify(want) &&
        nothingRaw(h, r.stdout, r.stderr);
      t.attempt(contained);
      expect(files.length, "spill files").toBeLessThanOrEqual(8);
      expect(contained, r.stdout.slice(0, 300)).toBe(true);
    }, 120_000);
  }
});

describe("attack: the spill directory prepared or raced by the agent", () => {
  const t = tally("post/spill place");
  const big = { stdout: `${"compile step ok\n".repeat(3000)}KEY=${value}\n`, stderr: "" };
  const results = (h: Home) => join(h.sb.root, "s-attack", "tool-results");
  const savedOf = (stdout: string) => /saved to: (\S+?)(?= \(read)/.exec(stdout)?.[1];

  it("tool-results a symlink to a directory the agent reads (the project): nothing written there, the answer stays whole elsewhere", async () => {
    const h = await freshHome();
    mkdirSync(join(h.sb.root, "s-attack"), { mode: 0o700 });
    const before = readdirSync(h.sb.project).length;
    symlinkSync(h.sb.project, results(h));
    const r = await postHook(h, big);
    const saved = savedOf(r.stdout);
    const contained =
      r.exitCode === 0 &&
      readdirSync(h.sb.project).length === before &&
      saved !== undefined &&
      !saved.startsWith(h.sb.project) &&
      reachable(r.stdout).includes("[REDACTED:ATTACK_KEY]") &&
      nothingRaw(h, r.stdout);
    t.attempt(contained);
    expect(contained, r.stdout.slice(-300)).toBe(true);
  });

  it("the session directory pre-created 0777 with tool-results 0777: tightened to 0700, the file 0600", async () => {
    const h = await freshHome();
    mkdirSync(results(h), { recursive: true });
    chmodSync(join(h.sb.root, "s-attack"), 0o777);
    chmodSync(results(h), 0o777);
    const r = await postHook(h, big);
    const saved = savedOf(r.stdout);
    const contained =
      r.exitCode === 0 &&
      saved !== undefined &&
      saved.startsWith(results(h)) &&
      (lstatSync(results(h)).mode & 0o777) === 0o700 &&
      (lstatSync(join(h.sb.root, "s-attack")).mode & 0o777) === 0o700 &&
      (lstatSync(saved).mode & 0o777) === 0o600 &&
      nothingRaw(h, r.stdout);
    t.attempt(contained);
    expect(contained, r.stdout.slice(-300)).toBe(true);
  });

  for (const [label, plant] of [
    ["a FIFO", (p: string) => spawnSync("mkfifo", [p]).status === 0],
    ["a plain file", (p: string) => (writeFileSync(p, "agent's file\n"), true)],
    ["a dangling symlink", (p: string) => (symlinkSync(join(p, "..", "nowhere"), p), true)],
  ] as const) {
    it(`tool-results is ${label}: the hook neither blocks nor writes there; the output is spilled elsewhere`, async () => {
      const h = await freshHome();
      mkdirSync(join(h.sb.root, "s-attack"), { mode: 0o700 });
      if (!plant(results(h))) {
        console.log(`[skip] post/spill place '${label}' could not be planted; not counted`);
        return;
      }
      const r = await postHook(h, big);
      const saved = savedOf(r.stdout);
      const st = lstatSync(results(h));
      const contained =
        r.exitCode === 0 &&
        r.signal === null &&
        !st.isDirectory() &&
        saved !== undefined &&
        !saved.startsWith(results(h)) &&
        (lstatSync(saved).mode & 0o777) === 0o600 &&
        nothingRaw(h, r.stdout);
      t.attempt(contained);
      expect(contained, `${r.exitCode} ${r.stdout.slice(-300)} ${r.stderr}`).toBe(true);
    });
  }

  it("the agent plants symlinks under guessable spill names (its own pids, this second): none is written through", async () => {
    const h = await freshHome();
    mkdirSync(results(h), { recursive: true, mode: 0o700 });
    chmodSync(join(h.sb.root, "s-attack"), 0o700);
    const precious = join(h.sb.home, "precious.txt");
    writeFileSync(precious, "the user's notes\n");
    const now = Date.now();
    for (let pid = process.pid; pid < process.pid + 200; pid++)
      for (const ms of [now, now + 500, now + 1000])
        symlinkSync(
          precious,
          join(
            results(h),
            `hookpack-s-attack-toolu_attack-${pid.toString(36)}${ms.toString(36)}.txt`,
          ),
        );
    const r = await postHook(h, big);
    const saved = savedOf(r.stdout);
    const contained =
      r.exitCode === 0 &&
      saved !== undefined &&
      !lstatSync(saved).isSymbolicLink() &&
      readFileSync(precious, "utf8") === "the user's notes\n" &&
      nothingRaw(h, r.stdout);
    t.attempt(contained);
    expect(contained, r.stdout.slice(-300)).toBe(true);
  });

  it("8 hooks spill at once into the same directory: 8 distinct 0600 files, each the whole redacted output", async () => {
    const h = await freshHome();
    const runs = await Promise.all(Array.from({ length: 8 }, () => postHook(h, big)));
    const saved = runs.map((r) => savedOf(r.stdout));
    const want = big.stdout.replace(value, "[REDACTED:ATTACK_KEY]");
    const contained =
      runs.every((r) => r.exitCode === 0) &&
      saved.every((s) => s !== undefined && readFileSync(s, "utf8") === want) &&
      new Set(saved).size === 8 &&
      saved.every((s) => (lstatSync(s!).mode & 0o777) === 0o600) &&
      nothingRaw(h, ...runs.map((r) => r.stdout));
    t.attempt(contained);
    expect(contained).toBe(true);
  }, 120_000);

  it("the agent swaps tool-results for a symlink and back while hooks spill: no raw value anywhere, nothing but 0600 redacted files", async () => {
    const h = await freshHome();
    mkdirSync(results(h), { recursive: true, mode: 0o700 });
    chmodSync(join(h.sb.root, "s-attack"), 0o700);
    const elsewhere = join(h.sb.root, "agent-place");
    mkdirSync(elsewhere);
    const aside = `${results(h)}.aside`;
    let swapping = true;
    const swapper = (async () => {
      while (swapping) {
        try {
          renameSync(results(h), aside);
          symlinkSync(elsewhere, results(h));
          await new Promise((r) => setTimeout(r, 1));
          rmSync(results(h));
          renameSync(aside, results(h));
        } catch {
          // a hook's mkdir may have won the name: keep racing
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const runs = [];
    for (let i = 0; i < 6; i++) runs.push(await postHook(h, big));
    swapping = false;
    await swapper;
    const want = big.stdout.replace(value, "[REDACTED:ATTACK_KEY]");
    const landed = readdirSync(elsewhere).map((f) => join(elsewhere, f));
    // Each answer points at a file that holds the whole redacted output (or, when no private
    // place could be had, is the cut); a won race leaves at most an empty 0600 file elsewhere.
    const answered = runs.map((r) => {
      const saved = savedOf(r.stdout);
      if (saved === undefined) return r.exitCode === 0 && /chars cut to fit/.test(r.stdout);
      return r.exitCode === 0 && existsSync(saved) && readFileSync(saved, "utf8") === want;
    });
    const contained =
      answered.every(Boolean) &&
      landed.every(
        (f) => (lstatSync(f).mode & 0o777) === 0o600 && readFileSync(f, "utf8") === "",
      ) &&
      nothingRaw(h, ...runs.map((r) => r.stdout));
    expect(answered).toEqual(runs.map(() => true));
    t.attempt(contained);
    expect(contained).toBe(true);
  }, 120_000);
});
