// Where a secret's value comes from. One small interface; the specs are value-free and live in
// the (authenticated) store file. Values are resolved at exec time and cached only in memory,
// for the life of one exec.
import { spawn } from "node:child_process";
import { HookpackError } from "../core/errors.js";
import { loadKeyring, type KeyContext } from "./keys.js";
import type { ProviderSpec } from "../rules/provider-spec.js";

// The specs themselves are pure data the policy and the rules read too: rules/provider-spec.ts.
export {
  describeProvider,
  OP_REF_RE,
  validateProvider,
  type ProviderSpec,
} from "../rules/provider-spec.js";

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
const MAX_PROVIDER_OUTPUT = 1024 * 1024;

export interface ProviderContext extends KeyContext {
  /** The open secret store (broker/store.ts SecretStore), for "store" entries; typed by what is used, so providers.ts and store.ts do not import each other. */
  store: { value(name: string): string } | undefined;
  cwd: string;
}

function providerFailed(name: string, what: string, hint: string): HookpackError {
  return new HookpackError(
    "PROVIDER_FAILED",
    `hookpack: cannot resolve secret ${name}: ${what}.`,
    hint,
  );
}

/** Resolves one secret's value. Throws a HookpackError that never contains the value. */
export async function resolveValue(
  name: string,
  spec: ProviderSpec,
  ctx: ProviderContext,
): Promise<string> {
  switch (spec.kind) {
    case "store":
      if (!ctx.store)
        throw providerFailed(
          name,
          "there is no secret store yet",
          `run \`hookpack secret set ${name}\`.`,
        );
      return ctx.store.value(name);
    case "env": {
      const v = ctx.env[spec.var];
      if (v === undefined || v === "")
        throw providerFailed(
          name,
          `environment variable ${spec.var} is not set`,
          `export ${spec.var} in the environment that runs hookpack, or store the value with \`hookpack secret set ${name}\`.`,
        );
      return v;
    }
    case "op":
      return runProviderCommand(
        name,
        ["op", "read", "--no-newline", spec.ref],
        DEFAULT_EXEC_TIMEOUT_MS,
        ctx,
      );
    case "exec":
      return runProviderCommand(name, spec.argv, spec.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS, ctx);
    case "keychain": {
      const factory = loadKeyring(ctx);
      if (!factory)
        throw providerFailed(
          name,
          "the optional @napi-rs/keyring module is not available",
          "reinstall hookpack with optional dependencies, or use another provider.",
        );
      let v: string | null;
      try {
        v = await factory(spec.service, spec.account).getPassword(AbortSignal.timeout(10_000));
      } catch (error) {
        throw providerFailed(
          name,
          `the OS keychain failed (${(error as Error).message})`,
          "unlock or start your keychain and retry.",
        );
      }
      if (v === null)
        throw providerFailed(
          name,
          `no keychain item for service "${spec.service}", account "${spec.account}"`,
          "create it, or point the secret at the right item.",
        );
      return v;
    }
  }
}

/**
 * Runs a provider command: argv without a shell, stdin closed, its own process group (so a
 * timeout kills the whole tree), stdout is the value (one trailing newline removed).
 */
export function runProviderCommand(
  name: string,
  argv: readonly string[],
  timeoutMs: number,
  ctx: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<string> {
  const [cmd, ...args] = argv;
  if (!cmd)
    return Promise.reject(
      providerFailed(
        name,
        "its provider command is empty",
        "set it again with `hookpack secret set NAME --exec -- cmd args…`.",
      ),
    );
  const shown = argv.join(" ").slice(0, 120);
  return new Promise((resolve, reject) => {
    const env = { ...ctx.env };
    delete env.HOOKPACK_PASSPHRASE;
    const child = spawn(cmd, args, {
      cwd: ctx.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: HookpackError | undefined;
    const kill = () => {
      try {
        if (child.pid !== undefined && process.platform !== "win32")
          process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      failure = providerFailed(
        name,
        `\`${shown}\` did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`,
        "check that the command works non-interactively (signed in, unlocked), or raise --timeout.",
      );
      kill();
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => {
      size += b.length;
      if (size > MAX_PROVIDER_OUTPUT) {
        failure ??= providerFailed(
          name,
          `\`${shown}\` printed more than 1 MiB`,
          "make it print only the secret value.",
        );
        kill();
      } else out.push(b);
    });
    child.stderr.on("data", (b: Buffer) => {
      if (err.reduce((n, x) => n + x.length, 0) < 4096) err.push(b);
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        providerFailed(
          name,
          error.code === "ENOENT"
            ? `command \`${cmd}\` not found`
            : `\`${shown}\` could not start (${error.message})`,
          error.code === "ENOENT"
            ? `install ${cmd} or put it on PATH.`
            : "check the provider command.",
        ),
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      const value = Buffer.concat(out)
        .toString("utf8")
        .replace(/\r?\n$/, "");
      if (code !== 0) {
        // The provider's own stderr helps ("not signed in"); the value never appears there.
        const why = Buffer.concat(err)
          .toString("utf8")
          .trim()
          .split("\n")
          .slice(-3)
          .join(" / ")
          .slice(0, 300);
        return reject(
          providerFailed(
            name,
            `\`${shown}\` ${signal ? `was killed by ${signal}` : `exited with ${code}`}${why ? `: ${why}` : ""}`,
            "run the command yourself to see what it needs.",
          ),
        );
      }
      if (value === "")
        return reject(
          providerFailed(
            name,
            `\`${shown}\` printed nothing`,
            "make it print the secret value on stdout.",
          ),
        );
      resolve(value);
    });
  });
}
