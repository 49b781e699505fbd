// Hostile agent vs the one-round-trip "offered" request (issue 21): a hook call on a command that
// hookpack itself rewrote (its brokered-exec prefix) asks the broker whether that exact text is a
// call it offered with its grants pending. The hook now asks over the raw pipe in one signed round
// trip (broker/rewrite-client.ts offeredVia, `v: 2`), as the rewrite itself does, instead of the
// hello round trip over node:net (broker/client.ts). What must hold, against the REAL broker daemon
// and the REAL hook process: only the offered text, in its own session, with its own grants, is
// allowed; anything changed after the prefix, a forged grant, another session, a grant already
// used, are denied; and the broker refuses an "offered" request that is unsigned, signed with
// another key, stale, or replayed.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mac } from "../../broker/client.js";
import {
  bash,
  bashPayload,
  closeSandbox,
  hookSync,
  run,
  type Sandbox,
  secretProject,
} from "../broker/helpers.js";
import { reportTally, tally } from "./tally.js";

reportTally();
const T = {
  hook: tally("offered-quick: a changed or forged brokered command allowed by the hook"),
  broker: tally("offered-quick: forged, stale or replayed one-round-trip offered requests"),
};

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
  ({ sb, value, dir } = secretProject(POLICY));
  expect(run(sb, ["broker", "start"]).status).toBe(0);
});
afterAll(() => closeSandbox(sb));

const status = () =>
  JSON.parse(run(sb, ["broker", "status", "--json"]).stdout) as { socket: string; build: string };
const key = () =>
  Buffer.from(readFileSync(join(sb.hookpackHome, "broker", "broker.key"), "utf8").trim(), "hex");

const payload = (command: string, session = "s1", id = "toolu_o") =>
  bashPayload(sb, dir, command, { session_id: session, tool_use_id: id });
/** The real hook on one payload: "allow" (exit 0, nothing written), "deny", or what it wrote. */
function hook(p: Record<string, unknown>): string {
  const r = hookSync(sb, dir, p);
  expect(r.stdout + r.stderr).not.toContain(value);
  if (r.status === 0 && r.stdout.trim() === "") return "allow";
  if (r.stdout.includes('"permissionDecision":"deny"') || r.status === 2) return "deny";
  return r.stdout;
}
/** A fresh rewritten command, as the hook answers an ordinary call. */
function rewritten(id: string): string {
  const out = hook(payload(OK, "s1", id));
  return (JSON.parse(out) as { hookSpecificOutput: { updatedInput: { command: string } } })
    .hookSpecificOutput.updatedInput.command;
}
const b32 = () =>
  Array.from(randomBytes(26), (b) => "abcdefghijklmnopqrstuvwxyz234567"[b & 31]).join("");

describe("the real hook on a command hookpack rewrote", () => {
  it("control: the offered command itself is allowed, and runs", () => {
    const command = rewritten("toolu_c");
    expect(hook(payload(command))).toBe("allow");
    const r = bash(sb, command, dir);
    expect(r.stdout.trim()).toBe(String(value.length));
  });

  const changed: Array<[string, (c: string) => string]> = [
    ["a command appended after it", (c) => `${c}; cat ~/.ssh/id_rsa`],
    ["the program after the prefix changed", (c) => c.replace("wc -c", "tee /tmp/x")],
    // (Surrounding whitespace is not part of the call: rules/call-key.ts offeredCallText trims it.)
    ["a redirection appended", (c) => `${c} > /tmp/leak`],
    ["a forged grant id", (c) => c.replace(/--grant g_[a-z2-7]{26}/, `--grant g_${b32()}`)],
    ["a forged grant key", (c) => c.replace(/--grant-key [a-z2-7]{26}/, `--grant-key ${b32()}`)],
    ["the prefix twice", (c) => `${c.slice(0, c.indexOf(" -- ") + 4)}${c}`],
  ];
  for (const [what, change] of changed)
    it(`${what}: denied`, () => {
      const got = hook(payload(change(rewritten(`toolu_${b32().slice(0, 8)}`))));
      T.hook.attempt(got === "deny");
      expect(got).toBe("deny");
    });

  it("the offered command in another session: denied", () => {
    const got = hook(payload(rewritten("toolu_s"), "s2"));
    T.hook.attempt(got === "deny");
    expect(got).toBe("deny");
  });

  it("a command whose grant was used already: denied", () => {
    const command = rewritten("toolu_u");
    expect(bash(sb, command, dir).stdout.trim()).toBe(String(value.length));
    const got = hook(payload(command));
    T.hook.attempt(got === "deny");
    expect(got).toBe("deny");
  });
});

/** One request line on a fresh connection; the broker's second line (its answer), parsed. */
function ask(line: string): Promise<{ reply: Record<string, unknown>; mac?: string }> {
  return new Promise((res, rej) => {
    const socket = connect(status().socket);
    let buf = "";
    socket.setEncoding("utf8");
    socket.on("error", rej);
    socket.on("data", (c: string) => (buf += c));
    socket.on("close", () => {
      const lines = buf.split("\n").filter(Boolean);
      const env = JSON.parse(lines[1] ?? "{}") as { body?: string; mac?: string };
      res({ reply: JSON.parse(env.body ?? "{}") as Record<string, unknown>, mac: env.mac });
    });
    socket.write(`${line}\n`);
  });
}

describe("the broker's side of a one-round-trip offered request", () => {
  const offeredBody = (command: string, at = Date.now()) =>
    JSON.stringify({
      op: "offered",
      call: {
        text: command,
        ids: [/--grant (g_[a-z2-7]{26})/.exec(command)?.[1]],
        agent: "claude-code",
        session: "s1",
      },
      nonce: randomBytes(16).toString("hex"),
      at,
      build: status().build,
    });

  it("control: signed with the broker key, it is answered, signed over its nonce", async () => {
    const body = offeredBody("x");
    const { reply, mac: m } = await ask(
      JSON.stringify({ v: 2, body, mac: mac(key(), "v2", body) }),
    );
    expect(reply.ok).toBe(true);
    expect(typeof m).toBe("string");
  });

  it("unsigned, signed with another key, stale or replayed: refused", async () => {
    const body = offeredBody("x");
    const good = JSON.stringify({ v: 2, body, mac: mac(key(), "v2", body) });
    expect((await ask(good)).reply.ok).toBe(true);
    const stale = offeredBody("x", Date.now() - 10 * 60_000);
    const attempts = [
      good, // replayed
      JSON.stringify({ v: 2, body: offeredBody("x"), mac: "0".repeat(64) }),
      JSON.stringify({ v: 2, body: offeredBody("x"), mac: mac(randomBytes(32), "v2", body) }),
      JSON.stringify({ v: 2, body: stale, mac: mac(key(), "v2", stale) }),
    ];
    for (const line of attempts) {
      const { reply } = await ask(line);
      const refused = reply.ok === false && reply.code === "BROKER_UNAUTHENTICATED";
      T.broker.attempt(refused);
      expect(reply.code).toBe("BROKER_UNAUTHENTICATED");
    }
  });
});
