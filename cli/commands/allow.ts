// `hookpack allow NAME [--command PROG]… [--host HOST]… [--approval auto|ask|once]`: write one
// secret's entry into the project policy (hookpack.json) as a minimal JSON edit, checked against
// the policy schema before anything is written. Creates the starter policy when there is none.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../core/fs-safe.js";
import { HookpackError } from "../../core/errors.js";
import { readJsonDocument, setJson, setObjectMember } from "../../installer/json-edit.js";
import { STARTER_POLICY } from "../../installer/policy-file.js";
import { NAME_RE } from "../../broker/store.js";
import { POLICY_FILE, URL_TOOLS, parsePolicy, PolicyError } from "../../rules/policy.js";
import { hookpackHome, projectRoot } from "../context.js";
import type { Command, Io } from "../io.js";

const USAGE =
  "hookpack allow NAME [--command PROG]… [--host HOST]… [--approval auto|ask|once] [--dry-run]";

/** The hookpack.json in force for cwd (the nearest up to the git top level), or where to create it. */
function policyPath(io: Io): { path: string; exists: boolean } {
  let dir = resolve(io.cwd);
  const root = projectRoot(io);
  for (;;) {
    const candidate = join(dir, POLICY_FILE);
    if (existsSync(candidate)) return { path: candidate, exists: true };
    if (dir === root || existsSync(join(dir, ".git")) || dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  return { path: join(root, POLICY_FILE), exists: false };
}

export const allow: Command = {
  name: "allow",
  options: [
    ["--command PROG", "a program that may receive it (repeatable; none: any program)"],
    ["--host HOST", "with curl, wget, httpie/xh or gh api: destination hosts (repeatable)"],
    ["--approval auto|ask|once", "who approves each use (default ask)"],
    ["--dry-run", "say what would change; write nothing"],
  ],
  example: "hookpack allow GITHUB_TOKEN --command gh --host api.github.com --approval once",
  summary:
    "declare a secret in the project policy (hookpack.json): which commands and hosts get it, and who approves",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        command: { type: "string", multiple: true },
        host: { type: "string", multiple: true },
        approval: { type: "string" },
        "dry-run": { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    const name = positionals[0];
    if (!name || positionals.length > 1)
      throw new HookpackError(
        "USAGE",
        "hookpack: `allow` takes one secret NAME.",
        `usage: ${USAGE}`,
      );
    if (!NAME_RE.test(name))
      throw new HookpackError(
        "USAGE",
        `hookpack: "${name}" is not a valid secret name.`,
        "use letters, digits and underscores, not starting with a digit (e.g. GITHUB_TOKEN).",
      );
    const approval = values.approval ?? "ask";
    if (!["auto", "ask", "once"].includes(approval))
      throw new HookpackError(
        "USAGE",
        `hookpack: --approval "${approval}" is not one of auto, ask, once.`,
        `usage: ${USAGE}`,
      );
    const programs = values.command ?? [];
    const hosts = values.host ?? [];
    if (hosts.length > 0 && programs.length === 0)
      throw new HookpackError(
        "USAGE",
        "hookpack: --host limits a --command; name the command too.",
        `e.g. hookpack allow ${name} --command curl --host api.example.com`,
      );
    const noHosts = programs.filter((p) => !URL_TOOLS.has(p));
    if (hosts.length > 0 && noHosts.length > 0) {
      throw new HookpackError(
        "USAGE",
        `hookpack: --host applies only to commands whose destination hookpack can read (${[...URL_TOOLS].join(", ")}), not ${noHosts.join(", ")}.`,
        "run `allow` once per kind of command.",
      );
    }
    const commands = programs.map((program) => (hosts.length > 0 ? { program, hosts } : program));
    const entry = { ...(commands.length > 0 ? { commands } : {}), approval };

    const { path, exists } = policyPath(io);
    const before = exists ? readFileSync(path, "utf8") : STARTER_POLICY;
    const doc = readJsonDocument(before, path);
    const had =
      typeof doc.value.secrets === "object" &&
      doc.value.secrets !== null &&
      name in (doc.value.secrets as object);
    const after =
      typeof doc.value.secrets === "object" &&
      doc.value.secrets !== null &&
      !Array.isArray(doc.value.secrets)
        ? setObjectMember(before, ["secrets"], name, entry)
        : setJson(before, ["secrets", name], entry);
    try {
      await parsePolicy(after, path);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      throw new HookpackError(
        "POLICY_INVALID",
        `hookpack: ${error.message}; nothing was written.`,
        exists
          ? `fix ${path} by hand (\`hookpack doctor\` explains it), or check the --command and --host values.`
          : "check the --command and --host values.",
      );
    }
    const what = `${commands.length > 0 ? `commands ${programs.join(", ")}${hosts.length > 0 ? ` (hosts ${hosts.join(", ")})` : ""}` : "any command"}, approval ${approval}`;
    if (values["dry-run"]) {
      io.out(
        `hookpack: would ${had ? "replace" : "add"} the entry for ${name} in ${path}: ${what}.\n`,
      );
      return 0;
    }
    // The policy in force is the one the user approved (issue 14): what `allow` writes is approved
    // with it when everything else in the file already was (an agent running `allow` needs the
    // user's approval in the agent's own prompt); other pending changes still need `policy approve`.
    const { approvePolicy, policyInForce } = await import("../../broker/policy-approval.js");
    const home = hookpackHome(io);
    // A file the agent removed while an approval is on record is pending, not "none": `allow`
    // writing a fresh one must not approve it (that would swap the approved policy for one entry).
    const inForce = policyInForce(home, dirname(path)).state;
    const wasApproved = inForce === "approved" || inForce === "none";
    writeFileAtomic(path, after, exists ? statSync(path).mode & 0o777 : 0o644);
    if (wasApproved) approvePolicy(home, dirname(path));
    io.out(
      `hookpack: ${had ? "replaced" : "added"} the entry for ${name} in ${path}${exists ? "" : " (created)"}: ${what}.\n`,
    );
    if (!wasApproved)
      io.out(
        `hookpack: ${path} also has changes you have not approved, so this entry applies after \`hookpack policy approve\` (it shows the diff).\n`,
      );
    io.out(
      `hookpack: commit ${POLICY_FILE} so that everyone working on this project gets the same policy.\n`,
    );
    return 0;
  },
};
