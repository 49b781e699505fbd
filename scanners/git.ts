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

/**
 * One `git cat-file --batch` fed while other work runs: `add` object names as they become known
 * (git answers at once, its output is collected), then `done` reads them all. Rejects with GitError
 * when git fails.
 */
export function objectReader(options: GitOptions): {
  add(name: string): void;
  done(): Promise<Array<{ name: string; type: string; body: Buffer }>>;
  /** Stops git when the answers are no longer wanted (another step failed). */
  abort(): void;
} {
  const names: string[] = [];
  let child: ReturnType<typeof spawn> | undefined;
  let closed: Promise<{ out: Buffer; code: number | null; err: string }> | undefined;
  const start = () => {
    const c = spawn("git", ["cat-file", "--batch"], {
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
      if (code !== 0) throw new GitError(["cat-file", "--batch"], code, err);
      const objects: Array<{ name: string; type: string; body: Buffer }> = [];
      let pos = 0;
      for (const name of names) {
        const nl = out.indexOf(0x0a, pos);
        if (nl === -1) throw new GitError(["cat-file", "--batch"], code, "output ended early");
        const [, type = "missing", size] = out.subarray(pos, nl).toString("utf8").split(" ");
        if (type === "missing" || size === undefined) {
          objects.push({ name, type: "missing", body: Buffer.alloc(0) });
          pos = nl + 1;
          continue;
        }
        const n = Number(size);
        objects.push({ name, type, body: out.subarray(nl + 1, nl + 1 + n) });
        pos = nl + 1 + n + 1;
      }
      return objects;
    },
  };
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
