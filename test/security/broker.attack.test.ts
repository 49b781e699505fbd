// Hostile agent vs the broker's grants (real hook, real `hookpack exec`, real broker process, raw
// socket clients). The agent sees the rewritten command (grant id, argv) and runs as the same
// user, so it can connect to the broker's socket. What must hold: a grant runs exactly the command
// it was minted for, once; ids cannot be guessed, replayed or rebuilt for another command; no
// grant exists on disk to copy or list; minting, revoking and stopping need the broker key
// (which a sandboxed agent cannot read); a process squatting on the socket is not believed.
import { createHmac, randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  bash,
  brokerPids,
  fakeSecret,
  helloExchange,
  preToolUse,
  project,
  run,
  sandbox,
  setSecret,
  type Sandbox,
} from "../broker/helpers.js";

// One-process delivery: the program that receives the value is bash (its output, a count, is not
// the value); a pipe after the receiving program would only ever see masked output.
const CMD = `T=$secret:T bash -c 'printf %s "$T" | wc -c'`;
const POLICY = {
  version: 1,
  defaults: { approval: "auto" },
  secrets: { T: { commands: ["bash", "printf", "wc", "cat"] } },
};
const tally: Record<string, { contained: number; attempts: number }> = {};
const attempt = (family: string, contained: boolean) => {
  tally[family] ??= { contained: 0, attempts: 0 };
  tally[family].attempts++;
  if (contained) tally[family].contained++;
  return contained;
};
afterAll(() => {
  for (const [family, t] of Object.entries(tally))
    console.log(`broker attacks, ${family}: ${t.contained}/${t.attempts} contained`);
});

let sb: Sandbox;
let value: string;
let dir: string;
beforeAll(() => assertBuilt());
afterEach(() => {
  run(sb, ["broker", "stop"]);
  sb.cleanup();
});
function setup(): void {
  sb = sandbox();
  value = fakeSecret();
  setSecret(sb, "T", value);
  dir = project(sb, POLICY);
}

/** The grant id, the --secret flags and the argv of a rewritten command. */
function parts(command: string): { id: string; head: string; argvText: string } {
  const m = /^(.*exec --grant (g_[a-z2-7]{26}) .*?-- )(.*)$/s.exec(command);
  if (!m) throw new Error(`not a brokered command: ${command}`);
  return { id: m[2]!, head: m[1]!, argvText: m[3]! };
}

/** One raw request on the broker's socket, as any same-user process can send it. */
async function raw(
  socket: string,
  body: Record<string, unknown>,
  sign?: (nonce: string, text: string) => string,
): Promise<Record<string, unknown>> {
  const { answer } = await helloExchange(socket, (hello) => {
    const text = JSON.stringify({ ...body, nonce: "n" });
    return JSON.stringify({ body: text, ...(sign ? { mac: sign(hello.nonce, text) } : {}) });
  });
  return JSON.parse((JSON.parse(answer) as { body: string }).body) as Record<string, unknown>;
}
const socketOf = () =>
  (JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as { socket: string }).socket;

