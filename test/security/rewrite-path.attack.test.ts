// Issue 21: the hook's `$secret:` rewrite is decided by the running broker in ONE signed request
// (broker/client.ts rewriteVia → broker/rewrite-service.ts), falling back to the in-process decision
// when no broker answers. The attacker is the agent with a shell as the user: it can talk to the
// socket, replay, send its own idea of the policy, edit or swap the policy file while hooks run,
// run the hook with a hostile environment, kill the broker mid-request, or squat on the socket.
// Everything below runs the REAL hook process against a REAL broker (or a squatter process). What
// must hold: a grant is minted only for what the policy in force (the user's last approval) allows;
// anything doubtful fails closed with a reason that names no value.
//
// Not claimed here: a process that can READ the broker key (an agent outside any sandbox) can
// already ask the broker for any grant with the older `mint` request; that is the README's
// same-user limit, unchanged by this path.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { mac } from "../../broker/client.js";
import { approvePolicy } from "../../broker/policy-approval.js";
import {
  assertBuilt,
  bash,
  brokerPids,
  fakeSecret,
  helloExchange,
  preToolUse,
  project,
  run,
  runAsync,
  sandbox,
  setSecret,
  type HookAnswer,
  type Sandbox,
} from "../broker/helpers.js";
import { reportTally, tally } from "./tally.js";

reportTally();
const T = {
  socket: tally("rewrite-path: direct socket requests"),
  replay: tally("rewrite-path: replayed requests and answers"),
  forged: tally("rewrite-path: policy sent in the request"),
  edit: tally("rewrite-path: policy edited while hooks run"),
  symlink: tally("rewrite-path: policy file or project behind a symlink"),
  env: tally("rewrite-path: hostile HOOKPACK_HOME"),
  kill: tally("rewrite-path: broker killed mid-request"),
  squat: tally("rewrite-path: fake broker on the socket"),
};

// bash is the one program that receives the value (its output is a count, never the value).
const OK = `T=$secret:T bash -c 'printf %s "$T" | wc -c'`;
// `ls` may not receive T under the approved policy; the loosened one (never approved) allows it.
const BAD = "ls $secret:T";
const POLICY = {
  version: 1,
  defaults: { approval: "auto" },
  secrets: { T: { commands: ["bash", "printf", "wc"] } },
};
const LOOSE = { version: 1, defaults: { approval: "auto" }, secrets: { T: {} } };

let sb: Sandbox;
let value: string;
let dir: string;
const children: ChildProcess[] = [];
beforeAll(() => assertBuilt());
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  run(sb, ["broker", "stop"]);
  sb.cleanup();
});
function setup(): void {
  sb = sandbox();
  value = fakeSecret();
  setSecret(sb, "T", value);
  dir = project(sb, POLICY);
}

interface Status {
  running: boolean;
  socket: string;
  build?: string;
  grantsPending?: number;
}
const status = (): Status => JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as Status;
const key = () =>
  Buffer.from(readFileSync(join(sb.hookpackHome, "broker", "broker.key"), "utf8").trim(), "hex");
const decided = (): number => {
  const s = JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as {
    rewritesDecided?: number;
  };
  return s.rewritesDecided ?? 0;
};
/** The answer says nothing of the value. */
const clean = (a: HookAnswer) => !a.raw.includes(value) && !a.reason.includes(value);
const denied = (a: HookAnswer) => a.decision === "deny" && a.command === undefined && clean(a);
const rewritten = (a: HookAnswer) =>
  a.decision === undefined && /exec --grant g_[a-z2-7]{26} /.test(a.command ?? "") && clean(a);
/** The program the rewritten call's grant runs (what follows `--`). */
const program = (a: HookAnswer) =>
  /exec --grant \S+ --grant-key \S+ -- (?:\S+=\S+ )*(\S+)/.exec(a.command ?? "")?.[1];

/** A warm broker of this build, started by the CLI. */
function warm(): Status {
  expect(run(sb, ["broker", "start"]).status).toBe(0);
  const s = status();
  expect(s.running).toBe(true);
  return s;
}

/** One raw exchange on the broker's socket: hello, one line, one answer. */
const exchange = helloExchange;
const bodyOf = (answer: string) =>
  JSON.parse((JSON.parse(answer) as { body: string }).body) as Record<string, unknown>;
const callFor = (command: string) => ({
  command,
  agent: "claude-code",
  session: "s1",
  cwd: dir,
  toolCallId: "toolu_x",
  self: { node: process.execPath, script: join(process.cwd(), "dist", "hookpack.cjs") },
});

