// Reading and verifying the audit log (see broker/audit.ts for the format). One pass over every
// file, oldest first: each line's HMAC, then its place in the chain (seq and prev hash), then the
// tail against the head anchor. A problem names the entry where it starts, so "which entry was
// edited, removed, reordered or forged" and "was the tail cut off" each have one answer.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { closeSync, constants as fsc, existsSync, fstatSync, readdirSync, readSync } from "node:fs";
import { basename, join } from "node:path";
import { HookpackError } from "../core/errors.js";
import {
  auditDir,
  auditFiles,
  auditHeadPath,
  auditKeyPath,
  GENESIS,
  inspectAuditLock,
  auditLockPath,
  keyId,
  openLogFile,
  openSealed,
  pendingFiles,
  readPendingFile,
  tailFollows,
  legacyAuditPath,
  anchoredPending,
  logWitness,
  pendingWitness,
  readAuditKey,
  readHead,
  type AuditRecord,
} from "./audit.js";

export type AuditProblemKind =
  | "edited"
  | "forged"
  | "removed"
  | "reordered"
  | "chain-broken"
  | "malformed"
  | "truncated"
  | "anchor-missing"
  | "anchor-invalid"
  | "key-missing"
  | "key-unreadable"
  /** No log (and no anchor), while other state under HOOKPACK_HOME shows hookpack was used. */
  | "log-missing"
  /** The lock path is not a lock file hookpack makes (now, or as recorded by an append). */
  | "lock-forged"
  /** A live process has held the append lock far longer than an append takes. */
  | "lock-held";

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The entry where the problem starts (for `removed`: the first missing one). */
  seq?: number;
  /** File and 1-based line of the entry that showed it. */
  file?: string;
  line?: number;
  message: string;
}

export interface AuditNote {
  code: string;
  seq?: number;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  dir: string;
  files: string[];
  /** Lines read, and lines whose HMAC and place in the chain check out. */
  lines: number;
  verified: number;
  /** Entries written while the lock was held, HMAC-checked, not yet chained (pending/). */
  pending: number;
  first?: number;
  last?: { seq: number; hash: string };
  anchor: { state: "ok" | "missing" | "invalid"; seq?: number };
  keyId?: string;
  problems: AuditProblem[];
  notes: AuditNote[];
}

export interface AuditLog {
  /** Entries whose HMAC checks out (all parsed entries when there is no key to check with), oldest first. */
  records: AuditRecord[];
  verification: AuditVerification;
}

const MAC_TAIL = /,"mac":"([A-Za-z0-9+/=]+)"\}$/;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const mac = (key: Buffer, text: string) =>
  createHmac("sha256", key).update(`hookpack-audit-v1\n${text}`).digest("base64");

function equalB64(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

interface Line {
  raw: string;
  file: string;
  line: number;
  entry?: Record<string, unknown>;
  macOk: boolean;
}

const range = (a: number, b: number) => (a === b ? `#${a}` : `#${a}–#${b}`);

/** A log file's text, read without following a symlink or blocking on a FIFO. */
function readLogText(file: string): string {
  const fd = openLogFile(file, fsc.O_RDONLY);
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.toString("utf8", 0, off);
  } finally {
    closeSync(fd);
  }
}

/** What, besides the log, shows that hookpack recorded activity in `home` (undefined: nothing). */
function otherActivity(home: string): string | undefined {
  // Grants live only in the broker's memory; what a redeemed grant or a capability leaves on disk
  // (a session approval, a lease record) was audited when it happened.
  const approvals = join(home, "grants", "approvals.json");
  if (existsSync(approvals)) return `the session approvals ${approvals}`;
  try {
    const leases = readdirSync(join(home, "leases")).filter((e) => e.endsWith(".json"));
    if (leases.length > 0)
      return `${join(home, "leases")} (${leases.length} lease record${leases.length === 1 ? "" : "s"})`;
  } catch {
    // no leases directory
  }
  // The audit key is made by the first append.
  if (existsSync(auditKeyPath(home))) return `the audit key ${auditKeyPath(home)}`;
  return undefined;
}