describe("broker: replayed, forged and reconstructed grants", () => {
  it("a replay of the rewritten command (again, in a loop, in the background) is refused; the value never prints", () => {
    setup();
    const hook = preToolUse(sb, dir, CMD);
    const cmd = hook.command!;
    expect(bash(sb, cmd, dir).stdout.trim()).toBe(String(value.length));
    for (const replay of [
      cmd,
      `${cmd}; ${cmd}`,
      `for i in 1 2 3; do ${cmd}; done`,
      `(${cmd}) & wait`,
      `bash -c ${JSON.stringify(cmd)}`,
    ]) {
      const r = bash(sb, replay, dir);
      expect(
        attempt(
          "replay",
          !r.stdout.includes(String(value.length)) &&
            /already used/.test(r.stderr) &&
            !`${r.stdout}${r.stderr}`.includes(value),
        ),
      ).toBe(true);
    }
  });

  it("eight concurrent redeemers of one grant: exactly one runs", async () => {
    setup();
    const hook = preToolUse(sb, dir, CMD);
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => {
        const child = spawn("bash", ["-c", hook.command!], {
          env: sb.env,
          cwd: dir,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        return new Promise<string>((res) => child.on("close", () => res(out.trim())));
      }),
    );
    expect(attempt("race", runs.filter((o) => o === String(value.length)).length === 1)).toBe(true);
  });

  it("forged ids (random, well-formed) and malformed ids are refused before anything starts", async () => {
    setup();
    const hook = preToolUse(sb, dir, CMD);
    const { head, argvText, id } = parts(hook.command!);
    const B32 = "abcdefghijklmnopqrstuvwxyz234567";
    const forged = Array.from(
      { length: 20 },
      () => `g_${Array.from(randomBytes(26), (b) => B32[b & 31]).join("")}`,
    );
    // Near misses of the real id: one character changed.
    forged.push(
      ...[0, 5, 25].map(
        (i) => `g_${id.slice(2, 2 + i)}${id[2 + i] === "a" ? "b" : "a"}${id.slice(3 + i)}`,
      ),
    );
    for (const f of forged) {
      const r = bash(sb, `${head.replace(id, f)}${argvText}`, dir);
      expect(
        attempt(
          "forged",
          r.status === 2 && /unknown to the hookpack broker/.test(r.stderr) && r.stdout === "",
        ),
      ).toBe(true);
    }
    for (const bad of ["g_../../etc/passwd", "", "G_AAAAAAAAAAAAAAAAAAAAAAAAAA", `${id}x`]) {
      const r = bash(sb, `${head.replace(id, bad)}${argvText}`, dir);
      expect(attempt("forged", r.status === 2 && r.stdout === "")).toBe(true);
    }
    // Straight to the socket: no key needed to try, and nothing comes back.
    for (const f of forged.slice(0, 5)) {
      const reply = await raw(socketOf(), {
        op: "redeem",
        id: f,
        argv: ["bash", "-c", "env"],
        names: ["T"],
      });
      expect(
        attempt(
          "forged",
          reply.ok === false &&
            reply.code === "GRANT_UNKNOWN" &&
            !JSON.stringify(reply).includes(value),
        ),
      ).toBe(true);
    }
    // The real grant is still good for its own command.
    expect(bash(sb, hook.command!, dir).stdout.trim()).toBe(String(value.length));
  });

  it("a real grant id rebuilt for another command, other secrets or other variables is refused and burnt", async () => {
    setup();
    const variants = [
      (h: string, a: string) => `${h}${a.replace("wc -c'", "wc -c; env'")}`,
      (h: string, a: string) => `${h}${a.replace("wc -c", "cat")}`,
      (h: string) => `${h}bash -c 'printenv T'`,
      (h: string, a: string) => `${h.replace(/--grant-key [a-z2-7]+ /, "")}${a}`,
      (h: string, a: string) =>
        `${h.replace(/--grant-key [a-z2-7]+ /, `--grant-key ${"a".repeat(26)} `)}${a}`,
      (h: string, a: string) => `${h.replace("--grant-key", "--stdin-refs --grant-key")}${a}`,
      (h: string, a: string) => `${h.replace(/^T=/, "T=x")}${a}`,
      (h: string, a: string) => `${h.replace(/^T=(\S+) /, "T=$1 BASH_ENV=$1 ")}${a}`,
    ];
    for (const variant of variants) {
      const hook = preToolUse(sb, dir, CMD, {
        toolUseId: `toolu_${randomBytes(4).toString("hex")}`,
      });
      const { head, argvText } = parts(hook.command!);
      const r = bash(sb, variant(head, argvText), dir);
      const after = bash(sb, hook.command!, dir);
      expect(
        attempt(
          "reconstructed",
          r.status !== 0 &&
            !`${r.stdout}${r.stderr}`.includes(value) &&
            /already used|different command|without its key|unknown secret|not started/.test(
              `${r.stderr}${after.stderr}`,
            ) &&
            after.stdout.trim() !== String(value.length),
        ),
      ).toBe(true);
    }
    // Over the socket with the exact argv of a fresh grant but one argument changed.
    const hook = preToolUse(sb, dir, CMD, { toolUseId: "toolu_sock" });
    const { id } = parts(hook.command!);
    const reply = await raw(socketOf(), {
      op: "redeem",
      id,
      argv: ["bash", "-c", "env"],
      names: ["T"],
    });
    expect(attempt("reconstructed", reply.code === "GRANT_MISMATCH")).toBe(true);
    expect(attempt("reconstructed", /already used/.test(bash(sb, hook.command!, dir).stderr))).toBe(
      true,
    );
  });
});

