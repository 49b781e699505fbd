// No agent file tool may change hookpack's own directory: through the real hook, for Claude Code's
// Write/Edit, Gemini's write_file and Codex's apply_patch (whose patch text names its files).
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { mayChangeDirAndWrite, mayRunCode, patchPaths } from "../../rules/protect-state.js";
import { cwdsOf, interpreterReachesHome, reachesHome } from "../../rules/state-paths.js";
import { assertBuilt, run, sandbox, type Sandbox } from "../broker/helpers.js";

let sb: Sandbox;
beforeAll(() => assertBuilt());
afterEach(() => sb?.cleanup());

const claude = (tool: string, input: Record<string, unknown>, cwd: string) =>
  JSON.stringify({
    session_id: "s",
    transcript_path: "/tmp/t.jsonl",
    cwd,
    hook_event_name: "PreToolUse",
    tool_name: tool,
    tool_input: input,
    tool_use_id: "toolu_w",
  });

function decision(
  agent: string,
  payload: string,
  cwd: string,
): { code: number | null; out: string } {
  const r = run(sb, ["hook", agent], { input: payload, cwd });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("protect-hookpack-state", () => {
  it("denies Write and Edit into HOOKPACK_HOME (grants, runtime, code cache), by absolute or relative path", () => {
    sb = sandbox();
    const home = sb.hookpackHome;
    for (const [tool, input] of [
      ["Write", { file_path: join(home, "grants", "g_forged.json"), content: "{}" }],
      [
        "Edit",
        { file_path: join(home, "runtime", "0.1.0", "hook.cjs"), old_string: "a", new_string: "b" },
      ],
      ["Write", { file_path: join(home, "cache", "v8", "x.bin"), content: "x" }],
    ] as const) {
      const d = decision("claude-code", claude(tool, input, sb.dir), sb.dir);
      expect(d.code).toBe(0);
      expect(d.out, `${tool} ${input.file_path}`).toMatch(/"permissionDecision":"deny"/);
      expect(d.out).toContain("hookpack's own directory");
    }
    const relative = decision(
      "claude-code",
      claude(
        "Write",
        { file_path: join("..", home.split("/").pop()!, "audit", "audit.jsonl"), content: "" },
        join(home, "..", "elsewhere"),
      ),
      sb.dir,
    );
    expect(relative.out).toMatch(/"permissionDecision":"deny"/);
  });

  it("allows writes anywhere else, including a sibling whose name starts the same", () => {
    sb = sandbox();
    for (const path of [join(sb.dir, "src", "a.ts"), `${sb.hookpackHome}-notes.md`]) {
      const d = decision(
        "claude-code",
        claude("Write", { file_path: path, content: "hello" }, sb.dir),
        sb.dir,
      );
      expect(d.code).toBe(0);
      expect(d.out, path).not.toMatch(/"permissionDecision":"deny"/);
    }
  });

  it("Codex apply_patch naming a file under HOOKPACK_HOME is denied; one naming project files passes", () => {
    sb = sandbox();
    const patch = (file: string) => `*** Begin Patch\n*** Add File: ${file}\n+x\n*** End Patch\n`;
    const codex = (file: string) =>
      JSON.stringify({
        session_id: "s",
        turn_id: "t",
        transcript_path: null,
        cwd: sb.dir,
        hook_event_name: "PreToolUse",
        model: "m",
        permission_mode: "default",
        tool_name: "apply_patch",
        tool_input: { command: patch(file) },
        tool_use_id: "c1",
      });
    const bad = decision("codex", codex(join(sb.hookpackHome, "store.json")), sb.dir);
    expect(bad.out).toMatch(/"permissionDecision":"deny"/);
    const good = decision("codex", codex("src/a.ts"), sb.dir);
    expect(good.code).toBe(0);
    expect(good.out).not.toMatch(/deny/);
  });

  it("an agent editing where its own hooks are registered needs the user (Claude: ask; Codex, which cannot ask: deny); other settings files pass", () => {
    sb = sandbox();
    const proj = join(sb.dir, "proj");
    const ask = decision(
      "claude-code",
      claude(
        "Edit",
        {
          file_path: join(proj, ".claude", "settings.local.json"),
          old_string: "a",
          new_string: "b",
        },
        proj,
      ),
      sb.dir,
    );
    expect(ask.out).toMatch(/"permissionDecision":"ask"/);
    expect(ask.out).toContain("hooks (hookpack's among them) are registered");
    const userLevel = decision(
      "claude-code",
      claude(
        "Write",
        { file_path: join(sb.home, ".claude", "settings.json"), content: "{}" },
        proj,
      ),
      sb.dir,
    );
    expect(userLevel.out).toMatch(/"permissionDecision":"ask"/);
    // Another agent's settings are not this agent's hooks.
    const other = decision(
      "claude-code",
      claude("Write", { file_path: join(proj, ".gemini", "settings.json"), content: "{}" }, proj),
      sb.dir,
    );
    expect(other.out).not.toMatch(/"permissionDecision":"(ask|deny)"/);
    const codex = JSON.stringify({
      session_id: "s",
      turn_id: "t",
      transcript_path: null,
      cwd: proj,
      hook_event_name: "PreToolUse",
      model: "m",
      permission_mode: "default",
      tool_name: "apply_patch",
      tool_input: {
        command: "*** Begin Patch\n*** Update File: .codex/hooks.json\n@@\n-a\n+b\n*** End Patch\n",
      },
      tool_use_id: "c2",
    });
    expect(decision("codex", codex, sb.dir).out).toMatch(/"permissionDecision":"deny"/);
  });

  it("shell commands that rewrite or remove the agent's hook settings need the user; reading or copying them out does not", () => {
    sb = sandbox();
    const proj = join(sb.dir, "proj");
    const bash = (command: string) =>
      decision("claude-code", claude("Bash", { command }, proj), sb.dir).out;
    for (const command of [
      "echo '{}' > .claude/settings.local.json",
      "jq 'del(.hooks)' .claude/settings.json > t && mv t .claude/settings.json",
      "rm -rf .claude",
      "sed -i 's/hookpack/x/' ~/.claude/settings.json",
      "cp /tmp/empty.json .claude/settings.local.json",
      "git checkout -- .claude/settings.json",
      "cd sub && tee ../.claude/settings.local.json < /dev/null",
    ]) {
      expect(bash(command), command).toMatch(/"permissionDecision":"ask"/);
    }
    for (const command of [
      "cat .claude/settings.local.json",
      "jq . .claude/settings.json > /tmp/copy.json",
      "sed 's/a/b/' .claude/settings.json",
      "cp .claude/settings.json /tmp/backup.json",
      "ls -la .claude",
      "git diff .claude/settings.json",
    ]) {
      expect(bash(command), command).not.toMatch(/"permissionDecision":"(ask|deny)"/);
    }
    // hookpack uninstall takes the hooks out as surely as an edit does.
    for (const command of [
      "npx hookpack uninstall --agent claude-code",
      "node node_modules/hookpack/dist/hookpack.cjs uninstall",
    ])
      expect(bash(command), command).toMatch(/"permissionDecision":"ask"/);
    for (const command of ["npx hookpack doctor", "npm uninstall left-pad"])
      expect(bash(command), command).not.toMatch(/"permissionDecision":"(ask|deny)"/);
    const codex = JSON.stringify({
      session_id: "s",
      turn_id: "t",
      transcript_path: null,
      cwd: proj,
      hook_event_name: "PreToolUse",
      model: "m",
      permission_mode: "default",
      tool_name: "Bash",
      tool_input: { command: "rm .codex/hooks.json" },
      tool_use_id: "c3",
    });
    expect(decision("codex", codex, sb.dir).out).toMatch(/"permissionDecision":"deny"/);
  });

  it("patchPaths reads every file an apply_patch text names", () => {
    expect(
      patchPaths(
        "*** Begin Patch\n*** Update File: a.ts\n*** Move to: b.ts\n@@\n*** Delete File: c.ts\n*** Add File: d/e.ts\n*** End Patch",
      ),
    ).toEqual(["a.ts", "b.ts", "c.ts", "d/e.ts"]);
  });

  it("cwdsOf: every directory a command may run in; unknown for what it cannot know", () => {
    const ctx = { home: "/r/hp", cwd: "/r/p", userHome: "/u" };
    expect(cwdsOf("ls", ctx)).toEqual({ cwds: ["/r/p"], unknown: false });
    expect(cwdsOf("cd .. && ls", ctx).cwds.sort()).toEqual(["/r", "/r/p"]);
    expect(cwdsOf("cd src; cd ../..", ctx).cwds).toContain("/r");
    expect(cwdsOf("cd && ls", ctx).cwds).toContain("/u");
    expect(cwdsOf("env -C /x rm y", ctx).cwds).toContain("/x");
    expect(cwdsOf("tar --directory=/y -xf z", ctx).cwds).toContain("/y");
    for (const c of ['cd "$X"', "cd -", "popd", "CDPATH=.. cd hp", 'eval "cd .."', "cd ~bob"])
      expect(cwdsOf(c, ctx).unknown, c).toBe(true);
    expect(cwdsOf("pushd .. && popd", ctx).unknown).toBe(false);
  });

  it("reachesHome resolves relative paths from each directory; an unknown cd denies what could align with the home", () => {
    sb = sandbox();
    const home = sb.hookpackHome;
    const project = join(sb.dir, "project");
    mkdirSync(join(project, "build"), { recursive: true });
    mkdirSync(home, { recursive: true });
    const ctx = { home, cwd: project, userHome: sb.home };
    const name = home.split("/").pop()!;
    for (const c of [
      `cd .. && rm -rf ${name}`,
      `(cd ..; rm -rf ${name}/audit.log)`,
      `cd build/../.. && rm -rf ${name.slice(0, 4)}*`,
      `cd "$X" && rm -rf ${name}`,
      'cd "$X" && rm -rf *',
      "cd .. && git clean -fdx",
      "cd .. && find . -name x -delete",
    ])
      expect(reachesHome(c, ctx), c).toBeDefined();
    for (const c of [
      "cd build && rm -rf dist",
      'cd "$X" && rm -rf build',
      "cd build && git clean -fdx",
      "cd build && find . -name '*.o' -delete",
    ])
      expect(reachesHome(c, ctx), c).toBeUndefined();
  });

  it("interpreter code naming the home with a writing call is caught; other code is not", () => {
    const ctx = { home: "/r/hp", cwd: "/r/p", userHome: "/u" };
    for (const c of [
      `python3 -c "import shutil; shutil.rmtree('../hp')"`,
      `node -e "require('fs').rmSync(process.env.HOOKPACK_HOME, {recursive: true})"`,
      `perl -e 'unlink "/r/hp/audit.log"'`,
      `echo "import os; os.remove('/r/hp/x')" | python3`,
    ])
      expect(interpreterReachesHome(c, ctx), c).toBeDefined();
    for (const c of [
      "python3 -c 'print(1)'",
      `node -e "require('fs').rmSync('build', {recursive: true})"`,
      `python3 -c "print('hp')"`,
    ])
      expect(interpreterReachesHome(c, ctx), c).toBeUndefined();
    // The early-allow tests the fast allow stage shares: these are handed on, plain commands not.
    expect(mayRunCode("python3 -c 'x'")).toBe(true);
    expect(mayRunCode("node --version")).toBe(false);
    expect(mayChangeDirAndWrite("cd .. && rm -rf x")).toBe(true);
    expect(mayChangeDirAndWrite("cd src && ls")).toBe(false);
  });
});
