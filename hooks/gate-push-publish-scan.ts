// The scanning half of the push/publish gate (its own bundle, loaded only when a command pushes or
// publishes): what `git push` / `npm publish` / `npm pack` would send, scanned exactly as the git
// pre-push hook and `hookpack check-pack` scan it (scanners/push-range.ts, scanners/pack.ts), with
// managed values found in every encoding the masker knows, reversed and split (scanners/managed.ts).
// The rule (rules/gate-push-publish.ts) decides; this runs git, npm pack and tar at the hook's edge,
// handed to it as `context.scanGated` (hooks/pipeline.ts).
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  ALLOW_FILE,
  EMPTY_ALLOW_LIST,
  readAllowFile,
  type AllowList,
} from "../scanners/content.js";
import { gitText } from "../scanners/git.js";
import { managedValueMatcher } from "../scanners/managed.js";
import { npmPack, scanTarball } from "../scanners/pack.js";
import { scanPushRange, type PushUpdate } from "../scanners/push-range.js";
import type { GatedCall } from "../rules/read-guard-shell.js";
import type { GateResult } from "../rules/rule.js";

/** git push's own options that take a value as the next word. */
const PUSH_VALUE_OPTS = new Set([
  "-o",
  "--push-option",
  "--receive-pack",
  "--exec",
  "--repo",
  "--force-with-lease",
]);

function allowList(root: string): AllowList {
  const { list, errors } = readAllowFile(join(root, ALLOW_FILE));
  return errors.length > 0 ? EMPTY_ALLOW_LIST : list;
}

async function pushUpdates(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ remote: string | undefined; updates: PushUpdate[] }> {
  const git = { cwd, env };
  const positionals: string[] = [];
  let all = false;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (a === "--") {
      positionals.push(...args.slice(k + 1));
      break;
    }
    if (a.startsWith("-")) {
      if (/^--(all|mirror|tags|follow-tags|branches)$/.test(a)) all = true;
      if (PUSH_VALUE_OPTS.has(a) && !(a === "--force-with-lease")) k++;
      continue;
    }
    positionals.push(a);
  }
  const oidOf = async (rev: string) =>
    (
      await gitText(["rev-parse", "--verify", "--quiet", `${rev}^{object}`], {
        ...git,
        okCodes: [0, 1, 128],
      })
    ).trim();
  const head = (
    await gitText(["rev-parse", "--verify", "--quiet", "HEAD"], { ...git, okCodes: [0, 1, 128] })
  ).trim();
  const zero = "0".repeat(head.length || 40);
  const branch = (
    await gitText(["symbolic-ref", "-q", "--short", "HEAD"], { ...git, okCodes: [0, 1] })
  ).trim();
  const remote =
    positionals[0] ??
    ((branch &&
      (
        await gitText(["config", "--get", `branch.${branch}.remote`], { ...git, okCodes: [0, 1] })
      ).trim()) ||
      undefined);
  const updates: PushUpdate[] = [];
  const everything = async () => {
    const refs = await gitText(
      ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"],
      git,
    );
    for (const line of refs.split("\n").filter(Boolean)) {
      const [oid, ref] = line.split(" ");
      updates.push({ localRef: ref!, localOid: oid!, remoteRef: ref!, remoteOid: zero });
    }
    if (head)
      updates.push({ localRef: "HEAD", localOid: head, remoteRef: "HEAD", remoteOid: zero });
  };
  const refspecs = positionals.slice(1);
  if (all) await everything();
  else if (refspecs.length === 0) {
    if (head)
      updates.push({
        localRef: branch ? `refs/heads/${branch}` : "HEAD",
        localOid: head,
        remoteRef: branch ? `refs/heads/${branch}` : "HEAD",
        remoteOid: zero,
      });
  } else {
    for (const spec of refspecs) {
      const src = spec.replace(/^\+/, "").split(":")[0]!;
      if (src === "") continue; // a deletion (`:branch`) sends nothing
      const oid = /[*]/.test(src) ? "" : await oidOf(src);
      if (!oid) {
        // A pattern or a name git resolves differently: scan every branch and tag instead.
        updates.length = 0;
        await everything();
        break;
      }
      updates.push({
        localRef: src,
        localOid: oid,
        remoteRef: spec.split(":")[1] ?? src,
        remoteOid: zero,
      });
    }
  }
  return { remote, updates };
}

