// The one audit log: append-only JSON lines under $HOOKPACK_HOME/audit/, each entry carrying the
// hash of the entry before it and an HMAC over its own bytes. Entries hold names, counts, codes
// and masked summaries, never a value.
//
// Layout (why the key is where it is):
//   $HOOKPACK_HOME/audit/audit.jsonl          the current file (rotated files: audit.000001.jsonl, …)
//   $HOOKPACK_HOME/audit/audit.lock           the append lock (held for a few ms; never waited on long)
//   $HOOKPACK_HOME/audit/pending/*.jsonl      entries written while the lock was held by someone else:
//                                             HMAC'd, chained by the next append that holds the lock
//   $HOOKPACK_HOME/audit.key                  the HMAC key (0600), beside store.key, NOT in the log dir
//   $HOOKPACK_HOME/audit-head.json            the head anchor (last seq + hash, HMAC'd), outside the log dir
// Appends happen from hook processes and git hooks, which must stay fast and must never block on
// a keychain prompt (or lose a record because the keychain is locked in an SSH session). So the
// key is a 0600 file on the store side of HOOKPACK_HOME, never in the log directory: a copy,
// backup or shipment of the log directory cannot be re-chained, and an edit of a line, a deleted or
// reordered line, a forged line or a cut-off tail is detected at the right entry. A process running
// as the same user can read the key; the threat model says so plainly.
//
// Never lost to a held lock: an append waits for the lock at most LOCK_BUDGET_MS (a process that
// holds it legitimately holds it for a few ms). Past that (a same-user process holding the lock on
// purpose, or a lock path that is a symlink, directory or FIFO), the entries are written, HMAC'd but
// not yet chained, as one new file under pending/ (created under a temporary name and renamed, so
// it is seen whole or not at all); the next append that holds the lock chains them (each keeps its
// own time and a `jid`, so a merge interrupted by a crash is never chained twice), and `audit
// --verify` shows the ones still waiting and reports a lock held for long or not made by hookpack.
//
// Crash consistency without an fsync per append: the head anchor carries the lines of the last
// append (`tail`), and is replaced only after they were written to the log. If a crash loses those
// lines from the log while the new anchor survived, the verifier reads them from the anchor (they
// carry their own HMAC and chain link) and the next append writes them back: they are not lost.
// Such a log is still reported as cut (`truncated`: a cut tail looks the same), which on ext4's
// default data=ordered mode a crash cannot produce (the log's append commits no later than the
// anchor's rename). The kernel writes both files within seconds; a power cut in that window takes
// the last entries.
//
// One entry on disk (one line; `mac` is always the last member, so verification MACs raw bytes):
//   {"v":1,"seq":42,"ts":"2026-11-22T10:31:02.118Z","kind":"exec",…,"kid":"3f9a…","prev":"<sha256 hex of line 41>","mac":"<base64>"}
import {
  closeSync,
  constants as fsc,
  existsSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { HookpackError } from "../core/errors.js";
import { hmacSha256, sha256 as sha256Bytes } from "../core/sha256-wasm.js";
import { PREFILTER } from "../rules/secretlint.js";
import { ensurePrivateDir, pidAlive, writeFileAtomic } from "../core/fs-safe.js";
import { AUDIT_DIR, AUDIT_FILE, AUDIT_HEAD_FILE, AUDIT_KEY_FILE } from "../core/files.js";
import { quoteWord } from "../core/shell-quote.js";
import { randomHex } from "../core/random.js";

const LOCK_FILE = "audit.lock";
const PENDING_DIR = "pending";
/**
 * The longest an append waits for one holder of the lock (the same lock file) before it writes its
 * entries to pending/ instead; while the lock changes hands (other appends finishing) it waits up
 * to LOCK_TOTAL_MS in all, so ordinary contention still chains in order.
 */
export const LOCK_BUDGET_MS = 400;
const LOCK_TOTAL_MS = 2000;
/** A lock held this long by a live process is not an append (appends hold it for milliseconds). */
export const LOCK_HELD_LONG_MS = 1000;
/** Largest anchor tail (bytes of lines): a larger append is anchored by its hash only. */
const TAIL_MAX = 64 * 1024;
const FORMAT_VERSION = 1;

// node:crypto costs a few ms to load on Node 20: loaded only to create the key (the first append
// of a home), never on an ordinary append.
const crypto = () => process.getBuiltinModule("node:crypto");
/** `prev` of the very first entry. */
export const GENESIS = "0".repeat(64);
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
const DEFAULT_KEEP = 8;
const MAX_STRING = 600;

// ── entry types: one per thing worth proving ──

/** Who and where, when known. */
export interface AuditContext {
  agent?: string;
  session?: string;
  cwd?: string;
  user?: string;
}

export interface ExecAuditEntry extends AuditContext {
  kind: "exec";
  /** Kept for callers written before the chain; the log writes its own timestamp. */
  ts?: string;
  grant?: string;
  cwd: string;
  secrets: string[];
  /** The command line, shell-quoted, managed values masked, truncated. */
  command: string;
  exitCode: number;
  signal?: string;
  durationMs: number;
  redactions: number;
  redactedNames: string[];
  /** Set when the exec was refused before the child started (an error code). */
  refused?: string;
}

export interface GrantIssuedEntry extends AuditContext {
  kind: "grant-issued";
  grant: string;
  secrets: string[];
  /** Masked command summary the grant is bound to. */
  command: string;
  expires?: string;
}

export interface GrantRefusedEntry extends AuditContext {
  kind: "grant-refused";
  secrets: string[];
  command?: string;
  /** Why, as a code (SECRET_REVOKED, POLICY_DENIED, …). */
  code: string;
}

export interface GrantsRevokedEntry extends AuditContext {
  kind: "grants-revoked";
  secret: string;
  count: number;
}

export interface ReadBlockedEntry extends AuditContext {
  kind: "read-blocked";
  /** The file the agent tried to read. */
  path: string;
  code: string;
  tool?: string;
  secrets?: string[];
  rules?: string[];
}

export interface OutputRedactedEntry extends AuditContext {
  kind: "output-redacted";
  tool?: string;
  count: number;
  /** Managed secrets whose values were replaced. */
  secrets: string[];
  /** Detector rule ids for pattern findings. */
  rules?: string[];
}

export interface StateCleanedEntry extends AuditContext {
  kind: "state-cleaned";
  path: string;
  findings: number;
  secrets?: string[];
  rules?: string[];
}

export interface PushBlockedEntry extends AuditContext {
  kind: "push-blocked";
  remote?: string;
  refs: string[];
  findings: number;
  rules: string[];
  fingerprints: string[];
  secrets?: string[];
}

export interface PackBlockedEntry extends AuditContext {
  kind: "pack-blocked";
  target: string;
  findings: number;
  rules: string[];
  fingerprints: string[];
  secrets?: string[];
}

export interface ExposureFoundEntry extends AuditContext {
  kind: "exposure-found";
  /** Where it was found: a path, "transcript", "commit <oid>", a package. */
  where: string;
  secret?: string;
  rule?: string;
  fingerprint?: string;
}

export interface SecretRevokedEntry extends AuditContext {
  kind: "secret-revoked";
  secret: string;
  grants: number;
}

/** The broker's proxy put a secret's value into one outbound request (or refused to). */
export interface InjectEntry extends AuditContext {
  kind: "inject";
  secret: string;
  grant: string;
  /** host:port of the upstream. */
  host: string;
  method: string;
  /** The request path, its query elided. */
  path: string;
  /** The upstream's status code. */
  status?: number;
  /** Set when the value was not sent (INJECT_HOST, INJECT_PLAINTEXT, INJECT_BODY, UPSTREAM_FAILED). */
  refused?: string;
}

/** A credential minted for a capability ($cap:NAME): the lease exists from here on (broker/leases.ts). */
export interface LeaseIssuedEntry extends AuditContext {
  kind: "lease-issued";
  lease: string;
  capability: string;
  provider: string;
  scope: string;
  grant: string;
  toolCallId?: string;
  expires: string;
  command: string;
}

/** A lease ended: revoked at exit, after a crash, by the drill, or expired; or its revoke failed. */
export interface LeaseEndedEntry extends AuditContext {
  kind: "lease-ended";
  lease: string;
  capability: string;
  provider: string;
  grant: string;
  outcome:
    | "revoked_at_exit"
    | "expired_without_reuse"
    | "revoked_after_crash"
    | "revoked_by_drill"
    | "released_not_revocable"
    | "expires_at_ttl_only"
    | "revoke_failed";
  /** What the source said after the revoke ("revoked": the credential is gone). */
  verified?: "revoked" | "active" | "unknown";
  error?: string;
  heldMs: number;
}

/** A capability was not minted (the provider failed: fail closed) or a used grant was presented again. */
export interface LeaseRefusedEntry extends AuditContext {
  kind: "lease-refused";
  grant?: string;
  capabilities: string[];
  code: string;
  outcome: "mint_failed" | "reuse_refused";
  leases?: string[];
  reason: string;
}

/** Written by the log itself: something about the log a verifier must know. */
export interface AuditNoticeEntry extends AuditContext {
  kind: "audit-notice";
  code:
    | "ANCHOR_MISSING"
    | "ANCHOR_INVALID"
    | "TORN_LINE"
    /** The lock was held by a live process for longer than an append takes; entries went to pending/. */
    | "LOCK_HELD"
    /** The lock path was not a lock file hookpack makes (a symlink, directory, FIFO, …). */
    | "LOCK_FORGED"
    /** A lock left by a process that is gone was removed. */
    | "LOCK_STALE"
    /** A file in pending/ failed its HMAC or did not parse; it was not chained. */
    | "PENDING_FORGED"
    /** The log lacked the last append's lines (a crash); they were written back from the anchor. */
    | "TAIL_RESTORED"
    /** The log file could not be appended to (not a regular file, …); entries went to pending/. */
    | "LOG_UNWRITABLE"
    /**
     * The log file was changed after the last append although it holds no newer entry (its inode,
     * size or ctime differs from what the anchor recorded): cut back and an older anchor put back.
     */
    | "LOG_CHANGED"
    /** pending/ changed after the last append in a way no pending write explains: a file was removed. */
    | "PENDING_MISSING";
  message: string;
}

export type AuditEvent =
  | ExecAuditEntry
  | GrantIssuedEntry
  | GrantRefusedEntry
  | GrantsRevokedEntry
  | ReadBlockedEntry
  | OutputRedactedEntry
  | StateCleanedEntry
  | PushBlockedEntry
  | PackBlockedEntry
  | ExposureFoundEntry
  | SecretRevokedEntry
  | InjectEntry
  | LeaseIssuedEntry
  | LeaseEndedEntry
  | LeaseRefusedEntry
  | AuditNoticeEntry;

/** Kept name for the broker's import. */
export type AuditEntry = AuditEvent;
export type AuditKind = AuditEvent["kind"];

export const AUDIT_KINDS: readonly AuditKind[] = [
  "exec",
  "grant-issued",
  "grant-refused",
  "grants-revoked",
  "read-blocked",
  "output-redacted",
  "state-cleaned",
  "push-blocked",
  "pack-blocked",
  "exposure-found",
  "secret-revoked",
  "inject",
  "lease-issued",
  "lease-ended",
  "lease-refused",
  "audit-notice",
];

/** One entry as read back: the event plus the chain fields and where it sits. */
export type AuditRecord = AuditEvent & {
  v: number;
  seq: number;
  ts: string;
  kid: string;
  prev: string;
  mac: string;
  /** Where the line is (not stored). */
  file: string;
  line: number;
};

// ── paths and options ──

export const auditDir = (home: string) => join(home, AUDIT_DIR);
export const auditPath = (home: string) => join(home, AUDIT_DIR, AUDIT_FILE);
export const auditKeyPath = (home: string) => join(home, AUDIT_KEY_FILE);
export const auditHeadPath = (home: string) => join(home, AUDIT_HEAD_FILE);
export const auditLockPath = (home: string) => join(home, AUDIT_DIR, LOCK_FILE);
export const auditPendingDir = (home: string) => join(home, AUDIT_DIR, PENDING_DIR);
/** Where hookpack ≤ 0.1 wrote an unchained log; reported, never read as part of the chain. */
export const legacyAuditPath = (home: string) => join(home, "audit.jsonl");

export interface AuditOptions {
  /** Rotate the current file when it would grow past this (HOOKPACK_AUDIT_MAX_BYTES, default 8 MiB). */
  maxBytes?: number;
  /** Rotated files to keep (HOOKPACK_AUDIT_KEEP, default 8; 0 keeps all). */
  keep?: number;
  /** Default `Date.now` (tests). */
  now?: () => Date;
  /** How long to wait for the lock before writing to pending/ (default LOCK_BUDGET_MS). */
  lockTimeoutMs?: number;
  /** true: fsync the log after the append (default false: see "Crash consistency" above). */
  durable?: boolean;
  /**
   * The hook prefilter (rules/secretlint.ts PREFILTER.test) as the caller already runs it: the hook
   * passes its own, warm from scanning the call, instead of this bundle's cold copy of the same
   * function (~1 ms of an append). Default PREFILTER.test.
   */
  looksSecret?: (text: string) => boolean;
}

function envInt(value: string | undefined, fallback: number, min: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isInteger(n) && n >= min ? n : fallback;
}

export function auditOptionsFromEnv(env: NodeJS.ProcessEnv): AuditOptions {
  return {
    maxBytes: envInt(env.HOOKPACK_AUDIT_MAX_BYTES, DEFAULT_MAX_BYTES, 1024),
    keep: envInt(env.HOOKPACK_AUDIT_KEEP, DEFAULT_KEEP, 0),
  };
}

// ── the key ──

function decodeKey(path: string, text: string): Buffer {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) {
    throw new HookpackError(
      "AUDIT_KEY_INVALID",
      `hookpack: the audit key ${path} is not a 32-byte base64 key.`,
      "restore it from a backup; without it the audit log cannot be verified.",
    );
  }
  return key;
}

