// Aider: no hooks. It runs every /run, /test and suggested shell command as `$SHELL -c <cmd>`
// (Aider-AI/aider aider/run_cmd.py), so hookpack protects it by being that shell: the per-user
// runtime's hookpack-shell. This descriptor is what install, doctor and the shell wrapper know
// about Aider, in one place; Aider is not an Adapter (there is no payload to parse or answer).
// Checked against the aider repository (run_cmd.py at 1327c1e8); aider itself (PyPI) was not run here.

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
}

export const AIDER: ShellAgent = {
  id: "aider",
  displayName: "Aider",
  checkedAgainst: "aider/run_cmd.py (repository, 1327c1e8)",
  shellVariable: "SHELL",
  ignoreFile: ".aiderignore",
  ignoreLines: [".aider*"],
  stateFilePrefix: ".aider",
  startCommand: (wrapper) => `SHELL=${wrapper} aider`,
  notes: (command) => [
    `Aider has no hooks, and hookpack writes no Aider config. Start it with hookpack-shell as its shell: ${command} …`,
    "Aider then runs every /run, /test and suggested shell command as `hookpack-shell -c <cmd>`: literal secrets are refused, $secret:NAME references are brokered, and output is masked. It runs on the node that installed hookpack (no `node` on PATH needed).",
    'hookpack-shell cannot ask for approval: give each secret aider may use "approval": "auto" and a "commands" list in hookpack.json. Aider reads files itself (/add, /read-only): .aiderignore now lists credential files (.env, keys, .netrc…) so Aider cannot add them; a file it was already given is not covered.',
  ],
};
