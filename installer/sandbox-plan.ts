// Where `install --sandbox` meets the install plan: the agent's settings change gets the sandbox
// settings on top of the hook registrations, and installs.json records how to take them out again
// (before the hooks come out, so that an untouched file is restored byte for byte).
import type { Adapter, Scope } from "../adapters/adapter.js";
import { readJsonDocument } from "./json-edit.js";
import type { Plan } from "./plan.js";
import { addSandbox, claudeSandboxSpec, mergeReversal, missingSandboxPrograms, reverseSandbox, sandboxNotes, sandboxReversal, SANDBOX_AGENTS, type SandboxReversal } from "./sandbox.js";

export interface SandboxState {
  /** Per settings file: how to undo `--sandbox`. */
  sandbox?: Record<string, SandboxReversal>;
}

/** Adds the sandbox settings to the plan's change of `file`; returns what install should say. */
export function planSandbox(adapter: Adapter, scope: Scope, file: string, shown: string, plan: Plan, state: SandboxState, ctx: { home: string; hookpackHome: string }): string[] {
  if (!(SANDBOX_AGENTS as readonly string[]).includes(adapter.id)) {
    return [`${adapter.displayName}: --sandbox has nothing to configure (hookpack cannot set up an OS sandbox for it; see the README's agent table), so it stays at "hooks only" against a hostile agent.`];
  }
  const change = [...plan].reverse().find((c) => c.path === file);
  if (!change) return [];
  const text = change.after ?? "";
  const edit = addSandbox(text, shown, claudeSandboxSpec({ home: ctx.home, hookpackHome: ctx.hookpackHome, projectScope: scope !== "user" }));
  const old = state.sandbox?.[file];
  if (edit.text !== text) {
    const rev = sandboxReversal(text, edit.text, edit);
    state.sandbox = { ...state.sandbox, [file]: old ? mergeReversal(old, rev) : rev };
    change.after = edit.text;
    change.summary = `${change.summary}, and configure Claude Code's sandbox there`;
  }
  return sandboxNotes({
    shown,
    hookpackHome: ctx.hookpackHome,
    previous: { ...edit.previous, ...old?.previous },
    missing: missingSandboxPrograms(process.env),
    platform: process.platform,
    userSettings: readJsonDocument(edit.text, shown).value,
  });
}

/** The settings text without `--sandbox`'s settings (forgetting the record); unchanged when there is none. */
export function unsandbox(text: string, shown: string, file: string, state: SandboxState): string {
  const rev = state.sandbox?.[file];
  if (!rev) return text;
  delete state.sandbox![file];
  if (Object.keys(state.sandbox!).length === 0) delete state.sandbox;
  return reverseSandbox(text, shown, rev);
}
