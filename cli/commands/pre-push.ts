// `hookpack pre-push [<remote> [<url>]]`: git's pre-push entry. Refs arrive on stdin; every pushed
// commit is scanned for added secrets and added agent-state paths. Run by hand (stdin a terminal),
// it scans what `git push` would send for the current branch.
import { managedValueMatcher } from "../../scanners/managed.js";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HookpackError } from "../../core/errors.js";
import { ALLOW_FILE } from "../../scanners/content.js";
import { GitError, gitText } from "../../scanners/git.js";
import {
  parsePushInput,
  PushInputError,
  REF_NAMES_PATH,
  scanPushRange,
  type PushFinding,
  type PushUpdate,
} from "../../scanners/push-range.js";
import { toGithub, type ReportItem } from "../../scanners/report.js";
import { hookpackHome } from "../context.js";
import type { Command, Io } from "../io.js";
import { loadAllowList } from "../allow-file.js";

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString("utf8");
}

/** The git top level containing cwd, or cwd itself outside git (as projectRoot, without blocking). */
async function topLevel(io: Io): Promise<string> {
  try {
    const out = await gitText(["rev-parse", "--show-toplevel"], {
      cwd: io.cwd,
      env: io.env,
      okCodes: [0, 128],
    });
    return out.trim() || io.cwd;
  } catch {
    return io.cwd;
  }
}

/** What `git push` would send for the current branch: HEAD against its upstream. */
async function currentBranchUpdate(
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ remote: string | undefined; updates: PushUpdate[] }> {
  const git = { cwd, env };
  const head = (await gitText(["rev-parse", "HEAD"], git)).trim();
  const branch = (
    await gitText(["symbolic-ref", "-q", "--short", "HEAD"], { ...git, okCodes: [0, 1] })
  ).trim();
  const zero = "0".repeat(head.length);
  if (!branch)
    return {
      remote: undefined,
      updates: [{ localRef: "HEAD", localOid: head, remoteRef: "HEAD", remoteOid: zero }],
    };
  const remote =
    (
      await gitText(["config", "--get", `branch.${branch}.remote`], { ...git, okCodes: [0, 1] })
    ).trim() || undefined;
  const merge =
    (
      await gitText(["config", "--get", `branch.${branch}.merge`], { ...git, okCodes: [0, 1] })
    ).trim() || `refs/heads/${branch}`;
  const upstream = (
    await gitText(["rev-parse", "-q", "--verify", "@{upstream}"], { ...git, okCodes: [0, 1, 128] })
  ).trim();
  return {
    remote,
    updates: [
      {
        localRef: `refs/heads/${branch}`,
        localOid: head,
        remoteRef: merge,
        remoteOid: /^[0-9a-f]+$/.test(upstream) ? upstream : zero,
      },
    ],
  };
}

const short = (oid: string) => oid.slice(0, 12);
/** Weak secret findings (a generic guess, a failed checksum) are reported but do not stop a push. */
const blocks = (f: PushFinding) => f.kind !== "secret" || f.confidence !== "weak";