/** The audit HMAC key, or undefined when there is none. Refuses a key file others can read. */
export function readAuditKey(home: string): Buffer | undefined {
  const path = auditKeyPath(home);
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw new HookpackError(
        "AUDIT_KEY_PERMISSIONS",
        `hookpack: the audit key ${path} is readable by other users (mode ${mode.toString(8)}).`,
        `run \`chmod 600 ${path}\`.`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return decodeKey(path, text);
}

function createAuditKey(home: string): Buffer {
  const path = auditKeyPath(home);
  ensurePrivateDir(home);
  const key = crypto().randomBytes(32);
  // Written whole under a temporary name, then linked into place (link never replaces a file):
  // a concurrent first append reads either no key or the whole key, never a half-written one.
  const tmp = `${path}.${process.pid}.${randomHex(4)}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, `${key.toString("base64")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readAuditKey(home)!;
    throw error;
  } finally {
    unlinkSync(tmp);
  }
  return key;
}

/** A short, value-free id of a key: lets a verifier tell "written with another key" from "edited". */
export function keyId(key: Buffer): string {
  return Buffer.from(hmacSha256(key, "hookpack audit key id v1")).toString("hex").slice(0, 16);
}

// The append path hashes with core/sha256-wasm.ts, not node:crypto: loading node:crypto (and the
// stream internals it pulls in) cost ~3.6 ms CPU of every hook call that redacts or blocks, for
// ~50 blocks of hashing (issue 21). Same bytes (test/core/sha256-wasm.test.ts); `audit --verify`
// (broker/audit-verify.ts) checks them with node:crypto.
const mac = (key: Buffer, text: string) =>
  Buffer.from(hmacSha256(key, `hookpack-audit-v1\n${text}`)).toString("base64");
const sha256 = (text: string) =>
  Buffer.from(sha256Bytes(Buffer.from(text, "utf8"))).toString("hex");

/** Two base64 MACs compared without an early exit (the length of a MAC is no secret). */
function equalB64(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  if (x.length !== y.length || x.length === 0) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

// ── the head anchor ──

export interface AuditHead {
  v: number;
  seq: number;
  hash: string;
  kid: string;
  /** Where the oldest kept entry starts the chain, after old files were pruned. */
  base?: { seq: number; prev: string };
  /**
   * The lines of the last append, exactly as written to the log (each HMAC'd and chained; the last
   * one hashes to `hash`, so they need no MAC of the anchor's own): a crash that lost them from
   * the log loses nothing.
   */
  tail?: string[];
  /**
   * The log file as the append that wrote this anchor left it (inode, size, ctime in ns): the
   * kernel sets a file's ctime on every change, and no process can set it back, so an older anchor
   * put back beside a log cut back to it no longer matches the log (`LOG_CHANGED`). Under the MAC.
   */
  log?: FileStamp;
  /** pending/ (inode, ctime) as that append left it, null when there was none (`PENDING_MISSING`). */
  pend?: FileStamp | null;
  mac: string;
}

/** A file's identity and last change as the kernel keeps them (ctime cannot be set back). */
export interface FileStamp {
  ino: string;
  size: number;
  ctime: string;
}

const stampOf = (st: {
  ino: bigint;
  size: bigint;
  ctimeNs: bigint;
  isDirectory(): boolean;
}): FileStamp => ({
  ino: String(st.ino),
  // A directory's size is its block count, not a change: only the inode and ctime count.
  size: st.isDirectory() ? 0 : Number(st.size),
  ctime: String(st.ctimeNs),
});
const sameStamp = (a: FileStamp | null | undefined, b: FileStamp | null | undefined) =>
  a === b || (!!a && !!b && a.ino === b.ino && a.size === b.size && a.ctime === b.ctime);

/**
 * pending/'s stamp for the anchor, the directory made first when it is missing: a pending/ that
 * always exists can be neither removed nor made again unseen (a new directory is a new inode).
 */
function pendingStamp(home: string): FileStamp | null {
  const dir = auditPendingDir(home);
  const st = stampAt(dir);
  if (st) return st;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // made meanwhile by a pending write, or cannot be: the stamp says what is there
  }
  return stampAt(dir);
}

/** The stamp of a path, not following a symlink; null when there is nothing there. */
export function stampAt(path: string): FileStamp | null {
  const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return st ? stampOf(st) : null;
}

type HeadRead =
  { state: "missing" } | { state: "invalid"; why: string } | { state: "ok"; head: AuditHead };

function headBody(h: Omit<AuditHead, "mac">): string {
  return JSON.stringify({
    v: h.v,
    seq: h.seq,
    hash: h.hash,
    kid: h.kid,
    base: h.base ?? null,
    // Anchors written before the stamps have neither member (their MAC is over the old body).
    ...(h.log !== undefined ? { log: h.log } : {}),
    ...(h.pend !== undefined ? { pend: h.pend } : {}),
  });
}

/** The largest gap between a pending file's rename and pending/'s ctime that one write makes. */
const PENDING_SLACK_NS = 50_000_000n;
/** A pending write renames its file in at most this long after its entries' `ts` (lock waits). */
const PENDING_AGE_NS = 10_000_000_000n;

/**
 * Whether pending/ is as hookpack left it: unchanged since the anchor's append, or last changed by
 * the rename of the newest pending file there (a pending write renames its file in; that one
 * rename sets its ctime and the directory's). A file removed from pending/ before an append chained
 * it sets the directory's ctime to the time of the removal, which no remaining file explains; an
 * old pending file renamed to explain it is caught by its entries' sealed `ts`. A file that is not
 * sealed with this key is reported as forged by its reader (PENDING_FORGED). Returns a problem, or
 * undefined. Looked at again (10, 50, 200 ms later, the anchor read again) before saying so: a
 * pending write may be between its two steps, or an append between its unlinks and its anchor.
 * `recorded` gives the anchor's stamp (undefined: an anchor without one, nothing to check).
 */
export function pendingWitness(
  home: string,
  key: Buffer,
  recorded: () => FileStamp | null | undefined,
): string | undefined {
  const look = (): string | undefined => {
    const want = recorded();
    if (want === undefined) return undefined;
    const dir = auditPendingDir(home);
    const now = stampAt(dir);
    if (sameStamp(now, want)) return undefined;
    if (!now)
      return `${AUDIT_DIR}/${PENDING_DIR}/ was removed after the last append (entries waiting there were lost)`;
    let newest: { file: string; ctime: bigint } | undefined;
    for (const f of pendingFiles(home)) {
      const st = lstatSync(f, { bigint: true, throwIfNoEntry: false });
      if (st && (!newest || st.ctimeNs > newest.ctime)) newest = { file: f, ctime: st.ctimeNs };
    }
    const gap = newest ? BigInt(now.ctime) - newest.ctime : undefined;
    if (newest && gap! <= PENDING_SLACK_NS && gap! >= -PENDING_SLACK_NS) {
      const lines = (readPendingFile(newest.file) ?? []).map((l) => openSealed(key, l));
      if (lines.length === 0 || lines.some((e) => e?.pending !== true)) return undefined; // forged: reported as such
      const written = lines.reduce((t, e) => Math.max(t, Date.parse(String(e!.ts)) || 0), 0);
      if (newest.ctime - BigInt(written) * 1_000_000n <= PENDING_AGE_NS) return undefined;
    }
    return `${AUDIT_DIR}/${PENDING_DIR}/ was changed after the last append by something other than a pending write: a file of entries waiting to be chained was removed`;
  };
  let why = look();
  for (const wait of [10, 50, 200]) {
    if (why === undefined) return undefined;
    sleepMs(wait);
    why = look();
  }
  return why;
}

/** The anchor's pending/ stamp as it is now (undefined: none to check against). */
export const anchoredPending = (home: string, key: Buffer) => (): FileStamp | null | undefined => {
  try {
    const head = readHead(home, key);
    return head.state === "ok" ? head.head.pend : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Whether the log's last file is the one the anchor's append left (inode, size, ctime): checked
 * when the log ends exactly where the anchor says, the state an older anchor put back beside a log
 * cut back to it would otherwise pass as. Returns a problem, or undefined.
 */
export function logWitness(
  home: string,
  recorded: FileStamp,
  files: readonly string[] = auditFiles(home),
): string | undefined {
  const last = files[files.length - 1];
  const now = last ? stampAt(last) : null;
  if (sameStamp(now, recorded)) return undefined;
  return `the log file ${last ? basename(last) : AUDIT_FILE} was changed after the append that wrote the head anchor, though it holds no newer entry (cut back, with an older anchor put back; or edited, copied or restored)`;
}

export function readHead(home: string, key: Buffer | undefined): HeadRead {
  let text: string;
  try {
    // Not following a symlink, not blocking on a FIFO put in its place.
    const fd = openSync(auditHeadPath(home), fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > 1024 * 1024)
        return { state: "invalid", why: "is not a regular file of an anchor's size" };
      const buf = Buffer.alloc(st.size);
      const n = readSync(fd, buf, 0, st.size, 0);
      text = buf.toString("utf8", 0, n);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { state: "missing" };
    if (code === "ELOOP") return { state: "invalid", why: "is a symlink" };
    throw error;
  }
  let h: AuditHead;
  try {
    h = JSON.parse(text) as AuditHead;
  } catch {
    return { state: "invalid", why: "is not valid JSON" };
  }
  if (!h || typeof h.seq !== "number" || typeof h.hash !== "string" || typeof h.mac !== "string")
    return { state: "invalid", why: "is missing fields" };
  if (
    h.tail !== undefined &&
    !(Array.isArray(h.tail) && h.tail.every((l) => typeof l === "string"))
  )
    return { state: "invalid", why: "has a malformed tail" };
  if (key && !equalB64(mac(key, headBody(h)), h.mac))
    return {
      state: "invalid",
      why: h.kid !== keyId(key) ? "was written with another key" : "fails its HMAC (edited)",
    };
  return { state: "ok", head: h };
}

function writeHead(
  home: string,
  key: Buffer,
  h: Omit<AuditHead, "mac" | "v" | "kid">,
  kid = keyId(key),
): void {
  const body = { v: FORMAT_VERSION, kid, ...h };
  // Replaced atomically, after the log lines were written, not fsynced: an anchor that lags after
  // a crash is reported as such (ANCHOR_BEHIND); one that got ahead of the log carries the lines
  // the log lacks (`tail`). Neither is reported as tampering.
  replaceUnderLock(
    auditHeadPath(home),
    `${JSON.stringify({ ...body, base: h.base, mac: mac(key, headBody(body)), ...(h.tail ? { tail: h.tail } : {}) })}\n`,
  );
}

/**
 * Replaces a file atomically (a reader or a crash sees the old file or the new one) while the
 * append lock is held: written whole under ONE fixed temporary name beside it (only the lock's
 * holder writes there), created exclusively (never through a planted link or FIFO; a temporary
 * file left by a writer that died, or planted, is removed first), then renamed over. Unlike
 * writeFileAtomic it neither re-creates the directory nor lists it for stale temporary files on
 * every append (~0.4 ms of a hook call, issue 21): there is only the one name to clean.
 */
function replaceUnderLock(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | fsc.O_NONBLOCK;
  let fd: number;
  try {
    fd = openSync(tmp, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const st = lstatSync(tmp);
    if (st.isDirectory()) rmdirSync(tmp);
    else unlinkSync(tmp);
    fd = openSync(tmp, flags, 0o600);
  }
  try {
    writeAll(fd, text);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

// ── files ──

const ROTATED_RE = /^audit\.(\d{6,})\.jsonl$/;

/** The log's files, oldest first (rotated by number, then the current file). */
export function auditFiles(home: string): string[] {
  const dir = auditDir(home);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated = names
    .filter((n) => ROTATED_RE.test(n))
    .sort((a, b) => Number(ROTATED_RE.exec(a)![1]) - Number(ROTATED_RE.exec(b)![1]))
    .map((n) => join(dir, n));
  return names.includes(AUDIT_FILE) ? [...rotated, join(dir, AUDIT_FILE)] : rotated;
}

/** Opens a log file without following a symlink or blocking on a FIFO; refuses anything but a file. */
export function openLogFile(path: string, flags: number, mode = 0o600): number {
  const fd = openSync(path, flags | fsc.O_NOFOLLOW | fsc.O_NONBLOCK, mode);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new HookpackError(
      "AUDIT_NOT_A_FILE",
      `hookpack: the audit log ${path} is not a regular file.`,
      `move it aside (mv ${path} ${path}.bad); the next append starts a new file and \`hookpack audit --verify\` reports the gap.`,
    );
  }
  return fd;
}

/**
 * The last complete line of a file (reads at most the last 256 KiB), whether the file ends torn,
 * and the text read (where a merge looks for entries it already chained).
 */
function lastLine(
  path: string,
  want = 8 * 1024,
): {
  line: string | undefined;
  torn: boolean;
  size: number;
  window: string;
  /** Bytes after the last newline (a line cut off by a crash). */
  tornBytes?: number;
} {
  let fd: number;
  try {
    fd = openLogFile(path, fsc.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { line: undefined, torn: false, size: 0, window: "" };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { line: undefined, torn: false, size, window: "" };
    // The last few KiB hold the last line (entries are short); a longer one, or the window a merge
    // searches for entries it already chained, takes up to 256 KiB. An 8 MiB log is no longer read
    // 256 KiB deep and split into lines on every append (issue 21).
    for (let len = Math.min(size, want); ; len = Math.min(size, 256 * 1024)) {
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      const text = buf.toString("utf8");
      const torn = !text.endsWith("\n");
      const lines = text.split("\n");
      lines.pop(); // "" after the last LF, or the torn fragment
      const line = lines.pop();
      // Whole when a newline comes before it in the window, or the window is the whole file.
      if (lines.length > 0 || len === size || len >= 256 * 1024) {
        const tornBytes = torn ? buf.length - (buf.lastIndexOf(10) + 1) : 0;
        return { line: line === "" ? undefined : line, torn, size, window: text, tornBytes };
      }
    }
  } finally {
    closeSync(fd);
  }
}

function parseChainFields(line: string): { seq: number; hash: string } | undefined {
  try {
    const e = JSON.parse(line) as { seq?: unknown };
    return typeof e.seq === "number" ? { seq: e.seq, hash: sha256(line) } : undefined;
  } catch {
    return undefined;
  }
}

// ── writing ──

const WITHHELD = "[withheld: looked like a secret]";
const MAX_KEY = 100;

/**
 * The field names of the entry types above and the fixed words they hold (kinds, notice codes):
 * strings of hookpack's own source, never read from anywhere. Each one is prefilter-negative
 * (test/broker/audit-sanitize.test.ts checks every one against PREFILTER), so testing it again
 * on every append (~50 prefilter calls of ~0.05 ms each per hook call, issue 21) can only ever
 * answer "no": it is skipped. Anything else is tested, once per distinct string per append.
 */
export const KNOWN_WORDS: ReadonlySet<string> = new Set<string>([
  ...AUDIT_KINDS,
  ..."agent session cwd user ts grant secrets command exitCode signal durationMs redactions redactedNames refused code secret count path tool rules findings remote refs fingerprints target where rule grants host method status lease capability provider scope toolCallId expires outcome verified error heldMs capabilities leases reason message kind".split(
    " ",
  ),
  ..."ANCHOR_MISSING ANCHOR_INVALID TORN_LINE LOCK_HELD LOCK_FORGED LOCK_STALE PENDING_FORGED TAIL_RESTORED LOG_UNWRITABLE LOG_CHANGED PENDING_MISSING".split(
    " ",
  ),
]);

/**
 * Keeps values out: drops undefined, caps strings, withholds any string that looks like a secret —
 * object keys included (a caller that keys a map by something it read must not put a value into
 * the log as a key). `seen` memoises the prefilter's answer per string within one append (the
 * agent, session, cwd and names repeat across one hook call's entries).
 */
function sanitize(
  value: unknown,
  looksSecret: (text: string) => boolean,
  seen: Map<string, boolean> = new Map(),
): unknown {
  const secretLike = (text: string): boolean => {
    if (KNOWN_WORDS.has(text)) return false;
    let hit = seen.get(text);
    if (hit === undefined) seen.set(text, (hit = looksSecret(text)));
    return hit;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (secretLike(v)) return WITHHELD;
      return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING - 1)}…` : v;
    }
    if (Array.isArray(v)) return v.slice(0, 200).map(walk);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      let withheld = 0;
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        let key = k;
        if (secretLike(k)) key = `[withheld key ${++withheld}: looked like a secret]`;
        else if (k.length > MAX_KEY) key = `${k.slice(0, MAX_KEY - 1)}…`;
        out[key] = walk(x);
      }
      return out;
    }
    return v;
  };
  return walk(value);
}

const RESERVED = new Set([
  "v",
  "seq",
  "ts",
  "kid",
  "prev",
  "mac",
  "file",
  "line",
  "jid",
  "pending",
]);

export interface AppendResult {
  seq: number;
  hash: string;
  file: string;
  /** Set when the lock was held by someone else: the entries wait in this file of pending/. */
  pending?: string;
}

/** What sits at the lock path when it could not be taken. */
export interface LockInfo {
  type: "file" | "symlink" | "directory" | "fifo" | "other";
  pid?: number;
  alive?: boolean;
  ageMs: number;
  ino: number;
}

/** The lock as it is, read without following a symlink or blocking on a FIFO; undefined: none. */
export function inspectAuditLock(path: string): LockInfo | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  const ageMs = Math.max(0, Date.now() - st.mtimeMs);
  const type: LockInfo["type"] = st.isSymbolicLink()
    ? "symlink"
    : st.isDirectory()
      ? "directory"
      : st.isFIFO()
        ? "fifo"
        : st.isFile()
          ? "file"
          : "other";
  if (type !== "file") return { type, ageMs, ino: st.ino };
  let pid = 0;
  try {
    const fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(32);
      const n = readSync(fd, buf, 0, 32, 0);
      pid = Number(buf.toString("latin1", 0, n).trim());
    } finally {
      closeSync(fd);
    }
  } catch {
    // replaced meanwhile
  }
  return { type, pid, alive: pidAlive(pid), ageMs, ino: st.ino };
}

const describeLock = (l: LockInfo) =>
  l.type === "file"
    ? `held by ${l.pid ? `pid ${l.pid}` : "no pid"}${l.alive ? "" : " (gone)"} for ${Math.round(l.ageMs)} ms`
    : `a ${l.type}, not a lock file hookpack makes`;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the append lock within `budgetMs`: breaks a lock whose process is gone and removes a lock
 * path that is not a lock file (each noted); returns `held` when a live process keeps it longer.
 */
function takeLock(
  lockPath: string,
  budgetMs: number,
):
  | { release: () => void; notices: AuditNoticeEntry[] }
  | { held: LockInfo; notices: AuditNoticeEntry[] } {
  const started = Date.now();
  const notices: AuditNoticeEntry[] = [];
  let last: LockInfo | undefined;
  /** When the current holder (this lock file) was first seen. */
  let holderSince = started;
  for (let attempt = 0; ; attempt++) {
    let fd: number | undefined;
    try {
      fd = openSync(
        lockPath,
        fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | fsc.O_NONBLOCK,
        0o600,
      );
      writeSync(fd, `${process.pid}\n`);
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" && code !== "ELOOP" && code !== "EISDIR") throw error;
    }
    if (fd !== undefined) {
      const held = fd;
      let released = false;
      return {
        notices,
        release: () => {
          if (released) return;
          released = true;
          closeSync(held);
          try {
            unlinkSync(lockPath);
          } catch {
            // already gone
          }
        },
      };
    }
    const info = inspectAuditLock(lockPath);
    if (!info) {
      // Released meanwhile: try again (other appends are taking turns), within the total bound.
      if (Date.now() - started < Math.max(budgetMs, LOCK_TOTAL_MS)) continue;
      return { held: last ?? { type: "file", alive: true, ageMs: 0, ino: 0 }, notices };
    }
    if (!last || last.ino !== info.ino || last.type !== info.type) holderSince = Date.now();
    last = info;
    const remove = () => {
      // Only what was inspected: a lock taken meanwhile by another append has another inode.
      const now = inspectAuditLock(lockPath);
      if (!now || now.ino !== info.ino) return true;
      try {
        if (info.type === "directory") rmdirSync(lockPath);
        else unlinkSync(lockPath);
        return true;
      } catch {
        return false;
      }
    };
    if (info.type !== "file") {
      if (attempt < 20 && !notices.some((n) => n.code === "LOCK_FORGED") && remove()) {
        notices.push({
          kind: "audit-notice",
          code: "LOCK_FORGED",
          message: `the audit lock ${LOCK_FILE} was ${describeLock(info)}; it was removed`,
        });
        continue;
      }
    } else if (!info.alive && ((info.pid ?? 0) > 0 || info.ageMs > 1000) && attempt < 20) {
      if (remove()) {
        notices.push({
          kind: "audit-notice",
          code: "LOCK_STALE",
          message: `the audit lock ${LOCK_FILE} was left by pid ${info.pid ?? 0}, which is gone; it was removed`,
        });
        continue;
      }
    }
    const now = Date.now();
    if (now - holderSince >= budgetMs || now - started >= Math.max(budgetMs, LOCK_TOTAL_MS))
      return { held: last, notices };
    sleepMs(Math.min(8, 1 + attempt));
  }
}

/** One line of pending/ or of the log: body without `mac`, then the MAC over it as the last member. */
const sealed = (key: Buffer, body: string) => `${body.slice(0, -1)},"mac":"${mac(key, body)}"}`;
const MAC_TAIL = /,"mac":"([A-Za-z0-9+/=]+)"\}$/;

/** Checks a line's MAC (the same check as `audit --verify`); returns its fields when it holds. */
export function openSealed(key: Buffer, line: string): Record<string, unknown> | undefined {
  const m = MAC_TAIL.exec(line);
  if (!m || !equalB64(mac(key, `${line.slice(0, m.index)}}`), m[1]!)) return undefined;
  try {
    const e = JSON.parse(line) as unknown;
    return e && typeof e === "object" && !Array.isArray(e)
      ? (e as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The entries' fields as they are logged: sanitized, reserved names dropped, `kind` first. */
function fieldsOf(
  ev: AuditEvent,
  looksSecret: (text: string) => boolean,
  seen?: Map<string, boolean>,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sanitize(ev, looksSecret, seen) as Record<string, unknown>))
    if (!RESERVED.has(k) && k !== "kind") fields[k] = v;
  return fields;
}

const PENDING_RE = /^\d{15}-\d+-[0-9a-f]{12}\.jsonl$/;

/** The files waiting in pending/, oldest first (names start with the time in ms). */
export function pendingFiles(home: string): string[] {
  const dir = auditPendingDir(home);
  try {
    if (!lstatSync(dir).isDirectory()) return [];
    return readdirSync(dir)
      .filter((n) => PENDING_RE.test(n))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/** Reads a pending file as lines, without following a symlink or blocking on a FIFO. */
export function readPendingFile(path: string): string[] | undefined {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 4 * 1024 * 1024) return undefined;
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf
      .toString("utf8", 0, off)
      .split("\n")
      .filter((l) => l !== "");
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes entries to pending/ without the lock: one new file, written under a temporary name and
 * renamed (appenders never share a file, so nothing interleaves, and a reader sees it whole).
 */
function writePending(
  home: string,
  key: Buffer,
  events: readonly AuditEvent[],
  looksSecret: (text: string) => boolean,
  now: string,
): string {
  const dir = auditPendingDir(home);
  // A pending file removed since the last append is noted here, before this write's own rename
  // makes pending/ look as a pending write left it again (pendingWitness).
  const why = pendingWitness(home, key, anchoredPending(home, key));
  if (why) events = [{ kind: "audit-notice", code: "PENDING_MISSING", message: why }, ...events];
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if (!lstatSync(dir).isDirectory())
    throw new HookpackError(
      "AUDIT_LOCKED",
      `hookpack: the audit log is locked and ${dir} is not a directory; the entry could not be written.`,
      `remove ${dir} and ${join(auditDir(home), LOCK_FILE)}.`,
    );
  const kid = keyId(key);
  let text = "";
  const seen = new Map<string, boolean>();
  for (const ev of events) {
    const body = JSON.stringify({
      v: FORMAT_VERSION,
      pending: true,
      jid: randomHex(8),
      ts: now,
      kind: ev.kind,
      ...fieldsOf(ev, looksSecret, seen),
      kid,
    });
    text += `${sealed(key, body)}\n`;
  }
  const path = join(
    dir,
    `${String(Date.now()).padStart(15, "0")}-${process.pid}-${randomHex(6)}.jsonl`,
  );
  // Whole under a temporary name (created exclusively: never through a planted link), then renamed.
  writeFileAtomic(path, text, 0o600, { dir: "existing", durable: false });
  return path;
}

/**
 * Appends one entry, or several in order (one hook call's entries: one lock, one read of the tail
 * and the anchor, one write, one anchor write), under the log's lock: many processes may call this
 * at once; every line lands whole, once, in order, with a correct chain. When the lock stays held
 * (see LOCK_BUDGET_MS), the entries go to pending/ and the next append chains them. Creates the key
 * on first use. Throws on failure; callers on a hot path use `tryRecordAudit`.
 */
export function recordAudit(
  home: string,
  event: AuditEvent | readonly AuditEvent[],
  options: AuditOptions = {},
): AppendResult {
  const events: readonly AuditEvent[] = Array.isArray(event) ? event : [event as AuditEvent];
  if (events.length === 0)
    throw new Error("hookpack: internal error: recordAudit was given no entry to append.");
  const dir = auditDir(home);
  // One stat on the usual call (the directory is there) instead of a recursive mkdir.
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) ensurePrivateDir(dir);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const looksSecret = options.looksSecret ?? ((text: string) => PREFILTER.test(text));
  const keep = options.keep ?? DEFAULT_KEEP;
  const now = options.now ? options.now().toISOString() : isoTime(Date.now());
  const lockPath = join(dir, LOCK_FILE);
  const lock = takeLock(lockPath, options.lockTimeoutMs ?? LOCK_BUDGET_MS);
  if ("held" in lock) {
    // Someone keeps the lock: the entries wait in pending/, never lost, never 30 s of waiting.
    let key = readAuditKey(home);
    if (!key) {
      // The first appends of a home race for the lock: the key is made with O_EXCL (one wins,
      // the others read it), never over a log that lost its key.
      if (auditFiles(home).length > 0 || existsSync(auditHeadPath(home)))
        throw new HookpackError(
          "AUDIT_KEY_MISSING",
          `hookpack: the audit key ${auditKeyPath(home)} is missing, but the audit log in ${dir} exists; nothing was appended.`,
          `restore the key from a backup; or keep the old log aside and start a new one: mv ${dir} ${dir}.old && rm -f ${auditHeadPath(home)}.`,
        );
      key = createAuditKey(home);
    }
    const notices = [...lock.notices];
    if (lock.held.type !== "file" || lock.held.ageMs >= LOCK_HELD_LONG_MS)
      notices.push({
        kind: "audit-notice",
        code: lock.held.type === "file" ? "LOCK_HELD" : "LOCK_FORGED",
        message: `the audit lock ${LOCK_FILE} was ${describeLock(lock.held)} at this append; its entries waited in ${AUDIT_DIR}/${PENDING_DIR}/`,
      });
    const file = writePending(home, key, [...notices, ...events], looksSecret, now);
    return { seq: 0, hash: "", file, pending: file };
  }
  const release = lock.release;
  let written = false;
  try {
    const path = join(dir, AUDIT_FILE);
    let key = readAuditKey(home);
    const notices: AuditNoticeEntry[] = [...lock.notices];
    const tail = lastLine(path);
    // The directory is listed once an append needs it (the anchor's witness of the log, a rotation,
    // a log without a tail), not twice on every append (issue 21).
    let listed: string[] | undefined;
    const files = () => (listed ??= auditFiles(home));
    // A current file with lines in it is a log; otherwise the rotated files are.
    const hasLog = tail.size > 0 || files().length > 1;
    if (!key) {
      if (hasLog || existsSync(auditHeadPath(home))) {
        throw new HookpackError(
          "AUDIT_KEY_MISSING",
          `hookpack: the audit key ${auditKeyPath(home)} is missing, but the audit log in ${dir} exists; nothing was appended.`,
          `restore the key from a backup; or keep the old log aside and start a new one: mv ${dir} ${dir}.old && rm -f ${auditHeadPath(home)}.`,
        );
      }
      key = createAuditKey(home);
    }
    // Where the chain continues: the anchor, unless the log is ahead of it (a crash between the
    // append and the anchor write). A log behind its anchor lost the anchor's tail in a crash (the
    // lines are written back) or was cut: then keep chaining from the anchor, so the gap stays
    // visible to `audit --verify`.
    let seq = 0;
    let prev = GENESIS;
    let base: AuditHead["base"];
    let restore = "";
    const head = readHead(home, key);
    let fromTail = tail.line ? parseChainFields(tail.line) : undefined;
    if (!fromTail && !tail.line && files().length > 1) {
      const older = lastLine(files()[files().length - 2]!);
      fromTail = older.line ? parseChainFields(older.line) : undefined;
    }
    if (head.state === "ok") {
      base = head.head.base;
      if (fromTail && fromTail.seq > head.head.seq) ({ seq, hash: prev } = fromTail);
      else {
        ({ seq, hash: prev } = head.head);
        const lost = head.head.tail;
        const end = fromTail ?? {
          seq: base ? base.seq - 1 : 0,
          hash: base ? base.prev : GENESIS,
        };
        if (lost && end.seq < head.head.seq && tailFollows(lost, end, head.head, key))
          restore = `${lost.join("\n")}\n`;
      }
    } else {
      if (fromTail) ({ seq, hash: prev } = fromTail);
      if (hasLog) {
        notices.push(
          head.state === "missing"
            ? {
                kind: "audit-notice",
                code: "ANCHOR_MISSING",
                message: `the head anchor ${AUDIT_HEAD_FILE} was missing at this append; a cut-off tail before this entry cannot be ruled out`,
              }
            : {
                kind: "audit-notice",
                code: "ANCHOR_INVALID",
                message: `the head anchor ${AUDIT_HEAD_FILE} ${head.why} at this append; a cut-off tail before this entry cannot be ruled out`,
              },
        );
      }
    }
    if (tail.torn)
      notices.push({
        kind: "audit-notice",
        code: "TORN_LINE",
        message: "the previous line was cut off mid-write (a crash); it was closed with a newline",
      });
    if (restore)
      notices.push({
        kind: "audit-notice",
        code: "TAIL_RESTORED",
        message: `the log lacked the last append's entries (the tail was cut, or a crash kept them from the disk); they were written back from ${AUDIT_HEAD_FILE}`,
      });
    // Witnesses the kernel keeps (ctime, which no process sets back; see FileStamp): an older
    // anchor put back beside a log cut back to it, and a pending file removed before it was chained.
    if (head.state === "ok") {
      const h = head.head;
      if (h.log && fromTail && fromTail.seq === h.seq && fromTail.hash === h.hash) {
        // A line torn by a crash changed the file after the anchor: then the file is the same one,
        // as long as the anchor left it, plus the fragment (the crash changed nothing else).
        const why =
          tail.torn && files()[files().length - 1] === path
            ? stampAt(path)?.ino === h.log.ino && tail.size - (tail.tornBytes ?? 0) === h.log.size
              ? undefined
              : logWitness(home, h.log, files())
            : logWitness(home, h.log, files());
        if (why)
          notices.push({
            kind: "audit-notice",
            code: "LOG_CHANGED",
            message: `${why}; entries after #${h.seq} may have been cut`,
          });
      }
      if (h.pend !== undefined) {
        // The lock is held: the anchor cannot change meanwhile.
        const why = pendingWitness(home, key, () => h.pend);
        if (why) notices.push({ kind: "audit-notice", code: "PENDING_MISSING", message: why });
      }
    }

    // Entries that waited in pending/ while the lock was held: chained first, each with its own
    // time and id; ones already chained (a merge cut short by a crash) are skipped.
    const merged: string[] = [];
    const queued: Array<{ ts: string; fields: Record<string, unknown> }> = [];
    const waiting = pendingFiles(home);
    if (waiting.length > 0) {
      const chained = new Set(
        [
          ...`${lastLine(path, 256 * 1024).window}\n${restore}`.matchAll(/"jid":"([0-9a-f]{16})"/g),
        ].map((m) => m[1]!),
      );
      for (const f of waiting) {
        const lines = readPendingFile(f);
        let bad = lines === undefined;
        for (const l of lines ?? []) {
          const e = openSealed(key, l);
          if (!e || e.pending !== true || typeof e.jid !== "string" || typeof e.kind !== "string") {
            bad = true;
            continue;
          }
          if (chained.has(e.jid)) continue;
          chained.add(e.jid);
          const fields: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(e))
            if (!RESERVED.has(k) || k === "jid") fields[k] = v;
          queued.push({ ts: typeof e.ts === "string" ? e.ts : now, fields });
        }
        if (bad)
          notices.push({
            kind: "audit-notice",
            code: "PENDING_FORGED",
            message: `${AUDIT_DIR}/${PENDING_DIR}/${basename(f)} held a line that fails its HMAC or does not parse; that line was not chained`,
          });
        merged.push(f);
      }
    }

    let current = tail.size;
    let prefix = tail.torn ? "\n" : "";
    const kid = keyId(key);
    let lines = "";
    const tailLines: string[] = [];
    const add = (ts: string, kind: string, fields: Record<string, unknown>) => {
      seq += 1;
      const body = JSON.stringify({ v: FORMAT_VERSION, seq, ts, kind, ...fields, kid, prev });
      const line = sealed(key!, body);
      prev = sha256(line);
      lines += `${line}\n`;
      tailLines.push(line);
    };
    for (const q of queued) add(q.ts, q.fields.kind as string, q.fields);
    const seen = new Map<string, boolean>();
    for (const ev of [...notices, ...events]) add(now, ev.kind, fieldsOf(ev, looksSecret, seen));
    // Rotation: the new file's first entry chains to the old file's last.
    if (current > 0 && current + restore.length + lines.length > maxBytes) {
      if (restore) {
        // The restored lines belong at the end of the file they were lost from.
        const fd = openLogFile(path, fsc.O_WRONLY | fsc.O_APPEND);
        try {
          writeAll(fd, prefix + restore);
        } finally {
          closeSync(fd);
        }
        restore = "";
      }
      const rotated = files().filter((f) => ROTATED_RE.test(f.slice(dir.length + 1)));
      const last = rotated.length
        ? Number(ROTATED_RE.exec(rotated[rotated.length - 1]!.slice(dir.length + 1))![1])
        : 0;
      renameSync(path, join(dir, `audit.${String(last + 1).padStart(6, "0")}.jsonl`));
      current = 0;
      prefix = "";
      base = prune(home, keep) ?? base;
    }
    const fd = openLogFile(path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT);
    let logStamp: FileStamp;
    try {
      written = true;
      writeAll(fd, prefix + restore + lines);
      if (options.durable) fsyncSync(fd);
      logStamp = stampOf(fstatSync(fd, { bigint: true }));
    } finally {
      closeSync(fd);
    }
    // Chained now: the waiting files can go, before the anchor records pending/ as it is left (a
    // crash before the anchor leaves the log ahead of it, its lines there; jids keep a file that
    // survives from being chained twice).
    for (const f of merged) {
      try {
        unlinkSync(f);
      } catch {
        // taken by a concurrent verifier's cleanup, or already gone
      }
    }
    const tailBytes = tailLines.reduce((n, l) => n + l.length + 1, 0);
    writeHead(
      home,
      key,
      {
        seq,
        hash: prev,
        base,
        log: logStamp,
        pend: pendingStamp(home),
        ...(tailBytes <= TAIL_MAX ? { tail: tailLines } : {}),
      },
      kid,
    );
    return { seq, hash: prev, file: path };
  } catch (error) {
    // The log could not be written (a log file replaced by a symlink, FIFO or directory, no space):
    // the entries wait in pending/ rather than being lost; the key's own errors stand.
    const code = error instanceof HookpackError ? error.code : "";
    if (written || code.startsWith("AUDIT_KEY")) throw error;
    const key = readAuditKey(home);
    if (!key) throw error;
    const why =
      error instanceof HookpackError
        ? error.message.replace(/^hookpack: /, "")
        : `${(error as NodeJS.ErrnoException).code ?? "error"} writing the log`;
    const notice: AuditNoticeEntry = {
      kind: "audit-notice",
      code: "LOG_UNWRITABLE",
      message: `the log could not be appended to at this append (${why}); its entries waited in ${AUDIT_DIR}/${PENDING_DIR}/`,
    };
    const file = writePending(home, key, [notice, ...events], looksSecret, now);
    return { seq: 0, hash: "", file, pending: file };
  } finally {
    release();
  }
}

