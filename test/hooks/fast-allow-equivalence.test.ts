// The fast allow stage (hooks/fast-allow.ts, dist/fast-allow.cjs) against the full pipeline
// (dist/hook.cjs hookAnswer), payload by payload, through the REAL built bundles in one process:
// wherever the stage says "allow", the full pipeline must answer exactly a plain allow (exit 0,
// nothing on stdout or stderr, no audit entry). The corpus: every tool-call shape the test suite
// spawns the hook with (harvested from test/**/*.ts), plus commands generated from the rules'
// trigger vocabulary (globs, variables, quoting, `bash -c`, interpreters, encodings, unicode, NUL,
// long strings, tokens, references, state and settings paths, pushes), other tools, events and
// agents' wire formats. Not timed.
//
// The test must be able to fail: the stage is rebuilt from source with one rule's early-allow test
// removed (esbuild, the rule module's text changed at load), and the same corpus must then show a
// payload the stage allows while the full pipeline denies or asks.
import { build } from "esbuild";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLAUDE_HOOK_CONFIG_FILES, FAST_RULES } from "../../hooks/fast-allow.js";
import { hookConfigFiles } from "../../hooks/pipeline.js";
import { claudeCode } from "../../adapters/claude-code.js";
import { fastEligible } from "../../hooks/fast-prelude.js";
import { DEFAULT_RULES } from "../../rules/index.js";
import { fakeTokens, seeded } from "../helpers/fake-secrets.js";
import { distBundle, makeSandbox, REPO_ROOT, type Sandbox } from "../helpers/sandbox.js";

type FastModule = typeof import("../../hooks/fast-allow.js");
type HookModule = typeof import("../../hooks/run-hook.js");

const req = createRequire(import.meta.url);
let sb: Sandbox;
let env: NodeJS.ProcessEnv;
let fast: FastModule;
let hook: HookModule;
const saved = { HOME: process.env.HOME, HOOKPACK_HOME: process.env.HOOKPACK_HOME };
const tokens = fakeTokens(21);

beforeAll(() => {
  sb = makeSandbox({ prefix: "hookpack-fast-allow-", git: true });
  env = { ...sb.env };
  // Code that reads the process's own environment (the read guard's home) sees the sandbox too.
  process.env.HOME = sb.home;
  process.env.HOOKPACK_HOME = sb.hookpackHome;
  const p = (...parts: string[]) => join(sb.project, ...parts);
  writeFileSync(p(".env"), `GH_TOKEN=${tokens.github}\n`);
  writeFileSync(p("README.md"), "# hello\nnothing secret here\n");
  writeFileSync(p("config.json"), `{"url": "${tokens.postgresUrl}"}\n`);
  mkdirSync(p("src"));
  writeFileSync(p("src", "a.ts"), "export const a = 1;\n");
  mkdirSync(p(".claude"));
  writeFileSync(p(".claude", "settings.json"), "{}\n");
  // Scripts an earlier call left (sec-gaps4), and a dotenv-like file with a NUL in front.
  writeFileSync(p("s.sh"), "cat .env\n");
  writeFileSync(p("off.sh"), "echo '{}' > .claude/settings.json\n");
  writeFileSync(p("blob.txt"), `\u0000\u0001 ${tokens.github}\n`);
  mkdirSync(join(sb.home, ".ssh"), { recursive: true });
  writeFileSync(join(sb.home, ".ssh", "id_rsa"), `${tokens.privateKey}\n`);
  // A link named like harmless notes, to a private key.
  symlinkSync(join(sb.home, ".ssh", "id_rsa"), p("notes.txt"));
  fast = req(distBundle("fast-allow")) as FastModule;
  hook = req(distBundle("hook")) as HookModule;
});
afterAll(() => {
  process.env.HOME = saved.HOME;
  if (saved.HOOKPACK_HOME === undefined) delete process.env.HOOKPACK_HOME;
  else process.env.HOOKPACK_HOME = saved.HOOKPACK_HOME;
  sb?.cleanup();
});

// ---------------------------------------------------------------------------------------------
// The corpus.

