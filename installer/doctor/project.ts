// Project hygiene: ignore files, the pre-push scan, agent state files holding values, and stored
// secrets the project's hookpack.json does not declare.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { SecretStore } from "../../broker/store.js";
import { createValueMatcher, type ManagedValue } from "../../rules/managed-values.js";
import { describeFinding, secretScanner } from "../../rules/secretlint.js";
import { STATE_PATHS } from "../../rules/state-catalog.js";
import { planGitHook } from "../git-hook.js";
import { planIgnoreFiles } from "../ignore-files.js";
import { readIfExists } from "../plan.js";
import { runtimeProblems } from "../runtime.js";
import type { DoctorCheck, DoctorContext } from "./types.js";

export function isProject(root: string): boolean {
  return (
    readIfExists(join(root, "package.json")) !== null ||
    readIfExists(join(root, ".git", "HEAD")) !== null ||
    readIfExists(join(root, ".git")) !== null
  );
}

export function checkIgnoreFiles(ctx: DoctorContext): DoctorCheck[] {
  const { changes } = planIgnoreFiles(ctx.root);
  const pending = changes.filter((c) => c.before !== c.after);
  if (pending.length === 0)
    return [
      {
        id: "ignore-files",
        status: "ok",
        subject: ctx.root,
        message: "ignore files keep agent state and credential files out of git and the package.",
      },
    ];
  return pending.map((c) => ({
    id: "ignore-files",
    status: "warn" as const,
    subject: ctx.root,
    message: `${relative(ctx.root, c.path)}: ${c.before === null ? "missing" : c.before.includes("# >>> hookpack") ? "hookpack's block is out of date" : "does not keep agent state out"} (${c.summary}).`,
    fix: "hookpack install --agent claude-code (adds the managed block), or add the lines `hookpack install --dry-run` shows.",
  }));
}

export function checkPrePush(ctx: DoctorContext): DoctorCheck[] {
  const plan = planGitHook({
    root: ctx.root,
    hookpackHome: ctx.hookpackHome,
    distDir: ctx.distDir,
    version: ctx.version,
    nodePath: ctx.nodePath,
    env: ctx.env,
  });
  if (plan.mode === "none")
    return [
      {
        id: "pre-push",
        status: "info",
        subject: ctx.root,
        message: "not a git work tree: no pre-push scan applies.",
      },
    ];
  if (plan.mode === "skipped")
    return [
      {
        id: "pre-push",
        status: "warn",
        subject: ctx.root,
        message: `no pre-push scan: ${plan.notes[0] ?? "hookpack cannot install it here"}`,
        fix: plan.notes[0] ?? 'add `hookpack pre-push "$@"` to your pre-push hook.',
      },
    ];
  const file = plan.file!;
  const hook = plan.changes.find((c) => c.path === file);
  const runtime = plan.changes.filter(
    (c) => c.path !== file && c.path !== `${file}.hookpack-prev` && c.before !== c.after,
  );
  const out: DoctorCheck[] = [];
  if (hook && hook.before !== hook.after) {
    const installed = hook.before !== null && /hookpack/.test(hook.before);
    out.push({
      id: "pre-push",
      status: "warn",
      subject: ctx.root,
      message: installed
        ? `the pre-push hook (${relative(ctx.root, file) || file}) runs an outdated hookpack command.`
        : `pushes are not scanned: ${relative(ctx.root, file) || file} ${hook.before === null ? "does not exist" : "does not run hookpack"}.`,
      fix: "hookpack install --agent claude-code (installs or refreshes the pre-push hook; a hook already there keeps running after it).",
    });
  } else {
    let executable = true;
    if (plan.mode === "hooks-dir") {
      try {
        executable = (statSync(file).mode & 0o111) !== 0;
      } catch {
        executable = false;
      }
    }
    out.push(
      executable
        ? {
            id: "pre-push",
            status: "ok",
            subject: ctx.root,
            message: `pushes are scanned (${plan.mode === "hooks-dir" ? relative(ctx.root, file) || file : plan.mode}).`,
          }
        : {
            id: "pre-push",
            status: "fail",
            subject: ctx.root,
            message: `${file} is not executable, so git skips it.`,
            fix: `chmod +x ${file}`,
          },
    );
  }
  for (const problem of runtimeProblems(join(ctx.hookpackHome, "runtime", ctx.version)))
    out.push({
      id: "runtime-integrity",
      status: "fail",
      subject: ctx.root,
      message: `the per-user hook runtime changed after install: ${problem}; the hook blocks every call until it is restored.`,
      fix: "hookpack install --agent <agent> (copies the runtime again and records its hashes).",
    });
  if (runtime.length > 0) {
    out.push({
      id: "runtime",
      status: "warn",
      subject: ctx.root,
      message: `the per-user hook runtime in ${dirname(runtime[0]!.path)} is missing or differs from hookpack ${ctx.version}.`,
      fix: "hookpack install --agent claude-code (copies the runtime again).",
    });
  }
  return out;
}

