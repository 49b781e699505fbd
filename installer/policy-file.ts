// The starter project policy that `hookpack install` creates: hookpack.json at the project root,
// value-free and meant to be committed. An existing file is never touched.
import { join } from "node:path";
import { POLICY_FILE } from "../core/files.js";
import { readIfExists, type FileChange } from "./plan.js";

export const STARTER_POLICY = `${JSON.stringify(
  {
    $schema: "./node_modules/hookpack/schemas/hookpack.schema.json",
    version: 1,
    defaults: { approval: "ask", ttl: "2m" },
    secrets: {},
  },
  null,
  2,
)}\n`;

/** One planned change: create hookpack.json when the project has none. */
export function planPolicyFile(root: string): FileChange {
  const path = join(root, POLICY_FILE);
  const before = readIfExists(path);
  return {
    path,
    before,
    after: before ?? STARTER_POLICY,
    summary: `create the project's secret policy ${POLICY_FILE} (no secrets yet; add entries with names, providers and allowed commands)`,
  };
}

/** Uninstall removes the starter policy only while it is exactly as created (never the user's edits). */
export function planPolicyFileRemoval(root: string): FileChange {
  const path = join(root, POLICY_FILE);
  const before = readIfExists(path);
  return {
    path,
    before,
    after: before === STARTER_POLICY ? null : before,
    summary: `remove the unchanged starter policy ${POLICY_FILE}`,
  };
}