async function scanPush(
  call: Extract<GatedCall, { kind: "git-push" }>,
  home: string | undefined,
  env: NodeJS.ProcessEnv,
  out: GateResult,
): Promise<void> {
  // The call's own GIT_DIR / GIT_WORK_TREE (from --git-dir, a prefix, env or export) decide which repository is pushed.
  const gitEnv = { ...env, ...call.env };
  let args = call.args;
  if (args[0] === "--hookpack-alias") {
    // `git <name>` where <name> may be an alias for push.
    const alias = (
      await gitText(["config", "--get", `alias.${args[1]}`], {
        cwd: call.cwd,
        env: gitEnv,
        okCodes: [0, 1, 128],
      })
    ).trim();
    if (!/(^|\s|!)(git\s+)?push\b/.test(alias)) return;
    args = alias
      .replace(/^!?\s*(git\s+)?push\b/, "")
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  }
  let root = (
    await gitText(["rev-parse", "--show-toplevel"], {
      cwd: call.cwd,
      env: gitEnv,
      okCodes: [0, 128],
    })
  ).trim();
  if (!root) {
    // A bare repository (or a GIT_DIR without a work tree) pushes as well: git runs from the call's directory.
    const gitDir = (
      await gitText(["rev-parse", "--git-dir"], { cwd: call.cwd, env: gitEnv, okCodes: [0, 128] })
    ).trim();
    if (!gitDir) return; // not a repository: git push fails on its own
    root = call.cwd;
  }
  const { remote, updates } = await pushUpdates(call.cwd, args, gitEnv);
  if (updates.length === 0) return;
  const extraMatcher = home ? managedValueMatcher(home) : undefined;
  const result = await scanPushRange({
    cwd: root,
    env: gitEnv,
    remote,
    updates,
    allow: allowList(root),
    inlineAllow: true,
    extraMatcher,
  });
  for (const f of result.findings) {
    out.findings.push(
      f.kind === "secret"
        ? `commit ${f.commit.slice(0, 12)} ${f.path}:${f.line}: ${f.label} [${f.ruleId}]`
        : `commit ${f.commit.slice(0, 12)} adds ${f.path} (${f.label})`,
    );
    noteEvidence(out, f.ruleId, f.label, f.path);
  }
}

async function scanPublish(
  call: Extract<GatedCall, { kind: "npm-publish" }>,
  home: string | undefined,
  env: NodeJS.ProcessEnv,
  out: GateResult,
): Promise<void> {
  const positionals = call.args
    .filter((a) => !a.startsWith("-"))
    .slice(call.tool === "yarn" && call.args.includes("npm") ? 2 : 1);
  const target = positionals[0];
  let tarball: Buffer | undefined;
  let root = call.cwd;
  if (target && /\.t(ar\.)?gz$/.test(target)) {
    tarball = readFileSync(resolve(call.cwd, target));
  } else {
    if (target) {
      const dir = resolve(call.cwd, target);
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch {
        // a registry spec (`npm pack left-pad@1`): nothing of the user's is sent
      }
      if (!isDir) return;
      root = dir;
    }
    // The same lifecycle as the call: `--ignore-scripts` skips prepack there, so here too.
    const packed = await npmPack(
      { dir: root },
      { env, ignoreScripts: call.args.includes("--ignore-scripts") },
    );
    tarball = packed.tarball;
  }
  if (!tarball) return;
  const extraMatcher = home ? managedValueMatcher(home) : undefined;
  const result = await scanTarball(tarball, { allow: allowList(root), extraMatcher });
  for (const f of result.findings.filter((x) => x.severity === "error")) {
    out.findings.push(
      `${f.path}${f.line !== undefined ? `:${f.line}` : ""}: ${f.message} [${f.ruleId}]`,
    );
    noteEvidence(out, f.ruleId, f.message, f.path);
  }
}

function noteEvidence(out: GateResult, ruleId: string, label: string, path: string): void {
  const managed = /managed secret ([A-Za-z_][A-Za-z0-9_]*)/.exec(label)?.[1];
  const ev = out.evidence as {
    secrets: string[];
    detectors: string[];
    paths: string[];
    count: number;
  };
  if (managed && !ev.secrets.includes(managed)) ev.secrets.push(managed);
  if (!ev.detectors.includes(ruleId)) ev.detectors.push(ruleId);
  if (!ev.paths.includes(path)) ev.paths.push(path);
  ev.count++;
}

/** Scans every gated call; errors are collected (the caller fails closed on them). */
export async function scanGatedCalls(
  calls: readonly GatedCall[],
  home: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<GateResult> {
  const out: GateResult = {
    findings: [],
    errors: [],
    evidence: { secrets: [], detectors: [], paths: [], count: 0 },
  };
  for (const call of calls) {
    try {
      if (call.kind === "git-push") await scanPush(call, home, env, out);
      else if (call.kind === "npm-publish") await scanPublish(call, home, env, out);
    } catch (error) {
      out.errors.push(
        `${call.kind === "git-push" ? "git push" : call.kind === "npm-publish" ? `${call.tool} ${call.verb}` : "a call"}: ${(error as Error).message.split("\n")[0]}`,
      );
    }
  }
  return out;
}
