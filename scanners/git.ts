// Running git for the scanners: one process per question, never one per file or commit.
import { spawn } from "node:child_process";

export class GitError extends Error {
  readonly args: readonly string[];
  readonly stderr: string;
  readonly status: number | null;
  constructor(args: readonly string[], status: number | null, stderr: string) {
    super(
      `git ${args.join(" ")} failed (exit ${status ?? "signal"}): ${stderr.trim().split("\n").slice(-3).join(" ")}`,
    );
    this.name = "GitError";
    this.args = args;
    this.stderr = stderr;
    this.status = status;
  }
}

export interface GitOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Exit codes that are not errors (default [0]). */
  okCodes?: readonly number[];
  /** gitStream: stops git (its run then rejects, and no block is handed on after the stop). */
  signal?: AbortSignal;
}

/** Runs git to completion; resolves with stdout as a Buffer. */
export function git(
  args: readonly string[],
  options: GitOptions,
): Promise<{ stdout: Buffer; status: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args as string[], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.stdin.on("error", () => {}); // git may exit before reading all input
    child.on("close", (code) => {
      const status = code ?? -1;
      if (!(options.okCodes ?? [0]).includes(status))
        reject(new GitError(args, code, Buffer.concat(err).toString("utf8")));
      else resolve({ stdout: Buffer.concat(out), status });
    });
    child.stdin.end(options.input ?? "");
  });
}

export async function gitText(args: readonly string[], options: GitOptions): Promise<string> {
  if (options.input === undefined && prefetched.size > 0) {
    const key = prefetchKey(args, options);
    const early = prefetched.get(key);
    if (early) {
      prefetched.delete(key);
      return early;
    }
  }
  return (await git(args, options)).stdout.toString("utf8");
}

/** Questions asked before anyone asks them (see prefetchGitText): key → answer. */
const prefetched = new Map<string, Promise<string>>();
const prefetchKey = (args: readonly string[], options: GitOptions) =>
  JSON.stringify([
    options.cwd,
    args,
    options.okCodes ?? [0],
    (options.env ?? process.env) === process.env,
  ]);

/**
 * Starts a git question now whose answer a command will ask for later with the same arguments,
 * cwd, exit codes and environment (process.env only): `hookpack pre-push` asks git where the top
 * level is and which remotes exist at its start, while Node still loads the scanners. The first
 * gitText call with the same question takes the answer (or its failure); later calls run git again.
 */
export function prefetchGitText(args: readonly string[], options: GitOptions): void {
  if (options.input !== undefined || (options.env !== undefined && options.env !== process.env))
    return;
  const answer = git(args, options).then((r) => r.stdout.toString("utf8"));
  answer.catch(() => undefined);
  prefetched.set(prefetchKey(args, options), answer);
}

/** How much of git's output may wait for the block handler before git is paused (bounded memory). */
const STREAM_BACKLOG = 8 * 1024 * 1024;

/**
 * Streams git's stdout as it is produced, in blocks of whole lines: each block handed to `onBlock`
 * is raw bytes ending just after an LF (the last may lack it). Bytes are never decoded here, so a
 * caller decodes only what it reads (pre-push decodes added lines and headers, never removed
 * lines), and a multi-byte character can never be split (LF never occurs inside one). `onBlock`
 * may be async: git keeps writing meanwhile (up to STREAM_BACKLOG bytes are queued, then git is
 * paused until the handler catches up), so reading and handling overlap instead of taking turns.
 * A line longer than any read (a huge minified or binary line) is gathered in pieces and joined
 * once. Rejects with GitError when git exits non-zero or dies by a signal, even after output.
 */
