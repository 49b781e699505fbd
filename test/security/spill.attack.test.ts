// Issue 21, spilled outputs (hooks/spill.ts): a redacted output too long for the hook response is
// written to Claude Code's session tool-results directory (next to the transcript), else to
// <TMPDIR>/hookpack-<uid>/outputs. The agent runs as the same user and can prepare that
// path before the hook runs. Attacked through the REAL hook process (dist/): the hook must never
// write through a planted symlink or into a directory someone else owns or can enter, never let a
// tool call's id or session id steer the file elsewhere, never hang on a planted FIFO, and never
// leave a raw value in what the model sees, whatever the cut. Each contained attempt is counted.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudePayload, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const value = `sv${randomBytes(20).toString("hex")}`;
let sb: Sandbox;
const uid = process.getuid?.() ?? 0;
let n = 0;

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "SPILL_KEY"], {
    input: value,
    env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file" },
    cwd: sb.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
});
afterAll(() => sb?.cleanup());

/** A fresh TMPDIR for one attempt. */
function freshTmp(): string {
  const tmp = join(sb.root, `tmp-${n++}`);
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

/** Files and symlinks under `dir`, recursively (not following links). */
function entries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...entries(p));
  }
  return out;
}

const bigStdout = (extra = "") =>
  `${"compile step ok\n".repeat(3000)}KEY=${value}\n${extra}${"more\n".repeat(1000)}`;

async function postHook(
  tmp: string,
  stdout: string,
  ids: { session?: string; tool?: string; transcript?: string } = {},
) {
  const payload = claudePayload(sb, {
    session_id: ids.session ?? "s-attack",
    transcript_path: ids.transcript,
    hook_event_name: "PostToolUse",
    tool_name: "Bash",
    tool_input: { command: "./build.sh" },
    tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
    tool_use_id: ids.tool ?? "toolu_attack",
  });
  const r = await runHook(sb, payload, {
    env: { HOOKPACK_KEY_BACKEND: "file", TMPDIR: tmp },
    timeoutMs: 30_000,
  });
  const out = r.stdout
    ? (JSON.parse(r.stdout) as { hookSpecificOutput?: { updatedToolOutput?: { stdout: string } } })
    : {};
  return {
    r,
    stdout: out.hookSpecificOutput?.updatedToolOutput?.stdout ?? "",
    saved: /saved to: (\S+)/.exec(out.hookSpecificOutput?.updatedToolOutput?.stdout ?? "")?.[1],
  };
}

const noRaw = (text: string) =>
  !text.includes(value) && !text.includes(Buffer.from(value).toString("base64"));

describe("attack: a prepared spill directory", () => {
  const t = tally("spill/prepared directory");

  it("outputs/ planted as a symlink to a directory the agent wants written: nothing is written there, the answer stays redacted", async () => {
    const tmp = freshTmp();
    const victim = join(sb.root, `victim-${n}`);
    mkdirSync(victim);
    mkdirSync(join(tmp, `hookpack-${uid}`), { mode: 0o700 });
    symlinkSync(victim, join(tmp, `hookpack-${uid}`, "outputs"));
    const { r, stdout, saved } = await postHook(tmp, bigStdout());
    // Falls back to the cut (with its notice): less reachable, but nothing written and nothing raw.
    const contained =
      r.exitCode === 0 &&
      readdirSync(victim).length === 0 &&
      saved === undefined &&
      noRaw(r.stdout) &&
      /chars cut to fit/.test(stdout);
    t.attempt(contained);
    expect(readdirSync(victim)).toEqual([]);
    expect(contained, r.stdout.slice(-300)).toBe(true);
  });

  it("hookpack-<uid>/ planted as a symlink: nothing is written through it", async () => {
    const tmp = freshTmp();
    const victim = join(sb.root, `victim-${n}`);
    mkdirSync(victim);
    symlinkSync(victim, join(tmp, `hookpack-${uid}`));
    const { r, saved } = await postHook(tmp, bigStdout());
    const contained =
      r.exitCode === 0 && entries(victim).length === 0 && saved === undefined && noRaw(r.stdout);
    t.attempt(contained);
    expect(entries(victim)).toEqual([]);
    expect(contained).toBe(true);
  });

  it("a directory owned by another user: not used", async () => {
    if (uid !== 0) {
      console.log("[skip] spill attack 'owned by another user' needs root to chown; not counted");
      return;
    }
    const tmp = freshTmp();
    const dir = join(tmp, `hookpack-${uid}`);
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    chownSync(dir, 65534, 65534);
    const { r, saved } = await postHook(tmp, bigStdout());
    const contained =
      r.exitCode === 0 && saved === undefined && entries(dir).length === 0 && noRaw(r.stdout);
    t.attempt(contained);
    expect(contained).toBe(true);
  });

  it("directories pre-created world-writable by the same user: tightened to 0700 before anything is written, the file is 0600", async () => {
    const tmp = freshTmp();
    const dir = join(tmp, `hookpack-${uid}`, "outputs");
    mkdirSync(dir, { recursive: true });
    chmodSync(join(tmp, `hookpack-${uid}`), 0o777);
    chmodSync(dir, 0o777);
    const { r, saved } = await postHook(tmp, bigStdout());
    const contained =
      r.exitCode === 0 &&
      saved !== undefined &&
      (lstatSync(dir).mode & 0o777) === 0o700 &&
      (lstatSync(join(tmp, `hookpack-${uid}`)).mode & 0o777) === 0o700 &&
      (lstatSync(saved).mode & 0o777) === 0o600 &&
      noRaw(readFileSync(saved, "utf8"));
    t.attempt(contained);
    expect(contained).toBe(true);
  });

  it("a FIFO planted in outputs/ (the pruning pass must not block on it)", async () => {
    const tmp = freshTmp();
    const dir = join(tmp, `hookpack-${uid}`, "outputs");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(join(tmp, `hookpack-${uid}`), 0o700);
    const mk = spawnSync("mkfifo", [join(dir, "old-output.txt")]);
    if (mk.status !== 0) {
      console.log("[skip] spill attack 'FIFO' needs mkfifo; not counted");
      return;
    }
    const { r, saved } = await postHook(tmp, bigStdout());
    const contained =
      r.exitCode === 0 &&
      r.signal === null &&
      saved !== undefined &&
      noRaw(readFileSync(saved, "utf8"));
    t.attempt(contained);
    expect(contained, r.stderr).toBe(true);
  });
});

