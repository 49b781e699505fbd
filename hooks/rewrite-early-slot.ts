// What the hook's entry (cli/bin.ts, through hooks/rewrite-early.ts) and hook.cjs
// (hooks/secret-ref-host.ts) share about an early `$secret:` rewrite request (issue 21), and how a
// rewritten command calls hookpack. A leaf module, inlined into both bundles.
import { dirname, join, resolve } from "node:path";
import type { Verdict } from "./event.js";
import type { RewriteCall } from "../rules/secret-ref-host.js";
import type { SelfInvocation } from "../rules/secret-refs.js";

/** How the rewritten command calls hookpack: the same node and bundle that run this hook. */
export function selfInvocation(): SelfInvocation {
  const argv1 = process.argv[1];
  const script =
    argv1 && /hookpack\.c?js$/.test(argv1)
      ? resolve(argv1)
      : join(typeof __dirname === "string" ? __dirname : dirname(argv1 ?? "."), "hookpack.cjs");
  return { node: process.execPath, script };
}

/**
 * An early request on its way: `take` answers for the hook's own call, "unmatched" when that call
 * is not exactly the one sent (its held grants are then revoked: the connection closes).
 */
export interface EarlyRewrite {
  take(home: string, call: RewriteCall): Promise<Verdict | undefined | "unmatched">;
}

/** A rewrite taken from an early request: its grants wait for the hook's answer to carry it. */
export interface HeldRewrite {
  /** The key the rewritten command carries (never printed unless the answer carries it). */
  key: string;
  /** Arms the held grants (false: the connection is gone, and the grants with it). */
  confirm(): boolean;
  /** Revokes them (closes the connection). */
  close(): void;
}

const SLOT = Symbol.for("hookpack.rewrite-early");
const HELD = Symbol.for("hookpack.rewrite-early.held");
type Slot = { [SLOT]?: EarlyRewrite; [HELD]?: HeldRewrite };

export function putEarlyRewrite(early: EarlyRewrite): void {
  (globalThis as Slot)[SLOT] = early;
}

/** The early request, once: a second call (hookpack-shell, a test) gets none. */
export function takeEarlyRewrite(): EarlyRewrite | undefined {
  const slot = globalThis as Slot;
  const early = slot[SLOT];
  delete slot[SLOT];
  return early;
}

export function holdEarlyRewrite(held: HeldRewrite): void {
  (globalThis as Slot)[HELD] = held;
}

/**
 * Called with the hook's final answer, before it is written (hooks/run-hook.ts): the early
 * request's grants are armed only when that answer carries the rewritten command (its key);
 * otherwise (a later rule denied, the answer is another) they are revoked. No early request: nothing.
 */
export function settleEarlyRewrite(answer: string): void {
  const slot = globalThis as Slot;
  const held = slot[HELD];
  if (!held) return;
  delete slot[HELD];
  if (!answer.includes(held.key) || !held.confirm()) held.close();
}
