// The audit log: HMAC chain, tamper detection at the right entry, rotation, the head anchor, and
// parallel appends from real processes.
import { spawn } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  appendFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import {
  auditHeadPath,
  auditKeyPath,
  auditPath,
  isoTime,
  recordAudit,
  tryRecordAudit,
  type AuditEvent,
} from "../../broker/audit.js";
import { readAuditLog } from "../../broker/audit-verify.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function home(): string {
  const d = mkdtempSync(join(tmpdir(), "hookpack-audit-"));
  dirs.push(d);
  return join(d, "hp");
}

const execEvent = (i: number): AuditEvent => ({
  kind: "exec",
  cwd: "/p",
  secrets: ["API_TOKEN"],
  command: `curl https://example.invalid/${i}`,
  exitCode: 0,
  durationMs: i,
  redactions: 0,
  redactedNames: [],
});

function fill(h: string, n: number, options = {}): void {
  for (let i = 1; i <= n; i++) recordAudit(h, execEvent(i), options);
}
const lines = (h: string) => readFileSync(auditPath(h), "utf8").split("\n").filter(Boolean);
const write = (h: string, ls: string[]) =>
  writeFileSync(auditPath(h), ls.map((l) => `${l}\n`).join(""));
const first = (h: string) => readAuditLog(h).verification.problems[0];

