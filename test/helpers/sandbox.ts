// The one test sandbox and the one path to the built bundles. A sandbox is a temp root with its own
// HOME, HOOKPACK_HOME, TMPDIR, global git config (identity, `main` as the default branch) and npm
// cache, and an environment that names them and nothing of the developer's: never mutate
// process.env, pass `sandbox.env` to the processes you spawn. The suites' helpers
// (helpers/run.ts, helpers/git-sandbox.ts, broker/helpers.ts) build on it.
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");
export const DIST_DIR = join(REPO_ROOT, "dist");
/** The built `hookpack` executable (dist/hookpack.cjs), as agents and git hooks run it. */
export const HOOKPACK_CJS = join(DIST_DIR, "hookpack.cjs");

/** A built bundle by name, e.g. distBundle("broker-client") → dist/broker-client.cjs. */
export const distBundle = (name: string): string => join(DIST_DIR, `${name}.cjs`);

/** Throws a clear error when dist/ was not built (the unit-test command builds it: test/global-setup.ts). */
export function assertBuilt(): string {
  if (!existsSync(HOOKPACK_CJS))
    throw new Error(
      `${HOOKPACK_CJS} is missing: run \`npm run build\` (or \`npx vitest\`, which builds first)`,
    );
  return HOOKPACK_CJS;
}

export interface SandboxOptions {
  /** The temp directory's name prefix. */
  prefix?: string;
  /** The project directory's name under the root (created empty). */
  project?: string;
  /** `git init` the project. */
  git?: boolean;
  /** Extra variables (e.g. HOOKPACK_KEY_BACKEND=file); `undefined` removes one. */
  env?: Record<string, string | undefined>;
}

export interface Sandbox {
  root: string;
  home: string;
  hookpackHome: string;
  tmp: string;
  project: string;
  env: Record<string, string>;
  cleanup(): void;
}

const GITCONFIG =
  "[user]\n\tname = Hookpack Test\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n";

/** A fresh temp root with HOME, HOOKPACK_HOME (not created: hookpack creates it), TMPDIR and a project dir. */
export function makeSandbox(options: SandboxOptions = {}): Sandbox {
  const root = realpathSync(mkdtempSync(join(tmpdir(), options.prefix ?? "hookpack-test-")));
  const home = join(root, "home");
  const hookpackHome = join(root, "hookpack-home");
  const tmp = join(root, "tmp");
  const project = join(root, options.project ?? "project");
  for (const dir of [home, tmp, project]) mkdirSync(dir, { recursive: true });
  const gitconfig = join(home, ".gitconfig");
  writeFileSync(gitconfig, GITCONFIG);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    HOOKPACK_HOME: hookpackHome,
    TMPDIR: tmp,
    LANG: "C.UTF-8",
    NO_COLOR: "1",
    GIT_CONFIG_GLOBAL: gitconfig,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Hookpack Test",
    GIT_AUTHOR_EMAIL: "test@example.invalid",
    GIT_COMMITTER_NAME: "Hookpack Test",
    GIT_COMMITTER_EMAIL: "test@example.invalid",
    // Never reach the developer's keychain or session bus.
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(root, "no-bus")}`,
    npm_config_cache: join(root, "npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
  };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  if (options.git) {
    // Imported here so a sandbox without git loads no child_process.
    const r = process
      .getBuiltinModule("node:child_process")
      .spawnSync("git", ["init", "-q", project], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git init failed in the sandbox: ${r.stderr}`);
  }
  return {
    root,
    home,
    hookpackHome,
    tmp,
    project,
    env,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
