// `hookpack policy status | approve`: the user approves the project policy in their own terminal.
// An agent can edit hookpack.json, but the edit takes effect only once approved here; approving
// needs a terminal to answer on (an agent's shell tool has none), and shows what changed.
import { createInterface } from "node:readline";
import {
  approvedText,
  approvePolicy,
  approvePolicyRemoval,
  lineDiff,
  policyInForce,
} from "../../broker/policy-approval.js";
import { HookpackError } from "../../core/errors.js";
import { hookpackHome } from "../context.js";
import type { Command } from "../io.js";

const USAGE = "hookpack policy status | approve";

export const policy: Command = {
  name: "policy",
  summary:
    "show whether the project policy (hookpack.json) in force is the one you approved; approve a changed one",
  usage: USAGE,
  async run(args, io) {
    const home = hookpackHome(io);
    const verb = args[0];
    if (verb !== "status" && verb !== "approve")
      throw new HookpackError(
        "USAGE",
        `hookpack: unknown policy command "${verb ?? ""}".`,
        `usage: ${USAGE}`,
      );
    const state = policyInForce(home, io.cwd);
    if (verb === "status") {
      if (state.state === "none")
        io.out(
          `hookpack: there is no ${state.path}; the built-in default applies (every use of a stored secret asks you).\n`,
        );
      else if (state.state === "approved")
        io.out(`hookpack: ${state.path} is in force as you approved it.\n`);
      else if (state.removed)
        io.out(
          `hookpack: ${state.path} is gone or cannot be read; your last approved version applies until you approve its removal with \`hookpack policy approve\` in your terminal.\n`,
        );
      else
        io.out(
          `hookpack: ${state.path} has changes you have not approved; ${state.text === undefined ? "the built-in default applies (every use asks you)" : "your last approved version applies"}. Run \`hookpack policy approve\` in your terminal to review them.\n`,
        );
      return state.state === "pending" ? 1 : 0;
    }
    if (state.state === "none")
      throw new HookpackError(
        "POLICY_MISSING",
        `hookpack: there is no ${state.path} to approve.`,
        "create it (`hookpack install` writes a starter policy), then approve it.",
      );
    if (state.state === "approved") {
      io.out(`hookpack: ${state.path} is already approved; nothing changed.\n`);
      return 0;
    }
    if (!io.stdin.isTTY) {
      throw new HookpackError(
        "NO_TERMINAL",
        `hookpack: approving ${state.path} needs your answer in a terminal, and stdin is not one. Nothing was approved.`,
        "run `hookpack policy approve` yourself in a terminal (an agent cannot approve its own policy changes).",
      );
    }
    const before = approvedText(home, io.cwd) ?? "";
    const { readFileSync } = await import("node:fs");
    const after = state.removed ? "" : readFileSync(state.path, "utf8");
    io.out(
      state.removed
        ? `hookpack: ${state.path} is gone or cannot be read; approving its removal drops the policy you approved (- approved) and the built-in default applies (every use asks you):\n${lineDiff(before, after)}\n`
        : `hookpack: changes to ${state.path} since you last approved it (- approved, + now):\n${lineDiff(before, after)}\n`,
    );
    const rl = createInterface({ input: io.stdin, output: process.stderr });
    const answer = await new Promise<string>((res) =>
      rl.question("hookpack: approve this policy? [y/N] ", res),
    );
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.out("hookpack: not approved; the previous version stays in force.\n");
      return 1;
    }
    if (state.removed) {
      approvePolicyRemoval(home, io.cwd);
      io.out(`hookpack: approved the removal of ${state.path}; the built-in default applies.\n`);
      return 0;
    }
    approvePolicy(home, io.cwd);
    io.out(`hookpack: approved ${state.path}.\n`);
    return 0;
  },
};
