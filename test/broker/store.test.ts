import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, fakeSecret, run, sandbox, setSecret, type Sandbox } from "./helpers.js";

let sb: Sandbox;
beforeAll(assertBuilt);
afterEach(() => sb?.cleanup());

const storeFile = () => join(sb.hookpackHome, "store.json");

describe("hookpack secret (embedded store)", () => {
  it("stores values encrypted, lists names only, removes them", () => {
    sb = sandbox();
    const a = fakeSecret("a");
    const b = fakeSecret("b");
    setSecret(sb, "ALPHA", a);
    setSecret(sb, "BETA", `${b}\n`); // one trailing newline from `echo` is not part of the value
    const raw = readFileSync(storeFile(), "utf8");
    expect(raw).not.toContain(a);
    expect(raw).not.toContain(b);
    expect(raw).not.toContain(Buffer.from(a).toString("base64"));
    expect(statSync(storeFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(sb.hookpackHome, "store.key")).mode & 0o777).toBe(0o600);
    expect(statSync(sb.hookpackHome).mode & 0o777).toBe(0o700);

    const list = run(sb, ["secret", "list", "--json"]);
    expect(list.status).toBe(0);
    const json = JSON.parse(list.stdout) as {
      keyBackend: string;
      secrets: Array<{ name: string; provider: string; created: string }>;
    };
    expect(json.keyBackend).toBe("file");
    expect(json.secrets.map((s) => s.name)).toEqual(["ALPHA", "BETA"]);
    expect(list.stdout).not.toContain(a);

    const shown = run(sb, [
      "exec",
      "--secret",
      "BETA",
      "--",
      "node",
      "-e",
      "process.stdout.write(String(process.env.BETA.length))",
    ]);
    expect(shown.stdout).toBe(String(b.length));

    expect(run(sb, ["secret", "rm", "ALPHA"]).status).toBe(0);
    expect(
      JSON.parse(run(sb, ["secret", "list", "--json"]).stdout).secrets.map(
        (s: { name: string }) => s.name,
      ),
    ).toEqual(["BETA"]);
    const missing = run(sb, ["secret", "rm", "ALPHA"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^hookpack: no secret named ALPHA/);
  });

  it("refuses short values, bad names and values on argv, with an explanation", () => {
    sb = sandbox();
    const short = run(sb, ["secret", "set", "PIN"], { input: "12345" });
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/^hookpack: the value for PIN is shorter than 6 characters/);
    expect(short.stderr).toContain("HOOKPACK_MIN_SECRET_LENGTH");
    expect(existsSync(storeFile())).toBe(false);
    expect(
      run(sb, ["secret", "set", "PIN"], { input: "1234", env: { HOOKPACK_MIN_SECRET_LENGTH: "4" } })
        .status,
    ).toBe(0);
    expect(run(sb, ["secret", "set", "9BAD"], { input: fakeSecret() }).stderr).toMatch(
      /not a valid secret name/,
    );
    const argv = run(sb, ["secret", "set", "X", fakeSecret()]);
    expect(argv.status).toBe(2);
    expect(argv.stderr).toMatch(/never from the command line/);
    expect(run(sb, ["secret", "set", "EMPTY"], { input: "" }).stderr).toMatch(/no value given/);
  });

  it("lets concurrent writers all land", async () => {
    sb = sandbox();
    setSecret(sb, "FIRST", fakeSecret()); // the store (and key) exist before the race
    const names = Array.from({ length: 6 }, (_, i) => `C${i}`);
    const results = await Promise.all(
      names.map(
        (n) =>
          new Promise<number | null>((res) => {
            const c = spawn(process.execPath, [BIN, "secret", "set", n], {
              env: sb.env,
              stdio: ["pipe", "ignore", "pipe"],
            });
            c.stdin.end(fakeSecret(n));
            c.on("close", res);
          }),
      ),
    );
    expect(results).toEqual(names.map(() => 0));
    const listed = JSON.parse(run(sb, ["secret", "list", "--json"]).stdout).secrets.map(
      (s: { name: string }) => s.name,
    );
    expect(listed).toEqual(["C0", "C1", "C2", "C3", "C4", "C5", "FIRST"]);
  });

  it("survives kill -9 of writers at random moments: the store opens and the next write lands", async () => {
    sb = sandbox();
    setSecret(sb, "BASE", fakeSecret());
    for (let i = 0; i < 8; i++) {
      const c = spawn(process.execPath, [BIN, "secret", "set", `K${i}`], {
        env: sb.env,
        stdio: ["pipe", "ignore", "ignore"],
      });
      const closed = new Promise((r) => c.on("close", r));
      c.stdin.end(fakeSecret());
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 120));
      c.kill("SIGKILL");
      await closed;
      const list = run(sb, ["secret", "list", "--json"]);
      expect(list.status, list.stderr).toBe(0);
    }
    // A lock and a temp file left by a dead writer do not block or confuse the next one.
    writeFileSync(join(sb.hookpackHome, "store.lock"), "999999\n");
    writeFileSync(join(sb.hookpackHome, ".store.json.999999.deadbeef.tmp"), "{partial");
    setSecret(sb, "AFTER", fakeSecret());
    const names = JSON.parse(run(sb, ["secret", "list", "--json"]).stdout).secrets.map(
      (s: { name: string }) => s.name,
    );
    expect(names).toContain("BASE");
    expect(names).toContain("AFTER");
    expect(readdirSync(sb.hookpackHome).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(existsSync(join(sb.hookpackHome, "store.lock"))).toBe(false);
  });

  it("detects tampered ciphertext, swapped entries and truncation, and never rewrites the store", () => {
    sb = sandbox();
    setSecret(sb, "ONE", fakeSecret());
    setSecret(sb, "TWO", fakeSecret());
    const original = readFileSync(storeFile(), "utf8");
    const cases: Array<[string, string]> = [];
    const j = JSON.parse(original);
    const flip = structuredClone(j);
    const data = Buffer.from(flip.entries.ONE.cipher.data, "base64");
    data[0]! ^= 1;
    flip.entries.ONE.cipher.data = data.toString("base64");
    cases.push(["flipped bit", JSON.stringify(flip)]);
    const swap = structuredClone(j);
    [swap.entries.ONE.cipher, swap.entries.TWO.cipher] = [
      swap.entries.TWO.cipher,
      swap.entries.ONE.cipher,
    ];
    cases.push(["swapped values", JSON.stringify(swap)]);
    const dropped = structuredClone(j);
    delete dropped.entries.TWO;
    cases.push(["deleted entry", JSON.stringify(dropped)]);
    const provider = structuredClone(j);
    provider.entries.TWO = {
      ...provider.entries.TWO,
      provider: { kind: "exec", argv: ["sh", "-c", "evil"] },
    };
    cases.push(["changed provider", JSON.stringify(provider)]);
    cases.push(["truncated", original.slice(0, original.length >> 1)]);
    cases.push(["empty", ""]);
    for (const [what, text] of cases) {
      writeFileSync(storeFile(), text);
      for (const args of [
        ["secret", "list"],
        ["exec", "--secret", "ONE", "--", "true"],
      ]) {
        const r = run(sb, args);
        expect(r.status, `${what}: ${args.join(" ")}`).toBe(2);
        expect(r.stderr, what).toMatch(/^hookpack: the secret store .* (fails|is)/);
        expect(r.stderr).toContain("hookpack did not change it");
      }
      const set = run(sb, ["secret", "set", "THREE"], { input: fakeSecret() });
      expect(set.status, what).toBe(2);
      expect(readFileSync(storeFile(), "utf8"), `${what}: store rewritten`).toBe(text);
    }
  });

  it("reports a wrong or exposed key file clearly", () => {
    sb = sandbox();
    setSecret(sb, "ONE", fakeSecret());
    const keyPath = join(sb.hookpackHome, "store.key");
    chmodSync(keyPath, 0o644);
    const open = run(sb, ["secret", "list"]);
    expect(open.status).toBe(2);
    expect(open.stderr).toMatch(/readable by other users/);
    expect(open.stderr).toContain("chmod 600");
    writeFileSync(keyPath, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    chmodSync(keyPath, 0o600);
    const wrong = run(sb, ["secret", "list"]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(
      /^hookpack: the key found for the secret store .* does not open it/,
    );
  });

  it("supports a passphrase-protected key (scrypt) and rejects a wrong passphrase", () => {
    sb = sandbox({
      HOOKPACK_KEY_BACKEND: "passphrase",
      HOOKPACK_PASSPHRASE: `pass-${randomBytes(6).toString("hex")}`,
    });
    const value = fakeSecret();
    setSecret(sb, "PP", value);
    expect(existsSync(join(sb.hookpackHome, "store.key"))).toBe(false);
    expect(readFileSync(storeFile(), "utf8")).toContain('"scrypt"');
    const ok = run(sb, [
      "exec",
      "--secret",
      "PP",
      "--",
      "node",
      "-e",
      "process.stdout.write(process.env.PP === process.argv[1] ? 'same' : 'diff')",
      value,
    ]);
    expect(ok.stdout).toBe("same");
    // The passphrase is never passed on to the child.
    expect(
      run(sb, [
        "exec",
        "--",
        "node",
        "-e",
        "process.stdout.write(String(process.env.HOOKPACK_PASSPHRASE))",
      ]).stdout,
    ).toBe("undefined");
    const bad = run(sb, ["secret", "list"], { env: { HOOKPACK_PASSPHRASE: "not-the-passphrase" } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/wrong passphrase/);
  });

  it("records non-store providers by reference and checks them", () => {
    sb = sandbox();
    const v = fakeSecret();
    expect(
      run(sb, ["secret", "set", "FROM_ENV", "--env", "MY_TOKEN"], { env: { MY_TOKEN: v } }).status,
    ).toBe(0);
    const noEnv = run(sb, ["secret", "set", "NOPE", "--env", "UNSET_VAR_X"]);
    expect(noEnv.status).toBe(2);
    expect(noEnv.stderr).toMatch(/environment variable UNSET_VAR_X is not set/);
    expect(run(sb, ["secret", "set", "NOPE", "--env", "UNSET_VAR_X", "--no-check"]).status).toBe(0);
    expect(
      run(sb, [
        "secret",
        "set",
        "CMD",
        "--exec",
        "--",
        "node",
        "-e",
        `console.log(${JSON.stringify(v)})`,
      ]).status,
    ).toBe(0);
    expect(run(sb, ["secret", "set", "OPREF", "--op", "not-a-ref"]).stderr).toMatch(
      /not a 1Password reference/,
    );
    expect(
      run(sb, ["secret", "set", "OPREF", "--op", "op://vault/item/field", "--no-check"]).status,
    ).toBe(0);
    const list = JSON.parse(run(sb, ["secret", "list", "--json"]).stdout) as {
      secrets: Array<{ name: string; source: string }>;
    };
    expect(list.secrets.map((s) => [s.name, s.source])).toEqual([
      ["CMD", "exec:node …"],
      ["FROM_ENV", "env:MY_TOKEN"],
      ["NOPE", "env:UNSET_VAR_X"],
      ["OPREF", "op://vault/item/field"],
    ]);
  });
});

describe("hookpack secret import", () => {
  it("shows the plan, moves values into the store and rewrites the file, preserving everything else", () => {
    sb = sandbox();
    const a = fakeSecret();
    const b = fakeSecret();
    const c = fakeSecret();
    const envFile = join(sb.dir, ".env");
    const original = [
      "# database",
      `export DB_PASSWORD=${a}   # prod`,
      "",
      `API_KEY="${b}"`,
      "DEBUG=1",
      `QUOTED='${c}'`,
      "ALREADY=$secret:OTHER",
      "",
    ].join("\n");
    writeFileSync(envFile, original, { mode: 0o640 });
    const dry = run(sb, ["secret", "import", ".env", "--dry-run"]);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/would import DB_PASSWORD \(line 2\)/);
    expect(dry.stdout).toMatch(/would skip DEBUG \(line 5\): value shorter than 6/);
    expect(dry.stdout).toMatch(/would skip ALREADY \(line 7\): already a reference/);
    for (const v of [a, b, c]) expect(dry.stdout + dry.stderr).not.toContain(v);
    expect(readFileSync(envFile, "utf8")).toBe(original);
    expect(existsSync(storeFile())).toBe(false);

    const real = run(sb, ["secret", "import", ".env"]);
    expect(real.status, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/rotate these secrets/);
    const rewritten = readFileSync(envFile, "utf8");
    expect(rewritten).toBe(
      [
        "# database",
        "export DB_PASSWORD=$secret:DB_PASSWORD   # prod",
        "",
        "API_KEY=$secret:API_KEY",
        "DEBUG=1",
        "QUOTED=$secret:QUOTED",
        "ALREADY=$secret:OTHER",
        "",
      ].join("\n"),
    );
    expect(statSync(envFile).mode & 0o777).toBe(0o640);
    // The rewritten file works with exec --env-file (OTHER is unknown: refused before start).
    writeFileSync(envFile, rewritten.replace("ALREADY=$secret:OTHER\n", ""));
    const r = run(sb, [
      "exec",
      "--env-file",
      ".env",
      "--",
      "node",
      "-e",
      "process.stdout.write([process.env.DB_PASSWORD, process.env.API_KEY, process.env.QUOTED, process.env.DEBUG].join(' '))",
    ]);
    expect(r.stdout).toBe("[REDACTED:DB_PASSWORD] [REDACTED:API_KEY] [REDACTED:QUOTED] 1");
    // Importing again: nothing left to import.
    expect(run(sb, ["secret", "import", ".env"]).stdout).toMatch(/nothing to import/);
  });
});