describe("audit log chain", () => {
  it("chains every entry to the one before and verifies clean", () => {
    const h = home();
    fill(h, 10);
    const { records, verification } = readAuditLog(h);
    expect(verification.ok).toBe(true);
    expect(verification.verified).toBe(10);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const ls = lines(h);
    expect(JSON.parse(ls[1]!).prev).toBe(createHash("sha256").update(ls[0]!).digest("hex"));
    expect(ls.every((l) => /,"mac":"[A-Za-z0-9+/=]+"\}$/.test(l))).toBe(true);
    // The key is beside the store, not in the log directory; both are private.
    expect(dirname(auditKeyPath(h))).not.toBe(join(h, "audit"));
    expect(statSync(auditKeyPath(h)).mode & 0o077).toBe(0);
    expect(statSync(auditPath(h)).mode & 0o077).toBe(0);
  });

  it("refuses a key file others can read (mode of the very file read), appending nothing", () => {
    const h = home();
    fill(h, 2);
    const before = readFileSync(auditPath(h), "utf8");
    chmodSync(auditKeyPath(h), 0o644);
    expect(() => recordAudit(h, execEvent(3))).toThrow(/readable by other users/);
    expect(readFileSync(auditPath(h), "utf8")).toBe(before);
    // Through a symlink to a private copy elsewhere: the file read is the target, as before.
    const elsewhere = join(dirname(h), "key-copy");
    writeFileSync(elsewhere, readFileSync(auditKeyPath(h)), { mode: 0o600 });
    unlinkSync(auditKeyPath(h));
    symlinkSync(elsewhere, auditKeyPath(h));
    recordAudit(h, execEvent(3));
    expect(readAuditLog(h).verification.ok).toBe(true);
    expect(lines(h)).toHaveLength(3);
    chmodSync(elsewhere, 0o640);
    expect(() => recordAudit(h, execEvent(4))).toThrow(/readable by other users/);
    expect(lines(h)).toHaveLength(3);
  });

  it("writes the time as Date would (isoTime, without loading the time zone)", () => {
    const edges = [
      0,
      -1,
      1,
      86_399_999,
      86_400_000,
      951_782_400_000,
      951_868_799_999,
      4_107_542_400_000,
      -62_167_219_200_000,
      -62_167_219_200_001,
      253_402_300_799_999,
      253_402_300_800_000,
      Date.now(),
    ];
    const random = Array.from({ length: 200_000 }, (_, i) =>
      i % 2
        ? Math.floor((Math.random() * 2 - 0.5) * 253_402_300_800_000)
        : Date.now() + Math.floor(Math.random() * 1e11),
    );
    const wrong = [...edges, ...random].filter((ms) => isoTime(ms) !== new Date(ms).toISOString());
    expect(wrong).toEqual([]);
    const h = home();
    const before = Date.now();
    recordAudit(h, execEvent(1));
    const ts = Date.parse(JSON.parse(lines(h)[0]!).ts as string);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
  });

  it("detects an edited entry at that entry", () => {
    const h = home();
    fill(h, 10);
    const ls = lines(h);
    ls[4] = ls[4]!.replace('"exitCode":0', '"exitCode":1');
    write(h, ls);
    expect(first(h)).toMatchObject({ kind: "edited", seq: 5, line: 5 });
    expect(readAuditLog(h).verification.problems).toHaveLength(1);
  });

  it("detects a deleted entry at the first missing seq", () => {
    const h = home();
    fill(h, 10);
    const ls = lines(h);
    ls.splice(4, 1);
    write(h, ls);
    expect(first(h)).toMatchObject({ kind: "removed", seq: 5 });
    expect(first(h)!.message).toContain("#5 was removed");
  });

  it("detects reordered entries where the order breaks", () => {
    const h = home();
    fill(h, 10);
    const ls = lines(h);
    [ls[3], ls[4]] = [ls[4]!, ls[3]!];
    write(h, ls);
    expect(first(h)).toMatchObject({ kind: "reordered", seq: 4, line: 4 });
  });

  it("detects a truncated tail through the head anchor", () => {
    const h = home();
    fill(h, 10);
    write(h, lines(h).slice(0, 7));
    const p = readAuditLog(h).verification.problems;
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ kind: "truncated", seq: 8 });
    expect(p[0]!.message).toContain("#8–#10");
    // The next append keeps chaining from the anchor, so the gap stays visible.
    recordAudit(h, execEvent(11));
    expect(first(h)).toMatchObject({ kind: "removed", seq: 8 });
  });

  it("detects a whole log deleted, and a deleted anchor", () => {
    const h = home();
    fill(h, 3);
    unlinkSync(auditPath(h));
    expect(first(h)).toMatchObject({ kind: "truncated", seq: 1 });
    const h2 = home();
    fill(h2, 3);
    unlinkSync(auditHeadPath(h2));
    expect(first(h2)).toMatchObject({ kind: "anchor-missing" });
    // Appending records that the anchor was gone, in the chain itself.
    recordAudit(h2, execEvent(4));
    const v = readAuditLog(h2).verification;
    expect(v.problems[0]).toMatchObject({ kind: "anchor-missing", seq: 4 });
  });

  it("detects a forged line written with another key at that line", () => {
    const h = home();
    fill(h, 6);
    const ls = lines(h);
    const wrongKey = randomBytes(32);
    const prev = createHash("sha256").update(ls[5]!).digest("hex");
    const body = JSON.stringify({
      v: 1,
      seq: 7,
      ts: new Date().toISOString(),
      kind: "exec",
      cwd: "/p",
      secrets: ["API_TOKEN"],
      command: "true",
      exitCode: 0,
      durationMs: 1,
      redactions: 0,
      redactedNames: [],
      kid: "0123456789abcdef",
      prev,
    });
    const forged = `${body.slice(0, -1)},"mac":"${createHmac("sha256", wrongKey).update(`hookpack-audit-v1\n${body}`).digest("base64")}"}`;
    ls.splice(6, 0, forged);
    write(h, ls);
    expect(first(h)).toMatchObject({ kind: "forged", seq: 7, line: 7 });
    // A copy of the real key id does not help the forger: still caught at that line.
    write(h, [
      ...lines(h).slice(0, 6),
      forged.replace("0123456789abcdef", JSON.parse(ls[0]!).kid as string),
    ]);
    expect(first(h)).toMatchObject({ kind: "edited", seq: 7, line: 7 });
  });

  it("withholds anything token-shaped and never stores a value", () => {
    const h = home();
    const t = fakeTokens(3);
    recordAudit(h, {
      ...execEvent(1),
      command: `curl -H 'Authorization: token ${t.github}' https://api.github.com`,
    } as AuditEvent);
    const text = readFileSync(auditPath(h), "utf8");
    expect(text).not.toContain(t.github);
    expect(text).toContain("[withheld: looked like a secret]");
    expect(readAuditLog(h).verification.ok).toBe(true);
  });

  it("closes a line torn by a crash and says so, without failing verification", () => {
    const h = home();
    fill(h, 3);
    appendFileSync(auditPath(h), '{"v":1,"seq":4,"ts":"2026');
    recordAudit(h, execEvent(4));
    const v = readAuditLog(h).verification;
    expect(v.ok).toBe(true);
    expect(v.notes.map((n) => n.code)).toContain("TORN_LINE");
  });

  it("refuses to re-key an existing log when the key is gone", () => {
    const h = home();
    fill(h, 2);
    unlinkSync(auditKeyPath(h));
    expect(() => recordAudit(h, execEvent(3))).toThrow(/audit key .* is missing/);
    const errors: string[] = [];
    expect(tryRecordAudit(h, execEvent(3), (m) => errors.push(m))).toBe(false);
    expect(errors[0]).toMatch(/^hookpack: /);
    expect(first(h)).toMatchObject({ kind: "key-missing" });
  });
});

