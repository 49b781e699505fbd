// Where the broker listens (broker/paths.ts) follows the environment the broker is started with,
// not the environment of whichever process asks: an in-process client given an env, the CLI run
// with that env and the daemon it started must all name the same socket.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { brokerSocketPath } from "../../broker/paths.js";
import { assertBuilt, brokerClient, fakeSecret, run, sandbox, setSecret } from "./helpers.js";

const LONG = `/x/${"h".repeat(120)}/hookpack`;

describe("brokerSocketPath", () => {
  it("keeps a short home's socket inside the home, whatever the env", () => {
    expect(brokerSocketPath("/home/u/.hookpack", { XDG_RUNTIME_DIR: "/run/user/7" })).toBe(
      "/home/u/.hookpack/run/broker.sock",
    );
  });

  it("moves a long home's socket under the given env's XDG_RUNTIME_DIR, else its TMPDIR", () => {
    const uid = typeof process.getuid === "function" ? process.getuid() : 0;
    const xdg = brokerSocketPath(LONG, { XDG_RUNTIME_DIR: "/run/user/4242" });
    expect(xdg).toMatch(new RegExp(`^/run/user/4242/hookpack-${uid}/[0-9a-f]{20}\\.sock$`));
    const tmp = brokerSocketPath(LONG, { TMPDIR: "/var/tmp/hp-test/" });
    expect(tmp).toMatch(new RegExp(`^/var/tmp/hp-test/hookpack-${uid}/[0-9a-f]{20}\\.sock$`));
    expect(brokerSocketPath(LONG, {})).toMatch(/^\/tmp\/hookpack-/);
    // Same home, same hash: only the base directory comes from the env.
    expect(xdg.split("/").at(-1)).toBe(tmp.split("/").at(-1));
  });
});

describe("an in-process client and the CLI agree on the socket", () => {
  const sb = sandbox();
  afterAll(() => {
    run(sb, ["broker", "stop"], { env });
    sb.cleanup();
  });
  // A HOOKPACK_HOME too long for sun_path, and a temp directory that is not this process's.
  const home = join(sb.dir, "h".repeat(110));
  const tmp = join(sb.dir, "t");
  const env = { ...sb.env, HOOKPACK_HOME: home, TMPDIR: tmp, XDG_RUNTIME_DIR: undefined };

  it("a broker started in process with env is the one `hookpack broker status` finds with env", async () => {
    assertBuilt();
    mkdirSync(home, { recursive: true, mode: 0o700 });
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    const socket = brokerSocketPath(home, env);
    expect(socket.startsWith(`${tmp}/hookpack-`)).toBe(true);
    expect(brokerSocketPath(home)).not.toBe(socket); // this process's own env names another place

    // The broker mints only what the policy in force allows: T must be in this home's store.
    setSecret(sb, "T", fakeSecret(), env);
    const grant = await brokerClient().mintGrantVia(home, env, {
      names: ["T"],
      argv: ["true"],
      agent: "claude-code",
      session: "s1",
      toolCallId: undefined,
      cwd: sb.dir,
      ttlMs: 60_000,
      approval: "auto",
    });
    expect(grant.id).toMatch(/^g_[a-z2-7]{26}$/);

    const status = run(sb, ["broker", "status", "--json"], { env });
    expect(status.status, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as {
      running: boolean;
      socket: string;
      grantsPending?: number;
    };
    expect(s).toMatchObject({ running: true, socket });
    expect(s.grantsPending).toBe(1);
  });
});
