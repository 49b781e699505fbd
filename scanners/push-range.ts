// What a `git push` is about to send, scanned commit by commit (never the net diff: a secret added
// and removed inside the range is still in the history being pushed). One `git log -p` process
// streams every pushed commit; merges are read with `--cc` so an "evil merge" resolution is seen;
// user config that could hide or reshape content (textconv, external diff, colour, prefixes,
// quoting) is switched off on the command line. See reference/publish-and-git.md §B1.
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
import { gitLines, gitText, readObjects, unquoteGitPath } from "./git.js";

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

/** The git flags that make `log -p` show every added line exactly, whatever the user's config. */
export const LOG_FLAGS = [
  "-c",
  "core.quotePath=false",
  "-c",
  "diff.relative=false",
  "-c",
  "log.showSignature=false",
  "-c",
  "diff.noprefix=false",
  "log",
  "-p",
  "-U0",
  "--no-color",
  "--no-ext-diff",
  "--no-textconv",
  "--no-relative",
  "--src-prefix=a/",
  "--dst-prefix=b/",
  "--format=%x00commit %H %s",
  "--diff-filter=d",
  "--cc",
  "--stdin",
] as const;

interface FileState {
  path: string;
  isNew: boolean;
  binary: boolean;
  parents: number;
  nextLine: number;
  lines: string[];
  lineNumbers: number[];
}

const stateFilter = (e: StatePath) => e.git;

