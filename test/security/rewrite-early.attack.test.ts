// Hostile agent vs the early `$secret:` rewrite request (issue 21): the hook's entry sends the
// rewrite request to the broker before hook.cjs loads (hooks/rewrite-early.ts), marked `early`; the
// broker mints its grants HELD, and arms them only when the hook confirms on the same connection
// (an HMAC over the request's nonce), which it does only when its final answer carries the
// rewritten command (hooks/rewrite-early-slot.ts settleEarlyRewrite). What must hold, against the
// REAL broker daemon and the REAL hook process: a held grant is redeemable by nobody; a connection
// that closes unconfirmed, a confirmation that is not the request's own, a redeem that races the
// confirmation, a replayed or forged early request, a hook that denies after the early request
// left, and a hook whose call is not the one sent early, all leave no usable grant; the ordinary
// call is still rewritten and runs, with one request to the broker.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mac } from "../../broker/client.js";
import { approvePolicy } from "../../broker/policy-approval.js";
import { settleEarlyRewrite, takeEarlyRewrite } from "../../hooks/rewrite-early-slot.js";
import { fakeGithubToken } from "../helpers/fake-secrets.js";
import {
  hookpack,
  sandbox as installedSandbox,
  type Sandbox as InstalledSandbox,
} from "../helpers/run.js";
import { distBundle } from "../helpers/sandbox.js";
import {
  BIN,
  assertBuilt,
  bash,
  bashPayload,
  fakeSecret,
  hookSync,
  project,
  run,
  sandbox,
  setSecret,
  waitFor,
  type Sandbox,
} from "../broker/helpers.js";
import { reportTally, tally } from "./tally.js";

reportTally();
const T = {
  held: tally("rewrite-early: held grants redeemed or armed without the hook's confirmation"),
  request: tally("rewrite-early: forged or replayed early requests"),
  hook: tally("rewrite-early: hook denies or reads another call after the early request"),
};

// bash is the one program that receives the value (its output is a count, never the value).
const OK = `T=$secret:T bash -c 'printf %s "$T" | wc -c'`;
const POLICY = {
  version: 1,
  defaults: { approval: "auto" },
  secrets: { T: { commands: ["bash", "printf", "wc"] } },
};

let sb: Sandbox;
let value: string;
let dir: string;
beforeAll(() => {
  assertBuilt();
  sb = sandbox();
  value = fakeSecret();
  setSecret(sb, "T", value);
  dir = project(sb, POLICY);
  expect(run(sb, ["broker", "start"]).status).toBe(0);
});
afterAll(() => {
  run(sb, ["broker", "stop"]);
  sb.cleanup();
});

interface Status {
  socket: string;
  build: string;
  grantsPending?: number;
  grantsHeld?: number;
  rewritesDecided?: number;
}
const status = (): Status => JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as Status;
const key = () =>
  Buffer.from(readFileSync(join(sb.hookpackHome, "broker", "broker.key"), "utf8").trim(), "hex");
const held = () => status().grantsHeld ?? -1;
const callFor = (command: string) => ({
  command,
  agent: "claude-code",
  session: "s1",
  cwd: dir,
  toolCallId: "toolu_e",
  self: { node: process.execPath, script: BIN },
});

/** Runs a rewritten command; true when the value reached the program (it printed its length). */
function ran(command: string): boolean {
  const r = bash(sb, command, dir);
  expect(r.stdout + r.stderr, "the value is never printed").not.toContain(value);
  return r.status === 0 && r.stdout.trim() === String(value.length);
}

/** The early request as the hook's entry sends it (signed with the broker key, fresh nonce). */
function earlyLine(command: string, nonce = randomBytes(16).toString("hex")) {
  const body = JSON.stringify({
    op: "rewrite",
    call: callFor(command),
    nonce,
    at: Date.now(),
    build: status().build,
    early: true,
  });
  return { nonce, body, line: JSON.stringify({ v: 2, body, mac: mac(key(), "v2", body) }) };
}
const confirmLine = (nonce: string, k = key()) =>
  JSON.stringify({ confirm: mac(k, "confirm", nonce) });

