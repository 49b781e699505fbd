// Issue 18 item 12, the rest: HOOKPACK_NO_SYSTEM_PACKAGES=1 is honoured by every system-package
// set-up script (keychain, PostgreSQL, sandbox, injection proxy): none runs apt-get, each says what
// it skipped; and a test that needs a package left out then skips visibly with the reason. The
// Debian part runs against a stand-in apt-get on PATH, so nothing is installed on this machine.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO } from "../helpers/run.js";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A PATH with a logging apt-get and only the basic tools the scripts use (none of what they install). */
function fakeAptGet(): { bin: string; log: string } {
  dir = mkdtempSync(join(tmpdir(), "hookpack-aptget-"));
  const log = join(dir, "apt-get.log");
  writeFileSync(
    join(dir, "apt-get"),
    `#!/bin/sh\necho "$*" >> '${log}'\ncase "$*" in *--print-uris*) echo "'http://x/a.deb' a.deb 5242880 MD5Sum:0";; esac\nexit 0\n`,
  );
  chmodSync(join(dir, "apt-get"), 0o755);
  for (const tool of ["id", "awk", "ls", "uname"]) {
    const found = spawnSync("/bin/sh", ["-c", `command -v ${tool}`], {
      encoding: "utf8",
    }).stdout.trim();
    if (found) symlinkSync(found, join(dir, tool));
  }
  return { bin: dir, log };
}

const SCRIPTS: Array<[string, RegExp]> = [
  [
    "test/broker/keyring-deps.sh",
    /not installing gnome-keyring dbus dbus-bin libsecret-tools; the keychain test will be skipped and say so/,
  ],
  [
    "test/broker/postgres-deps.sh",
    /not installing postgresql postgresql-client; the lease tests will be skipped and say so/,
  ],
  [
    "test/security/sandbox-deps.sh",
    /not installing bubblewrap socat; the sandbox tests will be skipped and say so/,
  ],
  [
    "test/broker/proxy-deps.sh",
    /not installing curl git( python3-requests)?; the phantom-token tests for those clients will be skipped and say so/,
  ],
];
const runScript = (script: string, bin: string, env: Record<string, string> = {}) =>
  spawnSync("/bin/bash", [join(REPO, script)], {
    env: { PATH: `${bin}:/nonexistent`, ...env },
    encoding: "utf8",
  });

describe("HOOKPACK_NO_SYSTEM_PACKAGES=1 in every system-package set-up", () => {
  for (const [script, said] of SCRIPTS) {
    it.runIf(process.getuid?.() === 0)(
      `${script}: installs nothing and says so; without it, says what and how big, then runs apt-get`,
      () => {
        const { bin, log } = fakeAptGet();
        const skipped = runScript(script, bin, { HOOKPACK_NO_SYSTEM_PACKAGES: "1" });
        expect(skipped.status, skipped.stderr).toBe(0);
        expect(skipped.stdout).toMatch(said);
        expect(existsSync(log), `${script} ran apt-get`).toBe(false);
        const installed = runScript(script, bin);
        expect(installed.status, installed.stderr).toBe(0);
        expect(installed.stdout).toMatch(/installing .* with apt-get \(about 5 MB to download\)/);
        expect(readFileSync(log, "utf8")).toMatch(/install -y -qq --no-install-recommends/);
      },
    );
  }

  it("scripts/test.mjs names every package and that the variable skips all of them; the README says the same", () => {
    const text = readFileSync(join(REPO, "scripts", "test.mjs"), "utf8");
    for (const pkg of ["gnome-keyring", "postgresql", "bubblewrap", "socat", "python3-requests"])
      expect(text, pkg).toContain(pkg);
    expect(text).toContain("HOOKPACK_NO_SYSTEM_PACKAGES=1 skips all of them");
    expect(text).not.toContain("does not cover these yet");
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    expect(readme).toContain("`HOOKPACK_NO_SYSTEM_PACKAGES=1` skips every one of these set-ups");
    expect(readme).not.toMatch(/do not honour `HOOKPACK_NO_SYSTEM_PACKAGES`/);
  });

  it("a lease test without PostgreSQL and with HOOKPACK_NO_SYSTEM_PACKAGES=1 skips every test visibly (none passes)", () => {
    const r = spawnSync(
      process.execPath,
      [
        join(REPO, "node_modules", "vitest", "vitest.mjs"),
        "run",
        "test/security/leases.attack.test.ts",
        "--reporter=json",
      ],
      {
        cwd: REPO,
        env: {
          ...process.env,
          HOOKPACK_NO_SYSTEM_PACKAGES: "1",
          HOOKPACK_TEST_PG_BASE: "/nonexistent/postgresql",
        },
        encoding: "utf8",
        timeout: 240_000,
      },
    );
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as {
      numPassedTests: number;
      numPendingTests: number;
      numFailedTests: number;
      testResults: Array<{ assertionResults: Array<{ status: string }> }>;
    };
    expect(json.numPassedTests).toBe(0);
    expect(json.numFailedTests).toBe(0);
    expect(json.numPendingTests).toBeGreaterThan(3);
    // Without the variable, a missing server is a failure with its reason, not a skip.
    const strict = spawnSync(
      process.execPath,
      [
        join(REPO, "node_modules", "vitest", "vitest.mjs"),
        "run",
        "test/security/leases.attack.test.ts",
      ],
      {
        cwd: REPO,
        env: {
          ...process.env,
          HOOKPACK_NO_SYSTEM_PACKAGES: "",
          HOOKPACK_TEST_PG_BASE: "/nonexistent/postgresql",
        },
        encoding: "utf8",
        timeout: 240_000,
      },
    );
    expect(strict.status).not.toBe(0);
    expect(strict.stdout + strict.stderr).toContain("PostgreSQL server binaries not found");
  }, 300_000);
});
