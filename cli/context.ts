// Facts about this machine and project that commands share.
import { execFileSync } from "node:child_process";
import { homedir } from "node:os";
import { dirname } from "node:path";
import { resolveHookpackHome, userHome } from "../core/home.js";
import type { Io } from "./io.js";

declare const HOOKPACK_VERSION: string | undefined;

/** The version baked in by the build; "0.0.0-dev" when running from source. */
export const VERSION: string =
  typeof HOOKPACK_VERSION === "string" ? HOOKPACK_VERSION : "0.0.0-dev";

/** HOOKPACK_HOME (core/home.ts): absolute, never inside a project; throws a HookpackError with the fix. */
export function hookpackHome(io: Io): string {
  return resolveHookpackHome(io.env);
}

/** The user's home: $HOME when absolute, else the passwd entry's. */
export function homeDir(io: Io): string {
  return userHome(io.env) || homedir();
}

/** The git top level containing cwd, or cwd itself outside git. */
export function projectRoot(io: Io): string {
  try {
    return (
      execFileSync("git", ["rev-parse", "--show-toplevel"], {
        cwd: io.cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim() || io.cwd
    );
  } catch {
    return io.cwd;
  }
}

/** The directory of the running bundle (dist/ when built). */
export function distDir(): string {
  return typeof __dirname === "string" ? __dirname : dirname(process.argv[1] ?? ".");
}
