// The per-user broker process (broker/daemon.ts), with real processes: started on demand by the
// hook, one per HOOKPACK_HOME even with concurrent starters, replaced after a crash (SIGKILL: its
// socket is left behind), stopped when idle, restarted when another build answers, and failing
// closed (only for calls that need a secret) when it cannot start. The hook's allow path never
// starts or asks it.
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  bash,
  brokerClient,
  brokerMint,
  brokerPids,
  fakeSecret,
  project,
  preToolUse,
  ROOT,
  run,
  sandbox,
  setSecret,
  waitFor,
  type Sandbox,
} from "./helpers.js";
import { distBundle } from "../helpers/sandbox.js";

const POLICY = {
  version: 1,
  defaults: { approval: "auto" },
  secrets: { T: { commands: ["bash", "printf", "wc"] } },
};
// One-process delivery: bash receives the value (a pipe after the receiving program would see its masked output).
const COMMAND = `T=$secret:T bash -c 'printf %s "$T" | wc -c'`;
const grantReq = (argv: string[] = ["true"]) => ({
  names: ["T"],
  argv,
  agent: "claude-code",
  session: "s1",
  toolCallId: "t1",
  cwd: "/tmp",
  ttlMs: 60_000,
  approval: "auto" as const,
});
const status = (sb: Sandbox) =>
  JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as {
    running: boolean;
    pid?: number;
    grantsPending?: number;
    sameBuild?: boolean;
    socket: string;
    build?: string;
  };

let sb: Sandbox;
beforeAll(() => assertBuilt());
afterEach(() => {
  if (sb) {
    run(sb, ["broker", "stop"]);
    sb.cleanup();
  }
});

