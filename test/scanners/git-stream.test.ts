// gitStream (scanners/git.ts) hands git's stdout to its handler in blocks of whole lines while the
// handler runs (it goes back to the event loop between blocks, so git's pipe is read, and git keeps
// writing, while a block is handled). Whatever the handler's pace, every byte arrives once, in
// order, in blocks that end at a line end; a handler that lags far behind pauses git (bounded
// memory) and loses nothing; a handler that throws stops git and rejects.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { gitStream } from "../../scanners/git.js";
import { makeSandbox, type Sandbox } from "../helpers/git-sandbox.js";

let s: Sandbox;
afterEach(() => s?.cleanup());

/** A blob of `lines` numbered lines of varied length (and a last line without LF), written to git. */
function blob(lines: number): { dir: string; oid: string; bytes: Buffer } {
  s = makeSandbox("hookpack-git-stream-");
  const { dir } = s.repo();
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) parts.push(`${i} ${"é-x".repeat(i % 97)}\n`);
  parts.push("last line without LF");
  const file = join(s.root, "big.txt");
  s.write(file, parts.join(""));
  const oid = s.git(dir, "hash-object", "-w", file);
  return { dir, oid, bytes: readFileSync(file) };
}

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe("gitStream", () => {
  it.each([
    ["a handler that returns at once", (_i: number) => undefined],
    ["a handler that blocks the thread 2 ms per block", (_i: number) => void busy(2)],
    [
      "an async handler that waits a timer every 3rd block",
      (i: number) => (i % 3 === 0 ? new Promise<void>((r) => setTimeout(r, 1)) : undefined),
    ],
  ])("delivers every byte once, in order, in whole lines: %s", async (_name, pace) => {
    const { dir, oid, bytes } = blob(120_000);
    expect(bytes.length).toBeGreaterThan(8 * 1024 * 1024 + 1); // past the 8 MB backlog: git is paused
    const blocks: Buffer[] = [];
    const total = await gitStream(["cat-file", "blob", oid], { cwd: dir }, (block) => {
      blocks.push(Buffer.from(block));
      return pace(blocks.length);
    });
    expect(total).toBe(bytes.length);
    expect(blocks.length).toBeGreaterThan(10);
    for (const b of blocks.slice(0, -1)) expect(b[b.length - 1]).toBe(10);
    expect(Buffer.concat(blocks).equals(bytes)).toBe(true);
  });

  it("a handler far behind git (8 MB queued) still gets everything once git is resumed", async () => {
    const { dir, oid, bytes } = blob(120_000);
    let first = true;
    const blocks: Buffer[] = [];
    await gitStream(["cat-file", "blob", oid], { cwd: dir }, async (block) => {
      blocks.push(Buffer.from(block));
      // The first block waits long enough for git to fill the whole backlog and be paused.
      if (first) await new Promise<void>((r) => setTimeout(r, 300));
      first = false;
    });
    expect(Buffer.concat(blocks).equals(bytes)).toBe(true);
  });

  it("a handler that throws stops git and rejects with its error", async () => {
    const { dir, oid } = blob(120_000);
    let calls = 0;
    await expect(
      gitStream(["cat-file", "blob", oid], { cwd: dir }, () => {
        if (++calls === 3) throw new Error("handler failed");
      }),
    ).rejects.toThrow("handler failed");
    expect(calls).toBe(3);
  });
});
