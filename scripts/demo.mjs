// `npm run demo`: the main job, end to end, in a throwaway directory. Installs hookpack's Claude
// Code hooks into a temp git project, then plays the agent: pipes real hook payloads through the
// exact command the settings file registers, and shows what the agent would get back.
// Touches nothing outside the temp dir (own HOME and HOOKPACK_HOME; the key lives in a file).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(repo, "dist", "hookpack.cjs");
const root = mkdtempSync(join(tmpdir(), "hookpack-demo-"));
const project = join(root, "project");
mkdirSync(project);
const env = {
  PATH: process.env.PATH,
  HOME: join(root, "home"),
  HOOKPACK_HOME: join(root, "hookpack-home"),
  HOOKPACK_KEY_BACKEND: "file",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: join(root, "gitconfig"),
  NO_COLOR: "1",
};
// A token-shaped fake, assembled here so no such string sits in the repository.
const fake = ["gh", "p_", "dEm0", "x".repeat(8), "T0k3n", "Q".repeat(19)].join("");

const say = (text) => process.stdout.write(`\n== ${text}\n`);
const hookpack = (args, input) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: project, env, input, encoding: "utf8" });
  process.stdout.write(r.stdout + r.stderr);
  return r;
};
const hook = (command, payload) => {
  const r = spawnSync("sh", ["-c", command], { cwd: project, env, input: JSON.stringify(payload), encoding: "utf8" });
  return { exit: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
};
const show = (r) => {
  process.stdout.write(`exit ${r.exit}; stdout: ${r.stdout ? JSON.stringify(JSON.parse(r.stdout), null, 2) : "(empty: the call proceeds untouched)"}\n`);
  if (r.stderr) process.stdout.write(`stderr: ${r.stderr}\n`);
};

try {
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: project, env });
  say(`hookpack install --agent claude-code   (in ${project})`);
  hookpack(["install", "--agent", "claude-code"]);
  const settings = JSON.parse(readFileSync(join(project, ".claude", "settings.local.json"), "utf8"));
  const command = settings.hooks.PreToolUse[0].hooks[0].command;
  const base = { session_id: "demo", transcript_path: join(root, "t.jsonl"), cwd: project, permission_mode: "default" };

  say("The agent runs an ordinary command: the hook stays out of the way");
  show(hook(command, { ...base, hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: "ls -la" }, tool_use_id: "t1" }));

  say("The agent pastes a token into a command: denied before it runs, and told what to do instead");
  show(hook(command, { ...base, hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: `curl -H "Authorization: token ${fake}" https://api.github.com/user` }, tool_use_id: "t2" }));

  say("A tool prints a token: the model gets the same output shape with the value redacted");
  show(hook(command, { ...base, hook_event_name: "PostToolUse", tool_name: "Bash", tool_input: { command: "env" }, tool_response: { stdout: `HOME=/home/u\nGH_TOKEN=${fake}\n`, stderr: "", interrupted: false, isImage: false }, tool_use_id: "t3" }));

  say("hookpack secret set DEMO_TOKEN (value from stdin), then hookpack exec masks it in the child's output");
  hookpack(["secret", "set", "DEMO_TOKEN"], fake);
  hookpack(["exec", "--secret", "DEMO_TOKEN", "--", "sh", "-c", 'echo "the child sees: $DEMO_TOKEN (length ${#DEMO_TOKEN})"']);

  say("The agent writes $secret:DEMO_TOKEN: the hook rewrites the call into a brokered exec (no value in it)");
  writeFileSync(
    join(project, "hookpack.json"),
    `${JSON.stringify({ version: 1, secrets: { DEMO_TOKEN: { provider: "store", commands: ["printf", "echo"], approval: "auto" } } }, null, 2)}\n`,
  );
  process.stdout.write("hookpack.json allows DEMO_TOKEN for printf and echo, without a prompt.\n");
  const agentCommand = 'echo "token=$secret:DEMO_TOKEN"; printf %s $secret:DEMO_TOKEN | wc -c';
  const rewritten = hook(command, { ...base, hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: agentCommand }, tool_use_id: "t4" });
  show(rewritten);
  const updated = JSON.parse(rewritten.stdout).hookSpecificOutput.updatedInput.command;
  say("The agent's shell runs the rewritten command: the value is used, and masked in what comes back");
  const ran = spawnSync("bash", ["-c", updated], { cwd: project, env, encoding: "utf8" });
  process.stdout.write(ran.stdout + ran.stderr);

  say("hookpack uninstall --agent claude-code: exactly what install added is removed");
  hookpack(["uninstall", "--agent", "claude-code"]);
  process.stdout.write(`\nhookpack: demo done. Nothing outside ${root} was touched; it has been removed.\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
