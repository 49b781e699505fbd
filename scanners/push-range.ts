// What a `git push` is about to send, scanned commit by commit (never the net diff: a secret added
// and removed inside the range is still in the history being pushed). One `git log -p` process
// streams every pushed commit; merges are read with `--cc` so an "evil merge" resolution is seen;
// user config that could hide or reshape content (textconv, external diff, colour, prefixes,
// quoting) is switched off on the command line. See reference/publish-and-git.md §B1.
import { decodeWideString } from "../core/text-decode.js";
import { hookpackFileByContent, matchStatePath, type StatePath } from "../rules/state-catalog.js";
import {
  EMPTY_ALLOW_LIST,
  mayHoldSecret,
  maskedLine,
  scanText,
  warmUpPrefilter,
  type ContentScanOptions,
  type SecretHit,
} from "./content.js";
import { mayContainSecretEach, secretScanner, warmUpDetect } from "../rules/secretlint.js";
import { gitStream, gitText, objectSession, readObjects, unquoteGitPath } from "./git.js";

export interface PushUpdate {
  localRef: string;
  localOid: string;
  remoteRef: string;
  remoteOid: string;
}

export class PushInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PushInputError";
  }
}

const isZero = (oid: string) => /^0+$/.test(oid);

/** Parses git's pre-push stdin: `<local ref> SP <local oid> SP <remote ref> SP <remote oid> LF`. */
export function parsePushInput(stdin: string): PushUpdate[] {
  const out: PushUpdate[] = [];
  for (const [i, raw] of stdin.split("\n").entries()) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;
    // The local ref may be an expression with spaces? git forbids spaces in refs; split from the right.
    const parts = line.split(" ");
    if (parts.length < 4)
      throw new PushInputError(
        `line ${i + 1} of the pre-push input is not "<local ref> <local oid> <remote ref> <remote oid>"`,
      );
    const remoteOid = parts.pop()!;
    const remoteRef = parts.pop()!;
    const localOid = parts.pop()!;
    const localRef = parts.join(" ");
    if (
      !/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(localOid) ||
      !/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(remoteOid)
    ) {
      throw new PushInputError(
        `line ${i + 1} of the pre-push input has an object id that is not 40 or 64 hex digits`,
      );
    }
    out.push({
      localRef,
      localOid: localOid.toLowerCase(),
      remoteRef,
      remoteOid: remoteOid.toLowerCase(),
    });
  }
  return out;
}

export interface PushFinding {
  kind: "secret" | "state-path";
  commit: string;
  subject: string;
  path: string;
  /** 1-based line in the file as of that commit (secrets only). */
  line?: number;
  column?: number;
  ruleId: string;
  label: string;
  fingerprint?: string;
  /** The line with every value replaced by a label. */
  preview?: string;
  /** For a pushed tag that points at a blob or tree instead of a commit. */
  ref?: string;
  /** Secrets: weak findings (generic guesses, failed checksums) warn but do not block the push. */
  confidence?: "confirmed" | "likely" | "weak";
}

export interface PushScanOptions extends ContentScanOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** $1 of the hook: a remote name, or a URL when pushing to a URL. */
  remote: string | undefined;
  updates: readonly PushUpdate[];
  /** Largest blob read whole (binary-marked files, pushed blobs/trees). Default 4 MiB. */
  maxBlobBytes?: number;
  /**
   * The stored-value matcher, loaded once git log has started (instead of `extraMatcher`, which
   * must be ready before the call): reading the hook cache then overlaps git's start.
   */
  loadExtraMatcher?: () => ContentScanOptions["extraMatcher"];
  /**
   * false: scan exactly the given ranges, even commits a remote already has (a pull request's
   * commits in CI are on the remote's tracking refs). Default true (a push sends only new commits).
   */
  excludeRemotes?: boolean;
}

export interface PushScanResult {
  findings: PushFinding[];
  commits: number;
  /** Bytes of patch text read from git. */
  bytes: number;
  /** Pushed objects that are not commits (tags of trees or blobs) scanned directly. */
  objects: number;
  /** How commits already on the remote were excluded, for the report. */
  excluded: string;
  notes: string[];
}

/** The line that opens each commit in the log stream (no patch line can start with \x01). */
const MARKER = "\x01commit ";

