// Issue 21 (h21-detect): the first passes got faster — the hook prefilter searches only the
// literals whose first two or three characters occur (a WebAssembly pass over 64 KB chunks), and a
// bulk scan no longer re-runs secretlint's prefilter regex where the anchor pass already matched it.
// A faster first pass is a hole if it misses what the old one caught, so tokens are placed where a
// pass over chunks or bytes could lose them, through the REAL hook (PostToolUse) and the REAL
// `hookpack scan` (dist/): across the 64 KB chunk edges, at the start and end of the text, after
// characters above U+00FF (whose low byte is a letter), after invalid UTF-8 bytes, in CRLF text, in
// a 1 MB minified line, JSON-escaped, in files just under / over the 128 KB whole-lint limit, after
// a UTF-8 BOM, and in UTF-16. Contained (hook) = the token is in neither the answer nor any file the
// model is pointed at, and a redaction is there; (scan) = the file has a finding, or for UTF-16 the
// file is listed as skipped (hookpack does not decode UTF-16: the old path did not either).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bashOutput, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const fakes = fakeTokens(2121);
/** [name, text to place, what must never be reachable]. */
const TOKENS: Array<[string, string, string]> = [
  ["github", fakes.github, fakes.github],
  ["aws key id", fakes.awsAccessKeyId, fakes.awsAccessKeyId],
  ["slack bot", fakes.slackBot, fakes.slackBot],
  ["openai", fakes.openai, fakes.openai],
  ["anthropic", fakes.anthropic, fakes.anthropic],
  ["stripe", fakes.stripe, fakes.stripe],
  ["sendgrid", fakes.sendgrid, fakes.sendgrid],
  ["postgres url", fakes.postgresUrl, fakes.postgresUrl.split(":")[2]!.split("@")[0]!],
];

let sb: Sandbox;
beforeAll(() => {
  sb = sandbox();
  mkdirSync(join(sb.root, "tmp"), { recursive: true });
});
afterAll(() => sb?.cleanup());
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", TMPDIR: join(sb.root, "tmp") });

// Ends in a space: a token glued to a word ("buildghp_…") is no token for the records' left
// boundary, in the old pass and the new.
const filler = (n: number) =>
  `${"ok line of build output\n".repeat(Math.ceil(n / 24)).slice(0, Math.max(0, n - 1))} `;

function post(stdout: string, tag: string) {
  return runHook(
    sb,
    bashOutput(sb, "./build.sh", stdout, {
      session_id: "s-firstpass",
      tool_use_id: `toolu_${tag}`,
    }),
    { env: env(), timeoutMs: 120_000 },
  );
}