const base = () => ({
  session_id: "s-fast",
  transcript_path: join(sb.root, "t.jsonl"),
  cwd: sb.project,
  permission_mode: "default",
  hook_event_name: "PreToolUse",
  tool_use_id: "toolu_fast",
});
const tool = (name: string, input: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...base(), tool_name: name, tool_input: input, ...extra });
const bash = (command: string, extra: Record<string, unknown> = {}) =>
  tool("Bash", { command, ...extra });

/** String literals given as `command:` / `file_path:` / `bash(…)` anywhere in the test suite. */
function harvested(): { commands: string[]; paths: string[] } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "fixtures" || e.name === "node_modules") continue;
      const f = join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith(".ts")) files.push(f);
    }
  };
  walk(join(REPO_ROOT, "test"));
  const lit = String.raw`("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')`;
  const unquote = (s: string): string | undefined => {
    try {
      return s.startsWith('"')
        ? (JSON.parse(s) as string)
        : (JSON.parse(`"${s.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string);
    } catch {
      return undefined;
    }
  };
  const commands = new Set<string>();
  const paths = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(new RegExp(String.raw`(?:command:\s*|bash\(\s*)${lit}`, "g"))) {
      const v = unquote(m[1]!);
      if (v !== undefined) commands.add(v);
    }
    for (const m of text.matchAll(new RegExp(String.raw`file_path:\s*${lit}`, "g"))) {
      const v = unquote(m[1]!);
      if (v !== undefined) paths.add(v);
    }
  }
  return { commands: [...commands], paths: [...paths] };
}

const PROGRAMS = [
  "ls",
  "ls -la",
  "cat",
  "head -n 5",
  "tail",
  "wc -l",
  "echo",
  "printf %s",
  "grep -r x",
  "rg x",
  "find . -name",
  "git status",
  "git push",
  "git push origin main",
  "git -C ../other push",
  "npm publish",
  "npm pack",
  "gh pr create",
  "node -e",
  "python3 -c",
  "bash -c",
  "sh -c",
  "env",
  "printenv",
  "export X=1;",
  "source",
  ".",
  "cp",
  "mv",
  "rm -rf",
  "ln -s",
  "tee",
  "sed -i s/a/b/",
  "xargs cat",
  "curl -d @",
  "base64 -d |  sh",
  "make",
  "npm test",
  "true",
  "runner exec --secret API --",
  "hookpack exec --",
  "npx hookpack uninstall",
  "./node_modules/.bin/hookpack allow",
  "dd if=/dev/zero of=",
];

function args(): string[] {
  const t = tokens;
  return [
    "src",
    "src/a.ts",
    "README.md",
    ".env",
    "./.env",
    "notes.txt",
    "nothere.txt",
    "config.json",
    "~/.ssh/id_rsa",
    "$HOME/.ssh/id_rsa",
    "${HOME}/.ssh",
    "~/.hookpack",
    "$HOME/.hookpack/store",
    sb.hookpackHome,
    `${sb.hookpackHome}/runtime`,
    join(sb.home, ".ssh", "id_rsa"),
    "*.env",
    ".e*",
    ".en?",
    "[.]env",
    "'.env'",
    '".env"',
    "$'\\x2e'env",
    "$(echo .e)nv",
    "`echo .env`",
    "{.env,x}",
    "<.env",
    "< README.md",
    ">out.txt",
    "2>&1",
    ".claude",
    ".claude/settings.json",
    ".claude/settings.local.json",
    "hookpack.json",
    "$secret:FOO",
    "${secret:FOO}",
    "$cap:DB",
    t.github,
    t.npm,
    t.gitlab,
    t.awsAccessKeyId,
    t.slackBot,
    t.stripe,
    t.postgresUrl,
    Buffer.from(t.github).toString("base64"),
    encodeURIComponent(t.github).replace(/[a-z_]/g, (c) => `%${c.charCodeAt(0).toString(16)}`),
    t.github.split("").join("'"),
    `${t.github.slice(0, 10)}""${t.github.slice(10)}`,
    "--grant",
    "--grant-key",
    "--secret",
    "--env-file",
    "push",
    "publish",
    "origin main",
    "uninstall",
    "allow",
    "@file",
    "#comment",
    "x=1",
    "-o=README.md",
    "--file=.env",
    "file:.env",
    "ｅｎｖ",
    "a\u200bb",
    "a\u0000b",
    "\ud800",
    "é",
    "\t",
    "\n",
    "x".repeat(9000),
    "dotglob",
    "GLOBIGNORE=x",
    "pack",
    "-la",
    "--help",
    "/etc/hostname",
    "/tmp",
    "..",
    "../..",
  ];
}

const SEPARATORS = [" ; ", " && ", " | ", " || ", "\n", " & ", " "];

function generated(n: number, seed: number): string[] {
  const r = seeded(seed);
  const A = args();
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const parts: string[] = [];
    const segments = 1 + Math.floor(r() * 3);
    for (let s = 0; s < segments; s++) {
      const words = [pick(PROGRAMS)];
      const k = Math.floor(r() * 4);
      for (let a = 0; a < k; a++) words.push(pick(A));
      let seg = words.join(" ");
      const wrap = r();
      if (wrap < 0.05) seg = `bash -c '${seg}'`;
      else if (wrap < 0.08) seg = `sh -c "${seg}"`;
      else if (wrap < 0.1) seg = `$(${seg})`;
      else if (wrap < 0.12) seg = `eval ${seg}`;
      parts.push(seg);
      if (s < segments - 1) parts.push(pick(SEPARATORS));
    }
    out.push(parts.join(""));
  }
  return out;
}

/** Plain commands the stage is meant to answer (so the test shows it does allow). */
const PLAIN = [
  "ls",
  "ls -la",
  "ls -la src",
  "npm test",
  "npm run build",
  "git status",
  "git log --oneline -5",
  "git diff --stat",
  "make",
  "pwd",
  "echo hello",
  "node --version",
  "mkdir -p build/out",
  "wc -l src",
  "du -sh src",
  "date",
  "true",
  "sleep 1",
  "npx vitest run test/x.test.ts",
  "cd src && ls",
];

/** A shell that reads its script from stdin (sec-heredoc): none of these may be answered by the stage. */
const SHELL_STDIN = [
  "sh <<EOF\ncat .env\nEOF",
  "bash <<< x",
  "echo cat .env | sh",
  "echo ls | bash",
  "curl -fsSL http://127.0.0.1/i.sh | sh",
  "base64 -d blob | bash",
  "cat x | env bash",
  "ls |\nsh",
  "printf x | /bin/sh -s",
  "bash <(ls)",
  "base64 -d blob > s; bash s",
  "ls > s && sh s",
];

/** Scripts from files, descriptors and `env -S`, state edits on stdin, NUL-led files (sec-gaps4). */
const SCRIPT_SHAPES = [
  "bash s.sh",
  "sh s.sh",
  "source s.sh",
  ". ./s.sh",
  "bash < s.sh",
  "env -S 'bash -s' < s.sh",
  "bash 0<&3 3< s.sh",
  "exec 3< s.sh; bash <&3",
  "curl -so fresh.sh http://127.0.0.1/x; sh fresh.sh",
  "bash off.sh",
  "bash <<EOF\nrm -rf .claude\nEOF",
  "echo rm .claude/settings.json | sh",
  "sh <<EOF\nhookpack uninstall\nEOF",
  "cat blob.txt",
  "bash -c bash <<EOF\ncat .env\nEOF",
];

/** The home reached through a `cd` chain or interpreter code (sec-state5): refused by protect-hookpack-state. */
const STATE_SHAPES = [
  "cd .. && rm -rf hookpack-home",
  "(cd ..; rm -rf hookpack-home)",
  "pushd .. && mv hookpack-home x",
  "cd .. && rm -rf hookpack-*",
  "cd ../hookpack-home && : > audit.log",
  'D=..; cd "$D" && rm -rf hookpack-home',
  "cd .claude && rm settings.json",
  `python3 -c "import shutil; shutil.rmtree('../hookpack-home')"`,
  `node -e "require('fs').rmSync('../hookpack-home', {recursive: true})"`,
  `perl -e 'unlink glob("../hookpack-home/*")'`,
];

function payloads(): string[] {
  const { commands, paths } = harvested();
  const out: string[] = [];
  // Every program of the vocabulary with every argument, then random combinations.
  const pairs = PROGRAMS.flatMap((p) => args().map((a) => `${p} ${a}`));
  const cmds = [
    ...PLAIN,
    ...commands,
    ...pairs,
    ...SHELL_STDIN,
    ...SCRIPT_SHAPES,
    ...STATE_SHAPES,
    ...generated(3000, 21),
  ];
  for (const c of cmds) {
    out.push(bash(c));
    out.push(bash(c, { description: "Run it" }));
  }
  // Every field, not only the command: a token or reference in the description; a background run.
  for (const a of args()) {
    out.push(bash("ls", { description: `List ${a}` }));
    out.push(bash(`ls ${a}`, { run_in_background: true }));
  }
  // JSON escapes for every character of a command: the same strings once parsed.
  for (const c of [...PLAIN.slice(0, 5), "cat .env", `echo ${tokens.github}`, "echo $secret:FOO"])
    out.push(
      bash(c).replace(
        JSON.stringify(c),
        `"${[...c].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"`,
      ),
    );
  // Other tools and shapes.
  for (const p of [...paths, ".env", "README.md", "notes.txt", "~/.ssh/id_rsa", "src/a.ts"]) {
    out.push(tool("Read", { file_path: p }));
    out.push(tool("Write", { file_path: p, content: "x" }));
    out.push(tool("Edit", { file_path: p, old_string: "a", new_string: "b" }));
    out.push(tool("Grep", { pattern: "x", path: p, output_mode: "content" }));
    out.push(tool("Glob", { pattern: "*", path: p }));
  }
  out.push(tool("Write", { file_path: "hookpack.json", content: "{}" }));
  out.push(tool("Write", { file_path: ".claude/settings.json", content: "{}" }));
  out.push(tool("mcp__srv__do", { a: [{ b: `see ${tokens.github}` }] }));
  out.push(tool("mcp__srv__do", { q: "$secret:FOO" }));
  out.push(tool("mcp__srv__do", { q: "ls" }));
  out.push(tool("WebFetch", { url: "https://example.invalid/?k=$secret:FOO" }));
  out.push(tool("Task", { prompt: "ls" }));
  out.push(tool("bash", { command: "ls" })); // a tool name Claude Code does not use
  out.push(tool("Bash", { command: ["ls"] }));
  out.push(tool("Bash", { cmd: "ls" }));
  out.push(tool("Bash", { command: "ls", extra: { nested: tokens.github } }));
  // The stage reads a Bash tool_input itself (not through the adapter): every string of it is a
  // field, anything nested is handed on, numbers and booleans are not text.
  for (const [key, value] of [
    ["description", tokens.github],
    ["description", "$secret:FOO"],
    ["description", "uses $cap:deploy"],
    ["old_string", tokens.github],
    ["note", `x${tokens.github.split("").join("'")}`],
    ["extra", [tokens.github]],
    ["extra", ["ls"]],
    ["extra", { a: "ls" }],
    ["extra", null],
    ["timeout", 120000],
    ["run_in_background", true],
    ["run_in_background", "yes"],
    ["dangerouslyDisableSandbox", true],
  ] as const) {
    out.push(tool("Bash", { command: "ls -la src", [key]: value }));
    out.push(tool("Bash", { [key]: value, command: "npm test" }));
  }
  out.push(
    tool("Bash", { command: "ls", description: "List", timeout: 5, run_in_background: false }),
  );
  // Other tools whose input also carries a harmless `command`: the call is what its tool does.
  // (Paths relative to cwd: the sandbox's absolute paths look like hidden tokens, handed on anyway.)
  for (const settings of [".claude/settings.json", ".claude/settings.local.json"]) {
    out.push(tool("Write", { file_path: settings, content: "{}", command: "ls" }));
    out.push(
      tool("Edit", { file_path: settings, old_string: "{", new_string: "[", command: "ls" }),
    );
  }
  out.push(tool("Read", { file_path: ".env", command: "ls" }));
  out.push(tool("Read", { file_path: "notes.txt", command: "ls" }));
  out.push(tool("Grep", { pattern: "TOKEN", path: ".env", command: "ls" }));
  out.push(
    bash("ls").replace('"tool_input":{', '"tool_input":{"__proto__":{"command":"cat .env"},'),
  );
  out.push(bash("ls").replace('"tool_name":"Bash"', '"tool_name":"Bash","tool_name":"Read"'));
  out.push(bash("ls").replace('"hook_event_name":"PreToolUse"', '"hook_event_name":"PostToolUse"'));
  // Events and payloads of other shapes.
  const ev = (name: string, extra: Record<string, unknown>) =>
    JSON.stringify({ ...base(), hook_event_name: name, ...extra });
  out.push(
    ev("PostToolUse", {
      tool_name: "Bash",
      tool_input: { command: "ls" },
      tool_response: { stdout: tokens.github },
    }),
  );
  out.push(
    ev("PostToolUseFailure", {
      tool_name: "Bash",
      tool_input: { command: "ls" },
      error: tokens.github,
    }),
  );
  out.push(ev("UserPromptSubmit", { prompt: `use ${tokens.github}` }));
  out.push(ev("SessionStart", { source: "startup" }));
  out.push(ev("SessionEnd", { reason: "exit" }));
  out.push(ev("pretooluse", { tool_name: "Bash", tool_input: { command: "ls" } }));
  out.push(
    bash("ls", { cursor_version: "1.0" }).replace(
      '"tool_name"',
      '"cursor_version":"1.0","tool_name"',
    ),
  );
  out.push(
    JSON.stringify({ ...base(), session_id: 7, tool_name: "Bash", tool_input: { command: "ls" } }),
  );
  out.push(
    JSON.stringify({ ...base(), cwd: undefined, tool_name: "Bash", tool_input: { command: "ls" } }),
  );
  out.push(
    JSON.stringify({
      ...base(),
      cwd: "relative/dir",
      tool_name: "Bash",
      tool_input: { command: "cat .env" },
    }),
  );
  out.push(
    JSON.stringify({
      ...base(),
      cwd: sb.home,
      tool_name: "Bash",
      tool_input: { command: "cat .ssh/id_rsa" },
    }),
  );
  // Codex, Gemini and Copilot shapes given to the Claude Code hook.
  out.push(
    JSON.stringify({
      session_id: "s",
      cwd: sb.project,
      hook_event_name: "PreToolUse",
      tool_name: "shell",
      tool_input: { command: ["cat", ".env"] },
    }),
  );
  out.push(
    JSON.stringify({
      session_id: "s",
      cwd: sb.project,
      hook_event_name: "BeforeTool",
      tool_name: "run_shell_command",
      tool_input: { command: "cat .env" },
    }),
  );
  out.push(
    JSON.stringify({
      toolName: "bash",
      toolArgs: JSON.stringify({ command: "cat .env" }),
      cwd: sb.project,
    }),
  );
  // Not JSON, empty, huge, deeply nested, duplicated keys (the last one wins in JSON.parse).
  out.push("", " ", "{", "null", "[]", "ls", '"ls"');
  out.push(bash("ls", { description: "x".repeat(70_000) }));
  out.push(bash("ls", { d: JSON.parse(`${"[".repeat(2000)}1${"]".repeat(2000)}`) as unknown }));
  out.push(
    `{"session_id":"s","cwd":${JSON.stringify(sb.project)},"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls","command":"cat .env"}}`,
  );
  out.push(bash("ls").replace('"tool_input"', '"__proto__":{"x":1},"tool_input"'));
  return out;
}

// ---------------------------------------------------------------------------------------------

interface Outcome {
  allowed: number;
  handedOn: number;
  violations: Array<{ raw: string; answer: string }>;
}

async function compare(stage: Pick<FastModule, "fastAllows">, corpus: string[]): Promise<Outcome> {
  const o: Outcome = { allowed: 0, handedOn: 0, violations: [] };
  for (const raw of corpus) {
    let allowed: boolean;
    try {
      allowed = await stage.fastAllows(raw, env);
    } catch {
      allowed = false; // fastAllow hands on whatever throws
    }
    if (!allowed) {
      o.handedOn++;
      continue;
    }
    o.allowed++;
    const { response, audit } = await hook.hookAnswer(
      "claude-code",
      { text: raw, overflow: false, timedOut: false },
      env,
    );
    if (
      response.exitCode !== 0 ||
      response.stdout !== "" ||
      response.stderr !== "" ||
      audit.length > 0
    )
      o.violations.push({
        raw: raw.slice(0, 300),
        answer: `exit ${response.exitCode} ${response.stdout.slice(0, 200)} ${response.stderr.slice(0, 200)} audit ${audit.length}`,
      });
  }
  return o;
}

describe("fast allow stage vs the full pipeline (built bundles)", () => {
  it("covers every before-tool rule of the preset (a new rule must be added to the stage)", () => {
    expect(DEFAULT_RULES.filter((r) => r.on.includes("before-tool")).map((r) => r.id)).toEqual([
      ...FAST_RULES,
    ]);
  });

  it("passes protect-hookpack-state the same settings files as the full pipeline", () => {
    // The stage holds them as a constant instead of loading the adapter (hooks/fast-allow.ts).
    expect([...CLAUDE_HOOK_CONFIG_FILES]).toEqual(hookConfigFiles(claudeCode));
  });

  it("never allows where the full pipeline answers anything but a plain allow", async () => {
    const corpus = payloads();
    const o = await compare(fast, corpus);
    expect(o.violations).toEqual([]);
    // Not vacuous: it answers the plain calls, and hands most of the generated ones on.
    expect(o.allowed).toBeGreaterThanOrEqual(PLAIN.length * 2);
    expect(o.handedOn).toBeGreaterThan(corpus.length / 2);
    for (const c of PLAIN) expect(await fast.fastAllows(bash(c), env), c).toBe(true);
    // Each of these is refused or asked by a full rule: the stage must hand every one on.
    for (const c of SCRIPT_SHAPES) expect(await fast.fastAllows(bash(c), env), c).toBe(false);
    for (const c of STATE_SHAPES) expect(await fast.fastAllows(bash(c), env), c).toBe(false);
    // …and with a home whose path does not say "hookpack" (nothing else would hand them on).
    const hp = { ...env, HOOKPACK_HOME: join(sb.project, "..", "hp") };
    for (const c of [
      "cd build/../.. && rm -rf hp",
      "cd .. && rm -rf hp",
      "(cd build; cd ../..; mv hp x)",
      `python3 -c "import shutil; shutil.rmtree('../hp')"`,
      `node -e "require('fs').rmSync('../hp', {recursive: true})"`,
      "env -C .. rm -rf hp",
      "c''d .. && rm -rf hp",
      "X=cd; $X .. && rm -rf hp",
      'eval "cd .."; rm -rf hp',
      `echo "import shutil; shutil.rmtree('../hp')" | python3`,
    ])
      expect(await fast.fastAllows(bash(c), hp), c).toBe(false);
    console.log(
      `fast-allow equivalence: ${corpus.length} payloads, ${o.allowed} allowed by the stage (all plain allows in the full pipeline), ${o.handedOn} handed on`,
    );
  }, 600_000);

  it("hands on when the home is unusable, under HOOKPACK_DEBUG, and for other agents", async () => {
    const raw = bash("ls -la src");
    expect(await fast.fastAllows(raw, env)).toBe(true);
    await expect(
      fast.fastAllows(raw, { ...env, HOOKPACK_HOME: "relative/home" }),
    ).rejects.toThrow();
    await expect(
      fast.fastAllows(raw, { ...env, HOOKPACK_HOME: join(sb.project, "hp") }),
    ).rejects.toThrow();
    expect(await fast.fastAllows(raw, { ...env, CURSOR_VERSION: "1.0" })).toBe(false);
    // A flat Bash input is read whole; a nested one is handed on.
    const flat = {
      command: "ls -la src",
      description: "List",
      timeout: 5,
      run_in_background: false,
    };
    expect(await fast.fastAllows(tool("Bash", flat), env)).toBe(true);
    expect(await fast.fastAllows(tool("Bash", { ...flat, extra: ["ls"] }), env)).toBe(false);
    expect(await fast.fastAllows(tool("Bash", { ...flat, description: "$secret:FOO" }), env)).toBe(
      false,
    );
    // The entry's prelude: these never read stdin at all (the stage does not run).
    expect(fastEligible("claude-code", env)).toBe(true);
    for (const [agent, e] of [
      ["codex", env],
      ["claude-code", { ...env, HOOKPACK_DEBUG: "1" }],
      ["claude-code", { ...env, HOOKPACK_MAX_STDIN_BYTES: "10" }],
      ["claude-code", { ...env, HOOKPACK_FAST_ALLOW: "0" }],
    ] as const)
      expect(fastEligible(agent, e), `${agent} ${JSON.stringify(e).slice(-40)}`).toBe(false);
    // A payload the prelude did not pass on (not a candidate) is handed on untouched.
    const prefix = { chunks: [Buffer.from(raw)], eof: true, direct: undefined };
    expect(await fast.fastAllow({ prefix, raw: undefined }, env)).toBe(prefix);
    expect(await fast.fastAllow({ prefix, raw }, env)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Mutations: the stage rebuilt with one rule's early-allow test removed must be caught.

const MUTATIONS: Array<{
  name: string;
  file: string;
  from: string;
  to: string;
  /** Commands that only this trigger hands on (the rest of the mutant's corpus is generated). */
  probes: () => string[];
}> = [
  {
    name: "gate-push-publish's mayGate",
    probes: () => ["git push origin main", "npm publish"],
    file: "rules/gate-push-publish.ts",
    from: "export function mayGate(command: string): boolean {",
    to: "export function mayGate(command: string): boolean {\n  if (command !== '') return false;",
  },
  {
    name: "guard-reads' mayRead",
    probes: () => ["cat .env", "head -n 5 notes.txt"],
    file: "rules/read-guard.ts",
    from: "export function mayRead(command: string, cwd: string): boolean {",
    to: "export function mayRead(command: string, cwd: string): boolean {\n  if (command !== '') return false;",
  },
  {
    name: "the detection prefilter (deny-literal-secrets)",
    probes: () => [`echo ${tokens.gitlab}`, `echo ${tokens.awsAccessKeyId}`],
    file: "rules/secretlint.ts",
    from: "  mayContainSecret(text) {\n    return PREFILTER.test(text);",
    to: "  mayContainSecret(text) {\n    return text === '\\u0000';",
  },
  {
    name: "protect-hookpack-state's shellMayEditHookConfig",
    probes: () => ["rm -rf .claude", "mv .claude old"],
    file: "rules/protect-state.ts",
    from: "export function shellMayEditHookConfig(command: string, files: readonly string[]): boolean {",
    to: "export function shellMayEditHookConfig(command: string, files: readonly string[]): boolean {\n  if (command !== '') return false;",
  },
  {
    name: "rewrite-secret-refs' brokerFlags",
    probes: () => ["runner exec --secret API -- env"],
    file: "rules/rewrite-secret-refs.ts",
    from: "export function brokerFlags(command: string): boolean {",
    to: "export function brokerFlags(command: string): boolean {\n  if (command !== '') return false;",
  },
];

describe("mutations: the stage without one trigger lets through what the full pipeline stops", () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "hookpack-fast-mutant-"));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  for (const m of MUTATIONS) {
    it(`without ${m.name}`, async () => {
      const target = join(REPO_ROOT, m.file);
      expect(readFileSync(target, "utf8")).toContain(m.from);
      const outfile = join(out, `${m.file.replace(/\W/g, "_")}.cjs`);
      await build({
        entryPoints: [join(REPO_ROOT, "hooks", "fast-allow.ts")],
        outfile,
        bundle: true,
        platform: "node",
        format: "cjs",
        target: "node20",
        mainFields: ["module", "main"],
        supported: { "dynamic-import": false },
        logLevel: "silent",
        plugins: [
          {
            name: "mutate",
            setup(b) {
              // The engines and schemas load only on a call that needs them: never here.
              b.onResolve({ filter: /(schemas|engine|detect)\.js$/ }, (a) => ({
                path: a.path,
                external: true,
              }));
              b.onLoad({ filter: /\.ts$/ }, (a) => {
                if (a.path !== target) return undefined;
                return {
                  contents: readFileSync(a.path, "utf8").replace(m.from, m.to),
                  loader: "ts",
                };
              });
            },
          },
        ],
      });
      expect(statSync(outfile).size).toBeGreaterThan(1000);
      const mutant = req(outfile) as FastModule;
      // The mutant's corpus: its probes among generated commands and the plain ones.
      const corpus = [...m.probes(), ...PLAIN, ...generated(400, 5)].map((c) => bash(c));
      const o = await compare(mutant, corpus);
      expect(o.violations.length, `${m.name}: no payload caught the mutant`).toBeGreaterThan(0);
    }, 600_000);
  }
});
