// Walks fixture folders (`<outcome>.<situation>/payload.json|txt` + `response.json`) and keeps
// `response.json` in sync when UPDATE_FIXTURES=1.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expandFakes, type FakeTokens } from "./fake-secrets.js";

export interface Fixture {
  name: string;
  dir: string;
  /** Payload text with fakes expanded. */
  input: string;
  expected: ExpectedResponse | undefined;
}

export interface ExpectedResponse {
  exitCode: number;
  stdout: unknown;
  stderrContains: string[];
}

export function loadFixtures(dir: string, tokens: FakeTokens): Fixture[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const folder = join(dir, d.name);
      const file = existsSync(join(folder, "payload.json")) ? "payload.json" : "payload.txt";
      const responseFile = join(folder, "response.json");
      return {
        name: d.name,
        dir: folder,
        input: expandFakes(
          readFileSync(join(folder, file), "utf8"),
          tokens,
          file === "payload.json",
        ),
        expected: existsSync(responseFile)
          ? (JSON.parse(
              expandFakes(readFileSync(responseFile, "utf8"), tokens, true),
            ) as ExpectedResponse)
          : undefined,
      };
    });
}

/** Puts placeholders back in place of fake values before a response is written to disk. */
export function writeExpected(
  fixture: Fixture,
  response: ExpectedResponse,
  tokens: FakeTokens,
): void {
  let text = `${JSON.stringify(response, null, 2)}\n`;
  for (const [key, value] of Object.entries(tokens)) {
    const placeholder = `{{FAKE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}}}`;
    text = text.split(JSON.stringify(value).slice(1, -1)).join(placeholder);
  }
  writeFileSync(join(fixture.dir, "response.json"), text);
}

/** Same keys (recursively) and same leaf types: what Claude checks before accepting an output. */
export function sameShape(a: unknown, b: unknown): boolean {
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameShape(x, b[i]));
  if (a !== null && typeof a === "object") {
    if (b === null || typeof b !== "object" || Array.isArray(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every(
        (k, i) =>
          k === kb[i] &&
          sameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return typeof a === typeof b;
}