/**
 * The git flags that make `log -p` show every added line exactly, whatever the user's config: no
 * textconv, external diff, colour or prefix games; every file as text (a NUL byte or a `-diff` /
 * `binary` attribute cannot hide a file, and no size threshold turns one into "Binary files
 * differ"); the root commit shown (log.showRoot=false would hide it); deletions without their
 * removed lines (-D: nothing of a deleted file is new); merges as combined diffs (an "evil merge"
 * resolution is seen); full blob ids (an identical file change met twice is scanned once). Commit
 * messages are read from the commit objects themselves (git log stops a message at a NUL byte and
 * shows no extra header), by a `git cat-file --batch` fed as the commits stream by.
 */
export const LOG_FLAGS = [
  "-c",
  "core.quotePath=false",
  "-c",
  "diff.relative=false",
  "-c",
  "log.showSignature=false",
  "-c",
  "diff.noprefix=false",
  "-c",
  "diff.suppressBlankEmpty=false",
  "-c",
  "diff.interHunkContext=0",
  "log",
  "-p",
  "-U0",
  "--root",
  "--text",
  "--irreversible-delete",
  "--full-index",
  "--no-color",
  "--no-ext-diff",
  "--no-textconv",
  "--no-relative",
  "--src-prefix=a/",
  "--dst-prefix=b/",
  "--format=%x01commit %H %s",
  "--cc",
  "--stdin",
] as const;

/** A commit object (its message, author, committer and any other header), as a pseudo-file in reports. */
export const MESSAGE_PATH = "(commit message)";
/** An annotated tag object (its message, name, tagger), as a pseudo-file in reports. */
export const TAG_MESSAGE_PATH = "(tag message)";
/** The ref names of the push (a branch or tag name is sent too). */
export const REF_NAMES_PATH = "(ref names)";

/**
 * A commit or tag object as text to scan: everything but the lines that only name other objects
 * (tree, parent, object, type), NUL bytes kept (git log would stop the message at the first one).
 */
function objectText(body: Buffer): string {
  const raw = body.toString("utf8");
  const cut = raw.indexOf("\n\n");
  const head = cut === -1 ? raw : raw.slice(0, cut + 1);
  // Only in the header: a message line that looks like one is still message.
  return (
    head.replace(
      /^(?:tree|parent|object) [0-9a-f]{40,64}\n|^type (?:commit|tag|tree|blob)\n/gm,
      "",
    ) + (cut === -1 ? "" : raw.slice(cut + 1))
  );
}

/** Whether a small text (a message) could hold a finding: the hook's prefilter, then managed values. */
function mayHoldSmallText(text: string, options: ContentScanOptions): boolean {
  return (
    secretScanner.mayContainSecret(text) ||
    (options.extraMatcher !== undefined && options.extraMatcher(text).length > 0)
  );
}

/** One file of one commit in the log stream, while its lines arrive. */
interface FileState {
  path: string;
  isNew: boolean;
  deleted: boolean;
  binary: boolean;
  parents: number;
  /** The next line number in the new file; 0 before the first hunk. */
  nextLine: number;
  /** The `index` line (blob ids and mode), for the identical-change cache. */
  index: string;
  /**
   * The added lines (without their `+` columns, joined by LF), decoded once when the file ends:
   * until then its bytes gather in the stream's added-line buffer (see runLog's `added`).
   */
  text: string;
  /** How many added lines so far. */
  added: number;
  /** Pairs [added-line index, file line] where a run of consecutive file lines starts. */
  runs: number[];
}

/** The file line of the `n`th (1-based) added line. */
function fileLineOf(runs: readonly number[], n: number): number {
  const i = n - 1;
  let lo = 0;
  let hi = runs.length / 2 - 1;
  if (hi < 0) return n;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid * 2]! <= i) lo = mid;
    else hi = mid - 1;
  }
  return runs[lo * 2 + 1]! + (i - runs[lo * 2]!);
}

const stateFilter = (e: StatePath) => e.git;

