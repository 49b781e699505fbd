// The agent's own deny/ask rules for its shell tool, as data: an adapter reads them from the
// agent's settings (Adapter.permissionRules), the rules apply them to the command as the model
// wrote it (rules/agent-permissions.ts).

/** One rule as the agent's settings spell it, and where it was found. */
export interface PermissionRule {
  /** As written in the settings file: `Bash(curl:*)`. */
  rule: string;
  /** Where it was found, for the message. */
  source: string;
}

/** The agent's deny and ask rules for its shell tool. */
export interface PermissionRules {
  deny: PermissionRule[];
  ask: PermissionRule[];
}