function textReport(
  findings: PushFinding[],
  remote: string | undefined,
  refs: string[],
  commits: number,
  bytes: number,
  notes: string[],
  allowFile: string,
): string {
  const out: string[] = [];
  const kb =
    bytes < 1024 * 1024
      ? `${Math.ceil(bytes / 1024)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  out.push(
    `hookpack: pre-push${remote ? ` to ${remote}` : ""}: scanned ${commits} commit${commits === 1 ? "" : "s"} (${kb} of changes) for ${refs.join(", ") || "nothing to push"}.`,
  );
  for (const n of notes) out.push(`hookpack: note: ${n}`);
  if (findings.length === 0) return `${out.join("\n")}\n`;
  const byCommit = new Map<string, PushFinding[]>();
  for (const f of findings) byCommit.set(f.commit, [...(byCommit.get(f.commit) ?? []), f]);
  const blocking = findings.filter(blocks).length;
  if (blocking === 0)
    out.push(
      `hookpack: warning: ${findings.length} weak finding${findings.length === 1 ? "" : "s"} (generic guesses; the push goes on) in ${byCommit.size} commit${byCommit.size === 1 ? "" : "s"}:`,
    );
  else
    out.push(
      `hookpack: push blocked: ${findings.length} finding${findings.length === 1 ? "" : "s"} in ${byCommit.size} commit${byCommit.size === 1 ? "" : "s"}.`,
    );
  for (const [commit, list] of byCommit) {
    const first = list[0]!;
    out.push(
      commit === ""
        ? "hookpack:   the names of the refs being pushed"
        : first.ref && !first.subject
          ? `hookpack:   ${first.ref} (object ${short(commit)})`
          : `hookpack:   commit ${short(commit)} "${first.subject}"`,
    );
    for (const f of list) {
      if (f.kind === "secret") {
        out.push(
          `hookpack:     ${f.path}:${f.line}:${f.column}  ${f.label} [${f.ruleId}]${f.confidence === "weak" ? " (weak)" : ""} ${f.fingerprint}`,
        );
        if (f.preview) out.push(`hookpack:       + ${f.preview}`);
      } else {
        out.push(
          `hookpack:     ${f.path}  agent state or credential file added (${f.label}) [${f.ruleId}]`,
        );
      }
    }
  }
  if (blocking === 0)
    return `${out.join("\n")}\nhookpack: if one is real, revoke it and rewrite the commit; to silence one, add its fingerprint to ${allowFile}.\n`;
  // The oldest listed commit (ref names and pushed objects are not commits to rebase onto).
  const oldest = [...byCommit]
    .filter(([c, list]) => c !== "" && !list[0]!.ref)
    .map(([c]) => c)
    .pop();
  out.push(
    "hookpack: these are in the history being pushed, so a new commit that deletes them is not enough:",
    "hookpack:   1. revoke each secret that was ever pushed or shared elsewhere;",
    oldest
      ? `hookpack:   2. rewrite the listed commits: \`git rebase -i ${short(oldest)}^\` and edit each one (\`git rm --cached <file>\` for agent state), or for many commits \`git filter-repo --replace-text\` / \`--invert-paths --path <file>\`;`
      : "hookpack:   2. rename the listed refs, or delete and recreate the listed tags, without the value;",
    "hookpack:   3. keep agent state ignored (`hookpack install` adds it to .gitignore), then push again.",
    `hookpack: a false positive? put \`gitleaks:allow\` on that line, or add its fingerprint (or path:<glob>) to ${allowFile}. \`git push --no-verify\` skips every check.`,
  );
  return `${out.join("\n")}\n`;
}

