// Issue 17's corpus: a fresh token for every rule record in realistic contexts (bare, `export X=`,
// JSON, YAML, .env, an Authorization header, a heredoc, a curl command; keyword and structure rules
// in their own examples), run through EVERY entry point with the real built CLI and hook:
// PreToolUse deny, PostToolUse redaction, `scan`, `pre-push` in a real git repo, `check-pack` on a
// real `npm pack` tarball, and `hookpack exec` masking. Weak rules must be redacted and reported
// but never deny a tool call. No token ever appears in anything hookpack writes.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULES } from "../../rules/detect.js";
import type { DetectorRule } from "../../rules/detectors/types.js";
import { expandTemplate, fakeFor } from "../helpers/fake-secrets.js";
import { commitFiles, HOOKPACK, makeSandbox, type Sandbox } from "../helpers/git-sandbox.js";

const CONTEXTS: Record<string, (t: string) => string> = {
  bare: (t) => t,
  export: (t) => `export SERVICE_VALUE=${t}`,
  json: (t) => JSON.stringify({ service: { value: t } }),
  yaml: (t) => `service:\n  value: ${t}`,
  env: (t) => `SERVICE_VALUE="${t}"`,
  header: (t) => `Authorization: Bearer ${t}`,
  heredoc: (t) => `cat > out.txt <<'EOF'\n${t}\nEOF`,
  curl: (t) => `curl -sS -H "X-Api-Key: ${t}" https://api.example.invalid/v1`,
};

const isWeak = (r: DetectorRule) => r.confidence === "weak" || r.kind === "generic";

interface Item {
  rule: DetectorRule;
  text: string;
  token: string;
}

/** Every rule's corpus: prefix tokens in all contexts, the others through their own examples. */
function corpus(seed: number): Item[] {
  const items: Item[] = [];
  for (const rule of RULES) {
    if (rule.kind === "prefix" && rule.examples.includes("{token}")) {
      const token = fakeFor(rule, seed);
      for (const ctx of Object.values(CONTEXTS)) items.push({ rule, text: ctx(token), token });
    } else {
      for (const [i, ex] of rule.examples.entries()) {
        const { text, token } = expandTemplate(rule, ex, seed + i);
        items.push({
          rule,
          text,
          token: ex.includes("{json}") ? JSON.stringify(token).slice(1, -1) : token,
        });
      }
    }
  }
  return items;
}

const items = corpus(17);
const strong = items.filter((i) => !isWeak(i.rule));
const weak = items.filter((i) => isWeak(i.rule));
/** A fragment of each token long enough to be unambiguous: the redacted text must hold none. */
const leaks = (text: string, list: readonly Item[]) =>
  list
    .filter((i) => text.includes(i.token.slice(-16)) || text.includes(i.token))
    .map((i) => i.rule.id);
const byRule = (list: readonly Item[]) => {
  const m = new Map<string, Item[]>();
  for (const i of list) m.set(i.rule.id, [...(m.get(i.rule.id) ?? []), i]);
  return m;
};
const fileOf = (id: string) => `corpus/${id}.txt`;

let s: Sandbox;
beforeAll(() => {
  if (!existsSync(HOOKPACK)) throw new Error("run `npm run build` first");
  s = makeSandbox("hookpack-detect-corpus-");
});
afterAll(() => s?.cleanup());

const hook = (payload: Record<string, unknown>) =>
  s.hookpack(
    s.root,
    ["hook", "claude-code"],
    JSON.stringify({
      session_id: "corpus",
      transcript_path: join(s.root, "t.jsonl"),
      cwd: s.root,
      permission_mode: "default",
      tool_use_id: "toolu_corpus",
      ...payload,
    }),
  );

