// Issue 18 item 12: `npm test`'s set-up says what it installs, and HOOKPACK_NO_SYSTEM_PACKAGES=1
// keeps it from running apt-get (the keychain test then skips and says so). The Debian part runs
// against a stand-in apt-get on PATH, so nothing is installed on this machine.
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

function fakeAptGet(): { bin: string; log: string } {
  dir = mkdtempSync(join(tmpdir(), "hookpack-aptget-"));
  const log = join(dir, "apt-get.log");
  writeFileSync(
    join(dir, "apt-get"),
    `#!/bin/sh\necho "$*" >> '${log}'\ncase "$*" in *--print-uris*) echo "'http://x/a.deb' a.deb 3145728 MD5Sum:0";; esac\nexit 0\n`,
  );
  chmodSync(join(dir, "apt-get"), 0o755);
  // Only what the script itself needs besides apt-get (not the keyring tools it looks for).
  for (const tool of ["id", "awk"]) {
    const found = spawnSync("/bin/sh", ["-c", `command -v ${tool}`], {
      encoding: "utf8",
    }).stdout.trim();
    if (found) symlinkSync(found, join(dir, tool));
  }
  return { bin: dir, log };
}

const deps = (bin: string, env: Record<string, string> = {}) =>
  spawnSync("/bin/bash", [join(REPO, "test", "broker", "keyring-deps.sh")], {
    env: { PATH: `${bin}:/nonexistent`, ...env },
    encoding: "utf8",
  });

describe("npm test's system packages", () => {
  it.runIf(process.getuid?.() === 0)(
    "as root: says what it installs and how big, then runs apt-get; HOOKPACK_NO_SYSTEM_PACKAGES=1 runs none",
    () => {
      const { bin, log } = fakeAptGet();
      const skipped = deps(bin, { HOOKPACK_NO_SYSTEM_PACKAGES: "1" });
      expect(skipped.status).toBe(0);
      expect(skipped.stdout).toContain(
        "HOOKPACK_NO_SYSTEM_PACKAGES=1: not installing gnome-keyring dbus dbus-bin libsecret-tools; the keychain test will be skipped and say so.",
      );
      expect(existsSync(log)).toBe(false);
      const installed = deps(bin);
      expect(installed.status).toBe(0);
      expect(installed.stdout).toMatch(
        /installing gnome-keyring dbus dbus-bin libsecret-tools with apt-get \(about 3 MB to download\)/,
      );
      expect(readFileSync(log, "utf8")).toMatch(
        /install -y -qq --no-install-recommends gnome-keyring/,
      );
    },
  );

  it("scripts/test.mjs prints its plan (what, where, how big, how to skip) before it installs anything", () => {
    const text = readFileSync(join(REPO, "scripts", "test.mjs"), "utf8");
    const plan = text.indexOf("npm test runs every test. Before that it installs");
    expect(plan).toBeGreaterThan(-1);
    expect(plan).toBeLessThan(text.indexOf('run(process.execPath, ["scripts/setup-e2e.mjs"])'));
    expect(text).toMatch(/about 2\.4 GB/);
    expect(text).toContain("HOOKPACK_NO_SYSTEM_PACKAGES=1");
    // Node 22 is downloaded once: the matrix reuses the e2e set-up's binary of the same version.
    expect(readFileSync(join(REPO, "scripts", "node-matrix.mjs"), "utf8")).toMatch(
      /\.cache",\s*"e2e",\s*`node\$\{major\}`/,
    );
  });
});