describe("attack: a prepared session tool-results directory (Claude Code's own place)", () => {
  const t = tally("spill/prepared session directory");

  it("<session>/tool-results planted as a symlink to another directory: nothing is written there; the temp place is used", async () => {
    const tmp = freshTmp();
    const projects = join(sb.root, `projects-${n}`);
    const victim = join(sb.root, `victim-${n}`);
    mkdirSync(join(projects, "s-attack"), { recursive: true, mode: 0o700 });
    mkdirSync(victim);
    symlinkSync(victim, join(projects, "s-attack", "tool-results"));
    const { r, saved } = await postHook(tmp, bigStdout(), {
      transcript: join(projects, "s-attack.jsonl"),
    });
    const contained =
      r.exitCode === 0 &&
      readdirSync(victim).length === 0 &&
      saved !== undefined &&
      saved.startsWith(join(tmp, `hookpack-${uid}`, "outputs")) &&
      noRaw(readFileSync(saved, "utf8"));
    t.attempt(contained);
    expect(contained, saved).toBe(true);
  });

  it("<session>/ planted as a symlink: nothing is written through it", async () => {
    const tmp = freshTmp();
    const projects = join(sb.root, `projects-${n}`);
    const victim = join(sb.root, `victim-${n}`);
    mkdirSync(projects, { recursive: true });
    mkdirSync(victim);
    symlinkSync(victim, join(projects, "s-attack"));
    const { r, saved } = await postHook(tmp, bigStdout(), {
      transcript: join(projects, "s-attack.jsonl"),
    });
    const contained =
      r.exitCode === 0 &&
      entries(victim).length === 0 &&
      saved !== undefined &&
      !saved.startsWith(projects) &&
      noRaw(r.stdout);
    t.attempt(contained);
    expect(contained, saved).toBe(true);
  });

  it("a session id with ../ never names a directory outside the transcript's", async () => {
    const tmp = freshTmp();
    const projects = join(sb.root, `projects-${n}`);
    mkdirSync(projects, { recursive: true });
    const { r, saved } = await postHook(tmp, bigStdout(), {
      transcript: join(projects, "x.jsonl"),
      session: "../../escaped-session",
    });
    const contained =
      r.exitCode === 0 &&
      saved !== undefined &&
      saved.startsWith(join(tmp, `hookpack-${uid}`, "outputs")) &&
      !existsSync(join(sb.root, "escaped-session"));
    t.attempt(contained);
    expect(contained, saved).toBe(true);
  });

  it("old files of the agent's own in tool-results are never pruned (only hookpack-*.txt)", async () => {
    const tmp = freshTmp();
    const projects = join(sb.root, `projects-${n}`);
    const results = join(projects, "s-attack", "tool-results");
    mkdirSync(results, { recursive: true, mode: 0o700 });
    const theirs = join(results, "toolu_old.txt");
    writeFileSync(theirs, "claude's own persisted output\n");
    const old = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    utimesSync(theirs, old, old);
    const { r, saved } = await postHook(tmp, bigStdout(), {
      transcript: join(projects, "s-attack.jsonl"),
    });
    const contained =
      r.exitCode === 0 && existsSync(theirs) && saved !== undefined && saved.startsWith(results);
    t.attempt(contained);
    expect(contained, saved).toBe(true);
  });
});