/** What the model can reach: the answer, plus every file it points at. */
function reachable(stdout: string): string {
  let all = stdout;
  for (const m of stdout.matchAll(/saved (?:as JSON )?to: (\S+?)(?= \(read)/g))
    all += readFileSync(m[1]!, "utf8");
  return all;
}

describe("attack: the hook's first pass (PostToolUse)", () => {
  const t = tally("hook first pass: chunk and text edges");
  // Offsets in stdout; the JSON around it shifts the text the prefilter sees by a few dozen
  // characters, so a run of offsets on each side of 64 KB and 128 KB covers the chunk edges.
  const places = [0, 65500, 65520, 65530, 65536, 131040, 131072];
  for (const [name, token, secret] of TOKENS)
    for (const at of places) {
      it(`${name} at stdout offset ${at} of 140 KB: redacted`, async () => {
        const stdout = `${filler(at)}${token}\n${filler(140_000 - at)}`;
        const r = await post(stdout, `${name.replace(/\W/g, "")}${at}`);
        const seen = reachable(r.stdout);
        const ok = r.exitCode === 0 && seen.includes("[REDACTED:") && !seen.includes(secret);
        t.attempt(ok);
        expect(ok, r.stdout.slice(0, 300)).toBe(true);
      });
    }

  const s = tally("hook first pass: text shapes");
  const shapes: Array<[string, (token: string) => string]> = [
    ["at the very end of 70 KB", (k) => `${filler(70_000)}${k}`],
    ["after characters whose low byte is ASCII", (k) => `${"ŧŨũ ".repeat(20_000)}${k}\n`],
    ["in CRLF text", (k) => `${filler(40_000).replace(/\n/g, "\r\n")}key: ${k}\r\n`],
    [
      "in one 1 MB minified line",
      (k) => `${"a=1;".repeat(131_072)}t="${k}";${"b=2;".repeat(1000)}`,
    ],
    ["JSON-escaped in a JSON string", (k) => `${filler(66_000)}${JSON.stringify({ v: k })}`],
  ];
  for (const [label, make] of shapes)
    for (const [name, token, secret] of TOKENS.slice(0, 4)) {
      it(`${name} ${label}: redacted`, async () => {
        const r = await post(make(token), `${name.replace(/\W/g, "")}${label.length}`);
        const seen = reachable(r.stdout);
        const ok = r.exitCode === 0 && seen.includes("[REDACTED:") && !seen.includes(secret);
        s.attempt(ok);
        expect(ok, r.stdout.slice(0, 300)).toBe(true);
      });
    }
});

describe("attack: hookpack scan's first pass", () => {
  const t = tally("scan first pass: files");
  const WHOLE = 128 * 1024;
  const cases: Array<[string, (token: string) => Buffer]> = [
    ["at file start", (k) => Buffer.from(`${k}\n${filler(5000)}`)],
    ["at file end, no newline", (k) => Buffer.from(`${filler(5000)}${k}`)],
    [
      "after invalid UTF-8 bytes",
      (k) =>
        Buffer.concat([Buffer.from(filler(3000)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(k)]),
    ],
    ["after a UTF-8 BOM", (k) => Buffer.from(`\ufeff${k}\n`)],
    ["in CRLF text", (k) => Buffer.from(`${filler(9000).replace(/\n/g, "\r\n")}${k}\r\n`)],
    ["in a 1 MB minified line", (k) => Buffer.from(`${"x=1;".repeat(262_144)}"${k}"`)],
    [
      "file just under the whole-lint limit",
      (k) => Buffer.from(`${filler(WHOLE - k.length - 2)}${k}\n`),
    ],
    ["file just over the whole-lint limit", (k) => Buffer.from(`${filler(WHOLE - 5)}${k}\n`)],
    [
      "across 64 KB in a 200 KB file",
      (k) => Buffer.from(`${filler(65536 - 9)}${k}\n${filler(135_000)}`),
    ],
  ];
  const dir = () => join(sb.root, "scan");
  const files = new Map<string, string>();
  beforeAll(() => {
    mkdirSync(dir(), { recursive: true });
    cases.forEach(([label, make], i) =>
      TOKENS.forEach(([name, token]) => {
        const f = join(dir(), `c${i}-${name.replace(/\W/g, "")}.txt`);
        writeFileSync(f, make(token));
        files.set(f, `${name} ${label}`);
      }),
    );
    // UTF-16 with BOM: hookpack reads it as binary (NUL bytes) and must say it skipped it.
    writeFileSync(
      join(dir(), "utf16.txt"),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`key ${fakes.github}\n`, "utf16le")]),
    );
  });

  it("every planted file is found (or, UTF-16, listed as skipped)", async () => {
    const r = await hookpack(["scan", dir(), "--format", "json"], {
      env: env(),
      cwd: sb.project,
      timeoutMs: 300_000,
    });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(TOKENS.some(([, , secret]) => r.stdout.includes(secret))).toBe(false);
    const out = JSON.parse(r.stdout) as {
      findings: Array<{ path: string }>;
      skipped: Array<{ path: string; why: string }>;
    };
    const found = new Set(out.findings.map((f) => f.path));
    const missed: string[] = [];
    for (const [f, label] of files) {
      t.attempt(found.has(f));
      if (!found.has(f)) missed.push(label);
    }
    const utf16 = join(dir(), "utf16.txt");
    const u = found.has(utf16) || out.skipped.some((s) => s.path === utf16);
    t.attempt(u);
    expect(missed).toEqual([]);
    expect(u).toBe(true);
  });
});
