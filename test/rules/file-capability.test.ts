// The rules that look at files (guard-reads, redact-tool-output, guard-context-files) do it only
// through context.files: here against an in-memory fake (test/helpers/fake-files.ts), whose paths
// exist nowhere on disk, so a rule that still reached for node:fs would find nothing and fail
// these expectations. The real capability (hooks/rule-files.ts) has its own test in test/hooks/.
import { describe, expect, it } from "vitest";
import type { HookEvent, Verdict } from "../../hooks/event.js";
import { guardContextFiles } from "../../rules/guard-context-files.js";
import { guardReads } from "../../rules/read-guard.js";
import { redactToolOutput } from "../../rules/redact-tool-output.js";
import type { RuleContext } from "../../rules/rule.js";
import { secretScanner } from "../../rules/secretlint.js";
import { fakeFiles, type FakeFiles } from "../helpers/fake-files.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

const tokens = fakeTokens(29);
// A project directory that does not exist on this machine: only the fake knows it.
const PROJ = "/nonexistent-hookpack-proj";
const HOME = "/nonexistent-hookpack-home";
const session = { id: "s1", cwd: PROJ, transcriptPath: undefined };

function context(files: FakeFiles, extra: Partial<RuleContext> = {}) {
  const noted: string[] = [];
  const ctx: RuleContext = {
    scanner: secretScanner,
    files,
    noteSecret: (v) => void noted.push(v),
    ...extra,
  };
  return { ctx, noted };
}

const read = (path: string): HookEvent => ({
  kind: "before-tool",
  agent: "claude-code",
  session,
  tool: { kind: "read-file", name: "Read", id: "t1", path, fields: [] },
});
const shell = (command: string): HookEvent => ({
  kind: "before-tool",
  agent: "claude-code",
  session,
  tool: {
    kind: "shell",
    name: "Bash",
    id: "t1",
    command,
    fields: [{ path: "command", value: command }],
  },
});
const code = (v: Verdict) =>
  v.kind === "deny" || v.kind === "warn" || v.kind === "ask" ? v.code : v.kind;

describe("guard-reads through the file capability", () => {
  it("denies a Read of a file whose head holds a token, reading it through files.readHead", async () => {
    const files = fakeFiles({ [`${PROJ}/config.yml`]: `token: ${tokens.github}\n` }, HOME);
    const { ctx, noted } = context(files);
    const v = await guardReads.check(read("config.yml"), ctx);
    expect(code(v)).toBe("READ_BLOCKED");
    expect(files.log).toContain(`readHead ${PROJ}/config.yml`);
    expect(noted).toContain(tokens.github);
    expect(JSON.stringify(v)).not.toContain(tokens.github);
  });

  it("allows a clean file and a clean binary one (a NUL in the head), and never reads a missing file", async () => {
    const files = fakeFiles(
      {
        [`${PROJ}/README.md`]: "hello\n",
        [`${PROJ}/logo.png`]: `\u0000PNG nothing secret \u0001\u0002`,
      },
      HOME,
    );
    const { ctx } = context(files);
    expect(code(await guardReads.check(read("README.md"), ctx))).toBe("allow");
    expect(code(await guardReads.check(read("logo.png"), ctx))).toBe("allow");
    expect(code(await guardReads.check(read("missing.txt"), ctx))).toBe("allow");
    expect(files.log).not.toContain(`readHead ${PROJ}/missing.txt`);
  });

  it("decides a binary file (a NUL in the head) by its content past the NUL (sec-gaps4)", async () => {
    // Once skipped as binary: `cat` shows the text around a NUL, so a token there reaches the model.
    const files = fakeFiles({ [`${PROJ}/logo.png`]: `\u0000PNG ${tokens.github}` }, HOME);
    const { ctx, noted } = context(files);
    const v = await guardReads.check(read("logo.png"), ctx);
    expect(code(v)).toBe("READ_BLOCKED");
    expect(noted).toContain(tokens.github);
    expect(JSON.stringify(v)).not.toContain(tokens.github);
  });

  it("classifies a link by where it leads (files.realpath): notes.txt → ~/.ssh/id_ed25519", async () => {
    const files = fakeFiles({ [`${HOME}/.ssh/id_ed25519`]: "not even a key\n" }, HOME);
    files.link(`${PROJ}/notes.txt`, `${HOME}/.ssh/id_ed25519`);
    const { ctx } = context(files);
    const v = await guardReads.check(read("notes.txt"), ctx);
    expect(code(v)).toBe("READ_BLOCKED");
    expect(v.kind === "deny" && v.reason).toMatch(/notes\.txt is /);
  });

  it("expands `~` with files.home, and a glob with files.list", async () => {
    const files = fakeFiles(
      {
        [`${HOME}/secrets/app.env`]: `NPM=${tokens.npm}\n`,
        [`${PROJ}/a.conf`]: "clean\n",
        [`${PROJ}/b.conf`]: `key = ${tokens.stripe}\n`,
      },
      HOME,
    );
    const { ctx } = context(files);
    expect(code(await guardReads.check(read("~/secrets/app.env"), ctx))).toBe("READ_BLOCKED");
    const v = await guardReads.check(shell("cat *.conf"), ctx);
    expect(code(v)).toBe("READ_BLOCKED");
    expect(v.kind === "deny" && v.reason).toContain("b.conf");
    expect(v.kind === "deny" && v.reason).not.toContain("a.conf");
    expect(files.log).toContain(`list ${PROJ}`);
  });

  it("matches a name built at run time against the credential files it lists in reach", async () => {
    const files = fakeFiles({ [`${PROJ}/deploy/.env`]: `GH=${tokens.github}\n` }, HOME);
    const { ctx } = context(files);
    const v = await guardReads.check(shell("cat deploy/.e$(printf nv)"), ctx);
    expect(code(v)).toBe("READ_BLOCKED");
    expect(v.kind === "deny" && v.reason).toContain("builds a file name at run time");
    expect(files.log).toContain(`list ${PROJ}/deploy`);
  });

  it("cleans an agent's state file in place (files.replaceIfUnchanged), then lets the read go", async () => {
    const path = `${PROJ}/.aider.chat.history.md`;
    const files = fakeFiles({ [path]: `ran: export T=${tokens.github}\nok\n` }, HOME);
    const { ctx } = context(files);
    const v = await guardReads.check(read(path), ctx);
    expect(code(v)).toBe("STATE_FILE_CLEANED");
    expect(files.text(path)).not.toContain(tokens.github);
    expect(files.text(path)).toContain("[REDACTED:");
    expect(files.text(path)).toContain("ok\n");
  });

  it("denies a state file that keeps changing while it is cleaned, and leaves the writer's lines", async () => {
    const path = `${PROJ}/.aider.chat.history.md`;
    const files = fakeFiles({ [path]: `T=${tokens.github}\n` }, HOME);
    let n = 0;
    files.onRead = (p) => files.write(p, `${files.text(p)}line ${++n}\n`);
    const { ctx } = context(files);
    const v = await guardReads.check(read(path), ctx);
    expect(code(v)).toBe("READ_BLOCKED");
    expect(v.kind === "deny" && v.reason).toContain("could not remove yet");
    // Never replaced: the secret is still there, and so is every line the writer appended.
    expect(files.text(path)).toContain(tokens.github);
    expect(files.text(path)).toContain("line 3\n");
    expect(files.log.filter((l) => l.startsWith("replace "))).toHaveLength(3);
  });
});