/** One connection: sends `line`, returns the broker's answer and the connection, left open. */
function open(line: string): Promise<{ reply: Record<string, unknown>; socket: Socket }> {
  return new Promise((res, rej) => {
    const socket = connect(status().socket);
    let buf = "";
    let n = 0;
    socket.setEncoding("utf8");
    socket.on("error", rej);
    socket.on("data", (c: string) => {
      buf += c;
      let i;
      while ((i = buf.indexOf("\n")) !== -1) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (++n === 2) {
          const env = JSON.parse(l) as { body: string };
          res({ reply: JSON.parse(env.body) as Record<string, unknown>, socket });
        }
      }
    });
    socket.write(`${line}\n`);
  });
}
const commandOf = (reply: Record<string, unknown>) =>
  (reply.verdict as { patch?: { command?: string } } | undefined)?.patch?.command ?? "";
const closed = (s: Socket) =>
  new Promise<void>((r) => {
    if (s.destroyed) return r();
    s.once("close", () => r());
    s.end();
  });

describe("held grants: the broker's side", () => {
  it("control: an early request confirmed on its own connection runs", async () => {
    const e = earlyLine(OK);
    const { reply, socket } = await open(e.line);
    expect(reply.ok).toBe(true);
    expect(held()).toBe(1);
    socket.write(`${confirmLine(e.nonce)}\n`);
    await closed(socket);
    await waitFor(() => held() === 0);
    expect(ran(commandOf(reply))).toBe(true);
  });

  it("a connection that closes unconfirmed leaves no usable grant", async () => {
    const e = earlyLine(OK);
    const { reply, socket } = await open(e.line);
    expect(held()).toBe(1);
    socket.destroy();
    await waitFor(() => held() === 0);
    const got = ran(commandOf(reply));
    T.held.attempt(!got);
    expect(got).toBe(false);
  });

  it("a redeem racing the confirmation is refused, and the grant stays burnt after it", async () => {
    const e = earlyLine(OK);
    const { reply, socket } = await open(e.line);
    // The rewritten command (as an agent that saw it would run it) before the hook confirmed: the
    // broker waits for the confirmation, which does not come while the run lasts.
    const first = ran(commandOf(reply));
    socket.write(`${confirmLine(e.nonce)}\n`);
    await closed(socket);
    const second = ran(commandOf(reply));
    T.held.attempt(!first && !second);
    expect(first).toBe(false);
    expect(second).toBe(false);
  });

  const badConfirms: Array<[string, (nonce: string) => string]> = [
    ["signed with another key", (n) => confirmLine(n, randomBytes(32))],
    ["signed over another request's nonce", () => confirmLine(randomBytes(16).toString("hex"))],
    ["unsigned", () => JSON.stringify({ confirm: "0".repeat(64) })],
    ["another line altogether", () => JSON.stringify({ op: "status" })],
  ];
  for (const [what, line] of badConfirms)
    it(`a confirmation ${what} arms nothing`, async () => {
      const e = earlyLine(OK);
      const { reply, socket } = await open(e.line);
      socket.write(`${line(e.nonce)}\n`);
      await closed(socket);
      await waitFor(() => held() === 0);
      const got = ran(commandOf(reply));
      T.held.attempt(!got);
      expect(got).toBe(false);
    });

  it("a confirmation sent on another connection arms nothing", async () => {
    const e = earlyLine(OK);
    const { reply, socket } = await open(e.line);
    // The attacker's own connection: the confirmation as its first line (it is no request).
    const other = await open(confirmLine(e.nonce));
    expect(other.reply.ok).toBe(false);
    other.socket.destroy();
    expect(held()).toBe(1);
    socket.destroy();
    await waitFor(() => held() === 0);
    const got = ran(commandOf(reply));
    T.held.attempt(!got);
    expect(got).toBe(false);
  });

  it("an early request replayed, or not signed as sent, is refused and holds nothing", async () => {
    const e = earlyLine(OK);
    const first = await open(e.line);
    first.socket.write(`${confirmLine(e.nonce)}\n`);
    await closed(first.socket);
    const attempts = [
      e.line,
      // The body changed after signing (the `early` flag taken out: an armed grant at once).
      JSON.stringify({ v: 2, body: e.body.replace(',"early":true', ""), mac: "x" }),
      JSON.stringify({
        v: 2,
        body: e.body.replace(',"early":true', ""),
        mac: mac(key(), "v2", e.body),
      }),
      JSON.stringify({ v: 2, body: earlyLine(OK).body, mac: mac(randomBytes(32), "v2", e.body) }),
    ];
    for (const line of attempts) {
      const { reply, socket } = await open(line);
      socket.destroy();
      const refused = reply.ok === false && reply.code === "BROKER_UNAUTHENTICATED";
      T.request.attempt(refused && held() === 0);
      expect(reply.code).toBe("BROKER_UNAUTHENTICATED");
      expect(held()).toBe(0);
    }
  });
});