export const prePush: Command = {
  name: "pre-push",
  options: [
    ["<remote> [<url>]", "what git passes the hook; refs arrive on stdin"],
    [
      "--range BASE..HEAD",
      "scan every commit of a range (CI: a pull request), even ones a remote has",
    ],
    ["--format text|json|github", "output format"],
    ["--allow-file FILE", "fingerprints and path:<glob> lines to ignore (default .hookpack-allow)"],
    ["--no-inline-allow", "ignore gitleaks:allow / secretlint-disable comments (for CI)"],
  ],
  example: 'hookpack pre-push --range "$BASE_SHA..$HEAD_SHA" --format github',
  summary: "git's pre-push hook: scan every commit being pushed for secrets and agent state",
  usage:
    "hookpack pre-push [<remote> [<url>]] [--range BASE..HEAD] [--format text|json|github] [--allow-file FILE] [--no-inline-allow]",
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        format: { type: "string", default: "text" },
        "allow-file": { type: "string" },
        "no-inline-allow": { type: "boolean", default: false },
        range: { type: "string" },
      },
      strict: true,
      allowPositionals: true,
    });
    const format = values.format!;
    if (!["text", "json", "github"].includes(format))
      throw new HookpackError(
        "USAGE",
        `hookpack: unknown format "${format}"; expected text, json or github.`,
      );
    const cwd = io.cwd;
    // git's pre-push input is read while git answers where the top level is (not one after the other).
    const piped = values.range === undefined && !io.stdin.isTTY ? readAll(io.stdin) : undefined;
    piped?.catch(() => undefined);
    const root = await topLevel(io);
    const allowFile = values["allow-file"]
      ? join(cwd, values["allow-file"])
      : join(root, ALLOW_FILE);
    const allow = loadAllowList(allowFile);
    try {
      let remote = positionals[0];
      let updates: PushUpdate[];
      let excludeRemotes = true;
      if (values.range !== undefined) {
        // CI: a pull request's commits, BASE..HEAD, whether or not a remote already has them.
        const m = /^([^.\s]+)\.\.([^.\s]+)$/.exec(values.range);
        if (!m)
          throw new HookpackError(
            "USAGE",
            `hookpack: --range "${values.range}" is not BASE..HEAD.`,
            'e.g. --range "$BASE_SHA..$HEAD_SHA" (the pull request\'s base and head commits).',
          );
        const [base, head] = [
          (
            await gitText(["rev-parse", "--verify", `${m[1]}^{commit}`], { cwd, env: io.env })
          ).trim(),
          (
            await gitText(["rev-parse", "--verify", `${m[2]}^{commit}`], { cwd, env: io.env })
          ).trim(),
        ];
        updates = [{ localRef: m[2]!, localOid: head, remoteRef: values.range, remoteOid: base }];
        excludeRemotes = false;
      } else if (io.stdin.isTTY) {
        const current = await currentBranchUpdate(cwd, io.env);
        remote ??= current.remote;
        updates = current.updates;
      } else {
        updates = parsePushInput(await piped!);
      }
      const result = await scanPushRange({
        cwd,
        env: io.env,
        remote,
        updates,
        allow,
        inlineAllow: !values["no-inline-allow"],
        // Read once git log has started (the hook cache's read overlaps git's start).
        loadExtraMatcher: () => managedValueMatcher(hookpackHome(io)),
        excludeRemotes,
      });
      // A ref name that holds a secret is never printed, logged or audited.
      const refs = result.findings.some((f) => f.path === REF_NAMES_PATH)
        ? ["(ref names withheld: one holds a secret)"]
        : updates.filter((u) => !/^0+$/.test(u.localOid)).map((u) => u.remoteRef);
      if (result.findings.some(blocks)) {
        const f = result.findings.filter(blocks);
        // The audit bundle loads only for a blocked push (a clean push never reads it).
        const { tryRecordAudit } = await import("../../broker/audit.js");
        tryRecordAudit(
          hookpackHome(io),
          {
            kind: "push-blocked",
            cwd: root,
            agent: io.env.HOOKPACK_AGENT || undefined,
            remote,
            refs,
            findings: f.length,
            rules: [...new Set(f.map((x) => x.ruleId))],
            fingerprints: [
              ...new Set(f.map((x) => x.fingerprint).filter((x): x is string => !!x)),
            ].slice(0, 50),
          },
          (m) => io.err(`${m}\n`),
        );
      }
      if (format === "json") {
        io.out(
          `${JSON.stringify({ version: 1, remote: remote ?? null, refs, commits: result.commits, bytes: result.bytes, objects: result.objects, excluded: result.excluded, notes: result.notes, findings: result.findings }, null, 2)}\n`,
        );
      } else if (format === "github") {
        const items: ReportItem[] = result.findings.map((f) => ({
          ruleId: f.ruleId,
          level: blocks(f) ? "error" : "warning",
          message: `${f.kind === "secret" ? f.label : `agent state or credential file added (${f.label})`} in commit ${short(f.commit)}${f.preview ? `: ${f.preview}` : ""}`,
          path: f.path,
          line: f.line,
          column: f.column,
          fingerprint: f.fingerprint,
        }));
        io.out(toGithub(items, "hookpack pre-push"));
      } else {
        io.err(
          textReport(
            result.findings,
            remote,
            refs,
            result.commits,
            result.bytes,
            result.notes,
            ALLOW_FILE,
          ),
        );
      }
      return result.findings.some(blocks) ? 1 : 0;
    } catch (error) {
      if (error instanceof PushInputError || error instanceof GitError) {
        throw new HookpackError(
          "PRE_PUSH_FAILED",
          `hookpack: pre-push could not scan the push (${error.message}); the push was stopped.`,
          "Fix the cause and push again, or skip every check once with `git push --no-verify`.",
        );
      }
      throw error;
    }
  },
};
