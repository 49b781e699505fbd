// The real OS keychain: a private D-Bus session with gnome-keyring (installed by
// test/broker/keyring-deps.sh), so the developer's own keychain is never touched. Where no
// Secret Service can run, the skip is reported; the key-file fallback is tested regardless.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, fakeSecret, run, sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
beforeAll(assertBuilt);
afterEach(() => sb?.cleanup());

const TOOLS = ["dbus-run-session", "dbus-send", "gnome-keyring-daemon", "secret-tool"];
const missing = TOOLS.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);

/** Runs `body` (shell) inside a private session bus with an unlocked gnome-keyring. */
function inKeyring(s: Sandbox, body: string, env: NodeJS.ProcessEnv = {}) {
  const runtime = join(s.dir, "run");
  mkdirSync(runtime, { mode: 0o700, recursive: true });
  const script = join(s.dir, "session.sh");
  writeFileSync(
    script,
    [
      "set -e",
      `printf '%s' "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --foreground --components=secrets >/dev/null 2>&1 &`,
      "KPID=$!",
      "trap 'kill $KPID 2>/dev/null; wait $KPID 2>/dev/null || true' EXIT",
      "for i in $(seq 100); do",
      "  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break",
      "  sleep 0.05",
      "done",
      body,
    ].join("\n"),
  );
  const e: NodeJS.ProcessEnv = {
    ...s.env,
    XDG_RUNTIME_DIR: runtime,
    XDG_DATA_HOME: join(s.home, ".local", "share"),
    KEYRING_PASSWORD: randomBytes(8).toString("hex"),
    HOOKPACK: `${process.execPath} ${BIN}`,
    ...env,
  };
  delete e.DBUS_SESSION_BUS_ADDRESS; // dbus-run-session sets the private bus
  return spawnSync("dbus-run-session", ["--", "bash", script], {
    env: e,
    cwd: s.dir,
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("data key in the OS keychain", () => {
  it("stores the data key in a real Secret Service and reads it back for exec", (ctx) => {
    if (missing.length > 0) {
      console.warn(
        `hookpack keychain test SKIPPED: ${missing.join(", ")} not installed (run test/broker/keyring-deps.sh as root)`,
      );
      ctx.skip();
    }
    sb = sandbox({ HOOKPACK_KEY_BACKEND: "keychain" });
    const v = fakeSecret();
    writeFileSync(join(sb.dir, "value"), v);
    const r = inKeyring(
      sb,
      [
        `$HOOKPACK secret set KC_TOKEN < value`,
        `$HOOKPACK secret list --json > list.json`,
        `$HOOKPACK exec --secret KC_TOKEN -- node -e 'console.log(process.env.KC_TOKEN)' > exec.out`,
        // The key is really in the keychain, under hookpack's service name.
        `secret-tool search --all service hookpack 2>&1 | grep -c '^label' > items.txt || true`,
        // And the keychain provider reads any item directly.
        `printf '%s' "$(cat value)" | secret-tool store --label=t service other-app username ci`,
        `$HOOKPACK secret set FROM_KC --keychain other-app/ci`,
        `$HOOKPACK exec --secret FROM_KC=X -- node -e 'console.log(process.env.X.length)' > kc.out`,
      ].join("\n"),
    );
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const list = JSON.parse(readFileSync(join(sb.dir, "list.json"), "utf8")) as {
      keyBackend: string;
    };
    expect(list.keyBackend).toBe("keychain");
    expect(existsSync(join(sb.hookpackHome, "store.key"))).toBe(false);
    expect(readFileSync(join(sb.dir, "exec.out"), "utf8")).toBe("[REDACTED:KC_TOKEN]\n");
    expect(Number(readFileSync(join(sb.dir, "items.txt"), "utf8").trim())).toBeGreaterThanOrEqual(
      1,
    );
    expect(readFileSync(join(sb.dir, "kc.out"), "utf8")).toBe(`${v.length}\n`);
    expect(r.stdout + r.stderr).toMatch(/its key is in the OS keychain/);
  });

  it("explains a store whose keychain is gone, instead of making a new key", (ctx) => {
    if (missing.length > 0) ctx.skip();
    sb = sandbox({ HOOKPACK_KEY_BACKEND: "keychain" });
    const r = inKeyring(sb, `printf '%s' "${fakeSecret()}" | $HOOKPACK secret set GONE`);
    expect(r.status, r.stderr).toBe(0);
    // Outside that session the keychain is unreachable.
    const out = run(sb, ["secret", "list"]);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(
      /^hookpack: (cannot read the key of the secret store .* from the OS keychain|the key of the secret store .* was not found in the OS keychain .*not reachable from this session)/,
    );
    expect(existsSync(join(sb.hookpackHome, "store.key"))).toBe(false);
  });
});

describe("key-file fallback", () => {
  it("uses a 0600 key file and says why when no keychain is reachable", () => {
    sb = sandbox({ HOOKPACK_KEY_BACKEND: "auto" }); // the sandbox points D-Bus at a socket that does not exist
    const r = run(sb, ["secret", "set", "FB"], { input: fakeSecret() });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /its key is in .*store\.key \(mode 0600\): (no usable OS keychain|the optional @napi-rs\/keyring module is not available)/,
    );
    expect(JSON.parse(run(sb, ["secret", "list", "--json"]).stdout).keyBackend).toBe("file");
  });

  it("refuses HOOKPACK_KEY_BACKEND=keychain when there is none, creating nothing", () => {
    sb = sandbox({ HOOKPACK_KEY_BACKEND: "keychain" });
    const r = run(sb, ["secret", "set", "NO"], { input: fakeSecret() });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hookpack: HOOKPACK_KEY_BACKEND=keychain, but/);
    expect(existsSync(join(sb.hookpackHome, "store.json"))).toBe(false);
  });
});