describe("every rule's corpus through every entry point", () => {
  it("has a corpus for every rule", () => {
    expect(new Set(items.map((i) => i.rule.id)).size).toBe(RULES.length);
    expect(items.length).toBeGreaterThan(1500);
  });

  it("PreToolUse: a Write of any strong rule's token is denied, naming every rule's label and no value", () => {
    const groups = [...byRule(strong).values()];
    for (let g = 0; g < groups.length; g += 25) {
      const batch = groups.slice(g, g + 25);
      const content = batch
        .flat()
        .map((i) => i.text)
        .join("\n\n");
      const r = hook({
        hook_event_name: "PreToolUse",
        tool_name: "Write",
        tool_input: { file_path: join(s.root, "notes.md"), content },
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as {
        hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
      };
      expect(out.hookSpecificOutput.permissionDecision).toBe("deny");
      const reason = out.hookSpecificOutput.permissionDecisionReason;
      for (const list of batch)
        expect(reason, `${list[0]!.rule.id} not named in the deny`).toContain(list[0]!.rule.label);
      expect(leaks(r.stdout + r.stderr, batch.flat())).toEqual([]);
    }
  });

  it("PreToolUse: weak rules alone never deny (they are redacted in output instead)", () => {
    for (const all of byRule(weak).values()) {
      // (An Authorization header is a credential by its own rule, whatever the token's shape.)
      const list = all.filter((i) => !i.text.startsWith("Authorization:"));
      const r = hook({
        hook_event_name: "PreToolUse",
        tool_name: "Bash",
        tool_input: {
          command: `printf '%s\\n' '${list.map((i) => i.text.replace(/'/g, "")).join("' '")}'`,
        },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, `${list[0]!.rule.id} denied`).not.toContain('"deny"');
    }
  });

  it("PostToolUse: every token of every rule is redacted with its record's id as the label", () => {
    const groups = [...byRule(items).values()];
    // (Small batches: the hook cuts a response to the agent's size limit.)
    for (let g = 0; g < groups.length; g += 12) {
      const batch = groups.slice(g, g + 12);
      const stdout = batch
        .flat()
        .map((i) => i.text)
        .join("\n\n");
      const r = hook({
        hook_event_name: "PostToolUse",
        tool_name: "Bash",
        tool_input: { command: "cat corpus" },
        tool_response: { stdout, stderr: "", interrupted: false, isImage: false },
      });
      expect(r.status, r.stderr).toBe(0);
      const out = r.stdout;
      expect(out).not.toContain("cut to fit the hook response limit");
      expect(leaks(out + r.stderr, batch.flat())).toEqual([]);
      for (const list of batch)
        expect(out, `${list[0]!.rule.id}: no [REDACTED:${list[0]!.rule.id}]`).toContain(
          `[REDACTED:${list[0]!.rule.id}]`,
        );
    }
  });

  it("scan, pre-push (real git repo) and check-pack (real npm pack) report every rule in its file; weak ones as warnings", () => {
    const files: Record<string, string> = {};
    for (const [id, list] of byRule(items))
      files[fileOf(id)] = `${list.map((i) => i.text).join("\n\n")}\n`;

    // scan
    const scanDir = join(s.root, "scan");
    for (const [p, c] of Object.entries(files)) s.write(join(scanDir, p), c);
    const scan = s.hookpack(scanDir, ["scan", scanDir, "--format", "json"]);
    const scanReport = JSON.parse(scan.stdout) as {
      findings: Array<{ path: string; ruleId: string }>;
    };
    const scanned = new Set(
      scanReport.findings.map((f) => `${f.path.replace(/^.*\/corpus\//, "corpus/")}|${f.ruleId}`),
    );
    const missingScan = [...byRule(items).keys()].filter(
      (id) => !scanned.has(`${fileOf(id)}|${id}`),
    );
    expect(missingScan, "scan missed").toEqual([]);
    expect(leaks(scan.stdout + scan.stderr, items)).toEqual([]);

    // pre-push
    const { dir } = s.repo("pushrepo");
    commitFiles(s, dir, { "README.md": "# corpus\n" }, "initial");
    const base = s.git(dir, "rev-parse", "HEAD");
    const head = commitFiles(s, dir, files, "add corpus");
    const pp = s.hookpack(
      dir,
      ["pre-push", "origin", "--format", "json"],
      `refs/heads/main ${head} refs/heads/main ${base}\n`,
    );
    expect(pp.status).toBe(1);
    const ppReport = JSON.parse(pp.stdout) as {
      findings: Array<{ path: string; ruleId: string; confidence?: string }>;
    };
    const pushed = new Set(ppReport.findings.map((f) => `${f.path}|${f.ruleId}`));
    expect(
      [...byRule(items).keys()].filter((id) => !pushed.has(`${fileOf(id)}|${id}`)),
      "pre-push missed",
    ).toEqual([]);
    for (const f of ppReport.findings)
      if (
        f.path.startsWith("corpus/") &&
        weak.some((w) => w.rule.id === f.ruleId && fileOf(f.ruleId) === f.path)
      )
        expect(f.confidence).toBe("weak");
    expect(leaks(pp.stdout + pp.stderr, items)).toEqual([]);

    // check-pack on a real npm pack
    const pkg = join(s.root, "pkg");
    for (const [p, c] of Object.entries(files)) s.write(join(pkg, p), c);
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({ name: "corpus-pkg", version: "1.0.0", files: ["corpus/"] }),
    );
    s.run("npm", ["pack", "--pack-destination", s.root], { cwd: pkg });
    const cp = s.hookpack(s.root, [
      "check-pack",
      join(s.root, "corpus-pkg-1.0.0.tgz"),
      "--format",
      "json",
    ]);
    expect(cp.status).toBe(1);
    const cpReport = JSON.parse(cp.stdout) as {
      findings: Array<{ kind: string; path: string; ruleId: string; severity: string }>;
    };
    const packed = new Map(
      cpReport.findings
        .filter((f) => f.kind === "secret")
        .map((f) => [`${f.path}|${f.ruleId}`, f.severity]),
    );
    expect(
      [...byRule(items).keys()].filter((id) => !packed.has(`${fileOf(id)}|${id}`)),
      "check-pack missed",
    ).toEqual([]);
    for (const id of new Set(weak.map((w) => w.rule.id)))
      expect(packed.get(`${fileOf(id)}|${id}`), id).toBe("warning");
    for (const id of new Set(strong.map((w) => w.rule.id)))
      expect(packed.get(`${fileOf(id)}|${id}`), id).toBe("error");
    expect(leaks(cp.stdout + cp.stderr, items)).toEqual([]);

    // SARIF: one rule descriptor per record that found something, with the record's help text.
    const sarif = s.hookpack(s.root, [
      "check-pack",
      join(s.root, "corpus-pkg-1.0.0.tgz"),
      "--format",
      "sarif",
    ]);
    const doc = JSON.parse(sarif.stdout) as {
      runs: Array<{
        tool: {
          driver: {
            rules: Array<{
              id: string;
              shortDescription: { text: string };
              help?: { text: string };
            }>;
          };
        };
        results: Array<{ ruleId: string }>;
      }>;
    };
    const descriptors = new Map(doc.runs[0]!.tool.driver.rules.map((r) => [r.id, r]));
    for (const rule of RULES) {
      const d = descriptors.get(rule.id);
      expect(d, `${rule.id}: no SARIF rule`).toBeDefined();
      expect(d!.shortDescription.text).toBe(rule.label);
      expect(d!.help?.text).toContain(rule.rotate.steps);
    }
    expect(leaks(sarif.stdout, items)).toEqual([]);
  }, 300_000);

  it("hookpack exec masks every detected token in the child's output", () => {
    const file = join(s.root, "exec-corpus.txt");
    writeFileSync(file, items.map((i) => i.text).join("\n\n"));
    const r = s.hookpack(s.root, [
      "exec",
      "--",
      process.execPath,
      "-e",
      `process.stdout.write(require("fs").readFileSync(${JSON.stringify(file)}, "utf8"))`,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1000);
    expect(leaks(r.stdout + r.stderr, items)).toEqual([]);
    expect(r.stdout).toContain("[REDACTED:GITHUB_TOKEN]");
  }, 120_000);
});
