// Where hookpack keeps its per-user state (store, key, grants, audit log, caches, runtime): one
// rule for the CLI, the hook and the shell wrapper. Always an absolute path, never inside a git
// work tree or a package directory, where `git add -A`, a push or `npm publish` would carry the
// store and its key away. Small on purpose: the hook's entry loads it on every call.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";

/**
 * HOOKPACK_HOME that cannot be used; the hint says what to do. Shaped like HookpackError but not
 * one: this module is inlined into the `hookpack` entry, which must not load the shared errors bundle.
 */
export class HookpackHomeError extends Error {
  readonly code = "HOOKPACK_HOME_UNSAFE";
  readonly hint: string;
  readonly exitCode = 2 as const;
  constructor(message: string, hint: string) {
    super(message);
    this.name = "HookpackHomeError";
    this.hint = hint;
  }
}

/** Is this a HookpackHomeError (from any bundle's copy of this module)? */
export const isHomeError = (error: unknown): error is HookpackHomeError =>
  error instanceof Error && error.name === "HookpackHomeError";

/** The user's home: $HOME when it is an absolute path, else the passwd entry's (an empty or relative HOME is not a place). */
export function userHome(env: NodeJS.ProcessEnv): string {
  if (env.HOME && isAbsolute(env.HOME)) return env.HOME;
  try {
    const home = userInfo().homedir;
    if (home && isAbsolute(home)) return home;
  } catch {
    // no passwd entry (a container with an arbitrary uid)
  }
  return "";
}

const FIX =
  "set HOOKPACK_HOME to an absolute directory outside any project, e.g. HOOKPACK_HOME=~/.hookpack (the default), or give the user a HOME.";

/**
 * Why `dir` must not hold hookpack's state, or undefined when it may. The user's home itself is
 * the boundary: a dotfiles repository or a stray package.json in ~ does not count (hookpack's
 * pre-push hook and check-pack still recognise its files there by name and content).
 */
export function unsafeHomeReason(dir: string, home: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (d === home) return undefined;
    if (basename(d) === "node_modules") return `it is inside a package's node_modules (${d})`;
    if (isWorkTree(d))
      return `it is inside the git work tree ${d}, where a commit or push would carry the secret store and its key`;
    if (existsSync(join(d, "package.json")))
      return `it is inside the package directory ${d}, where \`npm publish\` would ship the secret store and its key`;
    if (dirname(d) === d) return undefined;
  }
}

/** A git work tree's top: `.git` is a repository (it has HEAD) or a `gitdir:` file (worktrees, submodules). */
function isWorkTree(dir: string): boolean {
  const dotGit = join(dir, ".git");
  try {
    // No .git is the common answer at every level: asked without an exception (building an
    // ENOENT error per level was most of the walk's cost on the hook's start-up path).
    const st = statSync(dotGit, { throwIfNoEntry: false });
    if (!st) return false;
    if (st.isDirectory()) return existsSync(join(dotGit, "HEAD"));
    return readFileSync(dotGit, "utf8").startsWith("gitdir:");
  } catch {
    return false;
  }
}

/** hookpack's per-user directory; throws HookpackHomeError when it would be relative or inside a project. */
export function resolveHookpackHome(env: NodeJS.ProcessEnv): string {
  const key = `${env.HOOKPACK_HOME ?? ""}\0${env.HOME ?? ""}`;
  const memo = memoSlot[MEMO];
  if (memo?.key === key) return memo.dir;
  const dir = resolveUncached(env);
  memoSlot[MEMO] = { key, dir };
  return dir;
}

/**
 * The last answer, kept on the global object under a registered symbol so that every bundle's
 * copy of this module shares it: the `hookpack` entry resolves the home for its code cache, and
 * the hook bundle then asks again (managed secrets, `$secret:` refs). Without the shared slot the
 * second copy re-walked the same directories (a stat of .git and package.json per level, two
 * realpaths) on every hook call. Only an answer is cached, never an error, and only for the same
 * HOOKPACK_HOME and HOME, within one process.
 */
const MEMO = Symbol.for("hookpack.home.resolved");
const memoSlot = globalThis as unknown as Record<symbol, { key: string; dir: string } | undefined>;

function resolveUncached(env: NodeJS.ProcessEnv): string {
  const home = userHome(env);
  const explicit = env.HOOKPACK_HOME;
  let dir: string;
  if (explicit) {
    if (!isAbsolute(explicit))
      throw new HookpackHomeError(
        `hookpack: HOOKPACK_HOME is "${explicit}", a relative path; hookpack's state must have one fixed place, not one per working directory.`,
        FIX,
      );
    // (Only a path that ends in a separator has one to drop: no regex compiled otherwise, issue 21.)
    dir =
      explicit.endsWith("/") || explicit.endsWith("\\")
        ? explicit.replace(/(.)[/\\]+$/, "$1")
        : explicit;
  } else {
    if (!home)
      throw new HookpackHomeError(
        "hookpack: there is no home directory (HOME is empty or relative, and the user has no passwd entry), so there is no place for hookpack's state.",
        FIX,
      );
    dir = join(home, ".hookpack");
  }
  // Through a symlink too: the place the files would land is what counts (realpath(3) in one
  // call, not a JS walk that lstats every component).
  // The second walk only when a link makes it a different one: the walk is a function of the two
  // paths, so for the same paths it gives the same answer (≈0.1 ms of every hook call).
  let why = unsafeHomeReason(dir, home);
  if (why === undefined && existsSync(dir)) {
    const realDir = realpathSync.native(dir);
    const realHome = home && existsSync(home) ? realpathSync.native(home) : home;
    if (realDir !== dir || realHome !== home) why = unsafeHomeReason(realDir, realHome);
  }
  if (why)
    throw new HookpackHomeError(
      `hookpack: HOOKPACK_HOME ${dir} cannot hold hookpack's state: ${why}.`,
      FIX,
    );
  return dir;
}

/** The same directory, or undefined instead of an error (for caches that may simply be skipped). */
export function hookpackHomeOrUndefined(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return resolveHookpackHome(env);
  } catch {
    return undefined;
  }
}