/** Reads every file of the log and verifies it. Never throws for a damaged log; it reports it. */
export function readAuditLog(home: string): AuditLog {
  const dir = auditDir(home);
  const files = auditFiles(home);
  const problems: AuditProblem[] = [];
  const notes: AuditNote[] = [];
  let key: Buffer | undefined;
  try {
    key = readAuditKey(home);
  } catch (error) {
    problems.push({
      kind: "key-unreadable",
      message:
        error instanceof HookpackError ? error.message.replace(/^hookpack: /, "") : String(error),
    });
  }
  const kid = key ? keyId(key) : undefined;

  const lines: Line[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readLogText(file);
    } catch (error) {
      problems.push({
        kind: "malformed",
        file,
        message: `${basename(file)} cannot be read as the log (${error instanceof HookpackError ? "not a regular file" : ((error as NodeJS.ErrnoException).code ?? "error")}): replaced`,
      });
      continue;
    }
    const raw = text.split("\n");
    if (raw[raw.length - 1] === "") raw.pop();
    raw.forEach((r, i) => {
      let entry: Record<string, unknown> | undefined;
      try {
        const parsed = JSON.parse(r) as unknown;
        if (
          parsed &&
          typeof parsed === "object" &&
          !Array.isArray(parsed) &&
          typeof (parsed as { seq?: unknown }).seq === "number"
        )
          entry = parsed as Record<string, unknown>;
      } catch {
        entry = undefined;
      }
      const m = MAC_TAIL.exec(r);
      const macOk = !!(key && entry && m && equalB64(mac(key, `${r.slice(0, m.index)}}`), m[1]!));
      lines.push({ raw: r, file, line: i + 1, entry, macOk });
    });
  }
  if (!key && lines.length > 0 && !problems.length) {
    problems.push({
      kind: "key-missing",
      message: `the audit key ${auditKeyPath(home)} is missing, so no entry can be checked`,
    });
  }

  const head = readHead(home, key);
  const base = head.state === "ok" ? head.head.base : undefined;
  const validSeqs = new Set(lines.filter((l) => l.macOk).map((l) => l.entry!.seq as number));
  const records: AuditRecord[] = [];
  let expectedSeq: number | undefined = base?.seq ?? 1;
  let expectedPrev: string | undefined = base?.prev ?? GENESIS;
  let verified = 0;
  let last: { seq: number; hash: string } | undefined;
  let lastSeqSeen: number | undefined;
  const where = (l: Line) => ({ file: l.file, line: l.line });
  const at = (l: Line) => `${basename(l.file)}:${l.line}`;

  for (const [i, l] of lines.entries()) {
    const seq = typeof l.entry?.seq === "number" ? (l.entry.seq as number) : undefined;
    if (seq !== undefined) lastSeqSeen = seq;
    if (!key) {
      if (l.entry)
        records.push({ ...(l.entry as unknown as AuditRecord), file: l.file, line: l.line });
      continue;
    }
    if (!l.entry) {
      problems.push({
        kind: "malformed",
        seq: expectedSeq,
        ...where(l),
        message: `${at(l)} is not a complete entry (edited, or cut off by a crash)`,
      });
      expectedPrev = undefined;
      continue;
    }
    if (!l.macOk) {
      const foreign = typeof l.entry.kid === "string" && l.entry.kid !== kid;
      problems.push(
        foreign
          ? {
              kind: "forged",
              seq,
              ...where(l),
              message: `entry #${seq} (${at(l)}) was not written with this log's key (forged or copied from another log)`,
            }
          : {
              kind: "edited",
              seq,
              ...where(l),
              message: `entry #${seq} (${at(l)}) was edited: its HMAC does not match its content`,
            },
      );
      if (seq !== undefined && seq === expectedSeq) expectedSeq = seq + 1;
      expectedPrev = undefined;
      continue;
    }
    const s = seq!;
    const prev = l.entry.prev;
    if (expectedSeq !== undefined && s !== expectedSeq) {
      if (s > expectedSeq) {
        const missing = Array.from(
          { length: Math.min(s - expectedSeq, 10_000) },
          (_, k) => expectedSeq! + k,
        );
        const elsewhere = missing.find((m) => validSeqs.has(m));
        const firstInFile = l.line === 1 && i > 0;
        problems.push(
          elsewhere !== undefined
            ? {
                kind: "reordered",
                seq: expectedSeq,
                ...where(l),
                message: `entries are out of order: #${s} (${at(l)}) comes where #${expectedSeq} belongs`,
              }
            : {
                kind: "removed",
                seq: expectedSeq,
                ...where(l),
                message: `entr${s - expectedSeq === 1 ? "y" : "ies"} ${range(expectedSeq, s - 1)} ${s - expectedSeq === 1 ? "was" : "were"} removed (just before ${at(l)})${firstInFile ? "; a whole rotated file may be missing" : ""}`,
              },
        );
      } else {
        problems.push({
          kind: "reordered",
          seq: s,
          ...where(l),
          message: `entries are out of order: #${s} (${at(l)}) comes after #${expectedSeq - 1}`,
        });
      }
    } else if (expectedPrev !== undefined && prev !== expectedPrev) {
      problems.push({
        kind: "chain-broken",
        seq: s,
        ...where(l),
        message: `entry #${s} (${at(l)}) does not chain to the entry before it (replaced, or spliced in from another log)`,
      });
    } else {
      verified += 1;
    }
    if (l.entry.kind === "audit-notice") {
      const code = String(l.entry.code);
      if (code === "LOCK_FORGED" || code === "PENDING_FORGED") {
        problems.push({
          kind: code === "LOCK_FORGED" ? "lock-forged" : "forged",
          seq: s,
          ...where(l),
          message: `entry #${s} (${at(l)}) records that ${String(l.entry.message)}`,
        });
      } else if (code === "LOG_UNWRITABLE") {
        problems.push({
          kind: "malformed",
          seq: s,
          ...where(l),
          message: `entry #${s} (${at(l)}) records that ${String(l.entry.message)}`,
        });
      } else if (code === "TAIL_RESTORED") {
        // A cut tail and a crash that kept the anchor but not the log lines look the same; the
        // entries were not lost, but the cut is still reported (the log's file was short of them).
        problems.push({
          kind: "truncated",
          seq: s,
          ...where(l),
          message: `entry #${s} (${at(l)}) records that ${String(l.entry.message)}`,
        });
      } else if (code === "LOG_CHANGED" || code === "PENDING_MISSING") {
        problems.push({
          kind: code === "LOG_CHANGED" ? "truncated" : "removed",
          seq: s,
          ...where(l),
          message: `entry #${s} (${at(l)}) records that ${String(l.entry.message)}`,
        });
      } else if (code === "LOCK_HELD" || code === "LOCK_STALE") {
        notes.push({ code, seq: s, message: String(l.entry.message) });
      } else if (code === "TORN_LINE") {
        const before = problems[problems.length - 1];
        if (before?.kind === "malformed" && before.file === l.file && before.line === l.line - 1) {
          problems.pop();
          notes.push({
            code,
            seq: s,
            message: `${at({ ...l, line: l.line - 1 })} is a line cut off by a crash; the log noted it at #${s}`,
          });
        } else notes.push({ code, seq: s, message: String(l.entry.message) });
      } else {
        problems.push({
          kind: code === "ANCHOR_INVALID" ? "anchor-invalid" : "anchor-missing",
          seq: s,
          ...where(l),
          message: `entry #${s} (${at(l)}) records that ${String(l.entry.message)}`,
        });
      }
    }
    records.push({ ...(l.entry as unknown as AuditRecord), file: l.file, line: l.line });
    expectedSeq = s + 1;
    expectedPrev = sha256(l.raw);
    last = { seq: s, hash: expectedPrev };
  }

  // Deleting the log, its anchor and its key leaves "nothing recorded"; other state says otherwise.
  if (lines.length === 0 && head.state !== "ok") {
    const activity = otherActivity(home);
    if (activity)
      problems.push({
        kind: "log-missing",
        message: `there is no audit log (nor its head anchor), but ${activity} shows hookpack was used here: the log was removed`,
      });
  }

  if (key) {
    if (head.state === "missing") {
      if (lines.length > 0)
        problems.push({
          kind: "anchor-missing",
          message: `the head anchor ${auditHeadPath(home)} is missing, so a cut-off tail cannot be ruled out`,
        });
    } else if (head.state === "invalid") {
      problems.push({
        kind: "anchor-invalid",
        message: `the head anchor ${auditHeadPath(home)} ${head.why}, so a cut-off tail cannot be ruled out`,
      });
    } else {
      const h = head.head;
      let end = lastSeqSeen ?? (base ? base.seq - 1 : 0);
      // The anchor carries the last append's lines: a crash that kept the anchor but not the log
      // lines (no fsync per append) loses nothing; the next append writes them back.
      let restored = false;
      const from =
        last ?? (lines.length === 0 ? { seq: end, hash: base?.prev ?? GENESIS } : undefined);
      if (end < h.seq && h.tail && from && from.seq === end && tailFollows(h.tail, from, h, key)) {
        for (const raw of h.tail) {
          const entry = JSON.parse(raw) as Record<string, unknown>;
          records.push({
            ...(entry as unknown as AuditRecord),
            file: auditHeadPath(home),
            line: 0,
          });
          verified += 1;
        }
        problems.push({
          kind: "truncated",
          seq: end + 1,
          message: `the log file ends at #${end}, but the head anchor records #${h.seq}: entries ${range(end + 1, h.seq)} were cut off (or a crash kept the last append from the disk); the anchor holds them, HMAC'd and chained, so they are listed and the next append writes them back`,
        });
        last = { seq: h.seq, hash: h.hash };
        end = h.seq;
        restored = true;
      }
      if (end < h.seq) {
        problems.push({
          kind: "truncated",
          seq: end + 1,
          message:
            lines.length === 0
              ? `the log is gone: the head anchor records ${h.seq} entries, but ${dir} holds none`
              : `the log was cut off: it ends at #${end}, but the head anchor records #${h.seq} (entries ${range(end + 1, h.seq)} are missing)`,
        });
      } else if (last && last.seq === h.seq && last.hash !== h.hash) {
        problems.push({
          kind: "chain-broken",
          seq: h.seq,
          message: `the last entry #${h.seq} is not the one the head anchor recorded (the tail was replaced)`,
        });
      } else if (end > h.seq) {
        notes.push({
          code: "ANCHOR_BEHIND",
          message: `the head anchor is ${end - h.seq} entr${end - h.seq === 1 ? "y" : "ies"} behind the log (an append was interrupted before it updated the anchor)`,
        });
      }
      // The log ends where the anchor says: is it still the file that append left (FileStamp)?
      // An older anchor put back beside a log cut back to it passes every check above.
      const logProblem = problems.some((p) =>
        [
          "edited",
          "forged",
          "removed",
          "reordered",
          "chain-broken",
          "malformed",
          "truncated",
        ].includes(p.kind),
      );
      if (
        h.log &&
        !restored &&
        !logProblem &&
        end === h.seq &&
        last?.seq === h.seq &&
        last.hash === h.hash
      ) {
        const why = logWitness(home, h.log);
        if (why)
          problems.push({
            kind: "truncated",
            seq: h.seq + 1,
            message: `${why}: entries after #${h.seq} may have been cut off`,
          });
      }
      if (h.pend !== undefined) {
        const why = pendingWitness(home, key, anchoredPending(home, key));
        if (why) problems.push({ kind: "removed", message: why });
      }
    }
  }
  // Entries that waited in pending/ (the lock was held when they were written): shown, not chained.
  let pending = 0;
  const chainedJids = new Set(
    records.map((r) => (r as { jid?: unknown }).jid).filter((j) => typeof j === "string"),
  );
  for (const f of pendingFiles(home)) {
    const raw = readPendingFile(f) ?? [];
    raw.forEach((r, i) => {
      const e = key ? openSealed(key, r) : undefined;
      if (!e || e.pending !== true || typeof e.jid !== "string") {
        if (key)
          problems.push({
            kind: "forged",
            file: f,
            line: i + 1,
            message: `${basename(f)}:${i + 1} in ${basename(dir)}/pending/ fails its HMAC or does not parse (forged, or written with another key)`,
          });
        return;
      }
      if (chainedJids.has(e.jid)) return; // chained already; the file is left from a cut merge
      pending += 1;
      // What a pending write found wrong (a waiting file removed before it) is reported now, not
      // only once an append has chained it.
      if (e.kind === "audit-notice" && (e.code === "PENDING_MISSING" || e.code === "LOG_CHANGED"))
        problems.push({
          kind: e.code === "LOG_CHANGED" ? "truncated" : "removed",
          file: f,
          line: i + 1,
          message: `${basename(f)}:${i + 1} in ${basename(dir)}/pending/ records that ${String(e.message)}`,
        });
      records.push({ ...(e as unknown as AuditRecord), seq: 0, file: f, line: i + 1 });
    });
  }
  if (pending > 0)
    notes.push({
      code: "PENDING",
      message: `${pending} entr${pending === 1 ? "y waits" : "ies wait"} in ${join(dir, "pending")} (written while the append lock was held; HMAC-checked; the next append chains ${pending === 1 ? "it" : "them"})`,
    });
  const lock = inspectAuditLock(auditLockPath(home));
  if (lock) {
    if (lock.type !== "file")
      problems.push({
        kind: "lock-forged",
        message: `the append lock ${auditLockPath(home)} is a ${lock.type}, not a lock file hookpack makes: a process is trying to keep entries out of the log (appends write to pending/ meanwhile; the next one removes it)`,
      });
    else if (lock.alive && lock.ageMs > 10_000)
      problems.push({
        kind: "lock-held",
        message: `the append lock ${auditLockPath(home)} has been held by pid ${lock.pid} for ${Math.round(lock.ageMs / 1000)} s (an append holds it for milliseconds): a process is keeping it; appends write to pending/ meanwhile`,
      });
    else if (!lock.alive)
      notes.push({
        code: "LOCK_STALE",
        message: `the append lock ${auditLockPath(home)} was left by pid ${lock.pid ?? 0}, which is gone; the next append removes it`,
      });
  }
  if (existsSync(legacyAuditPath(home)))
    notes.push({
      code: "LEGACY_LOG",
      message: `${legacyAuditPath(home)} is an unchained log from an older hookpack; it is not verified (keep or delete it)`,
    });

  const verification: AuditVerification = {
    ok: problems.length === 0,
    dir,
    files,
    lines: lines.length,
    verified,
    pending,
    first: records[0]?.seq,
    last,
    anchor: head.state === "ok" ? { state: "ok", seq: head.head.seq } : { state: head.state },
    keyId: kid,
    problems,
    notes,
  };
  return { records, verification };
}