describe("broker lifecycle (real processes)", () => {
  it("starts on demand from the hook; the rewritten command redeems its grant there; `broker status|stop`", () => {
    sb = sandbox();
    const value = fakeSecret();
    setSecret(sb, "T", value);
    const dir = project(sb, POLICY);
    expect(status(sb).running).toBe(false);
    const plain = preToolUse(sb, dir, "ls -la");
    expect(plain.command).toBeUndefined();
    // The allow path neither starts nor asks the broker.
    expect(status(sb).running).toBe(false);
    expect(existsSync(join(sb.hookpackHome, "broker"))).toBe(false);

    const hook = preToolUse(sb, dir, COMMAND);
    expect(hook.command).toMatch(/exec --grant g_[a-z2-7]{26}/);
    const s = status(sb);
    expect(s).toMatchObject({ running: true, grantsPending: 1, sameBuild: true });
    expect(brokerPids(sb.hookpackHome)).toEqual([s.pid]);
    expect(lstatSync(s.socket).isSocket()).toBe(true);
    expect(statSync(s.socket).mode & 0o777).toBe(0o600);
    expect(statSync(join(sb.hookpackHome, "broker")).mode & 0o777).toBe(0o700);
    expect(statSync(join(sb.hookpackHome, "broker", "broker.key")).mode & 0o777).toBe(0o600);
    const r = bash(sb, hook.command!, dir);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(String(value.length));
    expect(status(sb).grantsPending).toBe(0);
    const human = run(sb, ["broker", "status"]);
    expect(human.stdout).toMatch(/^hookpack: broker running for .*\n {2}pid \d+/);
    expect(run(sb, ["broker", "stop"]).stdout).toMatch(/stopped/);
    expect(status(sb).running).toBe(false);
    expect(existsSync(s.socket)).toBe(false);
    expect(run(sb, ["broker", "stop"]).stdout).toMatch(/no broker is running/);
    expect(run(sb, ["broker", "restart"]).stderr).toMatch(
      /^hookpack: `broker` takes start, status or stop/,
    );
  });

  it("two (and eight) concurrent starters start exactly one broker, and every grant lives there", async () => {
    sb = sandbox();
    // The broker mints only what the policy in force allows: T must exist (issue 21).
    setSecret(sb, "T", fakeSecret());
    const script = `const c=require(${JSON.stringify(distBundle("broker-client"))});c.mintGrantVia(process.env.HOOKPACK_HOME,process.env,${JSON.stringify(grantReq())}).then(g=>console.log(g.id),e=>{console.error(e.message);process.exit(3)})`;
    for (const n of [2, 8]) {
      const kids = Array.from({ length: n }, () => {
        const child = spawn(process.execPath, ["-e", script], {
          env: sb.env,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        return new Promise<{ code: number | null; out: string }>((res) =>
          child.on("close", (code) => res({ code, out: out.trim() })),
        );
      });
      const results = await Promise.all(kids);
      expect(results.map((r) => r.code)).toEqual(Array(n).fill(0));
      expect(brokerPids(sb.hookpackHome)).toHaveLength(1);
      const ids = results.map((r) => r.out);
      expect(new Set(ids).size).toBe(n);
      for (const id of ids)
        expect(
          (
            await brokerClient().redeemVia(sb.hookpackHome, sb.env, {
              id,
              argv: ["true"],
              names: ["T"],
              cwd: sb.dir,
            })
          ).grant.id,
        ).toBe(id);
    }
  });

  it("a crashed broker (SIGKILL, its socket left behind) is replaced on the next call; its grants are gone and refused", async () => {
    sb = sandbox();
    setSecret(sb, "T", fakeSecret());
    const old = await brokerMint(sb, grantReq(["bash", "-c", "true"]));
    const [pid] = brokerPids(sb.hookpackHome);
    process.kill(pid!, "SIGKILL");
    await waitFor(() => brokerPids(sb.hookpackHome).length === 0);
    const sock = status(sb).socket;
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(status(sb).running).toBe(false);
    const refused = run(sb, [
      "exec",
      "--grant",
      old.id,
      "--secret",
      "T=HOOKPACK_SECRET_T",
      "--",
      "bash",
      "-c",
      "true",
    ]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^hookpack: grant g_\w+ is unknown here: the hookpack broker for .* cannot be reached .*The command was not started\./m,
    );
    const fresh = await brokerMint(sb, grantReq());
    const pids = brokerPids(sb.hookpackHome);
    expect(pids).toHaveLength(1);
    expect(pids[0]).not.toBe(pid);
    expect(fresh.id).not.toBe(old.id);
    const again = run(sb, [
      "exec",
      "--grant",
      old.id,
      "--secret",
      "T=HOOKPACK_SECRET_T",
      "--",
      "bash",
      "-c",
      "true",
    ]);
    expect(again.stderr).toMatch(/unknown to the hookpack broker/);
  });

  it("a stale socket file from a dead process is replaced; a non-socket file in its place fails closed with a reason", async () => {
    sb = sandbox();
    // The broker mints only what the policy in force allows: T must exist (issue 21).
    setSecret(sb, "T", fakeSecret());
    const sock = status(sb).socket;
    // A process that bound the socket and died without removing it.
    const dead = spawn(
      process.execPath,
      [
        "-e",
        `require("fs").mkdirSync(${JSON.stringify(dirname(sock))},{recursive:true,mode:0o700});require("net").createServer().listen(${JSON.stringify(sock)},()=>process.kill(process.pid,"SIGKILL"))`,
      ],
      { stdio: "ignore" },
    );
    await new Promise((r) => dead.on("close", r));
    expect(lstatSync(sock).isSocket()).toBe(true);
    await brokerMint(sb, grantReq());
    expect(status(sb).running).toBe(true);
    run(sb, ["broker", "stop"]);
    writeFileSync(sock, "not a socket");
    await expect(brokerMint(sb, grantReq())).rejects.toThrow(
      /not available \(.*is not a socket; remove it\).*The command was not started/,
    );
  });

  it("stops when idle (nothing pending) and removes its socket; a pending grant keeps it alive", async () => {
    sb = sandbox({ HOOKPACK_BROKER_IDLE_MS: "400" });
    // The broker mints only what the policy in force allows: T must exist (issue 21).
    setSecret(sb, "T", fakeSecret());
    const g = await brokerMint(sb, grantReq());
    const sock = status(sb).socket;
    await new Promise((r) => setTimeout(r, 1500));
    expect(brokerPids(sb.hookpackHome)).toHaveLength(1);
    await brokerClient().redeemVia(sb.hookpackHome, sb.env, {
      id: g.id,
      argv: ["true"],
      names: ["T"],
      cwd: sb.dir,
    });
    await waitFor(() => brokerPids(sb.hookpackHome).length === 0, 5000);
    expect(existsSync(sock)).toBe(false);
    expect(existsSync(join(sb.hookpackHome, "broker", "broker.json"))).toBe(false);
  });

  it("a broker of another build is stopped and replaced by the hook's own", async () => {
    sb = sandbox();
    // The broker mints only what the policy in force allows: T must exist (issue 21).
    setSecret(sb, "T", fakeSecret());
    const other = mkdtempSync(join(tmpdir(), "hookpack-otherbuild-"));
    try {
      cpSync(join(ROOT, "dist"), join(other, "dist"), { recursive: true });
      // Same version, another build: the daemon bundle differs.
      writeFileSync(
        join(other, "dist", "broker-daemon.cjs"),
        `${readFileSync(join(other, "dist", "broker-daemon.cjs"), "utf8")}\n// another build\n`,
      );
      const otherClient = createRequire(import.meta.url)(
        join(other, "dist", "broker-client.cjs"),
      ) as typeof import("../../broker/client.js");
      await otherClient.mintGrantVia(sb.hookpackHome, sb.env, grantReq());
      const [oldPid] = brokerPids(sb.hookpackHome);
      expect(status(sb)).toMatchObject({ running: true, sameBuild: false });
      const dir = project(sb, POLICY);
      setSecret(sb, "T", fakeSecret());
      const hook = preToolUse(sb, dir, COMMAND);
      expect(hook.command).toMatch(/exec --grant/);
      const s = status(sb);
      expect(s).toMatchObject({ running: true, sameBuild: true });
      expect(s.pid).not.toBe(oldPid);
      expect(brokerPids(sb.hookpackHome)).toEqual([s.pid]);
      expect(bash(sb, hook.command!, dir).status).toBe(0);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("when the broker cannot start, a call with a reference is denied with the reason; other calls pass", () => {
    sb = sandbox();
    setSecret(sb, "T", fakeSecret());
    const dir = project(sb, POLICY);
    writeFileSync(join(sb.hookpackHome, "broker"), "a file where the broker's directory belongs");
    const hook = preToolUse(sb, dir, COMMAND);
    expect(hook.decision).toBe("deny");
    expect(hook.reason).toMatch(/broker/);
    expect(hook.command).toBeUndefined();
    const plain = preToolUse(sb, dir, "echo hello");
    expect(plain.decision).not.toBe("deny");
  });

  it("a deep HOOKPACK_HOME (socket path over the sun_path limit) gets a short private socket directory", async () => {
    const deep = join("a".repeat(60), "b".repeat(60));
    sb = sandbox();
    sb.env.HOOKPACK_HOME = join(sb.dir, deep);
    setSecret(sb, "T", fakeSecret());
    const s0 = JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as { socket: string };
    expect(Buffer.byteLength(join(sb.dir, deep, "run", "broker.sock"))).toBeGreaterThan(107);
    expect(Buffer.byteLength(s0.socket)).toBeLessThanOrEqual(100);
    await brokerClient().mintGrantVia(sb.env.HOOKPACK_HOME, sb.env, grantReq());
    const s = JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as {
      running: boolean;
      socket: string;
    };
    expect(s.running).toBe(true);
    const dir = s.socket.slice(0, s.socket.lastIndexOf("/"));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toContain(s.socket.slice(dir.length + 1));
    run(sb, ["broker", "stop"]);
    expect(existsSync(s.socket)).toBe(false);
  });
});
