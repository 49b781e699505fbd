// Counts contained / attempts per attack family, printed once per test file (and appended to
// $HOOKPACK_ATTACK_TALLY when set) so the totals can be quoted without reading every test.
import { appendFileSync } from "node:fs";
import { afterAll } from "vitest";

const families = new Map<string, { contained: number; attempts: number }>();
/** Call once at the top level of a test file: prints the file's totals after all its tests. */
export function reportTally(): void {
  afterAll(() => {
    const lines = [...families].map(
      ([f, c]) => `attack tally ${f}: ${c.contained}/${c.attempts} contained`,
    );
    if (lines.length === 0) return;
    process.stdout.write(`${lines.join("\n")}\n`);
    if (process.env.HOOKPACK_ATTACK_TALLY)
      appendFileSync(process.env.HOOKPACK_ATTACK_TALLY, `${lines.join("\n")}\n`);
  });
}

export function tally(family: string): { attempt(contained: boolean): void } {
  if (!families.has(family)) families.set(family, { contained: 0, attempts: 0 });
  const c = families.get(family)!;
  return {
    attempt(contained: boolean) {
      c.attempts++;
      if (contained) c.contained++;
    },
  };
}
