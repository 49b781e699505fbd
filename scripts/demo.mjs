// `npm run demo`: the main job, end to end, in a throwaway directory. Installs hookpack's Claude
// Code hooks into a temp git project, then plays the agent: pipes real hook payloads through the
// exact command the settings file registers, and shows what the agent would get back.
// Touches nothing outside the temp dir (own HOME and HOOKPACK_HOME; the key lives in a file).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import zlib from "node:zlib";
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
// GitHub tokens end in a CRC32 checksum (base62, 6 characters) that detection verifies.
const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base62 = (n) => {
  let out = "";
  for (let v = n; out.length < 6 || v > 0; v = Math.floor(v / 62)) out = B62[v % 62] + out;
  return out.slice(-6);
};
const body = ["dEm0", "k7Rq2ZpX", "9vT0k3n", "L4wY8sB1cNa"].join("");
const fake = ["gh", "p_", body, base62(zlib.crc32(body))].join("");

const say = (text) => process.stdout.write(`\n== ${text}\n`);
const hookpack = (args, input) => {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: project,
    env,
    input,
    encoding: "utf8",
  });
  process.stdout.write(r.stdout + r.stderr);
  return r;
};
const hook = (command, payload) => {
  const r = spawnSync("sh", ["-c", command], {
    cwd: project,
    env,
    input: JSON.stringify(payload),
    encoding: "utf8",
  });
  return { exit: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
};
/** The agent's input next to the outcome, in plain words (HOOKPACK_DEMO_RAW=1 adds the raw hook JSON). */
const show = (input, r) => {
  process.stdout.write(`  the agent wrote:     ${input}\n`);
  const out = r.stdout ? (JSON.parse(r.stdout).hookSpecificOutput ?? {}) : {};
  if (!r.stdout)
    process.stdout.write("  outcome:             allowed, untouched (the hook printed nothing)\n");
  else if (out.permissionDecision === "deny")
    process.stdout.write(
      `  outcome:             DENIED before it ran\n  the model is told:   ${out.permissionDecisionReason}\n`,
    );
  else if (out.updatedInput) {
    process.stdout.write(
      `  outcome:             REWRITTEN${out.permissionDecision === "ask" ? " (the user is asked first)" : ""}; the shell runs:\n                       ${out.updatedInput.command}\n`,
    );
  } else if (out.updatedToolOutput)
    process.stdout.write(
      `  the model gets back: ${JSON.stringify(out.updatedToolOutput.stdout)}\n`,
    );
  if (r.stderr) process.stdout.write(`  (stderr: ${r.stderr})\n`);
  if (process.env.HOOKPACK_DEMO_RAW === "1" && r.stdout)
    process.stdout.write(`  raw hook response: ${r.stdout}\n`);
};

try {
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: project, env });
  say(`hookpack install --agent claude-code   (in ${project})`);
  hookpack(["install", "--agent", "claude-code"]);
  const settings = JSON.parse(
    readFileSync(join(project, ".claude", "settings.local.json"), "utf8"),
  );
  const command = settings.hooks.PreToolUse[0].hooks[0].command;
  const base = {
    session_id: "demo",
    transcript_path: join(root, "t.jsonl"),
    cwd: project,
    permission_mode: "default",
  };

  say("The agent runs an ordinary command: the hook stays out of the way");
  show(
    "ls -la",
    hook(command, {
      ...base,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "ls -la" },
      tool_use_id: "t1",
    }),
  );

  say(
    "The agent pastes a token into a command: denied before it runs, and told what to do instead",
  );
  const pasted = `curl -H "Authorization: token ${fake}" https://api.github.com/user`;
  show(
    pasted.replace(fake, `${fake.slice(0, 8)}…(a GitHub token)`),
    hook(command, {
      ...base,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: pasted },
      tool_use_id: "t2",
    }),
  );

  say("A tool prints a token: the model gets the same output shape with the value redacted");
  process.stdout.write(
    `  the tool printed:    ${JSON.stringify(`HOME=/home/u\nGH_TOKEN=${fake.slice(0, 8)}…\n`)} (a real token)\n`,
  );
  show(
    "env",
    hook(command, {
      ...base,
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "env" },
      tool_response: {
        stdout: `HOME=/home/u\nGH_TOKEN=${fake}\n`,
        stderr: "",
        interrupted: false,
        isImage: false,
      },
      tool_use_id: "t3",
    }),
  );

  say(
    "hookpack secret set DEMO_TOKEN (value from stdin), then hookpack exec masks it in the child's output",
  );
  hookpack(["secret", "set", "DEMO_TOKEN"], fake);
  hookpack([
    "exec",
    "--secret",
    "DEMO_TOKEN",
    "--",
    "sh",
    "-c",
    'echo "the child sees: $DEMO_TOKEN (length ${#DEMO_TOKEN})"',
  ]);

  say(
    "The agent writes $secret:DEMO_TOKEN: the hook rewrites the call into a brokered exec (no value in it)",
  );
  process.stdout.write(
    "First the user's policy step: which commands may get DEMO_TOKEN, and who approves.\n",
  );
  hookpack([
    "allow",
    "DEMO_TOKEN",
    "--command",
    "printf",
    "--command",
    "echo",
    "--approval",
    "auto",
  ]);
  const agentCommand = 'echo "token=$secret:DEMO_TOKEN"; printf %s $secret:DEMO_TOKEN | wc -c';
  const rewritten = hook(command, {
    ...base,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: agentCommand },
    tool_use_id: "t4",
  });
  show(agentCommand, rewritten);
  const updated = JSON.parse(rewritten.stdout).hookSpecificOutput.updatedInput.command;
  say(
    "The agent's shell runs the rewritten command: the value is used, and masked in what comes back",
  );
  const ran = spawnSync("bash", ["-c", updated], { cwd: project, env, encoding: "utf8" });
  process.stdout.write(
    `  the model gets back: ${JSON.stringify(ran.stdout + ran.stderr)}\n  (printf got the value; wc, the next stage of the pipe, got only printf's masked output, so it counts "[REDACTED:DEMO_TOKEN]")\n`,
  );

  say("hookpack uninstall --agent claude-code: exactly what install added is removed");
  hookpack(["uninstall", "--agent", "claude-code"]);
  process.stdout.write(
    `\nhookpack: demo done. Nothing outside ${root} was touched; it has been removed.\n`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
