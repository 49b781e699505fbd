// The read guard and post-tool redaction through the real pipeline, in process, with managed
// secrets from a real (hash-only) hook cache.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { claudeCode } from "../../adapters/claude-code.js";
import { buildHookCache, createHashedMatcher } from "../../broker/hook-cache.js";
import { runPipeline } from "../../hooks/pipeline.js";
import { DEFAULT_RULES } from "../../rules/index.js";
import { secretAssignments, classifySecretPath } from "../../rules/read-guard-paths.js";
import { shellReads } from "../../rules/read-guard-shell.js";
import type { ManagedSecrets } from "../../rules/rule.js";
import { secretScanner } from "../../rules/secretlint.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

const tokens = fakeTokens(11);
const managedValue = `mv_${randomBytes(18).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "hookpack-guard-"));
const project = join(dir, "proj");
const hpHome = join(dir, "hp");
mkdirSync(project, { recursive: true });
mkdirSync(hpHome, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exposures: Array<{ names: readonly string[]; where: string }> = [];
const salt = randomBytes(16);
const matcher = createHashedMatcher({
  salt: salt.toString("base64"),
  ...buildHookCache([{ name: "DEPLOY_KEY", value: managedValue }], salt),
});
const managed: ManagedSecrets = {
  home: hpHome,
  find: (t) => matcher.find(t),
  exposed: (names, where) => void exposures.push({ names, where }),
};

const base = { session_id: "sess-1", cwd: project, transcript_path: join(dir, "t.jsonl") };
const pre = (tool_name: string, tool_input: Record<string, unknown>) =>
  JSON.stringify({
    ...base,
    hook_event_name: "PreToolUse",
    tool_name,
    tool_input,
    tool_use_id: "t1",
  });
const post = (tool_name: string, tool_input: Record<string, unknown>, tool_response: unknown) =>
  JSON.stringify({
    ...base,
    hook_event_name: "PostToolUse",
    tool_name,
    tool_input,
    tool_response,
    tool_use_id: "t1",
  });
const run = (raw: string) =>
  runPipeline(
    { raw },
    { adapter: claudeCode, rules: DEFAULT_RULES, scanner: secretScanner, managed },
  );
const specific = (stdout: string) =>
  stdout
    ? (JSON.parse(stdout) as { hookSpecificOutput?: Record<string, unknown> }).hookSpecificOutput
    : undefined;
/** Runs `fn` with TMPDIR inside this test's directory, where spilled outputs go (hooks/spill.ts). */
async function withTmp<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.TMPDIR;
  process.env.TMPDIR = join(dir, "tmp");
  mkdirSync(process.env.TMPDIR, { recursive: true });
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}
const noValues = (text: string) => {
  expect(text.includes(managedValue)).toBe(false);
  expect(text.includes(tokens.github)).toBe(false);
};

// The guard now decides from every program's operands (issue 14), not from a list of readers:
// `node app.js` lists app.js and `npm test` lists "test" (looked at only if such a file exists).
describe("shellReads (fixed names)", () => {
  const paths = (command: string) =>
    shellReads(command, { home: "/h", cwd: "/p" })
      .filter((o) => o.kind === "path")
      .map((o) => o.word);
  it.each([
    ["cat .env", [".env"]],
    ["cat -n .env | head -5", [".env"]],
    ["head -n 3 ~/.aws/credentials", ["3", "/h/.aws/credentials"]],
    ["grep -i token config/app.env other.txt", ["token", "config/app.env", "other.txt"]],
    ["grep -e TOKEN -f pats.txt a.env", ["TOKEN", "pats.txt", "a.env"]],
    ["source .env && npm test", [".env", "test"]],
    [". ./.env; env", ["./.env"]],
    ["node app.js < secrets.json", ["secrets.json", "app.js"]],
    ['echo "$(cat .env)"', [".env"]],
    ["sudo -u root cat '/etc/my secret'", ["/etc/my secret"]],
    ["FOO=1 less README.md", ["README.md"]],
    ["ls -la && echo hi > out.txt", []],
    ["sed -n 1,5p a.txt", ["1,5p", "a.txt"]],
    ["awk '{print $1}' data.csv", ["{print $1}", "data.csv"]],
    ["{ cat .env; }", [".env"]],
    ["if true; then cat .env; fi", [".env"]],
    ["cat $'\\x2eenv'", [".env"]],
    ["command cat .env", [".env"]],
    ['F=.env; cat "$F"', [".env"]],
    ["bash -c 'cat .env'", [".env"]],
  ])("%s", (command, expected) => {
    expect(paths(command)).toEqual(expected);
  });
});

describe("secretAssignments", () => {
  it("names secret-looking keys and skips references, placeholders and comments", () => {
    const text = [
      "# DB_PASSWORD=commented",
      "API_BASE=https://x",
      "DB_PASSWORD=s3cr3t-pass",
      'export API_KEY="abcdef123456"',
      "REF=$secret:REF",
      "TOKEN=<your-token>",
      "//registry.npmjs.org/:_authToken=abcdefghijkl",
      "machine h login u password p4ssw0rd!",
    ].join("\n");
    const found = secretAssignments(text).map((a) => [a.key, text.slice(a.start, a.end)]);
    expect(found).toEqual([
      ["DB_PASSWORD", "s3cr3t-pass"],
      ["API_KEY", "abcdef123456"],
      ["_authToken", "abcdefghijkl"],
      ["password", "p4ssw0rd!"],
    ]);
  });

  it("classifies well-known paths", () => {
    expect(classifySecretPath("/p/.env.local", "/h", "/h/.hookpack")?.id).toBe("dotenv");
    expect(classifySecretPath("/p/.env.example", "/h", "/h/.hookpack")).toBeUndefined();
    expect(classifySecretPath("/h/.ssh/id_ed25519", "/h", "/h/.hookpack")?.strict).toBe(true);
    expect(classifySecretPath("/h/.ssh/id_ed25519.pub", "/h", "/h/.hookpack")).toBeUndefined();
    expect(classifySecretPath("/h/.hookpack/store.json", "/h", "/h/.hookpack")?.id).toBe(
      "hookpack-state",
    );
    expect(
      classifySecretPath("/h/.hookpack/runtime/0.1.0/hook.cjs", "/h", "/h/.hookpack"),
    ).toBeUndefined();
    expect(classifySecretPath("/h/.aws/credentials", "/h", "/h/.hookpack")?.assignments).toBe(true);
  });
});

describe("read guard (PreToolUse)", () => {
  writeFileSync(
    join(project, ".env"),
    `APP=demo\nDEPLOY_KEY=${managedValue}\nGH_TOKEN=${tokens.github}\nDB_PASSWORD=hunter2hunter2\n`,
  );
  writeFileSync(join(project, "notes.txt"), "nothing secret here\n");
  writeFileSync(
    join(project, "big.txt"),
    `${"filler line of text\n".repeat(6500)}key=${managedValue}\n`,
  );
  writeFileSync(join(project, ".env.example"), "DB_PASSWORD=\nAPI_KEY=<your key>\n");

  it("denies a Read of a .env holding a managed value, a detected token and a named password — by name only", async () => {
    const r = await run(pre("Read", { file_path: join(project, ".env") }));
    const s = specific(r.stdout)!;
    expect(s.permissionDecision).toBe("deny");
    const reason = String(s.permissionDecisionReason);
    expect(reason).toContain("DEPLOY_KEY");
    expect(reason).toContain("GitHub personal access token (classic)");
    expect(reason).toContain("DB_PASSWORD");
    expect(reason).toContain("$secret:DEPLOY_KEY");
    expect(reason).toContain("hookpack secret import .env");
    noValues(r.stdout + r.stderr);
    expect(r.stdout.includes("hunter2hunter2")).toBe(false);
  });

  it("denies a > 100 KB file with a managed value at its end (the count_tokens pre-flight never sees it)", async () => {
    const r = await run(pre("Read", { file_path: join(project, "big.txt") }));
    expect(specific(r.stdout)?.permissionDecision).toBe("deny");
    expect(String(specific(r.stdout)?.permissionDecisionReason)).toMatch(/DEPLOY_KEY.*line 6501/);
  });

  it("denies shell reads: cat, grep, source, redirection", async () => {
    for (const command of [
      "cat .env",
      "grep TOKEN .env",
      "source .env && ./deploy.sh",
      "wc -l < .env",
      "head -3 ./.env*",
    ]) {
      const r = await run(pre("Bash", { command }));
      expect(specific(r.stdout)?.permissionDecision, command).toBe("deny");
      noValues(r.stdout);
    }
  });

  it("lets clean files, templates and non-reading commands through with no output", async () => {
    for (const raw of [
      pre("Read", { file_path: join(project, "notes.txt") }),
      pre("Read", { file_path: join(project, ".env.example") }),
      pre("Bash", { command: "ls -la && cat notes.txt" }),
      pre("Grep", { pattern: "x", path: project, output_mode: "content" }),
    ]) {
      const r = await run(raw);
      expect(r.stdout, raw).toBe("");
      expect(r.exitCode).toBe(0);
    }
  });

  it("denies reads of hookpack's own files whatever their content", async () => {
    writeFileSync(join(hpHome, "store.key"), "not really a key\n");
    const r = await run(pre("Bash", { command: `cat ${join(hpHome, "store.key")}` }));
    expect(String(specific(r.stdout)?.permissionDecisionReason)).toContain("hookpack's own files");
  });

  it("an agent's own state file (a background task output) is cleaned in place, then the read goes ahead", async () => {
    const taskDir = join(
      tmpdir(),
      `claude-${process.getuid?.() ?? 0}`,
      `-hookpack-test-${process.pid}`,
      "sess-1",
      "tasks",
    );
    mkdirSync(taskDir, { recursive: true });
    try {
      const task = join(taskDir, "b1.output");
      writeFileSync(task, `started\nkey=${managedValue}\ndone\n`);
      const r = await run(pre("Read", { file_path: task }));
      expect(specific(r.stdout)?.permissionDecision).toBeUndefined();
      expect(r.stdout).toMatch(/redacted 1 secret\(s\) in an agent state file/);
      expect(readFileSync(task, "utf8")).toBe("started\nkey=[REDACTED:DEPLOY_KEY]\ndone\n");
      noValues(r.stdout);
    } finally {
      rmSync(join(taskDir, "..", ".."), { recursive: true, force: true });
    }
  });

  it("a Grep showing content of one file is guarded like a Read", async () => {
    const r = await run(
      pre("Grep", { pattern: "KEY", path: join(project, ".env"), output_mode: "content" }),
    );
    expect(specific(r.stdout)?.permissionDecision).toBe("deny");
  });
});

describe("post-tool redaction", () => {
  it("redacts managed values (every encoding) and detections in Bash output, same shape, names as labels", async () => {
    const b64 = Buffer.from(`ci:${managedValue}`).toString("base64");
    const response = {
      stdout: `token ${tokens.github}\nkey ${managedValue}\nbasic ${b64}\n`,
      stderr: encodeURIComponent(managedValue),
      interrupted: false,
      isImage: false,
    };
    const r = await run(post("Bash", { command: "env" }, response));
    const out = specific(r.stdout)!.updatedToolOutput as typeof response;
    expect(Object.keys(out)).toEqual(Object.keys(response));
    expect(out.stdout).toContain("token [REDACTED:github-pat]");
    expect(out.stdout).toContain("key [REDACTED:DEPLOY_KEY]");
    expect(out.stderr).toBe("[REDACTED:DEPLOY_KEY]");
    noValues(r.stdout);
    expect(r.stdout.includes(b64.slice(8, 30))).toBe(false);
    expect(
      exposures.some((e) => e.names.includes("DEPLOY_KEY") && e.where === "tool-output:Bash"),
    ).toBe(true);
  });

  it("cleans the persisted full output (persistedOutputPath) even when the inline part is clean", async () => {
    const persisted = join(dir, "tool-results", "abc.txt");
    mkdirSync(join(dir, "tool-results"), { recursive: true });
    const full = `${"x".repeat(31_000)}\nDEPLOY=${managedValue}\n`;
    writeFileSync(persisted, full);
    const response = {
      stdout: full.slice(0, 30_000),
      stderr: "",
      interrupted: false,
      isImage: false,
      persistedOutputPath: persisted,
      persistedOutputSize: full.length,
    };
    const r = await run(post("Bash", { command: "big" }, response));
    expect(specific(r.stdout)?.updatedToolOutput).toBeUndefined();
    expect(readFileSync(persisted, "utf8")).toBe(
      `${"x".repeat(31_000)}\nDEPLOY=[REDACTED:DEPLOY_KEY]\n`,
    );
    noValues(r.stdout);
  });

  it("a redacted output too long for Claude's limit keeps a prefix and points at the whole redacted output in a private file, never dropped to the raw one", async () => {
    const response = {
      type: "text",
      file: {
        filePath: "/p/log.txt",
        content: `${"line\n".repeat(20_000)}${managedValue}`,
        numLines: 20001,
        startLine: 1,
        totalLines: 20001,
      },
    };
    const r = await withTmp(() => run(post("Read", { file_path: "/p/log.txt" }, response)));
    expect(r.stdout.length).toBeLessThan(16_384);
    const out = specific(r.stdout)!.updatedToolOutput as typeof response;
    const saved = /saved to: (\S+)/.exec(out.file.content);
    expect(saved).not.toBeNull();
    expect(readFileSync(saved![1]!, "utf8")).toBe(
      `${"line\n".repeat(20_000)}[REDACTED:DEPLOY_KEY]`,
    );
    noValues(r.stdout);
  });

  it("a Grep file list that cannot be cut to fit keeps its shape and points at the whole redacted list, saved as JSON", async () => {
    const filenames = Array.from({ length: 3000 }, (_, i) => `/p/src/file-${i}-${managedValue}.ts`);
    const response = { mode: "files_with_matches", filenames, numFiles: filenames.length };
    const r = await withTmp(() => run(post("Grep", { pattern: "x" }, response)));
    expect(r.stdout.length).toBeLessThan(16_384);
    const out = specific(r.stdout)!.updatedToolOutput as typeof response;
    expect(Object.keys(out)).toEqual(Object.keys(response));
    expect(Array.isArray(out.filenames)).toBe(true);
    const saved = /saved as JSON to: (\S+)/.exec(out.filenames[0]!);
    expect(saved).not.toBeNull();
    const whole = JSON.parse(readFileSync(saved![1]!, "utf8")) as typeof response;
    expect(whole.filenames).toHaveLength(3000);
    expect(whole.filenames[2999]).toBe(`/p/src/file-2999-[REDACTED:DEPLOY_KEY].ts`);
    noValues(r.stdout);
    noValues(readFileSync(saved![1]!, "utf8"));
  });
});
