// The head anchor is replaced through one fixed temporary name under the append lock
// (broker/audit.ts replaceUnderLock): whatever is planted there is removed, never written through.
import { execFileSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { auditHeadPath, recordAudit, type AuditEvent } from "../../broker/audit.js";
import { readAuditLog } from "../../broker/audit-verify.js";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function home(): string {
  const d = mkdtempSync(join(tmpdir(), "hookpack-audit-anchor-"));
  dirs.push(d);
  return join(d, "hp");
}
const ev = (i: number): AuditEvent => ({ kind: "grants-revoked", secret: "API_TOKEN", count: i });

describe("audit anchor write", () => {
  it("a symlink planted at the temporary name is removed, its target untouched", () => {
    const h = home();
    recordAudit(h, ev(1));
    const victim = join(h, "..", "victim.txt");
    writeFileSync(victim, "keep me\n");
    symlinkSync(victim, `${auditHeadPath(h)}.tmp`);
    recordAudit(h, ev(2));
    expect(readFileSync(victim, "utf8")).toBe("keep me\n");
    expect(lstatSync(auditHeadPath(h)).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(auditHeadPath(h), "utf8")).seq).toBe(2);
    expect(readAuditLog(h).verification.ok).toBe(true);
  });

  it("a FIFO or a directory planted there neither blocks nor stops the append", () => {
    const h = home();
    recordAudit(h, ev(1));
    execFileSync("mkfifo", [`${auditHeadPath(h)}.tmp`]);
    recordAudit(h, ev(2));
    mkdirSync(`${auditHeadPath(h)}.tmp`);
    recordAudit(h, ev(3));
    expect(JSON.parse(readFileSync(auditHeadPath(h), "utf8")).seq).toBe(3);
    const { verification } = readAuditLog(h);
    expect(verification.ok).toBe(true);
    expect(verification.verified).toBe(3);
  });

  it("a last line longer than the 8 KiB first read still chains (the read grows)", () => {
    const h = home();
    recordAudit(h, ev(1));
    const anchor1 = readFileSync(auditHeadPath(h), "utf8");
    const long = Array.from({ length: 60 }, (_, i) => `NAME_${i}_${"x".repeat(400)}`);
    recordAudit(h, { kind: "output-redacted", tool: "Bash", count: 60, secrets: long });
    // As after a crash before the anchor write: the log is ahead, so the next append must take
    // its place in the chain from the log's last line (25 KiB long), not from the anchor.
    writeFileSync(auditHeadPath(h), anchor1);
    recordAudit(h, ev(3));
    const { verification } = readAuditLog(h);
    expect(verification.ok).toBe(true);
    expect(verification.verified).toBe(3);
  });
});