// ── queries shared by `audit`, `revoke` and `doctor` ──

/** The secret names an entry mentions. */
export function entrySecrets(r: AuditRecord): string[] {
  const e = r as unknown as Record<string, unknown>;
  const out = new Set<string>();
  for (const k of ["secrets", "redactedNames"])
    if (Array.isArray(e[k]))
      for (const n of e[k] as unknown[]) if (typeof n === "string") out.add(n);
  if (typeof e.secret === "string") out.add(e.secret);
  return [...out];
}

/** `--since`: an ISO date/time, or a duration back from now (90s, 30m, 12h, 7d, 2w). */
export function parseSince(text: string, now = new Date()): Date {
  const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (m) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[
      m[2] as "s" | "m" | "h" | "d" | "w"
    ];
    return new Date(now.getTime() - Number(m[1]) * unit);
  }
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim()) || Number.isNaN(t)) {
    throw new HookpackError(
      "USAGE",
      `hookpack: --since "${text}" is not a date (2026-11-22, 2026-11-22T10:00Z) or a duration (30m, 12h, 7d, 2w).`,
    );
  }
  return new Date(t);
}

export interface AuditFilter {
  since?: Date;
  secrets?: readonly string[];
  agents?: readonly string[];
  kinds?: readonly string[];
}

export function filterRecords(records: readonly AuditRecord[], f: AuditFilter): AuditRecord[] {
  return records.filter((r) => {
    if (f.since && !(Date.parse(r.ts) >= f.since.getTime())) return false;
    if (f.kinds?.length && !f.kinds.includes(r.kind)) return false;
    if (f.agents?.length && !f.agents.includes(r.agent ?? "")) return false;
    if (f.secrets?.length) {
      const names = entrySecrets(r);
      if (!f.secrets.some((s) => names.includes(s))) return false;
    }
    return true;
  });
}