/**
 * `new Date(ms).toISOString()` for the years 0000-9999, by arithmetic: a process's first Date
 * object loads the local time zone (/etc/localtime and its links, ~0.2 ms CPU), which an append,
 * writing UTC, never needs (issue 21). Other times go through Date. Exported for tests.
 */
export function isoTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < -62167219200000 || ms >= 253402300800000)
    return new Date(ms).toISOString();
  const days = Math.floor(ms / 86400000);
  let rest = ms - days * 86400000;
  // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hh = Math.floor(rest / 3600000);
  rest -= hh * 3600000;
  const mm = Math.floor(rest / 60000);
  rest -= mm * 60000;
  const ss = Math.floor(rest / 1000);
  const p2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  const msPart = rest - ss * 1000;
  return `${String(year).padStart(4, "0")}-${p2(month)}-${p2(day)}T${p2(hh)}:${p2(mm)}:${p2(ss)}.${msPart < 10 ? `00${msPart}` : msPart < 100 ? `0${msPart}` : msPart}Z`;
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Whether the anchor's tail lines are exactly what follows the log's last entry: each HMAC'd with
 * this key, seqs consecutive from the log's end, each chained to the one before.
 */
export function tailFollows(
  tail: readonly string[],
  from: { seq: number; hash: string },
  end: { seq: number; hash: string },
  key: Buffer,
): boolean {
  if (tail.length === 0) return false;
  let { seq, hash: prev } = from;
  for (const line of tail) {
    const e = openSealed(key, line);
    if (!e || e.seq !== seq + 1 || e.prev !== prev) return false;
    seq = e.seq;
    prev = sha256(line);
  }
  return seq === end.seq && prev === end.hash;
}