/** The real hook on one Claude Code payload given as JSON text. */
function hook(payload: Record<string, unknown>): { stdout: string; stderr: string } {
  const r = hookSync(sb, dir, payload);
  return { stdout: r.stdout, stderr: r.stderr };
}
const payload = (command: string, extra: Record<string, unknown> = {}) =>
  bashPayload(sb, dir, command, { tool_use_id: "toolu_h", ...extra });

describe("the real hook", () => {
  it("control: an ordinary call is rewritten from its early request (one request) and runs", async () => {
    const before = status().rewritesDecided ?? 0;
    const out = hook(payload(OK));
    const command = (
      JSON.parse(out.stdout) as { hookSpecificOutput: { updatedInput: { command: string } } }
    ).hookSpecificOutput.updatedInput.command;
    expect(status().rewritesDecided).toBe(before + 1);
    await waitFor(() => held() === 0);
    expect(ran(command)).toBe(true);
  });

  const denied: Array<[string, () => Record<string, unknown>]> = [
    // The adapter refuses the payload (the entry's early parse took it): no rule runs.
    ["a payload the adapter refuses", () => payload(OK, { tool_use_id: 5 })],
    // The literal-secret rule denies; the rewrite rule still ran and took the early answer.
    ["a call another rule denies", () => payload(`${OK} # ${fakeGithubToken()}`)],
  ];
  for (const [what, p] of denied)
    it(`${what}: the early request's grant is revoked`, async () => {
      const s0 = status();
      const out = hook(p());
      expect(out.stdout + out.stderr).not.toContain(value);
      expect(out.stdout).not.toContain("--grant-key");
      const s1 = status();
      // The early request did reach the broker (it minted), and nothing stays held or pending.
      expect(s1.rewritesDecided).toBe((s0.rewritesDecided ?? 0) + 1);
      await waitFor(() => held() === 0);
      const pending = status().grantsPending;
      T.hook.attempt(pending === s0.grantsPending);
      expect(pending).toBe(s0.grantsPending);
    });

  it("a call the hook reads otherwise than the early request: that answer is not used, its grant revoked", async () => {
    // The entry's bundle in this process, then the hook's side with another call (here: the
    // command with one more space), as hooks/secret-ref-host.ts takes it.
    const early = createRequire(import.meta.url)(
      distBundle("rewrite-early"),
    ) as typeof import("../../hooks/rewrite-early.js");
    const s0 = status();
    early.startEarlyRewrite(JSON.stringify(payload(OK)), sb.env);
    const slot = takeEarlyRewrite();
    expect(slot).toBeDefined();
    // The broker has decided it and holds its grant before the hook's side looks.
    await waitFor(() => held() === 1);
    expect(status().rewritesDecided).toBe((s0.rewritesDecided ?? 0) + 1);
    const self = { node: process.execPath, script: join(BIN, "..", "hookpack.cjs") };
    const got = await slot!.take(sb.hookpackHome, {
      command: `${OK} `,
      agent: "claude-code",
      session: "s1",
      cwd: dir,
      toolCallId: "toolu_h",
      agentRules: { deny: [], ask: [] },
      self,
    });
    await waitFor(() => held() === 0);
    const pending = status().grantsPending;
    T.hook.attempt(got === "unmatched" && pending === s0.grantsPending);
    expect(got).toBe("unmatched");
    expect(status().rewritesDecided).toBe((s0.rewritesDecided ?? 0) + 1);
    expect(pending).toBe(s0.grantsPending);
  });

  it("the same call taken, then an answer without it: revoked; with it: armed", async () => {
    const early = createRequire(import.meta.url)(
      distBundle("rewrite-early"),
    ) as typeof import("../../hooks/rewrite-early.js");
    const self = { node: process.execPath, script: join(BIN, "..", "hookpack.cjs") };
    const call = {
      command: OK,
      agent: "claude-code",
      session: "s1",
      cwd: dir,
      toolCallId: "toolu_h",
      agentRules: { deny: [], ask: [] },
      self,
    };
    const commands: string[] = [];
    for (const answer of ["deny", "carry"] as const) {
      early.startEarlyRewrite(JSON.stringify(payload(OK)), {
        ...sb.env,
        // No settings of the user's: the agent's rules are the empty ones of `call`.
        CLAUDE_CONFIG_DIR: join(sb.dir, "no-claude"),
      });
      const got = await takeEarlyRewrite()!.take(sb.hookpackHome, call);
      expect(got).not.toBe("unmatched");
      const command = (got as { patch: { command: string } }).patch.command;
      expect(held()).toBe(1);
      settleEarlyRewrite(answer === "carry" ? JSON.stringify({ command }) : '{"deny":1}');
      await waitFor(() => held() === 0);
      commands.push(command);
    }
    const deniedRan = ran(commands[0]!);
    T.hook.attempt(!deniedRan);
    expect(deniedRan).toBe(false);
    expect(ran(commands[1]!)).toBe(true);
  });
});

