// A second thread for a large push's stored-value search (issue 21, the pre-push row). The
// four-view managed-value search (scanners/managed.ts) is the largest CPU cost of a big push
// (~40 % of the 1,000-commit bench's main thread) and needs nothing but the text, so a worker
// thread runs it for some of the files while the main thread parses git's output and runs the
// pattern engines, on the second core git log leaves mostly idle.
//
// The main thread never depends on the worker for a result: a file's text goes to the worker only
// once the worker has said it loaded the same stored values (its own managedValueMatcher over the
// same HOOKPACK_HOME); the main thread takes the results synchronously (receiveMessageOnPort) and
// searches a text itself whenever the worker has not answered it in time, answered it with an
// error, died, or never started. What the worker finds is exactly what the in-thread matcher finds
// for the same text (the same code over the same cache): test/security/pre-push-views-worker.
import type { ExtraMatcher } from "./content.js";
import { managedValueMatcher } from "./managed.js";

type Hits = ReturnType<ExtraMatcher>;

/** Shared flags: [0] results posted so far, [1] state (0 starting, 1 ready, 2 unusable). */
const POSTED = 0;
const STATE = 1;

/** A job the worker holds: its text (searched here when the worker does not answer). */
interface Pending {
  text: string;
}

/** At most this many texts with the worker at once (the rest stay on the main thread's list). */
export const IN_FLIGHT = 6;

/**
 * What the worker did, printed for HOOKPACK_PUSH_WORKER_STATS=1 (counts on stderr, never text): the
 * tests use it to show that a case really went through the worker.
 */
const STATS = { answered: 0, searchedHere: 0, waitMs: 0, readyMs: 0 };

export interface ViewsPool {
  /** Whether the worker is ready to take texts (false while it starts, and for good after a failure). */
  usable(): boolean;
  /** How many texts the worker holds now (after taking any answers already posted). */
  inFlight(): number;
  /** Hands `text` to the worker; the answer is asked for with `take(id)`. */
  give(id: number, text: string): void;
  /** The stored-value hits of job `id`: the worker's answer, or the in-thread search of its text. */
  take(id: number): Hits;
  /** Whether job `id` was handed to the worker and not yet taken. */
  has(id: number): boolean;
  /** Whether the worker has answered job `id` (taking any answers already posted). */
  answered(id: number): boolean;
  close(): void;
}

/**
 * Starts the worker: `bundle` is the built pre-push bundle (dist/pre-push.cjs), whose exports
 * include runPushViewsWorker; `fallback` is the main thread's own matcher for the same home.
 */
export function startViewsPool(bundle: string, home: string, fallback: ExtraMatcher): ViewsPool {
  // Loaded only for a large push (a small one never starts a thread).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wt = require("node:worker_threads") as typeof import("node:worker_threads");
  const T0 = Date.now();
  const shared = new SharedArrayBuffer(8);
  const flags = new Int32Array(shared);
  const { port1, port2 } = new wt.MessageChannel();
  let dead = false;
  const pending = new Map<number, Pending>();
  const answers = new Map<number, { hits?: Hits; error?: boolean }>();
  let worker: import("node:worker_threads").Worker | undefined;
  try {
    worker = new wt.Worker(
      `const { workerData } = require("node:worker_threads");
       let m;
       try { m = require(workerData.bundle); } catch {}
       if (m && typeof m.runPushViewsWorker === "function") m.runPushViewsWorker(workerData);
       else { const f = new Int32Array(workerData.shared); Atomics.store(f, 1, 2); Atomics.notify(f, 1); }`,
      {
        eval: true,
        workerData: { bundle, home, shared, port: port2 },
        transferList: [port2],
        // The worker inherits no stdin and writes nothing; its env is the process's.
        stdin: false,
        stdout: true,
        stderr: true,
      },
    );
    worker.unref();
    worker.on("error", () => {
      dead = true;
    });
    worker.on("exit", () => {
      dead = true;
    });
  } catch {
    dead = true;
  }
  const collect = () => {
    for (;;) {
      const got = wt.receiveMessageOnPort(port1) as
        { message: { id: number; hits?: Hits; error?: boolean } } | undefined;
      if (!got) return;
      const { id, hits, error } = got.message;
      if (pending.has(id)) answers.set(id, { hits, error });
    }
  };
  const inThread = (id: number): Hits => {
    const job = pending.get(id)!;
    pending.delete(id);
    answers.delete(id);
    return fallback(job.text);
  };
  return {
    usable: () => {
      const ok = !dead && Atomics.load(flags, STATE) === 1;
      if (ok && !STATS.readyMs) STATS.readyMs = Date.now() - T0;
      return ok;
    },
    inFlight() {
      collect();
      let n = 0;
      for (const id of pending.keys()) if (!answers.has(id)) n++;
      return n;
    },
    give(id, text) {
      pending.set(id, { text });
      port1.postMessage({ id, text });
    },
    has: (id) => pending.has(id),
    answered(id) {
      if (!answers.has(id)) collect();
      return answers.has(id);
    },
    take(id) {
      if (!pending.has(id)) throw new Error(`no views job ${id}`);
      // Long enough for the worker to search the text even on a loaded machine (~50 MB/s when
      // idle); past it the text is searched here and the worker is no longer used.
      const text = pending.get(id)!.text;
      const deadline = Date.now() + 250 + text.length / 2000;
      for (;;) {
        const seen = Atomics.load(flags, POSTED);
        collect();
        const answer = answers.get(id);
        if (answer) {
          pending.delete(id);
          answers.delete(id);
          if (answer.error || !Array.isArray(answer.hits)) {
            STATS.searchedHere++;
            return fallback(text);
          }
          STATS.answered++;
          return answer.hits;
        }
        const left = deadline - Date.now();
        if (dead || left <= 0 || Atomics.load(flags, STATE) !== 1) {
          dead = true;
          STATS.searchedHere++;
          return inThread(id);
        }
        const w0 = Date.now();
        Atomics.wait(flags, POSTED, seen, Math.min(left, 50));
        STATS.waitMs += Date.now() - w0;
      }
    },
    close() {
      if (process.env.HOOKPACK_PUSH_WORKER_STATS === "1")
        process.stderr.write(
          `hookpack: pre-push worker: ${STATS.answered} texts answered, ${STATS.searchedHere} searched here instead, ready after ${STATS.readyMs} ms, waited ${STATS.waitMs} ms\n`,
        );
      dead = true;
      pending.clear();
      answers.clear();
      port1.close();
      void worker?.terminate().catch(() => undefined);
    },
  };
}

/** The worker's side (exported by dist/pre-push.cjs): searches each text it is handed. */
export function runPushViewsWorker(data: {
  home: string;
  shared: SharedArrayBuffer;
  port: import("node:worker_threads").MessagePort;
}): void {
  const flags = new Int32Array(data.shared);
  let matcher: ExtraMatcher | undefined;
  try {
    matcher = managedValueMatcher(data.home);
  } catch {
    matcher = undefined;
  }
  data.port.on("message", (m: { id: number; text: string }) => {
    let hits: Hits | undefined;
    let error = false;
    try {
      hits = matcher!(m.text).map((h) => ({ start: h.start, end: h.end, label: h.label }));
    } catch {
      error = true;
    }
    data.port.postMessage({ id: m.id, hits, error });
    Atomics.add(flags, POSTED, 1);
    Atomics.notify(flags, POSTED);
  });
  Atomics.store(flags, STATE, matcher ? 1 : 2);
  Atomics.notify(flags, STATE);
}
