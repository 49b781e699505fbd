// Where `install --sandbox` meets the install plan: the agent's settings change gets the sandbox
// settings on top of the hook registrations, and installs.json records how to take them out again
// (before the hooks come out, so that an untouched file is restored byte for byte).
import { relative } from "node:path";
import type { Adapter, Scope } from "../adapters/adapter.js";
import { readJsonDocument } from "./json-edit.js";
import { readIfExists, type Plan } from "./plan.js";
import {
  codexConfigPath,
  codexProfileEntries,
  codexSandboxModeLayers,
  CODEX_PROFILE,
  homeUnderWritableRoot,
  withCodexSandbox,
  withoutCodexSandbox,
} from "./sandbox-codex.js";
import {
  addSandbox,
  claudeSandboxSpec,
  mergeReversal,
  missingSandboxPrograms,
  relocatedDirs,
  reverseSandbox,
  sandboxNotes,
  sandboxReversal,
  SANDBOX_AGENTS,
  type SandboxReversal,
} from "./sandbox.js";

/** Codex: two marked blocks in config.toml; `createdFile` when install created the file. */
export interface CodexSandboxRecord {
  kind: "codex-toml";
  createdFile: boolean;
}

export interface SandboxState {
  /** Per settings file: how to undo `--sandbox`. */
  sandbox?: Record<string, SandboxReversal | CodexSandboxRecord>;
}

function planCodexSandbox(
  scope: Scope,
  plan: Plan,
  state: SandboxState,
  ctx: {
    root: string;
    home: string;
    hookpackHome: string;
    env?: Readonly<Record<string, string | undefined>>;
  },
): string[] {
  const file = codexConfigPath(scope, ctx);
  const shown = scope === "user" ? file : relative(ctx.root, file);
  const change = [...plan].reverse().find((c) => c.path === file);
  const before = change ? (change.after ?? "") : (readIfExists(file) ?? "");
  const after = withCodexSandbox(
    before,
    shown,
    codexProfileEntries({
      home: ctx.home,
      hookpackHome: ctx.hookpackHome,
      projectScope: scope !== "user",
      relocated: relocatedDirs(ctx.env),
    }),
  );
  if (after !== before) {
    if (change) {
      change.after = after;
      change.summary = `${change.summary}, and select hookpack's Codex permission profile there`;
    } else {
      plan.push({
        path: file,
        before: readIfExists(file),
        after,
        summary: `select hookpack's Codex permission profile (sandbox) in ${shown}`,
      });
    }
    const old = state.sandbox?.[file];
    state.sandbox = {
      ...state.sandbox,
      [file]: {
        kind: "codex-toml",
        createdFile: old && "kind" in old ? old.createdFile : readIfExists(file) === null,
      },
    };
  }
  const notes = [
    `Codex CLI's sandbox: ${shown} now selects the permission profile "${CODEX_PROFILE}" (Codex's :workspace plus "none" for ${ctx.hookpackHome}, credential files and the agents' own credentials and transcripts: ~/.codex/auth.json, sessions, ~/.claude/.credentials.json, ~/.claude.json, …), because hookpack's hooks are text checks a determined shell user can evade, while Codex enforces the profile in the operating system (bubblewrap on Linux, Seatbelt on macOS). It applies once Codex trusts the project; \`$secret:\` references cannot be used from inside it (the brokered command cannot read hookpack's runtime).`,
  ];
  if (homeUnderWritableRoot(ctx.home))
    notes.push(
      `Your home is under a temporary directory Codex lets its commands write (${ctx.home}): there the profile denies only the files in ~/.codex that exist now (auth.json, sessions, databases); run this install again after your first Codex login or session.`,
    );
  const overriding = codexSandboxModeLayers(
    [codexConfigPath("user", ctx), codexConfigPath("project", ctx)].filter((f) => f !== file),
  );
  if (overriding.length > 0)
    notes.push(
      `${overriding.join(" and ")} set${overriding.length === 1 ? "s" : ""} sandbox_mode, which makes Codex ignore permission profiles: remove it there, or the profile does nothing.`,
    );
  return notes;
}

/** Adds the sandbox settings to the plan's change of `file`; returns what install should say. */
export function planSandbox(
  adapter: Adapter,
  scope: Scope,
  file: string,
  shown: string,
  plan: Plan,
  state: SandboxState,
  ctx: {
    root: string;
    home: string;
    hookpackHome: string;
    env?: Readonly<Record<string, string | undefined>>;
  },
): string[] {
  if (adapter.id === "codex") return planCodexSandbox(scope, plan, state, ctx);
  if (!(SANDBOX_AGENTS as readonly string[]).includes(adapter.id)) {
    return [
      `${adapter.displayName}: --sandbox has nothing to configure (hookpack cannot set up an OS sandbox for it; see the README's agent table), so it stays at "hooks only" against a hostile agent.`,
    ];
  }
  const change = [...plan].reverse().find((c) => c.path === file);
  if (!change) return [];
  const text = change.after ?? "";
  const edit = addSandbox(
    text,
    shown,
    claudeSandboxSpec({
      home: ctx.home,
      hookpackHome: ctx.hookpackHome,
      projectScope: scope !== "user",
      relocated: relocatedDirs(ctx.env),
    }),
  );
  const prior = state.sandbox?.[file];
  const old = prior && !("kind" in prior) ? prior : undefined;
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

/**
 * The settings text without `--sandbox`'s settings (forgetting the record); unchanged when there is
 * none. `created`: install created the file for them, so an emptied file goes.
 */
export function unsandbox(
  text: string,
  shown: string,
  file: string,
  state: SandboxState,
): { text: string; created: boolean } {
  const rev = state.sandbox?.[file];
  if (!rev)
    return { text: file.endsWith(".toml") ? withoutCodexSandbox(text) : text, created: false };
  delete state.sandbox![file];
  if (Object.keys(state.sandbox!).length === 0) delete state.sandbox;
  if ("kind" in rev) return { text: withoutCodexSandbox(text), created: rev.createdFile };
  return { text: reverseSandbox(text, shown, rev), created: false };
}