export async function scanPushRange(options: PushScanOptions): Promise<PushScanResult> {
  warmUpPrefilter();
  const git = { cwd: options.cwd, env: options.env };
  const allow = options.allow ?? EMPTY_ALLOW_LIST;
  const maxBlob = options.maxBlobBytes ?? 4 * 1024 * 1024;
  const notes: string[] = [];
  const findings: PushFinding[] = [];
  const pushing = options.updates.filter((u) => !isZero(u.localOid));
  const remotes = new Set(
    (await gitText(["remote"], git))
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const named = options.remote !== undefined && remotes.has(options.remote);
  // `--remotes=<name>` only matches a configured remote; pushing to a URL excludes what any remote has.
  // A glob that matches no ref excludes nothing (an explicit range scans every commit in it).
  const exclude =
    options.excludeRemotes === false
      ? "--glob=refs/hookpack-matches-nothing/*"
      : named
        ? `--remotes=${options.remote!.replace(/[*?[\]\\]/g, "\\$&")}`
        : "--remotes";
  const excluded =
    options.excludeRemotes === false
      ? "nothing (an explicit range)"
      : named
        ? `commits already on ${options.remote}'s remote-tracking refs`
        : "commits already on any remote-tracking ref";
  if (pushing.length === 0) return { findings, commits: 0, bytes: 0, objects: 0, excluded, notes };

  // Object types: local oids, peeled; remote oids, to know whether they exist here.
  const queries: string[] = [];
  for (const u of pushing) {
    queries.push(u.localOid, `${u.localOid}^{}`);
    if (!isZero(u.remoteOid)) queries.push(`${u.remoteOid}^{commit}`);
  }
  const types = new Map<string, string>();
  const check = await gitText(["cat-file", "--batch-check=%(objecttype) %(objectname)"], {
    ...git,
    input: `${queries.join("\n")}\n`,
  });
  check.split("\n").forEach((line, i) => {
    const q = queries[i];
    if (q === undefined) return;
    const [type, oid] = line.split(" ");
    types.set(
      q,
      type === undefined || line.endsWith(" missing") ? "missing" : `${type} ${oid ?? ""}`,
    );
  });

  const revs: string[] = [];
  const objects: Array<{ oid: string; type: string; ref: string }> = [];
  for (const u of pushing) {
    const peeled = types.get(`${u.localOid}^{}`) ?? "missing";
    const [ptype, poid] = peeled.split(" ");
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

  let commits = 0;
  let bytes = 0;
  const subjects = new Map<string, string>();
  const binaries: Array<{ commit: string; path: string }> = [];
  if (revs.some((r) => !r.startsWith("^"))) {
    // `--diff-filter` hides commits with nothing to show (a pure deletion), so count separately.
    // Counted by a second git process running alongside the log stream, not before it.
    const counting = gitText(["rev-list", "--count", "--stdin", "--not", exclude], {
      ...git,
      input: `${revs.join("\n")}\n`,
    });
    counting.catch(() => undefined); // awaited below; a failure of the log stream comes first
    let commit = "";
    let subject = "";
    let file: FileState | undefined;
    /** Ends the current file; returns a promise only when its added lines need the full scan. */
    const flush = (): Promise<void> | undefined => {
      const f = file;
      file = undefined;
      if (!f || !commit) return undefined;
      if (f.isNew && !allow.allowsPath(f.path)) {
        const entry = matchStatePath(f.path, stateFilter);
        if (entry)
          findings.push({
            kind: "state-path",
            commit,
            subject,
            path: f.path,
            ruleId: entry.id,
            label: `${entry.owner}: ${entry.why}`,
          });
      }
      if (f.binary) binaries.push({ commit, path: f.path });
      if (f.lines.length === 0) return undefined;
      const text = f.lines.join("\n");
      // hookpack's own store or audit log under any name: by content.
      const own = f.isNew && !allow.allowsPath(f.path) ? hookpackFileByContent(text) : undefined;
      if (
        own &&
        !findings.some((x) => x.commit === commit && x.path === f.path && x.kind === "state-path")
      ) {
        findings.push({
          kind: "state-path",
          commit,
          subject,
          path: f.path,
          ruleId: own.id,
          label: `${own.owner}: ${own.why}`,
        });
      }
      if (!mayHoldSecret(text, options)) return undefined;
      const at = { commit, subject };
      return scanText(text, f.path, options).then((hits) => {
        for (const h of hits)
          findings.push(
            secretFinding(
              h,
              text,
              hits,
              at.commit,
              at.subject,
              f.path,
              f.lineNumbers[h.line - 1] ?? h.line,
            ),
          );
      });
    };
    const headerPath = (line: string): string => {
      // "diff --git a/X b/Y" (ambiguous with spaces; +++ or rename lines refine it) or "diff --cc X".
      const cc = /^diff --(?:cc|combined) (.*)$/.exec(line);
      if (cc) return unquoteGitPath(cc[1]!);
      const m = /^diff --git (?:"?a\/.*?"?) ("?b\/.*"?)$/.exec(line);
      return m ? unquoteGitPath(m[1]!).replace(/^b\//, "") : "";
    };
    bytes = await gitLines(
      [...LOG_FLAGS, "--not", exclude],
      { ...git, input: `${revs.join("\n")}\n` },
      (line) => {
        if (line.startsWith("\0commit ")) {
          const pending = flush();
          commit = line.slice(8, line.indexOf(" ", 8) === -1 ? undefined : line.indexOf(" ", 8));
          subject = line.indexOf(" ", 8) === -1 ? "" : line.slice(line.indexOf(" ", 8) + 1);
          subjects.set(commit, subject);
          return pending;
        }
        if (line.startsWith("diff --")) {
          const pending = flush();
          file = {
            path: headerPath(line),
            isNew: false,
            binary: false,
            parents: line.startsWith("diff --git") ? 1 : 2,
            nextLine: 0,
            lines: [],
            lineNumbers: [],
          };
          return pending;
        }
        if (!file) return undefined;
        if (file.nextLine === 0) {
          // Extended header lines (before the first hunk).
          if (line.startsWith("new file mode")) file.isNew = true;
          else if (line.startsWith("rename to ") || line.startsWith("copy to ")) {
            file.path = unquoteGitPath(line.slice(line.indexOf(" to ") + 4));
            file.isNew = true;
          } else if (line.startsWith("+++ ")) {
            const p = line.slice(4);
            if (p !== "/dev/null") file.path = unquoteGitPath(p).replace(/^b\//, "");
          } else if (line.startsWith("Binary files ")) {
            file.binary = true;
            const m = / and ("?b\/.*"?) differ$/.exec(line);
            if (m) file.path = unquoteGitPath(m[1]!).replace(/^b\//, "");
          }
        }
        if (line.startsWith("@@")) {
          const at = /^(@{2,}) .*?\+(\d+)(?:,\d+)? @{2,}/.exec(line);
          if (at) {
            file.parents = at[1]!.length - 1;
            file.nextLine = Number(at[2]) || 1;
          }
          return undefined;
        }
        if (file.nextLine === 0) return undefined;
        const prefix = line.slice(0, file.parents);
        if (prefix.length < file.parents || line.startsWith("\\")) return undefined;
        if (/^\++$/.test(prefix)) {
          // Added in this commit (for a merge: new relative to every parent).
          file.lines.push(line.slice(file.parents));
          file.lineNumbers.push(file.nextLine++);
        } else if (!prefix.includes("-")) file.nextLine++;
        return undefined;
      },
    );
    await flush();
    commits = Number((await counting).trim()) || 0;
  }

  // Files git shows as binary (a NUL byte, or a `-diff`/`binary` attribute that could hide a text
  // secret): read the blob as of that commit and scan it whole when it is small text.
  if (binaries.length > 0) {
    const specs = binaries.map((b) => `${b.commit}:${b.path}`);
    const blobs = await readObjects(specs, { ...git, maxBytes: maxBlob });
    for (const [i, b] of binaries.entries()) {
      const body = blobs.get(specs[i]!)?.body;
      if (!body || body.subarray(0, 8000).includes(0)) continue;
      const text = body.toString("utf8");
      if (!mayHoldSecret(text, options)) continue;
      const hits = await scanText(text, b.path, options);
      for (const h of hits)
        findings.push(
          secretFinding(h, text, hits, b.commit, subjects.get(b.commit) ?? "", b.path, h.line),
        );
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
      const body = bodies.get(b.oid)?.body;
      if (!body || body.subarray(0, 8000).includes(0)) continue;
      const text = body.toString("utf8");
      if (!mayHoldSecret(text, options)) continue;
      const hits = await scanText(text, b.path, options);
      for (const h of hits)
        findings.push({ ...secretFinding(h, text, hits, o.oid, "", b.path, h.line), ref: o.ref });
    }
  }
  return { findings, commits, bytes, objects: objects.length, excluded, notes };
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
  return {
    kind: "secret",
    commit,
    subject,
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