describe("redact-tool-output through the file capability", () => {
  const after = (spill: string[]): HookEvent => ({
    kind: "after-tool",
    agent: "claude-code",
    session,
    tool: { kind: "shell", name: "Bash", id: "t1", command: "make", fields: [] },
    output: { stdout: "done", stderr: "" },
    spill,
  });

  it("cleans a spilled full output in place", async () => {
    const spill = `${HOME}/.claude/spill/out.txt`;
    const files = fakeFiles({ [spill]: `a\nNPM_TOKEN=${tokens.npm}\nb\n` }, HOME);
    const { ctx } = context(files);
    const v = await redactToolOutput.check(after([spill]), ctx);
    expect(v.kind).toBe("warn");
    expect(files.text(spill)).not.toContain(tokens.npm);
    expect(files.text(spill)).toMatch(/^a\n.*\[REDACTED:.*\nb\n$/s);
  });

  it("withholds the output when the spill keeps changing (never overwrites a writer's lines)", async () => {
    const spill = `${HOME}/spill.txt`;
    const files = fakeFiles({ [spill]: `NPM_TOKEN=${tokens.npm}\n` }, HOME);
    files.onRead = (p) => files.write(p, `${files.text(p)}more\n`);
    const { ctx } = context(files);
    const v = await redactToolOutput.check(after([spill]), ctx);
    expect(code(v)).toBe("PERSISTED_OUTPUT_UNCLEAN");
    expect(files.text(spill)).toContain(tokens.npm);
  });

  it("leaves a spill that is not a regular file alone", async () => {
    const files = fakeFiles({}, HOME);
    files.special(`${HOME}/fifo`);
    const { ctx } = context(files);
    expect(code(await redactToolOutput.check(after([`${HOME}/fifo`]), ctx))).toBe("allow");
  });
});

describe("guard-context-files through the file capability", () => {
  const prompt: HookEvent = { kind: "prompt-submit", agent: "claude-code", session, prompt: "hi" };

  it("holds a prompt back while a context file holds a secret (files.readWhole)", async () => {
    const files = fakeFiles({ [`${PROJ}/CLAUDE.md`]: `use ${tokens.github} for the API\n` }, HOME);
    const { ctx, noted } = context(files, { contextFiles: () => [`${PROJ}/CLAUDE.md`] });
    const v = await guardContextFiles.check(prompt, ctx);
    expect(code(v)).toBe("SECRET_IN_CONTEXT_FILE");
    expect(noted).toContain(tokens.github);
    expect(files.log).toContain(`readWhole ${PROJ}/CLAUDE.md`);
  });

  it("skips a context file over the 1 MiB bound, a missing one and a FIFO", async () => {
    const big = `${PROJ}/AGENTS.md`;
    const files = fakeFiles({ [big]: `${"x".repeat(1024 * 1024)}\n${tokens.github}\n` }, HOME);
    files.special(`${PROJ}/GEMINI.md`);
    const { ctx } = context(files, {
      contextFiles: () => [big, `${PROJ}/GEMINI.md`, `${PROJ}/CLAUDE.md`],
    });
    expect(code(await guardContextFiles.check(prompt, ctx))).toBe("allow");
  });
});
