// `hookpack scan [PATH…] [--state] [--fix] [--format text|json|sarif]`: secrets in files and in
// the state AI agents leave behind (allow-lists, transcripts, persisted tool results, task
// outputs, histories). Values are never printed: names, rule labels, fingerprints, masked entries.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadHookCache, refreshHookCache } from "../../broker/hook-cache.js";
import { hookManagedSecrets } from "../../hooks/managed-secrets.js";
import { openStore, storePath } from "../../broker/store.js";
import { HookpackError } from "../../core/errors.js";
import { secretScanner, type SecretScanner } from "../../rules/secretlint.js";
import { warmUpPrefilter } from "../../scanners/content.js";
import { transformedFind } from "../../scanners/managed.js";
import { toSarif } from "../../scanners/report.js";
import { gitText } from "../../scanners/git.js";
import { treeFiles } from "../../scanners/tree-files.js";
import { entrySecrets, readAuditLog } from "../../broker/audit-verify.js";
import {
  describeStateFinding,
  scanStateFiles,
  stateReportItems,
  type StateScanResult,
} from "../../scanners/state-files.js";
import { homeDir, hookpackHome, projectRoot, VERSION } from "../context.js";
import type { Command, Io } from "../io.js";
import { passphrasePrompt } from "./secret-prompt.js";

const FORMATS = ["text", "json", "sarif"] as const;
type Format = (typeof FORMATS)[number];

const USAGE =
  "hookpack scan [PATH…] [--state] [--fix] [--format text|json|sarif]   (no PATH and no --state: the working tree)";

/** The hook cache is how every scanner finds managed values; build it once if only a store exists. */
async function ensureHookCache(io: Io, home: string): Promise<void> {
  if (loadHookCache(home) || !existsSync(storePath(home))) return;
  const store = await openStore({ home, env: io.env, askPassphrase: passphrasePrompt });
  if (store) refreshHookCache(home, store, io.env);
}

/** (secret, place) pairs the audit log already holds as exposures. */
function recordedExposures(home: string): Set<string> {
  const seen = new Set<string>();
  try {
    for (const r of readAuditLog(home).records) {
      const rec = r as { kind?: string; where?: string; secret?: string };
      if (rec.kind === "exposure-found" && rec.where)
        for (const n of entrySecrets(r)) seen.add(`${n}\0${rec.where}`);
    }
  } catch {
    // an unreadable log is reported by `audit --verify` and doctor; recording goes on
  }
  return seen;
}

/** The working tree under cwd, git-aware: tracked and untracked files, not ignored ones (outside git: every file but node_modules and .git). */
async function workingTreeFiles(io: Io): Promise<string[]> {
  try {
    const out = await gitText(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: io.cwd,
      env: io.env,
    });
    return [...new Set(out.split("\0").filter(Boolean))]
      .map((p) => resolve(io.cwd, p))
      .filter((p) => existsSync(p));
  } catch {
    return treeFiles(resolve(io.cwd));
  }
}

function textReport(result: StateScanResult, fix: boolean, state: boolean): string {
  const lines: string[] = [];
  lines.push(
    `hookpack: scan${state ? " --state" : ""}${fix ? " --fix" : ""}: ${result.files} file${result.files === 1 ? "" : "s"} checked.`,
  );
  for (const f of result.findings)
    lines.push(
      `hookpack: ${f.status === "fixed" ? "fixed  " : "found  "} ${f.path}:${f.line}:${f.column}  ${describeStateFinding(f, fix)} ${f.fingerprint}`,
    );
  for (const p of result.problems) lines.push(`hookpack: could not fix ${p.path}: ${p.message}`);
  for (const s of result.skipped) lines.push(`hookpack: skipped ${s.path} (${s.why})`);
  if (result.findings.length === 0) {
    lines.push("hookpack: no secret values found.");
    return `${lines.join("\n")}\n`;
  }
  const open = result.findings.filter((f) => f.status !== "fixed").length;
  lines.push(
    `hookpack: ${result.findings.length} finding${result.findings.length === 1 ? "" : "s"}; ${result.fixedFiles.length} file${result.fixedFiles.length === 1 ? "" : "s"} fixed; ${open} left.`,
  );
  if (!fix && result.findings.some((f) => f.rewritable))
    lines.push(
      "hookpack: run `hookpack scan --state --fix` to remove them (files are rewritten atomically, no backup keeps the value).",
    );
  const secrets = [...new Set(result.findings.flatMap((f) => (f.secret ? [f.secret] : [])))];
  if (secrets.length > 0) {
    lines.push(
      state
        ? `hookpack: ${secrets.join(", ")} reached an agent's records: consider rotating ${secrets.length === 1 ? "it" : "them"} (then \`hookpack secret set\`).`
        : `hookpack: the stored secret${secrets.length === 1 ? "" : "s"} ${secrets.join(", ")} ${secrets.length === 1 ? "is" : "are"} written in these files: replace the value${secrets.length === 1 ? "" : "s"} with $secret:${secrets[0]} (or \`hookpack secret import\` for a .env file), and rotate if a file was ever committed or shared.`,
    );
  }
  if (result.findings.some((f) => !f.secret))
    lines.push(
      "hookpack: detected secrets that hookpack does not manage were exposed too: rotate them at their issuer, store them with `hookpack secret set NAME`, and use $secret:NAME.",
    );
  return `${lines.join("\n")}\n`;
}