export async function scanPushRange(options: PushScanOptions): Promise<PushScanResult> {
  const git = { cwd: options.cwd, env: options.env };
  const allow = options.allow ?? EMPTY_ALLOW_LIST;
  const maxBlob = options.maxBlobBytes ?? 4 * 1024 * 1024;
  const notes: string[] = [];
  const findings: PushFinding[] = [];
  const pushing = options.updates.filter((u) => !isZero(u.localOid));
  const exclude = (named: boolean) =>
    options.excludeRemotes === false
      ? "--glob=refs/hookpack-matches-nothing/*"
      : named
        ? `--remotes=${options.remote!.replace(/[*?[\]\\]/g, "\\$&")}`
        : "--remotes";
  const excludedText = (named: boolean) =>
    options.excludeRemotes === false
      ? "nothing (an explicit range)"
      : named
        ? `commits already on ${options.remote}'s remote-tracking refs`
        : "commits already on any remote-tracking ref";
  if (pushing.length === 0) {
    // Nothing is sent (a deletion): no git process at all (the matcher is still loaded: a damaged
    // cache is reported the same way whatever is pushed).
    options.loadExtraMatcher?.();
    const named = options.remote !== undefined && options.excludeRemotes !== false;
    return {
      findings,
      commits: 0,
      bytes: 0,
      objects: 0,
      excluded: excludedText(named && (await remoteNames(git)).has(options.remote!)),
      notes,
    };
  }

  // Stream state (shared with the log run below).
  let commits = 0;
  let bytes = 0;
  const subjects = new Map<string, string>();
  /** Each commit's place in the stream: findings are reported in that order. */
  const order = new Map<string, number>();
  const binaries: Array<{ commit: string; path: string }> = [];
  /** Bytes of git log output handed to the parser (by any run). */
  let logged = 0;
  /** The object session of the latest log run (the first also answers the object types). */
  let session: ReturnType<typeof objectSession> | undefined;
  const runLog = async (
    logRevs: readonly string[],
    signal?: AbortSignal,
    infoNames: readonly string[] = [],
  ): Promise<void> => {
    let commit = "";
    let subject = "";
    let file: FileState | undefined;
    /** Files whose text is complete, waiting for their scan (in stream order). */
    const ready: Array<{ file: FileState; commit: string; subject: string }> = [];
    /** Commits whose subject held a value (masked in every finding of theirs). */
    const masked = new Set<string>();
    /** Identical changes (same blobs, same path) met again: the first scan's findings, reused. */
    const seen = new Map<string, Array<Omit<PushFinding, "kind" | "commit" | "subject">>>();
    /**
     * The current file's added lines as git's bytes, `+` columns left out, each line ending in LF:
     * decoded to one string when the file ends (was: a string per run of added lines, a replaceAll
     * of its "\n+" and a join per file, three copies of every added byte). Lines are whole and LF
     * is ASCII, so no multi-byte character is cut and the decoded text is the same.
     */
    let added = Buffer.allocUnsafe(256 * 1024);
    let addedLength = 0;
    const room = (bytes: number) => {
      const need = addedLength + bytes;
      if (need <= added.length) return;
      const grown = Buffer.allocUnsafe(Math.max(need, added.length * 2));
      added.copy(grown, 0, 0, addedLength);
      added = grown;
    };
    const keep = (b: Buffer, from: number, to: number) => {
      room(to - from);
      addedLength += b.copy(added, addedLength, from, to);
    };
    /** The LF that ends a kept line (one git gave without it, or a combined diff's line). */
    const keepLf = () => {
      room(1);
      added[addedLength++] = 0x0a;
    };
    const endFile = () => {
      if (file && addedLength > 0) {
        // Every kept line ends in LF: the text is the lines joined, without the last LF.
        file.text = added.toString("utf8", 0, addedLength - 1);
      }
      addedLength = 0;
      if (file && commit) ready.push({ file, commit, subject });
      file = undefined;
    };
    const newFile = (line: string): FileState => {
      // "diff --git a/X b/Y" (ambiguous with spaces; +++ or rename lines refine it) or "diff --cc X".
      const cc = /^diff --(?:cc|combined) (.*)$/.exec(line);
      let path = "";
      if (cc) path = unquoteGitPath(cc[1]!);
      else {
        const m = /^diff --git (?:"?a\/.*?"?) ("?b\/.*"?)$/.exec(line);
        if (m) path = unquoteGitPath(m[1]!).replace(/^b\//, "");
      }
      return {
        path,
        isNew: false,
        deleted: false,
        binary: false,
        parents: line.startsWith("diff --git") ? 1 : 2,
        nextLine: 0,
        index: "",
        text: "",
        added: 0,
        runs: [],
      };
    };
    /** A header line (anything that is not a patch line inside a hunk). */
    const header = (line: string) => {
      if (line.startsWith(MARKER)) {
        endFile();
        const space = line.indexOf(" ", MARKER.length);
        commit = line.slice(MARKER.length, space === -1 ? undefined : space);
        subject = space === -1 ? "" : line.slice(space + 1);
        subjects.set(commit, subject);
        order.set(commit, commits++);
        if (/^[0-9a-f]{40,64}$/.test(commit)) commitObjects.add(commit);
        else throw new PushInputError(`git log printed a commit line hookpack cannot read`);
        return;
      }
      if (line.startsWith("diff --")) {
        endFile();
        file = newFile(line);
        return;
      }
      const f = file;
      if (!f) return;
      if (line.startsWith("@@")) {
        const at = /^(@{2,}) .*?\+(\d+)(?:,\d+)? @{2,}/.exec(line);
        if (at) {
          f.parents = at[1]!.length - 1;
          f.nextLine = Number(at[2]) || 1;
        }
        return;
      }
      if (f.nextLine !== 0) return;
      // Extended header lines (before the first hunk).
      if (line.startsWith("new file mode")) f.isNew = true;
      else if (line.startsWith("deleted file mode")) f.deleted = true;
      else if (line.startsWith("index ")) f.index = line.slice(6);
      else if (line.startsWith("rename to ") || line.startsWith("copy to ")) {
        f.path = unquoteGitPath(line.slice(line.indexOf(" to ") + 4));
        f.isNew = true;
      } else if (line.startsWith("+++ ")) {
        const p = line.slice(4);
        if (p !== "/dev/null") f.path = unquoteGitPath(p).replace(/^b\//, "");
      } else if (line.startsWith("Binary files ")) {
        // Not with --text; kept so that a git that still says it is never a silent skip.
        f.binary = true;
        const m = / and ("?b\/.*"?) differ$/.exec(line);
        if (m) f.path = unquoteGitPath(m[1]!).replace(/^b\//, "");
      }
    };
    /** Counts `count` added lines (their bytes already kept) at the current file line. */
    const addLines = (f: FileState, count: number) => {
      const n = f.runs.length;
      if (n === 0 || f.runs[n - 1]! + (f.added - f.runs[n - 2]!) !== f.nextLine)
        f.runs.push(f.added, f.nextLine);
      f.added += count;
      f.nextLine += count;
    };
    /** Parses one block of whole lines; patch lines are decoded only when added. */
    const parse = (b: Buffer) => {
      const end = b.length;
      // Line ends are found in a one-byte copy of the block (latin1: one character per byte, so
      // offsets are byte offsets): a string's indexOf is a V8 builtin, Buffer's a call into C++
      // per line (hundreds of thousands of lines per push). Text is still decoded from the bytes.
      const lines = b.toString("latin1");
      let p = 0;
      while (p < end) {
        let nl = lines.indexOf("\n", p);
        if (nl === -1) nl = end;
        const f = file;
        if (f !== undefined && f.nextLine !== 0) {
          const c = b[p]!;
          if (f.parents === 1) {
            if (c === 0x2b) {
              // A run of added lines: each line's bytes kept without its `+` (decoded per file), by
              // one byte loop over the run (was: an indexOf and a Buffer copy per line, ~175 ns a
              // line in Buffer.copy's view set-up for lines of ~40 bytes). A line the block ends
              // without an LF (the stream's last) gets one, as every kept line ends in LF.
              room(end - p);
              const out = added;
              let j = addedLength;
              let k = p + 1;
              let count = 1;
              for (;;) {
                if (k >= end) {
                  out[j++] = 0x0a;
                  break;
                }
                const ch = b[k++]!;
                out[j++] = ch;
                if (ch === 0x0a) {
                  if (k < end && b[k] === 0x2b) {
                    k++;
                    count++;
                    continue;
                  }
                  break;
                }
              }
              addedLength = j;
              addLines(f, count);
              p = k;
              continue;
            }
            if (c === 0x2d || c === 0x5c || nl === p) {
              // Removed, "\ No newline at end of file", or an empty line: nothing new.
              p = nl + 1;
              continue;
            }
            if (c === 0x20) {
              // Context (only with a diff.context the command line does not reach).
              f.nextLine++;
              p = nl + 1;
              continue;
            }
          } else if (c === 0x2b || c === 0x2d || c === 0x20 || c === 0x5c || nl === p) {
            // Combined diff: one column per parent; added only when new to every parent.
            if (c !== 0x5c && nl - p >= f.parents) {
              let plus = 0;
              let minus = false;
              for (let k = p; k < p + f.parents; k++) {
                if (b[k] === 0x2b) plus++;
                else if (b[k] === 0x2d) minus = true;
              }
              if (plus === f.parents) {
                keep(b, p + f.parents, nl);
                keepLf();
                addLines(f, 1);
              } else if (!minus) f.nextLine++;
            }
            p = nl + 1;
            continue;
          }
        }
        header(b.toString("utf8", p, nl));
        p = nl + 1;
      }
    };
    const scanFile = async (f: FileState, at: string, subj: string) => {
      if (f.deleted) return;
      if (f.isNew && !allow.allowsPath(f.path)) {
        const entry = matchStatePath(f.path, stateFilter);
        if (entry)
          findings.push({
            kind: "state-path",
            commit: at,
            subject: subj,
            path: f.path,
            ruleId: entry.id,
            label: `${entry.owner}: ${entry.why}`,
          });
      }
      if (f.binary) binaries.push({ commit: at, path: f.path });
      if (f.added === 0) return;
      const text = f.text;
      f.text = "";
      // hookpack's own store or audit log under any name: by content.
      const own = f.isNew && !allow.allowsPath(f.path) ? hookpackFileByContent(text) : undefined;
      if (
        own &&
        !findings.some((x) => x.commit === at && x.path === f.path && x.kind === "state-path")
      ) {
        findings.push({
          kind: "state-path",
          commit: at,
          subject: subj,
          path: f.path,
          ruleId: own.id,
          label: `${own.owner}: ${own.why}`,
        });
      }
      // The same change (same blobs, same path) in another commit: same added lines, same hits.
      const key = f.index && /^[0-9a-f]{40,}/.test(f.index) ? `${f.index}\0${f.path}` : "";
      const known = key ? seen.get(key) : undefined;
      if (known) {
        for (const k of known) findings.push({ kind: "secret", commit: at, subject: subj, ...k });
        return;
      }
      const found: Array<Omit<PushFinding, "kind" | "commit" | "subject">> = [];
      // As git gave it, and (sec-utf16) as UTF-16 text when it has NULs between its characters:
      // both, so ASCII hidden among UTF-16 is still read as it was.
      for (const view of [text, decodeWideString(text)]) {
        if (view === undefined || !mayHoldSecret(view, options)) continue;
        const hits = await scanText(view, f.path, options);
        for (const h of hits) {
          const fields = secretFields(h, view, hits, f.path, fileLineOf(f.runs, h.line));
          found.push(fields);
          findings.push({ kind: "secret", commit: at, subject: subj, ...fields });
        }
      }
      if (key) seen.set(key, found);
    };
    const scanReady = async () => {
      for (let i = 0; i < ready.length; i++) {
        const job = ready[i]!;
        await scanFile(job.file, job.commit, job.subject);
      }
      ready.length = 0;
    };
    const streamed = gitStream(
      [...LOG_FLAGS, "--not", exclude(named)],
      { ...git, input: `${logRevs.join("\n")}\n`, ...(signal ? { signal } : {}) },
      (block) => {
        logged += block.length;
        parse(block);
        return ready.length > 0 ? scanReady() : undefined;
      },
    );
    /**
     * The commit objects, read as their commits stream by (for messages and headers), from one
     * cat-file started right after git log (its start overlaps git log's, not the parse) that also
     * answers `infoNames` (the object types: one process for both, was two).
     */
    const commitObjects = objectSession(git, infoNames);
    session = commitObjects;
    let bodies: Awaited<ReturnType<typeof commitObjects.done>>;
    try {
      bytes = await streamed;
      endFile();
      await scanReady();
      bodies = await commitObjects.done();
    } catch (error) {
      // git failed mid-stream (or a scan did): no cat-file left waiting for names never sent.
      commitObjects.abort();
      throw error;
    }
    // Commit messages and headers, from the objects: one engine pass over them all says which
    // could hold a finding (where bulk mode would hand a thousand clean messages to the engine one
    // by one, and the hook's prefilter text by text cost ~40 ms per 1,000 commits).
    const texts: string[] = [];
    for (const o of bodies) {
      if (o.type !== "commit")
        throw new PushInputError(`the commit ${o.name} that git log listed could not be read`);
      texts.push(objectText(o.body));
    }
    const candidates = await mayContainSecretEach(texts);
    for (const [i, o] of bodies.entries()) {
      const text = texts[i]!;
      if (!candidates[i] && !(options.extraMatcher && options.extraMatcher(text).length > 0))
        continue;
      const hits = await scanText(text, MESSAGE_PATH, options);
      if (hits.length === 0) continue;
      // The subject is printed with every finding of its commit: never with a value in it.
      let subject = subjects.get(o.name) ?? "";
      for (const h of hits)
        subject = subject.split(text.slice(h.start, h.end)).join(`[REDACTED:${h.label}]`);
      subjects.set(o.name, subject);
      masked.add(o.name);
      for (const h of hits)
        findings.push(secretFinding(h, text, hits, o.name, subject, MESSAGE_PATH, h.line));
    }
    for (const f of findings) if (masked.has(f.commit)) f.subject = subjects.get(f.commit)!;
  };

  // Object types: local oids, peeled; remote oids, to know whether they exist here. Asked at the
  // same time as the remote names (two small git processes side by side, not one after another).
  const queries: string[] = [];
  for (const u of pushing) {
    queries.push(u.localOid, `${u.localOid}^{}`);
    if (!isZero(u.remoteOid)) queries.push(`${u.remoteOid}^{commit}`);
  }
  // `--remotes=<name>` only matches a configured remote; pushing to a URL excludes what any remote has.
  // A glob that matches no ref excludes nothing (an explicit range scans every commit in it).
  // (`git remote` was started with the process: cli/pre-push-main.ts.)
  const named =
    options.remote !== undefined &&
    options.excludeRemotes !== false &&
    (await remoteNames(git)).has(options.remote);
  const excluded = excludedText(named);
  // git log starts first, without waiting for the object types: every pushed oid and every known
  // remote oid as git's revisions. That is the scan the types would choose (a blob, tree or tag of
  // one yields no commit; \`^<blob>\` excludes none), unless a remote oid is not in this repository,
  // where git stops at once with "bad object" before any output: then it runs again without it.
  const speculative = pushing.flatMap((u) => [
    u.localOid,
    ...(isZero(u.remoteOid) ? [] : [`^${u.remoteOid}`]),
  ]);
  const stopFirstRun = new AbortController();
  // One cat-file for the object types and, as git log streams them, the commit objects
  // (scanners/git.ts objectSession): started right after git log, its start overlapping git log's.
  let logRun: Promise<void> | undefined = runLog(speculative, stopFirstRun.signal, queries);
  logRun.catch(() => undefined);
  // runLog started both processes before its first await.
  const typesAsked = session!.info;
  // What the scans need, prepared while git log starts (no block of its output is parsed before
  // this synchronous stretch ends): the stored-value matcher (a damaged cache throws: git is
  // stopped and the error goes on, the push is stopped) and the prefilter compiled up front.
  try {
    if (options.loadExtraMatcher)
      options = { ...options, extraMatcher: options.loadExtraMatcher() };
    warmUpPrefilter();
  } catch (error) {
    stopFirstRun.abort();
    throw error;
  }
  // The engine's automaton is built meanwhile (CPU work while the git processes start and answer).
  const [check] = await Promise.all([typesAsked, warmUpDetect()]);
  const types = new Map<string, string>();
  for (const a of check) types.set(a.name, a.type === "missing" ? "missing" : `${a.type} ${a.oid}`);

  const revs: string[] = [];
  const objects: Array<{ oid: string; type: string; ref: string }> = [];
  const tags: Array<{ oid: string; ref: string }> = [];
  for (const u of pushing) {
    const peeled = types.get(`${u.localOid}^{}`) ?? "missing";
    const [ptype, poid] = peeled.split(" ");
    if ((types.get(u.localOid) ?? "").startsWith("tag "))
      tags.push({ oid: u.localOid, ref: u.localRef || u.remoteRef });
    if (ptype === "commit") revs.push(u.localOid);
    else if ((ptype === "blob" || ptype === "tree") && poid)
      objects.push({ oid: poid, type: ptype, ref: u.localRef || u.remoteRef });
    else if (ptype === "missing")
      throw new PushInputError(
        `the object ${u.localOid} being pushed as ${u.remoteRef} is not in this repository`,
      );
    if (!isZero(u.remoteOid)) {
      const remote = types.get(`${u.remoteOid}^{commit}`) ?? "missing";
      if (remote.startsWith("commit ")) revs.push(`^${u.remoteOid}`);
      else
        notes.push(
          `the remote's ${u.remoteRef} is at ${u.remoteOid.slice(0, 12)}, which is not in this repository (someone else pushed; \`git fetch\` narrows the scan). Scanning every commit not on a remote-tracking ref instead.`,
        );
    }
  }

  if (notes.length > 0) {
    // A remote oid is unknown here: the speculative run failed before any output; run the scan the
    // types chose instead.
    const failed = await logRun.then(
      () => false,
      () => true,
    );
    if (!failed || logged > 0)
      throw new PushInputError(
        "git log ran with a remote object this repository lacks and did not fail as expected",
      );
    logRun = revs.some((r) => !r.startsWith("^")) ? runLog(revs) : undefined;
    logRun?.catch(() => undefined);
  }

  // The ref names themselves are sent (a branch named after a token is a leak too).
  const refNames = [...new Set(pushing.flatMap((u) => [u.localRef, u.remoteRef]))].join("\n");
  if (mayHoldSmallText(refNames, options)) {
    const hits = await scanText(refNames, REF_NAMES_PATH, options);
    for (const h of hits)
      findings.push(secretFinding(h, refNames, hits, "", "", REF_NAMES_PATH, h.line));
  }

  if (logRun) await logRun;

  // A file git still showed as binary (see LOG_FLAGS: not expected with --text): read the blob as
  // of that commit and scan it whole.
  if (binaries.length > 0) {
    const specs = binaries.map((b) => `${b.commit}:${b.path}`);
    const blobs = await readObjects(specs, { ...git, maxBytes: maxBlob });
    for (const [i, b] of binaries.entries()) {
      const entry = blobs.get(specs[i]!);
      const body = entry?.body;
      if (entry && !body) {
        await scanInPieces("blob", specs[i]!, b.path, maxBlob, git, options, (fields) =>
          findings.push({
            kind: "secret",
            commit: b.commit,
            subject: subjects.get(b.commit) ?? "",
            ...fields,
          }),
        );
        continue;
      }
      if (!body) continue;
      const text = body.toString("utf8");
      if (!mayHoldSecret(text, options)) continue;
      const hits = await scanText(text, b.path, options);
      for (const h of hits)
        findings.push(
          secretFinding(h, text, hits, b.commit, subjects.get(b.commit) ?? "", b.path, h.line),
        );
    }
  }

  // An annotated tag's own message is pushed with it (a tag of a tag too: each level is read).
  if (tags.length > 0) {
    const done = new Set<string>();
    let level = tags;
    for (let depth = 0; level.length > 0 && depth < 8; depth++) {
      const next: typeof tags = [];
      const bodies = await readObjects(
        level.map((t) => t.oid),
        { ...git, maxBytes: maxBlob },
      );
      for (const t of level) {
        if (done.has(t.oid)) continue;
        done.add(t.oid);
        const entry = bodies.get(t.oid);
        if (!entry || entry.type !== "tag") continue;
        if (!entry.body) {
          await scanInPieces(
            "tag",
            t.oid,
            TAG_MESSAGE_PATH,
            maxBlob,
            git,
            options,
            (fields) =>
              findings.push({ kind: "secret", commit: t.oid, subject: "", ...fields, ref: t.ref }),
            (head) => {
              const inner = /^object ([0-9a-f]{40,64})\ntype tag\n/.exec(head);
              if (inner) next.push({ oid: inner[1]!, ref: t.ref });
            },
          );
          continue;
        }
        const raw = entry.body.toString("utf8");
        const inner = /^object ([0-9a-f]{40,64})\ntype tag\n/.exec(raw);
        if (inner) next.push({ oid: inner[1]!, ref: t.ref });
        const text = objectText(entry.body);
        if (!mayHoldSmallText(text, options)) continue;
        const hits = await scanText(text, TAG_MESSAGE_PATH, options);
        for (const h of hits)
          findings.push({
            ...secretFinding(h, text, hits, t.oid, "", TAG_MESSAGE_PATH, h.line),
            ref: t.ref,
          });
      }
      level = next;
    }
  }

  // A pushed tag that points at a blob or a tree: rev-list yields nothing, so scan the object.
  for (const o of objects) {
    const blobs: Array<{ oid: string; path: string }> = [];
    if (o.type === "blob") blobs.push({ oid: o.oid, path: o.ref });
    else {
      const listing = await gitText(
        ["-c", "core.quotePath=false", "ls-tree", "-r", "-z", o.oid],
        git,
      );
      for (const rec of listing.split("\0")) {
        const m = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(rec);
        if (!m) continue;
        blobs.push({ oid: m[1]!, path: m[2]! });
        const entry = allow.allowsPath(m[2]!) ? undefined : matchStatePath(m[2]!, stateFilter);
        if (entry)
          findings.push({
            kind: "state-path",
            commit: o.oid,
            subject: "",
            path: m[2]!,
            ruleId: entry.id,
            label: `${entry.owner}: ${entry.why}`,
            ref: o.ref,
          });
      }
    }
    const bodies = await readObjects(
      blobs.map((b) => b.oid),
      { ...git, maxBytes: maxBlob },
    );
    for (const b of blobs) {
      const entry = bodies.get(b.oid);
      const body = entry?.body;
      if (entry && !body) {
        await scanInPieces("blob", b.oid, b.path, maxBlob, git, options, (fields) =>
          findings.push({ kind: "secret", commit: o.oid, subject: "", ...fields, ref: o.ref }),
        );
        continue;
      }
      // A NUL byte does not make a blob safe to send: scanned whatever it holds.
      if (!body) continue;
      const text = body.toString("utf8");
      if (!mayHoldSecret(text, options)) continue;
      const hits = await scanText(text, b.path, options);
      for (const h of hits)
        findings.push({ ...secretFinding(h, text, hits, o.oid, "", b.path, h.line), ref: o.ref });
    }
  }
  // Stream order: a commit's message findings (read after the stream) join its file findings.
  const rank = (f: PushFinding) => (f.ref !== undefined ? Infinity : (order.get(f.commit) ?? -1));
  findings.sort((a, b) => rank(a) - rank(b));
  return { findings, commits, bytes, objects: objects.length, excluded, notes };
}

/** Context kept from one piece to the next when an object is scanned in pieces (whole lines). */
const PIECE_OVERLAP = 256 * 1024;

/**
 * An object too large to read whole (over maxBlobBytes), scanned as git streams it: pieces of about
 * `pieceBytes` of whole lines, each with the last PIECE_OVERLAP bytes of lines of the one before
 * (far more than any finding's reach, a private key block's included), findings numbered by their
 * line in the whole object and counted once. `onHead` gets the object's first piece (a tag's
 * header). Was: "too large to read whole; it was not scanned", and the push went through.
 */
async function scanInPieces(
  type: "blob" | "tag",
  oid: string,
  path: string,
  pieceBytes: number,
  git: { cwd: string; env?: NodeJS.ProcessEnv },
  options: ContentScanOptions,
  report: (fields: Omit<PushFinding, "kind" | "commit" | "subject">) => void,
  onHead?: (head: string) => void,
): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let carry = "";
  /** Line number (1-based) of the first line of `carry`. */
  let carryLine = 1;
  let first = true;
  const seen = new Set<string>();
  const flush = async () => {
    const fresh = Buffer.concat(pending).toString("utf8");
    pending = [];
    pendingBytes = 0;
    const text = carry + fresh;
    if (first && onHead) onHead(text.slice(0, 4096));
    first = false;
    if (text.length > 0 && mayHoldSecret(text, options)) {
      const hits = await scanText(text, path, options);
      for (const h of hits) {
        const fields = secretFields(h, text, hits, path, carryLine + h.line - 1);
        const key = `${fields.line}:${fields.column}:${fields.ruleId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        report(fields);
      }
    }
    // The next piece starts with the last whole lines of this one.
    let cut =
      text.length > PIECE_OVERLAP ? text.lastIndexOf("\n", text.length - PIECE_OVERLAP) : -1;
    cut = cut === -1 ? 0 : cut + 1;
    for (let i = text.indexOf("\n"); i !== -1 && i < cut; i = text.indexOf("\n", i + 1))
      carryLine++;
    carry = text.slice(cut);
  };
  await gitStream(["cat-file", type, oid], git, async (block) => {
    pending.push(block);
    pendingBytes += block.length;
    if (pendingBytes >= pieceBytes) await flush();
  });
  if (pendingBytes > 0 || first) await flush();
}

/** The names of the configured remotes. */
async function remoteNames(git: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Set<string>> {
  return new Set(
    (await gitText(["remote"], git))
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

function secretFinding(
  h: SecretHit,
  text: string,
  hits: readonly SecretHit[],
  commit: string,
  subject: string,
  path: string,
  line: number,
): PushFinding {
  return { kind: "secret", commit, subject, ...secretFields(h, text, hits, path, line) };
}

/** A secret finding without its commit (the same change met again in another commit reuses it). */
function secretFields(
  h: SecretHit,
  text: string,
  hits: readonly SecretHit[],
  path: string,
  line: number,
): Omit<PushFinding, "kind" | "commit" | "subject"> {
  return {
    path,
    line,
    column: h.column,
    ruleId: h.ruleId,
    label: h.label,
    fingerprint: h.fingerprint,
    preview: maskedLine(text, h.line, hits),
    ...(h.confidence ? { confidence: h.confidence } : {}),
  };
}
