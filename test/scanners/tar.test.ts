// The in-memory tar reader against archives written by our writer, by system tar and by npm.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readTar, TarError, writeTar } from "../../scanners/tar.js";

const LONG_DIR = `package/${"deeply-nested-directory-name/".repeat(5)}`;

describe("readTar", () => {
  it("resolves PAX paths, GNU long names and the ustar prefix of long paths", () => {
    const long = `${LONG_DIR}.claude/settings.local.json`;
    expect(long.length).toBeGreaterThan(100);
    const tar = writeTar([
      { name: long, body: "{}" },
      { name: `${LONG_DIR}gnu/.env`, body: "A=1", gnuLongName: true },
      { name: "settings.local.json", prefix: "package/a/.claude", body: "{}" },
    ]);
    const names = readTar(gzipSync(tar)).map((e) => e.name);
    expect(names).toEqual([long, `${LONG_DIR}gnu/.env`, "package/a/.claude/settings.local.json"]);
  });

  it("lists the same names as system tar for an archive it wrote", () => {
    const dir = mkdtempSync(join(tmpdir(), "hookpack-tar-"));
    try {
      const deep = join(dir, "package", "x".repeat(60), "y".repeat(60), ".claude");
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(deep, "settings.local.json"), "{}");
      writeFileSync(join(dir, "package", "é-non-ascii.txt"), "x");
      const r = spawnSync("tar", ["-czf", "a.tgz", "--format=posix", "package"], { cwd: dir });
      expect(r.status).toBe(0);
      const ours = readTar(readFileSync(join(dir, "a.tgz"))).map((e) => e.name.replace(/\/$/, ""));
      const theirs = spawnSync("tar", ["-tzf", "a.tgz"], { cwd: dir, encoding: "utf8" })
        .stdout.trim()
        .split("\n")
        .map((n) => n.replace(/\/$/, ""));
      expect(ours.sort()).toEqual(theirs.sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports links and hostile names raw instead of sanitising them", () => {
    const entries = readTar(
      writeTar([
        { name: "package/../../evil.txt", body: "x" },
        { name: "/tmp/abs.txt", body: "x" },
        { name: "package/lnk", typeflag: "2", linkname: "/etc" },
        { name: "package/hard", typeflag: "1", linkname: "/etc/hostname" },
      ]),
    );
    expect(entries.map((e) => [e.name, e.type, e.linkname])).toEqual([
      ["package/../../evil.txt", "file", ""],
      ["/tmp/abs.txt", "file", ""],
      ["package/lnk", "symlink", "/etc"],
      ["package/hard", "hardlink", "/etc/hostname"],
    ]);
  });

  it("refuses a gzip bomb and too many entries", () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(() => readTar(bomb, { maxBytes: 1024 * 1024 })).toThrow(TarError);
    const many = writeTar(
      Array.from({ length: 50 }, (_, i) => ({ name: `package/f${i}`, body: "x" })),
    );
    expect(() => readTar(many, { maxEntries: 10 })).toThrow(/more than 10 entries/);
  });

  it("rejects a corrupted header checksum", () => {
    const tar = writeTar([{ name: "package/a.txt", body: "x" }]);
    tar[10] = 0x41;
    expect(() => readTar(tar)).toThrow(/checksum/);
  });
});