/** Agent state files in the project (the catalog's agent-state entries) that hold secret values. */
export async function checkStateFiles(
  ctx: DoctorContext,
  store: SecretStore | undefined,
): Promise<DoctorCheck[]> {
  const patterns = STATE_PATHS.filter((e) => e.kind === "agent-state").map((e) =>
    e.pattern.replace(/\/$/, "/**"),
  );
  // Loaded here: fast-glob costs every CLI start ~20 ms when imported at the top.
  const { default: fg } = await import("fast-glob");
  const files = await fg(patterns, {
    cwd: ctx.root,
    dot: true,
    caseSensitiveMatch: false,
    onlyFiles: true,
    deep: 6,
    ignore: ["**/node_modules/**", "**/.git/**"],
    absolute: true,
    suppressErrors: true,
  });
  if (files.length === 0)
    return [
      {
        id: "state-files",
        status: "ok",
        subject: ctx.root,
        message: "no agent state files in the project.",
      },
    ];
  const values: ManagedValue[] = [];
  for (const m of store?.list() ?? []) {
    if (m.provider.kind !== "store") continue;
    try {
      values.push({ name: m.name, value: store!.value(m.name) });
    } catch {
      // a damaged entry is reported by the store check
    }
  }
  const matcher = values.length ? createValueMatcher(values) : undefined;
  const out: DoctorCheck[] = [];
  let tracked = new Set<string>();
  try {
    tracked = new Set(
      execFileSync(
        "git",
        ["ls-files", "-z", "--full-name", "--", ...files.map((f) => relative(ctx.root, f))],
        { cwd: ctx.root, env: ctx.env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
      )
        .split("\0")
        .filter(Boolean),
    );
  } catch {
    // not git
  }
  for (const file of files.slice(0, 200)) {
    const rel = relative(ctx.root, file);
    let text: string;
    try {
      if (statSync(file).size > 8 * 1024 * 1024) continue;
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const names = new Set<string>();
    for (const m of matcher?.find(text) ?? []) names.add(m.name);
    for (const f of await secretScanner.scan(text, rel)) names.add(describeFinding(f));
    if (names.size > 0) {
      out.push({
        id: "state-files",
        status: "fail",
        subject: ctx.root,
        message: `${rel} holds secret values (${[...names].join(", ")}); the agent reads this file and may send it to the model.`,
        fix: `remove those values from ${rel} (for an allow-list, delete the entries holding them), then \`hookpack revoke NAME\` for each managed secret it held.`,
      });
    }
    if (tracked.has(rel))
      out.push({
        id: "state-files-committed",
        status: "fail",
        subject: ctx.root,
        message: `${rel} is agent state and is committed to git.`,
        fix: `git rm --cached ${rel} && hookpack install --agent claude-code (ignores it from now on).`,
      });
  }
  if (out.length === 0)
    out.push({
      id: "state-files",
      status: "ok",
      subject: ctx.root,
      message: `${files.length} agent state file(s) checked; none holds a secret value.`,
    });
  return out;
}

/** Stored secrets the project's hookpack.json does not declare: usable by any command, each use asked. */
export function checkUndeclared(ctx: DoctorContext, store: SecretStore | undefined): DoctorCheck[] {
  const stored = (store?.list() ?? []).filter((m) => !m.revoked).map((m) => m.name);
  if (stored.length === 0) return [];
  let declared: string[];
  try {
    const data = JSON.parse(readFileSync(join(ctx.root, "hookpack.json"), "utf8")) as {
      secrets?: Record<string, unknown>;
    };
    declared = Object.keys(data.secrets ?? {});
  } catch {
    return []; // no policy file (every stored secret asks), or an invalid one (reported by the hook and `allow`)
  }
  const undeclared = stored.filter((n) => !declared.includes(n));
  if (undeclared.length === 0) return [];
  return [
    {
      id: "policy-undeclared",
      status: "info",
      subject: ctx.root,
      message: `stored but not declared in hookpack.json: ${undeclared.join(", ")} (any command may use ${undeclared.length === 1 ? "it" : "them"}, and you approve each use; \`hookpack allow ${undeclared[0]} --command <program>\` narrows it).`,
      fix: `declare the commands that need ${undeclared.length === 1 ? "it" : "each"}: \`hookpack allow ${undeclared[0]} --command <program> [--host <host>] --approval once\`.`,
    },
  ];
}