describe("attack: ids that try to steer the file", () => {
  const t = tally("spill/path from ids");
  for (const [label, ids] of [
    ["tool_use_id with ../", { tool: "../../../../escaped-tool" }],
    ["session_id with ../ and slashes", { session: "../../../escaped/session" }],
    ["absolute path as tool_use_id", { tool: "/tmp/escaped-abs" }],
  ] as const) {
    it(`${label}: the file stays in outputs/`, async () => {
      const tmp = freshTmp();
      const { r, saved } = await postHook(tmp, bigStdout(), ids);
      const dir = join(tmp, `hookpack-${uid}`, "outputs");
      const contained =
        r.exitCode === 0 &&
        saved !== undefined &&
        join(saved, "..") === dir &&
        !existsSync(join(sb.root, "escaped-tool")) &&
        !existsSync("/tmp/escaped-abs") &&
        !existsSync(join(sb.root, "escaped"));
      t.attempt(contained);
      expect(contained, saved).toBe(true);
    });
  }
});

describe("attack: the cut falls inside a secret", () => {
  const t = tally("spill/cut boundary");
  it("values placed at every offset around the preview's end: no raw prefix of the value in the answer, the file is redacted", async () => {
    // The preview keeps ~14,5k chars; slide a run of values across that region.
    for (let shift = 0; shift < 8; shift++) {
      const tmp = freshTmp();
      const pad = "x".repeat(13_900 + shift * 97);
      const stdout = `${pad}${`|${value}`.repeat(40)}\n${"tail\n".repeat(4000)}`;
      const { r, saved } = await postHook(tmp, stdout);
      let contained = r.exitCode === 0 && saved !== undefined;
      // No 8-char run of the value anywhere in the answer (a cut raw value would leave its start).
      for (let i = 0; contained && i + 8 <= value.length; i++)
        if (r.stdout.includes(value.slice(i, i + 8))) contained = false;
      if (contained)
        contained =
          noRaw(readFileSync(saved!, "utf8")) &&
          readFileSync(saved!, "utf8").split("[REDACTED:SPILL_KEY]").length === 41;
      t.attempt(contained);
      expect(contained, `shift ${shift}`).toBe(true);
    }
  });
});

describe("attack: an output whose JSON is far longer than its text (issue 21: the spill's size is measured, not stringified whole)", () => {
  const t = tally("spill/escaped size");
  // fitWithSpill takes the output's JSON size from its long strings' own sizes (hooks/spill.ts
  // measure). Escapes make the JSON up to 6x the text: an output that is short as text but long as
  // JSON must still be spilled (never handed back over Claude Code's 15,000 chars), with the whole
  // redacted output in the file and no raw value anywhere. Sizes on both sides of the limit.
  const escapes = ['"', "\\", "\u0001", "\u001f", "\n", "\ud800"];
  it("quotes, backslashes, control characters and lone surrogates around a stored value", async () => {
    for (const esc of escapes)
      for (const chars of [2400, 2600, 5000, 14_000]) {
        const tmp = freshTmp();
        const stdout = `${esc.repeat(chars)}KEY=${value}\n${esc.repeat(chars)}`;
        const { r, saved } = await postHook(tmp, stdout);
        const answer = r.stdout
          ? (JSON.parse(r.stdout) as { hookSpecificOutput?: { updatedToolOutput?: unknown } })
              .hookSpecificOutput?.updatedToolOutput
          : undefined;
        const size = JSON.stringify(answer ?? null).length;
        let contained = r.exitCode === 0 && answer !== undefined && size <= 15_000;
        contained &&= noRaw(r.stdout) && noRaw(r.stderr);
        if (contained && JSON.stringify(stdout).length > 15_000) {
          // Too long as JSON: spilled, the file holds the whole output, redacted.
          const file = saved ? readFileSync(saved, "utf8") : "";
          contained =
            saved !== undefined &&
            noRaw(file) &&
            // (the file is UTF-8: a lone surrogate is stored as U+FFFD, as any UTF-8 write does)
            file ===
              Buffer.from(stdout.replace(value, "[REDACTED:SPILL_KEY]"), "utf8").toString("utf8");
        }
        for (const f of entries(tmp))
          if (lstatSync(f).isFile() && !noRaw(readFileSync(f, "latin1"))) contained = false;
        t.attempt(contained);
        expect(contained, `${JSON.stringify(esc)} × ${chars}: answer ${size} chars`).toBe(true);
      }
  }, 120_000);
});
