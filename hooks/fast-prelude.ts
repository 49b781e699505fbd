// The part of the hook's fast allow stage (hooks/fast-allow.ts) that runs in the `hookpack` entry
// itself, before any bundle loads: it reads stdin as far as it is there, and says whether the
// stage could possibly answer this call. Only then is dist/fast-allow.cjs loaded; every other call
// (a PostToolUse, a prompt, a session start, another agent: most of them) goes straight to
// hook.cjs with the bytes read, and pays nothing for the stage. A "candidate" is only a reason to
// load the stage, which decides everything itself: a payload that spells its event or tool name
// with JSON escapes is simply not a candidate, and handing a call on is always safe.
import { readStdinNow, type StdinPrefix } from "./read-stdin.js";

/** Payloads larger than this are handed on (a plain command's payload is well under 1 KB). */
export const FAST_MAX_PAYLOAD = 64 * 1024;

/** Whether the stage may run at all for this agent and environment (nothing is read otherwise). */
export function fastEligible(agent: string | undefined, env: NodeJS.ProcessEnv): boolean {
  return (
    agent === "claude-code" &&
    env.HOOKPACK_FAST_ALLOW !== "0" &&
    (env.HOOKPACK_DEBUG === undefined || env.HOOKPACK_DEBUG === "" || env.HOOKPACK_DEBUG === "0") &&
    env.HOOKPACK_MAX_STDIN_BYTES === undefined
  );
}

export interface Prelude {
  /** What was read of stdin (nothing when the stage is not eligible). */
  prefix: StdinPrefix;
  /** The whole payload, when the stage could answer it. */
  raw: string | undefined;
}

export function fastPrelude(agent: string | undefined, env: NodeJS.ProcessEnv): Prelude {
  const none: Prelude = { prefix: { chunks: [], eof: false, direct: undefined }, raw: undefined };
  if (!fastEligible(agent, env)) return none;
  let prefix: StdinPrefix;
  try {
    prefix = readStdinNow(FAST_MAX_PAYLOAD);
  } catch {
    return none;
  }
  if (!prefix.eof) return { prefix, raw: undefined };
  // One chunk (a payload under 64 KB, read at once): decoded as it is, without Buffer.concat.
  const raw =
    prefix.chunks.length === 1
      ? prefix.chunks[0]!.toString()
      : Buffer.concat(prefix.chunks).toString("utf8");
  // A `$secret:` or `$cap:` reference as the payload spells it: the stage would hand the call on
  // anyway (REF_ANYWHERE, CAP_ANYWHERE), after ~1.4 ms of CPU loading and running it (issue 21).
  // So would it a command hookpack itself rewrote (its brokered-exec prefix names hookpack's
  // entry, and the stage hands on every command that says "hookpack"): the full pipeline asks the
  // broker whether it is the call it offered.
  const candidate =
    raw.length <= FAST_MAX_PAYLOAD &&
    raw.includes('"PreToolUse"') &&
    raw.includes('"Bash"') &&
    !raw.includes("secret:") &&
    !raw.includes("cap:") &&
    !raw.includes(" exec --grant ");
  return { prefix, raw: candidate ? raw : undefined };
}