describe("broker: its socket and its state", () => {
  it("no grant is on disk: nothing under HOOKPACK_HOME names a pending grant", () => {
    setup();
    const hook = preToolUse(sb, dir, CMD);
    const { id } = parts(hook.command!);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) files.push(p);
      }
    };
    walk(sb.hookpackHome);
    const holding = files.filter(
      (f) => readFileSync(f).includes(id) || readFileSync(f).includes(id.slice(2)),
    );
    expect(attempt("state", holding.length === 0)).toBe(true);
    expect(
      attempt(
        "state",
        !readdirSync(sb.hookpackHome).includes("grants") ||
          readdirSync(join(sb.hookpackHome, "grants")).every((f) => !f.startsWith("g_")),
      ),
    ).toBe(true);
    expect(statSync(socketOf()).mode & 0o077).toBe(0);
  });

  it("mint, offered, revoke and stop without the broker key (or with a wrong one) are refused", async () => {
    setup();
    preToolUse(sb, dir, CMD);
    const socket = socketOf();
    const req = {
      names: ["T"],
      argv: ["bash", "-c", "env"],
      agent: "claude-code",
      session: "s1",
      toolCallId: "x",
      cwd: dir,
      ttlMs: 60_000,
      approval: "auto",
    };
    const wrongKey = randomBytes(32);
    const wrong = (nonce: string, text: string) =>
      createHmac("sha256", wrongKey).update(`${nonce}\n${text}`).digest("hex");
    const replayedMac = (_nonce: string, text: string) =>
      createHmac("sha256", wrongKey).update(`0000\n${text}`).digest("hex");
    for (const body of [
      { op: "mint", req },
      { op: "revoke", name: "T" },
      { op: "stop" },
      { op: "offered", call: { id: "g_x", names: ["T"], argv: [], agent: "a", session: "s" } },
    ]) {
      for (const sign of [undefined, wrong, replayedMac]) {
        const reply = await raw(socket, body, sign);
        expect(
          attempt("unauthenticated", reply.ok === false && reply.code === "BROKER_UNAUTHENTICATED"),
        ).toBe(true);
      }
    }
    expect(brokerPids(sb.hookpackHome)).toHaveLength(1);
  });

  it("a process squatting on the socket (broker down) is not believed: the hook fails closed, nothing leaks to it", async () => {
    setup();
    preToolUse(sb, dir, CMD);
    const socket = socketOf();
    run(sb, ["broker", "stop"]);
    const log = join(sb.dir, "squatter.log");
    // The squatter answers like a broker of this very build (so the hook does not try to restart
    // it) and signs nothing it could sign: it does not hold the key.
    const build = /build ([^,]+),/.exec(
      readFileSync(join(sb.hookpackHome, "broker", "broker.log"), "utf8"),
    )![1]!;
    const squatter = spawn(
      process.execPath,
      [
        "-e",
        `
      const fs = require("fs");
      require("net").createServer((s) => {
        s.write(JSON.stringify({ hello: 1, protocol: 1, version: "0.1.0", build: ${JSON.stringify(build)}, pid: process.pid, nonce: "00" }) + "\\n");
        s.on("data", (d) => {
          fs.appendFileSync(${JSON.stringify(log)}, d);
          s.write(JSON.stringify({ body: JSON.stringify({ ok: true, id: "g_aaaaaaaaaaaaaaaaaaaaaaaaaa", expiresAt: "2099-01-01T00:00:00Z" }), mac: "0".repeat(64) }) + "\\n");
        });
      }).listen(${JSON.stringify(socket)}, () => console.log("up"));`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise((r) => squatter.stdout!.once("data", r));
    try {
      const hook = preToolUse(sb, dir, CMD);
      expect(attempt("squatter", hook.command === undefined && hook.decision === "deny")).toBe(
        true,
      );
      const key = readFileSync(join(sb.hookpackHome, "broker", "broker.key"), "utf8").trim();
      const seen = readFileSync(log, "utf8");
      // Issue 21: the hook's first request to a broker of its build is the one-request rewrite.
      expect(seen).toMatch(/"op\\?":\\?"rewrite/);
      expect(attempt("squatter", !seen.includes(key) && !seen.includes(value))).toBe(true);
    } finally {
      squatter.kill();
    }
  });
});