/**
 * A process on the broker's socket path (the real broker stopped): it greets like a broker of this
 * build, records every line it gets, and answers with `answer(line)` (undefined: closes, removes
 * its socket and exits, as a broker killed mid-request).
 */
async function squatter(socket: string, build: string, answer: string): Promise<string> {
  const log = join(sb.dir, `squatter-${randomBytes(4).toString("hex")}.log`);
  const child = spawn(
    process.execPath,
    [
      "-e",
      `
      const fs = require("fs");
      const answer = ${answer};
      const server = require("net").createServer((s) => {
        s.write(JSON.stringify({ hello: 1, protocol: 1, version: "0.1.0", build: ${JSON.stringify(build)}, pid: process.pid, nonce: "0011" }) + "\\n");
        s.on("data", (d) => {
          fs.appendFileSync(${JSON.stringify(log)}, d);
          const out = answer(String(d));
          if (out === undefined) {
            s.destroy();
            try { fs.unlinkSync(${JSON.stringify(socket)}); } catch {}
            server.close();
            setTimeout(() => process.exit(0), 10);
          } else s.write(out + "\\n");
        });
      }).listen(${JSON.stringify(socket)}, () => console.log("up"));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  await new Promise((r) => child.stdout!.once("data", r));
  return log;
}

describe("rewrite path: the socket, straight", () => {
  it("an unsigned or wrongly signed rewrite request is refused and mints nothing", async () => {
    setup();
    const s = warm();
    const before = s.grantsPending ?? 0;
    const body = (h: { nonce: string }) =>
      JSON.stringify({ op: "rewrite", call: callFor(OK), nonce: h.nonce });
    const attempts: Array<(h: { nonce: string }) => string> = [
      (h) => JSON.stringify({ body: body(h) }),
      (h) => JSON.stringify({ body: body(h), mac: "0".repeat(64) }),
      (h) => JSON.stringify({ body: body(h), mac: mac(randomBytes(32), h.nonce, body(h)) }),
      // Signed over the wrong nonce (not this connection's).
      (h) => JSON.stringify({ body: body(h), mac: mac(key(), "ffff", body(h)) }),
      (h) => `{"body": ${JSON.stringify(body(h))}, "mac": 7}`,
    ];
    for (const line of attempts) {
      const { answer } = await exchange(s.socket, line);
      const reply = bodyOf(answer);
      T.socket.attempt(
        reply.ok === false && reply.code === "BROKER_UNAUTHENTICATED" && !answer.includes(value),
      );
      expect(reply.code).toBe("BROKER_UNAUTHENTICATED");
    }
    const after = status().grantsPending ?? 0;
    T.socket.attempt(after === before);
    expect(after).toBe(before);
  });

  it("a malformed call (relative cwd, no self, rules of the wrong shape) is refused even when signed", async () => {
    setup();
    const s = warm();
    for (const call of [
      { ...callFor(OK), cwd: "project" },
      { ...callFor(OK), self: undefined },
      { ...callFor(OK), self: { node: "node", script: "x.cjs" } },
      { ...callFor(OK), agentRules: { deny: "Bash(*)", ask: [] } },
      { ...callFor(OK), command: 42 },
    ]) {
      const { answer } = await exchange(s.socket, (h) => {
        const text = JSON.stringify({ op: "rewrite", call, nonce: "n" });
        return JSON.stringify({ body: text, mac: mac(key(), h.nonce, text) });
      });
      const reply = bodyOf(answer);
      T.socket.attempt(reply.ok === false && reply.code === "BROKER_PROTOCOL");
      expect(reply.code).toBe("BROKER_PROTOCOL");
    }
    expect(status().grantsPending ?? 0).toBe(0);
  });
});

describe("rewrite path: replays", () => {
  it("a signed request replayed on a new connection is refused (each connection has its own nonce)", async () => {
    setup();
    const s = warm();
    let captured = "";
    const first = await exchange(s.socket, (h) => {
      const text = JSON.stringify({ op: "rewrite", call: callFor(OK), nonce: "n1" });
      captured = JSON.stringify({ body: text, mac: mac(key(), h.nonce, text) });
      return captured;
    });
    expect((bodyOf(first.answer).verdict as { kind: string }).kind).toBe("rewrite");
    const pending = status().grantsPending ?? 0;
    for (let i = 0; i < 3; i++) {
      const again = await exchange(s.socket, () => captured);
      const reply = bodyOf(again.answer);
      T.replay.attempt(reply.ok === false && reply.code === "BROKER_UNAUTHENTICATED");
      expect(reply.code).toBe("BROKER_UNAUTHENTICATED");
    }
    expect(status().grantsPending ?? 0).toBe(pending);
  });

  it("a genuine signed answer replayed to the hook by a squatter is not believed: the hook fails closed", async () => {
    setup();
    const s = warm();
    // A real, signed answer (a rewrite to a command of the attacker's choosing is not possible, but
    // even a genuine one for another call must not be taken).
    const real = await exchange(s.socket, (h) => {
      const text = JSON.stringify({ op: "rewrite", call: callFor(OK), nonce: "n2" });
      return JSON.stringify({ body: text, mac: mac(key(), h.nonce, text) });
    });
    run(sb, ["broker", "stop"]);
    const log = await squatter(s.socket, s.build!, `() => ${JSON.stringify(real.answer)}`);
    const hook = preToolUse(sb, dir, OK);
    T.replay.attempt(denied(hook) && /not signed with the broker key/.test(hook.reason));
    expect(denied(hook)).toBe(true);
    expect(hook.reason).toMatch(/not signed with the broker key/);
    const seen = readFileSync(log, "utf8");
    expect(seen).toMatch(/rewrite/);
    T.replay.attempt(!seen.includes(value) && !seen.includes(key().toString("hex")));
  });
});

describe("rewrite path: the policy is the broker's own reading", () => {
  it("a signed request carrying its own policy, digest, approval or home changes nothing", async () => {
    setup();
    const s = warm();
    const loose = JSON.stringify(LOOSE);
    for (const extra of [
      { policy: loose },
      { policyText: loose, policySha256: "0".repeat(64), approved: true },
      { home: join(sb.dir, "elsewhere") },
      { call: { ...callFor(BAD), policy: LOOSE, approved: true } },
    ]) {
      const { answer } = await exchange(s.socket, (h) => {
        const text = JSON.stringify({ op: "rewrite", call: callFor(BAD), ...extra, nonce: "n" });
        return JSON.stringify({ body: text, mac: mac(key(), h.nonce, text) });
      });
      const verdict = bodyOf(answer).verdict as { kind: string; code?: string };
      T.forged.attempt(verdict.kind === "deny" && verdict.code === "REF_NOT_ALLOWED");
      expect(verdict.code).toBe("REF_NOT_ALLOWED");
    }
    expect(status().grantsPending ?? 0).toBe(0);
  });

  it("an unapproved edit, and a loop of edits racing the hooks, never lets `ls` receive T", async () => {
    setup();
    warm();
    const file = join(dir, "hookpack.json");
    const approved = readFileSync(file, "utf8");
    writeFileSync(file, JSON.stringify(LOOSE));
    const first = preToolUse(sb, dir, BAD);
    T.edit.attempt(denied(first) && /as the user last approved it/.test(first.reason));
    expect(first.reason).toMatch(/as the user last approved it/);
    // The agent flips the file between the approved text and a loosened one (atomic renames and
    // in-place writes) as fast as it can while hooks run.
    const flipper = spawn(
      process.execPath,
      [
        "-e",
        `
      const fs = require("fs");
      const texts = [${JSON.stringify(approved)}, ${JSON.stringify(JSON.stringify(LOOSE))}];
      let i = 0;
      setInterval(() => {
        for (let k = 0; k < 20; k++) {
          i++;
          if (i % 2) fs.writeFileSync(${JSON.stringify(file)}, texts[i % 2]);
          else { fs.writeFileSync(${JSON.stringify(file)} + ".tmp", texts[i % 2]); fs.renameSync(${JSON.stringify(file)} + ".tmp", ${JSON.stringify(file)}); }
        }
      }, 1);`,
      ],
      { stdio: "ignore" },
    );
    children.push(flipper);
    const before = decided();
    for (let i = 0; i < 12; i++) {
      const bad = preToolUse(sb, dir, BAD, { toolUseId: `toolu_b${i}` });
      // Denied by the approved policy; or, caught mid-write, an unreadable file (denied too).
      T.edit.attempt(denied(bad));
      expect(denied(bad)).toBe(true);
      const ok = preToolUse(sb, dir, OK, { toolUseId: `toolu_o${i}` });
      T.edit.attempt(denied(ok) || (rewritten(ok) && program(ok) === "bash"));
      expect(denied(ok) || program(ok) === "bash").toBe(true);
    }
    flipper.kill("SIGKILL");
    expect(decided()).toBeGreaterThan(before); // the broker decided these
    writeFileSync(file, approved);
    const after = preToolUse(sb, dir, OK);
    expect(rewritten(after)).toBe(true);
    expect(bash(sb, after.command!, dir).stdout.trim()).toBe(String(value.length));
  });

  it("the policy file swapped for a symlink, or the project reached through one: the approved text decides", () => {
    setup();
    warm();
    const file = join(dir, "hookpack.json");
    const approved = readFileSync(file, "utf8");
    const elsewhere = join(sb.dir, "loose.json");
    writeFileSync(elsewhere, JSON.stringify(LOOSE));
    rmSync(file);
    symlinkSync(elsewhere, file);
    const viaLink = preToolUse(sb, dir, BAD);
    T.symlink.attempt(denied(viaLink));
    expect(denied(viaLink)).toBe(true);
    // A symlink to a file holding exactly the approved text is that policy: same decisions.
    const same = join(sb.dir, "same.json");
    writeFileSync(same, approved);
    rmSync(file);
    symlinkSync(same, file);
    T.symlink.attempt(denied(preToolUse(sb, dir, BAD)));
    const ok = preToolUse(sb, dir, OK);
    T.symlink.attempt(rewritten(ok) && program(ok) === "bash");
    expect(program(ok)).toBe("bash");
    // The project through a symlinked directory, with a loosened policy beside the link.
    const link = join(sb.dir, "link-to-project");
    symlinkSync(dir, link);
    writeFileSync(join(sb.dir, "hookpack.json"), JSON.stringify(LOOSE));
    const throughLink = preToolUse(sb, link, BAD);
    T.symlink.attempt(denied(throughLink));
    expect(denied(throughLink)).toBe(true);
    // A dangling link: no readable file, so the built-in default applies (as with no file at all,
    // broker/policy-approval.ts): every use asks the human; nothing passes on its own.
    rmSync(file);
    symlinkSync(join(sb.dir, "missing.json"), file);
    const dangling = preToolUse(sb, dir, BAD);
    T.symlink.attempt(denied(dangling) || (dangling.decision === "ask" && clean(dangling)));
    expect(dangling.decision === "ask" || denied(dangling)).toBe(true);
  });
});

describe("rewrite path: a hostile environment", () => {
  it("HOOKPACK_HOME pointed at the attacker's home: its grants are not the user's and never reach the user's value", () => {
    setup();
    warm();
    const realPending = status().grantsPending ?? 0;
    // The attacker's own home: its own store (its own T), its own approval of a loose policy.
    const evil = sandbox();
    try {
      const evilValue = fakeSecret("e");
      setSecret(evil, "T", evilValue);
      const evilDir = join(evil.dir, "p");
      mkdirSync(join(evilDir, ".git"), { recursive: true });
      writeFileSync(join(evilDir, "hookpack.json"), JSON.stringify(LOOSE));
      run(evil, ["broker", "start"]);
      // Approved in the attacker's home, as it can: that home's files are its own.
      approvePolicy(evil.hookpackHome, evilDir);
      // The agent loosens the user's project file (pending for the user) and approves it in its home.
      writeFileSync(join(dir, "hookpack.json"), JSON.stringify(LOOSE));
      approvePolicy(evil.hookpackHome, dir);
      // The hook, run by the agent with the attacker's HOOKPACK_HOME, for the user's project.
      const hook = preToolUse(sb, dir, BAD, { env: { HOOKPACK_HOME: evil.hookpackHome } });
      // Whatever it answers, the user's broker minted nothing ...
      T.env.attempt((status().grantsPending ?? 0) === realPending);
      expect(status().grantsPending ?? 0).toBe(realPending);
      // ... and the rewritten command, if any, run in the user's environment, gets no value.
      if (hook.command) {
        const r = bash(sb, hook.command, dir);
        T.env.attempt(r.status !== 0 && !`${r.stdout}${r.stderr}`.includes(value));
        expect(`${r.stdout}${r.stderr}`).not.toContain(value);
      } else T.env.attempt(clean(hook));
      // The attacker's loose policy for ITS project still only reaches ITS value.
      const own = preToolUse(evil, evilDir, `T=$secret:T bash -c 'printf %s "$T" | wc -c'`);
      if (own.command) {
        const r = bash(sb, own.command, evilDir);
        T.env.attempt(!`${r.stdout}${r.stderr}`.includes(value));
        expect(`${r.stdout}${r.stderr}`).not.toContain(value);
      }
    } finally {
      run(evil, ["broker", "stop"]);
      evil.cleanup();
    }
  });
});

describe("rewrite path: the broker killed or replaced", () => {
  it("a broker gone mid-request: the hook decides in-process and starts a real one; the grant runs", async () => {
    setup();
    const s = warm();
    run(sb, ["broker", "stop"]);
    // Takes the request, then dies (closes, removes its socket, exits) without answering.
    const log = await squatter(s.socket, s.build!, "() => undefined");
    const hook = preToolUse(sb, dir, OK);
    T.kill.attempt(rewritten(hook));
    expect(rewritten(hook)).toBe(true);
    expect(readFileSync(log, "utf8")).toMatch(/rewrite/);
    expect(bash(sb, hook.command!, dir).stdout.trim()).toBe(String(value.length));
    const bad = preToolUse(sb, dir, BAD);
    T.kill.attempt(denied(bad));
    expect(denied(bad)).toBe(true);
  });

  it("SIGKILL of the broker while hooks run: every answer is a rewrite for bash or a deny; never the raw call, never the value", async () => {
    setup();
    warm();
    const answers: HookAnswer[] = [];
    for (let i = 0; i < 8; i++) {
      for (const pid of brokerPids(sb.hookpackHome)) if (i % 2 === 0) process.kill(pid, "SIGKILL");
      const hookRun = runAsync(sb, ["hook", "claude-code"], {
        input: JSON.stringify({
          session_id: "s1",
          transcript_path: join(sb.dir, "t.jsonl"),
          cwd: dir,
          hook_event_name: "PreToolUse",
          tool_name: "Bash",
          tool_input: { command: OK, description: "d" },
          tool_use_id: `toolu_k${i}`,
        }),
      });
      // Kill it again while this hook may be talking to it.
      setTimeout(
        () => {
          for (const pid of brokerPids(sb.hookpackHome)) process.kill(pid, "SIGKILL");
        },
        30 + i * 15,
      );
      const r = await hookRun.done;
      let out: {
        hookSpecificOutput?: { permissionDecision?: string; updatedInput?: { command?: string } };
      } = {};
      try {
        out = r.stdout.trim() ? (JSON.parse(r.stdout) as typeof out) : {};
      } catch {
        out = {};
      }
      const a: HookAnswer = {
        decision: out.hookSpecificOutput?.permissionDecision,
        command: out.hookSpecificOutput?.updatedInput?.command,
        reason: r.stderr,
        raw: r.stdout,
        status: r.code,
      };
      answers.push(a);
      const ok = (rewritten(a) && program(a) === "bash") || denied(a);
      T.kill.attempt(ok && a.command !== OK);
      expect(ok).toBe(true);
    }
    // The last answers' grants either run (a live broker) or are refused; the value never prints.
    for (const a of answers.filter((x) => x.command)) {
      const r = bash(sb, a.command!, dir);
      expect(`${r.stdout}${r.stderr}`).not.toContain(value);
    }
  });
});

describe("rewrite path: a fake broker", () => {
  const forged = (verdict: unknown) =>
    `(line) => JSON.stringify({ body: JSON.stringify({ ok: true, home: ${"process.argv[1]"}, verdict: ${JSON.stringify(verdict)} }), mac: "ab".repeat(32) })`;
  for (const [label, answer] of [
    ["an allow", forged({ kind: "allow" })],
    [
      "a rewrite to a command of its choice",
      forged({ kind: "rewrite", patch: { command: "env" }, reason: "ok" }),
    ],
    [
      "an unsigned refusal carrying text",
      `() => JSON.stringify({ body: JSON.stringify({ ok: false, code: "X", message: "hookpack: fake" }) })`,
    ],
    ["garbage", `() => "not json at all"`],
    [
      "a signed-looking answer with a malformed body",
      `() => JSON.stringify({ body: "{", mac: "00".repeat(32) })`,
    ],
  ] as const) {
    it(`answering ${label}: the hook fails closed, nothing leaks to it`, async () => {
      setup();
      const s = warm();
      run(sb, ["broker", "stop"]);
      const log = await squatter(s.socket, s.build!, answer);
      const hook = preToolUse(sb, dir, OK);
      T.squat.attempt(denied(hook) && /broker/.test(hook.reason));
      expect(denied(hook)).toBe(true);
      expect(hook.reason).toMatch(/broker/);
      const seen = readFileSync(log, "utf8");
      T.squat.attempt(!seen.includes(value) && !seen.includes(key().toString("hex")));
      expect(seen).not.toContain(value);
    });
  }
});