describe("audit log without an fsync per append: the anchor carries the last append", () => {
  it("a log short of the last append's lines (a cut, or a crash that kept only the anchor) loses nothing and is reported", () => {
    const h = home();
    fill(h, 3);
    recordAudit(h, [execEvent(4), execEvent(5)]);
    const all = lines(h);
    write(h, all.slice(0, 3));
    const before = readAuditLog(h);
    expect(before.verification.problems).toHaveLength(1);
    expect(before.verification.problems[0]).toMatchObject({ kind: "truncated", seq: 4 });
    expect(before.verification.problems[0]!.message).toContain("#4–#5");
    // Listed all the same: the anchor holds them, HMAC'd and chained.
    expect(before.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    // The next append writes them back, byte for byte, and the chain records that it did.
    recordAudit(h, execEvent(6));
    const after = lines(h);
    expect(after.slice(0, 5)).toEqual(all);
    const v = readAuditLog(h).verification;
    expect(v.problems.map((p) => p.kind)).toEqual(["truncated"]);
    expect(v.problems[0]!.message).toMatch(/written back/);
    expect(v.last?.seq).toBe(7);
    expect(v.verified).toBe(7);
  });

  it("a cut deeper than the last append is still caught, and an anchor tail that does not chain is not used", () => {
    const h = home();
    fill(h, 6);
    write(h, lines(h).slice(0, 4));
    expect(first(h)).toMatchObject({ kind: "truncated", seq: 5 });
    // A tail edited in the anchor (its HMAC no longer holds) restores nothing.
    const h2 = home();
    fill(h2, 4);
    write(h2, lines(h2).slice(0, 3));
    const head = JSON.parse(readFileSync(auditHeadPath(h2), "utf8")) as { tail: string[] };
    head.tail = head.tail.map((l) => l.replace("curl", "wget"));
    writeFileSync(auditHeadPath(h2), JSON.stringify(head));
    expect(first(h2)).toMatchObject({ kind: "truncated", seq: 4 });
  });
});

describe("audit log pending entries", () => {
  it("entries written while the lock is held wait HMAC'd in pending/ and are chained once, in order", () => {
    const h = home();
    fill(h, 2);
    // A lock held by this (live) process that is not an append.
    writeFileSync(join(h, "audit", "audit.lock"), `${process.pid}\n`);
    const r = recordAudit(h, execEvent(3), { lockTimeoutMs: 20 });
    expect(r.pending).toBeDefined();
    recordAudit(h, execEvent(4), { lockTimeoutMs: 20 });
    let log = readAuditLog(h);
    expect(log.verification.pending).toBe(2);
    expect(
      log.records.filter((x) => x.seq === 0).map((x) => (x as { durationMs: number }).durationMs),
    ).toEqual([3, 4]);
    unlinkSync(join(h, "audit", "audit.lock"));
    const pendingDir = join(h, "audit", "pending");
    const waiting = readdirSync(pendingDir).filter((n) => n.endsWith(".jsonl"));
    // A merge cut short by a crash (the log written, the pending files not yet removed): kept copies.
    const copies = waiting.map((n) => readFileSync(join(pendingDir, n), "utf8"));
    recordAudit(h, execEvent(5));
    copies.forEach((c, i) => writeFileSync(join(pendingDir, waiting[i]!), c));
    recordAudit(h, execEvent(6));
    log = readAuditLog(h);
    expect(log.verification.problems).toEqual([]);
    expect(log.verification.pending).toBe(0);
    expect(log.records.map((x) => (x as { durationMs?: number }).durationMs)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(readdirSync(pendingDir).filter((n) => n.endsWith(".jsonl"))).toEqual([]);
  });

  it("a forged pending line is reported and not chained", () => {
    const h = home();
    fill(h, 1);
    const dir = join(h, "audit", "pending");
    writeFileSync(join(h, "audit", "audit.lock"), `${process.pid}\n`);
    recordAudit(h, execEvent(2), { lockTimeoutMs: 20 });
    const [name] = readdirSync(dir).filter((n) => n.endsWith(".jsonl"));
    const path = join(dir, name!);
    writeFileSync(path, readFileSync(path, "utf8").replace("curl", "wget"));
    expect(readAuditLog(h).verification.problems[0]).toMatchObject({ kind: "forged" });
    unlinkSync(join(h, "audit", "audit.lock"));
    recordAudit(h, execEvent(3));
    const log = readAuditLog(h);
    expect(log.records.some((x) => JSON.stringify(x).includes("wget"))).toBe(false);
    expect(log.verification.problems[0]).toMatchObject({ kind: "forged" });
  });
});

describe("audit log rotation", () => {
  it("rotates by size and keeps the chain across files", () => {
    const h = home();
    fill(h, 60, { maxBytes: 2048, keep: 0 });
    const files = readdirSync(join(h, "audit")).filter((f) => f.endsWith(".jsonl"));
    expect(files.length).toBeGreaterThan(3);
    const { records, verification } = readAuditLog(h);
    expect(verification.ok).toBe(true);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it("detects a deleted rotated file, and prunes old files without breaking the chain", () => {
    const h = home();
    fill(h, 60, { maxBytes: 2048, keep: 0 });
    unlinkSync(join(h, "audit", "audit.000002.jsonl"));
    const p = first(h)!;
    expect(p.kind).toBe("removed");
    expect(p.message).toContain("rotated file");

    const h2 = home();
    fill(h2, 60, { maxBytes: 2048, keep: 2 });
    const rotated = readdirSync(join(h2, "audit")).filter((f) => /^audit\.\d+\.jsonl$/.test(f));
    expect(rotated).toHaveLength(2);
    const v = readAuditLog(h2).verification;
    expect(v.ok).toBe(true);
    expect(v.first).toBeGreaterThan(1);
    expect(v.last?.seq).toBe(60);
  });
});

describe("parallel appends", () => {
  it("16 processes × 200 records land whole, once each, with a chain that verifies", async () => {
    const h = home();
    const bundle = join(h, "..", "append.cjs");
    buildSync({
      entryPoints: [join(ROOT, "broker", "audit.ts")],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      outfile: bundle,
      logLevel: "error",
    });
    const script = `const a = require(${JSON.stringify(bundle)}); const [home, who, n] = process.argv.slice(1);
      for (let i = 0; i < Number(n); i++) a.recordAudit(home, { kind: "output-redacted", agent: "claude-code", session: who, tool: "Bash", count: i, secrets: ["API_TOKEN"] }, { maxBytes: 64 * 1024, keep: 0 });`;
    const procs = Array.from(
      { length: 16 },
      (_, k) =>
        new Promise<number | null>((res) => {
          const c = spawn(process.execPath, ["-e", script, h, `p${k}`, "200"], {
            stdio: ["ignore", "ignore", "inherit"],
          });
          c.on("close", res);
        }),
    );
    expect(await Promise.all(procs)).toEqual(Array(16).fill(0));
    const { records, verification } = readAuditLog(h);
    expect(verification.problems).toEqual([]);
    expect(verification.verified).toBe(3200);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 3200 }, (_, i) => i + 1));
    // Every process's records are all there, in its own order.
    for (let k = 0; k < 16; k++) {
      const mine = records
        .filter((r) => r.kind === "output-redacted" && r.session === `p${k}`)
        .map((r) => (r as { count: number }).count);
      expect(mine).toEqual(Array.from({ length: 200 }, (_, i) => i));
    }
    expect(existsSync(join(h, "audit", "audit.lock"))).toBe(false);
    expect(
      readdirSync(join(h, "audit")).filter((f) => /^audit\.\d+\.jsonl$/.test(f)).length,
    ).toBeGreaterThan(1);
  }, 120_000);
});