export function gitStream(
  args: readonly string[],
  options: GitOptions,
  onBlock: (block: Buffer) => void | Promise<void>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args as string[], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const err: Buffer[] = [];
    let bytes = 0;
    /** The start of an unfinished line, in pieces (joined once, when its LF arrives). */
    let partial: Buffer[] = [];
    let failed: unknown;
    const queue: Buffer[] = [];
    let queued = 0;
    let paused = false;
    let running = false;
    let draining: Promise<void> = Promise.resolve();
    options.signal?.addEventListener("abort", () => {
      failed ??= new Error("git was stopped");
    });
    const drain = async (): Promise<void> => {
      while (queue.length > 0) {
        // Back to the event loop between blocks: git's pipe is read while the blocks are handled
        // (a handler that never yields would leave git blocked on a full 64 KB pipe, so git could
        // never get ahead of the handler and each of its slow stretches became the reader's wait).
        await new Promise<void>((resolve) => setImmediate(resolve));
        const block = queue.shift()!;
        queued -= block.length;
        if (paused && queued < STREAM_BACKLOG / 2) {
          paused = false;
          child.stdout.resume();
        }
        if (failed) continue;
        try {
          const pending = onBlock(block);
          if (pending) await pending;
        } catch (error) {
          failed ??= error;
          child.kill();
        }
      }
      running = false;
    };
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.stdin.on("error", () => {});
    child.stdout.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      const nl = chunk.lastIndexOf(10);
      if (nl === -1) {
        partial.push(chunk);
        return;
      }
      const block =
        partial.length === 0
          ? chunk.subarray(0, nl + 1)
          : Buffer.concat([...partial, chunk.subarray(0, nl + 1)]);
      partial = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
      queue.push(block);
      queued += block.length;
      if (!paused && queued > STREAM_BACKLOG) {
        paused = true;
        child.stdout.pause();
      }
      if (!running) {
        running = true;
        draining = drain();
      }
    });
    child.on("close", (code, signal) => {
      (async () => {
        await draining;
        if (!failed && partial.length > 0) await onBlock(Buffer.concat(partial));
      })()
        .catch((error: unknown) => {
          failed ??= error;
        })
        .then(() => {
          if (failed) reject(failed);
          else if (code !== 0)
            reject(
              new GitError(
                args,
                code,
                Buffer.concat(err).toString("utf8") || (signal ? `killed by ${signal}` : ""),
              ),
            );
          else resolve(bytes);
        });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** An object as `git cat-file --batch` / `--batch-command` answers it: type "missing" when git has none. */
export interface GitObject {
  name: string;
  type: string;
  body: Buffer;
}

/** An object's type and id as `info` / `--batch-check` answers it (type "missing" when git has none). */
export interface GitObjectInfo {
  name: string;
  type: string;
  oid: string;
}

/** The line git prints for an object it has: `<oid> <type> <size>` (default batch format). */
const FOUND = /^([0-9a-f]{40}(?:[0-9a-f]{24})?) ([a-z]+) (\d+)$/;

/**
 * Object names go to git's batch protocols one per line: a name holding a line end (or a NUL)
 * would be read as two commands or a different name. Never sent: the caller fails (closed).
 */
function checkObjectName(name: string, args: readonly string[]): void {
  if (/[\n\r\0]/.test(name) || name === "")
    throw new GitError(args, null, "an object name is empty or holds a line end or a NUL byte");
}

/** One answer line of a batch protocol for `name`: found, or `<name> missing` (or ambiguous). */
function answerLine(
  line: string,
  name: string,
  args: readonly string[],
): { type: string; oid: string; size: number } {
  const m = FOUND.exec(line);
  if (m) return { oid: m[1]!, type: m[2]!, size: Number(m[3]) };
  if (line === `${name} missing` || line === `${name} ambiguous`)
    return { oid: "", type: "missing", size: 0 };
  throw new GitError(args, null, "git answered an object question in a way hookpack cannot read");
}

/** Parses `--batch` / `contents` answers for `names`, in order, from `out` at `from`. */
function parseContents(
  out: Buffer,
  names: readonly string[],
  from: number,
  args: readonly string[],
): GitObject[] {
  const objects: GitObject[] = [];
  let pos = from;
  for (const name of names) {
    const nl = out.indexOf(0x0a, pos);
    if (nl === -1) throw new GitError(args, null, "output ended early");
    const a = answerLine(out.toString("utf8", pos, nl), name, args);
    if (a.type === "missing") {
      objects.push({ name, type: "missing", body: Buffer.alloc(0) });
      pos = nl + 1;
      continue;
    }
    if (nl + 1 + a.size + 1 > out.length) throw new GitError(args, null, "output ended early");
    objects.push({ name, type: a.type, body: out.subarray(nl + 1, nl + 1 + a.size) });
    pos = nl + 1 + a.size + 1;
  }
  return objects;
}

/** What objectReader and objectSession give: names added while other work runs, read at done(). */
export interface ObjectReader {
  add(name: string): void;
  done(): Promise<GitObject[]>;
  /** Stops git when the answers are no longer wanted (another step failed). */
  abort(): void;
}

/**
 * One `git cat-file --batch` fed while other work runs: `add` object names as they become known
 * (git answers at once, its output is collected), then `done` reads them all. Rejects with GitError
 * when git fails.
 */
export function objectReader(options: GitOptions): ObjectReader {
  const args = ["cat-file", "--batch"];
  const names: string[] = [];
  let child: ReturnType<typeof spawn> | undefined;
  let closed: Promise<{ out: Buffer; code: number | null; err: string }> | undefined;
  const start = () => {
    const c = spawn("git", args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    c.stdout!.on("data", (d: Buffer) => out.push(d));
    c.stderr!.on("data", (d: Buffer) => err.push(d));
    c.stdin!.on("error", () => {});
    closed = new Promise((resolve, reject) => {
      c.on("error", reject);
      c.on("close", (code) =>
        resolve({ out: Buffer.concat(out), code, err: Buffer.concat(err).toString("utf8") }),
      );
    });
    closed.catch(() => undefined); // awaited by done()
    return c;
  };
  /**
   * Names added since the last write, sent in writes of ~2 KB (about 50 names; the rest at
   * done()): one pipe write per commit cost more than git's whole answer for 1,000 commits, and
   * with writes of 16 KB up to ~400 names were still unasked when the stream ended.
   */
  let pending = "";
  const flush = () => {
    if (pending === "" || !child) return;
    child.stdin!.write(pending);
    pending = "";
  };
  return {
    add(name) {
      checkObjectName(name, args);
      child ??= start();
      names.push(name);
      pending += `${name}\n`;
      if (pending.length >= 2 * 1024) flush();
    },
    abort() {
      pending = "";
      child?.stdin!.destroy();
      child?.kill();
    },
    async done() {
      if (!child || !closed) return [];
      flush();
      child.stdin!.end();
      const { out, code, err } = await closed;
      if (code !== 0) throw new GitError(args, code, err);
      return parseContents(out, names, 0, args);
    },
  };
}

/**
 * Whether this git has `cat-file --batch-command` (2.36+): unknown until the first session of this
 * process tries it; false once git refused the option (then every later session starts the
 * fallback at once). Exported for tests only.
 */
export const batchCommandSupport: { known: boolean | undefined } = { known: undefined };

/**
 * One git process for a push's object questions (was two): `git cat-file --batch-command` asked
 * `info <name>` for `infoNames` as soon as it starts (answered by `info`), then `contents <name>`
 * for each name `add`ed while other work runs (read at `done`), the commit objects as git log
 * streams them. Started right after git log, so its start overlaps git log's instead of landing
 * in the middle of the parse. A git older than 2.36 refuses the option (exit 129, nothing on
 * stdout): the same questions then go to `--batch-check` and `--batch` (two processes, as before),
 * the names already added replayed in order; the answers are the same objects either way.
 */
export function objectSession(
  options: GitOptions,
  infoNames: readonly string[],
): ObjectReader & { info: Promise<GitObjectInfo[]> } {
  // --buffer: git answers a write's commands in one go at its `flush` (not one pipe write and one
  // wake-up of this process per object).
  const args = ["cat-file", "--batch-command", "--buffer"];
  for (const n of infoNames) checkObjectName(n, args);
  if (batchCommandSupport.known === false) return fallbackSession(options, infoNames);
  let fallback: ReturnType<typeof fallbackSession> | undefined;
  let aborted = false;
  const names: string[] = [];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  /** Where the `contents` answers start in git's output (-1 until every `info` is answered). */
  let infoEnd = infoNames.length === 0 ? 0 : -1;
  let settleInfo: { resolve(v: GitObjectInfo[]): void; reject(e: unknown): void } | undefined;
  const info = new Promise<GitObjectInfo[]>((resolve, reject) => {
    settleInfo = { resolve, reject };
  });
  info.catch(() => undefined); // awaited by the caller
  if (infoNames.length === 0) settleInfo!.resolve([]);
  const c = spawn("git", args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  /** Parses the `info` answers once all have arrived (they come first: they were asked first). */
  const tryInfo = (final: boolean) => {
    const buf = out.length === 1 ? out[0]! : Buffer.concat(out);
    out.length = 0;
    out.push(buf);
    let pos = 0;
    const answers: GitObjectInfo[] = [];
    try {
      for (const name of infoNames) {
        const nl = buf.indexOf(0x0a, pos);
        if (nl === -1) {
          if (final) throw new GitError(args, null, "output ended early");
          return;
        }
        const a = answerLine(buf.toString("utf8", pos, nl), name, args);
        answers.push({ name, type: a.type, oid: a.oid });
        pos = nl + 1;
      }
    } catch (error) {
      infoEnd = buf.length;
      settleInfo!.reject(error);
      return;
    }
    infoEnd = pos;
    batchCommandSupport.known = true;
    settleInfo!.resolve(answers);
  };
  c.stdout.on("data", (d: Buffer) => {
    out.push(d);
    outBytes += d.length;
    if (infoEnd === -1) tryInfo(false);
  });
  c.stderr.on("data", (d: Buffer) => err.push(d));
  c.stdin.on("error", () => {});
  const closed = new Promise<{ code: number | null; err: string }>((resolve, reject) => {
    c.on("error", reject);
    c.on("close", (code) => resolve({ code, err: Buffer.concat(err).toString("utf8") }));
  });
  closed.catch(() => undefined);
  // The `info` answers, or the switch to the fallback when this git does not know the option.
  void closed.then(
    ({ code, err: stderr }) => {
      if (code === 129 && outBytes === 0 && /batch-command/.test(stderr)) {
        batchCommandSupport.known = false;
        fallback = fallbackSession(options, infoNames);
        for (const n of names) fallback.add(n);
        // Stopped before the switch: no `--batch` left waiting for an end of input never sent.
        if (aborted) fallback.abort();
        fallback.info.then(settleInfo!.resolve, settleInfo!.reject);
        return;
      }
      if (infoEnd === -1) {
        if (code !== 0) settleInfo!.reject(new GitError(args, code, stderr));
        else tryInfo(true);
      }
    },
    (error: unknown) => settleInfo!.reject(error),
  );
  if (infoNames.length > 0) c.stdin.write(`${infoNames.map((n) => `info ${n}\n`).join("")}flush\n`);
  /** `contents` commands not yet written, sent in writes of ~2 KB (see objectReader). */
  let pending = "";
  const flush = () => {
    if (pending === "") return;
    c.stdin.write(`${pending}flush\n`);
    pending = "";
  };
  return {
    info,
    add(name) {
      checkObjectName(name, args);
      if (fallback) return fallback.add(name);
      names.push(name);
      pending += `contents ${name}\n`;
      if (pending.length >= 2 * 1024) flush();
    },
    abort() {
      pending = "";
      aborted = true;
      if (fallback) return fallback.abort();
      // Types still unanswered (a speculative git log failed at once): git answers what it was
      // asked, then stops at the end of its input; otherwise it is stopped now.
      if (infoEnd === -1) c.stdin.end();
      else {
        c.stdin.destroy();
        c.kill();
      }
    },
    async done() {
      flush();
      c.stdin.end();
      const { code, err: stderr } = await closed;
      await info.catch(() => undefined);
      if (fallback) return fallback.done();
      if (code !== 0) throw new GitError(args, code, stderr);
      await info;
      const buf = Buffer.concat(out);
      return parseContents(buf, names, infoEnd, args);
    },
  };
}

/** objectSession on a git without `--batch-command`: `--batch-check` for the types, `--batch` for the rest. */
function fallbackSession(
  options: GitOptions,
  infoNames: readonly string[],
): ObjectReader & { info: Promise<GitObjectInfo[]> } {
  const checkArgs = ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"];
  const info =
    infoNames.length === 0
      ? Promise.resolve([])
      : gitText(checkArgs, { ...options, input: `${infoNames.join("\n")}\n` }).then((text) => {
          const lines = text.split("\n");
          return infoNames.map((name, i) => {
            if (lines[i] === undefined || i >= lines.length - 1)
              throw new GitError(checkArgs, null, "output ended early");
            const a = answerLine(lines[i]!, name, checkArgs);
            return { name, type: a.type, oid: a.oid };
          });
        });
  info.catch(() => undefined);
  return { info, ...objectReader(options) };
}

/** `git cat-file --batch` for many objects in one process; objects over `maxBytes` are skipped. */
export async function readObjects(
  oids: readonly string[],
  options: GitOptions & { maxBytes: number },
): Promise<Map<string, { type: string; size: number; body: Buffer | undefined }>> {
  const result = new Map<string, { type: string; size: number; body: Buffer | undefined }>();
  if (oids.length === 0) return result;
  const check = await gitText(
    ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
    { ...options, input: `${oids.join("\n")}\n` },
  );
  const small: string[] = [];
  check.split("\n").forEach((line, i) => {
    const [oid, type, size] = line.split(" ");
    if (!oid || !type || size === undefined || type === "missing") return;
    result.set(oids[i]!, { type, size: Number(size), body: undefined });
    if (Number(size) <= options.maxBytes) small.push(oids[i]!);
  });
  if (small.length === 0) return result;
  const { stdout } = await git(["cat-file", "--batch"], {
    ...options,
    input: `${small.join("\n")}\n`,
  });
  let pos = 0;
  for (const oid of small) {
    const nl = stdout.indexOf(0x0a, pos);
    if (nl === -1) break;
    const [, , size] = stdout.subarray(pos, nl).toString("utf8").split(" ");
    const n = Number(size);
    const entry = result.get(oid);
    if (entry) entry.body = stdout.subarray(nl + 1, nl + 1 + n);
    pos = nl + 1 + n + 1;
  }
  return result;
}

/** Decodes a path as git prints it: C-quoted ("a\303\251\tb") when it holds special bytes. */
export function unquoteGitPath(path: string): string {
  if (!path.startsWith('"') || !path.endsWith('"') || path.length < 2) return path;
  const bytes: number[] = [];
  const s = path.slice(1, -1);
  const simple: Record<string, number> = {
    n: 10,
    t: 9,
    r: 13,
    a: 7,
    b: 8,
    f: 12,
    v: 11,
    "\\": 92,
    '"': 34,
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\") {
      bytes.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const n = s[i + 1] ?? "";
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[n] ?? n.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
