// Attacks on the model-request relay, through the REAL `hookpack run --relay` process: the "agent"
// it starts sends request bodies carrying a managed value or a detected token in the shapes a
// hostile model or a careless client would produce; a local HTTPS upstream (CA passed explicitly)
// records what arrives. "Contained": no form of the value reached the upstream (the request was
// redacted in its JSON structure, or refused with hookpack's error and not sent).
import { spawn } from "node:child_process";
import { gzipSync } from "node:zlib";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { BIN, hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { selfSignedLoopbackCert, type TlsIdentity } from "../helpers/tls.js";
import { startUpstream, type Upstream } from "../helpers/https-upstream.js";

const value = "Ra7tK3vQ9mX2wN8pL5cB1yZ4";
const t = fakeTokens(77);
let sb: Sandbox;
let tls: TlsIdentity;
let upstream: Upstream;

interface Attack {
  family: string;
  body: string;
  /** base64 of raw bytes when the body is binary. */
  raw?: string;
  headers?: Record<string, string>;
  forbid: string[];
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const msg = (content: unknown) =>
  JSON.stringify({ model: "m", messages: [{ role: "user", content }] });
const ATTACKS: Attack[] = [
  ...[
    value,
    b64(value),
    Buffer.from(value).toString("hex"),
    encodeURIComponent(`k=${value}`),
    JSON.stringify({ k: value }),
    `Basic ${b64(`u:${value}`)}`,
  ].map((f) => ({
    family: "managed value in a tool result",
    body: msg([{ type: "tool_result", tool_use_id: "t", content: `out: ${f}` }]),
    forbid: [value, f],
  })),
  {
    family: "managed value in a tool result",
    body: msg([{ type: "tool_result", tool_use_id: "t", content: value }]).replace(
      value,
      [...value].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
    ),
    forbid: [value],
  },
  ...[t.github, t.npm, t.openai, t.anthropic, t.awsAccessKeyId, t.privateKey, t.postgresUrl].map(
    (tok) => ({
      family: "detected token anywhere in the body",
      body: JSON.stringify({
        model: "m",
        system: [{ type: "text", text: `notes: ${tok}` }],
        tools: [{ name: "x", description: `uses ${tok}` }],
        messages: [
          {
            role: "assistant",
            content: [
              { type: "tool_use", id: "a", name: "Bash", input: { command: `echo ${tok}` } },
            ],
          },
        ],
        metadata: { deep: [[{ v: tok }]] },
      }),
      forbid: [tok],
    }),
  ),
  {
    family: "count_tokens call",
    body: JSON.stringify({
      model: "m",
      messages: [{ role: "user", content: `${value} ${t.github}` }],
    }),
    forbid: [value, t.github],
  },
  {
    family: "refused: secret in a JSON key",
    body: JSON.stringify({ model: "m", metadata: { [t.github]: 1 } }),
    forbid: [t.github],
  },
  {
    family: "refused: malformed JSON",
    body: `{"messages":[{"content":"${t.github}"`,
    forbid: [t.github],
  },
  {
    family: "refused: gzip-encoded body",
    body: "",
    raw: gzipSync(msg(value)).toString("base64"),
    headers: { "content-encoding": "gzip" },
    forbid: [value],
  },
  {
    family: "refused: non-JSON body",
    body: `token=${t.github}&k=${value}`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    forbid: [t.github, value],
  },
];

beforeAll(async () => {
  sb = sandbox();
  tls = selfSignedLoopbackCert();
  upstream = await startUpstream(tls);
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: value,
    env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file" },
  });
  expect(set.exitCode, set.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  await upstream?.close();
  tls?.cleanup();
  sb?.cleanup();
});

describe("attack: secrets in model requests, through hookpack run --relay", () => {
  it("every body is redacted in its structure or refused; the upstream never sees a form of the value", async () => {
    writeFileSync(join(sb.root, "attacks.json"), JSON.stringify(ATTACKS));
    writeFileSync(join(sb.root, "ca.pem"), tls.cert);
    // The "agent": sends each attack to its OPENAI_BASE_URL (the relay) and reports the statuses.
    writeFileSync(
      join(sb.root, "agent.mjs"),
      `import { readFileSync } from "node:fs";
const attacks = JSON.parse(readFileSync(${JSON.stringify(join(sb.root, "attacks.json"))}, "utf8"));
const out = [];
for (const a of attacks) {
  const path = a.family === "count_tokens call" ? "/v1/messages/count_tokens" : "/v1/messages";
  const body = a.raw ? Buffer.from(a.raw, "base64") : a.body;
  const r = await fetch(process.env.OPENAI_BASE_URL + path, { method: "POST", body, headers: { "content-type": "application/json", ...(a.headers ?? {}) } });
  out.push({ status: r.status, text: await r.text() });
}
console.log(JSON.stringify(out));`,
    );
    const before = upstream.seen.length;
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const p = spawn(
          process.execPath,
          [
            BIN,
            "run",
            "--relay",
            "--upstream",
            upstream.url,
            "--upstream-ca",
            join(sb.root, "ca.pem"),
            "--",
            process.execPath,
            join(sb.root, "agent.mjs"),
          ],
          { env: { PATH: process.env.PATH, ...sb.env }, cwd: sb.project },
        );
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (c: Buffer) => (stdout += c));
        p.stderr.on("data", (c: Buffer) => (stderr += c));
        p.on("close", (code) => resolve({ code, stdout, stderr }));
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout.trim().split("\n").pop()!) as Array<{
      status: number;
      text: string;
    }>;
    const arrived = upstream.seen.slice(before).map((s) => s.body.toString("latin1"));
    const tally = new Map<string, { contained: number; attempts: number }>();
    ATTACKS.forEach((a, i) => {
      const res = results[i]!;
      const leakedUpstream = arrived.some((body) => a.forbid.some((f) => body.includes(f)));
      const leakedBack = a.forbid.some((f) => res.text.includes(f));
      const refused = res.status === 400 && res.text.includes("hookpack_relay_error");
      const ok =
        !leakedUpstream &&
        !leakedBack &&
        (a.family.startsWith("refused") ? refused : res.status === 200);
      const c = tally.get(a.family) ?? { contained: 0, attempts: 0 };
      c.attempts++;
      if (ok) c.contained++;
      tally.set(a.family, c);
    });
    console.log(
      `[attack] relay, contained/attempts per family:\n${[...tally].map(([f, c]) => `  ${f}: ${c.contained}/${c.attempts}`).join("\n")}`,
    );
    for (const [f, c] of tally) expect(c.contained, f).toBe(c.attempts);
    expect(r.stdout + r.stderr).not.toContain(value);
  }, 120_000);
});
