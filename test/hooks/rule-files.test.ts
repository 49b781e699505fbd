// The real file capability the hook hands its rules (hooks/rule-files.ts), on real files in a
// temp directory: bounded reads, no blocking on a FIFO, links, and a rewrite that never replaces
// a file that changed after it was read.
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nodeRuleFiles } from "../../hooks/rule-files.js";

const dir = mkdtempSync(join(tmpdir(), "hookpack-rule-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = nodeRuleFiles("/home/someone");

describe("nodeRuleFiles", () => {
  it("says what a path is, following links, and lists a directory with entry types", () => {
    writeFileSync(join(dir, "a.txt"), "a");
    mkdirSync(join(dir, "sub"));
    symlinkSync(join(dir, "a.txt"), join(dir, "link"));
    expect(files.home).toBe("/home/someone");
    expect(files.kind(join(dir, "a.txt"))).toBe("file");
    expect(files.kind(join(dir, "link"))).toBe("file");
    expect(files.kind(join(dir, "sub"))).toBe("dir");
    expect(files.kind(join(dir, "nope"))).toBeUndefined();
    expect(files.realpath(join(dir, "link"))).toBe(join(dir, "a.txt"));
    expect(files.realpath(join(dir, "nope"))).toBeUndefined();
    const entries = Object.fromEntries((files.list(dir) ?? []).map((e) => [e.name, e.type]));
    expect(entries).toMatchObject({ "a.txt": "file", sub: "dir", link: "link" });
    expect(files.list(join(dir, "nope"))).toBeUndefined();
  });

  it("reads at most maxBytes of a head, and nothing of a binary file", () => {
    writeFileSync(join(dir, "big.txt"), "x".repeat(200_000) + "TAIL");
    const head = files.readHead(join(dir, "big.txt"), 100_000);
    expect(head).toHaveLength(100_000);
    expect(files.readHead(join(dir, "big.txt"), 1_000_000)).toMatch(/TAIL$/);
    writeFileSync(join(dir, "bin"), Buffer.from([0x89, 0x50, 0x00, 0x41]));
    expect(files.readHead(join(dir, "bin"), 1024)).toBeUndefined();
    expect(files.readHead(join(dir, "sub"), 1024)).toBeUndefined();
  });

  it("does not block on a FIFO (no writer): readHead and readWhole return undefined", () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(files.kind(fifo)).toBe("other");
    expect(files.readHead(fifo, 1024)).toBeUndefined();
    expect(files.readWhole(fifo, 1024)).toBeUndefined();
  });

  it("reads a whole file only under its bound, with the stamp of that version", () => {
    const p = join(dir, "w.txt");
    writeFileSync(p, "hello", { mode: 0o640 });
    const r = files.readWhole(p, 5);
    expect(r?.text).toBe("hello");
    expect(r?.stamp).toMatchObject({ size: 5, mode: 0o640 });
    expect(files.readWhole(p, 4)).toBeUndefined();
  });

  it("replaces a file it read (same mode) and refuses one that changed since", () => {
    const p = join(dir, "state.txt");
    writeFileSync(p, "secret line\n", { mode: 0o600 });
    const r = files.readWhole(p, 1024)!;
    expect(files.replaceIfUnchanged(p, r.stamp, "[REDACTED]\n")).toBe(true);
    expect(readFileSync(p, "utf8")).toBe("[REDACTED]\n");
    expect(statSync(p).mode & 0o777).toBe(0o600);

    const again = files.readWhole(p, 1024)!;
    writeFileSync(p, "[REDACTED]\nappended\n");
    const later = new Date(Date.now() + 5000);
    utimesSync(p, later, later);
    expect(files.replaceIfUnchanged(p, again.stamp, "lost\n")).toBe(false);
    expect(readFileSync(p, "utf8")).toBe("[REDACTED]\nappended\n");
    // No temporary copy is left behind.
    expect((files.list(dir) ?? []).filter((e) => e.name.includes(".hookpack-"))).toEqual([]);
  });
});