/** Deletes rotated files beyond `keep`; returns the new chain base when something was deleted. */
function prune(home: string, keep: number): AuditHead["base"] | undefined {
  if (keep <= 0) return undefined;
  const rotated = auditFiles(home).filter((f) =>
    ROTATED_RE.test(f.slice(auditDir(home).length + 1)),
  );
  if (rotated.length <= keep) return undefined;
  const drop = rotated.slice(0, rotated.length - keep);
  for (const f of drop) unlinkSync(f);
  const oldest = rotated[rotated.length - keep]!;
  const first = readFileSync(oldest, "utf8").split("\n", 1)[0] ?? "";
  try {
    const e = JSON.parse(first) as { seq: number; prev: string };
    return { seq: e.seq, prev: e.prev };
  } catch {
    return undefined;
  }
}

/** recordAudit that never throws: for hooks and commands whose answer must not depend on the log. */
export function tryRecordAudit(
  home: string,
  event: AuditEvent | readonly AuditEvent[],
  onError?: (message: string) => void,
  options?: AuditOptions,
): boolean {
  try {
    recordAudit(home, event, options);
    return true;
  } catch (error) {
    onError?.(
      error instanceof HookpackError
        ? `${error.message}${error.hint ? ` ${error.hint}` : ""}`
        : `hookpack: could not write the audit log in ${auditDir(home)}: ${(error as Error).message}.`,
    );
    return false;
  }
}

/** The broker's original entry point (exec records). */
export function appendAudit(home: string, entry: AuditEntry): void {
  recordAudit(home, entry);
}

export function commandSummary(
  argv: readonly string[],
  mask: (s: string) => string,
  max = 300,
): string {
  const s = mask(argv.map(quoteWord).join(" "));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