export const scan: Command = {
  name: "scan",
  options: [
    ["PATH…", "files or directories; none and no --state: the git working tree"],
    ["--state", "agents' allow-lists, transcripts, tool results and histories"],
    ["--fix", "with --state: clean them in place"],
    ["--format text|json|sarif", "output format"],
  ],
  example: "hookpack scan --state --fix",
  summary:
    "find secrets in files and in AI agents' state (allow-lists, transcripts, tool results); --fix cleans the state",
  usage: USAGE,
  async run(args, io: Io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        state: { type: "boolean", default: false },
        fix: { type: "boolean", default: false },
        format: { type: "string", default: "text" },
      },
      strict: true,
      allowPositionals: true,
    });
    const format = values.format as Format;
    if (!FORMATS.includes(format))
      throw new HookpackError(
        "USAGE",
        `hookpack: unknown --format "${values.format}".`,
        `use one of ${FORMATS.join(", ")}.`,
      );
    // No path and no --state: the working tree, the way gitleaks and secretlint do it.
    const workingTree = !values.state && positionals.length === 0;
    if (values.fix && !values.state)
      throw new HookpackError(
        "USAGE",
        "hookpack: --fix cleans agent state files; use it with --state.",
        USAGE,
      );
    const home = hookpackHome(io);
    await ensureHookCache(io, home);
    const hooked = hookManagedSecrets({ ...io.env, HOOKPACK_HOME: home }, { agent: "scan" });
    // An exposure is recorded once per (secret, place): a rescan of the same file adds nothing.
    const recorded = recordedExposures(home);
    const cached = loadHookCache(home)?.matcher;
    const shortest = cached?.minLength ?? 0;
    const managed = {
      ...hooked,
      // Every form the gates know (reversed, split into string pieces, wrapped, and both), not
      // only the encodings: a file is not a tool output the agent cannot shape.
      // The cache's own matcher: each pass finds a form as is and reversed at once.
      find: (text: string) =>
        cached && cached.size > 0 ? transformedFind(cached, text, shortest) : [],
      exposed: (names: readonly string[], where: string) => {
        const fresh = names.filter((n) => !recorded.has(`${n}\0${where}`));
        for (const n of fresh) recorded.add(`${n}\0${where}`);
        if (fresh.length > 0) hooked.exposed(fresh, where);
      },
    };
    const extra: string[] = workingTree ? await workingTreeFiles(io) : [];
    for (const p of positionals) {
      const abs = resolve(io.cwd, p);
      if (!existsSync(abs))
        throw new HookpackError("USAGE", `hookpack: ${abs} does not exist.`, "check the path.");
      extra.push(...(await treeFiles(abs)));
      if (extra.length === 0 || !extra.some((e) => e.startsWith(abs))) extra.push(abs);
    }
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    // A bulk scan, like pre-push and check-pack: the detection engine's own anchor pass is the
    // prefilter. The hook's prefilter (built for one small tool output) follows every `name = value`
    // in source code and was 54 % of a scan of 51 MB of node_modules text.
    warmUpPrefilter();
    const bulkScanner: SecretScanner = { ...secretScanner, mayContainSecret: () => true };
    const result = await scanStateFiles({
      roots: values.state
        ? {
            project: projectRoot(io),
            home: homeDir(io),
            tmp: io.env.TMPDIR ? resolve(io.env.TMPDIR) : tmpdir(),
          }
        : { project: undefined, home: undefined, tmp: undefined },
      uid,
      fix: values.fix,
      scanner: bulkScanner,
      managed,
      extra,
    });
    if (format === "json") {
      io.out(
        `${JSON.stringify({ version: VERSION, fix: values.fix, files: result.files, findings: result.findings, fixedFiles: result.fixedFiles, problems: result.problems, skipped: result.skipped }, null, 2)}\n`,
      );
    } else if (format === "sarif") {
      io.out(
        toSarif(stateReportItems(result, values.fix), VERSION, values.state ? "state" : "scan", {
          root: projectRoot(io),
        }),
      );
    } else {
      io.out(textReport(result, values.fix, values.state));
    }
    return result.findings.some((f) => f.status !== "fixed") || result.problems.length > 0 ? 1 : 0;
  },
};
