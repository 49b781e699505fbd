// Aider: no hooks. It runs every /run, /test and suggested shell command as `$SHELL -c <cmd>`
// (Aider-AI/aider aider/run_cmd.py), so hookpack protects it by being that shell: the per-user
// runtime's hookpack-shell. This descriptor is what install, doctor and the shell wrapper know
// about Aider, in one place. Aider sends no payload; hookpack-shell (cli/shell.ts) turns each
// `-c <cmd>` into one for `pipeline` below, so the command goes through the same pipeline
// (hooks/pipeline.ts) as every hook agent's tool call.
// Checked against the aider repository (run_cmd.py at 1327c1e8); aider itself (PyPI) was not run here.
import type { Adapter } from "./adapter.js";
import { PayloadError } from "./adapter.js";
import type { AgentId, HookEvent, HookResponse } from "../hooks/event.js";

/** The payload hookpack-shell builds for one `-c <cmd>` (in process, never on a wire). */
export interface ShellPayload {
  command: string;
  cwd: string;
  /** Aider has no session or tool-call id: one synthetic session per command. */
  session: string;
}

export interface ShellAgent {
  id: string;
  displayName: string;
  checkedAgainst: string;
  /** The environment variable the agent runs its commands through. */
  shellVariable: string;
  /** The agent's own ignore file in the project root (gitignore syntax), which keeps files from its reads. */
  ignoreFile: string;
  /** Lines the ignore file gets besides the credential files: the agent's own state. */
  ignoreLines: readonly string[];
  /** Names of the agent's own files in the project root (by prefix): seeing one means it is used here. */
  stateFilePrefix: string;
  /** How to start the agent through `wrapper` (an already shell-quoted path). */
  startCommand(wrapper: string): string;
  /** What install tells the user, one line each; `command` is startCommand's result. */
  notes(command: string): string[];
  /**
   * The adapter hookpack-shell runs each command through: a before-tool shell event in, and out
   * exit code 0 with `{"command": …, "rewritten": bool}` on stdout (what to run), or exit code 2
   * (refused: hookpack-shell exits 126) with the reason on stderr.
   */
  pipeline: Adapter;
}

const str = (payload: Record<string, unknown>, key: keyof ShellPayload): string => {
  const v = payload[key];
  if (typeof v !== "string") throw new PayloadError(key, "expected a string");
  return v;
};

const denied = (reason: string): HookResponse => ({
  exitCode: 2,
  stdout: "",
  stderr: `${reason}\nhookpack-shell: the command was not run.\n`,
});

const aiderShell: Adapter = {
  // Aider is not a hook agent (not in AGENT_IDS): the id labels grants and audit entries only.
  id: "aider" as AgentId,
  displayName: "Aider",
  checkedAgainst: "aider/run_cmd.py (repository, 1327c1e8)",
  // A rewrite is what hookpack-shell runs; output is masked by the broker that runs it (no
  // after-tool event); hookpack-shell cannot ask the user anything.
  capabilities: { rewriteInput: true, replaceOutput: false, hooksReads: false, askUser: false },
  parse(payload) {
    if (typeof payload !== "object" || payload === null || Array.isArray(payload))
      throw new PayloadError("", "expected an object");
    const p = payload as Record<string, unknown>;
    const command = str(p, "command");
    const event: HookEvent = {
      kind: "before-tool",
      agent: "aider" as AgentId,
      session: { id: str(p, "session"), cwd: str(p, "cwd"), transcriptPath: undefined },
      tool: {
        kind: "shell",
        name: "aider shell",
        id: undefined,
        command,
        fields: [{ path: "command", value: command }],
      },
    };
    return { kind: "event", event };
  },
  classify: () => "before-tool",
  render(decision, event) {
    if (decision.kind === "deny") return denied(decision.reason);
    const original = event.kind === "before-tool" ? (event.tool.command ?? "") : "";
    const command = decision.patch?.command ?? original;
    return {
      exitCode: 0,
      stdout: JSON.stringify({ command, rewritten: command !== original }),
      stderr: "",
    };
  },
  // Open: run the command as given (empty stdout); closed: refuse it.
  renderFailure: (mode, message) =>
    mode === "closed" ? denied(message) : { exitCode: 0, stdout: "", stderr: `${message}\n` },
  // hookpack-shell's own payload (doctor checks Aider through installer/doctor/aider.ts instead).
  probe: {
    harmless: (cwd): ShellPayload => ({ command: "true", cwd, session: "hookpack-doctor" }),
    malformed: (cwd) => ({ cwd, session: "hookpack-doctor" }),
    refusal: (answer) =>
      answer.exitCode !== 0 ? answer.stderr.trim() || `exit code ${answer.exitCode}` : undefined,
  },
  // No hook config: Aider's protection is being started with hookpack-shell as its $SHELL.
  config: {
    format: "claude-settings-json",
    files: { project: "", local: "", user: "" },
    projectDirVariable: undefined,
    registrations: [],
  },
};

export const AIDER: ShellAgent = {
  id: "aider",
  displayName: "Aider",
  checkedAgainst: "aider/run_cmd.py (repository, 1327c1e8)",
  shellVariable: "SHELL",
  ignoreFile: ".aiderignore",
  ignoreLines: [".aider*"],
  stateFilePrefix: ".aider",
  startCommand: (wrapper) => `SHELL=${wrapper} aider`,
  pipeline: aiderShell,
  notes: (command) => [
    `Aider has no hooks, and hookpack writes no Aider config. Start it with hookpack-shell as its shell: ${command} …`,
    "Aider then runs every /run, /test and suggested shell command as `hookpack-shell -c <cmd>`: literal secrets are refused, $secret:NAME references are brokered, and output is masked. It runs on the node that installed hookpack (no `node` on PATH needed).",
    'hookpack-shell cannot ask for approval: give each secret aider may use "approval": "auto" and a "commands" list in hookpack.json. Aider reads files itself (/add, /read-only): .aiderignore now lists credential files (.env, keys, .netrc…) so Aider cannot add them; a file it was already given is not covered.',
  ],
};
