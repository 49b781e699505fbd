// What the pre-push attack files share (test/security/pre-push-*.attack.test.ts): a real repository
// with a bare remote and hookpack's pre-push hook installed, and one push attempt judged the same way
// everywhere — contained when git refused the push, the remote did not move, hookpack said why, and
// no token appears in anything printed.
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { commitFiles, HOOKPACK, makeSandbox, type Sandbox } from "./git-sandbox.js";

/** Throws unless dist/ has the pre-push bundle (the hook git runs). */
export function assertPrePushBuilt(): void {
  if (!readdirSync(dirname(HOOKPACK)).includes("pre-push.cjs"))
    throw new Error("run `npm run build` first");
}

/** A sandbox with a repository, one clean commit pushed to its bare remote, and the hook installed. */
export function prePushRepo(prefix: string): { s: Sandbox; dir: string; remote: string } {
  const s = makeSandbox(prefix);
  const { dir, remote } = s.repo();
  commitFiles(s, dir, { "README.md": "# demo\n" }, "initial");
  s.git(dir, "push", "-q", "origin", "main");
  const r = s.hookpack(dir, ["install", "--agent", "claude-code", "--scope", "local"]);
  if (r.status !== 0) throw new Error(`hookpack install failed in the sandbox: ${r.stderr}`);
  return { s, dir, remote };
}

/** The remote's head of `ref` (empty when it has none). */
export const remoteHead = (s: Sandbox, dir: string, ref = "main"): string =>
  s.git(dir, "ls-remote", "origin", ref).split("\t")[0] ?? "";

export interface PushAttemptOptions {
  ref?: string;
  env?: NodeJS.ProcessEnv;
  /** What hookpack's refusal must say (besides `refused`). */
  expect?: RegExp;
  /** Only hookpack's lines count for the token check (git prints the ref names it refused). */
  hookpackOnly?: boolean;
  /** hookpack's refusal line; default `hookpack: push blocked`. */
  refused?: RegExp;
}

/** One `git push`, judged: contained when refused, the remote unmoved, hookpack said why, no token printed. */
export function pushAttempt(
  s: Sandbox,
  dir: string,
  args: string[],
  tokens: readonly string[],
  opts: PushAttemptOptions = {},
) {
  const before = remoteHead(s, dir, opts.ref);
  const r = s.run("git", ["push", ...args], { cwd: dir, ok: false, env: opts.env });
  const out = opts.hookpackOnly
    ? (r.stdout + r.stderr)
        .split("\n")
        .filter((l) => l.startsWith("hookpack"))
        .join("\n")
    : r.stdout + r.stderr;
  const contained =
    r.status !== 0 &&
    remoteHead(s, dir, opts.ref) === before &&
    (opts.refused ?? /hookpack: push blocked/).test(r.stderr) &&
    tokens.every((t) => !out.includes(t)) &&
    (opts.expect === undefined || opts.expect.test(r.stderr));
  return { r, out: r.stdout + r.stderr, contained };
}