describe("after a real `hookpack install` (the installed launcher command, its runtime copy)", () => {
  let ib: InstalledSandbox;
  let hookCommand: string;
  const env = () => ({ ...ib.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
  beforeAll(async () => {
    ib = installedSandbox();
    spawnSync("git", ["init", "-q"], { cwd: ib.project });
    const r = await hookpack(
      ["install", "--agent", "claude-code", "--no-git-hook", "--no-ignore-files"],
      { env: env(), cwd: ib.project },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
      env: env(),
      cwd: ib.project,
      input: value,
    });
    expect(set.exitCode, set.stderr).toBe(0);
    writeFileSync(
      join(ib.project, "hookpack.json"),
      `${JSON.stringify({
        version: 1,
        secrets: {
          DEPLOY_KEY: { provider: "store", commands: ["printf", "sha256sum", "wc", "bash"] },
        },
      })}\n`,
    );
    approvePolicy(ib.hookpackHome, ib.project);
    const settings = ["settings.local.json", "settings.json"]
      .map((f) => join(ib.project, ".claude", f))
      .find(existsSync)!;
    hookCommand = (
      JSON.parse(readFileSync(settings, "utf8")) as {
        hooks: { PreToolUse: Array<{ hooks: Array<{ command: string }> }> };
      }
    ).hooks.PreToolUse[0]!.hooks[0]!.command;
  }, 60_000);
  afterAll(async () => {
    await hookpack(["broker", "stop"], { env: env(), cwd: ib.project });
    ib?.cleanup();
  });

  it("pipes, here-strings and bash -c are rewritten from the early request (one request each) and run", async () => {
    const decided = async () => {
      const r = await hookpack(["broker", "status", "--json"], { env: env(), cwd: ib.project });
      return JSON.parse(r.stdout) as { rewritesDecided?: number; grantsHeld?: number };
    };
    // The first call starts the broker (no early answer then); the later ones find it running.
    const shapes = [
      'printf %s "$secret:DEPLOY_KEY" | sha256sum',
      'printf %s "$secret:DEPLOY_KEY" | wc -c',
      'sha256sum <<< "$secret:DEPLOY_KEY"',
      `K=$secret:DEPLOY_KEY bash -c 'printf %s "$K" | wc -c'`,
    ];
    let before: number | undefined;
    for (const cmd of shapes) {
      const r = spawnSync("sh", ["-c", hookCommand], {
        cwd: ib.project,
        env: env(),
        input: JSON.stringify({
          session_id: "s",
          transcript_path: join(ib.root, "t.jsonl"),
          cwd: ib.project,
          permission_mode: "default",
          hook_event_name: "PreToolUse",
          tool_name: "Bash",
          tool_input: { command: cmd },
          tool_use_id: `toolu_${randomBytes(6).toString("hex")}`,
        }),
        encoding: "utf8",
      });
      const rewritten = (
        JSON.parse(r.stdout || "{}") as {
          hookSpecificOutput?: { updatedInput?: { command?: string } };
        }
      ).hookSpecificOutput?.updatedInput?.command;
      expect(rewritten, `${cmd}: ${r.stdout.replaceAll(value, "<VALUE>")}`).toContain(
        join(ib.hookpackHome, "runtime"),
      );
      expect(r.stdout + r.stderr).not.toContain(value);
      const ran = spawnSync("bash", ["-c", rewritten!], {
        cwd: ib.project,
        env: env(),
        encoding: "utf8",
      });
      expect(ran.status, cmd).toBe(0);
      expect(ran.stdout + ran.stderr).not.toContain(value);
      const d = (await decided()).rewritesDecided ?? 0;
      if (before !== undefined) expect(d, `${cmd}: one request to the broker`).toBe(before + 1);
      before = d;
    }
    expect((await decided()).grantsHeld).toBe(0);
  });
});
