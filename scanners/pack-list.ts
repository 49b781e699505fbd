// After `hookpack install`: what npm itself would pack that looks like agent state, from npm's own
// file list (`npm pack --dry-run --json`), so the user sees the effect of the ignore files at once.
import { join, posix } from "node:path";
import { readFileSync } from "node:fs";
import { matchStatePath } from "../rules/state-catalog.js";
import { npmPack } from "./pack.js";

/** Report lines (without the `hookpack:` prefix); empty when there is no publishable package. */
export async function packedStateReport(root: string, env?: NodeJS.ProcessEnv): Promise<string[]> {
  let manifest: { private?: unknown; name?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as typeof manifest;
  } catch {
    return [];
  }
  if (manifest.private === true || typeof manifest.name !== "string") return [];
  let files: string[];
  try {
    // --ignore-scripts: listing must not run the project's build; a real publish may differ.
    const { info } = await npmPack({ dir: root }, { env, dryRun: true, ignoreScripts: true });
    files = info.files.map((f) => f.path);
  } catch (error) {
    return [
      `could not list what npm would pack (${(error as Error).message.replace(/^hookpack: /, "")}); run \`hookpack check-pack\` to check the package.`,
    ];
  }
  const hits = files
    .map((path) => ({ path, entry: matchStatePath(path, (e) => e.npm) }))
    .filter((h) => h.entry !== undefined);
  if (hits.length === 0)
    return [
      `npm would pack ${files.length} files; none is agent state or a credential file by name (npm pack --dry-run; \`hookpack check-pack\` also checks content).`,
    ];
  return [
    `npm would still pack ${hits.length} agent-state or credential file${hits.length === 1 ? "" : "s"}:`,
    ...hits.map((h) => `  ${h.path}  (${h.entry!.owner}: ${h.entry!.why})`),
    'keep them out with package.json "files" (or negations such as "!**/.claude/**"), or a .npmignore that repeats your .gitignore; then run `hookpack check-pack`.',
  ];
}

/**
 * Why npm's file list cannot be computed in process for this package (then `npm pack` runs), or
 * undefined when it can: bundled dependencies need npm's dependency tree, workspaces npm's
 * workspace resolution, `directories.bin` a glob npm's normaliser runs.
 */
function needsNpm(manifest: Record<string, unknown>): string | undefined {
  const bundled = manifest.bundleDependencies ?? manifest.bundledDependencies;
  if (bundled === true || (Array.isArray(bundled) && bundled.length > 0))
    return "bundled dependencies";
  if (manifest.workspaces !== undefined) return "workspaces";
  const dirs = manifest.directories as { bin?: unknown } | undefined;
  if (dirs && typeof dirs === "object" && dirs.bin !== undefined && manifest.bin === undefined)
    return "directories.bin";
  return undefined;
}

/** npm-normalize-package-bin: "bin" as npm reads it (a string becomes { <unscoped name>: path }; paths made relative and safe). */
function normalizeBin(manifest: Record<string, unknown>): Record<string, string> | undefined {
  let bin = manifest.bin;
  if (typeof bin === "string") {
    if (typeof manifest.name !== "string" || manifest.name === "") return undefined;
    bin = { [manifest.name]: bin };
  }
  if (!bin || typeof bin !== "object" || Array.isArray(bin)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, target] of Object.entries(bin as Record<string, unknown>)) {
    if (typeof target !== "string") continue;
    const base = posix.join("/", posix.basename(key.replace(/\\|:/g, "/"))).slice(1);
    const to = posix.join("/", target.replace(/\\/g, "/")).slice(1);
    if (base && to) out[base] = to;
  }
  return out;
}

export interface PackFiles {
  name: string;
  version: string;
  /** Package-relative paths, as `npm pack` lists them. */
  files: string[];
}

/**
 * The files `npm pack` would put in the tarball of `dir`, computed in process by npm's own walker
 * (npm-packlist, pinned, bundled) with no lifecycle script run; undefined when only npm itself can
 * tell (see needsNpm). test/scanners/pack-files.test.ts compares it with `npm pack --dry-run --json`.
 */
export async function packFilesInProcess(dir: string): Promise<PackFiles | undefined> {
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined; // npm reports the problem in its own words
  }
  if (!manifest || typeof manifest !== "object" || Array.isArray(manifest) || needsNpm(manifest))
    return undefined;
  if (typeof manifest.name !== "string" || typeof manifest.version !== "string") return undefined; // npm says what is wrong
  const { default: packlist } = await import("npm-packlist");
  const pkg: Record<string, unknown> = { ...manifest };
  const bin = normalizeBin(manifest);
  if (bin) pkg.bin = bin;
  else delete pkg.bin;
  const files = await packlist(
    { path: dir, package: pkg, isProjectRoot: true, edgesOut: new Map() },
    { path: dir },
  );
  return { name: String(manifest.name ?? ""), version: String(manifest.version ?? ""), files };
}
