// The project the read-guard attacks run in: a value stored in hookpack (DEPLOY_KEY, the file key
// backend) and a `.env` that holds it next to a GitHub-token-shaped value. Both values are built at
// run time by the caller (helpers/fake-secrets.ts for the token, managedValue() below).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { hookpack } from "./run.js";

/** A random managed value (letters and digits, never token-shaped). */
export const managedValue = (): string =>
  `mv${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

/**
 * Stores `value` as DEPLOY_KEY in `box`'s hookpack (`hookpack secret set`, expected to succeed)
 * and writes `box.project/.env` holding APP=demo, DEPLOY_KEY=`value` and GH_TOKEN=`githubToken`.
 */
export async function plantDotenv(
  box: { project: string; env: Record<string, string> },
  value: string,
  githubToken: string,
): Promise<void> {
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: value,
    env: { ...box.env, HOOKPACK_KEY_BACKEND: "file" },
    cwd: box.project,
  });
  expect(set.exitCode, set.stderr).toBe(0);
  writeFileSync(
    join(box.project, ".env"),
    `APP=demo\nDEPLOY_KEY=${value}\nGH_TOKEN=${githubToken}\n`,
  );
}
