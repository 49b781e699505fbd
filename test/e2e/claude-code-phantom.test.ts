// End to end, issue 15: the real Claude Code client, a `$secret:` call to a local HTTPS API whose
// policy names `inject`. The hook rewrites it, the broker's proxy puts the value into the request
// (the API receives it), the brokered child holds only a placeholder, and no request to the fake
// model server carries the value in any encoding.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodings,
  makePki,
  startApi,
  type Pki,
  type Upstream,
} from "../broker/phantom-helpers.js";
import {
  claudeScenario,
  expectClaudeRunClean,
  forbiddenForms,
  randomValue,
  storeSecret,
  useE2e,
  writePolicy,
} from "./harness.js";
import { toolResults, toolResultText } from "./helpers.js";

const e2e = useE2e("claude-code");
let pkiDir: string;
let pki: Pki;
let api: Upstream;
beforeAll(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), "hookpack-e2e-pki-"));
  pki = makePki(pkiDir);
  api = await startApi(pki);
});
afterAll(async () => {
  await api?.close();
  rmSync(pkiDir, { recursive: true, force: true });
});

describe("e2e: phantom tokens through the real Claude Code client", () => {
  it("a $secret: call to a local HTTPS API: the value arrives upstream, never in the child, never in a request to the model", async () => {
    const value = randomValue();
    const forbidden = [...new Set([...forbiddenForms(value), ...encodings(value)])];
    let envFile = "";
    const s = await claudeScenario(e2e, {
      hooks: true,
      setup: (sb) => {
        writePolicy(sb, {
          version: 1,
          defaults: { approval: "auto" },
          secrets: { API: { provider: "store", inject: { hosts: [`localhost:${api.port}`] } } },
        });
        storeSecret(sb, "API", value);
        envFile = join(sb.root, "child-environ.txt");
      },
      steps: (sb) => [
        {
          text: "Calling the API.",
          tool_use: {
            name: "Bash",
            input: {
              command: `A=$secret:API bash -c 'curl -sS -H "Authorization: Bearer $A" https://localhost:${api.port}/fail; env > ${join(sb.root, "child-environ.txt")}'`,
              description: "call the API",
            },
          },
        },
        { text: "Done." },
      ],
      forbid: forbidden,
      env: { HOOKPACK_KEY_BACKEND: "file", HOOKPACK_BROKER_UPSTREAM_CA: pki.caFile },
    });
    expectClaudeRunClean(s, forbidden);
    // The value reached the API, through the broker's proxy.
    expect(api.seen.at(-1)?.headers.authorization).toBe(`Bearer ${value}`);
    // The model saw the API's answer, with the echoed value masked.
    const req = s.fake.requests().find((r) => r.kind === "main" && r.step === 1);
    const result = toolResultText(toolResults(req?.body).at(-1)!);
    expect(result).toMatch(/unauthorized: the token Bearer \S+ is not valid here/);
    // The program that received the reference (one-process delivery: a bash running curl) held only the placeholder.
    const environ = readFileSync(envFile, "utf8");
    expect(environ).toMatch(/^A=hookpack_phantom_\w+$/m);
    expect(environ).toMatch(/^HTTPS_PROXY=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(forbidden.some((f) => environ.includes(f))).toBe(false);
  }, 180_000);
});
