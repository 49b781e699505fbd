// After `hookpack install`: what npm itself would pack that looks like agent state, from npm's own
// file list (`npm pack --dry-run --json`), so the user sees the effect of the ignore files at once.
import { join } from "node:path";
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
    return [`could not list what npm would pack (${(error as Error).message.replace(/^hookpack: /, "")}); run \`hookpack check-pack\` to check the package.`];
  }
  const hits = files.map((path) => ({ path, entry: matchStatePath(path, (e) => e.npm) })).filter((h) => h.entry !== undefined);
  if (hits.length === 0) return [`npm would pack ${files.length} files; none is agent state or a credential file by name (npm pack --dry-run; \`hookpack check-pack\` also checks content).`];
  return [
    `npm would still pack ${hits.length} agent-state or credential file${hits.length === 1 ? "" : "s"}:`,
    ...hits.map((h) => `  ${h.path}  (${h.entry!.owner}: ${h.entry!.why})`),
    'keep them out with package.json "files" (or negations such as "!**/.claude/**"), or a .npmignore that repeats your .gitignore; then run `hookpack check-pack`.',
  ];
}
